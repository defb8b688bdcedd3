/*
 * track.c - what a capture says across packets: which model and file an H
 * stands for, each sender's Ad sequence, which parents are FULL and whom
 * they accepted, the confirmed roots, and the transfers on each TCP
 * connection.
 *
 * All of it lives in Wireshark conversations (file scope): one conversation
 * by id per hierarchy H, and the TCP connection's own conversation for its
 * transfer. Each message's facts are computed once, on the first pass, and
 * kept as per-packet data, so re-dissection (GUI clicks, tshark -2) shows
 * the same thing and a new file starts clean.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "pfs_dissector.h"

#include <string.h>

#include <epan/conversation.h>
#include <epan/proto_data.h>
#include <epan/dissectors/packet-tcp.h>

/* What one sender said last in one hierarchy. */
struct sender {
    guint8 last_seq;
    guint32 last_map;
    guint32 last_ad_frame;
    guint32 full_since;     /* frame it said FULL in, 0 while it has room */
    guint nchildren;
    guint32 children[PFS_MAX_CHILDREN + 1];  /* child XIDs it accepted */
};

/* One hierarchy H, in the conversation of id H. */
struct hier {
    const char *model;
    const char *file;
    guint32 named_frame;
    guint32 root_xid;       /* the first root confirmed */
    guint32 root_frame;
    wmem_map_t *senders;    /* XID -> struct sender */
    wmem_map_t *by_addr;    /* addr << 16 | port -> struct sender, where children reach it */
};

/* One TCP connection. */
struct tcp_conv {
    gboolean saw_pfs;
    guint32 side_port[2];   /* each direction by its source port */
    guint32 next_seq[2];    /* the sequence number after the last bytes handed to us */
    gboolean have_seq[2];
    gboolean lost[2];       /* bytes went missing; no header found since */
    guint32 child_xid;      /* from its JOIN */
    struct pfs_xfer *cur;   /* the transfer under way */
};

static struct hier *hier_of(packet_info *pinfo, guint32 h)
{
    conversation_t *c = find_or_create_conversation_by_id(pinfo, CONVERSATION_NONE, h);
    struct hier *s = conversation_get_proto_data(c, proto_pfs);
    if (!s) {
        s = wmem_new0(wmem_file_scope(), struct hier);
        s->senders = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
        s->by_addr = wmem_map_new(wmem_file_scope(), wmem_int64_hash, g_int64_equal);
        conversation_add_proto_data(c, proto_pfs, s);
    }
    return s;
}

static struct sender *sender_of(struct hier *h, guint32 xid)
{
    struct sender *s = wmem_map_lookup(h->senders, GUINT_TO_POINTER(xid));
    if (!s) {
        s = wmem_new0(wmem_file_scope(), struct sender);
        wmem_map_insert(h->senders, GUINT_TO_POINTER(xid), s);
    }
    return s;
}

static guint64 *addr_key(guint32 addr, guint32 port)
{
    guint64 *k = wmem_new(wmem_file_scope(), guint64);
    *k = (guint64)addr << 16 | (port & 0xffff);
    return k;
}

static guint32 ipv4_of(const address *a)
{
    if (a->type != AT_IPv4 || a->len != 4)
        return 0;
    guint32 nbo;
    memcpy(&nbo, a->data, 4);
    return g_ntohl(nbo);
}

static struct tcp_conv *tcp_conv_of(packet_info *pinfo)
{
    conversation_t *c = find_or_create_conversation(pinfo);
    struct tcp_conv *t = conversation_get_proto_data(c, proto_pfs);
    if (!t) {
        t = wmem_new0(wmem_file_scope(), struct tcp_conv);
        conversation_add_proto_data(c, proto_pfs, t);
    }
    return t;
}

gboolean pfs_track_tcp_seen(packet_info *pinfo)
{
    conversation_t *c = find_conversation_pinfo(pinfo, 0);
    struct tcp_conv *t = c ? conversation_get_proto_data(c, proto_pfs) : NULL;
    return t && t->saw_pfs;
}

void pfs_track_tcp_mark(packet_info *pinfo)
{
    tcp_conv_of(pinfo)->saw_pfs = TRUE;
}

/* Which direction of t the packet goes in (each side has its own port). */
static int side_of(struct tcp_conv *t, packet_info *pinfo)
{
    for (int i = 0; i < 2; i++) {
        if (t->have_seq[i] && t->side_port[i] == pinfo->srcport)
            return i;
    }
    return t->have_seq[0] ? 1 : 0;
}

#define PFS_KEY_GAP 0x10000u  /* file scope: + segment ordinal */

gboolean pfs_track_tcp_lost(packet_info *pinfo, const struct tcpinfo *ti, guint seg,
                            gboolean starts, gboolean has_header)
{
    guint32 key = PFS_KEY_GAP + seg;
    if (PINFO_FD_VISITED(pinfo))
        return p_get_proto_data(wmem_file_scope(), pinfo, proto_pfs, key) != NULL;
    if (!ti)
        return FALSE;
    struct tcp_conv *t = tcp_conv_of(pinfo);
    int side = side_of(t, pinfo);
    /* Bytes beyond the next expected one: the capture lost what came between. */
    if (t->have_seq[side] && (gint32)(ti->seq - t->next_seq[side]) > 0)
        t->lost[side] = TRUE;
    if (!t->have_seq[side] || (gint32)(ti->nxtseq - t->next_seq[side]) > 0) {
        t->next_seq[side] = ti->nxtseq;
        t->side_port[side] = pinfo->srcport;
        t->have_seq[side] = TRUE;
    }
    gboolean rest = t->lost[side] && !starts;
    if (has_header)
        t->lost[side] = FALSE;  /* decoding resumes at that header */
    if (rest)
        p_add_proto_data(wmem_file_scope(), pinfo, proto_pfs, key, GUINT_TO_POINTER(1));
    return rest;
}

static void name_hier(struct hier *h, packet_info *pinfo, const struct pfs_str *model,
                      const struct pfs_str *file)
{
    if (h->model)
        return;
    h->model = wmem_strndup(wmem_file_scope(), model->p, model->len);
    h->file = wmem_strndup(wmem_file_scope(), file->p, file->len);
    h->named_frame = pinfo->num;
}

/* ---- UDP: claims and Ads ---- */

static gboolean says_full(const struct pfs_msg *m)
{
    const struct pfs_claim *c = &m->u.claim;
    gboolean attached = c->state == PFS_HS_WAITING || c->state == PFS_HS_MEMBER ||
                        c->state == PFS_HS_DONE;
    return (m->flags & PFS_F_FULL) || (attached && c->free_slots == 0);
}

static void track_claim(packet_info *pinfo, const struct pfs_msg *m, struct hier *h,
                        struct pfs_pdu_info *pi)
{
    const struct pfs_claim *c = &m->u.claim;
    struct sender *s = sender_of(h, m->xid);
    name_hier(h, pinfo, &c->model, &c->file);

    if (m->type == PFS_T_AD) {
        /* Ads of one claim round count up; a new round (another map) starts again. */
        if (s->last_seq && c->map == s->last_map && c->seq > s->last_seq + 1u) {
            pi->ad_expected = (guint8)(s->last_seq + 1u);
            pi->ad_prev_frame = s->last_ad_frame;
        }
        s->last_seq = c->seq;
        s->last_map = c->map;
        s->last_ad_frame = pinfo->num;
    }
    if (m->type == PFS_T_CLAIM && c->state == PFS_HS_CONF) {
        if (!h->root_xid) {
            h->root_xid = m->xid;
            h->root_frame = pinfo->num;
        } else if (h->root_xid != m->xid) {
            pi->first_root = h->root_xid;
            pi->first_root_frame = h->root_frame;
        }
    }
    if (says_full(m))
        s->full_since = s->full_since ? s->full_since : pinfo->num;
    else
        s->full_since = 0;
    if (c->addr && c->port) {
        wmem_map_insert(h->by_addr, addr_key(c->addr, c->port), s);
        pfs_follow_advertised(pinfo, c->addr, c->port);
    }
}

/* A LEAVE or ABORT from a child frees its slot at whichever parent had it. */
static void drop_child(gpointer key _U_, gpointer value, gpointer user)
{
    struct sender *p = value;
    guint32 xid = GPOINTER_TO_UINT(user);
    for (guint i = 0; i < p->nchildren; i++) {
        if (p->children[i] == xid) {
            p->children[i] = p->children[--p->nchildren];
            return;
        }
    }
}

/* ---- TCP: joins and transfers ---- */

static void track_join(packet_info *pinfo, const struct pfs_msg *m, struct hier *h,
                       struct tcp_conv *t, struct pfs_pdu_info *pi)
{
    name_hier(h, pinfo, &m->u.join.model, &m->u.join.file);
    t->child_xid = m->xid;
    guint64 k = (guint64)ipv4_of(&pinfo->dst) << 16 | pinfo->destport;
    struct sender *parent = wmem_map_lookup(h->by_addr, &k);
    if (parent && parent->full_since)
        pi->full_frame = parent->full_since;
}

static void track_accept(packet_info *pinfo, const struct pfs_msg *m, struct hier *h,
                         struct tcp_conv *t, struct pfs_pdu_info *pi)
{
    struct sender *p = sender_of(h, m->xid);
    guint32 child = t->child_xid ? t->child_xid : ipv4_of(&pinfo->dst);
    wmem_map_insert(h->by_addr, addr_key(ipv4_of(&pinfo->src), pinfo->srcport), p);
    gboolean known = FALSE;
    for (guint i = 0; i < p->nchildren; i++)
        known = known || p->children[i] == child;
    if (!known) {
        if (p->nchildren >= PFS_MAX_CHILDREN)
            pi->third_child = TRUE;
        if (p->nchildren < G_N_ELEMENTS(p->children))
            p->children[p->nchildren++] = child;
    }
    if (m->flags & PFS_F_FULL)
        p->full_since = p->full_since ? p->full_since : pinfo->num;
}

static void track_xfer(packet_info *pinfo, const struct pfs_msg *m, struct tcp_conv *t,
                       struct pfs_pdu_info *pi)
{
    if (m->type == PFS_T_XFRCMD) {
        struct pfs_xfer *x = wmem_new0(wmem_file_scope(), struct pfs_xfer);
        x->hier = m->hier;
        x->size = m->u.xfrcmd.size;
        x->cmd_frame = pinfo->num;
        x->cmd_time = pinfo->abs_ts;
        x->file = wmem_strndup(wmem_file_scope(), m->u.xfrcmd.file.p, m->u.xfrcmd.file.len);
        t->cur = x;
    }
    struct pfs_xfer *x = t->cur;
    if (!x || x->hier != m->hier)
        return;
    pi->xfer = x;
    switch (m->type) {
    case PFS_T_DATA:
        if (!x->first_data_frame)
            x->first_data_frame = pinfo->num;
        x->last_data_frame = pinfo->num;
        x->bytes += m->u.data.len;
        pi->data_end = m->u.data.offset + m->u.data.len;
        pi->past_size = pi->data_end > x->size;
        break;
    case PFS_T_XFREND:
        x->end_frame = pinfo->num;
        x->end_time = pinfo->abs_ts;
        break;
    case PFS_T_VERDICT: x->verdict_frame = pinfo->num; break;
    case PFS_T_ABORT: x->abort_frame = pinfo->num; break;
    default: break;
    }
}

static void track_tcp(packet_info *pinfo, const struct pfs_msg *m, struct hier *h,
                      struct pfs_pdu_info *pi)
{
    struct tcp_conv *t = tcp_conv_of(pinfo);
    t->saw_pfs = TRUE;
    if (m->type == PFS_T_JOIN)
        track_join(pinfo, m, h, t, pi);
    else if (m->type == PFS_T_ACCEPT)
        track_accept(pinfo, m, h, t, pi);
    else if (m->type == PFS_T_REFUSE) {
        if (m->u.refuse.reason == PFS_R_FULL)
            sender_of(h, m->xid)->full_since = pinfo->num;
        for (guint i = 0; i < m->u.refuse.nhints && i < PFS_MAX_HINTS; i++)
            pfs_follow_advertised(pinfo, m->u.refuse.hints[i].addr, m->u.refuse.hints[i].port);
    }
    track_xfer(pinfo, m, t, pi);
}

static void track_first_pass(packet_info *pinfo, const struct pfs_msg *m, gboolean tcp,
                             struct pfs_pdu_info *pi)
{
    struct hier *h = hier_of(pinfo, m->hier);
    if (m->type == PFS_T_CLAIM || m->type == PFS_T_AD)
        track_claim(pinfo, m, h, pi);
    if (tcp)
        track_tcp(pinfo, m, h, pi);
    if (m->type == PFS_T_LEAVE || m->type == PFS_T_ABORT)
        wmem_map_foreach(h->senders, drop_child, GUINT_TO_POINTER(m->xid));
    pi->model = h->model;
    pi->file = h->file;
    pi->named_frame = h->named_frame;
}

struct pfs_pdu_info *pfs_track(packet_info *pinfo, const struct pfs_msg *m, gboolean tcp,
                               guint ordinal)
{
    guint32 key = ordinal + 1;  /* 0 is the packet-scope ordinal counter */
    struct pfs_pdu_info *pi = p_get_proto_data(wmem_file_scope(), pinfo, proto_pfs, key);
    if (pi)
        return pi;
    if (PINFO_FD_VISITED(pinfo))  /* not seen on the first pass: show no state */
        return wmem_new0(pinfo->pool, struct pfs_pdu_info);
    pi = wmem_new0(wmem_file_scope(), struct pfs_pdu_info);
    track_first_pass(pinfo, m, tcp, pi);
    p_add_proto_data(wmem_file_scope(), pinfo, proto_pfs, key, pi);
    return pi;
}
