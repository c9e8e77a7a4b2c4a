/* SPDX-License-Identifier: MIT */
/*
 * The kernel side of vma-bench: the same lattice built inside a reservation of this process,
 * and the same operations as real system calls.
 */
#ifndef VMAD_BENCH_KERNEL_OPS_H
#define VMAD_BENCH_KERNEL_OPS_H

#include <stdint.h>

#include "bench_util.h"
#include "lattice.h"

/* Maps the lattice (munmap of every hole of one reservation); 0 or a negative errno. */
int kbench_build(struct lattice *lat, uint64_t cells, const char **what);
/* The timed callback of one operation; NULL when the kernel has no equivalent (find_vma). */
bench_op_fn kbench_op(enum lat_op op);
/* Unmaps the whole lattice. */
void kbench_destroy(struct lattice *lat);

#endif
