#!/usr/bin/env python3
"""pfsdump's output for the committed lab capture (samples/lab5-pcap),
byte for byte against samples/golden/. After a deliberate change of the
output: test_golden.py --update (with PFSDUMP and PFS_SRC set)."""
import os
import subprocess
import sys

PFSDUMP = os.environ["PFSDUMP"]
SRC = os.environ["PFS_SRC"]
CAPTURE = "samples/lab5-pcap/upgrade.pcap"
FILTER = "port 4240 or port 69"      # the lab ran on PFS port 4240, TFTP on 69

CASES = {
    "lab5-pcap.txt": [],
    "lab5-pcap-v.txt": ["-v"],
    "lab5-pcap.jsonl": ["--json"],
    "lab5-pcap-summary.txt": ["--summary"],
    "lab5-pcap-summary.json": ["--summary", "--json"],
    "lab5-pcap-infer.txt": ["--infer"],
    "lab5-pcap-infer.json": ["--infer", "--json"],
    "lab5-pcap-tttt-c20.txt": ["-tttt", "-c", "20"],
}


def main():
    update = "--update" in sys.argv[1:]
    env = dict(os.environ, TZ="UTC")
    bad = 0
    for name, args in CASES.items():
        r = subprocess.run([PFSDUMP, "-r", CAPTURE, "-f", FILTER] + args, cwd=SRC, env=env,
                           capture_output=True)
        if r.returncode != 0:
            print(f"FAIL {name}: exit {r.returncode}: {r.stderr.decode()}")
            bad += 1
            continue
        path = os.path.join(SRC, "samples", "golden", name)
        if update:
            with open(path, "wb") as f:
                f.write(r.stdout)
            print(f"wrote {path}")
            continue
        with open(path, "rb") as f:
            want = f.read()
        if r.stdout != want:
            got = r.stdout.decode().splitlines()
            exp = want.decode().splitlines()
            first = next((i for i, (a, b) in enumerate(zip(got, exp)) if a != b), min(len(got), len(exp)))
            print(f"FAIL {name}: differs from line {first + 1}\n want: {exp[first] if first < len(exp) else '(end)'}\n"
                  f"  got: {got[first] if first < len(got) else '(end)'}")
            bad += 1
        else:
            print(f"ok {name}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
