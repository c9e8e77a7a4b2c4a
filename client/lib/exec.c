/* SPDX-License-Identifier: MIT */
/*
 * vmac_exec(): the program's and its interpreter's headers are read here, in the caller's
 * process, and only their figures go to the daemon, which opens no file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf.h"
#include "internal.h"

/* The daemon's limit on one frame keeps far below this; execve's is MAX_ARG_STRINGS. */
#define EXEC_MAX_STRINGS 0x7fffffffu
/* fs/binfmt_script.c reads this much of a "#!" line; exec nests at most this deep. */
#define EXEC_SCRIPT_BUF  256
#define EXEC_MAX_NESTING 4

/* Both images and their wire form, kept together while the request is encoded. */
struct exec_msg {
	struct elf_image im[2];
	Vmad__V1__ExecSegment seg[2][ELF_MAX_LOADS];
	Vmad__V1__ExecSegment *segp[2][ELF_MAX_LOADS];
	Vmad__V1__File file[2];
	Vmad__V1__ExecImage image[2];
	Vmad__V1__Exec m;
	/* "#!" scripts: their interpreter lines and the argv each level makes (malloc()ed) */
	char line[EXEC_MAX_NESTING][EXEC_SCRIPT_BUF + 1];
	const char **argv[EXEC_MAX_NESTING];
};

VMAC_EXPORT void
vmac_exec_opts_init(struct vmac_exec_opts *opts)
{
	if (opts)
		memset(opts, 0, sizeof(*opts));
}

static void
exec_wire_image(struct exec_msg *x, int i)
{
	const struct elf_image *im = &x->im[i];
	Vmad__V1__File *f = &x->file[i];
	Vmad__V1__ExecImage *w = &x->image[i];

	vmad__v1__file__init(f);
	f->path = (char *)im->path;
	f->has_mode = f->has_dev_major = f->has_dev_minor = f->has_ino = f->has_size = 1;
	f->mode = VMAC_FMODE_READ;
	f->dev_major = im->dev_major;
	f->dev_minor = im->dev_minor;
	f->ino = im->ino;
	f->size = im->size;
	vmad__v1__exec_image__init(w);
	for (uint32_t k = 0; k < im->nload; k++) {
		Vmad__V1__ExecSegment *s = &x->seg[i][k];
		vmad__v1__exec_segment__init(s);
		s->has_vaddr = s->has_offset = s->has_filesz = s->has_memsz = 1;
		s->has_align = s->has_prot = 1;
		s->vaddr = im->load[k].vaddr;
		s->offset = im->load[k].offset;
		s->filesz = im->load[k].filesz;
		s->memsz = im->load[k].memsz;
		s->align = im->load[k].align;
		s->prot = im->load[k].prot;
		x->segp[i][k] = s;
	}
	w->n_segments = im->nload;
	w->segments = x->segp[i];
	w->has_dyn = w->has_entry = 1;
	w->dyn = im->dyn;
	w->entry = im->entry;
	w->file = f;
}

/* Bytes of a NULL-terminated string array, NULs included, and its length. */
static int
exec_count(const char *const *v, uint64_t *bytes, uint64_t *count)
{
	*bytes = *count = 0;
	for (; v && *v; v++) {
		if (++*count > EXEC_MAX_STRINGS)
			return -E2BIG;
		*bytes += strlen(*v) + 1;
	}
	return 0;
}

static int
exec_strings(Vmad__V1__Exec *m, const char *program, const char *const argv[],
	     const char *const *envp)
{
	int r;

	if ((r = exec_count(argv, &m->argv_len, &m->argc)) < 0 ||
	    (r = exec_count(envp, &m->envp_len, &m->envc)) < 0)
		return r;
	m->has_argv_len = m->has_argc = m->has_envp_len = m->has_envc = 1;
	m->has_filename_len = 1;
	m->filename_len = strlen(program) + 1;
	return 0;
}

/*
 * A "#!" line as load_script() reads it: the interpreter's name and one optional argument,
 * blanks trimmed.  1 if path is a script (name and arg point into line), 0 if not.
 */
static int
exec_script_line(const char *path, char *line, char **name, char **arg)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	char *p, *end;

	if (fd < 0)
		return -errno;
	n = read(fd, line, EXEC_SCRIPT_BUF);
	close(fd);
	if (n < 2 || line[0] != '#' || line[1] != '!')
		return n < 0 ? -errno : 0;
	line[n] = '\0';
	end = memchr(line, '\n', (size_t)n);
	if (!end && strpbrk(line + 2, " \t") == NULL && n == EXEC_SCRIPT_BUF)
		return -ENOEXEC; /* a name cut short by the buffer */
	end = end ? end : line + n;
	*end = '\0';
	while (end > line + 2 && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	for (p = line + 2; *p == ' ' || *p == '\t'; p++)
		;
	if (!*p)
		return -ENOEXEC;
	*name = p;
	p += strcspn(p, " \t");
	*arg = NULL;
	if (*p) {
		*p++ = '\0';
		p += strspn(p, " \t");
		*arg = *p ? p : NULL;
	}
	return 1;
}

/* argv as load_script() leaves it: interpreter, its argument, the script, then argv[1..]. */
static const char **
exec_script_argv(const char *name, const char *arg, const char *script, const char *const *argv)
{
	size_t n = 0, k = 0;
	const char **v;

	while (argv[n])
		n++;
	v = calloc(n + 4, sizeof(*v));
	if (!v)
		return NULL;
	v[k++] = name;
	if (arg)
		v[k++] = arg;
	v[k++] = script;
	for (size_t i = 1; i < n; i++)
		v[k++] = argv[i];
	return v;
}

/* Follows "#!" lines to the ELF program that is loaded; *argv becomes the argv it gets. */
static int
exec_resolve(struct exec_msg *x, const char **program, const char *const **argv)
{
	char *name = NULL, *arg = NULL;
	int r;

	for (int level = 0; level <= EXEC_MAX_NESTING; level++) {
		if (level == EXEC_MAX_NESTING)
			return -ELOOP;
		r = exec_script_line(*program, x->line[level], &name, &arg);
		if (r <= 0)
			return r;
		x->argv[level] = exec_script_argv(name, arg, *program, *argv);
		if (!x->argv[level])
			return -ENOMEM;
		*argv = x->argv[level];
		*program = name;
	}
	return 0;
}

/* The images: the program, then its interpreter, which must be of the same class. */
static int
exec_read_images(struct exec_msg *x, const char *program)
{
	int r = elf_read(program, &x->im[0]);

	if (r < 0 || !x->im[0].interp[0])
		return r;
	if ((r = elf_read(x->im[0].interp, &x->im[1])) < 0)
		return r == -ENOENT ? -ENOENT : r;
	return x->im[1].is64 == x->im[0].is64 ? 0 : -ELIBBAD;
}

static int
exec_build(struct exec_msg *x, const char *name, const char *program, const char *const argv[],
	   const struct vmac_exec_opts *o)
{
	Vmad__V1__Exec *m = &x->m;
	const char *file = program;
	int r;

	if ((r = exec_resolve(x, &file, &argv)) < 0 || (r = exec_read_images(x, file)) < 0)
		return r;
	vmad__v1__exec__init(m);
	m->name = (char *)name;
	m->has_layout = m->has_stack = 1;
	m->layout = x->im[0].is64 ? VMAD__V1__LAYOUT__LAYOUT_X86_64 : VMAD__V1__LAYOUT__LAYOUT_I386;
	m->stack = (uint32_t)x->im[0].stack;
	exec_wire_image(x, 0);
	m->program = &x->image[0];
	if (x->im[0].interp[0]) {
		exec_wire_image(x, 1);
		m->interp = &x->image[1];
	}
	m->has_mode = o->mode != 0;
	m->mode = o->mode;
	m->has_rlimit_stack = o->rlimit_stack != 0;
	m->rlimit_stack = o->rlimit_stack;
	m->has_personality = o->personality != 0;
	m->personality = o->personality;
	return exec_strings(m, program, argv, o->envp);
}

static int
exec_apply(struct vmac_conn *c, Response **rp, void *const out[2], int err)
{
	const Vmad__V1__ExecResult *w = (*rp)->exec;
	struct vmac_exec_info *in = out[0];

	if (err)
		return err;
	if ((*rp)->result_case != VMAD__V1__RESPONSE__RESULT_EXEC || !w)
		return conn_protocol_error(c);
	if (!in)
		return 0;
	*in = (struct vmac_exec_info){ .start_code = w->start_code,
				       .end_code = w->end_code,
				       .start_data = w->start_data,
				       .end_data = w->end_data,
				       .start_brk = w->start_brk,
				       .brk = w->brk,
				       .start_stack = w->start_stack,
				       .arg_start = w->arg_start,
				       .arg_end = w->arg_end,
				       .env_start = w->env_start,
				       .env_end = w->env_end,
				       .entry = w->entry,
				       .load_bias = w->load_bias,
				       .interp_base = w->interp_base,
				       .vdso_base = w->vdso_base };
	return 0;
}

VMAC_EXPORT int
vmac_exec(struct vmac_conn *c, const char *name, const char *program, const char *const argv[],
	  const struct vmac_exec_opts *opts, struct vmac_exec_info *info)
{
	struct vmac_exec_opts defaults = { 0 };
	struct exec_msg *x;
	Request req = VMAD__V1__REQUEST__INIT;
	int r;

	if (!name || !program || !argv)
		return -EINVAL;
	for (size_t i = 0; opts && i < sizeof(opts->reserved) / sizeof(opts->reserved[0]); i++)
		if (opts->reserved[i])
			return -EINVAL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	r = exec_build(x, name, program, argv, opts ? opts : &defaults);
	if (r < 0)
		conn_set_last(c, NULL); /* a refusal of ours: vmac_errmsg() is "" */
	if (r == 0) {
		req.op_case = VMAD__V1__REQUEST__OP_EXEC;
		req.exec = &x->m;
		r = conn_submit(c, &req, exec_apply, info, NULL);
	}
	for (int i = 0; i < EXEC_MAX_NESTING; i++)
		free(x->argv[i]);
	free(x);
	return r;
}
