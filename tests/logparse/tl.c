/*
 * tl.c - helpers shared by the pfslog unit tests (tl.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl.h"

static void on_unplaced(void *ctx, struct plog_ref ref, const char *why, const char *line,
                        size_t len)
{
    struct tl *t = ctx;
    (void)why;
    (void)line;
    (void)len;
    if (t->nunplaced < TL_UNPLACED_MAX)
        t->unplaced[t->nunplaced++] = ref;
}

struct tl *tl_new(void)
{
    struct tl *t = calloc(1, sizeof *t);
    assert_non_null(t);
    char err[200];
    if (plog_reader_init(&t->r, err, sizeof err) != 0)
        fail_msg("reader: %s", err);
    t->r.unplaced = on_unplaced;
    t->r.unplaced_ctx = t;
    plog_model_init(&t->m);
    t->apply = 1;
    t->src = plog_reader_add_src(&t->r, "test.log");
    assert_int_not_equal(t->src, PLOG_NONE);
    return t;
}

void tl_free(struct tl *t)
{
    plog_model_free(&t->m);
    plog_reader_free(&t->r);
    free(t);
}

uint32_t tl_src(struct tl *t, const char *name)
{
    plog_reader_end_src(&t->r, t->src);
    t->src = plog_reader_add_src(&t->r, name);
    assert_int_not_equal(t->src, PLOG_NONE);
    t->lineno = 0;
    return t->src;
}

int tl_raw(struct tl *t, const char *line, size_t len, const char *host)
{
    struct plog_event out[PLOG_MAX_OUT];
    int n = plog_read_line(&t->r, t->src, ++t->lineno, line, len, host, out);
    assert_true(n >= 0 && n <= PLOG_MAX_OUT);
    for (int i = 0; i < n; i++) {
        if (t->nev < TL_EV_MAX)
            t->ev[t->nev++] = out[i];
        if (t->apply)
            plog_model_apply(&t->m, &out[i], &t->r);
    }
    return n;
}

int tl_line(struct tl *t, const char *line)
{
    return tl_raw(t, line, strlen(line), NULL);
}

void tl_text(struct tl *t, const char *text)
{
    while (*text) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) : strlen(text);
        tl_raw(t, text, len, NULL);
        text += len + (nl != NULL);
    }
}

void tl_finish(struct tl *t)
{
    plog_reader_end_src(&t->r, t->src);
    plog_model_finish(&t->m);
    assert_false(t->m.oom);
}

const char *tl_dl(int64_t usec, struct pfs_dlog_ev ev)
{
    static char line[600];
    int n = pfs_dlog_line(line, sizeof line, usec, &ev);
    assert_true(n > 0 && (size_t)n < sizeof line);
    return line;
}

int tl_ev(struct tl *t, int64_t usec, struct pfs_dlog_ev ev)
{
    return tl_line(t, tl_dl(usec, ev));
}

int64_t tl_tod(int h, int m, int s, int us)
{
    return (((int64_t)h * 60 + m) * 60 + s) * 1000000LL + us;
}

const struct plog_phone *tl_phone(const struct tl *t, uint32_t xid)
{
    for (size_t i = 0; i < t->m.nphones; i++)
        if (t->m.phones[i].has_xid && t->m.phones[i].xid == xid)
            return &t->m.phones[i];
    return NULL;
}

uint32_t tl_hier(const struct tl *t, const char *file)
{
    for (size_t i = 0; i < t->m.nhiers; i++)
        if (strcmp(t->m.hiers[i].file, file) == 0)
            return (uint32_t)i;
    fail_msg("no hierarchy for %s", file);
    return PLOG_NONE;
}

const struct plog_node *tl_node(const struct tl *t, uint32_t hier, uint32_t xid)
{
    const struct plog_hier *h = &t->m.hiers[hier];
    for (size_t i = 0; i < h->nnodes; i++) {
        const struct plog_node *n = &t->m.nodes[h->nodes[i]];
        if (t->m.phones[n->phone].has_xid && t->m.phones[n->phone].xid == xid)
            return n;
    }
    return NULL;
}

uint32_t tl_xid(const struct tl *t, uint32_t phone)
{
    return phone == PLOG_NONE ? 0 : t->m.phones[phone].xid;
}

size_t tl_diags(const struct tl *t, const char *code, uint32_t hier)
{
    size_t n = 0;
    for (size_t i = 0; i < t->m.ndiags; i++)
        if (strcmp(t->m.diags[i].code, code) == 0 &&
            (hier == PLOG_NONE || t->m.diags[i].hier == hier))
            n++;
    return n;
}

const struct plog_diag *tl_diag(const struct tl *t, const char *code)
{
    for (size_t i = 0; i < t->m.ndiags; i++)
        if (strcmp(t->m.diags[i].code, code) == 0)
            return &t->m.diags[i];
    fail_msg("no diagnostic %s", code);
    return NULL;
}

enum rep { R_JSON, R_TEXT, R_DOT };

static char *report(const struct tl *t, enum rep which)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    struct plog_filter none = {0};
    struct plog_out_opts o = {0, 1, 1, 80};
    switch (which) {
    case R_JSON: plog_report_json(f, &t->m, &t->r, &none); break;
    case R_TEXT: plog_report_text(f, &t->m, &t->r, &none, &o); break;
    case R_DOT: plog_report_dot(f, &t->m, &none); break;
    }
    assert_int_equal(fclose(f), 0);
    if (which == R_JSON && !json_valid(buf, len))
        fail_msg("--json output is not valid JSON:\n%s", buf);
    return buf;
}

char *tl_json(const struct tl *t)
{
    return report(t, R_JSON);
}

char *tl_text_report(const struct tl *t)
{
    return report(t, R_TEXT);
}

char *tl_dot(const struct tl *t)
{
    return report(t, R_DOT);
}
