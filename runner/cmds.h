/* SPDX-License-Identifier: GPL-2.0 */
/* The subcommands; each returns the process exit code. argv[0] is the subcommand. */
#ifndef MMT_CMDS_H
#define MMT_CMDS_H

int mmt_cmd_run(int argc, char **argv);
int mmt_cmd_list(int argc, char **argv);
int mmt_cmd_restore(int argc, char **argv, const char *default_db);
int mmt_cmd_topo(int argc, char **argv);
int mmt_cmd_report(int argc, char **argv, const char *default_db);
int mmt_cmd_compare(int argc, char **argv, const char *default_db);
int mmt_cmd_vm(int argc, char **argv);
int mmt_cmd_vm_run(int argc, char **argv);
int mmt_cmd_vm_matrix(int argc, char **argv);
int mmt_cmd_import(int argc, char **argv, const char *default_db);
/* `plot` and `html` (argv[0] tells which). */
int mmt_cmd_plot(int argc, char **argv, const char *default_db);
int mmt_cmd_vm_hotplug(int argc, char **argv);
/* `mmtorture __guest-hotplug ...`: the guest side of `vm hotplug`, inside the guest. */
int mmt_guest_hotplug_main(int argc, char **argv);

#endif
