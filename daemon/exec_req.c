/* SPDX-License-Identifier: MIT */
#include "exec_req.h"

#include <errno.h>
#include <string.h>

#include "arena.h"

#define EXEC_PATH_MAX 4096

static uint32_t
exec_req_prot(uint32_t prot)
{
	return prot & (MM_PROT_READ | MM_PROT_WRITE | MM_PROT_EXEC);
}

/* An executable is opened for reading (open_exec()); its identity is the client's stat. */
static int
exec_req_file(const Vmad__V1__File *f, struct mm_file_desc *out, const char **why)
{
	if (!f || !f->path || !f->path[0] || strlen(f->path) >= EXEC_PATH_MAX) {
		*why = "an exec image needs its file's path (below 4096 bytes)";
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	out->path = f->path;
	out->instance = f->instance;
	out->mode = MM_FMODE_READ;
	out->dev_major = f->dev_major;
	out->dev_minor = f->dev_minor;
	out->ino = f->ino;
	out->size = f->has_size ? f->size : MM_FILE_SIZE_UNKNOWN;
	out->noexec = f->noexec;
	out->deleted = f->deleted;
	return 0;
}

static int
exec_req_image(const Vmad__V1__ExecImage *m, struct mm_exec_segment *seg, struct mm_exec_image *out,
	       const char **why)
{
	if (!m || !m->n_segments || m->n_segments > MM_EXEC_MAX_SEGMENTS) {
		*why = "an exec image needs 1 to 64 PT_LOAD segments";
		return -EINVAL;
	}
	for (size_t i = 0; i < m->n_segments; i++) {
		const Vmad__V1__ExecSegment *s = m->segments[i];
		seg[i] = (struct mm_exec_segment){ .vaddr = s->vaddr,
						   .offset = s->offset,
						   .filesz = s->filesz,
						   .memsz = s->memsz,
						   .align = s->align,
						   .prot = exec_req_prot(s->prot) };
	}
	out->seg = seg;
	out->nseg = (uint32_t)m->n_segments;
	out->dyn = m->dyn;
	out->entry = m->entry;
	return exec_req_file(m->file, &out->file, why);
}

int
exec_req_parse(const Vmad__V1__Exec *m, struct exec_req *out, const char **why)
{
	int r;

	if (m->has_layout && (m->layout < VMAD__V1__LAYOUT__LAYOUT_X86_64 ||
			      m->layout > VMAD__V1__LAYOUT__LAYOUT_I386)) {
		*why = "unknown layout";
		return -EINVAL;
	}
	if (m->stack > MM_EXEC_STACK_EXEC) {
		*why = "stack is 0 (no PT_GNU_STACK), 1 (not executable) or 2 (executable)";
		return -EINVAL;
	}
	if ((r = exec_req_image(m->program, out->seg[0], &out->exe, why)) < 0 ||
	    (m->interp && (r = exec_req_image(m->interp, out->seg[1], &out->interp, why)) < 0))
		return r;
	mm_config_init(&out->cfg, (enum mm_layout)(m->has_layout ? m->layout : 0));
	if (m->has_rlimit_stack)
		out->cfg.rlimit_stack = m->rlimit_stack;
	if (m->personality & ~MM_PER_MODELLED) {
		*why = "personality bits not modelled";
		return -EINVAL;
	}
	out->cfg.personality = m->personality;
	out->args = (struct mm_exec_args){ .exe = out->exe,
					   .interp = m->interp ? &out->interp : NULL,
					   .stack = (enum mm_exec_stack)m->stack,
					   .filename_len = m->filename_len,
					   .argv_len = m->argv_len,
					   .envp_len = m->envp_len,
					   .argc = m->argc,
					   .envc = m->envc };
	return 0;
}

Vmad__V1__ExecResult *
exec_req_result(struct arena *a, const struct mm_exec_info *in)
{
	Vmad__V1__ExecResult *r = arena_alloc(a, sizeof(*r));

	if (!r)
		return NULL;
	vmad__v1__exec_result__init(r);
	r->has_start_code = r->has_end_code = r->has_start_data = r->has_end_data = true;
	r->has_start_brk = r->has_brk = r->has_start_stack = r->has_arg_start = true;
	r->has_arg_end = r->has_env_start = r->has_env_end = r->has_entry = true;
	r->has_load_bias = r->has_interp_base = r->has_vdso_base = true;
	r->start_code = in->start_code;
	r->end_code = in->end_code;
	r->start_data = in->start_data;
	r->end_data = in->end_data;
	r->start_brk = in->start_brk;
	r->brk = in->brk;
	r->start_stack = in->start_stack;
	r->arg_start = in->arg_start;
	r->arg_end = in->arg_end;
	r->env_start = in->env_start;
	r->env_end = in->env_end;
	r->entry = in->entry;
	r->load_bias = in->load_bias;
	r->interp_base = in->interp_base;
	r->vdso_base = in->vdso_base;
	return r;
}
