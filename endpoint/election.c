/*
 * election.c - claim comparison and the claim schedule.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "election.h"

#include "pfs_const.h"

int elect_beats(struct elect_key a, struct elect_key b)
{
    if (a.strength != b.strength)
        return a.strength > b.strength;
    return a.xid < b.xid;
}

enum elect_step elect_on_timer(uint8_t *seq, long ad_count)
{
    if ((long)*seq >= ad_count)
        return ELECT_CONFIRM;
    (*seq)++;
    return ELECT_SEND_AD;
}

static int is_attached(unsigned st)
{
    return st == PFS_HS_CONF || st == PFS_HS_WAITING || st == PFS_HS_MEMBER || st == PFS_HS_DONE;
}

enum elect_react elect_on_heard(unsigned own_state, struct elect_key own, int fetched,
                                unsigned heard_state, unsigned heard_depth,
                                struct elect_key heard)
{
    if (heard_state == PFS_HS_SEEK || heard_state == 0 || heard_state > PFS_HS_MAX)
        return ELECT_IGNORE;
    if (own_state == PFS_HS_TENT)
        return elect_beats(heard, own) ? ELECT_YIELD : ELECT_IGNORE;
    if ((own_state == PFS_HS_CONF || own_state == PFS_HS_WAITING) && !fetched &&
        is_attached(heard_state) && heard_depth == 0 && heard.strength == PFS_STRENGTH_ROOT &&
        heard.xid < own.xid)
        return ELECT_YIELD;
    return ELECT_IGNORE;
}

uint32_t elect_rand32(uint64_t *rng)
{
    /* xorshift64* (Vigna): small, seedable, good enough for claims. */
    uint64_t x = *rng ? *rng : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *rng = x;
    return (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 32);
}

uint32_t elect_strength(uint64_t *rng)
{
    uint32_t s;
    do
        s = elect_rand32(rng);
    while (s == 0 || s == PFS_STRENGTH_ROOT);
    return s;
}
