/* SPDX-License-Identifier: MIT */
/*
 * The service manager's side: READY=1 once accepting, a STATUS= line kept current,
 * WATCHDOG=1 pings at half of WATCHDOG_USEC, STOPPING=1 at shutdown.  Without
 * NOTIFY_SOCKET every call is a no-op.
 */
#ifndef VMAD_NOTIFY_H
#define VMAD_NOTIFY_H

struct server;
struct event;

struct notify {
	struct server *srv;
	struct event *status_timer;
	struct event *watchdog_timer;
	char last_status[128];
};

int notify_start(struct notify *n, struct server *srv);
void notify_stopping(struct notify *n);
void notify_fini(struct notify *n);

#endif
