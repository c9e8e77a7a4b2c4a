/* SPDX-License-Identifier: MIT */
/*
 * Faults injected on purpose, to show that vmad-stress catches them.  Compiled in only with
 * -DVMAD_FAULT_INJECT (`make fault-vmad`, which builds into build/fault); a normal build has
 * the inline stubs below, which do nothing.  With the switch, the environment variable
 * VMAD_FAULT chooses the fault: "drop:N" sends no reply to every N-th request, "twice:N"
 * carries out every N-th request twice (the first reply is sent).
 */
#ifndef VMAD_FAULT_INJECT_H
#define VMAD_FAULT_INJECT_H

#include <stdbool.h>
#include <stdint.h>

#ifdef VMAD_FAULT_INJECT
bool fault_inject_drop(uint64_t id);
bool fault_inject_twice(uint64_t id);
#else
static inline bool
fault_inject_drop(uint64_t id)
{
	(void)id;
	return false;
}

static inline bool
fault_inject_twice(uint64_t id)
{
	(void)id;
	return false;
}
#endif

#endif
