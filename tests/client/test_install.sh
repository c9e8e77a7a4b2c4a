#!/bin/sh
# SPDX-License-Identifier: MIT
# libvmaclient as it is shipped: what the shared and static libraries export, `make install`
# into a DESTDIR with PREFIX=/usr, and the example program built from that tree with
# pkg-config and run against a vmad.  Emits TAP.
#
# Environment (set by the generated wrapper): B, SRCDIR, SANITIZE, SANFLAGS, VMAD_BIN.
B=${B:-build}
# The outer make's own variables (PREFIX=... on its command line), for restoring the build tree
# afterwards; its jobserver does not reach this script.
outer_flags=$(printf '%s' "${MAKEFLAGS:-}" | sed 's/--jobserver-[a-z]*=[^ ]*//g')
SRCDIR=${SRCDIR:-.}
VMAD_BIN=${VMAD_BIN:-$B/vmad}
so="$B/libvmaclient.so.0"
. "$SRCDIR/tests/tmpvmad.sh"
tmpvmad_dir vmac-install
root="$tmp/root"

n=0
failed=0
check() {
	desc=$1
	shift
	n=$((n + 1))
	if "$@" >"$tmp/out" 2>&1; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		sed 's/^/# /' "$tmp/out"
		failed=1
	fi
}

# Names the dynamic symbol table defines (version suffixes dropped).
dyn_names() {
	nm -D --defined-only "$so" | awk '{ print $NF }' | sed 's/@.*//' | sort -u
}

only_vmac_exported() {
	bad=$(dyn_names | grep -v '^vmac_')
	[ -z "$bad" ] || { echo "exported: $bad"; return 1; }
}

header_functions_exported() {
	sed -n 's/^VMAC_EXPORT[^(]*[ *]\(vmac_[a-z0-9_]*\)(.*/\1/p' "$SRCDIR/client/vmaclient.h" |
		sort -u >"$tmp/declared"
	[ "$(wc -l <"$tmp/declared")" -ge 40 ] || { echo "too few declarations"; return 1; }
	dyn_names | grep -v '^vmac_0' >"$tmp/exported"
	diff "$tmp/declared" "$tmp/exported"
}

soname_ok() {
	readelf -d "$so" | grep -q 'SONAME.*\[libvmaclient\.so\.0\]' &&
		[ "$(readlink "$B/libvmaclient.so")" = libvmaclient.so.0 ]
}

static_globals_ok() {
	bad=$(nm --defined-only -g "$B/libvmaclient.a" | awk 'NF == 3 { print $3 }' |
		grep -v '^vmac_')
	[ -z "$bad" ] || { echo "global in the archive: $bad"; return 1; }
}

make_install() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$SRCDIR" --no-print-directory -s \
		install DESTDIR="$root" PREFIX=/usr SANITIZE="$SANITIZE"
}

installed_files_ok() {
	for f in usr/bin/vmactl usr/bin/vmad-stress usr/lib/libvmaclient.so.0.1.0 usr/lib/libvmaclient.a \
		usr/include/vmaclient.h usr/lib/pkgconfig/libvmaclient.pc; do
		[ -f "$root/$f" ] || { echo "missing $f"; return 1; }
	done
	[ "$(readlink "$root/usr/lib/libvmaclient.so.0")" = libvmaclient.so.0.1.0 ] &&
		[ "$(readlink "$root/usr/lib/libvmaclient.so")" = libvmaclient.so.0 ]
}

no_destdir_baked_in() {
	[ -f "$root/usr/lib/pkgconfig/libvmaclient.pc" ] && ! grep -rl "$tmp" "$root"
}

pc_ok() {
	pc="$root/usr/lib/pkgconfig/libvmaclient.pc"
	grep -qx 'prefix=/usr' "$pc" && grep -q '^Requires.private: libprotobuf-c' "$pc" &&
		[ "$(PKG_CONFIG_PATH="$root/usr/lib/pkgconfig" pkg-config --modversion libvmaclient)" = 0.1.0 ]
}

build_example() {
	cp -r "$SRCDIR/client/examples" "$tmp/example" &&
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
			PKG_CONFIG_PATH="$root/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root" \
			make -C "$tmp/example" --no-print-directory \
			CFLAGS="-O2 -g -Wall -Wextra -Werror $SANFLAGS" LDFLAGS="$SANFLAGS"
}

start_vmad() {
	"$VMAD_BIN" -s "$tmp/vmad.sock" 2>"$tmp/vmad.log" &
	vmad_pid=$!
	i=0
	while [ $i -lt 500 ]; do
		"$root/usr/bin/vmactl" -s "$tmp/vmad.sock" ping >/dev/null 2>&1 && return 0
		sleep 0.01
		i=$((i + 1))
	done
	return 1
}

run_example() {
	LD_LIBRARY_PATH="$root/usr/lib" "$tmp/example/elfload" -s "$tmp/vmad.sock" /bin/true \
		>"$tmp/elfload.out" || return 1
	cat "$tmp/elfload.out"
	grep -q ' r-xp 00002000 .* /bin/true$' "$tmp/elfload.out" &&
		grep -q ' rw-p .*\[heap\]$' "$tmp/elfload.out" &&
		grep -q '\[stack\]$' "$tmp/elfload.out" &&
		grep -q '(entry point): ok$' "$tmp/elfload.out" &&
		grep -q '(write to text): SEGV_ACCERR$' "$tmp/elfload.out" &&
		grep -q '(NULL page): SEGV_MAPERR$' "$tmp/elfload.out" &&
		[ "$("$root/usr/bin/vmactl" -s "$tmp/vmad.sock" list)" = "" ]
}

make_uninstall() {
	[ -f "$root/usr/include/vmaclient.h" ] || return 1
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$SRCDIR" --no-print-directory -s \
		uninstall DESTDIR="$root" PREFIX=/usr SANITIZE="$SANITIZE" &&
		[ -z "$(find "$root" -name '*vmaclient*' -o -name vmactl -o -name 'vmad-stress*')" ]
}

# Installing with PREFIX=/usr regenerated the build's files that name install directories (the
# .pc, the systemd unit); rebuild them for the outer make's PREFIX so later suites see those.
restore_build() {
	env -u MFLAGS -u MAKELEVEL MAKEFLAGS="$outer_flags" make -C "$SRCDIR" \
		--no-print-directory -s build SANITIZE="$SANITIZE"
}

check "the shared library exports only vmac_ names" only_vmac_exported
check "every function of vmaclient.h is exported" header_functions_exported
check "SONAME libvmaclient.so.0 and the development link" soname_ok
check "the static archive defines only vmac_ globals" static_globals_ok
check "make install DESTDIR=... PREFIX=/usr" make_install
check "library, links, header, .pc, vmactl and vmad-stress are installed" installed_files_ok
check "DESTDIR is not baked into installed files" no_destdir_baked_in
check "libvmaclient.pc names /usr and requires libprotobuf-c privately" pc_ok
check "the example builds with pkg-config against the installed tree" build_example
check "vmad answers the installed vmactl" start_vmad
check "the example lays out /bin/true and handles its faults" run_example
check "make uninstall removes the client's files" make_uninstall
check "the build tree is rebuilt for the outer PREFIX" restore_build
echo "1..$n"
exit $failed
