/*
 * guard.c - per-sender token bucket and XID pinning (see guard.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "guard.h"

#include <string.h>

void guard_init(struct guard *g, long burst, long per_sec)
{
    memset(g, 0, sizeof *g);
    g->burst = burst > 0 ? burst : 1;
    g->per_sec = per_sec > 0 ? per_sec : 1;
}

static uint32_t slot_of(uint32_t ip)
{
    return (ip * 2654435761u) % GUARD_PEERS;
}

/*
 * The sender's slot. When the table is full the longest-quiet sender that
 * is not banned is forgotten: a ban outlives a crowd of new addresses.
 */
static struct guard_peer *peer_of(struct guard *g, uint32_t ip, int64_t now)
{
    uint32_t s = slot_of(ip);
    struct guard_peer *victim = NULL;
    for (uint32_t i = 0; i < GUARD_PEERS; i++) {
        struct guard_peer *p = &g->p[(s + i) % GUARD_PEERS];
        if (p->ip == ip)
            return p;
        if (p->ip == 0) {
            victim = p;
            break;
        }
        if (p->banned_until > now)
            continue;
        if (!victim || p->t_seen < victim->t_seen)
            victim = p;
    }
    if (!victim)
        victim = &g->p[s]; /* every slot banned: the newest address takes one */
    memset(victim, 0, sizeof *victim);
    victim->ip = ip;
    victim->tokens = g->burst * 1000;
    victim->t_fill = now;
    return victim;
}

enum guard_verdict guard_check(struct guard *g, uint32_t ip, uint32_t xid, int64_t now)
{
    struct guard_peer *p = peer_of(g, ip, now);
    int fresh = !p->known;
    p->known = 1;
    p->t_seen = now;
    if (p->banned_until) {
        if (now < p->banned_until) {
            p->banned_until = now + GUARD_BAN_MS; /* each datagram keeps it banned */
            return GUARD_BANNED;
        }
        p->banned_until = 0;
        p->tokens = g->burst * 1000;
        p->t_fill = now;
        fresh = 1;
    }
    if (now > p->t_fill) {
        long add = (long)(now - p->t_fill) * g->per_sec; /* 1/1000 datagrams */
        p->tokens = p->tokens + add > g->burst * 1000 ? g->burst * 1000 : p->tokens + add;
        p->t_fill = now;
    }
    if (fresh || now - p->t_xid >= GUARD_XID_MS) {
        p->xid = xid;
        p->t_xid = now;
    } else if (xid != p->xid) {
        p->banned_until = now + GUARD_BAN_MS;
        return GUARD_XID;
    }
    if (p->tokens < 1000) {
        p->banned_until = now + GUARD_BAN_MS;
        return GUARD_RATE;
    }
    p->tokens -= 1000;
    return GUARD_OK;
}

const char *guard_word(enum guard_verdict v)
{
    switch (v) {
    case GUARD_RATE: return "rate";
    case GUARD_XID: return "xid-change";
    case GUARD_BANNED: return "banned";
    default: return "";
    }
}
