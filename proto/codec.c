/*
 * codec.c - encode PFS messages from the message table, TCP framing, TLV
 * iteration, names and the hierarchy id (docs/protocol.md). Decoding is
 * the walk (walk.c).
 *
 * pfs_encode walks the same rows as the decoder, over the struct: the same
 * ranges, string rules, message rule and TLV check in the same order, so a
 * struct that encodes always decodes again, and an invalid struct fails
 * with the code decode would give for its bytes. Bytes are written through
 * a cursor whose putters fail when the output is full, and read (TLVs)
 * through one whose getters fail on overrun.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "pfs.h"
#include "pfs_table.h"
#include "row.h"

#include <string.h>

/* ---- the read cursor ---- */

struct rd {
    const uint8_t *p;
    size_t len;   /* bytes that belong to this message */
    size_t off;
};

static int need(const struct rd *r, size_t n)
{
    return r->off <= r->len && n <= r->len - r->off;
}

static int get_u8(struct rd *r, uint8_t *v)
{
    if (!need(r, 1))
        return 0;
    *v = r->p[r->off++];
    return 1;
}

/* n bytes in place: *v points into the message. */
static int get_bytes(struct rd *r, size_t n, const uint8_t **v)
{
    if (!need(r, n))
        return 0;
    *v = r->p + r->off;
    r->off += n;
    return 1;
}

/* ---- the write cursor ---- */

/* With p NULL the cursor only counts: the validation pass of pfs_encode. */
struct wr {
    uint8_t *p;
    size_t cap;
    size_t off;
    int full;     /* set once a put did not fit; later puts do nothing */
};

static int room(struct wr *w, size_t n)
{
    if (!w->p) {
        w->off += n;
        return 0;
    }
    if (w->full || w->off > w->cap || n > w->cap - w->off) {
        w->full = 1;
        return 0;
    }
    return 1;
}

/* An integer of 1, 2 or 4 bytes, big-endian. */
static void put_be(struct wr *w, uint32_t v, size_t n)
{
    if (!room(w, n))
        return;
    for (size_t i = 0; i < n; i++)
        w->p[w->off + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    w->off += n;
}

static void put_bytes(struct wr *w, const void *b, size_t n)
{
    if (n && room(w, n)) {
        memcpy(w->p + w->off, b, n);
        w->off += n;
    }
}

static void put_zero(struct wr *w, size_t n)
{
    if (n && room(w, n)) {
        memset(w->p + w->off, 0, n);
        w->off += n;
    }
}

/* ---- TLV iteration over a decoded message ---- */

int pfs_tlv_next(const struct pfs_msg *m, size_t *off, struct pfs_tlv_item *it)
{
    if (!m->tlv || *off >= m->tlv_len)
        return 0;
    struct rd r = {m->tlv, m->tlv_len, *off};
    if (!get_u8(&r, &it->type) || !get_u8(&r, &it->len) || !get_bytes(&r, it->len, &it->value))
        return PFS_E_TLV;
    *off = r.off;
    return 1;
}

/* ---- framing ---- */

/* Magic and version: the part of the header a framer can judge early. */
static int check_lead(const uint8_t *buf, size_t len)
{
    /* Each byte is judged as soon as it is in: a framer need not wait for 16. */
    if (len >= 1 && buf[0] != (PFS_MAGIC >> 8))
        return PFS_E_MAGIC;
    if (len >= 2 && buf[1] != (PFS_MAGIC & 0xffu))
        return PFS_E_MAGIC;
    if (len >= 3 && buf[2] != PFS_VERSION_1)
        return PFS_E_VERSION;
    return PFS_OK;
}

long pfs_frame_len(const uint8_t *buf, size_t len)
{
    if (!buf)
        return len ? PFS_E_SHORT : 0;
    int rc = check_lead(buf, len);
    if (rc)
        return rc;
    if (len < PFS_HDR_LEN)
        return 0;
    unsigned total = (unsigned)buf[6] << 8 | buf[7];
    if (total < PFS_HDR_LEN)
        return PFS_E_LENGTH;
    return (long)total;
}

int pfs_decode(const uint8_t *buf, size_t len, struct pfs_msg *m)
{
    if (!buf || !m)
        return PFS_E_SHORT;
    return pfs_walk(buf, len, 0, m, NULL, NULL, NULL);
}

/* ---- encode: the rows again, from the struct ---- */

static int enc_rows(struct wr *w, const struct pfs_field *rows, unsigned n, const void *base);

/* One row from the struct: the same range and rule as the walk, then the bytes. */
static int enc_field(struct wr *w, const struct pfs_field *f, const struct pfs_field *rows,
                     const void *base)
{
    if (pfs_row_is_int(f)) {
        /* A row without a member (magic) has one value, its range. */
        uint32_t v = f->store == PFS_NOSTORE ? f->min : pfs_row_int(base, f);
        if (f->ranged && (v < f->min || v > f->max))
            return f->err;
        put_be(w, v, f->size);
        return PFS_OK;
    }
    switch (f->kind) {
    case PFS_K_STR: {
        struct pfs_str s = pfs_row_str(base, f);
        if (f->ranged && (s.len < f->min || s.len > f->max))
            return f->err;
        int rc = pfs_row_strrule(f->strrule, (const uint8_t *)s.p, s.p ? s.len : 0);
        if (rc)
            return rc;
        put_be(w, s.len, 1);
        put_bytes(w, s.p, s.len);
        return PFS_OK;
    }
    case PFS_K_SHA256:
    case PFS_K_PAYLOAD: {
        const uint8_t *p = pfs_row_ptr(base, f);
        size_t len = f->kind == PFS_K_SHA256 ? f->size : pfs_row_int(base, &rows[f->count]);
        if (!p && len)
            return PFS_E_FIELD; /* bytes promised, none given */
        put_bytes(w, p, len);
        return PFS_OK;
    }
    case PFS_K_HINTS: {
        /* The count row came first and bounded the count. */
        uint32_t count = pfs_row_int(base, &rows[f->count]);
        const char *entries = (const char *)base + f->store;
        for (uint32_t i = 0; i < count && i < PFS_MAX_HINTS; i++) {
            int rc = enc_rows(w, f->sub, f->nsub, entries + i * sizeof(struct pfs_hint));
            if (rc)
                return rc;
        }
        return PFS_OK;
    }
    default: /* RESERVED */
        put_zero(w, f->size);
        return PFS_OK;
    }
}

static int enc_rows(struct wr *w, const struct pfs_field *rows, unsigned n, const void *base)
{
    for (unsigned i = 0; i < n; i++) {
        int rc = enc_field(w, &rows[i], rows, base);
        if (rc)
            return rc;
    }
    return PFS_OK;
}

/* Header, body, the message's rule and the TLV area, in the walk's order. */
static int enc_msg(struct wr *w, const struct pfs_msgdef *d, const struct pfs_msg *m)
{
    size_t nhdr;
    const struct pfs_field *hdr = pfs_header_fields(&nhdr);
    int rc = enc_rows(w, hdr, (unsigned)nhdr, m);
    if (rc)
        return rc;
    rc = enc_rows(w, d->fields, d->nfields, m);
    if (rc)
        return rc;
    unsigned at;
    rc = d->rule ? d->rule(m, &at) : PFS_OK;
    if (rc)
        return rc;
    rc = pfs_tlv_area_check(m->tlv, m->tlv_len);
    if (rc)
        return rc;
    put_bytes(w, m->tlv, m->tlv_len);
    return PFS_OK;
}

long pfs_encode(struct pfs_msg *m, uint8_t *out, size_t cap)
{
    if (!m)
        return PFS_E_FIELD;
    /* Version 0 means "the one this codec speaks", so zeroed structs encode. */
    if (m->version == 0)
        m->version = PFS_VERSION_1;
    if (m->version != PFS_VERSION_1)
        return PFS_E_VERSION;
    const struct pfs_msgdef *d = pfs_msgdef_of(m->type);
    if (!d)
        return PFS_E_TYPE;
    /* The length first, as a decoder judges it right after the header. */
    size_t total = PFS_HDR_LEN + pfs_body_len(m) + m->tlv_len;
    if (total > PFS_MSG_MAX)
        return PFS_E_LENGTH;
    if (d->transport == PFS_TR_UDP && total > PFS_UDP_MAX)
        return PFS_E_SIZE;
    m->length = (uint16_t)total;
    struct wr count = {NULL, 0, 0, 0};
    int rc = enc_msg(&count, d, m);
    if (rc)
        return rc;
    if (!out || cap < total)
        return PFS_E_NOSPACE;
    struct wr w = {out, cap, 0, 0};
    rc = enc_msg(&w, d, m);
    if (rc || w.full || w.off != total)
        return rc ? rc : PFS_E_NOSPACE;
    return (long)total;
}

/* ---- names ---- */

struct tok {
    unsigned v;
    const char *s;
};

static const char *tok_name(const struct tok *t, size_t n, unsigned v, const char *fallback)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].v == v)
            return t[i].s;
    return fallback;
}

#define TOK_NAME(tbl, v, fb) tok_name(tbl, sizeof tbl / sizeof tbl[0], v, fb)

static const struct tok err_names[] = {
    {0, "ok"},
    {(unsigned)-PFS_E_SHORT, "message shorter than its header or declared length"},
    {(unsigned)-PFS_E_MAGIC, "bad magic (not \"PF\")"},
    {(unsigned)-PFS_E_VERSION, "unknown protocol version"},
    {(unsigned)-PFS_E_LENGTH, "length field does not match the message"},
    {(unsigned)-PFS_E_STRLEN, "string longer than its maximum"},
    {(unsigned)-PFS_E_MODEL, "model empty or not printable ASCII"},
    {(unsigned)-PFS_E_PATH, "file path not allowed"},
    {(unsigned)-PFS_E_SIZE, "size over the maximum"},
    {(unsigned)-PFS_E_TYPE, "unknown message type"},
    {(unsigned)-PFS_E_FIELD, "field value out of range"},
    {(unsigned)-PFS_E_TLV, "extension TLV overruns the message"},
    {(unsigned)-PFS_E_NOSPACE, "output buffer too small"},
};

/* One word per fault, for log lines where a sentence would not parse. */
static const struct tok err_words[] = {
    {0, "ok"},
    {(unsigned)-PFS_E_SHORT, "short"},
    {(unsigned)-PFS_E_MAGIC, "bad-magic"},
    {(unsigned)-PFS_E_VERSION, "bad-version"},
    {(unsigned)-PFS_E_LENGTH, "bad-length"},
    {(unsigned)-PFS_E_STRLEN, "string-too-long"},
    {(unsigned)-PFS_E_MODEL, "bad-model"},
    {(unsigned)-PFS_E_PATH, "bad-path"},
    {(unsigned)-PFS_E_SIZE, "too-big"},
    {(unsigned)-PFS_E_TYPE, "bad-type"},
    {(unsigned)-PFS_E_FIELD, "bad-field"},
    {(unsigned)-PFS_E_TLV, "bad-tlv"},
    {(unsigned)-PFS_E_NOSPACE, "no-space"},
};

/* A value table's name, or the fallback for a value it does not have. */
static const char *val_or(const struct pfs_val *t, unsigned v, const char *fallback)
{
    const char *name = pfs_val_name(t, v);
    return name ? name : fallback;
}

const char *pfs_type_name(unsigned type)
{
    return val_or(pfs_type_vals, type, "Unknown");
}

const char *pfs_type_logname(unsigned type)
{
    const struct pfs_msgdef *d = pfs_msgdef_of(type);
    return d && d->logname ? d->logname : pfs_type_name(type);
}

const char *pfs_hstate_name(unsigned state)
{
    return val_or(pfs_hstate_vals, state, "UNKNOWN_STATE");
}

const char *pfs_reason_name(unsigned reason)
{
    return val_or(pfs_reason_vals, reason, "UNKNOWN_REASON");
}

const char *pfs_verdict_name(unsigned verdict)
{
    return val_or(pfs_verdict_vals, verdict, "UNKNOWN_VERDICT");
}

const char *pfs_source_name(unsigned source)
{
    return val_or(pfs_source_vals, source, "unknown");
}

const char *pfs_strerror(int err)
{
    if (err > 0 || err < PFS_E_NOSPACE)
        return "unknown error";
    return TOK_NAME(err_names, (unsigned)-err, "unknown error");
}

const char *pfs_errword(int err)
{
    if (err > 0 || err < PFS_E_NOSPACE)
        return "unknown";
    return TOK_NAME(err_words, (unsigned)-err, "unknown");
}

/* ---- helpers ---- */

static uint32_t fnv1a(uint32_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x01000193u; /* FNV-1a 32 prime */
    return h;
}

uint32_t pfs_hier_id(const char *model, const char *file)
{
    uint32_t h = fnv1a(0x811c9dc5u, model ? model : ""); /* FNV-1a 32 offset basis */
    h = (h ^ 0u) * 0x01000193u;                          /* the separator byte */
    /* A bare name is the file /dnld/NAME (§1): one file, one hierarchy. */
    if (file && *file && *file != '/')
        h = fnv1a(h, PFS_DNLD_PREFIX);
    return fnv1a(h, file ? file : "");
}

struct pfs_str pfs_str_of(const char *s)
{
    struct pfs_str r = {s ? s : "", 0};
    size_t n = s ? strnlen(s, 256) : 0;
    r.len = (uint8_t)(n > 255 ? 255 : n);
    return r;
}
