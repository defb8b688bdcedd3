#!/usr/bin/env python3
# labtest.py - the end-to-end scenarios behind the e2e_* ctest cases.
#
#   labtest.py lab --phones N --port P [--tftp-addr A] [--size-mb M]
#                  [--base-addr A] [--pfsd-arg ARG].. [--no-pcap]
#                                                        a clean upgrade, pfslab --strict
#                                                        and strict checks
#   labtest.py kill-parent --port P                      a parent dies mid-transfer
#   labtest.py no-tftp --port P                          the TFTP server is absent
#   labtest.py push --port P                             a stranger pushes a file
#   labtest.py garbage --port P                          malformed datagram burst
#   labtest.py fakeroot --port P                         a silent fake root claims everything
#   labtest.py kill-tftp --port P                        15 phones, in.tftpd killed mid-run
#   labtest.py stop --port P                             SIGTERM mid-transfer, silent TCP
#                                                        peer, log copy over syslog
#   labtest.py cut-through --port P --base-addr A        --cut-through, 64 MiB, a forwarding
#                                                        parent killed
#   labtest.py cut-bad-root --port P --base-addr A       --cut-through, the root's TFTP copy
#                                                        spoiled: the tree drops it, refetch
#
# Binaries come from the environment (set by tests/e2e/CMakeLists.txt):
# PFSLAB, PFSD, PFSINJECT. Every scenario runs in its own temporary folder,
# removed at the end (PFS_KEEP=1 keeps it for a look), and stops every
# process it started by pid. Time limits are safety nets only.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import argparse
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_lab  # noqa: E402

SAFETY = 600  # seconds: only ever hit when something hangs


def env_bin(name):
    path = os.environ.get(name)
    if not path or not os.access(path, os.X_OK):
        raise SystemExit(f"labtest: {name}={path!r} is not an executable (run through ctest)")
    return path


class Failure(Exception):
    pass


def expect(cond, msg):
    if not cond:
        raise Failure(msg)
    print(f"ok: {msg}")


class Scenario:
    """A temporary folder and the processes started in it, always cleaned up."""

    def __init__(self, name):
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix=f"pfs-e2e-{name}-")
        self.procs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.kill(p.pid, signal.SIGTERM)
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.kill(p.pid, signal.SIGKILL)
                    p.wait()
                except ProcessLookupError:
                    pass
        if os.environ.get("PFS_KEEP") == "1":
            print(f"labtest: kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return False

    def start(self, argv, **kw):
        print("+ " + " ".join(argv), flush=True)
        p = subprocess.Popen(argv, start_new_session=True, **kw)
        self.procs.append(p)
        return p


def pfslab_argv(out, phones, port, tftp_addr, extra=(), pcap=True):
    argv = [sys.executable, env_bin("PFSLAB"), "--phones", str(phones), "--out", out,
            "--port", str(port), "--tftp-addr", tftp_addr, "--pfsd", env_bin("PFSD"),
            "--timeout", str(SAFETY - 60), "--quiet"] + list(extra)
    if pcap and os.geteuid() == 0:
        argv += ["--pcap", os.path.join(out, "upgrade.pcap")]
    return argv


def run_checks(out, **kw):
    ok, n, failures = check_lab.check(out, **kw)
    for f in failures:
        print(f"FAIL: {f}")
    expect(ok, f"check_lab: {n} checks on {out}")


def show_failure_context(out):
    """Prints what helps understand a failed run: warnings, errors and the
    last lines of the endpoint logs (a few logs only, to stay readable)."""
    for path in sorted(glob.glob(os.path.join(out, "logs", "*")))[:12]:
        try:
            with open(path, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
        except OSError:
            continue
        if not lines:
            continue
        notable = [ln for ln in lines if ln.startswith(("WRN", "ERR"))][:6]
        print(f"--- {path}")
        print("\n".join(notable + ["..."] + lines[-3:]))


def wait_for(cond, what, timeout=SAFETY / 2, proc=None):
    """Polls cond() until true; fails on timeout or when proc exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        if proc is not None and proc.poll() is not None:
            raise Failure(f"pfslab exited {proc.returncode} before {what}")
        time.sleep(0.05)
    raise Failure(f"gave up waiting for {what}")


def grep_logs(out, pattern):
    """{log path: [matching lines]} over every endpoint log."""
    rx = re.compile(pattern)
    hits = {}
    for path in glob.glob(os.path.join(out, "logs", "*.log")):
        try:
            with open(path, "rb") as f:
                text = f.read().decode(errors="replace")
        except OSError:
            continue
        found = [ln for ln in text.splitlines() if rx.search(ln)]
        if found:
            hits[path] = found
    return hits


def endpoint_ips(phones):
    return [f"127.0.0.{i + 2}" for i in range(phones)]


def loads_name():
    return "SCCP41.9-4-2SR2-2S.loads"


# ---- scenarios ----

def scenario_lab(a):
    with Scenario(f"lab{a.phones}") as s:
        out = os.path.join(s.tmp, "lab")
        extra = ["--size-mb", f"{a.size_mb:g}", "--strict"]
        if a.base_addr:
            extra += ["--base-addr", a.base_addr]
        extra += [f"--pfsd-arg={x}" for x in a.pfsd_arg]
        argv = pfslab_argv(out, a.phones, a.port, a.tftp_addr, extra, pcap=not a.no_pcap)
        p = s.start(argv)
        rc = p.wait(timeout=SAFETY)
        try:
            expect(rc == 0, f"pfslab --phones {a.phones} --strict exits 0 (got {rc})")
            run_checks(out, expect_rrqs=os.geteuid() == 0 and not a.no_pcap)
        except Failure:
            show_failure_context(out)
            raise


def scenario_kill_parent(a):
    # Slow transfers so that the victim is caught in the middle of one.
    kill_parent_lab(a, "killparent", ["--size-mb", "2", "--tx-rate", "400"])


def kill_parent_lab(a, name, extra, pcap=True, check=None):
    """pfslab --kill-parent with extra: the victim had children, every other
    endpoint exits 0 and the orphans still hold every file verified; then
    check(out), if given, and the summaries' checks."""
    with Scenario(name) as s:
        out = os.path.join(s.tmp, "lab")
        p = s.start(pfslab_argv(out, 7, a.port, a.tftp_addr, extra + ["--kill-parent"],
                                pcap=pcap))
        rc = p.wait(timeout=SAFETY)
        try:
            import json
            with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
                lab = json.load(f)
            victim = lab["lab"]["killed"]
            expect(victim is not None, "pfslab killed a parent mid-transfer")
            expect(rc == 0, f"every endpoint but the victim finished (pfslab exit {rc})")
            for ep in lab["endpoints"]:
                if ep["xid"] != victim:
                    expect(ep["exit"] == 0, f"XID{ep['xid']} exits 0")
            orphans = victim_children(out, victim)
            expect(orphans, f"XID{victim} had children when it was killed: {sorted(orphans)}")
            for c in orphans:
                ep = next(e for e in lab["endpoints"] if e["xid"] == c)
                expect(ep["ok"], f"orphan XID{c} still holds every file verified")
            if check:
                check(out)
            run_checks(out, relaxed=True, killed=[victim])
        except Failure:
            show_failure_context(out)
            raise


def victim_children(out, victim):
    """Children the victim was sending to, from its own log."""
    kids = set()
    for lines in grep_logs(out, rf"DLoad: XID{victim} TxXfrCmd XID([0-9A-F]{{8}})").values():
        for ln in lines:
            kids.add(re.search(r"TxXfrCmd XID([0-9A-F]{8})", ln).group(1))
    return kids


# ---- cut-through ----

RE_TIME = r"^\w+ (\d\d):(\d\d):(\d\d\.\d+) DLoad: XID([0-9A-F]{8}) "


def log_time(m):
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))


def cut_events(out):
    """From every endpoint log: when each node's own copy of a file passed
    its hash, when it began to receive one from a parent, and when that
    transfer ended, as {(xid, file): t} and [(t, child, parent, file)]."""
    hash_ok, rx_start, rx_done = {}, [], []
    rx_ok = re.compile(RE_TIME + r"Hash OK (\S+) ")
    rx_cmd = re.compile(RE_TIME + r"RxXfrCmd XID([0-9A-F]{8}) \S+ (\S+) ")
    rx_end = re.compile(RE_TIME + r"Rx done (\S+) from XID([0-9A-F]{8}) ")
    for lines in grep_logs(out, r"Hash OK|RxXfrCmd|Rx done").values():
        for ln in lines:
            m = rx_ok.search(ln)
            if m:
                hash_ok[(m.group(4), m.group(5))] = log_time(m)
            m = rx_cmd.search(ln)
            if m:
                rx_start.append((log_time(m), m.group(4), m.group(5), m.group(6)))
            m = rx_end.search(ln)
            if m:
                rx_done.append((log_time(m), m.group(4), m.group(6), m.group(5)))
    return hash_ok, rx_start, rx_done


def expect_cut_through(out):
    """Children started before their parent held the file, and none got the
    end of it before the parent's own copy passed its hash."""
    hash_ok, rx_start, rx_done = cut_events(out)
    early = [e for e in rx_start if (e[2], e[3]) in hash_ok and e[0] < hash_ok[(e[2], e[3])]]
    expect(early, f"{len(early)} of {len(rx_start)} transfers began before the parent's "
           "own copy was whole (cut-through)")
    late = [e for e in rx_done if (e[2], e[3]) in hash_ok and e[0] < hash_ok[(e[2], e[3])]]
    expect(not late, "no child finished a file before its parent's copy passed its hash "
           f"({len(rx_done)} transfers)" + (f": {late[:3]}" if late else ""))


def scenario_cut_through(a):
    """A 64 MiB load forwarded as it arrives, a forwarding parent killed."""
    kill_parent_lab(a, "cut", ["--size-mb", "64", "--tx-rate", "4000", "--cut-through",
                               "--base-addr", a.base_addr], pcap=False, check=expect_cut_through)


def spoil(path):
    """Replaces path by a copy with its middle byte flipped; returns the good bytes."""
    with open(path, "rb") as f:
        good = f.read()
    bad = bytearray(good)
    bad[len(bad) // 2] ^= 0xFF
    with open(path + ".tmp", "wb") as f:
        f.write(bad)
    os.replace(path + ".tmp", path)  # a new inode: a transfer already open keeps the old
    return good


def restore(path, good):
    with open(path + ".tmp", "wb") as f:
        f.write(good)
    os.replace(path + ".tmp", path)


def scenario_cut_bad_root(a):
    """The root's TFTP copy of the biggest file arrives spoiled while it is
    being forwarded: the whole tree drops it, the root fetches it again
    (the server's file is good again by then) and every copy is verified."""
    with Scenario("cutbad") as s:
        out = os.path.join(s.tmp, "lab")
        extra = ["--size-mb", "16", "--cut-through", "--base-addr", a.base_addr]
        p = s.start(pfslab_argv(out, 7, a.port, a.tftp_addr, extra, pcap=False))
        boot = os.path.join(out, "tftpboot")
        wait_for(lambda: glob.glob(os.path.join(out, "logs", "*.log")), "the endpoints", proc=p)
        name = max((n for n in os.listdir(boot) if n.endswith(".sbn")),
                   key=lambda n: os.path.getsize(os.path.join(boot, n)))
        good = spoil(os.path.join(boot, name))
        # Once bytes of it reach a child, the root's first fetch has the bad copy open.
        wait_for(lambda: grep_logs(out, rf"Xfr /dnld/{re.escape(name)} \d+/"),
                 f"a child receiving {name} from the root's fetch", proc=p)
        restore(os.path.join(boot, name), good)
        rc = p.wait(timeout=SAFETY)
        try:
            rejects = grep_logs(out, rf"Reject /dnld/{re.escape(name)} from XID00000000 .*"
                                r"sha256-not-in-loads")
            expect(len(rejects) == 1, f"one root rejected its TFTP copy of {name}: "
                   f"{sorted(os.path.basename(k) for k in rejects)}")
            root_log = next(iter(rejects))
            cut = [ln for ln in grep_logs(out, r"Child \d XID\S+ \S+ lost H=\S+: hash")
                   .get(root_log, [])]
            expect(cut, f"the root cut its children off with ABORT(HASH): {len(cut)}")
            lost = grep_logs(out, r"Parent XID\S+ \S+ lost H=\S+: hash")
            expect(len(lost) >= 1, f"{len(lost)} children dropped the partial file (hash)")
            rrqs = grep_logs(out, rf"TFTP RRQ {re.escape(name)} ").get(root_log, [])
            expect(len(rrqs) == 2, f"the root fetched {name} again: {len(rrqs)} requests")
            expect(rc == 0, f"pfslab exits 0: every endpoint holds every file verified ({rc})")
            run_checks(out, relaxed=True)
        except Failure:
            show_failure_context(out)
            raise


def free_port(addr):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sk:
        sk.bind((addr, 0))
        return sk.getsockname()[1]


def scenario_no_tftp(a):
    with Scenario("notftp") as s:
        d = os.path.join(s.tmp, "dl")
        os.makedirs(d)
        log, summary = os.path.join(s.tmp, "pfsd.log"), os.path.join(s.tmp, "summary.json")
        # A port nobody serves: the fetch must fail, not hang.
        tftp = f"{a.tftp_addr}:{free_port(a.tftp_addr)}"
        argv = [env_bin("PFSD"), "--model", "CP-7961G", "--load", loads_name(), "--tftp", tftp,
                "--dir", d, "--addr", "127.0.0.2", "--port", str(a.port), "--xid", "0A000002",
                "--seed", "7", "--log", log, "--summary", summary, "--ad-interval", "50",
                "--root-wait", "300", "--tftp-timeout", "300", "--tftp-retries", "2",
                "--linger", "200"]
        p = s.start(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = p.communicate(timeout=SAFETY)
        text = err.decode(errors="replace")
        logtext = open(log, encoding="utf-8", errors="replace").read() if os.path.exists(log) \
            else ""
        print(f"pfsd exit {p.returncode}; stderr:\n{text}")
        expect(p.returncode in (1, 3), f"pfsd exits 1 or 3 without a TFTP server "
               f"(got {p.returncode})")
        expect(re.search(r"TFTP", text + logtext) is not None,
               "its stderr or log says the TFTP fetch failed")
        expect(tftp in text + logtext or "TFTP failed" in logtext,
               f"the error names the server {tftp} or the failed file")
        left = os.listdir(d)
        expect(left == [], f"no partial or temporary file left in its folder (found {left})")
        if os.path.exists(summary):
            import json
            with open(summary, encoding="utf-8") as f:
                sm = json.load(f)
            expect(sm.get("exit") == p.returncode, "its summary records the exit code")
            expect(not any(f.get("verified") for f in sm.get("files", [])),
                   "its summary verifies no file")


def scenario_push(a):
    with Scenario("push") as s:
        out = os.path.join(s.tmp, "lab")
        extra = ["--size-mb", "2", "--tx-rate", "1500", "--root-wait", "1500"]
        p = s.start(pfslab_argv(out, 5, a.port, a.tftp_addr, extra))
        inject = env_bin("PFSINJECT")
        try:
            # 1. As soon as an endpoint listens: push to its port, unasked.
            first = wait_for(lambda: grep_logs(out, r"DLoad: \+\+\+ XID"), "a started endpoint",
                             proc=p)
            ip = re.search(r"IP=(\S+)", next(iter(first.values()))[0]).group(1)
            push(s, inject, ip, a.port, ["--file", "/dnld/evil.sbn"])
            # 2. Once a node is a child: push the very file it is waiting for.
            child = wait_for(lambda: grep_logs(out, r"@@@HCHILD:"), "a child in a tree", proc=p)
            ln = next(iter(child.values()))[0]
            m = re.search(r"@@@HCHILD:XID([0-9A-F]{8}) H=([0-9A-F]{8}) PARENT=XID[0-9A-F]{8} "
                          r"(\S+)", ln)
            cxid, hier, parent_ip = m.group(1), m.group(2), m.group(3)
            cip = next(re.search(r"IP=(\S+)", l).group(1) for l in
                       grep_logs(out, rf"\+\+\+ XID{cxid} ").popitem()[1])
            push(s, inject, cip, a.port, ["--hier", hier, "--file", "/dnld/" + loads_name()])
            # 3. Join as a child, then push on that child connection: try the
            # endpoints in their current hierarchy until one grants a slot.
            joined = join_and_push(s, inject, out, a.port)
            expect(joined, "an endpoint granted the stranger a slot and then refused its push")
            rc = p.wait(timeout=SAFETY)
            expect(rc == 0, f"the lab still finishes (pfslab exit {rc})")
            run_checks(out, relaxed=True)
            evil = glob.glob(os.path.join(out, "phones", "*", "evil.sbn*"))
            expect(evil == [], "no endpoint stored the stranger's file")
        except Failure:
            show_failure_context(out)
            raise


def push(s, inject, ip, port, args):
    text, rc = run_push(s, inject, ip, port, args)
    expect(rc == 0, f"{ip} refuses a stranger's push ({' '.join(args)})")
    return text


def run_push(s, inject, ip, port, args):
    argv = [inject, "push", "--to", f"{ip}:{port}", "--xid", "0BADBEEF", "--size", "200000",
            "--timeout", "15000"] + args
    p = s.start(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    text = p.communicate(timeout=SAFETY)[0].decode(errors="replace").strip()
    print(text)
    return text, p.returncode


def join_and_push(s, inject, out, port):
    """Joins each endpoint's current hierarchy as a stranger child; True once
    one accepted the join and then refused the push on that connection."""
    for _ in range(20):
        for path, lines in grep_logs(out, r"@@@HIER:XID").items():
            m = re.search(r"@@@HIER:XID([0-9A-F]{8}) H=([0-9A-F]{8}) m=\S+ (\S+)", lines[-1])
            start = grep_logs(out, rf"\+\+\+ XID{m.group(1)} ").popitem()[1][0]
            ip = re.search(r"IP=(\S+)", start).group(1)
            text, rc = run_push(s, inject, ip, port, ["--join", "--hier", m.group(2),
                                                      "--file", m.group(3)])
            expect(rc == 0, f"{ip} refuses a stranger child's push")
            if "on its child connection" in text:
                return True
        time.sleep(0.2)
    return False


def scenario_garbage(a):
    with Scenario("garbage") as s:
        phones = 5
        out = os.path.join(s.tmp, "lab")
        extra = ["--size-mb", "2", "--tx-rate", "1500", "--root-wait", "1500"]
        p = s.start(pfslab_argv(out, phones, a.port, a.tftp_addr, extra))
        inject = env_bin("PFSINJECT")
        try:
            wait_for(lambda: len(grep_logs(out, r"DLoad: \+\+\+ XID")) == phones,
                     "every endpoint started", proc=p)
            bursts = [("127.255.255.255", 3000, "11"), ("127.0.0.2", 1000, "12"),
                      ("127.0.0.4", 1000, "13")]
            for ip, count, seed in bursts:
                q = s.start([inject, "garbage", "--to", f"{ip}:{a.port}", "--count", str(count),
                             "--seed", seed, "--gap-us", "20", "--file", "/dnld/" + loads_name()],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                print(q.communicate(timeout=SAFETY)[0].decode(errors="replace").strip())
                expect(q.returncode == 0, f"{count} malformed datagrams sent to {ip}")
            rc = p.wait(timeout=SAFETY)
            expect(rc == 0, f"every endpoint stays up and finishes (pfslab exit {rc})")
            run_checks(out, relaxed=True)
            drops = grep_logs(out, r"DLoad: XID[0-9A-F]{8} Dropped \d+ malformed datagrams")
            logs = glob.glob(os.path.join(out, "logs", "*.log"))
            expect(len(drops) == len(logs) == phones,
                   f"every endpoint logged DROP lines ({len(drops)} of {len(logs)} logs)")
        except Failure:
            show_failure_context(out)
            raise


def lab_files(out):
    """The served load's file names, the .loads first, once pfslab wrote them."""
    loads = glob.glob(os.path.join(out, "tftpboot", "*.loads"))
    if not loads:
        return None
    with open(loads[0], encoding="ascii") as f:
        comps = [ln.split()[1] for ln in f if ln.startswith("FILE ")]
    return [os.path.basename(loads[0])] + comps if comps else None


def run_stranger(s, argv):
    """Starts pfsinject in the background; its one summary line comes at the end."""
    return s.start(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def stranger_said(q):
    out = q.communicate(timeout=SAFETY)[0].decode(errors="replace").strip()
    print(out)
    expect(q.returncode == 0, f"pfsinject exited 0 (got {q.returncode})")
    return out


def scenario_forge(a):
    """A stranger that claims to be the root of the load's hierarchy and of
    evil.sbn, ACCEPTs every join and serves a forged .loads naming evil.sbn
    (with its true size and SHA-256) and evil.sbn itself. The TFTP server is
    the trust anchor: no endpoint takes the forged load, the site upgrades as
    if the stranger were not there (--strict), nothing forged is installed.
    With --component the stranger also roots the load's first real component
    and serves junk under its name: the endpoints that join it reject the
    file (the log names the mismatch), rejoin or fall back, and every one
    still installs the real files."""
    with Scenario("forge") as s:
        phones = 7
        out = os.path.join(s.tmp, "lab")
        extra = ["--size-mb", "2"] + ([] if a.component else ["--strict"])
        p = s.start(pfslab_argv(out, phones, a.port, a.tftp_addr, extra))
        try:
            files = wait_for(lambda: lab_files(out), "the lab's firmware", proc=p)
            forged = [files[0], "evil.sbn"] + ([files[1]] if a.component else [])
            argv = [env_bin("PFSINJECT"), "forge", "--to", f"127.255.255.255:{a.port}",
                    "--from", a.stranger, "--size", "65536", "--timeout", "20000"]
            for f in forged:
                argv += ["--file", f]
            q = run_stranger(s, argv)
            rc = p.wait(timeout=SAFETY)
            said = stranger_said(q)
            expect(rc == 0, f"pfslab {' '.join(extra)} exits 0 with the stranger there (got {rc})")
            run_checks(out, relaxed=a.component, expect_rrqs=os.geteuid() == 0 and not a.component)
            evil = glob.glob(os.path.join(out, "phones", "*", "evil.sbn"))
            expect(not evil, f"no endpoint holds evil.sbn ({evil})")
            expect(" 0 VERDICT OK" in said, "no endpoint answered the forged transfers OK")
            if a.component:
                rej = grep_logs(out, rf"DLoad: XID[0-9A-F]{{8}} Reject /dnld/{re.escape(files[1])} "
                                     rf"from XID00000001 {re.escape(a.stranger)}: \S+-not-in-loads")
                expect(rej and " 0 joins" not in said,
                       f"the endpoints that joined the stranger logged the mismatch "
                       f"({len(rej)} logs)")
            else:
                expect(" 0 joins" in said, "no endpoint joined the stranger's hierarchies")
        except Failure:
            show_failure_context(out)
            raise


def scenario_flood(a):
    """200,000 ClaimRoot(tent) from random XIDs at one address, for the site's
    hierarchies and for hierarchies nobody runs, while the site upgrades: the
    sender is banned, the elections happen anyway (--strict: one root per
    file, no fallback) and every endpoint logs the storm once, with counts."""
    with Scenario("flood") as s:
        phones = 7
        out = os.path.join(s.tmp, "lab")
        p = s.start(pfslab_argv(out, phones, a.port, a.tftp_addr, ["--size-mb", "2",
                                                                     "--strict"]))
        try:
            files = wait_for(lambda: lab_files(out), "the lab's firmware", proc=p)
            wait_for(lambda: len(grep_logs(out, r"DLoad: \+\+\+ XID")) == phones,
                     "every endpoint started", proc=p)
            argv = [env_bin("PFSINJECT"), "flood", "--to", f"127.255.255.255:{a.port}",
                    "--from", a.stranger, "--count", "200000", "--gap-us", "5", "--seed", "5"]
            for f in files[1:]:
                argv += ["--file", f]
            q = run_stranger(s, argv)
            stranger_said(q)
            rc = p.wait(timeout=SAFETY)
            expect(rc == 0, f"pfslab --strict exits 0 through the flood (got {rc})")
            run_checks(out, expect_rrqs=os.geteuid() == 0)
            storms = grep_logs(out, rf"DLoad: XID[0-9A-F]{{8}} Storm of \d+ datagrams dropped in "
                                    rf"\S+s, first from {re.escape(a.stranger)}: ")
            expect(len(storms) == phones and all(len(v) <= 3 for v in storms.values()),
                   f"every endpoint logged the storm, once or a few times "
                   f"({ {os.path.basename(k): len(v) for k, v in storms.items()} })")
        except Failure:
            show_failure_context(out)
            raise


def scenario_fakeroot(a):
    """A stranger claims every hierarchy as a confirmed root (XID 00000001,
    strength FFFFFFFF), ACCEPTs every JOIN and then says nothing. Every
    endpoint must leave it after a bounded wait, say why, never ask it
    again, and finish from the real tree or TFTP."""
    import json
    with Scenario("fakeroot") as s:
        phones = 7
        out = os.path.join(s.tmp, "lab")
        inject = env_bin("PFSINJECT")
        q = s.start([inject, "fakeroot", "--to", f"127.255.255.255:{a.port}",
                     "--from", "127.0.0.250", "--timeout", "600000"],
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        time.sleep(0.3)
        expect(q.poll() is None, "the fake root runs")
        p = s.start(pfslab_argv(out, phones, a.port, a.tftp_addr, ["--size-mb", "1"]))
        try:
            rc = p.wait(timeout=SAFETY)
            expect(rc == 0, f"every endpoint verified every file despite the fake root "
                            f"(pfslab exit {rc})")
            run_checks(out, relaxed=True)
            left = grep_logs(out, r"DLoad: XID[0-9A-F]{8} Parent XID00000001 \S+ lost "
                                  r"H=[0-9A-F]{8}: silent")
            logs = glob.glob(os.path.join(out, "logs", "*.log"))
            expect(len(left) == len(logs) == phones,
                   f"every endpoint left the silent stranger and logged why "
                   f"({len(left)} of {len(logs)} logs)")
            for path, lines in left.items():
                hs = [re.search(r"H=([0-9A-F]{8})", ln).group(1) for ln in lines]
                expect(len(hs) == len(set(hs)),
                       f"{os.path.basename(path)} never went back to the stranger in one "
                       f"hierarchy")
            with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
                lab = json.load(f)
            for ep in lab["endpoints"]:
                sm = ep["summary"]
                expect(all(fl["verified"] and fl["parent"] != "00000001" for fl in sm["files"]),
                       f"XID{ep['xid']} holds every file, none from the stranger")
        except Failure:
            show_failure_context(out)
            raise
        finally:
            if q.poll() is None:
                os.kill(q.pid, signal.SIGTERM)
            print(q.communicate(timeout=60)[0].decode(errors="replace").strip()[-2000:])


def scenario_kill_tftp(a):
    """15 endpoints; in.tftpd (with the transfers it forked) is killed with
    SIGKILL mid-run, transfers to children slowed so that some files are
    held and others not yet. What one endpoint holds every endpoint must
    get from its peers; an endpoint that cannot finish exits 1 with the
    reason in its log; none hangs (every one exits by itself, well before
    the safety net); no tree has a parent loop."""
    import json
    with Scenario("killtftp") as s:
        phones = 15
        out = os.path.join(s.tmp, "lab")
        extra = ["--size-mb", "4", "--tx-rate", "400", "--kill-tftp-after", "5", "--keep-going"]
        p = s.start(pfslab_argv(out, phones, a.port, a.tftp_addr, extra))
        rc = p.wait(timeout=SAFETY)
        try:
            with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
                lab = json.load(f)
            expect(lab["lab"]["tftp_killed_after"] == 5, "pfslab killed in.tftpd after 5 s")
            expect("timeout after" not in (lab["failure"] or ""),
                   "no endpoint hung: every one exited by itself before the safety net")
            expect(rc in (0, 1), f"pfslab exits 0 or 1 (got {rc})")
            done = [e for e in lab["endpoints"] if e["exit"] == 0]
            failed = [e for e in lab["endpoints"] if e["exit"] != 0]
            print(f"labtest: {len(done)} endpoints finished, {len(failed)} could not")
            for ep in failed:
                expect(ep["exit"] == 1, f"XID{ep['xid']} exits 1 (got {ep['exit']})")
                held = {f["name"] for f in ep["summary"]["files"] if f["verified"]}
                with open(ep["log"], encoding="utf-8", errors="replace") as f:
                    errs = [ln for ln in f.read().splitlines() if ln.startswith("ERR ")]
                why = [ln for ln in errs if re.search(r" TFTP failed (\S+): ", ln) and
                       re.search(r" TFTP failed (\S+): ", ln).group(1) not in held]
                expect(why, f"XID{ep['xid']} logs why it could not finish: "
                            f"{why[0] if why else errs}")
            run_checks(out, partial=True)
        except Failure:
            show_failure_context(out)
            raise


RFC3164 = re.compile(rb"^<(\d{1,3})>(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                     rb"[ \d]\d \d\d:\d\d:\d\d (\S+) pfsd\[\d+\]: "
                     rb"((?:DBG|NOT|INF|WRN|ERR) \d\d:\d\d:\d\d\.\d{6} DLoad: .*)$", re.S)


def pfsd_pid(log_path):
    """The pid of the pfsd that writes log_path, from /proc."""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"pfsd") and log_path.encode() in argv:
            return int(d)
    return None


def scenario_stop(a):
    """SIGTERM mid-transfer, a silent TCP peer and the syslog copy of the log.

    A child is stopped with SIGTERM while it receives a file: it must exit 4,
    record that in its summary and leave only whole, verified files (no temp
    file, no partial file). While the lab runs, a TCP peer that connects and
    says nothing must be closed by the endpoint. Every endpoint also sends its
    log to a syslog server (this script): each datagram is an RFC 3164 header
    and a line of that endpoint's own log file.
    """
    import json
    with Scenario("stop") as s, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as srv:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        srv.bind(("127.0.0.1", 0))
        srv.setblocking(False)
        logsrv = f"127.0.0.1:{srv.getsockname()[1]}"
        got = []

        def drain():
            while True:
                try:
                    got.append(srv.recvfrom(4096))
                except BlockingIOError:
                    return

        out = os.path.join(s.tmp, "lab")
        extra = ["--size-mb", "2", "--tx-rate", "100", "--keep-going",
                 "--pfsd-arg=--log-server", f"--pfsd-arg={logsrv}"]
        p = s.start(pfslab_argv(out, 3, a.port, a.tftp_addr, extra))
        try:
            def receiving():
                drain()
                hits = grep_logs(out, r"DLoad: XID[0-9A-F]{8} RxXfrCmd .*/dnld/jar")
                return next(iter(hits), None)
            wait_for(receiving, "a child receiving the jar file", proc=p)
            victim_log = receiving()
            victim = os.path.basename(victim_log)[:8]
            pid = pfsd_pid(victim_log)
            expect(pid is not None, f"found the pfsd of XID{victim}")

            # A peer that connects and says nothing: a live endpoint hangs up
            # after its idle timeout and logs why.
            other_log, first = next((lg, ls[0]) for lg, ls in
                                    grep_logs(out, r"DLoad: \+\+\+ XID[0-9A-F]{8} ").items()
                                    if lg != victim_log)
            ip = re.search(r"IP=(\S+)", first)[1]
            silent = socket.create_connection((ip, a.port), timeout=SAFETY)
            wait_for(lambda: re.search(r"Refuse XID[0-9A-F]{8} \S+ H=[0-9A-F]{8}: idle",
                                       open(other_log, errors="replace").read()),
                     f"{ip} logging that it closed the silent peer", proc=p)
            silent.settimeout(SAFETY)
            try:
                closed = silent.recv(1) == b""
            except ConnectionResetError:
                closed = True
            silent.close()
            expect(closed and p.poll() is None,
                   f"{ip} closed a TCP peer that sent nothing, while the lab ran")

            os.kill(pid, signal.SIGTERM)
            rc = p.wait(timeout=SAFETY)
            drain()

            with open(os.path.join(out, "summaries", victim + ".json"), encoding="utf-8") as f:
                sm = json.load(f)
            expect(sm.get("exit") == 4, f"XID{victim} exits 4 on SIGTERM (summary says "
                                        f"{sm.get('exit')})")
            with open(victim_log, errors="replace") as f:
                vlog = f.read()
            expect("Hash OK /dnld/jar" not in vlog and
                   re.search(r"Leave H=[0-9A-F]{8}: SHUTDOWN", vlog) is not None,
                   f"XID{victim} was stopped before the jar file was whole, and said so")
            pdir = pfsd_dir_of(out, victim)
            left = sorted(os.listdir(pdir))
            expect(not any(n.startswith(".") for n in left),
                   f"no temporary file left in {pdir} ({left})")
            expect(not any(n.startswith("jar") for n in left),
                   f"the jar file it was receiving is not left half-written ({left})")
            for n in left:
                with open(os.path.join(pdir, n), "rb") as f, \
                        open(os.path.join(out, "tftpboot", n), "rb") as g:
                    expect(f.read() == g.read(), f"{n} in its folder is whole")
            expect(rc != 0, f"pfslab reports the stopped endpoint (exit {rc})")

            check_syslog(out, got)
        except Failure:
            show_failure_context(out)
            raise


def pfsd_dir_of(out, xid):
    """The download folder pfslab gave XID, from the lab summary's endpoint list."""
    import json
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
        for ep in json.load(f)["endpoints"]:
            if ep["xid"] == xid:
                return ep["dir"]
    return None


def check_syslog(out, got):
    """Every datagram is RFC 3164 + a line of the sender's own log file."""
    expect(got, f"the syslog server received datagrams ({len(got)})")
    logs = {}
    for path in glob.glob(os.path.join(out, "logs", "*.log")):
        with open(path, "rb") as f:
            logs[os.path.basename(path)[:8]] = set(f.read().splitlines())
    per_host = {}
    for data, _ in got:
        m = RFC3164.match(data)
        if m is None:
            expect(False, f"every datagram is RFC 3164 + a DLoad line: {data[:80]!r}")
        per_host.setdefault(m[3].decode(), []).append(m[4])
    for host, lines in sorted(per_host.items()):
        owner = [x for x, ls in logs.items() if any(b"IP=" + host.encode() + b" " in ln
                                                    for ln in ls)]
        expect(len(owner) == 1, f"syslog host {host} is one endpoint's address")
        missing = [ln for ln in lines if ln not in logs[owner[0]]]
        expect(not missing, f"{len(lines)} syslog lines from {host} are lines of "
                            f"XID{owner[0]}'s log ({missing[:1]})")
    expect(len(per_host) == len(logs), f"every endpoint sent its log ({len(per_host)} hosts)")


SCENARIOS = {"lab": scenario_lab, "kill-parent": scenario_kill_parent,
             "no-tftp": scenario_no_tftp, "push": scenario_push, "garbage": scenario_garbage,
             "stop": scenario_stop, "fakeroot": scenario_fakeroot,
             "kill-tftp": scenario_kill_tftp, "forge": scenario_forge, "flood": scenario_flood,
             "cut-through": scenario_cut_through, "cut-bad-root": scenario_cut_bad_root}


def main():
    ap = argparse.ArgumentParser(description="pfs-toolkit end-to-end scenarios")
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--phones", type=int, default=7)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tftp-addr", default="127.0.0.1")
    ap.add_argument("--stranger", default="127.0.0.250", help="the hostile peer's address")
    ap.add_argument("--component", action="store_true",
                    help="forge: also root the first component and serve junk as it")
    ap.add_argument("--size-mb", type=float, default=2.0, help="load size (lab scenario)")
    ap.add_argument("--base-addr", help="lab scenario: the first endpoint's address")
    ap.add_argument("--pfsd-arg", action="append", default=[], metavar="ARG",
                    help="lab scenario: an argument for every pfsd (repeatable)")
    ap.add_argument("--no-pcap", action="store_true",
                    help="lab scenario: no capture (a site of 1,000 would write gigabytes)")
    a = ap.parse_args()
    try:
        SCENARIOS[a.scenario](a)
    except Failure as e:
        print(f"labtest {a.scenario}: FAILED: {e}")
        return 1
    print(f"labtest {a.scenario}: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
