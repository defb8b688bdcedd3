/*
 * summary.c - what the reports (text, JSON, DOT, timeline) share: which
 * hierarchies and diagnostics a filter selects, the verdict, times and
 * JSON strings. Kept apart so that no report depends on another.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "report.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void plog_fmt_time(char *buf, size_t cap, int64_t t)
{
    int64_t day = t / PLOG_DAY_US, u = t % PLOG_DAY_US;
    if (u < 0) {
        u += PLOG_DAY_US;
        day--;
    }
    char d[24] = "";
    if (day)
        snprintf(d, sizeof d, "+%lldd ", (long long)day);
    snprintf(buf, cap, "%s%02d:%02d:%02d.%06d", d, (int)(u / 3600000000LL),
             (int)(u / 60000000LL % 60), (int)(u / 1000000LL % 60), (int)(u % 1000000LL));
}

/* Civil date of a day count since 1970-01-01 (Howard Hinnant's algorithm). */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static const char month_names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

/* Month and day of a day of a (common) year, 0-based, as RFC 3164 names it. */
static void month_day(int64_t doy, int *m, int *d)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    doy = ((doy % 365) + 365) % 365;
    *m = 0;
    while (doy >= len[*m])
        doy -= len[(*m)++];
    *d = (int)doy + 1;
}

static void split_day(int64_t t, int64_t *day, int64_t *u)
{
    *day = t / PLOG_DAY_US;
    *u = t % PLOG_DAY_US;
    if (*u < 0) {
        *u += PLOG_DAY_US;
        (*day)--;
    }
}

/* Two and six decimal digits, zero-padded: the reports print a time per event. */
static char *put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

static char *put_clock(char *p, int64_t u)
{
    p = put2(p, (int)(u / 3600000000LL));
    *p++ = ':';
    p = put2(p, (int)(u / 60000000LL % 60));
    *p++ = ':';
    p = put2(p, (int)(u / 1000000LL % 60));
    *p++ = '.';
    int us = (int)(u % 1000000LL);
    for (int i = 5; i >= 0; i--, us /= 10)
        p[i] = (char)('0' + us % 10);
    return p + 6;
}

/* text[0..n) into buf, cut to cap - 1 bytes as snprintf would. */
static void copy_cut(char *buf, size_t cap, const char *text, size_t n)
{
    if (!cap)
        return;
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, text, n);
    buf[n] = '\0';
}

/* "YYYY-MM-DD" and sep, by hand for the years %04d prints as four digits. */
static char *put_date(char *p, size_t cap, int y, int mo, int dd, char sep)
{
    if (y < 0 || y > 9999) {
        int k = snprintf(p, cap, "%04d-%02d-%02d%c", y, mo, dd, sep);
        return p + (k < 0 ? 0 : (size_t)k < cap ? (size_t)k : cap - 1);
    }
    p = put2(p, y / 100);
    p = put2(p, y % 100);
    *p++ = '-';
    p = put2(p, mo);
    *p++ = '-';
    p = put2(p, dd);
    *p++ = sep;
    return p;
}

void plog_fmt_when(const struct plog_reader *r, char *buf, size_t cap, int64_t t)
{
    int64_t day, u;
    split_day(t, &day, &u);
    char d[48], *p = d;
    int y, mo, dd;
    if (r && r->day0_abs >= 0) {
        civil_from_days(r->day0_abs + day, &y, &mo, &dd);
        p = put_date(p, 24, y, mo, dd, ' ');
    } else if (r && r->day0_doy >= 0) {
        month_day(r->day0_doy + day, &mo, &dd);
        memcpy(p, month_names + 3 * mo, 3);
        p[3] = ' ';
        p[4] = (char)(dd < 10 ? ' ' : '0' + dd / 10);
        p[5] = (char)('0' + dd % 10);
        p[6] = ' ';
        p += 7;
    } else if (day) {
        int k = snprintf(p, 24, "+%lldd ", (long long)day);
        p += k < 0 ? 0 : k < 24 ? k : 23;
    }
    p = put_clock(p, u);
    copy_cut(buf, cap, d, (size_t)(p - d));
}

int plog_iso_time(const struct plog_reader *r, char *buf, size_t cap, int64_t t)
{
    if (!r || r->day0_abs < 0)
        return 0;
    int64_t day, u;
    split_day(t, &day, &u);
    int y, mo, dd;
    civil_from_days(r->day0_abs + day, &y, &mo, &dd);
    char d[48], *p = put_date(d, 24, y, mo, dd, 'T');
    p = put_clock(p, u);
    copy_cut(buf, cap, d, (size_t)(p - d));
    return 1;
}

int plog_time_in(const struct plog_reader *r, const struct plog_when *w, int64_t t)
{
    if (!w->set)
        return 1;
    int64_t day, u;
    split_day(t, &day, &u);
    if (!w->has_date)
        return (t < w->usec) == w->before; /* a time of day on the first day */
    int64_t at;
    if (r && r->day0_abs >= 0) {
        at = r->day0_abs + day;
        return (at * PLOG_DAY_US + u < w->day * PLOG_DAY_US + w->usec) == w->before;
    }
    if (r && r->day0_doy >= 0) { /* RFC 3164: the day of the year */
        at = (r->day0_doy + day) % 365;
        return (at * PLOG_DAY_US + u < w->doy * PLOG_DAY_US + w->usec) == w->before;
    }
    return (t < w->usec) == w->before; /* no dates in the input: the first day's clock */
}

int plog_when_parse(const char *s, int before, struct plog_when *w)
{
    memset(w, 0, sizeof *w);
    w->set = 1;
    w->before = before;
    int y, mo, d, hh = 0, mm = 0, ss = 0, n = 0;
    const char *tod = s;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && n == 10) {
        if (mo < 1 || mo > 12 || d < 1 || d > 31)
            return -1;
        w->has_date = 1;
        /* days since 1970 (inverse of civil_from_days) */
        int yy = y - (mo <= 2);
        int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
        int64_t yoe = yy - era * 400;
        int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        w->day = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
        static const int cum[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
        w->doy = cum[mo - 1] + d - 1;
        tod = s + 10;
        if (!*tod)
            return 0;
        if (*tod != ' ' && *tod != 'T')
            return -1;
        tod++;
    }
    n = 0;
    int k = sscanf(tod, "%2d:%2d%n:%2d%n", &hh, &mm, &n, &ss, &n);
    if (k < 2 || tod[n] || hh > 23 || mm > 59 || ss > 59)
        return -1;
    w->usec = ((int64_t)hh * 3600 + mm * 60 + ss) * 1000000LL;
    return 0;
}

static int match(const char *pattern, const char *s)
{
    if (!pattern)
        return 1;
    if (strpbrk(pattern, "*?["))
        return fnmatch(pattern, s, 0) == 0;
    return strstr(s, pattern) != NULL;
}

int plog_hier_selected(const struct plog_model *m, uint32_t hi, const struct plog_filter *f)
{
    const struct plog_hier *h = &m->hiers[hi];
    if (f->file && !match(f->file, h->file))
        return 0;
    if (f->model && strcasecmp(f->model, h->model) != 0 && !match(f->model, h->model))
        return 0;
    if (!f->has_xid)
        return 1;
    for (size_t i = 0; i < h->nnodes; i++) {
        const struct plog_phone *p = &m->phones[m->nodes[h->nodes[i]].phone];
        if (p->has_xid && p->xid == f->xid)
            return 1;
    }
    return 0;
}

int plog_diag_selected(const struct plog_model *m, const struct plog_diag *d,
                         const struct plog_filter *f)
{
    if (d->hier != PLOG_NONE)
        return plog_hier_selected(m, d->hier, f);
    if (f->file || f->model)
        return 0;
    if (f->has_xid)
        return d->phone != PLOG_NONE && m->phones[d->phone].has_xid &&
               m->phones[d->phone].xid == f->xid;
    return 1;
}

size_t plog_error_count(const struct plog_model *m, const struct plog_filter *f)
{
    size_t n = 0;
    for (size_t i = 0; i < m->ndiags; i++)
        if (m->diags[i].sev == PLOG_ERROR && plog_diag_selected(m, &m->diags[i], f))
            n++;
    return n;
}

/* ---- the verdict ---- */

void plog_count(const struct plog_model *m, const struct plog_filter *f, struct plog_tally *t)
{
    memset(t, 0, sizeof *t);
    t->filtered = (f->file || f->model || f->has_xid) && m->nhiers > 0;
    t->windowed = f->window && f->outside > 0;
    for (uint32_t hi = 0; hi < m->nhiers; hi++) {
        if (!plog_hier_selected(m, hi, f))
            continue;
        const struct plog_hier *h = &m->hiers[hi];
        t->hiers++;
        for (size_t i = 0; i < h->nnodes; i++) {
            const struct plog_node *n = &m->nodes[h->nodes[i]];
            t->nodes++;
            t->roots += n->is_root != 0;
            t->peer += n->source == SRC_PEER;
            t->tftp += n->source == SRC_TFTP || (n->tftp_fetch && n->source == SRC_NONE);
            t->fallback += !n->is_root && (n->fallback || n->source == SRC_TFTP) &&
                           !plog_node_anchor(m, n);
        }
    }
    /* Phones: those with a log of their own or a place in a tree; a claim
     * heard from an XID no one else saw (forged, say) makes none. */
    unsigned char *in_tree = calloc(m->nphones ? m->nphones : 1, 1);
    for (size_t i = 0; in_tree && i < m->nnodes; i++)
        in_tree[m->nodes[i].phone] = 1;
    for (size_t i = 0; i < m->nphones; i++) {
        const struct plog_phone *p = &m->phones[i];
        if (p->merged_into != PLOG_NONE || (in_tree && !in_tree[i] && p->source != PH_LOG))
            continue;
        t->phones++;
        t->logs += p->source == PH_LOG;
    }
    free(in_tree);
    t->lost = plog_loss_total(&m->loss);
    for (size_t i = 0; i < m->ndiags; i++) {
        if (!plog_diag_selected(m, &m->diags[i], f))
            continue;
        enum plog_sev s = m->diags[i].sev;
        if (s == PLOG_ERROR)
            t->errors++;
        else if (s == PLOG_WARN)
            t->warnings++;
        else
            t->infos++;
    }
}

const char *plog_plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* The one-sentence answer to "did PFS work?". */
static void verdict(char *buf, size_t cap, const struct plog_tally *t)
{
    const char *head;
    if (t->hiers == 0 && t->filtered)
        head = "no hierarchy matches the filter (--file, --model, --xid) in the input";
    else if (t->hiers == 0 && t->windowed)
        head = "no hierarchy in the window (--since, --until) of the input";
    else if (t->hiers == 0)
        head = "no PFS hierarchy found in the input";
    else if (t->errors)
        head = "PFS ran with errors";
    else if (t->peer && !t->fallback)
        head = "PFS worked";
    else if (t->peer)
        head = "PFS partly worked, some phones went to the TFTP server";
    else
        head = "PFS elected roots but no file moved between peers";
    char lost[96] = "";
    if (t->lost)
        snprintf(lost, sizeof lost, "INCOMPLETE, %llu datagram%s lost; ",
                 (unsigned long long)t->lost, t->lost == 1 ? "" : "s");
    snprintf(buf, cap,
             "%s%s: %zu %s, %zu %s (%zu with a log), %zu %s, %zu peer %s, %zu TFTP %s "
             "(%zu by non-roots); %zu %s, %zu %s",
             lost, head, t->hiers, plog_plural(t->hiers, "hierarchy", "hierarchies"), t->phones,
             plog_plural(t->phones, "phone", "phones"), t->logs, t->roots,
             plog_plural(t->roots, "root", "roots"), t->peer, plog_plural(t->peer, "transfer", "transfers"),
             t->tftp, plog_plural(t->tftp, "fetch", "fetches"), t->fallback, t->errors,
             plog_plural(t->errors, "error", "errors"), t->warnings,
             plog_plural(t->warnings, "warning", "warnings"));
}

void plog_verdict(const struct plog_model *m, const struct plog_filter *f, char *buf, size_t cap)
{
    struct plog_tally t;
    plog_count(m, f, &t);
    verdict(buf, cap, &t);
}

/* ---- trees ---- */

double plog_node_seconds(const struct plog_node *n)
{
    if (n->secs > 0)
        return n->secs;
    int64_t end = n->t_done ? n->t_done : n->t_last;
    return end > n->t_first ? (double)(end - n->t_first) / 1e6 : 0.0;
}

size_t plog_utf8_len(const unsigned char *s, size_t n)
{
    size_t len;
    uint32_t min, cp;
    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xE0) == 0xC0)
        len = 2, min = 0x80, cp = s[0] & 0x1Fu;
    else if ((s[0] & 0xF0) == 0xE0)
        len = 3, min = 0x800, cp = s[0] & 0x0Fu;
    else if ((s[0] & 0xF8) == 0xF0)
        len = 4, min = 0x10000, cp = s[0] & 0x07u;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

size_t plog_json_esc(char *dst, size_t cap, const char *str, size_t n, size_t *used)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, w = 0;
    while (i < n && w + 6 <= cap) { /* 6: the longest a byte becomes, "\\u001f" */
        unsigned char c = s[i];
        if (c == '"' || c == '\\') {
            dst[w++] = '\\';
            dst[w++] = (char)c;
            i++;
        } else if (c < 0x20) {
            static const char hex[] = "0123456789abcdef";
            memcpy(dst + w, "\\u00", 4);
            dst[w + 4] = hex[c >> 4];
            dst[w + 5] = hex[c & 15];
            w += 6;
            i++;
        } else {
            size_t l = plog_utf8_len(s + i, n - i);
            if (l == 0) {
                memcpy(dst + w, "\\ufffd", 6);
                w += 6;
                i++;
            } else {
                memcpy(dst + w, s + i, l);
                w += l;
                i += l;
            }
        }
    }
    *used = i;
    return w;
}

void plog_json_str(FILE *out, const char *str, size_t n)
{
    char buf[1024];
    size_t i = 0;
    fputc('"', out);
    while (i < n) {
        size_t used;
        size_t w = plog_json_esc(buf, sizeof buf, str + i, n - i, &used);
        fwrite(buf, 1, w, out);
        i += used;
    }
    fputc('"', out);
}

/*
 * A line is selected by the phone whose line it is and the hierarchy the
 * model put it in, not only by what its text names: a trace or a state
 * dump names neither, and belongs to its phone's hierarchy all the same.
 */
int plog_event_selected(const struct plog_model *m, const struct plog_filter *f,
                        const struct plog_event *e, uint32_t ph, uint32_t hi)
{
    const struct plog_hier *h = hi != PLOG_NONE && hi < m->nhiers ? &m->hiers[hi] : NULL;
    if (f->has_xid) {
        uint32_t x;
        int own = plog_phone_xid(m, ph, &x) && x == f->xid;
        if (!own && e->ev.peer != f->xid)
            return 0;
    }
    const char *file = h && h->file[0] ? h->file : e->ev.file;
    if (f->file && (!file[0] || !match(f->file, file)))
        return 0;
    const char *model = h && h->model[0] ? h->model : ph < m->nphones ? m->phones[ph].model : "";
    if (f->model && (!model[0] || (strcasecmp(f->model, model) != 0 && !match(f->model, model))))
        return 0;
    return 1;
}
