/* SPDX-License-Identifier: MIT */
/*
 * A view segment as the tests and the fuzz seed writer reach it: the descriptor that
 * vmac_view_open() holds in this process.
 */
#ifndef TSEG_H
#define TSEG_H

/* The last descriptor of this process whose /proc/self/fd link names a view segment, or -1. */
int tseg_fd(void);

#endif
