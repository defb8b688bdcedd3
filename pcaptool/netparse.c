/*
 * netparse.c - link layer, IP and transport headers of a captured frame.
 *
 * Every read goes through the cursor below, which checks the captured
 * length before each field (tcpdump's GET_ rule): a cut frame is an error,
 * never a read past the buffer. IPv4 total length and IPv6 payload length
 * trim Ethernet padding; fragments other than the first are not PFS.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "netparse.h"

#include <pcap/pcap.h>
#include <string.h>

#define ETH_IPV4  0x0800u
#define ETH_IPV6  0x86ddu
#define ETH_VLAN  0x8100u
#define ETH_QINQ  0x88a8u
#define ETH_QINQ9 0x9100u

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

struct cur {
    const uint8_t *p;
    size_t len;
};

static int need(const struct cur *c, size_t n)
{
    return c->len >= n;
}

static unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void skip(struct cur *c, size_t n)
{
    c->p += n;
    c->len -= n;
}

int net_link_supported(int dlt)
{
    switch (dlt) {
    case DLT_EN10MB: case DLT_LINUX_SLL: case DLT_LINUX_SLL2: case DLT_NULL:
    case DLT_LOOP: case DLT_RAW: case DLT_IPV4: case DLT_IPV6:
        return 1;
    default:
        return 0;
    }
}

static int parse_udp(struct cur *c, size_t ip_payload, struct net_pkt *p)
{
    if (!need(c, 8) || ip_payload < 8)
        return -1;
    p->proto = CAP_UDP;
    p->src.port = (uint16_t)be16(c->p);
    p->dst.port = (uint16_t)be16(c->p + 2);
    unsigned ulen = be16(c->p + 4);
    if (ulen < 8 || ulen > ip_payload)
        return -1;
    skip(c, 8);
    p->wire_len = ulen - 8;
    p->payload = c->p;
    p->len = c->len < p->wire_len ? c->len : p->wire_len;
    return 1;
}

static int parse_tcp(struct cur *c, size_t ip_payload, struct net_pkt *p)
{
    if (!need(c, 20) || ip_payload < 20)
        return -1;
    size_t hlen = (size_t)(c->p[12] >> 4) * 4;
    if (hlen < 20 || hlen > ip_payload || !need(c, hlen))
        return -1;
    p->proto = CAP_TCP;
    p->src.port = (uint16_t)be16(c->p);
    p->dst.port = (uint16_t)be16(c->p + 2);
    p->seq = be32(c->p + 4);
    p->ack = be32(c->p + 8);
    p->flags = c->p[13];
    skip(c, hlen);
    p->wire_len = ip_payload - hlen;
    p->payload = c->p;
    p->len = c->len < p->wire_len ? c->len : p->wire_len;
    return 1;
}

static int parse_transport(struct cur *c, unsigned proto, size_t ip_payload, struct net_pkt *p)
{
    if (proto == CAP_UDP)
        return parse_udp(c, ip_payload, p);
    if (proto == CAP_TCP)
        return parse_tcp(c, ip_payload, p);
    return 0;
}

static int parse_ipv4(struct cur *c, struct net_pkt *p)
{
    if (!need(c, 20) || c->p[0] >> 4 != 4)
        return -1;
    size_t ihl = (size_t)(c->p[0] & 15u) * 4;
    size_t total = be16(c->p + 2);
    if (ihl < 20 || total < ihl || !need(c, ihl))
        return -1;
    unsigned frag = be16(c->p + 6);
    if (frag & 0x3fffu)       /* MF set or a non-zero offset: not a whole datagram */
        return 0;
    unsigned proto = c->p[9];
    p->src.family = p->dst.family = 4;
    memcpy(p->src.addr, c->p + 12, 4);
    memcpy(p->dst.addr, c->p + 16, 4);
    if (c->len > total)       /* Ethernet padding */
        c->len = total;
    skip(c, ihl);
    return parse_transport(c, proto, total - ihl, p);
}

static int parse_ipv6(struct cur *c, struct net_pkt *p)
{
    if (!need(c, 40) || c->p[0] >> 4 != 6)
        return -1;
    size_t plen = be16(c->p + 4);
    unsigned next = c->p[6];
    p->src.family = p->dst.family = 6;
    memcpy(p->src.addr, c->p + 8, 16);
    memcpy(p->dst.addr, c->p + 24, 16);
    skip(c, 40);
    if (c->len > plen)
        c->len = plen;
    /* Extension headers: hop-by-hop, routing, destination options; a fragment ends it. */
    while (next == 0 || next == 43 || next == 60 || next == 44) {
        if (!need(c, 8))
            return -1;
        if (next == 44)
            return 0;
        size_t elen = ((size_t)c->p[1] + 1) * 8;
        if (!need(c, elen) || elen > plen)
            return -1;
        next = c->p[0];
        skip(c, elen);
        plen -= elen;
    }
    return parse_transport(c, next, plen, p);
}

static int parse_ethertype(struct cur *c, unsigned type, struct net_pkt *p)
{
    while (type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ9) {
        if (!need(c, 4))
            return -1;
        type = be16(c->p + 2);
        skip(c, 4);
    }
    if (type == ETH_IPV4)
        return parse_ipv4(c, p);
    if (type == ETH_IPV6)
        return parse_ipv6(c, p);
    return 0;
}

/* Raw IP: the version nibble says which. */
static int parse_ip(struct cur *c, struct net_pkt *p)
{
    if (!need(c, 1))
        return -1;
    if (c->p[0] >> 4 == 4)
        return parse_ipv4(c, p);
    if (c->p[0] >> 4 == 6)
        return parse_ipv6(c, p);
    return 0;
}

/* BSD loopback: an address family, host order (DLT_NULL) or network order (DLT_LOOP). */
static int parse_null(struct cur *c, int network_order, struct net_pkt *p)
{
    if (!need(c, 4))
        return -1;
    uint32_t fam = network_order ? be32(c->p)
                                 : (uint32_t)c->p[0] | (uint32_t)c->p[1] << 8 |
                                   (uint32_t)c->p[2] << 16 | (uint32_t)c->p[3] << 24;
    if (!network_order && (fam & 0xffffu) == 0 && fam)  /* written on the other endianness */
        fam = be32(c->p);
    skip(c, 4);
    if (fam == 2)
        return parse_ipv4(c, p);
    if (fam == 10 || fam == 24 || fam == 28 || fam == 30)  /* AF_INET6: Linux, BSDs, macOS */
        return parse_ipv6(c, p);
    return 0;
}

int net_parse(int dlt, const uint8_t *frame, size_t caplen, struct net_pkt *p)
{
    struct cur c = {frame, caplen};
    memset(p, 0, sizeof *p);
    switch (dlt) {
    case DLT_EN10MB:
        if (!need(&c, 14))
            return -1;
        {
            unsigned type = be16(c.p + 12);
            skip(&c, 14);
            return parse_ethertype(&c, type, p);
        }
    case DLT_LINUX_SLL:
        if (!need(&c, 16))
            return -1;
        {
            unsigned type = be16(c.p + 14);
            skip(&c, 16);
            return parse_ethertype(&c, type, p);
        }
    case DLT_LINUX_SLL2:
        if (!need(&c, 20))
            return -1;
        {
            unsigned type = be16(c.p);
            skip(&c, 20);
            return parse_ethertype(&c, type, p);
        }
    case DLT_NULL:
        return parse_null(&c, 0, p);
    case DLT_LOOP:
        return parse_null(&c, 1, p);
    case DLT_RAW: case DLT_IPV4: case DLT_IPV6:
        return parse_ip(&c, p);
    default:
        return 0;
    }
}
