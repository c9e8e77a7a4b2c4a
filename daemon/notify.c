/* SPDX-License-Identifier: MIT */
#include "notify.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "server.h"

#define NOTIFY_STATUS_MS 2000

/* A message the service manager did not take is worth a line in the log, not a stop. */
static void
notify_send(const char *line)
{
	int r = sd_notify(0, line);

	if (r < 0)
		log_warning("sd_notify(%s): %s", line, strerror(-r));
}

static void
notify_status(struct notify *n)
{
	char line[sizeof(n->last_status)];

	snprintf(line, sizeof(line), "STATUS=%zu spaces, %zu clients", n->srv->spaces.count,
		 n->srv->nclients);
	if (strcmp(line, n->last_status) == 0)
		return;
	strcpy(n->last_status, line);
	notify_send(line);
}

static void
notify_status_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	notify_status(arg);
}

static void
notify_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	notify_send("WATCHDOG=1");
}

static int
notify_every(struct notify *n, struct event **ev, event_callback_fn cb, uint64_t usec)
{
	struct timeval tv = { .tv_sec = (time_t)(usec / 1000000),
			      .tv_usec = (suseconds_t)(usec % 1000000) };

	*ev = event_new(n->srv->base, -1, EV_PERSIST, cb, n);
	if (!*ev)
		return -ENOMEM;
	return event_add(*ev, &tv) == 0 ? 0 : -EIO;
}

int
notify_start(struct notify *n, struct server *srv)
{
	uint64_t usec = 0;
	int r;

	memset(n, 0, sizeof(*n));
	n->srv = srv;
	notify_send("READY=1");
	notify_status(n);
	r = notify_every(n, &n->status_timer, notify_status_cb, NOTIFY_STATUS_MS * 1000ULL);
	if (r < 0)
		return r;
	r = sd_watchdog_enabled(0, &usec);
	if (r < 0)
		log_warning("watchdog settings: %s", strerror(-r));
	if (r <= 0 || usec == 0)
		return 0;
	log_info("watchdog: pinging every %llu ms", (unsigned long long)(usec / 2000));
	notify_send("WATCHDOG=1");
	return notify_every(n, &n->watchdog_timer, notify_watchdog_cb, usec / 2 ? usec / 2 : 1);
}

void
notify_stopping(struct notify *n)
{
	(void)n;
	notify_send("STOPPING=1");
}

void
notify_fini(struct notify *n)
{
	if (!n)
		return;
	if (n->status_timer)
		event_free(n->status_timer);
	if (n->watchdog_timer)
		event_free(n->watchdog_timer);
	n->status_timer = n->watchdog_timer = NULL;
}
