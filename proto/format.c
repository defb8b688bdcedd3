/*
 * format.c - one DLoad-style line per PFS message.
 *
 * A broadcast CLAIM or AD we send is exactly what a phone prints, so those
 * two go through the DLoad grammar table (dlog.c): one writer, and pfslog
 * reads the endpoint's own lines with the phones' patterns. The other
 * messages have no phone counterpart; they get a one-liner in the same
 * spirit, "XID<sender> <dir><NAME> H=<hier> name=value...", with one
 * name=value per row of the type (pfs_table.h), in wire order.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "pfs.h"

#include <stdio.h>
#include <string.h>

#include "dlog.h"
#include "outbuf.h"
#include "pfs_table.h"
#include "row.h"
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

/* The flag bits by name but BCAST, which the verb says ("TxBdcst"); unknown bits in hex. */
static void add_flags(struct pfs_out *l, uint16_t flags)
{
    unsigned rest = flags & ~PFS_F_BCAST & 0xffffu;
    if (!rest)
        return;
    const char *sep = " flags=";
    for (const struct pfs_val *b = pfs_flag_bits; b->name; b++)
        if (rest & b->value) {
            pfs_out_f(l, "%s%s", sep, b->name);
            rest &= ~b->value;
            sep = "|";
        }
    if (rest)
        pfs_out_f(l, "%s0x%04x", sep, rest);
}

/* Known TLVs as name=value from their rows, the others as tlv<type>/<len>. */
static void add_tlvs(struct pfs_out *l, const struct pfs_msg *m)
{
    size_t off = 0;
    struct pfs_tlv_item it;
    while (pfs_tlv_next(m, &off, &it) == 1) {
        const struct pfs_tlvdef *d = pfs_tlvdef_of(it.type);
        if (!d || it.len < d->min_len || it.len > d->max_len) {
            pfs_out_f(l, " tlv%u/%u", it.type, it.len);
            continue;
        }
        pfs_out_f(l, " %s=", d->value->name);
        if (d->value->kind == PFS_K_TEXT) {
            struct pfs_str s = {(const char *)it.value, it.len};
            add_str(l, &s);
        } else {
            unsigned long v = 0;
            for (size_t i = 0; i < it.len; i++)
                v = v << 8 | it.value[i];
            pfs_out_f(l, "%lu", v);
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

/* An integer row's value: names for enums, the project's notation for ids. */
static void add_int(struct pfs_out *l, const struct pfs_field *f, uint32_t v)
{
    const char *name;
    switch (f->kind) {
    case PFS_K_XID: pfs_out_f(l, "XID%08X", (unsigned)v); break;
    case PFS_K_IPV4:
        pfs_out_f(l, "%u.%u.%u.%u", (unsigned)(v >> 24), (unsigned)(v >> 16) & 255u,
                  (unsigned)(v >> 8) & 255u, (unsigned)v & 255u);
        break;
    case PFS_K_HEX32: pfs_out_f(l, "%08x", (unsigned)v); break;
    case PFS_K_HEX16: pfs_out_f(l, "0x%04x", (unsigned)v); break;
    case PFS_K_ENUM:
        name = pfs_val_name(f->vals, v);
        if (name)
            pfs_out_f(l, "%s", name);
        else
            pfs_out_f(l, "%u", (unsigned)v);
        break;
    default: pfs_out_f(l, "%u", (unsigned)v); break;
    }
}

/* One hint entry as xid@addr:port, its rows in order. */
static void add_entry(struct pfs_out *l, const struct pfs_field *f, const void *e)
{
    for (unsigned k = 0; k < f->nsub; k++) {
        const struct pfs_field *s = &f->sub[k];
        if (!pfs_row_is_int(s))
            continue;
        if (k > 0)
            pfs_out_c(l, s->kind == PFS_K_IPV4 ? '@' : s->kind == PFS_K_PORT ? ':' : ',');
        add_int(l, s, pfs_row_int(e, s));
    }
}

/* " name=value" for one body row; reserved bytes and payloads print nothing. */
static void add_row(struct pfs_out *l, const struct pfs_field *f, const struct pfs_field *rows,
                    const struct pfs_msg *m)
{
    if (f->kind == PFS_K_RESERVED || f->kind == PFS_K_PAYLOAD)
        return;
    pfs_out_f(l, " %s=", f->name);
    if (pfs_row_is_int(f)) {
        add_int(l, f, pfs_row_int(m, f));
    } else if (f->kind == PFS_K_STR) {
        struct pfs_str s = pfs_row_str(m, f);
        add_str(l, &s);
    } else if (f->kind == PFS_K_SHA256) {
        char hex[PFS_SHA256_HEX] = "-";
        const uint8_t *p = pfs_row_ptr(m, f);
        if (p)
            pfs_sha256_hex(p, hex);
        pfs_out_f(l, "%s", hex);
    } else if (f->kind == PFS_K_HINTS) {
        /* An unvalidated count may be anything: the struct holds PFS_MAX_HINTS. */
        uint32_t n = pfs_row_int(m, &rows[f->count]);
        const char *entries = (const char *)m + f->store;
        for (uint32_t i = 0; i < n && i < PFS_MAX_HINTS; i++) {
            if (i)
                pfs_out_c(l, ',');
            add_entry(l, f, entries + i * sizeof(struct pfs_hint));
        }
        if (n == 0)
            pfs_out_c(l, '-');
    }
}

/*
 * The phones' shape for a claim or Ad: "ClaimRoot(tent): map=... strength=..."
 * (a claim is named by its state, as the phones do) and "Ad 3: Member".
 */
static void add_claim_lead(struct pfs_out *l, const struct pfs_msg *m)
{
    const struct pfs_claim *c = &m->u.claim;
    if (m->type == PFS_T_CLAIM)
        pfs_out_f(l, "%s: map=%08x strength=%08x", pfs_hstate_name(c->state), c->map,
                  c->strength);
    else
        pfs_out_f(l, "Ad %u: %s", c->seq, pfs_hstate_name(c->state));
}

/* Rows the claim lead already printed: state and seq, and map and strength of a CLAIM. */
static int in_claim_lead(unsigned type, const struct pfs_field *f)
{
    static const char *const lead[] = {"pfs.state", "pfs.seq", "pfs.map", "pfs.strength"};
    size_t n = type == PFS_T_CLAIM ? 4 : 2;
    for (size_t i = 0; i < n; i++)
        if (strcmp(f->key, lead[i]) == 0)
            return 1;
    return 0;
}

int pfs_format(char *out, size_t cap, const char *dir, const struct pfs_msg *m)
{
    if (!dir)
        dir = "";
    int bcast = (m->flags & PFS_F_BCAST) != 0;
    int claim = m->type == PFS_T_CLAIM || m->type == PFS_T_AD;
    if (claim && bcast && strcmp(dir, "Tx") == 0)
        return dlog_claim(out, cap, m);

    /* "RxBdcst Ad", "TxBdcst LEAVE"; unicast types read as one word: "TxJOIN". */
    struct pfs_out l = {out, cap, 0};
    pfs_out_f(&l, "XID%08X %s%s", m->xid, dir, bcast ? "Bdcst " : "");
    const struct pfs_msgdef *d = pfs_msgdef_of(m->type);
    if (claim)
        add_claim_lead(&l, m);
    else
        pfs_out_f(&l, "%s", pfs_type_logname(m->type));
    pfs_out_f(&l, " H=%08X", m->hier);
    if (!d)
        pfs_out_f(&l, " type=%u", m->type);
    for (unsigned i = 0; d && i < d->nfields; i++)
        if (!claim || !in_claim_lead(m->type, &d->fields[i]))
            add_row(&l, &d->fields[i], d->fields, m);
    add_flags(&l, m->flags);
    add_tlvs(&l, m);
    return (int)pfs_out_end(&l);
}
