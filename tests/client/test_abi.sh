#!/bin/sh
# SPDX-License-Identifier: MIT
# libvmaclient's ABI against the recorded one (client/libvmaclient.abi, abidw output): added
# functions and symbol versions pass; a removed or changed function, or a changed layout of a
# type the public header defines, fails.  Emits TAP.
#
# With the argument "record" it writes client/libvmaclient.abi from the library instead (make
# abi-baseline, at a release).
#
# Environment (set by the generated wrapper or the make target): B, SRCDIR.
B=${B:-build}
SRCDIR=${SRCDIR:-.}
so="$B/libvmaclient.so.0"
baseline="$SRCDIR/client/libvmaclient.abi"
tmp=$(mktemp -d /tmp/vmac-abi.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# The library's ABI as abidw records it: the types of the public header only, no paths.  The
# header is given as a directory holding it alone: abidw matches a --header-file by the path
# as written, which differs from the one in the debug information when SRCDIR is absolute.
mkdir "$tmp/include" && cp "$SRCDIR/client/vmaclient.h" "$tmp/include/" || exit 1
abi_of() {
	abidw --headers-dir "$tmp/include" --drop-private-types --drop-undefined-syms \
		--no-corpus-path --no-comp-dir-path --no-show-locs --type-id-style hash \
		--out-file "$2" "$1"
}

if [ "${1:-}" = record ]; then
	abi_of "$so" "$baseline" && echo "recorded $baseline"
	exit
fi

echo "1..1"
if ! abi_of "$so" "$tmp/now.abi" >"$tmp/out" 2>&1; then
	echo "not ok 1 - abidw could not read libvmaclient.so.0"
	sed 's/^/# /' "$tmp/out"
	exit 1
fi
abidiff --no-added-syms "$baseline" "$tmp/now.abi" >"$tmp/out" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then
	echo "ok 1 - libvmaclient.so.0 keeps the ABI of client/libvmaclient.abi"
	exit 0
fi
echo "not ok 1 - libvmaclient.so.0 changes the recorded ABI (abidiff status $rc)"
sed 's/^/# /' "$tmp/out"
echo "# A deliberate change at a release: make abi-baseline, and commit client/libvmaclient.abi."
exit 1
