/*
 * tcpstream.c - TCP connections and PFS framing (see tcpstream.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tcpstream.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define NBUCKETS     4096           /* power of two */
#define PENDING_MAX  (1u << 20)     /* early bytes kept before the hole counts as lost */

struct tcp_seg {
    struct tcp_seg *next;
    uint64_t off;
    size_t len;
    uint64_t frame;
    uint8_t data[];
};

static uint64_t ep_hash(const struct cap_addr *a)
{
    uint64_t h = 1469598103934665603ULL;
    size_t n = a->family == 6 ? 16 : 4;
    for (size_t i = 0; i < n; i++)
        h = (h ^ a->addr[i]) * 1099511628211ULL;
    return (h ^ a->port) * 1099511628211ULL;
}

/* The same bucket both ways. */
static size_t bucket_of(const struct net_pkt *p)
{
    uint64_t h = ep_hash(&p->src) ^ ep_hash(&p->dst);
    h ^= h >> 29;
    return (size_t)h & (NBUCKETS - 1);
}

static int same_ep(const struct cap_addr *a, const struct cap_addr *b)
{
    return a->port == b->port && cap_addr_same_host(a, b);
}

int tcp_table_init(struct tcp_table *t, const struct tcp_sink *sink)
{
    memset(t, 0, sizeof *t);
    t->hash = calloc(NBUCKETS, sizeof *t->hash);
    if (!t->hash)
        return -1;
    t->nbuckets = NBUCKETS;
    t->sink = *sink;
    return 0;
}

struct tcp_conn *tcp_find(struct tcp_table *t, const struct net_pkt *p)
{
    for (struct tcp_conn *c = t->hash[bucket_of(p)]; c; c = c->next_hash)
        if ((same_ep(&c->info.client, &p->src) && same_ep(&c->info.server, &p->dst)) ||
            (same_ep(&c->info.client, &p->dst) && same_ep(&c->info.server, &p->src)))
            return c;
    return NULL;
}

static struct tcp_conn *conn_new(struct tcp_table *t, const struct net_pkt *p, uint64_t frame,
                                 const struct cap_time *ts)
{
    struct tcp_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    int from_client;
    if (p->flags & TCPF_SYN)
        from_client = !(p->flags & TCPF_ACK);
    else    /* mid-stream: the listening side is the one on the lower port */
        from_client = p->src.port >= p->dst.port;
    c->info.client = from_client ? p->src : p->dst;
    c->info.server = from_client ? p->dst : p->src;
    c->info.id = ++t->next_id;
    c->info.syn_seen = (p->flags & TCPF_SYN) != 0;
    c->info.start = c->info.end = *ts;
    c->info.first_frame = frame;
    size_t b = bucket_of(p);
    c->next_hash = t->hash[b];
    t->hash[b] = c;
    c->prev_all = t->last;
    if (t->last)
        t->last->next_all = c;
    else
        t->all = c;
    t->last = c;
    return c;
}

static void conn_unlink(struct tcp_table *t, struct tcp_conn *c)
{
    struct net_pkt k;
    k.src = c->info.client;
    k.dst = c->info.server;
    struct tcp_conn **pp = &t->hash[bucket_of(&k)];
    while (*pp && *pp != c)
        pp = &(*pp)->next_hash;
    if (*pp)
        *pp = c->next_hash;
    if (c->prev_all)
        c->prev_all->next_all = c->next_all;
    else
        t->all = c->next_all;
    if (c->next_all)
        c->next_all->prev_all = c->prev_all;
    else
        t->last = c->prev_all;
}

static void dir_free(struct tcp_dir *d)
{
    free(d->mem);
    free(d->refs);
    while (d->pending) {
        struct tcp_seg *s = d->pending;
        d->pending = s->next;
        free(s);
    }
}

/* ---- framing ---- */

static int type_ok(const uint8_t *b, size_t avail)
{
    return avail < 4 || (b[3] >= 1 && b[3] <= PFS_T_MAX);
}

/*
 * Does a chain of headers starting at b frame the avail bytes? 1 yes,
 * 0 cannot tell yet, -1 no. At the stream's end (final) a chain that is
 * consistent so far is taken.
 */
static int chain_frames(const uint8_t *b, size_t avail, int final)
{
    size_t j = 0;
    int n = 0;
    for (;;) {
        if (j == avail)
            return n > 0 ? 1 : 0;
        long len = pfs_frame_len(b + j, avail - j);
        if (len < 0 || !type_ok(b + j, avail - j))
            return -1;
        if (len == 0)
            return final && n > 0 ? 1 : final ? -1 : 0;
        n++;
        if (j + (size_t)len > avail)
            return final || n >= 2 ? 1 : 0;
        j += (size_t)len;
    }
}

static void consume(struct tcp_dir *d, size_t n)
{
    d->buf += n;   /* framing moves the view; append() compacts once per segment */
    d->have -= n;
    d->base += n;
    size_t k = 0;
    for (size_t i = 0; i < d->nrefs; i++)
        if (d->refs[i].end > d->base)
            d->refs[k++] = d->refs[i];
    d->nrefs = k;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The frames that carried stream bytes [base, base+len), ascending, no repeats. */
static size_t frames_of(struct tcp_table *t, const struct tcp_dir *d, size_t len)
{
    if (arr_grow(&t->frames, &t->cframes, d->nrefs + 1, sizeof *t->frames) < 0)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < d->nrefs; i++)
        if (d->refs[i].start < d->base + len && d->refs[i].end > d->base)
            t->frames[n++] = d->refs[i].frame;
    qsort(t->frames, n, sizeof *t->frames, cmp_u64);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || t->frames[k - 1] != t->frames[i])
            t->frames[k++] = t->frames[i];
    return k;
}

static void emit(struct tcp_table *t, struct tcp_conn *c, int dir, size_t len, int err)
{
    struct tcp_dir *d = &c->d[dir];
    size_t nf = frames_of(t, d, len);
    c->info.msgs[dir]++;
    t->sink.message(t->sink.ctx, c, dir, d->buf, len, err, t->frames, nf);
}

/* Look for the next header; 1 found (at buf[0]), 0 wait for more bytes. */
static int resync(struct tcp_table *t, struct tcp_conn *c, int dir, int final)
{
    struct tcp_dir *d = &c->d[dir];
    uint64_t *skipped = &d->skipped;
    size_t i = 0;
    while (i < d->have) {
        const uint8_t *p = memchr(d->buf + i, 0x50, d->have - i);
        if (!p) {
            i = d->have;
            break;
        }
        i = (size_t)(p - d->buf);
        int r = chain_frames(p, d->have - i, final);
        if (r == 1) {
            *skipped += i;
            consume(d, i);
            t->sink.note(t->sink.ctx, c, dir, CAP_EV_RESYNC, d->base, *skipped, !d->syn);
            *skipped = 0;
            d->resync = 0;
            d->syn = 1;   /* from here on the stream is framed */
            return 1;
        }
        if (r == 0)
            break;
        i++;
    }
    *skipped += i;
    consume(d, i);
    return 0;
}

static void frame_dir(struct tcp_table *t, struct tcp_conn *c, int dir, int final)
{
    struct tcp_dir *d = &c->d[dir];
    while (d->have > 0) {
        if (d->resync) {
            if (!resync(t, c, dir, final))
                break;
            continue;
        }
        long len = pfs_frame_len(d->buf, d->have);
        if (len == 0)
            break;
        if (len < 0) {  /* no length to trust: report the header, then look for the next */
            emit(t, c, dir, d->have < PFS_HDR_LEN ? d->have : PFS_HDR_LEN, (int)len);
            d->resync = 1;
            continue;
        }
        if ((size_t)len > d->have)
            break;
        emit(t, c, dir, (size_t)len, 0);
        consume(d, (size_t)len);
    }
    if (final && d->have > 0) {  /* the stream ends inside a message */
        if (!d->resync)
            emit(t, c, dir, d->have, PFS_E_SHORT);
        else
            d->skipped += d->have;
        consume(d, d->have);
    }
}

/* ---- stream bytes ---- */

static int append(struct tcp_dir *d, const uint8_t *data, size_t len, uint64_t frame)
{
    if (d->buf != d->mem) {
        memmove(d->mem, d->buf, d->have);
        d->buf = d->mem;
    }
    if (arr_grow(&d->mem, &d->cap, d->have + len, 1) < 0)
        return -1;
    d->buf = d->mem;
    if (arr_grow(&d->refs, &d->crefs, d->nrefs + 1, sizeof *d->refs) < 0)
        return -1;
    memcpy(d->buf + d->have, data, len);
    d->have += len;
    d->refs[d->nrefs].start = d->next;
    d->refs[d->nrefs].end = d->next + len;
    d->refs[d->nrefs].frame = frame;
    d->nrefs++;
    d->next += len;
    d->next_seq += (uint32_t)len;
    return 0;
}

/* Early segments that now touch the stream's end join it. */
static int drain(struct tcp_dir *d)
{
    while (d->pending && d->pending->off <= d->next) {
        struct tcp_seg *s = d->pending;
        d->pending = s->next;
        d->pending_bytes -= s->len;
        int rc = 0;
        if (s->off + s->len > d->next) {
            size_t skip = (size_t)(d->next - s->off);
            rc = append(d, s->data + skip, s->len - skip, s->frame);
        }
        free(s);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int hold(struct tcp_dir *d, uint64_t off, const uint8_t *data, size_t len, uint64_t frame)
{
    struct tcp_seg **pp = &d->pending;
    while (*pp && (*pp)->off < off)
        pp = &(*pp)->next;
    if (*pp && (*pp)->off == off && (*pp)->len >= len)
        return 0;   /* a repeat of a segment already held */
    struct tcp_seg *s = malloc(sizeof *s + len);
    if (!s)
        return -1;
    s->off = off;
    s->len = len;
    s->frame = frame;
    memcpy(s->data, data, len);
    s->next = *pp;
    *pp = s;
    d->pending_bytes += len;
    return 0;
}

/*
 * The capture lost stream bytes [next, upto): report them, drop the
 * message they cut, and frame again from the next header after them.
 */
static int lose(struct tcp_table *t, struct tcp_conn *c, int dir, uint64_t upto)
{
    struct tcp_dir *d = &c->d[dir];
    frame_dir(t, c, dir, 0);
    t->sink.note(t->sink.ctx, c, dir, CAP_EV_GAP, d->next, upto - d->next, 0);
    d->lost += upto - d->next;
    d->skipped += d->have;
    consume(d, d->have);
    d->next_seq += (uint32_t)(upto - d->next);
    d->next = upto;
    d->base = upto;
    d->resync = 1;
    return drain(d);
}

static int seg_in(struct tcp_table *t, struct tcp_conn *c, int dir, const struct net_pkt *p,
                  uint64_t frame)
{
    struct tcp_dir *d = &c->d[dir];
    const uint8_t *data = p->payload;
    size_t len = p->len;
    int32_t delta = (int32_t)(p->seq - d->next_seq);   /* serial arithmetic: wraps */
    if (delta < 0 && (uint64_t)-(int64_t)delta > d->next)
        delta = -(int32_t)d->next;                      /* before the first byte seen */
    uint64_t off = (uint64_t)((int64_t)d->next + delta);
    if (off + len <= d->next)
        return 0;                                       /* retransmission */
    if (off < d->next) {                                /* overlap: the first copy wins */
        size_t skip = (size_t)(d->next - off);
        data += skip;
        len -= skip;
        off = d->next;
    }
    if (off > d->next) {
        if (hold(d, off, data, len, frame) < 0)
            return -1;
        if (d->pending_bytes > PENDING_MAX)
            return lose(t, c, dir, d->pending->off);
        return 0;
    }
    if (append(d, data, len, frame) < 0 || drain(d) < 0)
        return -1;
    return 0;
}

/* The other side acknowledged bytes the capture never showed. */
static int acked(struct tcp_table *t, struct tcp_conn *c, int dir, uint32_t ack)
{
    struct tcp_dir *d = &c->d[dir];
    if (!d->started)
        return 0;
    int32_t delta = (int32_t)(ack - d->next_seq);
    if (delta <= 0 || (c->closing[dir] && delta == 1))
        return 0;                                       /* nothing missing (or the FIN) */
    uint64_t upto = d->next + (uint64_t)delta;
    if (d->pending && d->pending->off < upto)
        upto = d->pending->off;
    return lose(t, c, dir, upto);
}

static void flush_dir(struct tcp_table *t, struct tcp_conn *c, int dir)
{
    struct tcp_dir *d = &c->d[dir];
    while (d->pending)
        if (lose(t, c, dir, d->pending->off) < 0)
            break;
    frame_dir(t, c, dir, 1);
}

static void conn_close(struct tcp_table *t, struct tcp_conn *c)
{
    flush_dir(t, c, 0);
    flush_dir(t, c, 1);
    /* Each byte once: a retransmission or an overlap does not count again. */
    for (int dir = 0; dir < 2; dir++)
        c->info.bytes[dir] = c->d[dir].next - c->d[dir].lost;
    t->sink.conn_close(t->sink.ctx, c);
    conn_unlink(t, c);
    dir_free(&c->d[0]);
    dir_free(&c->d[1]);
    free(c);
}

int tcp_segment(struct tcp_table *t, const struct net_pkt *p, uint64_t frame,
                const struct cap_time *ts)
{
    struct tcp_conn *c = tcp_find(t, p);
    if (!c) {
        if (!(p->flags & TCPF_SYN) && p->len == 0)
            return 0;   /* a stray ACK, FIN or RST of a connection we never saw */
        c = conn_new(t, p, frame, ts);
        if (!c)
            return -1;
        t->sink.conn_open(t->sink.ctx, c);
    }
    int dir = same_ep(&c->info.client, &p->src) ? 0 : 1;
    struct tcp_dir *d = &c->d[dir];
    c->info.end = *ts;
    if ((p->flags & TCPF_ACK) && acked(t, c, !dir, p->ack) < 0)
        return -1;
    if (p->flags & TCPF_SYN) {
        if (!d->started) {
            d->started = d->syn = 1;
            d->next_seq = p->seq + 1;
        }
    } else if (!d->started) {
        d->started = 1;
        d->resync = 1;  /* mid-stream: the first byte need not start a message */
        d->next_seq = p->seq;
    }
    if (p->len > 0) {
        if (seg_in(t, c, dir, p, frame) < 0)
            return -1;
        frame_dir(t, c, dir, 0);
    }
    if ((p->flags & (TCPF_FIN | TCPF_RST)) && !c->info.fin_seen[dir]) {
        c->info.fin_seen[dir] = 1;
        c->info.fin[dir] = *ts;
    }
    if (p->flags & TCPF_FIN)
        c->closing[dir] = 1;
    if (p->flags & TCPF_RST)
        c->info.reset = 1;
    if (c->info.reset || (c->closing[0] && c->closing[1]))
        conn_close(t, c);
    return 0;
}

void tcp_close_all(struct tcp_table *t)
{
    while (t->all)
        conn_close(t, t->all);
}

void tcp_table_free(struct tcp_table *t)
{
    while (t->all) {
        struct tcp_conn *c = t->all;
        conn_unlink(t, c);
        dir_free(&c->d[0]);
        dir_free(&c->d[1]);
        free(c);
    }
    free(t->hash);
    free(t->frames);
    memset(t, 0, sizeof *t);
}
