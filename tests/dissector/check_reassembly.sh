#!/usr/bin/env bash
# TCP reassembly: one stream (ACCEPT, XFRCMD, DATA, XFREND) cut at every
# byte boundary, one TCP connection per cut, then sent a byte per segment,
# then whole in one segment: every connection decodes to the same messages.
. "$(dirname "$0")/lib.sh"

c=$(cap cuts)
per_stream=$(dissect2 "$c" -Y pfs.type -T fields -e tcp.stream -e pfs.type -E occurrence=a |
  awk -F'\t' '{s[$1] = s[$1] (s[$1] == "" ? "" : ",") $2} END {for (k in s) print k, s[k]}' | sort -n)
streams=$(wc -l <<<"$per_stream")
whole=$(tail -1 <<<"$per_stream" | cut -d' ' -f2)
same "the stream's messages" "4,6,7,8" "$whole"
bad=$(awk -v w="$whole" '$2 != w' <<<"$per_stream")
same "all $streams connections (every cut, bytewise, whole) decode alike" "" "$bad"
n=$(dissect "$c" -Y pfs.type -T fields -e tcp.stream | sort -u | wc -l)
same "every connection carries PFS" "$streams" "$n"
len=$(dissect "$c" -Y 'tcp.stream == 0 && tcp.len > 0' -T fields -e tcp.len | awk '{s += $1} END {print s}')
same "one connection per cut of the $len bytes, plus bytewise and whole" "$((len - 1 + 2))" "$streams"
info=$(dissect2 "$c" -Y "tcp.stream == $((streams - 1)) && pfs.type" -T fields -e _ws.col.Info)
same "several messages in one segment all reach Info" 3 "$(grep -o ' | ' <<<"$info" | wc -l)"
same "no malformed message at any cut" "" "$(dissect "$c" -Y '_ws.malformed || pfs.short || pfs.bad_magic || pfs.bad_length' -T fields -e frame.number)"
finish
