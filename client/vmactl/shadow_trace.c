/* SPDX-License-Identifier: MIT */
/*
 * The shadow's tracer: PROGRAM started under ptrace with address randomisation off, every
 * task stopped at each system call's entry and exit.  Threads (CLONE_VM) share their
 * process's space; fork children become forked spaces with --follow-forks and run untraced
 * otherwise; an exec in a followed process rebuilds its space.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shadow.h"

#define NR_CLONE           56
#define NR_VFORK           58
#define NR_CLONE3          435
#define NR_EXECVE          59
#define USER_CS_64         0x33 /* __USER_CS: a 64-bit system call; 0x23 is a 32-bit task's */
#define X32_BIT            0x40000000L
#define AUDIT_ARCH_X86_64_ 0xc000003eu /* EM_X86_64 | 64BIT | LE */
#define SH_OPTIONS                                                                                 \
	(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL)

extern char **environ;

static struct sh_mm *
mm_new(struct shadow *s, pid_t pid, const char *space)
{
	struct sh_mm *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	snprintf(m->space, sizeof(m->space), "%s", space);
	m->pid = pid;
	m->next = s->mms;
	s->mms = m;
	s->processes++;
	return m;
}

static struct sh_task *
task_find(struct shadow *s, pid_t tid)
{
	for (struct sh_task *t = s->tasks; t; t = t->next)
		if (t->tid == tid)
			return t;
	return NULL;
}

static struct sh_task *
task_add(struct shadow *s, pid_t tid, struct sh_mm *m)
{
	struct sh_task *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->tid = tid;
	t->mm = m;
	if (m)
		m->users++;
	t->next = s->tasks;
	s->tasks = t;
	return t;
}

static void
call_clear(struct sh_call *c)
{
	free(c->exec_file);
	sh_strings_free(c->exec_argv);
	sh_strings_free(c->exec_envp);
	memset(c, 0, sizeof(*c));
}

static void
task_leave_mm(struct sh_task *t)
{
	if (t->mm && --t->mm->users == 0)
		t->mm->lost = true;
	t->mm = NULL;
}

/*
 * Memory calls of one space run one at a time: a thread entering one while another thread's
 * is under way waits at its entry, so that no kernel change is in flight while a call's
 * result is compared.  The written pages are brought in just before the call runs.
 */
static int
mm_enter(struct shadow *s, struct sh_task *t)
{
	struct sh_mm *m = t->mm;

	if (!m || m->lost || m->diverged)
		return 0;
	if (m->busy && m->busy != t) {
		t->waiting = true;
		return 0;
	}
	m->busy = t;
	return sh_sync_pages(s, m);
}

/* The call of m's busy task is over: the next waiting task of m may run its call. */
static int
mm_leave(struct shadow *s, struct sh_mm *m)
{
	int rc;

	m->busy = NULL;
	for (struct sh_task *w = s->tasks; w; w = w->next) {
		if (w->mm != m || !w->waiting)
			continue;
		w->waiting = false;
		m->busy = w;
		rc = m->lost || m->diverged ? 0 : sh_sync_pages(s, m);
		if (ptrace(PTRACE_SYSCALL, w->tid, NULL, NULL) < 0 && errno != ESRCH)
			return -errno;
		return rc;
	}
	return 0;
}

static int
task_remove(struct shadow *s, struct sh_task *t)
{
	struct sh_task **pp = &s->tasks;
	struct sh_mm *m = t->mm;
	bool busy = m && m->busy == t;

	while (*pp != t)
		pp = &(*pp)->next;
	*pp = t->next;
	for (struct sh_task *o = s->tasks; t->mm && o; o = o->next)
		if (o->mm == t->mm && t->mm->pid == t->tid)
			t->mm->pid = o->tid;
	task_leave_mm(t);
	call_clear(&t->call);
	free(t);
	return busy ? mm_leave(s, m) : 0;
}

static void
report_call(struct shadow *s, struct sh_mm *m, const char *call, const char *why)
{
	s->divergences++;
	m->diverged = true;
	if (s->divergences == 1)
		fprintf(stderr, "vmactl shadow: pid %d (space %s): %s: %s\n", (int)m->pid, m->space,
			call, why);
}

/* execve's strings, read at its entry while they still exist. */
static void
capture_exec(struct sh_task *t)
{
	struct sh_call *c = &t->call;
	int at = c->nr != NR_EXECVE;

	c->exec_file = sh_proc_string(t->tid, c->arg[at]);
	c->exec_argv = sh_proc_strings(t->tid, c->arg[at + 1]);
	c->exec_envp = sh_proc_strings(t->tid, c->arg[at + 2]);
}

static int
on_entry(struct shadow *s, struct sh_task *t, const struct __ptrace_syscall_info *in)
{
	struct sh_call *c = &t->call;
	enum sh_kind k;

	call_clear(c);
	c->nr_valid = true;
	c->nr = (long)in->entry.nr;
	memcpy(c->arg, in->entry.args, sizeof(c->arg));
	k = sh_sys_kind(c->nr);
	if (k == SH_EXEC)
		capture_exec(t);
	if (k == SH_MEM || k == SH_UNMODELLED)
		return mm_enter(s, t);
	if (k == SH_FORK && t->mm && !t->mm->lost && !t->mm->diverged)
		return sh_sync_pages(s, t->mm);
	return 0;
}

static int
on_exit_call(struct shadow *s, struct sh_task *t, const struct __ptrace_syscall_info *in)
{
	struct sh_call *c = &t->call;
	struct sh_mm *m = t->mm;
	enum sh_kind k = sh_sys_kind(c->nr);
	char call[256], why[256];
	int rc = 0;

	c->ret = in->exit.rval;
	if (!m || m->lost || !c->nr_valid)
		return 0;
	if (k == SH_FD && !t->private_fds)
		sh_sys_fd(s, m, c);
	if (k != SH_MEM && k != SH_UNMODELLED)
		return 0;
	sh_sys_format(c, call, sizeof(call));
	if (k == SH_UNMODELLED)
		s->unmodelled++;
	if (k == SH_MEM && !m->diverged) {
		s->mirrored++;
		rc = sh_sys_mirror(s, m, c, why, sizeof(why));
		if (rc == 1)
			report_call(s, m, call, why);
	}
	return rc < 0 ? rc : sh_check(s, m, call);
}

/* System calls of 32-bit code have other numbers and layouts: not followed yet. */
static bool
abi_followed(struct sh_task *t, const struct __ptrace_syscall_info *in)
{
	if (in->arch == AUDIT_ARCH_X86_64_ &&
	    (in->op != PTRACE_SYSCALL_INFO_ENTRY || !(in->entry.nr & X32_BIT)))
		return true;
	if (t->mm && !t->mm->lost) {
		t->mm->lost = true;
		fprintf(stderr,
			"vmactl shadow: pid %d makes 32-bit or x32 system calls: not followed\n",
			(int)t->tid);
	}
	return false;
}

static int
on_syscall(struct shadow *s, struct sh_task *t)
{
	struct __ptrace_syscall_info in;
	int rc;

	if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof(in), &in) < 0)
		return -errno;
	if (!abi_followed(t, &in))
		return 0;
	if (in.op == PTRACE_SYSCALL_INFO_ENTRY)
		return on_entry(s, t, &in);
	if (in.op != PTRACE_SYSCALL_INFO_EXIT)
		return 0;
	rc = on_exit_call(s, t, &in);
	t->call.nr_valid = false;
	if (rc >= 0 && t->mm && t->mm->busy == t)
		rc = mm_leave(s, t->mm);
	return rc;
}

/* The new program's space, from the strings its execve was given. */
static int
on_exec(struct shadow *s, struct sh_task *t)
{
	struct sh_call *c = &t->call;
	struct vmac_exec_opts o = { 0 };
	char call[300];
	int rc;

	if (t->mm && t->mm->users > 1) {
		/* A vfork child leaves its parent's mm for a new one. */
		char name[SH_NAME_MAX];
		snprintf(name, sizeof(name), "%s.%d", s->name, (int)t->tid);
		task_leave_mm(t);
		t->mm = mm_new(s, t->tid, name);
		if (!t->mm)
			return -ENOMEM;
		t->mm->users = 1;
		t->private_fds = false;
	}
	if (!t->mm)
		return 0;
	memset(t->mm->fd_inst, 0, sizeof(t->mm->fd_inst));
	t->mm->pid = t->tid;
	t->mm->lost = t->mm->diverged = false;
	o.envp = (const char *const *)c->exec_envp;
	rc = c->exec_file && c->exec_argv && c->exec_envp
		     ? vmac_exec(s->conn, t->mm->space, c->exec_file,
				 (const char *const *)c->exec_argv, &o, NULL)
		     : -EFAULT;
	if (rc < 0) {
		t->mm->lost = true;
		fprintf(stderr, "vmactl shadow: pid %d: exec of %s not followed: %s\n", (int)t->tid,
			c->exec_file ? c->exec_file : "?", strerror(-rc));
		return vmac_conn_error(s->conn);
	}
	snprintf(call, sizeof(call), "execve(\"%s\")", c->exec_file);
	return sh_check(s, t->mm, call);
}

static uint64_t
clone_flags(struct sh_task *t)
{
	uint64_t flags = 0;
	char path[64];
	FILE *f;

	if (t->call.nr == NR_CLONE)
		return t->call.arg[0];
	if (t->call.nr == NR_VFORK)
		return CLONE_VM | CLONE_VFORK;
	if (t->call.nr != NR_CLONE3)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)t->tid);
	f = fopen(path, "rbe");
	if (f && fseeko(f, (off_t)t->call.arg[0], SEEK_SET) == 0 &&
	    fread(&flags, sizeof(flags), 1, f) != 1)
		flags = 0;
	if (f)
		fclose(f);
	return flags;
}

/* A new task: a thread of t's space, a forked space, or a child left alone. */
static int
on_new_task(struct shadow *s, struct sh_task *t, pid_t child)
{
	uint64_t flags = clone_flags(t);
	struct sh_task *c = task_find(s, child);
	struct sh_mm *m = NULL;
	char name[SH_NAME_MAX];
	int rc = 0;

	if (!c && !(c = task_add(s, child, NULL)))
		return -ENOMEM;
	if (flags & CLONE_VM) {
		m = t->mm;
		s->threads += (flags & CLONE_THREAD) != 0;
	} else if (s->follow_forks && t->mm) {
		snprintf(name, sizeof(name), "%s.%d", s->name, (int)child);
		vmac_destroy(s->conn, name);
		if (!(m = mm_new(s, child, name)))
			return -ENOMEM;
		memcpy(m->fd_inst, t->mm->fd_inst, sizeof(m->fd_inst));
		m->lost = t->mm->lost;
		m->diverged = t->mm->diverged;
		if (!m->lost && (rc = vmac_fork(s->conn, t->mm->space, name)) < 0)
			return rc;
	}
	c->mm = m;
	/* A vfork child shares the memory but has a descriptor table of its own. */
	c->private_fds = (flags & CLONE_VM) && !(flags & CLONE_FILES);
	if (m)
		m->users++;
	c->detach = !m;
	if (c->held) {
		c->held = false;
		return ptrace(c->detach ? PTRACE_DETACH : PTRACE_SYSCALL, child, NULL, NULL) < 0
			       ? -errno
			       : 0;
	}
	return 0;
}

static int
on_event(struct shadow *s, struct sh_task *t, int event)
{
	unsigned long msg = 0;

	if (event == PTRACE_EVENT_EXEC)
		return on_exec(s, t);
	if (event != PTRACE_EVENT_FORK && event != PTRACE_EVENT_VFORK &&
	    event != PTRACE_EVENT_CLONE)
		return 0;
	if (ptrace(PTRACE_GETEVENTMSG, t->tid, NULL, &msg) < 0)
		return -errno;
	return on_new_task(s, t, (pid_t)msg);
}

/* One stop of tid: handle it and resume (or hold a new task until its parent's event). */
static int
on_stop(struct shadow *s, pid_t tid, int st)
{
	struct sh_task *t = task_find(s, tid);
	int sig = WSTOPSIG(st), rc = 0, inject = 0;

	if (!t) {
		if (!(t = task_add(s, tid, NULL)))
			return -ENOMEM;
		t->held = true;
		return 0;
	}
	if (sig == (SIGTRAP | 0x80))
		rc = on_syscall(s, t);
	else if (sig == SIGTRAP && (st >> 16))
		rc = on_event(s, t, st >> 16);
	else if (sig != SIGSTOP || t->mm || t->detach)
		inject = sig == SIGSTOP && !t->mm ? 0 : sig;
	if (t->held || t->waiting)
		return rc;
	if (t->detach) {
		ptrace(PTRACE_DETACH, tid, NULL, NULL);
		return rc < 0 ? rc : task_remove(s, t);
	}
	if (ptrace(PTRACE_SYSCALL, tid, NULL, (void *)(intptr_t)inject) < 0 && errno != ESRCH)
		return -errno;
	return rc;
}

static pid_t
sh_spawn(const char *file, char *const argv[])
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0 || personality(ADDR_NO_RANDOMIZE) < 0 ||
	    raise(SIGSTOP) != 0)
		_exit(127);
	execve(file, argv, environ);
	fprintf(stderr, "vmactl shadow: %s: %s\n", file, strerror(errno));
	_exit(127);
}

static int
sh_start(struct shadow *s, const char *file, char *const argv[])
{
	struct sh_mm *m;
	struct sh_task *t;
	int st;
	long opts = SH_OPTIONS;

	if (s->follow_forks)
		opts |= PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK;
	s->main_pid = sh_spawn(file, argv);
	if (s->main_pid < 0)
		return -errno;
	if (waitpid(s->main_pid, &st, 0) != s->main_pid || !WIFSTOPPED(st))
		return -ECHILD;
	if (!(m = mm_new(s, s->main_pid, s->name)) || !(t = task_add(s, s->main_pid, m)))
		return -ENOMEM;
	if (ptrace(PTRACE_SETOPTIONS, s->main_pid, NULL, (void *)opts) < 0 ||
	    ptrace(PTRACE_SYSCALL, s->main_pid, NULL, NULL) < 0)
		return -errno;
	return 0;
}

int
sh_run(struct shadow *s, const char *file, char *const argv[])
{
	int rc = sh_start(s, file, argv), st;
	pid_t tid;

	while (rc >= 0 && (tid = waitpid(-1, &st, __WALL)) > 0) {
		struct sh_task *t = task_find(s, tid);
		if (WIFSTOPPED(st)) {
			rc = on_stop(s, tid, st);
			continue;
		}
		if (tid == s->main_pid)
			s->main_status = st;
		if (t)
			rc = task_remove(s, t);
	}
	if (rc < 0 && s->main_pid > 0)
		kill(s->main_pid, SIGKILL);
	while (rc < 0 && waitpid(-1, &st, __WALL) > 0)
		;
	return rc;
}
