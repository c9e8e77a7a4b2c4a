/* SPDX-License-Identifier: MIT */
/*
 * The open-file requests (FileOpen, FileSetSize, FileUnlink, FileClose), SetBrk, and the File
 * message as the engine's file description: decoded and run on a space's mm.
 */
#ifndef VMAD_FILES_REQ_H
#define VMAD_FILES_REQ_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "mm.h"
#include "vmad.pb-c.h"

/* Whether q is one of the requests files_req_run() handles, and the space it names. */
bool files_req_handles(const Vmad__V1__Request *q);
const char *files_req_name(const Vmad__V1__Request *q);

/*
 * Runs q on mm, filling resp's result (FileOpen's id, from arena).  0 or a negative errno;
 * why gets the message of an error that has one (else it is left empty).
 */
int files_req_run(struct mm *mm, const Vmad__V1__Request *q, Vmad__V1__Response *resp,
		  struct arena *arena, char *why, size_t len);

/*
 * The event telling watchers what a successful q changed, filled into ev with its kind; false
 * for FileOpen and FileClose, which change nothing a space shows.
 */
bool files_req_event(const Vmad__V1__Request *q, Vmad__V1__Event *ev);

/* A File as an engine description (out->path points into f); 0 or -errno with why set. */
int files_req_desc(const Vmad__V1__File *f, struct mm_file_desc *out, char *why, size_t len);

#endif
