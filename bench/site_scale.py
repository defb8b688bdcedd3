#!/usr/bin/env python3
# site_scale.py - what a site of N phones costs: one pfslab run per size,
# lab timers, 4 MiB load, on loopback, with the figures of each run's
# summary.json: verified endpoints, TFTP fetches and fallbacks, the PFS
# datagrams broadcast per file, CPU seconds and peak memory per endpoint,
# the UDP receive-buffer drops. The anchor is the first size of the same
# invocation: datagrams per file that grow linearly with the site keep the
# per-endpoint ratio near 1.00; growth with its square doubles it with N.
#
#   sudo python3 bench/site_scale.py [--sizes 31,125,250,500,1000] [--pfslab build/bin/pfslab]
#
# Not a test: nothing here passes or fails; the table goes to stdout for
# docs/benchmarks.md. Root is not needed, but without it pfslab preloads
# a helper into in.tftpd (see docs/lab.md).
#
# SPDX-License-Identifier: GPL-2.0-or-later

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def run(pfslab, n, work, port):
    out = os.path.join(work, f"site{n}")
    argv = [sys.executable, pfslab, "--phones", str(n), "--out", out, "--port", str(port),
            "--tftp-addr", "127.0.180.1", "--base-addr", "127.6.0.2", "--timeout", "900", "-q"]
    rc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
        lab = json.load(f)
    shutil.rmtree(out, ignore_errors=True)  # 1,000 phones' files are gigabytes
    return rc, lab


def row(n, rc, lab, anchor):
    r = lab["lab"]["resources"]
    files = [f for f in lab["files"] if not f["anchor_fetches"]]
    ok = sum(1 for e in lab["endpoints"] if e["ok"])
    fetches = "/".join(str(f["tftp_fetches"]) for f in files)
    fallbacks = sum(len(f["fallbacks"]) for f in files)
    per_ep = r["datagrams_per_file"] / n
    ratio = per_ep / anchor if anchor else 1.0
    up = lab["lab"]["upgrade_seconds"]
    return (f"| {n} | {'OK' if rc == 0 else 'FAILED'} | {ok}/{n} | {fetches} | {fallbacks} | "
            f"{r['datagrams_per_file']:.0f} | {per_ep:.2f} | {ratio:.2f} | "
            f"{r['cpu_seconds_per_endpoint']:.3f} | {r['max_rss_kib']} | "
            f"{r['udp_rcvbuf_errors']} | {up if up is not None else '-'} | "
            f"{lab['lab']['wall_seconds']} |"), per_ep


def main():
    ap = argparse.ArgumentParser(description="pfslab at several site sizes")
    ap.add_argument("--sizes", default="31,125,250,500,1000")
    ap.add_argument("--pfslab", default=os.path.join(HERE, "..", "build", "bin", "pfslab"))
    ap.add_argument("--port", type=int, default=4480)
    a = ap.parse_args()
    sizes = [int(x) for x in a.sizes.split(",")]
    print("| phones | pfslab | verified | TFTP fetches per file | fallbacks | datagrams per file "
          "| per endpoint | x anchor | CPU s per endpoint | peak KiB | UDP drops | upgrade s "
          "| wall s |")
    print("| ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
          "| ---: |")
    anchor = None
    with tempfile.TemporaryDirectory(prefix="site-scale.") as work:
        for n in sizes:
            rc, lab = run(a.pfslab, n, work, a.port)
            line, per_ep = row(n, rc, lab, anchor)
            anchor = anchor or per_ep
            print(line, flush=True)


if __name__ == "__main__":
    main()
