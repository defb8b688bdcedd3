/*
 * pfscap.c - writes the test captures of the pfs dissector with libpcap.
 *
 * The messages are written byte by byte from docs/protocol.md (§2 header,
 * §3 bodies), with this file's own little writer, never with libpfs's
 * encoder: the dissector is tested against the document, the way someone
 * without our source would test it. The golden scenario alone takes its
 * bytes from the codec's golden vectors (tests/proto/golden.h).
 *
 *   pfscap [--link eth|sll] [--count N] [--cut N] [--retransmit] [--reorder]
 *          [--isn N] [--lose N] SCENARIO OUT.pcap
 *
 * Scenarios: golden, session, cuts, faults, foreign, bench
 * (see usage()). Frames are Ethernet (or Linux cooked with --link sll),
 * IPv4, UDP or TCP with a real handshake; every TCP stream can be cut at
 * any byte, retransmitted, reordered or started near 2^32.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "golden.h"
#pragma GCC diagnostic pop

#define PORT 4051
#define MAXPKT 70000

/* ---- message bytes, as docs/protocol.md writes them ---- */

struct msg {
    uint8_t b[MAXPKT];
    size_t n;
};

static void p8(struct msg *m, unsigned v) { m->b[m->n++] = (uint8_t)v; }
static void p16(struct msg *m, unsigned v) { p8(m, v >> 8); p8(m, v & 255u); }
static void p32(struct msg *m, uint32_t v) { p16(m, v >> 16); p16(m, v & 0xffffu); }
static void pbytes(struct msg *m, const void *p, size_t n) { memcpy(m->b + m->n, p, n); m->n += n; }
static void pstr(struct msg *m, const char *s) { p8(m, (unsigned)strlen(s)); pbytes(m, s, strlen(s)); }

/* §2: magic "PF", version 1, type, flags, length (patched by end()), xid, hier. */
static void hdr(struct msg *m, unsigned type, unsigned flags, uint32_t xid, uint32_t hier)
{
    m->n = 0;
    p16(m, 0x5046);
    p8(m, 1);
    p8(m, type);
    p16(m, flags);
    p16(m, 0);
    p32(m, xid);
    p32(m, hier);
}

static void end(struct msg *m)
{
    m->b[6] = (uint8_t)(m->n >> 8);
    m->b[7] = (uint8_t)(m->n & 255u);
}

#define F_FULL 1u
#define F_HAVE 2u
#define F_BCAST 4u

struct claim {
    unsigned type, state, seq, depth, free, flags;
    uint32_t xid, hier, map, strength, root, addr;
    unsigned port;
    const char *model, *file;
};

/* §3 CLAIM (1) and AD (2). */
static void m_claim(struct msg *m, const struct claim *c)
{
    hdr(m, c->type, c->flags | F_BCAST, c->xid, c->hier);
    p8(m, c->state); p8(m, c->seq); p8(m, c->depth); p8(m, c->free);
    p32(m, c->map); p32(m, c->strength); p32(m, c->root); p32(m, c->addr); p16(m, c->port);
    pstr(m, c->model); pstr(m, c->file);
    end(m);
}

static void m_join(struct msg *m, uint32_t xid, uint32_t hier, uint32_t addr, unsigned port,
                   unsigned try_no, const char *model, const char *file)
{
    hdr(m, 3, 0, xid, hier);
    p32(m, addr); p16(m, port); p8(m, try_no); p8(m, 0);
    pstr(m, model); pstr(m, file);
    end(m);
}

static void m_accept(struct msg *m, uint32_t xid, uint32_t hier, unsigned flags, unsigned index,
                     unsigned depth, uint32_t root)
{
    hdr(m, 4, flags, xid, hier);
    p8(m, index); p8(m, depth); p16(m, 0); p32(m, root);
    end(m);
}

struct hint { uint32_t xid, addr; unsigned port; };

static void m_refuse(struct msg *m, uint32_t xid, uint32_t hier, unsigned reason,
                     const struct hint *h, unsigned nh)
{
    hdr(m, 5, F_FULL, xid, hier);
    p8(m, reason); p8(m, nh); p16(m, 0);
    for (unsigned i = 0; i < nh; i++) {
        p32(m, h[i].xid); p32(m, h[i].addr); p16(m, h[i].port); p16(m, 0);
    }
    end(m);
}

static void m_xfrcmd(struct msg *m, uint32_t xid, uint32_t hier, uint32_t size, unsigned source,
                     uint32_t origin, const char *file)
{
    hdr(m, 6, F_HAVE, xid, hier);
    p32(m, size); p8(m, source); p8(m, 0); p16(m, 0); p32(m, origin);
    for (unsigned i = 0; i < 32; i++)
        p8(m, (i * 37u + 11u) & 255u);
    pstr(m, file);
    end(m);
}

static void m_data(struct msg *m, uint32_t xid, uint32_t hier, uint32_t offset, unsigned len)
{
    hdr(m, 7, F_HAVE, xid, hier);
    p32(m, offset); p16(m, len); p16(m, 0);
    for (unsigned i = 0; i < len; i++)
        p8(m, (offset + i) * 7u & 255u);
    end(m);
}

static void m_u32(struct msg *m, unsigned type, unsigned flags, uint32_t xid, uint32_t hier,
                  uint32_t v)
{
    hdr(m, type, flags, xid, hier);
    p32(m, v);
    end(m);
}

static void m_verdict(struct msg *m, uint32_t xid, uint32_t hier, unsigned verdict, uint32_t bytes)
{
    hdr(m, 9, 0, xid, hier);
    p8(m, verdict); p8(m, 0); p16(m, 0); p32(m, bytes);
    end(m);
}

/* ABORT (10) and LEAVE (11). */
static void m_reason(struct msg *m, unsigned type, unsigned flags, uint32_t xid, uint32_t hier,
                     unsigned reason)
{
    hdr(m, type, flags, xid, hier);
    p8(m, reason); p8(m, 0); p16(m, 0);
    end(m);
}

/* ---- frames: link, IPv4, UDP, TCP ---- */

struct out {
    pcap_dumper_t *d;
    int sll;
    uint64_t usec;        /* the capture's clock: 1 ms a frame unless told */
    unsigned frames;
};

static uint16_t csum(const uint8_t *p, size_t n, uint32_t sum)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static size_t put_link(const struct out *o, uint8_t *f, uint32_t src)
{
    if (o->sll) {  /* Linux cooked v1: type, ARPHRD_ETHER, address length, address, protocol */
        static const uint8_t sll[16] = {0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0, 0, 0, 8, 0};
        memcpy(f, sll, 16);
        memcpy(f + 8 + 2, &src, 4);
        return 16;
    }
    static const uint8_t eth[14] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 0, 8, 0};
    memcpy(f, eth, 14);
    memcpy(f + 8, &src, 4);
    return 14;
}

static void emit(struct out *o, const uint8_t *f, size_t n)
{
    struct pcap_pkthdr h;
    h.ts.tv_sec = (time_t)(1700000000 + o->usec / 1000000);
    h.ts.tv_usec = (suseconds_t)(o->usec % 1000000);
    h.caplen = h.len = (bpf_u_int32)n;
    pcap_dump((u_char *)o->d, &h, f);
    o->usec += 1000;
    o->frames++;
}

static void be16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void be32(uint8_t *p, uint32_t v) { be16(p, v >> 16); be16(p + 2, v & 0xffffu); }

/* IPv4 header at f, protocol proto, payload plen; returns 20. */
static size_t put_ip(uint8_t *f, unsigned proto, uint32_t src, uint32_t dst, size_t plen)
{
    memset(f, 0, 20);
    f[0] = 0x45;
    be16(f + 2, (unsigned)(20 + plen));
    f[6] = 0x40;  /* DF */
    f[8] = 64;
    f[9] = (uint8_t)proto;
    be32(f + 12, src);
    be32(f + 16, dst);
    be16(f + 10, csum(f, 20, 0));
    return 20;
}

static uint32_t pseudo(uint32_t src, uint32_t dst, unsigned proto, size_t len)
{
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + (uint32_t)len;
}

static void udp(struct out *o, uint32_t src, unsigned sport, uint32_t dst, unsigned dport,
                const uint8_t *p, size_t n)
{
    static uint8_t f[MAXPKT + 64];
    uint32_t nsrc;
    be32((uint8_t *)&nsrc, src);
    size_t l = put_link(o, f, nsrc);
    l += put_ip(f + l, 17, src, dst, 8 + n);
    uint8_t *u = f + l;
    be16(u, sport); be16(u + 2, dport); be16(u + 4, (unsigned)(8 + n)); be16(u + 6, 0);
    if (n)
        memcpy(u + 8, p, n);
    uint16_t c = csum(u, 8 + n, pseudo(src, dst, 17, 8 + n));
    be16(u + 6, c ? c : 0xffff);
    emit(o, f, l + 8 + n);
}

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

/* One TCP connection: side 0 is the client (the child), side 1 the server. */
struct tcp {
    uint32_t ip[2];
    unsigned port[2];
    uint32_t seq[2];     /* next sequence number each side sends */
};

static void tcp_seg(struct out *o, const struct tcp *t, int side, uint32_t seq, unsigned flags,
                    const uint8_t *p, size_t n)
{
    static uint8_t f[MAXPKT + 64];
    uint32_t nsrc;
    be32((uint8_t *)&nsrc, t->ip[side]);
    size_t l = put_link(o, f, nsrc);
    l += put_ip(f + l, 6, t->ip[side], t->ip[!side], 20 + n);
    uint8_t *s = f + l;
    memset(s, 0, 20);
    be16(s, t->port[side]);
    be16(s + 2, t->port[!side]);
    be32(s + 4, seq);
    be32(s + 8, flags & TH_ACK ? t->seq[!side] : 0);
    s[12] = 5 << 4;
    s[13] = (uint8_t)flags;
    be16(s + 14, 65535);
    if (n)  /* a bare ACK, SYN or FIN has no payload (p may be NULL) */
        memcpy(s + 20, p, n);
    be16(s + 16, csum(s, 20 + n, pseudo(t->ip[side], t->ip[!side], 6, 20 + n)));
    emit(o, f, l + 20 + n);
}

static void tcp_open(struct out *o, struct tcp *t, uint32_t cip, unsigned cport, uint32_t sip,
                     unsigned sport, uint32_t isn)
{
    t->ip[0] = cip; t->port[0] = cport; t->ip[1] = sip; t->port[1] = sport;
    t->seq[0] = isn; t->seq[1] = isn ^ 0x5a5a5a5au;
    tcp_seg(o, t, 0, t->seq[0]++, TH_SYN, NULL, 0);
    tcp_seg(o, t, 1, t->seq[1]++, TH_SYN | TH_ACK, NULL, 0);
    tcp_seg(o, t, 0, t->seq[0], TH_ACK, NULL, 0);
}

/* How a stream's bytes become segments. */
struct cutting {
    size_t every;        /* segment size; 0: what send() is given is one segment */
    int retransmit;      /* send each data segment twice */
    int reorder;         /* swap each pair of data segments */
    unsigned lose;       /* != 0: every lose-th data segment is missing from the capture */
    unsigned sent;       /* data segments so far */
};

static void tcp_send(struct out *o, struct tcp *t, int side, const uint8_t *p, size_t n,
                     struct cutting *c)
{
    size_t step = c && c->every ? c->every : n;
    for (size_t at = 0; at < n; at += step) {
        size_t k = n - at < step ? n - at : step;
        size_t k2 = 0;
        if (c && c->reorder && at + k < n) {  /* the next piece overtakes this one */
            k2 = n - at - k < step ? n - at - k : step;
            tcp_seg(o, t, side, t->seq[side] + (uint32_t)k, TH_PSH | TH_ACK, p + at + k, k2);
        }
        if (!c || !c->lose || ++c->sent % c->lose != 0)
            tcp_seg(o, t, side, t->seq[side], TH_PSH | TH_ACK, p + at, k);
        if (c && c->retransmit)
            tcp_seg(o, t, side, t->seq[side], TH_PSH | TH_ACK, p + at, k);
        t->seq[side] += (uint32_t)(k + k2);
        at += k2;
        tcp_seg(o, t, !side, t->seq[!side], TH_ACK, NULL, 0);
    }
}

static void tcp_close(struct out *o, struct tcp *t)
{
    tcp_seg(o, t, 1, t->seq[1]++, TH_FIN | TH_ACK, NULL, 0);
    tcp_seg(o, t, 0, t->seq[0]++, TH_FIN | TH_ACK, NULL, 0);
    tcp_seg(o, t, 1, t->seq[1], TH_ACK, NULL, 0);
}

static void send_msg(struct out *o, struct tcp *t, int side, const struct msg *m,
                     struct cutting *c)
{
    tcp_send(o, t, side, m->b, m->n, c);
}

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define BCAST IP(127, 255, 255, 255)

static void bcast(struct out *o, uint32_t src, const struct msg *m)
{
    udp(o, src, PORT, BCAST, PORT, m->b, m->n);
}

/* ---- scenarios ---- */

/* The golden vectors: UDP for the broadcast types, one TCP connection for the rest. */
static void sc_golden(struct out *o)
{
    static const char *const udp_v[] = {G_CLAIM, G_AD, G_LEAVE, G_LEAVE_TLV};
    static const char *const child_v[] = {G_JOIN, G_VERDICT, G_ABORT};
    static const char *const parent_v[] = {G_ACCEPT, G_REFUSE, G_XFRCMD, G_DATA, G_XFREND};
    uint8_t b[512];
    for (size_t i = 0; i < sizeof udp_v / sizeof udp_v[0]; i++)
        udp(o, IP(10, 106, 117, 68), PORT, IP(10, 106, 117, 255), PORT, b, unhex(udp_v[i], b, sizeof b));
    struct tcp t;
    tcp_open(o, &t, IP(127, 0, 0, 3), 40001, IP(10, 106, 117, 68), PORT, 1000);
    tcp_send(o, &t, 0, b, unhex(child_v[0], b, sizeof b), NULL);
    for (size_t i = 0; i < sizeof parent_v / sizeof parent_v[0]; i++)
        tcp_send(o, &t, 1, b, unhex(parent_v[i], b, sizeof b), NULL);
    for (size_t i = 1; i < sizeof child_v / sizeof child_v[0]; i++)
        tcp_send(o, &t, 0, b, unhex(child_v[i], b, sizeof b), NULL);
    tcp_close(o, &t);
}

#define MODEL "CP-7961G"
#define FILE1 "/dnld/jar41.sbn"
#define H1 0x5c6b2a10u
#define XR 0xB4600002u   /* the root, 127.0.0.2 */
#define XA 0xB4600003u   /* its first child, 127.0.0.3, listens on 4500 */
#define XB 0xB4600004u   /* its second child */
#define XC 0xB4600005u   /* refused by the root, joins XA on 4500 */
#define FSIZE 40000u

static struct claim claim_of(unsigned type, uint32_t xid, unsigned state, unsigned seq)
{
    struct claim c = {type, state, seq, 255, 2, 0, xid, H1, 0x1234abcd, 0x10000000u + (xid & 255u),
                      0, IP(127, 0, 0, xid & 255u), PORT, MODEL, FILE1};
    return c;
}

/* XFRCMD, DATA in 16 KiB pieces, XFREND from the parent; VERDICT from the child. */
static void transfer(struct out *o, struct tcp *t, uint32_t parent, uint32_t child,
                     struct cutting *c, unsigned verdict)
{
    struct msg m;
    m_xfrcmd(&m, parent, H1, FSIZE, parent == XR ? 1 : 2, XR, FILE1);
    send_msg(o, t, 1, &m, c);
    for (uint32_t off = 0; off < FSIZE; off += 16384) {
        unsigned len = FSIZE - off < 16384 ? FSIZE - off : 16384;
        m_data(&m, parent, H1, off, len);
        send_msg(o, t, 1, &m, c);
    }
    m_u32(&m, 8, F_HAVE, parent, H1, FSIZE);
    send_msg(o, t, 1, &m, c);
    m_verdict(&m, child, H1, verdict, FSIZE);
    send_msg(o, t, 0, &m, c);
}

static void join(struct out *o, struct tcp *t, uint32_t child, struct cutting *c)
{
    struct msg m;
    m_join(&m, child, H1, t->ip[0], t->port[0], 1, MODEL, FILE1);
    send_msg(o, t, 0, &m, c);
}

/*
 * A whole hierarchy: tentative claims, Ads, the root's confirmation, two
 * children accepted, a third refused with hints and sent to the first
 * child's advertised port 4500, the transfers and LEAVE.
 */
static void sc_session(struct out *o, struct cutting *c, uint32_t isn)
{
    struct msg m;
    struct claim cl = claim_of(1, XR, 1, 0);
    m_claim(&m, &cl); bcast(o, cl.addr, &m);
    cl = claim_of(1, XA, 1, 0); cl.strength = 0x01000000; m_claim(&m, &cl); bcast(o, cl.addr, &m);
    for (unsigned n = 1; n <= 4; n++) {
        cl = claim_of(2, XR, 1, n); m_claim(&m, &cl); bcast(o, cl.addr, &m);
    }
    cl = claim_of(1, XR, 2, 0); cl.strength = 0xffffffffu; cl.depth = 0; cl.root = XR;
    m_claim(&m, &cl); bcast(o, cl.addr, &m);
    cl = claim_of(2, XR, 3, 1); cl.strength = 0xffffffffu; cl.depth = 0; cl.root = XR;
    cl.map = 0x77777777; m_claim(&m, &cl); bcast(o, cl.addr, &m);

    struct tcp ta, tb, tc, tc2;
    tcp_open(o, &ta, IP(127, 0, 0, 3), 41003, IP(127, 0, 0, 2), PORT, isn);
    join(o, &ta, XA, c);
    m_accept(&m, XR, H1, 0, 0, 0, XR); send_msg(o, &ta, 1, &m, c);
    cl = claim_of(2, XA, 5, 1); cl.depth = 1; cl.root = XR; cl.port = 4500; cl.map = 0x88888888;
    m_claim(&m, &cl); bcast(o, cl.addr, &m);
    tcp_open(o, &tb, IP(127, 0, 0, 4), 41004, IP(127, 0, 0, 2), PORT, isn + 7777);
    join(o, &tb, XB, c);
    m_accept(&m, XR, H1, F_FULL, 1, 0, XR); send_msg(o, &tb, 1, &m, c);
    cl = claim_of(2, XR, 3, 2); cl.strength = 0xffffffffu; cl.depth = 0; cl.root = XR;
    cl.free = 0; cl.flags = F_FULL; cl.map = 0x77777777; m_claim(&m, &cl); bcast(o, cl.addr, &m);

    tcp_open(o, &tc, IP(127, 0, 0, 5), 41005, IP(127, 0, 0, 2), PORT, isn + 99);
    join(o, &tc, XC, c);
    struct hint h[2] = {{XA, IP(127, 0, 0, 3), 4500}, {XB, IP(127, 0, 0, 4), PORT}};
    m_refuse(&m, XR, H1, 1, h, 2); send_msg(o, &tc, 1, &m, c);
    tcp_close(o, &tc);
    tcp_open(o, &tc2, IP(127, 0, 0, 5), 41006, IP(127, 0, 0, 3), 4500, isn + 12345);
    join(o, &tc2, XC, c);
    m_accept(&m, XA, H1, 0, 0, 1, XR); send_msg(o, &tc2, 1, &m, c);

    transfer(o, &ta, XR, XA, c, 1);
    transfer(o, &tb, XR, XB, c, 1);
    transfer(o, &tc2, XA, XC, c, 1);
    m_reason(&m, 11, 0, XC, H1, 9); send_msg(o, &tc2, 0, &m, c);
    tcp_close(o, &ta); tcp_close(o, &tb); tcp_close(o, &tc2);
    m_reason(&m, 11, F_BCAST, XR, H1, 9); bcast(o, IP(127, 0, 0, 2), &m);
}

/* The parent's side of one stream, as one buffer: ACCEPT, XFRCMD, DATA, XFREND. */
static size_t cut_stream(uint8_t *s)
{
    struct msg m;
    size_t n = 0;
    m_accept(&m, XR, H1, 0, 1, 0, XR); memcpy(s + n, m.b, m.n); n += m.n;
    m_xfrcmd(&m, XR, H1, 7, 1, XR, FILE1); memcpy(s + n, m.b, m.n); n += m.n;
    m_data(&m, XR, H1, 0, 7); memcpy(s + n, m.b, m.n); n += m.n;
    m_u32(&m, 8, F_HAVE, XR, H1, 7); memcpy(s + n, m.b, m.n); n += m.n;
    return n;
}

/*
 * One connection per cut: connection k carries the stream in two segments
 * cut after byte k (k = 1 .. n-1); then one connection of 1-byte segments,
 * and one with the whole stream in a single segment. All must decode alike.
 */
static void sc_cuts(struct out *o)
{
    uint8_t s[512];
    size_t n = cut_stream(s);
    unsigned port = 20000;
    for (size_t k = 1; k < n; k++) {
        struct tcp t;
        tcp_open(o, &t, IP(127, 0, 0, 3), port++, IP(127, 0, 0, 2), PORT, (uint32_t)(k * 1000003u));
        tcp_send(o, &t, 1, s, k, NULL);
        tcp_send(o, &t, 1, s + k, n - k, NULL);
    }
    struct tcp t;
    struct cutting bytewise = {1, 0, 0, 0, 0};
    tcp_open(o, &t, IP(127, 0, 0, 3), port++, IP(127, 0, 0, 2), PORT, 0xfffffff0u);
    tcp_send(o, &t, 1, s, n, &bytewise);
    tcp_open(o, &t, IP(127, 0, 0, 3), port++, IP(127, 0, 0, 2), PORT, 5);
    tcp_send(o, &t, 1, s, n, NULL);
}

/* One datagram per §5 fault, then the state faults a capture can show. */
static void sc_faults(struct out *o)
{
    struct msg m;
    struct claim cl = claim_of(1, XR, 1, 0);
    uint32_t src = IP(127, 0, 0, 2);
#define SEND() udp(o, src, PORT, BCAST, PORT, m.b, m.n)
    m_claim(&m, &cl); m.n = 10; SEND();                             /* SHORT */
    m_claim(&m, &cl); m.b[2] = 2; SEND();                           /* VERSION */
    m_claim(&m, &cl); m.b[7] = (uint8_t)(m.b[7] + 40); SEND();      /* LENGTH: more than at hand */
    m_claim(&m, &cl); m.b[7] = 20; SEND();                          /* LENGTH: body does not fit */
    cl.model = "CP-7961G-TOO-LONG"; m_claim(&m, &cl); SEND();       /* STRLEN */
    cl.model = "CP 7961G"; m_claim(&m, &cl); SEND();                /* MODEL */
    cl.model = MODEL; cl.file = "/dnld/../etc/passwd"; m_claim(&m, &cl); SEND(); /* PATH */
    cl.file = FILE1;
    m_claim(&m, &cl); m.b[3] = 12; SEND();                          /* TYPE */
    cl.state = 7; m_claim(&m, &cl); SEND();                         /* FIELD */
    cl.state = 1;
    m_reason(&m, 11, F_BCAST, XR, H1, 9); p8(&m, 1); p8(&m, 9); p8(&m, 'x'); end(&m); SEND(); /* TLV */
    m_reason(&m, 11, F_BCAST, XR, H1, 9); p8(&m, 2); p8(&m, 2); p16(&m, 1); end(&m); SEND(); /* TLV shape */
    m_reason(&m, 11, F_BCAST, XR, H1, 9);                          /* SIZE: a datagram over 1472 */
    for (unsigned t = 0; t < 6; t++) {
        p8(&m, 0x70 + t); p8(&m, 250);
        for (unsigned k = 0; k < 250; k++)
            p8(&m, k);
    }
    end(&m); SEND();
#undef SEND
    /* SIZE and a bad magic inside a PFS connection. */
    struct tcp t;
    tcp_open(o, &t, IP(127, 0, 0, 9), 42000, IP(127, 0, 0, 2), PORT, 77);
    m_xfrcmd(&m, XR, H1, 64u * 1024 * 1024 + 1, 1, XR, FILE1); send_msg(o, &t, 1, &m, NULL);
    m_u32(&m, 8, F_HAVE, XR, H1, 9); m.b[0] = 'X'; send_msg(o, &t, 1, &m, NULL);
    tcp_close(o, &t);

    /* Ad gap (3 after 1), two roots, JOIN to a FULL parent, third child, data past size,
     * a failed verdict, an ABORT. */
    cl = claim_of(2, XA, 1, 1); m_claim(&m, &cl); bcast(o, cl.addr, &m);
    cl = claim_of(2, XA, 1, 3); m_claim(&m, &cl); bcast(o, cl.addr, &m);
    cl = claim_of(1, XR, 2, 0); cl.strength = 0xffffffffu; m_claim(&m, &cl); bcast(o, cl.addr, &m);
    cl = claim_of(1, XB, 2, 0); cl.strength = 0xffffffffu; m_claim(&m, &cl); bcast(o, cl.addr, &m);
    cl = claim_of(2, XR, 3, 1); cl.free = 0; cl.flags = F_FULL; cl.depth = 0;
    m_claim(&m, &cl); bcast(o, cl.addr, &m);
    static const uint32_t kids[3] = {XA, XB, XC};
    for (unsigned i = 0; i < 3; i++) {
        tcp_open(o, &t, IP(127, 0, 0, 3 + i), 43000 + i, IP(127, 0, 0, 2), PORT, 1000 * i);
        join(o, &t, kids[i], NULL);
        m_accept(&m, XR, H1, 0, i & 1u, 0, XR); send_msg(o, &t, 1, &m, NULL);
        if (i == 2) {
            m_xfrcmd(&m, XR, H1, 10, 1, XR, FILE1); send_msg(o, &t, 1, &m, NULL);
            m_data(&m, XR, H1, 0, 8); send_msg(o, &t, 1, &m, NULL);
            m_data(&m, XR, H1, 8, 8); send_msg(o, &t, 1, &m, NULL);
            m_u32(&m, 8, F_HAVE, XR, H1, 16); send_msg(o, &t, 1, &m, NULL);
            m_verdict(&m, XC, H1, 2, 16); send_msg(o, &t, 0, &m, NULL);
            m_reason(&m, 10, 0, XC, H1, 6); send_msg(o, &t, 0, &m, NULL);
        }
        tcp_close(o, &t);
    }
}

/* Cisco's own format on 4051: a broadcast, a child's connection, transfer bytes; TFTP beside. */
static void sc_foreign(struct out *o)
{
    static const uint8_t vendor[] = {0x00, 0x01, 0x02, 0x10, 'C', 'i', 's', 'c', 'o', 0, 0, 0, 7,
                                     0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47};
    udp(o, IP(10, 1, 1, 20), PORT, IP(10, 1, 1, 255), PORT, vendor, sizeof vendor);
    udp(o, IP(10, 1, 1, 21), PORT, IP(10, 1, 1, 20), PORT, vendor, 9);
    struct tcp t;
    tcp_open(o, &t, IP(10, 1, 1, 21), 50000, IP(10, 1, 1, 20), PORT, 4242);
    tcp_send(o, &t, 0, vendor, sizeof vendor, NULL);
    uint8_t blob[3000];
    for (size_t i = 0; i < sizeof blob; i++)
        blob[i] = (uint8_t)(i * 13u + 1u);
    struct cutting mss = {1448, 0, 0, 0, 0};
    tcp_send(o, &t, 1, blob, sizeof blob, &mss);
    tcp_close(o, &t);

    /* TFTP beside PFS: RRQ, one DATA, its ACK; a CLAIM between them. */
    static const uint8_t rrq[] = "\x00\x01/dnld/jar41.sbn\x00octet\x00";
    udp(o, IP(10, 1, 1, 20), 50001, IP(10, 9, 9, 9), 69, rrq, sizeof rrq - 1);
    struct msg m;
    struct claim cl = claim_of(1, XR, 1, 0);
    m_claim(&m, &cl); bcast(o, cl.addr, &m);
    uint8_t data[4 + 100] = {0, 3, 0, 1};
    udp(o, IP(10, 9, 9, 9), 50002, IP(10, 1, 1, 20), 50001, data, sizeof data);
    static const uint8_t ack[] = {0, 4, 0, 1};
    udp(o, IP(10, 1, 1, 20), 50001, IP(10, 9, 9, 9), 50002, ack, sizeof ack);
}

/* N PFS packets for the benchmark: Ads on UDP and DATA on long TCP connections. */
static void sc_bench(struct out *o, unsigned count)
{
    struct msg m;
    struct tcp t;
    unsigned conn = 0, in_conn = 0;
    tcp_open(o, &t, IP(127, 0, 0, 3), 30000, IP(127, 0, 0, 2), PORT, 1);
    for (unsigned i = 0; o->frames < count; i++) {
        if (i % 4 == 0) {
            struct claim cl = claim_of(2, IP(127, 0, 0, 10 + i % 200), 5, 1 + i % 200);
            m_claim(&m, &cl);
            bcast(o, cl.addr, &m);
            continue;
        }
        if (in_conn++ == 2000) {  /* a new child every 2000 messages */
            tcp_close(o, &t);
            tcp_open(o, &t, IP(127, 0, 0, 3), 30001 + ++conn % 30000, IP(127, 0, 0, 2), PORT, i);
            in_conn = 0;
        }
        m_data(&m, XR, H1, (in_conn * 1024u) % (60u << 20), 1024);
        tcp_seg(o, &t, 1, t.seq[1], TH_PSH | TH_ACK, m.b, m.n);
        t.seq[1] += (uint32_t)m.n;
    }
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: pfscap [--link eth|sll] [--count N] [--cut N] [--retransmit] [--reorder]\n"
            "              [--isn N] [--lose N] SCENARIO OUT.pcap\n"
            "scenarios:\n"
            "  golden     the codec's golden vectors, UDP and one TCP connection\n"
            "  session    a hierarchy: claims, Ads, joins, a refusal, port 4500, transfers;\n"
            "             --cut N (N-byte segments), --retransmit, --reorder, --isn N (wrap),\n"
            "             --lose N (every Nth data segment missing from the capture)\n"
            "  cuts       one stream cut at every byte boundary, one connection per cut\n"
            "  faults     every fault of docs/protocol.md section 5, and the state faults\n"
            "  foreign    vendor payload on port 4051 and TFTP beside PFS\n"
            "  bench      --count N packets (default 200000) of Ads and DATA\n"
            "exit: 0 written, 1 cannot write, 2 usage\n");
}

int main(int argc, char **argv)
{
    struct out o = {0};
    unsigned count = 200000;
    struct cutting cut = {0, 0, 0, 0, 0};
    uint32_t isn = 100;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--link") && i + 1 < argc) {
            o.sll = !strcmp(argv[++i], "sll");
        } else if (!strcmp(argv[i], "--cut") && i + 1 < argc) {
            cut.every = strtoul(argv[++i], NULL, 0);
        } else if (!strcmp(argv[i], "--isn") && i + 1 < argc) {
            isn = (uint32_t)strtoul(argv[++i], NULL, 0);
        } else if (!strcmp(argv[i], "--retransmit")) {
            cut.retransmit = 1;
        } else if (!strcmp(argv[i], "--lose") && i + 1 < argc) {
            cut.lose = (unsigned)strtoul(argv[++i], NULL, 0);
        } else if (!strcmp(argv[i], "--reorder")) {
            cut.reorder = 1;
        } else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
            count = (unsigned)strtoul(argv[++i], NULL, 10);
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (argc - i != 2) {
        usage(stderr);
        return 2;
    }
    const char *sc = argv[i], *path = argv[i + 1];
    pcap_t *p = pcap_open_dead(o.sll ? DLT_LINUX_SLL : DLT_EN10MB, 262144);
    o.d = p ? pcap_dump_open(p, path) : NULL;
    if (!o.d) {
        fprintf(stderr, "pfscap: %s: %s\n", path, p ? pcap_geterr(p) : "pcap_open_dead failed");
        return 1;
    }
    int known = 1;
    if (!strcmp(sc, "golden")) sc_golden(&o);
    else if (!strcmp(sc, "session")) sc_session(&o, &cut, isn);
    else if (!strcmp(sc, "cuts")) sc_cuts(&o);
    else if (!strcmp(sc, "faults")) sc_faults(&o);
    else if (!strcmp(sc, "foreign")) sc_foreign(&o);
    else if (!strcmp(sc, "bench")) sc_bench(&o, count);
    else known = 0;
    int bad = pcap_dump_flush(o.d) != 0;
    pcap_dump_close(o.d);
    pcap_close(p);
    if (!known || bad) {
        remove(path);
        fprintf(stderr, "pfscap: %s\n", known ? "write failed" : "unknown scenario");
        return known ? 1 : 2;
    }
    return 0;
}
