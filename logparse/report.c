/*
 * report.c - the text report (verdict, one tree per hierarchy drawn with
 * libsmartcols, diagnostics), the Graphviz output and timeline lines.
 * JSON is in json.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "report.h"

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

static const char *sev_name(enum plog_sev s)
{
    return s == PLOG_ERROR ? "error" : s == PLOG_WARN ? "warning" : "info";
}

static void ipstr(char *b, size_t cap, uint32_t ip)
{
    if (!ip)
        snprintf(b, cap, "-");
    else
        snprintf(b, cap, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255u, (ip >> 8) & 255u, ip & 255u);
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
    if (n->root_heard)
        NOTE("root as heard by a peer");
    if (n->el.claimed)
        NOTE("%u Ads, %s", n->el.ads,
             n->el.confirmed ? "confirmed" : n->el.yielded ? "yielded" : "not confirmed");
    if (n->root_tftp)
        NOTE("ROOT_WAITING TO");
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

/*
 * Breaks the notes "a; b; c" into lines of at most w columns at their
 * "; ", and a note wider than w on its own at its blanks (a word longer
 * than w stays whole): the NOTES cell becomes several rows and the table
 * keeps to the report's width. Returns the widest row.
 */
/* The NOTES column: the width its rows wrap to, and the widest row made. */
struct notes_fit {
    size_t width;
    size_t widest;
};

/* Word-wraps the note p[0..n) to w columns; returns its last row's width. */
static size_t wrap_words(char *p, size_t n, size_t w, size_t *widest)
{
    size_t line = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && p[j] != ' ')
            j++;
        if (line && line + 1 + (j - i) > w) {
            p[i - 1] = '\n'; /* the blank before this word */
            line = 0;
        }
        line += (line ? 1 : 0) + (j - i);
        *widest = line > *widest ? line : *widest;
        i = j < n ? j + 1 : j;
    }
    return line;
}

static size_t wrap_notes(char *b, size_t w)
{
    size_t line = 0, widest = 0;
    for (char *p = b; *p;) {
        char *sep = strstr(p, "; ");
        size_t n = sep ? (size_t)(sep - p) + 1 : strlen(p);
        if (line && line + 1 + n > w) {
            p[-1] = '\n'; /* the blank before this note */
            line = 0;
        }
        if (line == 0 && n > w)
            line = wrap_words(p, n, w, &widest);
        else
            line += (line ? 1 : 0) + n;
        widest = line > widest ? line : widest;
        if (!sep)
            break;
        p = sep + 2;
    }
    return widest;
}

/*
 * The table writes cells as they are (its newlines break NOTES): no
 * control byte from a log, and no byte the locale cannot decode (any
 * byte above 0x7f outside a UTF-8 locale), on which libsmartcols'
 * wrapping never ends.
 */
static void cell_text(char *s)
{
    unsigned char *c = (unsigned char *)s;
    size_t n = strlen(s);
    int utf8 = MB_CUR_MAX > 1;
    for (size_t i = 0; i < n;) {
        size_t l = c[i] < 0x20 || c[i] == 0x7f ? 0
                   : c[i] < 0x80               ? 1
                   : utf8                      ? plog_utf8_len(c + i, n - i)
                                               : 0;
        if (l == 0) {
            c[i] = '?';
            l = 1;
        }
        i += l;
    }
}

static struct libscols_line *add_node_line(struct libscols_table *tb, struct libscols_line *parent,
                                           const struct plog_model *m, const struct plog_node *n,
                                           int color, struct notes_fit *fit)
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
    cell_text(note);
    cell_text(name);
    size_t widest = wrap_notes(note, fit->width);
    fit->widest = widest > fit->widest ? widest : fit->widest;
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
                        unsigned char *done, int color, int depth, struct notes_fit *fit)
{
    if (done[idx] || depth > 64)
        return;
    done[idx] = 1;
    const struct plog_node *n = &m->nodes[h->nodes[idx]];
    struct libscols_line *ln = add_node_line(tb, parent, m, n, color, fit);
    if (!ln)
        return;
    for (size_t j = 0; j < h->nnodes; j++)
        if (!done[j] && m->nodes[h->nodes[j]].parent == n->phone)
            add_subtree(tb, ln, m, h, j, done, color, depth + 1, fit);
}

/* How deep node i of h sits under its tree's top (a parent chain in h). */
static size_t node_depth(const struct plog_model *m, const struct plog_hier *h, size_t i)
{
    size_t d = 0;
    for (uint32_t par = m->nodes[h->nodes[i]].parent; par != PLOG_NONE && d < 64; d++) {
        uint32_t pn = node_of(m, h, par);
        if (pn == PLOG_NONE)
            break;
        par = m->nodes[pn].parent;
    }
    return d;
}

/*
 * The columns the table takes besides NOTES: the NODE column (the tree
 * drawn two columns a level) and the others (ROLE to KB/S, with blanks).
 */
static size_t other_columns(const struct plog_model *m, const struct plog_hier *h)
{
    size_t node_w = 4, role_w = 4, src_w = 6, secs_w = 7, rate_w = 4;
    for (size_t i = 0; i < h->nnodes; i++) {
        const struct plog_node *n = &m->nodes[h->nodes[i]];
        const struct plog_phone *p = &m->phones[n->phone];
        char ip[20], num[32];
        ipstr(ip, sizeof ip, p->ip);
        size_t w = 2 * node_depth(m, h, i) + 12 + strlen(ip);
        node_w = w > node_w ? w : node_w;
        w = strlen(plog_role_name(plog_node_role(m, n)));
        role_w = w > role_w ? w : role_w;
        w = (size_t)snprintf(num, sizeof num, "%.3f", plog_node_seconds(n));
        secs_w = w > secs_w ? w : secs_w;
        w = n->rate > 0 ? (size_t)snprintf(num, sizeof num, "%.1f", n->rate) : 1;
        rate_w = w > rate_w ? w : rate_w;
    }
    return node_w + role_w + src_w + secs_w + rate_w + 5; /* a blank after each */
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
    /* box drawing only where the locale decodes it: libsmartcols loops on symbols it cannot */
    int utf8 = o->utf8 && MB_CUR_MAX > 1;
    scols_symbols_set_branch(sy, utf8 ? "\u251c\u2500" : "|-");
    scols_symbols_set_vertical(sy, utf8 ? "\u2502 " : "| ");
    scols_symbols_set_right(sy, utf8 ? "\u2514\u2500" : "`-");
    scols_table_set_symbols(tb, sy);
    scols_table_set_stream(tb, out);
    scols_table_enable_colors(tb, o->color);
    scols_table_enable_noencoding(tb, 1);
    /* the terminal's width, or 80 columns: NOTES wraps within its cell */
    size_t width = (size_t)(o->width > 0 ? o->width : 80), rest = other_columns(m, h);
    /* as narrow as the width needs: a word wider than that widens the table */
    struct notes_fit fit = {width > rest + 8 ? width - rest : 8, 0};
    static const char *cols[] = {"NODE", "ROLE", "SOURCE", "SECONDS", "KB/S", "NOTES"};
    for (int i = 0; i < 6; i++) {
        struct libscols_column *cl = scols_table_new_column(
            tb, cols[i], 0,
            i == 0 ? SCOLS_FL_TREE : i == 5 ? SCOLS_FL_WRAP : (i == 3 || i == 4) ? SCOLS_FL_RIGHT : 0);
        if (!cl)
            goto out;
        /* NOTES breaks where wrap_notes put its newlines */
        if (i == 5)
            scols_column_set_wrapfunc(cl, scols_wrapnl_chunksize, scols_wrapnl_nextchunk, NULL);
    }
    for (int pass = 0; pass < 3; pass++)
        for (size_t i = 0; i < h->nnodes; i++) {
            const struct plog_node *n = &m->nodes[h->nodes[i]];
            int top = pass == 0 ? n->is_root && is_top(m, h, n) : pass == 1 ? is_top(m, h, n) : 1;
            if (top)
                add_subtree(tb, NULL, m, h, i, done, o->color, 0, &fit);
        }
    /*
     * A tree too deep or a note too long for the width widens the table:
     * libsmartcols cannot shrink a wrapped column below its widest row
     * and would try for ever.
     */
    if (rest + fit.widest > width)
        width = rest + fit.widest;
    scols_table_set_termforce(tb, SCOLS_TERMFORCE_ALWAYS);
    scols_table_set_termwidth(tb, width);
    scols_print_table(tb);
out:
    free(done);
    scols_unref_table(tb);
    scols_unref_symbols(sy);
}

/* Columns text takes: one per UTF-8 character. */
static size_t columns(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/*
 * Writes text word-wrapped to width columns: the first line after first
 * (already written, first_cols wide), the next ones indented by indent
 * blanks. A word longer than a line stays whole.
 */
static void put_wrapped(FILE *out, const char *text, size_t first_cols, size_t indent,
                        size_t width)
{
    size_t col = first_cols;
    const char *p = text;
    int line_start = 1; /* no blank before the first word: the caller's text ends with one */
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        size_t n = strcspn(p, " ");
        size_t w = columns(p, n);
        if (col > indent && col + (line_start ? 0 : 1) + w > width) {
            fprintf(out, "\n%*s", (int)indent, "");
            col = indent;
            line_start = 1;
        }
        if (!line_start) {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, n, out);
        col += w;
        line_start = 0;
        p += n;
    }
    fputc('\n', out);
}

static void hier_title(FILE *out, const struct plog_model *m, const struct plog_reader *r,
                       const struct plog_hier *h, int color, size_t width)
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
        plog_fmt_when(r, t0, sizeof t0, h->t_round);
        snprintf(hb + len, sizeof hb - (size_t)len, ", upgrade %u from %s", (unsigned)h->round, t0);
    }
    char name[PFS_DL_MODEL_SZ + PFS_DL_FILE_SZ + 100], rest[200];
    int nl = snprintf(name, sizeof name, "%s %s%s:", h->model[0] ? h->model : "(model unknown)",
                      h->file[0] ? h->file : "(file unknown)", hb);
    snprintf(rest, sizeof rest, "%s%s, %zu %s, %llu Ads, %llu Timeouts", rootbuf,
             roots > 1 ? " and others" : "", h->nnodes, plog_plural(h->nnodes, "node", "nodes"),
             (unsigned long long)h->ads, (unsigned long long)h->timeouts);
    fprintf(out, "%s%s%s ", color ? C_BLD : "", name, color ? C_OFF : "");
    put_wrapped(out, rest, nl > 0 ? (size_t)nl + 1 : 0, 2, width);
}

static void ref_str(const struct plog_reader *r, struct plog_ref ref, char *b, size_t cap)
{
    if (ref.src == PLOG_NONE || !ref.line)
        b[0] = '\0';
    else
        snprintf(b, cap, " (%s:%llu)", plog_src_name(r, ref.src), (unsigned long long)ref.line);
}

/* ---- --xid: one phone's story ---- */

static const char *xid_name(const struct plog_model *m, uint32_t ph, char *b, size_t cap)
{
    uint32_t x;
    if (ph != PLOG_NONE && plog_phone_xid(m, ph, &x))
        snprintf(b, cap, "XID%08X", (unsigned)x);
    else
        snprintf(b, cap, "?");
    return b;
}

/* "XIDa <- XIDb <- XIDc (root)": from the phone up its parents, as the logs leave them. */
static void path_to_root(FILE *out, const struct plog_model *m, const struct plog_hier *h,
                         const struct plog_node *n, size_t width)
{
    char b[16], path[1200];
    size_t len = (size_t)snprintf(path, sizeof path, "%s", xid_name(m, n->phone, b, sizeof b));
    const struct plog_node *cur = n;
    for (int hops = 0; cur && cur->parent != PLOG_NONE && hops < 64 && len < sizeof path; hops++) {
        len += (size_t)snprintf(path + len, sizeof path - len, " <- %s",
                                xid_name(m, cur->parent, b, sizeof b));
        uint32_t pn = node_of(m, h, cur->parent);
        cur = pn == PLOG_NONE ? NULL : &m->nodes[pn];
    }
    const char *end = cur && cur->is_root ? " (root)"
                      : cur && (cur->fallback || cur->source == SRC_TFTP) ? " (TFTP server)"
                      : cur ? " (no parent, no root)" : " (whose own node is not known)";
    if (len < sizeof path)
        snprintf(path + len, sizeof path - len, "%s", end);
    fputs("  path to the root: ", out);
    put_wrapped(out, path, 20, 4, width);
}

/* The reason a node's log gave for a line of kind k, if any. */
static const char *reason_of(const struct plog_node *n, enum pfs_dlog_kind k)
{
    switch (k) {
    case PFS_DL_REFUSED: return n->refused_reason;
    case PFS_DL_FALLBACK: return n->reason;
    case PFS_DL_PARENT_LOST:
    case PFS_DL_CHILD_LOST: return n->lost_reason;
    case PFS_DL_TFTP_FAIL: return n->fail_reason;
    default: return "";
    }
}

static void story(FILE *out, const struct plog_model *m, const struct plog_reader *r,
                  const struct plog_hier *h, uint32_t ph, size_t width)
{
    uint32_t ni = node_of(m, h, ph);
    if (ni == PLOG_NONE)
        return;
    const struct plog_node *n = &m->nodes[ni];
    char note[256], b[16];
    path_to_root(out, m, h, n, width);
    node_note(m, n, note, sizeof note);
    char sum[400], rate[32] = "";
    if (n->rate > 0)
        snprintf(rate, sizeof rate, ", %.1f KB/s", n->rate);
    snprintf(sum, sizeof sum, "role %s, source %s, %.3f s%s%s%s", plog_role_name(plog_node_role(m, n)),
             n->source == SRC_NONE ? "-" : plog_source_name(n->source), plog_node_seconds(n), rate,
             note[0] ? "; " : "", note);
    fputs("  ", out);
    put_wrapped(out, sum, 2, 4, width);
    /* parents in the order its log named them */
    fputs("  parents:", out);
    int any = 0;
    for (uint32_t i = 0; i < h->nevents; i++) {
        const struct plog_evrec *e = &h->events[i];
        if (e->phone == ph && e->peer != PLOG_NONE &&
            (e->kind == PFS_DL_JOINED || e->kind == PFS_DL_PARENT_LOST)) {
            fprintf(out, " %s%s", e->kind == PFS_DL_PARENT_LOST ? "lost " : "",
                    xid_name(m, e->peer, b, sizeof b));
            any = 1;
        }
    }
    fputs(any ? "\n" : " none\n", out);
    for (uint32_t i = 0; i < h->nevents; i++) {
        const struct plog_evrec *e = &h->events[i];
        if (e->phone != ph)
            continue;
        const struct pfs_dlog_kind_info *k = pfs_dlog_info(e->kind);
        char t[40], line[700], where[300];
        plog_fmt_when(r, t, sizeof t, e->t);
        /* the file's base name: the story is one phone's, mostly from one file */
        const char *sn = plog_src_name(r, e->ref.src), *slash = strrchr(sn, '/');
        snprintf(where, sizeof where, " (%s:%llu)", slash ? slash + 1 : sn,
                 (unsigned long long)e->ref.line);
        const char *why = reason_of(n, e->kind);
        int len = snprintf(line, sizeof line, "%s %-13s", t, k ? k->name : "?");
        if (e->peer != PLOG_NONE && len > 0 && (size_t)len < sizeof line)
            len += snprintf(line + len, sizeof line - (size_t)len, " %s",
                            xid_name(m, e->peer, b, sizeof b));
        if (why[0] && len > 0 && (size_t)len < sizeof line)
            len += snprintf(line + len, sizeof line - (size_t)len, ": %s", why);
        if (len > 0 && (size_t)len < sizeof line)
            snprintf(line + len, sizeof line - (size_t)len, "%s", where);
        fputs("    ", out);
        put_wrapped(out, line, 4, 6, width);
    }
    if (h->dropped_events)
        fprintf(out, "    (%llu more lines of the hierarchy not kept)\n",
                (unsigned long long)h->dropped_events);
}

int plog_report_text(FILE *out, const struct plog_model *m, const struct plog_reader *r,
                     const struct plog_filter *f, const struct plog_out_opts *o)
{
    struct plog_tally t;
    plog_count(m, f, &t);
    char v[512];
    plog_verdict(m, f, v, sizeof v);
    const char *vc = !o->color ? "" : t.errors ? C_RED : t.warnings || !t.peer ? C_YEL : C_GRN;
    size_t width = (size_t)(o->width > 0 ? o->width : 80);
    fputs(vc, out);
    put_wrapped(out, v, 0, 2, width);
    fputs(o->color ? C_OFF : "", out);
    for (uint32_t hi = 0; hi < m->nhiers; hi++) {
        if (!plog_hier_selected(m, hi, f))
            continue;
        fputc('\n', out);
        hier_title(out, m, r, &m->hiers[hi], o->color, width);
        uint32_t ph = f->has_xid ? plog_map_get(&m->by_xid, f->xid) : PLOG_NONE;
        if (ph != PLOG_NONE)
            story(out, m, r, &m->hiers[hi], ph, width); /* its story, not every tree */
        else
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
        char head[96], body[sizeof d->msg + sizeof where];
        int hl = snprintf(head, sizeof head, "  %-7s %s%s:", sev_name(d->sev), d->code, up);
        snprintf(body, sizeof body, "%s%s", d->msg, where);
        fprintf(out, "  %s%-7s%s %s%s: ", c, sev_name(d->sev), o->color ? C_OFF : "", d->code, up);
        put_wrapped(out, body, hl > 0 ? (size_t)hl + 1 : 0, 4, width);
    }
    const struct plog_stats *s = &r->stats;
    char stats[256];
    snprintf(stats, sizeof stats, "%llu lines, %llu DLoad, %llu other, %llu not placed%s; %u %s",
             (unsigned long long)s->lines, (unsigned long long)s->dload_lines,
             (unsigned long long)s->other_lines, (unsigned long long)s->unparsed_lines,
             s->unparsed_lines && !o->verbose ? " (--verbose lists them)" : "", (unsigned)s->files,
             s->files == 1 ? "input" : "inputs");
    fputc('\n', out);
    put_wrapped(out, stats, 0, 2, width);
    const struct plog_loss *ls = &m->loss;
    if (ls->listening) {
        char loss[1024];
        size_t len = (size_t)snprintf(
            loss, sizeof loss,
            "%llu datagrams received, %llu lost (kernel %llu, queue %llu, %llu missing by sequence)",
            (unsigned long long)ls->received, (unsigned long long)plog_loss_total(ls),
            (unsigned long long)ls->kernel, (unsigned long long)ls->queue,
            (unsigned long long)ls->missing);
        plog_missing_senders(loss + len, sizeof loss - len, ls);
        put_wrapped(out, loss, 0, 2, width);
    }
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

/* What the picture shows of a node: its colour and style, from what went wrong. */
struct dot_look {
    const char *color, *style, *shape, *why;
};

/* Hierarchy hi's current upgrade has an error diagnostic (two roots at once, say). */
static int hier_has_error(const struct plog_model *m, uint32_t hi)
{
    for (size_t i = 0; i < m->ndiags; i++)
        if (m->diags[i].hier == hi && m->diags[i].sev == PLOG_ERROR && !m->diags[i].closed)
            return 1;
    return 0;
}

static struct dot_look dot_look(const struct plog_model *m, const struct plog_node *n, size_t roots)
{
    enum plog_role role = plog_node_role(m, n);
    struct dot_look k = {"black", "solid", "box", NULL};
    if (m->phones[n->phone].source == PH_MENTIONED)
        k.style = "dashed";
    if (role == ROLE_ROOT) {
        k.shape = "box3d";
        if (roots > 1) {
            /* at once (two-roots, an error), or one after the other (late-root) */
            k.color = hier_has_error(m, n->hier) ? "red" : "orange";
            k.why = "ONE OF SEVERAL ROOTS";
        }
    } else if (role == ROLE_SEEKING || role == ROLE_CANDIDATE) {
        k.color = "orange";
        k.style = "dashed,bold";
        k.why = role == ROLE_SEEKING ? "STRANDED: never attached" : "claimed root, never confirmed";
    } else if (role == ROLE_TFTP) {
        k.color = "orange";
        k.why = "TFTP FALLBACK";
    }
    if (n->parent_lost && !k.why) {
        k.color = "orange";
        k.why = "LOST ITS PARENT";
    }
    if (n->hash_bad || (n->tftp_fail && !n->got_after_fail)) {
        k.color = "red";
        k.why = n->hash_bad ? "BAD HASH" : "TFTP FAILED";
    }
    return k;
}

/* One hierarchy's nodes and edges, every id prefixed with the hierarchy's number. */
static void dot_hier(FILE *out, const struct plog_model *m, uint32_t hi, const char *ind)
{
    const struct plog_hier *h = &m->hiers[hi];
    size_t roots = 0;
    for (size_t i = 0; i < h->nnodes; i++)
        roots += m->nodes[h->nodes[i]].is_root != 0;
    fprintf(out, "%s\"h%u_tftp\" [label=\"TFTP server\", shape=cylinder];\n", ind, (unsigned)hi);
    for (size_t i = 0; i < h->nnodes; i++) {
        const struct plog_node *n = &m->nodes[h->nodes[i]];
        const struct plog_phone *p = &m->phones[n->phone];
        char id[32], ip[20], label[320], who[16] = "(no XID)";
        snprintf(id, sizeof id, "h%u_p%u", (unsigned)hi, (unsigned)n->phone);
        if (p->has_xid)
            snprintf(who, sizeof who, "XID%08X", (unsigned)p->xid);
        ipstr(ip, sizeof ip, p->ip);
        struct dot_look k = dot_look(m, n, roots);
        int len = snprintf(label, sizeof label, "%s\n%s\n%s, %s, %.3f s%s", who, ip,
                           plog_role_name(plog_node_role(m, n)),
                           n->source == SRC_NONE ? "-" : plog_source_name(n->source),
                           plog_node_seconds(n), p->source == PH_MENTIONED ? "\nno log" : "");
        if (k.why && len > 0 && (size_t)len < sizeof label)
            snprintf(label + len, sizeof label - (size_t)len, "\n%s", k.why);
        fprintf(out, "%s\"%s\" [label=", ind, id);
        dot_str(out, label);
        fprintf(out, ", color=%s, fontcolor=%s, style=\"%s\", shape=%s];\n", k.color, k.color,
                k.style, k.shape);
        if (n->source == SRC_TFTP || (n->tftp_fetch && n->source == SRC_NONE)) {
            char el[PFS_DL_WORD_SZ + 64] = "";
            int fb = !n->is_root && (n->fallback || n->source == SRC_TFTP);
            if (fb)
                snprintf(el, sizeof el, "fallback: %s", n->reason[0] ? n->reason : "tftp");
            if (n->rate > 0)
                snprintf(el + strlen(el), sizeof el - strlen(el), "%s%.1f KB/s", el[0] ? "\n" : "",
                         n->rate);
            fprintf(out, "%s\"h%u_tftp\" -> \"%s\" [style=dashed, color=%s, label=", ind,
                    (unsigned)hi, id, fb ? "red" : "gray40");
            dot_str(out, el);
            fputs("];\n", out);
        }
    }
    for (size_t i = 0; i < h->nnodes; i++) {
        const struct plog_node *n = &m->nodes[h->nodes[i]];
        if (n->parent == PLOG_NONE)
            continue;
        char rate[32] = "";
        if (n->rate > 0 && n->source == SRC_PEER)
            snprintf(rate, sizeof rate, "%.1f KB/s", n->rate);
        fprintf(out, "%s\"h%u_p%u\" -> \"h%u_p%u\" [label=\"%s\"%s];\n", ind, (unsigned)hi,
                (unsigned)n->parent, (unsigned)hi, (unsigned)n->phone, rate,
                n->source == SRC_PEER ? "" : ", style=dotted");
    }
}

static void hier_label(const struct plog_hier *h, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s %s", h->model[0] ? h->model : "?", h->file[0] ? h->file : "?");
}

/*
 * One digraph, a cluster per hierarchy: `dot -Tsvg` makes one picture
 * (one digraph per hierarchy would make as many SVG documents run together).
 */
int plog_report_dot(FILE *out, const struct plog_model *m, const struct plog_filter *f)
{
    fputs("digraph pfs {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\"];\n"
          "  edge [fontname=\"monospace\", fontsize=10];\n",
          out);
    for (uint32_t hi = 0; hi < m->nhiers; hi++) {
        if (!plog_hier_selected(m, hi, f))
            continue;
        char title[PFS_DL_MODEL_SZ + PFS_DL_FILE_SZ + 4];
        hier_label(&m->hiers[hi], title, sizeof title);
        fprintf(out, "  subgraph cluster_%u {\n    label=", (unsigned)hi);
        dot_str(out, title);
        fputs(";\n", out);
        dot_hier(out, m, hi, "    ");
        fputs("  }\n", out);
    }
    fputs("}\n", out);
    return 0;
}

int plog_dot_hier(FILE *out, const struct plog_model *m, uint32_t hi)
{
    char title[PFS_DL_MODEL_SZ + PFS_DL_FILE_SZ + 4];
    hier_label(&m->hiers[hi], title, sizeof title);
    fputs("digraph pfs {\n  comment=", out);
    dot_str(out, title);
    fputs(";\n  node [shape=box, fontname=\"monospace\"];\n"
          "  edge [fontname=\"monospace\", fontsize=10];\n",
          out);
    dot_hier(out, m, hi, "  ");
    fputs("}\n", out);
    return 0;
}

/* ---- timeline ---- */

void plog_timeline_line(FILE *out, const struct plog_reader *r, const struct plog_model *m,
                        const struct plog_event *e, uint32_t phone, int json)
{
    char t[40], text[512];
    plog_fmt_when(r, t, sizeof t, e->t);
    if (pfs_dlog_format(text, sizeof text, &e->ev) < 0)
        text[0] = '\0';
    const struct pfs_dlog_kind_info *k = pfs_dlog_info(e->ev.kind);
    uint32_t xid = e->ev.xid;
    int has_xid = (k && (k->flags & PFS_DLF_SELF)) || plog_phone_xid(m, phone, &xid);
    const char *host = e->stream < r->nstreams ? r->streams[e->stream].host : "";
    if (json) {
        char iso[40];
        fprintf(out, "{\"t\":%.6f,\"time\":\"%s\",\"at\":", (double)e->t / 1e6, t);
        if (plog_iso_time(r, iso, sizeof iso, e->t))
            fprintf(out, "\"%s\"", iso);
        else
            fputs("null", out);
        fputs(",\"xid\":", out);
        if (has_xid)
            fprintf(out, "\"%08X\"", (unsigned)xid);
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
        snprintf(who, sizeof who, "XID%08X", (unsigned)xid);
    else
        snprintf(who, sizeof who, "%-11s", host[0] ? host : "-");
    fprintf(out, "%s %s %-13s %s (%s:%llu)\n", t, who, k ? k->name : "none", text,
            plog_src_name(r, e->ref.src), (unsigned long long)e->ref.line);
}
