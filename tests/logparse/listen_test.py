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
import tempfile
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

    def __init__(self, pfslog, extra, spec="udp:127.0.0.1:0", addr=r"127\.0\.0\.1"):
        self.p = subprocess.Popen([pfslog, "--listen", spec] + extra,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=dict(os.environ, LC_ALL="C.UTF-8"))
        line = self.p.stderr.readline().decode()
        self.banner = line
        m = re.search(r"listening on udp:" + addr + r":(\d+)", line)
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


def send_from(port, senders, lines, host="127.0.0.1", family=socket.AF_INET, pace=0):
    """lines sent round-robin from `senders` sockets of their own (phones)."""
    socks = [socket.socket(family, socket.SOCK_DGRAM) for _ in range(senders)]
    for i, ln in enumerate(lines):
        socks[i % senders].sendto(ln, (host, port))
        if pace and i % pace == pace - 1:
            time.sleep(0.001)
    for sk in socks:
        sk.close()


def second_listener(a):
    # A second pfslog on a port in use fails with one line, not bind beside the first.
    first = Listener(a.pfslog, [], "udp:127.0.0.1:5610", r"127\.0\.0\.1")
    p = subprocess.run([a.pfslog, "--listen", "udp:127.0.0.1:5610"], capture_output=True,
                       timeout=SAFETY, check=False)
    err = p.stderr.decode()
    check(p.returncode == 2 and err.count("\n") == 1 and "udp:127.0.0.1:5610" in err and
          "Address already in use" in err,
          f"a second pfslog on the same port exits 2 with one line naming it: {err.strip()!r}")
    send_from(5610, 1, [b"NOT 20:29:08.053325 DLoad: @@@HIER:XIDB4600002 H=12D64798 m=CP-7961G /dnld/jar.sbn"])
    check(first.wait_for("@@@HIER:XIDB4600002"), "the first one still receives")
    first.stop()


def spec_forms(a):
    for spec, addr, family, host in (("5611", r"0\.0\.0\.0", socket.AF_INET, "127.0.0.1"),
                                     ("udp:localhost:5612", r"127\.0\.0\.1", socket.AF_INET,
                                      "127.0.0.1"),
                                     ("udp:[::1]:5613", r"\[::1\]", socket.AF_INET6, "::1")):
        try:
            ls = Listener(a.pfslog, ["--json"], spec, addr)
        except SystemExit as e:
            check(False, f"--listen {spec}: {e}")
            continue
        port = int(spec.rsplit(":", 1)[-1])
        send_from(port, 1, [b"NOT 20:29:08.053325 DLoad: +++ XIDB4600009 m=CP-7961G IP=127.0.0.9 load=x.loads"],
                  host, family)
        ok = ls.wait_for("B4600009")
        rc, out = ls.stop()
        doc = json.loads(out.splitlines()[-1]) if out.strip() else {}
        hosts = [p.get("host") for p in doc.get("phones", [])]
        check(ok and rc == 0 and hosts == [host], f"--listen {spec}: received, sender {host}")


def real_logger(a):
    # util-linux logger as the sender: RFC 5424 with APP-NAME and PROCID, and RFC 3164.
    ls = Listener(a.pfslog, ["--json"], "udp:127.0.0.1:5614")
    names = ["B4600002", "B4600003", "B4600005"]
    procs = []
    for i, n in enumerate(names):
        mode = ["--rfc3164"] if i % 2 else ["--rfc5424", "-i"]
        with open(os.path.join(a.src, f"samples/lab7/logs/{n}.log"), "rb") as f:
            data = f.read()
        p = subprocess.Popen(["logger", "--udp", "--server", "127.0.0.1", "--port", "5614",
                              "-t", f"phone{n[-1]}"] + mode, stdin=subprocess.PIPE)
        procs.append((p, data))
    for p, data in procs:
        p.stdin.write(data)
        p.stdin.close()
    for p, _ in procs:
        p.wait()
    time.sleep(0.5)
    rc, out = ls.stop()
    doc = json.loads(out.splitlines()[-1])
    own = json.loads(subprocess.run([a.pfslog, "--json"] + [os.path.join(a.src, f"samples/lab7/logs/{n}.log")
                                                            for n in names],
                                    capture_output=True, check=False, timeout=SAFETY).stdout)
    check(rc == 0 and trees(doc) == trees(own),
          "three phones logging through util-linux logger from one host: their trees, told apart by tag")
    check(not [d for d in doc["diagnostics"] if d["code"] in ("several-xids", "datagrams-lost")],
          "no several-xids, nothing lost")


def sequence_gaps(a):
    # Senders that number their datagrams (RFC 5424 [meta sequenceId]): the
    # numbers one skipped are its losses, attributed to it, in the JSON, the
    # verdict and the stream of lines; a relay's two originators (phone7,
    # phone8 behind one address) each keep their own count.
    ls = Listener(a.pfslog, ["--json"], "udp:127.0.0.1:5618")
    def dg(tag, n):
        return (f"<190>1 2026-12-02T10:00:00.{n:06d}Z relay {tag} - - "
                f"[meta sequenceId=\"{n}\"] DBG 10:00:00.{n:06d} DLoad: "
                f"^.idl_child.c-openUDPPort").encode()
    lines = [dg("phone7", n) for n in (1, 2, 3, 5, 6, 9, 10)]
    lines += [dg("phone8", n) for n in (1, 2, 3, 4)]
    send_from(ls.port, 1, lines)
    time.sleep(0.5)
    rc, out = ls.stop()
    doc = json.loads(out.splitlines()[-1])
    st = doc["stats"]
    snd = st.get("senders", [])
    check(st.get("datagrams_missing") == 3 and len(snd) == 1 and snd[0]["missing"] == 3 and
          snd[0]["sequenced"] == 11, f"3 numbers skipped by one sender's phone7, none by phone8 ({snd})")
    check(doc["verdict"].startswith("INCOMPLETE, 3 datagrams lost") and rc == 1 and
          any(d["code"] == "datagrams-missing" and "127.0.0.1 3" in d["message"]
              for d in doc["diagnostics"]), "the verdict says INCOMPLETE, a datagrams-missing error names the sender")
    check(any(o.get("kind") == "datagrams_lost" and o.get("missing") == 3
              for o in map(json.loads, out.splitlines()[:-1])), "the live JSON Lines say so")


def counts_losses(a):
    # A pfslog that cannot read (stopped) while a flood comes in: the kernel
    # drops, and the report, the JSON and the verdict say how many.
    ls = Listener(a.pfslog, ["--json"], "udp:127.0.0.1:5615")
    ls.p.send_signal(signal.SIGSTOP)
    # large datagrams: the socket's buffer (32 MiB as root) holds a few thousand
    lines = [b"DBG 20:29:08.%06d DLoad: ^.%s" % (i, b"x" * 4000) for i in range(20000)]
    send_from(5615, 7, lines)
    ls.p.send_signal(signal.SIGCONT)
    time.sleep(0.5)
    rc, out = ls.stop()
    doc = json.loads(out.splitlines()[-1])
    st = doc["stats"]
    lost = st["datagrams_lost_kernel"] + st["datagrams_lost_queue"]
    check(lost > 0 and st["datagrams"] + lost == len(lines),
          f"every datagram is received or counted lost ({st['datagrams']} + {lost} = {len(lines)})")
    check(doc["verdict"].startswith("INCOMPLETE, %d datagrams lost" % lost) and rc == 1 and
          any(d["code"] == "datagrams-lost" for d in doc["diagnostics"]),
          "the verdict says INCOMPLETE, a datagrams-lost error, exit 1")
    check(any(o.get("kind") == "datagrams_lost" for o in map(json.loads, out.splitlines()[:-1])),
          "the live JSON Lines say datagrams were lost")


def tmux(*args):
    return subprocess.run(["tmux", "-L", "pfslog-test"] + list(args), capture_output=True,
                          check=False, timeout=SAFETY)


def terminal_view(a):
    # On an 80x40 terminal (tmux): the screen redrawn in place, trees as they
    # form, senders and losses; a flood of 50,000 datagrams from 7 senders loses none.
    tmux("kill-server")
    out = os.path.join(a.tmp, "final.txt")
    # the shell traps SIGINT (a handler, which pfslog does not inherit) to outlive Ctrl-C
    cmd = (f"trap true INT; LC_ALL=C.UTF-8 {a.pfslog} --listen udp:127.0.0.1:5616; "
           f"echo rc=$? > {out}; sleep 30")
    tmux("new-session", "-d", "-x", "80", "-y", "40", "sh", "-c", cmd)
    deadline = time.monotonic() + SAFETY
    screen = ""
    while time.monotonic() < deadline and "pfslog udp:" not in screen:
        time.sleep(0.1)
        screen = tmux("capture-pane", "-p").stdout.decode("utf-8", "replace")
    send_all(5616, datagrams(a.src))
    flood = [b"DBG 20:29:%02d.%06d DLoad: ^.idl_child.c-openUDPPort" % (i // 1000000 % 60, i % 1000000)
             for i in range(50000)]
    send_from(5616, 7, flood)
    want = len(datagrams(a.src)) + len(flood)
    while time.monotonic() < deadline:
        time.sleep(0.3)
        screen = tmux("capture-pane", "-p").stdout.decode("utf-8", "replace")
        if f"{want} datagrams" in screen:
            break
    rows = screen.rstrip("\n").split("\n")
    check(f"{want} datagrams, 1 sender, 0 lost" in screen,
          f"the screen counts all {want} datagrams of the flood, 0 lost")
    check("root XID" in screen and "\u2514\u2500XID" in screen and "lines by sender:" in screen,
          "the screen shows each hierarchy's root and tree, and the senders")
    check(len(rows) <= 40 and all(len(r) <= 80 for r in rows), "the screen fits 80x40")
    check(len(rows) > 2 and rows[2].startswith("warn root-alone:"),
          "the newest problem under the header (the seed phone's root-alone)")
    check(screen.count("pfslog udp:") == 1 and rows[0].startswith("pfslog udp:"),
          "redrawn in place, not scrolled")
    with open(os.path.join(a.keep or a.tmp, "screen.txt"), "w", encoding="utf-8") as f:
        f.write(screen)
    tmux("send-keys", "C-c")
    while time.monotonic() < deadline and not os.path.exists(out):
        time.sleep(0.1)
    final = tmux("capture-pane", "-p", "-S", "-200").stdout.decode("utf-8", "replace")
    rc = ""
    if os.path.exists(out):
        with open(out, encoding="utf-8") as f:
            rc = f.read().strip()
    check(rc == "rc=0" and "PFS worked" in final and f"{want} datagrams received, 0 lost" in final,
          "Ctrl-C: the final report, nothing lost")
    tmux("kill-server")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pfslog", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--keep", help="folder for the terminal's screen (screen.txt)")
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
    with tempfile.TemporaryDirectory() as tmp:
        a.tmp = tmp
        second_listener(a)
        spec_forms(a)
        real_logger(a)
        counts_losses(a)
        sequence_gaps(a)
        terminal_view(a)
    print(f"listen_test: {len(FAILED)} failure(s)" if FAILED else "listen_test: OK")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
