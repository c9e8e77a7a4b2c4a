#!/bin/sh
# SPDX-License-Identifier: MIT
# Writes the seed corpus of fuzz_durable from real state directories: a vmad of this build
# (VMAD_BIN) with --state-dir is driven by vmactl (VMACTL_BIN) through histories of requests,
# compacted with SIGHUP where a history says so, and stopped; each seed is the newest snapshot
# and the journal segment that follows it, packed as fuzz_durable reads them (a u32 with the
# snapshot's length, a flags byte of 0, the snapshot, the journal).
# Usage: durable_seeds.sh DIR (the seeds go to DIR/corpus-durable/).
set -eu
out=$1/corpus-durable
. tests/tmpvmad.sh
tmpvmad_dir vmad-corpus-durable
mkdir -p "$out"

ctl() {
	"$VMACTL_BIN" -s "$tmp/sock" "$@" >/dev/null
}

start() {
	rm -rf "$tmp/state" "$tmp/sock"
	tmpvmad_start --state-dir "$tmp/state"
}

# SIGHUP, then wait for the snapshot that covers the journal so far.
compact() {
	before=$(ls "$tmp/state" | grep -c '^snapshot-' || true)
	kill -HUP "$vmad_pid"
	i=0
	while [ "$(ls "$tmp/state" | grep -c '^snapshot-[0-9a-f]*$' || true)" -le "$before" ] &&
		[ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	sleep 0.2
}

stop_and_pack() {
	kill "$vmad_pid"
	wait "$vmad_pid" || true
	vmad_pid=
	snap=$(ls "$tmp/state" | grep '^snapshot-[0-9a-f]*$' | sort | tail -n 1 || true)
	if [ -n "$snap" ]; then
		jr=journal-${snap#snapshot-}
	else
		jr=$(ls "$tmp/state" | grep '^journal-' | sort | head -n 1)
	fi
	n=0
	[ -z "$snap" ] || n=$(wc -c <"$tmp/state/$snap")
	{
		printf "\\$(printf %03o $((n & 255)))\\$(printf %03o $((n >> 8 & 255)))"
		printf "\\$(printf %03o $((n >> 16 & 255)))\\$(printf %03o $((n >> 24 & 255)))\\000"
		[ -z "$snap" ] || cat "$tmp/state/$snap"
		[ ! -f "$tmp/state/$jr" ] || cat "$tmp/state/$jr"
	} >"$out/$1"
}

history_a() {
	ctl create a
	ctl mmap a 0x40000000 64K rw- private,anonymous,fixed
	ctl mprotect a 0x40004000 8K r--
	ctl mmap a 0x40100000 16K r-x private,fixed --file /usr/lib/libx.so --offset 4K
	ctl fault a 0x40000000 write
	ctl munmap a 0x40008000 4K
}

history_b() {
	ctl create b --layout i386 --anon-vma-name
	ctl mmap b 0x10000000 32K rw- shared,anonymous,fixed
	ctl mlock b 0x10000000 8K
	ctl mmap b 0x20000000 16K rw- private,anonymous,fixed
	ctl anon-name b 0x20000000 4K buf
	ctl brk b
	ctl fork b c
	ctl madvise b 0x10002000 4K dontneed
	ctl destroy c
}

# Registered files, protection keys, a seal, mlockall, an import and a restore.
history_c() {
	ctl create c --pku
	ctl file-open c /data/f --size 64K
	ctl mmap c 0x50000000 32K rw- shared,fixed --open 1
	ctl pkey-alloc c
	ctl pkey-mprotect c 0x50000000 4K r-- 1
	ctl mseal c 0x50004000 4K
	ctl file-size c 1 8K
	ctl file-close c 1
	ctl mlockall c 3
	ctl populate c 0x50006000 8K --write
	printf '%s\n' "00400000-00401000 r-xp 00000000 fe:00 7 /usr/bin/x" \
		"7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0 [stack]" | ctl import d -
	ctl save c "$tmp/saved"
	ctl restore e "$tmp/saved"
}

start
history_a
stop_and_pack journal-only

start
history_c
stop_and_pack journal-files-keys

start
history_c
compact
history_a
stop_and_pack snapshot-files-keys

start
history_a
compact
history_b
stop_and_pack snapshot-and-journal

start
history_a
history_b
compact
stop_and_pack snapshot-only
