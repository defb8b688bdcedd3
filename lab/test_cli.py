#!/usr/bin/env python3
# test_cli.py PFSLAB - checks pfslab itself, without a working pfsd: the
# command line, the firmware it makes, that it stops everything it started
# (on its safety timeout, on Ctrl-C, when an endpoint fails, when in.tftpd
# dies) and its verdict (fallbacks, second roots, --strict, the capture's
# drop count).
# Stand-in endpoints are tiny shell scripts; the TFTP server is the real
# in.tftpd (as a normal user through tftp_nosetgroups.so, from build/lib).
#
# SPDX-License-Identifier: GPL-2.0-or-later

import argparse
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

PFSLAB = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "pfslab")
failures = []


def expect(cond, msg):
    print(("ok: " if cond else "FAIL: ") + msg, flush=True)
    if not cond:
        failures.append(msg)


def pfslab(args, timeout=120):
    r = subprocess.run([sys.executable, PFSLAB] + args, capture_output=True, timeout=timeout)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def load_module():
    loader = importlib.machinery.SourceFileLoader("pfslab_mod", PFSLAB)
    spec = importlib.util.spec_from_loader("pfslab_mod", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def test_cli(tmp):
    rc, out, _ = pfslab(["--version"])
    expect(rc == 0 and out.startswith("pfslab (pfs-toolkit) ") and "@" not in out,
           f"--version ({out.strip()})")
    rc, out, _ = pfslab(["--help"])
    expect(rc == 0 and "--phones" in out and "--kill-parent" in out, "--help lists the options")
    bad = ([], ["--phones", "0", "--out", tmp], ["--phones", "1001", "--out", tmp],
           ["--phones", "3", "--out", tmp, "--tftp-addr", "10.1.1.1"],
           ["--phones", "3", "--out", tmp, "--tftp-addr", "127.0.0.3"],
           ["--phones", "3", "--models", "CP-7961G:2", "--out", tmp],
           ["--models", "CP-7961G:2,CP-7961G:1", "--out", tmp],
           ["--models", "CP-7961G", "--out", tmp],
           ["--models", "CP-7961G:600,CP-7941G:401", "--out", tmp],
           ["--phones", "3", "--out", tmp, "--wan-rate", "2mbit"],
           ["--phones", "3", "--out", tmp, "--load", "bad name"],
           ["--phones", "3", "--out", tmp, "--fast", "--phone-timers"],
           ["--phones", "x", "--out", tmp])
    for args in bad:
        rc, _, err = pfslab(args)
        expect(rc == 2 and len(err.strip().splitlines()) == 1 and err.startswith("pfslab: "),
               f"usage error {args}: exit 2, one line")
    busy = os.path.join(tmp, "busy")
    os.makedirs(busy)
    open(os.path.join(busy, "x"), "w").close()
    rc, _, err = pfslab(["--phones", "2", "--out", busy, "--pfsd", "/bin/true"])
    expect(rc == 2 and busy in err and len(err.strip().splitlines()) == 1,
           "a non-empty --out: exit 2 (usage), one line naming it")
    rc, _, err = pfslab(["--phones", "2", "--out", os.path.join(tmp, "np"),
                         "--pfsd", os.path.join(tmp, "no-such-pfsd")])
    expect(rc == 1 and "no-such-pfsd" in err, "a missing pfsd: exit 1 naming it")
    expect(not os.path.exists(os.path.join(tmp, "np")), "a missing pfsd: no --out folder made")
    test_sizes(tmp)
    rc, _, err = pfslab(["--phones", "2", "--out", os.path.join(tmp, "nt"), "--pfsd", "/bin/true",
                         "--tftpd", os.path.join(tmp, "no-such-tftpd")])
    expect(rc == 1 and "no-such-tftpd" in err and "tftpd-hpa" in err and
           len(err.strip().splitlines()) == 1, "a missing in.tftpd: exit 1, one line naming it")
    expect(not os.path.exists(os.path.join(tmp, "nt")), "a missing in.tftpd: no --out folder made")


def test_sizes(tmp):
    """--size-mb must fit the protocol: no component over 64 MiB."""
    for size in ("200", "168.5", "0", "-1", "nan", "inf"):
        rc, _, err = pfslab(["--phones", "2", "--out", os.path.join(tmp, "sz"), "--size-mb", size,
                             "--pfsd", "/bin/true"])
        expect(rc == 2 and len(err.strip().splitlines()) == 1 and f"--size-mb {size}" in err,
               f"--size-mb {size}: exit 2, one line")
        if size == "200":
            expect("64 MiB" in err and "jar" in err, f"--size-mb 200 names the 64 MiB limit: {err}")
    # The largest size that fits passes the check (and stops at the missing pfsd).
    rc, _, err = pfslab(["--phones", "2", "--out", os.path.join(tmp, "sz"), "--size-mb", "168.4",
                         "--pfsd", os.path.join(tmp, "no-such-pfsd")])
    expect(rc == 1 and "no-such-pfsd" in err, f"--size-mb 168.4 is accepted ({err.strip()})")
    mod = load_module()
    sizes = mod.component_sizes(int(168.4 * 1024 * 1024))
    expect(max(sizes) <= 64 * 1024 * 1024, f"168.4 MiB makes no file over 64 MiB ({max(sizes)})")


def make(mod, tmp, seed, size_mb, name):
    cfg = argparse.Namespace(seed=seed, size_mb=size_mb, load="SCCP41.9-4-2SR2-2S")
    d = os.path.join(tmp, name)
    return d, mod.make_firmware(cfg, d)


def test_firmware(tmp):
    mod = load_module()
    d1, load = make(mod, tmp, 5, 1.5, "fw1")
    names = [f["name"] for f in load["files"]]
    expect(names == ["SCCP41.9-4-2SR2-2S.loads", "jar41.9-4-2SR2-2S.sbn", "cnu41.9-4-2SR2-2S.sbn",
                     "apps41.9-4-2SR2-2S.sbn", "dsp41.9-4-2SR2-2S.sbn", "cvm41.9-4-2SR2-2S.sbn"],
           f"the .loads and five components, in order ({names})")
    comps = load["files"][1:]
    expect(sum(f["size"] for f in comps) == int(1.5 * 1024 * 1024), "components add up to --size-mb")
    expect(comps[0]["size"] % 512 == 0 and all(f["size"] % 512 for f in comps[1:]),
           "one component ends on a TFTP block boundary, the others do not")
    for f in load["files"]:
        path = os.path.join(d1, f["name"])
        with open(path, "rb") as fh:
            data = fh.read()
        expect(len(data) == f["size"] and hashlib.sha256(data).hexdigest() == f["sha256"],
               f"{f['name']}: size and SHA-256 as declared")
        expect(os.stat(path).st_mode & 0o777 == 0o644, f"{f['name']}: mode 644")
    expect(os.stat(d1).st_mode & 0o777 == 0o755, "tftpboot: mode 755")
    with open(os.path.join(d1, "SCCP41.9-4-2SR2-2S.loads"), encoding="utf-8") as fh:
        lines = [ln.split() for ln in fh if ln.strip() and not ln.startswith("#")]
    expect(lines[0] == ["LOAD", "SCCP41.9-4-2SR2-2S"], ".loads starts with LOAD")
    expect(lines[1:] == [["FILE", f["name"], str(f["size"]), f["sha256"]] for f in comps],
           ".loads lists FILE name size sha256 for each component")
    d2, again = make(mod, tmp, 5, 1.5, "fw2")
    same = all(open(os.path.join(d1, n), "rb").read() == open(os.path.join(d2, n), "rb").read()
               for n in names)
    expect(again == load and same, "the same seed makes the same bytes")
    _, other = make(mod, tmp, 6, 1.5, "fw3")
    expect(all(a["sha256"] != b["sha256"] for a, b in zip(other["files"], load["files"])),
           "another seed makes other bytes")
    expect(mod.hier_id("CP-7961G", "SCCP41.9-4-2SR2-2S.loads") == "%08X" % fnv(
        b"CP-7961G\0/dnld/SCCP41.9-4-2SR2-2S.loads"), "hierarchy ids are FNV-1a 32")


def fnv(data):
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) % (1 << 32)
    return h


def fake_pfsd(tmp, body):
    """A stand-in endpoint: records its pid, then does body."""
    path = os.path.join(tmp, f"fake-{abs(hash(body))}")
    pids = path + ".pids"
    with open(path, "w") as f:
        f.write(f"#!/bin/sh\necho $$ >> {pids}\n{body}\n")
    os.chmod(path, 0o755)
    return path, pids


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose only once reaped: pfslab reaps its own.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


def read_pids(path):
    try:
        with open(path) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def test_stops_everything(tmp):
    fake, pids = fake_pfsd(tmp, "exec sleep 300")
    rc, out, err = pfslab(["--phones", "3", "--out", os.path.join(tmp, "t1"), "--pfsd", fake,
                           "--timeout", "2", "--size-mb", "0.1", "-q"])
    got = read_pids(pids)
    expect(rc == 1 and "timeout after 2 s" in err, "the safety timeout: exit 1 and says so")
    expect(len(got) == 3 and not any(alive(p) for p in got),
           "every endpoint is stopped after the timeout")
    expect(os.path.exists(os.path.join(tmp, "t1", "summary.json")), "summary.json is written")

    fake2, pids2 = fake_pfsd(tmp, "trap '' TERM\nexec sleep 300")
    out_dir = os.path.join(tmp, "t2")
    p = subprocess.Popen([sys.executable, PFSLAB, "--phones", "4", "--out", out_dir,
                          "--pfsd", fake2, "--size-mb", "0.1", "-q"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(read_pids(pids2)) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    got = read_pids(pids2)
    expect(p.returncode == 1 and "SIGINT" in err.decode(), "Ctrl-C: exit 1 and says so")
    expect(len(got) == 4 and not any(alive(x) for x in got),
           "Ctrl-C stops every endpoint, even one that ignores SIGTERM")
    expect(not tftp_servers_of(out_dir), "the TFTP server is stopped too")

    fake3, _ = fake_pfsd(tmp, "echo 'pfsd: bind 127.0.0.2:4051: Address already in use' >&2\n"
                              "exit 3")
    rc, out, err = pfslab(["--phones", "2", "--out", os.path.join(tmp, "t3"), "--pfsd", fake3,
                           "--size-mb", "0.1", "-q"])
    expect(rc == 1 and "Address already in use" in err and "exited 3" in err,
           "a failing endpoint: exit 1 with its own error line")
    test_server_gone(tmp)


def test_server_gone(tmp):
    """in.tftpd dies while the endpoints run; they fail with nothing on
    stderr, as pfsd does when a fetch fails (the reason is in its log):
    pfslab's one line names the dead server and the logged reason."""
    flag = os.path.join(tmp, "tftpd-killed")
    fake, pids = fake_pfsd(tmp, f"""log=; while [ $# -gt 0 ]; do [ "$1" = --log ] && log=$2; shift; done
while [ ! -e {flag} ]; do sleep 0.05; done
echo 'ERR 10:00:00.000001 DLoad: XID00000002 TFTP failed x.loads: port_9_unreachable_(ICMP)' >> "$log"
exit 1""")
    out_dir = os.path.join(tmp, "t4")
    p = subprocess.Popen([sys.executable, PFSLAB, "--phones", "2", "--out", out_dir, "--pfsd", fake,
                          "--size-mb", "0.1", "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(read_pids(pids)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    servers = tftp_servers_of(out_dir)
    expect(len(servers) == 1, f"one in.tftpd serves the lab ({servers})")
    for pid in servers:
        os.kill(pid, signal.SIGKILL)
    open(flag, "w").close()
    _, err = p.communicate(timeout=120)
    err = err.decode()
    line = [ln for ln in err.splitlines() if "exited" in ln]
    expect(p.returncode == 1 and len(line) == 1 and "in.tftpd on 127.0.0.1:" in line[0] and
           "exited on signal SIGKILL while the lab ran" in line[0] and
           "TFTP failed x.loads: port_9_unreachable" in line[0] and "DLoad:" not in line[0],
           f"a lost TFTP server: one line names it and the logged reason ({line})")


STAND_IN = r"""
# A stand-in pfsd for pfslab's verdict: takes the files straight from the
# lab's tftpboot and writes the summary a pfsd would, in the role PLAN gives.
import json, os, shutil, sys
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
d, xid, plan = args["--dir"], args["--xid"], os.environ["PLAN"]
boot = os.path.join(os.path.dirname(os.path.dirname(d)), "tftpboot")
root = xid[:4] + "0002"  # the endpoint on 127.0.0.2
files = []
with open(os.path.join(boot, args["--load"])) as f:
    names = [args["--load"]] + [ln.split()[1] for ln in f if ln.startswith("FILE ")]
for name in names:
    shutil.copy(os.path.join(boot, name), d)
    with open(os.path.join(d, name), "rb") as f:
        import hashlib
        data = f.read()
    e = {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
         "source": "peer", "parent": root, "children": [], "verified": True, "seconds": 0.5,
         "tries": 0, "sent": 0, "fallback": None}
    if plan == "anchor" and name == args["--load"]:
        e.update(source="anchor", parent=None)
    elif xid == root:
        e.update(source="tftp", parent=None)
    elif xid.endswith("0003") and name.startswith("jar") and plan in ("fallback", "two-roots"):
        e.update(source="tftp", parent=None, fallback="stall" if plan == "fallback" else None)
    files.append(e)
with open(args["--summary"], "w") as f:
    json.dump({"xid": xid, "ip": args["--addr"], "exit": 0, "files": files}, f)
"""


def stand_in(tmp):
    path = os.path.join(tmp, "stand-in-pfsd")
    with open(path, "w") as f:
        f.write(f"#!{sys.executable}\n{STAND_IN}")
    os.chmod(path, 0o755)
    return path


def lab_run(tmp, name, plan, extra=()):
    out = os.path.join(tmp, name)
    r = subprocess.run([sys.executable, PFSLAB, "--phones", "3", "--out", out, "--pfsd",
                        stand_in(tmp), "--size-mb", "0.1", "-q"] + list(extra),
                       capture_output=True, timeout=120, env=dict(os.environ, PLAN=plan))
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
        report = json.load(f)
    return r.returncode, r.stdout.decode(), r.stderr.decode(), report, out


def jar(report):
    return next(f for f in report["files"] if f["name"].startswith("jar"))


def test_verdict(tmp):
    rc, out, err, rep, _ = lab_run(tmp, "v1", "clean", ["--strict"])
    expect(rc == 0 and rep["ok"] and rep["strict"] and rep["problems"] == [] and
           rep["warnings"] == [], f"a clean run passes --strict ({rc}, {err.strip()})")
    expect(all(len(f["roots"]) == 1 and f["fallbacks"] == [] and f["tftp_fetches"] == 1
               for f in rep["files"]), "a clean run: one root, one TFTP fetch, no fallback per file")
    rc, out, err, rep, _ = lab_run(tmp, "v2", "fallback")
    x3 = rep["endpoints"][1]["xid"]
    want = f"jar41.9-4-2SR2-2S.sbn: 1 TFTP fallback: XID{x3} (stall)"
    expect(rc == 0 and rep["ok"] and rep["warnings"] == [want] and want in out and
           "--strict would fail it" in out, "a fallback without --strict: exit 0, printed with its reason")
    expect(jar(rep)["fallbacks"] == [{"xid": x3, "reason": "stall"}] and
           jar(rep)["tftp_fetches"] == 2 and len(jar(rep)["roots"]) == 1,
           "summary.json records the fallback, its reason and the second TFTP fetch")
    rc, out, err, rep, _ = lab_run(tmp, "v3", "fallback", ["--strict"])
    expect(rc == 1 and not rep["ok"] and rep["problems"] == [want] and "FAILED" in out,
           f"a fallback with --strict: exit 1 naming it ({rep['problems']})")
    rc, out, err, rep, _ = lab_run(tmp, "v4", "two-roots", ["--strict"])
    roots = jar(rep)["roots"]
    expect(rc == 1 and len(roots) == 2 and rep["problems"] == [
        f"jar41.9-4-2SR2-2S.sbn: 2 roots (XID{roots[0]} XID{roots[1]})"] and "2 roots" in out,
        f"a second root with --strict: exit 1 naming both ({rep['problems']})")
    rc, out, err, rep, _ = lab_run(tmp, "v5", "two-roots")
    expect(rc == 0 and len(rep["warnings"]) == 1, "a second root without --strict: exit 0, a warning")
    # The TFTP server as trust anchor: every endpoint fetched the .loads itself.
    rc, out, err, rep, _ = lab_run(tmp, "v6", "anchor", ["--strict"])
    loads = rep["files"][0]
    expect(rc == 0 and rep["problems"] == [] and loads["anchor_fetches"] == 3 and
           loads["roots"] == [] and loads["tftp_fetches"] == 0 and " anchor " in out,
           f"the trust anchor's .loads has no root and passes --strict ({rep['problems']})")
    test_capture(tmp)


def test_capture(tmp):
    """The capture's statistics land in summary.json; without root the
    capture is skipped with one line."""
    rc, out, err, rep, d = lab_run(tmp, "c1", "clean", ["--strict", "--pcap",
                                                         os.path.join(tmp, "c1.pcap")])
    cap = rep["lab"]["capture"]
    if os.geteuid() == 0:
        expect(rc == 0 and isinstance(cap, dict) and cap["dropped"] == 0 and
               isinstance(cap["received"], int) and isinstance(cap["captured"], int),
               f"as root: dumpcap's counts in summary.json ({cap})")
        expect(f"capture: {cap['captured']} packets written, 0 dropped" in out,
               "as root: the capture's counts are printed")
    else:
        skipped = [ln for ln in err.splitlines() if "capture" in ln]
        expect(rc == 0 and cap is None and len(skipped) == 1 and "no capture" in skipped[0],
               f"not root: the capture is skipped with one line ({skipped})")
    mod = load_module()
    text = ("Capturing on 'Loopback: lo'\nFile: x.pcap\n\rPackets captured: 988\n"
            "Packets received/dropped on interface 'Loopback: lo': 1000/12 "
            "(pcap:10/dumpcap:2/flushed:0/ps_ifdrop:0) (98.8%)\n")
    st = mod.capture_stats(text)
    expect(st == {"captured": 988, "received": 1000, "dropped": 12, "pcap_dropped": 10,
                  "dumpcap_dropped": 2, "flushed": 0, "ifdrop": 0},
           f"dumpcap's final statistics are read ({st})")
    lab = {"pcap": "x.pcap", "capture": st}
    expect(mod.capture_warnings(lab) == ["capture: 12 of 1000 packets dropped (pcap 10, "
                                         "dumpcap 2, flushed 0)"], "dropped packets are a warning")
    expect(mod.capture_warnings({"pcap": "x.pcap", "capture": None}) != [],
           "a capture without statistics is a warning")


def tftp_servers_of(out_dir):
    """in.tftpd processes serving out_dir/tftpboot."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().decode(errors="replace")
        except OSError:
            continue
        if os.path.join(out_dir, "tftpboot") in cmd:
            found.append(int(pid))
    return found


def main():
    tmp = tempfile.mkdtemp(prefix="pfslab-cli-")
    try:
        test_cli(tmp)
        test_firmware(tmp)
        test_stops_everything(tmp)
        test_verdict(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"test_cli: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
