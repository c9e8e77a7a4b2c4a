#!/bin/sh
# SPDX-License-Identifier: MIT
# Check the build and test dependencies; as root install what is missing, otherwise print the
# exact apt-get line and fail.  Arguments: pkg-config names, Debian packages, and the
# commands the build and tests run (protoc-c, python3 for the vmactl tests).
pkgs=$1
debs=$2
cmds=${3:-protoc-c}

missing=""
if ! command -v pkg-config >/dev/null 2>&1; then
	missing="pkg-config"
else
	for p in $pkgs; do
		pkg-config --exists "$p" || missing="$missing $p"
	done
fi
for c in $cmds; do
	command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
done
[ -z "$missing" ] && exit 0

echo "deps: missing:$missing"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps: installing $debs"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null || { echo "deps: apt-get update failed" >&2; exit 1; }
	apt-get install -y -q $debs >/dev/null || { echo "deps: apt-get install failed" >&2; exit 1; }
	exit 0
fi
echo "deps: run as root:  apt-get install -y $debs" >&2
exit 1
