/* SPDX-License-Identifier: MIT */
/*
 * The final smaps of one of the sequence's VMAs, line by line: the engine's text
 * (mm_render_smaps) against the kernel's.  The header line is the maps line, compared
 * already (with the inode numbers of shared anonymous memory, which differ); every figure
 * line after it is compared.  The lines that depend on who else maps a page or on a
 * page-cache page's dirtiness are compared only where the engine can know them: not after a
 * fork (the runner's waiting ancestors still map the pages, and the child's copies of the
 * page-table entries are old), and not for a VMA with page-cache pages (the driver keeps the
 * files mapped, and a page written through a shared mapping is dirty, which the engine does
 * not model), and not after MADV_FREE, COLD or PAGEOUT (freed pages are clean and counted in
 * LazyFree until reclaim or a write; cold pages lose their referenced bit: page states the
 * engine does not model).
 */
#include <stdio.h>
#include <string.h>

#include "driver.h"

static const char *const sharing_lines[] = {
	"Pss:",           "Pss_Dirty:",  "Shared_Clean:", "Shared_Dirty:", "Private_Clean:",
	"Private_Dirty:", "Referenced:", "Locked:",       "LazyFree:",
};

/* The block of the VMA starting at start (its header line included), and its length. */
static const char *
find_block(const char *smaps, uint64_t start, size_t *len)
{
	char key[24];
	const char *p = smaps, *end;
	size_t klen = (size_t)snprintf(key, sizeof(key), "%08llx-", (unsigned long long)start);

	while (p && strncmp(p, key, klen)) {
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	if (!p)
		return NULL;
	end = strstr(p, "\nVmFlags:");
	end = end ? strchr(end + 1, '\n') : NULL;
	if (!end)
		return NULL;
	*len = (size_t)(end + 1 - p);
	return p;
}

static bool
is_sharing_line(const char *line, size_t len)
{
	for (size_t i = 0; i < sizeof(sharing_lines) / sizeof(sharing_lines[0]); i++) {
		size_t n = strlen(sharing_lines[i]);

		if (len >= n && !memcmp(line, sharing_lines[i], n))
			return true;
	}
	return false;
}

static size_t
line_len(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? (size_t)(nl - p) : (size_t)(end - p);
}

int
conf_smaps_compare(const char *ksmaps, const char *esmaps, uint64_t start, bool exact, char *why,
		   size_t size)
{
	size_t klen, elen, kl, el;
	const char *k = find_block(ksmaps, start, &klen), *e = find_block(esmaps, start, &elen);
	const char *kend, *eend;

	if (!k || !e)
		return snprintf(why, size, "no smaps block for %llx in the %s's text",
				(unsigned long long)start, k ? "engine" : "kernel"),
		       -1;
	kend = k + klen;
	eend = e + elen;
	k += line_len(k, kend) + 1;
	e += line_len(e, eend) + 1;
	for (; k < kend && e < eend; k += kl + 1, e += el + 1) {
		kl = line_len(k, kend);
		el = line_len(e, eend);
		if (kl == el && !memcmp(k, e, kl))
			continue;
		if (!exact && is_sharing_line(k, kl) && is_sharing_line(e, el) &&
		    !memcmp(k, e, (size_t)(memchr(k, ':', kl) - (const void *)k)))
			continue;
		return snprintf(why, size, "smaps of %llx: kernel \"%.*s\", engine \"%.*s\"",
				(unsigned long long)start, (int)kl, k, (int)el, e),
		       -1;
	}
	if (k < kend || e < eend)
		return snprintf(why, size, "smaps of %llx: the %s has more lines",
				(unsigned long long)start, k < kend ? "kernel" : "engine"),
		       -1;
	return 0;
}
