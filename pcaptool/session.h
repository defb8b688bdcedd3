/*
 * session.h - a capture's PFS traffic grouped into sessions: per
 * hierarchy (H, with model and file), per peer (XID, address), per TCP
 * parent/child connection, per TFTP transfer; plus the problems an expert
 * would point at. Fed with cap_next()'s events; pfsdump --summary prints
 * it, pfsreplay can walk it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PCAPTOOL_SESSION_H
#define PCAPTOOL_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "capture.h"

struct ses_peer {
    uint32_t xid;
    struct cap_addr addr;         /* where its datagrams come from (port 0) */
    char model[16];
    uint64_t msgs;                /* messages it sent */
    struct cap_time first, last;
};

struct ses_member {
    uint32_t xid;
    uint32_t parent;              /* XID of the parent that accepted it, 0 if none */
    int root;                     /* confirmed itself root */
    int fetched;                  /* fetched the file over TFTP */
    int verdict;                  /* its last VERDICT, 0 if none */
    unsigned children;            /* accepted children */
    unsigned active;              /* accepted connections still open */
};

struct ses_hier {
    uint32_t h;
    char model[16];
    char file[128];
    struct cap_time first, last;
    uint32_t roots[8];            /* XIDs that confirmed themselves root, in order */
    unsigned nroots;
    struct ses_member *m;
    size_t nm, cm;
    uint64_t msgs;
};

/* A TCP connection between a child (client) and a parent (server). */
struct ses_xfer {
    uint64_t conn;
    uint32_t h;
    uint32_t child, parent;       /* XIDs, 0 until a message names them */
    struct cap_addr child_addr, parent_addr;
    struct cap_time start, end;
    uint64_t size;                /* XFRCMD size */
    uint64_t data;                /* DATA bytes seen */
    int accepted, refused, ended; /* ACCEPT, REFUSE, XFREND seen */
    int refuse_reason, abort_reason;  /* -1 when none */
    int verdict;                  /* 0 when none */
    int syn_seen;
    uint64_t wire[2];             /* TCP payload bytes child->parent, parent->child */
    int closed;
};

struct ses_tftp {
    uint64_t id;
    struct cap_addr client, server;
    char file[256];
    struct cap_time start, end;
    uint64_t bytes;               /* DATA payload */
    unsigned blocks;
    unsigned blksize;             /* 512 or the OACK's */
    uint16_t last_block;
    int done;                     /* the last (short) block was acknowledged or seen */
    int error;                    /* ERROR code + 1, 0 when none */
    char errmsg[128];
};

enum ses_sev { SES_ERROR, SES_WARNING, SES_NOTE };

struct ses_problem {
    enum ses_sev sev;
    uint64_t frame;
    char what[24];                /* one word: "two-roots", "third-child", "ad-gap" ... */
    char text[240];
};

struct ses {
    struct ses_peer *peers; size_t npeers, cpeers;
    struct ses_hier *hiers; size_t nhiers, chiers;
    struct ses_xfer *xfers; size_t nxfers, cxfers;
    struct ses_tftp *tftps; size_t ntftps, ctftps;
    struct ses_problem *probs; size_t nprobs, cprobs;
    uint64_t by_type[PFS_T_MAX + 2];   /* [0] unknown type */
    uint64_t by_fault[16];             /* by -err */
    uint64_t udp_msgs, tcp_msgs, malformed;
    uint64_t conns, midstream_conns;
    uint64_t gaps, gap_bytes, resyncs, skipped;
    struct cap_time first, last;
    int have_time;
    /* Ad numbering per sender and claim round, to see lost Ads */
    struct ses_adseq { uint32_t xid, h, map; uint8_t seq; } *ads;
    size_t nads, cads;
    int oom;
};

void ses_init(struct ses *s);
/* Take one event into account. */
void ses_event(struct ses *s, const struct cap_event *ev);
/* After the last event: the problems only the whole capture shows. */
void ses_finish(struct ses *s);
void ses_free(struct ses *s);

const struct ses_hier *ses_hier_of(const struct ses *s, uint32_t h);
const struct ses_peer *ses_peer_of(const struct ses *s, uint32_t xid);

#endif
