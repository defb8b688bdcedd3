/*
 * guard.h - what one sender may make the endpoint do.
 *
 * Every UDP datagram that decodes is charged to its source address: a
 * token bucket per address (a burst, refilled at a steady rate), and one
 * XID per address. A sender that overdraws its bucket, or speaks with a
 * second XID while its first is still fresh, is banned: its datagrams are
 * dropped unread until it has been quiet for GUARD_BAN_MS. A real pfsd
 * sends a CLAIM and an Ad per ad interval per hierarchy, and answers at
 * most once per ad interval per hierarchy; the bucket is several times
 * that. Pure: time comes in as an argument, no I/O.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFSD_GUARD_H
#define PFSD_GUARD_H

#include <stdint.h>

#define GUARD_PEERS   512     /* senders remembered (open addressing) */
#define GUARD_BAN_MS  10000   /* quiet time that lifts a ban */
#define GUARD_XID_MS  10000   /* a second XID within this of the first is a ban */

enum guard_verdict {
    GUARD_OK = 0,
    GUARD_RATE,      /* this datagram overdrew the bucket: banned now */
    GUARD_XID,       /* a second XID from one address: banned now */
    GUARD_BANNED     /* already banned: dropped */
};

struct guard_peer {
    uint32_t ip;              /* 0: free slot */
    uint32_t xid;
    int known;                /* a datagram was charged */
    int64_t t_seen, t_xid;    /* ms: last datagram, first with this XID */
    long tokens;              /* in 1/1000 datagram */
    int64_t t_fill;
    int64_t banned_until;     /* 0: not banned */
};

struct guard {
    long burst;               /* datagrams */
    long per_sec;             /* refill */
    struct guard_peer p[GUARD_PEERS];
};

/* burst datagrams at once, per_sec after that. */
void guard_init(struct guard *g, long burst, long per_sec);

/* Charges one datagram from ip with xid at now (ms). */
enum guard_verdict guard_check(struct guard *g, uint32_t ip, uint32_t xid, int64_t now);

/* "rate", "xid-change", "banned", "" for GUARD_OK. */
const char *guard_word(enum guard_verdict v);

#endif
