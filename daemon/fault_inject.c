/* SPDX-License-Identifier: MIT */
/* The test-only faults of fault_inject.h; empty unless built with -DVMAD_FAULT_INJECT. */
#include "fault_inject.h"

#ifdef VMAD_FAULT_INJECT
#include <stdlib.h>
#include <string.h>

#include "log.h"

enum fault_kind { FAULT_NONE, FAULT_DROP, FAULT_TWICE };

static enum fault_kind fault_kind;
static uint64_t fault_every, fault_count;
static bool fault_read;

/* VMAD_FAULT=drop:N or twice:N, read at the first request. */
static void
fault_config(void)
{
	const char *env = getenv("VMAD_FAULT");
	const char *colon = env ? strchr(env, ':') : NULL;

	fault_read = true;
	if (!colon || (fault_every = strtoull(colon + 1, NULL, 10)) == 0)
		return;
	if (strncmp(env, "drop:", 5) == 0)
		fault_kind = FAULT_DROP;
	else if (strncmp(env, "twice:", 6) == 0)
		fault_kind = FAULT_TWICE;
	log_warning("fault injection on: %s", env);
}

static bool
fault_fire(enum fault_kind kind, uint64_t id)
{
	if (!fault_read)
		fault_config();
	if (fault_kind != kind || ++fault_count % fault_every != 0)
		return false;
	log_warning("fault injection: %s request %llu",
		    kind == FAULT_DROP ? "no reply to" : "twice", (unsigned long long)id);
	return true;
}

bool
fault_inject_drop(uint64_t id)
{
	return fault_fire(FAULT_DROP, id);
}

bool
fault_inject_twice(uint64_t id)
{
	return fault_fire(FAULT_TWICE, id);
}
#endif
