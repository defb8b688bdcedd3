#!/usr/bin/env python3
# phone_test.py - pfslog puts each line on the right phone: one phone's
# log names the roots it heard; the syslog tag (RFC 3164) or app-name and
# procid (RFC 5424) tell phones behind one relay apart; rsyslog's rendering
# of header-less datagrams is read as such and its lines that name no phone
# are not guessed; one source with several XIDs is warned about; forged
# traffic makes a rogue-sender warning, not phones; a cut gzip file is
# reported and its cut last line is not read.
#
#   phone_test.py --pfslog BIN --src SRCDIR
#
# SPDX-License-Identifier: GPL-2.0-or-later

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile

FAILED = []


def check(cond, msg):
    print(("ok: " if cond else "FAIL: ") + msg)
    if not cond:
        FAILED.append(msg)


def run(a, args, stdin=None):
    e = dict(os.environ, LC_ALL="C.UTF-8")
    p = subprocess.run([a.pfslog] + args, cwd=a.src, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=e, timeout=120, check=False)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def jdoc(a, args, stdin=None):
    rc, out, err = run(a, ["--json"] + args, stdin)
    try:
        return rc, json.loads(out), err
    except ValueError:
        return rc, None, err


def codes(doc):
    return [d["code"] for d in doc["diagnostics"]] if doc else []


def lone_phone_roots(a):
    rc, doc, _ = jdoc(a, ["samples/lab7/logs/B4600005.log"])
    hs = doc["hierarchies"] if doc else []
    check(len(hs) == 6 and all(h["root"] for h in hs),
          "one phone's log: every hierarchy has a root (its own, or the one it heard)")
    heard = [n for h in hs for n in h["nodes"] if n["root_heard"]]
    check(len(heard) == 4 and all(n["role"] == "root" and not n["has_log"] for n in heard),
          "the 4 roots it heard (RxBdcst ClaimRoot(conf)) are marked root_heard")
    rc, doc, _ = jdoc(a, ["samples/lab7/logs/" + f for f in sorted(os.listdir(
        os.path.join(a.src, "samples/lab7/logs")))])
    check(doc and not any(n["root_heard"] for h in doc["hierarchies"] for n in h["nodes"]),
          "with every phone's log no root is taken from what was heard")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pfslog", required=True)
    ap.add_argument("--src", required=True)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        a.tmp = tmp
        lone_phone_roots(a)
    if FAILED:
        print(f"{len(FAILED)} check(s) failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
