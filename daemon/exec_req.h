/* SPDX-License-Identifier: MIT */
/*
 * exec requests: an Exec message checked and turned into the engine's mm_exec_args, and the
 * engine's mm_exec_info turned into an ExecResult.
 */
#ifndef VMAD_EXEC_REQ_H
#define VMAD_EXEC_REQ_H

#include <stddef.h>

#include "mm.h"
#include "vmad.pb-c.h"

struct arena;

/* The engine's view of one request; it points into the message. */
struct exec_req {
	struct mm_exec_segment seg[2][MM_EXEC_MAX_SEGMENTS];
	struct mm_exec_image exe, interp;
	struct mm_exec_args args;
	struct mm_config cfg;
};

/* 0, or -EINVAL with a reason in why (a static string). */
int exec_req_parse(const Vmad__V1__Exec *m, struct exec_req *out, const char **why);
/* An ExecResult in the arena, or NULL. */
Vmad__V1__ExecResult *exec_req_result(struct arena *a, const struct mm_exec_info *in);

#endif
