/*
 * format.c - one DLoad-style line per PFS message.
 *
 * A broadcast CLAIM or AD we send is exactly what a phone prints, so those
 * two go through the DLoad grammar table (dlog.c): one writer, and pfslog
 * reads the endpoint's own lines with the phones' patterns. The other
 * messages have no phone counterpart; they get a one-liner in the same
 * spirit: "XID<sender> <dir><Type> H=<hier> fields...".
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "pfs.h"

#include <stdio.h>
#include <string.h>

#include "dlog.h"
#include "outbuf.h"
#include "sha256.h"

static void add_str(struct pfs_out *l, const struct pfs_str *s)
{
    if (!s->p || s->len == 0) {
        pfs_out_c(l, '-');
        return;
    }
    for (size_t i = 0; i < s->len; i++) {
        unsigned char c = (unsigned char)s->p[i];
        pfs_out_c(l, c >= 0x21 && c <= 0x7e ? (char)c : '?');
    }
}

static void add_ip(struct pfs_out *l, uint32_t a, uint16_t port)
{
    pfs_out_f(l, "%u.%u.%u.%u:%u", a >> 24, (a >> 16) & 255u, (a >> 8) & 255u, a & 255u, port);
}

/* FULL and HAVE; BCAST is already in the verb ("TxBdcst"). */
static void add_flags(struct pfs_out *l, uint16_t flags)
{
    unsigned f = flags & (PFS_F_FULL | PFS_F_HAVE);
    if (f)
        pfs_out_f(l, " flags=%s", f == PFS_F_FULL ? "FULL" : f == PFS_F_HAVE ? "HAVE" : "FULL|HAVE");
}

static void add_tlvs(struct pfs_out *l, const struct pfs_msg *m)
{
    size_t off = 0;
    struct pfs_tlv_item it;
    while (pfs_tlv_next(m, &off, &it) == 1) {
        if (it.type == PFS_TLV_UPTIME && it.len == 4) {
            unsigned long up = (unsigned long)it.value[0] << 24 | (unsigned long)it.value[1] << 16 |
                               (unsigned long)it.value[2] << 8 | it.value[3];
            pfs_out_f(l, " uptime=%lu", up);
        } else if (it.type == PFS_TLV_FIRMWARE) {
            struct pfs_str s = {(const char *)it.value, it.len};
            pfs_out_f(l, " fw=");
            add_str(l, &s);
        } else {
            pfs_out_f(l, " tlv%u/%u", it.type, it.len);
        }
    }
}

/* Our own broadcast claim or Ad: the phones' exact line, from the grammar table. */
static int dlog_claim(char *out, size_t cap, const struct pfs_msg *m)
{
    struct pfs_dlog_ev ev;
    memset(&ev, 0, sizeof ev);
    ev.xid = m->xid;
    if (m->type == PFS_T_CLAIM) {
        ev.kind = PFS_DL_CLAIM;
        snprintf(ev.state, sizeof ev.state, "%s",
                 m->u.claim.state == PFS_HS_CONF ? "conf"
                 : m->u.claim.state == PFS_HS_TENT ? "tent" : "?");
        ev.map = m->u.claim.map;
        ev.strength = m->u.claim.strength;
    } else {
        ev.kind = PFS_DL_AD;
        ev.n = m->u.claim.seq;
        snprintf(ev.hier, sizeof ev.hier, "%s", pfs_hstate_name(m->u.claim.state));
    }
    return pfs_dlog_format(out, cap, &ev);
}

/* Someone else's claim or Ad, or one not broadcast: the same shape plus detail. */
static void fmt_claim(struct pfs_out *l, const struct pfs_msg *m)
{
    const struct pfs_claim *c = &m->u.claim;
    if (m->type == PFS_T_CLAIM)
        pfs_out_f(l, ": map=%08x strength=%08x", c->map, c->strength);
    else
        pfs_out_f(l, " %u: %s", c->seq, pfs_hstate_name(c->state));
    pfs_out_f(l, " H=%08X depth=%u free=%u root=XID%08X m=", m->hier, c->depth, c->free_slots,
         c->root_xid);
    add_str(l, &c->model);
    pfs_out_c(l, ' ');
    add_str(l, &c->file);
    pfs_out_f(l, " at ");
    add_ip(l, c->addr, c->port);
}

static void fmt_join(struct pfs_out *l, const struct pfs_join *j)
{
    pfs_out_f(l, " try=%u m=", j->try_no);
    add_str(l, &j->model);
    pfs_out_c(l, ' ');
    add_str(l, &j->file);
    pfs_out_f(l, " from ");
    add_ip(l, j->addr, j->port);
}

static void fmt_refuse(struct pfs_out *l, const struct pfs_refuse *r)
{
    pfs_out_f(l, ": %s hints=%u", pfs_reason_name(r->reason), r->nhints);
    for (unsigned i = 0; i < r->nhints && i < PFS_MAX_HINTS; i++) {
        pfs_out_f(l, " XID%08X@", r->hints[i].xid);
        add_ip(l, r->hints[i].addr, r->hints[i].port);
    }
}

static void fmt_xfrcmd(struct pfs_out *l, const struct pfs_xfrcmd *x)
{
    char hex[PFS_SHA256_HEX] = "-";
    pfs_out_c(l, ' ');
    add_str(l, &x->file);
    if (x->sha256)
        pfs_sha256_hex(x->sha256, hex);
    pfs_out_f(l, " size=%u src=%s origin=XID%08X sha256=%s", x->size, pfs_source_name(x->source),
         x->origin_xid, hex);
}

static void fmt_body(struct pfs_out *l, const struct pfs_msg *m)
{
    switch (m->type) {
    case PFS_T_CLAIM:
    case PFS_T_AD: fmt_claim(l, m); break;
    case PFS_T_JOIN: fmt_join(l, &m->u.join); break;
    case PFS_T_ACCEPT:
        pfs_out_f(l, " index=%u depth=%u root=XID%08X", m->u.accept.index, m->u.accept.depth,
             m->u.accept.root_xid);
        break;
    case PFS_T_REFUSE: fmt_refuse(l, &m->u.refuse); break;
    case PFS_T_XFRCMD: fmt_xfrcmd(l, &m->u.xfrcmd); break;
    case PFS_T_DATA: pfs_out_f(l, " off=%u len=%u", m->u.data.offset, m->u.data.len); break;
    case PFS_T_XFREND: pfs_out_f(l, " size=%u", m->u.xfrend.size); break;
    case PFS_T_VERDICT:
        pfs_out_f(l, ": %s bytes=%u", pfs_verdict_name(m->u.verdict.verdict), m->u.verdict.bytes);
        break;
    case PFS_T_ABORT:
    case PFS_T_LEAVE: pfs_out_f(l, ": %s", pfs_reason_name(m->u.reason.reason)); break;
    default: pfs_out_f(l, " type=%u", m->type); break;
    }
}

int pfs_format(char *out, size_t cap, const char *dir, const struct pfs_msg *m)
{
    if (!dir)
        dir = "";
    int bcast = (m->flags & PFS_F_BCAST) != 0;
    int claim = m->type == PFS_T_CLAIM || m->type == PFS_T_AD;
    if (claim && bcast && strcmp(dir, "Tx") == 0)
        return dlog_claim(out, cap, m);

    struct pfs_out l = {out, cap, 0};
    /* "RxBdcst Ad", "TxBdcst Leave"; unicast types read as one word: "TxJoin". A
     * claim is named by its state, as the phones do: "ClaimRoot(conf)". */
    const char *name = m->type == PFS_T_CLAIM ? pfs_hstate_name(m->u.claim.state)
                                              : pfs_type_name(m->type);
    pfs_out_f(&l, "XID%08X %s%s%s", m->xid, dir, bcast ? "Bdcst " : "", name);
    if (!claim)
        pfs_out_f(&l, " H=%08X", m->hier);
    fmt_body(&l, m);
    add_flags(&l, m->flags);
    add_tlvs(&l, m);
    return (int)pfs_out_end(&l);
}
