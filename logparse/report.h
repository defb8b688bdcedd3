/*
 * report.h - pfslog's reports of a model: text (report.c), JSON (json.c), DOT,
 * timeline lines, and what they share (summary.c: filters, verdict, times).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PLOG_REPORT_H
#define PLOG_REPORT_H

#include <stdio.h>

#include "model.h"

struct plog_filter {
    const char *file, *model;
    uint32_t xid;
    int has_xid;
    int window;                         /* --since or --until given */
    uint64_t outside;                   /* the events the window left out */
};

struct plog_out_opts {
    int color;
    int utf8;
    int verbose;
    int width;                          /* columns the text report fits in (0: 80) */
};

int plog_hier_selected(const struct plog_model *m, uint32_t hi, const struct plog_filter *f);
int plog_report_text(FILE *out, const struct plog_model *m, const struct plog_reader *r,
                     const struct plog_filter *f, const struct plog_out_opts *o);
int plog_report_json(FILE *out, const struct plog_model *m, const struct plog_reader *r,
                     const struct plog_filter *f);
/* Graphviz: one digraph, a cluster per selected hierarchy, problems coloured, rates on edges. */
int plog_report_dot(FILE *out, const struct plog_model *m, const struct plog_filter *f);
/*
 * --html: one self-contained page (no script, nothing fetched): the
 * verdict, each hierarchy's tree laid out by libgvc, a timeline of every
 * phone's download, the diagnostics with their evidence lines read back
 * from the inputs. 0, or -1 with the reason in err.
 */
int plog_report_html(FILE *out, const struct plog_model *m, const struct plog_reader *r,
                     const struct plog_filter *f, char *err, size_t ecap);
/* The same for hierarchy hi alone (the HTML report lays each out). */
int plog_dot_hier(FILE *out, const struct plog_model *m, uint32_t hi);
/*
 * One timeline entry, text or a JSON object line; phone is the phone
 * whose line it is (the model's last_phone when it was applied), which
 * names the line when its text has no XID.
 */
void plog_timeline_line(FILE *out, const struct plog_reader *r, const struct plog_model *m,
                        const struct plog_event *e, uint32_t phone, int json);
/* The timeline's filters: the event of phone ph in hierarchy hi (PLOG_NONE: none) is selected. */
int plog_event_selected(const struct plog_model *m, const struct plog_filter *f,
                        const struct plog_event *e, uint32_t ph, uint32_t hi);
/* Number of error diagnostics among the selected ones. */
size_t plog_error_count(const struct plog_model *m, const struct plog_filter *f);
int plog_diag_selected(const struct plog_model *m, const struct plog_diag *d,
                       const struct plog_filter *f);
/* What the selected hierarchies, phones and diagnostics add up to. */
struct plog_tally {
    size_t hiers, roots, peer, tftp, fallback, nodes, errors, warnings, infos;
    size_t phones, logs;
    uint64_t lost;                      /* --listen: datagrams lost */
    int filtered;                       /* a filter left out hierarchies the input has */
    int windowed;                       /* --since/--until left events out */
};
void plog_count(const struct plog_model *m, const struct plog_filter *f, struct plog_tally *t);
const char *plog_plural(size_t n, const char *one, const char *many);
/* The one-sentence answer to "did PFS work?" for the selected hierarchies. */
void plog_verdict(const struct plog_model *m, const struct plog_filter *f, char *buf, size_t cap);
double plog_node_seconds(const struct plog_node *n);

void plog_json_str(FILE *out, const char *s, size_t n);
/* Bytes of the valid UTF-8 character at s, or 0 when it is not one. */
size_t plog_utf8_len(const unsigned char *s, size_t n);
/*
 * s[0..n) escaped as in a JSON string (no quotes) into dst, as much as
 * fits in cap bytes without cutting a character: the bytes written, and
 * in *used how many of s they hold.
 */
size_t plog_json_esc(char *dst, size_t cap, const char *s, size_t n, size_t *used);
/*
 * The time t with its date, as far as the input's syslog headers give one:
 * "2026-12-02 00:00:01.000000" (RFC 5424), "Dec  2 00:00:01.000000" (RFC
 * 3164, no year), else "+1d 00:00:01.000000" from the second day on.
 */
void plog_fmt_when(const struct plog_reader *r, char *buf, size_t cap, int64_t t);
/* The same as ISO 8601 ("2026-12-02T00:00:01.000000"): 1, or 0 when the input names no year. */
int plog_iso_time(const struct plog_reader *r, char *buf, size_t cap, int64_t t);

/* --since / --until: a date and time, or a time of day on the input's first day. */
struct plog_when {
    int set, before;                    /* before: --until (strictly before it) */
    int has_date;
    int64_t day, doy, usec;             /* days since 1970, day of its year, time of day */
};
/* "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" (or T), "HH:MM[:SS]": 0, or -1. */
int plog_when_parse(const char *s, int before, struct plog_when *w);
/* Time t of the input is on the right side of w (always, when w is not set). */
int plog_time_in(const struct plog_reader *r, const struct plog_when *w, int64_t t);
void plog_fmt_time(char *buf, size_t cap, int64_t t);

#endif
