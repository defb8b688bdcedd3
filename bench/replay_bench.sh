#!/bin/sh
# replay_bench.sh [LOOPS]
#
# pfsreplay --raw against tcpreplay on the same capture: the PFS datagrams
# of samples/replay/lab3.pcap (UDP, port 4250), written to a classic pcap
# with tshark.
#
#   rate      `pfsreplay --raw --topspeed --loop N` and `tcpreplay
#             --topspeed --loop N -i lo`, messages (packets) per second as
#             each reports it, the median of five alternating runs;
#             N = LOOPS (default 2000).
#   fidelity  both at 1x (one pass of the 10 s recording) while dumpcap
#             records lo: the gap between consecutive datagrams on the
#             wire against the recorded gap, |error| p50 and p99 in
#             microseconds; pfsreplay's own figure (from its clock) too.
#             Once as they are, once under `chrt -f 10` (SCHED_FIFO) for
#             both: on a shared 2-core machine a woken sender waits for a
#             CPU for milliseconds, whatever its pacing.
#
# Both send to the recorded destination, 127.255.255.255:4250.
#
# Needs root (tcpreplay and dumpcap on lo) and the machine's lock, since it
# sends on loopback port 4250 and 4259:
#   flock /tmp/pfs-e2e.lock bench/replay_bench.sh
# Environment: PFSREPLAY (default build/bin/pfsreplay), TMPDIR.
set -eu
cd "$(dirname "$0")/.."
src=$(pwd)
loops=${1:-2000}
replay=${PFSREPLAY:-$src/build/bin/pfsreplay}
for tool in "$replay" tcpreplay tshark dumpcap; do
    command -v "$tool" >/dev/null 2>&1 || { echo "replay_bench: $tool not found" >&2; exit 2; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/replay-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
tshark -r samples/replay/lab3.pcap -Y 'udp.port == 4250' -F pcap -w "$tmp/udp.pcap" 2>/dev/null
n=$(tshark -r "$tmp/udp.pcap" 2>/dev/null | wc -l)

# Rate: messages per second, as each tool counts them; five runs of each,
# alternating, so that the load of a shared machine falls on both alike.
ours=""; theirs=""
for i in 1 2 3 4 5; do
    ours="$ours $("$replay" -f 'port 4250' --raw "$tmp/udp.pcap" --target 127.255.255.255:4250 \
           --topspeed --loop "$loops" --json |
           python3 -c 'import json,sys; print(json.load(sys.stdin)["rate"]["messages_per_s"])')"
    theirs="$theirs $(tcpreplay -i lo --topspeed --loop "$loops" "$tmp/udp.pcap" 2>&1 |
             sed -n 's/.*Rated:.*, \([0-9.]*\) pps.*/\1/p' | head -1)"
done
median() { echo $* | tr ' ' '\n' | sort -g | sed -n 3p; }
ours=$(median $ours); theirs=$(median $theirs)

# Fidelity: what reached the wire, captured on lo, against the recording.
wire() { # wire NAME COMMAND...: runs COMMAND while dumpcap records port 4250/4259
    name=$1; shift
    dumpcap -q -i lo -f 'udp and (port 4250 or port 4259)' -P -w "$tmp/$name.pcap" 2>/dev/null &
    dc=$!
    sleep 2
    "$@" >"$tmp/$name.out" 2>&1
    sleep 1
    kill -INT $dc; wait $dc || true
}
wire ours "$replay" -f 'port 4250' --raw "$tmp/udp.pcap" --target 127.255.255.255:4250 --json
wire theirs tcpreplay -i lo "$tmp/udp.pcap"
wire ours_rt chrt -f 10 "$replay" -f 'port 4250' --raw "$tmp/udp.pcap" --target 127.255.255.255:4250 --json
wire theirs_rt chrt -f 10 tcpreplay -i lo "$tmp/udp.pcap"
gaps() { tshark -r "$1" -T fields -e frame.time_epoch 2>/dev/null; }
gaps "$tmp/udp.pcap" >"$tmp/rec.t"
for k in ours theirs ours_rt theirs_rt; do gaps "$tmp/$k.pcap" >"$tmp/$k.t"; done
own() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["gap_error_us"]; print(str(d["p50"]) + "/" + str(d["p99"]))' "$1"; }
self="$(own "$tmp/ours.out") $(own "$tmp/ours_rt.out")"
python3 - "$tmp" "$n" "$loops" "$ours" "$theirs" "$self" <<'PY'
import sys
from decimal import Decimal
tmp, n, loops, ours, theirs, self_ = sys.argv[1:]
def times(name):
    return [Decimal(x) for x in open(f"{tmp}/{name}.t").read().split()]
def pct(v, p):
    v = sorted(v)
    return v[max(0, -(-len(v) * p // 100) - 1)]
rec = times("rec")
rg = [b - a for a, b in zip(rec, rec[1:])]
rows = []
for name, label in (("ours", "pfsreplay --raw"), ("theirs", "tcpreplay -i lo"),
                    ("ours_rt", "pfsreplay --raw, chrt -f 10"), ("theirs_rt", "tcpreplay -i lo, chrt -f 10")):
    t = times(name)
    if len(t) != len(rec):
        rows.append((label, f"{len(t)} of {len(rec)} datagrams on the wire", "", ""))
        continue
    err = [abs((b - a) - g) * 1000000 for (a, b), g in zip(zip(t, t[1:]), rg)]
    rows.append((label, f"{pct(err, 50):.1f}", f"{pct(err, 99):.1f}", f"{max(err):.1f}"))
r = float(ours) / float(theirs)
print(f"capture: samples/replay/lab3.pcap, its {n} PFS datagrams; rate: median of 5 runs of {loops} loops")
print()
print("| tool | messages/s (--topspeed) | ratio to tcpreplay |")
print("| --- | --- | --- |")
print(f"| pfsreplay --raw --topspeed | {float(ours):.0f} | {r:.2f} |")
print(f"| tcpreplay --topspeed -i lo | {float(theirs):.0f} | 1.00 |")
print()
print("| tool at 1x | gap error p50 (us) | p99 (us) | max (us) |")
print("| --- | --- | --- | --- |")
for row in rows:
    print("| " + " | ".join(row) + " |")
plain, rt = (x.split("/") for x in self_.split())
print(f"| pfsreplay, its own clock | {plain[0]} | {plain[1]} | |")
print(f"| pfsreplay, its own clock, chrt -f 10 | {rt[0]} | {rt[1]} | |")
PY
