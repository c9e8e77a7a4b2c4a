/* SPDX-License-Identifier: MIT */
/*
 * vmactl shadow: a program run under ptrace without address randomisation, its exec built in
 * a vmad space, and every memory system call it makes mirrored there and checked against its
 * /proc/PID/maps and status.
 */
#ifndef VMACTL_SHADOW_H
#define VMACTL_SHADOW_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmaclient.h"

#define SH_NAME_MAX 256
#define SH_FDS_MAX  4096

/* One address space being followed: a process and its threads (or a vfork child). */
struct sh_task;

struct sh_mm {
	char space[SH_NAME_MAX];
	pid_t pid;                    /* a task of the mm, for /proc */
	int users;                    /* tasks sharing it */
	bool lost;                    /* no longer followed (an exec the model cannot build) */
	bool diverged;                /* checks stop after its first divergence */
	struct sh_task *busy;         /* the task whose memory call is under way */
	uint64_t fd_inst[SH_FDS_MAX]; /* fd -> open-instance number + 1 (0: unknown) */
	struct sh_mm *next;
};

/* A system call stopped at its entry, completed at its exit. */
struct sh_call {
	long nr;
	bool nr_valid; /* its entry was seen (an exit alone says nothing) */
	uint64_t arg[6];
	int64_t ret;
	char *exec_file; /* execve: the strings, read at the entry (malloc()ed) */
	char **exec_argv, **exec_envp;
};

struct sh_task {
	pid_t tid;
	struct sh_mm *mm; /* NULL while the new task waits for its parent's event */
	bool held, detach;
	bool waiting;     /* at the entry of a memory call, until the space's busy task is done */
	bool private_fds; /* CLONE_VM without CLONE_FILES: its descriptors are not the mm's */
	struct sh_call call;
	struct sh_task *next;
};

struct shadow {
	struct vmac_conn *conn;
	const char *name;
	bool follow_forks;
	pid_t main_pid;
	int main_status;
	struct sh_mm *mms;
	struct sh_task *tasks;
	uint64_t next_inst;
	/* figures for the summary */
	uint64_t mirrored, unmodelled, checks, divergences, processes, threads;
};

/* shadow_sys.c: the system calls followed. */
enum sh_kind {
	SH_OTHER = 0, /* not memory related */
	SH_MEM,       /* mirrored into the space, then checked */
	SH_FD,        /* decides file identity */
	SH_EXEC,
	SH_FORK,
	SH_UNMODELLED, /* changes memory in a way vmad does not model */
};
enum sh_kind sh_sys_kind(long nr);
const char *sh_sys_name(long nr);
/* The model's answer to c: 0 if it agrees with the kernel's result, else a message in why. */
int sh_sys_mirror(struct shadow *s, struct sh_mm *m, const struct sh_call *c, char *why,
		  size_t size);
/* Descriptor bookkeeping at a successful exit of an SH_FD call. */
void sh_sys_fd(struct shadow *s, struct sh_mm *m, const struct sh_call *c);
/* "mmap(0x0, 0x1000, ...)" */
void sh_sys_format(const struct sh_call *c, char *buf, size_t size);

/* shadow_sync.c: effects the tracer sees no call for (touched pages, stack growth). */
int sh_sync_pages(struct shadow *s, struct sh_mm *m);

/* shadow_check.c: the model against /proc; 0 agree, 1 diverged (reported), <0 error. */
int sh_check(struct shadow *s, struct sh_mm *m, const char *after);

/* shadow_trace.c: run and follow; returns the exit status for vmactl. */
int sh_run(struct shadow *s, const char *file, char *const argv[]);

/* Reading a tracee's memory and /proc files (shadow_proc.c). */
int sh_proc_read(pid_t pid, const char *what, char **out);
char *sh_proc_string(pid_t pid, uint64_t addr);
char **sh_proc_strings(pid_t pid, uint64_t addr);
void sh_strings_free(char **v);

#endif
