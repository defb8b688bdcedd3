/*
 * pfs_dissector.h - what the files of the pfs plugin share.
 *
 * packet-pfs.c  registration, UDP/TCP entry, framing, vendor payload
 * fields.c      the hf/ett rows made from libpfs's message table, the tree
 * track.c       capture state: hierarchies, Ad sequences, transfers
 * stats.c       the `pfs` stats_tree (tshark -z pfs,tree)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFS_DISSECTOR_H
#define PFS_DISSECTOR_H

#include <epan/packet.h>
#include <epan/expert.h>

#include "pfs.h"

void proto_register_pfs(void);
void proto_reg_handoff_pfs(void);

extern int proto_pfs;

/* ---- fields.c: the message table as hf rows ---- */

/* Registers the header, body, hint and TLV fields, one hf per table key. */
void pfs_fields_register(int proto);
/*
 * Decodes the one whole message in tvb (a TCP message, or a UDP datagram,
 * or the bytes at hand of a broken one) with libpfs's walking decoder and, when tree is set, adds each field
 * as it is read: header, body, hints and TLV subtrees. Returns PFS_OK or
 * the fault; *top is the message's item, *at the item of the field at
 * fault (*top when the fault is framing).
 */
int pfs_fields_dissect(tvbuff_t *tvb, proto_tree *tree, gboolean tcp, struct pfs_msg *m,
                       proto_item **top, proto_item **at);
/* The type name a filter compares against (pfs.type == ClaimRoot). */
const char *pfs_fields_type_name(unsigned type);

/* ---- track.c: state across packets, kept in conversations ---- */

/* One file transfer on one TCP connection: XFRCMD, DATA.., XFREND, VERDICT. */
struct pfs_xfer {
    guint32 hier;
    guint32 size;          /* declared by XFRCMD */
    guint32 bytes;         /* DATA bytes seen so far (first pass) */
    guint32 cmd_frame;
    guint32 first_data_frame;
    guint32 last_data_frame;
    guint32 end_frame;     /* XFREND */
    guint32 verdict_frame;
    guint32 abort_frame;
    nstime_t cmd_time;
    nstime_t end_time;
    const char *file;
};

/* What the capture so far says about one message, fixed on the first pass. */
struct pfs_pdu_info {
    const char *model;     /* learnt from the CLAIM, AD or JOIN that named H */
    const char *file;
    guint32 named_frame;   /* that message's frame */
    guint8 ad_expected;    /* != 0: an Ad gap, this seq was expected */
    guint32 ad_prev_frame;
    guint32 full_frame;    /* != 0: JOIN to a parent FULL since this frame */
    gboolean third_child;
    guint32 first_root;    /* != 0: a second root; the first one's XID */
    guint32 first_root_frame;
    gboolean past_size;    /* DATA beyond the size XFRCMD declared */
    guint32 data_end;      /* offset + len of this DATA */
    struct pfs_xfer *xfer; /* the transfer this message belongs to, or NULL */
};

/* The state-derived facts about m (first pass computes, later passes read). */
/* ordinal: which message of this frame's dissection m is (0 for the first). */
struct pfs_pdu_info *pfs_track(packet_info *pinfo, const struct pfs_msg *m, gboolean tcp,
                               guint ordinal);
/* The TCP connection carried PFS before (so non-PFS bytes are a fault, not vendor). */
gboolean pfs_track_tcp_seen(packet_info *pinfo);
void pfs_track_tcp_mark(packet_info *pinfo);
struct tcpinfo;
/*
 * Whether this segment (the seg-th handed to us in this frame) begins with
 * the rest of a message whose start the capture lost: bytes of this
 * direction went missing before it, and no header was seen since. starts:
 * the segment begins like a header; has_header: one begins somewhere in it.
 */
gboolean pfs_track_tcp_lost(packet_info *pinfo, const struct tcpinfo *ti, guint seg,
                            gboolean starts, gboolean has_header);

/* packet-pfs.c: hand TCP connections to an advertised addr:port (host order) to us. */
void pfs_follow_advertised(packet_info *pinfo, guint32 addr, guint16 port);

/* ---- stats.c ---- */

/* Vendor payload roles: what port-4051 traffic without our header is. */
enum pfs_vendor_role {
    PFS_VR_BROADCAST = 1,  /* UDP to a broadcast address: an advertisement */
    PFS_VR_UDP,            /* other UDP on the port */
    PFS_VR_TO_PARENT,      /* TCP towards the listening port: child to parent */
    PFS_VR_TRANSFER,       /* TCP from the listening port: bytes of a transfer */
};
const char *pfs_vendor_role_name(enum pfs_vendor_role r);

/* One tap record per PFS message or vendor payload. */
struct pfs_tap_rec {
    gboolean vendor;
    enum pfs_vendor_role role;
    const char *host;      /* vendor payload: the sender */
    int rc;                /* PFS_OK or the decode fault */
    guint8 type;
    guint8 state;          /* CLAIM/AD */
    guint32 xid;
    guint32 hier;
    const char *model;     /* from the message, or learnt */
    const char *file;
    guint32 data_len;      /* DATA bytes */
};

void pfs_stats_register(void);
extern int pfs_tap;

#endif
