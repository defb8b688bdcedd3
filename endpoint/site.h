/*
 * site.h - the state the parts of a running endpoint share, and the few
 * services they all use. node.c owns the node and drives conn.c (TCP
 * peers) and fetch.c (TFTP); those two see only this header, and ask
 * node.c for its decisions through struct node_hooks, so the dependency
 * goes one way: node.c -> conn.c, fetch.c -> site.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFSD_SITE_H
#define PFSD_SITE_H

#include <stdint.h>

#include "config.h"
#include "eventloop.h"
#include "guard.h"
#include "hier.h"
#include "loads.h"
#include "log.h"
#include "store.h"
#include "summary.h"
#include "tftp_client.h"
#include "why.h"
#include "xfr.h"

#define NODE_HIER_MAX (1 + LOADS_MAX_FILES)
#define CONN_RBUF (PFS_MSG_MAX + 1)
#define CONN_WBUF XFR_WBUF_SIZE
/* ms the listener rests after accept ran out of descriptors: doubling. */
#define CONN_ACCEPT_PAUSE_MIN 100
#define CONN_ACCEPT_PAUSE_MAX 1600
#define CONN_NOFD_LOG_EVERY 60000


struct node;
struct hnode;

enum conn_role {
    CR_PENDING,   /* accepted, no JOIN yet */
    CR_CHILD,     /* the peer is our child: we send it the file */
    CR_PARENT     /* the peer is our parent: we join it and receive */
};

struct conn {
    struct node *n;
    int fd;
    enum conn_role role;
    int connecting;           /* CR_PARENT: connect() in progress */
    int closing;              /* close once wbuf is flushed */
    int dead;                 /* closed: freed by node_sweep */
    uint32_t ip, xid;
    uint16_t port;
    struct hnode *hn;
    int slot;                 /* CR_CHILD: child index */
    int64_t t_open, t_idle;   /* ms: opened, start of the current silence check */
    int64_t t_heard;          /* ms: the last whole message received */
    uint8_t *rbuf;
    size_t rlen;
    uint8_t *wbuf;
    size_t woff, wlen;
    struct xfr_tx tx;         /* CR_CHILD */
    int64_t tx_wake;          /* throttled until (ms), 0 when not */
    int verdict;              /* CR_CHILD: enum pfs_verdict, 0 before */
    struct xfr_rx rx;         /* CR_PARENT */
    struct conn *next;
};

/* One hierarchy plus the node's resources for it. */
struct hnode {
    struct hier h;
    struct node *n;
    long long timer;          /* el timer for h.deadline, 0 when none */
    int64_t armed;            /* deadline the timer was set for */
    struct conn *parent;
    struct conn *child[PFS_MAX_CHILDREN];
    int child_verdict[PFS_MAX_CHILDREN];  /* slot served: verdict code */
    struct tftp_xfer *tftp;
    long long tftp_timer;
    struct store st;          /* TFTP download in progress */
    /* Cut-through: the copy arriving now (hn->st or the parent's rx.st),
     * which children are fed from before it is verified; NULL when none. */
    const struct store *inflow;
    uint8_t inflow_source;    /* enum pfs_source of that copy */
    uint32_t inflow_origin;   /* who fetched it over TFTP */
    int64_t keepalive_at;     /* ms: the last keepalive ACCEPT sent to waiting children */
};

struct node {
    const struct pfsd_config *cfg;
    struct el_loop *loop;
    struct plog log;
    struct hier_env env;
    uint64_t rng;
    int ufd_any, ufd_own, lfd, sigfd;
    struct hnode *hn[NODE_HIER_MAX];
    int nh;                   /* hierarchies known (1 until the .loads is parsed) */
    int loads_known;
    struct loads loads;
    struct conn *conns;
    /* malformed datagrams: counted, logged at most once a second */
    unsigned long drops, drops_logged;
    int64_t drop_logged_at;
    uint32_t drop_ip;
    char drop_why[PFS_DL_WORD_SZ];
    /* datagrams from senders the guard banned: one STORM line per storm */
    struct guard guard;
    unsigned long storm_n;
    int64_t storm_since, storm_last;
    uint32_t storm_ip;
    char storm_why[PFS_DL_WORD_SZ];
    /* Out of descriptors on accept: a spare to shed connections with, and
     * the listener paused (not polled) until accept_timer fires. */
    int spare_fd;
    long long accept_timer;   /* 0 while the listener is polled */
    long accept_pause;        /* ms: the next pause, doubling while it lasts */
    unsigned long shed, shed_logged;  /* connections shed; as of the last nofd line */
    int64_t nofd_logged_at;   /* ms, 0: never */
    const struct node_hooks *hooks;  /* node.c's decisions (below) */
    long long tick;           /* housekeeping timer */
    int lingering;            /* every file settled: linger timer running */
    int64_t linger_until;
    int finished;             /* loop may stop */
    int exit_code;
};

/* What only node.c decides, asked for by conn.c and fetch.c. */
struct node_hooks {
    /* A child answered or a transfer ended: finish when everything settled. */
    void (*check_done)(struct node *n);
    /* The checks a received file passes before it gets its name; WHY_NONE when kept. */
    enum why (*accept_file)(struct node *n, struct hnode *hn, struct store *st,
                            const uint8_t digest[PFS_SHA256_LEN]);
    /* Cut-through: hn->inflow began or grew, or (spoiled) it is lost for
     * reason (PFS_R_HASH, PFS_R_IO) and the children fed from it are cut off. */
    void (*arrived)(struct node *n, struct hnode *hn);
    void (*spoiled)(struct node *n, struct hnode *hn, unsigned reason);
};

/* site.c */
int64_t node_now(void);
struct pfs_dlog_ev node_ev(struct node *n, enum pfs_dlog_kind kind);
void node_log(struct node *n, const struct pfs_dlog_ev *ev);
/* HASH_OK / HASH_BAD for hn's file with digest d (TFTP and peer alike). */
void node_log_hash(struct node *n, struct hnode *hn, enum pfs_dlog_kind kind,
                   const uint8_t d[PFS_SHA256_LEN]);
struct hnode *node_find_hier(struct node *n, uint32_t h);

#endif
