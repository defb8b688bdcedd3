/*
 * gen_captures - test captures for pfsdump, written from docs/protocol.md
 * alone (this file encodes the messages itself and never calls libpfs),
 * saved by libpcap. For each capture NAME.pcap it writes NAME.expect: one
 * JSON object a line per PFS message a reader must report (src, dst, type,
 * xid, error, the frames that carried it) and one per stream note
 * ({"note":"gap"|"midstream", ...}).
 *
 *   gen_captures OUTDIR
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

/* ---- PFS messages, byte by byte from docs/protocol.md §2-§3 ---- */

struct msg {
    uint8_t b[4096];
    size_t n;
    const char *type;   /* the document's name, for the expectation */
    uint32_t xid;
};

static void u8(struct msg *m, unsigned v) { m->b[m->n++] = (uint8_t)v; }
static void u16(struct msg *m, unsigned v) { u8(m, v >> 8); u8(m, v); }
static void u32(struct msg *m, uint32_t v) { u16(m, v >> 16); u16(m, v & 0xffffu); }
static void str(struct msg *m, const char *s)
{
    size_t n = strlen(s);
    u8(m, (unsigned)n);
    memcpy(m->b + m->n, s, n);
    m->n += n;
}

static const char *const TYPES[] = {"?", "CLAIM", "AD", "JOIN", "ACCEPT", "REFUSE", "XFRCMD",
                                    "DATA", "XFREND", "VERDICT", "ABORT", "LEAVE"};

static void hdr(struct msg *m, unsigned type, unsigned flags, uint32_t xid, uint32_t hier)
{
    m->n = 0;
    m->type = TYPES[type];
    m->xid = xid;
    u16(m, 0x5046);
    u8(m, 1);
    u8(m, type);
    u16(m, flags);
    u16(m, 0);          /* length, set by fin() */
    u32(m, xid);
    u32(m, hier);
}

static void fin(struct msg *m)
{
    m->b[6] = (uint8_t)(m->n >> 8);
    m->b[7] = (uint8_t)m->n;
}

#define MODEL "CP-7961G"
#define FILE_ "/dnld/x.sbn"
#define HIER 0x36685558u
#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static void m_claim(struct msg *m, unsigned type, uint32_t xid, unsigned state, unsigned seq,
                    uint32_t addr, unsigned port)
{
    hdr(m, type, 0x0004, xid, HIER);
    u8(m, state); u8(m, seq); u8(m, state == 5 ? 1 : 255); u8(m, 2);
    u32(m, 0xff9d7cb9); u32(m, state == 2 ? 0xffffffffu : 0x31d4d43d); u32(m, 0);
    u32(m, addr); u16(m, port);
    str(m, MODEL); str(m, FILE_);
    fin(m);
}

static void m_join(struct msg *m, uint32_t xid)
{
    hdr(m, 3, 0, xid, HIER);
    u32(m, IP(10, 0, 0, 3)); u16(m, 4051); u8(m, 1); u8(m, 0);
    str(m, MODEL); str(m, FILE_);
    fin(m);
}

static void m_accept(struct msg *m, uint32_t xid)
{
    hdr(m, 4, 0, xid, HIER);
    u8(m, 0); u8(m, 0); u16(m, 0); u32(m, xid);
    fin(m);
}

static void m_xfrcmd(struct msg *m, uint32_t xid, uint32_t size)
{
    hdr(m, 6, 0x0002, xid, HIER);
    u32(m, size); u8(m, 1); u8(m, 0); u16(m, 0); u32(m, xid);
    for (int i = 0; i < 32; i++)
        u8(m, (unsigned)i * 7u);
    str(m, FILE_);
    fin(m);
}

static void m_data(struct msg *m, uint32_t xid, uint32_t off, unsigned len)
{
    hdr(m, 7, 0x0002, xid, HIER);
    u32(m, off); u16(m, len); u16(m, 0);
    for (unsigned i = 0; i < len; i++)   /* payload that holds "PF\x01" now and then */
        u8(m, i % 97 == 3 ? 0x50 : i % 97 == 4 ? 0x46 : i % 97 == 5 ? 1 : (off + i) & 0xff);
    fin(m);
}

static void m_xfrend(struct msg *m, uint32_t xid, uint32_t size)
{
    hdr(m, 8, 0x0002, xid, HIER);
    u32(m, size);
    fin(m);
}

static void m_verdict_of(struct msg *m, uint32_t xid, unsigned verdict, uint32_t bytes)
{
    hdr(m, 9, 0, xid, HIER);
    u8(m, verdict); u8(m, 0); u16(m, 0); u32(m, bytes);
    fin(m);
}

static void m_verdict(struct msg *m, uint32_t xid, uint32_t bytes)
{
    m_verdict_of(m, xid, 1, bytes);
}

static void m_reason(struct msg *m, unsigned type, uint32_t xid, unsigned reason)
{
    hdr(m, type, type == 11 ? 0x0004 : 0, xid, HIER);
    u8(m, reason); u8(m, 0); u16(m, 0);
    fin(m);
}

/* ---- frames ---- */

struct ep {
    uint32_t ip;
    uint16_t port;
    int v6;
};

struct gen {
    pcap_t *dead;
    pcap_dumper_t *d;
    FILE *expect;
    int dlt;
    int vlan;
    uint64_t frame;
    long usec;          /* capture time, from a fixed start */
};

static void put_be16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put_be32(uint8_t *p, uint32_t v) { put_be16(p, v >> 16); put_be16(p + 2, v & 0xffffu); }

static void ip6_of(uint32_t ip, uint8_t out[16])
{
    static const uint8_t pre[12] = {0xfd, 0, 0, 0, 0, 0, 0, 0x40, 0x51, 0, 0, 0};
    memcpy(out, pre, 12);
    put_be32(out + 12, ip);
}

/* Link header + IP header + transport bytes -> one record. */
static void emit_ip(struct gen *g, int v6, unsigned proto, const struct ep *s, const struct ep *d,
                    const uint8_t *l4, size_t l4len)
{
    uint8_t f[70000];
    size_t n = 0;
    unsigned ethertype = v6 ? 0x86dd : 0x0800;
    switch (g->dlt) {
    case DLT_EN10MB:
        memset(f, 0, 12);
        f[0] = 0xff; f[5] = 0x01; f[6] = 0x02; f[11] = (uint8_t)s->ip;
        n = 12;
        if (g->vlan) {
            put_be16(f + n, 0x8100); put_be16(f + n + 2, 100); n += 4;
        }
        put_be16(f + n, ethertype); n += 2;
        break;
    case DLT_LINUX_SLL:
        memset(f, 0, 16);
        put_be16(f, 4); put_be16(f + 2, 1); put_be16(f + 4, 6); put_be16(f + 14, ethertype);
        n = 16;
        break;
    case DLT_LINUX_SLL2:
        memset(f, 0, 20);
        put_be16(f, ethertype); put_be32(f + 4, 1); put_be16(f + 8, 1); f[10] = 4; f[11] = 6;
        n = 20;
        break;
    case DLT_NULL: {
        uint32_t fam = v6 ? 10 : 2;   /* host order, as written on this machine */
        memcpy(f, &fam, 4);
        n = 4;
        break;
    }
    default:   /* DLT_RAW */
        break;
    }
    if (!v6) {
        uint8_t *h = f + n;
        memset(h, 0, 20);
        h[0] = 0x45; put_be16(h + 2, (unsigned)(20 + l4len)); h[8] = 64; h[9] = (uint8_t)proto;
        put_be32(h + 12, s->ip); put_be32(h + 16, d->ip);
        n += 20;
    } else {
        uint8_t *h = f + n;
        memset(h, 0, 40);
        h[0] = 0x60; put_be16(h + 4, (unsigned)l4len); h[6] = (uint8_t)proto; h[7] = 64;
        ip6_of(s->ip, h + 8); ip6_of(d->ip, h + 24);
        n += 40;
    }
    memcpy(f + n, l4, l4len);
    n += l4len;
    if (g->dlt == DLT_EN10MB && n < 60) {   /* Ethernet padding past the IP length */
        memset(f + n, 0xee, 60 - n);
        n = 60;
    }
    struct pcap_pkthdr ph;
    g->usec += 1000;
    ph.ts.tv_sec = 1764000000 + g->usec / 1000000;
    ph.ts.tv_usec = g->usec % 1000000;
    ph.caplen = ph.len = (bpf_u_int32)n;
    pcap_dump((u_char *)g->d, &ph, f);
    g->frame++;
}

static void udp(struct gen *g, const struct ep *s, const struct ep *d, const uint8_t *p, size_t n)
{
    uint8_t l4[2048];
    put_be16(l4, s->port); put_be16(l4 + 2, d->port); put_be16(l4 + 4, (unsigned)(8 + n));
    put_be16(l4 + 6, 0);
    memcpy(l4 + 8, p, n);
    emit_ip(g, s->v6, 17, s, d, l4, 8 + n);
}

static void addr_text(const struct ep *e, char *buf, size_t len)
{
    if (e->v6)
        snprintf(buf, len, "[fd00::40:5100:0:%x:%x]:%u", e->ip >> 16, e->ip & 0xffffu, e->port);
    else
        snprintf(buf, len, "%u.%u.%u.%u:%u", e->ip >> 24, (e->ip >> 16) & 255u,
                 (e->ip >> 8) & 255u, e->ip & 255u, e->port);
}

static void expect_msg(struct gen *g, const struct ep *s, const struct ep *d, const char *type,
                       uint32_t xid, const char *error, const uint64_t *frames, size_t nf)
{
    char a[64], b[64];
    addr_text(s, a, sizeof a);
    addr_text(d, b, sizeof b);
    fprintf(g->expect, "{\"src\":\"%s\",\"dst\":\"%s\",\"type\":\"%s\"", a, b, type);
    if (xid)
        fprintf(g->expect, ",\"xid\":\"XID%08X\"", xid);
    if (error)
        fprintf(g->expect, ",\"error\":\"%s\"", error);
    fprintf(g->expect, ",\"frames\":[");
    for (size_t i = 0; i < nf; i++)
        fprintf(g->expect, "%s%llu", i ? "," : "", (unsigned long long)frames[i]);
    fprintf(g->expect, "]}\n");
}

static void udp_msg(struct gen *g, const struct ep *s, const struct ep *d, const struct msg *m,
                    const char *error)
{
    udp(g, s, d, m->b, m->n);
    uint64_t f = g->frame;
    expect_msg(g, s, d, m->type, error ? 0 : m->xid, error, &f, 1);
}

/* ---- TCP: one connection, its two byte streams, and who carried which byte ---- */

#define STREAM_MAX 200000

struct side {
    struct ep ep;
    uint32_t isn;
    uint8_t bytes[STREAM_MAX];   /* everything this side will send */
    size_t len;
    uint64_t owner[STREAM_MAX];  /* the frame that first carried each byte (0: lost) */
    size_t starts[64];           /* message boundaries */
    const char *types[64];
    uint32_t xids[64];
    size_t nmsg;
};

struct tcp {
    struct side s[2];            /* [0] client */
    size_t acked[2];             /* bytes of s[i] the other side has acknowledged */
};

static void tcp_init(struct tcp *t, struct ep c, struct ep sv, uint32_t isn_c, uint32_t isn_s)
{
    memset(t, 0, sizeof *t);
    t->s[0].ep = c;
    t->s[1].ep = sv;
    t->s[0].isn = isn_c;
    t->s[1].isn = isn_s;
}

static void queue(struct tcp *t, int dir, const struct msg *m)
{
    struct side *s = &t->s[dir];
    s->starts[s->nmsg] = s->len;
    s->types[s->nmsg] = m->type;
    s->xids[s->nmsg] = m->xid;
    s->nmsg++;
    memcpy(s->bytes + s->len, m->b, m->n);
    s->len += m->n;
}

/* One segment of side dir: bytes [off, off+len), with flags; ack = the peer's bytes seen. */
static void seg(struct gen *g, struct tcp *t, int dir, size_t off, size_t len, unsigned flags)
{
    struct side *s = &t->s[dir];
    const struct side *o = &t->s[!dir];
    uint8_t l4[70000];
    memset(l4, 0, 20);
    put_be16(l4, s->ep.port); put_be16(l4 + 2, o->ep.port);
    uint32_t seq = s->isn + 1 + (uint32_t)off;
    if (flags & 0x02)
        seq = s->isn;
    put_be32(l4 + 4, seq);
    uint32_t ack = o->isn + 1 + (uint32_t)t->acked[!dir];
    int has_ack = !(flags & 0x02) || dir == 1;
    if (has_ack)
        put_be32(l4 + 8, ack);
    l4[12] = 5 << 4;
    l4[13] = (uint8_t)(flags | (has_ack ? 0x10 : 0));
    put_be16(l4 + 14, 65535);
    memcpy(l4 + 20, s->bytes + off, len);
    emit_ip(g, s->ep.v6, 6, &s->ep, &o->ep, l4, 20 + len);
    for (size_t i = off; i < off + len; i++)
        if (!s->owner[i])
            s->owner[i] = g->frame;
}

static void handshake(struct gen *g, struct tcp *t)
{
    seg(g, t, 0, 0, 0, 0x02);
    seg(g, t, 1, 0, 0, 0x02);
    seg(g, t, 0, 0, 0, 0);
}

/* Send side dir's bytes [off, off+len) in one segment, then the peer acknowledges them. */
static void send_acked(struct gen *g, struct tcp *t, int dir, size_t off, size_t len)
{
    seg(g, t, dir, off, len, 0x08);
    if (off + len > t->acked[dir])
        t->acked[dir] = off + len;
    seg(g, t, !dir, t->s[!dir].len ? t->acked[!dir] : 0, 0, 0);
}

static void close_conn(struct gen *g, struct tcp *t)
{
    seg(g, t, 0, t->s[0].len, 0, 0x01);
    seg(g, t, 1, t->s[1].len, 0, 0x01);
}

/*
 * Expectations for side dir: every message whose bytes all arrived (at or
 * after `from`, the first offset a reader can frame from) with its frames.
 */
static void expect_side(struct gen *g, const struct tcp *t, int dir, size_t from)
{
    const struct side *s = &t->s[dir];
    for (size_t k = 0; k < s->nmsg; k++) {
        size_t a = s->starts[k], b = k + 1 < s->nmsg ? s->starts[k + 1] : s->len;
        if (a < from)
            continue;
        uint64_t fr[64];
        size_t nf = 0;
        int lost = 0;
        for (size_t i = a; i < b; i++) {
            if (!s->owner[i]) {
                lost = 1;
                break;
            }
            size_t j = 0;
            while (j < nf && fr[j] != s->owner[i])
                j++;
            if (j == nf && nf < 64)
                fr[nf++] = s->owner[i];
        }
        if (lost)
            continue;
        for (size_t i = 1; i < nf; i++)   /* ascending */
            for (size_t j = i; j > 0 && fr[j - 1] > fr[j]; j--) {
                uint64_t x = fr[j];
                fr[j] = fr[j - 1];
                fr[j - 1] = x;
            }
        expect_msg(g, &s->ep, &t->s[!dir].ep, s->types[k], s->xids[k], NULL, fr, nf);
    }
}

static void expect_note(struct gen *g, const char *kind, const struct ep *s, uint64_t bytes)
{
    char a[64];
    addr_text(s, a, sizeof a);
    fprintf(g->expect, "{\"note\":\"%s\",\"src\":\"%s\",\"bytes\":%llu}\n", kind, a,
            (unsigned long long)bytes);
}

static void expect_problem(struct gen *g, const char *what)
{
    fprintf(g->expect, "{\"problem\":\"%s\"}\n", what);
}

/* ---- the files ---- */

static int open_gen(struct gen *g, const char *dir, const char *name, int dlt)
{
    char path[4096];
    memset(g, 0, sizeof *g);
    g->dlt = dlt;
    g->dead = pcap_open_dead(dlt, 262144);
    snprintf(path, sizeof path, "%s/%s.pcap", dir, name);
    g->d = g->dead ? pcap_dump_open(g->dead, path) : NULL;
    if (!g->d) {
        fprintf(stderr, "gen_captures: %s: %s\n", path, g->dead ? pcap_geterr(g->dead) : "pcap");
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s.expect", dir, name);
    g->expect = fopen(path, "w");
    if (!g->expect) {
        perror(path);
        return -1;
    }
    return 0;
}

static int close_gen(struct gen *g)
{
    pcap_dump_close(g->d);
    pcap_close(g->dead);
    return fclose(g->expect) == 0 ? 0 : -1;
}

static const struct ep CHILD = {IP(10, 0, 0, 3), 40001, 0};
static const struct ep PARENT = {IP(10, 0, 0, 2), 4051, 0};
static const struct ep BCAST = {IP(10, 0, 0, 255), 4051, 0};
static const struct ep PEER2 = {IP(10, 0, 0, 2), 4051, 0};

/* A whole transfer conversation: JOIN / ACCEPT XFRCMD DATA.. XFREND / VERDICT. */
static void transfer(struct tcp *t, unsigned ndata, unsigned datalen)
{
    struct msg m;
    m_join(&m, 0x0a000003);
    queue(t, 0, &m);
    m_accept(&m, 0x0a000002);
    queue(t, 1, &m);
    m_xfrcmd(&m, 0x0a000002, ndata * datalen);
    queue(t, 1, &m);
    for (unsigned i = 0; i < ndata; i++) {
        m_data(&m, 0x0a000002, i * datalen, datalen);
        queue(t, 1, &m);
    }
    m_xfrend(&m, 0x0a000002, ndata * datalen);
    queue(t, 1, &m);
    m_verdict(&m, 0x0a000003, ndata * datalen);
    queue(t, 0, &m);
}

/* A transfer conversation begins: the handshake, then the child's JOIN. */
static size_t begin_transfer(struct gen *g, struct tcp *t, struct ep child, struct ep parent,
                             uint32_t isn_c, uint32_t isn_s, unsigned ndata, unsigned datalen)
{
    tcp_init(t, child, parent, isn_c, isn_s);
    transfer(t, ndata, datalen);
    handshake(g, t);
    send_acked(g, t, 0, 0, t->s[0].starts[1]);
    return t->s[1].len;
}

/* ... and ends: the child acknowledges the parent's bytes, sends its VERDICT, both close. */
static void end_transfer(struct gen *g, struct tcp *t)
{
    t->acked[1] = t->s[1].len;
    send_acked(g, t, 0, t->s[0].starts[1], t->s[0].len - t->s[0].starts[1]);
    close_conn(g, t);
    expect_side(g, t, 0, 0);
    expect_side(g, t, 1, 0);
}

/* The server's stream cut in two at every byte boundary, one connection each. */
static int gen_cuts(const char *dir)
{
    struct gen g;
    if (open_gen(&g, dir, "cuts", DLT_EN10MB) < 0)
        return -1;
    static struct tcp t;
    tcp_init(&t, CHILD, PARENT, 1, 1);
    transfer(&t, 2, 40);
    size_t total = t.s[1].len;
    for (size_t cut = 1; cut < total; cut++) {
        struct ep c = CHILD;
        c.port = (uint16_t)(20000 + cut);
        begin_transfer(&g, &t, c, PARENT, (uint32_t)(1000 * cut), 77, 2, 40);
        send_acked(&g, &t, 1, 0, cut);
        send_acked(&g, &t, 1, cut, total - cut);
        end_transfer(&g, &t);
    }
    return close_gen(&g);
}

/*
 * Messages sharing segments, retransmitted, overlapping and reordered
 * segments, one connection each, with a sequence number that wraps.
 */
static int gen_reasm(const char *dir)
{
    struct gen g;
    if (open_gen(&g, dir, "reasm", DLT_EN10MB) < 0)
        return -1;
    static struct tcp t;
    struct ep c = CHILD;

    /* 1: the whole server stream in a single segment (several messages share it);
     * the server's sequence wraps at once */
    size_t L = begin_transfer(&g, &t, c, PARENT, 5, 0xfffffff0u, 3, 200);
    send_acked(&g, &t, 1, 0, L);
    end_transfer(&g, &t);

    /* 2: small segments of 7 bytes, each sent twice (retransmission) */
    c.port = 40002;
    L = begin_transfer(&g, &t, c, PARENT, 0x7ffffff0u, 0xffffff00u, 3, 100);
    for (size_t off = 0; off < L; off += 7) {
        size_t n = L - off < 7 ? L - off : 7;
        seg(&g, &t, 1, off, n, 0x08);
        seg(&g, &t, 1, off, n, 0x08);
    }
    end_transfer(&g, &t);

    /* 3: overlapping segments: 50 bytes forward, 20 back each time */
    c.port = 40003;
    L = begin_transfer(&g, &t, c, PARENT, 9, 0xffffffffu, 2, 300);
    for (size_t off = 0; off < L; off += 30)
        seg(&g, &t, 1, off, L - off < 50 ? L - off : 50, 0x08);
    end_transfer(&g, &t);

    /* 4: reordered: segments of 64 bytes sent in pairs, the second first */
    c.port = 40004;
    L = begin_transfer(&g, &t, c, PARENT, 12345, 0xfffffe00u, 4, 150);
    for (size_t off = 0; off < L; off += 128) {
        size_t n1 = L - off < 64 ? L - off : 64;
        size_t off2 = off + n1, n2 = off2 >= L ? 0 : (L - off2 < 64 ? L - off2 : 64);
        if (n2)
            seg(&g, &t, 1, off2, n2, 0x08);
        seg(&g, &t, 1, off, n1, 0x08);
    }
    end_transfer(&g, &t);
    return close_gen(&g);
}

/* A lost segment (the peer acknowledges bytes the capture never had), and a mid-stream start. */
static int gen_lost(const char *dir)
{
    struct gen g;
    if (open_gen(&g, dir, "lost", DLT_EN10MB) < 0)
        return -1;
    static struct tcp t;
    size_t L = begin_transfer(&g, &t, CHILD, PARENT, 100, 200, 6, 100);
    /* server: ACCEPT+XFRCMD+DATA0 in order, then DATA1's middle is lost */
    size_t d1 = t.s[1].starts[3], d2 = t.s[1].starts[4];
    send_acked(&g, &t, 1, 0, d1 + 20);
    size_t lost_from = d1 + 20, lost_to = d2 + 30;   /* into DATA2: it is lost too */
    t.acked[1] = lost_to;   /* the child got them: the capture did not */
    send_acked(&g, &t, 1, lost_to, L - lost_to);
    end_transfer(&g, &t);
    expect_note(&g, "gap", &t.s[1].ep, lost_to - lost_from);
    if (close_gen(&g) < 0)
        return -1;

    /* mid-stream: the capture starts inside DATA 1 of the server's stream */
    if (open_gen(&g, dir, "midstream", DLT_EN10MB) < 0)
        return -1;
    tcp_init(&t, CHILD, PARENT, 100, 200);
    transfer(&t, 5, 100);
    L = t.s[1].len;
    size_t start = t.s[1].starts[4] + 11;
    t.acked[0] = t.s[0].starts[1];
    for (size_t off = start; off < L; off += 90)
        send_acked(&g, &t, 1, off, L - off < 90 ? L - off : 90);
    send_acked(&g, &t, 0, t.s[0].starts[1], t.s[0].len - t.s[0].starts[1]);
    close_conn(&g, &t);
    expect_side(&g, &t, 0, t.s[0].starts[1]);
    expect_side(&g, &t, 1, start);
    expect_note(&g, "midstream", &t.s[1].ep, t.s[1].starts[5] - start);
    expect_note(&g, "midstream", &t.s[0].ep, 0);
    return close_gen(&g);
}

/* The same election on every link type pfsdump reads, and on IPv6. */
static int gen_links(const char *dir)
{
    static const struct { const char *name; int dlt; int vlan; int v6; } links[] = {
        {"link-en10mb", DLT_EN10MB, 0, 0}, {"link-vlan", DLT_EN10MB, 1, 0},
        {"link-sll", DLT_LINUX_SLL, 0, 0}, {"link-sll2", DLT_LINUX_SLL2, 0, 0},
        {"link-null", DLT_NULL, 0, 0},     {"link-raw", DLT_RAW, 0, 0},
        {"link-ipv6", DLT_EN10MB, 0, 1},
    };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        struct gen g;
        if (open_gen(&g, dir, links[i].name, links[i].dlt) < 0)
            return -1;
        g.vlan = links[i].vlan;
        struct ep a = PEER2, b = BCAST;
        a.v6 = b.v6 = links[i].v6;
        struct msg m;
        m_claim(&m, 1, 0x0a000002, 1, 0, IP(10, 0, 0, 2), 4051);
        udp_msg(&g, &a, &b, &m, NULL);
        for (unsigned n = 1; n <= 4; n++) {
            m_claim(&m, 2, 0x0a000002, 1, n, IP(10, 0, 0, 2), 4051);
            udp_msg(&g, &a, &b, &m, NULL);
        }
        m_claim(&m, 1, 0x0a000002, 2, 0, IP(10, 0, 0, 2), 4051);
        udp_msg(&g, &a, &b, &m, NULL);
        m_reason(&m, 11, 0x0a000002, 9);
        udp_msg(&g, &a, &b, &m, NULL);
        if (close_gen(&g) < 0)
            return -1;
    }
    return 0;
}

/* Every docs/protocol.md §5 fault as a datagram, each followed by a valid LEAVE. */
static int gen_faults(const char *dir)
{
    struct gen g;
    if (open_gen(&g, dir, "faults", DLT_EN10MB) < 0)
        return -1;
    struct msg m, ok;
    m_reason(&ok, 11, 0x0a000002, 9);
    struct ep a = PEER2;
    /* SHORT: fewer bytes than the header's length */
    m_join(&m, 0x0a000003);
    m.n -= 3;
    udp_msg(&g, &a, &BCAST, &m, "PFS_E_SHORT");
    /* MAGIC */
    m_reason(&m, 11, 0x0a000002, 9);
    m.b[0] = 0x51;
    udp_msg(&g, &a, &BCAST, &m, "PFS_E_MAGIC");
    /* VERSION */
    m_reason(&m, 11, 0x0a000002, 9);
    m.b[2] = 2;
    udp_msg(&g, &a, &BCAST, &m, "PFS_E_VERSION");
    /* LENGTH: length field below 16 */
    m_reason(&m, 11, 0x0a000002, 9);
    m.b[7] = 12;
    udp_msg(&g, &a, &BCAST, &m, "PFS_E_LENGTH");
    /* STRLEN: a model of 16 bytes */
    hdr(&m, 3, 0, 0x0a000003, HIER);
    u32(&m, IP(10, 0, 0, 3)); u16(&m, 4051); u8(&m, 1); u8(&m, 0);
    str(&m, "CP-7961G-ABCDEFG"); str(&m, FILE_);
    fin(&m);
    udp_msg(&g, &a, &BCAST, &m, "PFS_E_STRLEN");
    /* MODEL: a space in the model */
    hdr(&m, 3, 0, 0x0a000003, HIER);
    u32(&m, IP(10, 0, 0, 3)); u16(&m, 4051); u8(&m, 1); u8(&m, 0);
    str(&m, "CP 7961G"); str(&m, FILE_);
    fin(&m);
    udp_msg(&g, &a, &BCAST, &m, "PFS_E_MODEL");
    /* PATH: climbs out */
    hdr(&m, 3, 0, 0x0a000003, HIER);
    u32(&m, IP(10, 0, 0, 3)); u16(&m, 4051); u8(&m, 1); u8(&m, 0);
    str(&m, MODEL); str(&m, "/dnld/../etc/passwd");
    fin(&m);
    udp_msg(&g, &a, &BCAST, &m, "PFS_E_PATH");
    /* SIZE: DATA len 0 */
    hdr(&m, 7, 0, 0x0a000002, HIER);
    u32(&m, 0); u16(&m, 0); u16(&m, 0);
    fin(&m);
    udp_msg(&g, &a, &BCAST, &m, "PFS_E_SIZE");
    /* TYPE: 12 */
    m_reason(&m, 11, 0x0a000002, 9);
    m.b[3] = 12;
    udp_msg(&g, &a, &BCAST, &m, "PFS_E_TYPE");
    /* FIELD: verdict 5 */
    hdr(&m, 9, 0, 0x0a000003, HIER);
    u8(&m, 5); u8(&m, 0); u16(&m, 0); u32(&m, 10);
    fin(&m);
    udp_msg(&g, &a, &BCAST, &m, "PFS_E_FIELD");
    /* TLV: one that runs past the message */
    m_reason(&m, 11, 0x0a000002, 9);
    u8(&m, 1); u8(&m, 9); u8(&m, 'x');
    fin(&m);
    udp_msg(&g, &a, &BCAST, &m, "PFS_E_TLV");
    udp_msg(&g, &a, &BCAST, &ok, NULL);
    return close_gen(&g);
}

/*
 * A parent advertising TCP port 4500 (followed with the default filter),
 * a TFTP fetch with options (RFC 2347-2349) and an error, and a foreign
 * payload on port 4051.
 */
static int gen_follow(const char *dir)
{
    struct gen g;
    if (open_gen(&g, dir, "follow", DLT_EN10MB) < 0)
        return -1;
    struct msg m;
    struct ep par = {IP(10, 0, 0, 2), 4051, 0};
    m_claim(&m, 2, 0x0a000002, 5, 7, IP(10, 0, 0, 2), 4500);
    udp_msg(&g, &par, &BCAST, &m, NULL);
    static struct tcp t;
    struct ep sv = {IP(10, 0, 0, 2), 4500, 0};
    size_t L = begin_transfer(&g, &t, CHILD, sv, 1, 2, 1, 64);
    send_acked(&g, &t, 1, 0, L);
    end_transfer(&g, &t);

    /* TFTP: RRQ with blksize and tsize, OACK, two DATA blocks, ACKs; then an ERROR */
    struct ep cl = {IP(10, 0, 0, 2), 50000, 0}, srv69 = {IP(10, 9, 9, 9), 69, 0};
    struct ep srv = {IP(10, 9, 9, 9), 33333, 0};
    static const uint8_t rrq[] = "\0\1/dnld/x.sbn\0octet\0blksize\0" "1024\0tsize\0" "0";
    udp(&g, &cl, &srv69, rrq, sizeof rrq);
    static const uint8_t oack[] = "\0\6blksize\0" "1024\0tsize\0" "1500";
    udp(&g, &srv, &cl, oack, sizeof oack);
    uint8_t ack[4] = {0, 4, 0, 0};
    udp(&g, &cl, &srv, ack, 4);
    uint8_t data[4 + 1024];
    memset(data, 0x5a, sizeof data);
    data[0] = 0; data[1] = 3; data[2] = 0; data[3] = 1;
    udp(&g, &srv, &cl, data, 4 + 1024);
    ack[3] = 1;
    udp(&g, &cl, &srv, ack, 4);
    data[3] = 2;
    udp(&g, &srv, &cl, data, 4 + 476);
    ack[3] = 2;
    udp(&g, &cl, &srv, ack, 4);
    struct ep cl2 = {IP(10, 0, 0, 3), 50001, 0}, srv2 = {IP(10, 9, 9, 9), 33334, 0};
    static const uint8_t rrq2[] = "\0\1/dnld/missing.sbn\0octet";
    udp(&g, &cl2, &srv69, rrq2, sizeof rrq2);
    static const uint8_t err[] = "\0\5\0\1File not found";
    udp(&g, &srv2, &cl2, err, sizeof err);
    expect_problem(&g, "tftp-error");

    /* a foreign payload on 4051: a reader reports it, as a bad magic */
    static const uint8_t junk[] = "\x13\x37 not a PFS message at all";
    struct ep j = {IP(10, 0, 0, 7), 4051, 0};
    udp(&g, &j, &BCAST, junk, sizeof junk - 1);
    uint64_t f = g.frame;
    expect_msg(&g, &j, &BCAST, "?", 0, "PFS_E_MAGIC", &f, 1);
    return close_gen(&g);
}

/* Inputs with nothing to show: no packets, no PFS, a link type pfsdump does not read. */
static int gen_empty(const char *dir)
{
    struct gen g;
    if (open_gen(&g, dir, "bad-empty", DLT_EN10MB) < 0 || close_gen(&g) < 0)
        return -1;
    if (open_gen(&g, dir, "bad-nopfs", DLT_EN10MB) < 0)
        return -1;
    struct ep dns_c = {IP(10, 0, 0, 2), 53000, 0}, dns_s = {IP(10, 0, 0, 1), 53, 0};
    static const uint8_t q[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00";
    udp(&g, &dns_c, &dns_s, q, sizeof q - 1);
    if (close_gen(&g) < 0)
        return -1;
    if (open_gen(&g, dir, "bad-linktype", 189 /* DLT_USB_LINUX */) < 0)
        return -1;
    uint8_t usb[48] = {0};
    struct pcap_pkthdr ph = {{1764000000, 0}, sizeof usb, sizeof usb};
    pcap_dump((u_char *)g.d, &ph, usb);
    return close_gen(&g);
}

/*
 * What --summary must point at: two roots, an Ad gap, a third child, a
 * hash failure, an abort, and a TFTP fetch by a member beside its root.
 */
static int gen_problems(const char *dir)
{
    struct gen g;
    if (open_gen(&g, dir, "problems", DLT_EN10MB) < 0)
        return -1;
    struct msg m;
    struct ep a = {IP(10, 0, 0, 2), 4051, 0}, b = {IP(10, 0, 0, 9), 4051, 0};
    m_claim(&m, 1, 0x0a000002, 2, 0, IP(10, 0, 0, 2), 4051);
    udp_msg(&g, &a, &BCAST, &m, NULL);
    m_claim(&m, 1, 0x0a000009, 2, 0, IP(10, 0, 0, 9), 4051);
    udp_msg(&g, &b, &BCAST, &m, NULL);
    expect_problem(&g, "two-roots");
    m_claim(&m, 2, 0x0a000009, 1, 1, IP(10, 0, 0, 9), 4051);
    udp_msg(&g, &b, &BCAST, &m, NULL);
    m_claim(&m, 2, 0x0a000009, 1, 3, IP(10, 0, 0, 9), 4051);
    udp_msg(&g, &b, &BCAST, &m, NULL);
    expect_problem(&g, "ad-gap");
    /* three children accepted at once by XID0A000002 */
    static struct tcp t[3];
    for (int k = 0; k < 3; k++) {
        struct ep c = {IP(10, 0, 0, 3 + (unsigned)k), (uint16_t)(41000 + k), 0};
        tcp_init(&t[k], c, PARENT, 100u * (unsigned)k, 7);
        m_join(&m, 0x0a000003u + (unsigned)k);
        queue(&t[k], 0, &m);
        m_accept(&m, 0x0a000002);
        queue(&t[k], 1, &m);
        handshake(&g, &t[k]);
        send_acked(&g, &t[k], 0, 0, t[k].s[0].len);
        send_acked(&g, &t[k], 1, 0, t[k].s[1].len);
    }
    expect_problem(&g, "third-child");
    m_verdict_of(&m, 0x0a000003, 2, 10);
    size_t at = t[0].s[0].len;
    queue(&t[0], 0, &m);
    send_acked(&g, &t[0], 0, at, m.n);
    expect_problem(&g, "hash-failure");
    m_reason(&m, 10, 0x0a000002, 5);
    at = t[1].s[1].len;
    queue(&t[1], 1, &m);
    send_acked(&g, &t[1], 1, at, m.n);
    expect_problem(&g, "abort");
    for (int k = 0; k < 3; k++) {
        close_conn(&g, &t[k]);
        expect_side(&g, &t[k], 0, 0);
        expect_side(&g, &t[k], 1, 0);
    }
    /* XID0A000005 (10.0.0.5) fetches the file over TFTP although 0A000002 is root */
    struct ep cl = {IP(10, 0, 0, 5), 50005, 0}, srv69 = {IP(10, 9, 9, 9), 69, 0};
    static const uint8_t rrq[] = "\0\1/dnld/x.sbn\0octet";
    udp(&g, &cl, &srv69, rrq, sizeof rrq);
    expect_problem(&g, "tftp-fallback");
    return close_gen(&g);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_captures OUTDIR\n");
        return 2;
    }
    const char *dir = argv[1];
    if (gen_cuts(dir) < 0 || gen_reasm(dir) < 0 || gen_lost(dir) < 0 || gen_links(dir) < 0 ||
        gen_faults(dir) < 0 || gen_follow(dir) < 0 || gen_empty(dir) < 0 ||
        gen_problems(dir) < 0)
        return 1;
    return 0;
}
