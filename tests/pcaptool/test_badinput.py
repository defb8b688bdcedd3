#!/usr/bin/env python3
"""pfsdump on input it cannot show: a capture cut short, a file that is
not a capture, an empty file, a capture without packets or without PFS,
an unknown link type, a missing file, a folder, a bad filter, bad usage.
Each ends with one line naming the file and the documented exit code."""
import os
import subprocess
import sys

sys.dont_write_bytecode = True   # the source tree stays as it is
from testlib import generated, run_test

PFSDUMP = os.environ["PFSDUMP"]


def run(args, **kw):
    return subprocess.run([PFSDUMP] + args, capture_output=True, text=True, **kw)


def one_line_error(r, code, *words):
    lines = r.stderr.strip().splitlines()
    assert r.returncode == code, f"exit {r.returncode}, want {code}: {r.stderr}"
    assert len(lines) == 1, f"want one error line, got: {r.stderr!r}"
    for w in words:
        assert w in lines[0], f"{w!r} not in {lines[0]!r}"
    assert lines[0].startswith("pfsdump: "), lines[0]


def main():
    with generated("pfsdump-bad-") as tmp:
        good = os.path.join(tmp, "reasm.pcap")
        data = open(good, "rb").read()

        # Cut short inside the last record: what was read is printed, then one line.
        cut = os.path.join(tmp, "cut.pcap")
        open(cut, "wb").write(data[:-30])
        full = run(["-r", good, "-t"]).stdout.splitlines()
        r = run(["-r", cut, "-t"])
        one_line_error(r, 1, cut, "cut short", "frame")
        got = r.stdout.splitlines()
        assert len(got) >= len(full) - 3 and got == full[:len(got)], "the part read differs"
        r = run(["-r", cut, "--summary"])
        one_line_error(r, 1, cut, "cut short")
        assert "PFS messages:" in r.stdout and "cut short" in r.stdout
        # Cut inside the file header.
        open(cut, "wb").write(data[:10])
        one_line_error(run(["-r", cut]), 1, cut)

        notcap = os.path.join(tmp, "notes.txt")
        open(notcap, "w").write("this is not a capture\n" * 10)
        one_line_error(run(["-r", notcap]), 1, notcap, "not a pcap or pcapng capture")

        empty = os.path.join(tmp, "empty.pcap")
        open(empty, "wb").close()
        one_line_error(run(["-r", empty]), 1, empty, "empty file")

        nopkt = os.path.join(tmp, "bad-empty.pcap")
        one_line_error(run(["-r", nopkt]), 3, nopkt, "no PFS message in 0 frames")
        nopfs = os.path.join(tmp, "bad-nopfs.pcap")
        one_line_error(run(["-r", nopfs]), 3, nopfs, "no PFS message in 1 frames")
        one_line_error(run(["-r", nopfs, "--summary"]), 3, nopfs)
        one_line_error(run(["-r", nopfs, "--infer"]), 3, nopfs)

        usb = os.path.join(tmp, "bad-linktype.pcap")
        one_line_error(run(["-r", usb]), 1, usb, "link type 189")

        missing = os.path.join(tmp, "missing.pcap")
        one_line_error(run(["-r", missing]), 1, missing, "No such file")
        one_line_error(run(["-r", tmp]), 1, tmp, "directory")
        one_line_error(run(["-r", good, "-f", "port port"]), 1, good, "filter")
        one_line_error(run(["-i", "nosuchif0"]), 1, "nosuchif0")

        for args in ([], ["-r"], ["-r", good, "-c", "0"], ["-r", good, "extra"],
                     ["-r", good, "-i", "lo"], ["--bogus"]):
            r = run(args)
            assert r.returncode == 2, f"{args}: exit {r.returncode}"
            assert r.stderr.strip(), f"{args}: no message"
        h = run(["--help"])
        assert h.returncode == 0 and "Exit status:" in h.stdout and "CAP_NET_RAW" in h.stdout
        v = run(["--version"])
        assert v.returncode == 0 and v.stdout.startswith("pfsdump ")

        # A closed standard output is an error, not silence.
        with open("/dev/full", "w") as full_dev:
            r = subprocess.run([PFSDUMP, "-r", good], stdout=full_dev, stderr=subprocess.PIPE, text=True)
        assert r.returncode == 1 and "standard output" in r.stderr, r.stderr
        print("ok: every bad input gives one line and its exit code")


if __name__ == "__main__":
    run_test(main)
