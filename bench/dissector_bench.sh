#!/usr/bin/env bash
# dissector_bench.sh [PACKETS]
#
# What the pfs plugin costs tshark: one generated capture of PACKETS PFS
# frames (default 250000: Ads on UDP, DATA on TCP connections of 2000
# messages, from tests/dissector/pfscap), read by tshark with the plugin
# and by the same tshark with `--disable-protocol pfs`, in the same run.
# Two modes: `-T fields -e frame.number` (every frame dissected, little
# printed) and `-V` (the whole tree printed, to /dev/null). A bare `-q`
# would not do: tshark then skips dissection altogether. Wall time and peak
# RSS from GNU time, PFS_BENCH_ROUNDS rounds (default 5) that alternate
# the runs, medians; the TCP layer's own memory is measured with
# `--disable-protocol tcp` for comparison. With pfs disabled, UDP and TCP
# try every heuristic dissector on port 4051's payload; a third anchor
# hands that payload to the trivial `data` dissector instead (Decode As). Markdown to stdout, for
# docs/benchmarks.md.
#
# tshark loads the plugin the way the tests do (tests/dissector/lib.sh):
# a private copy, run as nobody when we are root.
#
# Environment: PFS_BUILD (default build), PFS_BENCH_ROUNDS.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
count=${1:-250000}
build=${PFS_BUILD:-$src/build}
case $build in /*) ;; *) build=$src/$build ;; esac
export PFS_BUILD=$build PFS_SRC=$src PFS_PLUGIN=$build/plugins/4.0/epan/pfs.so PFSCAP=$build/tests/pfscap
for f in "$PFS_PLUGIN" "$PFSCAP"; do
  [ -e "$f" ] || { echo "dissector_bench: $f is not built (cmake --build $build)" >&2; exit 2; }
done
. tests/dissector/lib.sh

capfile="$WORK/bench.pcap"
"$PFSCAP" --count "$count" bench "$capfile"
chmod 644 "$capfile"
pfs=$(dissect "$capfile" -q -z pfs,tree | awk '/^Messages by type/ {print $4}')

# run VAR ARGS: one tshark run as the tshark user; wall seconds and peak
# RSS (KiB) from GNU time, appended to the lists VAR_s and VAR_kb.
run() {
  local var=$1; shift
  with_plugins "$WORK/plugins" /usr/bin/time -f '%e %M' -o "$WORK/home/time" \
    tshark -n -r "$capfile" "$@" > /dev/null
  read -r sec kb < "$WORK/home/time"
  eval "${var}_s+=($sec); ${var}_kb+=($kb)"
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.0f", k / 1024}'; }

# Rounds alternate the runs, so a load that comes and goes on a shared
# machine falls on both sides alike; each figure is a median of the rounds.
rounds=${PFS_BENCH_ROUNDS:-5}
fields=(-T fields -e frame.number)
run warm "${fields[@]}"
for _ in $(seq "$rounds"); do
  run fp "${fields[@]}"; run fn "${fields[@]}" --disable-protocol pfs
  run fc "${fields[@]}" --disable-protocol tcp
  run fd "${fields[@]}" --disable-protocol pfs -d udp.port==4051,data -d tcp.port==4051,data
  run vp -V; run vn -V --disable-protocol pfs
done

echo "capture: $count frames, $pfs PFS messages, $(du -m "$capfile" | cut -f1) MiB"
echo
echo "| mode | with pfs (s) | --disable-protocol pfs (s) | ratio |"
echo "| --- | ---: | ---: | ---: |"
echo "| \`tshark -T fields -e frame.number\` | $(median "${fp_s[@]}") | $(median "${fn_s[@]}") | $(ratio "$(median "${fp_s[@]}")" "$(median "${fn_s[@]}")") |"
echo "| the same, port 4051 handed to \`data\` instead | $(median "${fp_s[@]}") | $(median "${fd_s[@]}") | $(ratio "$(median "${fp_s[@]}")" "$(median "${fd_s[@]}")") |"
echo "| \`tshark -V\` | $(median "${vp_s[@]}") | $(median "${vn_s[@]}") | $(ratio "$(median "${vp_s[@]}")" "$(median "${vn_s[@]}")") |"
echo
full=$(mib "$(median "${fp_kb[@]}")"); nopfs=$(mib "$(median "${fn_kb[@]}")"); notcp=$(mib "$(median "${fc_kb[@]}")")
echo "| peak RSS, \`tshark -T fields -e frame.number\` | MiB |"
echo "| --- | ---: |"
echo "| with pfs | $full |"
echo "| --disable-protocol pfs | $nopfs |"
echo "| --disable-protocol tcp (PFS over UDP still decoded) | $notcp |"
echo
echo "pfs adds $((full - nopfs)) MiB; the TCP layer's own share is $((nopfs - notcp)) MiB ($rounds rounds, medians)"
