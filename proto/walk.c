/*
 * walk.c - the one decoder: read a message row by row (pfs_table.h), and
 * the table's accessors, the string rules (model, path) and the one-item
 * printer.
 *
 * Every field is read through a bounds check against the message's end
 * and checked as soon as it is read, in wire order, so the first fault in
 * the bytes is the one reported (docs/protocol.md §5). A caller's callback
 * sees each field once it is read and checked; pfs_decode passes none.
 * The rows come from table_rows.h in this file, so the compiler turns each
 * body's walk into straight code (one case per type in walk_body).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "pfs_table.h"
#include "table_rows.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "outbuf.h"
#include "row.h"
#include "sha256.h"

/* ---- access ---- */

const struct pfs_field *pfs_header_fields(size_t *n)
{
    *n = NROWS(header_rows);
    return header_rows;
}

const struct pfs_msgdef *pfs_msgdefs(size_t *n)
{
    *n = NROWS(msg_rows);
    return msg_rows;
}

const struct pfs_field *pfs_tlv_fields(size_t *n)
{
    *n = NROWS(tlv_rows);
    return tlv_rows;
}

const struct pfs_msgdef *pfs_msgdef_of(unsigned type)
{
    /* Rows are in type order from 1, so the type is the index. */
    if (type < PFS_T_CLAIM || type > NROWS(msg_rows))
        return NULL;
    return &msg_rows[type - PFS_T_CLAIM];
}

const struct pfs_tlvdef *pfs_tlvdefs(size_t *n)
{
    *n = NROWS(tlvdef_rows);
    return tlvdef_rows;
}

const struct pfs_tlvdef *pfs_tlvdef_of(unsigned type)
{
    for (size_t i = 0; i < NROWS(tlvdef_rows); i++)
        if (tlvdef_rows[i].type == type)
            return &tlvdef_rows[i];
    return NULL;
}

/* Inlined into each specialised loop, so the row's constants fold. */
#define HOT static inline __attribute__((always_inline))

struct walker {
    const uint8_t *buf;
    size_t end;          /* bytes that belong to the message */
    size_t off;
    struct pfs_msg *m;
    pfs_walk_fn fn;
    void *ctx;
    struct pfs_fault *fault;
};

static inline int fits(const struct walker *w, size_t n)
{
    return w->off <= w->end && n <= w->end - w->off;
}

/* Integer fields are 1, 2 or 4 bytes; written out so each is one load. */
static inline uint32_t get_be(const uint8_t *p, size_t n)
{
    switch (n) {
    case 1: return p[0];
    case 2: return (uint32_t)p[0] << 8 | p[1];
    case 4: return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    default: return 0;
    }
}

/* ---- struct members, by the row's store offset ---- */

static void store_ptr(void *base, const struct pfs_field *f, const uint8_t *v)
{
    if (f->store != PFS_NOSTORE)
        memcpy((char *)base + f->store, &v, sizeof v);
}

/* Member by member: a local struct's padding would carry garbage into m. */
static void store_str(void *base, const struct pfs_field *f, const uint8_t *p, uint8_t n)
{
    if (f->store == PFS_NOSTORE)
        return;
    char *dst = (char *)base + f->store;
    const char *cp = (const char *)p;
    memcpy(dst + offsetof(struct pfs_str, p), &cp, sizeof cp);
    memcpy(dst + offsetof(struct pfs_str, len), &n, sizeof n);
}

/* ---- reporting ---- */

static int fail(struct walker *w, int err, size_t off, const struct pfs_field *f)
{
    if (w->fault) {
        w->fault->err = err;
        w->fault->off = off;
        w->fault->field = f;
    }
    return err;
}

static inline void report(struct walker *w, const struct pfs_field *f, enum pfs_section sec,
                          unsigned index, size_t off, size_t len, uint32_t value,
                          const uint8_t *bytes)
{
    if (!w->fn)
        return;
    struct pfs_item it = {f, sec, index, off, len, value, bytes};
    w->fn(w->ctx, &it);
}

static inline int in_range(const struct pfs_field *f, uint32_t v)
{
    return !f->ranged || (v >= f->min && v <= f->max);
}

/* ---- the rules of a string (docs/protocol.md §1) ---- */

int pfs_check_model(const char *s, size_t len)
{
    if (len > PFS_MODEL_MAX)
        return PFS_E_STRLEN;
    if (len == 0 || !s)
        return PFS_E_MODEL;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return PFS_E_MODEL;
    return PFS_OK;
}

static int path_char_ok(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-' || c == '+' || c == '/';
}

/* One component between slashes: not empty, not "." nor "..". */
static int component_ok(const char *c, size_t n)
{
    if (n == 0)
        return 0;
    if (c[0] == '.' && (n == 1 || (n == 2 && c[1] == '.')))
        return 0;
    return 1;
}

int pfs_check_path(const char *s, size_t len)
{
    if (len > PFS_PATH_MAX)
        return PFS_E_STRLEN;
    if (len == 0 || !s)
        return PFS_E_PATH;
    for (size_t i = 0; i < len; i++)
        if (!path_char_ok(s[i]))
            return PFS_E_PATH;
    size_t start = 0;
    const size_t pre = sizeof PFS_DNLD_PREFIX - 1;
    if (s[0] == '/') {
        /* The one absolute prefix a peer may name; anything else could escape. */
        if (len < pre || memcmp(s, PFS_DNLD_PREFIX, pre) != 0)
            return PFS_E_PATH;
        start = pre;
    }
    /* Every component from start on, including the last (no trailing '/'). */
    size_t c = start;
    for (size_t i = start; i <= len; i++) {
        if (i == len || s[i] == '/') {
            if (!component_ok(s + c, i - c))
                return PFS_E_PATH;
            c = i + 1;
        }
    }
    return PFS_OK;
}

static inline int str_rule(enum pfs_strrule r, const uint8_t *p, size_t n)
{
    switch (r) {
    case PFS_SR_MODEL: return pfs_check_model((const char *)p, n);
    case PFS_SR_PATH: return pfs_check_path((const char *)p, n);
    case PFS_SR_PRINTABLE:
        for (size_t i = 0; i < n; i++)
            if (p[i] < 0x21 || p[i] > 0x7e)
                return PFS_E_TLV;
        return n ? PFS_OK : PFS_E_TLV;
    default: return PFS_OK;
    }
}

int pfs_row_strrule(enum pfs_strrule r, const uint8_t *p, size_t n)
{
    return str_rule(r, p, n);
}

/* ---- one field ---- */

HOT int walk_str(struct walker *w, const struct pfs_field *f, void *base, enum pfs_section sec,
                 unsigned index, int short_err)
{
    size_t at = w->off;
    if (!fits(w, 1))
        return fail(w, short_err, at, f);
    uint8_t n = w->buf[at];
    if (!in_range(f, n))
        return fail(w, f->err, at, f);
    w->off++;
    if (!fits(w, n))
        return fail(w, short_err, at, f);
    const uint8_t *p = w->buf + w->off;
    w->off += n;
    store_str(base, f, p, n);
    report(w, f, sec, index, at, 1u + n, n, p);
    int rc = str_rule(f->strrule, p, n);
    return rc ? fail(w, rc, at, f) : PFS_OK;
}

/*
 * An integer field (most rows), the walk's hot path: inlined into each
 * loop, one switch on the width reads the bytes and fills the member.
 */
HOT int walk_int(struct walker *w, const struct pfs_field *f, void *base, enum pfs_section sec,
                 unsigned index, int short_err)
{
    size_t at = w->off;
    if (!fits(w, f->size))
        return fail(w, short_err, at, f);
    const uint8_t *p = w->buf + at;
    char *dst = (char *)base + f->store;
    uint32_t v;
    switch (f->size) {
    case 1: {
        uint8_t x = p[0];
        v = x;
        if (f->store != PFS_NOSTORE)
            memcpy(dst, &x, 1);
        break;
    }
    case 2: {
        uint16_t x = (uint16_t)(p[0] << 8 | p[1]);
        v = x;
        if (f->store != PFS_NOSTORE)
            memcpy(dst, &x, 2);
        break;
    }
    default:
        v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        if (f->store != PFS_NOSTORE)
            memcpy(dst, &v, 4);
        break;
    }
    w->off = at + f->size;
    report(w, f, sec, index, at, f->size, v, p);
    if (f->ranged && (v < f->min || v > f->max))
        return fail(w, f->err, at, f);
    return PFS_OK;
}

HOT int walk_hints(struct walker *w, const struct pfs_field *f, void *base, uint32_t count)
{
    size_t at = w->off, one = pfs_row_entry_len(f);
    /* The count row's range bounds count by PFS_MAX_HINTS before we get here. */
    if (count > PFS_MAX_HINTS)
        return fail(w, PFS_E_FIELD, at, f);
    if (!fits(w, count * one))
        return fail(w, PFS_E_LENGTH, at, f);
    report(w, f, PFS_SEC_BODY, 0, at, count * one, count, w->buf + at);
    char *entries = (char *)base + f->store;
    for (unsigned i = 0; i < count; i++) {
        void *e = entries + i * sizeof(struct pfs_hint);
#pragma GCC unroll 4
        for (unsigned k = 0; k < f->nsub; k++) {
            int rc = walk_int(w, &f->sub[k], e, PFS_SEC_HINT, i, PFS_E_LENGTH);
            if (rc)
                return rc;
        }
    }
    return PFS_OK;
}

/*
 * Read field f into base (the message, or a hint entry). rows are the rows
 * f belongs to, where a HINTS or PAYLOAD row finds its count, already read
 * into base. short_err is the fault when the field runs past the end.
 */
static int walk_field(struct walker *w, const struct pfs_field *f, const struct pfs_field *rows,
                      void *base, enum pfs_section sec, unsigned index, int short_err)
{
    size_t at = w->off;
    if (pfs_row_is_int(f))
        return walk_int(w, f, base, sec, index, short_err);
    switch (f->kind) {
    case PFS_K_STR: return walk_str(w, f, base, sec, index, short_err);
    case PFS_K_HINTS: return walk_hints(w, f, base, pfs_row_int(base, &rows[f->count]));
    case PFS_K_PAYLOAD:
    case PFS_K_SHA256: {
        size_t n = f->kind == PFS_K_SHA256 ? f->size : pfs_row_int(base, &rows[f->count]);
        if (!fits(w, n))
            return fail(w, short_err, at, f);
        const uint8_t *p = w->buf + at;
        w->off += n;
        store_ptr(base, f, p);
        report(w, f, sec, index, at, n, (uint32_t)n, p);
        return PFS_OK;
    }
    case PFS_K_RESERVED:
        if (!fits(w, f->size))
            return fail(w, short_err, at, f);
        w->off += f->size;
        report(w, f, sec, index, at, f->size, 0, w->buf + at);
        return PFS_OK;
    default: return PFS_OK; /* TEXT and TLV are never body rows */
    }
}

/* ---- header, body, TLVs ---- */

/* Fewer bytes than a header: judge what is there, byte by byte (a framer's view). */
static int short_header(struct walker *w, size_t len)
{
    if (len >= 1 && w->buf[0] != (PFS_MAGIC >> 8))
        return fail(w, PFS_E_MAGIC, 0, NULL);
    if (len >= 2 && w->buf[1] != (PFS_MAGIC & 0xffu))
        return fail(w, PFS_E_MAGIC, 0, NULL);
    if (len >= 3 && w->buf[2] != PFS_VERSION_1)
        return fail(w, PFS_E_VERSION, 2, NULL);
    return fail(w, PFS_E_SHORT, len, NULL);
}

static int walk_header(struct walker *w, size_t len, unsigned flags)
{
    const struct pfs_field *rows = header_rows;
#pragma GCC unroll 8
    for (size_t i = 0; i < NROWS(header_rows); i++) {
        int rc = walk_int(w, &rows[i], w->m, PFS_SEC_HEADER, 0, PFS_E_SHORT);
        if (rc)
            return rc;
    }
    /* A datagram, and a message sent only by UDP, fit in one Ethernet frame. */
    if ((flags & PFS_WALK_UDP) && len > PFS_UDP_MAX)
        return fail(w, PFS_E_SIZE, PFS_UDP_MAX, NULL);
    const struct pfs_msgdef *d = pfs_msgdef_of(w->m->type);
    if (d->transport == PFS_TR_UDP && w->m->length > PFS_UDP_MAX)
        return fail(w, PFS_E_SIZE, 6, &rows[4]);
    if (w->m->length > len)
        return fail(w, PFS_E_SHORT, len, NULL);
    if (w->m->length < len && !(flags & PFS_WALK_STREAM))
        return fail(w, PFS_E_LENGTH, w->m->length, NULL);
    w->end = w->m->length;
    return PFS_OK;
}

HOT int walk_rows(struct walker *w, const struct pfs_msgdef *d, const struct pfs_field *rows,
                  unsigned n)
{
#pragma GCC unroll 12
    for (unsigned i = 0; i < n; i++) {
        const struct pfs_field *f = &rows[i];
        /* With f a constant, the compiler keeps one of these calls. */
        int rc;
        if (pfs_row_is_int(f))
            rc = walk_int(w, f, w->m, PFS_SEC_BODY, 0, PFS_E_LENGTH);
        else if (f->kind == PFS_K_STR)
            rc = walk_str(w, f, w->m, PFS_SEC_BODY, 0, PFS_E_LENGTH);
        else if (f->kind == PFS_K_HINTS)
            rc = walk_hints(w, f, w->m, pfs_row_int(w->m, &rows[f->count]));
        else
            rc = walk_field(w, f, rows, w->m, PFS_SEC_BODY, 0, PFS_E_LENGTH);
        if (rc)
            return rc;
    }
    unsigned at = 0;
    int rc = d->rule ? d->rule(w->m, &at) : PFS_OK;
    return rc ? fail(w, rc, PFS_HDR_LEN + pfs_rows_len(w->m, rows, at), &rows[at]) : PFS_OK;
}

/*
 * One case per body of msg_rows, each a walk over rows the compiler
 * knows: it unrolls the loop and folds every row's size, offset and range
 * into the code. The default walks any row set, just slower.
 */
#define WALK(rows) walk_rows(w, d, rows, NROWS(rows))
static int walk_body(struct walker *w, const struct pfs_msgdef *d)
{
    switch (d->type) {
    case PFS_T_CLAIM: return WALK(claim_rows);
    case PFS_T_AD: return WALK(ad_rows);
    case PFS_T_JOIN: return WALK(join_rows);
    case PFS_T_ACCEPT: return WALK(accept_rows);
    case PFS_T_REFUSE: return WALK(refuse_rows);
    case PFS_T_XFRCMD: return WALK(xfrcmd_rows);
    case PFS_T_DATA: return WALK(data_rows);
    case PFS_T_XFREND: return WALK(xfrend_rows);
    case PFS_T_VERDICT: return WALK(verdict_rows);
    case PFS_T_ABORT:
    case PFS_T_LEAVE: return WALK(reason_rows);
    default: return walk_rows(w, d, d->fields, d->nfields);
    }
}

HOT int walk_tlv(struct walker *w, unsigned index)
{
    size_t at = w->off;
    const struct pfs_field *rows = tlv_rows;
    if (!fits(w, 2))
        return fail(w, PFS_E_TLV, at, &rows[0]);
    uint8_t type = w->buf[at], len = w->buf[at + 1];
    w->off += 2;
    if (!fits(w, len))
        return fail(w, PFS_E_TLV, at, &rows[0]);
    const uint8_t *v = w->buf + w->off;
    w->off += len;
    report(w, &rows[0], PFS_SEC_TLV, index, at, 2u + len, type, v);
    report(w, &rows[1], PFS_SEC_TLV, index, at, 1, type, w->buf + at);
    report(w, &rows[2], PFS_SEC_TLV, index, at + 1, 1, len, w->buf + at + 1);
    const struct pfs_tlvdef *def = pfs_tlvdef_of(type);
    if (!def) {
        report(w, &rows[3], PFS_SEC_TLV, index, at + 2, len, len, v);
        return PFS_OK;
    }
    if (len < def->min_len || len > def->max_len || str_rule(def->value->strrule, v, len))
        return fail(w, PFS_E_TLV, at + 2, def->value);
    uint32_t value = def->value->kind == PFS_K_TEXT ? len : get_be(v, len);
    report(w, def->value, PFS_SEC_TLV, index, at + 2, len, value, v);
    return PFS_OK;
}

int pfs_walk(const uint8_t *buf, size_t len, unsigned flags, struct pfs_msg *m, pfs_walk_fn fn,
             void *ctx, struct pfs_fault *fault)
{
    /* Copied rather than memset: small fixed copies beat rep stos. */
    static const struct pfs_msg zero;
    struct pfs_msg scratch;
    if (!m)
        m = &scratch;
    *m = zero;
    if (fault)
        *fault = (struct pfs_fault){PFS_OK, 0, NULL};
    struct walker w = {buf, len, 0, m, fn, ctx, fault};
    if (!buf)
        return fail(&w, PFS_E_SHORT, 0, NULL);
    if (len < PFS_HDR_LEN)
        return short_header(&w, len);
    int rc = walk_header(&w, len, flags);
    if (rc)
        return rc;
    rc = walk_body(&w, pfs_msgdef_of(m->type));
    if (rc)
        return rc;
    m->tlv_len = (uint16_t)(w.end - w.off);
    m->tlv = m->tlv_len ? buf + w.off : NULL;
    for (unsigned i = 0; w.off < w.end; i++) {
        rc = walk_tlv(&w, i);
        if (rc)
            return rc;
    }
    return PFS_OK;
}

int pfs_tlv_area_check(const uint8_t *p, size_t n)
{
    if (n && !p)
        return PFS_E_TLV;
    struct walker w = {p, n, 0, NULL, NULL, NULL, NULL};
    for (unsigned i = 0; w.off < w.end; i++) {
        int rc = walk_tlv(&w, i);
        if (rc)
            return rc;
    }
    return PFS_OK;
}

size_t pfs_body_len(const struct pfs_msg *m)
{
    const struct pfs_msgdef *d = pfs_msgdef_of(m->type);
    return d ? pfs_rows_len(m, d->fields, d->nfields) : 0;
}

/* ---- one item as text ---- */

static void fmt_bytes_text(struct pfs_out *o, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pfs_out_c(o, p[i] >= 0x21 && p[i] <= 0x7e ? (char)p[i] : '?');
}

static void fmt_flags(struct pfs_out *o, const struct pfs_val *bits, uint32_t v)
{
    pfs_out_f(o, "0x%04x", (unsigned)v);
    const char *sep = " ";
    for (const struct pfs_val *b = bits; b && b->name; b++)
        if (v & b->value) {
            pfs_out_f(o, "%s%s", sep, b->name);
            sep = "|";
        }
}

int pfs_item_format(char *out, size_t cap, const struct pfs_item *it)
{
    struct pfs_out o = {out, cap, 0};
    const struct pfs_field *f = it->field;
    uint32_t v = it->value;
    switch (f->kind) {
    case PFS_K_XID: pfs_out_f(&o, "XID%08X", (unsigned)v); break;
    case PFS_K_IPV4:
        pfs_out_f(&o, "%u.%u.%u.%u", (unsigned)(v >> 24), (unsigned)(v >> 16) & 255u,
                  (unsigned)(v >> 8) & 255u, (unsigned)v & 255u);
        break;
    case PFS_K_HEX32: pfs_out_f(&o, "%08x", (unsigned)v); break;
    case PFS_K_HEX16: pfs_out_f(&o, "0x%04x", (unsigned)v); break;
    case PFS_K_ENUM: {
        const char *name = pfs_val_name(f->vals, v);
        pfs_out_f(&o, "%u %s", (unsigned)v, name ? name : "unknown");
        break;
    }
    case PFS_K_FLAGS: fmt_flags(&o, f->vals, v); break;
    case PFS_K_STR:
    case PFS_K_TEXT: fmt_bytes_text(&o, it->bytes, v); break;
    case PFS_K_SHA256: {
        char hex[PFS_SHA256_HEX];
        pfs_out_f(&o, "%s", pfs_sha256_hex(it->bytes, hex));
        break;
    }
    case PFS_K_HINTS: pfs_out_f(&o, "%u hints", (unsigned)v); break;
    case PFS_K_PAYLOAD: pfs_out_f(&o, "%u bytes", (unsigned)v); break;
    case PFS_K_RESERVED: pfs_out_f(&o, "%zu bytes", it->len); break;
    case PFS_K_TLV: {
        const char *name = pfs_val_name(pfs_tlv_vals, v);
        pfs_out_f(&o, "%u %s, %zu bytes", (unsigned)v, name ? name : "unknown",
                  it->len >= 2 ? it->len - 2 : 0);
        break;
    }
    default: pfs_out_f(&o, "%u", (unsigned)v); break;
    }
    return (int)pfs_out_end(&o);
}
