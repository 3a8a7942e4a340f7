/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMT_VABITS_H
#define MMT_VABITS_H

/*
 * The VA bits in force, found with hint mmaps (not cpuinfo: the kernel decides
 * what a hint may reach). Call it in a child: an honoured high hint may
 * upgrade the caller's page tables for good. Two hints per size: with ASLR
 * off the stack sits right under the top of the default window.
 */
int mmt_va_bits_by_hints(void);

#endif
