/* SPDX-License-Identifier: MIT */
/*
 * The exec differential test: each program is run to its exec stop under ptrace with address
 * randomisation off (personality(ADDR_NO_RANDOMIZE), as setarch -R), and its /proc/PID/maps,
 * the memory lines of /proc/PID/status and the mm fields of /proc/PID/stat are compared with
 * what vmad builds for the same exec through vmac_exec().  TAP: one test per case, then the
 * count of cases compared and agreeing.
 *
 *   exec_diff [-v] [PROGRAM...]   (default: the built-in list; PROGRAM runs with no arguments)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tvmad.h"
#include "vmaclient.h"

#define TEXT_MAX (1 << 20)

struct xcase {
	const char *what;
	const char *program;
	const char *const *argv; /* NULL: { program } */
	int nargs, arglen;       /* extra generated arguments */
	int nenv, envlen;        /* generated environment */
	unsigned personality; /* personality(2) bits set before execve, beside ADDR_NO_RANDOMIZE */
};

/* The kernel's view of one exec. */
struct kview {
	char maps[TEXT_MAX];
	char status[4096];
	uint64_t stat[10]; /* start_code end_code start_stack start_data end_data start_brk
			      arg_start arg_end env_start env_end */
};

static bool verbose;

static int
read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return 0;
}

/* The status lines the model renders, in its order. */
static const char *const status_keys[] = { "VmPeak", "VmSize",  "VmLck",   "VmHWM",
					   "VmRSS",  "RssAnon", "RssFile", "RssShmem",
					   "VmData", "VmStk",   "VmExe",   "VmLib" };

static void
pick_status(const char *full, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t k = 0; k < sizeof(status_keys) / sizeof(status_keys[0]); k++) {
		const char *p = full;
		size_t kl = strlen(status_keys[k]);
		while ((p = strstr(p, status_keys[k])) &&
		       !(p[kl] == ':' && (p == full || p[-1] == '\n')))
			p++;
		if (!p)
			continue;
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p + 1) : strlen(p);
		if (len + n < size) {
			memcpy(out + len, p, n);
			len += n;
			out[len] = '\0';
		}
	}
}

/* Fields 26, 27, 28 and 45-51 of /proc/PID/stat (after the parenthesised name). */
static int
parse_stat(const char *text, uint64_t out[10])
{
	const char *p = strrchr(text, ')');
	static const int want[10] = { 26, 27, 28, 45, 46, 47, 48, 49, 50, 51 };
	int field = 2, k = 0;

	if (!p)
		return -1;
	for (p++; *p && k < 10;) {
		while (*p == ' ')
			p++;
		field++;
		if (field == want[k])
			out[k++] = strtoull(p, NULL, 10);
		while (*p && *p != ' ')
			p++;
	}
	return k == 10 ? 0 : -1;
}

static int
kernel_run(const char *program, char *const argv[], char *const envp[], unsigned pers,
	   struct kview *kv)
{
	char path[64], buf[4096];
	int st, rc = 0;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		if (personality(ADDR_NO_RANDOMIZE | pers) < 0)
			_exit(126);
		execve(program, argv, envp);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st)) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	rc |= read_text(path, kv->maps, sizeof(kv->maps));
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	rc |= read_text(path, buf, sizeof(buf));
	pick_status(buf, kv->status, sizeof(kv->status));
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	rc |= read_text(path, buf, sizeof(buf));
	rc |= parse_stat(buf, kv->stat);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return rc ? -1 : 0;
}

static int
model_maps(struct vmac_conn *c, const char *name, char *out, size_t size)
{
	struct vmac_maps_iter *it;
	struct vmac_vma v;
	size_t len = 0;
	int rc = vmac_maps_open(c, name, 0, 0, &it);

	if (rc < 0)
		return rc;
	out[0] = '\0';
	while ((rc = vmac_maps_next(it, &v)) > 0) {
		int n = snprintf(out + len, size - len, "%s\n", v.line);
		if (n < 0 || (size_t)n >= size - len) {
			rc = -ENOSPC;
			break;
		}
		len += (size_t)n;
	}
	vmac_maps_close(it);
	return rc;
}

static void
show_diff(const char *what, const char *kernel, const char *model)
{
	printf("# %s differs\n# kernel:\n", what);
	for (const char *p = kernel; *p;) {
		const char *e = strchr(p, '\n');
		int n = e ? (int)(e - p) : (int)strlen(p);
		printf("#   %.*s\n", n, p);
		p += n + (e != NULL);
	}
	printf("# vmad:\n");
	for (const char *p = model; *p;) {
		const char *e = strchr(p, '\n');
		int n = e ? (int)(e - p) : (int)strlen(p);
		printf("#   %.*s\n", n, p);
		p += n + (e != NULL);
	}
}

static bool
compare_stat(const struct kview *kv, const struct vmac_exec_info *in)
{
	static const char *const names[10] = { "start_code", "end_code", "start_stack",
					       "start_data", "end_data", "start_brk",
					       "arg_start",  "arg_end",  "env_start",
					       "env_end" };
	const uint64_t m[10] = { in->start_code, in->end_code,  in->start_stack, in->start_data,
				 in->end_data,   in->start_brk, in->arg_start,   in->arg_end,
				 in->env_start,  in->env_end };
	bool ok = true;

	for (int i = 0; i < 10; i++)
		if (m[i] != kv->stat[i]) {
			printf("# %s: kernel 0x%llx, vmad 0x%llx\n", names[i],
			       (unsigned long long)kv->stat[i], (unsigned long long)m[i]);
			ok = false;
		}
	return ok;
}

/* The model's status lines without the MapCount line the kernel does not print. */
static int
model_status(struct vmac_conn *c, const char *name, char *out, size_t size)
{
	struct vmac_status st;
	int rc = vmac_status(c, name, &st);

	if (rc < 0)
		return rc;
	pick_status(st.text, out, size);
	return 0;
}

static char **
make_strings(const char *first, int n, int len, char fill)
{
	char **v = calloc((size_t)n + 2, sizeof(*v));
	int k = 0;

	if (!v)
		return NULL;
	if (first)
		v[k++] = (char *)first;
	for (int i = 0; i < n; i++) {
		v[k] = malloc((size_t)len + 16);
		if (!v[k])
			break;
		snprintf(v[k], (size_t)len + 16, "%c%d=", fill, i);
		size_t l = strlen(v[k]);
		memset(v[k] + l, fill, (size_t)len);
		v[k][l + (size_t)len] = '\0';
		k++;
	}
	return v;
}

static void
free_strings(char **v, bool first)
{
	for (char **p = v + first; v && *p; p++)
		free(*p);
	free(v);
}

static bool
run_case(struct vmac_conn *c, const struct xcase *x, int n)
{
	static struct kview kv;
	static char mmaps[TEXT_MAX], mstatus[4096];
	char **argv = x->argv ? NULL : make_strings(x->program, x->nargs, x->arglen, 'a');
	char **envp = make_strings(NULL, x->nenv, x->envlen, 'E');
	char *const *av = x->argv ? (char *const *)x->argv : argv;
	struct vmac_exec_opts o = { 0 };
	struct vmac_exec_info in;
	bool ok = false;
	int rc;

	o.envp = (const char *const *)envp;
	o.personality = x->personality;
	if (kernel_run(x->program, av, envp, x->personality, &kv) < 0) {
		printf("not ok %d - %s: the kernel run failed\n", n, x->what);
		goto out;
	}
	rc = vmac_exec(c, "x", x->program, (const char *const *)av, &o, &in);
	if (rc == 0)
		rc = model_maps(c, "x", mmaps, sizeof(mmaps));
	if (rc == 0)
		rc = model_status(c, "x", mstatus, sizeof(mstatus));
	if (rc < 0) {
		printf("not ok %d - %s: vmad: %s (%s)\n", n, x->what, strerror(-rc),
		       vmac_errmsg(c));
		goto out;
	}
	ok = strcmp(kv.maps, mmaps) == 0 && strcmp(kv.status, mstatus) == 0;
	if (strcmp(kv.maps, mmaps) != 0 || verbose)
		show_diff("maps", kv.maps, mmaps);
	if (strcmp(kv.status, mstatus) != 0)
		show_diff("status", kv.status, mstatus);
	ok = compare_stat(&kv, &in) && ok;
	printf("%sok %d - %s\n", ok ? "" : "not ", n, x->what);
out:
	free_strings(argv, true);
	free_strings(envp, false);
	return ok;
}

#define PROG(name) EXEC_PROG_DIR "/" name
#define LDSO       "/lib64/ld-linux-x86-64.so.2"

static const char *const ldso_true[] = { LDSO, "/bin/true", NULL };
static const char *const ldso_pie[] = { LDSO, PROG("prog-pie"), "x", NULL };
static const char *const ldso_alone[] = { LDSO, NULL };
static const char *const ldso32_pie[] = { "/lib/ld-linux.so.2", PROG("prog-m32-pie"), NULL };

static const struct xcase cases[] = {
	{ "dynamic PIE /bin/true", "/bin/true", NULL, 0, 0, 0, 0, 0 },
	{ "dynamic PIE /bin/sh with an environment", "/bin/sh", NULL, 2, 8, 5, 20, 0 },
	{ "dynamic PIE python3", "/usr/bin/python3", NULL, 0, 0, 0, 0, 0 },
	{ "PIE with a large bss", PROG("prog-pie"), NULL, 1, 3, 0, 0, 0 },
	{ "non-PIE", PROG("prog-nopie"), NULL, 0, 0, 1, 5, 0 },
	{ "static", PROG("prog-static"), NULL, 0, 0, 0, 0, 0 },
	{ "static-pie", PROG("prog-static-pie"), NULL, 0, 0, 0, 0, 0 },
	{ "executable stack (PT_GNU_STACK RWX)", PROG("prog-execstack"), NULL, 0, 0, 0, 0, 0 },
	{ "ld.so run directly on /bin/true", LDSO, ldso_true, 0, 0, 0, 0, 0 },
	{ "ld.so run directly on a PIE", LDSO, ldso_pie, 0, 0, 0, 0, 0 },
	{ "ld.so run directly, alone", LDSO, ldso_alone, 0, 0, 0, 0, 0 },
	{ "3000 arguments of 60 bytes (stack beyond 128 KiB)", "/bin/true", NULL, 3000, 60, 0, 0,
	  0 },
	{ "20000 short arguments (pointer arrays beyond 128 KiB)", "/bin/true", NULL, 20000, 1, 0,
	  0, 0 },
	{ "1000 environment strings of 100 bytes", PROG("prog-static"), NULL, 0, 0, 1000, 100, 0 },
	{ "a #! script run by /bin/sh -e", PROG("script-sh"), NULL, 2, 4, 1, 4, 0 },
	{ "a #! script whose interpreter is a script", PROG("script-nested"), NULL, 1, 4, 0, 0, 0 },
	{ "i386 PIE", PROG("prog-m32-pie"), NULL, 0, 0, 0, 0, 0 },
	{ "i386 static", PROG("prog-m32-static"), NULL, 2, 5, 2, 5, 0 },
	{ "i386 static-pie", PROG("prog-m32-static-pie"), NULL, 0, 0, 0, 0, 0 },
	{ "i386 ld.so run directly on a PIE", "/lib/ld-linux.so.2", ldso32_pie, 0, 0, 0, 0, 0 },
	/* personality(2) before execve (include/uapi/linux/personality.h). */
	{ "ADDR_COMPAT_LAYOUT: /bin/true bottom-up", "/bin/true", NULL, 0, 0, 0, 0,
	  ADDR_COMPAT_LAYOUT },
	{ "ADDR_COMPAT_LAYOUT: python3", "/usr/bin/python3", NULL, 0, 0, 0, 0, ADDR_COMPAT_LAYOUT },
	{ "ADDR_COMPAT_LAYOUT: ld.so run directly", LDSO, ldso_true, 0, 0, 0, 0,
	  ADDR_COMPAT_LAYOUT },
	{ "READ_IMPLIES_EXEC: cleared by a 64-bit exec", PROG("prog-pie"), NULL, 0, 0, 0, 0,
	  READ_IMPLIES_EXEC },
	{ "ADDR_LIMIT_3GB: no effect on a 64-bit task", "/bin/true", NULL, 0, 0, 0, 0,
	  ADDR_LIMIT_3GB },
	{ "ADDR_LIMIT_32BIT: no effect on x86", PROG("prog-static-pie"), NULL, 0, 0, 0, 0,
	  ADDR_LIMIT_32BIT },
	{ "i386 PIE, ADDR_LIMIT_3GB", PROG("prog-m32-pie"), NULL, 0, 0, 0, 0, ADDR_LIMIT_3GB },
	{ "i386 PIE, ADDR_COMPAT_LAYOUT", PROG("prog-m32-pie"), NULL, 0, 0, 0, 0,
	  ADDR_COMPAT_LAYOUT },
	{ "i386 PIE, ADDR_LIMIT_3GB | ADDR_COMPAT_LAYOUT", PROG("prog-m32-pie"), NULL, 0, 0, 0, 0,
	  ADDR_LIMIT_3GB | ADDR_COMPAT_LAYOUT },
	{ "i386 PIE, READ_IMPLIES_EXEC kept", PROG("prog-m32-pie"), NULL, 0, 0, 0, 0,
	  READ_IMPLIES_EXEC },
	{ "i386 static, ADDR_LIMIT_3GB", PROG("prog-m32-static"), NULL, 0, 0, 0, 0,
	  ADDR_LIMIT_3GB },
	{ "i386 static-pie, ADDR_LIMIT_3GB", PROG("prog-m32-static-pie"), NULL, 0, 0, 0, 0,
	  ADDR_LIMIT_3GB },
	{ "i386 ld.so run directly, ADDR_LIMIT_3GB", "/lib/ld-linux.so.2", ldso32_pie, 0, 0, 0, 0,
	  ADDR_LIMIT_3GB },
	{ "i386 PIE, ADDR_LIMIT_32BIT", PROG("prog-m32-pie"), NULL, 0, 0, 0, 0, ADDR_LIMIT_32BIT },
};

int
main(int argc, char **argv)
{
	size_t n = sizeof(cases) / sizeof(cases[0]);
	struct vmac_conn *c;
	struct tvmad t;
	int compared = 0, agreed = 0, skipped = 0;

	if (argc > 1 && strcmp(argv[1], "-v") == 0)
		verbose = true;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("1..%zu\n", n);
	if (tvmad_start(&t) < 0 || vmac_connect(t.sock, &c) < 0) {
		printf("Bail out! cannot start vmad\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (access(cases[i].program, X_OK) < 0) {
			printf("ok %zu - %s # SKIP %s is not here\n", i + 1, cases[i].what,
			       cases[i].program);
			skipped++;
			continue;
		}
		compared++;
		agreed += run_case(c, &cases[i], (int)i + 1);
	}
	printf("# exec differential: %d binaries compared, %d agree, %d skipped\n", compared,
	       agreed, skipped);
	vmac_close(c);
	tvmad_stop(&t);
	return agreed == compared ? 0 : 1;
}
