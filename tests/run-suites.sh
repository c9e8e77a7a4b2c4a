#!/bin/sh
# SPDX-License-Identifier: MIT
# Run every test suite given as an argument, each emitting TAP ("ok N", "not ok N", and
# "ok N # SKIP reason" for a test that cannot run here), and end with one line
# "N passed, N failed" summed over all suites, followed by ", N skipped" when tests were skipped:
# a skip is neither a pass nor a failure.  A suite that exits non-zero without
# reporting a failure (a crash, a sanitizer report, a timeout) counts as one failed test.
# Each suite's full output is kept in $B/test-logs/<suite>.log.  Every suite runs in a process
# group of its own, killed when the suite ends, so that a suite that hangs or dies cannot leave
# a daemon behind.
B=${B:-build}
logs="$B/test-logs"
mkdir -p "$logs"
limit=${VMAD_SUITE_TIMEOUT:-900}

total_pass=0
total_fail=0
total_skip=0
for suite in "$@"; do
	name=$(basename "$suite")
	log="$logs/$name.log"
	CMOCKA_MESSAGE_OUTPUT=TAP setsid -w timeout --foreground -k 10 "$limit" "$suite" >"$log" 2>&1 &
	pid=$!
	wait "$pid"
	rc=$?
	/bin/kill -KILL -- "-$pid" 2>/dev/null
	# cmocka marks a skip "ok N # SKIP" (older releases "not ok N # SKIP").
	skip=$(grep -Ec '^(not )?ok [^#]*# SKIP' "$log")
	pass=$(grep '^ok ' "$log" | grep -Evc '^ok [^#]*# SKIP')
	fail=$(grep '^not ok ' "$log" | grep -Evc '^not ok [^#]*# SKIP')
	if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
		fail=1
		echo "not ok - $name exited with status $rc" >>"$log"
	fi
	if [ "$fail" -eq 0 ] && [ "$pass" -eq 0 ] && [ "$skip" -eq 0 ]; then
		fail=1
		echo "not ok - $name ran no test" >>"$log"
	fi
	skipped=
	[ "$skip" -gt 0 ] && skipped=", $skip skipped"
	if [ "$fail" -eq 0 ]; then
		printf 'PASS %-28s %5d passed%s\n' "$name" "$pass" "$skipped"
	else
		printf 'FAIL %-28s %5d passed, %d failed%s (log: %s)\n' "$name" "$pass" "$fail" \
			"$skipped" "$log"
		grep -E '^not ok|^# (ERROR|FAIL)|ERROR:|runtime error|AddressSanitizer|LeakSanitizer' "$log" | head -20 | sed 's/^/     /'
	fi
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
done
if [ "$total_skip" -gt 0 ]; then
	echo "$total_pass passed, $total_fail failed, $total_skip skipped"
else
	echo "$total_pass passed, $total_fail failed"
fi
[ "$total_fail" -eq 0 ]
