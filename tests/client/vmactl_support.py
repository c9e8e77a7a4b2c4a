# SPDX-License-Identifier: MIT
"""What the vmactl tests share: a vmad on a temporary socket, running vmactl, and checks of
its output and of raw frames.

Environment (set by the generated wrapper): B (the build directory), VMAD_BIN.
"""

import json
import os
import re
import select
import socket
import subprocess
import tempfile
import time

B = os.environ.get("B", "build")
VMACTL = os.path.join(B, "vmactl")
VMAD = os.environ.get("VMAD_BIN", os.path.join(B, "vmad"))

PAGE = 0x1000
MMAP_TOP = 0x7FFFF7FFF000
ERR_LINE = re.compile(r"^vmactl: (line \d+: )?[a-z-]+: E[A-Z0-9]+: \S.*\n$")
MAPS_LINE = re.compile(
    r"^([0-9a-f]{8,})-([0-9a-f]{8,}) ([r-][w-][x-][ps]) ([0-9a-f]{8}) "
    r"([0-9a-f]{2,}:[0-9a-f]{2,}) (\d+)( +(.*))?$"
)


class Daemon:
    """A vmad on a socket in a fresh temporary directory."""

    def __init__(self, *options):
        self.dir = tempfile.mkdtemp(prefix="vmactl-test.", dir="/tmp")
        self.sock = os.path.join(self.dir, "vmad.sock")
        self.log = open(os.path.join(self.dir, "vmad.log"), "wb")
        self.proc = subprocess.Popen([VMAD, "-s", self.sock] + list(options), stderr=self.log)
        for _ in range(500):
            if os.path.exists(self.sock) and run(self, "ping").rc == 0:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)
        self.stop()
        raise RuntimeError("vmad did not start")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        for name in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, name))
        os.rmdir(self.dir)


class Result:
    def __init__(self, p):
        self.rc = p.returncode
        self.out = p.stdout
        self.err = p.stderr

    def json(self):
        lines = self.out.splitlines()
        assert len(lines) == 1, "expected one JSON line, got %r" % self.out
        return json.loads(lines[0])

    def json_lines(self):
        return [json.loads(line) for line in self.out.splitlines()]

    def __repr__(self):
        return "rc=%d out=%r err=%r" % (self.rc, self.out, self.err)


def run(d, *args, stdin=None, env=None, sock=None):
    cmd = [VMACTL]
    if d is not None or sock is not None:
        cmd += ["-s", sock if sock else d.sock]
    cmd += list(args)
    p = subprocess.run(
        cmd, input=stdin, capture_output=True, text=True, env=env, timeout=60
    )
    return Result(p)


def ok(r, out=None):
    assert r.rc == 0, r
    assert r.err == "", r
    if out is not None:
        assert r.out == out, r
    return r


def refused(r, cmd, errno):
    assert r.rc == 1, r
    assert r.out == "", r
    assert ERR_LINE.match(r.err), r
    assert r.err.startswith("vmactl: %s: %s: " % (cmd, errno)), r
    return r


def usage(r):
    assert r.rc == 2, r
    assert r.out == "", r
    assert r.err.startswith("vmactl: ") and r.err.count("\n") == 1, r
    return r


def hexval(s):
    assert re.fullmatch(r"0x[0-9a-f]+", s), s
    return int(s, 16)


def vma_ok(v):
    assert sorted(v) == sorted(
        ["start", "end", "perms", "offset", "dev", "inode", "path"]
    ), v
    hexval(v["start"])
    hexval(v["end"])
    hexval(v["offset"])
    assert isinstance(v["inode"], int)
    assert re.fullmatch(r"[0-9a-f]{2,}:[0-9a-f]{2,}", v["dev"]), v


def json_matches_line(v, line):
    m = MAPS_LINE.match(line)
    assert m, line
    assert int(m.group(1), 16) == hexval(v["start"])
    assert int(m.group(2), 16) == hexval(v["end"])
    assert m.group(3) == v["perms"]
    assert int(m.group(4), 16) == hexval(v["offset"])
    assert m.group(5) == v["dev"]
    assert int(m.group(6)) == v["inode"]
    assert (m.group(8) or "") == v["path"]


# ---- the tests ------------------------------------------------------------------------


def read_within(fd, n, seconds):
    """n bytes from fd, or what arrived before the time ran out."""
    data = b""
    deadline = time.time() + seconds
    while len(data) < n and time.time() < deadline:
        if select.select([fd], [], [], max(0, deadline - time.time()))[0]:
            chunk = os.read(fd, n - len(data))
            if not chunk:
                break
            data += chunk
    return data


def wait_watchers(d, cond):
    deadline = time.time() + 10
    while not cond(ok(run(d, "-j", "stats")).json()["stats"]["watchers"]):
        assert time.time() < deadline, "the daemon's watcher count never changed"
        time.sleep(0.02)


PING_FRAME = b"\x00\x00\x00\x04\x08\x01\x5a\x00"  # Request{id: 1, ping: {}}


def read_frame(c):
    """One reply frame's body (its 4-byte big-endian length first); b"" on EOF."""
    data = b""
    while len(data) < 4 or len(data) < 4 + int.from_bytes(data[:4], "big"):
        chunk = c.recv(4096)
        if not chunk:
            return b""
        data += chunk
    return data[4:]


def hold_only_slot(path):
    """A connection the daemon serves, holding its only client slot.

    The daemon frees the slot of a client that hung up (Daemon()'s probe) when it reads the
    hang-up, after our connect() may already have been queued: until then a connection is
    refused with a frame that answers no request (no id, error EUSERS), and is made again.
    """
    deadline = time.monotonic() + 10
    while True:
        c = socket.socket(socket.AF_UNIX)
        c.settimeout(10)
        c.connect(path)
        c.sendall(PING_FRAME)
        reply = read_frame(c)
        if reply.startswith(b"\x08\x01"):
            return c
        c.close()
        assert time.monotonic() < deadline, "the probe's slot is never freed"
