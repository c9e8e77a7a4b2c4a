/* SPDX-License-Identifier: MIT */
/* Connections: opening, closing, reconnecting, and the session requests (hello, ping). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

VMAC_EXPORT const char *
vmac_version(void)
{
	return VMAD_VERSION;
}

static const char *
conn_default_path(void)
{
	const char *env = getenv("VMAD_SOCKET");
	return env && *env ? env : VMAC_DEFAULT_SOCKET;
}

VMAC_EXPORT int
vmac_connect(const char *path, struct vmac_conn **out)
{
	if (out == NULL)
		return -EINVAL;
	struct vmac_conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->path = strdup(path ? path : conn_default_path());
	if (c->path == NULL) {
		free(c);
		return -ENOMEM;
	}
	c->timeout_ms = -1;
	c->next_id = 1;
	int rc = io_open(c->path, &c->fd);
	if (rc < 0) {
		free(c->path);
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

VMAC_EXPORT int
vmac_open_local(struct vmac_conn **out)
{
	if (out == NULL)
		return -EINVAL;
	struct vmac_conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->timeout_ms = -1;
	c->next_id = 1;
	int rc = local_open(c);
	if (rc < 0) {
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

VMAC_EXPORT void
vmac_close(struct vmac_conn *c)
{
	if (c == NULL)
		return;
	conn_reset(c);
	if (c->local)
		local_close(c);
	else
		close(c->fd);
	free(c->path);
	free(c);
}

VMAC_EXPORT int
vmac_reconnect(struct vmac_conn *c)
{
	if (c == NULL)
		return -EINVAL;
	if (c->local) {
		/* What the connection had outstanding ends; the engine and its spaces stay. */
		conn_reset(c);
		local_reset(c);
		return 0;
	}
	close(c->fd);
	conn_reset(c);
	c->fd = -1;
	int rc = io_open(c->path, &c->fd);
	if (rc < 0)
		io_fail(c, rc);
	return rc;
}

VMAC_EXPORT int
vmac_conn_error(const struct vmac_conn *c)
{
	if (c == NULL)
		return -EINVAL;
	return c->broken ? c->broken : c->send_err;
}

VMAC_EXPORT const char *
vmac_errmsg(const struct vmac_conn *c)
{
	if (c == NULL || c->last == NULL || c->last->message == NULL)
		return "";
	return c->last->message;
}

VMAC_EXPORT int
vmac_fd(const struct vmac_conn *c)
{
	return c ? c->fd : -EINVAL;
}

VMAC_EXPORT void
vmac_set_timeout(struct vmac_conn *c, int timeout_ms)
{
	if (c)
		c->timeout_ms = timeout_ms < 0 ? -1 : timeout_ms;
}

static int
hello_apply(struct vmac_conn *c, Response **rp, void *const out[2], int err)
{
	const Response *r = *rp;
	if (err)
		return err;
	if (r->result_case != VMAD__V1__RESPONSE__RESULT_HELLO)
		return conn_protocol_error(c);
	struct vmac_server_info *info = out[0];
	uint32_t version = r->hello->has_version ? r->hello->version : 0;
	if (info) {
		info->version = version;
		info->server = r->hello->server ? r->hello->server : "";
	}
	return version == VMAC_PROTOCOL_VERSION ? 0 : -EPROTONOSUPPORT;
}

VMAC_EXPORT int
vmac_hello(struct vmac_conn *c, const char *client, struct vmac_server_info *info)
{
	Vmad__V1__Hello m = VMAD__V1__HELLO__INIT;
	m.has_version = 1;
	m.version = VMAC_PROTOCOL_VERSION;
	m.client = (char *)client;
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_HELLO;
	req.hello = &m;
	return conn_submit(c, &req, hello_apply, info, NULL);
}

VMAC_EXPORT int
vmac_ping(struct vmac_conn *c)
{
	Vmad__V1__Ping m = VMAD__V1__PING__INIT;
	Request req = VMAD__V1__REQUEST__INIT;
	req.op_case = VMAD__V1__REQUEST__OP_PING;
	req.ping = &m;
	return conn_submit(c, &req, NULL, NULL, NULL);
}
