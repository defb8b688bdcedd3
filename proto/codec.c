/*
 * codec.c - encode, decode and validate PFS messages (docs/protocol.md).
 *
 * Bytes are read through a bounded cursor whose getters fail on overrun
 * (tcpdump's GET_ style) and written through one whose putters fail when
 * the output is full: no unchecked pointer arithmetic on wire data.
 * Decode and encode share the same validation functions, so a struct that
 * encodes always decodes again, and an invalid struct fails encode with the
 * code decode would give for its bytes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "pfs.h"
#include "pfs_table.h"

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

struct wr {
    uint8_t *p;
    size_t cap;
    size_t off;
    int full;     /* set once a put did not fit; later puts do nothing */
};

static int room(struct wr *w, size_t n)
{
    if (w->full || w->off > w->cap || n > w->cap - w->off) {
        w->full = 1;
        return 0;
    }
    return 1;
}

static void put_u8(struct wr *w, unsigned v)
{
    if (room(w, 1))
        w->p[w->off++] = (uint8_t)v;
}

static void put_u16(struct wr *w, unsigned v)
{
    if (!room(w, 2))
        return;
    w->p[w->off] = (uint8_t)(v >> 8);
    w->p[w->off + 1] = (uint8_t)v;
    w->off += 2;
}

static void put_u32(struct wr *w, uint32_t v)
{
    if (!room(w, 4))
        return;
    for (int i = 0; i < 4; i++)
        w->p[w->off + (size_t)i] = (uint8_t)(v >> (24 - 8 * i));
    w->off += 4;
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

static void put_str(struct wr *w, const struct pfs_str *s)
{
    put_u8(w, s->len);
    put_bytes(w, s->p, s->len);
}

/* ---- validation, shared by decode and encode ---- */

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

static int check_str_model(const struct pfs_str *s)
{
    return pfs_check_model(s->p, s->len);
}

static int check_str_path(const struct pfs_str *s)
{
    return pfs_check_path(s->p, s->len);
}

static int check_model_file(const struct pfs_str *model, const struct pfs_str *file)
{
    /* Lengths of both strings first, so a too-long file is STRLEN, not MODEL. */
    if (model->len > PFS_MODEL_MAX || file->len > PFS_PATH_MAX)
        return PFS_E_STRLEN;
    int rc = check_str_model(model);
    return rc ? rc : check_str_path(file);
}

static int check_claim(const struct pfs_claim *c, unsigned type)
{
    if (type == PFS_T_CLAIM) {
        /* A claim is a root claim: tentative or confirmed, never numbered. */
        if (c->seq != 0 || (c->state != PFS_HS_TENT && c->state != PFS_HS_CONF))
            return PFS_E_FIELD;
    } else if (c->seq == 0 || c->state < PFS_HS_TENT || c->state > PFS_HS_MAX) {
        return PFS_E_FIELD;
    }
    if (c->free_slots > PFS_MAX_CHILDREN)
        return PFS_E_FIELD;
    return check_model_file(&c->model, &c->file);
}

static int check_join(const struct pfs_join *j)
{
    if (j->try_no == 0)
        return PFS_E_FIELD; /* tries count from 1 */
    return check_model_file(&j->model, &j->file);
}

static int check_accept(const struct pfs_accept *a)
{
    /* A parent at PFS_DEPTH_NONE is not attached: its child's depth would wrap. */
    if (a->index >= PFS_MAX_CHILDREN || a->depth == PFS_DEPTH_NONE)
        return PFS_E_FIELD;
    return PFS_OK;
}

static int check_refuse(const struct pfs_refuse *r)
{
    if (r->reason < PFS_R_FULL || r->reason > PFS_R_SHUTDOWN || r->nhints > PFS_MAX_HINTS)
        return PFS_E_FIELD;
    return PFS_OK;
}

static int check_xfrcmd(const struct pfs_xfrcmd *x)
{
    if (x->size > PFS_FILE_MAX)
        return PFS_E_SIZE;
    if (x->source < PFS_SRC_TFTP || x->source > PFS_SRC_PEER || !x->sha256)
        return PFS_E_FIELD;
    if (x->file.len > PFS_PATH_MAX)
        return PFS_E_STRLEN;
    return check_str_path(&x->file);
}

static int check_data(const struct pfs_data *d)
{
    if (d->len == 0 || d->len > PFS_DATA_MAX)
        return PFS_E_SIZE;
    if (d->offset > PFS_FILE_MAX || d->len > PFS_FILE_MAX - d->offset)
        return PFS_E_SIZE;
    if (!d->bytes)
        return PFS_E_FIELD;
    return PFS_OK;
}

static int check_body(const struct pfs_msg *m)
{
    switch (m->type) {
    case PFS_T_CLAIM:
    case PFS_T_AD: return check_claim(&m->u.claim, m->type);
    case PFS_T_JOIN: return check_join(&m->u.join);
    case PFS_T_ACCEPT: return check_accept(&m->u.accept);
    case PFS_T_REFUSE: return check_refuse(&m->u.refuse);
    case PFS_T_XFRCMD: return check_xfrcmd(&m->u.xfrcmd);
    case PFS_T_DATA: return check_data(&m->u.data);
    case PFS_T_XFREND: return m->u.xfrend.size > PFS_FILE_MAX ? PFS_E_SIZE : PFS_OK;
    case PFS_T_VERDICT:
        if (m->u.verdict.verdict < PFS_V_OK || m->u.verdict.verdict > PFS_V_MAX)
            return PFS_E_FIELD;
        return m->u.verdict.bytes > PFS_FILE_MAX ? PFS_E_SIZE : PFS_OK;
    case PFS_T_ABORT:
    case PFS_T_LEAVE: return m->u.reason.reason > PFS_R_MAX ? PFS_E_FIELD : PFS_OK;
    default: return PFS_E_TYPE;
    }
}

/* Known TLVs have a fixed shape; unknown ones only have to fit. */
static int check_tlv_item(const struct pfs_tlv_item *it)
{
    switch (it->type) {
    case PFS_TLV_UPTIME:
        return it->len == 4 ? PFS_OK : PFS_E_TLV;
    case PFS_TLV_FIRMWARE:
        if (it->len == 0)
            return PFS_E_TLV;
        for (size_t i = 0; i < it->len; i++)
            if (it->value[i] < 0x21 || it->value[i] > 0x7e)
                return PFS_E_TLV;
        return PFS_OK;
    default:
        return PFS_OK;
    }
}

static int check_tlv_area(const struct pfs_msg *m)
{
    if (m->tlv_len && !m->tlv)
        return PFS_E_TLV;
    size_t off = 0;
    struct pfs_tlv_item it;
    int rc;
    while ((rc = pfs_tlv_next(m, &off, &it)) == 1) {
        rc = check_tlv_item(&it);
        if (rc)
            return rc;
    }
    return rc;
}

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

/* ---- encode ---- */

static void enc_claim(struct wr *w, const struct pfs_claim *c)
{
    put_u8(w, c->state);
    put_u8(w, c->seq);
    put_u8(w, c->depth);
    put_u8(w, c->free_slots);
    put_u32(w, c->map);
    put_u32(w, c->strength);
    put_u32(w, c->root_xid);
    put_u32(w, c->addr);
    put_u16(w, c->port);
    put_str(w, &c->model);
    put_str(w, &c->file);
}

static void enc_join(struct wr *w, const struct pfs_join *j)
{
    put_u32(w, j->addr);
    put_u16(w, j->port);
    put_u8(w, j->try_no);
    put_zero(w, 1);
    put_str(w, &j->model);
    put_str(w, &j->file);
}

static void enc_refuse(struct wr *w, const struct pfs_refuse *f)
{
    put_u8(w, f->reason);
    put_u8(w, f->nhints);
    put_zero(w, 2);
    for (unsigned i = 0; i < f->nhints && i < PFS_MAX_HINTS; i++) {
        put_u32(w, f->hints[i].xid);
        put_u32(w, f->hints[i].addr);
        put_u16(w, f->hints[i].port);
        put_zero(w, 2);
    }
}

static void enc_xfrcmd(struct wr *w, const struct pfs_xfrcmd *x)
{
    put_u32(w, x->size);
    put_u8(w, x->source);
    put_zero(w, 3);
    put_u32(w, x->origin_xid);
    put_bytes(w, x->sha256, PFS_SHA256_LEN);
    put_str(w, &x->file);
}

static void enc_body(struct wr *w, const struct pfs_msg *m)
{
    switch (m->type) {
    case PFS_T_CLAIM:
    case PFS_T_AD: enc_claim(w, &m->u.claim); break;
    case PFS_T_JOIN: enc_join(w, &m->u.join); break;
    case PFS_T_ACCEPT:
        put_u8(w, m->u.accept.index);
        put_u8(w, m->u.accept.depth);
        put_zero(w, 2);
        put_u32(w, m->u.accept.root_xid);
        break;
    case PFS_T_REFUSE: enc_refuse(w, &m->u.refuse); break;
    case PFS_T_XFRCMD: enc_xfrcmd(w, &m->u.xfrcmd); break;
    case PFS_T_DATA:
        put_u32(w, m->u.data.offset);
        put_u16(w, m->u.data.len);
        put_zero(w, 2);
        put_bytes(w, m->u.data.bytes, m->u.data.len);
        break;
    case PFS_T_XFREND: put_u32(w, m->u.xfrend.size); break;
    case PFS_T_VERDICT:
        put_u8(w, m->u.verdict.verdict);
        put_zero(w, 3);
        put_u32(w, m->u.verdict.bytes);
        break;
    default: /* ABORT, LEAVE: check_body let nothing else through */
        put_u8(w, m->u.reason.reason);
        put_zero(w, 3);
        break;
    }
}

/* Body size for the length field, from the layouts of docs/protocol.md §3. */
static size_t body_len(const struct pfs_msg *m)
{
    switch (m->type) {
    case PFS_T_CLAIM:
    case PFS_T_AD: return 22u + 1u + m->u.claim.model.len + 1u + m->u.claim.file.len;
    case PFS_T_JOIN: return 8u + 1u + m->u.join.model.len + 1u + m->u.join.file.len;
    case PFS_T_ACCEPT: return 8;
    case PFS_T_REFUSE: return 4u + 12u * m->u.refuse.nhints;
    case PFS_T_XFRCMD: return 44u + 1u + m->u.xfrcmd.file.len;
    case PFS_T_DATA: return 8u + m->u.data.len;
    case PFS_T_XFREND: return 4;
    case PFS_T_VERDICT: return 8;
    default: return 4; /* ABORT, LEAVE */
    }
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
    if (m->type < PFS_T_CLAIM || m->type > PFS_T_MAX)
        return PFS_E_TYPE;
    int rc = check_body(m);
    if (rc)
        return rc;
    rc = check_tlv_area(m);
    if (rc)
        return rc;
    size_t total = PFS_HDR_LEN + body_len(m) + m->tlv_len;
    if (total > PFS_MSG_MAX)
        return PFS_E_LENGTH;
    if (!out || cap < total)
        return PFS_E_NOSPACE;
    m->length = (uint16_t)total;
    struct wr w = {out, cap, 0, 0};
    put_u16(&w, PFS_MAGIC);
    put_u8(&w, m->version);
    put_u8(&w, m->type);
    put_u16(&w, m->flags);
    put_u16(&w, m->length);
    put_u32(&w, m->xid);
    put_u32(&w, m->hier);
    enc_body(&w, m);
    put_bytes(&w, m->tlv, m->tlv_len);
    if (w.full || w.off != total)
        return PFS_E_NOSPACE;
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

static const struct tok type_names[] = {
    {PFS_T_CLAIM, "ClaimRoot"}, {PFS_T_AD, "Ad"},           {PFS_T_JOIN, "Join"},
    {PFS_T_ACCEPT, "Accept"},   {PFS_T_REFUSE, "Refuse"},   {PFS_T_XFRCMD, "XfrCmd"},
    {PFS_T_DATA, "Data"},       {PFS_T_XFREND, "XfrEnd"},   {PFS_T_VERDICT, "Verdict"},
    {PFS_T_ABORT, "Abort"},     {PFS_T_LEAVE, "Leave"},
};

static const struct tok hstate_names[] = {
    {PFS_HS_TENT, "ClaimRoot(tent)"}, {PFS_HS_CONF, "ClaimRoot(conf)"},
    {PFS_HS_WAITING, "ROOT_WAITING"}, {PFS_HS_SEEK, "Seek"},
    {PFS_HS_MEMBER, "Member"},        {PFS_HS_DONE, "Done"},
};

static const struct tok reason_names[] = {
    {PFS_R_NONE, "NONE"},         {PFS_R_FULL, "FULL"},         {PFS_R_NOT_MEMBER, "NOT_MEMBER"},
    {PFS_R_WRONG_HIER, "WRONG_HIER"}, {PFS_R_SHUTDOWN, "SHUTDOWN"}, {PFS_R_TIMEOUT, "TIMEOUT"},
    {PFS_R_HASH, "HASH"},         {PFS_R_IO, "IO"},             {PFS_R_PROTOCOL, "PROTOCOL"},
    {PFS_R_DONE, "DONE"},
};

static const struct tok verdict_names[] = {
    {PFS_V_OK, "OK"}, {PFS_V_HASH, "HASH"}, {PFS_V_SHORT, "SHORT"}, {PFS_V_IO, "IO"},
};

static const struct tok source_names[] = {
    {PFS_SRC_TFTP, "tftp"}, {PFS_SRC_PEER, "peer"},
};

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

const char *pfs_type_name(unsigned type)
{
    return TOK_NAME(type_names, type, "Unknown");
}

const char *pfs_hstate_name(unsigned state)
{
    return TOK_NAME(hstate_names, state, "UNKNOWN_STATE");
}

const char *pfs_reason_name(unsigned reason)
{
    return TOK_NAME(reason_names, reason, "UNKNOWN_REASON");
}

const char *pfs_verdict_name(unsigned verdict)
{
    return TOK_NAME(verdict_names, verdict, "UNKNOWN_VERDICT");
}

const char *pfs_source_name(unsigned source)
{
    return TOK_NAME(source_names, source, "unknown");
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

uint32_t pfs_hier_id(const char *model, const char *file)
{
    uint32_t h = 0x811c9dc5u; /* FNV-1a 32 offset basis */
    const uint32_t prime = 0x01000193u;
    for (const char *s = model ? model : ""; *s; s++)
        h = (h ^ (uint8_t)*s) * prime;
    h = (h ^ 0u) * prime; /* the separator byte */
    for (const char *s = file ? file : ""; *s; s++)
        h = (h ^ (uint8_t)*s) * prime;
    return h;
}

struct pfs_str pfs_str_of(const char *s)
{
    struct pfs_str r = {s ? s : "", 0};
    size_t n = s ? strnlen(s, 256) : 0;
    r.len = (uint8_t)(n > 255 ? 255 : n);
    return r;
}
