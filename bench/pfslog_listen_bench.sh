#!/bin/sh
# pfslog_listen_bench.sh [SENDERS] [SECONDS] [RATE...]
#
# The rate of syslog datagrams `pfslog --listen` holds without losing one:
# SENDERS phones (default 1000), each a socket of its own, send RATE
# datagrams a second in all (default 25000 50000 100000 200000) for
# SECONDS (default 3) to a pfslog listening on 127.0.0.1:5617, writing
# --json to a file. Per rate: datagrams sent (bench/pfslog_flood.c,
# compiled here), received, lost by the kernel and by pfslog's queue (its
# JSON stats), and the received share of sent: the anchor is the offered
# load, measured in the same run. Markdown to standard output, for
# docs/benchmarks.md. Traffic stays on loopback; the run is bounded
# (SENDERS x RATE x SECONDS datagrams).
#
# Environment: PFSLOG (default build/bin/pfslog), CC (default cc), TMPDIR.
set -eu
cd "$(dirname "$0")/.."
src=$(pwd)
senders=${1:-1000}
secs=${2:-3}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
rates=${*:-25000 50000 100000 200000}
pfslog=${PFSLOG:-$src/build/bin/pfslog}
case $pfslog in /*) ;; *) pfslog=$src/$pfslog ;; esac
if [ ! -x "$pfslog" ]; then
    echo "pfslog_listen_bench: $pfslog is not built (cmake --build build, or set PFSLOG)" >&2
    exit 2
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pfslog-listen-bench.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
"${CC:-cc}" -O2 -o "$tmp/flood" bench/pfslog_flood.c

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "pfslog_listen_bench: $(date -u +%Y-%m-%d), $(nproc) CPUs ($cpu), $("$pfslog" --version), uid $(id -u)"
echo "| senders | offered rate | seconds | sent | received | lost (kernel) | lost (queue) | received / sent |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for rate in $rates; do
    "$pfslog" --listen udp:127.0.0.1:5617 --json >"$tmp/out.jsonl" 2>"$tmp/err" &
    pid=$!
    # listening once it says so on stderr
    i=0
    while ! grep -q 'listening on' "$tmp/err" 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt 200 ] || { cat "$tmp/err" >&2; exit 1; }
        sleep 0.05
    done
    set -- $("$tmp/flood" 127.0.0.1 5617 "$senders" "$rate" "$secs")
    sent=$1 took=$2
    sleep 1
    kill -INT "$pid"
    wait "$pid" || true
    pid=
    tail -n 1 "$tmp/out.jsonl" | python3 -c '
import json, sys
s = json.load(sys.stdin)["stats"]
sent, took, senders, rate, secs = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
print("| %s | %d/s (%.0f/s sent) | %s | %d | %d | %d | %d | %.4f |" % (
    senders, rate, sent / took, secs, sent, s["datagrams"], s["datagrams_lost_kernel"],
    s["datagrams_lost_queue"], s["datagrams"] / sent))' "$sent" "$took" "$senders" "$rate" "$secs"
done
