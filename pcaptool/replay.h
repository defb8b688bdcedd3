/*
 * replay.h - pfsreplay's engine: a recorded upgrade turned into one script
 * per session, played over real sockets against a live endpoint.
 *
 * The capture reader (capture.h) gives the recorded messages; replay_load
 * copies and maps them (struct rp_capture); replay_script cuts them into
 * sessions of sends and expectations around the endpoint under test;
 * replay_run plays them; replay_report prints the result.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PCAPTOOL_REPLAY_H
#define PCAPTOOL_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pfs.h"

#define RP_ERR_LEN 512
#define RP_MAX_MAPS 64

/* Makes room for element n of an array of *cap (doubling); 0, or -1 out of memory. */
int rp_grow(void **p, size_t *cap, size_t n, size_t elem);

/* Exit codes of pfsreplay (documented in --help and docs/pfsreplay.md). */
enum rp_exit {
    RP_EXIT_PASS = 0,    /* every session passed (raw: everything sent) */
    RP_EXIT_DIVERGED = 1, /* at least one session diverged */
    RP_EXIT_INPUT = 2,   /* bad usage or input: capture, target refusing or silent */
    RP_EXIT_SYSTEM = 3   /* a local failure: socket, bind, memory, output file */
};

/* --map: an address prefix or an XID rewritten before anything is played. */
struct rp_map {
    int is_xid;
    uint32_t from, to, mask;  /* addresses: host order, mask of the prefix */
};

struct rp_maps {
    struct rp_map m[RP_MAX_MAPS];
    int n;
};

/* Parses "A.B.C.D=W.X.Y.Z", "A.B.C.0/24=W.X.Y.0/24" or "XIDHEX=XIDHEX". */
int rp_map_parse(struct rp_maps *mp, const char *arg, char *err, size_t cap);
uint32_t rp_map_addr(const struct rp_maps *mp, uint32_t a);
uint32_t rp_map_xid(const struct rp_maps *mp, uint32_t x);
/* Rewrites the addresses and XIDs inside one valid message of len bytes, in place. */
int rp_map_msg(const struct rp_maps *mp, uint8_t *buf, size_t len);

/* One recorded PFS message, copied out of the capture and mapped. */
struct rp_rec {
    uint64_t frame;          /* the frame in which it completes */
    int64_t t_ns;            /* since the capture's first PFS message */
    int tcp;
    uint32_t src, dst;       /* IPv4, host order, mapped */
    uint16_t sport, dport;
    uint64_t conn;           /* TCP connection id, 0 for UDP */
    int err;                 /* pfs_decode() of the recorded bytes */
    uint8_t *bytes;
    size_t len;
    struct pfs_msg m;        /* valid when err == PFS_OK; points into bytes */
};

/* One recorded TCP connection. */
struct rp_conn {
    uint64_t id;
    uint32_t client, server; /* mapped */
    uint16_t cport, sport;
    int64_t t_open_ns, t_close_ns;
    int64_t t_fin_ns[2];      /* each side's first FIN or RST, -1 unseen; [0] the client's */
    uint64_t first_frame;
};

/* What the capture says about the TFTP side (the WAN). */
struct rp_tftp {
    uint32_t server;         /* address a read request went to, 0 if none */
    uint16_t port;
};

/* A TFTP read request: who went to the server, when. */
struct rp_rrq {
    uint32_t src;
    int64_t t_ns;
    char file[PFS_PATH_MAX + 1];       /* as asked, cut to fit */
};

struct rp_capture {
    char path[1024];
    struct rp_rec *rec;
    size_t nrec, caprec;
    struct rp_conn *conn;
    size_t nconn, capconn;
    struct rp_tftp tftp;
    struct rp_rrq *rrq;
    size_t nrrq, caprrq;
    uint64_t frames;         /* frames in the file */
    uint64_t malformed;      /* PFS messages that did not decode */
    uint64_t gaps;           /* TCP stream gaps the reader reported */
};

/*
 * rp_load - read every PFS message of a capture through the capture reader.
 * filter is a BPF expression or NULL for the reader's default. Addresses
 * and XIDs are mapped with mp. Returns 0, or -1 with one line in err
 * naming the file (not a capture, truncated, unknown link type, no PFS).
 */
int rp_load(struct rp_capture *c, const char *path, const char *filter,
            const struct rp_maps *mp, char *err, size_t cap);
void rp_capture_free(struct rp_capture *c);
const struct rp_conn *rp_conn_find(const struct rp_capture *c, uint64_t id);

/* The recorded endpoints: each XID with its address and its claims. */
#define RP_MAX_HIER 33
struct rp_endpoint {
    uint32_t xid, addr;
    uint16_t port;                     /* TCP port it advertised */
    char model[PFS_MODEL_MAX + 1];
    char load[PFS_PATH_MAX + 1];       /* bare .loads name: its TFTP request, or (older
                                          recordings) its first hierarchy */
    int loads_hier;                    /* its first hierarchy was the .loads (before the
                                          TFTP server became the trust anchor) */
    uint32_t hier[RP_MAX_HIER];        /* hierarchies in the order it entered them */
    uint32_t strength[RP_MAX_HIER];    /* its CLAIM(tent) strength in each */
    int nhier;
    int64_t ad_gap_ns;                 /* median gap between its tentative Ads */
    int ad_count;                      /* most Ads it sent in one claim */
    int64_t root_wait_ns;              /* CLAIM(conf) to its first TFTP, 0 if never */
};

#define RP_MAX_EP 256
struct rp_endpoints {
    struct rp_endpoint ep[RP_MAX_EP];
    int n;
};

void rp_endpoints_build(const struct rp_capture *c, struct rp_endpoints *e);
const struct rp_endpoint *rp_endpoint_by_xid(const struct rp_endpoints *e, uint32_t xid);

/* Session scripts. */
enum rp_step_kind {
    RP_SEND,     /* the recorded peer sends a message */
    RP_EXPECT,   /* the endpoint under test should send this one */
    RP_CONNECT,  /* the recorded peer (a child) connects to the target */
    RP_CLOSE     /* the recorded peer closes its connection */
};

struct rp_step {
    enum rp_step_kind kind;
    size_t rec;              /* index into rp_capture.rec (CONNECT/CLOSE: first/last) */
    int64_t t_ns;            /* recorded time */
    size_t order;            /* place in the whole recording's order */
    int optional;            /* an Ad that timing may leave out (before a yield) */
    int done;
};

enum rp_sess_kind {
    RP_S_ELECTION,           /* UDP: one hierarchy's claims and ads */
    RP_S_CHILD,              /* TCP: a recorded child attached to the target */
    RP_S_PARENT              /* TCP: the target attached to a recorded parent */
};

enum rp_result { RP_PENDING = 0, RP_PASS, RP_FAIL };

struct rp_session {
    enum rp_sess_kind kind;
    char name[192];
    uint32_t hier;
    uint32_t peer_addr, peer_xid;
    uint16_t peer_port;
    uint64_t conn;           /* recorded connection (TCP) */
    struct rp_step *steps;
    size_t nsteps, cap;

    /* run state */
    size_t cur;
    int fd;
    int bound;               /* PARENT: an accepted connection is matched */
    int64_t since_ns;        /* when the current step became current */
    uint8_t key_last[32];    /* election: the last matched key */
    int have_key_last;
    int accepted;            /* CHILD: the target's ACCEPT matched (later ones are keepalives) */
    uint32_t data_seen;      /* bytes of the current transfer received */
    uint32_t step_used;      /* bytes of the current DATA step already matched */
    uint8_t *rbuf;           /* TCP framing */
    size_t rlen;
    enum rp_result result;
    uint64_t div_frame;
    char div_expected[160], div_received[160], div_rule[96];
    unsigned sent, expected, matched;
};

struct rp_script {
    struct rp_session *sess;
    size_t nsess;
    uint32_t target_xid, target_addr;
    uint16_t target_port;
    size_t *sends;           /* every SEND/CONNECT/CLOSE step, in order: session << 32 | step */
    size_t nsends;
    uint64_t ignored;        /* recorded messages between two recorded peers */
    size_t keycap;           /* sessions whose repeats are collapsed while building */
};

/* Builds the sessions around the endpoint with XID as. Returns 0 or -1 with err. */
int rp_script_build(struct rp_script *s, const struct rp_capture *c,
                    const struct rp_endpoints *e, uint32_t as, char *err, size_t cap);
void rp_script_free(struct rp_script *s);

/* Comparison by docs/protocol.md's rules. */
/* The election key of a CLAIM/AD/LEAVE: what must match (not map, not time). */
size_t rp_elect_key(const struct pfs_msg *m, uint8_t key[32]);
/*
 * rp_compare - does the received message answer the expected one?
 * Returns 1 when it does; 0 with the rule that decides it written to rule.
 */
int rp_compare(const struct pfs_msg *exp, const struct pfs_msg *got, char *rule, size_t cap);
/* One short description of a message ("ACCEPT index=0 depth=1 root=XID.."). */
void rp_describe(const struct pfs_msg *m, char *out, size_t cap);
/* The rule that governs messages of this type. */
const char *rp_rule_of(unsigned type);

/* Options of a run. */
struct rp_opts {
    double speed;            /* 1.0 recorded pacing */
    int topspeed;
    long loop;
    int64_t slack_ns;        /* how much later than recorded an answer may come */
    int64_t wait_ns;         /* how long to wait for the target's first message */
    uint32_t target;         /* raw: where to send; stateful: the target's address */
    uint16_t port;
    int quiet;
};

/* Figures of a run. */
struct rp_stats {
    uint64_t sent, sent_bytes, failed;
    uint64_t recv, recv_bytes, matched;
    int64_t t_start_ns, t_end_ns;
    int64_t *gap_err_ns;     /* one per timed gap between consecutive sends */
    size_t ngap, capgap;
    int64_t p50_ns, p99_ns, max_ns;
    uint64_t loops;
    uint64_t nstray;         /* target messages outside every session */
    char stray[400];         /* the first of them */
};

void rp_stats_gap(struct rp_stats *st, int64_t err_ns);
void rp_stats_finish(struct rp_stats *st);
void rp_stats_free(struct rp_stats *st);

/* Monotonic clock and pacing (replay_time.c). */
int64_t rp_now_ns(void);
/* Sleeps until the absolute monotonic time due_ns (returns at once if past). */
void rp_sleep_until(int64_t due_ns);
/* The due time of a message recorded at t_ns, for a run anchored at anchor_ns. */
int64_t rp_due_ns(int64_t anchor_ns, int64_t t_ns, double speed);

/*
 * rp_run - play the script against the target. Returns an rp_exit code;
 * err gets one line for RP_EXIT_INPUT/RP_EXIT_SYSTEM.
 */
int rp_run(struct rp_script *s, const struct rp_capture *c, const struct rp_opts *o,
           struct rp_stats *st, char *err, size_t cap);

/* --raw: every recorded datagram sent as it is to the target. */
int rp_raw(const struct rp_capture *c, const struct rp_opts *o, struct rp_stats *st, char *err,
           size_t cap);

/* Rebuilds the files the recorded peers served into dir; reports what lacks bytes. */
int rp_files_rebuild(const struct rp_capture *c, const char *dir, FILE *report, char *err,
                     size_t cap);

/* Statistics, tcpreplay style or as one JSON document. */
void rp_report_text(FILE *out, const struct rp_script *s, const struct rp_stats *st,
                    const struct rp_opts *o);
void rp_report_json(FILE *out, const struct rp_capture *c, const struct rp_script *s,
                    const struct rp_stats *st, const struct rp_opts *o, int exit_code);

/* "127.0.0.2" */
char *rp_ip_str(uint32_t a, char *buf, size_t len);
int rp_is_loopback(uint32_t a);

#endif
