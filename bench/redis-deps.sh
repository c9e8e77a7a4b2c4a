#!/bin/sh
# SPDX-License-Identifier: MIT
# The Redis half of vmad-bench needs redis-server and redis-benchmark.  As root, install what
# is missing; otherwise print the apt-get line and let vmad-bench skip that half (the rest of
# the benchmarks still run, so this never fails the build).
command -v redis-server >/dev/null 2>&1 && command -v redis-benchmark >/dev/null 2>&1 && exit 0

debs="redis-server redis-tools"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "bench: installing $debs (for the Redis side of vmad-bench)"
	export DEBIAN_FRONTEND=noninteractive
	if apt-get install -y -q $debs >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null && apt-get install -y -q $debs >/dev/null; }; then
		exit 0
	fi
	echo "bench: apt-get install $debs failed; vmad-bench will skip the Redis side" >&2
	exit 0
fi
echo "bench: to compare with Redis, run as root:  apt-get install -y $debs" >&2
echo "bench: vmad-bench will skip the Redis side" >&2
exit 0
