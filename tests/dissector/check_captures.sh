#!/usr/bin/env bash
# The captures of docs/protocol.md's cases, written without our codec:
# Ethernet, Linux cooked and pcapng; TCP split inside headers and strings,
# retransmitted and out-of-order segments, sequence numbers that wrap;
# every fault of section 5; foreign payload on 4051; TFTP beside PFS; the
# TCP port a parent advertises; the port as a preference and Decode As.
. "$(dirname "$0")/lib.sh"

msgs() {  # the PFS messages of a capture, one a line: type xid offset
  dissect2 "$@" -Y pfs.type -T fields -E occurrence=a -e pfs.type -e pfs.xid -e pfs.offset
}
ref=$(msgs "$(cap session)")
same "the session has its 38 messages" 38 "$(tr '\t' '\n' <<<"$(cut -f1 <<<"$ref")" | tr ',' '\n' | grep -c .)"

same "Linux cooked capture" "$ref" "$(msgs "$(cap session --link sll)")"
editcap -F pcapng "$(cap session)" "$WORK/session.pcapng"
chmod 644 "$WORK/session.pcapng"
same "pcapng capture" "$ref" "$(msgs "$WORK/session.pcapng")"
same "TCP cut every 7 bytes (inside headers and strings)" "$ref" "$(msgs "$(cap session --cut 7)")"
same "TCP cut every 3 bytes" "$ref" "$(msgs "$(cap session --cut 3)")"
same "retransmitted segments" "$ref" "$(msgs "$(cap session --cut 7 --retransmit)")"
same "sequence numbers that wrap" "$ref" "$(msgs "$(cap session --cut 7 --isn 0xffffff00)")"
# Out-of-order bytes inside a message reach us in order only when TCP
# reassembles them (its "reassemble out-of-order segments" preference).
quirks=$(cap session --cut 7 --retransmit --reorder --isn 0xfffffff0)
same "out-of-order segments (tcp.reassemble_out_of_order)" "$ref" \
  "$(msgs "$quirks" -o tcp.reassemble_out_of_order:TRUE)"
same "out-of-order without TCP reassembly: nothing malformed" "" \
  "$(dissect "$quirks" -Y '_ws.malformed' -T fields -e frame.number)"

# Segments missing from the capture: the rest of a message whose start was
# lost is a note, never malformed, and decoding resumes at the next header.
lost=$(cap session --cut 700 --lose 3)
same "lost segments: nothing malformed" "" \
  "$(dissect2 "$lost" -Y '_ws.malformed || _ws.expert.group == 0x07000000' -T fields -e frame.number)"
n=$(dissect2 "$lost" -Y pfs.not_captured -T fields -e frame.number | wc -l)
if [ "$n" -gt 0 ]; then ok "lost segments: $n notes"; else fail "lost segments: no pfs.not_captured"; fi
n=$(dissect2 "$lost" -Y 'pfs.type == 8 || pfs.type == 9' -T fields -e frame.number | wc -l)
if [ "$n" -ge 4 ]; then ok "lost segments: decoding resumes ($n XFREND/VERDICT)"; else fail "lost segments: only $n XFREND/VERDICT"; fi

# The advertised port 4500 (not 4051): the child's connection decodes.
same "connection to the advertised port 4500" "JOIN ACCEPT XFRCMD DATA DATA DATA XFREND VERDICT LEAVE" \
  "$(dissect2 "$(cap session)" -Y 'tcp.port == 4500 && pfs.type' -T fields -e pfs.type -E occurrence=a \
     -o pfs.udp.port:4051 | tr ',\n' '  ' | sed 's/ *$//' | tr -s ' ' | \
     sed 's/\b3\b/JOIN/g;s/\b4\b/ACCEPT/g;s/\b6\b/XFRCMD/g;s/\b7\b/DATA/g;s/\b8\b/XFREND/g;s/\b9\b/VERDICT/g;s/\b11\b/LEAVE/g')"
none=$(dissect2 "$(cap session)" -o pfs.follow_advertised:FALSE --disable-heuristic pfs_tcp \
       -Y 'tcp.port == 4500 && pfs.type' -T fields -e frame.number | wc -l)
same "not followed when the preference is off" 0 "$none"
same "heuristic finds PFS on port 4500 alone" 9 \
  "$(dissect2 "$(cap session)" -o pfs.follow_advertised:FALSE -Y 'tcp.port == 4500 && pfs.type' \
     -T fields -e pfs.type -E occurrence=a | tr ',' '\n' | grep -c .)"

# Every fault of section 5 has its expert info.
f=$(cap faults)
for e in short bad_version bad_length string_too_long bad_model bad_path size_too_big \
         unknown_type field_out_of_range bad_tlv bad_magic ad_gap join_to_full third_child \
         data_past_size verdict_failed aborted two_roots; do
  n=$(dissect2 "$f" -Y "pfs.$e" -T fields -e frame.number | wc -l)
  if [ "$n" -ge 1 ]; then ok "expert pfs.$e"; else fail "no expert pfs.$e in the faults capture"; fi
done
same "faults are malformed PFS, not crashes" 14 \
  "$(dissect2 "$f" -Y '_ws.expert.group == 0x07000000 && pfs' -T fields -e frame.number | wc -l)"

# Foreign payload on 4051 is vendor payload, never malformed; TFTP beside PFS decodes.
v=$(cap foreign)
same "vendor payload is not malformed" "" "$(dissect "$v" -Y '_ws.malformed || _ws.expert.severity >= 8388608' -T fields -e frame.number)"
same "vendor payload roles" "1 2 3 4 4 4" "$(dissect "$v" -Y pfs.vendor -T fields -e pfs.vendor.role | tr '\n' ' ' | sed 's/ $//')"
same "TFTP beside PFS" "3 1" "$(dissect "$v" -Y tftp -T fields -e frame.number | wc -l) $(dissect "$v" -Y pfs.type -T fields -e frame.number | wc -l)"

# The port is a preference, and Decode As works: the session moved to 4230.
tcprewrite --portmap=4051:4230 --infile="$(cap session)" --outfile="$WORK/p4230.pcap"
chmod 644 "$WORK/p4230.pcap"
same "port preference" "$ref" "$(msgs "$WORK/p4230.pcap" -o pfs.udp.port:4230 -o pfs.tcp.port:4230)"
same "Decode As" "$ref" "$(msgs "$WORK/p4230.pcap" -d udp.port==4230,pfs -d tcp.port==4230,pfs)"
finish
