#!/bin/sh
# SPDX-License-Identifier: MIT
# The longer shadow run, outside make check (`make shadow-long`): more and bigger programs
# followed by vmactl shadow, each line "ok"/"not ok" with its summary, then the totals.
# A program not installed here is skipped.  Exit status 1 if any run diverged.
B=${B:-build}
VMAD_BIN=${VMAD_BIN:-$B/vmad}
VMACTL="$B/vmactl"
SRCDIR=${SRCDIR:-.}
. "$SRCDIR/tests/tmpvmad.sh"
tmpvmad_dir vmad-shadow-long

tmpvmad_start
seq 1 300000 | awk '{ print ($1 * 7919) % 300007 }' >"$tmp/input"

n=0
bad=0
total=0
run() {
	n=$((n + 1))
	prog=$1
	[ "$prog" = "--follow-forks" ] && prog=$3
	if ! command -v "$prog" >/dev/null 2>&1; then
		echo "skip $n - $prog is not here"
		return
	fi
	"$VMACTL" -s "$tmp/sock" shadow "l$n" "$@" >/dev/null 2>"$tmp/err"
	rc=$?
	calls=$(sed -n 's/.* \([0-9]*\) memory system calls mirrored.*/\1/p' "$tmp/err")
	total=$((total + ${calls:-0}))
	if [ $rc -eq 0 ]; then
		echo "ok $n - $*: ${calls:-0} calls"
	else
		echo "not ok $n - $*"
		sed 's/^/# /' "$tmp/err"
		bad=1
	fi
}

run --follow-forks -- /bin/sh -c 'ls -R /usr/include >/dev/null; echo a | sed s/a/b/ | tr b c'
run /usr/bin/sort -S 64K -T "$tmp" "$tmp/input"
run /usr/bin/sort --parallel=4 "$tmp/input"
run /usr/bin/python3 -c 'import email, json, decimal, asyncio, sqlite3; print(sum(map(len, map(str, range(10**6)))))'
run /usr/bin/python3 -c 'import sqlite3; c = sqlite3.connect(":memory:"); c.execute("create table t(a)"); c.executemany("insert into t values (?)", [(i,) for i in range(200000)]); print(c.execute("select sum(a) from t").fetchone())'
run --follow-forks -- /usr/bin/gcc -O2 -c -o "$tmp/exec.o" "$SRCDIR/lib/exec.c"
run /usr/bin/git -C "$SRCDIR" log --oneline -50
run /usr/bin/perl -e 'my @a = map { "x" x $_ } 1..20000; print scalar(@a), "\n"'
run /usr/bin/python3 -c 'import threading; t = [threading.Thread(target=lambda: sum(range(10**6))) for i in range(4)]; [x.start() for x in t]; [x.join() for x in t]'
run /bin/bash -c 'x=$(seq 1000 | wc -l); echo $x'
run /usr/bin/awk 'BEGIN { for (i = 0; i < 300000; i++) a[i] = i "x"; print length(a) }'
run /usr/bin/tar -C "$SRCDIR" -cf "$tmp/src.tar" lib client
run /usr/bin/gzip -k -9 "$tmp/input"
run /usr/bin/find /usr/share/doc -name '*.gz'
echo "# shadow-long: $n programs, $total memory system calls mirrored"
exit $bad
