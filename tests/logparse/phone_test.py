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
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zlib

from checks import check, finish


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


def read(a, rel):
    with open(os.path.join(a.src, rel), encoding="utf-8") as f:
        return f.read()


def write(a, name, text):
    path = os.path.join(a.tmp, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def rogue(a):
    # What pfsd logs for a hostile neighbour: datagrams dropped as malformed
    # and a TCP connection refused before it said who it is (no XID, no H).
    lines = read(a, "samples/lab7/logs/B4600005.log")
    hostile = ("WRN 20:29:09.100000 DLoad: XIDB4600005 Dropped 40 malformed datagrams, "
               "last from 127.0.0.66: bad-magic\n"
               "WRN 20:29:09.200000 DLoad: XIDB4600005 Refuse XID00000000 127.0.0.66 "
               "H=00000000: bad-magic\n"
               "WRN 20:29:09.300000 DLoad: XIDB4600005 Refuse XID00000000 127.0.0.66 "
               "H=00000000: bad-magic\n")
    path = write(a, "hostile.log", lines + hostile)
    _, clean, _ = jdoc(a, ["samples/lab7/logs/B4600005.log"])
    rc, doc, _ = jdoc(a, [path])
    check(doc and len(doc["hierarchies"]) == len(clean["hierarchies"]) and
          all(h["h"] != "00000000" for h in doc["hierarchies"]),
          "forged traffic makes no hierarchy (no H=00000000)")
    check(doc and not any(p["xid"] == "00000000" for p in doc["phones"]),
          "forged traffic makes no phone XID00000000")
    rg = [d for d in doc["diagnostics"] if d["code"] == "rogue-sender"] if doc else []
    check(len(rg) == 1 and "127.0.0.66" in rg[0]["message"] and "42 messages" in rg[0]["message"]
          and "bad-magic" in rg[0]["message"] and rg[0]["severity"] == "warning",
          "one rogue-sender warning names the sender, the count (40 + 2) and the reason")
    check(doc and doc["verdict"] == clean["verdict"].replace("0 warnings", "1 warning"),
          "the verdict counts the same phones as without the forged traffic")


def several_xids(a):
    # Two phones' console logs glued into one file: one source, two XIDs.
    text = read(a, "samples/lab7/logs/B4600002.log") + read(a, "samples/lab7/logs/B4600003.log")
    path = write(a, "two-phones.log", text)
    rc, doc, _ = jdoc(a, [path])
    sx = [d for d in doc["diagnostics"] if d["code"] == "several-xids"] if doc else []
    check(len(sx) == 1 and "2 phones" in sx[0]["message"] and "XIDB4600002" in sx[0]["message"]
          and "XIDB4600003" in sx[0]["message"] and sx[0]["line"] > 1,
          "one source with two XIDs: a several-xids warning naming both, at the second's first line")
    rc, doc, _ = jdoc(a, ["samples/lab7/logs/B4600002.log"])
    check(doc and "several-xids" not in codes(doc), "one phone's log: no several-xids warning")


def cut_gzip(a):
    text = read(a, "samples/lab7/logs/B4600005.log").encode()
    z = gzip.compress(text)
    cut = z[:len(z) * 6 // 10]
    got = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(cut)
    whole = got.count(b"\n")
    check(got and not got.endswith(b"\n"), "the cut gzip data ends inside a line")
    path = os.path.join(a.tmp, "cut.log.gz")
    with open(path, "wb") as f:
        f.write(cut)
    check(subprocess.run(["gzip", "-t", path], capture_output=True).returncode != 0,
          "gzip -t says the file is cut")
    for args, stdin, how in (([path], None, "a file"), (["-"], cut, "stdin")):
        rc, doc, err = jdoc(a, args, stdin)
        tr = [d for d in doc["diagnostics"] if d["code"] == "input-truncated"] if doc else []
        check(rc == 0 and len(tr) == 1 and tr[0]["line"] == whole and err == "",
              f"{how}: a cut gzip input is reported (input-truncated at its last whole line)")
        check(doc and doc["stats"]["lines"] == whole,
              f"{how}: its cut last line is not read as a line ({whole} whole lines)")
    rc, doc, _ = jdoc(a, ["samples/lab7-kill/logs/B4600005.log.gz"])
    check(doc and "input-truncated" not in codes(doc), "a whole gzip file: no input-truncated")


def tree(doc):
    """Each node as (file, xid) -> (parent, source): the shape of every tree."""
    return {(h["file"], n["xid"]): (n["parent"], n["source"], n["role"])
            for h in doc["hierarchies"] for n in h["nodes"]}


def logger_capture(a, port, files, extra):
    """Each file sent line by line by util-linux logger (one per file, all at
    once, as phones behind one relay), the datagrams as a Log Server's file."""
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    rx.bind(("127.0.0.1", port))
    rx.settimeout(3)
    want, procs = 0, []
    for tag, rel in files:
        with open(os.path.join(a.src, rel), "rb") as f:
            data = f.read()
        want += data.count(b"\n")
        p = subprocess.Popen(["logger", "--udp", "--server", "127.0.0.1", "--port", str(port),
                              "-t", tag] + extra, stdin=subprocess.PIPE)
        procs.append((p, data))
    for p, data in procs:
        p.stdin.write(data)
        p.stdin.close()
    got = []
    try:
        while len(got) < want:
            got.append(rx.recv(65536))
    except socket.timeout:
        pass
    for p, _ in procs:
        p.wait()
    rx.close()
    return got, want


def relay_tags(a):
    names = ["B4600002", "B4600003", "B4600005"]
    files = [(f"phone{n[-1]}", f"samples/lab7/logs/{n}.log") for n in names]
    _, own, _ = jdoc(a, [rel for _, rel in files])
    for port, extra, how in ((5602, ["--rfc3164"], "RFC 3164 tag"),
                             (5603, ["--rfc5424"], "RFC 5424 APP-NAME"),
                             (5604, ["--rfc5424", "-i"], "RFC 5424 APP-NAME and PROCID")):
        got, want = logger_capture(a, port, files, extra)
        check(len(got) == want, f"{how}: logger delivered every line ({len(got)}/{want})")
        path = write(a, f"relay-{port}.log", "\n".join(d.decode() for d in got) + "\n")
        rc, doc, _ = jdoc(a, [path])
        check(doc and tree(doc) == tree(own),
              f"{how}: three phones behind one host, told apart by their tags: "
              "the trees of their own logs")
        check(doc and "several-xids" not in codes(doc), f"{how}: no several-xids warning")
    # The same lines with the tag stripped: one host, one source, three XIDs.
    got, _ = logger_capture(a, 5605, files, ["--rfc3164"])
    untagged = [re.sub(r"^(<\d+>\w{3} [ \d]\d \S+ \S+) phone\d: ", r"\1 ", d.decode()) for d in got]
    path = write(a, "relay-untagged.log", "\n".join(untagged) + "\n")
    rc, doc, _ = jdoc(a, [path])
    check(doc and "several-xids" in codes(doc),
          "no tag: one host carrying three phones' lines is warned about (several-xids)")


def rsyslog_headless(a):
    # rsyslog's file of datagrams sent without a header: the level read as
    # the host, the hour as the tag ("Dec  1 20:29:08 NOT 20: 29:08.053325 DLoad:").
    names = ["B4600002", "B4600003"]
    per = [read(a, f"samples/lab7/logs/{n}.log").splitlines() for n in names]
    lines = []
    for pair in itertools.zip_longest(*per):
        lines.extend(ln for ln in pair if ln is not None)
    rendered, xidless = [], 0
    for ln in lines:
        m = re.match(r"^(\w{3}) (\d\d):(\d\d:\d\d)(\.\d{6}) (DLoad: .*)$", ln)
        if not m:
            continue
        lvl, hh, mmss, us, rest = m.groups()
        rendered.append(f"Dec  1 {hh}:{mmss} {lvl} {hh}: {mmss}{us} {rest}")
        # the kinds that do not name their own phone: listen, trace, state, confirmed
        xidless += bool(re.match(r"DLoad: (\+\+\+ fd=|\^\.|\|parent=|UT:Confirmed)", rest))
    path = write(a, "rsyslog-headless.log", "\n".join(rendered) + "\n")
    _, own, _ = jdoc(a, [f"samples/lab7/logs/{n}.log" for n in names])
    rc, doc, _ = jdoc(a, [path])
    check(doc and tree(doc) == tree(own),
          "rsyslog's rendering of header-less lines: the trees of the phones' own logs")
    check(doc and doc["stats"]["unparsed_lines"] == xidless,
          f"its lines that name no phone are not placed ({xidless}), not guessed")
    check(doc and all(p["host"] in (None, "") for p in doc["phones"]),
          "no console level is taken for a host")


def real_rsyslog(a):
    # The same through a real rsyslogd (unprivileged, its own port and
    # folder): datagrams with no header, as its default file format writes them.
    d = os.path.join(a.tmp, "rsyslog")
    os.mkdir(d)
    out = os.path.join(d, "out.log")
    conf = os.path.join(d, "rsyslog.conf")
    with open(conf, "w", encoding="utf-8") as f:
        f.write(f'global(workDirectory="{d}")\nmodule(load="imudp")\n'
                f'input(type="imudp" address="127.0.0.1" port="5607")\n'
                f'*.* action(type="omfile" file="{out}" template="RSYSLOG_TraditionalFileFormat")\n')
    rs = subprocess.Popen([shutil.which("rsyslogd") or "/usr/sbin/rsyslogd", "-n", "-f", conf,
                           "-i", os.path.join(d, "pid")],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        names = ["B4600002", "B4600003"]
        per = [read(a, f"samples/lab7/logs/{n}.log").splitlines() for n in names]
        socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in names]
        # rsyslogd is ready when a probe datagram reaches its file
        for _ in range(100):
            socks[0].sendto(b"probe", ("127.0.0.1", 5607))
            time.sleep(0.05)
            if os.path.exists(out) and os.path.getsize(out):
                break
        want = 0
        for pair in itertools.zip_longest(*per):
            for sk, ln in zip(socks, pair):
                if ln:
                    sk.sendto(ln.encode(), ("127.0.0.1", 5607))
                    want += 1
            time.sleep(0.0005)
        for _ in range(200):
            with open(out, "rb") as f:
                if f.read().count(b"DLoad:") >= want:
                    break
            time.sleep(0.05)
    finally:
        rs.terminate()
        rs.wait()
    with open(out, encoding="utf-8", errors="replace") as f:
        text = f.read()
    check(text.count("DLoad:") == want and re.search(r" [A-Z]{3} \d\d: \d\d:\d\d\.\d{6} DLoad: ", text),
          f"rsyslogd wrote every header-less line ({want}) as 'LVL HH: MM:SS.uuuuuu DLoad:'")
    _, own, _ = jdoc(a, [f"samples/lab7/logs/{n}.log" for n in names])
    rc, doc, _ = jdoc(a, [out])
    check(doc and tree(doc) == tree(own), "a real rsyslogd's file: the trees of the phones' own logs")
    check(doc and not any(p["host"] for p in doc["phones"]), "no level or hour taken for a host")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pfslog", required=True)
    ap.add_argument("--src", required=True)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        a.tmp = tmp
        lone_phone_roots(a)
        rogue(a)
        several_xids(a)
        cut_gzip(a)
        relay_tags(a)
        rsyslog_headless(a)
        real_rsyslog(a)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
