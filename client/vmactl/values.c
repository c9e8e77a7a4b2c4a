/* SPDX-License-Identifier: MIT */
/*
 * Values on the command line: numbers (decimal, 0x hex, K/M/G binary suffixes), protections,
 * mmap/mremap flag lists, madvise advice, access kinds, layouts and modes; and their names
 * for output.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmactl.h"

struct name_val {
	const char *name;
	uint64_t val;
};

static const struct name_val prot_names[] = {
	{ "read", VMAC_PROT_READ },       { "write", VMAC_PROT_WRITE },
	{ "exec", VMAC_PROT_EXEC },       { "none", VMAC_PROT_NONE },
	{ "sem", VMAC_PROT_SEM },         { "growsdown", VMAC_PROT_GROWSDOWN },
	{ "growsup", VMAC_PROT_GROWSUP }, { NULL, 0 },
};

/* In the order they are printed. */
static const struct name_val map_names[] = {
	{ "shared_validate", VMAC_MAP_SHARED_VALIDATE },
	{ "shared", VMAC_MAP_SHARED },
	{ "private", VMAC_MAP_PRIVATE },
	{ "droppable", VMAC_MAP_DROPPABLE },
	{ "anonymous", VMAC_MAP_ANONYMOUS },
	{ "anon", VMAC_MAP_ANONYMOUS },
	{ "fixed_noreplace", VMAC_MAP_FIXED_NOREPLACE },
	{ "fixed", VMAC_MAP_FIXED },
	{ "32bit", VMAC_MAP_32BIT },
	{ "growsdown", VMAC_MAP_GROWSDOWN },
	{ "denywrite", VMAC_MAP_DENYWRITE },
	{ "executable", VMAC_MAP_EXECUTABLE },
	{ "locked", VMAC_MAP_LOCKED },
	{ "noreserve", VMAC_MAP_NORESERVE },
	{ "populate", VMAC_MAP_POPULATE },
	{ "nonblock", VMAC_MAP_NONBLOCK },
	{ "stack", VMAC_MAP_STACK },
	{ "hugetlb", VMAC_MAP_HUGETLB },
	{ "sync", VMAC_MAP_SYNC },
	{ NULL, 0 },
};

static const struct name_val mremap_names[] = {
	{ "maymove", VMAC_MREMAP_MAYMOVE },
	{ "fixed", VMAC_MREMAP_FIXED },
	{ "dontunmap", VMAC_MREMAP_DONTUNMAP },
	{ "none", 0 },
	{ NULL, 0 },
};

static const struct name_val personality_names[] = {
	{ "addr_compat_layout", VMAC_PER_ADDR_COMPAT_LAYOUT },
	{ "read_implies_exec", VMAC_PER_READ_IMPLIES_EXEC },
	{ "addr_limit_32bit", VMAC_PER_ADDR_LIMIT_32BIT },
	{ "addr_limit_3gb", VMAC_PER_ADDR_LIMIT_3GB },
	{ NULL, 0 },
};

static const struct name_val mcl_names[] = {
	{ "current", VMAC_MCL_CURRENT },
	{ "future", VMAC_MCL_FUTURE },
	{ "onfault", VMAC_MCL_ONFAULT },
	{ NULL, 0 },
};

static const struct name_val advice_names[] = {
	{ "normal", VMAC_MADV_NORMAL },
	{ "random", VMAC_MADV_RANDOM },
	{ "sequential", VMAC_MADV_SEQUENTIAL },
	{ "willneed", VMAC_MADV_WILLNEED },
	{ "dontneed", VMAC_MADV_DONTNEED },
	{ "free", VMAC_MADV_FREE },
	{ "remove", VMAC_MADV_REMOVE },
	{ "dontfork", VMAC_MADV_DONTFORK },
	{ "dofork", VMAC_MADV_DOFORK },
	{ "mergeable", VMAC_MADV_MERGEABLE },
	{ "unmergeable", VMAC_MADV_UNMERGEABLE },
	{ "hugepage", VMAC_MADV_HUGEPAGE },
	{ "nohugepage", VMAC_MADV_NOHUGEPAGE },
	{ "dontdump", VMAC_MADV_DONTDUMP },
	{ "dodump", VMAC_MADV_DODUMP },
	{ "wipeonfork", VMAC_MADV_WIPEONFORK },
	{ "keeponfork", VMAC_MADV_KEEPONFORK },
	{ "cold", VMAC_MADV_COLD },
	{ "pageout", VMAC_MADV_PAGEOUT },
	{ "populate_read", VMAC_MADV_POPULATE_READ },
	{ "populate_write", VMAC_MADV_POPULATE_WRITE },
	{ "guard_install", VMAC_MADV_GUARD_INSTALL },
	{ "guard_remove", VMAC_MADV_GUARD_REMOVE },
	{ NULL, 0 },
};

static const struct name_val access_names[] = {
	{ "read", VMAC_ACCESS_READ },
	{ "write", VMAC_ACCESS_WRITE },
	{ "exec", VMAC_ACCESS_EXEC },
	{ NULL, 0 },
};

static const struct name_val layout_names[] = {
	{ "x86_64", VMAC_LAYOUT_X86_64 },
	{ "x86_64-legacy", VMAC_LAYOUT_X86_64_LEGACY },
	{ "i386", VMAC_LAYOUT_I386 },
	{ NULL, 0 },
};

int
perr_set(struct perr *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Binary suffix multiplier, or 0 if c is not one. */
static uint64_t
suffix_mult(char c)
{
	switch (toupper((unsigned char)c)) {
	case 'K':
		return 1ULL << 10;
	case 'M':
		return 1ULL << 20;
	case 'G':
		return 1ULL << 30;
	default:
		return 0;
	}
}

int
val_number(const char *s, uint64_t *out, struct perr *e)
{
	const bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	const char *digits = hex ? s + 2 : s;
	if (!(hex ? isxdigit((unsigned char)*digits) : isdigit((unsigned char)*digits)))
		return perr_set(e, "'%s' is not a number", s);
	char *end;
	errno = 0;
	uint64_t v = strtoull(digits, &end, hex ? 16 : 10);
	if (errno == ERANGE)
		return perr_set(e, "'%s' is too large", s);
	if (*end != '\0') {
		uint64_t mult = suffix_mult(*end);
		if (mult == 0 || end[1] != '\0')
			return perr_set(e, "'%s' is not a number", s);
		if (v > UINT64_MAX / mult)
			return perr_set(e, "'%s' is too large", s);
		v *= mult;
	}
	*out = v;
	return 0;
}

/* Compare a word to a name, ignoring case, an optional prefix, and '-' for '_'. */
static bool
word_is(const char *w, size_t n, const char *prefix, const char *name)
{
	size_t p = strlen(prefix);
	if (n > p && strncasecmp(w, prefix, p) == 0) {
		w += p;
		n -= p;
	}
	if (strlen(name) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = (char)tolower((unsigned char)w[i]);
		if ((c == '-' ? '_' : c) != (name[i] == '-' ? '_' : name[i]))
			return false;
	}
	return true;
}

static const struct name_val *
find_word(const char *w, size_t n, const char *prefix, const struct name_val *t)
{
	for (; t->name; t++)
		if (word_is(w, n, prefix, t->name))
			return t;
	return NULL;
}

/* A ','/'|' separated list of names (or one number), ORed together. */
static int
name_list(const char *s, const struct name_val *t, const char *prefix, const char *what,
	  uint64_t *out, struct perr *e)
{
	struct perr ignored;
	if (val_number(s, out, &ignored) == 0)
		return 0;
	uint64_t v = 0;
	const char *p = s;
	for (;;) {
		size_t n = strcspn(p, ",|");
		const struct name_val *nv = find_word(p, n, prefix, t);
		if (nv == NULL)
			return perr_set(e, "unknown %s '%.*s' in '%s'", what, (int)n, p, s);
		v |= nv->val;
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	*out = v;
	return 0;
}

/* name_list() for a 32-bit field. */
static int
name_list32(const char *s, const struct name_val *t, const char *prefix, const char *what,
	    uint32_t *out, struct perr *e)
{
	uint64_t v;
	if (name_list(s, t, prefix, what, &v, e) < 0)
		return -1;
	if (v > UINT32_MAX)
		return perr_set(e, "%s '%s' is beyond 32 bits", what, s);
	*out = (uint32_t)v;
	return 0;
}

/* "rw-", "r-x", "---": each letter in its place or '-'; or the letters alone, as "rw". */
static bool
prot_letters(const char *s, uint32_t *out)
{
	static const char letters[] = "rwx";
	size_t n = strlen(s);
	uint32_t v = 0;
	if (n == 3 && strspn(s, "rwx-") == 3) {
		for (size_t i = 0; i < 3; i++) {
			if (s[i] != '-' && s[i] != letters[i])
				return false;
			v |= s[i] == '-' ? 0 : 1u << i;
		}
		*out = v;
		return true;
	}
	if (n == 0 || n > 3 || strspn(s, letters) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint32_t bit = 1u << (strchr(letters, s[i]) - letters);
		if (v >= bit)
			return false; /* out of order or repeated */
		v |= bit;
	}
	*out = v;
	return true;
}

int
val_prot(const char *s, uint32_t *out, struct perr *e)
{
	if (prot_letters(s, out))
		return 0;
	uint64_t v;
	if (name_list(s, prot_names, "PROT_", "protection", &v, e) < 0)
		return perr_set(e,
				"bad PROT '%s' (rwx letters such as 'rw-', 'none', or a "
				"list of read, write, exec)",
				s);
	if (v > UINT32_MAX)
		return perr_set(e, "bad PROT '%s'", s);
	*out = (uint32_t)v;
	return 0;
}

int
val_map_flags(const char *s, uint32_t *out, struct perr *e)
{
	return name_list32(s, map_names, "MAP_", "mmap flag", out, e);
}

int
val_mremap_flags(const char *s, uint32_t *out, struct perr *e)
{
	return name_list32(s, mremap_names, "MREMAP_", "mremap flag", out, e);
}

int
val_personality(const char *s, uint32_t *out, struct perr *e)
{
	return name_list32(s, personality_names, "PER_", "personality bit", out, e);
}

int
val_mcl_flags(const char *s, uint32_t *out, struct perr *e)
{
	return name_list32(s, mcl_names, "MCL_", "mlockall flag", out, e);
}

int
val_advice(const char *s, int *out, struct perr *e)
{
	const struct name_val *nv = find_word(s, strlen(s), "MADV_", advice_names);
	if (nv) {
		*out = (int)nv->val;
		return 0;
	}
	uint64_t v;
	struct perr ignored;
	if (val_number(s, &v, &ignored) == 0 && v <= INT32_MAX) {
		*out = (int)v;
		return 0;
	}
	return perr_set(e, "unknown advice '%s' (see vmactl help madvise)", s);
}

int
val_access(const char *s, enum vmac_access *out, struct perr *e)
{
	const struct name_val *nv = find_word(s, strlen(s), "", access_names);
	if (nv == NULL)
		return perr_set(e, "access must be read, write or exec, not '%s'", s);
	*out = (enum vmac_access)nv->val;
	return 0;
}

int
val_layout(const char *s, enum vmac_layout *out, struct perr *e)
{
	const struct name_val *nv = find_word(s, strlen(s), "", layout_names);
	if (nv == NULL)
		return perr_set(e, "layout must be x86_64, x86_64-legacy or i386, not '%s'", s);
	*out = (enum vmac_layout)nv->val;
	return 0;
}

int
val_mode(const char *s, uint32_t *out, struct perr *e)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 8);
	if (*s == '\0' || *end != '\0' || errno || v > 07777 || *s == '-' || *s == '+')
		return perr_set(e, "bad mode '%s' (octal, e.g. 0640)", s);
	*out = (uint32_t)v;
	return 0;
}

int
val_file_mode(const char *s, unsigned *out, struct perr *e)
{
	if (strcmp(s, "r") == 0)
		*out = VMAC_FMODE_READ;
	else if (strcmp(s, "w") == 0)
		*out = VMAC_FMODE_WRITE;
	else if (strcmp(s, "rw") == 0)
		*out = VMAC_FMODE_READ | VMAC_FMODE_WRITE;
	else
		return perr_set(e, "file mode must be r, rw or w, not '%s'", s);
	return 0;
}

int
val_file_kind(const char *s, enum vmac_file_kind *out, struct perr *e)
{
	static const struct {
		const char *name;
		enum vmac_file_kind kind;
	} kinds[] = { { "disk", VMAC_FILE_DISK },
		      { "tmpfs", VMAC_FILE_TMPFS },
		      { "zero", VMAC_FILE_DEV_ZERO } };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(s, kinds[i].name) == 0) {
			*out = kinds[i].kind;
			return 0;
		}
	}
	return perr_set(e, "file kind must be disk, tmpfs or zero, not '%s'", s);
}

int
val_rlimit(const char *s, uint64_t *out, struct perr *e)
{
	if (strcasecmp(s, "unlimited") == 0 || strcasecmp(s, "infinity") == 0) {
		*out = VMAC_RLIM_INFINITY;
		return 0;
	}
	return val_number(s, out, e);
}

void
val_prot_str(uint32_t prot, char buf[4])
{
	buf[0] = prot & VMAC_PROT_READ ? 'r' : '-';
	buf[1] = prot & VMAC_PROT_WRITE ? 'w' : '-';
	buf[2] = prot & VMAC_PROT_EXEC ? 'x' : '-';
	buf[3] = '\0';
}

/* The flags as a list of names; the map type is one value, the rest are single bits. */
void
val_map_flags_str(uint32_t flags, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	uint32_t type = flags & 0x0f;
	for (const struct name_val *t = map_names; t->name; t++) {
		bool is_type = t->val <= 0x0f;
		bool match = is_type ? type == t->val : (flags & t->val) == t->val;
		if (!match || strcmp(t->name, "anon") == 0)
			continue;
		flags &= ~(uint32_t)t->val;
		n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s", n ? "," : "",
				      t->name);
	}
	if (flags & ~0x0fu)
		snprintf(buf + n, n < size ? size - n : 0, "%s0x%x", n ? "," : "", flags & ~0x0fu);
}

/* mlockall flags as a list of names, unknown bits as one hex number. */
void
val_mcl_flags_str(uint32_t flags, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (const struct name_val *t = mcl_names; t->name; t++) {
		if (!(flags & t->val))
			continue;
		flags &= ~(uint32_t)t->val;
		n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s", n ? "," : "",
				      t->name);
	}
	if (flags || !n)
		snprintf(buf + n, n < size ? size - n : 0, "%s0x%x", n ? "," : "", flags);
}

static const char *
name_of(const struct name_val *t, uint64_t v)
{
	for (; t->name; t++)
		if (t->val == v)
			return t->name;
	return NULL;
}

const char *
val_advice_name(int advice)
{
	return name_of(advice_names, (uint64_t)advice);
}

const char *
val_access_name(enum vmac_access access)
{
	const char *n = name_of(access_names, access);
	return n ? n : "unknown";
}
