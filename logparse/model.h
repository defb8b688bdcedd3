/*
 * model.h - pfslog's reconstruction: events into phones, hierarchies, nodes and
 * parents (model.c), then roles, children and diagnostics (diag.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PLOG_MODEL_H
#define PLOG_MODEL_H

#include "reader.h"

#define PLOG_EVENTS_CAP 1024 /* events kept per hierarchy and upgrade (first ones) */
#define PLOG_DIAGS_MAX 10000 /* diagnostics kept; more are counted */

enum plog_sev { PLOG_INFO, PLOG_WARN, PLOG_ERROR };
enum plog_source { SRC_NONE, SRC_TFTP, SRC_PEER };
enum plog_role {
    ROLE_UNKNOWN, ROLE_ROOT, ROLE_PARENT, ROLE_LEAF, ROLE_TFTP, ROLE_CANDIDATE, ROLE_SEEKING,
    ROLE_ANCHOR  /* fetched its own load from the TFTP server, the trust anchor: no election */
};

#define PLOG_MAX_CHILDREN 8 /* children remembered per node; more are counted */

/* Counters and evidence of one election run by one phone. */
struct plog_elect {
    int claimed, confirmed, yielded;
    uint32_t ads, timeouts;
    uint32_t strength;
    int64_t t_claim, t_conf;
    struct plog_ref claim_ref;
};

/*
 * One phone in one hierarchy, for the hierarchy's current upgrade (round).
 * The parent is what the child's own log last said (it joined, received
 * from, lost or gave up on a parent); a parent's lines only fill in for a
 * child without a log. Children are derived from the parents at the end.
 */
struct plog_node {
    /* first, the fields most lines touch: one cache line at a site of
     * thousands of phones, where every line is another phone's node */
    uint32_t phone, hier;
    uint32_t round;                     /* the hierarchy's round this state is for */
    uint32_t parent;                    /* phone index or PLOG_NONE */
    int64_t t_first, t_last;
    struct plog_ref last_ref;           /* the latest line about this node */
    int entered, has_file, left, root_tftp;
    uint32_t heard_root;                /* phone whose confirmed claim this one heard */
    int parent_auth;                    /* parent set by the child's own log */
    struct plog_elect el;
    int is_root, fallback, joined, tftp_fetch;
    int root_yielded;                   /* confirmed root that later yielded */
    int root_heard;                     /* root known only from its claim, heard by a peer */
    enum plog_source source;
    int in_xfr;                         /* a transfer started, not finished */
    struct plog_ref parent_ref;
    uint32_t children[PLOG_MAX_CHILDREN];
    uint32_t nchildren;                 /* may exceed PLOG_MAX_CHILDREN */
    struct plog_ref heard_ref;
    uint32_t yielded_to;                /* phone */
    struct plog_ref yield_ref;
    int64_t t_xfr, t_done;
    double secs, rate;
    uint64_t bytes, total;
    struct plog_ref root_ref, root_tftp_ref, fallback_ref, done_ref, xfr_ref, tftp_ref;
    uint32_t refused, parent_lost, child_lost, hash_bad, tftp_fail, progress, tries;
    int got_after_fail;                 /* verified file after a failure */
    struct plog_ref refused_ref, lost_ref, hash_ref, tftp_fail_ref;
    long state_parent, state_fd0, state_fd1, state_full;
    int has_state;
    char reason[PFS_DL_WORD_SZ];        /* fallback reason from the log */
    char lost_reason[PFS_DL_WORD_SZ], refused_reason[PFS_DL_WORD_SZ], fail_reason[PFS_DL_WORD_SZ];
};

struct plog_evrec {
    int64_t t;
    uint32_t phone;
    uint32_t peer;                      /* the other phone the line names, or PLOG_NONE */
    struct plog_ref ref;
    uint8_t kind;                       /* enum pfs_dlog_kind */
};

struct plog_hier {
    /* what every line of the hierarchy touches first, its names last */
    uint32_t round;                     /* upgrades seen: 1, 2, ... */
    uint32_t nevents;
    int64_t t_round;                    /* first event of the current round */
    struct plog_evrec *events;          /* grown as needed, up to PLOG_EVENTS_CAP */
    size_t cap_events;
    uint64_t ads, timeouts;
    uint32_t *nodes;                    /* node indexes of the current round */
    size_t nnodes, cap_nodes;
    uint64_t dropped_events;
    uint32_t h;
    int has_h;
    char model[PFS_DL_MODEL_SZ];
    char file[PFS_DL_FILE_SZ];          /* base name */
};

enum plog_phone_src { PH_MENTIONED, PH_LOG };
#define PLOG_PEND_EV 8

struct plog_phone {
    /* first, the fields most lines touch; texts and the pending events last */
    uint32_t xid;
    int has_xid;
    uint32_t cur_node;                  /* node named by its latest lines */
    /* the last H looked up for this phone and its hierarchy, the last
     * hierarchy its node was looked up in and that node (model.c) */
    uint32_t last_h, last_h_hier, last_node_hier, last_node;
    int has_pending;                    /* model->pending[i] holds a claim not yet tied */
    enum plog_phone_src source;
    uint32_t src;                       /* first input with its lines */
    uint32_t merged_into;               /* anonymous phone folded into this one */
    uint32_t ip;
    uint64_t traces, drops, listens;
    uint32_t npend_ev;
    int has_state;
    long state_parent, state_fd0, state_fd1, state_full;
    char model[PFS_DL_MODEL_SZ];
    char load[PFS_DL_FILE_SZ];
    char host[PLOG_HOST_SZ];
    struct plog_evrec pend_ev[PLOG_PEND_EV];
};

struct plog_diag {
    enum plog_sev sev;
    const char *code;
    char msg[320];
    struct plog_ref ref;
    uint32_t hier, phone;               /* PLOG_NONE when not tied */
    uint32_t round;                     /* the hierarchy's upgrade it is about, 0 none */
    int closed;                         /* about an upgrade already over */
};

/*
 * The phones one stream of lines (a file, a syslog host and tag) carries.
 * A stream is one phone's; the XIDs its lines name as their own say when
 * it is not, and lines that name no phone then go to the last one named.
 */
#define PLOG_STREAM_XIDS 4
struct plog_stream_use {
    uint32_t phone;                     /* phone + 1 of its latest lines, 0 none */
    uint32_t xids[PLOG_STREAM_XIDS];    /* the first distinct XIDs named as own */
    uint32_t nxids;                     /* distinct XIDs (more than kept are counted) */
    struct plog_ref second_ref;         /* where a second XID first spoke */
};

/*
 * A sender that never said who it is: datagrams a phone dropped as
 * malformed, connections refused before any join. Kept by address, so
 * forged traffic becomes one warning per sender rather than phones.
 */
struct plog_rogue {
    uint32_t ip;
    uint64_t count;                     /* messages, as the phones counted them */
    uint32_t seen_by;                   /* the first phone that logged it */
    char reason[PFS_DL_WORD_SZ];
    struct plog_ref ref;
};

/* Called as the model learns something worth showing live (--listen). */
typedef void (*plog_live_fn)(void *ctx, const struct plog_event *e, uint32_t hier, uint32_t phone);

/*
 * One sender of --listen's datagrams, by its address. The kernel's drops
 * (SO_RXQ_OVFL) are the socket's, no sender's; a sender that numbers its
 * messages (RFC 5424 [meta sequenceId]) shows its own gaps.
 */
struct plog_sender {
    char addr[48];
    uint64_t datagrams, lines;
    uint64_t sequenced;                 /* datagrams carrying a sequenceId */
    uint64_t missing;                   /* numbers skipped: datagrams it sent that never came */
    uint64_t late;                      /* numbers that came after a higher one */
};

struct plog_model {
    struct plog_phone *phones;
    size_t nphones, cap_phones;
    struct plog_hier *hiers;
    size_t nhiers, cap_hiers;
    struct plog_node *nodes;
    size_t nnodes, cap_nodes;
    struct plog_diag *diags;
    size_t ndiags, cap_diags;
    uint64_t diags_dropped;             /* beyond PLOG_DIAGS_MAX */
    struct plog_stream_use *streams;    /* by reader stream: whose lines it carries */
    size_t cap_streams;
    struct plog_rogue *rogues;          /* senders that are no phone, by address */
    size_t nrogues, cap_rogues;
    struct plog_ref *cuts;              /* inputs cut short, at their last line read */
    size_t ncuts, cap_cuts;
    struct plog_loss {                  /* --listen: datagrams received and lost */
        int listening;
        uint64_t received, kernel, queue;
        uint64_t missing;               /* gaps in the senders' own sequence numbers */
        const struct plog_sender *senders; /* the listener's, in order of first datagram */
        size_t nsenders;
    } loss;
    struct plog_node *pending;          /* per phone: election not tied yet */
    size_t cap_pending;
    struct plog_map by_xid, by_h, by_name, by_file, by_node;
    struct plog_map by_phone_file;      /* (phone, file) -> the hierarchy its node is in */
    uint32_t last_phone, last_hier;     /* the phone and hierarchy of the event applied last */
    /* each kind's grammar row (meaning: scope, flags), looked up once, not per line */
    const struct pfs_dlog_kind_info *kinds[PFS_DL_KIND_COUNT];
    plog_live_fn live;
    void *live_ctx;
    int oom;
};

/*
 * --listen: datagrams lost, as far as can be told: the socket's drops,
 * or the gaps in the senders' own numbers when those are more (they also
 * see what the network lost; a dropped numbered datagram is in both).
 */
static inline uint64_t plog_loss_total(const struct plog_loss *ls)
{
    uint64_t sock = ls->kernel + ls->queue;
    return ls->missing > sock ? ls->missing : sock;
}

void plog_model_init(struct plog_model *m);
void plog_model_free(struct plog_model *m);
/* Applies one event; r (may be NULL) names the syslog host of its stream. */
void plog_model_apply(struct plog_model *m, const struct plog_event *e,
                      const struct plog_reader *r);
/* The XID of phone ph (followed into the phone it was folded into): 1, or 0 when none. */
int plog_phone_xid(const struct plog_model *m, uint32_t ph, uint32_t *xid);
/* Input ref.src ended cut short after line ref.line: a warning of its own. */
void plog_model_input_cut(struct plog_model *m, struct plog_ref ref);
/* End of all input: derives children and the diagnostics. May be called again. */
void plog_model_finish(struct plog_model *m);
/* Phones known only by their syslog host joined to the phone with that address. */
void plog_model_link_hosts(struct plog_model *m);
/* Children from parents, and the diagnostics of hierarchy hi (diag.c). */
void plog_derive_children(struct plog_model *m, uint32_t hi);
void plog_check_hier(struct plog_model *m, uint32_t hi);
/* The diagnostics about phones rather than hierarchies, then all in order (diag.c). */
void plog_check_phones(struct plog_model *m);
/*
 * Appends "; missing by sender: ADDR N, ..." (the senders with gaps in
 * their numbers, the most first, up to 8) to buf when any sender has gaps.
 */
void plog_missing_senders(char *buf, size_t cap, const struct plog_loss *ls);

const char *plog_role_name(enum plog_role r);
/* 1 when n is a phone's own fetch of its load (the .loads) from the TFTP
 * server: the trust anchor, outside any election (docs/protocol.md §8). */
int plog_node_anchor(const struct plog_model *m, const struct plog_node *n);
enum plog_role plog_node_role(const struct plog_model *m, const struct plog_node *n);
const char *plog_source_name(enum plog_source s);

#endif
