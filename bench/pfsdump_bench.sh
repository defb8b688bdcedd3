#!/bin/sh
# pfsdump_bench.sh [COPIES]
#
# How fast pfsdump reads a large capture, against tcpdump -r and tshark -r
# (with the project's pfs plugin) on the same file in the same run, in
# packets per second.
#
# The capture is the lab sample (samples/lab5-pcap/upgrade.pcap, a 5-phone
# upgrade: UDP election, TCP transfers, TFTP) appended COPIES times
# (default 100) with mergecap -a, each copy shifted one hour later with
# editcap -t, into a temporary folder deleted at the end. Every tool prints
# every packet (or message) to a file, as a user reading the capture would:
#   tcpdump -n -r F                  (port 4240 or port 69 as its filter)
#   tshark -n -r F -d udp.port==4240,pfs -d tcp.port==4240,pfs
#   pfsdump -r F -f 'port 4240 or port 69'
#   pfsdump --summary -r F -f 'port 4240 or port 69'
# Times come from hyperfine (5 runs after a warm-up): wall time, and the
# CPU time (user + system) of the command, which tells more on a shared
# machine. tshark runs as nobody
# when we are root (root's tshark ignores plugin folders), reading the file
# by name from a folder nobody can read.
#
# Environment: PFSDUMP (default build/bin/pfsdump), PFS_PLUGIN (default
# build/plugins/4.0/epan/pfs.so; without it tshark runs without the plugin
# and the table says so), TMPDIR.
set -eu
cd "$(dirname "$0")/.."
src=$(pwd)
copies=${1:-100}
pfsdump=${PFSDUMP:-$src/build/bin/pfsdump}
plugin=${PFS_PLUGIN:-$src/build/plugins/4.0/epan/pfs.so}
sample=$src/samples/lab5-pcap/upgrade.pcap
filter='port 4240 or port 69'
for tool in tcpdump tshark mergecap editcap capinfos hyperfine; do
    command -v $tool >/dev/null || { echo "pfsdump_bench: $tool is not installed (scripts/deps.sh)" >&2; exit 2; }
done
[ -x "$pfsdump" ] || { echo "pfsdump_bench: $pfsdump is not built" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pfsdump-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
chmod 755 "$tmp"
i=0
while [ $i -lt "$copies" ]; do
    editcap -t $((i * 3600)) "$sample" "$tmp/c$i.pcap"
    i=$((i + 1))
done
mergecap -a -F pcap -w "$tmp/big.pcap" "$tmp"/c*.pcap
rm -f "$tmp"/c*.pcap
chmod 644 "$tmp/big.pcap"
frames=$(capinfos -c -M "$tmp/big.pcap" | awk '/Number of packets/ {print $NF}')
mib=$(( $(stat -c %s "$tmp/big.pcap") / 1048576 ))

run_as=""
if [ "$(id -u)" -eq 0 ]; then
    run_as="setpriv --reuid=nobody --regid=nogroup --clear-groups"
fi
with_plugin="without the pfs plugin"
ts_env="env -i PATH=/usr/bin:/bin HOME=$tmp/home"
mkdir -p "$tmp/home" "$tmp/plugins/4.0/epan"
chmod -R 755 "$tmp/home" "$tmp/plugins"
[ -n "$run_as" ] && chown nobody "$tmp/home"
if [ -f "$plugin" ]; then
    cp "$plugin" "$tmp/plugins/4.0/epan/pfs.so"
    chmod 644 "$tmp/plugins/4.0/epan/pfs.so"
    ts_env="$ts_env WIRESHARK_PLUGIN_DIR=$tmp/plugins"
    with_plugin="with the pfs plugin"
fi

# Every tool's output goes to a file: that is the work a reader pays for.
hyperfine -N --warmup 1 --runs 5 --export-json "$tmp/times.json" \
    -n tcpdump "sh -c 'tcpdump -n -r $tmp/big.pcap \"$filter\" > $tmp/tcpdump.out 2>/dev/null'" \
    -n pfsdump "sh -c '$pfsdump -r $tmp/big.pcap -f \"$filter\" > $tmp/pfsdump.out'" \
    -n pfsdump-summary "sh -c '$pfsdump --summary -r $tmp/big.pcap -f \"$filter\" > $tmp/summary.out'" \
    -n tshark "sh -c '$run_as $ts_env tshark -n -r $tmp/big.pcap -d udp.port==4240,pfs -d tcp.port==4240,pfs > $tmp/tshark.out 2>/dev/null'" \
    >/dev/null

echo "Capture: $copies copies of samples/lab5-pcap/upgrade.pcap, $frames packets, $mib MiB; tshark $with_plugin"
echo "PFS messages printed by pfsdump: $(wc -l < "$tmp/pfsdump.out"), lines by tcpdump: $(wc -l < "$tmp/tcpdump.out"), by tshark: $(wc -l < "$tmp/tshark.out")"
echo
python3 - "$tmp/times.json" "$frames" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
frames = int(sys.argv[2])
# Wall time, and CPU time (user + system), which a shared machine disturbs less.
anchor = next(r for r in res if r["command"] == "tcpdump")
cpu = lambda r: r["user"] + r["system"]
print("| command | mean time | packets/s | time vs tcpdump | CPU (user+sys) | CPU vs tcpdump |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for r in res:
    print(f"| {r['command']} | {r['mean']:.3f} s | {frames / r['mean']:,.0f} | "
          f"{r['mean'] / anchor['mean']:.2f}x | {cpu(r):.3f} s | {cpu(r) / cpu(anchor):.2f}x |")
PY
