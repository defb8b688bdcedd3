/*
 * reader.c - from raw lines to typed DLoad events.
 *
 * The hot path per line: "DLoad:" checked at the offset a clean console
 * line has it, or found with memchr (lines without it are skipped here),
 * the fixed-width prefix read by hand just before it, then the message
 * looked up in a memo of messages already parsed (most lines repeat word
 * for word), else parsed by libpfs (one anchored JIT pattern per shape,
 * chosen by its first bytes). Nothing is allocated per line.
 *
 * Finding the record by its "DLoad:" marker and walking back over
 * "LVL HH:MM:SS.uuuuuu " makes every kind of front matter harmless: syslog
 * headers, quotes, binary junk. The mess real logs carry is handled here,
 * per stream (one phone's lines: an input, or a syslog host within it):
 *   - two records glued on one line: a second marker splits the line;
 *   - a level glued to the end of a line ("ClaimRoot(tent)INF") whose
 *     record continues headless on the next line ("02:19:34.410208 DLoad:");
 *   - a record wrapped onto the next line ("TO"): a record that does not
 *     parse waits for one or two short tails, other components' lines
 *     ("JVM:") in between;
 *   - a clipped level ("NF"), CRLF, trailing blanks, quotes or NULs;
 *   - no date in the line: a syslog header's date decides the day, else a
 *     jump back of more than 6 hours is midnight.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "reader.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WRAP_TAIL_MAX 200   /* a wrapped tail is short */
#define WRAP_JOINS_MAX 2
#define MIDNIGHT_JUMP (6LL * 3600 * 1000000)
#define LATE_JUMP (18LL * 3600 * 1000000)

int plog_reader_init(struct plog_reader *r, char *err, size_t errcap)
{
    memset(r, 0, sizeof *r);
    r->day0_abs = r->day0_doy = -1;
    r->parser = pfs_dlog_parser_new(err, errcap);
    /* without the memo the reader is slower, not wrong */
    r->memo = calloc(PLOG_MEMO_SLOTS, sizeof *r->memo);
    return r->parser ? 0 : -1;
}

void plog_reader_init_with(struct plog_reader *r, struct pfs_dlog_parser *parser)
{
    memset(r, 0, sizeof *r);
    r->day0_abs = r->day0_doy = -1;
    r->parser = parser;
    r->borrowed = 1;
    r->memo = calloc(PLOG_MEMO_SLOTS, sizeof *r->memo);
}

void plog_reader_free(struct plog_reader *r)
{
    if (!r->borrowed)
        pfs_dlog_parser_free(r->parser);
    free(r->memo);
    for (size_t i = 0; i < r->nstreams; i++)
        free(r->streams[i].pending);
    free(r->streams);
    free(r->cuts);
    plog_map_free(&r->stream_map);
    for (size_t i = 0; i < r->nsrc; i++)
        free(r->src_names[i]);
    free(r->src_names);
    memset(r, 0, sizeof *r);
}

uint32_t plog_reader_add_src(struct plog_reader *r, const char *name)
{
    if (plog_grow(&r->src_names, &r->cap_src, r->nsrc, sizeof *r->src_names) != 0)
        return PLOG_NONE;
    char *copy = strdup(name);
    if (!copy)
        return PLOG_NONE;
    r->src_names[r->nsrc] = copy;
    r->stats.files++;
    return (uint32_t)r->nsrc++;
}

const char *plog_src_name(const struct plog_reader *r, uint32_t src)
{
    return src < r->nsrc ? r->src_names[src] : "?";
}

/* s->str (a NUL-ended buffer) equals str[0..n). */
static int same_str(const char *buf, const char *str, size_t n)
{
    /* the usual case, without a libc call: the same bytes, the same length */
    if (buf[n] == '\0' && n && buf[0] == str[0] && memcmp(buf, str, n) == 0)
        return 1;
    return strncmp(buf, str, n) == 0 && buf[n] == '\0';
}

/* Who a stream is: its input, syslog host and tag (each "" when none). */
struct who {
    const char *host, *tag;
    size_t hlen, tlen;
};

static int stream_is(const struct plog_stream *s, uint32_t src, const struct who *w)
{
    return s->src == src && same_str(s->host, w->host, w->hlen) && same_str(s->tag, w->tag, w->tlen);
}

/* The stream of (src, host, tag), created on first sight. */
static uint32_t find_stream(struct plog_reader *r, uint32_t src, struct who w)
{
    if (w.hlen >= PLOG_HOST_SZ)
        w.hlen = PLOG_HOST_SZ - 1;
    if (w.tlen >= PLOG_HOST_SZ)
        w.tlen = PLOG_HOST_SZ - 1;
    /* Consecutive lines almost always come from the same phone. */
    if (r->last_stream < r->nstreams && stream_is(&r->streams[r->last_stream], src, &w))
        return r->last_stream;
    uint64_t key = (plog_hash(w.host, w.hlen) ^ plog_hash(w.tag, w.tlen) * 0x9E3779B97F4A7C15ULL) *
                       31 + src;
    uint32_t i;
    /* Two hosts whose keys collide must not share a stream: probe on. */
    while ((i = plog_map_get(&r->stream_map, key)) != PLOG_NONE) {
        if (stream_is(&r->streams[i], src, &w))
            return r->last_stream = i;
        key = key * 1099511628211ULL + 1;
    }
    if (plog_grow(&r->streams, &r->cap_streams, r->nstreams, sizeof *r->streams) != 0)
        return PLOG_NONE;
    struct plog_stream *s = &r->streams[r->nstreams];
    memset(s, 0, sizeof *s);
    s->src = src;
    memcpy(s->host, w.host, w.hlen);
    s->host[w.hlen] = '\0';
    memcpy(s->tag, w.tag, w.tlen);
    s->tag[w.tlen] = '\0';
    s->last_usec = -1;
    if (plog_map_put(&r->stream_map, key, (uint32_t)r->nstreams) != 0)
        return PLOG_NONE;
    return r->last_stream = (uint32_t)r->nstreams++;
}

/*
 * The tag that names the phone behind a host: RFC 3164's "name[pid]", or
 * RFC 5424's APP-NAME with "[PROCID]" when there is one, into buf.
 */
static size_t stream_tag(const char *tag, size_t tlen, const char *procid, size_t plen, char *buf,
                         size_t cap)
{
    if (!tag)
        return 0;
    if (!procid) {
        size_t n = tlen < cap - 1 ? tlen : cap - 1;
        memcpy(buf, tag, n);
        return n;
    }
    int n = snprintf(buf, cap, "%.*s[%.*s]", (int)tlen, tag, (int)plen, procid);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

static void unplaced(struct plog_reader *r, struct plog_ref ref, const char *why, const char *s,
                     size_t n)
{
    r->stats.unparsed_lines++;
    if (r->unplaced)
        r->unplaced(r->unplaced_ctx, ref, why, s, n);
}

/*
 * The first "DLoad:" in s[0..n). memchr for its 'L' runs at memory speed
 * and 'L' is rare inside messages; glibc's memmem costs more per call than
 * a whole short line does.
 */
static const char *find_marker(const char *s, size_t n)
{
    if (n < 6)
        return NULL;
    const char *p = s + 1, *last = s + n - 5; /* where the 'L' can be */
    while (p <= last) {
        const char *l = memchr(p, 'L', (size_t)(last - p) + 1);
        if (!l)
            return NULL;
        if (l[-1] == 'D' && memcmp(l + 1, "oad:", 4) == 0)
            return l - 1;
        p = l + 1;
    }
    return NULL;
}

/* The marker of a clean console line sits at a fixed offset: no search. */
static const char *marker_at_start(const char *s, size_t n)
{
    if (n >= 26 && s[3] == ' ' && memcmp(s + 20, "DLoad:", 6) == 0)
        return s + 20;
    if (n >= 25 && s[2] == ' ' && memcmp(s + 19, "DLoad:", 6) == 0)
        return s + 19;
    return find_marker(s, n);
}

/* Where the record whose marker is at d begins, and its level if any. */
struct rec {
    const char *start, *msg;
    int64_t usec;
    char level[4];
};

static int locate(const char *lo, const char *d, const char *end, struct rec *rc)
{
    if (d - lo < 16)
        return 0;
    const char *t = d - 16;
    rc->usec = pfs_dlog_time(t);
    if (rc->usec < 0)
        return 0;
    rc->start = t;
    rc->level[0] = '\0';
    /* "INF " before the time; a level of 3 letters wins over "NF". */
    if (t - lo >= 3 && t[-1] == ' ')
        for (size_t k = 3; k >= 2; k--)
            if ((size_t)(t - 1 - lo) >= k && pfs_dlog_is_level(t - 1 - k, k)) {
                rc->start = t - 1 - k;
                memcpy(rc->level, rc->start, k);
                rc->level[k] = '\0';
                break;
            }
    const char *m = d + 6;
    if (m < end && *m == ' ')
        m++;
    rc->msg = m;
    return 1;
}

/*
 * The day of a line from its syslog header's date: the one that puts the
 * line's own time closest to the header's (the phone's and the Log
 * Server's clocks may disagree, across midnight too). Days count from the
 * first date of the input; -1 when the header has no date.
 */
static int64_t header_day(struct plog_reader *r, const struct plog_syslog *sl, int64_t usec)
{
    if (!sl || sl->day < 0 || sl->usec < 0)
        return -1;
    /* the first date of the input sets both bases: a year's day count and
     * the day of the year, which RFC 3164's dates (no year) count from */
    if (r->day0_doy < 0)
        r->day0_doy = sl->doy;
    if (sl->year && r->day0_abs < 0)
        r->day0_abs = sl->day - (sl->doy - r->day0_doy);
    int64_t rel = sl->year && r->day0_abs >= 0 ? sl->day - r->day0_abs : sl->doy - r->day0_doy;
    if (!sl->year && rel < -300)
        rel += 365; /* RFC 3164 has no year: December, then January */
    int64_t t_hdr = rel * PLOG_DAY_US + sl->usec;
    int64_t d = t_hdr - usec + PLOG_DAY_US / 2;
    return d >= 0 ? d / PLOG_DAY_US : -1;
}

/* Microseconds since midnight of the first day, from a time of day. */
static int64_t stream_time(struct plog_reader *r, struct plog_stream *s, int64_t usec,
                           const struct plog_syslog *sl)
{
    int64_t hday = header_day(r, sl, usec);
    if (hday >= 0) {
        if (s->last_usec >= 0 && hday * PLOG_DAY_US + usec < s->day * PLOG_DAY_US + s->last_usec)
            r->stats.out_of_order++;
        if (hday > s->day && s->last_usec >= 0)
            r->stats.midnight++;
        s->day = hday;
        s->last_usec = usec;
        return hday * PLOG_DAY_US + usec;
    }
    if (s->last_usec >= 0) {
        int64_t diff = usec - s->last_usec;
        if (diff < -MIDNIGHT_JUMP) {
            s->day++;
            r->stats.midnight++;
        } else if (diff > LATE_JUMP && s->day > 0) {
            r->stats.out_of_order++; /* a straggler from before midnight */
            return (s->day - 1) * PLOG_DAY_US + usec;
        } else if (diff < 0) {
            r->stats.out_of_order++;
        }
    }
    s->last_usec = usec;
    return s->day * PLOG_DAY_US + usec;
}

static void fill(struct plog_event *e, uint32_t stream, int64_t t, struct plog_ref ref,
                 const char *level)
{
    e->stream = stream;
    e->t = t;
    e->ref = ref;
    memcpy(e->level, level, 4);
}

/* The length of a level glued to the end of msg ("...)INF"), or 0. */
static size_t glued_level(const char *msg, size_t n)
{
    for (size_t g = 3; g >= 2; g--)
        if (n > g && pfs_dlog_is_level(msg + n - g, g) && msg[n - g - 1] != ' ' &&
            !isupper((unsigned char)msg[n - g - 1]))
            return g;
    return 0;
}

/*
 * A quick 64-bit hash of a message, 32 bytes at a time in four
 * independent lanes (the multiplications of one lane would wait on each
 * other). Only the memo uses it: a weak spot costs hits, never a result.
 */
static uint64_t memo_hash(const char *s, size_t n)
{
    const uint64_t k1 = 0xff51afd7ed558ccdULL, k2 = 0xc4ceb9fe1a85ec53ULL;
    uint64_t a = 0x9E3779B97F4A7C15ULL ^ n, b = 0xC2B2AE3D27D4EB4FULL, c = k1, d = k2;
    uint64_t w[4];
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        memcpy(w, s + i, 32);
        a = (a ^ w[0]) * k1;
        b = (b ^ w[1]) * k2;
        c = (c ^ w[2]) * k1;
        d = (d ^ w[3]) * k2;
        a ^= a >> 32;
        b ^= b >> 29;
        c ^= c >> 31;
        d ^= d >> 33;
    }
    if (i + 16 <= n) {
        memcpy(w, s + i, 16);
        a = (a ^ w[0]) * k1;
        b = (b ^ w[1]) * k2;
        i += 16;
    }
    if (i + 8 <= n) {
        memcpy(w, s + i, 8);
        c = (c ^ w[0]) * k1;
        i += 8;
    }
    /*
     * The last bytes: the 8 that end the text when there are 8 (read
     * again in part, no matter), since a copy of a variable length into w
     * makes its load wait for the bytes' stores.
     */
    w[0] = 0;
    if (n >= 8)
        memcpy(w, s + n - 8, 8);
    else
        memcpy(w, s + i, n - i);
    d = (d ^ w[0]) * k1;
    uint64_t h = (a ^ (b >> 31) ^ (b << 33) ^ c ^ (d >> 29) ^ (d << 35)) * k2;
    return h ^ (h >> 29);
}

/*
 * pfs_dlog_match, remembering where the fields of each message text lie.
 * The memo is only a cache of a pure function of the text: whoever owns it
 * (the main thread, or the reading thread of a pipeline) gets the same
 * match as without it.
 */
_Static_assert(PLOG_MEMO_TEXT < 256 && PFS_DL_KIND_COUNT < 256, "memo slots keep bytes");
static int memo_fits(const struct plog_memo *memo, size_t n)
{
    return memo && n > 0 && n <= PLOG_MEMO_TEXT;
}

/* memo_match with the text's memo_hash h, when memo_fits. */
static enum pfs_dlog_kind memo_match_h(struct plog_memo *memo, struct pfs_dlog_parser *parser,
                                       const char *msg, size_t n, uint64_t h,
                                       struct pfs_dlog_match *mt)
{
    struct plog_memo *m = &memo[h & (PLOG_MEMO_SLOTS - 1)];
    if (m->len == n && m->hash == h && memcmp(m->text, msg, n) == 0) {
        mt->kind = (enum pfs_dlog_kind)m->kind;
        mt->nfields = m->nfields;
        for (int i = 0; i < m->nfields; i++) {
            mt->off[i] = m->off[i];
            mt->len[i] = m->flen[i];
        }
        return mt->kind;
    }
    enum pfs_dlog_kind k = pfs_dlog_match(parser, msg, n, mt);
    m->hash = h;
    m->len = (uint16_t)n;
    m->kind = (uint8_t)k;
    m->nfields = (uint8_t)mt->nfields;
    for (int i = 0; i < mt->nfields; i++) {
        m->off[i] = (uint8_t)mt->off[i]; /* within the text: n <= PLOG_MEMO_TEXT */
        m->flen[i] = (uint8_t)mt->len[i];
    }
    memcpy(m->text, msg, n);
    return k;
}

static enum pfs_dlog_kind memo_match(struct plog_memo *memo, struct pfs_dlog_parser *parser,
                                     const char *msg, size_t n, struct pfs_dlog_match *mt)
{
    if (!memo_fits(memo, n))
        return pfs_dlog_match(parser, msg, n, mt);
    return memo_match_h(memo, parser, msg, n, memo_hash(msg, n), mt);
}

/* pfs_dlog_parse through the reader's memo. */
static enum pfs_dlog_kind parse(struct plog_reader *r, const char *msg, size_t n,
                                struct pfs_dlog_ev *ev)
{
    struct pfs_dlog_match mt;
    enum pfs_dlog_kind k = memo_match(r->memo, r->parser, msg, n, &mt);
    if (k != PFS_DL_NONE)
        pfs_dlog_fill(r->parser, &mt, msg, ev);
    return k;
}

static enum pfs_dlog_kind parse_msg(struct plog_reader *r, struct plog_stream *s, const char *msg,
                                    size_t n, struct pfs_dlog_ev *ev)
{
    size_t g = glued_level(msg, n);
    if (!g)
        return parse(r, msg, n, ev);
    int strip_first = !isalnum((unsigned char)msg[n - g - 1]);
    enum pfs_dlog_kind k = PFS_DL_NONE;
    if (!strip_first)
        k = parse(r, msg, n, ev);
    if (k != PFS_DL_NONE)
        return k;
    k = parse(r, msg, n - g, ev);
    if (k != PFS_DL_NONE) {
        memcpy(s->carry_level, msg + n - g, g);
        s->carry_level[g] = '\0';
        r->stats.glued++;
        return k;
    }
    return strip_first ? parse(r, msg, n, ev) : PFS_DL_NONE;
}

static void drop_pending(struct plog_reader *r, struct plog_stream *s)
{
    if (!s->pending_len)
        return;
    unplaced(r, s->pending_ref, "DLoad record of no known shape", s->pending, s->pending_len);
    s->pending_len = 0;
}

static void hold_pending(struct plog_reader *r, struct plog_stream *s, const char *msg, size_t n,
                         int64_t t, struct plog_ref ref, const char *level)
{
    /* most streams never hold a record: their buffer comes with the first */
    if (!s->pending)
        s->pending = malloc(PLOG_PENDING_SZ);
    if (!s->pending || n + WRAP_TAIL_MAX + 2 > PLOG_PENDING_SZ) {
        unplaced(r, ref, "DLoad record of no known shape", msg, n);
        return;
    }
    memcpy(s->pending, msg, n);
    s->pending_len = n;
    s->pending_joins = 0;
    s->pending_t = t;
    s->pending_ref = ref;
    memcpy(s->pending_level, level, 4);
}

/*
 * The level and time of a DLoad record in stream si: the level glued to
 * the previous line stands in for a headless record's, the header's time
 * for a record without one.
 */
static int64_t record_time(struct plog_reader *r, struct plog_stream *s, const struct rec *rc,
                           const struct plog_syslog *sl, char *level)
{
    int64_t usec = rc->usec;
    if (rc->level[0]) {
        memcpy(level, rc->level, 4);
        s->carry_level[0] = '\0';
    } else {
        /* Headless: the level, if any, was glued to the previous line. */
        memcpy(level, s->carry_level, 4);
        s->carry_level[0] = '\0';
        r->stats.headless++;
    }
    if (usec < 0)
        usec = sl->usec;
    return stream_time(r, s, usec, sl);
}

/* One DLoad record: parsed, or held for a wrapped tail. */
static int record(struct plog_reader *r, uint32_t si, const struct rec *rc, const char *end,
                  const struct plog_syslog *sl, struct plog_ref ref, struct plog_event *out)
{
    struct plog_stream *s = &r->streams[si];
    char level[4];
    int64_t t = record_time(r, s, rc, sl, level);
    size_t n = (size_t)(end - rc->msg);
    enum pfs_dlog_kind k = parse_msg(r, s, rc->msg, n, &out->ev);
    if (k == PFS_DL_NONE) {
        hold_pending(r, s, rc->msg, n, t, ref, level);
        return 0;
    }
    fill(out, si, t, ref, level);
    return 1;
}

/* A short line with no record of its own may be the tail of a wrapped one. */
static int is_tail(const char *s, size_t n)
{
    if (n == 0 || n > WRAP_TAIL_MAX)
        return 0;
    struct pfs_dlog_prefix p;
    if (pfs_dlog_split(s, n, &p))
        return 0;
    if (n >= 16 && pfs_dlog_time(s) >= 0)
        return 0;
    return 1;
}

static int join_tail(struct plog_reader *r, uint32_t si, const char *tail, size_t n,
                     struct plog_event *out)
{
    struct plog_stream *s = &r->streams[si];
    s->pending[s->pending_len++] = ' ';
    memcpy(s->pending + s->pending_len, tail, n);
    s->pending_len += n;
    s->pending_joins++;
    enum pfs_dlog_kind k = parse_msg(r, s, s->pending, s->pending_len, &out->ev);
    if (k != PFS_DL_NONE) {
        fill(out, si, s->pending_t, s->pending_ref, s->pending_level);
        s->pending_len = 0;
        r->stats.wrapped++;
        return 1;
    }
    if (s->pending_joins >= WRAP_JOINS_MAX || s->pending_len + WRAP_TAIL_MAX + 2 > PLOG_PENDING_SZ)
        drop_pending(r, s);
    return 0;
}

static int looks_syslog(const char *s, size_t n)
{
    if (n < 16)
        return 0;
    if (s[0] == '<')
        return 1;
    /* "Mmm dd hh:mm:ss" or "2024-01-02T..." stored without <PRI> */
    if (isupper((unsigned char)s[0]) && islower((unsigned char)s[1]) &&
        islower((unsigned char)s[2]) && s[3] == ' ')
        return 1;
    return isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[3]) && s[4] == '-';
}

/* A line without a DLoad record: a tail, another component, or junk. */
static int other_line(struct plog_reader *r, uint32_t si, const char *body, size_t n,
                      int had_header, struct plog_ref ref, struct plog_event *out)
{
    struct plog_stream *s = &r->streams[si];
    if (s->pending_len && is_tail(body, n))
        return join_tail(r, si, body, n, out);
    s->carry_level[0] = '\0';
    struct pfs_dlog_prefix p;
    if (had_header || pfs_dlog_split(body, n, &p) || (n >= 16 && pfs_dlog_time(body) >= 0)) {
        /* another component's line; a wrapped DLoad record may still get its tail */
        r->stats.other_lines++;
        return 0;
    }
    drop_pending(r, s);
    unplaced(r, ref, "not a console log line", body, n);
    return 0;
}

/*
 * The first DLoad record of a line: a marker with "LVL HH:MM:SS.uuuuuu "
 * (or the bare time) in front. A Log Server's header carries the time for
 * a record that has none ("host pfsd[7]: DLoad: ..."), but "DLoad:" in the
 * text of another component's line is no record.
 */
static const char *first_record(const char *body, const char *end, const struct plog_syslog *sl,
                                struct rec *rc)
{
    size_t blen = (size_t)(end - body);
    int header_time = -1; /* decided when first needed: most records have a time */
    for (const char *d = marker_at_start(body, blen); d;
         d = find_marker(d + 6, (size_t)(end - d - 6))) {
        if (locate(body, d, end, rc))
            return d;
        if (header_time < 0) {
            struct pfs_dlog_prefix p;
            header_time = sl->usec >= 0 && !pfs_dlog_split(body, blen, &p);
        }
        if (header_time) {
            rc->usec = -1;
            rc->level[0] = '\0';
            rc->start = d;
            rc->msg = d + 6 < end && d[6] == ' ' ? d + 7 : d + 6;
            return d;
        }
    }
    return NULL;
}

/* A line's first DLoad record, and what is around it. */
struct scan {
    size_t len;                 /* without trailing blanks, CR, quotes, NULs */
    struct plog_syslog sl;
    int had_header;
    const char *body, *end;
    const char *d;              /* the record's marker, NULL when none */
    struct rec rc;
    int anon;                   /* the line is a phone's, but no sender is named */
};

/*
 * rsyslog's rendering of a datagram sent without a header: it takes the
 * console level for the host and the hour for the tag,
 * "Dec  1 19:52:29 NOT 19: 52:29.764562 DLoad: ...". The line is a phone's
 * own, but nothing in it says which phone sent it.
 */
static int rsyslog_headless(struct scan *sc)
{
    const struct plog_syslog *sl = &sc->sl;
    const char *b = sc->body;
    if (!sl->host || !pfs_dlog_is_level(sl->host, sl->host_len) || !sl->tag || sl->tag_len != 2 ||
        sc->end - b < 19 || memcmp(b + 13, "DLoad:", 6) != 0)
        return 0;
    char t[16];
    memcpy(t, sl->tag, 2);
    t[2] = ':';
    memcpy(t + 3, b, 13); /* "MM:SS.uuuuuu " */
    int64_t us = pfs_dlog_time(t);
    if (us < 0)
        return 0;
    sc->rc.usec = us;
    memcpy(sc->rc.level, sl->host, sl->host_len);
    sc->rc.level[sl->host_len] = '\0';
    sc->rc.start = sl->host;
    sc->d = b + 13;
    sc->rc.msg = sc->d + 6 < sc->end && sc->d[6] == ' ' ? sc->d + 7 : sc->d + 6;
    sc->anon = 1;
    return 1;
}

static void scan_line(const char *line, size_t len, struct scan *sc)
{
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t' ||
                   line[len - 1] == '"' || line[len - 1] == '\0'))
        len--;
    sc->len = len;
    sc->sl = (struct plog_syslog){NULL, 0, NULL, 0, NULL, 0, -1, -1, 0, -1, -1, 0};
    sc->had_header = 0;
    sc->anon = 0;
    sc->body = line;
    sc->end = line + len;
    if (len && looks_syslog(line, len) && plog_syslog_split(line, len, &sc->sl)) {
        sc->body = line + sc->sl.body;
        sc->had_header = 1;
        if (rsyslog_headless(sc))
            return;
    }
    sc->d = len ? first_record(sc->body, sc->end, &sc->sl, &sc->rc) : NULL;
}

/* Where the record at d ends: at the next glued record (*d2, *next) or the line's end. */
static const char *record_end(const char *d, const char *end, const struct rec *rc,
                              const char **d2, struct rec *next)
{
    *d2 = find_marker(d + 6, (size_t)(end - d - 6));
    while (*d2 && !locate(d + 6, *d2, end, next))
        *d2 = find_marker(*d2 + 6, (size_t)(end - *d2 - 6));
    const char *rend = *d2 ? next->start : end;
    while (rend > rc->msg && (rend[-1] == ' ' || rend[-1] == '\t'))
        rend--;
    return rend;
}

/*
 * A line whose sender is not named (rsyslog_headless): a line that names
 * its own phone goes to that phone's stream; any other line cannot be
 * placed, and guessing its phone would put it on the wrong one.
 */
static int read_anon(struct plog_reader *r, uint32_t src, struct plog_ref ref, const struct scan *sc,
                     struct plog_event *out)
{
    r->stats.dload_lines++;
    const char *msg = sc->rc.msg, *end = sc->end;
    while (end > msg && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t n = (size_t)(end - msg);
    enum pfs_dlog_kind k = parse(r, msg, n, &out->ev);
    if (k == PFS_DL_NONE) {
        unplaced(r, ref, "DLoad record of no known shape", msg, n);
        return 0;
    }
    if (!(pfs_dlog_info(k)->flags & PFS_DLF_SELF)) {
        unplaced(r, ref, "names no phone, and the Log Server wrote it without its sender", msg, n);
        return 0;
    }
    char tag[16];
    snprintf(tag, sizeof tag, "XID%08X", (unsigned)out->ev.xid);
    uint32_t si = find_stream(r, src, (struct who){"", tag, 0, strlen(tag)});
    if (si == PLOG_NONE)
        return 0;
    char level[4];
    int64_t t = record_time(r, &r->streams[si], &sc->rc, &sc->sl, level);
    fill(out, si, t, ref, level);
    return 1;
}

/* A line as it comes, whatever it holds: what plog_read_pre does when the line is not fast. */
static int read_slow(struct plog_reader *r, uint32_t src, uint64_t lineno, const char *line,
                     size_t len, const char *host, struct plog_event *out)
{
    r->stats.lines++;
    r->stats.bytes += len + 1;
    struct scan sc;
    scan_line(line, len, &sc);
    if (sc.len == 0) {
        r->stats.blank_lines++;
        return 0;
    }
    struct plog_ref ref = plog_ref_of(src, lineno);
    r->stats.syslog_lines += (uint64_t)sc.had_header;
    if (sc.anon)
        return read_anon(r, src, ref, &sc, out);
    char tag[PLOG_HOST_SZ];
    struct who w = {sc.sl.host ? sc.sl.host : host ? host : "", tag,
                    sc.sl.host ? sc.sl.host_len : host ? strlen(host) : 0,
                    stream_tag(sc.sl.tag, sc.sl.tag_len, sc.sl.procid, sc.sl.procid_len, tag,
                               sizeof tag)};
    uint32_t si = find_stream(r, src, w);
    if (si == PLOG_NONE)
        return 0;
    if (!sc.d)
        return other_line(r, si, sc.body, (size_t)(sc.end - sc.body), sc.had_header, ref, out);
    drop_pending(r, &r->streams[si]);
    r->stats.dload_lines++;
    int n = 0;
    const char *d = sc.d;
    struct rec rc = sc.rc;
    while (d && n < PLOG_MAX_OUT) {
        const char *d2;
        struct rec next;
        const char *rend = record_end(d, sc.end, &rc, &d2, &next);
        if (d2)
            r->stats.glued++;
        n += record(r, si, &rc, rend, &sc.sl, ref, out + n);
        d = d2;
        rc = next;
    }
    return n;
}


void plog_reader_cut_src(struct plog_reader *r, uint32_t src, uint64_t lineno)
{
    if (plog_grow(&r->cuts, &r->cap_cuts, r->ncuts, sizeof *r->cuts) == 0)
        r->cuts[r->ncuts++] = plog_ref_of(src, lineno);
}

void plog_reader_end_src(struct plog_reader *r, uint32_t src)
{
    for (size_t i = 0; i < r->nstreams; i++)
        if (r->streams[i].src == src)
            drop_pending(r, &r->streams[i]);
}

/* ---- the two halves of a pipeline (pipe.c) ---- */

int plog_prescan_init(struct plog_prescan *p, char *err, size_t errcap)
{
    /* A parser of its own: a match writes into the parser's match data. */
    p->parser = pfs_dlog_parser_new(err, errcap);
    p->memo = calloc(PLOG_MEMO_SLOTS, sizeof *p->memo);
    return p->parser ? 0 : -1;
}

void plog_prescan_free(struct plog_prescan *p)
{
    pfs_dlog_parser_free(p->parser);
    free(p->memo);
    memset(p, 0, sizeof *p);
}

/* Keeps what plog_read_pre needs of a line's one record, but its match. */
static int pre_keep(const char *line, const struct scan *sc, const char *msg, size_t n,
                    struct plog_pre *pre)
{
    size_t host_off = sc->sl.host ? (size_t)(sc->sl.host - line) : 0;
    size_t msg_off = (size_t)(msg - line);
    size_t tag_off = sc->sl.tag ? (size_t)(sc->sl.tag - line) : 0;
    size_t procid_off = sc->sl.procid ? (size_t)(sc->sl.procid - line) : 0;
    if (host_off > UINT8_MAX || sc->sl.host_len > UINT8_MAX || msg_off > UINT16_MAX ||
        tag_off > UINT16_MAX || sc->sl.tag_len > UINT8_MAX || procid_off > UINT16_MAX ||
        sc->sl.procid_len > UINT8_MAX)
        return 0;
    pre->tag_off = (uint16_t)tag_off;
    pre->tag_len = (uint8_t)sc->sl.tag_len;
    pre->procid_off = (uint16_t)procid_off;
    pre->procid_len = (uint8_t)sc->sl.procid_len;
    pre->had_header = (uint8_t)sc->had_header;
    pre->has_host = sc->sl.host != NULL;
    pre->host_off = (uint8_t)host_off;
    pre->host_len = (uint8_t)sc->sl.host_len;
    pre->sl_usec = sc->sl.usec;
    pre->sl_day = sc->sl.day;
    pre->sl_year = sc->sl.year;
    pre->sl_doy = sc->sl.doy;
    pre->usec = sc->rc.usec;
    memcpy(pre->level, sc->rc.level, 4);
    pre->msg_off = (uint16_t)msg_off;
    pre->msg_len = (uint8_t)n;
    return 1;
}

uint64_t plog_prescan_find(struct plog_prescan *p, const char *line, size_t len,
                           struct plog_pre *pre)
{
    pre->fast = 0;
    struct scan sc;
    scan_line(line, len, &sc);
    if (!sc.d || sc.anon)
        return 0; /* blank, no record, no sender: plog_read_line does it */
    const char *d2;
    struct rec next;
    const char *rend = record_end(sc.d, sc.end, &sc.rc, &d2, &next);
    size_t n = (size_t)(rend - sc.rc.msg);
    /* glued records and glued levels change the stream: plog_read_line */
    if (d2 || n == 0 || n > UINT8_MAX || glued_level(sc.rc.msg, n))
        return 0;
    pre->fast = (uint8_t)pre_keep(line, &sc, sc.rc.msg, n, pre);
    if (!pre->fast || !memo_fits(p->memo, n))
        return 0;
    uint64_t h = memo_hash(sc.rc.msg, n);
#ifdef __GNUC__
    /* the slot is needed by plog_prescan_match, some lines later */
    __builtin_prefetch(&p->memo[h & (PLOG_MEMO_SLOTS - 1)]);
#endif
    return h;
}

void plog_prescan_match(struct plog_prescan *p, const char *line, uint64_t hash,
                        struct plog_pre *pre)
{
    if (!pre->fast)
        return;
    const char *msg = line + pre->msg_off;
    struct pfs_dlog_match mt;
    enum pfs_dlog_kind k = memo_fits(p->memo, pre->msg_len)
                               ? memo_match_h(p->memo, p->parser, msg, pre->msg_len, hash, &mt)
                               : pfs_dlog_match(p->parser, msg, pre->msg_len, &mt);
    /* no known shape: may wait for a wrapped tail, plog_read_line */
    pre->fast = k != PFS_DL_NONE;
    pre->kind = (uint8_t)k;
    pre->nfields = (uint8_t)mt.nfields;
    for (int i = 0; i < mt.nfields; i++) {
        pre->foff[i] = (uint8_t)mt.off[i]; /* within the message: its length <= UINT8_MAX */
        pre->flen[i] = (uint8_t)mt.len[i];
    }
}

/*
 * A line the two steps of plog_prescan_* have seen; host names the phone
 * when no header does. A line of one record that parses (fast) needs only
 * what depends on the lines before it: its stream, its time, the event.
 */
static int read_pre(struct plog_reader *r, uint32_t src, uint64_t lineno, const char *line,
                    size_t len, const char *host, const struct plog_pre *pre,
                    struct plog_event *out)
{
    if (!pre->fast)
        return read_slow(r, src, lineno, line, len, host, out);
    r->stats.lines++;
    r->stats.bytes += len + 1;
    r->stats.syslog_lines += pre->had_header;
    struct plog_ref ref = plog_ref_of(src, lineno);
    const char *hname = pre->has_host ? line + pre->host_off : host ? host : "";
    char tag[PLOG_HOST_SZ];
    struct who w = {hname, tag, pre->has_host ? pre->host_len : host ? strlen(host) : 0,
                    stream_tag(pre->tag_len ? line + pre->tag_off : NULL, pre->tag_len,
                               pre->procid_len ? line + pre->procid_off : NULL, pre->procid_len,
                               tag, sizeof tag)};
    uint32_t si = find_stream(r, src, w);
    if (si == PLOG_NONE)
        return 0;
    struct plog_stream *s = &r->streams[si];
    drop_pending(r, s);
    r->stats.dload_lines++;
    struct plog_syslog sl = {hname, w.hlen, NULL, 0, NULL, 0,
                             pre->sl_usec, pre->sl_day, pre->sl_year, pre->sl_doy, -1, 0};
    struct rec rc = {NULL, NULL, pre->usec, {0}};
    memcpy(rc.level, pre->level, 4);
    char level[4];
    int64_t t = record_time(r, s, &rc, &sl, level);
    /* not cleared as a whole: gcc would make it a slow "rep stos" */
    struct pfs_dlog_match mt;
    mt.kind = (enum pfs_dlog_kind)pre->kind;
    mt.nfields = pre->nfields;
    for (int i = 0; i < pre->nfields; i++) {
        mt.off[i] = pre->foff[i];
        mt.len[i] = pre->flen[i];
    }
    pfs_dlog_fill(r->parser, &mt, line + pre->msg_off, &out->ev);
    fill(out, si, t, ref, level);
    return 1;
}

int plog_read_pre(struct plog_reader *r, uint32_t src, uint64_t lineno, const char *line,
                  size_t len, const struct plog_pre *pre, struct plog_event *out)
{
    return read_pre(r, src, lineno, line, len, NULL, pre, out);
}

int plog_read_line(struct plog_reader *r, uint32_t src, uint64_t lineno, const char *line,
                   size_t len, const char *host, struct plog_event *out)
{
    /* the same two steps a pipeline takes, with the reader's own parser and memo */
    struct plog_prescan ps = {r->parser, r->memo};
    struct plog_pre pre;
    uint64_t h = plog_prescan_find(&ps, line, len, &pre);
    plog_prescan_match(&ps, line, h, &pre);
    return read_pre(r, src, lineno, line, len, host, &pre, out);
}
