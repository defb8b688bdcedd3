#!/usr/bin/env python3
"""pfsreplay end-to-end scenarios: the recorded lab captures of samples/replay
replayed against a fresh pfsd (served by the real in.tftpd), edited captures
that must diverge at the right frame, and bad input.

usage: replay_test.py SCENARIO   (sample, sample-topspeed, raw, drop, databyte,
       refuse, claim, kill, bad-input, cli)

Environment: PFSREPLAY, PFSD, PFSDUMP, PCAPEDIT (binaries), PFSLAB (the lab,
for its TFTP server when not root and its firmware generator), SAMPLES.
Every process it starts is stopped by pid; timeouts only catch hangs."""

import importlib.machinery
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

REPLAY = os.environ["PFSREPLAY"]
PFSD = os.environ["PFSD"]
PFSDUMP = os.environ["PFSDUMP"]
PCAPEDIT = os.environ["PCAPEDIT"]
PFSLAB = os.environ["PFSLAB"]
SAMPLES = os.environ["SAMPLES"]

SAMPLE = os.path.join(SAMPLES, "replay", "lab3.pcap")
KILL = os.path.join(SAMPLES, "replay", "lab3-kill.pcap")
# pfslab --phones 3 --port 4250 --base-addr 127.0.150.2 (README): the root of
# the first component (jar), which serves both other endpoints. Every endpoint
# fetched the .loads itself from the TFTP server (the trust anchor): the load's
# first hierarchy on the wire is the jar's.
PORT, TFTP_ADDR, ROOT = 4250, "127.0.150.1", "B4609603"
JAR_H = "12D64798"
KILL_PORT, KILL_TFTP, KILL_AS = 4251, "127.0.151.1", "B4609702"
LOAD = "SCCP41.9-4-2SR2-2S.loads"
HANG = 120  # seconds: a safety net against hangs, never a speed check


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=HANG, **kw)


def free_udp_port(addr):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((addr, 0))
        return s.getsockname()[1]


def frames(cap, port):
    """pfsdump --json: one dict per message."""
    p = run([PFSDUMP, "--json", "-f", f"port {port}", "-r", cap])
    check(p.returncode == 0, f"pfsdump {cap}: {p.stderr.strip()}")
    return [json.loads(line) for line in p.stdout.splitlines()]


class Tftp:
    """The real in.tftpd as root (it drops to user tftp), pfslab's own server otherwise."""

    def __init__(self, root, addr):
        self.port = free_udp_port(addr)
        where = f"{addr}:{self.port}"
        if os.geteuid() == 0:
            argv = ["/usr/sbin/in.tftpd", "-L", "-a", where, "-s", root]
        else:
            argv = [sys.executable, PFSLAB, "serve-tftp", root, where]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.where = where

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def lab_firmware(dest, size_mb):
    """The bytes the recorded lab served (seed 1): pfslab's own generator."""
    loader = importlib.machinery.SourceFileLoader("pfslab_mod", PFSLAB)
    spec = importlib.util.spec_from_loader("pfslab_mod", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    cfg = mod.build_parser().parse_args(["--phones", "1", "--out", dest, "--size-mb", str(size_mb)])
    mod.make_firmware(cfg, os.path.join(dest, "tftpboot"))
    return os.path.join(dest, "tftpboot")


def replay(work, cap, port, tftp_addr, xid, args=(), size_mb=0.1):
    """Rebuilds the served files, starts pfsreplay, then pfsd as --print-target says.
    The .loads is no peer's to serve (every endpoint fetches it from the TFTP
    server, the trust anchor), and a file the capture does not carry whole
    neither: both come from pfslab's generator with the recorded seed and size.
    Returns (pfsreplay's exit code, its stdout, pfsd's summary or None)."""
    filt = ["-f", f"port {port}"]
    files = os.path.join(work, "files")
    p = run([REPLAY, *filt, "--files", files, cap, "-q"])
    check(p.returncode == 0, f"--files: exit {p.returncode}: {p.stderr.strip()}")
    fw = lab_firmware(os.path.join(work, "fw"), size_mb)
    for name in os.listdir(fw):
        if not os.path.exists(os.path.join(files, name)) and name.endswith((".sbn", ".loads")):
            shutil.copy(os.path.join(fw, name), files)
    os.chmod(work, 0o755)
    for name in os.listdir(files):
        os.chmod(os.path.join(files, name), 0o644)
    os.chmod(files, 0o755)
    tftp = Tftp(files, tftp_addr)
    pdir = os.path.join(work, "dir")
    os.mkdir(pdir)
    p = run([REPLAY, *filt, "--print-target", cap, "--as", xid, "--tftp", tftp.where,
             "--dir", pdir, "--load", LOAD])
    check(p.returncode == 0 and p.stdout.startswith("pfsd "), f"--print-target: {p.stderr.strip()}")
    target = [PFSD] + p.stdout.split()[1:]
    summary = os.path.join(work, "summary.json")
    target += ["--log", os.path.join(work, "pfsd.log"), "--summary", summary]
    rp = subprocess.Popen([REPLAY, *filt, cap, "--as", xid, *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    pfsd = None
    try:
        line = rp.stderr.readline()
        check("ready" in line, f"pfsreplay did not get ready: {line.strip()}")
        pfsd = subprocess.Popen(target, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out, err = rp.communicate(timeout=HANG)
    finally:
        stop(rp)
        if pfsd:
            stop(pfsd)
        tftp.stop()
    sys.stdout.write(out)
    sys.stderr.write(err)
    doc = json.load(open(summary)) if os.path.exists(summary) else None
    return rp.returncode, out, doc


def sessions(out):
    """'  PASS  name' / '  FAIL  name: frame N: ...' lines of the text report."""
    res = []
    for line in out.splitlines():
        if line.startswith("  PASS  ") or line.startswith("  FAIL  "):
            res.append((line[2:6], line[8:]))
    return res


def all_verified(doc):
    return doc and all(f["verified"] for f in doc["files"])


def scenario_sample(work, speed_args):
    rc, out, doc = replay(work, SAMPLE, PORT, TFTP_ADDR, ROOT, speed_args)
    check(rc == 0, f"replay exit {rc}, expected 0")
    check(all_verified(doc), "pfsd verified every file it downloaded from the replay")
    if "--json" in speed_args:
        rep = json.loads(out)
        check(rep["exit"] == 0 and rep["failed"] == 0 and rep["passed"] >= 10 and
              all(x["result"] == "PASS" for x in rep["sessions"]), "every session PASS (--json)")
        check(rep["speed"] == "topspeed" and rep["target"]["xid"] == ROOT, "--json run facts")
        return
    res = sessions(out)
    check(len(res) >= 10 and all(r == "PASS" for r, _ in res), "every session PASS")
    check(out.startswith("Actual: ") and "\nRated: " in out, "tcpreplay-style statistics")
    check("Gap error: p50 " in out, "gap error reported at recorded speed")


def divergence(work, op, pick, session_word, expect_word, rule_word):
    """Edits the sample with pcapedit, replays it, and checks the frame of the divergence."""
    msgs = frames(SAMPLE, PORT)
    frame, expect_frame, args = pick(msgs)
    edited = os.path.join(work, "edited.pcap")
    p = run([PCAPEDIT, SAMPLE, edited, op, str(frame), *args])
    check(p.returncode == 0, f"pcapedit {op}: {p.stderr.strip()}")
    rc, out, _ = replay(work, edited, PORT, TFTP_ADDR, ROOT)
    check(rc == 1, f"replay exit {rc}, expected 1 (a divergence)")
    fails = [name for r, name in sessions(out) if r == "FAIL"]
    want = f"frame {expect_frame}: expected "
    hit = [f for f in fails if session_word in f and want in f]
    check(hit, f"a FAIL of the {session_word} session at frame {expect_frame}; got {fails}")
    check(expect_word in hit[0] and rule_word in hit[0], f"{expect_word} / {rule_word} in {hit[0]}")


def own(msgs, xid=ROOT):
    return [m for m in msgs if m["xid"] == "XID" + xid]


def pick_drop(msgs):
    # The root's Ad 2 of its first claim (the jar's): the next one it sends is Ad 2, the
    # edited recording says Ad 3, which after the drop is one frame earlier.
    ads = [m for m in own(msgs) if m["type"] == "AD" and m["state"] == 1]
    return ads[1]["frame"], ads[2]["frame"] - 1, []


def pick_databyte(msgs):
    data = [m for m in own(msgs) if m["type"] == "DATA" and m["len"] > 64 and
            m["frames"] == [m["frame"]]]
    return data[0]["frame"], data[0]["frame"], []


def pick_refuse(msgs):
    acc = [m for m in own(msgs) if m["type"] == "ACCEPT"]
    return acc[0]["frame"], acc[0]["frame"], []


def pick_claim(msgs):
    # A stronger claim 0.5 ms after the root's tentative claim: it must yield,
    # so its Ad 1 (one frame later after the insertion) is the divergence.
    claim = [m for m in own(msgs) if m["type"] == "CLAIM" and m["state"] == 1][0]
    ad1 = [m for m in own(msgs) if m["type"] == "AD" and m["state"] == 1 and
           m["hier"] == claim["hier"]][0]
    return claim["frame"], ad1["frame"] + 1, ["127.0.150.9", "B4609609"]


def scenario_kill(work):
    """The fault run: the target's parent for jar was killed mid-transfer; the
    target rejoins, is refused and falls back to TFTP, as recorded."""
    recorded = json.load(open(os.path.join(SAMPLES, "replay", "lab3-kill.summary.json")))
    want = {}
    for ep in recorded["endpoints"]:
        if ep["xid"] == KILL_AS:
            want = {f["name"]: f["fallback"] for f in ep["summary"]["files"]}
    check(any(want.values()), "the recording has a fallback for the target")
    os.makedirs(os.path.join(work, "r"))
    rc, out, doc = replay(os.path.join(work, "r"), KILL, KILL_PORT, KILL_TFTP, KILL_AS,
                          size_mb=recorded["lab"]["size_mb"])
    check(rc == 0, f"replay exit {rc}, expected 0")
    got = {f["name"]: f["fallback"] for f in doc["files"]}
    check(got == want, f"fallbacks {got}, recorded {want}")
    check(all_verified(doc), "pfsd verified every file")


def expect_input_error(argv, word, stdin=None):
    p = run(argv, input=stdin)
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 2, f"{argv[1:]}: exit {p.returncode}, expected 2 ({p.stderr.strip()})")
    check(len(lines) == 1 and lines[0].startswith("pfsreplay: ") and word in lines[0],
          f"{argv[1:]}: one line naming {word!r}: {lines}")


def scenario_bad_input(work):
    filt = ["-f", f"port {PORT}"]
    notcap = os.path.join(work, "notes.txt")
    with open(notcap, "w") as f:
        f.write("not a capture\n" * 20)
    trunc = os.path.join(work, "trunc.pcap")
    with open(SAMPLE, "rb") as f:
        data = f.read()
    with open(trunc, "wb") as f:
        f.write(data[: len(data) // 2 + 7])
    made = {}
    for name, op in (("empty", ["empty"]), ("nopfs", ["without-port", str(PORT)]),
                     ("link", ["linktype", "147"])):
        made[name] = os.path.join(work, name + ".pcap")
        p = run([PCAPEDIT, SAMPLE, made[name], *op])
        check(p.returncode == 0, f"pcapedit {op}: {p.stderr.strip()}")
    for path in (notcap, trunc, made["empty"], made["nopfs"], made["link"],
                 os.path.join(work, "missing.pcap")):
        expect_input_error([REPLAY, *filt, path, "--as", ROOT, "-q"], path)
        expect_input_error([REPLAY, *filt, "--raw", path, "--target", "127.0.150.3", "-q"], path)
    # A target that refuses: only the TCP sessions, so the first step is a connect.
    expect_input_error([REPLAY, "-f", f"tcp port {PORT}", SAMPLE, "--as", ROOT, "-q"],
                       "127.0.150.3:4250: connection refused")
    # A target that never answers.
    expect_input_error([REPLAY, *filt, SAMPLE, "--as", ROOT, "--wait", "300", "-q"],
                       "127.0.150.3:4250: the target sent nothing")
    # Recorded peers outside loopback are refused unless mapped back.
    expect_input_error([REPLAY, *filt, SAMPLE, "--as", ROOT, "--map",
                        "127.0.150.0/24=10.1.1.0/24", "-q"], "not a loopback address")
    expect_input_error([REPLAY, *filt, "--raw", SAMPLE, "--target", "10.0.0.1", "-q"],
                       "10.0.0.1: not a loopback address")


def scenario_cli(work):
    p = run([REPLAY, "--help"])
    check(p.returncode == 0 and "Exit status" in p.stdout, "--help")
    p = run([REPLAY, "--version"])
    check(p.returncode == 0 and p.stdout.startswith("pfsreplay "), "--version")
    for argv, word in (([SAMPLE], "--as XID"), (["--raw", SAMPLE], "--target"),
                       ([SAMPLE, "--as", "zz"], "--as"), ([SAMPLE, "--as", ROOT, "--loop", "2"], "--raw"),
                       ([SAMPLE, "--as", ROOT, "--map", "1.2.3.4"], "--map"),
                       ([SAMPLE, "--as", ROOT, "--speed", "0"], "--speed"), (["--bogus"], "--bogus")):
        expect_input_error([REPLAY, *argv], word)
    # -f 'port 4250' leaves the TFTP requests out: the load is not in what is read.
    p = run([REPLAY, "-f", f"port {PORT}", "--print-target", SAMPLE, "--as", ROOT, "--tftp",
             "127.0.150.1:69", "--dir", "/d"])
    check(p.returncode == 0 and "--load NAME.loads" in p.stdout and "give --load" in p.stderr,
          f"--print-target without the load in the capture: {p.stdout} {p.stderr}")
    p = run([REPLAY, "-f", f"port {PORT}", "--print-target", SAMPLE, "--as", ROOT, "--tftp",
             "127.0.150.1:69", "--dir", "/d", "--load", LOAD])
    want = ("pfsd --model CP-7961G --load SCCP41.9-4-2SR2-2S.loads --tftp 127.0.150.1:69 --dir /d "
            "--addr 127.0.150.3 --port 4250 --xid B4609603 --strength ")
    check(p.returncode == 0 and p.stdout.startswith(want), f"--print-target: {p.stdout}")
    check("--ad-interval 100 --ad-count 4 --root-wait 1000" in p.stdout, "timers from the capture")
    strengths = [m["strength"] for m in own(frames(SAMPLE, PORT)) if m["type"] == "CLAIM" and
                 m["state"] == 1]
    check(",".join(strengths) in p.stdout, f"the recorded strengths {strengths}")
    # --map moves the target: the printed address follows it.
    p = run([REPLAY, "-f", f"port {PORT}", "--print-target", SAMPLE, "--as", ROOT,
             "--map", "127.0.150.0/24=127.0.152.0/24", "--tftp", "h:1"])
    check(" --addr 127.0.152.3 " in p.stdout, f"--map: {p.stdout}")
    # The rebuilt files are the lab's firmware, byte for byte.
    files = os.path.join(work, "files")
    p = run([REPLAY, "-f", f"port {PORT}", "--files", files, SAMPLE])
    check(p.returncode == 0 and not p.stderr, f"--files: {p.stderr}")
    fw = lab_firmware(os.path.join(work, "fw"), 0.1)
    for name in sorted(os.listdir(fw)):
        if name == "dnld":
            continue
        if name.endswith(".loads"):  # from the TFTP server only, never on the PFS wire
            check(not os.path.exists(os.path.join(files, name)), f"{name} rebuilt from peers")
            continue
        with open(os.path.join(fw, name), "rb") as a, open(os.path.join(files, name), "rb") as b:
            check(a.read() == b.read(), f"rebuilt {name} differs from the lab's")
    # --raw at top speed against a closed port: every datagram leaves.
    p = run([REPLAY, "-f", f"port {PORT}", "--raw", SAMPLE, "--target", "127.0.150.250:4259",
             "--topspeed", "--loop", "3", "--json"])
    check(p.returncode == 0, f"--raw: {p.stderr}")
    doc = json.loads(p.stdout)
    udp = [m for m in frames(SAMPLE, PORT) if m["transport"] == "udp"]
    check(doc["sent"]["messages"] == 3 * len(udp) and doc["loops"] == 3, f"--raw sent {doc['sent']}")


def recorded_payloads(cap, port):
    p = run(["tshark", "-r", cap, "-Y", f"udp.port == {port}", "-T", "fields", "-e", "udp.payload"])
    check(p.returncode == 0, f"tshark {cap}: {p.stderr.strip()}")
    return [bytes.fromhex(line.strip()) for line in p.stdout.splitlines() if line.strip()]


def raw_received(loops):
    """Runs pfsreplay --raw --topspeed to a socket of ours; what arrived."""
    addr = "127.0.150.250"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx:
        # Room for every datagram: nobody reads while pfsreplay sends. As root
        # SO_RCVBUFFORCE (33 on Linux; Python does not name it) passes rmem_max.
        opt = getattr(socket, "SO_RCVBUFFORCE", 33) if os.geteuid() == 0 else socket.SO_RCVBUF
        rx.setsockopt(socket.SOL_SOCKET, opt, 4 << 20)
        rx.bind((addr, 0))
        port = rx.getsockname()[1]
        p = run([REPLAY, "-f", f"port {PORT}", "--raw", SAMPLE, "--target",
                 f"{addr}:{port}", "--topspeed", "--loop", str(loops), "--json"])
        check(p.returncode == 0, f"--raw: {p.stderr}")
        rx.setblocking(False)
        got = []
        while True:
            try:
                data, src = rx.recvfrom(65536)
            except BlockingIOError:
                break
            got.append((data, src))
    return json.loads(p.stdout), got


def scenario_raw(work):
    """--raw --topspeed delivers every recorded datagram, in order, byte for
    byte, from its recorded source address and port."""
    udp = [m for m in frames(SAMPLE, PORT) if m["transport"] == "udp"]
    rec = recorded_payloads(SAMPLE, PORT)
    check(len(rec) == len(udp), f"tshark found {len(rec)} datagrams, pfsdump {len(udp)}")
    loops = 3
    doc, got = raw_received(loops)
    check(doc["sent"]["messages"] == loops * len(udp) and doc["sent"]["failed"] == 0,
          f"--raw sent {doc['sent']}")
    check(len(got) == loops * len(udp), f"{len(got)} datagrams arrived of {loops * len(udp)}")
    for i, (data, src) in enumerate(got):
        m = udp[i % len(udp)]
        check(f"{src[0]}:{src[1]}" == m["src"], f"datagram {i} from {src}, recorded from {m['src']}")
        check(data == rec[i % len(rec)], f"datagram {i} differs from frame {m['frame']}'s bytes")


SCENARIOS = {
    "sample": lambda w: scenario_sample(w, []),
    "sample-topspeed": lambda w: scenario_sample(w, ["--topspeed", "--json"]),
    "raw": scenario_raw,
    "drop": lambda w: divergence(w, "drop", pick_drop, "election H=" + JAR_H,
                                 "AD ClaimRoot(tent) seq=3", "Election rule"),
    "databyte": lambda w: divergence(w, "databyte", pick_databyte, "child", "DATA byte",
                                     "Transfer"),
    "refuse": lambda w: divergence(w, "refuse", pick_refuse, "child", "REFUSE FULL",
                                   "Choosing a parent"),
    "claim": lambda w: divergence(w, "claim", pick_claim, "election H=" + JAR_H,
                                  "AD ClaimRoot(tent) seq=1", "Election rule"),
    "kill": scenario_kill,
    "bad-input": scenario_bad_input,
    "cli": scenario_cli,
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in SCENARIOS:
        print(__doc__, file=sys.stderr)
        return 2
    work = tempfile.mkdtemp(prefix="pfsreplay-test.")
    try:
        SCENARIOS[sys.argv[1]](work)
    except Fail as e:
        print(f"FAIL {sys.argv[1]}: {e}", file=sys.stderr)
        return 1
    finally:
        if not os.environ.get("KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    print(f"ok {sys.argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
