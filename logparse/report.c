/*
 * report.c - the text report (verdict, one tree per hierarchy drawn with
 * libsmartcols, diagnostics), the Graphviz output and timeline lines.
 * JSON is in json.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "plog.h"

#include <fnmatch.h>
#include <libsmartcols.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define C_RED "\033[31m"
#define C_YEL "\033[33m"
#define C_GRN "\033[32m"
#define C_BLD "\033[1m"
#define C_OFF "\033[0m"

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

static const char *sev_name(enum plog_sev s)
{
    return s == PLOG_ERROR ? "error" : s == PLOG_WARN ? "warning" : "info";
}

/* ---- the verdict ---- */

struct tally {
    size_t hiers, roots, peer, tftp, fallback, nodes, errors, warnings, infos;
    size_t phones, logs;
};

static void count(const struct plog_model *m, const struct plog_filter *f, struct tally *t)
{
    memset(t, 0, sizeof *t);
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
            t->fallback += !n->is_root && (n->fallback || n->source == SRC_TFTP);
        }
    }
    for (size_t i = 0; i < m->nphones; i++) {
        const struct plog_phone *p = &m->phones[i];
        if (p->merged_into != PLOG_NONE)
            continue;
        t->phones++;
        t->logs += p->source == PH_LOG;
    }
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

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* The one-sentence answer to "did PFS work?". */
static void verdict(char *buf, size_t cap, const struct tally *t)
{
    const char *head;
    if (t->hiers == 0)
        head = "no PFS hierarchy found in the input";
    else if (t->errors)
        head = "PFS ran with errors";
    else if (t->peer && !t->fallback)
        head = "PFS worked";
    else if (t->peer)
        head = "PFS partly worked, some phones went to the TFTP server";
    else
        head = "PFS elected roots but no file moved between peers";
    snprintf(buf, cap,
             "%s: %zu %s, %zu %s (%zu with a log), %zu %s, %zu peer %s, %zu TFTP %s "
             "(%zu by non-roots); %zu %s, %zu %s",
             head, t->hiers, plural(t->hiers, "hierarchy", "hierarchies"), t->phones,
             plural(t->phones, "phone", "phones"), t->logs, t->roots,
             plural(t->roots, "root", "roots"), t->peer, plural(t->peer, "transfer", "transfers"),
             t->tftp, plural(t->tftp, "fetch", "fetches"), t->fallback, t->errors,
             plural(t->errors, "error", "errors"), t->warnings,
             plural(t->warnings, "warning", "warnings"));
}

void plog_verdict(const struct plog_model *m, const struct plog_filter *f, char *buf, size_t cap)
{
    struct tally t;
    count(m, f, &t);
    verdict(buf, cap, &t);
}

/* ---- trees ---- */

static void ipstr(char *b, size_t cap, uint32_t ip)
{
    if (!ip)
        snprintf(b, cap, "-");
    else
        snprintf(b, cap, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255u, (ip >> 8) & 255u, ip & 255u);
}

double plog_node_seconds(const struct plog_node *n)
{
    if (n->secs > 0)
        return n->secs;
    int64_t end = n->t_done ? n->t_done : n->t_last;
    return end > n->t_first ? (double)(end - n->t_first) / 1e6 : 0.0;
}

static void node_note(const struct plog_model *m, const struct plog_node *n, char *b, size_t cap)
{
    const struct plog_phone *p = &m->phones[n->phone];
    size_t len = 0;
#define NOTE(...)                                                                             \
    do {                                                                                      \
        if (len < cap)                                                                        \
            len += (size_t)snprintf(b + len, cap - len, "%s", len ? "; " : "");             \
        if (len < cap)                                                                        \
            len += (size_t)snprintf(b + len, cap - len, __VA_ARGS__);                       \
    } while (0)
    b[0] = '\0';
    if (p->source == PH_MENTIONED)
        NOTE("no log");
    if (n->el.claimed)
        NOTE("%u Ads, %s", n->el.ads,
             n->el.confirmed ? "confirmed" : n->el.yielded ? "yielded" : "not confirmed");
    if (n->root_tftp)
        NOTE("ROOT_WAITING timed out");
    if (n->fallback)
        NOTE("fallback: %s", n->reason);
    if (n->refused)
        NOTE("refused %ux (%s)", n->refused, n->refused_reason);
    if (n->parent_lost)
        NOTE("lost parent %ux", n->parent_lost);
    if (n->tftp_fail)
        NOTE("TFTP failed %ux", n->tftp_fail);
    if (n->hash_bad)
        NOTE("bad hash %ux", n->hash_bad);
    if (n->in_xfr)
        NOTE("log ends mid-transfer");
    if (n->has_state && n->state_full)
        NOTE("FULL");
#undef NOTE
}

static struct libscols_line *add_node_line(struct libscols_table *tb, struct libscols_line *parent,
                                           const struct plog_model *m, const struct plog_node *n,
                                           int color)
{
    struct libscols_line *ln = scols_table_new_line(tb, parent);
    if (!ln)
        return NULL;
    const struct plog_phone *p = &m->phones[n->phone];
    char name[64], ip[20], secs[32], rate[32], note[256];
    ipstr(ip, sizeof ip, p->ip);
    if (p->has_xid)
        snprintf(name, sizeof name, "XID%08X %s", (unsigned)p->xid, ip);
    else
        snprintf(name, sizeof name, "(no XID) %s", ip);
    double s = plog_node_seconds(n);
    snprintf(secs, sizeof secs, "%.3f", s);
    if (n->rate > 0)
        snprintf(rate, sizeof rate, "%.1f", n->rate);
    else
        snprintf(rate, sizeof rate, "-");
    node_note(m, n, note, sizeof note);
    enum plog_role role = plog_node_role(m, n);
    scols_line_set_data(ln, 0, name);
    scols_line_set_data(ln, 1, plog_role_name(role));
    scols_line_set_data(ln, 2, n->source == SRC_NONE ? "-" : plog_source_name(n->source));
    scols_line_set_data(ln, 3, secs);
    scols_line_set_data(ln, 4, rate);
    scols_line_set_data(ln, 5, note[0] ? note : "");
    if (color) {
        const char *c = role == ROLE_ROOT ? C_GRN : role == ROLE_TFTP ? C_YEL : NULL;
        if (c)
            scols_cell_set_color(scols_line_get_cell(ln, 1), c);
    }
    return ln;
}

/* Node index in h of the phone ph, or PLOG_NONE. */
static uint32_t node_of(const struct plog_model *m, const struct plog_hier *h, uint32_t ph)
{
    for (size_t i = 0; i < h->nnodes; i++)
        if (m->nodes[h->nodes[i]].phone == ph)
            return h->nodes[i];
    return PLOG_NONE;
}

static void add_subtree(struct libscols_table *tb, struct libscols_line *parent,
                        const struct plog_model *m, const struct plog_hier *h, size_t idx,
                        unsigned char *done, int color, int depth)
{
    if (done[idx] || depth > 64)
        return;
    done[idx] = 1;
    const struct plog_node *n = &m->nodes[h->nodes[idx]];
    struct libscols_line *ln = add_node_line(tb, parent, m, n, color);
    if (!ln)
        return;
    for (size_t j = 0; j < h->nnodes; j++)
        if (!done[j] && m->nodes[h->nodes[j]].parent == n->phone)
            add_subtree(tb, ln, m, h, j, done, color, depth + 1);
}

/* Top of the tree: roots first, then nodes whose parent is not in h. */
static int is_top(const struct plog_model *m, const struct plog_hier *h, const struct plog_node *n)
{
    return n->parent == PLOG_NONE || node_of(m, h, n->parent) == PLOG_NONE;
}

static void print_tree(FILE *out, const struct plog_model *m, const struct plog_hier *h,
                       const struct plog_out_opts *o)
{
    struct libscols_table *tb = scols_new_table();
    struct libscols_symbols *sy = scols_new_symbols();
    unsigned char *done = calloc(h->nnodes ? h->nnodes : 1, 1);
    if (!tb || !sy || !done)
        goto out;
    scols_symbols_set_branch(sy, o->utf8 ? "\u251c\u2500" : "|-");
    scols_symbols_set_vertical(sy, o->utf8 ? "\u2502 " : "| ");
    scols_symbols_set_right(sy, o->utf8 ? "\u2514\u2500" : "`-");
    scols_table_set_symbols(tb, sy);
    scols_table_set_stream(tb, out);
    scols_table_set_termforce(tb, SCOLS_TERMFORCE_NEVER);
    scols_table_set_termwidth(tb, 1000);
    scols_table_enable_colors(tb, o->color);
    static const char *cols[] = {"NODE", "ROLE", "SOURCE", "SECONDS", "KB/S", "NOTES"};
    for (int i = 0; i < 6; i++)
        if (!scols_table_new_column(tb, cols[i], 0,
                                    i == 0 ? SCOLS_FL_TREE : (i == 3 || i == 4) ? SCOLS_FL_RIGHT : 0))
            goto out;
    for (int pass = 0; pass < 3; pass++)
        for (size_t i = 0; i < h->nnodes; i++) {
            const struct plog_node *n = &m->nodes[h->nodes[i]];
            int top = pass == 0 ? n->is_root && is_top(m, h, n) : pass == 1 ? is_top(m, h, n) : 1;
            if (top)
                add_subtree(tb, NULL, m, h, i, done, o->color, 0);
        }
    scols_print_table(tb);
out:
    free(done);
    scols_unref_table(tb);
    scols_unref_symbols(sy);
}

static void hier_title(FILE *out, const struct plog_model *m, const struct plog_hier *h, int color)
{
    size_t roots = 0;
    char rootbuf[64] = "no root";
    for (size_t i = 0; i < h->nnodes; i++) {
        const struct plog_node *n = &m->nodes[h->nodes[i]];
        if (!n->is_root)
            continue;
        const struct plog_phone *p = &m->phones[n->phone];
        if (roots++ == 0)
            snprintf(rootbuf, sizeof rootbuf, "root XID%08X", (unsigned)p->xid);
    }
    char hb[96] = "";
    int len = h->has_h ? snprintf(hb, sizeof hb, " H=%08X", (unsigned)h->h) : 0;
    if (h->round > 1) {
        char t0[40];
        plog_fmt_time(t0, sizeof t0, h->t_round);
        snprintf(hb + len, sizeof hb - (size_t)len, ", upgrade %u from %s", (unsigned)h->round, t0);
    }
    fprintf(out, "%s%s %s%s%s: %s%s, %zu %s, %llu Ads, %llu Timeouts\n", color ? C_BLD : "",
            h->model[0] ? h->model : "(model unknown)", h->file[0] ? h->file : "(file unknown)",
            hb, color ? C_OFF : "", rootbuf, roots > 1 ? " and others" : "", h->nnodes,
            plural(h->nnodes, "node", "nodes"), (unsigned long long)h->ads,
            (unsigned long long)h->timeouts);
}

static void ref_str(const struct plog_reader *r, struct plog_ref ref, char *b, size_t cap)
{
    if (ref.src == PLOG_NONE || !ref.line)
        b[0] = '\0';
    else
        snprintf(b, cap, " (%s:%llu)", plog_src_name(r, ref.src), (unsigned long long)ref.line);
}

int plog_report_text(FILE *out, const struct plog_model *m, const struct plog_reader *r,
                     const struct plog_filter *f, const struct plog_out_opts *o)
{
    struct tally t;
    count(m, f, &t);
    char v[512];
    verdict(v, sizeof v, &t);
    const char *vc = !o->color ? "" : t.errors ? C_RED : t.warnings || !t.peer ? C_YEL : C_GRN;
    fprintf(out, "%s%s%s\n", vc, v, o->color ? C_OFF : "");
    for (uint32_t hi = 0; hi < m->nhiers; hi++) {
        if (!plog_hier_selected(m, hi, f))
            continue;
        fputc('\n', out);
        hier_title(out, m, &m->hiers[hi], o->color);
        print_tree(out, m, &m->hiers[hi], o);
    }
    size_t shown = 0;
    for (size_t i = 0; i < m->ndiags; i++) {
        const struct plog_diag *d = &m->diags[i];
        if (!plog_diag_selected(m, d, f) || (d->sev == PLOG_INFO && !o->verbose && d->ref.line == 0))
            continue;
        if (shown++ == 0)
            fprintf(out, "\nDiagnostics:\n");
        char where[300];
        ref_str(r, d->ref, where, sizeof where);
        const char *c = !o->color ? "" : d->sev == PLOG_ERROR ? C_RED : d->sev == PLOG_WARN ? C_YEL : "";
        char up[32] = "";
        if (d->hier != PLOG_NONE && d->round && d->round != m->hiers[d->hier].round)
            snprintf(up, sizeof up, " [upgrade %u]", (unsigned)d->round);
        fprintf(out, "  %s%-7s%s %s%s: %s%s\n", c, sev_name(d->sev), o->color ? C_OFF : "", d->code,
                up, d->msg, where);
    }
    const struct plog_stats *s = &r->stats;
    fprintf(out, "\n%llu lines, %llu DLoad, %llu other, %llu not placed%s; %u %s\n",
            (unsigned long long)s->lines, (unsigned long long)s->dload_lines,
            (unsigned long long)s->other_lines, (unsigned long long)s->unparsed_lines,
            s->unparsed_lines && !o->verbose ? " (--verbose lists them)" : "", (unsigned)s->files,
            s->files == 1 ? "input" : "inputs");
    return 0;
}

/* ---- Graphviz ---- */

static void dot_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fputc('\\', out);
        if (c >= 0x20 && c < 0x7f)
            fputc(c, out);
        else if (c == '\n')
            fputs("\\n", out);
        else
            fputc('?', out);
    }
    fputc('"', out);
}

int plog_report_dot(FILE *out, const struct plog_model *m, const struct plog_filter *f)
{
    for (uint32_t hi = 0; hi < m->nhiers; hi++) {
        if (!plog_hier_selected(m, hi, f))
            continue;
        const struct plog_hier *h = &m->hiers[hi];
        char title[200];
        snprintf(title, sizeof title, "%s %s", h->model[0] ? h->model : "?",
                 h->file[0] ? h->file : "?");
        fputs("digraph ", out);
        dot_str(out, title);
        fputs(" {\n  label=", out);
        dot_str(out, title);
        fputs(";\n  node [shape=box, fontname=\"monospace\"];\n", out);
        fputs("  \"tftp\" [label=\"TFTP server\", shape=cylinder];\n", out);
        for (size_t i = 0; i < h->nnodes; i++) {
            const struct plog_node *n = &m->nodes[h->nodes[i]];
            const struct plog_phone *p = &m->phones[n->phone];
            char id[16], ip[20], label[160];
            snprintf(id, sizeof id, "%08X", (unsigned)p->xid);
            ipstr(ip, sizeof ip, p->ip);
            snprintf(label, sizeof label, "XID%s\n%s\n%s, %s, %.3f s%s", id, ip,
                     plog_role_name(plog_node_role(m, n)),
                     n->source == SRC_NONE ? "-" : plog_source_name(n->source), plog_node_seconds(n),
                     p->source == PH_MENTIONED ? "\nno log" : "");
            fputs("  ", out);
            dot_str(out, id);
            fputs(" [label=", out);
            dot_str(out, label);
            fputs(p->source == PH_MENTIONED ? ", style=dashed];\n" : "];\n", out);
            if (n->source == SRC_TFTP || (n->tftp_fetch && n->source == SRC_NONE)) {
                fputs("  \"tftp\" -> ", out);
                dot_str(out, id);
                fputs(" [style=dashed];\n", out);
            }
        }
        for (size_t i = 0; i < h->nnodes; i++) {
            const struct plog_node *n = &m->nodes[h->nodes[i]];
            if (n->parent == PLOG_NONE)
                continue;
            fprintf(out, "  \"%08X\" -> \"%08X\";\n", (unsigned)m->phones[n->parent].xid,
                    (unsigned)m->phones[n->phone].xid);
        }
        fputs("}\n", out);
    }
    return 0;
}

/* ---- timeline ---- */

void plog_timeline_line(FILE *out, const struct plog_reader *r, const struct plog_event *e,
                        int json)
{
    char t[40], text[512];
    plog_fmt_time(t, sizeof t, e->t);
    if (pfs_dlog_format(text, sizeof text, &e->ev) < 0)
        text[0] = '\0';
    const struct pfs_dlog_kind_info *k = pfs_dlog_info(e->ev.kind);
    int has_xid = e->ev.kind != PFS_DL_LISTEN && e->ev.kind != PFS_DL_TRACE &&
                  e->ev.kind != PFS_DL_STATE && e->ev.kind != PFS_DL_CONFIRMED;
    const char *host = e->stream < r->nstreams ? r->streams[e->stream].host : "";
    if (json) {
        fprintf(out, "{\"t\":%.6f,\"time\":\"%s\",\"xid\":", (double)e->t / 1e6, t);
        if (has_xid)
            fprintf(out, "\"%08X\"", (unsigned)e->ev.xid);
        else
            fputs("null", out);
        fprintf(out, ",\"kind\":\"%s\",\"host\":", k ? k->name : "none");
        if (host[0])
            plog_json_str(out, host, strlen(host));
        else
            fputs("null", out);
        fputs(",\"text\":", out);
        plog_json_str(out, text, strlen(text));
        fputs(",\"src\":", out);
        const char *sn = plog_src_name(r, e->ref.src);
        plog_json_str(out, sn, strlen(sn));
        fprintf(out, ",\"line\":%llu}\n", (unsigned long long)e->ref.line);
        return;
    }
    char who[PLOG_HOST_SZ + 16];
    if (has_xid)
        snprintf(who, sizeof who, "XID%08X", (unsigned)e->ev.xid);
    else
        snprintf(who, sizeof who, "%-11s", host[0] ? host : "-");
    fprintf(out, "%s %s %-13s %s (%s:%llu)\n", t, who, k ? k->name : "none", text,
            plog_src_name(r, e->ref.src), (unsigned long long)e->ref.line);
}
