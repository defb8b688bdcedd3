#!/usr/bin/env bash
# dissector_bench.sh [PACKETS]
#
# What the pfs plugin costs tshark: one generated capture of PACKETS PFS
# frames (default 250000: Ads on UDP, DATA on TCP connections of 2000
# messages, from tests/dissector/pfscap), read by tshark with the plugin
# and by the same tshark with `--disable-protocol pfs`, in the same run.
# Two modes: `-T fields -e frame.number` (every frame dissected, little
# printed) and `-V` (the whole tree printed, to /dev/null). A bare `-q`
# would not do: tshark then skips dissection altogether. Times from hyperfine (3 runs
# after a warm-up), peak RSS from GNU time; the TCP layer's own memory is
# measured with `--disable-protocol tcp` for comparison. Markdown to stdout,
# for docs/benchmarks.md.
#
# tshark loads the plugin the way the tests do (tests/dissector/lib.sh):
# a private copy, run as nobody when we are root.
#
# Environment: PFS_BUILD (default build).
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

# One tshark command line as a string, for hyperfine.
cmd() {
  printf '%q ' "${RUN_AS[@]}" env -i PATH=/usr/bin:/bin HOME="$WORK/home" \
    WIRESHARK_PLUGIN_DIR="$WORK/plugins" tshark -n -r "$capfile" "$@"
  printf '> /dev/null'
}
seconds() {  # seconds ARGS: mean wall time of tshark ARGS
  hyperfine --style none --warmup 1 --runs 3 --export-json "$WORK/h.json" "$(cmd "$@")" > /dev/null
  python3 -c 'import json, sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["mean"])' "$WORK/h.json"
}
rss() {  # rss ARGS: peak RSS of tshark ARGS, MiB (GNU time on tshark itself)
  "${RUN_AS[@]}" env -i PATH=/usr/bin:/bin HOME="$WORK/home" WIRESHARK_PLUGIN_DIR="$WORK/plugins" \
    /usr/bin/time -f %M -o "$WORK/home/rss" tshark -n -r "$capfile" "$@" > /dev/null
  cp "$WORK/home/rss" "$WORK/rss"
  awk '{printf "%.0f", $1 / 1024}' "$WORK/rss"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }

echo "capture: $count frames, $pfs PFS messages, $(du -m "$capfile" | cut -f1) MiB"
echo
echo "| mode | with pfs (s) | --disable-protocol pfs (s) | ratio |"
echo "| --- | --- | --- | --- |"
fields=(-T fields -e frame.number)
with=$(seconds "${fields[@]}"); without=$(seconds "${fields[@]}" --disable-protocol pfs)
echo "| \`tshark -T fields -e frame.number\` | $with | $without | $(ratio "$with" "$without") |"
with=$(seconds -V); without=$(seconds -V --disable-protocol pfs)
echo "| \`tshark -V\` | $with | $without | $(ratio "$with" "$without") |"
echo
full=$(rss "${fields[@]}"); nopfs=$(rss "${fields[@]}" --disable-protocol pfs)
notcp=$(rss "${fields[@]}" --disable-protocol tcp)
echo "| peak RSS, \`tshark -T fields -e frame.number\` | MiB |"
echo "| --- | --- |"
echo "| with pfs | $full |"
echo "| --disable-protocol pfs | $nopfs |"
echo "| --disable-protocol tcp | $notcp |"
echo
echo "pfs adds $((full - nopfs)) MiB; the TCP layer's own share is $((nopfs - notcp)) MiB"
