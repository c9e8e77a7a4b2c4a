/* SPDX-License-Identifier: MIT */
/*
 * watch: one line (or JSON object) per change to a space, until SIGINT or SIGTERM, which end
 * it with status 0.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "vmactl.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Without SA_RESTART, so that the wait for the next event returns -EINTR. */
static int
catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
		return -errno;
	return 0;
}

int
cmd_watch_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	return cmd_name_parse(a, pos, npos, e);
}

static void
range_text(const struct vmac_event *ev)
{
	printf(" 0x%llx-0x%llx", (unsigned long long)ev->start,
	       (unsigned long long)(ev->start + ev->len));
}

/* Kinds whose line shows the range they touched. */
static bool
has_range(enum vmac_event_kind k)
{
	switch (k) {
	case VMAC_EVENT_MMAP:
	case VMAC_EVENT_MUNMAP:
	case VMAC_EVENT_MPROTECT:
	case VMAC_EVENT_MREMAP:
	case VMAC_EVENT_MADVISE:
	case VMAC_EVENT_MLOCK:
	case VMAC_EVENT_MUNLOCK:
	case VMAC_EVENT_POPULATE:
	case VMAC_EVENT_MSEAL:
	case VMAC_EVENT_PKEY_MPROTECT:
	case VMAC_EVENT_CHANGED:
	case VMAC_EVENT_SET_VMA_ANON_NAME:
		return true;
	default:
		return false;
	}
}

/* The open-file events: start is the file's id. */
static bool
is_file_event(enum vmac_event_kind k)
{
	return k == VMAC_EVENT_FILE_SET_SIZE || k == VMAC_EVENT_FILE_UNLINK;
}

static void
advice_text(int advice)
{
	const char *name = val_advice_name(advice);
	if (name)
		printf(" %s", name);
	else
		printf(" %d", advice);
}

/* What follows "KIND NAME" on an event's line. */
static void
event_details_text(const struct vmac_event *ev)
{
	char prot[4], flags[256];
	if (has_range(ev->kind))
		range_text(ev);
	val_prot_str(ev->new_prot, prot);
	switch (ev->kind) {
	case VMAC_EVENT_MMAP:
		val_map_flags_str(ev->flags, flags, sizeof(flags));
		printf(" %s %s%s%s", prot, flags, *ev->path ? " " : "", ev->path);
		break;
	case VMAC_EVENT_MPROTECT:
		printf(" %s", prot);
		break;
	case VMAC_EVENT_MREMAP:
		printf(" -> 0x%llx-0x%llx", (unsigned long long)ev->new_addr,
		       (unsigned long long)(ev->new_addr + ev->new_len));
		break;
	case VMAC_EVENT_BRK:
		printf(" 0x%llx -> 0x%llx", (unsigned long long)ev->start,
		       (unsigned long long)ev->new_addr);
		break;
	case VMAC_EVENT_MADVISE:
		advice_text(ev->advice);
		break;
	case VMAC_EVENT_MLOCK:
		fputs(ev->flags & VMAC_MLOCK_ONFAULT ? " onfault" : "", stdout);
		break;
	case VMAC_EVENT_POPULATE:
	case VMAC_EVENT_FAULT:
		if (ev->kind == VMAC_EVENT_FAULT)
			printf(" 0x%llx", (unsigned long long)ev->start);
		printf(" %s", val_access_name(ev->access));
		break;
	case VMAC_EVENT_FORK:
		printf(" -> %s", ev->target);
		break;
	case VMAC_EVENT_OVERFLOW:
		printf(" lost %llu", (unsigned long long)ev->lost);
		break;
	case VMAC_EVENT_MLOCKALL:
		val_mcl_flags_str(ev->flags, flags, sizeof(flags));
		printf(" %s", flags);
		break;
	case VMAC_EVENT_EXEC:
		printf(" %s", ev->path);
		break;
	case VMAC_EVENT_FILE_SET_SIZE:
	case VMAC_EVENT_FILE_UNLINK:
		printf(" %llu", (unsigned long long)ev->start);
		if (ev->kind == VMAC_EVENT_FILE_SET_SIZE)
			printf(" 0x%llx", (unsigned long long)ev->len);
		break;
	case VMAC_EVENT_SET_BRK:
		printf(" 0x%llx 0x%llx", (unsigned long long)ev->start,
		       (unsigned long long)ev->new_addr);
		break;
	case VMAC_EVENT_PKEY_MPROTECT:
		printf(" %s key %d", prot, (int)ev->flags);
		break;
	case VMAC_EVENT_PKEY_ALLOC:
	case VMAC_EVENT_PKEY_FREE:
		printf(" key %d", (int)ev->flags);
		break;
	default:
		break;
	}
}

static int
event_json(const struct vmac_event *ev)
{
	struct json js = JSON_INIT(stdout), *j = &js;
	char prot[4], flags[256];
	const char *advice = val_advice_name(ev->advice);
	json_begin_ok(j);
	json_str_field(j, "event", vmac_event_kind_name(ev->kind));
	json_u64_field(j, "seq", ev->seq);
	json_str_field(j, "name", ev->name);
	json_hex_field(j, "start", ev->start);
	json_hex_field(j, "len", ev->len);
	if (ev->kind == VMAC_EVENT_MMAP || ev->kind == VMAC_EVENT_MPROTECT) {
		val_prot_str(ev->new_prot, prot);
		json_str_field(j, "prot", prot);
	}
	if (ev->kind == VMAC_EVENT_MMAP) {
		val_map_flags_str(ev->flags, flags, sizeof(flags));
		json_str_field(j, "flags", flags);
		json_str_field(j, "path", ev->path);
	}
	if (ev->kind == VMAC_EVENT_MREMAP || ev->kind == VMAC_EVENT_BRK ||
	    ev->kind == VMAC_EVENT_SET_BRK)
		json_hex_field(j, "new_addr", ev->new_addr);
	if (is_file_event(ev->kind))
		json_u64_field(j, "id", ev->start);
	if (ev->kind == VMAC_EVENT_EXEC)
		json_str_field(j, "path", ev->path);
	if (ev->kind == VMAC_EVENT_MREMAP)
		json_hex_field(j, "new_len", ev->new_len);
	if (ev->kind == VMAC_EVENT_MADVISE)
		json_str_field(j, "advice", advice ? advice : "unknown");
	if (ev->kind == VMAC_EVENT_FAULT || ev->kind == VMAC_EVENT_POPULATE)
		json_str_field(j, "access", val_access_name(ev->access));
	if (ev->kind == VMAC_EVENT_FORK)
		json_str_field(j, "target", ev->target);
	if (ev->kind == VMAC_EVENT_OVERFLOW)
		json_u64_field(j, "lost", ev->lost);
	if (ev->kind == VMAC_EVENT_MLOCKALL) {
		val_mcl_flags_str(ev->flags, flags, sizeof(flags));
		json_str_field(j, "flags", flags);
	}
	return out_json_end(j, EXIT_DONE);
}

/* 0, or EOF when standard output cannot take the event. */
static int
event_print(const struct ctx *ctx, const struct vmac_event *ev)
{
	if (ctx->json) {
		if (event_json(ev) != EXIT_DONE)
			return EOF;
	} else {
		printf("%s %s", vmac_event_kind_name(ev->kind), ev->name);
		event_details_text(ev);
		putchar('\n');
	}
	return fflush(stdout);
}

int
cmd_watch_run(struct ctx *ctx, const struct args *a)
{
	int rc = catch_signals();
	if (rc < 0)
		return out_refused(ctx, "watch", rc);
	rc = vmac_watch(ctx->conn, a->name);
	if (rc < 0)
		return out_refused(ctx, "watch", rc);
	struct vmac_event ev;
	while (!stop) {
		rc = vmac_watch_next(ctx->conn, &ev, -1);
		if (rc == -EINTR || rc == -EAGAIN)
			continue;
		if (rc < 0)
			return out_refused(ctx, "watch", rc);
		/* A reader that went away (or a full disk) ends the watch; main() reports it. */
		if (event_print(ctx, &ev) != 0)
			break;
		if (ev.kind == VMAC_EVENT_DESTROY)
			break; /* nothing more can happen to the space */
	}
	return EXIT_DONE;
}
