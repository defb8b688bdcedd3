#!/usr/bin/env bash
# Goldens: the codec's golden vectors (and the session, faults and foreign
# captures written from docs/protocol.md) dissected with -T fields and -V,
# compared with the checked-in expected output in golden/.
# PFS_UPDATE_GOLDEN=1 rewrites them (review the diff before committing).
. "$(dirname "$0")/lib.sh"

FIELDS=(-e frame.number -e pfs.type -e pfs.flags -e pfs.length -e pfs.xid -e pfs.hier
        -e pfs.state -e pfs.seq -e pfs.depth -e pfs.free -e pfs.map -e pfs.strength -e pfs.root
        -e pfs.addr -e pfs.port -e pfs.model -e pfs.file -e pfs.try -e pfs.index -e pfs.reason
        -e pfs.count -e pfs.hint.xid -e pfs.hint.addr -e pfs.hint.port -e pfs.size -e pfs.source
        -e pfs.origin -e pfs.sha256 -e pfs.offset -e pfs.len -e pfs.verdict -e pfs.bytes
        -e pfs.tlv.type -e pfs.tlv.len -e pfs.tlv.uptime -e pfs.tlv.firmware -e pfs.tlv.value)
STATE=(-e frame.number -e _ws.col.Info -e pfs.h.model -e pfs.h.file -e pfs.xfr.cmd_in
       -e pfs.xfr.data_first -e pfs.xfr.data_last -e pfs.xfr.end_in -e pfs.xfr.verdict_in
       -e pfs.xfr.time -e pfs.xfr.rate -e _ws.expert.message)

g=$(cap golden)
golden golden.fields "$(dissect2 "$g" -Y pfs -T fields -E occurrence=a "${FIELDS[@]}")"
golden golden.verbose "$(dissect2 "$g" -Y pfs -O pfs -V)"
golden golden.info "$(dissect2 "$g" -Y pfs -T fields "${STATE[@]}")"

s=$(cap session)
golden session.info "$(dissect2 "$s" -Y pfs -T fields "${STATE[@]}")"
golden session.tree "$(dissect "$s" -q -z pfs,tree)"
golden faults.info "$(dissect2 "$(cap faults)" -Y pfs -T fields "${STATE[@]}")"
golden foreign.info "$(dissect2 "$(cap foreign)" -Y 'pfs || tftp' -T fields -e frame.number \
  -e _ws.col.Protocol -e _ws.col.Info -e pfs.vendor.role -e pfs.vendor.len -e _ws.expert.message)"
finish
