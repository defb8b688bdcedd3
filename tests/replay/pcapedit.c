/*
 * pcapedit - edits a capture for the replay tests, through libpcap (read
 * and write) and libpfs (every changed message is re-encoded):
 *
 *   pcapedit IN OUT drop N               leave frame N out
 *   pcapedit IN OUT again N              frame N twice, the copy 1 ms later (a retransmission)
 *   pcapedit IN OUT databyte N           flip one byte inside the first DATA of frame N
 *   pcapedit IN OUT refuse N             the ACCEPT in frame N becomes REFUSE(FULL)
 *   pcapedit IN OUT claim N ADDR XID     after frame N (a CLAIM), a stronger CLAIM from ADDR
 *   pcapedit IN OUT linktype DLT         the same frames under another link type
 *   pcapedit IN OUT empty                the file header alone
 *   pcapedit IN OUT without-port P       only the frames that do not use port P
 *
 * Frames are Ethernet/IPv4, as pfslab's captures on lo are.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfs.h"

#define ETH_LEN 14

struct edit {
    const char *op;
    unsigned long frame;
    uint32_t addr, xid;
    int dlt, port;
};

/* Where the transport payload of an Ethernet/IPv4 frame starts; 0 if it has none. */
static size_t payload_at(const uint8_t *f, size_t len, int *proto, size_t *ip_at)
{
    if (len < ETH_LEN + 20 || f[12] != 0x08 || f[13] != 0x00)
        return 0;
    size_t ip = ETH_LEN, ihl = (size_t)(f[ip] & 15u) * 4;
    *proto = f[ip + 9];
    *ip_at = ip;
    size_t l4 = ip + ihl;
    if (*proto == 17 && len >= l4 + 8)
        return l4 + 8;
    if (*proto == 6 && len >= l4 + 20 && len >= l4 + (size_t)(f[l4 + 12] >> 4) * 4)
        return l4 + (size_t)(f[l4 + 12] >> 4) * 4;
    return 0;
}

static uint16_t port_of(const uint8_t *f, size_t len, int src)
{
    int proto;
    size_t ip;
    if (!payload_at(f, len, &proto, &ip))
        return 0;
    size_t l4 = ip + (size_t)(f[ip] & 15u) * 4;
    return (uint16_t)(f[l4 + (src ? 0 : 2)] << 8 | f[l4 + (src ? 1 : 3)]);
}

static void ip_checksum(uint8_t *f, size_t ip)
{
    size_t ihl = (size_t)(f[ip] & 15u) * 4;
    f[ip + 10] = f[ip + 11] = 0;
    uint32_t sum = 0;
    for (size_t i = 0; i < ihl; i += 2)
        sum += (uint32_t)(f[ip + i] << 8 | f[ip + i + 1]);
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    f[ip + 10] = (uint8_t)(~sum >> 8);
    f[ip + 11] = (uint8_t)~sum;
}

/* Finds the first message of the given type in the frame's payload. */
static uint8_t *find_msg(uint8_t *f, size_t len, unsigned type, size_t *mlen)
{
    int proto;
    size_t ip, at = payload_at(f, len, &proto, &ip);
    while (at && at + PFS_HDR_LEN <= len) {
        long n = pfs_frame_len(f + at, len - at);
        if (n <= 0 || at + (size_t)n > len)
            return NULL;
        if (f[at + 3] == type) {
            *mlen = (size_t)n;
            return f + at;
        }
        at += (size_t)n;
    }
    return NULL;
}

static int databyte(uint8_t *f, size_t len)
{
    size_t n;
    uint8_t *m = find_msg(f, len, PFS_T_DATA, &n);
    struct pfs_msg d;
    if (!m || pfs_decode(m, n, &d) != PFS_OK)
        return -1;
    m[PFS_HDR_LEN + 8 + d.u.data.len / 2] ^= 0x5a;
    return 0;
}

/* REFUSE(FULL) without hints is 20 bytes; an unknown 2-byte TLV keeps ACCEPT's 24. */
static int refuse(uint8_t *f, size_t len)
{
    size_t n;
    uint8_t *m = find_msg(f, len, PFS_T_ACCEPT, &n);
    struct pfs_msg a;
    if (!m || pfs_decode(m, n, &a) != PFS_OK)
        return -1;
    static const uint8_t pad[] = {0x7f, 0x02, 0x00, 0x00};
    struct pfs_msg r = {.version = 1, .type = PFS_T_REFUSE, .flags = PFS_F_FULL, .xid = a.xid,
                        .hier = a.hier, .tlv = pad, .tlv_len = sizeof pad};
    r.u.refuse.reason = PFS_R_FULL;
    uint8_t out[64];
    long k = pfs_encode(&r, out, sizeof out);
    if (k != (long)n)
        return -1;
    memcpy(m, out, n);
    return 0;
}

/* A copy of a CLAIM frame, from another peer and stronger than any tentative claim. */
static int stronger_claim(uint8_t *f, size_t len, uint32_t addr, uint32_t xid)
{
    int proto;
    size_t ip, at = payload_at(f, len, &proto, &ip);
    struct pfs_msg c;
    if (!at || proto != 17 || pfs_decode(f + at, len - at, &c) != PFS_OK || c.type != PFS_T_CLAIM)
        return -1;
    c.xid = xid;
    c.u.claim.addr = addr;
    c.u.claim.strength = 0xFFFFFFFEu;
    c.u.claim.map ^= 0x5a5a5a5au;
    uint8_t out[PFS_UDP_MAX];
    long k = pfs_encode(&c, out, sizeof out);
    if (k != (long)(len - at))
        return -1;
    memcpy(f + at, out, (size_t)k);
    uint32_t be = htonl(addr);
    memcpy(f + ip + 12, &be, 4);
    ip_checksum(f, ip);
    size_t l4 = ip + (size_t)(f[ip] & 15u) * 4;
    f[l4 + 6] = f[l4 + 7] = 0; /* no UDP checksum */
    return 0;
}

static int write_frame(pcap_dumper_t *d, const struct pcap_pkthdr *h, const uint8_t *f)
{
    pcap_dump((u_char *)d, h, f);
    return 0;
}

static int one_frame(pcap_dumper_t *d, const struct edit *e, unsigned long no,
                     struct pcap_pkthdr *h, uint8_t *f)
{
    if (!strcmp(e->op, "empty"))
        return 0;
    if (!strcmp(e->op, "without-port"))
        return port_of(f, h->caplen, 1) == e->port || port_of(f, h->caplen, 0) == e->port
                   ? 0 : write_frame(d, h, f);
    if (no != e->frame)
        return write_frame(d, h, f);
    if (!strcmp(e->op, "drop"))
        return 0;
    if (!strcmp(e->op, "again")) {
        write_frame(d, h, f);
        struct pcap_pkthdr h2 = *h;
        h2.ts.tv_usec += 1000;
        if (h2.ts.tv_usec >= 1000000)
            h2.ts.tv_sec++, h2.ts.tv_usec -= 1000000;
        return write_frame(d, &h2, f);
    }
    if (!strcmp(e->op, "databyte"))
        return databyte(f, h->caplen) ? -1 : write_frame(d, h, f);
    if (!strcmp(e->op, "refuse"))
        return refuse(f, h->caplen) ? -1 : write_frame(d, h, f);
    if (!strcmp(e->op, "claim")) {
        write_frame(d, h, f);
        struct pcap_pkthdr h2 = *h;
        h2.ts.tv_usec += 500;
        if (h2.ts.tv_usec >= 1000000)
            h2.ts.tv_sec++, h2.ts.tv_usec -= 1000000;
        return stronger_claim(f, h->caplen, e->addr, e->xid) ? -1 : write_frame(d, &h2, f);
    }
    return write_frame(d, h, f);
}

static int parse(int argc, char **argv, struct edit *e)
{
    memset(e, 0, sizeof *e);
    if (argc < 4)
        return -1;
    e->op = argv[3];
    if (!strcmp(e->op, "empty"))
        return 0;
    if (argc < 5)
        return -1;
    unsigned long v = strtoul(argv[4], NULL, 10);
    if (!strcmp(e->op, "linktype"))
        return e->dlt = (int)v, 0;
    if (!strcmp(e->op, "without-port"))
        return e->port = (int)v, 0;
    e->frame = v;
    if (!strcmp(e->op, "claim")) {
        struct in_addr in;
        if (argc < 7 || inet_pton(AF_INET, argv[5], &in) != 1)
            return -1;
        e->addr = ntohl(in.s_addr);
        e->xid = (uint32_t)strtoul(argv[6], NULL, 16);
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct edit e;
    char err[PCAP_ERRBUF_SIZE];
    if (parse(argc, argv, &e) != 0) {
        fprintf(stderr, "usage: pcapedit IN OUT drop|again|databyte|refuse N | claim N ADDR XID | "
                "linktype DLT | empty | without-port P\n");
        return 2;
    }
    pcap_t *in = pcap_open_offline(argv[1], err);
    if (!in) {
        fprintf(stderr, "pcapedit: %s\n", err);
        return 1;
    }
    pcap_t *dead = pcap_open_dead(e.dlt ? e.dlt : pcap_datalink(in), 262144);
    pcap_dumper_t *d = dead ? pcap_dump_open(dead, argv[2]) : NULL;
    if (!d) {
        fprintf(stderr, "pcapedit: %s: %s\n", argv[2], dead ? pcap_geterr(dead) : "pcap_open_dead");
        return 1;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    unsigned long no = 0;
    int rc = 0, r;
    static uint8_t f[262144];
    while (rc == 0 && (r = pcap_next_ex(in, &h, &data)) == 1) {
        struct pcap_pkthdr hh = *h;
        memcpy(f, data, hh.caplen);
        if (one_frame(d, &e, ++no, &hh, f) != 0) {
            fprintf(stderr, "pcapedit: frame %lu: cannot apply '%s' to it\n", no, e.op);
            rc = 1;
        }
    }
    pcap_dump_close(d);
    pcap_close(dead);
    pcap_close(in);
    return rc;
}
