#!/usr/bin/env python3
# inject_selftest.py - checks pfsinject against plain loopback sockets.
#
# garbage: every datagram arrives, none is longer than one MTU, the same seed
# gives the same bytes, and both mutated real messages and random bytes are
# in the mix. push: the stream is XFRCMD, DATA in order, XFREND, with sizes
# and the SHA-256 that agree; a peer that closes counts as a refusal, a silent
# one does not. Bad command lines exit 2 with one line.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import hashlib
import os
import select
import socket
import struct
import subprocess
import sys
import threading

INJECT = os.environ.get("PFSINJECT", "")
failures = []


def expect(cond, msg):
    print(("ok: " if cond else "FAIL: ") + msg)
    if not cond:
        failures.append(msg)


def run(args, timeout=120):
    r = subprocess.run([INJECT] + args, capture_output=True, timeout=timeout)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def collect_garbage(seed, count):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        rc, out, err = run(["garbage", "--to", f"127.0.0.1:{port}", "--count", str(count),
                            "--seed", str(seed), "--gap-us", "100"])
        got = []
        while True:
            r, _, _ = select.select([s], [], [], 1.0)
            if not r:
                break
            got.append(s.recv(65536))
    return rc, out, err, got


def test_garbage():
    rc, out, err, got = collect_garbage(5, 400)
    expect(rc == 0, f"garbage exits 0 ({err.strip()})")
    expect("sent 400 malformed datagrams" in out, "garbage reports what it sent")
    expect(len(got) == 400, f"all 400 datagrams arrive on loopback (got {len(got)})")
    expect(all(len(d) <= 1472 for d in got), "no datagram is longer than 1472 bytes")
    real = [d for d in got if d[:2] == b"PF"]
    expect(0 < len(real) < len(got), "mutated real messages and other bytes are both sent")
    expect(any(len(d) > 16 and d[2] == 1 and d[3] in (1, 2, 11) for d in real),
           "some carry a real header of CLAIM, AD or LEAVE")
    expect(len({d for d in got}) > 300, "the datagrams differ from each other")
    _, _, _, again = collect_garbage(5, 400)
    expect(again == got, "the same seed sends the same bytes")
    _, _, _, other = collect_garbage(6, 400)
    expect(other != got, "another seed sends other bytes")


def serve_once(behaviour, result):
    """Accepts one connection, reads the push, then closes or stays silent."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    result["port"] = ls.getsockname()[1]
    result["ready"].set()
    conn, _ = ls.accept()
    data = b""
    conn.settimeout(5)
    try:
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
            if frames_complete(data):
                break
    except socket.timeout:
        pass
    result["data"] = data
    if behaviour == "silent":
        result["done"].wait(30)
    conn.close()
    ls.close()


def frames(data):
    out, off = [], 0
    while off + 16 <= len(data):
        length = struct.unpack("!H", data[off + 6:off + 8])[0]
        if length < 16 or off + length > len(data):
            break
        out.append(data[off:off + length])
        off += length
    return out, off


def frames_complete(data):
    fs, off = frames(data)
    return off == len(data) and fs and fs[-1][3] == 8


def push_run(behaviour, size, extra=()):
    result = {"ready": threading.Event(), "done": threading.Event()}
    t = threading.Thread(target=serve_once, args=(behaviour, result), daemon=True)
    t.start()
    result["ready"].wait(10)
    rc, out, err = run(["push", "--to", f"127.0.0.1:{result['port']}", "--size", str(size),
                        "--seed", "3", "--timeout", "1500"] + list(extra))
    result["done"].set()
    t.join(30)
    return rc, out, err, result.get("data", b"")


def test_push():
    rc, out, err, data = push_run("close", 40000, ["--file", "/dnld/evil.sbn"])
    expect(rc == 0, f"push exits 0 when the peer closes ({out.strip()} {err.strip()})")
    expect("refused" in out, "push reports the refusal")
    fs, off = frames(data)
    expect(off == len(data), "the stream is whole messages")
    types = [f[3] for f in fs]
    expect(types == [6, 7, 7, 7, 8], f"XFRCMD, 3 x DATA, XFREND (got {types})")
    expect(all(f[:3] == b"PF\x01" for f in fs), "every message has magic PF and version 1")
    if types == [6, 7, 7, 7, 8]:
        x = fs[0]
        size = struct.unpack("!I", x[16:20])[0]
        sha = x[28:60]
        name = x[61:61 + x[60]]
        payload = b""
        for d in fs[1:4]:
            offset, ln = struct.unpack("!IH", d[16:22])
            expect(offset == len(payload), f"DATA offset {offset} is the next byte")
            payload += d[24:24 + ln]
        expect(size == 40000 == len(payload), "XFRCMD size matches the bytes sent")
        expect(hashlib.sha256(payload).digest() == sha, "XFRCMD SHA-256 matches the bytes sent")
        expect(name == b"/dnld/evil.sbn", f"XFRCMD names the file ({name!r})")
        expect(struct.unpack("!I", fs[4][16:20])[0] == 40000, "XFREND size matches")
    rc, out, _, _ = push_run("silent", 1000)
    expect(rc == 1, f"push exits 1 when the peer neither refuses nor closes ({out.strip()})")


def test_cli():
    rc, out, _ = run(["--version"])
    expect(rc == 0 and out.startswith("pfsinject (pfs-toolkit) "), "--version")
    rc, out, _ = run(["--help"])
    expect(rc == 0 and "usage:" in out, "--help")
    for args, what in ((["garbage", "--to", "10.0.0.1:4051"], "a non-loopback target"),
                       (["garbage"], "no --to"), (["bogus", "--to", "127.0.0.1:1"], "a bad mode"),
                       (["push", "--to", "127.0.0.1:1", "--file", "/etc/passwd"], "a bad path"),
                       (["garbage", "--to", "127.0.0.1:1", "--count"], "a missing value")):
        rc, _, err = run(args)
        expect(rc == 2 and len(err.strip().splitlines()) == 1, f"{what}: exit 2, one line")
    rc, _, err = run(["push", "--to", "127.0.0.1:1"])
    expect(rc == 3 and "127.0.0.1:1" in err, "a refused connection: exit 3 naming the address")


def main():
    if not os.access(INJECT, os.X_OK):
        print(f"inject_selftest: PFSINJECT={INJECT!r} is not an executable")
        return 1
    test_cli()
    test_garbage()
    test_push()
    print(f"inject_selftest: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
