#!/usr/bin/python3
# site_bench.py - PFS against plain TFTP over one shaped WAN, for a range of
# site sizes: pfslab --netns (root) with and without --no-pfs per N.
#
#   sudo bench/site_bench.py [--phones 1,8,32,128] [--wan-rate 2mbit] [--size-mb 0.5]
#                            [--modes tftp,pfs,parallel,cut,cut-parallel]
#                            [--tftp-phones 1,8]
#                            [--out DIR] [--png docs/img/site-bench.png]
#
# Modes (MODES below): tftp is a site of phones without PFS (pfslab
# --no-pfs), pfs the phones' PFS (one file after another), parallel PFS
# with pfsd --parallel-files (every file's election and fetch at once), cut
# PFS with --cut-through (a parent forwards while it still receives), and
# cut-parallel both.
# --tftp-phones limits plain TFTP to those N (N copies of a big load over a
# slow WAN take long); the anchor needs N=1.
#
# Per run it records, from pfslab's summary.json: the upgrade's time (reset
# to the last file verified on the last endpoint), the wall time until every
# endpoint exited, and the bytes over the WAN (the server's end of the WAN
# link, its interface counters). Ratios are against the anchor measured in
# the same run: one phone, plain TFTP (--no-pfs, N=1). It prints a Markdown
# table, writes DIR/results.json and, when matplotlib is there (Debian
# python3-matplotlib), the plot. Not a test: nothing asserts a figure.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.realpath(__file__))


# mode: (label in the table and plot, pfslab arguments, plot marker)
MODES = {
    "tftp": ("plain TFTP", ["--no-pfs"], "s--"),
    "pfs": ("PFS", [], "o-"),
    "parallel": ("PFS, --parallel-files", ["--pfsd-arg=--parallel-files"], "^-"),
    "cut": ("PFS, --cut-through", ["--cut-through"], "v-"),
    "cut-parallel": ("PFS, --cut-through --parallel-files",
                     ["--cut-through", "--pfsd-arg=--parallel-files"], "D-"),
    # Forwarding as it arrives, a root need not wait for children before it
    # fetches: whoever joins later catches up from its temporary file.
    "cut-now": ("PFS, --cut-through --parallel-files --root-wait 0",
                ["--cut-through", "--pfsd-arg=--parallel-files", "--root-wait", "0"], "P-"),
}


def run(a, n, mode, out):
    argv = [sys.executable, a.pfslab, "--netns", "--wan-rate", a.wan_rate, "--phones", str(n),
            "--size-mb", str(a.size_mb), "--port", str(a.port), "--out", out, "--quiet",
            "--tftp-timeout", str(a.tftp_timeout), "--timeout", str(a.timeout)]
    if a.pfsd:
        argv += ["--pfsd", a.pfsd]
    argv += MODES[mode][1]
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
        lab = json.load(f)["lab"]
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
        rep = json.load(f)
    wan = lab["netns"]["wan"]
    res = {"phones": n, "mode": mode, "exit": r.returncode,
           "ok": rep["ok"], "upgrade_seconds": lab["upgrade_seconds"],
           "wall_seconds": lab["wall_seconds"], "wan_down_bytes": wan["down_bytes"],
           "wan_up_bytes": wan["up_bytes"], "tbf_drops": wan["tbf_drops"],
           "fallbacks": sum(len(f["fallbacks"]) for f in rep["files"]),
           "tftp_fetches": sum(f["tftp_fetches"] for f in rep["files"]),
           "load_bytes": sum(f["size"] for f in rep["files"]),
           "warnings": rep["warnings"], "problems": rep["problems"]}
    print(f"site_bench: N={n:<4} {res['mode']:<12} upgrade {res['upgrade_seconds']} s, wall "
          f"{res['wall_seconds']} s, WAN {res['wan_down_bytes']} B down, exit {r.returncode}",
          file=sys.stderr, flush=True)
    return res


def table(results, anchor):
    rows = ["| phones | mode | upgrade s | x anchor | wall s | WAN bytes down | x anchor | "
            "TFTP fetches | fallbacks | verified |",
            "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in results:
        rows.append(f"| {r['phones']} | {MODES[r['mode']][0]} | "
                    f"{r['upgrade_seconds']:.2f} | {r['upgrade_seconds'] / anchor['upgrade_seconds']:.2f} | "
                    f"{r['wall_seconds']:.2f} | {r['wan_down_bytes']} | "
                    f"{r['wan_down_bytes'] / anchor['wan_down_bytes']:.2f} | {r['tftp_fetches']} | "
                    f"{r['fallbacks']} | {'all' if r['ok'] else 'NO'} |")
    return "\n".join(rows)


def plot(results, anchor, path, a):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("site_bench: no matplotlib (Debian python3-matplotlib): no plot", file=sys.stderr)
        return False
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for mode, (label, _, mark) in MODES.items():
        rs = [r for r in results if r["mode"] == mode]
        if not rs:
            continue
        ns = [r["phones"] for r in rs]
        ax1.plot(ns, [r["upgrade_seconds"] for r in rs], mark, label=label)
        ax2.plot(ns, [r["wan_down_bytes"] / 2**20 for r in rs], mark, label=label)
    ax1.axhline(anchor["upgrade_seconds"] * 1.5, color="grey", lw=0.8, ls=":",
                label="1.5 x one phone's plain TFTP")
    if any(r["mode"].startswith("cut") for r in results):
        ax1.axhline(anchor["upgrade_seconds"] * 1.1, color="grey", lw=0.8, ls="--",
                    label="1.1 x (the cut-through aim)")
    ax2.axhline(anchor["load_bytes"] / 2**20, color="grey", lw=0.8, ls=":",
                label="one copy of the load")
    for ax, title, unit in ((ax1, "upgrade time", "seconds (reset to last file verified)"),
                            (ax2, "bytes over the WAN", "MiB down (server end of the link)")):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(sorted({r["phones"] for r in results}))
        ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        # Plain numbers on the log axis, not powers of ten.
        ax.get_yaxis().set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
        ax.get_yaxis().set_minor_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
        ax.set_xlabel("phones at the site")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, which="both", lw=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"pfslab --netns, WAN {a.wan_rate} (tc tbf), load {a.size_mb} MiB, lab timers")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return True


def main():
    p = argparse.ArgumentParser(description="PFS against plain TFTP over a shaped WAN")
    p.add_argument("--phones", default="1,8,32,128")
    p.add_argument("--wan-rate", default="2mbit")
    p.add_argument("--size-mb", type=float, default=0.5)
    p.add_argument("--modes", default="tftp,pfs",
                   help=f"comma-separated, of {', '.join(MODES)} (default tftp,pfs)")
    p.add_argument("--tftp-phones", help="plain TFTP only for these N (default: every N)")
    p.add_argument("--port", type=int, default=4330)
    p.add_argument("--tftp-timeout", type=int, default=3000,
                   help="ms, both modes: a whole site's blocks queue at the WAN")
    p.add_argument("--timeout", type=int, default=3600)
    p.add_argument("--out", help="keep every run's folder here (default: a temporary one)")
    p.add_argument("--png", default=os.path.join(HERE, "..", "docs", "img", "site-bench.png"))
    p.add_argument("--pfslab", default=os.path.join(HERE, "..", "lab", "pfslab"))
    p.add_argument("--pfsd")
    a = p.parse_args()
    modes = a.modes.split(",")
    bad = [m for m in modes if m not in MODES]
    if bad:
        sys.exit(f"site_bench: --modes: unknown mode {bad[0]!r} (of {', '.join(MODES)})")
    phones = [int(x) for x in a.phones.split(",")]
    tftp_phones = [int(x) for x in a.tftp_phones.split(",")] if a.tftp_phones else phones
    if os.geteuid() != 0:
        sys.exit("site_bench: needs root (pfslab --netns)")
    if a.pfsd is None:
        cand = os.path.join(HERE, "..", "build", "bin", "pfsd")
        a.pfsd = cand if os.access(cand, os.X_OK) else None
    base = a.out or tempfile.mkdtemp(prefix="pfs-site-bench-")
    os.makedirs(base, exist_ok=True)
    results = []
    try:
        for n in phones:
            for mode in modes:
                if mode == "tftp" and n not in tftp_phones:
                    continue
                results.append(run(a, n, mode, os.path.join(base, f"{mode}-{n}")))
    finally:
        with open(os.path.join(base, "results.json"), "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)
    anchor = next(r for r in results if r["mode"] == "tftp" and r["phones"] == 1) \
        if any(r["mode"] == "tftp" and r["phones"] == 1 for r in results) else results[0]
    print(table(results, anchor))
    if plot(results, anchor, a.png, a):
        print(f"\nplot: {os.path.relpath(a.png)}")
    if not a.out:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
