#!/usr/bin/env python3
"""pfsdump -i lo: a live capture of PFS datagrams sent on loopback (needs
root, as CI has), and the one line a user without CAP_NET_RAW gets.
Uses PFS port 4242 and address 127.0.142.1 (this test's own)."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True   # the source tree stays as it is
from testlib import run_test

PFSDUMP = os.environ["PFSDUMP"]
ADDR, PORT = "127.0.142.1", 4242


def leave(xid):
    """A LEAVE(DONE) as docs/protocol.md §3 writes it: header, then reason 9."""
    return (b"PF\x01\x0b\x00\x04\x00\x14" + xid.to_bytes(4, "big") + (0x36685558).to_bytes(4, "big")
            + b"\x09\x00\x00\x00")


def main():
    assert os.getuid() == 0, "this test captures on lo: run it as root (CI does)"
    p = subprocess.Popen([PFSDUMP, "-i", "lo", "-c", "3", "--json", "-f", f"udp port {PORT}"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stderr.readline()
    assert "listening on lo" in line, line
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ADDR, 0))
    xid = 0x0A000002
    deadline = time.monotonic() + 60
    while p.poll() is None and time.monotonic() < deadline:
        s.sendto(leave(xid), (ADDR, PORT))
        time.sleep(0.05)
    if p.poll() is None:
        p.kill()
    out, err = p.communicate()
    assert p.returncode == 0, f"exit {p.returncode}: {err}"
    msgs = [json.loads(x) for x in out.splitlines()]
    assert len(msgs) == 3, out
    for m in msgs:
        assert m["type"] == "LEAVE" and m["xid"] == "XID0A000002" and m["dst"] == f"{ADDR}:{PORT}", m
        assert m["reason"] == 9 and "error" not in m, m

    # Without CAP_NET_RAW: one line that says so (the binary copied where nobody can run it).
    tmp = tempfile.mkdtemp(prefix="pfsdump-live-")
    try:
        os.chmod(tmp, 0o755)
        exe = os.path.join(tmp, "pfsdump")
        shutil.copy(PFSDUMP, exe)
        os.chmod(exe, 0o755)
        r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                            "--inh-caps=-all", exe, "-i", "lo"], capture_output=True, text=True,
                           env={"PATH": "/usr/bin:/bin", "ASAN_OPTIONS": "detect_leaks=0"})
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 1, f"exit {r.returncode}: {r.stderr}"
        assert len(lines) == 1 and "lo: capturing needs root or CAP_NET_RAW" in lines[0], r.stderr
    finally:
        shutil.rmtree(tmp)
    print("ok: live capture on lo, and the one line without CAP_NET_RAW")


if __name__ == "__main__":
    run_test(main)
