#!/usr/bin/env python3
"""pfsdump --summary (decoded messages) and pfsdump --infer (traffic
patterns alone) against the lab's own account (summary.json): the same
root for every file, the same parent for every endpoint.

  test_crosscheck.py                 the committed sample (samples/lab5-pcap)
  test_crosscheck.py --lab PORT ADDR a fresh pfslab run with a capture (root)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True   # the source tree stays as it is
from testlib import run_test

PFSDUMP = os.environ["PFSDUMP"]
SRC = os.environ["PFS_SRC"]


def pfsdump_json(capture, port, args):
    r = subprocess.run([PFSDUMP, "-r", capture, "-f", f"port {port} or port 69"] + args + ["--json"],
                       capture_output=True, text=True)
    assert r.returncode == 0, f"pfsdump {args}: exit {r.returncode}: {r.stderr}"
    return json.loads(r.stdout)


def check(capture, summary_path):
    lab = json.load(open(summary_path))
    port = lab["lab"]["port"]
    ip_of = {e["xid"]: e["ip"] for e in lab["endpoints"]}
    # The .loads comes from the trust anchor: no hierarchy, no root on the wire.
    want_root = {f["name"]: f["root"] for f in lab["files"] if not f.get("anchor_fetches")}
    anchored = {f["name"] for f in lab["files"] if f.get("anchor_fetches")}
    want_parent = {}       # (file, xid) -> parent xid or None
    for e in lab["endpoints"]:
        for f in e["summary"]["files"]:
            want_parent[(f["name"], e["xid"])] = f["parent"]
    assert all(want_root.values()), "the lab elected more or fewer than one root for a file"

    # Decoded: --summary --json
    s = pfsdump_json(capture, port, ["--summary"])
    by_name = {os.path.basename(h["file"]): h for h in s["hierarchies"]}
    for name in anchored:  # seen only as TFTP fetches: no root, nobody's parent
        assert not by_name.get(name, {}).get("roots"), f"{name}: a root for the anchor's file"
        by_name.pop(name, None)
    assert set(by_name) == set(want_root), (sorted(by_name), sorted(want_root))
    for name, root in want_root.items():
        h = by_name[name]
        assert h["roots"] == [root], f"{name}: roots {h['roots']}, lab says {root}"
        got = {m["xid"]: m["parent"] for m in h["members"]}
        for xid in ip_of:
            assert got.get(xid) == want_parent[(name, xid)], \
                f"{name}: XID{xid} parent {got.get(xid)}, lab says {want_parent[(name, xid)]}"
    errors = [p for p in s["problems"] if p["severity"] == "error"]
    assert not errors, errors

    # Inferred from the traffic alone: --infer --json
    inf = pfsdump_json(capture, port, ["--infer"])
    files = {f["file"]: f for sub in inf["subnets"] for f in sub["files"]
             if f["file"] not in anchored}
    assert set(files) == set(want_root), (sorted(files), sorted(want_root))
    for name, root in want_root.items():
        f = files[name]
        assert f["root"] == ip_of[root], f"{name}: inferred root {f['root']}, lab says {ip_of[root]}"
        edges = {e["child"]: e["parent"] for e in f["edges"]}
        want = {ip_of[x]: ip_of[p] for (n, x), p in want_parent.items() if n == name and p}
        assert edges == want, f"{name}: inferred edges {edges}, lab says {want}"
    print(f"ok {capture}: {len(want_root)} files, {len(ip_of)} endpoints agree (decoded and inferred)")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--lab":
        port, addr = sys.argv[2], sys.argv[3]
        tmp = tempfile.mkdtemp(prefix="pfsdump-lab-")
        keep = False
        try:
            out = os.path.join(tmp, "lab")
            pcap = os.path.join(tmp, "upgrade.pcap")
            subprocess.run([os.environ["PFSLAB"], "--phones", "5", "--size-mb", "0.5", "--port", port,
                            "--tftp-addr", addr, "--tftp-port", "69", "--out", out, "--pcap", pcap,
                            "--pcap-required", "-q"], check=True)
            try:
                check(pcap, os.path.join(out, "summary.json"))
            except AssertionError:
                keep = True   # the capture and the lab's account stay for whoever reads the failure
                print(f"kept for inspection: {tmp}")
                raise
        finally:
            if not keep:
                shutil.rmtree(tmp)
        return
    sample = os.path.join(SRC, "samples/lab5-pcap/upgrade.pcap")
    summary = os.path.join(SRC, "samples/lab5-pcap/summary.json")
    check(sample, summary)
    # A late ACK makes the TFTP server send a block again: the file's size
    # that --infer matches peer transfers against must count it once.
    with tempfile.TemporaryDirectory(prefix="pfsdump-again-") as tmp:
        again = os.path.join(tmp, "again.pcap")
        shutil.copy(sample, again)
        for frame in sorted(tftp_second_blocks(sample), reverse=True):  # later numbers first: earlier ones stay
            subprocess.run([os.environ["PCAPEDIT"], again, again + ".new", "again", str(frame)], check=True)
            os.replace(again + ".new", again)
        check(again, summary)
        # A TCP segment seen twice (a retransmission, as a loaded machine
        # makes): each peer transfer's bytes must count it once too.
        tcp_again = os.path.join(tmp, "tcp-again.pcap")
        shutil.copy(sample, tcp_again)
        for frame in sorted(first_data_segments(sample), reverse=True):
            subprocess.run([os.environ["PCAPEDIT"], tcp_again, tcp_again + ".new", "again", str(frame)],
                           check=True)
            os.replace(tcp_again + ".new", tcp_again)
        check(tcp_again, summary)


def first_data_segments(capture):
    """The first frame of every TCP connection that carries 1,000 bytes or more."""
    r = subprocess.run(["tshark", "-r", capture, "-Y", "tcp.len >= 1000", "-T", "fields",
                        "-e", "tcp.stream", "-e", "frame.number"], capture_output=True, text=True, check=True)
    first = {}
    for line in r.stdout.splitlines():
        stream, frame = line.split()
        first.setdefault(stream, int(frame))
    assert len(first) >= 5, f"{capture}: {len(first)} TCP connections carry data, want a transfer per file"
    return list(first.values())


def tftp_second_blocks(capture):
    """The frames carrying block 2 of a TFTP transfer: one per component file."""
    r = subprocess.run(["tshark", "-r", capture, "-Y", "tftp.opcode == 3 && tftp.block == 2",
                        "-T", "fields", "-e", "frame.number"], capture_output=True, text=True, check=True)
    frames = [int(x) for x in r.stdout.split()]
    assert len(frames) == 5, f"{capture}: {len(frames)} TFTP transfers of two blocks or more, want 5"
    return frames


if __name__ == "__main__":
    run_test(main)
