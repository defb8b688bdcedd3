#!/usr/bin/env python3
"""pfsdump against the generator's captures (gen_captures.c, written from
docs/protocol.md): every message each capture holds, with the frames that
carried it, and every gap and mid-stream start, on every link type, in
pcap and in pcapng."""
import json
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True   # the source tree stays as it is
from testlib import generated, run_test

PFSDUMP = os.environ["PFSDUMP"]


def run(args):
    r = subprocess.run([PFSDUMP] + args, capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr


def key(o, with_type):
    return (o["src"], o["dst"], o["type"] if with_type else "", o.get("xid") or "",
            o.get("error") or "", tuple(o["frames"]))


def check(path, expect_path):
    want = [json.loads(line) for line in open(expect_path)]
    msgs = [w for w in want if "note" not in w and "problem" not in w]
    notes = [w for w in want if "note" in w]
    problems = sorted(w["problem"] for w in want if "problem" in w)
    rc, out, err = run(["-r", path, "--json"])
    assert rc == 0, f"{path}: exit {rc}: {err}"
    got = [json.loads(line) for line in out.splitlines()]
    # Keys of a malformed message: its type byte may be anything.
    g = sorted(key({**o, "xid": o.get("xid") if "error" not in o else None}, "error" not in o)
               for o in got)
    w = sorted(key(o, "error" not in o) for o in msgs)
    if g != w:
        missing = [x for x in w if x not in g]
        extra = [x for x in g if x not in w]
        raise AssertionError(f"{path}: messages differ\n missing: {missing[:5]}\n extra: {extra[:5]}")
    # Each message's completing frame is the last frame that carried it.
    for o in got:
        assert o["frame"] == o["frames"][-1], f"{path}: frame {o['frame']} vs {o['frames']}"
    rc, out, err = run(["-r", path, "-t"])
    assert rc == 0, f"{path}: plain exit {rc}: {err}"
    for n in notes:
        if n["note"] == "gap":
            pat = rf"^TCP {re.escape(n['src'])} > \S+: \[{n['bytes']} bytes missing from the capture"
        else:
            pat = (rf"^TCP {re.escape(n['src'])} > \S+: \[capture starts mid-stream: "
                   rf"framed again at stream offset \d+ after {n['bytes']} bytes\]")
        assert re.search(pat, out, re.M), f"{path}: no line for {n}:\n{out}"
    rc, out, err = run(["-r", path, "--summary", "--json"])
    assert rc == 0, f"{path}: --summary exit {rc}: {err}"
    found = sorted(p["what"] for p in json.loads(out)["problems"]
                   if p["what"] not in ("gap", "mid-stream", "malformed"))
    assert found == problems, f"{path}: --summary problems {found}, want {problems}"
    return len(got)


def main():
    with generated("pfsdump-captures-") as tmp:
        names = sorted(f[:-7] for f in os.listdir(tmp)
                       if f.endswith(".expect") and not f.startswith("bad-"))
        assert len(names) >= 12, names
        total = 0
        for name in names:
            pcap = os.path.join(tmp, name + ".pcap")
            total += check(pcap, os.path.join(tmp, name + ".expect"))
            # The same capture as pcapng (Wireshark's editcap writes it).
            ng = os.path.join(tmp, name + ".pcapng")
            subprocess.run(["editcap", "-F", "pcapng", pcap, ng], check=True)
            check(ng, os.path.join(tmp, name + ".expect"))
            print(f"ok {name}")
        # Standard input, as tcpdump -r - reads it.
        with open(os.path.join(tmp, "reasm.pcap"), "rb") as f:
            r = subprocess.run([PFSDUMP, "-r", "-", "--json"], stdin=f, capture_output=True)
        assert r.returncode == 0 and r.stdout.count(b"\n") > 10, r.stderr
        print(f"{total} messages in {len(names)} captures agree with the generator")


if __name__ == "__main__":
    run_test(main)
