/*
 * fuzz_pfslog.c - libFuzzer harness over pfslog's line reader and its
 * reconstruction: whatever the bytes, reading them, rebuilding the trees
 * and writing every report must not crash or leak, and --json must stay
 * one valid JSON document.
 *
 * Input: lines separated by '\n'. A first byte below 0x20 is a set of
 * flags instead of text: 1 = a form feed starts a second input, 2 = lines
 * arrive as from --listen (a sender names the phone), 4 = the bytes go
 * through the file layer (a memfd: blocks, gzip), 8 = filter the reports.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE /* memfd_create */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "input.h"
#include "json_check.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { F_TWO = 1, F_HOST = 2, F_FILE = 4, F_FILTER = 8 };

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_pfslog: property broken: %s\n", what);
        abort();
    }
}

/* Compiled once: the patterns are the same for every input. */
static struct pfs_dlog_parser *parser(void)
{
    static struct pfs_dlog_parser *p;
    if (!p) {
        char err[200];
        p = pfs_dlog_parser_new(err, sizeof err);
        check(p != NULL, err);
    }
    return p;
}

struct run {
    struct plog_reader r;
    struct plog_model m;
    FILE *sink;
};

static void on_event(void *ctx, const struct plog_event *e)
{
    struct run *run = ctx;
    plog_model_apply(&run->m, e, &run->r);
    plog_timeline_line(run->sink, &run->r, &run->m, e, run->m.last_phone, e->ref.line & 1);
}

static void feed_lines(struct run *run, const char *p, size_t n, int flags)
{
    uint32_t src = plog_reader_add_src(&run->r, "a.log");
    uint64_t lineno = 0;
    const char *end = p + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if ((flags & F_TWO) && len && p[0] == '\f') {
            plog_reader_end_src(&run->r, src);
            src = plog_reader_add_src(&run->r, "b.log");
            lineno = 0;
        }
        struct plog_event ev[PLOG_MAX_OUT];
        const char *host = (flags & F_HOST) ? (lineno & 1 ? "192.0.2.1" : "192.0.2.2") : NULL;
        int k = plog_read_line(&run->r, src, ++lineno, p, len, host, ev);
        check(k >= 0 && k <= PLOG_MAX_OUT, "events per line within bounds");
        for (int i = 0; i < k; i++)
            on_event(run, &ev[i]);
        p += len + 1;
    }
    plog_reader_end_src(&run->r, src);
}

/* The bytes as a file: the block reader and gzip. */
static void feed_file(struct run *run, const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz", MFD_CLOEXEC);
    check(fd >= 0, "memfd_create");
    check(write(fd, data, size) == (ssize_t)size, "write memfd");
    char name[64], err[300], *names[1] = {name};
    snprintf(name, sizeof name, "/proc/self/fd/%d", fd);
    /* a read error (bad gzip) is an answer, not a crash */
    (void)plog_run_inputs(names, 1, &run->r, on_event, run, err, sizeof err);
    close(fd);
}

static char *report_json(struct run *run, const struct plog_filter *f, size_t *len)
{
    char *buf = NULL;
    FILE *out = open_memstream(&buf, len);
    check(out != NULL, "open_memstream");
    plog_report_json(out, &run->m, &run->r, f);
    check(fclose(out) == 0, "close memstream");
    check(json_valid(buf, *len), "--json output is one valid JSON document");
    return buf;
}

static void reports(struct run *run, int flags)
{
    struct plog_filter f = {0};
    if (flags & F_FILTER) {
        f.file = "*.sbn";
        f.model = "CP-7961G";
        f.xid = 0x080027F8u;
        f.has_xid = 1;
    }
    struct plog_out_opts o = {1, 1, 1, 80};
    plog_report_text(run->sink, &run->m, &run->r, &f, &o);
    plog_report_dot(run->sink, &run->m, &f);
    size_t l1, l2;
    char *a = report_json(run, &f, &l1);
    /* finishing twice gives the same answer */
    plog_model_finish(&run->m);
    char *b = report_json(run, &f, &l2);
    check(l1 == l2 && memcmp(a, b, l1) == 0, "plog_model_finish is idempotent");
    free(a);
    free(b);
    for (size_t i = 0; i < run->m.nnodes; i++) {
        const struct plog_node *n = &run->m.nodes[i];
        check(n->parent == PLOG_NONE || n->parent < run->m.nphones, "parents are phones");
        check(n->hier < run->m.nhiers, "nodes belong to a hierarchy");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int flags = 0;
    if (size && data[0] < 0x20 && data[0] != '\n' && data[0] != '\r' && data[0] != '\t') {
        flags = data[0];
        data++;
        size--;
    }
    struct run run;
    memset(&run, 0, sizeof run);
    plog_reader_init_with(&run.r, parser());
    plog_model_init(&run.m);
    run.sink = fopen("/dev/null", "w");
    check(run.sink != NULL, "open /dev/null");
    if (flags & F_FILE)
        feed_file(&run, data, size);
    else
        feed_lines(&run, (const char *)data, size, flags);
    plog_model_finish(&run.m);
    if (!run.m.oom)
        reports(&run, flags);
    fclose(run.sink);
    plog_model_free(&run.m);
    plog_reader_free(&run.r);
    return 0;
}
