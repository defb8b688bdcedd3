/*
 * plog.h - pfslog internals: the line reader (bytes -> typed DLoad events),
 * the reconstruction model (events -> phones, hierarchies, diagnostics)
 * and the reports. main.c, the listener, the tests and the fuzz harness
 * all drive the same three stages.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PLOG_H
#define PLOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dlog.h"

#define PLOG_NONE UINT32_MAX
#define PLOG_DAY_US (86400LL * 1000000LL)
#define PLOG_HOST_SZ 64
#define PLOG_PENDING_SZ 512 /* longest record we try to re-join when wrapped */
#define PLOG_EVENTS_CAP 1024 /* events kept per hierarchy and upgrade (first ones) */
#define PLOG_DIAGS_MAX 10000 /* diagnostics kept; more are counted */

/* ---- small growable tables ---- */

/* Open-addressing map from a 64-bit key to a 32-bit index. */
struct plog_map {
    uint64_t *keys;
    uint32_t *vals;
    size_t cap, n;
};
uint32_t plog_map_get(const struct plog_map *m, uint64_t key);
int plog_map_put(struct plog_map *m, uint64_t key, uint32_t val);
void plog_map_free(struct plog_map *m);
uint64_t plog_hash(const char *s, size_t n);

/* Grows *arr (elem bytes each) so that index n fits; 0 or -1. */
int plog_grow(void *arr, size_t *cap, size_t n, size_t elem);

/* ---- the reader ---- */

/* Where a line came from: an input (file, stdin, udp) and a line number. */
struct plog_ref {
    uint32_t src;
    uint64_t line;
};

/* One typed event, ready for the model. */
struct plog_event {
    struct pfs_dlog_ev ev;
    int64_t t;          /* microseconds since midnight of the stream's first day */
    uint32_t stream;    /* one phone's lines: (input, syslog host) */
    struct plog_ref ref;
    char level[4];
};

/*
 * A stream is the lines of one phone as they arrive: one console log file,
 * or one syslog host inside a Log Server file or socket. It carries the
 * lexical state that messy input needs: a level glued onto the previous
 * line, a record waiting for its wrapped tail, the day count.
 */
struct plog_stream {
    uint32_t src;
    char host[PLOG_HOST_SZ];
    char carry_level[4];        /* "INF" glued at the end of the last line */
    int64_t day;                /* days since the input's first (midnights, dates) */
    int64_t last_usec;          /* time of day of the last record, -1 none */
    /* a DLoad record that did not parse and may continue on the next line */
    char pending[PLOG_PENDING_SZ];
    size_t pending_len;
    int pending_joins;
    int64_t pending_t;
    struct plog_ref pending_ref;
    char pending_level[4];
};

struct plog_stats {
    uint64_t lines, dload_lines, unparsed_lines, other_lines, blank_lines;
    uint64_t glued, wrapped, headless, syslog_lines, long_lines, out_of_order, midnight;
    uint64_t bytes;
    uint32_t files;
};

/*
 * Parsed messages remembered by their exact text: most DLoad lines repeat
 * word for word (traces, state dumps, timeouts, Ads), and a hit costs a
 * hash, a compare and the field conversions instead of a regex match.
 * A slot keeps where the fields lie (pfs_dlog_match), not the event: that
 * keeps it small (the table stays in the cache, next to the read buffer)
 * and saves copying a 500-byte event. Bounded, direct-mapped.
 */
#define PLOG_MEMO_SLOTS 2048
#define PLOG_MEMO_TEXT 144 /* < 256: field offsets fit a byte */
struct plog_memo {
    uint64_t hash;
    uint16_t len;                       /* 0: empty slot */
    uint8_t kind;                       /* enum pfs_dlog_kind */
    uint8_t nfields;
    uint8_t off[PFS_DL_MAX_FIELDS], flen[PFS_DL_MAX_FIELDS];
    char text[PLOG_MEMO_TEXT];
};

/* Called for each line that cannot be placed (for --verbose). */
typedef void (*plog_unplaced_fn)(void *ctx, struct plog_ref ref, const char *why,
                                 const char *line, size_t len);

struct plog_reader {
    struct pfs_dlog_parser *parser;
    int borrowed;                       /* parser belongs to the caller */
    struct plog_memo *memo;             /* PLOG_MEMO_SLOTS, or NULL */
    struct plog_stream *streams;
    size_t nstreams, cap_streams;
    struct plog_map stream_map;         /* hash(src, host) -> stream */
    uint32_t last_stream;               /* stream of the previous line */
    int64_t day0_abs, day0_doy;         /* first syslog date (RFC 5424, 3164), -1 */
    char **src_names;                   /* input names, indexed by ref.src */
    size_t nsrc, cap_src;
    struct plog_stats stats;
    plog_unplaced_fn unplaced;
    void *unplaced_ctx;
};

int plog_reader_init(struct plog_reader *r, char *err, size_t errcap);
/* The same with a parser the caller compiled once and frees itself (fuzzing). */
void plog_reader_init_with(struct plog_reader *r, struct pfs_dlog_parser *parser);
void plog_reader_free(struct plog_reader *r);
/* Registers an input name, returns its index (PLOG_NONE when out of memory). */
uint32_t plog_reader_add_src(struct plog_reader *r, const char *name);
const char *plog_src_name(const struct plog_reader *r, uint32_t src);

/*
 * plog_read_line - one line (no newline; CR, quotes and blanks at the end
 * are tolerated) of input src. host names the phone when the line has no
 * syslog header (the datagram's sender for --listen), or NULL. Writes up to
 * PLOG_MAX_OUT events to out and returns how many.
 */
#define PLOG_MAX_OUT 4
int plog_read_line(struct plog_reader *r, uint32_t src, uint64_t lineno, const char *line,
                   size_t len, const char *host, struct plog_event *out);
/* End of input src: records still waiting for a tail are counted unparsed. */
void plog_reader_end_src(struct plog_reader *r, uint32_t src);

/*
 * A pipeline (pipe.c) splits the reading in two: ahead of the main thread,
 * each line's record is found and its message matched (plog_prescan_find
 * and plog_prescan_match); the main thread does the rest in line order
 * (plog_read_pre), which depends on the streams, so on every line before.
 * plog_pre is what one line hands over: for a line of exactly one DLoad
 * record whose message parses (most lines), where its parts and fields
 * lie; for anything else fast = 0, and plog_read_line reads the line as
 * without a pipeline.
 */
struct plog_pre {
    uint32_t off, len;                  /* the line in its block (pipe.c) */
    uint8_t fast, long_line;            /* long_line: the head of a longer line */
    uint8_t had_header, has_host, host_off, host_len;
    uint8_t kind, nfields;
    uint16_t msg_off;
    uint8_t msg_len;
    char level[4];
    int sl_year;
    int64_t sl_usec, sl_day, usec;
    uint8_t foff[PFS_DL_MAX_FIELDS], flen[PFS_DL_MAX_FIELDS];
};

/* A parser and a memo of one thread's own: a match writes into the parser. */
struct plog_prescan {
    struct pfs_dlog_parser *parser;
    struct plog_memo *memo;
};
int plog_prescan_init(struct plog_prescan *p, char *err, size_t errcap);
void plog_prescan_free(struct plog_prescan *p);
/*
 * What a line is, in two steps, pure but for the memo: plog_prescan_find
 * fills *pre (not off, len, long_line) but the match and returns the
 * message's hash; plog_prescan_match, given it, matches the message. The
 * first starts loading the memo slot, the second uses it: a batch of lines
 * goes through the first, then the second, so that the slots of many lines
 * load at once rather than one after the other.
 */
uint64_t plog_prescan_find(struct plog_prescan *p, const char *line, size_t len,
                           struct plog_pre *pre);
void plog_prescan_match(struct plog_prescan *p, const char *line, uint64_t hash,
                        struct plog_pre *pre);
/* plog_read_line (host NULL) for a line the two steps above have seen; same result. */
int plog_read_pre(struct plog_reader *r, uint32_t src, uint64_t lineno, const char *line,
                  size_t len, const struct plog_pre *pre, struct plog_event *out);

/* Syslog header (RFC 3164 or 5424, with or without <PRI>): host, time, rest. */
struct plog_syslog {
    const char *host;
    size_t host_len;
    int64_t usec; /* time of day from the header, -1 when none */
    int64_t day;  /* day number of its date (RFC 3164: day of the year), -1 none */
    int year;     /* the date names its year (RFC 5424) */
    size_t body;  /* offset of the text after the header */
};
int plog_syslog_split(const char *line, size_t len, struct plog_syslog *s);

/* ---- the model ---- */

enum plog_sev { PLOG_INFO, PLOG_WARN, PLOG_ERROR };
enum plog_source { SRC_NONE, SRC_TFTP, SRC_PEER };
enum plog_role {
    ROLE_UNKNOWN, ROLE_ROOT, ROLE_PARENT, ROLE_LEAF, ROLE_TFTP, ROLE_CANDIDATE, ROLE_SEEKING
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
    uint32_t phone, hier;
    uint32_t round;                     /* the hierarchy's round this state is for */
    uint32_t parent;                    /* phone index or PLOG_NONE */
    int parent_auth;                    /* parent set by the child's own log */
    struct plog_ref parent_ref;
    uint32_t children[PLOG_MAX_CHILDREN];
    uint32_t nchildren;                 /* may exceed PLOG_MAX_CHILDREN */
    struct plog_elect el;
    int is_root, root_tftp, fallback, joined, has_file, tftp_fetch, entered, left;
    int root_yielded;                   /* confirmed root that later yielded */
    uint32_t yielded_to;                /* phone */
    struct plog_ref yield_ref;
    struct plog_ref last_ref;           /* the latest line about this node */
    enum plog_source source;
    int64_t t_first, t_last, t_xfr, t_done;
    double secs, rate;
    uint64_t bytes, total;
    char reason[PFS_DL_WORD_SZ];        /* fallback reason from the log */
    struct plog_ref root_ref, root_tftp_ref, fallback_ref, done_ref, xfr_ref, tftp_ref;
    int in_xfr;                         /* a transfer started, not finished */
    uint32_t refused, parent_lost, child_lost, hash_bad, tftp_fail, progress, tries;
    int got_after_fail;                 /* verified file after a failure */
    struct plog_ref refused_ref, lost_ref, hash_ref, tftp_fail_ref;
    char lost_reason[PFS_DL_WORD_SZ], refused_reason[PFS_DL_WORD_SZ], fail_reason[PFS_DL_WORD_SZ];
    long state_parent, state_fd0, state_fd1, state_full;
    int has_state;
};

struct plog_evrec {
    int64_t t;
    uint32_t phone;
    enum pfs_dlog_kind kind;
    struct plog_ref ref;
};

struct plog_hier {
    char model[PFS_DL_MODEL_SZ];
    char file[PFS_DL_FILE_SZ];          /* base name */
    uint32_t h;
    int has_h;
    uint32_t *nodes;                    /* node indexes of the current round */
    size_t nnodes, cap_nodes;
    uint32_t round;                     /* upgrades seen: 1, 2, ... */
    int64_t t_round;                    /* first event of the current round */
    struct plog_evrec events[PLOG_EVENTS_CAP];
    uint32_t nevents;
    uint64_t dropped_events;
    uint64_t ads, timeouts;
};

enum plog_phone_src { PH_MENTIONED, PH_LOG };
#define PLOG_PEND_EV 8

struct plog_phone {
    uint32_t xid;
    int has_xid;
    char model[PFS_DL_MODEL_SZ];
    uint32_t ip;
    char load[PFS_DL_FILE_SZ];
    enum plog_phone_src source;
    uint32_t src;                       /* first input with its lines */
    char host[PLOG_HOST_SZ];
    uint32_t cur_node;                  /* node named by its latest lines */
    int has_pending;                    /* model->pending[i] holds a claim not yet tied */
    struct plog_evrec pend_ev[PLOG_PEND_EV];
    uint32_t npend_ev;
    uint32_t merged_into;               /* anonymous phone folded into this one */
    uint64_t traces, drops, listens;
    int has_state;
    long state_parent, state_fd0, state_fd1, state_full;
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

/* Called as the model learns something worth showing live (--listen). */
typedef void (*plog_live_fn)(void *ctx, const struct plog_event *e, uint32_t hier, uint32_t phone);

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
    uint32_t *stream_phone;             /* stream -> phone */
    size_t cap_stream_phone;
    struct plog_node *pending;          /* per phone: election not tied yet */
    size_t cap_pending;
    struct plog_map by_xid, by_h, by_name, by_file, by_node;
    plog_live_fn live;
    void *live_ctx;
    int oom;
};

void plog_model_init(struct plog_model *m);
void plog_model_free(struct plog_model *m);
/* Applies one event; r (may be NULL) names the syslog host of its stream. */
void plog_model_apply(struct plog_model *m, const struct plog_event *e,
                      const struct plog_reader *r);
/* End of all input: derives children and the diagnostics. May be called again. */
void plog_model_finish(struct plog_model *m);
/* Phones known only by their syslog host joined to the phone with that address. */
void plog_model_link_hosts(struct plog_model *m);
/* Children from parents, and the diagnostics of hierarchy hi (diag.c). */
void plog_derive_children(struct plog_model *m, uint32_t hi);
void plog_check_hier(struct plog_model *m, uint32_t hi);

/* ---- the reports ---- */

struct plog_filter {
    const char *file, *model;
    uint32_t xid;
    int has_xid;
};

struct plog_out_opts {
    int color;
    int utf8;
    int verbose;
};

int plog_hier_selected(const struct plog_model *m, uint32_t hi, const struct plog_filter *f);
int plog_report_text(FILE *out, const struct plog_model *m, const struct plog_reader *r,
                     const struct plog_filter *f, const struct plog_out_opts *o);
int plog_report_json(FILE *out, const struct plog_model *m, const struct plog_reader *r,
                     const struct plog_filter *f);
int plog_report_dot(FILE *out, const struct plog_model *m, const struct plog_filter *f);
/* One timeline entry, text or a JSON object line. */
void plog_timeline_line(FILE *out, const struct plog_reader *r, const struct plog_event *e,
                        int json);
/* Number of error diagnostics among the selected ones. */
size_t plog_error_count(const struct plog_model *m, const struct plog_filter *f);
int plog_diag_selected(const struct plog_model *m, const struct plog_diag *d,
                       const struct plog_filter *f);
/* The one-sentence answer to "did PFS work?" for the selected hierarchies. */
void plog_verdict(const struct plog_model *m, const struct plog_filter *f, char *buf, size_t cap);
double plog_node_seconds(const struct plog_node *n);

const char *plog_role_name(enum plog_role r);
enum plog_role plog_node_role(const struct plog_model *m, const struct plog_node *n);
const char *plog_source_name(enum plog_source s);
void plog_json_str(FILE *out, const char *s, size_t n);
void plog_fmt_time(char *buf, size_t cap, int64_t t);

#endif
