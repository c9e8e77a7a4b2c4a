/* SPDX-License-Identifier: MIT */
/* Readable forms of operations and results, for failure reports. */
#include <stdio.h>
#include <string.h>

#include "driver.h"

static const char *const family_names[CONF_FAM_COUNT] = {
	[CONF_FAM_MMAP_ANON] = "mmap anonymous",
	[CONF_FAM_MMAP_FILE] = "mmap file",
	[CONF_FAM_MUNMAP] = "munmap",
	[CONF_FAM_MPROTECT] = "mprotect",
	[CONF_FAM_MREMAP] = "mremap",
	[CONF_FAM_BRK] = "brk",
	[CONF_FAM_TOUCH] = "touch (faults)",
	[CONF_FAM_MADVISE] = "madvise (incl. populate)",
	[CONF_FAM_MLOCK] = "mlock/munlock",
	[CONF_FAM_FORK] = "fork",
	[CONF_FAM_MSEAL] = "mseal",
	[CONF_FAM_MLOCKALL] = "mlockall/munlockall",
	[CONF_FAM_PKEY] = "pkey_alloc/pkey_free/pkey_mprotect",
	[CONF_FAM_ANON_NAME] = "prctl PR_SET_VMA_ANON_NAME",
	[CONF_FAM_MAPS] = "final maps",
	[CONF_FAM_VMFLAGS] = "final VmFlags",
	[CONF_FAM_RSS] = "final RSS per VMA",
	[CONF_FAM_STATUS] = "final status",
	[CONF_FAM_SMAPS] = "final smaps",
};

const char *
conf_family_name(enum conf_family fam)
{
	return fam < CONF_FAM_COUNT ? family_names[fam] : "?";
}

enum conf_family
conf_op_family(const struct conf_op *op)
{
	switch (op->kind) {
	case CONF_OP_MMAP:
		return op->file >= 0 ? CONF_FAM_MMAP_FILE : CONF_FAM_MMAP_ANON;
	case CONF_OP_MUNMAP:
		return CONF_FAM_MUNMAP;
	case CONF_OP_MPROTECT:
		return CONF_FAM_MPROTECT;
	case CONF_OP_MREMAP:
		return CONF_FAM_MREMAP;
	case CONF_OP_BRK:
		return CONF_FAM_BRK;
	case CONF_OP_TOUCH:
		return CONF_FAM_TOUCH;
	case CONF_OP_MADVISE:
		return CONF_FAM_MADVISE;
	case CONF_OP_MLOCK:
	case CONF_OP_MUNLOCK:
		return CONF_FAM_MLOCK;
	case CONF_OP_MSEAL:
		return CONF_FAM_MSEAL;
	case CONF_OP_MLOCKALL:
	case CONF_OP_MUNLOCKALL:
		return CONF_FAM_MLOCKALL;
	case CONF_OP_PKEY_ALLOC:
	case CONF_OP_PKEY_FREE:
	case CONF_OP_PKEY_MPROTECT:
		return CONF_FAM_PKEY;
	case CONF_OP_ANON_NAME:
		return CONF_FAM_ANON_NAME;
	default:
		return CONF_FAM_FORK;
	}
}

static void
prot_str(uint32_t prot, char *buf)
{
	snprintf(buf, 16, "%c%c%c%s", prot & MM_PROT_READ ? 'r' : '-',
		 prot & MM_PROT_WRITE ? 'w' : '-', prot & MM_PROT_EXEC ? 'x' : '-',
		 prot & MM_PROT_GROWSDOWN ? "+GROWSDOWN" : "");
}

static void
mmap_flags_str(uint32_t flags, char *buf, size_t size)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ MM_MAP_FIXED, "FIXED" },         { MM_MAP_ANONYMOUS, "ANONYMOUS" },
		{ MM_MAP_GROWSDOWN, "GROWSDOWN" }, { MM_MAP_LOCKED, "LOCKED" },
		{ MM_MAP_NORESERVE, "NORESERVE" }, { MM_MAP_POPULATE, "POPULATE" },
		{ MM_MAP_STACK, "STACK" },         { MM_MAP_FIXED_NOREPLACE, "FIXED_NOREPLACE" },
	};
	uint32_t type = flags & MM_MAP_TYPE;
	size_t pos;

	pos = (size_t)snprintf(buf, size, "%s",
			       type == MM_MAP_SHARED    ? "SHARED"
			       : type == MM_MAP_PRIVATE ? "PRIVATE"
							: "TYPE?");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && pos < size; i++) {
		if (flags & names[i].bit)
			pos += (size_t)snprintf(buf + pos, size - pos, "|%s", names[i].name);
	}
}

static void
mremap_flags_str(uint32_t flags, char *buf, size_t size)
{
	static const char *const names[] = { "MAYMOVE", "FIXED", "DONTUNMAP" };
	size_t pos = 0;

	buf[0] = '\0';
	for (int i = 0; i < 3 && pos < size; i++) {
		if (flags & (1u << i))
			pos += (size_t)snprintf(buf + pos, size - pos, "%s%s", pos ? "|" : "",
						names[i]);
	}
	if (!flags)
		snprintf(buf, size, "0");
}

static const char *
advice_str(int advice)
{
	switch (advice) {
	case MM_MADV_DONTNEED:
		return "DONTNEED";
	case MM_MADV_DONTFORK:
		return "DONTFORK";
	case MM_MADV_DOFORK:
		return "DOFORK";
	case MM_MADV_WIPEONFORK:
		return "WIPEONFORK";
	case MM_MADV_KEEPONFORK:
		return "KEEPONFORK";
	case MM_MADV_POPULATE_READ:
		return "POPULATE_READ";
	case MM_MADV_POPULATE_WRITE:
		return "POPULATE_WRITE";
	case MM_MADV_FREE:
		return "FREE";
	case MM_MADV_COLD:
		return "COLD";
	case MM_MADV_GUARD_INSTALL:
		return "GUARD_INSTALL";
	case MM_MADV_GUARD_REMOVE:
		return "GUARD_REMOVE";
	case MM_MADV_HUGEPAGE:
		return "HUGEPAGE";
	case MM_MADV_NOHUGEPAGE:
		return "NOHUGEPAGE";
	default:
		return "?";
	}
}

static void
ret_str(const struct conf_op *op, const struct conf_result *res, char *buf, size_t size)
{
	static const char *const faults[] = { "ok", "SEGV_MAPERR", "SEGV_ACCERR", "SIGBUS" };

	if (res->skipped)
		snprintf(buf, size, "(skipped)");
	else if (op->kind == CONF_OP_TOUCH)
		snprintf(buf, size, "%s",
			 res->fault >= 0 && res->fault < 4 ? faults[res->fault] : "?");
	else if (res->ret < 0)
		snprintf(buf, size, "-%s", strerrorname_np((int)-res->ret));
	else
		snprintf(buf, size, "0x%llx", (unsigned long long)res->ret);
}

void
conf_format_op(const struct conf_op *op, const struct conf_result *res, char *buf, size_t size)
{
	unsigned long long a = res->addr, len = op->len;
	char p[16], f[160], r[48];

	prot_str(op->prot, p);
	ret_str(op, res, r, sizeof(r));
	switch (op->kind) {
	case CONF_OP_MMAP:
		mmap_flags_str(op->flags, f, sizeof(f));
		if (op->file >= 0)
			snprintf(buf, size, "mmap(0x%llx, 0x%llx, %s, %s, file%d, 0x%llx) = %s", a,
				 len, p, f, op->file, (unsigned long long)op->offset, r);
		else
			snprintf(buf, size, "mmap(0x%llx, 0x%llx, %s, %s) = %s", a, len, p, f, r);
		break;
	case CONF_OP_MUNMAP:
		snprintf(buf, size, "munmap(0x%llx, 0x%llx) = %s", a, len, r);
		break;
	case CONF_OP_MPROTECT:
		snprintf(buf, size, "mprotect(0x%llx, 0x%llx, %s) = %s", a, len, p, r);
		break;
	case CONF_OP_MREMAP:
		mremap_flags_str(op->flags, f, sizeof(f));
		snprintf(buf, size, "mremap(0x%llx, 0x%llx, 0x%llx, %s, 0x%llx) = %s", a, len,
			 (unsigned long long)op->new_len, f, (unsigned long long)res->new_addr, r);
		break;
	case CONF_OP_BRK:
		snprintf(buf, size, "brk(0x%llx) = %s", a, r);
		break;
	case CONF_OP_TOUCH:
		snprintf(buf, size, "%s(0x%llx) = %s", op->flags & 1 ? "write" : "read", a, r);
		break;
	case CONF_OP_MADVISE:
		snprintf(buf, size, "madvise(0x%llx, 0x%llx, %s) = %s", a, len,
			 advice_str(op->advice), r);
		break;
	case CONF_OP_MLOCK:
		snprintf(buf, size, "mlock2(0x%llx, 0x%llx, %s) = %s", a, len,
			 op->flags ? "MLOCK_ONFAULT" : "0", r);
		break;
	case CONF_OP_MUNLOCK:
		snprintf(buf, size, "munlock(0x%llx, 0x%llx) = %s", a, len, r);
		break;
	case CONF_OP_MSEAL:
		snprintf(buf, size, "mseal(0x%llx, 0x%llx, %u) = %s", a, len, op->flags, r);
		break;
	case CONF_OP_MLOCKALL:
		snprintf(buf, size, "mlockall(%#x) = %s", op->flags, r);
		break;
	case CONF_OP_MUNLOCKALL:
		snprintf(buf, size, "munlockall() = %s", r);
		break;
	case CONF_OP_PKEY_ALLOC:
		snprintf(buf, size, "pkey_alloc(%u, %u) = %s", op->flags, op->prot, r);
		break;
	case CONF_OP_PKEY_FREE:
		snprintf(buf, size, "pkey_free(%d) = %s", op->advice, r);
		break;
	case CONF_OP_PKEY_MPROTECT:
		snprintf(buf, size, "pkey_mprotect(0x%llx, 0x%llx, %s, %d) = %s", a, len, p,
			 op->advice, r);
		break;
	case CONF_OP_ANON_NAME:
		snprintf(buf, size,
			 "prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, 0x%llx, 0x%llx, %s%u) = %s", a,
			 len, op->flags ? "name " : "NULL", op->flags, r);
		break;
	default:
		snprintf(buf, size, "fork() -> the child goes on");
		break;
	}
}
