#!/bin/sh
# SPDX-License-Identifier: MIT
# with-vmad.sh VMAD COMMAND [ARG]...
# Start VMAD on a socket in a fresh temporary directory, run COMMAND with VMAD_SOCKET naming
# that socket, stop VMAD and remove the directory.  Exits with COMMAND's status; when it
# fails, the end of vmad's log goes to standard error.
vmad=$1
shift
dir=$(mktemp -d "${TMPDIR:-/tmp}/vmad-stress.XXXXXX") || exit 2
"$vmad" -s "$dir/vmad.sock" 2>"$dir/vmad.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
trap 'exit 2' INT TERM
i=0
while [ ! -S "$dir/vmad.sock" ] && [ "$i" -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ ! -S "$dir/vmad.sock" ]; then
	echo "with-vmad.sh: $vmad did not start:" >&2
	cat "$dir/vmad.log" >&2
	exit 2
fi
VMAD_SOCKET="$dir/vmad.sock" "$@"
rc=$?
if [ "$rc" -ne 0 ]; then
	echo "with-vmad.sh: the end of vmad's log:" >&2
	tail -n 20 "$dir/vmad.log" >&2
fi
exit "$rc"
