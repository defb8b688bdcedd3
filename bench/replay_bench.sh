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
#             N = LOOPS (default 2000). Twice: as tcpreplay is run on lo
#             (its frames carry 127/8 addresses, which the kernel discards
#             at IP input as martians), and with both tools' datagrams
#             delivered (route_localnet set on lo for those runs and put
#             back after, the capture's checksums fixed with tcprewrite).
#             How many of 10 passes IP delivered, for each tool and each
#             way, from /proc/net/snmp.
#   fidelity  both at 1x (three passes of the 10 s recording) while dumpcap
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
for tool in "$replay" tcpreplay tcprewrite tshark dumpcap sysctl; do
    command -v "$tool" >/dev/null 2>&1 || { echo "replay_bench: $tool not found" >&2; exit 2; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/replay-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
chmod 755 "$tmp"
tshark -r samples/replay/lab3.pcap -Y 'udp.port == 4250' -F pcap -w "$tmp/udp.pcap" 2>/dev/null
n=$(tshark -r "$tmp/udp.pcap" 2>/dev/null | wc -l)

# Rate: messages per second, as each tool counts them; five runs of each,
# alternating, so that the load of a shared machine falls on both alike.
# Twice: first as tcpreplay is run on lo, where the kernel discards its
# frames at IP input (a 127/8 source or destination arriving from a link is
# a martian unless route_localnet is on) while pfsreplay's datagrams are
# delivered; then with both delivered: route_localnet on for lo during
# those runs, and the capture's UDP checksums fixed with tcprewrite (lo
# offloads them, so the recording holds partial sums the receiver rejects).
median() { echo $* | tr ' ' '\n' | sort -g | sed -n 3p; }
ours_rate() { # ours_rate PCAP LOOPS
    "$replay" -f 'port 4250' --raw "$1" --target 127.255.255.255:4250 --topspeed --loop "$2" --json |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["rate"]["messages_per_s"])'
}
theirs_rate() { # theirs_rate PCAP LOOPS
    tcpreplay -i lo --topspeed --loop "$2" "$1" 2>&1 | sed -n 's/.*Rated:.*, \([0-9.]*\) pps.*/\1/p' | head -1
}
ip_delivered() { awk '/^Ip: [0-9]/ {print $10}' /proc/net/snmp; }
delivered() { # delivered ours|theirs PCAP: datagrams IP delivered of 10 passes (other traffic on lo adds to it)
    d0=$(ip_delivered)
    "${1}_rate" "$2" 10 >/dev/null
    echo $(( $(ip_delivered) - d0 ))
}
rates() { # rates PCAP: "OURS THEIRS OURS_DELIVERED THEIRS_DELIVERED"
    o=""; t=""
    for i in 1 2 3 4 5; do
        o="$o $(ours_rate "$1" "$loops")"
        t="$t $(theirs_rate "$1" "$loops")"
    done
    echo "$(median $o) $(median $t) $(delivered ours "$1") $(delivered theirs "$1")"
}
as_run=$(rates "$tmp/udp.pcap")
tcprewrite --fixcsum -i "$tmp/udp.pcap" -o "$tmp/fixed.pcap"
localnet=$(sysctl -n net.ipv4.conf.lo.route_localnet)
trap 'sysctl -qw net.ipv4.conf.lo.route_localnet="$localnet"; rm -rf "$tmp"' EXIT
sysctl -qw net.ipv4.conf.lo.route_localnet=1
both=$(rates "$tmp/fixed.pcap")
sysctl -qw net.ipv4.conf.lo.route_localnet="$localnet"

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
# Three passes each, so that p99 is not simply the worst of 99 gaps.
passes=3
wire ours "$replay" -f 'port 4250' --raw "$tmp/udp.pcap" --target 127.255.255.255:4250 --loop $passes --json
wire theirs tcpreplay -i lo --loop $passes "$tmp/udp.pcap"
wire ours_rt chrt -f 10 "$replay" -f 'port 4250' --raw "$tmp/udp.pcap" --target 127.255.255.255:4250 \
    --loop $passes --json
wire theirs_rt chrt -f 10 tcpreplay -i lo --loop $passes "$tmp/udp.pcap"
gaps() { tshark -r "$1" -T fields -e frame.time_epoch 2>/dev/null; }
gaps "$tmp/udp.pcap" >"$tmp/rec.t"
for k in ours theirs ours_rt theirs_rt; do gaps "$tmp/$k.pcap" >"$tmp/$k.t"; done
own() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["gap_error_us"]; print(str(d["p50"]) + "/" + str(d["p99"]))' "$1"; }
self="$(own "$tmp/ours.out") $(own "$tmp/ours_rt.out")"
python3 - "$tmp" "$n" "$loops" "$as_run" "$both" "$self" "$passes" <<'PY'
import sys
from decimal import Decimal
tmp, n, loops, as_run, both, self_, passes = sys.argv[1:]
passes = int(passes)
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
    if len(t) != passes * len(rec):
        rows.append((label, f"{len(t)} of {passes * len(rec)} datagrams on the wire", "", ""))
        continue
    err = []
    for k in range(passes):  # the gap from one pass to the next is not a recorded one
        p = t[k * len(rec):(k + 1) * len(rec)]
        err += [abs((b - a) - g) * 1000000 for (a, b), g in zip(zip(p, p[1:]), rg)]
    rows.append((label, f"{pct(err, 50):.1f}", f"{pct(err, 99):.1f}", f"{max(err):.1f}"))
print(f"capture: samples/replay/lab3.pcap, its {n} PFS datagrams; rate: median of 5 runs of {loops} loops; fidelity: {passes} passes at 1x")
print()
print("| lo | pfsreplay --raw --topspeed (msg/s) | tcpreplay --topspeed -i lo (msg/s) | ratio "
      "| delivered of 10 passes: pfsreplay | tcpreplay |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for label, row in (("as run (route_localnet 0)", as_run), ("both delivered (route_localnet 1, checksums fixed)", both)):
    o, t, od, td = row.split()
    print(f"| {label} | {float(o):.0f} | {float(t):.0f} | {float(o) / float(t):.2f} "
          f"| {od} of {10 * int(n)} | {td} of {10 * int(n)} |")
print()
print("| tool at 1x | gap error p50 (us) | p99 (us) | max (us) |")
print("| --- | --- | --- | --- |")
for row in rows:
    print("| " + " | ".join(row) + " |")
plain, rt = (x.split("/") for x in self_.split())
print(f"| pfsreplay, its own clock | {plain[0]} | {plain[1]} | |")
print(f"| pfsreplay, its own clock, chrt -f 10 | {rt[0]} | {rt[1]} | |")
PY
