#!/usr/bin/env python3
# nofd.py PFSD IN_TFTPD [SHIM] - pfsd out of file descriptors on accept.
#
# Runs one pfsd with RLIMIT_NOFILE 40 against a real in.tftpd serving a
# small load, and opens 80 TCP connections to its peer port that never
# send JOIN, so that accept fails with EMFILE. Checks:
#   - pfsd logs the nofd line exactly once (WRN ... Accept on peer TCP port
#     P failed: EMFILE, shed N connections, listener paused);
#   - while the connections are held it does not spin: its CPU time (utime
#     + stime from /proc) is a small part of the wall time it was busy
#     (a ratio, never an absolute time limit);
#   - it stays responsive: a connection opened in the middle of the storm
#     is closed by pfsd (shed or timed out), not left hanging;
#   - once the connections are gone it finishes its upgrade: exit 0, every
#     file verified.
# Fails before the fix: pfsd ran at 100% CPU with no log line.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import hashlib
import json
import os
import re
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PORT = 4203               # this test's PFS port
TFTP_ADDR = "127.0.103.1"  # and TFTP address (docs: tests/endpoint)
ADDR = "127.0.103.2"
NOFILE = 40
CONNS = 80
WINDOW = 2.0              # seconds of the storm over which CPU is measured
MAX_CPU_SHARE = 0.1       # a spinning pfsd shows 0.4-1.0, a resting one about 0
SAFETY = 120              # seconds: only ever hit when something hangs


def fail(msg, log=None):
    print(f"nofd: FAIL: {msg}", file=sys.stderr)
    if log and os.path.exists(log):
        with open(log, errors="replace") as f:
            sys.stderr.write(f.read()[-6000:])
    sys.exit(1)


def ok(msg):
    print(f"ok: {msg}", flush=True)


def free_udp_port(addr):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((addr, 0))
        return s.getsockname()[1]


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)


def wait_for(cond, what, proc, log):
    deadline = time.monotonic() + SAFETY
    while time.monotonic() < deadline:
        if cond():
            return
        if proc.poll() is not None:
            fail(f"pfsd exited {proc.returncode} before {what}", log)
        time.sleep(0.05)
    fail(f"gave up waiting for {what}", log)


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def connect_nb(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.connect_ex((addr, port))
    return s


def main():
    pfsd, tftpd = sys.argv[1], sys.argv[2]
    shim = sys.argv[3] if len(sys.argv) > 3 else ""
    work = tempfile.mkdtemp(prefix="pfsd-nofd-")
    os.chmod(work, 0o755)
    procs = []
    try:
        srv = os.path.join(work, "srv")
        os.mkdir(srv)
        os.chmod(srv, 0o755)
        comp = os.urandom(200000)
        with open(os.path.join(srv, "jar41.sbn"), "wb") as f:
            f.write(comp)
        with open(os.path.join(srv, "NOFD41.loads"), "w") as f:
            f.write("# PFS load v1\nLOAD NOFD41\n")
            f.write(f"FILE jar41.sbn {len(comp)} {hashlib.sha256(comp).hexdigest()}\n")
        for name in os.listdir(srv):
            os.chmod(os.path.join(srv, name), 0o644)
        remap = os.path.join(work, "remap")
        with open(remap, "w") as f:
            f.write(f"r ^([^/]) {srv}/\\1\n")
        tport = free_udp_port(TFTP_ADDR)
        env = dict(os.environ)
        user = "nobody"
        if os.geteuid() != 0:
            user = os.environ.get("USER") or subprocess.check_output(["id", "-un"]).decode().strip()
            if shim:
                env["LD_PRELOAD"] = shim
        procs.append(subprocess.Popen([tftpd, "-L", "-a", f"{TFTP_ADDR}:{tport}", "-u", user,
                                       "-m", remap], env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True))

        dl = os.path.join(work, "dl")
        os.mkdir(dl)
        log, summary = os.path.join(work, "pfsd.log"), os.path.join(work, "summary.json")

        def low_limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))

        # A long ROOT_WAITING for the .loads keeps the TFTP fetch after the
        # storm (it needs descriptors of its own); the components are quick.
        argv = [pfsd, "--model", "CP-7961G", "--load", "NOFD41.loads",
                "--tftp", f"{TFTP_ADDR}:{tport}", "--dir", dl, "--addr", ADDR,
                "--port", str(PORT), "--xid", "0A670002", "--seed", "3", "--log", log,
                "--summary", summary, "--ad-interval", "50", "--root-wait", "8000",
                "--idle-timeout", "3000", "--linger", "200"]
        print("+ " + " ".join(argv), flush=True)
        p = subprocess.Popen(argv, preexec_fn=low_limit, start_new_session=True)
        procs.append(p)
        wait_for(lambda: "Listening on peer TCP port" in read(log), "its listener", p, log)

        # The storm: 80 connections that never say anything.
        socks = [connect_nb(ADDR, PORT) for _ in range(CONNS)]
        t0, c0 = time.monotonic(), cpu_ticks(p.pid)
        # A probe in the middle of the storm: pfsd must close it, not ignore it.
        time.sleep(WINDOW / 2)
        probe = connect_nb(ADDR, PORT)
        time.sleep(WINDOW / 2)
        t1, c1 = time.monotonic(), cpu_ticks(p.pid)
        share = (c1 - c0) / os.sysconf("SC_CLK_TCK") / (t1 - t0)
        print(f"nofd: pfsd used {c1 - c0} ticks of CPU in {t1 - t0:.2f} s of storm "
              f"(share {share:.3f})", flush=True)
        if p.poll() is not None:
            fail(f"pfsd exited {p.returncode} during the storm", log)
        if share > MAX_CPU_SHARE:
            fail(f"pfsd spins while out of descriptors: CPU share {share:.2f} of its "
                 f"busy time (at most {MAX_CPU_SHARE})", log)
        ok(f"pfsd does not spin out of descriptors (CPU share {share:.3f})")

        lines = [ln for ln in read(log).splitlines() if "Accept on peer TCP port" in ln]
        rx = re.compile(rf"^WRN \d\d:\d\d:\d\d\.\d{{6}} DLoad: XID0A670002 Accept on peer TCP "
                        rf"port {PORT} failed: EMFILE, shed \d+ connections, listener paused$")
        if len(lines) != 1 or not rx.match(lines[0]):
            fail(f"expected one nofd line naming EMFILE, got {lines}", log)
        ok(f"one log line: {lines[0]}")

        # The probe is closed by pfsd: shed at once, or dropped as idle.
        # (first its connect completes: a full queue drops SYNs, which retry)
        if not select.select([], [probe], [], SAFETY)[1]:
            fail("a connection made during the storm never got through", log)
        probe.setblocking(True)
        probe.settimeout(SAFETY)
        try:
            data = probe.recv(1)
        except ConnectionResetError:
            data = b""
        except socket.timeout:
            fail("a connection made during the storm was never closed by pfsd", log)
        if data:
            fail(f"pfsd sent {data!r} to a connection that never joined", log)
        ok("a connection made during the storm is closed by pfsd")

        for s in socks + [probe]:
            s.close()
        rc = p.wait(timeout=SAFETY)
        if rc != 0:
            fail(f"pfsd exited {rc} after the storm", log)
        with open(summary) as f:
            sm = json.load(f)
        files = sm.get("files", [])
        if not files or not all(fl.get("verified") for fl in files):
            fail(f"not every file verified: {files}", log)
        ok(f"pfsd finished its upgrade after the storm ({len(files)} files verified)")
        return 0
    finally:
        for q in procs:
            if q.poll() is None:
                os.kill(q.pid, signal.SIGTERM)
                try:
                    q.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.kill(q.pid, signal.SIGKILL)
                    q.wait()
        if os.environ.get("PFS_KEEP") == "1":
            print(f"nofd: kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
