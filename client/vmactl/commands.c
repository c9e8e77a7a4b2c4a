/* SPDX-License-Identifier: MIT */
/*
 * The command table: each command's synopsis, options, argument count, and its parse and run
 * functions; the generic argument parser; help.
 */
#include <stdio.h>
#include <string.h>

#include "vmactl.h"

enum {
	CMD_LOCAL = 1,    /* needs no daemon */
	CMD_NO_BATCH = 2, /* cannot be a line of a batch */
	CMD_RAW = 4,      /* parses its own options: every argument is positional */
};

struct opt_spec {
	const char *name; /* without the leading "--" */
	bool has_value;
	int (*set)(struct args *a, const char *v, struct perr *e);
};

struct command {
	const char *name;
	const char *synopsis;
	const char *help;
	int min_pos, max_pos;
	const struct opt_spec *opts;
	int (*parse)(struct args *a, char **pos, int npos, struct perr *e);
	int (*run)(struct ctx *ctx, const struct args *a);
	unsigned flags;
};

/* ---- option setters --------------------------------------------------------------------- */

#define OPT_NUMBER(fn, field, bit)                                                                 \
	static int fn(struct args *a, const char *v, struct perr *e)                               \
	{                                                                                          \
		a->create.set |= (bit);                                                            \
		return val_number(v, &a->create.field, e);                                         \
	}
#define OPT_RLIMIT(fn, field, bit)                                                                 \
	static int fn(struct args *a, const char *v, struct perr *e)                               \
	{                                                                                          \
		a->create.set |= (bit);                                                            \
		return val_rlimit(v, &a->create.field, e);                                         \
	}

OPT_NUMBER(opt_task_size, task_size, VMAC_OPT_TASK_SIZE)
OPT_NUMBER(opt_mmap_base, mmap_base, VMAC_OPT_MMAP_BASE)
OPT_NUMBER(opt_start_brk, start_brk, VMAC_OPT_START_BRK)
OPT_NUMBER(opt_max_map_count, max_map_count, VMAC_OPT_MAX_MAP_COUNT)
OPT_RLIMIT(opt_rlimit_as, rlimit_as, VMAC_OPT_RLIMIT_AS)
OPT_RLIMIT(opt_rlimit_data, rlimit_data, VMAC_OPT_RLIMIT_DATA)
OPT_RLIMIT(opt_rlimit_stack, rlimit_stack, VMAC_OPT_RLIMIT_STACK)
OPT_RLIMIT(opt_rlimit_memlock, rlimit_memlock, VMAC_OPT_RLIMIT_MEMLOCK)

static int
opt_layout(struct args *a, const char *v, struct perr *e)
{
	return val_layout(v, &a->create.layout, e);
}

static int
opt_personality(struct args *a, const char *v, struct perr *e)
{
	return val_personality(v, &a->create_ext.personality, e);
}

static int
opt_mode(struct args *a, const char *v, struct perr *e)
{
	a->create.set |= VMAC_OPT_MODE;
	return val_mode(v, &a->create.mode, e);
}

static int
opt_with_stack(struct args *a, const char *v, struct perr *e)
{
	(void)v, (void)e;
	a->create.with_stack = true;
	return 0;
}

static int
opt_file(struct args *a, const char *v, struct perr *e)
{
	if (*v == '\0')
		return perr_set(e, "--file needs a path");
	a->path = v;
	return 0;
}

static int
opt_offset(struct args *a, const char *v, struct perr *e)
{
	return val_number(v, &a->offset, e);
}

static int
opt_file_id(struct args *a, const char *v, struct perr *e)
{
	return val_number(v, &a->file_id, e);
}

static int
opt_file_mode(struct args *a, const char *v, struct perr *e)
{
	return val_file_mode(v, &a->file_mode, e);
}

static int
opt_open(struct args *a, const char *v, struct perr *e)
{
	if (val_number(v, &a->open_id, e) < 0)
		return -1;
	return a->open_id ? 0 : perr_set(e, "--open needs a file id (not 0)");
}

static int
opt_kind(struct args *a, const char *v, struct perr *e)
{
	return val_file_kind(v, &a->kind, e);
}

static int
opt_size(struct args *a, const char *v, struct perr *e)
{
	a->has_size = true;
	return val_number(v, &a->size, e);
}

static int
opt_deleted(struct args *a, const char *v, struct perr *e)
{
	(void)v, (void)e;
	a->deleted = true;
	return 0;
}

static int
opt_prev(struct args *a, const char *v, struct perr *e)
{
	(void)v, (void)e;
	a->prev = true;
	return 0;
}

static int
opt_view(struct args *a, const char *v, struct perr *e)
{
	(void)v, (void)e;
	a->view = true;
	return 0;
}

static int
opt_write(struct args *a, const char *v, struct perr *e)
{
	(void)v, (void)e;
	a->write = true;
	return 0;
}

static int
opt_onfault(struct args *a, const char *v, struct perr *e)
{
	(void)v, (void)e;
	a->onfault = true;
	return 0;
}

static int
opt_pku(struct args *a, const char *v, struct perr *e)
{
	(void)v, (void)e;
	a->create_ext.features |= VMAC_FEATURE_PKU;
	return 0;
}

static int
opt_anon_vma_name(struct args *a, const char *v, struct perr *e)
{
	(void)v, (void)e;
	a->create_ext.features |= VMAC_FEATURE_ANON_VMA_NAME;
	return 0;
}

static const struct opt_spec create_opts[] = {
	{ "layout", true, opt_layout },
	{ "task-size", true, opt_task_size },
	{ "mmap-base", true, opt_mmap_base },
	{ "start-brk", true, opt_start_brk },
	{ "with-stack", false, opt_with_stack },
	{ "pku", false, opt_pku },
	{ "max-map-count", true, opt_max_map_count },
	{ "rlimit-as", true, opt_rlimit_as },
	{ "rlimit-data", true, opt_rlimit_data },
	{ "rlimit-stack", true, opt_rlimit_stack },
	{ "rlimit-memlock", true, opt_rlimit_memlock },
	{ "mode", true, opt_mode },
	{ "personality", true, opt_personality },
	{ "anon-vma-name", false, opt_anon_vma_name },
	{ NULL, false, NULL },
};

static const struct opt_spec import_opts[] = {
	{ "layout", true, opt_layout },
	{ "mode", true, opt_mode },
	{ NULL, false, NULL },
};

static const struct opt_spec restore_opts[] = {
	{ "mode", true, opt_mode },
	{ NULL, false, NULL },
};

static const struct opt_spec mmap_opts[] = {
	{ "file", true, opt_file },
	{ "offset", true, opt_offset },
	{ "file-id", true, opt_file_id },
	{ "file-mode", true, opt_file_mode },
	{ "kind", true, opt_kind },
	{ "open", true, opt_open },
	{ NULL, false, NULL },
};

static const struct opt_spec file_open_opts[] = {
	{ "kind", true, opt_kind },       { "file-mode", true, opt_file_mode },
	{ "size", true, opt_size },       { "deleted", false, opt_deleted },
	{ "file-id", true, opt_file_id }, { NULL, false, NULL },
};

static int
opt_rollup(struct args *a, const char *v, struct perr *e)
{
	(void)v, (void)e;
	a->rollup = true;
	return 0;
}

static const struct opt_spec smaps_opts[] = { { "rollup", false, opt_rollup },
					      { NULL, false, NULL } };
static const struct opt_spec find_opts[] = { { "prev", false, opt_prev },
					     { "view", false, opt_view },
					     { NULL, false, NULL } };
static const struct opt_spec populate_opts[] = { { "write", false, opt_write },
						 { NULL, false, NULL } };
static const struct opt_spec mlock_opts[] = { { "onfault", false, opt_onfault },
					      { NULL, false, NULL } };

/* ---- the table -------------------------------------------------------------------------- */

#define CMD(n, syn, min, max, opts, flags, help)                                                   \
	{                                                                                          \
#n, syn, help, min, max, opts, cmd_##n##_parse, cmd_##n##_run, flags               \
	}
/* A command whose name has a dash: the C name n, the command name s. */
#define CMDS(s, n, syn, min, max, opts, flags, help)                                               \
	{                                                                                          \
		s, syn, help, min, max, opts, cmd_##n##_parse, cmd_##n##_run, flags                \
	}

static const struct command commands[] = {
	CMD(create,
	    "NAME [--layout x86_64|x86_64-legacy|i386] [--task-size N] [--mmap-base A] "
	    "[--start-brk A] [--with-stack] [--max-map-count N] [--rlimit-as N] [--rlimit-data N] "
	    "[--rlimit-stack N] [--rlimit-memlock N] [--mode OCTAL] [--pku] [--personality P] "
	    "[--anon-vma-name]",
	    1, 1, create_opts, 0,
	    "Create an empty address space.  Defaults: an x86_64 process without address\n"
	    "randomisation: TASK_SIZE 0x7ffffffff000, mmap_base 0x7ffff7fff000 (8 MiB stack\n"
	    "rlimit), max_map_count 65530, RLIMIT_AS/DATA unlimited, RLIMIT_STACK/MEMLOCK 8M,\n"
	    "mode 0600.  Limits take 'unlimited'.  --with-stack adds the [stack] VMA exec makes.\n"
	    "--pku: a machine with protection keys (else pkey-alloc answers as a CPU without).\n"
	    "--personality: the personality(2) bits exec left, a ,/| list of\n"
	    "addr_compat_layout (bottom-up layout), read_implies_exec (PROT_READ implies\n"
	    "PROT_EXEC), addr_limit_3gb (an i386 space of at most 3 GiB), addr_limit_32bit\n"
	    "(no effect on x86), PER_ prefix, case and '-' for '_' optional, or a number."),
	CMD(destroy, "NAME", 1, 1, NULL, 0, "Destroy an address space (its owner or root only)."),
	CMD(list, "", 0, 0, NULL, 0,
	    "One line per space: name, map count, VmSize kB, VmRSS kB, owner uid."),
	CMD(fork, "SRC DST", 2, 2, NULL, 0, "Create DST as SRC after fork()."),
	CMD(mmap,
	    "NAME ADDR LEN PROT FLAGS [--file PATH] [--offset N] [--file-id N] "
	    "[--file-mode r|rw|w] [--kind disk|tmpfs|zero] [--open ID]",
	    5, 5, mmap_opts, 0,
	    "Map memory; prints the address.  ADDR 0 = no hint.\n"
	    "PROT: rwx letters (rw-, r-x, ---), none, or a ,/| list of read, write, exec\n"
	    "(PROT_ prefix and case optional).\n"
	    "FLAGS: a ,/| list of shared, private, anonymous (anon), fixed, fixed_noreplace,\n"
	    "growsdown, populate, noreserve, locked, stack (MAP_ prefix and case optional).\n"
	    "With --file, mappings of PATH merge only with the same --file-id (an open-\n"
	    "instance number, default 0); --file-mode is how the file was opened (default\n"
	    "rw).  When PATH exists here, its device, inode and size are sent too.\n"
	    "--kind says what PATH is: disk (the default: a regular file on a disk\n"
	    "filesystem), tmpfs (memfd, /dev/shm) or zero (/dev/zero).  --open ID maps the\n"
	    "file file-open registered instead of --file."),
	CMD(munmap, "NAME ADDR LEN", 3, 3, NULL, 0, "Unmap a range."),
	CMD(mprotect, "NAME ADDR LEN PROT", 4, 4, NULL, 0,
	    "Change the protection of a range.  PROT: rwx letters (rw-, r-x, ---), none, or a\n"
	    ",/| list of read, write, exec, growsdown, growsup (PROT_ prefix optional)."),
	CMD(mremap, "NAME ADDR OLDLEN NEWLEN [FLAGS [NEWADDR]]", 4, 6, NULL, 0,
	    "Resize or move a mapping; prints the new address.  FLAGS: none, or a list of\n"
	    "maymove, fixed, dontunmap."),
	CMD(brk, "NAME [ADDR]", 1, 2, NULL, 0,
	    "Move the program break (no ADDR: query); prints the break after the call,\n"
	    "unchanged when it could not move."),
	CMDS("file-open", file_open,
	     "NAME PATH [--kind disk|tmpfs|zero] [--file-mode r|rw|w] [--size N] [--deleted] "
	     "[--file-id N]",
	     2, 2, file_open_opts, 0,
	     "Register an open file description of PATH in the space (the kernel's struct file\n"
	     "and inode); prints its id, which mmap --open uses.  Mappings of one open file\n"
	     "merge; faults compare with its current size.  When PATH exists here, its\n"
	     "device, inode, size and noexec mount flag are taken from it (--size overrides)."),
	CMDS("file-size", file_size, "NAME ID SIZE", 3, 3, NULL, 0,
	     "Set an open file's size (truncate, or a write past the end).  Shrinking drops\n"
	     "the pages beyond the new end from every mapping; faults there then get SIGBUS."),
	CMDS("file-unlink", file_unlink, "NAME ID", 2, 2, NULL, 0,
	     "Mark an open file unlinked: maps shows its mappings with \" (deleted)\"."),
	CMDS("file-close", file_close, "NAME ID", 2, 2, NULL, 0,
	     "Close an open file: its mappings stay, the id no longer names it."),
	CMDS("set-brk", set_brk, "NAME START_BRK [BRK]", 2, 3, NULL, 0,
	     "Set the program break (start_brk, and brk, default start_brk), e.g. after\n"
	     "import when the kernel put it elsewhere than import inferred."),
	CMD(find, "NAME ADDR [END] [--prev]", 2, 3, find_opts, 0,
	    "Print the maps line of the first VMA ending above ADDR (find_vma); with END, the\n"
	    "first one overlapping [ADDR, END); with --prev, then also the one before it.\n"
	    "With --view, the answer comes from a read-only view of the space mapped here.\n"
	    "No VMA: prints nothing and exits 1."),
	CMD(check, "NAME ADDR LEN PROT", 4, 4, NULL, 0,
	    "From a view of the space: ok if every byte of [ADDR, ADDR+LEN) is mapped with at\n"
	    "least PROT (none: mapped at all); else the first address that is not, exit 1."),
	CMD(populate, "NAME ADDR LEN [--write]", 3, 3, populate_opts, 0,
	    "Make pages resident as mm_populate() would."),
	CMD(fault, "NAME ADDR read|write|exec", 3, 3, NULL, 0,
	    "Fault at ADDR: prints ok, or the signal the process would get (SEGV_MAPERR,\n"
	    "SEGV_ACCERR, or SIGBUS beyond the end of a file) and exits 1."),
	CMD(madvise, "NAME ADDR LEN ADVICE", 4, 4, NULL, 0,
	    "madvise(2).  ADVICE: normal, random, sequential, willneed, dontneed, free,\n"
	    "remove, dontfork, dofork, mergeable, unmergeable, hugepage, nohugepage,\n"
	    "dontdump, dodump, wipeonfork, keeponfork, cold, pageout, populate_read,\n"
	    "populate_write, guard_install, guard_remove (MADV_ prefix and case optional),\n"
	    "or a number."),
	CMD(mlock, "NAME ADDR LEN [--onfault]", 3, 3, mlock_opts, 0,
	    "Lock a range (mlock2 with MLOCK_ONFAULT when --onfault)."),
	CMD(munlock, "NAME ADDR LEN", 3, 3, NULL, 0, "Unlock a range."),
	CMD(mlockall, "NAME FLAGS", 2, 2, NULL, 0,
	    "Lock the whole space (mlockall(2)).  FLAGS: a ','/'|' list of current (lock\n"
	    "every mapping now and populate it), future (lock later mmaps and brk growth),\n"
	    "onfault (with either: lock without populating); MCL_ prefix optional."),
	CMD(munlockall, "NAME", 1, 1, NULL, 0,
	    "Unlock every mapping, and stop locking later ones (munlockall(2))."),
	CMD(mseal, "NAME ADDR LEN", 3, 3, NULL, 0,
	    "Seal the mappings of a range (mseal(2)): munmap, mremap, mprotect, MAP_FIXED\n"
	    "over them and madvise that discards read-only anonymous memory then fail\n"
	    "with EPERM."),
	CMDS("pkey-alloc", pkey_alloc, "NAME [INIT_VAL]", 1, 2, NULL, 0,
	     "pkey_alloc(2): print the new protection key.  INIT_VAL: 1 (PKEY_DISABLE_ACCESS)\n"
	     "and/or 2 (PKEY_DISABLE_WRITE).  Only a space created with --pku has\n"
	     "keys; others answer as a CPU without PKU (EINVAL, then ENOSPC)."),
	CMDS("pkey-free", pkey_free, "NAME KEY", 2, 2, NULL, 0, "pkey_free(2)."),
	CMDS("pkey-mprotect", pkey_mprotect, "NAME ADDR LEN PROT KEY", 5, 5, NULL, 0,
	     "pkey_mprotect(2): mprotect that also gives the range protection key KEY\n"
	     "(none or -1: keep each mapping's)."),
	CMD(maps, "NAME", 1, 1, NULL, 0, "Print the space in /proc/PID/maps format."),
	CMD(status, "NAME", 1, 1, NULL, 0, "Print /proc/PID/status style memory lines."),
	CMDS("anon-name", anon_name, "NAME ADDR LEN [ANON_NAME]", 3, 4, NULL, 0,
	     "Name the anonymous mappings of a range (prctl PR_SET_VMA_ANON_NAME); without\n"
	     "ANON_NAME, clear their names.  Needs a space created with --anon-vma-name."),
	CMD(smaps, "NAME [--rollup]", 1, 1, smaps_opts, 0,
	    "Print the space in /proc/PID/smaps format; with --rollup, /proc/PID/smaps_rollup."),
	CMD(import, "NAME [FILE|-] [--layout L] [--mode OCTAL]", 1, 2, import_opts, 0,
	    "Create NAME from /proc/PID/maps text read from FILE (default: standard input)."),
	CMD(save, "NAME FILE", 2, 2, NULL, 0,
	    "Write the space, exactly, to FILE (- for standard output) in a versioned format\n"
	    "that any vmad restores."),
	CMD(restore, "NAME FILE [--mode OCTAL]", 2, 2, restore_opts, 0,
	    "Create NAME from a file written by save, or replace an existing NAME's contents\n"
	    "(its owner, mode and watchers stay).  --mode applies to a new space."),
	CMD(watch, "NAME", 1, 1, NULL, CMD_NO_BATCH,
	    "Print one line per change to the space as it happens, until interrupted."),
	CMD(stats, "", 0, 0, NULL, 0,
	    "Daemon-wide figures: clients, spaces, VMAs, requests served, errors."),
	CMD(usage, "", 0, 0, NULL, 0,
	    "Each owner's spaces and VMAs against the per-uid quotas, and the daemon's memory\n"
	    "in use against its budget (root sees every uid, others their own)."),
	CMD(ping, "", 0, 0, NULL, 0, "Print pong if the daemon answers."),
	CMD(exec, "NAME [--env K=V]... [--personality P] [--] PROGRAM [ARG...]", 2, -1, NULL,
	    CMD_RAW,
	    "Make NAME (or replace its contents, keeping its owner and mode) the layout\n"
	    "execve(2) leaves at PROGRAM's first instruction with address randomisation off:\n"
	    "argv is PROGRAM and the ARGs exactly as given, the environment exactly the --env\n"
	    "values (none by default).  PROGRAM's ELF headers and its interpreter's are read\n"
	    "here; an i386 program gives an i386 space.  --personality (as for create) is\n"
	    "what personality(2) set before execve: addr_compat_layout lays the space out\n"
	    "bottom-up, addr_limit_3gb gives an i386 program 3 GiB, a 64-bit program drops\n"
	    "read_implies_exec.  With --json, prints the mm fields exec set (start_code ...\n"
	    "env_end) and the entry point."),
	CMD(shadow, "NAME [--follow-forks] [--] PROGRAM [ARG...]", 2, -1, NULL,
	    CMD_RAW | CMD_NO_BATCH,
	    "Run PROGRAM under ptrace without address randomisation, build NAME from its exec\n"
	    "and mirror every memory system call it makes (mmap, munmap, mprotect,\n"
	    "pkey_mprotect, mremap, brk, madvise, mlock, mlock2, munlock) into NAME, with the\n"
	    "pages it wrote and its stack growth; after each, compare NAME with the process's\n"
	    "/proc/PID/maps and status.  Prints the first divergence and a summary on standard\n"
	    "error; exits 1 on a divergence.  Threads share NAME; with --follow-forks a fork\n"
	    "child becomes the forked space NAME.PID (else it runs untraced), and an exec in a\n"
	    "followed process rebuilds its space."),
	CMD(batch, "[FILE|-]", 0, 1, NULL, CMD_LOCAL | CMD_NO_BATCH,
	    "Run one command per line over one connection ('#' comments and blank lines are\n"
	    "ignored), each printing what it prints alone.  A refused command does not stop\n"
	    "the batch, nor does a line that cannot be parsed (it is reported and skipped).\n"
	    "Exit status: 2 if a line could not be parsed, else 1 if a command was refused."),
	CMD(help, "[COMMAND]", 0, 1, NULL, CMD_LOCAL, "Describe all commands, or one."),
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

const struct command *
cmd_lookup(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* ---- parsing ---------------------------------------------------------------------------- */

#define MAX_POS 8

static const struct opt_spec *
find_opt(const struct command *c, const char *name, size_t n)
{
	for (const struct opt_spec *o = c->opts; o && o->name; o++)
		if (strlen(o->name) == n && strncmp(o->name, name, n) == 0)
			return o;
	return NULL;
}

/* "--name", "--name=value" or "--name value".  Returns the arguments consumed, or -1. */
static int
parse_opt(const struct command *c, char **argv, int argc, struct args *a, struct perr *e)
{
	const char *name = argv[0] + 2;
	const char *eq = strchr(name, '=');
	size_t n = eq ? (size_t)(eq - name) : strlen(name);
	const struct opt_spec *o = find_opt(c, name, n);
	if (o == NULL)
		return perr_set(e, "unknown option '%s'", argv[0]);
	if (!o->has_value) {
		if (eq)
			return perr_set(e, "option --%s takes no value", o->name);
		return o->set(a, NULL, e) < 0 ? -1 : 1;
	}
	if (eq)
		return o->set(a, eq + 1, e) < 0 ? -1 : 1;
	if (argc < 2)
		return perr_set(e, "option --%s needs a value", o->name);
	return o->set(a, argv[1], e) < 0 ? -1 : 2;
}

/* "--x" and "---" are protections written with rwx letters, not options. */
static bool
is_option(const char *s)
{
	bool prot_letters =
		strlen(s) == 3 && strchr("r-", s[0]) && strchr("w-", s[1]) && strchr("x-", s[2]);
	return s[0] == '-' && s[1] == '-' && s[2] != '\0' && !prot_letters;
}

int
cmd_parse(int argc, char **argv, struct invocation *inv, struct perr *e)
{
	memset(inv, 0, sizeof(*inv));
	inv->cmd = cmd_lookup(argv[0]);
	if (inv->cmd == NULL)
		return perr_set(e, "unknown command '%s' (see vmactl help)", argv[0]);
	const struct command *c = inv->cmd;
	char *pos[MAX_POS];
	int npos = 0;
	bool opts_done = false;
	if (c->flags & CMD_RAW) {
		if (argc - 1 < c->min_pos)
			return perr_set(e, "missing arguments; usage: vmactl %s %s", c->name,
					c->synopsis);
		return c->parse(&inv->args, argv + 1, argc - 1, e);
	}
	for (int i = 1; i < argc;) {
		if (!opts_done && (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)) {
			/* "vmactl mmap --help" is "vmactl help mmap". */
			inv->args.topic = c->name;
			inv->cmd = cmd_lookup("help");
			return 0;
		}
		if (!opts_done && (strcmp(argv[i], "-j") == 0 || strcmp(argv[i], "--json") == 0)) {
			/* The global option, given after the command as systemctl allows. */
			inv->json = true;
			i++;
		} else if (!opts_done && strcmp(argv[i], "--") == 0) {
			opts_done = true;
			i++;
		} else if (!opts_done && is_option(argv[i])) {
			int used = parse_opt(c, argv + i, argc - i, &inv->args, e);
			if (used < 0)
				return -1;
			i += used;
		} else {
			if (npos == MAX_POS || npos == c->max_pos)
				return perr_set(e, "too many arguments; usage: vmactl %s%s%s",
						c->name, *c->synopsis ? " " : "", c->synopsis);
			pos[npos++] = argv[i++];
		}
	}
	if (npos < c->min_pos)
		return perr_set(e, "missing arguments; usage: vmactl %s %s", c->name, c->synopsis);
	return c->parse(&inv->args, pos, npos, e);
}

int
cmd_run(struct ctx *ctx, const struct invocation *inv)
{
	return inv->cmd->run(ctx, &inv->args);
}

bool
cmd_needs_daemon(const struct invocation *inv)
{
	return !(inv->cmd->flags & CMD_LOCAL);
}

bool
cmd_allowed_in_batch(const struct invocation *inv)
{
	return !(inv->cmd->flags & CMD_NO_BATCH);
}

bool
cmd_reads_stdin(const struct invocation *inv)
{
	return inv->cmd->run == cmd_import_run &&
	       (inv->args.path == NULL || strcmp(inv->args.path, "-") == 0);
}

const char *
cmd_name(const struct invocation *inv)
{
	return inv->cmd->name;
}

/* ---- help ------------------------------------------------------------------------------- */

void
cmd_print_usage(FILE *f)
{
	fputs("usage: vmactl [-s PATH] [-j|--json] COMMAND [ARG ...]\n"
	      "       vmactl help [COMMAND] | -h | --version\n\ncommands:\n",
	      f);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %s%s%s\n", commands[i].name, *commands[i].synopsis ? " " : "",
			commands[i].synopsis);
	fputs("\nThe socket is -s PATH, else $VMAD_SOCKET, else " VMAC_DEFAULT_SOCKET ".\n"
	      "Numbers: decimal, 0x hex, or with a K, M, G suffix (4K, 2M).\n"
	      "PROT: rwx letters (rw-, r-x, ---), none, or a ,/| list of read, write, exec.\n"
	      "FLAGS: a ,/| list of shared, private, anonymous (anon), fixed, fixed_noreplace,\n"
	      "growsdown, populate, noreserve, locked, stack, ... (MAP_ prefix and case "
	      "optional).\n"
	      "Exit status: 0 done, 1 refused by the daemon, 2 usage error, 3 cannot connect or\n"
	      "protocol error.  See vmactl(1).\n",
	      f);
}

int
cmd_help(const char *topic)
{
	if (topic == NULL) {
		cmd_print_usage(stdout);
		return EXIT_DONE;
	}
	const struct command *c = cmd_lookup(topic);
	if (c == NULL) {
		fprintf(stderr, "vmactl: help: unknown command '%s'\n", topic);
		return EXIT_USAGE;
	}
	printf("usage: vmactl %s%s%s\n\n%s\n", c->name, *c->synopsis ? " " : "", c->synopsis,
	       c->help);
	return EXIT_DONE;
}

int
cmd_help_parse(struct args *a, char **pos, int npos, struct perr *e)
{
	if (npos == 1 && cmd_lookup(pos[0]) == NULL)
		return perr_set(e, "unknown command '%s'", pos[0]);
	a->topic = npos ? pos[0] : NULL;
	return 0;
}

int
cmd_help_run(struct ctx *ctx, const struct args *a)
{
	(void)ctx;
	return cmd_help(a->topic);
}
