/* SPDX-License-Identifier: MIT */
/*
 * The system-call commands: mmap, munmap, mprotect, mremap, brk, populate, fault, madvise,
 * mlock, munlock, mseal, pkey_alloc, pkey_free, pkey_mprotect.
 */
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#include "vmactl.h"

/* NAME ADDR LEN, the head of most of these commands. */
static int
name_addr_len(struct args *a, char **pos, struct perr *e)
{
	if (*pos[0] == '\0')
		return perr_set(e, "empty space name");
	a->name = pos[0];
	if (val_number(pos[1], &a->addr, e) < 0)
		return -1;
	return val_number(pos[2], &a->len, e);
}

static int
print_addr(struct ctx *ctx, const char *key, uint64_t v)
{
	if (ctx->json) {
		struct json js = JSON_INIT(stdout), *j = &js;
		json_begin_ok(j);
		json_hex_field(j, key, v);
		return out_json_end(j, EXIT_DONE);
	}
	printf("0x%llx\n", (unsigned long long)v);
	return EXIT_DONE;
}

int
cmd_mmap_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)npos;
	if (name_addr_len(a, pos, e) < 0 || val_prot(pos[3], &a->prot, e) < 0)
		return -1;
	if (val_map_flags(pos[4], &a->flags, e) < 0)
		return -1;
	if (a->path && a->open_id)
		return perr_set(e, "--file and --open name two files");
	if (a->open_id && (a->file_id || a->file_mode || a->kind))
		return perr_set(e, "--open's file was described by file-open");
	if (a->path == NULL && !a->open_id && (a->offset || a->file_id || a->file_mode || a->kind))
		return perr_set(e, "--offset, --file-id, --file-mode and --kind need --file");
	return 0;
}

/* When the file exists here, describe it as the kernel would know it. */
void
mem_file_from_stat(struct vmac_file_info *f)
{
	struct stat st;
	if (stat(f->path, &st) < 0)
		return;
	f->dev_major = major(st.st_dev);
	f->dev_minor = minor(st.st_dev);
	f->ino = st.st_ino;
	if (S_ISREG(st.st_mode)) {
		f->size = (uint64_t)st.st_size;
		f->size_known = true;
	}
	struct statvfs vfs;
	if (statvfs(f->path, &vfs) == 0 && (vfs.f_flag & ST_NOEXEC))
		f->noexec = true;
	/* Without --kind, what the path is here: /dev/zero (char 1:5), or a tmpfs file. */
	struct statfs fs;
	if (f->kind == VMAC_FILE_DISK && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 &&
	    minor(st.st_rdev) == 5)
		f->kind = VMAC_FILE_DEV_ZERO;
	else if (f->kind == VMAC_FILE_DISK && statfs(f->path, &fs) == 0 && fs.f_type == TMPFS_MAGIC)
		f->kind = VMAC_FILE_TMPFS;
}

int
cmd_mmap_run(struct ctx *ctx, const struct args *a)
{
	struct vmac_file_info f;
	vmac_file_info_init(&f);
	f.path = a->path;
	f.instance = a->file_id;
	f.mode = a->file_mode;
	f.kind = a->kind;
	f.id = a->open_id;
	if (a->path)
		mem_file_from_stat(&f);
	uint64_t addr = 0;
	int rc = vmac_mmap_file(ctx->conn, a->name, a->addr, a->len, a->prot, a->flags,
				a->path || a->open_id ? &f : NULL, a->offset, &addr);
	return rc < 0 ? out_refused(ctx, "mmap", rc) : print_addr(ctx, "addr", addr);
}

int
cmd_munmap_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)npos;
	return name_addr_len(a, pos, e);
}

int
cmd_munmap_run(struct ctx *ctx, const struct args *a)
{
	int rc = vmac_munmap(ctx->conn, a->name, a->addr, a->len);
	return rc < 0 ? out_refused(ctx, "munmap", rc) : out_done(ctx);
}

int
cmd_mprotect_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)npos;
	if (name_addr_len(a, pos, e) < 0)
		return -1;
	return val_prot(pos[3], &a->prot, e);
}

int
cmd_mprotect_run(struct ctx *ctx, const struct args *a)
{
	int rc = vmac_mprotect(ctx->conn, a->name, a->addr, a->len, a->prot);
	return rc < 0 ? out_refused(ctx, "mprotect", rc) : out_done(ctx);
}

int
cmd_mremap_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	if (name_addr_len(a, pos, e) < 0 || val_number(pos[3], &a->len2, e) < 0)
		return -1;
	if (npos > 4 && val_mremap_flags(pos[4], &a->flags, e) < 0)
		return -1;
	if (npos > 5 && val_number(pos[5], &a->addr2, e) < 0)
		return -1;
	return 0;
}

int
cmd_mremap_run(struct ctx *ctx, const struct args *a)
{
	uint64_t addr = 0;
	int rc = vmac_mremap(ctx->conn, a->name, a->addr, a->len, a->len2, a->flags, a->addr2,
			     &addr);
	return rc < 0 ? out_refused(ctx, "mremap", rc) : print_addr(ctx, "addr", addr);
}

int
cmd_brk_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	if (*pos[0] == '\0')
		return perr_set(e, "empty space name");
	a->name = pos[0];
	return npos > 1 ? val_number(pos[1], &a->addr, e) : 0;
}

int
cmd_brk_run(struct ctx *ctx, const struct args *a)
{
	uint64_t brk = 0;
	int rc = vmac_brk(ctx->conn, a->name, a->addr, &brk);
	return rc < 0 ? out_refused(ctx, "brk", rc) : print_addr(ctx, "brk", brk);
}

int
cmd_populate_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)npos;
	return name_addr_len(a, pos, e);
}

int
cmd_populate_run(struct ctx *ctx, const struct args *a)
{
	int rc = vmac_populate(ctx->conn, a->name, a->addr, a->len, a->write);
	return rc < 0 ? out_refused(ctx, "populate", rc) : out_done(ctx);
}

int
cmd_fault_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)npos;
	if (*pos[0] == '\0')
		return perr_set(e, "empty space name");
	a->name = pos[0];
	if (val_number(pos[1], &a->addr, e) < 0)
		return -1;
	return val_access(pos[2], &a->access, e);
}

int
cmd_fault_run(struct ctx *ctx, const struct args *a)
{
	enum vmac_fault_result res;
	int rc = vmac_fault(ctx->conn, a->name, a->addr, a->access, &res);
	if (rc < 0)
		return out_refused(ctx, "fault", rc);
	static const char *const names[] = {
		[VMAC_FAULT_OK] = "ok",
		[VMAC_FAULT_SEGV_MAPERR] = "SEGV_MAPERR",
		[VMAC_FAULT_SEGV_ACCERR] = "SEGV_ACCERR",
		[VMAC_FAULT_SIGBUS] = "SIGBUS",
	};
	const char *s = names[res];
	const int status = res == VMAC_FAULT_OK ? EXIT_DONE : EXIT_REFUSED;
	if (ctx->json) {
		struct json js = JSON_INIT(stdout), *j = &js;
		json_begin_ok(j);
		json_str_field(j, "result", s);
		return out_json_end(j, status);
	}
	puts(s);
	return status;
}

int
cmd_madvise_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)npos;
	if (name_addr_len(a, pos, e) < 0)
		return -1;
	return val_advice(pos[3], &a->advice, e);
}

int
cmd_madvise_run(struct ctx *ctx, const struct args *a)
{
	int rc = vmac_madvise(ctx->conn, a->name, a->addr, a->len, a->advice);
	return rc < 0 ? out_refused(ctx, "madvise", rc) : out_done(ctx);
}

int
cmd_mlock_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)npos;
	return name_addr_len(a, pos, e);
}

int
cmd_mlock_run(struct ctx *ctx, const struct args *a)
{
	int rc = vmac_mlock2(ctx->conn, a->name, a->addr, a->len,
			     a->onfault ? VMAC_MLOCK_ONFAULT : 0);
	return rc < 0 ? out_refused(ctx, "mlock", rc) : out_done(ctx);
}

int
cmd_munlock_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)npos;
	return name_addr_len(a, pos, e);
}

int
cmd_munlock_run(struct ctx *ctx, const struct args *a)
{
	int rc = vmac_munlock(ctx->conn, a->name, a->addr, a->len);
	return rc < 0 ? out_refused(ctx, "munlock", rc) : out_done(ctx);
}

int
cmd_mseal_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)npos;
	return name_addr_len(a, pos, e);
}

int
cmd_mseal_run(struct ctx *ctx, const struct args *a)
{
	int rc = vmac_mseal(ctx->conn, a->name, a->addr, a->len, 0);
	return rc < 0 ? out_refused(ctx, "mseal", rc) : out_done(ctx);
}

/* A key: a number up to 15 or so (the engine judges), or -1 / "none" where allowed. */
static int
val_pkey(const char *s, bool allow_none, int *out, struct perr *e)
{
	uint64_t v;

	if (allow_none && (!strcmp(s, "-1") || !strcmp(s, "none"))) {
		*out = -1;
		return 0;
	}
	if (val_number(s, &v, e) < 0)
		return -1;
	if (v > INT32_MAX)
		return perr_set(e, "key '%s' is too large", s);
	*out = (int)v;
	return 0;
}

int
cmd_pkey_alloc_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	uint64_t v = 0;

	a->name = pos[0];
	if (npos > 1 && val_number(pos[1], &v, e) < 0)
		return -1;
	if (v > UINT32_MAX)
		return perr_set(e, "access rights '%s' are too large", pos[1]);
	a->init_val = (uint32_t)v;
	return 0;
}

int
cmd_pkey_alloc_run(struct ctx *ctx, const struct args *a)
{
	int pkey = 0, rc = vmac_pkey_alloc(ctx->conn, a->name, 0, a->init_val, &pkey);

	if (rc < 0)
		return out_refused(ctx, "pkey-alloc", rc);
	if (ctx->json) {
		struct json js = JSON_INIT(stdout), *j = &js;
		json_begin_ok(j);
		json_u64_field(j, "pkey", (uint64_t)pkey);
		return out_json_end(j, EXIT_DONE);
	}
	printf("%d\n", pkey);
	return EXIT_DONE;
}

int
cmd_pkey_free_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)npos;
	a->name = pos[0];
	return val_pkey(pos[1], false, &a->pkey, e);
}

int
cmd_pkey_free_run(struct ctx *ctx, const struct args *a)
{
	int rc = vmac_pkey_free(ctx->conn, a->name, a->pkey);
	return rc < 0 ? out_refused(ctx, "pkey-free", rc) : out_done(ctx);
}

int
cmd_pkey_mprotect_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)npos;
	if (name_addr_len(a, pos, e) < 0 || val_prot(pos[3], &a->prot, e) < 0)
		return -1;
	return val_pkey(pos[4], true, &a->pkey, e);
}

int
cmd_pkey_mprotect_run(struct ctx *ctx, const struct args *a)
{
	int rc = vmac_pkey_mprotect(ctx->conn, a->name, a->addr, a->len, a->prot, a->pkey);
	return rc < 0 ? out_refused(ctx, "pkey-mprotect", rc) : out_done(ctx);
}

int
cmd_mlockall_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	(void)npos;
	if (*pos[0] == '\0')
		return perr_set(e, "empty space name");
	a->name = pos[0];
	return val_mcl_flags(pos[1], &a->flags, e);
}

int
cmd_mlockall_run(struct ctx *ctx, const struct args *a)
{
	int rc = vmac_mlockall(ctx->conn, a->name, a->flags);
	return rc < 0 ? out_refused(ctx, "mlockall", rc) : out_done(ctx);
}

int
cmd_munlockall_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	return cmd_name_parse(a, pos, npos, e);
}

int
cmd_munlockall_run(struct ctx *ctx, const struct args *a)
{
	int rc = vmac_munlockall(ctx->conn, a->name);
	return rc < 0 ? out_refused(ctx, "munlockall", rc) : out_done(ctx);
}

int
cmd_anon_name_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	a->anon_name = npos > 3 ? pos[3] : NULL;
	return name_addr_len(a, pos, e);
}

int
cmd_anon_name_run(struct ctx *ctx, const struct args *a)
{
	int rc = vmac_set_vma_anon_name(ctx->conn, a->name, a->addr, a->len, a->anon_name);
	return rc < 0 ? out_refused(ctx, "anon-name", rc) : out_done(ctx);
}
