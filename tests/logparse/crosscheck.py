#!/usr/bin/env python3
# crosscheck.py - pfslog against the lab's own account of an upgrade.
#
#   crosscheck.py --pfslog BIN --dir LABDIR
#       reads LABDIR/summary.json and `pfslog --json LABDIR/logs/*.log`
#   crosscheck.py --pfslog BIN --lab --phones N --port P --tftp-addr A
#       runs pfslab first (PFSLAB and PFSD from the environment, as
#       tests/e2e/labtest.py does) into a temporary folder, then the above
#
# For every file of the load, pfslog must rebuild exactly the tree the
# endpoints report in summary.json: the same hierarchy id, the same root(s),
# and for every endpoint the same parent (the peer it got the file from,
# null for a root or a TFTP fallback). Exit 0 when every check holds.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

SAFETY = 600  # seconds: only ever hit when something hangs


def run_pfslog(pfslog, labdir):
    logs = sorted(glob.glob(os.path.join(labdir, "logs", "*.log")) +
                  glob.glob(os.path.join(labdir, "logs", "*.log.gz")))
    if not logs:
        raise SystemExit(f"crosscheck: no logs in {labdir}/logs")
    p = subprocess.run([pfslog, "--json"] + logs, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=SAFETY, check=False)
    if p.returncode not in (0, 1):
        sys.stderr.write(p.stderr.decode(errors="replace"))
        raise SystemExit(f"crosscheck: pfslog exited {p.returncode}")
    return json.loads(p.stdout.decode("utf-8"))


def compare(lab, doc):
    """Yields (ok, message) for every check."""
    model = lab["lab"]["model"]
    hiers = {}
    for h in doc["hierarchies"]:
        if h["model"] == model:
            hiers.setdefault(h["file"], []).append(h)
    files = [f["name"] for f in lab["files"]]
    yield sorted(hiers) == sorted(files), \
        f"pfslog found the hierarchies of the load: {sorted(hiers)} vs {sorted(files)}"
    for f in lab["files"]:
        got = hiers.get(f["name"], [])
        if len(got) != 1:
            yield False, f"{f['name']}: one hierarchy in pfslog's output (got {len(got)})"
            continue
        h = got[0]
        if f.get("anchor_fetches"):
            # The .loads from the trust anchor: every endpoint fetched it
            # itself, no hierarchy on the wire, so no H in the logs.
            roles = sorted({n["role"] for n in h["nodes"]})
            yield roles == ["anchor"] and len(h["nodes"]) == f["anchor_fetches"], \
                f"{f['name']}: pfslog sees {f['anchor_fetches']} anchor fetches (roles {roles}, " \
                f"{len(h['nodes'])} nodes)"
            continue
        yield h["h"] == f["h"], f"{f['name']}: H={f['h']} (pfslog {h['h']})"
        yield sorted(h["roots"]) == sorted(f["roots"]), \
            f"{f['name']}: roots {sorted(f['roots'])} (pfslog {sorted(h['roots'])})"
        nodes = {n["xid"]: n for n in h["nodes"]}
        bad = []
        for ep in lab["endpoints"]:
            mine = next((x for x in ep["summary"]["files"] if x["name"] == f["name"]), None) \
                if ep.get("summary") else None
            if mine is None:
                continue
            n = nodes.get(ep["xid"])
            if n is None:
                bad.append(f"XID{ep['xid']} missing")
            elif n["parent"] != mine["parent"]:
                bad.append(f"XID{ep['xid']} parent {n['parent']} (summary {mine['parent']})")
        yield not bad, f"{f['name']}: every endpoint's parent as in summary.json" + \
            (": " + "; ".join(bad) if bad else "")


def check_dir(pfslog, labdir):
    with open(os.path.join(labdir, "summary.json"), encoding="utf-8") as fh:
        lab = json.load(fh)
    doc = run_pfslog(pfslog, labdir)
    failed = 0
    for ok, msg in compare(lab, doc):
        print(("ok: " if ok else "FAIL: ") + msg)
        failed += not ok
    # Several roots for one file: pfslog must say so, as an error when the
    # trees overlapped (a broken election) or as a late-root warning when a
    # late phone found every other phone gone and had to be root alone.
    said = [d for d in doc["diagnostics"] if d["code"] in ("two-roots", "late-root")]
    multi = [f["name"] for f in lab["files"] if len(f["roots"]) > 1]
    if multi:
        print(f"note: the lab elected several roots for {multi};"
              f" pfslog said {sorted(d['code'] for d in said)}")
        if not said:
            print("FAIL: pfslog did not report the extra roots")
            failed += 1
    return failed


def run_lab(a, tmp):
    lab = os.environ.get("PFSLAB")
    pfsd = os.environ.get("PFSD")
    for name, path in (("PFSLAB", lab), ("PFSD", pfsd)):
        if not path or not os.access(path, os.X_OK):
            raise SystemExit(f"crosscheck: {name}={path!r} is not an executable")
    out = os.path.join(tmp, "lab")
    argv = [sys.executable, lab, "--phones", str(a.phones), "--out", out, "--port", str(a.port),
            "--tftp-addr", a.tftp_addr, "--pfsd", pfsd, "--size-mb", "2",
            "--timeout", str(SAFETY - 60), "--quiet"]
    print("+ " + " ".join(argv), flush=True)
    p = subprocess.Popen(argv, start_new_session=True)
    try:
        rc = p.wait(timeout=SAFETY)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise SystemExit("crosscheck: pfslab hung")
    if rc != 0:
        print(f"note: pfslab exited {rc}; checking its logs anyway")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pfslog", required=True)
    ap.add_argument("--dir")
    ap.add_argument("--lab", action="store_true")
    ap.add_argument("--phones", type=int, default=7)
    ap.add_argument("--port", type=int, default=4051)
    ap.add_argument("--tftp-addr", default="127.0.0.1")
    a = ap.parse_args()
    if a.lab:
        tmp = tempfile.mkdtemp(prefix="pfslog-crosscheck-")
        try:
            failed = check_dir(a.pfslog, run_lab(a, tmp))
        finally:
            if os.environ.get("PFS_KEEP") == "1":
                print(f"crosscheck: kept {tmp}")
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    elif a.dir:
        failed = check_dir(a.pfslog, a.dir)
    else:
        ap.error("--dir or --lab")
    print("crosscheck: " + ("OK" if not failed else f"{failed} check(s) failed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
