#!/usr/bin/env bash
# Robustness: every test capture mutated by editcap -E (several seeds) and
# random packets from randpkt, decoded as PFS with the whole tree built,
# under WIRESHARK_ABORT_ON_DISSECTOR_BUG=1 (set by pfs_tshark): tshark never
# crashes or asserts; broken messages show as expert info.
. "$(dirname "$0")/lib.sh"

run() {  # run NAME FILE ARGS: full dissection, must exit 0
  local rc=0
  dissect "$2" -V "${@:3}" > "$WORK/out" 2> "$WORK/err" || rc=$?
  if [ "$rc" -eq 0 ]; then ok "$1"; else fail "$1: tshark exit $rc"; tail -3 "$WORK/err"; fi
}

for sc in golden session faults foreign cuts; do
  for seed in 1 2 3; do
    editcap -E 0.03 --seed "$seed" "$(cap "$sc")" "$WORK/$sc-E$seed.pcap" 2>/dev/null
    chmod 644 "$WORK/$sc-E$seed.pcap"
    run "editcap -E 0.03 --seed $seed on $sc" "$WORK/$sc-E$seed.pcap"
  done
done
same "mutated messages show as malformed PFS" yes \
  "$(dissect "$WORK/session-E1.pcap" -Y 'pfs && _ws.expert.group == 0x07000000' -T fields -e frame.number | awk 'NF {n++} END {exit !n}' && echo yes)"
for t in udp tcp; do
  randpkt -t "$t" -b 1500 -c 400 "$WORK/rand-$t.pcap"
  chmod 644 "$WORK/rand-$t.pcap"
  run "randpkt $t decoded as PFS on every port" "$WORK/rand-$t.pcap" -d "$t.port==1-65535,pfs"
done
finish
