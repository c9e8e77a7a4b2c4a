/* SPDX-License-Identifier: MIT */
/*
 * conformance-runner: the kernel side of the differential test.
 *
 * Started without address randomisation, it reads one operation sequence (conf.h) from stdin,
 * reports its own starting state, runs every operation with raw system calls, and reports each
 * result and the final state on stdout.  Between the first report and the last it must not
 * change its own address space behind the sequence's back: no malloc, no stdio, every buffer
 * is static and touched before the first report, results go straight into a pipe.
 * Operations whose range would touch what the runner itself had mapped at the start (its
 * image, heap, stack, vdso) are skipped, and reported as such.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"

#define MAPS_BUF   (256 * 1024)
#define SMAPS_BUF  (2 * 1024 * 1024)
#define STATUS_BUF (16 * 1024)
#define STAT_BUF   4096
#define STACK_WARM (48 * 1024)

static struct conf_program prog;
static struct conf_op ops[CONF_MAX_OPS];
static int64_t results[CONF_MAX_OPS];
static char have_result[CONF_MAX_OPS];
static int fds[CONF_MAX_FILES];
static char maps_buf[MAPS_BUF], smaps_buf[SMAPS_BUF], status_buf[STATUS_BUF], stat_buf[STAT_BUF];
static uint64_t prot_lo[CONF_MAX_PROTECTED], prot_hi[CONF_MAX_PROTECTED];
static int nprot;
static uint64_t heap_base, start_brk;
static uint64_t forks;
/* mlockall(MCL_FUTURE) is in force: later mappings are locked (def_flags, which fork clears). */
static bool future_locked;

static sigjmp_buf fault_jmp;
static volatile sig_atomic_t fault_code;

static void
die(const char *msg)
{
	size_t n = strlen(msg);

	if (write(2, msg, n) < 0 || write(2, "\n", 1) < 0)
		_exit(3);
	_exit(2);
}

static void
write_all(const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(1, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("runner: write failed");
		c += w;
		n -= (size_t)w;
	}
}

static void
read_all(void *p, size_t n)
{
	char *c = p;

	while (n) {
		ssize_t r = read(0, c, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("runner: short program");
		c += r;
		n -= (size_t)r;
	}
}

static size_t
slurp(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("runner: cannot open a /proc file");
	while ((r = read(fd, buf + len, size - len)) > 0)
		len += (size_t)r;
	close(fd);
	if (r < 0 || len == size)
		die("runner: /proc file too large");
	return len;
}

static int
hexdig(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static uint64_t
parse_hex(const char **p)
{
	uint64_t v = 0;

	while (hexdig(**p) >= 0)
		v = v << 4 | (uint64_t)hexdig(*(*p)++);
	return v;
}

/* Field n (1-based) of /proc/self/stat, counted after the ")" that ends comm. */
static uint64_t
stat_field(const char *stat, size_t len, int n)
{
	const char *p = stat + len;
	uint64_t v = 0;
	int field = 2;

	while (p > stat && p[-1] != ')')
		p--;
	while (*p && field < n) {
		if (*p++ == ' ')
			field++;
	}
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (uint64_t)(*p++ - '0');
	return v;
}

static void
note_protected(size_t maps_len)
{
	const char *p = maps_buf, *end = maps_buf + maps_len;

	while (p < end && nprot < CONF_MAX_PROTECTED) {
		prot_lo[nprot] = parse_hex(&p);
		p++;
		prot_hi[nprot] = parse_hex(&p);
		if (prot_lo[nprot] < (1ULL << 47))
			nprot++;
		while (p < end && *p != '\n')
			p++;
		p++;
	}
	if (p < end)
		die("runner: too many mappings");
}

static uint64_t
rlimit_of(int resource)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl))
		die("runner: getrlimit failed");
	return rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur;
}

static bool
caps(struct __user_cap_data_struct data[2], bool set)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(set ? SYS_capset : SYS_capget, &hdr, data) == 0;
}

static bool
has_ipc_lock(void)
{
	struct __user_cap_data_struct data[2];

	if (!caps(data, false))
		die("runner: capget failed");
	return data[0].effective >> CAP_IPC_LOCK & 1;
}

/* Value in kB of a /proc/self/status field, in bytes. */
static uint64_t
status_bytes(const char *key)
{
	size_t len = slurp("/proc/self/status", status_buf, sizeof(status_buf) - 1);
	const char *p = status_buf;
	uint64_t v = 0;

	status_buf[len] = '\0';
	p = strstr(p, key);
	if (!p)
		die("runner: status field missing");
	p += strlen(key);
	while (*p == ' ' || *p == '\t')
		p++;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (uint64_t)(*p++ - '0');
	return v * 1024;
}

static void
set_limit(int resource, uint64_t value)
{
	struct rlimit rl = { .rlim_cur = value, .rlim_max = value };

	if (setrlimit(resource, &rl))
		die("runner: setrlimit failed");
}

/* The limits the sequence runs under; applied before the first report. */
static void
apply_limits(void)
{
	struct __user_cap_data_struct data[2];

	if (prog.limits & CONF_LIMIT_MEMLOCK) {
		set_limit(RLIMIT_MEMLOCK, prog.memlock);
		if (!caps(data, false))
			die("runner: capget failed");
		data[0].effective &= ~(1u << CAP_IPC_LOCK);
		data[0].permitted &= ~(1u << CAP_IPC_LOCK);
		if (!caps(data, true))
			die("runner: capset failed");
	}
	if (prog.limits & CONF_LIMIT_DATA)
		set_limit(RLIMIT_DATA, status_bytes("VmData:") + prog.data_headroom);
	else if (prog.limits & CONF_LIMIT_DATA_ABS)
		set_limit(RLIMIT_DATA, prog.data_headroom);
	if (prog.limits & CONF_LIMIT_AS)
		set_limit(RLIMIT_AS, status_bytes("VmSize:") + prog.as_headroom);
	if ((prog.personality & READ_IMPLIES_EXEC) &&
	    personality((unsigned)personality(0xffffffff) | READ_IMPLIES_EXEC) == -1)
		die("runner: personality failed");
}

static size_t
send_state(void)
{
	struct conf_state st = { .magic = CONF_MAGIC, .forks = forks };
	size_t stat_len;

	st.maps_len = slurp("/proc/self/maps", maps_buf, sizeof(maps_buf));
	st.smaps_len = slurp("/proc/self/smaps", smaps_buf, sizeof(smaps_buf));
	st.status_len = slurp("/proc/self/status", status_buf, sizeof(status_buf));
	stat_len = slurp("/proc/self/stat", stat_buf, sizeof(stat_buf) - 1);
	stat_buf[stat_len] = '\0';
	st.start_code = stat_field(stat_buf, stat_len, 26);
	st.end_code = stat_field(stat_buf, stat_len, 27);
	st.start_stack = stat_field(stat_buf, stat_len, 28);
	st.start_brk = stat_field(stat_buf, stat_len, 47);
	st.start_data = stat_field(stat_buf, stat_len, 45);
	st.end_data = stat_field(stat_buf, stat_len, 46);
	st.rlimit_as = rlimit_of(RLIMIT_AS);
	st.rlimit_data = rlimit_of(RLIMIT_DATA);
	st.rlimit_memlock = rlimit_of(RLIMIT_MEMLOCK);
	st.cap_ipc_lock = has_ipc_lock();
	st.personality = (uint32_t)personality(0xffffffff);
	st.brk = (uint64_t)syscall(SYS_brk, 0);
	write_all(&st, sizeof(st));
	write_all(maps_buf, st.maps_len);
	write_all(smaps_buf, st.smaps_len);
	write_all(status_buf, st.status_len);
	start_brk = st.start_brk;
	return st.maps_len;
}

/* The page-rounded range [lo, hi) an operation covers, saturated at the top. */
static bool
hits_protected(uint64_t addr, uint64_t len)
{
	uint64_t lo = addr & ~(CONF_PAGE - 1);
	uint64_t hi = addr + len + CONF_PAGE - 1;

	if (hi < addr)
		hi = UINT64_MAX;
	hi &= ~(CONF_PAGE - 1);
	if (!len)
		hi = lo + CONF_PAGE;
	for (int i = 0; i < nprot; i++) {
		if (lo < prot_hi[i] && hi > prot_lo[i])
			return true;
	}
	return false;
}

static bool
resolve(const struct conf_addr *a, uint64_t *out)
{
	if (a->base == CONF_BASE_ABS) {
		*out = (uint64_t)a->delta;
		return true;
	}
	if (a->base == CONF_BASE_HEAP) {
		*out = heap_base + (uint64_t)a->delta;
		return true;
	}
	if (a->base < 0 || a->base >= CONF_MAX_OPS || !have_result[a->base] || results[a->base] < 0)
		return false;
	*out = (uint64_t)results[a->base] + (uint64_t)a->delta;
	return true;
}

static int64_t
sc(long nr, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, uint64_t f)
{
	long r = syscall(nr, a, b, c, d, e, f);

	return r == -1 ? -errno : r;
}

static void
on_fault(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	fault_code = sig == SIGBUS ? CONF_FAULT_BUS : info->si_code;
	siglongjmp(fault_jmp, 1);
}

static int
touch(uint64_t addr, bool write)
{
	volatile char *p = (volatile char *)(uintptr_t)addr;

	if (sigsetjmp(fault_jmp, 1) == 0) {
		if (write)
			*p = 1;
		else
			(void)*p;
		return CONF_FAULT_OK;
	}
	return fault_code;
}

static void
do_fork(struct conf_result *res)
{
	int status;
	long pid = syscall(SYS_fork);

	if (pid < 0)
		die("runner: fork failed");
	if (pid == 0) {
		forks++;
		future_locked = false;
		res->ret = 0;
		return;
	}
	if (waitpid((pid_t)pid, &status, 0) < 0)
		die("runner: waitpid failed");
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 4);
}

/* The system call of an operation that has one, with its resolved operands. */
static int64_t
op_syscall(const struct conf_op *op, uint64_t a, uint64_t n)
{
	int fd = op->file >= 0 ? fds[op->file] : -1;

	switch (op->kind) {
	case CONF_OP_MMAP:
		return sc(SYS_mmap, a, op->len, op->prot, op->flags, (uint64_t)fd, op->offset);
	case CONF_OP_MUNMAP:
		return sc(SYS_munmap, a, op->len, 0, 0, 0, 0);
	case CONF_OP_MPROTECT:
		return sc(SYS_mprotect, a, op->len, op->prot, 0, 0, 0);
	case CONF_OP_MREMAP:
		return sc(SYS_mremap, a, op->len, op->new_len, op->flags, n, 0);
	case CONF_OP_MADVISE:
		return sc(SYS_madvise, a, op->len, (uint64_t)op->advice, 0, 0, 0);
	case CONF_OP_MLOCK:
		return sc(SYS_mlock2, a, op->len, op->flags, 0, 0, 0);
	case CONF_OP_MSEAL:
		return sc(CONF_SYS_MSEAL, a, op->len, op->flags, 0, 0, 0);
	case CONF_OP_MLOCKALL:
		return sc(SYS_mlockall, op->flags, 0, 0, 0, 0, 0);
	case CONF_OP_MUNLOCKALL:
		return sc(SYS_munlockall, 0, 0, 0, 0, 0, 0);
	case CONF_OP_PKEY_ALLOC:
		return sc(SYS_pkey_alloc, op->flags, op->prot, 0, 0, 0, 0);
	case CONF_OP_PKEY_FREE:
		return sc(SYS_pkey_free, (uint64_t)(int64_t)op->advice, 0, 0, 0, 0, 0);
	case CONF_OP_PKEY_MPROTECT:
		return sc(SYS_pkey_mprotect, a, op->len, op->prot, (uint64_t)(int64_t)op->advice, 0,
			  0);
	case CONF_OP_ANON_NAME: {
		static const char *const names[CONF_ANON_NAME_COUNT] = CONF_ANON_NAMES;

		return sc(SYS_prctl, CONF_PR_SET_VMA, CONF_PR_SET_VMA_ANON_NAME, a, op->len,
			  op->flags ? (uint64_t)(uintptr_t)names[op->flags - 1] : 0, 0);
	}
	default:
		return sc(SYS_munlock, a, op->len, 0, 0, 0, 0);
	}
}

/*
 * Whether a smaps line says what the process maps: a range, its flags, its anonymous and
 * locked pages, and the resident pages of the sequence's own mappings (not those of the
 * runner's image, which the throwaway child's own execution faults in, nor sharing counts).
 */
static bool
smaps_line_counts(const char *l, bool own)
{
	static const char *const keys[] = { "Anonymous:", "Locked:", "VmFlags:", "Rss:" };
	size_t n = sizeof(keys) / sizeof(keys[0]) - own;

	if (hexdig(*l) >= 0)
		return true;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(l, keys[i], strlen(keys[i])) == 0)
			return true;
	}
	return false;
}

/* FNV-1a of the smaps lines that describe the process's mappings. */
static uint64_t
smaps_hash(void)
{
	size_t len = slurp("/proc/self/smaps", smaps_buf, sizeof(smaps_buf) - 1);
	uint64_t h = 0xcbf29ce484222325ULL;
	bool own = false;

	smaps_buf[len] = '\0';
	for (const char *l = smaps_buf; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) + 1 : strlen(l);

		if (hexdig(*l) >= 0) {
			const char *p = l;
			uint64_t lo = parse_hex(&p);

			own = hits_protected(lo, 1);
		}
		for (size_t i = 0; smaps_line_counts(l, own) && i < n; i++)
			h = (h ^ (unsigned char)l[i]) * 0x100000001b3ULL;
		l += n;
	}
	return h;
}

/*
 * A fork child differs from its parent in what VM_DONTCOPY, VM_WIPEONFORK and VM_LOCKED
 * mappings it has, so it stands in for the runner only where there are none; and what it
 * does to a VM_SHARED mapping (populating a shmem object, say) the runner would see, so
 * there must be none of those either.  Nor may mlockall(MCL_FUTURE) be in force: the child
 * would map without the def_flags fork cleared (future_locked, tested by the caller).
 */
static bool
forkless_flags(void)
{
	static const char *const flags[] = { " dc", " wf", " lo", " sh" };
	size_t len = slurp("/proc/self/smaps", smaps_buf, sizeof(smaps_buf) - 1);

	smaps_buf[len] = '\0';
	for (const char *l = strstr(smaps_buf, "VmFlags:"); l; l = strstr(l + 1, "VmFlags:")) {
		const char *e = strchr(l, '\n');

		for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
			const char *f = strstr(l, flags[i]);

			if (f && (!e || f < e))
				return false;
		}
	}
	return true;
}

/*
 * An operation with an absurd length may reach anything above its address, the runner's own
 * mappings included, if the kernel accepts it.  So it runs first in a throwaway child: if the
 * child's smaps afterwards are the runner's before, the kernel refused it (or it was a no-op)
 * and its result is the result here, with nothing to apply; otherwise the operation is
 * skipped on both sides.  (A fork child lacks the page-table entries of shared mappings, so a
 * runner with such resident pages does not get this answer.)
 */
static bool
probe_op(const struct conf_op *op, struct conf_result *res)
{
	int64_t out[2] = { 0, 1 };
	int p[2], status;
	long pid;

	uint64_t before;

	if (future_locked || !forkless_flags())
		return false;
	before = smaps_hash();
	if (pipe(p))
		die("runner: pipe failed");
	pid = syscall(SYS_fork);
	if (pid < 0)
		die("runner: fork failed");
	if (pid == 0) {
		/* A backstop: a child still busy after this long is taken as changed. */
		alarm(10);
		out[0] = op_syscall(op, res->addr, res->new_addr);
		out[1] = smaps_hash() != before;
		if (write(p[1], out, sizeof(out)) != (ssize_t)sizeof(out))
			_exit(5);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], out, sizeof(out)) != (ssize_t)sizeof(out))
		out[1] = 1;
	close(p[0]);
	if (waitpid((pid_t)pid, &status, 0) < 0)
		die("runner: waitpid failed");
	res->ret = out[0];
	return out[1] == 0;
}

/* Whether an operation's ranges stay clear of the runner's own mappings. */
static bool
op_clear(const struct conf_op *op, uint64_t a, uint64_t n)
{
	switch (op->kind) {
	case CONF_OP_MMAP:
		return !(op->flags & MAP_FIXED) || (op->flags & MAP_FIXED_NOREPLACE) ||
		       !hits_protected(a, op->len);
	case CONF_OP_MREMAP:
		return !hits_protected(a, op->len) &&
		       !((op->flags & MREMAP_FIXED) && hits_protected(n, op->new_len));
	case CONF_OP_PKEY_ALLOC:
	case CONF_OP_PKEY_FREE:
		return true;
	default:
		return !hits_protected(a, op->len);
	}
}

/* Runs op with its resolved operands; false if it may not run. */
static bool
run_op(const struct conf_op *op, struct conf_result *res)
{
	switch (op->kind) {
	case CONF_OP_BRK:
		if (res->addr >= start_brk && res->addr < heap_base)
			return false;
		res->ret = sc(SYS_brk, res->addr, 0, 0, 0, 0, 0);
		return true;
	case CONF_OP_TOUCH:
		if (hits_protected(res->addr, 1))
			return false;
		res->fault = touch(res->addr, op->flags & 1);
		res->ret = 0;
		return true;
	case CONF_OP_FORK:
		do_fork(res);
		return true;
	case CONF_OP_MLOCKALL:
	case CONF_OP_MUNLOCKALL:
		res->ret = op_syscall(op, 0, 0);
		if (res->ret == 0)
			future_locked = op->kind == CONF_OP_MLOCKALL && (op->flags & MCL_FUTURE);
		return true;
	default:
		if (op->probe)
			return probe_op(op, res);
		if (!op_clear(op, res->addr, res->new_addr))
			return false;
		res->ret = op_syscall(op, res->addr, res->new_addr);
		return true;
	}
}

static void
run_sequence(void)
{
	for (uint32_t i = 0; i < prog.nops; i++) {
		const struct conf_op *op = &ops[i];
		struct conf_result res = { .id = op->id };
		bool ok = resolve(&op->addr, &res.addr);

		if (op->kind == CONF_OP_MREMAP && (op->flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)))
			ok = ok && resolve(&op->new_addr, &res.new_addr);
		else if (op->kind == CONF_OP_MREMAP)
			res.new_addr = (uint64_t)op->new_addr.delta;
		if (op->kind == CONF_OP_FORK)
			ok = true;
		if (op->id < 0 || op->id >= CONF_MAX_OPS)
			die("runner: bad op id");
		res.skipped = !(ok && run_op(op, &res));
		if (!res.skipped) {
			results[op->id] = res.ret;
			have_result[op->id] = 1;
		}
		write_all(&res, sizeof(res));
	}
}

/*
 * Makes the runner's writable anonymous memory (bss, heap, stack) wholly resident before the
 * first report, so that mlockall(MCL_CURRENT), which populates everything, adds pages only
 * to the sequence's own mappings (the engine is told these are resident).
 */
static void
populate_own(void)
{
	size_t len = slurp("/proc/self/maps", maps_buf, sizeof(maps_buf) - 1);

	maps_buf[len] = '\0';
	for (const char *l = maps_buf; *l;) {
		const char *p = l, *e = strchr(l, '\n');
		uint64_t lo = parse_hex(&p), hi;

		p++;
		hi = parse_hex(&p);
		/* "rw-p 00000000 00:00 0 ": private, writable, no file (inode 0). */
		if (strncmp(p, " rw-p ", 6) == 0 && strstr(p, " 00:00 0 ") == p + 14 &&
		    madvise((void *)(uintptr_t)lo, hi - lo, MADV_POPULATE_WRITE))
			die("runner: cannot populate its own memory");
		if (!e)
			break;
		l = e + 1;
	}
}

/* Makes the stack pages the sequence will use resident before the first report. */
static void __attribute__((noinline)) warm_stack(void)
{
	volatile char pad[STACK_WARM];

	for (size_t i = 0; i < sizeof(pad); i += 512)
		pad[i] = 0;
}

static void
setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL))
		die("runner: sigaction failed");
	for (uint32_t i = 0; i < prog.nfiles; i++) {
		fds[i] = open(prog.files[i].path, (prog.files[i].writable ? O_RDWR : O_RDONLY));
		if (fds[i] < 0)
			die("runner: cannot open a sequence file");
	}
	memset(maps_buf, 0, sizeof(maps_buf));
	memset(smaps_buf, 0, sizeof(smaps_buf));
	memset(status_buf, 0, sizeof(status_buf));
	memset(stat_buf, 0, sizeof(stat_buf));
	memset(results, 0, sizeof(results));
	warm_stack();
	populate_own();
	(void)touch(0, false);
}

int
main(void)
{
	struct conf_result end = { .id = -1 };

	read_all(&prog, sizeof(prog));
	if (prog.magic != CONF_MAGIC || prog.nops > CONF_MAX_OPS || prog.nfiles > CONF_MAX_FILES)
		die("runner: bad program");
	read_all(ops, prog.nops * sizeof(ops[0]));
	setup();
	apply_limits();
	heap_base = ((uint64_t)syscall(SYS_brk, 0) + CONF_PAGE - 1) & ~(CONF_PAGE - 1);
	note_protected(send_state());
	run_sequence();
	write_all(&end, sizeof(end));
	send_state();
	return 0;
}
