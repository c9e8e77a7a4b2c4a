/* SPDX-License-Identifier: MIT */
/*
 * The File message as the engine's file description.  The open-file requests (FileOpen,
 * FileSetSize, FileUnlink, FileClose) and SetBrk are files_req_family (sreq.h).
 */
#ifndef VMAD_FILES_REQ_H
#define VMAD_FILES_REQ_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "mm.h"
#include "vmad.pb-c.h"

/* A File as an engine description (out->path points into f); 0 or -errno with why set. */
int files_req_desc(const Vmad__V1__File *f, struct mm_file_desc *out, char *why, size_t len);

#endif
