/*
 * hier.h - one hierarchy's state machine (docs/protocol.md section 4).
 *
 * A hierarchy is one file of the load, identified by H. This module holds
 * its state and decides every transition; it does no I/O itself. Actions
 * (broadcast a CLAIM or AD, open a join, start a TFTP fetch, write a log
 * line) go through struct hier_ops, which the daemon implements with
 * sockets and the unit tests implement by recording what was asked.
 * Time comes in as an argument ("now", monotonic ms) and the hierarchy
 * says when it next wants hier_timer() through h->deadline.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFSD_HIER_H
#define PFSD_HIER_H

#include <stdint.h>

#include "dlog.h"
#include "pfs.h"
#include "tree.h"
#include "why.h"

enum hier_state {
    HS_IDLE,     /* not entered yet */
    HS_TENT,     /* ClaimRoot(tent): sending Ad 1..n */
    HS_WAITING,  /* confirmed root: ROOT_WAITING */
    HS_SEEK,     /* yielded or rejoining: listening for members */
    HS_JOINING,  /* TCP connect + JOIN, waiting for ACCEPT/REFUSE */
    HS_MEMBER,   /* attached: waiting for or receiving the file */
    HS_FETCH,    /* TFTP fetch: the root's, or a fallback */
    HS_DONE,     /* file held and verified */
    HS_FAILED    /* could not obtain the file, even over TFTP */
};

struct hier;

/*
 * Members that answer one claim or Seek AD, about: each member with a free
 * slot answers with a chance of HIER_ANSWERERS in the free members it knows,
 * so a request costs a few datagrams whatever the site's size.
 */
#define HIER_ANSWERERS 3

/* REFUSE(FULL) answers a joiner follows down the tree before TFTP. */
#define HIER_RECLAIMS 3

#define HIER_FULL_TRIES 64

/* The node's side: every action the state machine asks for. */
struct hier_ops {
    /* Broadcast a CLAIM (type PFS_T_CLAIM, seq 0) or AD of h's view. */
    void (*bcast)(void *ctx, struct hier *h, unsigned type, unsigned wire_state, unsigned seq);
    /* Write one DLoad line. */
    void (*log)(void *ctx, const struct pfs_dlog_ev *ev);
    /* Write h's STATE line (parent and child fds are the node's). */
    void (*state)(void *ctx, struct hier *h);
    /* Open a TCP connection to h's chosen parent and JOIN; -1 when it failed at once. */
    int (*join)(void *ctx, struct hier *h);
    /* Close the parent connection and discard any partial file. */
    void (*drop_parent)(void *ctx, struct hier *h);
    /* Start the TFTP fetch; -1 when it could not even start. */
    int (*fetch)(void *ctx, struct hier *h);
    /* h reached Done or Failed: serve children, start the next file. */
    void (*finished)(void *ctx, struct hier *h);
};

/* What every hierarchy of a node shares. */
struct hier_env {
    const struct hier_ops *ops;
    void *ctx;
    uint32_t xid;
    uint32_t addr;              /* host byte order */
    uint16_t port;
    const char *model;
    long ad_interval, ad_count, root_wait, join_timeout, join_tries, seek_timeout;
    uint64_t *rng;              /* strength, map and join jitter */
    const uint32_t *strength;   /* fixed strengths by hierarchy index (--strength) */
    int nstrength;
    int verbose;                /* log every claim heard, not only the first */
    int no_pfs;                 /* PFS disabled: files come over TFTP, nothing is advertised */
};

struct hier {
    const struct hier_env *env;
    void *user;                 /* the node's per-hierarchy data */
    int index;                  /* 0 = the .loads file (fetched from the anchor) */
    char name[PFS_PATH_MAX + 1];   /* bare file name */
    char path[PFS_PATH_MAX + 1];   /* "/dnld/NAME" */
    uint32_t h;

    int have_expect;            /* components: size and hash from the .loads */
    uint32_t exp_size;
    uint8_t exp_sha[PFS_SHA256_LEN];

    enum hier_state st;
    int64_t deadline;           /* next hier_timer(), 0 for none */
    int64_t t_start, t_done;

    /* election */
    uint32_t strength, map;
    uint8_t ad_seq;
    int is_root, fetched;
    int refetched;              /* the TFTP copy failed its check once: fetched again */
    uint32_t root_xid;
    uint8_t depth;              /* PFS_DEPTH_NONE until attached */
    int64_t last_answer;        /* rate limit of answering ADs */
    unsigned sent;              /* CLAIM, AD and LEAVE datagrams broadcast for h */
    uint32_t yield_ip;          /* who we last yielded to, 0 if nobody */
    int yield_tent;             /* ... and that was a tentative claim */
    int reclaims;               /* claims made again after a yield (HIER_RECLAIMS) */

    /* joining */
    struct tree_cands cands;
    int64_t seek_since;
    int tries;                  /* JOINs sent */
    int fails;                  /* failed tries (refused, timeout, lost, stall, hash) */
    int full_refusals;          /* REFUSE(FULL) answers, bounded by HIER_FULL_TRIES */
    enum why last_fail;         /* reason of the last failed try, WHY_NONE before */
    enum why fallback;          /* reason once fallen back to TFTP, WHY_NONE if not */
    uint32_t parent_xid, parent_addr;
    uint16_t parent_port;
    uint8_t parent_depth;
    uint8_t parent_index;       /* the slot the parent's ACCEPT granted */

    /* children */
    struct tree_slots slots;

    /* the file, once held */
    int source;                 /* enum pfs_source, 0 while not held */
    uint32_t origin;            /* XID that fetched it over TFTP */
    uint32_t size;
    uint8_t sha[PFS_SHA256_LEN];
    uint32_t got_from;          /* parent XID it came from, 0 for TFTP */
};

/* Sets up h (state HS_IDLE) for file name, index k of the load. */
void hier_init(struct hier *h, const struct hier_env *env, int index, const char *name);

/* Enters the hierarchy: CLAIM(tent) and the first Ad timer. */
void hier_start(struct hier *h, int64_t now);

/* Call when now >= h->deadline. */
void hier_timer(struct hier *h, int64_t now);

/* A CLAIM or AD for h->h from xid (already checked: model, H, not self). */
void hier_heard(struct hier *h, const struct pfs_msg *m, uint32_t src_ip, int64_t now);

/*
 * The node stopped listening to ip (guard.h). A hierarchy that yielded to
 * it and has no parent yet claims again at once.
 */
void hier_distrust(struct hier *h, uint32_t ip, int64_t now);

/* LEAVE heard from xid. */
void hier_leave_heard(struct hier *h, uint32_t xid);

/*
 * The join's answer, or its failure (connect error, closed, timeout).
 * hier_accepted returns 0, or -1 when the ACCEPT shows the parent is in
 * our own subtree (its depth is not above our old place, or it names us
 * as its root): the try failed as "loop" and the connection was dropped.
 */
int hier_accepted(struct hier *h, const struct pfs_accept *a, int64_t now);

/*
 * Another ACCEPT on the accepted connection before XFRCMD: the parent's
 * keepalive, with its depth and root as they are now. Returns 1 when the
 * node stays attached (the caller forwards it to its own waiting
 * children), 0 when it left: the depth ran out (a loop counting up) or
 * the root is ourselves.
 */
int hier_refresh(struct hier *h, const struct pfs_accept *a, int64_t now);
void hier_refused(struct hier *h, const struct pfs_refuse *r, int64_t now);
void hier_join_failed(struct hier *h, int64_t now);

/*
 * The parent connection is gone after ACCEPT, for why. word, when not
 * NULL, is the log word instead of why's (libpfs's name of a decode
 * fault). A stall, a silent parent, a loop and a bad copy (ABORT(HASH)) are
 * fallback reasons of their own; anything else falls back as "parent-lost".
 */
void hier_parent_lost(struct hier *h, enum why why, const char *word, int64_t now);

/* The file from the parent failed its hash: rejoin or fall back ("hash"). */
void hier_file_bad(struct hier *h, int64_t now);

/* The file is held and verified (source tftp or peer). */
void hier_file_ok(struct hier *h, int source, int64_t now);

/*
 * The .loads (index 0) is not shared by peers: every node fetches it from
 * the TFTP server, its trust anchor (docs/protocol.md section 8). No
 * election, no broadcast: start the fetch, and settle it without an AD.
 */
void hier_start_anchor(struct hier *h, int64_t now);
void hier_anchor_ok(struct hier *h, int64_t now);

/* The TFTP fetch failed: the hierarchy is lost. */
void hier_fetch_failed(struct hier *h, int64_t now);

/*
 * The TFTP copy arrived whole but is not what the .loads lists: fetched
 * once more (a copy spoiled on the way; the children it fed are cut off
 * and rejoin), and lost when the second copy is as bad.
 */
void hier_fetch_bad(struct hier *h, int64_t now);

/*
 * A JOIN for h from xid: takes a child slot. Returns the index, or -1 with
 * *reason (PFS_R_FULL or PFS_R_NOT_MEMBER).
 */
int hier_child_join(struct hier *h, uint32_t xid, uint32_t addr, uint16_t port, int *reason);

/* A child slot was freed, or a child attached: STATE line and AD. */
void hier_child_changed(struct hier *h, int64_t now);
void hier_child_release(struct hier *h, int index, int64_t now);

/* The state a CLAIM/AD of h carries on the wire (enum pfs_hstate). */
unsigned hier_wire_state(const struct hier *h);

/* 1 when h is attached to a tree (root or member): it may take children. */
int hier_attached(const struct hier *h);

/* "ClaimRoot(tent)", "ROOT_WAITING", ... for Timeout lines. */
const char *hier_state_word(const struct hier *h);

/* A log event of kind with own XID filled in. */
struct pfs_dlog_ev hier_ev(const struct hier *h, enum pfs_dlog_kind kind);

#endif
