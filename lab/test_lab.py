#!/usr/bin/env python3
# test_lab.py CASE --port P --tftp-addr A - pfslab with the real pfsd and
# the real in.tftpd, for what test_cli.py's stand-ins cannot show:
#
#   nobody      the whole lab as a normal user: as root the test copies
#               pfslab, pfsd and tftp_nosetgroups.so into a mktemp folder
#               (755, so that nobody can read them even when the build tree
#               is not) and runs pfslab there with setpriv as nobody; as any
#               other user it runs it directly. in.tftpd must serve the
#               upgrade, the capture is skipped with one line, --strict passes.
#   tftpd-gone  in.tftpd is killed before the root fetches anything: pfslab
#               exits 1 with one line naming the dead server and the
#               endpoint's own reason.
#
# Binaries: PFSLAB and PFSD from the environment (lab/CMakeLists.txt).
# Time limits are safety nets against hangs only.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import check_lab  # noqa: E402
from labtest import env_bin  # noqa: E402

SAFETY = 300
failures = []


def expect(cond, msg):
    print(("ok: " if cond else "FAIL: ") + msg, flush=True)
    if not cond:
        failures.append(msg)
    return cond


def python_for(user_is_root):
    """An interpreter the lab's user can run: as nobody, not one under /root."""
    if user_is_root and os.access("/usr/bin/python3", os.X_OK):
        return "/usr/bin/python3"
    return sys.executable


def lab_argv(pfslab, out, a, extra=()):
    return [pfslab, "--phones", "3", "--out", out, "--port", str(a.port), "--tftp-addr",
            a.tftp_addr, "--size-mb", "1", "--timeout", str(SAFETY - 60), "-q"] + list(extra)


def stage(tmp):
    """pfslab, pfsd and the shim in tmp/bin and tmp/lib, readable by all."""
    pfslab = env_bin("PFSLAB")
    lib = os.path.join(os.path.dirname(os.path.dirname(pfslab)), "lib", "tftp_nosetgroups.so")
    for sub in ("bin", "lib"):
        os.makedirs(os.path.join(tmp, sub))
    shutil.copy(pfslab, os.path.join(tmp, "bin", "pfslab"))
    shutil.copy(env_bin("PFSD"), os.path.join(tmp, "bin", "pfsd"))
    shutil.copy(lib, os.path.join(tmp, "lib"))
    for root, dirs, files in os.walk(tmp):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o755)
    return os.path.join(tmp, "bin", "pfslab")


def case_nobody(a, tmp):
    root = os.geteuid() == 0
    pfslab = stage(tmp)
    work = os.path.join(tmp, "work")
    os.makedirs(work)
    argv = [python_for(root)] + lab_argv(pfslab, os.path.join(work, "lab"), a, [
        "--strict", "--pcap", os.path.join(work, "upgrade.pcap"), "--pfsd",
        os.path.join(tmp, "bin", "pfsd")])
    if root:
        shutil.chown(work, "nobody", "nogroup")
        argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] + argv
    print("+ " + " ".join(argv), flush=True)
    r = subprocess.run(argv, cwd=work, capture_output=True, timeout=SAFETY)
    err = r.stderr.decode(errors="replace")
    print(r.stdout.decode(errors="replace") + err)
    out = os.path.join(work, "lab")
    expect(r.returncode == 0, f"pfslab --strict as a normal user exits 0 (got {r.returncode})")
    capture = [ln for ln in err.splitlines() if "capture" in ln]
    expect(len(capture) == 1 and capture[0].startswith("pfslab: no capture:"),
           f"the capture is skipped with one clear line ({capture})")
    expect(any("serving with in.tftpd (as " in ln for ln in err.splitlines()),
           "pfslab says it serves with in.tftpd as the normal user")
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
        lab = json.load(f)
    expect(lab["lab"]["tftpd"].startswith("in.tftpd (as "), f"summary.json names the server "
           f"({lab['lab']['tftpd']})")
    expect(lab["lab"]["pcap"] is None and lab["lab"]["capture"] is None,
           "summary.json records no capture")
    expect(os.path.isfile(os.path.join(out, "tftpd.remap")), "in.tftpd got its remap file")
    ok, n, fails = check_lab.check(out)
    for f in fails:
        print(f"FAIL: {f}")
    expect(ok, f"check_lab: {n} strict checks")


def tftpd_of(out, parent):
    """The in.tftpd that pfslab (pid parent) started for out, or None."""
    try:
        with open(f"/proc/{parent}/task/{parent}/children") as f:
            kids = [int(x) for x in f.read().split()]
    except OSError:
        return None
    for pid in kids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv[0].endswith(b"in.tftpd") and os.path.join(out, "tftpboot").encode() in argv:
            return pid
    return None


def case_tftpd_gone(a, tmp):
    out = os.path.join(tmp, "lab")
    # A long root wait: the server is gone before any endpoint asks it.
    argv = [sys.executable] + lab_argv(env_bin("PFSLAB"), out, a, [
        "--pfsd", env_bin("PFSD"), "--root-wait", "4000"])
    print("+ " + " ".join(argv), flush=True)
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + SAFETY / 2
    pid = None
    while time.monotonic() < deadline and p.poll() is None:
        logs = os.path.join(out, "logs")
        started = os.path.isdir(logs) and len([n for n in os.listdir(logs)
                                               if n.endswith(".log")]) == 3
        pid = tftpd_of(out, p.pid) if started else None
        if pid:
            break
        time.sleep(0.05)
    expect(pid is not None, "found the lab's in.tftpd once the endpoints started")
    if pid:
        os.kill(pid, signal.SIGKILL)
    stdout, err = p.communicate(timeout=SAFETY)
    err = err.decode(errors="replace")
    print(stdout.decode(errors="replace") + err)
    lines = [ln for ln in err.splitlines() if "exited" in ln]
    expect(p.returncode == 1, f"pfslab exits 1 (got {p.returncode})")
    expect(len(lines) == 1 and "in.tftpd on " in lines[0] and
           "exited on signal SIGKILL while the lab ran" in lines[0],
           f"one line names the dead server ({lines})")
    expect(len(lines) == 1 and "TFTP failed" in lines[0],
           "the same line gives the endpoint's logged reason")


def main():
    ap = argparse.ArgumentParser(description="pfslab with the real pfsd and in.tftpd")
    ap.add_argument("case", choices=("nobody", "tftpd-gone"))
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tftp-addr", required=True)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix=f"pfslab-{a.case}-")
    os.chmod(tmp, 0o755)
    try:
        {"nobody": case_nobody, "tftpd-gone": case_tftpd_gone}[a.case](a, tmp)
    finally:
        if os.environ.get("PFS_KEEP") == "1":
            print(f"test_lab: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"test_lab {a.case}: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
