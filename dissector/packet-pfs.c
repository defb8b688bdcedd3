/*
 * packet-pfs.c - PFS (Peer Firmware Sharing, docs/protocol.md) on port 4051.
 *
 * UDP carries one message per datagram, TCP a stream of messages framed by
 * the header's length (tcp_dissect_pdus with libpfs's pfs_frame_len). Every
 * message is decoded by libpfs itself; this file only decides what the
 * bytes are, sets the columns and raises the expert infos. Real phones speak
 * Cisco's unpublished format on the same port: bytes without our header
 * are vendor payload, shown and counted, never malformed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "pfs_dissector.h"

#include <epan/conversation.h>
#include <epan/prefs.h>
#include <epan/to_str.h>
#include <epan/proto_data.h>
#include <epan/tap.h>
#include <epan/dissectors/packet-tcp.h>

int proto_pfs = -1;
int pfs_tap = -1;

static int hf_vendor = -1;
static int hf_vendor_role = -1;
static int hf_vendor_len = -1;
static int hf_gen_model = -1;
static int hf_gen_file = -1;
static int hf_gen_named_in = -1;
static int hf_xfr_cmd_in = -1;
static int hf_xfr_data_first = -1;
static int hf_xfr_data_last = -1;
static int hf_xfr_end_in = -1;
static int hf_xfr_verdict_in = -1;
static int hf_xfr_abort_in = -1;
static int hf_xfr_time = -1;
static int hf_xfr_rate = -1;
static int hf_data_end = -1;
static int hf_ad_prev = -1;
static int hf_lost_rest = -1;

static gint ett_vendor = -1;
static gint ett_xfer = -1;

/* One expert field per §5 fault, indexed by -rc (PFS_E_SHORT .. PFS_E_TLV). */
static expert_field ei_fault[1 - PFS_E_TLV];
static expert_field ei_not_pfs = EI_INIT;
static expert_field ei_ad_gap = EI_INIT;
static expert_field ei_join_full = EI_INIT;
static expert_field ei_third_child = EI_INIT;
static expert_field ei_past_size = EI_INIT;
static expert_field ei_verdict_bad = EI_INIT;
static expert_field ei_abort = EI_INIT;
static expert_field ei_two_roots = EI_INIT;
static expert_field ei_lost = EI_INIT;

static dissector_handle_t pfs_udp_handle;
static dissector_handle_t pfs_tcp_handle;

static gboolean pfs_desegment = TRUE;
static gboolean pfs_follow_ports = TRUE;

/* Packet-scoped keys: how many messages, and how many TCP segments, this
 * dissection of the frame has handled so far. */
#define PFS_KEY_ORDINAL 0
#define PFS_KEY_SEGMENT 1

static const value_string vendor_role_vals[] = {
    {PFS_VR_BROADCAST, "broadcast advertisement"},
    {PFS_VR_UDP, "datagram"},
    {PFS_VR_TO_PARENT, "child to parent connection"},
    {PFS_VR_TRANSFER, "bytes of a transfer"},
    {0, NULL},
};

const char *pfs_vendor_role_name(enum pfs_vendor_role r)
{
    return val_to_str_const(r, vendor_role_vals, "unknown");
}

/* The packet-scoped counter key: its value before this call (0 the first time). */
static guint next_count(packet_info *pinfo, guint32 key)
{
    guint n = GPOINTER_TO_UINT(p_get_proto_data(pinfo->pool, pinfo, proto_pfs, key));
    p_add_proto_data(pinfo->pool, pinfo, proto_pfs, key, GUINT_TO_POINTER(n + 1));
    return n;
}

/* Ordinal of the message about to be shown in this frame (0 for the first). */
static guint next_ordinal(packet_info *pinfo)
{
    return next_count(pinfo, PFS_KEY_ORDINAL);
}

/* Several messages in one segment all reach the Info column. */
static void set_info(packet_info *pinfo, guint ordinal, const char *text)
{
    col_set_str(pinfo->cinfo, COL_PROTOCOL, "PFS");
    if (ordinal == 0) {
        col_clear(pinfo->cinfo, COL_INFO);
        col_add_str(pinfo->cinfo, COL_INFO, text);
    } else {
        col_append_sep_str(pinfo->cinfo, COL_INFO, " | ", text);
    }
}

/* ---- what the capture's state adds to a message ---- */

static proto_item *add_frame(proto_tree *tree, int hf, tvbuff_t *tvb, guint32 frame)
{
    proto_item *it = proto_tree_add_uint(tree, hf, tvb, 0, 0, frame);
    proto_item_set_generated(it);
    return it;
}

/* Model and file of H on messages that carry only H. */
static void add_learnt(proto_tree *tree, tvbuff_t *tvb, const struct pfs_msg *m, const struct pfs_pdu_info *pi)
{
    if (m->type == PFS_T_CLAIM || m->type == PFS_T_AD || m->type == PFS_T_JOIN || !pi->model)
        return;
    proto_item_set_generated(proto_tree_add_string(tree, hf_gen_model, tvb, 0, 0, pi->model));
    proto_item_set_generated(proto_tree_add_string(tree, hf_gen_file, tvb, 0, 0, pi->file));
    add_frame(tree, hf_gen_named_in, tvb, pi->named_frame);
}

static void add_xfer_links(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const struct pfs_xfer *x)
{
    proto_tree *t = proto_tree_add_subtree_format(tree, tvb, 0, 0, ett_xfer, NULL,
                                                  "Transfer of %s, %u bytes", x->file ? x->file : "?",
                                                  x->size);
    if (x->cmd_frame && x->cmd_frame != pinfo->num)
        add_frame(t, hf_xfr_cmd_in, tvb, x->cmd_frame);
    if (x->first_data_frame)
        add_frame(t, hf_xfr_data_first, tvb, x->first_data_frame);
    if (x->last_data_frame)
        add_frame(t, hf_xfr_data_last, tvb, x->last_data_frame);
    if (x->end_frame && x->end_frame != pinfo->num)
        add_frame(t, hf_xfr_end_in, tvb, x->end_frame);
    if (x->verdict_frame && x->verdict_frame != pinfo->num)
        add_frame(t, hf_xfr_verdict_in, tvb, x->verdict_frame);
    if (x->abort_frame && x->abort_frame != pinfo->num)
        add_frame(t, hf_xfr_abort_in, tvb, x->abort_frame);
    if (x->end_frame) {
        nstime_t d;
        nstime_delta(&d, &x->end_time, &x->cmd_time);
        proto_item_set_generated(proto_tree_add_time(t, hf_xfr_time, tvb, 0, 0, &d));
        double secs = nstime_to_sec(&d);
        if (secs > 0) {
            proto_item *it = proto_tree_add_double(t, hf_xfr_rate, tvb, 0, 0, x->bytes / secs);
            proto_item_set_generated(it);
        }
    }
}

static void add_state(proto_tree *tree, tvbuff_t *tvb, proto_item *top, packet_info *pinfo,
                      const struct pfs_msg *m, const struct pfs_pdu_info *pi)
{
    add_learnt(tree, tvb, m, pi);
    if (pi->xfer)
        add_xfer_links(tree, tvb, pinfo, pi->xfer);
    if (m->type == PFS_T_DATA)
        proto_item_set_generated(proto_tree_add_uint(tree, hf_data_end, tvb, 0, 0, pi->data_end));
    if (pi->ad_expected) {
        add_frame(tree, hf_ad_prev, tvb, pi->ad_prev_frame);
        expert_add_info_format(pinfo, top, &ei_ad_gap, "Ad gap: Ad %u expected, Ad %u seen",
                               pi->ad_expected, m->u.claim.seq);
    }
    if (pi->full_frame)
        expert_add_info_format(pinfo, top, &ei_join_full,
                               "JOIN sent to a parent that said FULL in frame %u", pi->full_frame);
    if (pi->third_child)
        expert_add_info(pinfo, top, &ei_third_child);
    if (pi->past_size)
        expert_add_info_format(pinfo, top, &ei_past_size,
                               "DATA ends at byte %u, past the %u bytes XFRCMD declared",
                               pi->data_end, pi->xfer ? pi->xfer->size : 0);
    if (pi->first_root)
        expert_add_info_format(pinfo, top, &ei_two_roots,
                               "Second root for H=%08X: XID%08X was confirmed in frame %u",
                               m->hier, pi->first_root, pi->first_root_frame);
    if (m->type == PFS_T_VERDICT && m->u.verdict.verdict != PFS_V_OK)
        expert_add_info_format(pinfo, top, &ei_verdict_bad, "Transfer failed: verdict %s",
                               pfs_verdict_name(m->u.verdict.verdict));
    if (m->type == PFS_T_ABORT)
        expert_add_info_format(pinfo, top, &ei_abort, "ABORT: %s",
                               pfs_reason_name(m->u.reason.reason));
}

/* ---- one PFS message ---- */

static void queue_tap(packet_info *pinfo, const struct pfs_msg *m, int rc,
                      const struct pfs_pdu_info *pi)
{
    struct pfs_tap_rec *r = wmem_new0(pinfo->pool, struct pfs_tap_rec);
    r->rc = rc;
    if (rc == PFS_OK) {
        r->type = m->type;
        r->xid = m->xid;
        r->hier = m->hier;
        if (m->type == PFS_T_CLAIM || m->type == PFS_T_AD)
            r->state = m->u.claim.state;
        if (m->type == PFS_T_DATA)
            r->data_len = m->u.data.len;
        if (pi) {
            r->model = pi->model;
            r->file = pi->file;
        }
    }
    tap_queue_packet(pfs_tap, pinfo, r);
}

static void fault_info(packet_info *pinfo, guint ordinal, tvbuff_t *tvb, int rc)
{
    const char *type = "?";
    if (tvb_captured_length(tvb) >= 4)
        type = pfs_fields_type_name(tvb_get_guint8(tvb, 3));
    set_info(pinfo, ordinal, wmem_strdup_printf(pinfo->pool, "Malformed %s: %s", type,
                                                pfs_strerror(rc)));
}

/* tvb holds exactly one message (TCP) or one datagram (UDP). */
static int dissect_pfs_msg(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, gboolean tcp)
{
    guint len = tvb_captured_length(tvb);
    struct pfs_msg m;
    proto_item *top, *at;
    guint ordinal = next_ordinal(pinfo);
    int rc = pfs_fields_dissect(tvb, tree, tcp, &m, &top, &at);
    proto_tree *mt = proto_item_get_subtree(top);
    if (rc != PFS_OK) {
        fault_info(pinfo, ordinal, tvb, rc);
        if (-rc > 0 && -rc < (int)G_N_ELEMENTS(ei_fault))
            expert_add_info_format(pinfo, at, &ei_fault[-rc], "Malformed PFS message: %s",
                                   pfs_strerror(rc));
        queue_tap(pinfo, &m, rc, NULL);
        return (int)len;
    }

    char line[512];
    pfs_format(line, sizeof line, "Tx", &m);
    set_info(pinfo, ordinal, wmem_strdup(pinfo->pool, line));

    struct pfs_pdu_info *pi = pfs_track(pinfo, &m, tcp, ordinal);
    add_state(mt ? mt : tree, tvb, top, pinfo, &m, pi);
    queue_tap(pinfo, &m, rc, pi);
    return (int)len;
}

static int dissect_pfs_tcp_pdu(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    return dissect_pfs_msg(tvb, pinfo, tree, TRUE);
}

/* ---- vendor payload: port-4051 bytes without our header ---- */

static enum pfs_vendor_role vendor_role(packet_info *pinfo, gboolean tcp, guint32 listen_port)
{
    if (!tcp) {
        const guint8 *d = pinfo->dst.type == AT_IPv4 ? (const guint8 *)pinfo->dst.data : NULL;
        gboolean bcast = d && d[3] == 255;
        return bcast ? PFS_VR_BROADCAST : PFS_VR_UDP;
    }
    return pinfo->destport == listen_port ? PFS_VR_TO_PARENT : PFS_VR_TRANSFER;
}

static int dissect_vendor(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, gboolean tcp)
{
    guint32 port = pinfo->match_uint ? pinfo->match_uint : PFS_PORT;
    enum pfs_vendor_role role = vendor_role(pinfo, tcp, port);
    guint len = tvb_reported_length(tvb);
    guint ordinal = next_ordinal(pinfo);

    set_info(pinfo, ordinal, wmem_strdup_printf(pinfo->pool, "Vendor payload (%s), %u bytes",
                                                pfs_vendor_role_name(role), len));
    proto_item *ti = proto_tree_add_item(tree, proto_pfs, tvb, 0, -1, ENC_NA);
    proto_item_append_text(ti, ", vendor payload");
    proto_tree *t = proto_item_add_subtree(ti, ett_vendor);
    proto_item *vi = proto_tree_add_item(t, hf_vendor, tvb, 0, -1, ENC_NA);
    proto_item_set_generated(proto_tree_add_uint(t, hf_vendor_role, tvb, 0, 0, role));
    proto_item_set_generated(proto_tree_add_uint(t, hf_vendor_len, tvb, 0, 0, len));
    expert_add_info(pinfo, vi, &ei_not_pfs);

    struct pfs_tap_rec *r = wmem_new0(pinfo->pool, struct pfs_tap_rec);
    r->vendor = TRUE;
    r->role = role;
    r->host = address_to_str(pinfo->pool, &pinfo->src);
    tap_queue_packet(pfs_tap, pinfo, r);
    return (int)tvb_captured_length(tvb);
}

/* The bytes at hand are a prefix of "PF" + version 1 (a split header counts). */
static gboolean starts_like_pfs(tvbuff_t *tvb)
{
    static const guint8 sig[3] = {PFS_MAGIC >> 8, PFS_MAGIC & 0xff, PFS_VERSION_1};
    guint n = MIN(tvb_captured_length(tvb), 3);
    for (guint i = 0; i < n; i++) {
        if (tvb_get_guint8(tvb, i) != sig[i])
            return FALSE;
    }
    return n > 0;
}

/* Only "PF" marks our header: anything else on the port is someone else's format. */
static gboolean has_magic(tvbuff_t *tvb)
{
    return tvb_captured_length(tvb) >= 2 && tvb_get_ntohs(tvb, 0) == PFS_MAGIC;
}

/* ---- entry points ---- */

static int dissect_pfs_udp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    if (!has_magic(tvb))
        return dissect_vendor(tvb, pinfo, tree, FALSE);
    return dissect_pfs_msg(tvb, pinfo, tree, FALSE);
}


static guint get_pfs_pdu_len(packet_info *pinfo _U_, tvbuff_t *tvb, int offset, void *data _U_)
{
    /* Without reassembly TCP may ask with fewer than a header's bytes at hand. */
    guint8 hdr[PFS_HDR_LEN];
    guint have = MIN((guint)tvb_captured_length_remaining(tvb, offset), sizeof hdr);
    tvb_memcpy(tvb, hdr, offset, have);
    long n = pfs_frame_len(hdr, have);
    if (n < PFS_HDR_LEN)  /* no framing can follow: the rest is one broken piece */
        return (guint)tvb_reported_length_remaining(tvb, offset);
    return (guint)n;
}

/* A whole, plausible header: magic, version, a known type, a sane length. */
static gboolean heur_header(tvbuff_t *tvb)
{
    if (tvb_captured_length(tvb) < PFS_HDR_LEN || tvb_get_ntohs(tvb, 0) != PFS_MAGIC ||
        tvb_get_guint8(tvb, 2) != PFS_VERSION_1)
        return FALSE;
    guint8 type = tvb_get_guint8(tvb, 3);
    return type >= PFS_T_CLAIM && type <= PFS_T_MAX && tvb_get_ntohs(tvb, 6) >= PFS_HDR_LEN;
}

/* The first offset at which a whole, plausible header starts, or -1. */
static gint find_header(tvbuff_t *tvb)
{
    gint len = (gint)tvb_captured_length(tvb);
    for (gint at = 0; at + PFS_HDR_LEN <= len; at++) {
        at = tvb_find_guint8(tvb, at, len - at, PFS_MAGIC >> 8);
        if (at < 0 || at + PFS_HDR_LEN > len)
            return -1;
        if (heur_header(tvb_new_subset_remaining(tvb, at)))
            return at;
    }
    return -1;
}

/*
 * Messages from offset at to the end of a segment, framed by hand: what
 * tcp_dissect_pdus does from offset 0, for a segment whose first bytes are
 * the rest of a lost message. An unfinished last message asks TCP for
 * more, with the offset counted in TCP's own tvb.
 */
static void dissect_from(tvbuff_t *tvb, gint at, packet_info *pinfo, proto_tree *tree)
{
    gint len = (gint)tvb_captured_length(tvb);
    while (at < len) {
        guint need = 0;
        if (len - at < PFS_HDR_LEN)
            need = DESEGMENT_ONE_MORE_SEGMENT;
        else if ((gint)get_pfs_pdu_len(pinfo, tvb, at, NULL) > len - at)
            need = get_pfs_pdu_len(pinfo, tvb, at, NULL) - (guint)(len - at);
        if (need && pfs_desegment && pinfo->can_desegment) {
            pinfo->desegment_offset = at;
            pinfo->desegment_len = need;
            return;
        }
        gint n = need ? len - at : (gint)get_pfs_pdu_len(pinfo, tvb, at, NULL);
        dissect_pfs_msg(tvb_new_subset_length(tvb, at, n), pinfo, tree, TRUE);
        at += n;
    }
}

/*
 * After bytes the capture lost, a segment starts inside a message: its
 * first bytes are shown as the rest of a message whose start is missing
 * (a note, not a fault), and decoding resumes at the next header.
 */
static void dissect_lost(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree)
{
    gint at = find_header(tvb);
    gint n = at < 0 ? (gint)tvb_captured_length(tvb) : at;
    proto_item *ti = proto_tree_add_item(tree, proto_pfs, tvb, 0, n, ENC_NA);
    proto_item_append_text(ti, ", rest of a message whose start was not captured");
    proto_tree *t = proto_item_add_subtree(ti, ett_vendor);
    proto_item *ci = proto_tree_add_item(t, hf_lost_rest, tvb, 0, n, ENC_NA);
    expert_add_info(pinfo, ci, &ei_lost);
    set_info(pinfo, next_ordinal(pinfo),
             wmem_strdup_printf(pinfo->pool, "[%d bytes of a message whose start was not captured]", n));
    if (at >= 0)
        dissect_from(tvb, at, pinfo, tree);
}

static int dissect_pfs_tcp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    int len = (int)tvb_captured_length(tvb);
    gboolean pfs_start = starts_like_pfs(tvb);
    if (!pfs_start && !pfs_track_tcp_seen(pinfo))
        return dissect_vendor(tvb, pinfo, tree, TRUE);
    gboolean has_header = pfs_start || find_header(tvb) >= 0;
    gboolean lost = pfs_track_tcp_lost(pinfo, data, next_count(pinfo, PFS_KEY_SEGMENT), pfs_start,
                                       has_header);
    pfs_track_tcp_mark(pinfo);
    if (lost) {
        dissect_lost(tvb, pinfo, tree);
        return len;
    }
    tcp_dissect_pdus(tvb, pinfo, tree, pfs_desegment, PFS_HDR_LEN, get_pfs_pdu_len,
                     dissect_pfs_tcp_pdu, data);
    return len;
}

static gboolean dissect_pfs_heur_udp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    if (!heur_header(tvb) || tvb_get_ntohs(tvb, 6) != tvb_reported_length(tvb))
        return FALSE;
    dissect_pfs_msg(tvb, pinfo, tree, FALSE);
    return TRUE;
}

static gboolean dissect_pfs_heur_tcp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    if (!heur_header(tvb))
        return FALSE;
    /* The rest of this connection is ours, whatever its segments start with. */
    conversation_set_dissector(find_or_create_conversation(pinfo), pfs_tcp_handle);
    dissect_pfs_tcp(tvb, pinfo, tree, data);
    return TRUE;
}

/*
 * A parent advertises where children reach it (CLAIM/AD addr and port), and
 * that port may be other than 4051: the pair becomes a TCP conversation
 * handed to us, so the child's connection decodes too.
 */
void pfs_follow_advertised(packet_info *pinfo, guint32 addr, guint16 port)
{
    if (!pfs_follow_ports || port == 0 || addr == 0 || PINFO_FD_VISITED(pinfo))
        return;
    guint32 nbo = g_htonl(addr);
    address a;
    set_address(&a, AT_IPv4, 4, &nbo);
    if (find_conversation(pinfo->num, &a, &a, CONVERSATION_TCP, port, port,
                          NO_ADDR_B | NO_PORT_B))
        return;
    conversation_t *c = conversation_new(pinfo->num, &a, NULL, CONVERSATION_TCP, port, 0,
                                         NO_ADDR2 | NO_PORT2);
    conversation_set_dissector(c, pfs_tcp_handle);
}

/* ---- registration ---- */

static void register_local_fields(void)
{
    static hf_register_info hf[] = {
        {&hf_vendor, {"Vendor payload", "pfs.vendor", FT_BYTES, BASE_NONE, NULL, 0,
                      "Port-4051 bytes without a PFS header (Cisco's own format)", HFILL}},
        {&hf_vendor_role, {"Vendor payload role", "pfs.vendor.role", FT_UINT8, BASE_DEC,
                           VALS(vendor_role_vals), 0, "What the traffic itself says", HFILL}},
        {&hf_vendor_len, {"Vendor payload length", "pfs.vendor.len", FT_UINT32, BASE_DEC, NULL, 0,
                          NULL, HFILL}},
        {&hf_gen_model, {"Model (learnt)", "pfs.h.model", FT_STRING, BASE_NONE, NULL, 0,
                         "Model of this H, from the CLAIM, AD or JOIN that named it", HFILL}},
        {&hf_gen_file, {"File (learnt)", "pfs.h.file", FT_STRING, BASE_NONE, NULL, 0,
                        "File of this H, from the CLAIM, AD or JOIN that named it", HFILL}},
        {&hf_gen_named_in, {"H named in", "pfs.h.named_in", FT_FRAMENUM, BASE_NONE,
                            FRAMENUM_TYPE(FT_FRAMENUM_NONE), 0, NULL, HFILL}},
        {&hf_xfr_cmd_in, {"XFRCMD in", "pfs.xfr.cmd_in", FT_FRAMENUM, BASE_NONE,
                          FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0, NULL, HFILL}},
        {&hf_xfr_data_first, {"First DATA in", "pfs.xfr.data_first", FT_FRAMENUM, BASE_NONE,
                              FRAMENUM_TYPE(FT_FRAMENUM_NONE), 0, NULL, HFILL}},
        {&hf_xfr_data_last, {"Last DATA in", "pfs.xfr.data_last", FT_FRAMENUM, BASE_NONE,
                             FRAMENUM_TYPE(FT_FRAMENUM_NONE), 0, NULL, HFILL}},
        {&hf_xfr_end_in, {"XFREND in", "pfs.xfr.end_in", FT_FRAMENUM, BASE_NONE,
                          FRAMENUM_TYPE(FT_FRAMENUM_NONE), 0, NULL, HFILL}},
        {&hf_xfr_verdict_in, {"VERDICT in", "pfs.xfr.verdict_in", FT_FRAMENUM, BASE_NONE,
                              FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0, NULL, HFILL}},
        {&hf_xfr_abort_in, {"ABORT in", "pfs.xfr.abort_in", FT_FRAMENUM, BASE_NONE,
                            FRAMENUM_TYPE(FT_FRAMENUM_NONE), 0, NULL, HFILL}},
        {&hf_xfr_time, {"Transfer time", "pfs.xfr.time", FT_RELATIVE_TIME, BASE_NONE, NULL, 0,
                        "From XFRCMD to XFREND", HFILL}},
        {&hf_xfr_rate, {"Throughput (bytes/s)", "pfs.xfr.rate", FT_DOUBLE, BASE_NONE, NULL, 0,
                        "DATA bytes over the transfer time", HFILL}},
        {&hf_data_end, {"Data ends at", "pfs.data_end", FT_UINT32, BASE_DEC, NULL, 0,
                        "offset + len", HFILL}},
        {&hf_lost_rest, {"Rest of a message", "pfs.lost_rest", FT_BYTES, BASE_NONE, NULL, 0,
                          "Bytes after a gap in the capture, before the next PFS header", HFILL}},
        {&hf_ad_prev, {"Previous Ad in", "pfs.ad_prev_in", FT_FRAMENUM, BASE_NONE,
                       FRAMENUM_TYPE(FT_FRAMENUM_NONE), 0, NULL, HFILL}},
    };
    static gint *ett[] = {&ett_vendor, &ett_xfer};
    proto_register_field_array(proto_pfs, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
}

static void register_experts(void)
{
    static ei_register_info ei[] = {
        {&ei_fault[-PFS_E_SHORT], {"pfs.short", PI_MALFORMED, PI_ERROR,
                                   "Truncated: fewer bytes than the header or its length", EXPFILL}},
        {&ei_fault[-PFS_E_MAGIC], {"pfs.bad_magic", PI_MALFORMED, PI_ERROR, "Bad magic", EXPFILL}},
        {&ei_fault[-PFS_E_VERSION], {"pfs.bad_version", PI_MALFORMED, PI_ERROR, "Bad version",
                                     EXPFILL}},
        {&ei_fault[-PFS_E_LENGTH], {"pfs.bad_length", PI_MALFORMED, PI_ERROR,
                                    "Length mismatch", EXPFILL}},
        {&ei_fault[-PFS_E_STRLEN], {"pfs.string_too_long", PI_MALFORMED, PI_ERROR,
                                    "String over its maximum", EXPFILL}},
        {&ei_fault[-PFS_E_MODEL], {"pfs.bad_model", PI_MALFORMED, PI_ERROR, "Bad model",
                                   EXPFILL}},
        {&ei_fault[-PFS_E_PATH], {"pfs.bad_path", PI_MALFORMED, PI_ERROR, "Bad file path",
                                  EXPFILL}},
        {&ei_fault[-PFS_E_SIZE], {"pfs.size_too_big", PI_MALFORMED, PI_ERROR,
                                  "Size over the maximum", EXPFILL}},
        {&ei_fault[-PFS_E_TYPE], {"pfs.unknown_type", PI_MALFORMED, PI_ERROR,
                                  "Unknown message type", EXPFILL}},
        {&ei_fault[-PFS_E_FIELD], {"pfs.field_out_of_range", PI_MALFORMED, PI_ERROR,
                                   "Field out of range", EXPFILL}},
        {&ei_fault[-PFS_E_TLV], {"pfs.bad_tlv", PI_MALFORMED, PI_ERROR, "Bad TLV", EXPFILL}},
        {&ei_not_pfs, {"pfs.vendor_payload", PI_PROTOCOL, PI_NOTE,
                       "No PFS header: vendor payload (not decoded)", EXPFILL}},
        {&ei_ad_gap, {"pfs.ad_gap", PI_SEQUENCE, PI_WARN, "Ad sequence gap", EXPFILL}},
        {&ei_join_full, {"pfs.join_to_full", PI_PROTOCOL, PI_WARN, "JOIN sent to a FULL parent",
                         EXPFILL}},
        {&ei_third_child, {"pfs.third_child", PI_PROTOCOL, PI_ERROR,
                           "Third child accepted: a parent has at most two", EXPFILL}},
        {&ei_past_size, {"pfs.data_past_size", PI_PROTOCOL, PI_ERROR,
                         "DATA past the declared size", EXPFILL}},
        {&ei_verdict_bad, {"pfs.verdict_failed", PI_RESPONSE_CODE, PI_ERROR,
                           "Transfer failed (verdict)", EXPFILL}},
        {&ei_abort, {"pfs.aborted", PI_RESPONSE_CODE, PI_WARN, "Transfer aborted", EXPFILL}},
        {&ei_lost, {"pfs.not_captured", PI_SEQUENCE, PI_NOTE,
                    "The start of this message was not captured", EXPFILL}},
        {&ei_two_roots, {"pfs.two_roots", PI_PROTOCOL, PI_WARN,
                         "Two roots confirmed for one hierarchy", EXPFILL}},
    };
    expert_module_t *em = expert_register_protocol(proto_pfs);
    expert_register_field_array(em, ei, array_length(ei));
}

void proto_register_pfs(void)
{
    proto_pfs = proto_register_protocol("Peer Firmware Sharing", "PFS", "pfs");
    pfs_fields_register(proto_pfs);
    register_local_fields();
    register_experts();

    module_t *m = prefs_register_protocol(proto_pfs, NULL);
    prefs_register_bool_preference(m, "desegment",
        "Reassemble PFS messages spanning several TCP segments",
        "Whether the PFS dissector should reassemble messages spanning several TCP segments. "
        "Needs \"Allow subdissectors to reassemble TCP streams\" in the TCP preferences.",
        &pfs_desegment);
    prefs_register_bool_preference(m, "follow_advertised",
        "Decode TCP connections to advertised ports",
        "A CLAIM or AD advertises the sender's TCP address and port; decode connections to it "
        "as PFS even when the port is not 4051.",
        &pfs_follow_ports);

    pfs_udp_handle = register_dissector("pfs.udp", dissect_pfs_udp, proto_pfs);
    pfs_tcp_handle = register_dissector("pfs.tcp", dissect_pfs_tcp, proto_pfs);
    pfs_tap = register_tap("pfs");
}

void proto_reg_handoff_pfs(void)
{
    dissector_add_uint_with_preference("udp.port", PFS_PORT, pfs_udp_handle);
    dissector_add_uint_with_preference("tcp.port", PFS_PORT, pfs_tcp_handle);
    heur_dissector_add("udp", dissect_pfs_heur_udp, "PFS over UDP", "pfs_udp", proto_pfs,
                       HEURISTIC_ENABLE);
    heur_dissector_add("tcp", dissect_pfs_heur_tcp, "PFS over TCP", "pfs_tcp", proto_pfs,
                       HEURISTIC_ENABLE);
    pfs_stats_register();
}
