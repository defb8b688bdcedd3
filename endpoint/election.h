/*
 * election.h - the root election rules of docs/protocol.md section 4,
 * as pure functions: no sockets, no clock, so the unit tests drive them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFSD_ELECTION_H
#define PFSD_ELECTION_H

#include <stdint.h>

/* A claim as compared: its strength and its sender's XID. */
struct elect_key {
    uint32_t strength;
    uint32_t xid;
};

/* 1 when a beats b: higher strength, equal strength -> lower XID. */
int elect_beats(struct elect_key a, struct elect_key b);

/* What a node in ClaimRoot(tent) does on its ad timer. */
enum elect_step {
    ELECT_SEND_AD,   /* send Ad number *seq (already incremented) */
    ELECT_CONFIRM    /* no stronger claim after the last Ad: confirm */
};

/*
 * elect_on_timer - the claim schedule: CLAIM(tent) at entry, then one Ad
 * per ad interval, Ad 1..ad_count, then one more interval and confirm.
 * *seq is the number of the last Ad sent (0 after the CLAIM).
 */
enum elect_step elect_on_timer(uint8_t *seq, long ad_count);

/* How a node reacts to a claim or Ad heard for its hierarchy. */
enum elect_react {
    ELECT_IGNORE,    /* nothing to do with the election */
    ELECT_YIELD      /* yield: go looking for a parent */
};

/*
 * elect_on_heard - own_state and heard_state are enum pfs_hstate values;
 * fetched says the node already started (or finished) its own fetch.
 * Rules: a tentative claimant yields to any stronger non-Seek claim or Ad
 * (members advertise the root's 0xFFFFFFFF, so a late node yields to the
 * tree); a confirmed root that has not fetched yields to another root
 * (depth 0) with a lower XID; a Seek AD never wins anything.
 */
enum elect_react elect_on_heard(unsigned own_state, struct elect_key own, int fetched,
                                unsigned heard_state, unsigned heard_depth,
                                struct elect_key heard);

/* A random tentative strength: never 0, never the root's 0xFFFFFFFF. */
uint32_t elect_strength(uint64_t *rng);

/* xorshift64* step: the endpoint's only randomness, seeded by --seed. */
uint32_t elect_rand32(uint64_t *rng);

#endif
