/*
 * dlog.c - the DLoad log grammar: one template per event kind, a writer
 * that expands it and a reader whose patterns are derived from it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "dlog.h"

#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The grammar. Seed shapes first, exactly as the phones print them. After
 * the template, what a line of the kind means (see enum pfs_dlog_scope):
 * which hierarchy it is about, and whether {xid} is the log's own phone,
 * the line repeats, ties the phone's election to the hierarchy, or has
 * the phone enter it.
 */
static const struct pfs_dlog_kind_info kinds[PFS_DL_KIND_COUNT] = {
    {PFS_DL_NONE, "none", PFS_LVL_DBG, "",
     PFS_SC_PHONE, 0},
    {PFS_DL_LISTEN, "listen", PFS_LVL_DBG, "+++ fd={fd} Listening on peer TCP port {port}",
     PFS_SC_PHONE, PFS_DLF_REPEAT},
    {PFS_DL_TRACE, "trace", PFS_LVL_NOT, "^.{trace}",
     PFS_SC_PHONE, PFS_DLF_REPEAT},
    {PFS_DL_STATE, "state", PFS_LVL_NOT, "|parent={parent}><fd[0]={fd0} fd[1]={fd1} FULL={full}",
     PFS_SC_PHONE, 0},
    {PFS_DL_CLAIM, "claim", PFS_LVL_INF,
     "XID{xid} TxBdcst ClaimRoot({state}): map={map} strength={strength}",
     PFS_SC_NEARBY, PFS_DLF_SELF},
    {PFS_DL_TIMEOUT, "timeout", PFS_LVL_DBG, "Timeout XID{xid} hier={hier}",
     PFS_SC_NEARBY, PFS_DLF_SELF | PFS_DLF_REPEAT},
    {PFS_DL_AD, "ad", PFS_LVL_INF, "XID{xid} TxBdcst Ad {n}: {hier}",
     PFS_SC_NEARBY, PFS_DLF_SELF | PFS_DLF_REPEAT},
    {PFS_DL_CONFIRMED, "confirmed", PFS_LVL_NOT, "UT:Confirmed root bumping strength",
     PFS_SC_NEARBY, 0},
    {PFS_DL_HROOT, "hroot", PFS_LVL_NOT, "@@@HROOT:XID{xid} H={h} m={model} ROOT={ip} {file}",
     PFS_SC_NAMED, PFS_DLF_SELF | PFS_DLF_BINDS},
    {PFS_DL_ROOT_TFTP, "root_tftp", PFS_LVL_INF,
     "XID{xid} Root sending TFTP XfrCmd on ROOT_WAITING TO",
     PFS_SC_NEARBY, PFS_DLF_SELF},

    {PFS_DL_START, "start", PFS_LVL_NOT, "+++ XID{xid} m={model} IP={ip} load={file}",
     PFS_SC_PHONE, PFS_DLF_SELF},
    {PFS_DL_HIER, "hier", PFS_LVL_NOT, "@@@HIER:XID{xid} H={h} m={model} {file}",
     PFS_SC_NAMED, PFS_DLF_SELF | PFS_DLF_BINDS | PFS_DLF_ENTERS},
    {PFS_DL_RX_CLAIM, "rx_claim", PFS_LVL_DBG,
     "XID{xid} RxBdcst ClaimRoot({state}) XID{peer} {pip} strength={strength}",
     PFS_SC_NEARBY, PFS_DLF_SELF | PFS_DLF_REPEAT},
    {PFS_DL_YIELD, "yield", PFS_LVL_INF, "XID{xid} Yield to XID{peer} {pip} strength={strength}",
     PFS_SC_NEARBY, PFS_DLF_SELF},
    {PFS_DL_PARENT, "parent", PFS_LVL_INF,
     "XID{xid} Choose parent XID{peer} {pip} depth={depth} try={tries}",
     PFS_SC_NEARBY, PFS_DLF_SELF},
    {PFS_DL_JOINED, "joined", PFS_LVL_NOT,
     "@@@HCHILD:XID{xid} H={h} PARENT=XID{peer} {pip} index={index} depth={depth}",
     PFS_SC_BY_H, PFS_DLF_SELF | PFS_DLF_BINDS},
    {PFS_DL_REFUSED, "refused", PFS_LVL_WRN, "XID{xid} Join refused by XID{peer} {pip}: {reason}",
     PFS_SC_NEARBY, PFS_DLF_SELF},
    {PFS_DL_CHILD_ADD, "child_add", PFS_LVL_INF,
     "XID{xid} Child {index} attached XID{peer} {pip} H={h}",
     PFS_SC_BY_H, PFS_DLF_SELF},
    {PFS_DL_CHILD_NO, "child_refused", PFS_LVL_WRN, "XID{xid} Refuse XID{peer} {pip} H={h}: {reason}",
     PFS_SC_BY_H, PFS_DLF_SELF},
    {PFS_DL_CHILD_LOST, "child_lost", PFS_LVL_WRN,
     "XID{xid} Child {index} XID{peer} {pip} lost H={h}: {reason}",
     PFS_SC_BY_H, PFS_DLF_SELF},
    {PFS_DL_PARENT_LOST, "parent_lost", PFS_LVL_WRN,
     "XID{xid} Parent XID{peer} {pip} lost H={h}: {reason}",
     PFS_SC_BY_H, PFS_DLF_SELF},
    {PFS_DL_XFR_TX, "xfr_tx", PFS_LVL_INF,
     "XID{xid} TxXfrCmd XID{peer} {pip} {file} size={total} src={src}",
     PFS_SC_BY_FILE, PFS_DLF_SELF},
    {PFS_DL_XFR_RX, "xfr_rx", PFS_LVL_INF,
     "XID{xid} RxXfrCmd XID{peer} {pip} {file} size={total} src={src}",
     PFS_SC_BY_FILE, PFS_DLF_SELF | PFS_DLF_BINDS},
    {PFS_DL_PROGRESS, "progress", PFS_LVL_DBG, "XID{xid} Xfr {file} {bytes}/{total}",
     PFS_SC_BY_FILE, PFS_DLF_SELF | PFS_DLF_REPEAT},
    {PFS_DL_RX_DONE, "rx_done", PFS_LVL_INF,
     "XID{xid} Rx done {file} from XID{peer} {pip} bytes={bytes} secs={secs} rate={rate}KB/s",
     PFS_SC_BY_FILE, PFS_DLF_SELF | PFS_DLF_BINDS},
    {PFS_DL_TX_DONE, "tx_done", PFS_LVL_INF,
     "XID{xid} Tx done {file} to XID{peer} {pip} bytes={bytes} secs={secs} rate={rate}KB/s "
     "verdict={reason}",
     PFS_SC_BY_FILE, PFS_DLF_SELF},
    {PFS_DL_TFTP_RRQ, "tftp_rrq", PFS_LVL_INF, "XID{xid} TFTP RRQ {file} from {pip}:{port}",
     PFS_SC_BY_FILE, PFS_DLF_SELF | PFS_DLF_BINDS},
    {PFS_DL_TFTP_DONE, "tftp_done", PFS_LVL_INF,
     "XID{xid} TFTP done {file} bytes={bytes} secs={secs} rate={rate}KB/s",
     PFS_SC_BY_FILE, PFS_DLF_SELF | PFS_DLF_BINDS},
    {PFS_DL_TFTP_FAIL, "tftp_fail", PFS_LVL_ERR, "XID{xid} TFTP failed {file}: {reason}",
     PFS_SC_BY_FILE, PFS_DLF_SELF},
    {PFS_DL_HASH_OK, "hash_ok", PFS_LVL_INF, "XID{xid} Hash OK {file} sha256={sha}",
     PFS_SC_BY_FILE, PFS_DLF_SELF},
    {PFS_DL_HASH_BAD, "hash_bad", PFS_LVL_ERR, "XID{xid} Hash FAIL {file} sha256={sha}",
     PFS_SC_BY_FILE, PFS_DLF_SELF},
    {PFS_DL_FALLBACK, "fallback", PFS_LVL_WRN, "XID{xid} Fallback to TFTP {file}: {reason}",
     PFS_SC_BY_FILE, PFS_DLF_SELF | PFS_DLF_BINDS},
    {PFS_DL_FILE_DONE, "file_done", PFS_LVL_NOT,
     "@@@HDONE:XID{xid} H={h} {file} src={src} secs={secs}",
     PFS_SC_BY_H_FILE, PFS_DLF_SELF | PFS_DLF_BINDS},
    {PFS_DL_LEAVE, "leave", PFS_LVL_INF, "XID{xid} Leave H={h}: {reason}",
     PFS_SC_BY_H, PFS_DLF_SELF},
    {PFS_DL_DROP, "drop", PFS_LVL_WRN,
     "XID{xid} Dropped {n} malformed datagrams, last from {pip}: {reason}",
     PFS_SC_PHONE, PFS_DLF_SELF | PFS_DLF_REPEAT},
    {PFS_DL_NOFD, "nofd", PFS_LVL_WRN,
     "XID{xid} Accept on peer TCP port {port} failed: {reason}, shed {n} connections, "
     "listener paused",
     PFS_SC_PHONE, PFS_DLF_SELF | PFS_DLF_REPEAT},
    {PFS_DL_STORM, "storm", PFS_LVL_WRN,
     "XID{xid} Storm of {n} datagrams dropped in {secs}s, first from {pip}: {reason}",
     PFS_SC_PHONE, PFS_DLF_SELF},
    {PFS_DL_REJECT, "reject", PFS_LVL_ERR,
     "XID{xid} Reject {file} from XID{peer} {pip}: {reason} size={bytes} want={total}",
     PFS_SC_BY_FILE, PFS_DLF_SELF},
};

/* How a {field} is written and read. */
enum ftype { F_HEXU, F_HEXL, F_LONG, F_U64, F_SECS, F_RATE, F_IP, F_STR };

struct field {
    const char *name;
    enum ftype type;
    size_t off;
    size_t size; /* string fields: buffer size */
};

#define FLD(n, t) {#n, t, offsetof(struct pfs_dlog_ev, n), sizeof(((struct pfs_dlog_ev *)0)->n)}
static const struct field fields[] = {
    FLD(xid, F_HEXU),     FLD(peer, F_HEXU),   FLD(h, F_HEXU),      FLD(map, F_HEXL),
    FLD(strength, F_HEXL), FLD(ip, F_IP),      FLD(pip, F_IP),      FLD(n, F_LONG),
    FLD(index, F_LONG),   FLD(depth, F_LONG),  FLD(tries, F_LONG),  FLD(fd, F_LONG),
    FLD(fd0, F_LONG),     FLD(fd1, F_LONG),    FLD(parent, F_LONG), FLD(full, F_LONG),
    FLD(port, F_LONG),    FLD(bytes, F_U64),   FLD(total, F_U64),   FLD(secs, F_SECS),
    FLD(rate, F_RATE),    FLD(model, F_STR),   FLD(file, F_STR),    FLD(hier, F_STR),
    FLD(state, F_STR),    FLD(reason, F_STR),  FLD(src, F_STR),     FLD(trace, F_STR),
    FLD(sha, F_STR),
};
#define NFIELDS (sizeof fields / sizeof fields[0])
#define MAX_GROUPS PFS_DL_MAX_FIELDS

static const char *level_names[] = {"DBG", "NOT", "INF", "WRN", "ERR"};

/* The words of enum pfs_dlog_word, as written; "OK" is read as "ok" too. */
static const char *const word_names[] = {
    [PFS_W_OTHER] = "", [PFS_W_TENT] = "tent", [PFS_W_CONF] = "conf", [PFS_W_OK] = "ok",
    [PFS_W_TFTP] = "tftp", [PFS_W_PEER] = "peer", [PFS_W_FULL] = "FULL",
};

enum pfs_dlog_word pfs_dlog_word(const char *s)
{
    if (!s[0])
        return PFS_W_OTHER;
    for (size_t w = PFS_W_OTHER + 1; w < sizeof word_names / sizeof word_names[0]; w++)
        if (strcmp(s, word_names[w]) == 0)
            return (enum pfs_dlog_word)w;
    return strcmp(s, "OK") == 0 ? PFS_W_OK : PFS_W_OTHER;
}

const char *pfs_dlog_word_name(enum pfs_dlog_word w)
{
    if ((unsigned)w >= sizeof word_names / sizeof word_names[0])
        return "";
    return word_names[w];
}

const struct pfs_dlog_kind_info *pfs_dlog_info(enum pfs_dlog_kind kind)
{
    if ((int)kind <= PFS_DL_NONE || kind >= PFS_DL_KIND_COUNT)
        return NULL;
    return &kinds[kind];
}

const char *pfs_dlog_level_name(enum pfs_dlog_level lvl)
{
    if ((unsigned)lvl >= sizeof level_names / sizeof level_names[0])
        return "???";
    return level_names[lvl];
}

/* Finds the field named by the placeholder at t (just after '{'). */
static const struct field *field_at(const char *t, size_t *name_len)
{
    const char *end = strchr(t, '}');
    if (!end)
        return NULL;
    *name_len = (size_t)(end - t);
    for (size_t i = 0; i < NFIELDS; i++)
        if (strlen(fields[i].name) == *name_len && memcmp(fields[i].name, t, *name_len) == 0)
            return &fields[i];
    return NULL;
}

/* An output buffer with snprintf semantics: len counts what would be written. */
struct out {
    char *p;
    size_t cap;
    size_t len;
};

static void out_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_printf(struct out *o, const char *fmt, ...)
{
    char tmp[PFS_DL_FILE_SZ + 32];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    for (int i = 0; i < n && (size_t)i < sizeof tmp - 1; i++) {
        if (o->len + 1 < o->cap)
            o->p[o->len] = tmp[i];
        o->len++;
    }
}

/*
 * The character that ends a word field: the template's next literal, unless
 * that is a blank (white space ends every word anyway). The writer turns it
 * into '_' inside the word and the reader's class excludes it, so a word
 * like "te)nt" in "ClaimRoot({state}):" still reads back.
 */
static char word_stop(char next)
{
    return next && next != ' ' ? next : '\0';
}

/*
 * Seconds and rates as the reader's pattern takes them: no sign, not NaN
 * or infinite, at most 15 integer digits. A clock step must not make a line that
 * no reader can parse.
 */
static double clamp_decimal(double v)
{
    if (!(v > 0.0))
        return 0.0; /* also -0.0, which "%.3f" would print with a sign */
    return v > 999999999999999.0 ? 999999999999999.0 : v;
}

static void out_field(struct out *o, const struct field *f, const struct pfs_dlog_ev *ev,
                      char next)
{
    const char *base = (const char *)ev + f->off;
    switch (f->type) {
    case F_HEXU: out_printf(o, "%08" PRIX32, *(const uint32_t *)(const void *)base); break;
    case F_HEXL: out_printf(o, "%08" PRIx32, *(const uint32_t *)(const void *)base); break;
    case F_LONG: out_printf(o, "%ld", *(const long *)(const void *)base); break;
    case F_U64: out_printf(o, "%" PRIu64, *(const uint64_t *)(const void *)base); break;
    case F_SECS: out_printf(o, "%.3f", clamp_decimal(*(const double *)(const void *)base)); break;
    case F_RATE: out_printf(o, "%.1f", clamp_decimal(*(const double *)(const void *)base)); break;
    case F_IP: {
        uint32_t a = *(const uint32_t *)(const void *)base;
        out_printf(o, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255u, (a >> 8) & 255u, a & 255u);
        break;
    }
    case F_STR: {
        char word[PFS_DL_FILE_SZ];
        char stop = word_stop(next);
        size_t i = 0;
        for (; i < f->size - 1 && i < sizeof word - 1 && base[i]; i++)
            word[i] = isspace((unsigned char)base[i]) || base[i] == stop ? '_' : base[i];
        word[i] = '\0';
        out_printf(o, "%s", i ? word : "-"); /* an empty word would not parse back */
        break;
    }
    }
}

int pfs_dlog_format(char *out, size_t cap, const struct pfs_dlog_ev *ev)
{
    const struct pfs_dlog_kind_info *k = pfs_dlog_info(ev->kind);
    if (!k)
        return -1;
    struct out o = {out, cap, 0};
    for (const char *t = k->tmpl; *t; t++) {
        size_t nlen;
        const struct field *f = *t == '{' ? field_at(t + 1, &nlen) : NULL;
        if (f) {
            out_field(&o, f, ev, t[nlen + 2]);
            t += nlen + 1;
        } else {
            if (o.len + 1 < o.cap)
                o.p[o.len] = *t;
            o.len++;
        }
    }
    if (cap)
        out[o.len < cap ? o.len : cap - 1] = '\0';
    return (int)o.len;
}

int pfs_dlog_line(char *out, size_t cap, int64_t usec_of_day, const struct pfs_dlog_ev *ev)
{
    const struct pfs_dlog_kind_info *k = pfs_dlog_info(ev->kind);
    if (!k)
        return -1;
    const int64_t day = 86400LL * 1000000LL;
    int64_t u = ((usec_of_day % day) + day) % day;
    int n = snprintf(out, cap, "%s %02d:%02d:%02d.%06d DLoad: ", level_names[k->level],
                     (int)(u / 3600000000LL), (int)(u / 60000000LL % 60),
                     (int)(u / 1000000LL % 60), (int)(u % 1000000LL));
    if (n < 0)
        return -1;
    size_t used = (size_t)n < cap ? (size_t)n : (cap ? cap - 1 : 0);
    int m = pfs_dlog_format(out + used, cap - used, ev);
    return m < 0 ? -1 : n + m;
}

int pfs_dlog_split(const char *line, size_t len, struct pfs_dlog_prefix *p)
{
    /* "LVL " or "NF " (a clipped INF), then "HH:MM:SS.uuuuuu " */
    size_t lv = 0;
    while (lv < 3 && lv < len && isupper((unsigned char)line[lv]))
        lv++;
    if (lv < 2 || lv >= len || line[lv] != ' ')
        return 0;
    const char *t = line + lv + 1;
    size_t rest = len - lv - 1;
    int64_t usec = rest >= 16 ? pfs_dlog_time(t) : -1;
    if (usec < 0)
        return 0;
    const char *c = t + 16, *end = line + len;
    const char *ce = c;
    while (ce < end && (isalnum((unsigned char)*ce) || *ce == '_' || *ce == '.' || *ce == '-'))
        ce++;
    if (ce == c || ce >= end || *ce != ':')
        return 0;
    memcpy(p->level, line, lv);
    p->level[lv] = '\0';
    p->usec = usec;
    p->comp = c;
    p->comp_len = (size_t)(ce - c);
    p->msg = ce + 1 < end && ce[1] == ' ' ? ce + 2 : ce + 1;
    p->msg_len = (size_t)(end - p->msg);
    return 1;
}

/* ---- the reader ---- */

struct kind_re {
    pcre2_code *code;
    char *pattern;
    char lit[40];       /* the literal the message has at lit_at, checked before the regex */
    size_t lit_len, lit_at;
    const struct field *group[MAX_GROUPS]; /* field captured by group i+1 */
    int ngroups;
};

#define BUCKET_MAX 12
struct bucket {
    enum pfs_dlog_kind kind[BUCKET_MAX];
    int n;
};

struct pfs_dlog_parser {
    struct kind_re re[PFS_DL_KIND_COUNT];
    /* Dispatch: by the first byte, or for "XID........ " lines by the byte after. */
    struct bucket first[256];
    struct bucket after_xid[256];
    pcre2_match_data *md;
    int jit;
};

static const char *group_re(enum ftype t)
{
    switch (t) {
    case F_HEXU:
    case F_HEXL: return "([0-9A-Fa-f]{1,8})";
    case F_LONG: return "(-?[0-9]{1,19})"; /* every long "%ld" prints */
    case F_U64: return "([0-9]{1,20})";
    case F_SECS:
    case F_RATE: return "([0-9]{1,15}(?:\\.[0-9]{1,9})?)";
    case F_IP: return "([0-9]{1,3}(?:\\.[0-9]{1,3}){3})";
    case F_STR: break;
    }
    return NULL;
}

/* Builds "^literal(group)literal...[ \t]*$" from a template. */
static char *derive_pattern(const char *tmpl, struct kind_re *kr)
{
    size_t cap = strlen(tmpl) * 4 + 256, len = 0;
    char *pat = malloc(cap);
    if (!pat)
        return NULL;
#define PUT(s) do { size_t l_ = strlen(s); if (len + l_ + 1 > cap) goto overflow; \
                    memcpy(pat + len, s, l_); len += l_; } while (0)
    PUT("^");
    for (const char *t = tmpl; *t; t++) {
        size_t nlen;
        const struct field *f = *t == '{' ? field_at(t + 1, &nlen) : NULL;
        if (f) {
            if (kr->ngroups == MAX_GROUPS)
                goto overflow;
            kr->group[kr->ngroups++] = f;
            const char *g = group_re(f->type);
            char strg[32];
            if (!g) {
                /* A word stops at white space and at the literal after it. In a
                 * class a backslash quotes punctuation, but before a letter it
                 * would make an escape (\d), so letters go in bare. */
                char stop = word_stop(t[nlen + 2]);
                if (stop && isalnum((unsigned char)stop))
                    snprintf(strg, sizeof strg, "([^\\s%c]+)", stop);
                else if (stop)
                    snprintf(strg, sizeof strg, "([^\\s\\%c]+)", stop);
                else
                    snprintf(strg, sizeof strg, "(\\S+)");
                g = strg;
            }
            PUT(g);
            t += nlen + 1;
        } else {
            char lit[3] = {0};
            if (strchr("\\^$.|?*+()[]{}", *t)) {
                lit[0] = '\\';
                lit[1] = *t;
            } else {
                lit[0] = *t;
            }
            PUT(lit);
        }
    }
    PUT("[ \\t]*$");
#undef PUT
    pat[len] = '\0';
    return pat;
overflow:
    free(pat);
    return NULL;
}

static void bucket_add(struct bucket *b, enum pfs_dlog_kind k)
{
    if (b->n < BUCKET_MAX)
        b->kind[b->n++] = k;
}

struct pfs_dlog_parser *pfs_dlog_parser_new(char *err, size_t errcap)
{
    struct pfs_dlog_parser *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    uint32_t jit_ok = 0;
    if (pcre2_config(PCRE2_CONFIG_JIT, &jit_ok) < 0)
        jit_ok = 0;
    p->jit = jit_ok != 0;
    for (int k = PFS_DL_NONE + 1; k < PFS_DL_KIND_COUNT; k++) {
        struct kind_re *kr = &p->re[k];
        kr->pattern = derive_pattern(kinds[k].tmpl, kr);
        if (!kr->pattern) {
            snprintf(err, errcap, "dlog: template of '%s' too long", kinds[k].name);
            goto fail;
        }
        int ec;
        PCRE2_SIZE eo;
        kr->code = pcre2_compile((PCRE2_SPTR)kr->pattern, PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
        if (!kr->code) {
            char msg[120];
            pcre2_get_error_message(ec, (PCRE2_UCHAR *)msg, sizeof msg);
            snprintf(err, errcap, "dlog: pattern of '%s' at %zu: %s", kinds[k].name, (size_t)eo, msg);
            goto fail;
        }
        /* JIT is an optimisation: the interpreter gives the same answers. */
        if (p->jit && pcre2_jit_compile(kr->code, PCRE2_JIT_COMPLETE) != 0)
            p->jit = 0;
        const char *t = kinds[k].tmpl;
        size_t at = strncmp(t, "XID{xid} ", 9) == 0 ? 9 : 0;
        size_t l = strcspn(t + at, "{");
        if (l >= sizeof kr->lit)
            l = sizeof kr->lit - 1;
        memcpy(kr->lit, t + at, l);
        kr->lit_len = l;
        kr->lit_at = at ? 12 : 0; /* "XID" + 8 hex digits + blank */
        if (strncmp(t, "XID{xid} ", 9) == 0)
            bucket_add(&p->after_xid[(unsigned char)t[9]], (enum pfs_dlog_kind)k);
        else
            bucket_add(&p->first[(unsigned char)t[0]], (enum pfs_dlog_kind)k);
    }
    p->md = pcre2_match_data_create(MAX_GROUPS + 1, NULL);
    if (!p->md) {
        snprintf(err, errcap, "out of memory");
        goto fail;
    }
    return p;
fail:
    pfs_dlog_parser_free(p);
    return NULL;
}

void pfs_dlog_parser_free(struct pfs_dlog_parser *p)
{
    if (!p)
        return;
    for (int k = 0; k < PFS_DL_KIND_COUNT; k++) {
        pcre2_code_free(p->re[k].code);
        free(p->re[k].pattern);
    }
    pcre2_match_data_free(p->md);
    free(p);
}

const char *pfs_dlog_pattern(const struct pfs_dlog_parser *p, enum pfs_dlog_kind kind)
{
    if ((int)kind <= PFS_DL_NONE || kind >= PFS_DL_KIND_COUNT)
        return NULL;
    return p->re[kind].pattern;
}

static int is_xid_lead(const char *s, size_t len)
{
    if (len < 13 || memcmp(s, "XID", 3) != 0 || s[11] != ' ')
        return 0;
    for (int i = 3; i < 11; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/*
 * Field converters. The pattern has already checked the characters, so
 * these only add up digits; they saturate as strtoull/strtol do, and a
 * decimal is one correctly rounded division, as strtod gives.
 */
static uint64_t dec(const char *s, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return UINT64_MAX;
        v = v * 10 + d;
    }
    return v;
}

static long dec_long(const char *s, size_t n)
{
    int neg = n > 0 && s[0] == '-';
    uint64_t u = dec(s + neg, n - (size_t)neg);
    if (!neg)
        return u > (uint64_t)LONG_MAX ? LONG_MAX : (long)u;
    return u > (uint64_t)LONG_MAX ? LONG_MIN : -(long)u;
}

static uint32_t hexv(const char *s, size_t n)
{
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        /* '0'-'9' are 0x30-0x39, 'A'-'F' and 'a'-'f' 0x41-0x46 and 0x61-0x66:
         * without a branch, which digits and letters mixed would mispredict */
        unsigned c = (unsigned char)s[i];
        v = v << 4 | ((c & 0xFu) + 9u * (c >> 6));
    }
    return v;
}

static double decf(const char *s, size_t n)
{
    const char *dot = memchr(s, '.', n);
    size_t ni = dot ? (size_t)(dot - s) : n, nf = dot ? n - ni - 1 : 0;
    if (ni + nf > 15) { /* beyond exact doubles: the library does it */
        char tmp[40];
        size_t c = n < sizeof tmp - 1 ? n : sizeof tmp - 1;
        memcpy(tmp, s, c);
        tmp[c] = '\0';
        return strtod(tmp, NULL);
    }
    uint64_t v = dec(s, ni), scale = 1;
    for (size_t i = 0; i < nf; i++) {
        v = v * 10 + (uint64_t)(dot[1 + i] - '0');
        scale *= 10;
    }
    return (double)v / (double)scale;
}

static uint32_t ipv4(const char *s, size_t n)
{
    uint32_t a = 0, o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            a = a << 8 | (o & 255u);
            o = 0;
        } else {
            o = o * 10 + (uint32_t)(s[i] - '0');
        }
    }
    return a << 8 | (o & 255u);
}

/* Stores one captured group into its field. */
static void store(struct pfs_dlog_ev *ev, const struct field *f, const char *s, size_t n)
{
    char *base = (char *)ev + f->off;
    switch (f->type) {
    case F_HEXU:
    case F_HEXL: *(uint32_t *)(void *)base = hexv(s, n); break;
    case F_LONG: *(long *)(void *)base = dec_long(s, n); break;
    case F_U64: *(uint64_t *)(void *)base = dec(s, n); break;
    case F_SECS:
    case F_RATE: *(double *)(void *)base = decf(s, n); break;
    case F_IP: *(uint32_t *)(void *)base = ipv4(s, n); break;
    case F_STR: {
        size_t k = n < f->size - 1 ? n : f->size - 1;
        if (n == 1 && s[0] == '-')
            k = 0; /* the writer's mark for an empty word */
        memcpy(base, s, k);
        base[k] = '\0';
        break;
    }
    }
}

/*
 * Clears an event for a new kind: the numbers, and each string made empty.
 * Cheaper than zeroing the whole event (most of it is string buffers), and
 * nothing reads a string past its NUL.
 */
static void clear_event(struct pfs_dlog_ev *ev)
{
    /* Field by field: gcc makes a memset of this size a "rep stos", whose
     * start-up alone costs more than these stores. */
    ev->xid = ev->peer = ev->h = ev->map = ev->strength = ev->ip = ev->pip = 0;
    ev->n = ev->index = ev->depth = ev->tries = ev->fd = ev->fd0 = ev->fd1 = 0;
    ev->parent = ev->full = ev->port = 0;
    ev->bytes = ev->total = 0;
    ev->secs = ev->rate = 0.0;
    ev->model[0] = ev->file[0] = ev->hier[0] = ev->state[0] = '\0';
    ev->reason[0] = ev->src[0] = ev->trace[0] = ev->sha[0] = '\0';
}

static int try_kind(struct pfs_dlog_parser *p, enum pfs_dlog_kind k, const char *msg,
                    size_t len, struct pfs_dlog_match *m)
{
    struct kind_re *kr = &p->re[k];
    /* The kind's fixed text first: most kinds fail here, without the regex. */
    if (len < kr->lit_at + kr->lit_len || memcmp(msg + kr->lit_at, kr->lit, kr->lit_len) != 0)
        return 0;
    int rc = p->jit ? pcre2_jit_match(kr->code, (PCRE2_SPTR)msg, len, 0, 0, p->md, NULL)
                    : pcre2_match(kr->code, (PCRE2_SPTR)msg, len, 0, 0, p->md, NULL);
    if (rc <= 0)
        return 0;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);
    m->kind = k;
    m->nfields = 0;
    for (int g = 0; g < kr->ngroups && g + 1 < rc; g++) {
        m->off[g] = ov[2 * (g + 1)];
        m->len[g] = ov[2 * (g + 1) + 1] - ov[2 * (g + 1)];
        m->nfields = g + 1;
    }
    return 1;
}

enum pfs_dlog_kind pfs_dlog_match(struct pfs_dlog_parser *p, const char *msg, size_t len,
                                  struct pfs_dlog_match *m)
{
    m->kind = PFS_DL_NONE;
    m->nfields = 0;
    if (len == 0)
        return PFS_DL_NONE;
    const struct bucket *b = is_xid_lead(msg, len) ? &p->after_xid[(unsigned char)msg[12]]
                                                   : &p->first[(unsigned char)msg[0]];
    for (int i = 0; i < b->n; i++)
        if (try_kind(p, b->kind[i], msg, len, m))
            return b->kind[i];
    return PFS_DL_NONE;
}

void pfs_dlog_fill(const struct pfs_dlog_parser *p, const struct pfs_dlog_match *m,
                   const char *msg, struct pfs_dlog_ev *ev)
{
    clear_event(ev);
    ev->kind = m->kind;
    if ((int)m->kind <= PFS_DL_NONE || m->kind >= PFS_DL_KIND_COUNT)
        return;
    const struct kind_re *kr = &p->re[m->kind];
    for (int g = 0; g < m->nfields && g < kr->ngroups; g++)
        store(ev, kr->group[g], msg + m->off[g], m->len[g]);
}

enum pfs_dlog_kind pfs_dlog_parse(struct pfs_dlog_parser *p, const char *msg, size_t len,
                                  struct pfs_dlog_ev *ev)
{
    struct pfs_dlog_match m;
    if (pfs_dlog_match(p, msg, len, &m) != PFS_DL_NONE)
        pfs_dlog_fill(p, &m, msg, ev);
    return m.kind;
}
