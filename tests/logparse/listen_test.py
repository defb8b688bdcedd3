#!/usr/bin/env python3
# listen_test.py - pfslog as the phones' Log Server: real UDP syslog
# datagrams in (RFC 3164 and RFC 5424 headers naming the phones, and
# headerless ones named by their sender), the events printed live as they
# arrive, then SIGINT and the final report. The trees it rebuilds from the
# datagrams must be the ones it rebuilds from the same logs as files.
#
#   listen_test.py --pfslog BIN --src SRCDIR
#
# SPDX-License-Identifier: GPL-2.0-or-later

import argparse
import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

SAFETY = 120  # seconds: only ever hit when something hangs
FAILED = []


def check(cond, msg):
    print(("ok: " if cond else "FAIL: ") + msg)
    if not cond:
        FAILED.append(msg)


class Listener:
    """pfslog --listen on a free port; stdout collected by a thread."""

    def __init__(self, pfslog, extra):
        self.p = subprocess.Popen([pfslog, "--listen", "udp:127.0.0.1:0"] + extra,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=dict(os.environ, LC_ALL="C.UTF-8"))
        line = self.p.stderr.readline().decode()
        m = re.search(r"listening on udp:127\.0\.0\.1:(\d+)", line)
        if not m:
            self.p.kill()
            raise SystemExit(f"listen_test: no listening line: {line!r}")
        self.port = int(m.group(1))
        self.out = b""
        self.lock = threading.Lock()
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for chunk in iter(lambda: self.p.stdout.read1(65536), b""):
            with self.lock:
                self.out += chunk

    def text(self):
        with self.lock:
            return self.out.decode("utf-8", "replace")

    def wait_for(self, what):
        deadline = time.monotonic() + SAFETY
        while time.monotonic() < deadline:
            if what in self.text():
                return True
            if self.p.poll() is not None:
                return False
            time.sleep(0.02)
        return False

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        try:
            rc = self.p.wait(timeout=SAFETY)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            return None, self.text()
        self.t.join(timeout=10)
        self.p.stderr.close()
        return rc, self.text()


def lab_lines(src):
    """(time, ip, line) of every lab7 log line, in time order, as a Log Server gets them."""
    out = []
    for path in sorted(glob.glob(os.path.join(src, "samples/lab7/logs/*.log"))):
        ip = "127.0.0.%d" % int(os.path.basename(path)[6:8], 16)
        with open(path, encoding="utf-8") as f:
            for ln in f:
                ln = ln.rstrip("\n")
                out.append((ln.split()[1], ip, ln))
    out.sort(key=lambda x: x[0])
    return out


def send_all(port, datagrams):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i, d in enumerate(datagrams):
        s.sendto(d, ("127.0.0.1", port))
        if i % 50 == 49:
            time.sleep(0.005)  # a burst of phones, not a flood of one socket
    s.close()


def datagrams(src):
    d = []
    for i, (t, ip, ln) in enumerate(lab_lines(src)):
        if i % 2:
            d.append(f"<190>Nov 27 {t[:8]} {ip} pfsd[{i}]: {ln}".encode())
        else:
            d.append(f"<190>1 2024-11-27T{t}Z {ip} pfsd {i} - - {ln}".encode())
    # the seed phone, headerless: its datagrams are named by the sender
    with open(os.path.join(src, "samples/seed-root.log"), "rb") as f:
        d += [ln.rstrip(b"\n") for ln in f]
    return d


def trees(doc):
    return {(h["file"], h["h"]): {n["xid"]: n["parent"] for n in h["nodes"]}
            for h in doc["hierarchies"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pfslog", required=True)
    ap.add_argument("--src", required=True)
    a = ap.parse_args()
    logs = sorted(glob.glob(os.path.join(a.src, "samples/lab7/logs/*.log")))
    ref = json.loads(subprocess.run([a.pfslog, "--json"] + logs + [os.path.join(a.src, "samples/seed-root.log")],
                                    stdout=subprocess.PIPE, check=False, timeout=SAFETY).stdout)

    # text: live lines, then the report on SIGINT
    ls = Listener(a.pfslog, [])
    send_all(ls.port, datagrams(a.src))
    check(ls.wait_for("@@@HROOT:XID080027F8"), "events are printed live as datagrams arrive")
    live = ls.text()
    check("@@@HCHILD:XIDB4600002" in live and "Ad 1" not in live,
          "live lines show the tree forming (joins), not the repetitive Ads")
    rc, out = ls.stop()
    check(rc == 0, f"SIGINT: pfslog prints the final report and exits 0 (got {rc})")
    report = out[len(live):]
    check(report.lstrip().startswith("PFS "), "the final report starts with the verdict")
    check(re.search(r"\(udp:127\.0\.0\.1:\d+:\d+\)", report) is not None,
          "evidence is cited as udp:ADDR:PORT:LINE")
    check("CP-7961G jar41.9-4-2SR2-2S.sbn" in report and "\u251c\u2500XID" in report,
          "the final report draws the trees")

    # JSON: live JSON lines, then the document
    ls = Listener(a.pfslog, ["--json"])
    send_all(ls.port, datagrams(a.src))
    check(ls.wait_for("\"hroot\""), "--json prints live events as JSON lines")
    time.sleep(0.5)
    rc, out = ls.stop()
    objs = []
    for ln in out.splitlines():
        try:
            objs.append(json.loads(ln))
        except ValueError:
            objs.append(None)
    check(rc == 0 and objs and None not in objs,
          "--listen --json is pure JSON Lines: every line of its output is one JSON value")
    doc = objs[-1] if objs and objs[-1] else {"hierarchies": [], "phones": [], "stats": {}}
    check(doc.get("tool") == "pfslog" and all("kind" in o for o in objs[:-1]),
          "--json: live events, then the document on one line, last")
    check(trees(doc) == trees(ref),
          "the trees rebuilt from datagrams are the trees rebuilt from the files")
    phones = {p["xid"]: p for p in doc["phones"]}
    check(phones.get("B4600003", {}).get("host") == "127.0.0.3",
          "the syslog header's host names the phone")
    check(phones.get("080027F8", {}).get("host") == "127.0.0.1",
          "a headerless datagram is named by its sender")
    check(doc["stats"].get("unparsed_lines") == 0 and doc["stats"].get("syslog_lines", 0) > 1000,
          "every datagram placed")
    check(doc["stats"].get("datagrams", 0) > 1000 and doc["stats"].get("datagrams_lost_kernel") == 0
          and doc["stats"].get("datagrams_lost_queue") == 0,
          "the document counts the datagrams received and lost (none)")
    print(f"listen_test: {len(FAILED)} failure(s)" if FAILED else "listen_test: OK")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
