#!/usr/bin/env python3
# html_test.py - pfslog --html in a real browser: Debian's chromium,
# headless, loads the page with no console message and no network; the
# DOM has every hierarchy's picture (laid out by libgvc), the timeline with
# a row per phone and file, every diagnostic with its evidence line; a
# screenshot is written. A page that cannot be written leaves no file.
#
#   html_test.py --pfslog BIN --src SRCDIR --out DIR   (DIR keeps report.html, report.png)
#
# SPDX-License-Identifier: GPL-2.0-or-later

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from checks import check, finish


def chromium(profile, args):
    exe = shutil.which("chromium") or "chromium"
    base = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0"]
    return subprocess.run(base + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=180, check=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pfslog", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    page = os.path.join(a.out, "report.html")
    shot = os.path.join(a.out, "report.png")
    for f in (page, shot):
        if os.path.exists(f):
            os.remove(f)
    logs = [os.path.join(a.src, "samples/lab7-kill/logs/B46000%02d.log.gz" % i) for i in range(2, 9)]
    # under the sanitizers: what Graphviz and fontconfig keep is theirs (lsan-graphviz.supp)
    supp = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lsan-graphviz.supp")
    os.environ["LSAN_OPTIONS"] = ":".join(x for x in (os.environ.get("LSAN_OPTIONS"),
                                                      f"suppressions={supp}:print_suppressions=0") if x)
    # whole stacks, so that a leak inside libgvc is told by its function
    os.environ["ASAN_OPTIONS"] = ":".join(x for x in (os.environ.get("ASAN_OPTIONS"),
                                                      "fast_unwind_on_malloc=0") if x)
    p = subprocess.run([a.pfslog, "--html", page] + logs, capture_output=True, timeout=120, check=False)
    check(p.returncode == 0 and os.path.getsize(page) > 1000 and not p.stderr,
          f"pfslog --html writes the page ({p.stderr.decode()[-300:]!r})")
    doc = json.loads(subprocess.run([a.pfslog, "--json"] + logs, capture_output=True, timeout=120,
                                    check=False).stdout)
    with open(page, encoding="utf-8") as f:
        html = f.read()
    check(not re.search(r'(src|href)\s*=|url\(|<script|<link|@import', html),
          "self-contained: nothing to fetch, no script")

    with tempfile.TemporaryDirectory() as profile:
        r = chromium(profile, ["--dump-dom", "file://" + page])
        dom = r.stdout.decode("utf-8", "replace")
        log = r.stderr.decode("utf-8", "replace")
        check(r.returncode == 0 and "</html>" in dom, "chromium loads the page (DOM dump)")
        console = [ln for ln in log.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]
        check(not console, f"no console message ({console[:2]})")
        sections = re.findall(r'<section class="hier" id="h\d+">(.*?)</section>', dom, re.S)
        check(len(sections) == len(doc["hierarchies"]) and all("<svg" in s for s in sections),
              f"every hierarchy's picture ({len(sections)}/{len(doc['hierarchies'])} with an SVG)")
        check(all(s.count('class="node"') >= 2 for s in sections),
              "each picture holds its phones as graph nodes (libgvc's layout)")
        rows = len(re.findall(r'<g class="row">', dom))
        nodes = sum(len(h["nodes"]) for h in doc["hierarchies"])
        check('id="timeline"' in dom and rows == nodes,
              f"the timeline: one row per phone and file on one axis ({rows}/{nodes})")
        diags = dom.count('<tr class="diag">')
        evid = dom.count('<pre class="evidence">')
        check(diags == len(doc["diagnostics"]) and evid == diags and "DLoad:" in dom,
              f"every diagnostic with its evidence line ({diags}, {evid} lines)")
        r = chromium(profile, ["--window-size=1280,2400", f"--screenshot={shot}", "file://" + page])
        with open(shot, "rb") as f:
            png = f.read()
        check(r.returncode == 0 and png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20000,
              f"a screenshot is written ({shot})")

    bad = os.path.join(a.out, "no-such-dir", "report.html")
    p = subprocess.run([a.pfslog, "--html", bad] + logs, capture_output=True, timeout=120, check=False)
    err = p.stderr.decode()
    check(p.returncode == 2 and err.startswith(f"pfslog: {bad}: ") and err.count("\n") == 1 and
          not os.listdir(a.out).count("no-such-dir"), "an unwritable page: exit 2, one line, no file")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
