// SPDX-License-Identifier: GPL-2.0
/*
 * mmtorture-worker: what a job's workers exec into. It links the workloads
 * and the core only, statically where the libraries allow, so a worker's
 * address space holds little beyond what its workload maps.
 */
#include "workload.h"

int main(int argc, char **argv)
{
	return mmt_worker_exec_main(argc, argv);
}
