# SPDX-License-Identifier: MIT
# Sourced by the shell tests.  tmpvmad_dir PREFIX makes a fresh temporary directory $tmp that
# is removed at exit, with the vmad started in it if any; tmpvmad_start [VMAD-ARGS...] starts
# $VMAD_BIN on $tmp/sock (its log in $tmp/vmad.log, further arguments passed on) and waits up
# to 5 s for the socket to appear.
vmad_pid=

tmpvmad_cleanup() {
	if [ -n "$vmad_pid" ]; then
		kill "$vmad_pid" 2>/dev/null
		wait "$vmad_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}

tmpvmad_dir() {
	tmp=$(mktemp -d "/tmp/$1.XXXXXX") || exit 1
	trap tmpvmad_cleanup EXIT
	trap 'exit 1' INT TERM
}

tmpvmad_start() {
	"$VMAD_BIN" -s "$tmp/sock" --log-level warning "$@" 2>"$tmp/vmad.log" &
	vmad_pid=$!
	i=0
	while [ ! -S "$tmp/sock" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}
