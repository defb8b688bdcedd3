/*
 * replay_load.c - the recorded messages of a capture, read through the
 * capture reader (capture.h) and copied, so the script can point at them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "replay.h"

static uint32_t v4(const struct cap_addr *a)
{
    return (uint32_t)a->addr[0] << 24 | (uint32_t)a->addr[1] << 16 | (uint32_t)a->addr[2] << 8 |
           a->addr[3];
}

static int64_t ns_of(struct cap_time t)
{
    return t.sec * 1000000000LL + (int64_t)t.nsec;
}

int rp_grow(void **p, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 256;
    void *q = realloc(*p, nc * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = nc;
    return 0;
}

static int add_pfs(struct rp_capture *c, const struct cap_event *ev, const struct rp_maps *mp,
                   int64_t t0)
{
    const struct cap_pfs *p = &ev->u.pfs;
    if (ev->src.family != 4 || p->len == 0)
        return 0;
    if (p->err != PFS_OK) {
        c->malformed++;
        /* Kept for --raw (robustness runs send them too); the script skips them. */
    }
    if (rp_grow((void **)&c->rec, &c->caprec, c->nrec, sizeof *c->rec) != 0)
        return -1;
    struct rp_rec *r = &c->rec[c->nrec];
    memset(r, 0, sizeof *r);
    r->bytes = malloc(p->len);
    if (!r->bytes)
        return -1;
    memcpy(r->bytes, p->data, p->len);
    r->len = p->len;
    r->frame = ev->frame;
    r->t_ns = ns_of(ev->ts) - t0;
    r->tcp = p->transport == CAP_TCP;
    r->src = rp_map_addr(mp, v4(&ev->src));
    r->dst = rp_map_addr(mp, v4(&ev->dst));
    r->sport = ev->src.port;
    r->dport = ev->dst.port;
    r->conn = p->conn;
    r->err = p->err;
    if (r->err == PFS_OK && rp_map_msg(mp, r->bytes, r->len) != 0)
        r->err = PFS_E_FIELD;
    if (r->err == PFS_OK)
        r->err = pfs_decode(r->bytes, r->len, &r->m);
    c->nrec++;
    return 0;
}

static int add_conn(struct rp_capture *c, const struct cap_event *ev, const struct rp_maps *mp,
                    int64_t t0)
{
    const struct cap_conn *k = &ev->u.conn;
    if (k->client.family != 4)
        return 0;
    if (ev->kind == CAP_EV_CONN_CLOSE) {
        for (size_t i = 0; i < c->nconn; i++)
            if (c->conn[i].id == k->id) {
                c->conn[i].t_close_ns = ns_of(k->end) - t0;
                for (int d = 0; d < 2; d++)
                    c->conn[i].t_fin_ns[d] = k->fin_seen[d] ? ns_of(k->fin[d]) - t0 : -1;
            }
        return 0;
    }
    if (rp_grow((void **)&c->conn, &c->capconn, c->nconn, sizeof *c->conn) != 0)
        return -1;
    struct rp_conn *n = &c->conn[c->nconn++];
    memset(n, 0, sizeof *n);
    n->id = k->id;
    n->client = rp_map_addr(mp, v4(&k->client));
    n->server = rp_map_addr(mp, v4(&k->server));
    n->cport = k->client.port;
    n->sport = k->server.port;
    n->t_open_ns = ns_of(ev->ts) - t0;
    n->t_close_ns = -1;
    n->t_fin_ns[0] = n->t_fin_ns[1] = -1;
    n->first_frame = k->first_frame ? k->first_frame : ev->frame;
    return 0;
}

static int note_tftp(struct rp_capture *c, const struct cap_event *ev, const struct rp_maps *mp,
                     int64_t t0)
{
    if (ev->u.tftp.opcode != TFTP_RRQ || ev->dst.family != 4)
        return 0;
    if (!c->tftp.server) {
        c->tftp.server = rp_map_addr(mp, v4(&ev->dst));
        c->tftp.port = ev->dst.port;
    }
    if (rp_grow((void **)&c->rrq, &c->caprrq, c->nrrq, sizeof *c->rrq) != 0)
        return -1;
    c->rrq[c->nrrq].src = rp_map_addr(mp, v4(&ev->src));
    snprintf(c->rrq[c->nrrq].file, sizeof c->rrq[c->nrrq].file, "%s",
             ev->u.tftp.file ? ev->u.tftp.file : "");
    c->rrq[c->nrrq++].t_ns = ns_of(ev->ts) - t0;
    return 0;
}

int rp_load(struct rp_capture *c, const char *path, const char *filter,
            const struct rp_maps *mp, char *err, size_t cap)
{
    memset(c, 0, sizeof *c);
    snprintf(c->path, sizeof c->path, "%s", path);
    struct cap_options o;
    cap_options_init(&o);
    if (filter)
        o.filter = filter;
    struct cap_reader *r = cap_open_file(path, &o, err, cap);
    if (!r)
        return -1;
    struct cap_event ev;
    int rc, bad = 0;
    int64_t t0 = -1;
    while ((rc = cap_next(r, &ev)) != 0) {
        if (rc < 0) {
            /* A truncated file: a replay of half a recording would mislead. */
            snprintf(err, cap, "%s", cap_error(r));
            bad = 1;
            break;
        }
        if (t0 < 0)
            t0 = ns_of(ev.ts);
        int e = 0;
        if (ev.kind == CAP_EV_PFS)
            e = add_pfs(c, &ev, mp, t0);
        else if (ev.kind == CAP_EV_CONN_OPEN || ev.kind == CAP_EV_CONN_CLOSE)
            e = add_conn(c, &ev, mp, t0);
        else if (ev.kind == CAP_EV_TFTP)
            e = note_tftp(c, &ev, mp, t0);
        else if (ev.kind == CAP_EV_GAP)
            c->gaps++;
        if (e != 0) {
            snprintf(err, cap, "%s: out of memory", path);
            bad = 1;
            break;
        }
    }
    c->frames = cap_stats(r)->frames;
    cap_close(r);
    if (!bad && c->nrec == 0) {
        snprintf(err, cap, "%s: no PFS message in the capture (%llu frames)", path,
                 (unsigned long long)c->frames);
        bad = 1;
    }
    if (bad) {
        rp_capture_free(c);
        return -1;
    }
    return 0;
}

void rp_capture_free(struct rp_capture *c)
{
    for (size_t i = 0; i < c->nrec; i++)
        free(c->rec[i].bytes);
    free(c->rec);
    free(c->conn);
    free(c->rrq);
    c->rrq = NULL;
    c->rec = NULL;
    c->conn = NULL;
    c->nrec = c->nconn = 0;
}

const struct rp_conn *rp_conn_find(const struct rp_capture *c, uint64_t id)
{
    for (size_t i = 0; i < c->nconn; i++)
        if (c->conn[i].id == id)
            return &c->conn[i];
    return NULL;
}
