/*
 * dlog.h - the DLoad console-log grammar, written and read from one table.
 *
 * A line is "LVL HH:MM:SS.uuuuuu Component: text". For Component "DLoad"
 * the text is one of the event kinds below. Each kind has one template in
 * dlog.c, e.g. "XID{xid} TxBdcst Ad {n}: {hier}": the endpoint prints it
 * with pfs_dlog_format(), and the reader's anchored PCRE2 pattern is
 * derived from the same template, so writer and reader cannot drift.
 * docs/logs.md lists every kind.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFS_DLOG_H
#define PFS_DLOG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum pfs_dlog_kind {
    PFS_DL_NONE = 0,     /* not a known DLoad shape */
    /* Root side, as real phones print them (seed excerpt). */
    PFS_DL_LISTEN,       /* +++ fd=7 Listening on peer TCP port 4051 */
    PFS_DL_TRACE,        /* ^.idl_child.c-openUDPPort */
    PFS_DL_STATE,        /* |parent=-1><fd[0]=-1 fd[1]=-1 FULL=0 */
    PFS_DL_CLAIM,        /* XID.. TxBdcst ClaimRoot(tent): map=.. strength=.. */
    PFS_DL_TIMEOUT,      /* Timeout XID.. hier=ClaimRoot(tent) */
    PFS_DL_AD,           /* XID.. TxBdcst Ad 1: ClaimRoot(tent) */
    PFS_DL_CONFIRMED,    /* UT:Confirmed root bumping strength */
    PFS_DL_HROOT,        /* @@@HROOT:XID.. H=.. m=.. ROOT=ip /dnld/file */
    PFS_DL_ROOT_TFTP,    /* XID.. Root sending TFTP XfrCmd on ROOT_WAITING TO */
    /* Endpoint side, same style (docs/logs.md). */
    PFS_DL_START,        /* +++ XID.. m=.. IP=.. load=.. : identity, once */
    PFS_DL_HIER,         /* @@@HIER:XID.. H=.. m=.. file : a hierarchy begins */
    PFS_DL_RX_CLAIM,     /* a claim heard from a peer */
    PFS_DL_YIELD,        /* yielded to a stronger claim */
    PFS_DL_PARENT,       /* chose a parent to ask */
    PFS_DL_JOINED,       /* @@@HCHILD: accepted as child */
    PFS_DL_REFUSED,      /* join refused (FULL ...) */
    PFS_DL_CHILD_ADD,    /* parent side: child attached */
    PFS_DL_CHILD_NO,     /* parent side: join refused */
    PFS_DL_CHILD_LOST,   /* parent side: child gone */
    PFS_DL_PARENT_LOST,  /* child side: parent gone or stalled */
    PFS_DL_XFR_TX,       /* XfrCmd sent to a child */
    PFS_DL_XFR_RX,       /* XfrCmd received from the parent */
    PFS_DL_PROGRESS,     /* bytes so far of a transfer */
    PFS_DL_RX_DONE,      /* file received from the parent */
    PFS_DL_TX_DONE,      /* file sent to a child, with its verdict */
    PFS_DL_TFTP_RRQ,     /* TFTP read request sent */
    PFS_DL_TFTP_DONE,    /* TFTP fetch complete */
    PFS_DL_TFTP_FAIL,    /* TFTP fetch failed */
    PFS_DL_HASH_OK,      /* SHA-256 verified */
    PFS_DL_HASH_BAD,     /* SHA-256 mismatch, file discarded */
    PFS_DL_FALLBACK,     /* giving up on peers: TFTP directly, reason */
    PFS_DL_FILE_DONE,    /* @@@HDONE: file held and verified */
    PFS_DL_LEAVE,        /* left a hierarchy */
    PFS_DL_DROP,         /* malformed datagrams dropped (rate-limited) */
    PFS_DL_NOFD,         /* out of descriptors on accept: shedding (rate-limited) */
    PFS_DL_STORM,        /* datagrams of banned senders dropped: once per storm */
    PFS_DL_REJECT,       /* a file that is not the one the .loads lists, discarded */
    PFS_DL_KIND_COUNT
};

enum pfs_dlog_level { PFS_LVL_DBG, PFS_LVL_NOT, PFS_LVL_INF, PFS_LVL_WRN, PFS_LVL_ERR };

/* Field sizes of string fields, NUL included. */
#define PFS_DL_MODEL_SZ  16
#define PFS_DL_FILE_SZ   128
#define PFS_DL_WORD_SZ   32   /* hier, state, reason, src */
#define PFS_DL_TRACE_SZ  64
#define PFS_DL_SHA_SZ    65

/*
 * One event: the union of every field any kind names. A template uses a
 * field as {name}; fields a kind does not name are left zero.
 * String fields hold one word (no white space): the writer turns blanks
 * into '_' so that the line parses back.
 */
struct pfs_dlog_ev {
    enum pfs_dlog_kind kind;
    uint32_t xid, peer, h;          /* {xid} {peer} {h}: 8 hex digits */
    uint32_t map, strength;         /* {map} {strength}: lower-case hex */
    uint32_t ip, pip;               /* {ip} {pip}: IPv4, host byte order */
    long n, index, depth, tries;    /* {n} {index} {depth} {tries} */
    long fd, fd0, fd1, parent, full, port;
    uint64_t bytes, total;          /* {bytes} {total} */
    double secs, rate;              /* {secs} seconds, {rate} KB/s */
    char model[PFS_DL_MODEL_SZ];    /* {model} */
    char file[PFS_DL_FILE_SZ];      /* {file} */
    char hier[PFS_DL_WORD_SZ];      /* {hier}: ClaimRoot(tent), ROOT_WAITING ... */
    char state[PFS_DL_WORD_SZ];     /* {state}: tent, conf */
    char reason[PFS_DL_WORD_SZ];    /* {reason}: FULL, timeout, ... */
    char src[PFS_DL_WORD_SZ];       /* {src}: tftp, peer */
    char trace[PFS_DL_TRACE_SZ];    /* {trace}: idl_child.c-openUDPPort */
    char sha[PFS_DL_SHA_SZ];        /* {sha}: 64 hex digits */
};

/*
 * What a kind's line says about the hierarchies, for a reader that
 * rebuilds them (pfslog): which hierarchy the line is about.
 */
enum pfs_dlog_scope {
    PFS_SC_PHONE,       /* the phone itself, no hierarchy (identity, traces) */
    PFS_SC_NEARBY,      /* names none: the one the phone's nearby lines name */
    PFS_SC_NAMED,       /* names H, model and file: a hierarchy begins or is named */
    PFS_SC_BY_H,        /* names it by H alone */
    PFS_SC_BY_H_FILE,   /* by H when known, else by H and file */
    PFS_SC_BY_FILE,     /* by file (and the phone's model) */
};

/* Flags of a kind (struct pfs_dlog_kind_info.flags). */
enum {
    PFS_DLF_SELF = 1u << 0,    /* {xid} is the phone whose log this is */
    PFS_DLF_REPEAT = 1u << 1,  /* printed over and over: count it, do not keep it */
    PFS_DLF_BINDS = 1u << 2,   /* ties the phone's election so far to this hierarchy */
    PFS_DLF_ENTERS = 1u << 3,  /* the phone enters the hierarchy (again: a new upgrade) */
};

/* One row of the grammar table. */
struct pfs_dlog_kind_info {
    enum pfs_dlog_kind kind;
    const char *name;               /* "claim", "hroot": JSON and docs */
    enum pfs_dlog_level level;      /* level the endpoint prints it at */
    const char *tmpl;               /* template with {field} placeholders */
    enum pfs_dlog_scope scope;      /* which hierarchy the line is about */
    unsigned flags;                 /* PFS_DLF_* */
};

/*
 * The words with a meaning of their own in string fields: {state} of a
 * claim, {reason} of tx_done (its verdict), {src} of xfr and file_done.
 * The writer prints pfs_dlog_word_name(w); a reader switches on
 * pfs_dlog_word(s) rather than comparing text.
 */
enum pfs_dlog_word {
    PFS_W_OTHER = 0,    /* any other word */
    PFS_W_TENT,         /* "tent": a tentative root claim */
    PFS_W_CONF,         /* "conf": a confirmed root claim */
    PFS_W_OK,           /* "ok" (also "OK"): a transfer's verdict */
    PFS_W_TFTP,         /* "tftp": the file came from the TFTP server */
    PFS_W_PEER,         /* "peer": the file came from a parent */
    PFS_W_FULL,         /* "FULL": a parent with no room for a child */
};
enum pfs_dlog_word pfs_dlog_word(const char *s);
const char *pfs_dlog_word_name(enum pfs_dlog_word w); /* "" for PFS_W_OTHER */

/* The table, indexed by kind (row 0 is PFS_DL_NONE). */
const struct pfs_dlog_kind_info *pfs_dlog_info(enum pfs_dlog_kind kind);
const char *pfs_dlog_level_name(enum pfs_dlog_level lvl); /* "INF" */

/*
 * pfs_dlog_format - the text of ev after "DLoad: ", from its template.
 * Returns the length written (as snprintf), or -1 for an unknown kind.
 */
int pfs_dlog_format(char *out, size_t cap, const struct pfs_dlog_ev *ev);

/*
 * pfs_dlog_line - a whole console line with level and time of day,
 * "INF 02:19:23.411925 DLoad: XID080027F8 TxBdcst Ad 1: ClaimRoot(tent)",
 * without the newline. usec_of_day is wrapped into one day.
 */
int pfs_dlog_line(char *out, size_t cap, int64_t usec_of_day,
                  const struct pfs_dlog_ev *ev);

/* The fixed-width prefix of a console line, found by hand (no regex). */
struct pfs_dlog_prefix {
    char level[4];          /* "DBG" .. "ERR", or "NF" as captured */
    int64_t usec;           /* time of day in microseconds */
    const char *comp;       /* component name, e.g. "DLoad" */
    size_t comp_len;
    const char *msg;        /* text after "Component: " */
    size_t msg_len;
};

/*
 * pfs_dlog_time - "HH:MM:SS.uuuuuu " (16 bytes, the blank included) at t:
 * microseconds of the day, or -1. t must have 16 readable bytes. Inline:
 * readers call it on every line. No ctype, the digits checked together.
 */
static inline unsigned pfs_dlog_digit_(const char *t, int i)
{
    return (unsigned)(unsigned char)t[i] - '0'; /* more than 9: no digit */
}

static inline int64_t pfs_dlog_time(const char *t)
{
    if (t[2] != ':' || t[5] != ':' || t[8] != '.' || t[15] != ' ')
        return -1;
    unsigned h1 = pfs_dlog_digit_(t, 0), h0 = pfs_dlog_digit_(t, 1);
    unsigned m1 = pfs_dlog_digit_(t, 3), m0 = pfs_dlog_digit_(t, 4);
    unsigned s1 = pfs_dlog_digit_(t, 6), s0 = pfs_dlog_digit_(t, 7);
    unsigned u5 = pfs_dlog_digit_(t, 9), u4 = pfs_dlog_digit_(t, 10), u3 = pfs_dlog_digit_(t, 11);
    unsigned u2 = pfs_dlog_digit_(t, 12), u1 = pfs_dlog_digit_(t, 13), u0 = pfs_dlog_digit_(t, 14);
    int bad = (h1 > 9) | (h0 > 9) | (m1 > 9) | (m0 > 9) | (s1 > 9) | (s0 > 9) | (u5 > 9) |
              (u4 > 9) | (u3 > 9) | (u2 > 9) | (u1 > 9) | (u0 > 9);
    unsigned hh = h1 * 10 + h0, mm = m1 * 10 + m0, ss = s1 * 10 + s0;
    if (bad || hh > 23 || mm > 59 || ss > 59)
        return -1;
    int64_t us = ((((u5 * 10 + u4) * 10 + u3) * 10 + u2) * 10 + u1) * 10 + u0;
    return ((int64_t)hh * 3600 + mm * 60 + ss) * 1000000LL + us;
}
/* s[0..n) is a level as lines carry it: DBG NOT INF WRN ERR, or NF (a clipped INF). */
static inline int pfs_dlog_is_level(const char *s, size_t n)
{
    if (n == 2)
        return s[0] == 'N' && s[1] == 'F';
    if (n != 3)
        return 0;
    return !memcmp(s, "DBG", 3) || !memcmp(s, "NOT", 3) || !memcmp(s, "INF", 3) ||
           !memcmp(s, "WRN", 3) || !memcmp(s, "ERR", 3);
}

/*
 * pfs_dlog_split - read "LVL HH:MM:SS.uuuuuu Comp: " at the start of line.
 * Returns 1 and fills *p, or 0 when the line does not start that way.
 */
int pfs_dlog_split(const char *line, size_t len, struct pfs_dlog_prefix *p);

/* The reader: patterns derived from the templates, compiled once. */
struct pfs_dlog_parser;

/* Compiles every pattern (JIT when available). NULL with a message in err. */
struct pfs_dlog_parser *pfs_dlog_parser_new(char *err, size_t errcap);
void pfs_dlog_parser_free(struct pfs_dlog_parser *p);

/*
 * pfs_dlog_parse - match the text after "DLoad: " (no newline) against the
 * kinds. Fills *ev and returns its kind, or PFS_DL_NONE. Does not allocate.
 * Fields the kind does not name are zero; string fields hold a NUL-ended
 * word (an empty one when not named, or written as "-", the writer's mark
 * for an empty word), the bytes after the NUL unspecified.
 */
enum pfs_dlog_kind pfs_dlog_parse(struct pfs_dlog_parser *p, const char *msg,
                                  size_t len, struct pfs_dlog_ev *ev);

/*
 * The same in two steps, for a caller that remembers matches: where the
 * fields of a kind lie in a text (what the regex found), and the event
 * those fields make. The same text always gives the same match, so a
 * match kept with a copy of its text fills the event of that text again
 * without the regex. pfs_dlog_parse is pfs_dlog_match then pfs_dlog_fill.
 */
#define PFS_DL_MAX_FIELDS 12
struct pfs_dlog_match {
    enum pfs_dlog_kind kind;            /* PFS_DL_NONE: no kind matched */
    int nfields;
    size_t off[PFS_DL_MAX_FIELDS];      /* field i of the kind's template */
    size_t len[PFS_DL_MAX_FIELDS];
};
enum pfs_dlog_kind pfs_dlog_match(struct pfs_dlog_parser *p, const char *msg, size_t len,
                                  struct pfs_dlog_match *m);
/* Fills *ev from msg, the very text m was found in. */
void pfs_dlog_fill(const struct pfs_dlog_parser *p, const struct pfs_dlog_match *m,
                   const char *msg, struct pfs_dlog_ev *ev);

/* The PCRE2 pattern derived for kind (for docs and tests), NULL if none. */
const char *pfs_dlog_pattern(const struct pfs_dlog_parser *p, enum pfs_dlog_kind kind);

#endif
