/* SPDX-License-Identifier: MIT */
/*
 * The find, the request clients send most, answered without the general path: read in
 * place (wire_find_read()), looked up (dispatch_find()) and sent, with no request decoded
 * into the arena, no quota, journal or view bookkeeping (a find changes nothing) and no
 * error to make.  Whatever it does not answer, the general path does, to the same bytes.
 */
#ifndef VMAD_QUICKFIND_H
#define VMAD_QUICKFIND_H

#include <stddef.h>
#include <stdint.h>

struct conn;
struct server;

/*
 * 1: the frame was a find and its reply is sent; 0: it is left to the general path, nothing
 * done; or conn_send()'s error, after which the connection closes.
 */
int quickfind_answer(struct server *srv, struct conn *c, const uint8_t *data, size_t len);

#endif
