/*
 * tree.c - candidate bookkeeping, parent choice and child slots.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tree.h"

#include <string.h>

struct tree_cand *tree_find(struct tree_cands *s, uint32_t xid)
{
    for (int i = 0; i < s->n; i++)
        if (s->c[i].xid == xid)
            return &s->c[i];
    return NULL;
}

/*
 * The entry a full table gives up for a candidate at depth: one that is
 * full (a later AD brings it back if it frees a slot), else the deepest
 * usable one when it is deeper than the newcomer. Failed entries stay:
 * they are what keeps a failed parent from being asked again. Without
 * eviction a seeker at a big site keeps the first members it heard, which
 * are full by the time it chooses.
 */
static struct tree_cand *victim(struct tree_cands *s, uint8_t depth)
{
    struct tree_cand *deepest = NULL;
    for (int i = 0; i < s->n; i++) {
        struct tree_cand *c = &s->c[i];
        if (c->flags & CAND_FAILED)
            continue;
        if (c->flags & CAND_FULL)
            return c;
        if (!deepest || c->depth > deepest->depth)
            deepest = c;
    }
    return deepest && deepest->depth > depth ? deepest : NULL;
}

/* A new slot, or NULL when the table is full and nothing may go. */
static struct tree_cand *add(struct tree_cands *s, uint32_t xid, uint8_t depth)
{
    struct tree_cand *c = s->n < TREE_CAND_MAX ? &s->c[s->n++] : victim(s, depth);
    if (!c)
        return NULL;
    memset(c, 0, sizeof *c);
    c->xid = xid;
    return c;
}

int tree_count_free(const struct tree_cands *s)
{
    int n = 0;
    for (int i = 0; i < s->n; i++)
        n += s->c[i].free_slots > 0 && !(s->c[i].flags & (CAND_FULL | CAND_FAILED));
    return n;
}

void tree_heard(struct tree_cands *s, uint32_t xid, uint32_t addr, uint16_t port, uint8_t depth,
                uint8_t free_slots, uint32_t root)
{
    struct tree_cand *c = tree_find(s, xid);
    if (!c && (free_slots == 0 || !(c = add(s, xid, depth))))
        return; /* a full member we never heard of is no candidate */
    c->addr = addr;
    c->port = port;
    c->depth = depth;
    c->free_slots = free_slots;
    c->root = root;
    c->flags &= (uint8_t)~CAND_HINT;
    /* The AD is newer than any refusal: trust its slot count. */
    if (free_slots > 0)
        c->flags &= (uint8_t)~CAND_FULL;
    else
        c->flags |= CAND_FULL;
}

void tree_refused(struct tree_cands *s, uint32_t xid, const struct pfs_hint *hints, int nhints)
{
    struct tree_cand *r = tree_find(s, xid);
    uint8_t depth = 0;
    uint32_t root = 0;
    if (r) {
        r->flags |= CAND_FULL;
        r->free_slots = 0;
        depth = r->depth;
        root = r->root;
    }
    /* r may be given up for a hint below: only its copies are used now. */
    for (int i = 0; i < nhints && i < PFS_MAX_HINTS; i++) {
        if (tree_find(s, hints[i].xid))
            continue; /* what its own AD said is better than a hint */
        uint8_t below = depth < PFS_DEPTH_NONE - 1 ? (uint8_t)(depth + 1) : depth;
        struct tree_cand *c = add(s, hints[i].xid, below);
        if (!c)
            return;
        c->addr = hints[i].addr;
        c->port = hints[i].port;
        c->depth = below;
        c->free_slots = 1;
        c->root = root;
        c->flags = CAND_HINT;
    }
}

void tree_mark_failed(struct tree_cands *s, uint32_t xid)
{
    struct tree_cand *c = tree_find(s, xid);
    if (c)
        c->flags |= CAND_FAILED;
}

void tree_forget(struct tree_cands *s, uint32_t xid)
{
    for (int i = 0; i < s->n; i++) {
        if (s->c[i].xid == xid) {
            /* A parent that failed us stays failed even if it comes back. */
            if (s->c[i].flags & CAND_FAILED)
                return;
            s->c[i] = s->c[--s->n];
            return;
        }
    }
}

uint32_t tree_hash(uint32_t own_xid, uint32_t cand_xid)
{
    uint32_t h = 2166136261u;
    uint32_t v[2] = {own_xid, cand_xid};
    for (int w = 0; w < 2; w++)
        for (int b = 24; b >= 0; b -= 8) {
            h ^= (v[w] >> b) & 0xFFu;
            h *= 16777619u;
        }
    return h;
}

static int eligible(const struct tree_cand *c, uint32_t own_xid, int max_depth)
{
    if (c->xid == own_xid || (c->flags & (CAND_FULL | CAND_FAILED)) || c->free_slots == 0)
        return 0;
    if (c->depth == PFS_DEPTH_NONE || (max_depth >= 0 && c->depth > max_depth))
        return 0;
    /* A member of a tree we are the root of is our own descendant. */
    return c->root != own_xid;
}

/* 1 when a is a better parent than b for own_xid. */
static int better(const struct tree_cand *a, const struct tree_cand *b, uint32_t own_xid)
{
    if (a->depth != b->depth)
        return a->depth < b->depth;
    uint32_t ha = tree_hash(own_xid, a->xid), hb = tree_hash(own_xid, b->xid);
    if (ha != hb)
        return ha < hb;
    return a->xid < b->xid;
}

const struct tree_cand *tree_choose(const struct tree_cands *s, uint32_t own_xid, int max_depth)
{
    const struct tree_cand *best = NULL;
    for (int i = 0; i < s->n; i++) {
        const struct tree_cand *c = &s->c[i];
        if (eligible(c, own_xid, max_depth) && (!best || better(c, best, own_xid)))
            best = c;
    }
    return best;
}

const struct tree_cand *tree_choose_among(const struct tree_cands *s, uint32_t own_xid,
                                          int max_depth, const struct pfs_hint *hints, int n)
{
    const struct tree_cand *best = NULL;
    for (int i = 0; i < s->n; i++) {
        const struct tree_cand *c = &s->c[i];
        int named = 0;
        for (int k = 0; k < n; k++)
            named |= hints[k].xid == c->xid;
        if (named && eligible(c, own_xid, max_depth) && (!best || better(c, best, own_xid)))
            best = c;
    }
    return best;
}

int tree_slot_take(struct tree_slots *t, uint32_t xid, uint32_t addr, uint16_t port)
{
    for (int i = 0; i < PFS_MAX_CHILDREN; i++) {
        if (!t->used[i]) {
            t->used[i] = 1;
            t->xid[i] = xid;
            t->addr[i] = addr;
            t->port[i] = port;
            return i;
        }
    }
    return -1;
}

void tree_slot_release(struct tree_slots *t, int index)
{
    if (index >= 0 && index < PFS_MAX_CHILDREN)
        t->used[index] = 0;
}

int tree_slots_free(const struct tree_slots *t)
{
    int n = 0;
    for (int i = 0; i < PFS_MAX_CHILDREN; i++)
        n += !t->used[i];
    return n;
}

int tree_hints(const struct tree_slots *t, struct pfs_hint *out)
{
    int n = 0;
    for (int i = 0; i < PFS_MAX_CHILDREN; i++) {
        if (!t->used[i])
            continue;
        out[n].xid = t->xid[i];
        out[n].addr = t->addr[i];
        out[n].port = t->port[i];
        n++;
    }
    return n;
}
