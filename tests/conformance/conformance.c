/* SPDX-License-Identifier: MIT */
/*
 * conformance: the engine against the real kernel, as TAP.
 *
 * Random operation sequences run in a process started without address randomisation (the
 * runner, with raw system calls) and in the engine, which starts from an import of that
 * process's maps.  Every result and the final maps, VmFlags, RSS and status must agree.  A
 * disagreeing sequence is minimised and printed.
 *
 * Environment: VMAD_CONFORMANCE_SEED (base seed; sequence i uses seed + i),
 * VMAD_CONFORMANCE_COUNT (number of sequences), VMAD_CONFORMANCE_VERBOSE (print every sequence).
 */
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "driver.h"

#define DEFAULT_SEED 20261122ULL
#if defined(__SANITIZE_ADDRESS__)
#define DEFAULT_COUNT 2000
#else
#define DEFAULT_COUNT 4000
#endif
/* One sequence in this many runs on the dynamically linked runner (ld.so, libc mapped). */
#define DYNAMIC_EVERY 8
#define MAX_PRINTED   2

struct tap {
	int n, failed;
};

struct totals {
	unsigned long run, agreed, harness;
	unsigned long rerun_agreed; /* disagreed once beside khugepaged, agreed when run again */
	unsigned long vmas, vmas_resident, flags_compared, smaps_compared, smaps_exact;
	unsigned long fails[CONF_FAM_COUNT];
	unsigned long printed[CONF_FAM_COUNT];
	unsigned long ops[CONF_FAM_COUNT], errs[CONF_FAM_COUNT], skipped[CONF_FAM_COUNT];
	char first[CONF_FAM_COUNT][96];
};

struct env {
	char runner[512], runner_dyn[512];
	struct conf_host host;
	struct conf_files files;
	uint64_t seed;
	unsigned long count;
	bool verbose;
};

static void tap_result(struct tap *t, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
tap_result(struct tap *t, bool ok, const char *fmt, ...)
{
	va_list ap;

	t->n++;
	t->failed += !ok;
	printf("%sok %d - ", ok ? "" : "not ", t->n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void
print_diag(const char *text)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		printf("#   %.*s\n", len, p);
		p += len + (nl ? 1 : 0);
	}
}

static bool
has_line(const char *text, const char *line, size_t len)
{
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) + 1 : strlen(text);

		if (n == len && !strncmp(text, line, len))
			return true;
		text += n;
	}
	return false;
}

/* Prints the lines of maps that are not lines of the starting maps. */
static void
print_new_lines(const char *init, const char *maps)
{
	while (*maps) {
		const char *nl = strchr(maps, '\n');
		size_t len = nl ? (size_t)(nl - maps) + 1 : strlen(maps);

		if (!has_line(init, maps, len))
			printf("#   %.*s%s", (int)len, maps, nl ? "" : "\n");
		maps += len;
	}
}

static const char *
limit_str(uint64_t v, char *buf, size_t size)
{
	if (v == UINT64_MAX)
		snprintf(buf, size, "unlimited");
	else
		snprintf(buf, size, "0x%llx", (unsigned long long)v);
	return buf;
}

/* Prints a (minimised) failing sequence as it ran on the kernel, and why it failed. */
static void
print_sequence(const struct env *env, const char *runner, const struct conf_seq *seq,
	       const struct conf_report *rep)
{
	struct conf_krun run;
	char line[640], lim[3][32];

	printf("#   files:");
	for (uint32_t i = 0; i < seq->prog.nfiles; i++)
		printf("%s slot %u = %s (%s)", i ? "," : "", i, seq->prog.files[i].path,
		       seq->prog.files[i].writable ? "rw" : "ro");
	printf("\n");
	if (conf_kernel_run(runner, &env->files, seq, &run) == 0) {
		if (seq->prog.limits)
			printf("#   limits: RLIMIT_MEMLOCK %s, CAP_IPC_LOCK %s, RLIMIT_DATA %s, "
			       "RLIMIT_AS %s\n",
			       limit_str(run.init.st.rlimit_memlock, lim[0], sizeof(lim[0])),
			       run.init.st.cap_ipc_lock ? "yes" : "no",
			       limit_str(run.init.st.rlimit_data, lim[1], sizeof(lim[1])),
			       limit_str(run.init.st.rlimit_as, lim[2], sizeof(lim[2])));
		if (run.init.st.personality & MM_PER_MODELLED)
			printf("#   personality: %#x\n", run.init.st.personality);
		for (size_t i = 0; i < run.nres && i < seq->nops; i++) {
			if (run.res[i].skipped)
				continue;
			conf_format_op(&seq->ops[i], &run.res[i], line, sizeof(line));
			printf("#   %s %s\n", (int)i == rep->op_index ? "=>" : "  ", line);
		}
		printf("#   kernel final maps, without the runner's own unchanged mappings:\n");
		print_new_lines(run.init.maps, run.fin.maps);
	}
	conf_krun_free(&run);
	printf("#   disagreement (%s):\n", conf_family_name(rep->family));
	print_diag(rep->why);
}

/* What the kernel did with the ops: ran them, refused them (an errno or a fault), skipped them. */
static void
count_ops(struct totals *t, const struct conf_seq *seq, const struct conf_krun *run)
{
	for (size_t i = 0; i < seq->nops && i < run->nres; i++) {
		const struct conf_op *op = &seq->ops[i];
		const struct conf_result *r = &run->res[i];
		enum conf_family f = conf_op_family(op);

		t->ops[f]++;
		t->skipped[f] += r->skipped != 0;
		t->errs[f] += !r->skipped && (op->kind == CONF_OP_TOUCH ? r->fault != 0
					      : op->kind == CONF_OP_BRK ? false
									: r->ret < 0);
	}
}

static void
print_verbose(const struct conf_seq *seq, const struct conf_krun *run, uint64_t seed,
	      const struct conf_report *rep)
{
	char line[640];

	printf("# seed %llu: %s\n", (unsigned long long)seed,
	       rep->verdict == CONF_AGREE ? "agreed" : rep->why);
	if (run->init.st.personality & MM_PER_MODELLED)
		printf("#     personality: %#x\n", run->init.st.personality);
	for (size_t i = 0; i < run->nres && i < seq->nops; i++) {
		conf_format_op(&seq->ops[i], &run->res[i], line, sizeof(line));
		printf("#     %s\n", line);
	}
	print_new_lines(run->init.maps, run->fin.maps);
}

static void
handle_failure(struct env *env, struct totals *t, const char *runner, struct conf_seq *seq,
	       struct conf_report *rep, uint64_t seed)
{
	enum conf_family fam = rep->family;
	size_t before = seq->nops;

	if (t->fails[fam]++ == 0)
		snprintf(t->first[fam], sizeof(t->first[fam]), "seed %llu",
			 (unsigned long long)seed);
	if (t->printed[fam] >= MAX_PRINTED)
		return;
	t->printed[fam]++;
	conf_minimise(runner, &env->host, &env->files, seq, rep);
	printf("# DISAGREEMENT in %s, seed %llu (%s runner), minimised from %zu to %zu ops"
	       " (rerun: VMAD_CONFORMANCE_SEED=%llu VMAD_CONFORMANCE_COUNT=1):\n",
	       conf_family_name(fam), (unsigned long long)seed,
	       runner == env->runner ? "static" : "dynamic", before, seq->nops,
	       (unsigned long long)seed);
	print_sequence(env, runner, seq, rep);
	fflush(stdout);
}

/*
 * khugepaged collapses the small pages of VM_HUGEPAGE mappings in the background when its scan
 * (every 10 s here) reaches the runner: a sequence that made such a mapping can end with a huge
 * page, and more resident pages, that no call of it made.  Such a sequence that disagrees runs
 * again, at most twice, and agrees only if a run agrees: a disagreement of the model comes back
 * every time, a collapse within the few milliseconds of a sequence seldom does (khugepaged scans
 * at once when the first process makes such a mapping: mm/khugepaged.c, __khugepaged_enter()).
 */
static bool
seq_khugepaged(const struct conf_seq *seq)
{
	for (size_t i = 0; i < seq->nops; i++)
		if (seq->ops[i].kind == CONF_OP_MADVISE && seq->ops[i].advice == MM_MADV_HUGEPAGE)
			return true;
	return false;
}

static bool
rerun_agrees(struct env *env, const char *runner, const struct conf_seq *seq, uint64_t seed,
	     const struct conf_report *first)
{
	struct conf_report rep;
	struct conf_krun run;

	if (conf_kernel_run(runner, &env->files, seq, &run))
		return false;
	conf_check(&env->host, &env->files, seq, &run, &rep);
	conf_krun_free(&run);
	if (rep.verdict == CONF_AGREE)
		printf("# seed %llu: agreed when run again (khugepaged, asynchronous); first run: "
		       "%s\n",
		       (unsigned long long)seed, first->why);
	return rep.verdict == CONF_AGREE;
}

static void
run_one(struct env *env, struct totals *t, uint64_t seed, bool dynamic)
{
	static struct conf_seq seq;
	const char *runner = dynamic ? env->runner_dyn : env->runner;
	struct conf_report rep;
	struct conf_krun run;
	int err;

	conf_gen_sequence(seed, &env->files, &seq);
	t->run++;
	err = conf_kernel_run(runner, &env->files, &seq, &run);
	if (err) {
		t->harness++;
		printf("# seed %llu: the runner failed: %s\n", (unsigned long long)seed,
		       strerrorname_np(-err));
		conf_krun_free(&run);
		return;
	}
	conf_check(&env->host, &env->files, &seq, &run, &rep);
	count_ops(t, &seq, &run);
	t->vmas += rep.vmas;
	t->vmas_resident += rep.vmas_resident;
	t->flags_compared += rep.flags_compared;
	t->smaps_compared += rep.smaps_compared;
	t->smaps_exact += rep.smaps_exact;
	if (env->verbose)
		print_verbose(&seq, &run, seed, &rep);
	conf_krun_free(&run);
	if (rep.verdict == CONF_DISAGREE && seq_khugepaged(&seq) &&
	    (rerun_agrees(env, runner, &seq, seed, &rep) ||
	     rerun_agrees(env, runner, &seq, seed, &rep))) {
		t->rerun_agreed++;
		rep.verdict = CONF_AGREE;
	}
	if (rep.verdict == CONF_AGREE)
		t->agreed++;
	else if (rep.verdict == CONF_HARNESS_ERROR) {
		t->harness++;
		if (t->harness <= 3)
			printf("# seed %llu: harness error: %s\n", (unsigned long long)seed,
			       rep.why);
	} else
		handle_failure(env, t, runner, &seq, &rep, seed);
}

/* The runner's own maps, imported and rendered again, must be the same bytes. */
static void
test_roundtrip(struct env *env, struct tap *tap, const char *runner, const char *what)
{
	struct conf_seq seq = { 0 };
	struct conf_krun run;
	struct mm_config cfg = env->host.cfg;
	struct mm *mm = NULL;
	char *text = NULL;
	size_t len = 0;
	unsigned line = 0;
	int err;

	conf_seq_files(&env->files, 0, &seq);
	err = conf_kernel_run(runner, &env->files, &seq, &run);
	if (!err) {
		cfg.start_brk = run.init.st.start_brk;
		cfg.start_stack = run.init.st.start_stack;
		err = mm_import_maps(&cfg, run.init.maps, strlen(run.init.maps), &mm, &line);
	}
	if (!err) {
		mm_set_layout(mm, run.init.st.start_brk, run.init.st.brk, run.init.st.start_stack);
		err = mm_render_maps(mm, &text, &len);
	}
	tap_result(tap, !err && !strcmp(text, run.init.maps),
		   "%s runner without ASLR: its maps imported and rendered back byte for byte",
		   what);
	if (!err && strcmp(text, run.init.maps)) {
		printf("#   kernel:\n");
		print_diag(run.init.maps);
		printf("#   rendered:\n");
		print_diag(text);
	} else if (err) {
		printf("#   error %s (line %u)\n", strerrorname_np(-err), line);
	}
	free(text);
	mm_destroy(mm);
	conf_krun_free(&run);
}

/* mm_config_init's mmap_base for this stack rlimit is where the kernel put the first mapping. */
static void
test_mmap_base(struct env *env, struct tap *tap)
{
	struct conf_seq seq = { 0 };
	struct conf_krun run;
	struct mm_status st = { 0 };
	struct conf_vmas init = { 0 };
	struct mm *mm = NULL;
	uint64_t top = 0;
	int err;

	conf_seq_files(&env->files, 0, &seq);
	err = conf_kernel_run(env->runner, &env->files, &seq, &run);
	if (!err)
		err = conf_parse_maps(run.init.maps, NULL, &init);
	for (size_t i = 0; !err && i < init.n; i++) {
		if (!strcmp(init.v[i].name, "[vdso]"))
			top = init.v[i].end;
	}
	if (!err)
		err = mm_create(&env->host.cfg, &mm);
	if (!err)
		mm_get_status(mm, &st);
	tap_result(tap, !err && top && st.mmap_base == top,
		   "engine's default mmap_base 0x%llx is the kernel's 0x%llx (top of [vdso])",
		   (unsigned long long)st.mmap_base, (unsigned long long)top);
	conf_vmas_free(&init);
	mm_destroy(mm);
	conf_krun_free(&run);
}

static void
add_mmap(struct conf_seq *seq, uint64_t len, uint32_t prot, uint32_t flags, int file)
{
	struct conf_op *op = &seq->ops[seq->nops];

	memset(op, 0, sizeof(*op));
	op->id = (int32_t)seq->nops++;
	op->kind = CONF_OP_MMAP;
	op->addr.base = op->new_addr.base = CONF_BASE_ABS;
	op->len = len;
	op->prot = prot;
	op->flags = flags | (file < 0 ? MM_MAP_ANONYMOUS : 0);
	op->file = file;
}

static void
add_munmap(struct conf_seq *seq, int32_t target, uint64_t len)
{
	struct conf_op *op = &seq->ops[seq->nops];

	memset(op, 0, sizeof(*op));
	op->id = (int32_t)seq->nops++;
	op->kind = CONF_OP_MUNMAP;
	op->addr.base = target;
	op->new_addr.base = CONF_BASE_ABS;
	op->file = -1;
	op->len = len;
}

/* Hint-less mmaps of many sizes, with holes punched between them, on a real process layout. */
static void
test_placement(struct env *env, struct tap *tap, const char *runner, const char *what)
{
	static const uint64_t pages[] = { 1,   2,   3,   5,    8,    16,   64,   255, 256,
					  257, 512, 513, 1024, 1025, 1536, 2048, 3 };
	const uint32_t rw = MM_PROT_READ | MM_PROT_WRITE;
	static struct conf_seq seq;
	struct conf_report rep = { 0 };
	struct conf_krun run;
	size_t n = sizeof(pages) / sizeof(pages[0]);
	int err;

	memset(&seq, 0, sizeof(seq));
	conf_seq_files(&env->files, 1, &seq);
	for (size_t i = 0; i < n; i++)
		add_mmap(&seq, pages[i] * CONF_PAGE, i % 2 ? MM_PROT_READ : rw, MM_MAP_PRIVATE, -1);
	for (size_t i = 0; i < n; i += 3)
		add_munmap(&seq, (int32_t)i, pages[i] * CONF_PAGE);
	for (size_t i = 0; i < n; i++)
		add_mmap(&seq, pages[n - 1 - i] * CONF_PAGE, rw,
			 i % 4 == 1 ? MM_MAP_SHARED : MM_MAP_PRIVATE, i % 4 == 3 ? 0 : -1);
	add_mmap(&seq, 512 * CONF_PAGE, rw, MM_MAP_PRIVATE | MM_MAP_STACK, -1);
	add_mmap(&seq, 4 * CONF_PAGE, rw, MM_MAP_PRIVATE | MM_MAP_GROWSDOWN, -1);
	add_mmap(&seq, 4 * CONF_PAGE, rw, MM_MAP_PRIVATE, -1);
	err = conf_kernel_run(runner, &env->files, &seq, &run);
	if (!err)
		conf_check(&env->host, &env->files, &seq, &run, &rep);
	tap_result(tap, !err && rep.verdict == CONF_AGREE,
		   "placement of %zu hint-less mmaps (1 page to 8 MiB, holes) on the %s runner",
		   seq.nops, what);
	if (!err && rep.verdict != CONF_AGREE)
		print_sequence(env, runner, &seq, &rep);
	conf_krun_free(&run);
}

static void
add_op(struct conf_seq *seq, int kind, int32_t base, int64_t delta, uint64_t len)
{
	struct conf_op *op = &seq->ops[seq->nops];

	memset(op, 0, sizeof(*op));
	op->id = (int32_t)seq->nops++;
	op->kind = kind;
	op->addr = (struct conf_addr){ .base = base, .delta = delta };
	op->new_addr.base = CONF_BASE_ABS;
	op->file = -1;
	op->len = len;
}

/*
 * What random sequences seldom reach, compared with every smaps line: huge pages in a
 * VM_HUGEPAGE mapping (AnonHugePages, THPeligible), a locked part of one (Locked), and a
 * shmem object mapped twice in the process (Pss halved, Shared_Clean), read only so that no
 * page-cache page is dirty.
 */
static void
test_smaps(struct env *env, struct tap *tap)
{
	const uint32_t rw = MM_PROT_READ | MM_PROT_WRITE;
	const uint64_t mib2 = 2ULL << 20;
	static struct conf_seq seq;
	struct conf_report rep = { 0 };
	struct conf_krun run;
	int err;

	memset(&seq, 0, sizeof(seq));
	conf_seq_files(&env->files, 1, &seq);
	seq.smaps_exact = true;
	add_mmap(&seq, 3 * mib2, rw, MM_MAP_PRIVATE, -1);
	add_op(&seq, CONF_OP_MADVISE, 0, 0, 3 * mib2);
	seq.ops[1].advice = MM_MADV_HUGEPAGE;
	add_op(&seq, CONF_OP_TOUCH, 0, 0, 0);
	add_op(&seq, CONF_OP_TOUCH, 0, (int64_t)(mib2 + 5 * CONF_PAGE), 0);
	add_op(&seq, CONF_OP_TOUCH, 0, (int64_t)(2 * mib2 + CONF_PAGE), 0);
	seq.ops[2].flags = seq.ops[3].flags = seq.ops[4].flags = 1;
	add_op(&seq, CONF_OP_MLOCK, 0, (int64_t)mib2, mib2);
	add_mmap(&seq, 8 * CONF_PAGE, rw, MM_MAP_SHARED, -1);
	add_op(&seq, CONF_OP_TOUCH, 6, 0, 0);
	add_op(&seq, CONF_OP_TOUCH, 6, 3 * CONF_PAGE, 0);
	add_op(&seq, CONF_OP_MREMAP, 6, 0, 0);
	seq.ops[9].new_len = 8 * CONF_PAGE;
	seq.ops[9].flags = MM_MREMAP_MAYMOVE;
	add_op(&seq, CONF_OP_TOUCH, 9, 0, 0);
	add_mmap(&seq, 4 * CONF_PAGE, rw, MM_MAP_PRIVATE | MM_MAP_POPULATE, -1);
	add_op(&seq, CONF_OP_MADVISE, 11, 0, 2 * CONF_PAGE);
	seq.ops[12].advice = MM_MADV_NOHUGEPAGE;
	err = conf_kernel_run(env->runner, &env->files, &seq, &run);
	if (!err)
		conf_check(&env->host, &env->files, &seq, &run, &rep);
	tap_result(tap, !err && rep.verdict == CONF_AGREE && rep.smaps_exact >= 6,
		   "smaps of huge, locked and doubly mapped shmem pages: every line of %u VMAs",
		   rep.smaps_exact);
	if (!err && rep.verdict != CONF_AGREE)
		print_sequence(env, env->runner, &seq, &rep);
	conf_krun_free(&run);
}

static void
run_sequences(struct env *env, struct tap *tap)
{
	static struct totals t;
	time_t t0 = time(NULL);

	printf("# %lu sequences, seed %llu (VMAD_CONFORMANCE_SEED / VMAD_CONFORMANCE_COUNT)\n",
	       env->count, (unsigned long long)env->seed);
	fflush(stdout);
	for (unsigned long i = 0; i < env->count; i++)
		run_one(env, &t, env->seed + i,
			(env->seed + i) % DYNAMIC_EVERY == DYNAMIC_EVERY - 1);
	if (t.rerun_agreed)
		printf("# %lu of the agreed sequences agreed when run again (khugepaged)\n",
		       t.rerun_agreed);
	printf("# %lu sequences in %lds: %lu agreed, %lu disagreed, %lu harness errors\n", t.run,
	       (long)(time(NULL) - t0), t.agreed, t.run - t.agreed - t.harness, t.harness);
	printf("# final states compared: %lu VMAs of the sequences (%lu with resident pages), "
	       "%lu VmFlags\n",
	       t.vmas, t.vmas_resident, t.flags_compared);
	printf("# smaps blocks compared: %lu, every line of %lu\n", t.smaps_compared,
	       t.smaps_exact);
	for (int f = 0; f < CONF_FAM_COUNT; f++) {
		if (f < CONF_FAM_MAPS)
			tap_result(
				tap, !t.fails[f],
				"%s: %lu ops (%lu refused, %lu skipped), %lu sequences disagreed "
				"first here%s%s",
				conf_family_name(f), t.ops[f], t.errs[f], t.skipped[f], t.fails[f],
				t.fails[f] ? ", first " : "", t.first[f]);
		else
			tap_result(tap, !t.fails[f], "%s: %lu sequences disagreed%s%s",
				   conf_family_name(f), t.fails[f], t.fails[f] ? ", first " : "",
				   t.first[f]);
	}
	tap_result(tap, !t.harness, "%lu sequences ran without harness errors (%lu)", t.run,
		   t.harness);
}

static int
env_init(struct env *env, const char *argv0)
{
	char *copy = strdup(argv0), *dir;
	const char *s = getenv("VMAD_CONFORMANCE_SEED"), *n = getenv("VMAD_CONFORMANCE_COUNT");
	int err;

	if (!copy)
		return -ENOMEM;
	dir = dirname(copy);
	snprintf(env->runner, sizeof(env->runner), "%s/conformance-runner", dir);
	snprintf(env->runner_dyn, sizeof(env->runner_dyn), "%s/conformance-runner-dyn", dir);
	free(copy);
	env->seed = s && *s ? strtoull(s, NULL, 0) : DEFAULT_SEED;
	env->count = n && *n ? strtoul(n, NULL, 0) : DEFAULT_COUNT;
	env->verbose = getenv("VMAD_CONFORMANCE_VERBOSE") != NULL;
	if ((err = conf_host_init(&env->host)))
		return err;
	return conf_files_init(&env->files);
}

int
main(int argc, char **argv)
{
	static struct env env;
	struct tap tap = { 0 };
	int err;

	(void)argc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	err = env_init(&env, argv[0]);
	if (err) {
		printf("not ok 1 - setting up: %s\n", strerrorname_np(-err));
		conf_files_cleanup(&env.files);
		return 1;
	}
	if (env.files.pin_err)
		printf("# the files' page cache could not be locked (mlock: %s): reclaim may take "
		       "pages a read's fault-around would map, so the RSS of a file mapping may "
		       "disagree by chance\n",
		       strerrorname_np(-env.files.pin_err));
	test_roundtrip(&env, &tap, env.runner, "static");
	test_roundtrip(&env, &tap, env.runner_dyn, "dynamic");
	test_mmap_base(&env, &tap);
	test_placement(&env, &tap, env.runner, "static");
	test_placement(&env, &tap, env.runner_dyn, "dynamic");
	test_smaps(&env, &tap);
	run_sequences(&env, &tap);
	printf("1..%d\n", tap.n);
	conf_files_cleanup(&env.files);
	return tap.failed ? 1 : 0;
}
