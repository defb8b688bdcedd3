/*
 * reader.h - pfslog's line reader: bytes into typed DLoad events, per phone stream,
 * and the syslog headers in front of them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PLOG_READER_H
#define PLOG_READER_H

#include <stdint.h>

#include "dlog.h"
#include "util.h"

#define PLOG_DAY_US (86400LL * 1000000LL)
#define PLOG_HOST_SZ 64
#define PLOG_PENDING_SZ 512 /* longest record we try to re-join when wrapped */

/* Where a line came from: an input (file, stdin, udp) and a line number. */
struct plog_ref {
    uint32_t src;
    uint32_t line;      /* 1-based; a line past 4294967295 is cited as that */
};

/* The ref of line lineno of input src (line numbers saturate at UINT32_MAX). */
static inline struct plog_ref plog_ref_of(uint32_t src, uint64_t lineno)
{
    struct plog_ref r = {src, lineno > UINT32_MAX ? UINT32_MAX : (uint32_t)lineno};
    return r;
}

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
    char tag[PLOG_HOST_SZ];     /* the syslog tag (APP-NAME[PROCID]), "" none */
    char carry_level[4];        /* "INF" glued at the end of the last line */
    int64_t day;                /* days since the input's first (midnights, dates) */
    int64_t last_usec;          /* time of day of the last record, -1 none */
    /* a DLoad record that did not parse and may continue on the next line */
    char *pending;              /* PLOG_PENDING_SZ bytes, allocated when first needed */
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
    struct plog_ref *cuts;              /* inputs cut short: their last line read */
    size_t ncuts, cap_cuts;
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
/* Input src ended cut short (a truncated gzip file) after line lineno. */
void plog_reader_cut_src(struct plog_reader *r, uint32_t src, uint64_t lineno);

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
    uint8_t tag_len, procid_len;
    uint16_t tag_off, procid_off;       /* tag_len 0: no tag */
    uint8_t kind, nfields;
    uint16_t msg_off;
    uint8_t msg_len;
    char level[4];
    int sl_year;
    int64_t sl_usec, sl_day, sl_doy, usec;
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

/*
 * Syslog header (RFC 3164 or 5424, with or without <PRI>): host, tag,
 * time, rest. The tag is RFC 3164's ("pfsd[7]", without the colon) or RFC
 * 5424's APP-NAME[PROCID]: behind one relay host it tells phones apart.
 */
struct plog_syslog {
    const char *host;
    size_t host_len;
    const char *tag;    /* NULL when none */
    size_t tag_len;
    const char *procid; /* RFC 5424's PROCID, when not "-" (the tag is APP-NAME) */
    size_t procid_len;
    int64_t usec; /* time of day from the header, -1 when none */
    int64_t day;  /* day number of its date (RFC 3164: day of the year), -1 none */
    int year;     /* the date names its year (RFC 5424) */
    int64_t doy;  /* day of the year of its date (a common year), -1 none */
    int64_t seq;  /* RFC 5424's [meta sequenceId="N"]: the sender's own count, -1 none */
    size_t body;  /* offset of the text after the header */
};
int plog_syslog_split(const char *line, size_t len, struct plog_syslog *s);

#endif
