/*
 * replay_script.c - from the recorded messages to the endpoints they show
 * and to one script per session around the endpoint under test.
 *
 * Sessions: one per hierarchy for the UDP election (the target's CLAIMs,
 * ADs and LEAVEs are expected, the peers' are sent), one per recorded TCP
 * connection that has the target at one end (a recorded child connecting
 * to it, or it connecting to a recorded parent). Connections between two
 * recorded peers are not played: the target never saw them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "replay.h"

static struct rp_endpoint *ep_get(struct rp_endpoints *e, uint32_t xid)
{
    for (int i = 0; i < e->n; i++)
        if (e->ep[i].xid == xid)
            return &e->ep[i];
    if (e->n == RP_MAX_EP)
        return NULL;
    struct rp_endpoint *p = &e->ep[e->n++];
    memset(p, 0, sizeof *p);
    p->xid = xid;
    return p;
}

const struct rp_endpoint *rp_endpoint_by_xid(const struct rp_endpoints *e, uint32_t xid)
{
    for (int i = 0; i < e->n; i++)
        if (e->ep[i].xid == xid)
            return &e->ep[i];
    return NULL;
}

static int hier_index(const struct rp_endpoint *p, uint32_t h)
{
    for (int i = 0; i < p->nhier; i++)
        if (p->hier[i] == h)
            return i;
    return -1;
}

static void copy_str(char *dst, size_t cap, struct pfs_str s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    memcpy(dst, s.p, n);
    dst[n] = 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* What one endpoint's claims and ads say about its identity and timers. */
static void learn_claim(struct rp_endpoint *p, const struct rp_rec *r, int64_t *last_ad,
                        int64_t *gaps, size_t *ngaps, size_t capgaps)
{
    const struct pfs_claim *cl = &r->m.u.claim;
    p->addr = r->src;
    p->port = cl->port;
    if (!p->model[0])
        copy_str(p->model, sizeof p->model, cl->model);
    int k = hier_index(p, r->m.hier);
    if (k < 0 && p->nhier < RP_MAX_HIER) {
        k = p->nhier++;
        p->hier[k] = r->m.hier;
        if (k == 0) {
            /* Recordings made before the trust anchor elect the .loads first. */
            char path[PFS_PATH_MAX + 1];
            copy_str(path, sizeof path, cl->file);
            const char *base = strrchr(path, '/');
            base = base ? base + 1 : path;
            size_t n = strlen(base);
            if (n > 6 && strcmp(base + n - 6, ".loads") == 0) {
                snprintf(p->load, sizeof p->load, "%s", base);
                p->loads_hier = 1;
            }
        }
    }
    if (k < 0)
        return;
    if (r->m.type == PFS_T_CLAIM && cl->state == PFS_HS_TENT && !p->strength[k])
        p->strength[k] = cl->strength;
    if (r->m.type == PFS_T_AD && cl->state == PFS_HS_TENT) {
        if (cl->seq > p->ad_count)
            p->ad_count = cl->seq;
        if (cl->seq > 1 && *last_ad >= 0 && *ngaps < capgaps)
            gaps[(*ngaps)++] = r->t_ns - *last_ad;
        *last_ad = r->t_ns;
    }
}

/*
 * ROOT_WAITING: from the root's CLAIM(conf) to its TFTP read request, or,
 * when the capture does not show TFTP (a server off port 69), to the
 * root's first Done AD, less the fetch: rounded down to 50 ms.
 */
static void learn_root_wait(struct rp_endpoint *p, const struct rp_capture *c, size_t conf)
{
    const struct rp_rec *cr = &c->rec[conf];
    int64_t w = -1;
    for (size_t i = 0; i < c->nrrq && w < 0; i++)
        if (c->rrq[i].src == p->addr && c->rrq[i].t_ns >= cr->t_ns)
            w = c->rrq[i].t_ns - cr->t_ns;
    for (size_t i = conf + 1; i < c->nrec && w < 0; i++) {
        const struct rp_rec *r = &c->rec[i];
        if (r->err == PFS_OK && !r->tcp && r->m.type == PFS_T_AD && r->m.xid == cr->m.xid &&
            r->m.hier == cr->m.hier && r->m.u.claim.state == PFS_HS_DONE)
            w = (r->t_ns - cr->t_ns) / 50000000 * 50000000;
    }
    if (w > 0 && (!p->root_wait_ns || w < p->root_wait_ns))
        p->root_wait_ns = w;
}

/* A capture of TCP alone still names who is where: the sender of each message. */
static void learn_tcp(struct rp_endpoints *e, const struct rp_capture *c, const struct rp_rec *r)
{
    struct rp_endpoint *p = ep_get(e, r->m.xid);
    if (!p || p->addr)
        return;
    const struct rp_conn *k = rp_conn_find(c, r->conn);
    p->addr = r->src;
    if (k && k->server == r->src)
        p->port = k->sport;
    else if (r->m.type == PFS_T_JOIN)
        p->port = r->m.u.join.port;
}

void rp_endpoints_build(const struct rp_capture *c, struct rp_endpoints *e)
{
    enum { NGAP = 64 };
    int64_t(*gaps)[NGAP] = calloc(RP_MAX_EP, sizeof *gaps);
    size_t ngaps[RP_MAX_EP] = {0};
    int64_t last_ad[RP_MAX_EP];
    e->n = 0;
    if (!gaps)
        return;
    for (int i = 0; i < RP_MAX_EP; i++)
        last_ad[i] = -1;
    for (size_t i = 0; i < c->nrec; i++) {
        const struct rp_rec *r = &c->rec[i];
        if (r->err == PFS_OK && r->tcp)
            learn_tcp(e, c, r);
        if (r->err != PFS_OK || r->tcp)
            continue;
        if (r->m.type != PFS_T_CLAIM && r->m.type != PFS_T_AD)
            continue;
        struct rp_endpoint *p = ep_get(e, r->m.xid);
        if (!p)
            continue;
        int k = (int)(p - e->ep);
        learn_claim(p, r, &last_ad[k], gaps[k], &ngaps[k], NGAP);
        if (r->m.type == PFS_T_CLAIM && r->m.u.claim.state == PFS_HS_CONF)
            learn_root_wait(p, c, i);
    }
    /* The load: each endpoint fetches its .loads from the TFTP server itself. */
    for (int k = 0; k < e->n; k++)
        for (size_t i = 0; i < c->nrrq && !e->ep[k].load[0]; i++) {
            size_t n = strlen(c->rrq[i].file);
            if (c->rrq[i].src == e->ep[k].addr && n > 6 &&
                strcmp(c->rrq[i].file + n - 6, ".loads") == 0 && !strchr(c->rrq[i].file, '/'))
                snprintf(e->ep[k].load, sizeof e->ep[k].load, "%s", c->rrq[i].file);
        }
    for (int k = 0; k < e->n; k++) {
        if (!ngaps[k])
            continue;
        qsort(gaps[k], ngaps[k], sizeof gaps[k][0], cmp_i64);
        e->ep[k].ad_gap_ns = gaps[k][ngaps[k] / 2];
    }
    free(gaps);
}

/* Building sessions. */

static struct rp_session *sess_new(struct rp_script *s, enum rp_sess_kind kind)
{
    struct rp_session *n = realloc(s->sess, (s->nsess + 1) * sizeof *n);
    if (!n)
        return NULL;
    s->sess = n;
    struct rp_session *x = &s->sess[s->nsess++];
    memset(x, 0, sizeof *x);
    x->kind = kind;
    x->fd = -1;
    return x;
}

static struct rp_step *step_add(struct rp_session *x, enum rp_step_kind k, size_t rec, int64_t t)
{
    if (rp_grow((void **)&x->steps, &x->cap, x->nsteps, sizeof *x->steps) != 0)
        return NULL;
    struct rp_step *st = &x->steps[x->nsteps++];
    memset(st, 0, sizeof *st);
    st->kind = k;
    st->rec = rec;
    st->t_ns = t;
    return st;
}

static struct rp_session *election_of(struct rp_script *s, const struct rp_rec *r)
{
    for (size_t i = 0; i < s->nsess; i++)
        if (s->sess[i].kind == RP_S_ELECTION && s->sess[i].hier == r->m.hier)
            return &s->sess[i];
    struct rp_session *x = sess_new(s, RP_S_ELECTION);
    if (!x)
        return NULL;
    x->hier = r->m.hier;
    snprintf(x->name, sizeof x->name, "election H=%08X", r->m.hier);
    return x;
}

static struct rp_session *tcp_of(struct rp_script *s, const struct rp_capture *c,
                                 const struct rp_rec *r)
{
    for (size_t i = 0; i < s->nsess; i++)
        if (s->sess[i].kind != RP_S_ELECTION && s->sess[i].conn == r->conn)
            return &s->sess[i];
    const struct rp_conn *k = rp_conn_find(c, r->conn);
    if (!k || (k->client != s->target_addr && k->server != s->target_addr))
        return NULL;
    int child = k->server == s->target_addr;
    struct rp_session *x = sess_new(s, child ? RP_S_CHILD : RP_S_PARENT);
    if (!x)
        return NULL;
    x->conn = r->conn;
    x->peer_addr = child ? k->client : k->server;
    x->peer_port = child ? k->cport : k->sport;
    x->hier = r->m.hier;
    return x;
}

/* Names a session once its peer and hierarchy are known. */
static void name_session(struct rp_session *x, const struct rp_capture *c)
{
    char ip[16], file[PFS_PATH_MAX + 1] = "";
    for (size_t i = 0; i < x->nsteps; i++) {
        const struct pfs_msg *m = &c->rec[x->steps[i].rec].m;
        if (m->type == PFS_T_JOIN)
            copy_str(file, sizeof file, m->u.join.file);
        else if ((m->type == PFS_T_CLAIM || m->type == PFS_T_AD) && !file[0])
            copy_str(file, sizeof file, m->u.claim.file);
        if (x->steps[i].kind == RP_SEND && !x->peer_xid && x->kind != RP_S_ELECTION)
            x->peer_xid = m->xid;
    }
    rp_ip_str(x->peer_addr, ip, sizeof ip);
    if (x->kind == RP_S_ELECTION)
        snprintf(x->name, sizeof x->name, "election H=%08X %s", x->hier, file);
    else
        snprintf(x->name, sizeof x->name, "%s XID%08X %s H=%08X %s",
                 x->kind == RP_S_CHILD ? "child" : "parent", x->peer_xid, ip, x->hier, file);
}

/* The target's tentative Ads just before it yielded: timing decides how many. */
static void mark_optional(struct rp_session *x, const struct rp_capture *c)
{
    for (size_t i = 0; i < x->nsteps; i++) {
        const struct pfs_msg *m = &c->rec[x->steps[i].rec].m;
        if (x->steps[i].kind != RP_EXPECT || m->type != PFS_T_AD || m->u.claim.state != PFS_HS_SEEK)
            continue;
        for (size_t j = i; j-- > 0;) {
            const struct pfs_msg *p = &c->rec[x->steps[j].rec].m;
            if (x->steps[j].kind != RP_EXPECT)
                continue;
            if (p->type != PFS_T_AD || p->u.claim.state != PFS_HS_TENT)
                break;
            x->steps[j].optional = 1;
        }
    }
}

/* 1 when x already expects an ACCEPT from the target. */
static int has_accept_of(const struct rp_session *x, const struct rp_capture *c)
{
    for (size_t i = 0; i < x->nsteps; i++)
        if (x->steps[i].kind == RP_EXPECT && c->rec[x->steps[i].rec].m.type == PFS_T_ACCEPT)
            return 1;
    return 0;
}

static int add_rec(struct rp_script *s, const struct rp_capture *c, size_t i, uint8_t *lastkey,
                   size_t *lastlen)
{
    const struct rp_rec *r = &c->rec[i];
    int mine = r->src == s->target_addr;
    struct rp_session *x = r->tcp ? tcp_of(s, c, r) : election_of(s, r);
    if (!x) {
        s->ignored++;
        return 0;
    }
    if (!r->tcp && mine) {
        /* Repeats of one view (answers to each claim heard) count once. */
        uint8_t key[32];
        size_t n = rp_elect_key(&r->m, key);
        size_t k = (size_t)(x - s->sess);
        if (k >= s->keycap)
            return step_add(x, RP_EXPECT, i, r->t_ns) ? 0 : -1;
        if (lastlen[k] == n && memcmp(lastkey + k * 32, key, n) == 0)
            return 0;
        memcpy(lastkey + k * 32, key, n);
        lastlen[k] = n;
    }
    if (r->tcp && mine && r->m.type == PFS_T_ACCEPT && has_accept_of(x, c)) {
        /* The target's keepalive ACCEPTs before XFRCMD follow its timers,
         * not the peer's: not expected (docs/protocol.md §7). */
        s->ignored++;
        return 0;
    }
    if (r->tcp && x->kind == RP_S_CHILD && x->nsteps == 0) {
        const struct rp_conn *k = rp_conn_find(c, r->conn);
        if (!step_add(x, RP_CONNECT, i, k ? k->t_open_ns : r->t_ns))
            return -1;
    }
    return step_add(x, mine ? RP_EXPECT : RP_SEND, i, r->t_ns) ? 0 : -1;
}

struct order_key {
    int64_t t;
    uint64_t frame;
    int tie;
    size_t sess, step;
};

static int cmp_order(const void *a, const void *b)
{
    const struct order_key *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->frame != y->frame)
        return x->frame < y->frame ? -1 : 1;
    return x->tie - y->tie;
}

/* The recorded peer's side of x's connection: a child connects (the client). */
static int peer_side(const struct rp_session *x)
{
    return x->kind == RP_S_CHILD ? 0 : 1;
}

/* Every step's place in the recording, and the list of sends in that order. */
static int order_steps(struct rp_script *s, const struct rp_capture *c)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nsess; i++)
        n += s->sess[i].nsteps;
    struct order_key *k = calloc(n ? n : 1, sizeof *k);
    s->sends = calloc(n ? n : 1, sizeof *s->sends);
    if (!k || !s->sends) {
        free(k);
        return -1;
    }
    size_t j = 0;
    for (size_t i = 0; i < s->nsess; i++)
        for (size_t t = 0; t < s->sess[i].nsteps; t++) {
            const struct rp_step *st = &s->sess[i].steps[t];
            int tie = st->kind == RP_CONNECT ? -1 : st->kind == RP_CLOSE ? 1 : 0;
            k[j++] = (struct order_key){st->t_ns, c->rec[st->rec].frame, tie, i, t};
        }
    qsort(k, n, sizeof *k, cmp_order);
    s->nsends = 0;
    for (j = 0; j < n; j++) {
        struct rp_step *st = &s->sess[k[j].sess].steps[k[j].step];
        st->order = j;
        if (st->kind != RP_EXPECT)
            s->sends[s->nsends++] = k[j].sess << 32 | k[j].step;
    }
    free(k);
    return 0;
}

int rp_script_build(struct rp_script *s, const struct rp_capture *c,
                    const struct rp_endpoints *e, uint32_t as, char *err, size_t cap)
{
    memset(s, 0, sizeof *s);
    const struct rp_endpoint *t = rp_endpoint_by_xid(e, as);
    if (!t) {
        snprintf(err, cap, "%.300s: XID%08X sends no PFS message in the capture", c->path, as);
        return -1;
    }
    s->target_xid = as;
    s->target_addr = t->addr;
    s->target_port = t->port;
    s->keycap = RP_MAX_HIER * 8 + c->nconn + 64;
    uint8_t *lastkey = calloc(s->keycap, 32);
    size_t *lastlen = calloc(s->keycap, sizeof *lastlen);
    int rc = lastkey && lastlen ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < c->nrec; i++)
        if (c->rec[i].err == PFS_OK)
            rc = add_rec(s, c, i, lastkey, lastlen);
    free(lastkey);
    free(lastlen);
    for (size_t i = 0; rc == 0 && i < s->nsess; i++) {
        struct rp_session *x = &s->sess[i];
        name_session(x, c);
        if (x->kind == RP_S_ELECTION) {
            mark_optional(x, c);
            continue;
        }
        /* The peer closes after its last step, or when the recording shows
           it closing its side (its FIN, not the connection's last packet:
           what the target did after that FIN must follow the close). */
        const struct rp_conn *k = rp_conn_find(c, x->conn);
        const struct rp_step *last = &x->steps[x->nsteps - 1];
        int64_t t_peer = k ? k->t_fin_ns[peer_side(x)] : -1;
        if (t_peer < 0 && k)
            t_peer = k->t_close_ns;
        int64_t t_close = t_peer > last->t_ns ? t_peer : last->t_ns;
        if (!step_add(x, RP_CLOSE, last->rec, t_close))
            rc = -1;
    }
    if (rc == 0)
        rc = order_steps(s, c);
    if (rc != 0)
        snprintf(err, cap, "out of memory");
    return rc;
}

void rp_script_free(struct rp_script *s)
{
    for (size_t i = 0; i < s->nsess; i++) {
        free(s->sess[i].steps);
        free(s->sess[i].rbuf);
    }
    free(s->sess);
    free(s->sends);
    memset(s, 0, sizeof *s);
}
