#!/bin/sh
# SPDX-License-Identifier: MIT
# vmad-stress in `make check`: 32 clients for about 30 s (STRESS_SECONDS) against a vmad of
# this build on a temporary socket, with kills; every check must hold, and the run must leave
# no space behind.
set -u
: "${STRESS_SECONDS:=30}"
n=0
tap() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}

echo "1..3"
"$STRESS_BIN" --help | grep -q '^Usage: vmad-stress'
tap $? "--help"

# shellcheck disable=SC2016
out=$(sh "$SRCDIR/tools/stress/with-vmad.sh" "$VMAD_BIN" sh -c \
	'"$1" -c 32 -t "$2" -p check; rc=$?; "$3" -s "$VMAD_SOCKET" list; exit $rc' \
	- "$STRESS_BIN" "$STRESS_SECONDS" "$VMACTL_BIN" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
echo "$out" | grep '^vmad-stress: clients=32 ops=[1-9]' |
	grep -q 'mismatches=0 lost=0 duplicated=0 killed=[1-9]'
sum=$?
[ "$rc" -eq 0 ] && [ "$sum" -eq 0 ]
tap $? "32 clients killed and restarted: every reply, layout and watch stream as replayed"
echo "$out" | grep -q '^check-'
[ $? -ne 0 ]
tap $? "the run destroyed every space it made"
