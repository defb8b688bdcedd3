/*
 * session.c - sessions and expert problems of a capture (see session.h).
 *
 * Every array grows by doubling and is searched linearly: a site has tens
 * of phones and a handful of files, and the last hit is tried first.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "session.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "pfs_table.h"

/* Room for element n; a failure is remembered (the report says memory ran out). */
static int grow(struct ses *s, void *arr, size_t *cap, size_t n, size_t elem)
{
    if (arr_grow(arr, cap, n + 1, elem) < 0) {
        s->oom = 1;
        return -1;
    }
    return 0;
}

void ses_init(struct ses *s)
{
    memset(s, 0, sizeof *s);
}

static void problem(struct ses *s, enum ses_sev sev, uint64_t frame, const char *what,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void problem(struct ses *s, enum ses_sev sev, uint64_t frame, const char *what,
                    const char *fmt, ...)
{
    if (grow(s, &s->probs, &s->cprobs, s->nprobs, sizeof *s->probs) < 0)
        return;
    struct ses_problem *p = &s->probs[s->nprobs++];
    p->sev = sev;
    p->frame = frame;
    snprintf(p->what, sizeof p->what, "%s", what);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->text, sizeof p->text, fmt, ap);
    va_end(ap);
}

static void copy_str(char *dst, size_t cap, const struct pfs_str *src)
{
    size_t n = src->len < cap - 1 ? src->len : cap - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src->p[i];
        dst[i] = c >= 0x21 && c <= 0x7e ? (char)c : '?';
    }
    dst[n] = 0;
}

/* ---- lookups ---- */

const struct ses_peer *ses_peer_of(const struct ses *s, uint32_t xid)
{
    for (size_t i = 0; i < s->npeers; i++)
        if (s->peers[i].xid == xid)
            return &s->peers[i];
    return NULL;
}

const struct ses_hier *ses_hier_of(const struct ses *s, uint32_t h)
{
    for (size_t i = 0; i < s->nhiers; i++)
        if (s->hiers[i].h == h)
            return &s->hiers[i];
    return NULL;
}

static struct ses_peer *peer(struct ses *s, uint32_t xid, const struct cap_event *ev)
{
    struct ses_peer *p = (struct ses_peer *)ses_peer_of(s, xid);
    if (!p) {
        if (grow(s, &s->peers, &s->cpeers, s->npeers, sizeof *s->peers) < 0)
            return NULL;
        p = &s->peers[s->npeers++];
        p->xid = xid;
        p->addr = ev->src;
        p->addr.port = 0;
        p->first = ev->ts;
    }
    p->last = ev->ts;
    return p;
}

static struct ses_hier *hier(struct ses *s, uint32_t h, const struct cap_event *ev)
{
    struct ses_hier *x = (struct ses_hier *)ses_hier_of(s, h);
    if (!x) {
        if (grow(s, &s->hiers, &s->chiers, s->nhiers, sizeof *s->hiers) < 0)
            return NULL;
        x = &s->hiers[s->nhiers++];
        x->h = h;
        x->first = ev->ts;
    }
    x->last = ev->ts;
    x->msgs++;
    return x;
}

static struct ses_member *member(struct ses *s, struct ses_hier *x, uint32_t xid)
{
    for (size_t i = 0; i < x->nm; i++)
        if (x->m[i].xid == xid)
            return &x->m[i];
    if (grow(s, &x->m, &x->cm, x->nm, sizeof *x->m) < 0)
        return NULL;
    struct ses_member *m = &x->m[x->nm++];
    m->xid = xid;
    return m;
}

static struct ses_xfer *xfer_of(struct ses *s, uint64_t conn)
{
    for (size_t i = s->nxfers; i-- > 0;)
        if (s->xfers[i].conn == conn)
            return &s->xfers[i];
    return NULL;
}

static struct ses_tftp *tftp_of(struct ses *s, uint64_t id)
{
    for (size_t i = s->ntftps; i-- > 0;)
        if (s->tftps[i].id == id)
            return &s->tftps[i];
    return NULL;
}

/* ---- PFS messages ---- */

static void name_hier(struct ses_hier *x, const struct pfs_str *model, const struct pfs_str *file)
{
    if (model && !x->model[0])
        copy_str(x->model, sizeof x->model, model);
    if (file && !x->file[0])
        copy_str(x->file, sizeof x->file, file);
}

static void add_root(struct ses *s, struct ses_hier *x, uint32_t xid)
{
    for (unsigned i = 0; i < x->nroots; i++)
        if (x->roots[i] == xid)
            return;
    if (x->nroots < sizeof x->roots / sizeof x->roots[0])
        x->roots[x->nroots++] = xid;
    struct ses_member *m = member(s, x, xid);
    if (m)
        m->root = 1;
}

static void ad_seq(struct ses *s, const struct cap_event *ev, const struct pfs_msg *m)
{
    const struct pfs_claim *c = &m->u.claim;
    struct ses_adseq *a = NULL;
    for (size_t i = 0; i < s->nads && !a; i++)
        if (s->ads[i].xid == m->xid && s->ads[i].h == m->hier)
            a = &s->ads[i];
    if (!a) {
        if (grow(s, &s->ads, &s->cads, s->nads, sizeof *s->ads) < 0)
            return;
        a = &s->ads[s->nads++];
        a->xid = m->xid;
        a->h = m->hier;
    } else if (a->map == c->map && c->seq > a->seq + 1) {
        problem(s, SES_WARNING, ev->frame, "ad-gap",
                "XID%08X H=%08X: Ad %u follows Ad %u (%u Ads not in the capture)", m->xid,
                m->hier, c->seq, a->seq, c->seq - a->seq - 1);
    }
    a->map = c->map;
    a->seq = c->seq;
}

static void on_claim(struct ses *s, const struct cap_event *ev, const struct pfs_msg *m,
                     struct ses_hier *x)
{
    const struct pfs_claim *c = &m->u.claim;
    name_hier(x, &c->model, &c->file);
    member(s, x, m->xid);
    if ((m->type == PFS_T_CLAIM && c->state == PFS_HS_CONF) ||
        (c->state == PFS_HS_WAITING && c->depth == 0))
        add_root(s, x, m->xid);
    if (m->type == PFS_T_AD)
        ad_seq(s, ev, m);
}

static const char *reason_name(unsigned r)
{
    const char *n = pfs_val_name(pfs_reason_vals, r);
    return n ? n : "unknown";
}

static void on_tcp_msg(struct ses *s, const struct cap_event *ev, const struct pfs_msg *m,
                       struct ses_hier *x)
{
    struct ses_xfer *t = xfer_of(s, ev->u.pfs.conn);
    if (!t)
        return;
    int from_child = cap_addr_same_host(&ev->src, &t->child_addr) &&
                     ev->src.port == t->child_addr.port;
    if (from_child && !t->child)
        t->child = m->xid;
    if (!from_child && !t->parent)
        t->parent = m->xid;
    if (m->hier && !t->h)
        t->h = m->hier;
    struct ses_member *cm = x && t->child ? member(s, x, t->child) : NULL;
    struct ses_member *pm = x && t->parent ? member(s, x, t->parent) : NULL;
    switch (m->type) {
    case PFS_T_JOIN:
        if (x)
            name_hier(x, &m->u.join.model, &m->u.join.file);
        break;
    case PFS_T_ACCEPT:
        /* Later ACCEPTs on the connection are the parent's keepalives while
         * the child waits for XFRCMD (docs/protocol.md §7): one child. */
        if (t->accepted)
            break;
        t->accepted = 1;
        if (cm)
            cm->parent = t->parent;
        if (pm) {
            pm->children++;
            if (++pm->active > PFS_MAX_CHILDREN)
                problem(s, SES_ERROR, ev->frame, "third-child",
                        "XID%08X H=%08X accepted XID%08X while it had %u children already",
                        t->parent, t->h, t->child, pm->active - 1);
        }
        break;
    case PFS_T_REFUSE:
        t->refused = 1;
        t->refuse_reason = m->u.refuse.reason;
        break;
    case PFS_T_XFRCMD:
        t->size = m->u.xfrcmd.size;
        if (x)
            name_hier(x, NULL, &m->u.xfrcmd.file);
        break;
    case PFS_T_DATA:
        t->data += m->u.data.len;
        break;
    case PFS_T_XFREND:
        t->ended = 1;
        break;
    case PFS_T_VERDICT:
        t->verdict = m->u.verdict.verdict;
        if (cm)
            cm->verdict = t->verdict;
        if (t->verdict == PFS_V_HASH)
            problem(s, SES_ERROR, ev->frame, "hash-failure",
                    "XID%08X H=%08X: the file from XID%08X failed its SHA-256 check", t->child,
                    t->h, t->parent);
        break;
    case PFS_T_ABORT:
        t->abort_reason = m->u.reason.reason;
        problem(s, SES_WARNING, ev->frame, "abort", "XID%08X H=%08X aborted the transfer %s XID%08X: %s",
                m->xid, t->h, from_child ? "from" : "to", from_child ? t->parent : t->child,
                reason_name(m->u.reason.reason));
        break;
    default:
        break;
    }
}

static void on_pfs(struct ses *s, const struct cap_event *ev)
{
    const struct cap_pfs *p = &ev->u.pfs;
    if (p->transport == CAP_TCP)
        s->tcp_msgs++;
    else
        s->udp_msgs++;
    if (p->err != PFS_OK) {
        s->malformed++;
        unsigned f = (unsigned)-p->err;
        if (f < sizeof s->by_fault / sizeof s->by_fault[0] && s->by_fault[f]++ == 0)
            problem(s, SES_WARNING, ev->frame, "malformed",
                    "first %s message (%s) from %s", cap_fault_name(p->err),
                    pfs_strerror(p->err), cap_addr_str(&ev->src, (char[CAP_ADDR_STRLEN]){0},
                                                       CAP_ADDR_STRLEN));
        return;
    }
    const struct pfs_msg *m = &p->msg;
    s->by_type[m->type <= PFS_T_MAX ? m->type : 0]++;
    struct ses_peer *pe = peer(s, m->xid, ev);
    if (pe)
        pe->msgs++;
    struct ses_hier *x = m->hier ? hier(s, m->hier, ev) : NULL;
    if (pe && !pe->model[0] && (m->type == PFS_T_CLAIM || m->type == PFS_T_AD))
        copy_str(pe->model, sizeof pe->model, &m->u.claim.model);
    if (x && (m->type == PFS_T_CLAIM || m->type == PFS_T_AD))
        on_claim(s, ev, m, x);
    if (p->transport == CAP_TCP)
        on_tcp_msg(s, ev, m, x);
}

/* ---- connections, notes, TFTP ---- */

static void on_conn(struct ses *s, const struct cap_event *ev)
{
    const struct cap_conn *c = &ev->u.conn;
    struct ses_xfer *t = xfer_of(s, c->id);
    if (ev->kind == CAP_EV_CONN_OPEN) {
        s->conns++;
        if (!c->syn_seen)
            s->midstream_conns++;
        if (grow(s, &s->xfers, &s->cxfers, s->nxfers, sizeof *s->xfers) < 0)
            return;
        t = &s->xfers[s->nxfers++];
        t->conn = c->id;
        t->child_addr = c->client;
        t->parent_addr = c->server;
        t->start = ev->ts;
        t->refuse_reason = t->abort_reason = -1;
        t->syn_seen = c->syn_seen;
        return;
    }
    if (!t)
        return;
    t->end = c->end;
    t->wire[0] = c->bytes[0];
    t->wire[1] = c->bytes[1];
    t->closed = 1;
    struct ses_hier *x = (struct ses_hier *)ses_hier_of(s, t->h);
    if (x && t->accepted && t->parent) {
        struct ses_member *pm = member(s, x, t->parent);
        if (pm && pm->active)
            pm->active--;
    }
}

static void on_note(struct ses *s, const struct cap_event *ev)
{
    char a[CAP_ADDR_STRLEN], b[CAP_ADDR_STRLEN];
    cap_addr_str(&ev->src, a, sizeof a);
    cap_addr_str(&ev->dst, b, sizeof b);
    const struct cap_stream_note *n = &ev->u.note;
    if (ev->kind == CAP_EV_GAP) {
        s->gaps++;
        s->gap_bytes += n->bytes;
        problem(s, SES_NOTE, ev->frame, "gap", "%" PRIu64 " bytes of %s > %s missing at stream offset %" PRIu64,
                n->bytes, a, b, n->offset);
    } else {
        s->resyncs++;
        s->skipped += n->bytes;
        if (n->midstream)
            problem(s, SES_NOTE, ev->frame, "mid-stream",
                    "%s > %s starts mid-stream: %" PRIu64 " bytes before the first whole message",
                    a, b, n->bytes);
    }
}

static void on_tftp(struct ses *s, const struct cap_event *ev)
{
    const struct cap_tftp *t = &ev->u.tftp;
    if (!t->transfer || t->fault)
        return;
    struct ses_tftp *x = tftp_of(s, t->transfer);
    if (!x && (t->opcode == TFTP_RRQ || t->opcode == TFTP_WRQ)) {
        if (grow(s, &s->tftps, &s->ctftps, s->ntftps, sizeof *s->tftps) < 0)
            return;
        x = &s->tftps[s->ntftps++];
        x->id = t->transfer;
        x->client = ev->src;
        x->server = ev->dst;
        snprintf(x->file, sizeof x->file, "%s", t->file);
        x->start = x->end = ev->ts;
        x->blksize = 512;
        return;
    }
    if (!x)
        return;
    x->end = ev->ts;
    if (t->opcode == TFTP_OACK) {
        for (unsigned i = 0; i < t->nopts; i++)
            if (strcmp(t->opts[i].name, "blksize") == 0)
                x->blksize = (unsigned)strtoul(t->opts[i].value, NULL, 10);
    } else if (t->opcode == TFTP_DATA && t->block == (uint16_t)(x->last_block + 1)) {
        x->last_block = t->block;
        x->blocks++;
        x->bytes += t->data_len;
        if (t->data_len < x->blksize)
            x->done = 1;
    } else if (t->opcode == TFTP_ERROR && !x->error) {
        x->error = t->err_code + 1;
        snprintf(x->errmsg, sizeof x->errmsg, "%s", t->err_msg ? t->err_msg : "");
        problem(s, SES_WARNING, ev->frame, "tftp-error", "TFTP error %u \"%s\" for %s",
                t->err_code, x->errmsg, x->file);
    }
}

void ses_event(struct ses *s, const struct cap_event *ev)
{
    if (!s->have_time) {
        s->first = ev->ts;
        s->have_time = 1;
    }
    s->last = ev->ts;
    switch (ev->kind) {
    case CAP_EV_PFS: on_pfs(s, ev); break;
    case CAP_EV_TFTP: on_tftp(s, ev); break;
    case CAP_EV_CONN_OPEN: case CAP_EV_CONN_CLOSE: on_conn(s, ev); break;
    case CAP_EV_GAP: case CAP_EV_RESYNC: on_note(s, ev); break;
    }
}

/* ---- whole-capture problems ---- */

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

static const struct ses_peer *peer_at(const struct ses *s, const struct cap_addr *a)
{
    for (size_t i = 0; i < s->npeers; i++)
        if (cap_addr_same_host(&s->peers[i].addr, a))
            return &s->peers[i];
    return NULL;
}

static void tftp_beside(struct ses *s, const struct ses_tftp *t)
{
    const struct ses_peer *p = peer_at(s, &t->client);
    for (size_t i = 0; i < s->nhiers; i++) {
        struct ses_hier *x = &s->hiers[i];
        if (!x->file[0] || strcmp(base_name(x->file), base_name(t->file)) != 0)
            continue;
        if (p) {
            struct ses_member *m = member(s, x, p->xid);
            if (m)
                m->fetched = 1;
        }
        int is_root = 0;
        for (unsigned k = 0; k < x->nroots; k++)
            is_root |= p && x->roots[k] == p->xid;
        if (x->nroots && !is_root) {
            char a[CAP_ADDR_STRLEN], who[CAP_ADDR_STRLEN + 16];
            cap_addr_str(&t->client, a, sizeof a);
            if (p)
                snprintf(who, sizeof who, "XID%08X (%s)", p->xid, a);
            else
                snprintf(who, sizeof who, "%s", a);
            problem(s, SES_WARNING, 0, "tftp-fallback",
                    "%s fetched %s over TFTP although H=%08X has root XID%08X", who, t->file,
                    x->h, x->roots[0]);
        }
    }
}

void ses_finish(struct ses *s)
{
    for (size_t i = 0; i < s->nhiers; i++) {
        const struct ses_hier *x = &s->hiers[i];
        if (x->nroots > 1)
            problem(s, SES_ERROR, 0, "two-roots", "H=%08X %s: %u roots (XID%08X, XID%08X%s)",
                    x->h, x->file, x->nroots, x->roots[0], x->roots[1], x->nroots > 2 ? ", ..." : "");
    }
    for (size_t i = 0; i < s->ntftps; i++)
        tftp_beside(s, &s->tftps[i]);
}

void ses_free(struct ses *s)
{
    for (size_t i = 0; i < s->nhiers; i++)
        free(s->hiers[i].m);
    free(s->peers);
    free(s->hiers);
    free(s->xfers);
    free(s->tftps);
    free(s->probs);
    free(s->ads);
    memset(s, 0, sizeof *s);
}
