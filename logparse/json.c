/*
 * json.c - the --json document (docs/pfslog-json.md describes it).
 *
 * Strings from logs may hold anything: valid UTF-8 passes, every other
 * byte becomes U+FFFD, control characters are escaped.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "report.h"

#include <stdint.h>
#include <string.h>

static void jstr(FILE *out, const char *s)
{
    plog_json_str(out, s, strlen(s));
}

static void jstr_or_null(FILE *out, const char *s)
{
    if (s && s[0])
        jstr(out, s);
    else
        fputs("null", out);
}

/*
 * The event list is most of a big site's document (hundreds of thousands
 * of events): each event is put together by hand in one buffer and
 * written at once, the same bytes fprintf gave.
 */
static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

static char *put_u64(char *p, uint64_t v)
{
    char d[20];
    int n = 0;
    do
        d[n++] = (char)('0' + v % 10);
    while (v /= 10);
    while (n)
        *p++ = d[--n];
    return p;
}

static char *put_hex8(char *p, uint32_t v)
{
    static const char hex[] = "0123456789ABCDEF";
    for (int i = 7; i >= 0; i--, v >>= 4)
        p[i] = hex[v & 15];
    return p + 8;
}

/*
 * "%.6f" of t / 1e6 for t in microseconds: the double nearest that
 * quotient lies within half a microsecond of it while |t| < 2^52, so its
 * six decimals are t's own digits.
 */
static char *put_secs(char *p, int64_t t)
{
    if (t <= -(INT64_C(1) << 52) || t >= (INT64_C(1) << 52))
        return p + snprintf(p, 32, "%.6f", (double)t / 1e6);
    uint64_t a = t < 0 ? (uint64_t)-t : (uint64_t)t;
    if (t < 0)
        *p++ = '-';
    p = put_u64(p, a / 1000000u);
    *p++ = '.';
    uint32_t us = (uint32_t)(a % 1000000u);
    for (int i = 5; i >= 0; i--, us /= 10)
        p[i] = (char)('0' + us % 10);
    return p + 6;
}

static char *put_xid(char *p, const struct plog_model *m, uint32_t ph)
{
    if (ph == PLOG_NONE || !m->phones[ph].has_xid)
        return put_str(p, "null");
    *p++ = '"';
    p = put_hex8(p, m->phones[ph].xid);
    *p++ = '"';
    return p;
}

static void jxid(FILE *out, const struct plog_model *m, uint32_t ph)
{
    char b[16];
    fwrite(b, 1, (size_t)(put_xid(b, m, ph) - b), out);
}

static void jip(FILE *out, uint32_t ip)
{
    if (!ip) {
        fputs("null", out);
        return;
    }
    char b[24], *p = b;
    *p++ = '"';
    for (int i = 3; i >= 0; i--) {
        p = put_u64(p, (ip >> (8 * i)) & 255u);
        *p++ = i ? '.' : '"';
    }
    fwrite(b, 1, (size_t)(p - b), out);
}

static void jref(FILE *out, const struct plog_reader *r, struct plog_ref ref)
{
    fputs("\"src\":", out);
    if (ref.src == PLOG_NONE || !ref.line) {
        fputs("null,\"line\":null", out);
        return;
    }
    jstr(out, plog_src_name(r, ref.src));
    fprintf(out, ",\"line\":%llu", (unsigned long long)ref.line);
}

static int phone_selected(const struct plog_model *m, uint32_t ph, const struct plog_filter *f)
{
    const struct plog_phone *p = &m->phones[ph];
    if (p->merged_into != PLOG_NONE)
        return 0;
    if (f->has_xid && (!p->has_xid || p->xid != f->xid))
        return 0;
    if (f->model && !(p->model[0] && strstr(p->model, f->model)))
        return 0;
    return 1;
}

static void phones(FILE *out, const struct plog_model *m, const struct plog_reader *r,
                   const struct plog_filter *f)
{
    fputs("  \"phones\": [", out);
    int first = 1;
    for (uint32_t i = 0; i < m->nphones; i++) {
        if (!phone_selected(m, i, f))
            continue;
        const struct plog_phone *p = &m->phones[i];
        fputs(first ? "\n    {\"xid\":" : ",\n    {\"xid\":", out);
        first = 0;
        jxid(out, m, i);
        fputs(",\"model\":", out);
        jstr_or_null(out, p->model);
        fputs(",\"ip\":", out);
        jip(out, p->ip);
        fprintf(out, ",\"source\":\"%s\",\"log\":", p->source == PH_LOG ? "log" : "mentioned");
        if (p->source == PH_LOG && p->src != PLOG_NONE)
            jstr(out, plog_src_name(r, p->src));
        else
            fputs("null", out);
        fputs(",\"host\":", out);
        jstr_or_null(out, p->host);
        fputs(",\"load\":", out);
        jstr_or_null(out, p->load);
        fprintf(out, ",\"traces\":%llu,\"dropped_datagrams\":%llu}", (unsigned long long)p->traces,
                (unsigned long long)p->drops);
    }
    fputs(first ? "],\n" : "\n  ],\n", out);
}

/* A double with so many decimals, as "%.*f" prints it: 320 bytes at most. */
static char *put_f(char *p, int decimals, double v)
{
    int n = snprintf(p, 320, "%.*f", decimals, v);
    return p + (n < 0 ? 0 : n < 320 ? n : 319);
}

static char *put_bool(char *p, int v)
{
    return put_str(p, v ? "true" : "false");
}

/* A node, the second largest part of a big site's document: in one buffer too. */
static void node(FILE *out, const struct plog_model *m, const struct plog_node *n)
{
    const struct plog_phone *p = &m->phones[n->phone];
    char b[1024 + 11 * PLOG_MAX_CHILDREN], *q = b; /* 2 doubles and 8 XIDs at most */
    q = put_str(q, "        {\"xid\":");
    q = put_xid(q, m, n->phone);
    fwrite(b, 1, (size_t)(q - b), out);
    fputs(",\"ip\":", out);
    jip(out, p->ip);
    q = put_str(b, ",\"parent\":");
    q = put_xid(q, m, n->parent);
    q = put_str(q, ",\"children\":[");
    uint32_t lim = n->nchildren < PLOG_MAX_CHILDREN ? n->nchildren : PLOG_MAX_CHILDREN;
    for (uint32_t c = 0; c < lim; c++) {
        if (c)
            *q++ = ',';
        q = put_xid(q, m, n->children[c]);
    }
    q = put_str(q, "],\"child_count\":");
    q = put_u64(q, n->nchildren);
    q = put_str(q, ",\"role\":\"");
    q = put_str(q, plog_role_name(plog_node_role(m, n)));
    q = put_str(q, "\",\"source\":");
    if (n->source == SRC_NONE) {
        q = put_str(q, "null");
    } else {
        *q++ = '"';
        q = put_str(q, plog_source_name(n->source));
        *q++ = '"';
    }
    q = put_f(put_str(q, ",\"seconds\":"), 3, plog_node_seconds(n));
    q = put_str(q, ",\"bytes\":");
    q = put_u64(q, n->bytes);
    q = put_str(q, ",\"rate_kbs\":");
    if (n->rate > 0)
        q = put_f(q, 1, n->rate);
    else
        q = put_str(q, "null");
    q = put_str(q, ",\"has_log\":");
    q = put_bool(q, p->source == PH_LOG);
    q = put_str(q, ",\"ads\":");
    q = put_u64(q, n->el.ads);
    q = put_str(q, ",\"confirmed\":");
    q = put_bool(q, n->el.confirmed);
    q = put_str(q, ",\"fallback_reason\":");
    fwrite(b, 1, (size_t)(q - b), out);
    jstr_or_null(out, n->fallback ? n->reason : NULL);
    /* the facts behind the text report's NOTES */
    q = put_str(b, ",\"root_heard\":");
    q = put_bool(q, n->root_heard);
    q = put_str(q, ",\"root_waiting_timeout\":");
    q = put_bool(q, n->root_tftp);
    q = put_str(q, ",\"refused\":");
    q = put_u64(q, n->refused);
    q = put_str(q, ",\"refused_reason\":");
    fwrite(b, 1, (size_t)(q - b), out);
    jstr_or_null(out, n->refused ? n->refused_reason : NULL);
    q = put_str(b, ",\"parent_lost\":");
    q = put_u64(q, n->parent_lost);
    q = put_str(q, ",\"lost_reason\":");
    fwrite(b, 1, (size_t)(q - b), out);
    jstr_or_null(out, n->parent_lost || n->child_lost ? n->lost_reason : NULL);
    q = put_str(b, ",\"child_lost\":");
    q = put_u64(q, n->child_lost);
    q = put_str(q, ",\"tftp_failed\":");
    q = put_u64(q, n->tftp_fail);
    q = put_str(q, ",\"hash_bad\":");
    q = put_u64(q, n->hash_bad);
    q = put_str(q, ",\"mid_transfer\":");
    q = put_bool(q, n->in_xfr);
    q = put_str(q, ",\"full\":");
    q = put_bool(q, n->has_state && n->state_full);
    *q++ = '}';
    fwrite(b, 1, (size_t)(q - b), out);
}

/* The last source name escaped, for the events that follow from the same file. */
struct jsrc {
    uint32_t src;
    size_t len;
    int whole;                          /* the name fit: len bytes are all of it */
    char esc[1024];
};

static void event(FILE *out, const struct plog_model *m, const struct plog_reader *r,
                  const struct plog_evrec *e, const char *sep, struct jsrc *js)
{
    char b[512 + sizeof js->esc], *p = b; /* 512: all but the source name, kind's aside */
    const struct pfs_dlog_kind_info *k = pfs_dlog_info(e->kind);
    const char *kind = k ? k->name : "none";
    p = put_str(p, sep);
    p = put_str(p, "        {\"t\":");
    p = put_secs(p, e->t);
    p = put_str(p, ",\"time\":\"");
    plog_fmt_when(r, p, 48, e->t);
    p += strlen(p);
    p = put_str(p, "\",\"at\":");
    if (plog_iso_time(r, p + 1, 48, e->t)) {
        *p = '"';
        p += strlen(p);
        *p++ = '"';
    } else {
        p = put_str(p, "null");
    }
    p = put_str(p, ",\"xid\":");
    p = put_xid(p, m, e->phone);
    p = put_str(p, ",\"kind\":\"");
    if (strlen(kind) > 64) { /* longer than the table's names: not in the buffer */
        fwrite(b, 1, (size_t)(p - b), out);
        fputs(kind, out);
        p = b;
    } else {
        p = put_str(p, kind);
    }
    p = put_str(p, "\",");
    if (e->ref.src == PLOG_NONE || !e->ref.line) {
        p = put_str(p, "\"src\":null,\"line\":null}");
        fwrite(b, 1, (size_t)(p - b), out);
        return;
    }
    if (js->src != e->ref.src) {
        const char *name = plog_src_name(r, e->ref.src);
        size_t n = strlen(name), used;
        js->len = plog_json_esc(js->esc, sizeof js->esc, name, n, &used);
        js->whole = used == n;
        js->src = e->ref.src;
    }
    if (!js->whole) { /* a name too long for the buffer: written as jref does */
        fwrite(b, 1, (size_t)(p - b), out);
        jref(out, r, e->ref);
        fputc('}', out);
        return;
    }
    p = put_str(p, "\"src\":\"");
    memcpy(p, js->esc, js->len);
    p += js->len;
    p = put_str(p, "\",\"line\":");
    p = put_u64(p, e->ref.line);
    *p++ = '}';
    fwrite(b, 1, (size_t)(p - b), out);
}

static void hierarchy(FILE *out, const struct plog_model *m, const struct plog_reader *r,
                      uint32_t hi)
{
    const struct plog_hier *h = &m->hiers[hi];
    fputs("    {\"file\":", out);
    jstr_or_null(out, h->file);
    fputs(",\"model\":", out);
    jstr_or_null(out, h->model);
    fputs(",\"h\":", out);
    if (h->has_h)
        fprintf(out, "\"%08X\"", (unsigned)h->h);
    else
        fputs("null", out);
    uint32_t root = PLOG_NONE;
    fputs(",\"roots\":[", out);
    int nr = 0;
    for (size_t i = 0; i < h->nnodes; i++) {
        const struct plog_node *n = &m->nodes[h->nodes[i]];
        if (!n->is_root)
            continue;
        if (root == PLOG_NONE)
            root = n->phone;
        if (nr++)
            fputc(',', out);
        jxid(out, m, n->phone);
    }
    fputs("],\"root\":", out);
    jxid(out, m, root);
    char t0[40] = "";
    if (h->t_round >= 0)
        plog_fmt_when(r, t0, sizeof t0, h->t_round);
    fprintf(out, ",\"round\":%u,\"start\":", (unsigned)h->round);
    jstr_or_null(out, t0);
    fprintf(out, ",\"ads\":%llu,\"timeouts\":%llu,\n      \"nodes\": [",
            (unsigned long long)h->ads, (unsigned long long)h->timeouts);
    for (size_t i = 0; i < h->nnodes; i++) {
        fputs(i ? ",\n" : "\n", out);
        node(out, m, &m->nodes[h->nodes[i]]);
    }
    fputs(h->nnodes ? "\n      ],\n      \"events\": [" : "],\n      \"events\": [", out);
    struct jsrc src = {PLOG_NONE, 0, 0, ""};
    for (uint32_t i = 0; i < h->nevents; i++)
        event(out, m, r, &h->events[i], i ? ",\n" : "\n", &src);
    fprintf(out, "%s],\n      \"events_cap\":%d,\"events_dropped\":%llu}",
            h->nevents ? "\n      " : "", PLOG_EVENTS_CAP, (unsigned long long)h->dropped_events);
}

static const char *sev_name(enum plog_sev s)
{
    return s == PLOG_ERROR ? "error" : s == PLOG_WARN ? "warning" : "info";
}

int plog_report_json(FILE *out, const struct plog_model *m, const struct plog_reader *r,
                     const struct plog_filter *f)
{
    char v[512];
    plog_verdict(m, f, v, sizeof v);
    fputs("{\n  \"tool\": \"pfslog\",\n  \"version\": \"" PFS_VERSION "\",\n  \"verdict\": ", out);
    jstr(out, v);
    fputs(",\n", out);
    phones(out, m, r, f);
    fputs("  \"hierarchies\": [", out);
    int first = 1;
    for (uint32_t hi = 0; hi < m->nhiers; hi++) {
        if (!plog_hier_selected(m, hi, f))
            continue;
        fputs(first ? "\n" : ",\n", out);
        first = 0;
        hierarchy(out, m, r, hi);
    }
    fputs(first ? "],\n  \"diagnostics\": [" : "\n  ],\n  \"diagnostics\": [", out);
    first = 1;
    for (size_t i = 0; i < m->ndiags; i++) {
        const struct plog_diag *d = &m->diags[i];
        if (!plog_diag_selected(m, d, f))
            continue;
        fputs(first ? "\n    {\"severity\":\"" : ",\n    {\"severity\":\"", out);
        first = 0;
        fprintf(out, "%s\",\"code\":\"%s\",\"message\":", sev_name(d->sev), d->code);
        jstr(out, d->msg);
        fputc(',', out);
        jref(out, r, d->ref);
        fputs(",\"xid\":", out);
        jxid(out, m, d->phone);
        const struct plog_hier *dh = d->hier != PLOG_NONE ? &m->hiers[d->hier] : NULL;
        fputs(",\"file\":", out);
        jstr_or_null(out, dh ? dh->file : NULL);
        fputs(",\"model\":", out);
        jstr_or_null(out, dh ? dh->model : NULL);
        if (dh && dh->has_h)
            fprintf(out, ",\"h\":\"%08X\"", (unsigned)dh->h);
        else
            fputs(",\"h\":null", out);
        if (d->round)
            fprintf(out, ",\"round\":%u}", (unsigned)d->round);
        else
            fputs(",\"round\":null}", out);
    }
    const struct plog_stats *s = &r->stats;
    fprintf(out,
            "%s],\n  \"stats\": {\"lines\":%llu,\"dload_lines\":%llu,\"unparsed_lines\":%llu,"
            "\"other_lines\":%llu,\"blank_lines\":%llu,\"files\":%u,\"bytes\":%llu,"
            "\"syslog_lines\":%llu,\"glued\":%llu,\"wrapped\":%llu,\"headless\":%llu,"
            "\"out_of_order\":%llu,\"midnight_wraps\":%llu,\"long_lines\":%llu,"
            "\"diagnostics_dropped\":%llu",
            first ? "" : "\n  ", (unsigned long long)s->lines, (unsigned long long)s->dload_lines,
            (unsigned long long)s->unparsed_lines, (unsigned long long)s->other_lines,
            (unsigned long long)s->blank_lines, (unsigned)s->files, (unsigned long long)s->bytes,
            (unsigned long long)s->syslog_lines, (unsigned long long)s->glued,
            (unsigned long long)s->wrapped, (unsigned long long)s->headless,
            (unsigned long long)s->out_of_order, (unsigned long long)s->midnight,
            (unsigned long long)s->long_lines, (unsigned long long)m->diags_dropped);
    if (m->loss.listening) {
        const struct plog_loss *ls = &m->loss;
        fprintf(out, ",\"datagrams\":%llu,\"datagrams_lost_kernel\":%llu,"
                     "\"datagrams_lost_queue\":%llu,\"datagrams_missing\":%llu,"
                     "\"datagrams_lost\":%llu,\"senders\":[",
                (unsigned long long)ls->received, (unsigned long long)ls->kernel,
                (unsigned long long)ls->queue, (unsigned long long)ls->missing,
                (unsigned long long)plog_loss_total(ls));
        for (size_t i = 0; i < ls->nsenders; i++) {
            const struct plog_sender *sd = &ls->senders[i];
            fprintf(out, "%s{\"addr\":", i ? "," : "");
            jstr(out, sd->addr);
            fprintf(out, ",\"datagrams\":%llu,\"lines\":%llu,\"sequenced\":%llu,"
                         "\"missing\":%llu,\"late\":%llu}",
                    (unsigned long long)sd->datagrams, (unsigned long long)sd->lines,
                    (unsigned long long)sd->sequenced, (unsigned long long)sd->missing,
                    (unsigned long long)sd->late);
        }
        fputc(']', out);
    }
    fputs("}\n}\n", out);
    return 0;
}
