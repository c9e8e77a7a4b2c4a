/* SPDX-License-Identifier: MIT */
/*
 * What each owner (uid) holds: address spaces and the VMAs in them, kept up to date as
 * spaces are added, changed and removed, for the per-uid quotas and `vmactl usage`.
 */
#ifndef VMAD_USAGE_H
#define VMAD_USAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct usage {
	uid_t uid;
	uint64_t spaces;
	uint64_t vmas;
};

/* Sorted by uid; owners who hold nothing have no entry. */
struct usage_table {
	struct usage *v;
	size_t n, cap;
};

void usage_table_fini(struct usage_table *t);
/* The uid's entry, or NULL when it holds nothing. */
const struct usage *usage_find(const struct usage_table *t, uid_t uid);
/* A space of vmas VMAs now belongs to uid.  -ENOMEM (nothing changed). */
int usage_space_added(struct usage_table *t, uid_t uid, uint64_t vmas);
/* One of uid's spaces, holding vmas VMAs, is gone. */
void usage_space_removed(struct usage_table *t, uid_t uid, uint64_t vmas);
/* The VMAs of one of uid's spaces went from before to after. */
void usage_vmas_changed(struct usage_table *t, uid_t uid, uint64_t before, uint64_t after);

#endif
