#!/bin/sh
# SPDX-License-Identifier: MIT
# vmactl shadow on real programs: a shell pipeline (forks followed), python3 running a short
# script (JSON work, then private mmaps written, grown and dropped), and sort on generated input, each followed from its exec to its exit with every
# memory system call mirrored into vmad and checked against /proc/PID/maps and status.
# Emits TAP, one test per program, then the number of calls mirrored and of divergences.
#
# Environment (set by the generated wrapper): B, SRCDIR, VMAD_BIN.
B=${B:-build}
SRCDIR=${SRCDIR:-.}
VMAD_BIN=${VMAD_BIN:-$B/vmad}
VMACTL="$B/vmactl"
. "$SRCDIR/tests/tmpvmad.sh"
tmpvmad_dir vmad-shadow

tmpvmad_start

seq 1 30000 | awk '{ print ($1 * 7919) % 30011 }' >"$tmp/input"
cat >"$tmp/script.py" <<'PY'
import collections, json, mmap
rows = [{"k": i % 97, "v": str(i) * 8} for i in range(40000)]
back = json.loads(json.dumps(rows))
print(len(collections.Counter(r["k"] for r in back)))
del rows, back
# Private mappings made, written, grown and dropped: mmap, mremap and munmap calls.
with open(__file__, "rb") as f:
    for i in range(800):
        m = mmap.mmap(-1, 65536 * (1 + i % 4), flags=mmap.MAP_PRIVATE)
        m[0:4] = b"abcd"
        if i % 3 == 0:
            m.resize(65536 * 8)
        m.close()
        if i % 5 == 0:
            mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ).close()
PY
n=0
failed=0
mirrored=0
divergences=0
programs=0
shadow() {
	desc=$1
	shift
	n=$((n + 1))
	if [ ! -x "$1" ] && [ "$1" != "--follow-forks" ]; then
		echo "ok $n - $desc # SKIP $1 is not here"
		return
	fi
	"$VMACTL" -s "$tmp/sock" shadow "s$n" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	summary=$(grep 'memory system calls mirrored' "$tmp/err")
	calls=$(printf '%s\n' "$summary" | sed -n 's/.* \([0-9]*\) memory system calls mirrored.*/\1/p')
	div=$(printf '%s\n' "$summary" | sed -n 's/.* \([0-9]*\) divergence(s)$/\1/p')
	programs=$((programs + 1))
	mirrored=$((mirrored + ${calls:-0}))
	divergences=$((divergences + ${div:-1}))
	if [ "$rc" -eq 0 ] && [ "${div:-1}" -eq 0 ] && [ "${calls:-0}" -gt 0 ]; then
		echo "ok $n - $desc: ${calls} calls mirrored"
	else
		echo "not ok $n - $desc (exit $rc)"
		sed 's/^/# /' "$tmp/err"
		failed=1
	fi
}

shadow "a shell pipeline, forks followed" --follow-forks -- /bin/sh -c \
	'for i in 3 1 2; do echo $i; done | sort -n | tail -1 >/dev/null; ls / >/dev/null'
shadow "python3 running a short script" /usr/bin/python3 "$tmp/script.py"
shadow "sort on 30000 generated lines" /usr/bin/sort "$tmp/input"
shadow "sort, several threads" /usr/bin/sort --parallel=2 -S 1M "$tmp/input"
shadow "mseal and the protection-key calls" "$B/tests/exec/seal"
shadow "mlockall and munlockall" "$B/tests/exec/lockall"
# vmactl exec itself: silent, the layout in maps, JSON fields, refusals of unrunnable files.
ctl() {
	"$VMACTL" -s "$tmp/sock" "$@"
}
check() {
	n=$((n + 1))
	if eval "$2" >"$tmp/out" 2>&1; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		sed 's/^/# /' "$tmp/out"
		failed=1
	fi
}
check "exec prints nothing and maps shows the program and its stack" \
	'[ -z "$(ctl exec e1 --env A=B -- /bin/true x)" ] &&
	 ctl maps e1 | grep -q "/usr/bin/true\$" && ctl maps e1 | grep -q "\[stack\]\$"'
check "exec --json gives the mm fields" \
	'ctl -j exec e1 /bin/true | grep -q "\"ok\":true,\"start_code\":\"0x"'
cp "$tmp/input" "$tmp/notelf"
chmod 0755 "$tmp/notelf"
check "exec of a file that is no program: exit 2, ENOEXEC" \
	'ctl exec e1 "$tmp/notelf"; [ $? -eq 2 ] && ctl -j exec e1 "$tmp/notelf" | grep -q ENOEXEC'
check "exec with an unknown option before PROGRAM: exit 2" \
	'ctl exec e1 --bogus /bin/true; [ $? -eq 2 ]'
check "shadow reports what it cannot mirror (SysV shm): exit 1, the call and the line" \
	'ctl shadow e2 -- "$B/tests/exec/shm" 2>"$tmp/shm.err"; [ $? -eq 1 ] &&
	 grep -q "diverged after shmat(" "$tmp/shm.err" && grep -q "kernel: .*/SYSV" "$tmp/shm.err"'
echo "1..$n"
echo "# shadow: $programs programs, $mirrored memory system calls mirrored, $divergences divergences"
exit $failed
