/*
 * html.c - --html FILE: one self-contained page a field engineer attaches
 * to a ticket. The verdict; per hierarchy its tree as a picture, laid out
 * by Graphviz's library (libgvc) from the same graph as --dot; a timeline
 * of every phone's download on one time axis (claim, wait, from whom, how
 * long, fallback); the diagnostics with their evidence lines, read back
 * from the inputs. No script, no fetch: styles and pictures are inline.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "report.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define TL_WIDTH 1100   /* the timeline's picture */
#define TL_LEFT 260     /* its label column */
#define TL_ROW 18
#define EVIDENCE_MAX 200 /* evidence lines read back, at most */
#define EVIDENCE_LEN 300

/* Text into HTML (or SVG): the markup characters escaped, control bytes shown as '?'. */
static void esc(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(c < 0x20 || c == 0x7f ? '?' : c, out);
        }
    }
}

static const char STYLE[] =
    "body{font-family:sans-serif;margin:1.5em;color:#222}"
    "h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.5em}"
    ".verdict{padding:.6em;border-left:6px solid #2a2;background:#f4fff4}"
    ".verdict.bad{border-color:#c22;background:#fff4f4}"
    ".verdict.warn{border-color:#d80;background:#fffaf0}"
    ".tree svg{max-width:100%;height:auto}"
    "table{border-collapse:collapse;font-size:.9em}"
    "td,th{border:1px solid #ccc;padding:.2em .5em;vertical-align:top;text-align:left}"
    ".error{color:#c22;font-weight:bold}.warning{color:#b60}.info{color:#555}"
    "code,pre{font-family:monospace;font-size:.85em}pre{margin:0;white-space:pre-wrap}"
    ".legend span{display:inline-block;width:1.2em;height:.8em;margin:0 .3em 0 1em}";

/* ---- the trees, laid out by libgvc ---- */

/* Hierarchy hi's tree as inline SVG; 0, or -1 with the reason in err. */
static int tree_svg(FILE *out, GVC_t *gvc, const struct plog_model *m, uint32_t hi, char *err,
                    size_t ecap)
{
    char *dot = NULL;
    size_t dlen = 0;
    FILE *mem = open_memstream(&dot, &dlen);
    if (!mem) {
        snprintf(err, ecap, "out of memory");
        return -1;
    }
    plog_dot_hier(mem, m, hi);
    if (fclose(mem) != 0) {
        free(dot);
        snprintf(err, ecap, "out of memory");
        return -1;
    }
    Agraph_t *g = agmemread(dot);
    free(dot);
    if (!g) {
        snprintf(err, ecap, "graphviz: cannot read the graph of hierarchy %u", (unsigned)hi);
        return -1;
    }
    char *svg = NULL;
    unsigned int slen = 0;
    int rc = gvLayout(gvc, g, "dot");
    if (rc == 0)
        rc = gvRenderData(gvc, g, "svg", &svg, &slen);
    if (rc == 0 && svg) {
        /* inline: from <svg on, without the XML prolog and its DOCTYPE */
        const char *start = strstr(svg, "<svg");
        if (start)
            fwrite(start, 1, slen - (unsigned)(start - svg), out);
    } else {
        snprintf(err, ecap, "graphviz: cannot lay out hierarchy %u", (unsigned)hi);
    }
    gvFreeRenderData(svg);
    gvFreeLayout(gvc, g);
    agclose(g);
    return rc == 0 ? 0 : -1;
}

/* ---- the timeline ---- */

struct span {
    int64_t lo, hi;
};

static void node_span(const struct plog_node *n, struct span *s)
{
    int64_t end = n->t_done ? n->t_done : n->t_last;
    if (n->t_first < s->lo)
        s->lo = n->t_first;
    if (end > s->hi)
        s->hi = end;
}

static double xpos(const struct span *s, int64_t t)
{
    double w = (double)(s->hi - s->lo);
    return TL_LEFT + (w > 0 ? (double)(t - s->lo) / w : 0) * (TL_WIDTH - TL_LEFT - 20);
}

/* One phone's download in one hierarchy: waiting, then the transfer, coloured by its source. */
static void tl_row(FILE *out, const struct plog_model *m, const struct plog_hier *h,
                   const struct plog_node *n, const struct span *s, int row)
{
    char who[16] = "(no XID)", what[300];
    uint32_t x;
    if (plog_phone_xid(m, n->phone, &x))
        snprintf(who, sizeof who, "XID%08X", (unsigned)x);
    int y = 30 + row * TL_ROW;
    int64_t end = n->t_done ? n->t_done : n->t_last;
    int64_t xfr = n->t_xfr && n->t_xfr >= n->t_first ? n->t_xfr : end;
    int fallback = !n->is_root && (n->fallback || n->source == SRC_TFTP);
    const char *color = fallback ? "#d22" : n->source == SRC_TFTP ? "#e90" : n->source == SRC_PEER
                                                                               ? "#37c"
                                                                               : "#999";
    char from[40] = "";
    if (n->parent != PLOG_NONE && plog_phone_xid(m, n->parent, &x))
        snprintf(from, sizeof from, " from XID%08X", (unsigned)x);
    snprintf(what, sizeof what, "%s %s: %s%s%s, %.3f s%s%s", who, h->file,
             plog_role_name(plog_node_role(m, n)), n->source == SRC_NONE ? "" : ", ",
             n->source == SRC_NONE ? "" : plog_source_name(n->source), plog_node_seconds(n), from,
             fallback ? ", TFTP fallback" : "");
    fprintf(out, "<g class=\"row\"><title>");
    esc(out, what);
    fprintf(out, "</title><text x=\"4\" y=\"%d\" font-size=\"11\">", y + 12);
    esc(out, who);
    fputc(' ', out);
    esc(out, h->file);
    fprintf(out, "</text>");
    /* waiting: from its first line to the transfer; the transfer to the file */
    fprintf(out, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"12\" fill=\"#ddd\"/>",
            xpos(s, n->t_first), y + 2, xpos(s, xfr) - xpos(s, n->t_first) + 0.5);
    fprintf(out, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"12\" fill=\"%s\"/>",
            xpos(s, xfr), y + 2, xpos(s, end) - xpos(s, xfr) + 1.5, color);
    if (n->el.claimed)
        fprintf(out, "<circle cx=\"%.1f\" cy=\"%d\" r=\"3\" fill=\"%s\"/>", xpos(s, n->el.t_claim),
                y + 8, n->is_root ? "#2a2" : "#555");
    /* from whom and how long, after the bar (or before it, near the right edge) */
    char tail[80];
    snprintf(tail, sizeof tail, "%s%s %.1f s", n->source == SRC_TFTP ? "TFTP" : "",
             n->source == SRC_TFTP ? "" : from[0] ? from + 6 : "-", plog_node_seconds(n));
    double tx = xpos(s, end) + 4;
    int right = tx > TL_WIDTH - 120;
    fprintf(out, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\"%s>", right ? xpos(s, xfr) - 4 : tx,
            y + 12, right ? " text-anchor=\"end\"" : "");
    esc(out, tail);
    fputs("</text>", out);
    fputs("</g>\n", out);
}

static void timeline_svg(FILE *out, const struct plog_model *m, const struct plog_reader *r,
                         const struct plog_filter *f)
{
    struct span s = {INT64_MAX, INT64_MIN};
    int rows = 0;
    for (uint32_t hi = 0; hi < m->nhiers; hi++) {
        if (!plog_hier_selected(m, hi, f))
            continue;
        for (size_t i = 0; i < m->hiers[hi].nnodes; i++, rows++)
            node_span(&m->nodes[m->hiers[hi].nodes[i]], &s);
    }
    if (!rows) {
        fputs("<p>No phone downloaded a file.</p>\n", out);
        return;
    }
    char t0[48], t1[48];
    plog_fmt_when(r, t0, sizeof t0, s.lo);
    plog_fmt_when(r, t1, sizeof t1, s.hi);
    int height = 40 + rows * TL_ROW;
    fprintf(out, "<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                 "viewBox=\"0 0 %d %d\">\n",
            TL_WIDTH, height, TL_WIDTH, height);
    fprintf(out, "<line x1=\"%d\" y1=\"24\" x2=\"%d\" y2=\"24\" stroke=\"#333\"/>", TL_LEFT,
            TL_WIDTH - 20);
    fprintf(out, "<text x=\"%d\" y=\"16\" font-size=\"11\">", TL_LEFT);
    esc(out, t0);
    fprintf(out, "</text><text x=\"%d\" y=\"16\" font-size=\"11\" text-anchor=\"end\">", TL_WIDTH - 20);
    esc(out, t1);
    fputs("</text>\n", out);
    int row = 0;
    for (uint32_t hi = 0; hi < m->nhiers; hi++) {
        if (!plog_hier_selected(m, hi, f))
            continue;
        const struct plog_hier *h = &m->hiers[hi];
        for (size_t i = 0; i < h->nnodes; i++)
            tl_row(out, m, h, &m->nodes[h->nodes[i]], &s, row++);
    }
    fputs("</svg>\n", out);
}

/* ---- the diagnostics and their evidence ---- */

struct evidence {
    uint32_t src;
    uint64_t line;
    char text[EVIDENCE_LEN];
    int found;
};

static int ev_cmp(const void *a, const void *b)
{
    const struct evidence *x = a, *y = b;
    if (x->src != y->src)
        return x->src < y->src ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

/*
 * The text of each evidence line, read back from its input (gzip or not,
 * zlib reads both). Inputs that cannot be read again (stdin, a socket)
 * keep only their file:line.
 */
static void read_evidence(const struct plog_reader *r, struct evidence *ev, size_t n)
{
    qsort(ev, n, sizeof *ev, ev_cmp);
    for (size_t i = 0; i < n;) {
        size_t end = i;
        while (end < n && ev[end].src == ev[i].src)
            end++;
        const char *name = plog_src_name(r, ev[i].src);
        gzFile gz = name[0] == '<' || strncmp(name, "udp:", 4) == 0 ? NULL : gzopen(name, "rb");
        uint64_t lineno = 0;
        char buf[EVIDENCE_LEN];
        for (size_t j = i; gz && j < end && gzgets(gz, buf, sizeof buf);) {
            size_t len = strlen(buf);
            int whole = len && buf[len - 1] == '\n';
            lineno++;
            for (; j < end && ev[j].line == lineno; j++) {
                snprintf(ev[j].text, sizeof ev[j].text, "%.*s", (int)(whole ? len - 1 : len), buf);
                ev[j].found = 1;
            }
            /* the rest of a line longer than the buffer */
            while (!whole && gzgets(gz, buf, sizeof buf)) {
                len = strlen(buf);
                whole = len && buf[len - 1] == '\n';
            }
        }
        if (gz)
            gzclose(gz);
        i = end;
    }
}

static const struct evidence *find_ev(const struct evidence *ev, size_t n, struct plog_ref ref)
{
    struct evidence key = {ref.src, ref.line, "", 0};
    return bsearch(&key, ev, n, sizeof *ev, ev_cmp);
}

static const char *sev_class(enum plog_sev s)
{
    return s == PLOG_ERROR ? "error" : s == PLOG_WARN ? "warning" : "info";
}

static void diagnostics(FILE *out, const struct plog_model *m, const struct plog_reader *r,
                        const struct plog_filter *f)
{
    struct evidence *ev = calloc(EVIDENCE_MAX, sizeof *ev);
    size_t nev = 0, shown = 0;
    for (size_t i = 0; ev && i < m->ndiags && nev < EVIDENCE_MAX; i++) {
        const struct plog_diag *d = &m->diags[i];
        if (plog_diag_selected(m, d, f) && d->ref.line && d->ref.src != PLOG_NONE)
            ev[nev++] = (struct evidence){d->ref.src, d->ref.line, "", 0};
    }
    if (ev)
        read_evidence(r, ev, nev);
    fputs("<h2 id=\"diagnostics\">Diagnostics</h2>\n<table>\n"
          "<tr><th>severity</th><th>code</th><th>what</th><th>evidence</th></tr>\n",
          out);
    for (size_t i = 0; i < m->ndiags; i++) {
        const struct plog_diag *d = &m->diags[i];
        if (!plog_diag_selected(m, d, f))
            continue;
        shown++;
        fprintf(out, "<tr class=\"diag\"><td class=\"%s\">%s</td><td><code>%s</code></td><td>",
                sev_class(d->sev), sev_class(d->sev), d->code);
        esc(out, d->msg);
        fputs("</td><td>", out);
        if (d->ref.line && d->ref.src != PLOG_NONE) {
            char where[300];
            snprintf(where, sizeof where, "%s:%llu", plog_src_name(r, d->ref.src),
                     (unsigned long long)d->ref.line);
            fputs("<code>", out);
            esc(out, where);
            fputs("</code>", out);
            const struct evidence *e = ev ? find_ev(ev, nev, d->ref) : NULL;
            if (e && e->found) {
                fputs("<pre class=\"evidence\">", out);
                esc(out, e->text);
                fputs("</pre>", out);
            }
        }
        fputs("</td></tr>\n", out);
    }
    if (!shown)
        fputs("<tr><td colspan=\"4\">none</td></tr>\n", out);
    fputs("</table>\n", out);
    free(ev);
}

int plog_report_html(FILE *out, const struct plog_model *m, const struct plog_reader *r,
                     const struct plog_filter *f, char *err, size_t ecap)
{
    struct plog_tally t;
    plog_count(m, f, &t);
    char v[512];
    plog_verdict(m, f, v, sizeof v);
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<title>pfslog report</title>\n<style>",
          out);
    fputs(STYLE, out);
    fprintf(out, "</style></head>\n<body>\n<h1>PFS report</h1>\n<p class=\"verdict%s\" id=\"verdict\">",
            t.errors ? " bad" : t.warnings || !t.peer ? " warn" : "");
    esc(out, v);
    fputs("</p>\n", out);
    GVC_t *gvc = gvContext();
    if (!gvc) {
        snprintf(err, ecap, "graphviz: no context");
        return -1;
    }
    int rc = 0;
    for (uint32_t hi = 0; hi < m->nhiers && rc == 0; hi++) {
        if (!plog_hier_selected(m, hi, f))
            continue;
        const struct plog_hier *h = &m->hiers[hi];
        fprintf(out, "<section class=\"hier\" id=\"h%u\"><h2>", (unsigned)hi);
        esc(out, h->model[0] ? h->model : "(model unknown)");
        fputc(' ', out);
        esc(out, h->file[0] ? h->file : "(file unknown)");
        if (h->has_h)
            fprintf(out, " H=%08X", (unsigned)h->h);
        fprintf(out, " (%zu phones)</h2>\n<div class=\"tree\">\n", h->nnodes);
        rc = tree_svg(out, gvc, m, hi, err, ecap);
        fputs("</div></section>\n", out);
    }
    gvFreeContext(gvc);
    if (rc != 0)
        return -1;
    fputs("<h2>Timeline</h2>\n<p class=\"legend\">every phone's download, one row per phone and "
          "file: <span style=\"background:#ddd\"></span>waiting <span style=\"background:#37c\">"
          "</span>from a peer <span style=\"background:#e90\"></span>root from TFTP "
          "<span style=\"background:#d22\"></span>TFTP fallback; a dot is its root claim "
          "(green: the root)</p>\n",
          out);
    timeline_svg(out, m, r, f);
    diagnostics(out, m, r, f);
    fputs("</body></html>\n", out);
    return 0;
}
