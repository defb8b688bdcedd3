/*
 * replay_map.c - --map: rewriting a capture's addresses and XIDs so that
 * the recorded peers fit the lab, through libpfs (decode, change, encode).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

char *rp_ip_str(uint32_t a, char *buf, size_t len)
{
    snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255u, (a >> 8) & 255u, a & 255u);
    return buf;
}

int rp_is_loopback(uint32_t a)
{
    return (a >> 24) == 127u;
}

/* "A.B.C.D" or "A.B.C.D/N" into a host-order address and mask. */
static int parse_prefix(const char *s, uint32_t *a, uint32_t *mask)
{
    char buf[64];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    struct in_addr in;
    if (inet_pton(AF_INET, buf, &in) != 1)
        return -1;
    *a = ntohl(in.s_addr);
    long bits = 32;
    if (slash) {
        char *end;
        errno = 0;
        bits = strtol(slash + 1, &end, 10);
        if (errno || end == slash + 1 || *end || bits < 1 || bits > 32)
            return -1;
    }
    *mask = bits == 32 ? 0xFFFFFFFFu : ~(0xFFFFFFFFu >> bits);
    return 0;
}

static int parse_xid(const char *s, uint32_t *x)
{
    if (strncmp(s, "XID", 3) == 0 || strncmp(s, "xid", 3) == 0)
        s += 3;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 16);
    if (errno || end == s || *end || strlen(s) > 8 || *s == '-' || *s == '+' || v == 0)
        return -1;
    *x = (uint32_t)v;
    return 0;
}

int rp_map_parse(struct rp_maps *mp, const char *arg, char *err, size_t cap)
{
    const char *eq = strchr(arg, '=');
    if (!eq || mp->n == RP_MAX_MAPS) {
        snprintf(err, cap, "--map '%s': OLD=NEW (an address, a prefix A.B.C.0/N or an XID), "
                 "at most %d", arg, RP_MAX_MAPS);
        return -1;
    }
    char from[64];
    size_t n = (size_t)(eq - arg);
    if (n >= sizeof from) {
        snprintf(err, cap, "--map '%s': OLD too long", arg);
        return -1;
    }
    memcpy(from, arg, n);
    from[n] = 0;
    struct rp_map m = {0};
    if (strchr(from, '.')) {
        uint32_t m2;
        if (parse_prefix(from, &m.from, &m.mask) != 0 || parse_prefix(eq + 1, &m.to, &m2) != 0 ||
            m2 != m.mask) {
            snprintf(err, cap, "--map '%s': two addresses, or two prefixes of one length", arg);
            return -1;
        }
    } else {
        m.is_xid = 1;
        if (parse_xid(from, &m.from) != 0 || parse_xid(eq + 1, &m.to) != 0) {
            snprintf(err, cap, "--map '%s': two XIDs, 1..8 hex digits (XID prefix optional)", arg);
            return -1;
        }
    }
    mp->m[mp->n++] = m;
    return 0;
}

/* The first map that covers the address wins; the host part is kept. */
uint32_t rp_map_addr(const struct rp_maps *mp, uint32_t a)
{
    for (int i = 0; mp && i < mp->n; i++) {
        const struct rp_map *m = &mp->m[i];
        if (!m->is_xid && (a & m->mask) == (m->from & m->mask))
            return (m->to & m->mask) | (a & ~m->mask);
    }
    return a;
}

uint32_t rp_map_xid(const struct rp_maps *mp, uint32_t x)
{
    for (int i = 0; mp && i < mp->n; i++)
        if (mp->m[i].is_xid && mp->m[i].from == x)
            return mp->m[i].to;
    return x;
}

static int has_maps(const struct rp_maps *mp)
{
    return mp && mp->n > 0;
}

int rp_map_msg(const struct rp_maps *mp, uint8_t *buf, size_t len)
{
    if (!has_maps(mp))
        return 0;
    struct pfs_msg m;
    if (pfs_decode(buf, len, &m) != PFS_OK)
        return -1;
    m.xid = rp_map_xid(mp, m.xid);
    switch (m.type) {
    case PFS_T_CLAIM:
    case PFS_T_AD:
        m.u.claim.addr = rp_map_addr(mp, m.u.claim.addr);
        if (m.u.claim.root_xid)
            m.u.claim.root_xid = rp_map_xid(mp, m.u.claim.root_xid);
        break;
    case PFS_T_JOIN:
        m.u.join.addr = rp_map_addr(mp, m.u.join.addr);
        break;
    case PFS_T_ACCEPT:
        m.u.accept.root_xid = rp_map_xid(mp, m.u.accept.root_xid);
        break;
    case PFS_T_REFUSE:
        for (int i = 0; i < m.u.refuse.nhints; i++) {
            m.u.refuse.hints[i].xid = rp_map_xid(mp, m.u.refuse.hints[i].xid);
            m.u.refuse.hints[i].addr = rp_map_addr(mp, m.u.refuse.hints[i].addr);
        }
        break;
    case PFS_T_XFRCMD:
        m.u.xfrcmd.origin_xid = rp_map_xid(mp, m.u.xfrcmd.origin_xid);
        break;
    default:
        break;
    }
    /* Same field sizes in and out: the encoding has the recorded length. */
    uint8_t out[PFS_MSG_MAX];
    long n = pfs_encode(&m, out, sizeof out);
    if (n < 0 || (size_t)n != len)
        return -1;
    memcpy(buf, out, len);
    return 0;
}
