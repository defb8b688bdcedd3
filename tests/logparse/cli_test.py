#!/usr/bin/env python3
# cli_test.py - pfslog's command line: exit status 0/1/2, one clear line
# naming an unreadable input, --verbose listing unplaced lines as
# file:line, stdin (plain and gzip), colour only when asked or on a
# terminal, the --json document's fields (docs/pfslog-json.md), the
# timeline's order, an empty file.
#
#   cli_test.py --pfslog BIN --src SRCDIR
#
# SPDX-License-Identifier: GPL-2.0-or-later

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

FAILED = []


def check(cond, msg):
    print(("ok: " if cond else "FAIL: ") + msg)
    if not cond:
        FAILED.append(msg)


def run(a, args, stdin=None, env=None):
    e = dict(os.environ, LC_ALL="C.UTF-8")
    e.pop("NO_COLOR", None)
    e.update(env or {})
    p = subprocess.run([a.pfslog] + args, cwd=a.src, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=e, timeout=120, check=False)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def exit_codes(a, tmp):
    rc, out, err = run(a, ["samples/seed-root.log"])
    check(rc == 0 and out.startswith("PFS elected roots"), "a report: exit 0")
    rc, out, _ = run(a, ["samples/lab7-kill/logs/B4600005.log.gz", "samples/lab7-kill/logs/B4600006.log.gz"])
    check(rc == 1 and "two-roots" in out, "a report with an error diagnostic (two roots): exit 1")
    for args, why in ((["--bogus"], "an unknown option"),
                      (["--json", "--dot", "samples/seed-root.log"], "--json with --dot"),
                      (["--xid", "nothex", "samples/seed-root.log"], "a bad --xid"),
                      (["--color=sometimes", "samples/seed-root.log"], "a bad --color"),
                      (["--listen", "udp:1", "samples/seed-root.log"], "--listen with files"),
                      (["--listen", "tcp:5514"], "--listen not udp")):
        rc, out, err = run(a, args)
        check(rc == 2 and out == "" and (err.startswith("pfslog: ") or "Usage" in err),
              f"{why}: exit 2 with a message")
    missing = os.path.join(tmp, "no-such.log")
    rc, out, err = run(a, ["samples/seed-root.log", missing])
    check(rc == 2 and out == "" and err == f"pfslog: {missing}: No such file or directory\n",
          "a missing file: exit 2, one line naming it, no report")
    rc, out, err = run(a, [tmp])
    check(rc == 2 and err == f"pfslog: {tmp}: Is a directory\n", "a directory: exit 2, one line")
    bad = os.path.join(tmp, "bad.log.gz")
    with open(bad, "wb") as f:
        f.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage that does not inflate")
    rc, out, err = run(a, [bad])
    check(rc == 2 and err.startswith(f"pfslog: {bad}: ") and err.count("\n") == 1,
          "a corrupt gzip file: exit 2, one line naming it")
    if os.geteuid() != 0:
        locked = os.path.join(tmp, "locked.log")
        shutil.copy(os.path.join(a.src, "samples/seed-root.log"), locked)
        os.chmod(locked, 0)
        rc, out, err = run(a, [locked])
        check(rc == 2 and err == f"pfslog: {locked}: Permission denied\n",
              "an unreadable file: exit 2, one line naming it")
    rc, out, _ = run(a, ["--help"])
    check(rc == 0 and "Exit status" in out, "--help: exit 0")


def verbose(a):
    rc, out, err = run(a, ["samples/seed.txt"])
    check(rc == 0 and err == "" and "87 not placed (--verbose lists them)" in out,
          "unplaced lines are counted, quietly")
    rc, out, err = run(a, ["-v", "samples/seed.txt"])
    lines = err.splitlines()
    check(len(lines) == 87 and all(re.match(r"pfslog: samples/seed\.txt:\d+: ", ln) for ln in lines),
          "--verbose lists each unplaced line as file:line")
    check("pfslog: samples/seed.txt:1: not a console log line: " in err, "the first one is line 1")


def stdin(a, tmp):
    with open(os.path.join(a.src, "samples/seed-root.log"), "rb") as f:
        data = f.read()
    _, ref, _ = run(a, ["samples/seed-root.log"])
    for args, blob, how in ((["-"], data, "'-'"), ([], data, "no argument, a pipe"),
                            (["-"], gzip.compress(data), "gzip on stdin")):
        rc, out, _ = run(a, args, stdin=blob)
        check(rc == 0 and out == ref.replace("samples/seed-root.log", "<stdin>"),
              f"stdin ({how}) gives the same report")
    empty = os.path.join(tmp, "empty.log")
    open(empty, "w").close()
    rc, out, _ = run(a, [empty])
    check(rc == 0 and out.startswith("no PFS hierarchy found") and "0 lines" in out,
          "an empty file: a report saying so, exit 0")


def colour(a):
    _, out, _ = run(a, ["samples/lab7-kill/logs/B4600006.log.gz"])
    check("\033[" not in out, "no colour when stdout is not a terminal")
    _, out, _ = run(a, ["--color=always", "samples/lab7-kill/logs/B4600006.log.gz"])
    check("\033[" in out, "--color=always colours")
    if shutil.which("script"):
        # a real terminal: colour by default, none with NO_COLOR
        cmd = f"{a.pfslog} samples/seed-root.log"
        p = subprocess.run(["script", "-qec", cmd, "/dev/null"], cwd=a.src, stdout=subprocess.PIPE,
                           env=dict(os.environ, TERM="xterm", LC_ALL="C.UTF-8"), timeout=60,
                           check=False)
        check(b"\033[" in p.stdout, "colour on a terminal")
        p = subprocess.run(["script", "-qec", cmd, "/dev/null"], cwd=a.src, stdout=subprocess.PIPE,
                           env=dict(os.environ, TERM="xterm", NO_COLOR="1", LC_ALL="C.UTF-8"),
                           timeout=60, check=False)
        check(b"\033[" not in p.stdout and b"PFS elected" in p.stdout,
              "NO_COLOR is honoured on a terminal")


XID = re.compile(r"^[0-9A-F]{8}$")


def json_doc(a):
    rc, out, _ = run(a, ["--json", "samples/lab7-kill/logs/B4600005.log.gz", "samples/seed-root.log"])
    doc = json.loads(out)
    for key in ("phones", "hierarchies", "diagnostics", "stats"):
        check(key in doc, f"--json has {key}")
    check(all({"xid", "model", "ip", "source"} <= set(p) for p in doc["phones"]),
          "phones[] have xid, model, ip, source")
    check(all(XID.match(p["xid"]) for p in doc["phones"]), "XIDs are 8 upper-case hex digits")
    hs = doc["hierarchies"]
    check(all({"file", "model", "h", "root", "nodes", "events"} <= set(h) for h in hs),
          "hierarchies[] have file, model, h, root, nodes, events")
    nodes = [n for h in hs for n in h["nodes"]]
    check(all({"xid", "ip", "parent", "children", "role", "source", "seconds"} <= set(n) for n in nodes),
          "nodes[] have xid, ip, parent, children, role, source, seconds")
    roots = [n for h in hs for n in h["nodes"] if n["role"] == "root"]
    check(roots and all(n["parent"] is None for n in roots), "a root's parent is null")
    evs = [e for h in hs for e in h["events"]]
    check(evs and all({"t", "xid", "kind", "src", "line"} <= set(e) for e in evs),
          "events[] have t, xid, kind, src, line")
    ds = doc["diagnostics"]
    check(ds and all({"severity", "code", "message", "src", "line"} <= set(d) for d in ds),
          "diagnostics[] have severity, code, message, src, line")
    check({"lines", "dload_lines", "unparsed_lines", "files"} <= set(doc["stats"]),
          "stats has lines, dload_lines, unparsed_lines, files")
    check(doc["stats"]["files"] == 2, "stats.files counts the inputs")


def timeline(a):
    rc, out, _ = run(a, ["--timeline", "--json"] + [f"samples/lab7/logs/{f}" for f in
                                                     sorted(os.listdir(os.path.join(a.src, "samples/lab7/logs")))])
    ts = [json.loads(ln)["t"] for ln in out.splitlines()]
    check(rc == 0 and len(ts) > 1000 and ts == sorted(ts), "--timeline merges the logs in time order")
    rc, out, _ = run(a, ["--timeline", "--xid", "B4600003", "samples/lab7/logs/B4600002.log"])
    check(rc == 0 and out and all("B4600003" in ln for ln in out.splitlines()),
          "--xid keeps the events naming that phone")


def doc_codes(a):
    # Every diagnostic code the source can emit is in docs/pfslog-json.md's table.
    with open(os.path.join(a.src, "logparse/diag.c"), encoding="utf-8") as f:
        src = f.read()
    # a code is a quoted lower-case word with a dash where a diag() call takes it
    emitted = set(re.findall(r'"([a-z]+(?:-[a-z]+)+)"', src))
    with open(os.path.join(a.src, "docs/pfslog-json.md"), encoding="utf-8") as f:
        doc = f.read()
    listed = set(re.findall(r"^\| `([a-z-]+)` \| (?:error|warning|info)", doc, re.M))
    check(len(emitted) > 10 and emitted <= listed,
          f"docs/pfslog-json.md lists every diagnostic code (missing: {sorted(emitted - listed)})")


def filters(a):
    rc, out, _ = run(a, ["--model", "CP-7941G", "samples/seed-root.log"])
    check(rc == 0 and out.startswith("no hierarchy matches the filter"),
          "a filter that matches nothing says so, not 'no PFS hierarchy found'")
    rc, out, err = run(a, ["--timeline", "--model", "CP-7941G", "samples/seed-root.log"])
    check(rc == 0 and not out and "no line matches the filter" in err,
          "a --timeline filter that matches nothing says so on stderr")
    rc, out, err = run(a, ["--timeline", "--model", "CP-7961G", "samples/lab7/logs/B4600005.log"])
    check(out and not err, "a --timeline filter that matches: no such line")
    rc, out, _ = run(a, ["--model", "CP-7941G", "/dev/null"])
    check(out.startswith("no PFS hierarchy found"), "no hierarchy at all, filter or not, says that")
    rc, out, _ = run(a, ["--timeline", "samples/seed-root.log"])
    lines = out.splitlines()
    check(lines and all(ln.split()[1] == "XID080027F8" for ln in lines),
          "--timeline names the phone on every line of its own log, traces and state dumps too")
    rc, out, _ = run(a, ["--timeline", "--xid", "B4600005"] +
                     ["samples/lab7/logs/B4600005.log", "samples/lab7/logs/B4600007.log"])
    kinds = {ln.split()[2] for ln in out.splitlines()}
    check({"trace", "state", "listen"} <= kinds,
          "--timeline --xid keeps the phone's lines that name no XID (trace, state, listen)")
    rc, out, _ = run(a, ["--timeline", "--file", "jar*"] +
                     ["samples/lab7/logs/B4600005.log"])
    check(out and "state" in {ln.split()[2] for ln in out.splitlines()} and "cnu4" not in out,
          "--timeline --file keeps the hierarchy's state dumps and traces, not another file's lines")


def width(a):
    # A 15-phone report (two labs' logs) fits 80 columns; COLUMNS widens it.
    logs = ["samples/lab7/logs/B46000%02d.log" % i for i in range(2, 9)]
    logs += ["samples/lab7-kill/logs/B46000%02d.log.gz" % i for i in range(2, 9)]
    logs += ["samples/seed-root.log"]
    rc, out, _ = run(a, logs, env={"COLUMNS": ""})
    wide = [ln for ln in out.splitlines() if len(ln) > 80]
    check(out and not wide, f"the text report fits 80 columns ({len(wide)} lines wider)")
    rc, out120, _ = run(a, logs, env={"COLUMNS": "120"})
    check(max(len(ln) for ln in out120.splitlines()) <= 120 and
          len(out120.splitlines()) < len(out.splitlines()), "COLUMNS=120: wider lines, fewer of them")


def width_long_addresses(a, tmp):
    # The same 14 phones on a subnet whose addresses are 12 characters
    # (127.0.160.1N, as a lab on its own range gives): the NOTES column gets
    # narrower than its notes ("5 Ads, yielded; FULL") and breaks them.
    import gzip
    import re
    d = os.path.join(tmp, "wide")
    os.makedirs(d, exist_ok=True)
    logs = ["samples/lab7/logs/B46000%02d.log" % i for i in range(2, 9)]
    logs += ["samples/lab7-kill/logs/B46000%02d.log.gz" % i for i in range(2, 9)]
    out_logs = []
    for i, f in enumerate(logs):
        opener = gzip.open if f.endswith(".gz") else open
        with opener(os.path.join(a.src, f), "rb") as fh:
            text = re.sub(rb"127\.0\.0\.([0-9])\b", rb"127.0.160.1\1", fh.read())
        path = os.path.join(d, "%02d.log" % i)
        with open(path, "wb") as fh:
            fh.write(text)
        out_logs.append(path)
    rc, out, _ = run(a, out_logs, env={"COLUMNS": ""})
    wide = [ln for ln in out.splitlines() if len(ln) > 80]
    check(out and not wide and "127.0.160.17" in out,
          f"12-character addresses: the report still fits 80 columns ({len(wide)} lines wider)")


def dot_svg(a):
    # --dot through Graphviz: one valid SVG document, problems and rates in it.
    import xml.etree.ElementTree as ET
    logs = ["samples/lab7-kill/logs/B46000%02d.log.gz" % i for i in range(2, 9)]
    rc, out, _ = run(a, ["--dot"] + logs)
    p = subprocess.run(["dot", "-Tsvg"], input=out.encode(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, check=False, timeout=120)
    svg = p.stdout.decode()
    try:
        root = ET.fromstring(svg[svg.index("<svg"):])
        valid = root.tag.endswith("svg")
    except ValueError:
        valid = False
    check(p.returncode == 0 and svg.count("<svg") == 1 and valid,
          "pfslog --dot | dot -Tsvg is one valid SVG document")
    check(svg.count("<g id=\"clust") == 6, "one cluster per hierarchy (6)")
    for what in ("STRANDED", "LOST ITS PARENT", "ONE OF SEVERAL ROOTS", "KB/s"):
        check(what in svg, f"the picture shows {what}")


def dates(a, tmp):
    # Header dates date the lines: RFC 5424 a full date, RFC 3164 month and day.
    path = os.path.join(tmp, "dated.log")
    with open(path, "w", encoding="utf-8") as f:
        f.write("<190>1 2026-12-01T23:59:59.900000Z relay phone7 - - - NOT 00:00:01.000000 DLoad: "
                "+++ XIDB4600009 m=CP-7961G IP=127.0.0.9 load=x.loads\n"
                "<190>1 2026-12-02T00:00:02Z relay phone7 - - - NOT 00:00:02.000000 DLoad: "
                "@@@HIER:XIDB4600009 H=12D64798 m=CP-7961G /dnld/jar.sbn\n"
                "<190>Dec  2 10:00:00 relay phone8: NOT 10:00:00.000000 DLoad: "
                "@@@HIER:XIDB460000A H=12D64798 m=CP-7961G /dnld/jar.sbn\n"
                "<190>Dec  3 10:00:00 relay phone8: NOT 10:00:00.000000 DLoad: "
                "XIDB460000A Leave H=12D64798: done\n")
    rc, out, _ = run(a, ["--timeline", path])
    ls = out.splitlines()
    check(len(ls) == 4 and ls[0].startswith("2026-12-02 00:00:01.000000 XIDB4600009") and
          "+1d" not in out, "a header's date dates the first line too: no +1d, the date itself")
    check(ls[2].startswith("2026-12-02 10:00:00") and ls[3].startswith("2026-12-03 10:00:00"),
          "RFC 3164 month and day, the year from the RFC 5424 lines")
    rc, out, _ = run(a, ["--timeline", "--json", path])
    objs = [json.loads(x) for x in out.splitlines()]
    check(objs and objs[0]["at"] == "2026-12-02T00:00:01.000000", "JSON: absolute times (at)")
    rc, out, _ = run(a, ["--timeline", "--since", "2026-12-02 00:00:02", "--until", "2026-12-03", path])
    check(len(out.splitlines()) == 2, "--since and --until keep the window")
    rc, out, _ = run(a, ["--since", "2026-12-04", path])
    check(out.startswith("no hierarchy in the window (--since, --until)"),
          "a window with nothing in it says so, not 'no PFS hierarchy found'")
    rc, out, err = run(a, ["--timeline", "--since", "2026-12-04", path])
    check(rc == 0 and not out and "no line matches the filter" in err,
          "a --timeline window with nothing in it says so on stderr")
    rc, out, err = run(a, ["--since", "yesterday", path])
    check(rc == 2 and err.startswith("pfslog: --since yesterday: "), "a bad --since: exit 2")
    rc, out, _ = run(a, ["--timeline", "--since", "02:19:23", "samples/seed-root.log"])
    check(out and all(ln >= "02:19:23" for ln in out.splitlines()),
          "--since HH:MM:SS on a console log without dates: its first day's clock")


def xid_story(a):
    logs = ["samples/lab7-kill/logs/B46000%02d.log.gz" % i for i in range(2, 9)]
    rc, out, _ = run(a, ["--xid", "B4600003"] + logs)
    check("NODE " not in out and out.count("path to the root: XIDB4600003") == 6,
          "--xid tells the phone's story per file, not every full tree")
    check("XIDB4600003 <- XIDB4600004 <- XIDB4600008 <- XIDB4600005 (root)" in " ".join(out.split()),
          "its path to the root")
    check("parents: XIDB4600007 lost XIDB4600007 XIDB4600004" in out, "its parent history")
    check("refused XIDB4600005: FULL (B4600003.log.gz:73)" in out,
          "each refusal with the reason and the log line")
    check(all(len(ln) <= 80 for ln in out.splitlines()), "the story fits 80 columns")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pfslog", required=True)
    ap.add_argument("--src", required=True)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="pfslog-cli-")
    try:
        exit_codes(a, tmp)
        doc_codes(a)
        filters(a)
        width(a)
        width_long_addresses(a, tmp)
        dot_svg(a)
        dates(a, tmp)
        xid_story(a)
        verbose(a)
        stdin(a, tmp)
        colour(a)
        json_doc(a)
        timeline(a)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"cli_test: {len(FAILED)} failure(s)" if FAILED else "cli_test: OK")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
