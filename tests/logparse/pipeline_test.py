#!/usr/bin/env python3
# pipeline_test.py - pfslog's two-thread reader gives what one thread gives.
#
# pfslog reads one to eight inputs through a reader thread (logparse/pipe.c)
# and more than eight on the main thread alone. Both paths must print the
# same report, byte for byte, so this test runs each big input twice: alone
# (the pipeline) and followed by eight empty files (one thread), and compares
# text, --json (apart from the input count), --timeline and --verbose.
#
# The inputs are several 4 MiB blocks long, so lines cross block
# boundaries: logs made by pfslog_gen (console and syslog), the same with
# messy records mixed in (CRLF, glued and wrapped records, NUL bytes, junk,
# a 5 MiB line), and the messy one gzip-compressed. (pfslog starts no
# thread for a file that one read takes whole.)
#
# SPDX-License-Identifier: GPL-2.0-or-later

import argparse
import gzip
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

FAILED = []


def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what, flush=True)
    if not ok:
        FAILED.append(what)


def generate(gen, fmt, size, logs, path):
    with open(path, "wb") as out:
        subprocess.run([gen, fmt, str(size)] + logs, stdout=out, check=True)


def messy(src, path, seed):
    """src with damage every few hundred lines, as real Log Server files have."""
    rnd = random.Random(seed)
    with open(src, "rb") as f:
        lines = f.read().split(b"\n")
    out = []
    for i, ln in enumerate(lines):
        r = rnd.random()
        if r < 0.004 and out:
            out[-1] += ln                      # two records glued on one line
            continue
        if r < 0.008:
            ln += b"\r"                        # CRLF
        elif r < 0.010 and len(ln) > 20:
            out.append(ln[:-2])                # a record wrapped onto the next line
            ln = ln[-2:]
        elif r < 0.011:
            ln = ln[:10] + b"\0\0" + ln[10:]   # NUL bytes
        elif r < 0.012:
            out.append(b"JVM: " + bytes(rnd.randrange(256) for _ in range(40)))
        if i == len(lines) // 2:
            out.append(b"x" * (5 << 20))       # a 5 MiB line across blocks
        out.append(ln)
    with open(path, "wb") as f:
        f.write(b"\n".join(out))


def run(pfslog, args):
    p = subprocess.run([pfslog] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       # wide: "1 input" and "9 inputs" must not wrap the last line apart
                       env=dict(os.environ, NO_COLOR="1", COLUMNS="1000"), timeout=600, check=False)
    return p.returncode, p.stdout, p.stderr


def compare(pfslog, path, empties):
    name = os.path.basename(path)
    for mode in ([], ["--json"], ["--timeline"], ["-v"]):
        a = run(pfslog, mode + [path])
        b = run(pfslog, mode + [path] + empties)
        sa, sb = a[1], b[1]
        if mode == ["--json"]:
            sb = re.sub(rb'"files": ?9', b'"files":1', sb)
            sa = re.sub(rb'"files": ?1\b', b'"files":1', sa)
        else:
            sa = re.sub(rb"; 1 input\b", b"", sa)
            sb = re.sub(rb"; 9 inputs\b", b"", sb)
        same = a[0] == b[0] and sa == sb and a[2] == b[2]
        check(same and len(sa) > 0,
              f"{name} {' '.join(mode) or 'text'}: pipeline = one thread "
              f"(exit {a[0]}/{b[0]}, {len(sa)} bytes)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pfslog", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--src", required=True)
    a = ap.parse_args()
    logs = sorted(os.path.join(a.src, "samples", "lab7", "logs", f)
                  for f in os.listdir(os.path.join(a.src, "samples", "lab7", "logs")))
    tmp = tempfile.mkdtemp(prefix="pfslog-pipe-")
    try:
        empties = []
        for i in range(8):
            e = os.path.join(tmp, f"empty{i}.log")
            open(e, "wb").close()
            empties.append(e)
        console = os.path.join(tmp, "console.log")
        syslog = os.path.join(tmp, "syslog.log")
        generate(a.gen, "console", 10 << 20, logs, console)
        generate(a.gen, "syslog", 10 << 20, logs, syslog)
        mess = os.path.join(tmp, "messy.log")
        messy(syslog, mess, 7)
        gz = mess + ".gz"
        # Stored, not deflated: still gzip, but several blocks big, so that
        # pfslog reads it on a thread of its own.
        with open(mess, "rb") as f, gzip.open(gz, "wb", compresslevel=0) as g:
            shutil.copyfileobj(f, g)
        for path in (console, syslog, mess, gz):
            compare(a.pfslog, path, empties)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILED:
        print(f"pipeline_test: {len(FAILED)} check(s) failed")
        return 1
    print("pipeline_test: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
