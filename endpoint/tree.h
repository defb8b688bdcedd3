/*
 * tree.h - parent choice and child slots of one hierarchy (pure rules).
 *
 * A Seek node collects candidates from the members' ADs and from the
 * hints of a REFUSE(FULL). It picks the shallowest one with a free slot;
 * ties go to the lowest hash(own XID, candidate XID), so that joiners who
 * heard the same ADs spread over the tree instead of herding to one node.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFSD_TREE_H
#define PFSD_TREE_H

#include <stdint.h>

#include "pfs.h"

#define TREE_CAND_MAX 64

enum tree_cand_flag {
    CAND_FULL = 1,    /* refused us FULL, or advertised no free slot */
    CAND_FAILED = 2,  /* join failed or it was lost: not asked again */
    CAND_HINT = 4     /* known only from a REFUSE hint: slots unknown */
};

struct tree_cand {
    uint32_t xid;
    uint32_t addr;       /* host byte order */
    uint16_t port;
    uint8_t depth;
    uint8_t free_slots;
    uint8_t flags;       /* enum tree_cand_flag */
    uint32_t root;       /* root XID it advertised, 0 if unknown */
};

struct tree_cands {
    struct tree_cand c[TREE_CAND_MAX];
    int n;
};

/* A member's AD (or confirmed CLAIM) heard: add or refresh it. */
void tree_heard(struct tree_cands *s, uint32_t xid, uint32_t addr, uint16_t port, uint8_t depth,
                uint8_t free_slots, uint32_t root);

/* A REFUSE(FULL) from xid: mark it full, add its hints one level deeper. */
void tree_refused(struct tree_cands *s, uint32_t xid, const struct pfs_hint *hints, int nhints);

/* Candidates with a free slot that were neither refused nor failed. */
int tree_count_free(const struct tree_cands *s);

void tree_mark_failed(struct tree_cands *s, uint32_t xid);
void tree_forget(struct tree_cands *s, uint32_t xid);   /* it left (LEAVE) */
struct tree_cand *tree_find(struct tree_cands *s, uint32_t xid);

/*
 * tree_choose - the candidate to ask next, or NULL. max_depth < 0 means
 * any depth; otherwise deeper candidates are skipped (a node with
 * children must not join its own subtree). Candidates that advertise
 * own_xid as their root are skipped too: they are in our own old tree.
 */
const struct tree_cand *tree_choose(const struct tree_cands *s, uint32_t own_xid, int max_depth);

/*
 * tree_choose_among - the best of the candidates a REFUSE(FULL) named
 * (its children), or NULL. Going down from a full node finds room in
 * about as many steps as the tree is deep; asking every full node of a
 * level first, as tree_choose would, takes as many as the tree is wide.
 */
const struct tree_cand *tree_choose_among(const struct tree_cands *s, uint32_t own_xid,
                                          int max_depth, const struct pfs_hint *hints, int n);

/* FNV-1a 32 of both XIDs: the tie-break between equally deep candidates. */
uint32_t tree_hash(uint32_t own_xid, uint32_t cand_xid);

/* The child slots of one node in one hierarchy. */
struct tree_slots {
    uint8_t used[PFS_MAX_CHILDREN];
    uint32_t xid[PFS_MAX_CHILDREN];
    uint32_t addr[PFS_MAX_CHILDREN];
    uint16_t port[PFS_MAX_CHILDREN];
};

/* Takes the lowest free slot for a child; returns its index or -1 (FULL). */
int tree_slot_take(struct tree_slots *t, uint32_t xid, uint32_t addr, uint16_t port);
void tree_slot_release(struct tree_slots *t, int index);
int tree_slots_free(const struct tree_slots *t);

/* The refusal hints: the node's children. Returns how many (0..2). */
int tree_hints(const struct tree_slots *t, struct pfs_hint *out);

#endif
