#!/usr/bin/env bash
# A real upgrade: pfslab --pcap (root: in.tftpd and the capture need it),
# 5 pfsd endpoints on PFS port 4230, TFTP on 127.0.130.1. The capture
# decodes with no malformed packet, shows ClaimRoot, Ad, XfrCmd and DATA,
# and `-z pfs,tree` names the same root per file as the lab's summary.json.
. "$(dirname "$0")/lib.sh"
: "${PFS_BUILD:?}"
if [ "$(id -u)" -ne 0 ]; then
  echo "check_lab: needs root (pfslab --pcap captures on lo and runs in.tftpd)"; exit 1
fi

lab="$WORK/lab"
"$PFS_BUILD/bin/pfslab" --phones 5 --size-mb 1 --fast --port 4230 --tftp-addr 127.0.130.1 \
  --out "$lab" --pcap "$lab/upgrade.pcap" --pcap-required -q
chmod 755 "$lab"; chmod 644 "$lab/upgrade.pcap"
p=(-o pfs.udp.port:4230 -o pfs.tcp.port:4230)
cap="$lab/upgrade.pcap"
same "no malformed packet" "" "$(dissect "$cap" "${p[@]}" -Y '_ws.malformed || pfs.vendor || _ws.expert.group == 0x07000000' -T fields -e frame.number)"
same "no third child, data past size or failed verdict" "" \
  "$(dissect2 "$cap" "${p[@]}" -Y 'pfs.third_child || pfs.data_past_size || pfs.verdict_failed' -T fields -e frame.number)"
for what in "pfs.type == 1 && pfs.state == 1:ClaimRoot(tent)" "pfs.type == 1 && pfs.state == 2:ClaimRoot(conf)" \
            "pfs.type == 2:Ad" "pfs.type == 6:XfrCmd" "pfs.type == 7:DATA" "pfs.type == 9:VERDICT"; do
  n=$(dissect "$cap" "${p[@]}" -Y "${what%%:*}" -T fields -e frame.number | wc -l)
  if [ "$n" -gt 0 ]; then ok "shows ${what#*:} ($n frames)"; else fail "no ${what#*:}"; fi
done
tree=$(dissect "$cap" "${p[@]}" -q -z pfs,tree)
# "CP-7961G /dnld/NAME" then " root XIDxxxxxxxx" lines: NAME ROOT pairs, sorted.
ours=$(awk '/^ [^ ].* \/dnld\// {f = $2; sub("/dnld/", "", f)} /^  root XID/ {r = $2; sub("XID", "", r); print f, r}' <<<"$tree" | sort)
theirs=$(python3 -c 'import json, sys
for f in json.load(open(sys.argv[1]))["files"]:
    if not f.get("anchor_fetches"):  # the .loads: the trust anchor, no hierarchy
        print(f["name"], f["root"])' "$lab/summary.json" | sort)
same "the same root per file as summary.json" "$theirs" "$ours"
finish
