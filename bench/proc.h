/* SPDX-License-Identifier: MIT */
/* Child processes of vmad-bench: start, wait for a Unix socket, run to completion, stop. */
#ifndef VMAD_BENCH_PROC_H
#define VMAD_BENCH_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Starts argv[0] (searched in PATH) with stdout and stderr appended to log_path.  The child
 * gets SIGTERM if vmad-bench dies, so nothing outlives the run.
 */
int proc_spawn(char *const argv[], const char *log_path, pid_t *pid);
/* Waits until a connect() to path succeeds: 0, -ECHILD if the child exited, -ETIMEDOUT. */
int proc_wait_socket(pid_t pid, const char *path, uint64_t timeout_ns);
/* SIGTERM, then SIGKILL after a grace period; always reaps.  Returns the wait status. */
int proc_stop(pid_t pid);
/*
 * Runs argv to completion with its stdout captured into out (NUL-terminated, truncated to
 * size), killing it after timeout_ns.  Returns its wait status, or a negative errno.
 */
int proc_run(char *const argv[], char *out, size_t size, uint64_t timeout_ns);
/* CPU time (user + system) pid has used so far, in ns; 0 if it cannot be read. */
uint64_t proc_cpu_ns(pid_t pid);
/* Prints the last lines of a log file to stderr, each indented (for a server that failed). */
void proc_print_log_tail(const char *path, unsigned lines);
/* Whether an executable named name is in PATH. */
bool proc_in_path(const char *name);

#endif
