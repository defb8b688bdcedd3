#!/usr/bin/env bash
# tshark loads the plugin, and -G fields lists one pfs. field per key of
# libpfs's message table (so the document, the codec and the dissector
# cannot drift apart).
. "$(dirname "$0")/lib.sh"

plugins=$(pfs_tshark -G plugins)
if grep -q "^pfs.so" <<<"$plugins"; then ok "tshark -G plugins lists pfs.so"; else fail "pfs.so not loaded"; echo "$plugins" | head; fi

keys=$("$PFS_TABLE_KEYS") || fail "rows sharing a key read alike (pfs_table_keys)"
fields=$(pfs_tshark -G fields | awk -F'\t' '$1 == "F" {print $3}')
missing=$(comm -23 <(sort <<<"$keys") <(sort <<<"$fields"))
same "every table key is a field" "" "$missing"
for k in pfs.type pfs.flags pfs.length pfs.xid pfs.hier pfs.state pfs.seq pfs.depth pfs.free \
         pfs.map pfs.strength pfs.root pfs.addr pfs.port pfs.model pfs.file pfs.try pfs.index \
         pfs.reason pfs.hint.xid pfs.hint.addr pfs.hint.port pfs.size pfs.source pfs.origin \
         pfs.sha256 pfs.offset pfs.verdict pfs.tlv pfs.flags.full pfs.flags.have pfs.flags.bcast \
         pfs.h.model pfs.h.file pfs.xfr.cmd_in pfs.xfr.verdict_in pfs.xfr.rate; do
  grep -qx "$k" <<<"$fields" || fail "no field $k"
done
ok "the issue's field list is registered"
protos=$(pfs_tshark -G protocols | awk -F'\t' '$3 == "pfs"')
same "protocol pfs" "Peer Firmware Sharing	PFS	pfs" "$protos"
heur=$(pfs_tshark -G heuristic-decodes | awk -F'\t' '$2 == "pfs" {print $1, $3}' | sort)
same "heuristics on UDP and TCP, on by default" "tcp T
udp T" "$heur"
decodes=$(pfs_tshark -G decodes | awk -F'\t' '$3 == "pfs" {print $1, $2}' | sort)
same "registered on TCP and UDP port 4051" "tcp.port 4051
udp.port 4051" "$decodes"
finish
