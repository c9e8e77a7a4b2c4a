# SPDX-License-Identifier: MIT
"""vmactl against a real vmad: every command's text and JSON output, exit statuses, value
syntax, batch semantics and usage errors.  Emits TAP.

Environment (set by the generated wrapper): B (the build directory), VMAD_BIN.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import traceback

from vmactl_support import *  # noqa: F401,F403 (the shared helpers and constants)


def t_local_commands(d):
    """-h, help, --version work without a daemon."""
    nowhere = os.path.join(d.dir, "no-such.sock")
    r = ok(run(None, "--version", sock=nowhere))
    assert re.match(r"^vmactl \d+\.\d+\.\d+", r.out)
    r = ok(run(None, "-h", sock=nowhere))
    assert r.out.startswith("usage: vmactl")
    for cmd in ["create", "destroy", "list", "fork", "mmap", "munmap", "mprotect", "mremap",
                "brk", "find", "populate", "fault", "madvise", "mlock", "munlock", "maps",
                "status", "import", "watch", "stats", "ping", "batch"]:
        assert "\n  %s" % cmd in r.out, cmd
        h = ok(run(None, "help", cmd, sock=nowhere))
        assert h.out.startswith("usage: vmactl %s" % cmd), h
    ok(run(None, "help", sock=nowhere))
    r = ok(run(None, "mmap", "--help", sock=nowhere))
    assert r.out.startswith("usage: vmactl mmap NAME ADDR LEN PROT FLAGS")


def t_usage_errors(d):
    """Bad command lines exit 2 with one line on stderr, before any daemon is asked."""
    nowhere = os.path.join(d.dir, "no-such.sock")
    r = run(None, sock=nowhere)
    assert r.rc == 2 and r.err.startswith("usage: vmactl"), r
    for args in [
        ["nosuch"],
        ["help", "nosuch"],
        ["mmap", "a", "0", "4K", "rw-"],
        ["mmap", "a", "0", "4K", "rw-", "private,anonymous", "extra"],
        ["mmap", "a", "zero", "4K", "rw-", "private,anonymous"],
        ["mmap", "a", "0", "4Q", "rw-", "private,anonymous"],
        ["mmap", "a", "0", "0x", "rw-", "private,anonymous"],
        ["mmap", "a", "0", "99999999999999999999", "rw-", "private"],
        ["mmap", "a", "0", "4K", "rwz", "private,anonymous"],
        ["mmap", "a", "0", "4K", "wr-", "private,anonymous"],
        ["mmap", "a", "0", "4K", "rw-", "private,anon,bogus"],
        ["mmap", "a", "0", "4K", "rw-", "private", "--offset", "4K"],
        ["mmap", "a", "0", "4K", "rw-", "private", "--file"],
        ["mmap", "a", "0", "4K", "rw-", "private", "--file", "/x", "--file-mode", "x"],
        ["mmap", "a", "0", "4K", "rw-", "private", "--nope"],
        ["mremap", "a", "0", "4K", "8K", "maymove,sideways"],
        ["madvise", "a", "0", "4K", "dont_need_it"],
        ["fault", "a", "0", "jump"],
        ["create", "a", "--layout", "arm64"],
        ["create", "a", "--mode", "0999"],
        ["create", "a", "--with-stack=yes"],
        ["find", "a", "0", "4K", "--prev"],
        ["ping", "extra"],
        ["-x", "ping"],
        ["-s"],
        ["--json=yes", "ping"],
    ]:
        usage(run(None, *args, sock=nowhere))
    r = run(None, "-j", "mmap", "a", "0", "4K", "rwz", "private", sock=nowhere)
    assert r.rc == 2, r
    j = r.json()
    assert j["ok"] is False and j["errno"] == "EINVAL" and "rwz" in j["error"], j
    r = run(None, "mmap", "a", "0", "4K", "rw-", sock=nowhere)
    assert r.err == ("vmactl: mmap: missing arguments; usage: vmactl mmap NAME ADDR LEN PROT "
                     "FLAGS [--file PATH] [--offset N] [--file-id N] [--file-mode r|rw|w] "
                     "[--kind disk|tmpfs|zero] [--open ID]\n"), r
    r = run(None, "-s", sock=None)
    assert r.err == "vmactl: option '-s' needs a value (see vmactl -h)\n", r


def t_connect_errors(d):
    """No daemon: exit 3, in text and JSON; the socket comes from -s, else $VMAD_SOCKET."""
    nowhere = os.path.join(d.dir, "no-such.sock")
    r = run(None, "ping", sock=nowhere)
    assert r.rc == 3 and r.out == "", r
    assert r.err == "vmactl: cannot connect to %s: No such file or directory\n" % nowhere, r
    r = run(None, "-j", "ping", sock=nowhere)
    assert r.rc == 3 and r.json() == {
        "ok": False, "errno": "ENOENT",
        "error": "cannot connect to %s: No such file or directory" % nowhere}, r
    env = dict(os.environ, VMAD_SOCKET=d.sock)
    ok(run(None, "ping", env=env), "pong\n")
    env = dict(os.environ, VMAD_SOCKET=nowhere)
    assert run(None, "ping", env=env).rc == 3
    env = dict(os.environ, VMAD_SOCKET=nowhere)
    ok(run(d, "ping", env=env), "pong\n")


def t_ping(d):
    ok(run(d, "ping"), "pong\n")
    assert ok(run(d, "--json", "ping")).json() == {"ok": True, "reply": "pong"}
    # -j may also follow the command, as systemctl allows.
    assert ok(run(d, "ping", "-j")).json() == {"ok": True, "reply": "pong"}
    assert ok(run(d, "ping", "--json")).json() == {"ok": True, "reply": "pong"}


def t_error_lines(d):
    """A refusal is one line: the command, the errno's name and what it means here."""
    ok(run(d, "create", "el"))
    ok(run(d, "mmap", "el", "0x10000000", "4K", "rw-", "private,anon,fixed"))
    cases = [
        (["mmap", "el", "0x10000000", "4K", "rw-", "private,anon,fixed_noreplace"],
         "mmap: EEXIST: range already mapped"),
        (["mmap", "el", "0", "0", "rw-", "private,anon"],
         "mmap: EINVAL: invalid address, length, offset or flags"),
        (["mmap", "el", "0", "4K", "rw-", "private"],
         "mmap: EBADF: neither anonymous nor a file (--file)"),
        (["mprotect", "el", "0x20000000", "4K", "r--"], "mprotect: ENOMEM: range not fully mapped"),
        (["munmap", "el", "0x10000001", "4K"], "munmap: EINVAL: invalid address or length"),
        (["mremap", "el", "0x20000000", "4K", "8K"],
         "mremap: EFAULT: the old range is not within one mapping"),
        (["madvise", "el", "0x20000000", "4K", "dontneed"],
         "madvise: ENOMEM: range not fully mapped"),
        (["mlock", "el", "0x20000000", "4K"],
         "mlock: ENOMEM: range not fully mapped, or RLIMIT_MEMLOCK exceeded"),
        # The daemon's own explanations are kept.
        (["maps", "nosuch"], "maps: ENOENT: no address space named 'nosuch'"),
        (["create", "el"], "create: EEXIST: address space 'el' exists"),
    ]
    for args, line in cases:
        r = run(d, *args)
        assert (r.rc, r.out, r.err) == (1, "", "vmactl: %s\n" % line), (args, r)
        j = run(d, "-j", *args)
        name, err, text = line.split(": ", 2)
        assert j.rc == 1 and j.json() == {"ok": False, "errno": err, "error": text}, (args, j)
    ok(run(d, "destroy", "el"))


def t_create_defaults(d):
    """The documented defaults: TASK_SIZE, mmap_base, max_map_count, the exec stack."""
    ok(run(d, "create", "df", "--with-stack"))
    stack = "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0" + " " * 26 + "[stack]\n"
    gate = "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0" + " " * 18 + "[vsyscall]\n"
    ok(run(d, "maps", "df"), stack + gate)
    # mmap_base: the first mapping without a hint ends there.
    ok(run(d, "mmap", "df", "0", "4K", "r--", "private,anon"), "0x7ffff7ffe000\n")
    # TASK_SIZE: the last page below it can be mapped, nothing at or above it.
    ok(run(d, "mmap", "df", "0x7ffffffdd000", "4K", "r--", "private,anon,fixed"),
       "0x7ffffffdd000\n")
    refused(run(d, "mmap", "df", "0x7ffffffff000", "4K", "r--", "private,anon,fixed"), "mmap",
            "ENOMEM")
    refused(run(d, "mmap", "df", "0", "0x800000000000", "r--", "private,anon"), "mmap",
            "ENOMEM")
    ok(run(d, "destroy", "df"))
    ok(run(d, "create", "mc", "--max-map-count", "2"))
    for i in range(3):
        ok(run(d, "mmap", "mc", "0x%x" % (0x10000000 + i * 0x2000), "4K", "r--",
               "private,anon,fixed"))
    refused(run(d, "mmap", "mc", "0x20000000", "4K", "r--", "private,anon,fixed"), "mmap",
            "ENOMEM")
    ok(run(d, "destroy", "mc"))


def t_max_map_count_default(d):
    """max_map_count 65530: as in Linux, mmap may take the count to 65531, not beyond."""
    if os.environ.get("SANITIZE") == "1":
        # That build checks the whole tree after every operation: 65531 mmaps take minutes.
        return "SKIP quadratic under the sanitizer build's invariant checks"
    ok(run(d, "create", "mc"))
    lines = ["mmap mc 0x%x 4K r-- private,anon,fixed" % (0x10000000 + i * 0x2000)
             for i in range(65532)]
    r = run(d, "batch", "-", stdin="\n".join(lines) + "\n")
    assert r.rc == 1 and r.err.startswith("vmactl: line 65532: mmap: ENOMEM: "), r.err
    assert "MapCount:\t   65531\n" in ok(run(d, "status", "mc")).out
    ok(run(d, "destroy", "mc"))


def t_create_destroy(d):
    ok(run(d, "create", "cd"), "")
    refused(run(d, "create", "cd"), "create", "EEXIST")
    j = run(d, "-j", "create", "cd")
    assert j.rc == 1
    j = j.json()
    assert j["ok"] is False and j["errno"] == "EEXIST" and j["error"], j
    assert ok(run(d, "-j", "destroy", "cd")).json() == {"ok": True}
    refused(run(d, "destroy", "cd"), "destroy", "ENOENT")
    refused(run(d, "maps", "cd"), "maps", "ENOENT")
    ok(run(d, "create", "opts", "--layout", "x86_64-legacy", "--task-size", "0x7ffffffff000",
           "--start-brk", "0x600000", "--with-stack", "--max-map-count", "1000",
           "--rlimit-as", "unlimited", "--rlimit-data", "1G", "--rlimit-stack=8M",
           "--rlimit-memlock", "64K", "--mode", "0640"), "")
    maps = ok(run(d, "maps", "opts")).out
    assert "[stack]" in maps, maps
    assert ok(run(d, "brk", "opts")).out == "0x600000\n"
    spaces = ok(run(d, "-j", "list")).json()["spaces"]
    s = [s for s in spaces if s["name"] == "opts"][0]
    assert s["mode"] == "0640" and s["uid"] == os.getuid() and s["map_count"] == 1, s
    ok(run(d, "destroy", "opts"))


def t_mmap_values(d):
    """Every spelling of numbers, PROT and FLAGS gives the same mapping."""
    ok(run(d, "create", "mv"))
    r = ok(run(d, "mmap", "mv", "0", "64K", "rw-", "private,anonymous"))
    assert r.out == "0x%x\n" % (MMAP_TOP - 0x10000), r
    spellings = [
        ("0x10000000", "4096", "rw-", "MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED"),
        ("268439552", "4k", "read,write", "private|anon|fixed"),
        ("0x10002000", "0x1000", "PROT_READ|PROT_WRITE", "Private,Anonymous,Fixed"),
        ("0x10003000", "4K", "Read|prot_write", "MAP_private,map_anon,FIXED"),
        ("0x10004000", "4K", "rw", "0x32"),
    ]
    for addr, length, prot, flags in spellings:
        r = ok(run(d, "-j", "mmap", "mv", addr, length, prot, flags))
        assert r.json() == {"ok": True, "addr": "0x%x" % int(addr, 0)}, r
    r = ok(run(d, "-j", "find", "mv", "0x10000000")).json()
    assert r["vma"]["start"] == "0x10000000" and r["vma"]["end"] == "0x10005000", r
    assert r["vma"]["perms"] == "rw-p", r
    for prot, perms in [("r--", "r--p"), ("--x", "--xp"), ("none", "---p"), ("---", "---p"),
                        ("PROT_NONE", "---p"), ("exec|read", "r-xp"), ("rwx", "rwxp")]:
        ok(run(d, "mprotect", "mv", "0x10000000", "20K", prot), "")
        v = ok(run(d, "-j", "find", "mv", "0x10000000")).json()["vma"]
        assert v["perms"] == perms, (prot, v)
    r = ok(run(d, "mmap", "mv", "0x20000000", "2M", "r--", "shared,anonymous,fixed_noreplace"))
    assert r.out == "0x20000000\n"
    refused(run(d, "mmap", "mv", "0x20000000", "4K", "r--", "private,anonymous,fixed_noreplace"),
            "mmap", "EEXIST")
    refused(run(d, "mmap", "mv", "0", "0", "r--", "private,anonymous"), "mmap", "EINVAL")
    ok(run(d, "destroy", "mv"))


def t_maps(d):
    """maps prints exactly /proc/PID/maps: a real process's maps survive import and maps."""
    with open("/proc/self/maps") as f:
        real = f.read()
    ok(run(d, "import", "real", "-", stdin=real), "")
    assert ok(run(d, "maps", "real")).out == real
    path = os.path.join(d.dir, "maps.txt")
    with open(path, "w") as f:
        f.write(real)
    ok(run(d, "import", "real2", path, "--mode", "0600"), "")
    text = ok(run(d, "maps", "real2")).out
    assert text == real
    vmas = ok(run(d, "-j", "maps", "real2")).json()["vmas"]
    lines = text.splitlines()
    assert len(vmas) == len(lines)
    for v, line in zip(vmas, lines):
        vma_ok(v)
        json_matches_line(v, line)
    assert any(v["path"] == "" for v in vmas)
    assert any(v["path"] == "[stack]" for v in vmas)
    refused(run(d, "import", "bad", "-", stdin="this is not maps\n"), "import", "EINVAL")
    usage(run(d, "import", "bad", os.path.join(d.dir, "missing")))
    ok(run(d, "destroy", "real"))
    ok(run(d, "destroy", "real2"))


def t_many_vmas(d):
    """More VMAs than one reply page: maps is complete and in order."""
    ok(run(d, "create", "many"))
    lines = ["mmap many 0x%x 4K %s private,anon,fixed" % (0x10000000 + i * 0x2000,
                                                           "rw-" if i % 2 else "r--")
             for i in range(3000)]
    ok(run(d, "batch", "-", stdin="\n".join(lines) + "\n"))
    text = ok(run(d, "maps", "many")).out.splitlines()
    assert len(text) == 3001, len(text)  # and [vsyscall]
    starts = [int(line.split("-")[0], 16) for line in text]
    assert starts == sorted(starts)
    assert len(ok(run(d, "-j", "maps", "many")).json()["vmas"]) == 3001
    assert "MapCount:\t    3000\n" in ok(run(d, "status", "many")).out
    ok(run(d, "destroy", "many"))


def t_find(d):
    ok(run(d, "create", "fd"))
    a = int(ok(run(d, "mmap", "fd", "0x10000000", "8K", "r--", "private,anon,fixed")).out, 16)
    b = int(ok(run(d, "mmap", "fd", "0x10004000", "4K", "rw-", "private,anon,fixed")).out, 16)
    r = ok(run(d, "find", "fd", "0"))
    assert r.out.startswith("10000000-10002000 r--p 00000000 00:00 0"), r
    assert r.out.count("\n") == 1
    r = ok(run(d, "find", "fd", "0x10002000", "--prev"))
    lines = r.out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("10004000-10005000 rw-p"), r
    assert lines[1].startswith("10000000-10002000 r--p"), r
    r = run(d, "find", "fd", "0x10002000", "0x10004000")
    assert r.rc == 1 and r.out == "" and r.err == "", r
    r = ok(run(d, "find", "fd", "0x10002000", "0x10004001"))
    assert r.out.startswith("10004000-10005000"), r
    r = run(d, "find", "fd", "0x10005000")
    assert (r.rc, r.out, r.err) == (1, "", ""), r
    r = run(d, "-j", "find", "fd", "0x10005000")
    assert r.rc == 1 and r.json() == {"ok": True, "vma": None}, r
    j = run(d, "-j", "find", "fd", "0x10005000", "--prev")
    assert j.rc == 1
    j = j.json()
    assert j["vma"] is None and j["prev"]["start"] == "0x%x" % b, j
    j = ok(run(d, "-j", "find", "fd", "0", "--prev")).json()
    assert j["prev"] is None and j["vma"]["start"] == "0x%x" % a, j
    vma_ok(j["vma"])
    refused(run(d, "find", "nope", "0"), "find", "ENOENT")
    ok(run(d, "destroy", "fd"))


def t_view(d):
    """find --view and check answer from a view, exactly as find does from the daemon."""
    ok(run(d, "create", "vw"))
    ok(run(d, "mmap", "vw", "0x10000000", "8K", "rw-", "private,anon,fixed"))
    ok(run(d, "mmap", "vw", "0x10002000", "4K", "r--", "private,fixed", "--file", "/lib/v.so"))
    for args in (["0"], ["0x10002000", "--prev"], ["0x10001000", "0x10003000"], ["0x10003000"]):
        a, b = run(d, "find", "vw", *args), run(d, "find", "vw", *args, "--view")
        assert (a.rc, a.out, a.err) == (b.rc, b.out, b.err), (a, b)
        a, b = run(d, "-j", "find", "vw", *args), run(d, "-j", "find", "vw", *args, "--view")
        assert (a.rc, a.out) == (b.rc, b.out), (a, b)
    ok(run(d, "check", "vw", "0x10000000", "12K", "r"), "ok\n")
    r = run(d, "check", "vw", "0x10000000", "12K", "rw-")
    assert (r.rc, r.out) == (1, "0x10002000\n"), r
    r = run(d, "-j", "check", "vw", "0x10000000", "16K", "none")
    assert r.rc == 1 and r.json() == {"ok": True, "result": "fault", "addr": "0x10003000"}, r
    refused(run(d, "check", "nope", "0", "1", "r"), "check", "ENOENT")
    refused(run(d, "find", "nope", "0", "--view"), "find", "ENOENT")
    usage(run(d, "check", "vw", "0", "1", "bogus"))
    ok(run(d, "destroy", "vw"))


def t_file_mapping(d):
    """--file: device, inode and size come from stat(2) when the file exists."""
    ok(run(d, "create", "fm"))
    path = os.path.realpath(VMACTL)
    st = os.stat(path)
    r = ok(run(d, "mmap", "fm", "0x400000", "8K", "r--", "private", "--file", path,
               "--offset", "4K", "--file-mode", "r"))
    assert r.out == "0x400000\n"
    line = ok(run(d, "maps", "fm")).out.splitlines()[0]
    dev = "%02x:%02x" % (os.major(st.st_dev), os.minor(st.st_dev))
    m = MAPS_LINE.match(line)
    assert m and m.group(4) == "00001000" and m.group(5) == dev, line
    assert int(m.group(6)) == st.st_ino and m.group(8) == path, line
    j = ok(run(d, "-j", "maps", "fm")).json()["vmas"][0]
    assert j == {"start": "0x400000", "end": "0x402000", "perms": "r--p", "offset": "0x1000",
                 "dev": dev, "inode": st.st_ino, "path": path}, j
    # Two open() calls never merge; the same one does.
    ok(run(d, "mmap", "fm", "0x402000", "4K", "r--", "private,fixed", "--file", path,
           "--offset", "12K", "--file-id", "1"))
    assert len(ok(run(d, "maps", "fm")).out.splitlines()) == 3
    ok(run(d, "mmap", "fm", "0x403000", "4K", "r--", "private,fixed", "--file", path,
           "--offset", "16K", "--file-id", "1"))
    assert len(ok(run(d, "maps", "fm")).out.splitlines()) == 3
    refused(run(d, "mmap", "fm", "0", "4K", "rw-", "shared", "--file", path, "--file-mode",
                "r"), "mmap", "EACCES")
    # A path that does not exist here is a guest path: sent as given, no device.
    ok(run(d, "mmap", "fm", "0x500000", "4K", "r--", "private", "--file", "/guest/lib.so"))
    v = ok(run(d, "-j", "find", "fm", "0x500000")).json()["vma"]
    assert v["path"] == "/guest/lib.so" and v["dev"] == "00:00" and v["inode"] == 0, v
    ok(run(d, "destroy", "fm"))


def t_open_files(d):
    """file-open/-size/-unlink/-close, mmap --open, /dev/zero and set-brk."""
    ok(run(d, "create", "of"))
    fid = ok(run(d, "file-open", "of", "/guest/data", "--size", "64K")).out.strip()
    assert fid == "1", fid
    ok(run(d, "mmap", "of", "0x10000000", "128K", "r--", "shared,fixed", "--open", fid))
    assert ok(run(d, "fault", "of", "0x10000000", "read")).out == "ok\n"
    assert run(d, "fault", "of", "0x10018000", "read").out == "SIGBUS\n"
    ok(run(d, "file-size", "of", fid, "128K"))
    assert ok(run(d, "fault", "of", "0x10018000", "read")).out == "ok\n"
    ok(run(d, "mmap", "of", "0x10020000", "16K", "r--", "shared,fixed", "--open", fid,
           "--offset", "128K"))
    ok(run(d, "file-unlink", "of", fid))
    line = ok(run(d, "maps", "of")).out.splitlines()[0]
    assert line.startswith("10000000-10024000 r--s ") and line.endswith("/guest/data (deleted)")
    ok(run(d, "file-close", "of", fid))
    refused(run(d, "file-close", "of", fid), "file-close", "EBADF")
    refused(run(d, "mmap", "of", "0", "4K", "r--", "shared", "--open", fid), "mmap", "EBADF")
    usage(run(d, "mmap", "of", "0", "4K", "r--", "shared", "--open", fid, "--file", "/x"))
    j = ok(run(d, "-j", "file-open", "of", "/guest/other", "--kind", "tmpfs")).json()
    assert j == {"ok": True, "id": 2}, j
    # /dev/zero, recognised here: MAP_SHARED is a new shmem object per mmap.
    ok(run(d, "mmap", "of", "0x20000000", "8K", "rw-", "shared,fixed", "--file", "/dev/zero"))
    ok(run(d, "mmap", "of", "0x20002000", "8K", "rw-", "shared,fixed", "--file", "/dev/zero",
           "--offset", "8K"))
    lines = [l for l in ok(run(d, "maps", "of")).out.splitlines() if l.startswith("2000")]
    assert len(lines) == 2 and all(l.endswith("/dev/zero (deleted)") for l in lines), lines
    assert " 00002000 00:01 " in lines[1], lines
    ok(run(d, "set-brk", "of", "0x555555555000"))
    assert ok(run(d, "brk", "of")).out == "0x555555555000\n"
    refused(run(d, "set-brk", "of", "0x555555555001"), "set-brk", "EINVAL")
    ok(run(d, "destroy", "of"))


def t_mseal(d):
    """mseal: a sealed range refuses munmap with EPERM; VmFlags bit 42 is set."""
    ok(run(d, "create", "ms"))
    ok(run(d, "mmap", "ms", "0x10000000", "16K", "rw-", "private,anonymous,fixed"))
    ok(run(d, "mseal", "ms", "0x10001000", "4K"))
    refused(run(d, "munmap", "ms", "0x10000000", "16K"), "munmap", "EPERM")
    refused(run(d, "mseal", "ms", "0x10010000", "4K"), "mseal", "ENOMEM")
    assert len(ok(run(d, "maps", "ms")).out.splitlines()) == 4
    ok(run(d, "destroy", "ms"))


def t_mlockall(d):
    """mlockall/munlockall: flags by name or number; VmLck follows; bad flags are refused."""
    ok(run(d, "create", "mla"))
    ok(run(d, "mmap", "mla", "0x10000000", "16K", "rw-", "private,anonymous,fixed"))
    refused(run(d, "mlockall", "mla", "onfault"), "mlockall", "EINVAL")
    refused(run(d, "mlockall", "mla", "0"), "mlockall", "EINVAL")
    usage(run(d, "mlockall", "mla", "sometimes"))
    ok(run(d, "mlockall", "mla", "MCL_CURRENT|future"))
    assert "VmLck:\t      16 kB" in ok(run(d, "status", "mla")).out
    a = ok(run(d, "mmap", "mla", "0", "8K", "rw-", "private,anonymous")).out.strip()
    assert "VmLck:\t      24 kB" in ok(run(d, "status", "mla")).out, a
    ok(run(d, "munlockall", "mla"))
    assert "VmLck:\t       0 kB" in ok(run(d, "status", "mla")).out
    ok(run(d, "mlockall", "mla", "6"))
    ok(run(d, "destroy", "mla"))


def t_personality(d):
    """create/exec --personality: names or numbers; bits not modelled are refused."""
    ok(run(d, "create", "pc", "--personality", "addr-compat-layout"))
    a = ok(run(d, "mmap", "pc", "0", "4K", "rw-", "private,anonymous")).out.strip()
    assert a == "0x2aaaaaaab000", a
    ok(run(d, "create", "pi", "--layout", "i386", "--personality", "PER_ADDR_LIMIT_3GB|read_implies_exec"))
    refused(run(d, "create", "pj", "--layout", "i386", "--task-size", "0xffffe000",
                "--personality", "addr_limit_3gb"), "create", "EINVAL")
    refused(run(d, "create", "pk", "--personality", "0x100000"), "create", "EINVAL")
    usage(run(d, "create", "pk", "--personality", "compat"))
    ok(run(d, "exec", "pe", "--personality", "addr_compat_layout", "--env", "A=1", "--", "/bin/true"))
    maps = ok(run(d, "maps", "pe")).out
    assert "2aaaaaaab000-" in maps, maps
    usage(run(d, "exec", "pf", "--personality", "nope", "/bin/true"))
    for n in ["pc", "pi", "pe"]:
        ok(run(d, "destroy", n))


def t_guard_pkeys(d):
    """Guard regions through madvise; pkey commands in a space without PKU (the default)."""
    ok(run(d, "create", "gp"))
    ok(run(d, "mmap", "gp", "0x10000000", "16K", "rw-", "private,anonymous,fixed"))
    ok(run(d, "madvise", "gp", "0x10001000", "4K", "guard_install"))
    r = run(d, "fault", "gp", "0x10001000", "read")
    assert r.rc == 1 and r.out == "SEGV_MAPERR\n", r
    ok(run(d, "madvise", "gp", "0x10000000", "16K", "MADV_GUARD_REMOVE"))
    ok(run(d, "fault", "gp", "0x10001000", "write"), "ok\n")
    refused(run(d, "pkey-alloc", "gp"), "pkey-alloc", "EINVAL")
    refused(run(d, "pkey-alloc", "gp", "1"), "pkey-alloc", "ENOSPC")
    refused(run(d, "pkey-free", "gp", "0"), "pkey-free", "EINVAL")
    refused(run(d, "pkey-mprotect", "gp", "0x10000000", "4K", "r--", "1"), "pkey-mprotect",
            "EINVAL")
    ok(run(d, "pkey-mprotect", "gp", "0x10000000", "4K", "r--", "none"))
    assert len(ok(run(d, "maps", "gp")).out.splitlines()) == 3
    ok(run(d, "destroy", "gp"))
    ok(run(d, "create", "gk", "--pku"))
    ok(run(d, "mmap", "gk", "0x10000000", "16K", "rw-", "private,anonymous,fixed"))
    ok(run(d, "pkey-alloc", "gk", "2"), "1\n")
    ok(run(d, "pkey-mprotect", "gk", "0x10001000", "4K", "rw-", "1"))
    assert len(ok(run(d, "maps", "gk")).out.splitlines()) == 4
    ok(run(d, "pkey-free", "gk", "1"))
    refused(run(d, "pkey-free", "gk", "1"), "pkey-free", "EINVAL")
    ok(run(d, "destroy", "gk"))


def t_smaps(d):
    """smaps: one block per VMA after its maps line; --rollup sums them; -j carries the text."""
    ok(run(d, "create", "sm"))
    ok(run(d, "mmap", "sm", "0x10000000", "16K", "rw-", "private,anonymous,fixed"))
    ok(run(d, "populate", "sm", "0x10000000", "8K", "--write"))
    out = ok(run(d, "smaps", "sm")).out.splitlines()
    assert out[0].startswith("10000000-10004000 rw-p 00000000 00:00 0")
    assert "Rss:                   8 kB" in out
    assert "Private_Dirty:         8 kB" in out
    assert [l for l in out if l.startswith("VmFlags:")][0] == "VmFlags: rd wr mr mw me ac "
    roll = ok(run(d, "smaps", "sm", "--rollup")).out.splitlines()
    assert roll[0].endswith("[rollup]") and "Pss_Anon:              8 kB" in roll
    assert ok(run(d, "-j", "smaps", "sm", "--rollup")).json()["smaps"].splitlines() == roll
    refused(run(d, "smaps", "nosuch"), "smaps", "ENOENT")
    ok(run(d, "destroy", "sm"))


def t_anon_name(d):
    """anon-name: EINVAL without --anon-vma-name; [anon:NAME] in maps; a hole is ENOMEM."""
    ok(run(d, "create", "an"))
    ok(run(d, "mmap", "an", "0x10000000", "16K", "rw-", "private,anonymous,fixed"))
    refused(run(d, "anon-name", "an", "0x10000000", "4K", "x"), "anon-name", "EINVAL")
    ok(run(d, "destroy", "an"))
    ok(run(d, "create", "an", "--anon-vma-name"))
    ok(run(d, "mmap", "an", "0x10000000", "16K", "rw-", "private,anonymous,fixed"))
    ok(run(d, "anon-name", "an", "0x10001000", "8K", "buf"))
    lines = ok(run(d, "maps", "an")).out.splitlines()
    assert lines[1].startswith("10001000-10003000 rw-p") and lines[1].endswith(" [anon:buf]")
    refused(run(d, "anon-name", "an", "0x10000000", "64K"), "anon-name", "ENOMEM")
    assert len(ok(run(d, "maps", "an")).out.splitlines()) == 2
    ok(run(d, "destroy", "an"))


def t_change_commands(d):
    ok(run(d, "create", "ch", "--with-stack"))
    a = int(ok(run(d, "mmap", "ch", "0", "32K", "rw-", "private,anonymous")).out, 16)
    ok(run(d, "munmap", "ch", hex(a), "4K"), "")
    refused(run(d, "munmap", "ch", hex(a + 1), "4K"), "munmap", "EINVAL")
    ok(run(d, "mprotect", "ch", hex(a + 0x1000), "4K", "r--"), "")
    refused(run(d, "mprotect", "ch", "0x1000", "4K", "r--"), "mprotect", "ENOMEM")
    n = ok(run(d, "mremap", "ch", hex(a + 0x2000), "24K", "24K")).out
    assert n == "0x%x\n" % (a + 0x2000), n
    refused(run(d, "mremap", "ch", hex(a + 0x1000), "4K", "1M"), "mremap", "ENOMEM")
    n = ok(run(d, "mremap", "ch", hex(a + 0x2000), "24K", "1M", "maymove")).out
    assert re.fullmatch(r"0x[0-9a-f]+\n", n), n
    j = ok(run(d, "-j", "mremap", "ch", n.strip(), "1M", "8K", "none")).json()
    assert j == {"ok": True, "addr": n.strip()}, j
    j = ok(run(d, "-j", "mremap", "ch", n.strip(), "8K", "8K", "maymove,fixed", "0x30000000"))
    assert j.json()["addr"] == "0x30000000"
    j = ok(run(d, "-j", "mremap", "ch", "0x30000000", "4K", "4K",
               "MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP", "0x31000000"))
    assert j.json()["addr"] == "0x31000000"
    for advice in ["dontneed", "dontfork", "dofork", "wipeonfork", "keeponfork", "MADV_NORMAL",
                   "Random", "sequential", "willneed", "dontdump", "dodump", "cold", "pageout",
                   "populate_read", "populate-write", "free"]:
        ok(run(d, "madvise", "ch", "0x30000000", "8K", advice), "")
    refused(run(d, "madvise", "ch", "0x30000000", "8K", "999"), "madvise", "EINVAL")
    ok(run(d, "mlock", "ch", "0x30000000", "8K"), "")
    assert "VmLck:\t       8 kB\n" in ok(run(d, "status", "ch")).out
    ok(run(d, "munlock", "ch", "0x30000000", "8K"), "")
    ok(run(d, "mlock", "ch", "0x30000000", "4K", "--onfault"), "")
    ok(run(d, "munlock", "ch", "0x30000000", "4K"), "")
    ok(run(d, "populate", "ch", "0x30000000", "8K", "--write"), "")
    assert ok(run(d, "-j", "status", "ch")).json()["status"]["VmRSS"] >= 8
    ok(run(d, "populate", "ch", "0x31000000", "4K"), "")
    for cmd in ["mprotect", "madvise", "mlock", "munlock", "populate", "munmap"]:
        args = {"mprotect": ["r--"], "madvise": ["dontneed"]}.get(cmd, [])
        assert ok(run(d, "-j", cmd, "ch", "0x30000000", "4K", *args)).json() == {"ok": True}
    ok(run(d, "destroy", "ch"))


def t_brk(d):
    ok(run(d, "create", "bk"))
    start = int(ok(run(d, "brk", "bk")).out, 16)
    r = ok(run(d, "brk", "bk", hex(start + 0x21000)))
    assert r.out == "0x%x\n" % (start + 0x21000)
    assert ok(run(d, "-j", "brk", "bk")).json() == {"ok": True, "brk": hex(start + 0x21000)}
    # Below the start the break does not move, and brk says where it stays.
    assert ok(run(d, "brk", "bk", hex(start - 0x1000))).out == "0x%x\n" % (start + 0x21000)
    assert "[heap]" in ok(run(d, "maps", "bk")).out
    ok(run(d, "destroy", "bk"))


def t_fault(d):
    ok(run(d, "create", "ft"))
    a = ok(run(d, "mmap", "ft", "0", "8K", "r--", "private,anonymous")).out.strip()
    ok(run(d, "fault", "ft", a, "read"), "ok\n")
    r = run(d, "fault", "ft", a, "write")
    assert (r.rc, r.out, r.err) == (1, "SEGV_ACCERR\n", ""), r
    r = run(d, "fault", "ft", "0x1000", "exec")
    assert (r.rc, r.out, r.err) == (1, "SEGV_MAPERR\n", ""), r
    assert ok(run(d, "-j", "fault", "ft", a, "read")).json() == {"ok": True, "result": "ok"}
    r = run(d, "-j", "fault", "ft", a, "write")
    assert r.rc == 1 and r.json() == {"ok": True, "result": "SEGV_ACCERR"}, r
    r = run(d, "-j", "fault", "ft", "0x1000", "read")
    assert r.rc == 1 and r.json() == {"ok": True, "result": "SEGV_MAPERR"}, r
    refused(run(d, "fault", "nope", a, "read"), "fault", "ENOENT")
    # A file of 100 bytes mapped over two pages: the second page is beyond its end.
    small = os.path.join(d.dir, "small")
    with open(small, "wb") as f:
        f.write(b"x" * 100)
    f = ok(run(d, "mmap", "ft", "0", "8K", "r--", "private", "--file", small)).out.strip()
    ok(run(d, "fault", "ft", f, "read"), "ok\n")
    r = run(d, "fault", "ft", hex(int(f, 16) + 0x1000), "read")
    assert (r.rc, r.out, r.err) == (1, "SIGBUS\n", ""), r
    ok(run(d, "destroy", "ft"))


def t_status_list_stats(d):
    ok(run(d, "create", "sl", "--with-stack"))
    ok(run(d, "mmap", "sl", "0", "64K", "rw-", "private,anonymous"))
    text = ok(run(d, "status", "sl")).out
    for name in ["VmPeak", "VmSize", "VmLck", "VmHWM", "VmRSS", "RssAnon", "RssFile",
                 "RssShmem", "VmData", "VmStk", "VmExe", "VmLib"]:
        assert re.search(r"^%s:\t *\d+ kB$" % name, text, re.M), (name, text)
    assert re.search(r"^MapCount:\t *2$", text, re.M), text
    st = ok(run(d, "-j", "status", "sl")).json()["status"]
    assert st["VmData"] == 64 and st["MapCount"] == 2, st
    assert st["VmSize"] == 64 + st["VmStk"], st
    assert all(isinstance(v, int) for v in st.values()), st
    # Executable memory outside the program's code counts as VmLib (task_mem()).
    ok(run(d, "create", "sx"))
    ok(run(d, "mmap", "sx", "0", "8K", "r-x", "private,anonymous"))
    sx = ok(run(d, "-j", "status", "sx")).json()["status"]
    assert (sx["VmExe"], sx["VmLib"]) == (0, 8), sx
    assert re.search(r"^VmLib:\t *8 kB$", ok(run(d, "status", "sx")).out, re.M)
    size = int(re.search(r"^VmSize:\t *(\d+) kB$", text, re.M).group(1))
    rss = int(re.search(r"^VmRSS:\t *(\d+) kB$", text, re.M).group(1))
    lines = ok(run(d, "list")).out.splitlines()
    assert "sl 2 %d %d %d" % (size, rss, os.getuid()) in lines, lines
    spaces = ok(run(d, "-j", "list")).json()["spaces"]
    s = [s for s in spaces if s["name"] == "sl"][0]
    assert (s["map_count"], s["vm_size_kb"], s["vm_rss_kb"]) == (2, size, rss), s
    text = ok(run(d, "stats")).out
    for name in ["clients", "spaces", "vmas", "requests", "errors"]:
        assert re.search(r"^%s: \d+$" % name, text, re.M), (name, text)
    stats = ok(run(d, "-j", "stats")).json()["stats"]
    assert stats["spaces"] >= 1 and stats["requests"] >= 1 and stats["vmas"] >= 2, stats
    refused(run(d, "status", "nope"), "status", "ENOENT")
    ok(run(d, "destroy", "sl"))


def t_fork(d):
    ok(run(d, "create", "fp"))
    a = ok(run(d, "mmap", "fp", "0", "8K", "rw-", "private,anonymous")).out.strip()
    b = ok(run(d, "mmap", "fp", "0", "4K", "r--", "private,anonymous")).out.strip()
    ok(run(d, "madvise", "fp", b, "4K", "dontfork"))
    ok(run(d, "fork", "fp", "fc"), "")
    refused(run(d, "fork", "fp", "fc"), "fork", "EEXIST")
    child = ok(run(d, "maps", "fc")).out
    assert child.startswith(a[2:] + "-"), child
    assert b[2:] + "-" not in child
    assert ok(run(d, "-j", "fork", "fp", "fc2")).json() == {"ok": True}
    for name in ["fp", "fc", "fc2"]:
        ok(run(d, "destroy", name))


def t_batch(d):
    script = """# a comment
create bt

mmap bt 0x10000000 4K rw- private,anon,fixed
   # indented comment
mmap bt 0x10000000 4K rw- private,anon,fixed_noreplace
find bt 0
ping
"""
    r = run(d, "batch", "-", stdin=script)
    assert r.rc == 1, r
    assert r.out.startswith("0x10000000\n10000000-10001000 rw-p 00000000 00:00 0"), r
    assert r.out.endswith("\npong\n"), r
    assert r.err.startswith("vmactl: line 6: mmap: EEXIST: ") and r.err.count("\n") == 1, r
    ok(run(d, "destroy", "bt"))
    path = os.path.join(d.dir, "batch.txt")
    with open(path, "w") as f:
        f.write(script)
    r = run(d, "-j", "batch", path)
    assert r.rc == 1, r
    js = r.json_lines()
    assert [j["ok"] for j in js] == [True, True, False, True, True], js
    assert js[1] == {"ok": True, "addr": "0x10000000"} and js[2]["errno"] == "EEXIST", js
    assert js[3]["vma"]["start"] == "0x10000000", js
    ok(run(d, "destroy", "bt"))
    # A line that cannot be parsed is reported and skipped; the others run; the status is 2
    # even when a command was also refused.
    bad = ("create bp\nmmap bp 0 4K rwz private\nfrobnicate\nwatch bp\nbatch x\n"
           "mmap bp 0x10000000 4K rw- private,anon,fixed\n"
           "mmap bp 0x10000000 4K rw- private,anon,fixed_noreplace\nping\n")
    r = run(d, "batch", "-", stdin=bad)
    assert r.rc == 2 and r.out == "0x10000000\npong\n", r
    errs = r.err.splitlines()
    assert [e.split(":")[1] for e in errs] == [" line 2", " line 3", " line 4", " line 5",
                                               " line 7"], r
    assert errs[-1] == "vmactl: line 7: mmap: EEXIST: range already mapped", r
    r = run(d, "-j", "batch", "-", stdin="destroy bp\nmmap bp 0 4K\ndestroy bp\n")
    assert r.rc == 2 and r.err == "", r
    js = r.json_lines()
    assert js[0] == {"ok": True} and js[1]["errno"] == "EINVAL", js
    assert js[1]["error"].startswith("line 2: mmap: missing arguments"), js
    assert js[2]["ok"] is False and js[2]["errno"] == "ENOENT", js
    r = run(d, "batch", "-", stdin="import x -\n")
    assert r.rc == 2, r
    r = run(d, "batch", "-", stdin='create "q1"\nmmap \'q1\' 0 4K "r--" private,anon\ndestroy q1\n')
    ok(r, "0x%x\n" % (MMAP_TOP - PAGE))
    r = run(d, "batch", "-", stdin='create "open\n')
    assert r.rc == 2, r
    usage(run(d, "batch", os.path.join(d.dir, "missing")))
    r = run(d, "-j", "batch", os.path.join(d.dir, "missing"))
    assert r.rc == 2 and r.json()["errno"] == "ENOENT", r
    ok(run(d, "batch", "-", stdin=""), "")
    ok(run(d, "batch", "-", stdin="# nothing\n\n"), "")


def t_batch_streams(d):
    """batch runs each line as it arrives: a pipe still being written gets its answers."""
    p = subprocess.Popen([VMACTL, "-s", d.sock, "batch"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        p.stdin.write(b"ping\n")
        p.stdin.flush()
        got = read_within(p.stdout.fileno(), 5, 10)
        assert got == b"pong\n", got
        p.stdin.write(b"create bs\nmmap bs 0 4K r-- private,anon\n")
        p.stdin.flush()
        got = read_within(p.stdout.fileno(), 15, 10)
        assert got == b"0x7ffff7ffe000\n", got
        p.stdin.write(b"destroy bs\n")
        p.stdin.close()
        rc = p.wait(10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert rc == 0 and p.stdout.read() == b"" and p.stderr.read() == b"", rc
    p.stdout.close()
    p.stderr.close()


def t_access(d):
    """Spaces are private to their owner unless their mode says otherwise (uid 0 may do all)."""
    setpriv = shutil.which("setpriv")
    if os.getuid() != 0 or setpriv is None:
        return "SKIP needs root and setpriv(1) to act as another uid"
    os.chmod(d.dir, 0o755)
    other = [setpriv, "--reuid", "65534", "--regid", "65534", "--clear-groups"]

    def as_other(*args):
        p = subprocess.run(other + [VMACTL, "-s", d.sock] + list(args), capture_output=True,
                           text=True, timeout=60)
        return Result(p)

    ok(run(d, "create", "priv"))
    ok(run(d, "create", "shared", "--mode", "0666"))
    ok(run(d, "create", "ro", "--mode", "0644"))
    for args in [["maps", "priv"], ["status", "priv"], ["find", "priv", "0"], ["watch", "priv"],
                 ["mmap", "priv", "0", "4K", "r--", "private,anon"], ["brk", "priv", "0x1000"],
                 ["mmap", "ro", "0", "4K", "r--", "private,anon"], ["destroy", "shared"],
                 ["fork", "priv", "mine"], ["find", "priv", "0", "--view"],
                 ["check", "priv", "0", "4K", "none"]]:
        r = refused(as_other(*args), args[0], "EACCES")
        assert "access" in r.err or "belongs" in r.err, r
    names = [line.split()[0] for line in ok(as_other("list")).out.splitlines()]
    assert "priv" not in names and "shared" in names and "ro" in names, names
    ok(as_other("maps", "ro"))
    # A view needs read access only: the segment it maps is read-only to its reader.
    r = as_other("check", "ro", "0", "4K", "none")
    assert (r.rc, r.out) == (1, "0x0\n"), r
    ok(as_other("mmap", "shared", "0", "4K", "r--", "private,anon"), "0x7ffff7ffe000\n")
    ok(as_other("fork", "ro", "mine"))
    line = [x for x in ok(run(d, "list")).out.splitlines() if x.startswith("mine ")]
    assert line == ["mine 0 0 0 65534"], line
    ok(run(d, "mmap", "mine", "0", "4K", "r--", "private,anon"))
    ok(as_other("destroy", "mine"))
    for name in ["priv", "shared", "ro"]:
        ok(run(d, "destroy", name))


def t_kernel(d):
    """The same calls through vmactl as through the real kernel: same results, same maps."""
    helper = os.path.join(B, "tests", "client", "kernel_ops")
    seqs = [
        [("mmap", 0, 0x10000, "rw-", "private,anonymous"),
         ("mmap", 0, 0x3000, "r--", "MAP_PRIVATE|MAP_ANONYMOUS"),
         ("mmap", 0, 0x1000, "rw-", "private|anon|growsdown"),
         ("mmap", 0, 0x2000, "PROT_READ|PROT_WRITE", "shared,anon")],
        [("mmap", 0x10000000, 0x10000, "rw-", "private,anon,fixed"),
         ("mprotect", 0x10004000, 0x4000, "r--"),
         ("munmap", 0x10008000, 0x1000),
         ("mprotect", 0x10004000, 0x4000, "read,write"),
         ("mmap", 0x10002000, 0x4000, "rw-", "private,anon,fixed_noreplace"),
         ("mmap", 0x10008000, 0x1000, "rw-", "private,anon,fixed_noreplace"),
         ("mprotect", 0x10010000, 0x1000, "r--")],
        [("mmap", 0x20000000, 0x2000, "rw-", "private,anon,fixed"),
         ("mremap", 0x20000000, 0x2000, 0x8000, "none", 0),
         ("mmap", 0x20008000, 0x1000, "r--", "private,anon,fixed"),
         ("mremap", 0x20000000, 0x8000, 0x10000, "none", 0),
         ("mremap", 0x20000000, 0x8000, 0x10000, "maymove", 0),
         ("mremap", 0x20008000, 0x1000, 0x1000, "maymove,fixed", 0x30000000),
         ("mremap", 0x30000000, 0x1000, 0x1000, "maymove|dontunmap", 0),
         ("mremap", 0x40000000, 0x1000, 0x2000, "maymove", 0)],
        [("mmap", 0x10000000, 0x8000, "rw-", "private,anon,fixed"),
         ("madvise", 0x10002000, 0x2000, "dontfork"),
         ("madvise", 0x10004000, 0x2000, "wipeonfork"),
         ("madvise", 0x10000000, 0x8000, "dofork"),
         ("mlock", 0x10006000, 0x2000, None),
         ("munlock", 0x10000000, 0x8000, None),
         ("madvise", 0x10000000, 0x1000, "hugepage"),
         ("mmap", 0x1001, 0x1000, "rw-", "private,anon,fixed"),
         ("mmap", 0x10000000, 0x1000, "rw-", "private,anon"),
         ("munmap", 0x10000000, 0)],
    ]
    numbers = {"rw-": 3, "r--": 1, "PROT_READ|PROT_WRITE": 3, "read,write": 3,
               "private,anonymous": 0x22, "MAP_PRIVATE|MAP_ANONYMOUS": 0x22,
               "private|anon|growsdown": 0x122, "shared,anon": 0x21,
               "private,anon,fixed": 0x32, "private,anon,fixed_noreplace": 0x100022,
               "private,anon": 0x22, "none": 0, "maymove": 1, "maymove,fixed": 3,
               "maymove|dontunmap": 5, "dontfork": 10, "wipeonfork": 18, "dofork": 11,
               "hugepage": 14}
    zero_inode = re.compile(r"00:01 \d+ +/dev/zero \(deleted\)")
    for n, seq in enumerate(seqs):
        argv = [helper]
        for op in seq:
            argv += [op[0]] + [str(numbers.get(x, x)) for x in op[1:] if x is not None]
        k = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert k.returncode == 0, k
        before, results, after = k.stdout.split("====\n")
        name = "k%d" % n
        ok(run(d, "import", name, "-", stdin=before))
        got = []
        for op in seq:
            args = [op[0], name] + [hex(x) if isinstance(x, int) else x
                                    for x in op[1:] if x is not None]
            r = run(d, *args)
            if r.rc == 0:
                got.append("%s %s" % (op[0], r.out.strip() or "0x0"))
            else:
                assert r.rc == 1 and ERR_LINE.match(r.err), r
                got.append("%s %s" % (op[0], r.err.split(": ")[2]))
        assert "\n".join(got) + "\n" == results, (seq, results, got)
        maps = ok(run(d, "maps", name)).out
        assert zero_inode.sub("", maps) == zero_inode.sub("", after), (seq, after, maps)
        ok(run(d, "destroy", name))


def t_watch(d):
    ok(run(d, "create", "wt"))
    for json_mode in [False, True]:
        wait_watchers(d, lambda n: n == 0)
        cmd = [VMACTL, "-s", d.sock] + (["-j"] if json_mode else []) + ["watch", "wt"]
        w = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # Changes count once the daemon has registered the watcher.
            wait_watchers(d, lambda n: n == 1)
            lines = []
            a = ok(run(d, "mmap", "wt", "0", "8K", "rw-", "private,anonymous")).out.strip()
            ok(run(d, "mprotect", "wt", a, "4K", "r--"))
            ok(run(d, "munmap", "wt", a, "8K"))
            ok(run(d, "set-brk", "wt", "0x600000000000", "0x600000002000"))
            ok(run(d, "ping"))
            for _ in range(4):
                lines.append(w.stdout.readline())
        finally:
            w.send_signal(signal.SIGINT)
            rc = w.wait(10)
        assert rc == 0, (rc, w.stderr.read())
        end = "0x%x" % (int(a, 16) + 0x2000)
        if json_mode:
            js = [json.loads(line) for line in lines]
            assert [j["event"] for j in js] == ["mmap", "mprotect", "munmap", "set-brk"], js
            assert js[0]["start"] == a and js[0]["len"] == "0x2000", js
            assert js[3]["start"] == "0x600000000000", js
            assert js[3]["new_addr"] == "0x600000002000", js
            assert js[0]["prot"] == "rw-" and js[1]["prot"] == "r--", js
            assert all(j["ok"] and j["name"] == "wt" for j in js), js
        else:
            assert lines[0] == "mmap wt %s-%s rw- private,anonymous\n" % (a, end), lines
            assert lines[1].startswith("mprotect wt %s-" % a) and "r--" in lines[1], lines
            assert lines[2] == "munmap wt %s-%s\n" % (a, end), lines
            assert lines[3] == "set-brk wt 0x600000000000 0x600000002000\n", lines
        w.stdout.close()
        w.stderr.close()
    refused(run(d, "watch", "nope"), "watch", "ENOENT")
    ok(run(d, "destroy", "wt"))


def t_daemon_gone(d):
    """A daemon that dies: exit 3, in text and JSON."""
    other = Daemon()
    try:
        ok(run(other, "create", "x"))
        other.kill()
        r = run(other, "ping")
        assert r.rc == 3 and r.out == "" and r.err.startswith("vmactl: cannot connect"), r
        r = run(other, "-j", "maps", "x")
        assert r.rc == 3 and r.json()["ok"] is False, r
    finally:
        other.stop()


def t_not_vmad(d):
    """A socket that does not speak the protocol, or a full daemon: exit 3, saying which."""
    path = os.path.join(d.dir, "not-vmad.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(10)

    def serve():
        c, _ = srv.accept()
        c.recv(4096)
        c.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        c.close()

    t = threading.Thread(target=serve)
    t.start()
    try:
        r = run(None, "ping", sock=path)
    finally:
        t.join()
        srv.close()
        os.unlink(path)
    assert r.rc == 3 and r.out == "", r
    assert r.err.startswith("vmactl: %s does not answer as vmad does (" % path), r
    full = Daemon("--max-clients", "1")
    try:
        held = hold_only_slot(full.sock)
        r = run(full, "ping")
        held.close()
    finally:
        full.stop()
    assert (r.rc, r.out) == (3, ""), r
    assert r.err == ("vmactl: cannot connect to %s: vmad serves its maximum of clients "
                     "(--max-clients)\n" % full.sock), r


def t_write_errors(d):
    """Output that cannot be written fails the command with one line, as in coreutils."""
    nowhere = os.path.join(d.dir, "no-such.sock")
    create = run(d, "create", "full")
    ok(create)
    for args, sock in [(["help"], nowhere), (["--version"], nowhere), (["-h"], nowhere),
                       (["maps", "full"], None), (["-j", "status", "full"], None)]:
        cmd = [VMACTL, "-s", sock if sock else d.sock] + args
        with open("/dev/full", "w") as full:
            p = subprocess.run(cmd, stdout=full, stderr=subprocess.PIPE, text=True,
                               timeout=60)
        assert p.returncode == 2, (args, p.returncode, p.stderr)
        # The reason is known when the last flush fails; an earlier flush leaves only the error.
        assert p.stderr in ("vmactl: write error: No space left on device\n",
                            "vmactl: write error\n"), (args, p.stderr)
    ok(run(d, "destroy", "full"))


TESTS = [
    t_local_commands, t_usage_errors, t_connect_errors, t_ping, t_error_lines,
    t_create_destroy, t_create_defaults, t_max_map_count_default, t_mmap_values, t_maps,
    t_many_vmas, t_find, t_file_mapping, t_open_files, t_mseal, t_mlockall, t_personality,
    t_guard_pkeys, t_smaps, t_anon_name, t_change_commands, t_brk, t_fault,
    t_status_list_stats, t_fork, t_batch, t_batch_streams, t_access, t_kernel, t_watch,
    t_daemon_gone, t_not_vmad, t_write_errors, t_view,
]


def on_alarm(sig, frame):
    raise TimeoutError("the vmactl tests ran out of time")


def main():
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(600)
    d = Daemon()
    failed = 0
    try:
        for i, t in enumerate(TESTS, 1):
            try:
                skip = t(d)
                print("ok %d - %s%s" % (i, t.__name__, " # " + skip if skip else ""))
            except Exception:
                failed += 1
                print("not ok %d - %s" % (i, t.__name__))
                for line in traceback.format_exc().splitlines():
                    print("# " + line)
            sys.stdout.flush()
    finally:
        d.stop()
    print("1..%d" % len(TESTS))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
