/* SPDX-License-Identifier: MIT */
/* Operations and results in words, for the mismatch report, and the comparison of results. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stress.h"

static const char *const kind_names[ST_KIND_COUNT] = {
	[ST_MMAP] = "mmap",     [ST_MUNMAP] = "munmap",   [ST_MPROTECT] = "mprotect",
	[ST_MREMAP] = "mremap", [ST_BRK] = "brk",         [ST_MADVISE] = "madvise",
	[ST_MLOCK] = "mlock2",  [ST_MUNLOCK] = "munlock", [ST_POPULATE] = "populate",
	[ST_FAULT] = "fault",   [ST_FORK] = "fork",       [ST_FIND] = "find",
	[ST_MAPS] = "maps",     [ST_STATUS] = "status",
};

const char *
describe_kind(enum st_kind kind)
{
	return (unsigned)kind < ST_KIND_COUNT ? kind_names[kind] : "?";
}

int
describe_op(const struct st_op *op, char *buf, size_t size)
{
	const char *file = op->file >= 0 ? st_files[op->file].path : "-";

	return snprintf(buf, size,
			"%s addr=0x%llx len=0x%llx prot=0x%x flags=0x%x new_len=0x%llx "
			"new_addr=0x%llx arg=%d file=%s/%d offset=0x%llx",
			describe_kind(op->kind), (unsigned long long)op->addr,
			(unsigned long long)op->len, op->prot, op->flags,
			(unsigned long long)op->new_len, (unsigned long long)op->new_addr, op->arg,
			file, op->file, (unsigned long long)op->offset);
}

int
describe_result(const struct st_result *r, char *buf, size_t size)
{
	if (r->err == ST_ERR_LOST)
		return snprintf(buf, size, "no reply");
	/* Long texts (maps, status) are shown by their first difference instead. */
	if (r->text && strlen(r->text) > 400)
		return snprintf(buf, size, "error=%d value=0x%llx text of %zu bytes", r->err,
				(unsigned long long)r->value, strlen(r->text));
	return snprintf(buf, size, "error=%d value=0x%llx%s%s", r->err,
			(unsigned long long)r->value, r->text ? " text:\n" : "",
			r->text ? r->text : "");
}

bool
result_equal(const struct st_result *a, const struct st_result *b)
{
	if (a->err != b->err || a->value != b->value || !a->text != !b->text)
		return false;
	return !a->text || strcmp(a->text, b->text) == 0;
}

void
result_clear(struct st_result *r)
{
	free(r->text);
	*r = (struct st_result){ 0 };
}

char *
status_text(const char *text, uint64_t brk, uint64_t start_brk, uint64_t mmap_base)
{
	char *s = NULL;

	if (asprintf(&s, "%sbrk:\t%llx\nstart_brk:\t%llx\nmmap_base:\t%llx\n", text ? text : "",
		     (unsigned long long)brk, (unsigned long long)start_brk,
		     (unsigned long long)mmap_base) < 0)
		return NULL;
	return s;
}

/* The first line where two texts differ, with its line number. */
void
describe_diff(const char *a, const char *b, char *buf, size_t size)
{
	unsigned line = 1;
	size_t i = 0, start = 0;
	int la, lb;

	a = a ? a : "(none)";
	b = b ? b : "(none)";
	for (; a[i] && a[i] == b[i]; i++)
		if (a[i] == '\n') {
			line++;
			start = i + 1;
		}
	la = (int)strcspn(a + start, "\n");
	lb = (int)strcspn(b + start, "\n");
	snprintf(buf, size, "first difference at line %u:\n  expected: %.*s\n  vmad:     %.*s",
		 line, la, a + start, lb, b + start);
}
