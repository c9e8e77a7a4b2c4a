#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End to end under a real systemd (`make systemd-test`, as root): boots systemd as PID 1 in a
# systemd-nspawn container whose root is a minimal Debian (debootstrap, cached), installs the
# project into it with `make install DESTDIR=… PREFIX=/usr`, and drives the installed units
# with systemctl: socket activation, status line, journal, the socket's group gate, stop,
# SIGKILL recovery with every space kept (journal and snapshot in StateDirectory=), save and
# restore, direct start and the watchdog.  Prints TAP; exits non-zero on failure.
#
# Environment: VMAD_SYSTEMD_TEST_CACHE (default /var/cache/vmad-systemd-test) holds the cached
# root, rebuilt when missing or when the runtime libraries vmad needs change;
# VMAD_DEBIAN_MIRROR overrides the mirror read from /etc/apt/sources.list*.
set -u
export LC_ALL=C

MAKE=${MAKE:-make}
B=${B:-build}
cache=${VMAD_SYSTEMD_TEST_CACHE:-/var/cache/vmad-systemd-test}
top=$(pwd)

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
bail() {
	echo "Bail out! $*"
	exit 1
}

[ "$(id -u)" = 0 ] || bail "make systemd-test boots a container and must run as root"
if [ ! -x "$B/vmad" ] || [ ! -x "$B/vmactl" ]; then
	bail "$B/vmad and $B/vmactl are not built"
fi
. /etc/os-release
suite=${VERSION_CODENAME:?}

# ---- tools, mirror, root file system ----------------------------------------------------

need_tools() {
	command -v systemd-nspawn >/dev/null && command -v debootstrap >/dev/null && return 0
	echo "# installing systemd-container debootstrap"
	export DEBIAN_FRONTEND=noninteractive
	timeout 300 apt-get install -y -q systemd-container debootstrap >/dev/null 2>&1 ||
		{ timeout 300 apt-get update -q >/dev/null 2>&1 &&
			timeout 300 apt-get install -y -q systemd-container debootstrap >/dev/null; }
}

# The first configured Debian mirror serving $suite, one-line or deb822 format.
mirror() {
	if [ -n "${VMAD_DEBIAN_MIRROR:-}" ]; then
		echo "$VMAD_DEBIAN_MIRROR"
		return
	fi
	{
		cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			sed -e 's/#.*//' -e 's/\[[^]]*\]//' |
			awk -v s="$suite" '$1 == "deb" && $3 == s { print $2 }'
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] || continue
			awk -v s="$suite" 'BEGIN { RS = ""; FS = "\n" } {
				types = uris = suites = ""; enabled = 1
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^#/) continue
					k = $i; sub(/:.*/, "", k); v = $i; sub(/^[^:]*:[ \t]*/, "", v)
					if (k == "Types") types = v
					if (k == "URIs") uris = v
					if (k == "Suites") suites = v
					if (k == "Enabled" && v == "no") enabled = 0
				}
				if (enabled && (" " types " ") ~ / deb / && (" " suites " ") ~ (" " s " ")) {
					split(uris, u, " "); print u[1]
				}
			}' "$f"
		done
	} | grep -E '^(https?|ftp)://' | head -n 1
}

# Debian packages holding the shared libraries of the built programs (our own excepted).
runtime_packages() {
	local lib pkg
	ldd "$B/vmad" "$B/vmactl" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' |
		sort -u | while read -r lib; do
		case $(realpath "$lib") in "$top"/*) continue ;; esac
		pkg=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(realpath "$lib")" 2>/dev/null ||
			dpkg -S "/usr$lib" 2>/dev/null || dpkg -S "${lib#/usr}" 2>/dev/null)
		[ -n "$pkg" ] || { echo "UNPACKAGED:$lib"; continue; }
		echo "${pkg%%:*}"
	done | sort -u
}

build_root() {
	local base=$1 include=$2 url
	url=$(mirror)
	[ -n "$url" ] || { echo "# no Debian mirror for $suite in /etc/apt/sources.list*"; return 1; }
	echo "# debootstrap $suite from $url (include: $include)"
	rm -rf --one-file-system "$base.new" "$base"
	timeout 900 debootstrap --variant=minbase --include="$include" "$suite" "$base.new" "$url" \
		>"$cache/debootstrap.log" 2>&1 || { tail -n 20 "$cache/debootstrap.log" | diag; return 1; }
	echo "$include" >"$base.new/.vmad-include"
	mv "$base.new" "$base"
}

need_tools
command -v systemd-nspawn >/dev/null && command -v debootstrap >/dev/null
ok $? "systemd-nspawn and debootstrap are installed"

pkgs=$(runtime_packages)
echo "# vmad and vmactl need: $(echo "$pkgs" | paste -sd' ' -)"
case $pkgs in *UNPACKAGED:*) ok 1 "every runtime library of vmad and vmactl comes from a package" ;;
*) ok 0 "every runtime library of vmad and vmactl comes from a package" ;; esac
include=$(printf '%s\n' systemd systemd-sysv dbus libsystemd0 "$pkgs" | grep -v UNPACKAGED |
	sort -u | paste -sd, -)

mkdir -p "$cache"
base=$cache/$suite-root
exec 9>"$cache/lock"
timeout 900 flock 9 || bail "cannot lock $cache"
if [ "$(cat "$base/.vmad-include" 2>/dev/null)" != "$include" ]; then
	build_root "$base" "$include"
fi
[ -f "$base/.vmad-include" ]
ok $? "container root $base (cached; built by debootstrap when missing)"
[ -f "$base/.vmad-include" ] || bail "no container root"

# ---- a fresh copy of the root with the project installed ------------------------------

run=$(mktemp -d /var/tmp/vmad-systemd-test.XXXXXX) || bail "mktemp"
root=$run/root
tpid=
nspawn=
leader=
cleanup() {
	if [ -n "$tpid" ] && kill -0 "$tpid" 2>/dev/null; then
		[ -n "$leader" ] && timeout 10 nsenter -t "$leader" -a systemctl poweroff --no-block \
			>/dev/null 2>&1
		for _ in $(seq 100); do kill -0 "$tpid" 2>/dev/null || break; sleep 0.2; done
		kill -TERM "$tpid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$tpid" 2>/dev/null || break; sleep 0.2; done
		[ -n "$nspawn" ] && kill -KILL "$nspawn" 2>/dev/null
		kill -KILL "$tpid" 2>/dev/null
	fi
	[ -n "$tpid" ] && wait "$tpid" 2>/dev/null
	rm -rf --one-file-system "$run"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

cp -a "$base" "$root"
$MAKE --no-print-directory install DESTDIR="$root" PREFIX=/usr >"$run/install.log" 2>&1
ok $? "make install DESTDIR=<container root> PREFIX=/usr"
diag "$run/install.log"

chroot "$root" ldd /usr/sbin/vmad /usr/bin/vmactl >"$run/ldd.log" 2>&1 &&
	! grep -q 'not found' "$run/ldd.log"
ok $? "the installed vmad and vmactl find all their libraries in the container"
grep 'not found' "$run/ldd.log" | diag

# ---- boot -----------------------------------------------------------------------------

# Child processes of a pid, from /proc/*/stat (the field after the command name is the ppid).
children() {
	local stat
	for stat in /proc/[0-9]*/stat; do
		sed -n 's/^\([0-9]*\) (.*) [A-Za-z] \([0-9]*\) .*/\1 \2/p' "$stat" 2>/dev/null
	done | awk -v p="$1" '$2 == p { print $1 }'
}

timeout 300 systemd-nspawn -D "$root" -M vmad-test -b --register=no --keep-unit \
	--console=read-only </dev/null >"$run/boot.log" 2>&1 &
tpid=$!
for _ in $(seq 300); do
	nspawn=$(children "$tpid" | awk '{ print $1 }')
	for c in $(children "${nspawn:-0}"); do
		[ "$(cat /proc/"$c"/comm 2>/dev/null)" = systemd ] && leader=$c
	done
	[ -n "$leader" ] && break
	kill -0 "$tpid" 2>/dev/null || break
	sleep 0.1
done
[ -n "$leader" ]
ok $? "systemd-nspawn booted systemd as the container's PID 1 (host pid ${leader:-none})"
[ -n "$leader" ] || { diag "$run/boot.log"; bail "container did not boot"; }

# Runs a command inside the container with a clean environment.
c() {
	timeout 30 nsenter -t "$leader" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
}
prop() {
	c systemctl show -p "$2" --value "$1"
}

state=$(c systemctl is-system-running --wait)
case $state in running | degraded) r=0 ;; *) r=1 ;; esac
ok $r "the container's systemd reached running/degraded (${state:-no answer})"
[ "$state" = running ] || c systemctl --failed --no-legend --no-pager | diag

c getent passwd vmad >/dev/null && c getent group vmad >/dev/null
ok $? "systemd-sysusers created user and group vmad at boot"

# ---- socket activation ----------------------------------------------------------------

c systemctl start vmad.socket &&
	[ "$(c systemctl is-active vmad.socket)" = active ] &&
	[ "$(c systemctl is-active vmad.service)" = inactive ]
ok $? "systemctl start vmad.socket: listening, vmad.service not started yet"

node=$(c stat -c '%A %U %G' /run/vmad/vmad.sock)
dir=$(c stat -c '%a %U' /run/vmad)
[ "$node" = "srw-rw---- root vmad" ] && [ "$dir" = "755 root" ]
ok $? "/run/vmad/vmad.sock is srw-rw---- root vmad in /run/vmad 0755 (${node:-missing}, ${dir:-missing})"

out=$(c vmactl ping)
[ "$out" = pong ] && [ "$(c systemctl is-active vmad.service)" = active ]
ok $? "a vmactl request activates vmad.service and is answered ($out)"

c systemctl status vmad --no-pager -l >"$run/status.log" 2>&1
grep -q 'Active: active (running)' "$run/status.log" && grep -q 'Status: "..*"' "$run/status.log"
ok $? "systemctl status vmad: active (running) with vmad's STATUS line"
diag "$run/status.log"

pid=$(prop vmad MainPID)
user=$(c stat -c %U "/proc/$pid")
sandbox=$(c awk '$1 ~ /^(CapEff|NoNewPrivs|Seccomp):$/ { printf "%s%s ", $1, $2 }' \
	"/proc/$pid/status")
[ "$user" = vmad ] && [ "$sandbox" = "CapEff:0000000000000000 NoNewPrivs:1 Seccomp:2 " ]
ok $? "vmad (pid $pid) runs as user vmad, sandboxed (${user:-?}, ${sandbox:-?})"

c vmactl create e2e && addr=$(c vmactl mmap e2e 0 64K rw- private,anonymous) &&
	c vmactl maps e2e >"$run/maps.log" &&
	grep -q "^$(printf '%x-%x' "$addr" $((addr + 0x10000))) rw-p " "$run/maps.log"
ok $? "root: create, mmap ($addr) and maps through the activated socket"

# ---- the socket's group gate, and identity from SO_PEERCRED ---------------------------

c runuser -u nobody -- vmactl ping >"$run/nobody.log" 2>&1
r=$?
[ "$r" = 3 ] && grep -qi 'permission denied' "$run/nobody.log"
ok $? "nobody (not in group vmad) is refused by the socket's mode (exit $r; want 3, EACCES)"
diag "$run/nobody.log"

c useradd --system --no-create-home --shell /usr/sbin/nologin -G vmad vmaduser
out=$(c runuser -u vmaduser -- vmactl ping)
ok $? "vmaduser (in group vmad) is served ($out)"

c runuser -u vmaduser -- vmactl maps e2e >"$run/peer.log" 2>&1
r=$?
[ "$r" = 1 ] && grep -q EACCES "$run/peer.log"
ok $? "vmaduser may not read root's space (exit $r, EACCES): SO_PEERCRED identity reaches vmad"
diag "$run/peer.log"

c runuser -u vmaduser -- vmactl create mine && c runuser -u vmaduser -- vmactl maps mine >/dev/null
ok $? "vmaduser creates and reads its own space"

# ---- journal --------------------------------------------------------------------------

for _ in $(seq 50); do
	c journalctl -u vmad --no-pager -o short >"$run/journal.log" 2>&1
	grep -q "vmad\[$pid\]:" "$run/journal.log" && break
	sleep 0.1
done
grep -q "vmad\[$pid\]:" "$run/journal.log"
ok $? "journalctl -u vmad holds vmad's own log lines"
tail -n 15 "$run/journal.log" | diag

# ---- stop, kill, direct start ---------------------------------------------------------

c systemctl stop vmad 2>/dev/null
[ "$(c systemctl is-active vmad.service)" = inactive ] && [ "$(prop vmad Result)" = success ] &&
	[ "$(prop vmad ExecMainStatus)" = 0 ]
ok $? "systemctl stop vmad stops it cleanly (Result=$(prop vmad Result), status $(prop vmad ExecMainStatus))"

[ "$(c systemctl is-active vmad.socket)" = active ] && c test -S /run/vmad/vmad.sock &&
	[ "$(c vmactl ping)" = pong ]
ok $? "vmad.socket and its node survive the stop; the next request starts vmad again"

# SIGKILLs vmad and waits until systemd has noticed, so that the next request cannot reach
# the dying process.
kill_vmad() {
	local old
	old=$(prop vmad MainPID)
	c systemctl kill -s KILL vmad
	for _ in $(seq 50); do
		[ "$(c systemctl is-active vmad.service)" != active ] ||
			[ "$(prop vmad MainPID)" != "$old" ] && break
		sleep 0.1
	done
}

# Every space is back as it was: root's e2e line for line, vmaduser's own space with its owner.
spaces_kept() {
	c vmactl maps e2e >"$run/maps.now" 2>&1 && cmp -s "$run/maps.log" "$run/maps.now" &&
		c runuser -u vmaduser -- vmactl maps mine >/dev/null &&
		c vmactl list | awk '$1 == "mine" { print $5 }' | grep -qx "$(c id -u vmaduser)"
}

c cat "/proc/$(prop vmad MainPID)/cmdline" | tr '\0' ' ' | grep -q -- '--state-dir /var/lib/vmad ' &&
	c sh -c 'ls /var/lib/vmad/journal-*' >/dev/null 2>&1
ok $? "vmad runs with --state-dir /var/lib/vmad (the unit's StateDirectory=) and journals there"

c vmactl save e2e /root/e2e.sav && c vmactl restore e2e-copy /root/e2e.sav &&
	c vmactl maps e2e-copy | cmp -s "$run/maps.log" -
ok $? "vmactl save and restore give back the space line for line"

old=$(prop vmad MainPID)
kill_vmad
out=$(c vmactl ping)
new=$(prop vmad MainPID)
[ "$out" = pong ] && [ "$(c systemctl is-active vmad.service)" = active ] &&
	[ "$new" != "$old" ] && [ "$new" != 0 ]
ok $? "after systemctl kill -s KILL vmad, a new request is served (pid $old -> $new, NRestarts=$(prop vmad NRestarts))"

spaces_kept
ok $? "after SIGKILL every space is back (the journal was replayed)"
diff "$run/maps.log" "$run/maps.now" | diag

c systemctl restart vmad && spaces_kept
ok $? "systemctl restart vmad keeps every space"

c systemctl kill -s HUP vmad && sleep 1 && c sh -c 'ls /var/lib/vmad/snapshot-*' >/dev/null 2>&1 &&
	kill_vmad && spaces_kept
ok $? "SIGHUP writes a snapshot; after the next SIGKILL every space is back from it"

# A start rate limit on the service would fail vmad.socket after a few quick restarts.
r=0
for _ in 1 2 3 4 5 6; do
	kill_vmad
	[ "$(c vmactl ping)" = pong ] || r=1
done
[ "$r" = 0 ] && [ "$(c systemctl is-active vmad.socket)" = active ]
ok $? "six SIGKILLs in a row: each next request is served, vmad.socket stays active (NRestarts=$(prop vmad NRestarts))"

spaces_kept
ok $? "after six SIGKILLs every space is still there"

c systemctl stop vmad.socket vmad.service 2>/dev/null
c systemctl start vmad.service &&
	[ "$(c systemctl is-active vmad.socket)" = active ] && [ "$(c vmactl ping)" = pong ]
ok $? "systemctl start vmad.service works directly (it pulls in vmad.socket)"

c mkdir -p /run/systemd/system/vmad.service.d
printf '[Service]\nWatchdogSec=1s\n' | c tee /run/systemd/system/vmad.service.d/watchdog.conf >/dev/null
c systemctl daemon-reload && c systemctl restart vmad.service
old=$(prop vmad MainPID)
w1=$(prop vmad WatchdogTimestampMonotonic)
sleep 3
w2=$(prop vmad WatchdogTimestampMonotonic)
[ "$(c systemctl is-active vmad.service)" = active ] && [ "$(prop vmad MainPID)" = "$old" ] &&
	[ "${w2:-0}" -gt "${w1:-0}" ]
ok $? "with WatchdogSec=1s vmad keeps the watchdog fed for 3 s (pid $old, pings at $w1 -> $w2)"

spaces_kept
ok $? "after systemctl stop and start of the units every space is still there"
c rm -rf /run/systemd/system/vmad.service.d
c systemctl daemon-reload

# ---- power off ------------------------------------------------------------------------

c systemctl poweroff --no-block
r=1
for _ in $(seq 150); do
	kill -0 "$tpid" 2>/dev/null || break
	sleep 0.2
done
if ! kill -0 "$tpid" 2>/dev/null; then
	wait "$tpid"
	r=$?
	tpid=
fi
ok $r "the container powered off (systemd-nspawn exit $r)"

echo "1..$n"
[ "$failed" -eq 0 ]
