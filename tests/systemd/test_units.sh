#!/bin/sh
# SPDX-License-Identifier: MIT
# The systemd units and the install rules, without systemd as PID 1: the generated units pass
# `systemd-analyze verify`, the service's hardening scores 2.0 or better with
# `systemd-analyze security`, the sysusers.d and tmpfiles.d snippets create the user, group and
# state directory in a scratch root, and `make install` followed by `make uninstall` in a
# DESTDIR leaves no file behind.  Prints TAP.
#
# Environment (set by the generated wrapper): B (build directory), SBINDIR (the configured
# sbin directory), VMAD (the built daemon).
set -u

n=0
failed=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
diag() {
	sed 's/^/# /' "$@"
}

tmp=$(mktemp -d /tmp/vmad-units.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# 1. The generated service names the configured daemon, and nothing else is left to fill in.
service=$B/systemd/vmad.service
lines=$(grep -c '^ExecStart=' "$service")
exec_start=$(sed -n 's/^ExecStart=//p' "$service")
[ "$lines" = 1 ] && [ "$exec_start" = "$SBINDIR/vmad --state-dir \${STATE_DIRECTORY}" ] &&
	! grep -q '@[A-Z_]*@' "$service"
ok $? "generated vmad.service runs $SBINDIR/vmad with its StateDirectory= as --state-dir"

# 2. verify, with ExecStart pointing at the built daemon (verify checks it is executable).
mkdir "$tmp/units"
sed "s|^ExecStart=$SBINDIR/vmad|ExecStart=$VMAD|" "$service" >"$tmp/units/vmad.service"
cp systemd/vmad.socket "$tmp/units/"
timeout 60 systemd-analyze verify --man=no --recursive-errors=no \
	"$tmp/units/vmad.socket" "$tmp/units/vmad.service" >"$tmp/verify.log" 2>&1
rc=$?
[ "$rc" -eq 0 ] && [ ! -s "$tmp/verify.log" ]
ok $? "systemd-analyze verify: vmad.socket and vmad.service are clean"
diag "$tmp/verify.log"

# 3. security: the overall exposure must be 2.0 or lower ("OK" or "SAFE").
timeout 60 systemd-analyze security --offline=true --no-pager "$tmp/units/vmad.service" \
	>"$tmp/security.log" 2>&1
rc=$?
score=$(sed -n 's/.*Overall exposure level for vmad.service: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p' \
	"$tmp/security.log")
echo "# systemd-analyze security: vmad.service exposure $score"
[ "$rc" -eq 0 ] && [ -n "$score" ] && echo "$score" | awk '{ exit !($1 <= 2.0) }'
ok $? "systemd-analyze security scores vmad.service 2.0 or better (${score:-no score})"
grep '✗' "$tmp/security.log" | diag

# 4. sysusers.d and tmpfiles.d snippets, applied to a scratch root.
root=$tmp/root
mkdir -p "$root/etc" "$root/usr/lib/sysusers.d" "$root/usr/lib/tmpfiles.d"
cp systemd/vmad.sysusers "$root/usr/lib/sysusers.d/vmad.conf"
cp systemd/vmad.tmpfiles "$root/usr/lib/tmpfiles.d/vmad.conf"
timeout 60 systemd-sysusers --root="$root" >"$tmp/sysusers.log" 2>&1
rc=$?
uid=$(awk -F: '$1 == "vmad" { print $3 }' "$root/etc/passwd" 2>/dev/null)
gid=$(awk -F: '$1 == "vmad" { print $3 }' "$root/etc/group" 2>/dev/null)
pgid=$(awk -F: '$1 == "vmad" { print $4 }' "$root/etc/passwd" 2>/dev/null)
[ "$rc" -eq 0 ] && [ -n "$uid" ] && [ -n "$gid" ] && [ "$pgid" = "$gid" ] && [ "$uid" -lt 1000 ]
ok $? "vmad.sysusers creates system user and group vmad (uid ${uid:-?}, gid ${gid:-?})"
diag "$tmp/sysusers.log"

# Giving the directory to vmad is a chown, which only root may do: elsewhere a skip, said so.
if [ "$(id -u)" -ne 0 ]; then
	n=$((n + 1))
	echo "ok $n - vmad.tmpfiles creates /var/lib/vmad 0700 vmad:vmad # SKIP chown needs root"
else
	timeout 60 systemd-tmpfiles --root="$root" --create >"$tmp/tmpfiles.log" 2>&1
	rc=$?
	owner=$(stat -c '%u:%g %a' "$root/var/lib/vmad" 2>/dev/null)
	[ "$rc" -eq 0 ] && [ "$owner" = "$uid:$gid 700" ]
	ok $? "vmad.tmpfiles creates /var/lib/vmad 0700 vmad:vmad (${owner:-missing})"
	diag "$tmp/tmpfiles.log"
fi

# 5. make install / make uninstall in a DESTDIR (the whole project, as a packager runs it).
dest=$tmp/dest
make="${MAKE:-make}"
$make --no-print-directory install DESTDIR="$dest" >"$tmp/install.log" 2>&1
rc=$?
unit=$(find "$dest" -name vmad.service -path '*/systemd/system/*' 2>/dev/null)
sock=$(find "$dest" -name vmad.socket -path '*/systemd/system/*' 2>/dev/null)
sysusers=$(find "$dest" -path '*/sysusers.d/vmad.conf' 2>/dev/null)
tmpfiles=$(find "$dest" -path '*/tmpfiles.d/vmad.conf' 2>/dev/null)
[ "$rc" -eq 0 ] && [ -n "$unit" ] && [ -n "$sock" ] && [ -n "$sysusers" ] && [ -n "$tmpfiles" ]
ok $? "make install DESTDIR= installs vmad.service, vmad.socket, sysusers.d and tmpfiles.d"
[ "$rc" -eq 0 ] || diag "$tmp/install.log"
installed=$(cd "$dest" 2>/dev/null && find . ! -type d | sort)
[ -n "$installed" ] && echo "$installed" | diag

installed_exec=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit" 2>/dev/null)
[ -n "$installed_exec" ] && [ -x "$dest$installed_exec" ] && [ -f "$dest$installed_exec" ]
ok $? "the installed unit's ExecStart ($installed_exec) is the installed daemon"

$make --no-print-directory uninstall DESTDIR="$dest" >"$tmp/uninstall.log" 2>&1
rc=$?
left=$(cd "$dest" 2>/dev/null && find . ! -type d | sort)
[ "$rc" -eq 0 ] && [ -n "$installed" ] && [ -d "$dest" ] && [ -z "$left" ]
ok $? "make uninstall DESTDIR= removes every installed file ($(echo "$installed" | grep -c .) installed)"
[ -z "$left" ] || echo "$left" | diag
[ "$rc" -eq 0 ] || diag "$tmp/uninstall.log"

echo "1..$n"
[ "$failed" -eq 0 ]
