/* SPDX-License-Identifier: MIT */
/* Reading /proc/PID/maps, smaps and status text into comparable values. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"

/* smaps VmFlags mnemonics (fs/proc/task_mmu.c show_smap_vma_flags) for the bits vmad models. */
static const struct {
	const char *name;
	uint64_t flag;
} vmflag_names[] = {
	{ "rd", VM_READ },       { "wr", VM_WRITE },       { "ex", VM_EXEC },
	{ "sh", VM_SHARED },     { "mr", VM_MAYREAD },     { "mw", VM_MAYWRITE },
	{ "me", VM_MAYEXEC },    { "ms", VM_MAYSHARE },    { "gd", VM_GROWSDOWN },
	{ "pf", VM_PFNMAP },     { "gu", VM_MAYBE_GUARD }, { "lo", VM_LOCKED },
	{ "io", VM_IO },         { "sr", VM_SEQ_READ },    { "rr", VM_RAND_READ },
	{ "dc", VM_DONTCOPY },   { "de", VM_DONTEXPAND },  { "lf", VM_LOCKONFAULT },
	{ "ac", VM_ACCOUNT },    { "nr", VM_NORESERVE },   { "ht", VM_HUGETLB },
	{ "sf", VM_SYNC },       { "wf", VM_WIPEONFORK },  { "dd", VM_DONTDUMP },
	{ "sd", VM_SOFTDIRTY },  { "mm", VM_MIXEDMAP },    { "hg", VM_HUGEPAGE },
	{ "nh", VM_NOHUGEPAGE }, { "mg", VM_MERGEABLE },   { "sl", VM_SEALED },
};

int
conf_vmflags_parse(const char *s, uint64_t *flags)
{
	*flags = 0;
	while (*s) {
		size_t i;

		while (*s == ' ')
			s++;
		if (!*s || *s == '\n')
			break;
		for (i = 0; i < sizeof(vmflag_names) / sizeof(vmflag_names[0]); i++) {
			if (!strncmp(s, vmflag_names[i].name, 2))
				break;
		}
		if (i == sizeof(vmflag_names) / sizeof(vmflag_names[0]))
			return -EINVAL;
		*flags |= vmflag_names[i].flag;
		s += 2;
	}
	return 0;
}

static bool
is_header(const char *line)
{
	const char *p = line;

	while ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))
		p++;
	return p > line && *p == '-';
}

static int
parse_header(const char *line, size_t len, struct conf_vma *v)
{
	unsigned long long start, end, off, ino;
	unsigned major, minor;
	int n = 0;

	memset(v, 0, sizeof(*v));
	if (len >= sizeof(v->line))
		return -EINVAL;
	memcpy(v->line, line, len);
	v->line[len] = '\0';
	if (sscanf(v->line, "%llx-%llx %4s %llx %x:%x %llu %n", &start, &end, v->perms, &off,
		   &major, &minor, &ino, &n) != 7 ||
	    !n)
		return -EINVAL;
	v->start = start;
	v->end = end;
	v->offset = off;
	v->ino = ino;
	v->major = major;
	v->minor = minor;
	snprintf(v->name, sizeof(v->name), "%s", v->line + n);
	v->shmem = !strcmp(v->name, "/dev/zero (deleted)") || !strncmp(v->name, "/SYSV", 5);
	return 0;
}

static int
push(struct conf_vmas *out, size_t *cap)
{
	if (out->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct conf_vma *p = realloc(out->v, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		out->v = p;
		*cap = ncap;
	}
	return 0;
}

/* Adds smaps' Rss, Anonymous and VmFlags to the VMAs maps described, matched by order. */
static int
parse_smaps(const char *smaps, struct conf_vmas *out)
{
	const char *p = smaps;
	long idx = -1;
	unsigned long long kb;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		struct conf_vma *v = idx >= 0 && (size_t)idx < out->n ? &out->v[idx] : NULL;

		if (is_header(p)) {
			idx++;
			if ((size_t)idx >= out->n || strncmp(p, out->v[idx].line, len))
				return -EPROTO;
		} else if (v && sscanf(p, "Rss: %llu kB", &kb) == 1) {
			v->rss_other = kb / 4;
		} else if (v && sscanf(p, "Anonymous: %llu kB", &kb) == 1) {
			v->rss_anon = kb / 4;
		} else if (v && !strncmp(p, "VmFlags:", 8)) {
			char buf[256];

			snprintf(buf, sizeof(buf), "%.*s", (int)(len - 8), p + 8);
			if (conf_vmflags_parse(buf, &v->flags))
				return -EPROTO;
			v->flags_known = true;
		}
		p = nl ? nl + 1 : p + len;
	}
	for (size_t i = 0; i < out->n; i++)
		out->v[i].rss_other -= out->v[i].rss_anon;
	return (size_t)(idx + 1) == out->n ? 0 : -EPROTO;
}

int
conf_parse_maps(const char *maps, const char *smaps, struct conf_vmas *out)
{
	const char *p = maps;
	size_t cap = 0;
	int err;

	out->v = NULL;
	out->n = 0;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if ((err = push(out, &cap)) || (err = parse_header(p, len, &out->v[out->n]))) {
			conf_vmas_free(out);
			return err;
		}
		out->n++;
		p = nl ? nl + 1 : p + len;
	}
	if (smaps && (err = parse_smaps(smaps, out))) {
		conf_vmas_free(out);
		return err;
	}
	return 0;
}

void
conf_vmas_free(struct conf_vmas *vmas)
{
	free(vmas->v);
	vmas->v = NULL;
	vmas->n = 0;
}

static long long
status_kb(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *p = text;

	while ((p = strstr(p, key))) {
		if ((p == text || p[-1] == '\n') && p[klen] == ':')
			return strtoll(p + klen + 1, NULL, 10);
		p += klen;
	}
	return -1;
}

void
conf_parse_status(const char *text, struct conf_status *out)
{
	out->peak = status_kb(text, "VmPeak");
	out->size = status_kb(text, "VmSize");
	out->lck = status_kb(text, "VmLck");
	out->hwm = status_kb(text, "VmHWM");
	out->rss = status_kb(text, "VmRSS");
	out->anon = status_kb(text, "RssAnon");
	out->file = status_kb(text, "RssFile");
	out->shmem = status_kb(text, "RssShmem");
	out->data = status_kb(text, "VmData");
	out->stk = status_kb(text, "VmStk");
	out->exe = status_kb(text, "VmExe");
	out->lib = status_kb(text, "VmLib");
}
