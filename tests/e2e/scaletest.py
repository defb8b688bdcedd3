#!/usr/bin/env python3
# scaletest.py - the end-to-end scenarios of a site's shape, behind the
# e2e_site_* ctest cases:
#
#   scaletest.py no-pfs --phones N --port P --tftp-addr A   pfslab --no-pfs: every endpoint
#                                                           fetches every file over TFTP,
#                                                           not one PFS datagram
#   scaletest.py models --models M:N,.. --port P ...       pfslab --models on addresses that
#                                                           cross a /24 (127.1.0.250..): one
#                                                           tree, root and fetch per file
#                                                           and model
#   scaletest.py netns --phones N --port P                  (root) pfslab --netns behind a
#                                                           tbf-shaped WAN: one copy of each
#                                                           file crosses it; every namespace
#                                                           removed, also after SIGTERM
#
# Helpers, binaries (PFSLAB, PFSD) and the clean-up rules are labtest.py's.
# Exit 77 (ctest's skip) only when the scenario needs root and this is not.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import argparse
import glob
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import labtest  # noqa: E402
from labtest import SAFETY, Failure, Scenario, env_bin, expect, run_checks  # noqa: E402

SKIP = 77


def pfslab_argv(out, port, extra, tftp_addr=None, pcap=True):
    argv = [sys.executable, env_bin("PFSLAB"), "--out", out, "--port", str(port),
            "--pfsd", env_bin("PFSD"), "--timeout", str(SAFETY - 60), "--quiet"]
    if tftp_addr:
        argv += ["--tftp-addr", tftp_addr]
    if pcap and os.geteuid() == 0:
        argv += ["--pcap", os.path.join(out, "upgrade.pcap")]
    return argv + list(extra)


def read_lab(out):
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
        return json.load(f)


def run_lab(s, argv, what):
    out = argv[argv.index("--out") + 1]
    p = s.start(argv)
    rc = p.wait(timeout=SAFETY)
    try:
        expect(rc == 0, f"{what} exits 0 (got {rc})")
        return read_lab(out)
    except Failure:
        labtest.show_failure_context(out)
        raise


def pfs_packets(pcap, port):
    """Packets on the PFS port in the capture (tshark), or None without one."""
    if not os.path.exists(pcap):
        return None
    r = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", f"udp.port == {port} || "
                        f"tcp.port == {port}", "-T", "fields", "-e", "frame.number"],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    if r.returncode != 0:
        raise Failure(f"tshark cannot read {pcap}: {r.stderr.decode(errors='replace')}")
    return len(r.stdout.split())


# ---- scenarios ----

def scenario_no_pfs(a):
    with Scenario("nopfs") as s:
        out = os.path.join(s.tmp, "lab")
        lab = run_lab(s, pfslab_argv(out, a.port, ["--phones", str(a.phones), "--no-pfs",
                                                   "--size-mb", "1", "--strict"], a.tftp_addr),
                      f"pfslab --no-pfs --phones {a.phones} --strict")
        run_checks(out, expect_rrqs=os.geteuid() == 0)
        for f in lab["files"]:
            if f["name"].endswith(".loads"):  # the trust anchor, with PFS or without
                expect(f["anchor_fetches"] == a.phones and f["verified"] == a.phones and
                       not f["roots"] and not f["fallbacks"],
                       f"{f['name']}: every endpoint fetched it itself (the anchor)")
                continue
            expect(f["direct_fetches"] == a.phones and f["tftp_fetches"] == a.phones and
                   f["verified"] == a.phones and not f["roots"] and not f["fallbacks"],
                   f"{f['name']}: fetched from TFTP and verified by all {a.phones} endpoints, "
                   "no root, no fallback")
        said = labtest.grep_logs(out, r"DLoad: (XID[0-9A-F]{8} TxBdcst|\+\+\+ fd=|"
                                      r"@@@HIER|XID[0-9A-F]{8} Leave )")
        expect(not said, f"no endpoint logs a broadcast, a listening port, a hierarchy or a "
               f"LEAVE ({sorted(said)[:2]})")
        n = pfs_packets(os.path.join(out, "upgrade.pcap"), a.port)
        if n is None:
            print("not root: no capture, the PFS port is checked from the logs only")
        else:
            expect(n == 0, f"the capture holds no packet on the PFS port {a.port} (found {n})")


def scenario_models(a):
    with Scenario("models") as s:
        out = os.path.join(s.tmp, "lab")
        models = [(m, int(n)) for m, n in (p.split(":") for p in a.models.split(","))]
        # 127.0.0.0/8 is one broadcast domain: a site may start anywhere in
        # it, and this one crosses from 127.1.0.x into 127.1.1.x.
        lab = run_lab(s, pfslab_argv(out, a.port, ["--models", a.models, "--base-addr",
                                                   "127.1.0.250", "--size-mb", "1",
                                                   "--strict"], a.tftp_addr),
                      f"pfslab --models {a.models} --strict")
        run_checks(out, expect_rrqs=os.geteuid() == 0)
        ips = [e["ip"] for e in lab["endpoints"]]
        expect("127.1.0.255" in ips and "127.1.1.0" in ips,
               f"endpoints on both sides of 127.1.0.255 ({ips[0]}..{ips[-1]})")
        for f in lab["files"]:
            n = dict(models)[f["model"]]
            if f["name"].endswith(".loads"):  # the trust anchor: no root, one fetch each
                expect(f["anchor_fetches"] == n and f["verified"] == n and not f["roots"] and
                       not f["fallbacks"], f"{f['name']} {f['model']}: each of its {n} "
                       f"endpoints fetched it itself (the anchor)")
                continue
            expect(f["root"] and f["tftp_fetches"] == 1 and f["verified"] == n and
                   not f["fallbacks"], f"{f['name']} {f['model']} H={f['h']}: root "
                   f"XID{f['root']}, one TFTP fetch, verified by its {n} endpoints")
        for name in {f["name"] for f in lab["files"]} - {lab["lab"]["load"]}:
            per = [f for f in lab["files"] if f["name"] == name]
            expect(len({f["h"] for f in per}) == len(models) and
                   len({f["root"] for f in per}) == len(models),
                   f"{name}: a hierarchy id and a root of its own per model")
        by_xid = {e["xid"]: e["model"] for e in lab["endpoints"]}
        for f in [f for f in lab["files"] if f["root"]]:  # the anchor's .loads has none
            expect(by_xid[f["root"]] == f["model"], f"{f['name']}: the {f['model']} root is a "
                   f"{f['model']}")


def namespaces(pid=None):
    r = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    want = rf"pfslab{pid}-" if pid else r"pfslab\d+-"
    return [ln.split()[0] for ln in r.stdout.splitlines() if re.match(want, ln)]


def lab_processes(out):
    """pids whose command line names the lab's folder (its pfsd and in.tftpd)."""
    pids = []
    for d in glob.glob("/proc/[0-9]*"):
        try:
            with open(os.path.join(d, "cmdline"), "rb") as f:
                if out.encode() in f.read():
                    pids.append(int(os.path.basename(d)))
        except OSError:
            pass
    return [p for p in pids if p != os.getpid()]


def scenario_netns(a):
    if os.geteuid() != 0:
        print("scaletest netns: needs root (network namespaces); skipped")
        sys.exit(SKIP)
    with Scenario("netns") as s:
        out = os.path.join(s.tmp, "lab")
        argv = pfslab_argv(out, a.port, ["--netns", "--wan-rate", "2mbit", "--phones",
                                         str(a.phones), "--size-mb", "0.5", "--strict"])
        p = s.start(argv)
        seen = labtest.wait_for(lambda: len(namespaces(p.pid)) == 2 and namespaces(p.pid),
                                "pfslab's namespaces", proc=p)
        expect(sorted(seen) == sorted([f"pfslab{p.pid}-site", f"pfslab{p.pid}-tftp"]),
               f"pfslab made the site's and the server's namespaces ({seen})")
        rc = p.wait(timeout=SAFETY)
        try:
            expect(rc == 0, f"pfslab --netns --phones {a.phones} --strict exits 0 (got {rc})")
            lab = read_lab(out)
            run_checks(out, expect_rrqs=True)
        except Failure:
            labtest.show_failure_context(out)
            raise
        expect(namespaces(p.pid) == [], "every namespace it made is gone")
        net = lab["lab"]["netns"]
        wan, total = net["wan"], sum(f["size"] for f in lab["files"])
        expect(all(e["ip"].startswith("10.77.") for e in lab["endpoints"]) and
               lab["lab"]["tftp"] == "10.78.0.2:69", "endpoints on the site's subnet, the "
               "server across the WAN")
        expect(total <= wan["down_bytes"] <= total * 1.1,
               f"one copy of the load crossed the WAN: {wan['down_bytes']} bytes down for "
               f"{total} bytes of files")
        expect(wan["tbf_drops"] == 0, f"the shaped link dropped nothing ({wan['tbf_drops']})")

        # Stopped mid-upgrade: everything it made and started goes.
        out2 = os.path.join(s.tmp, "stopped")
        argv = pfslab_argv(out2, a.port, ["--netns", "--wan-rate", "512kbit", "--phones",
                                          str(a.phones), "--size-mb", "2"], pcap=False)
        p = s.start(argv)
        labtest.wait_for(lambda: glob.glob(os.path.join(out2, "logs", "*.log")) and
                         namespaces(p.pid), "the endpoints to start", proc=p)
        time.sleep(1)
        os.kill(p.pid, signal.SIGTERM)
        rc = p.wait(timeout=120)
        expect(rc == 1, f"pfslab stopped by SIGTERM exits 1 (got {rc})")
        expect(namespaces(p.pid) == [], "after SIGTERM every namespace it made is gone")
        left = lab_processes(out2)
        expect(left == [], f"after SIGTERM no process of the lab is left ({left})")


SCENARIOS = {"no-pfs": scenario_no_pfs, "models": scenario_models, "netns": scenario_netns}


def main():
    ap = argparse.ArgumentParser(description="pfs-toolkit site scenarios")
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--phones", type=int, default=8)
    ap.add_argument("--models", default="CP-7961G:20,CP-7941G:12")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tftp-addr", default="127.0.0.1")
    a = ap.parse_args()
    try:
        SCENARIOS[a.scenario](a)
    except Failure as e:
        print(f"scaletest {a.scenario}: FAILED: {e}")
        return 1
    print(f"scaletest {a.scenario}: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
