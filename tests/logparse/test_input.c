/*
 * test_input.c - pfslog's inputs: files read in blocks, gzip inflated on
 * the fly (several members too), stdin, an empty file, lines of a
 * megabyte and more, CRLF and NUL bytes, and many files merged by time.
 * Unreadable inputs give one message naming the file.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "input.h"
#include "tl.h"

static char dir[] = "/tmp/pfslog-input-XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *path(const char *name)
{
    static char p[8][256];
    static int i;
    i = (i + 1) % 8;
    snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
    return p[i];
}

static void write_file(const char *name, const void *data, size_t n)
{
    FILE *f = fopen(path(name), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void write_gz(const char *name, const char *data, int members)
{
    FILE *f = fopen(path(name), "wb");
    assert_non_null(f);
    size_t n = strlen(data), per = n / (size_t)members;
    for (int m = 0; m < members; m++) {
        size_t from = per * (size_t)m, len = m == members - 1 ? n - from : per;
        uLongf cap = compressBound((uLong)len) + 64;
        unsigned char *out = malloc(cap);
        assert_non_null(out);
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
        zs.next_in = (unsigned char *)(uintptr_t)(data + from);
        zs.avail_in = (uInt)len;
        zs.next_out = out;
        zs.avail_out = (uInt)cap;
        assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
        assert_int_equal(fwrite(out, 1, zs.total_out, f), zs.total_out);
        deflateEnd(&zs);
        free(out);
    }
    assert_int_equal(fclose(f), 0);
}

/* Events of a run, kept for the asserts. */
struct got {
    struct plog_event ev[512];
    size_t n;
};

static void keep(void *ctx, const struct plog_event *e)
{
    struct got *g = ctx;
    if (g->n < sizeof g->ev / sizeof g->ev[0])
        g->ev[g->n++] = *e;
}

/* Runs the named inputs; returns plog_run_inputs' result, the reader stays for asserts. */
static int run(struct plog_reader *r, struct got *g, char **names, size_t n, char *err, size_t ecap)
{
    char e[200];
    if (plog_reader_init(r, e, sizeof e) != 0)
        fail_msg("reader: %s", e);
    memset(g, 0, sizeof *g);
    return plog_run_inputs(names, n, r, keep, g, err, ecap);
}

static const char seedish[] =
    "DBG 02:19:22.634167 DLoad: +++ fd=7 Listening on peer TCP port 4051\n"
    "NOT 02:19:22.634945 DLoad: ^.idl_child.c-openUDPPort\n"
    "NF 02:19:23.162700 DLoad: XID080027F8 TxBdcst ClaimRoot(tent): map=ff9d7cb9\n"
    "strength=31d4d43d \n"
    "INF 02:19:23.411925 DLoad: XID080027F8 TxBdcst Ad 1: ClaimRoot(tent)\n"
    "NOT 02:19:24.412095 DLoad: UT:Confirmed root bumping strength\n"
    "NOT 02:19:24.412806 DLoad: @@@HROOT:XID080027F8 H=36685558 m=CP-7961G ROOT=10.106.117.68 "
    "/dnld/SCCP41.9-4-2SR2-2S.loads";   /* no newline at the end */

static void test_plain_and_gzip_agree(void **state)
{
    (void)state;
    write_file("plain.log", seedish, strlen(seedish));
    write_gz("one.log.gz", seedish, 1);
    write_gz("three.gz", seedish, 3); /* cat a.gz b.gz c.gz */
    const char *names[] = {"plain.log", "one.log.gz", "three.gz"};
    struct got *ref = calloc(1, sizeof *ref), *g = calloc(1, sizeof *g);
    assert_non_null(ref);
    assert_non_null(g);
    for (int i = 0; i < 3; i++) {
        struct plog_reader r;
        char err[300];
        char *name = path(names[i]);
        assert_int_equal(run(&r, i ? g : ref, &name, 1, err, sizeof err), 0);
        struct got *x = i ? g : ref;
        assert_int_equal(x->n, 6);
        assert_int_equal(x->ev[5].ev.kind, PFS_DL_HROOT);
        assert_int_equal(r.stats.lines, 7);
        assert_int_equal(r.stats.unparsed_lines, 0);
        for (size_t k = 0; i && k < ref->n; k++) {
            assert_int_equal(g->ev[k].ev.kind, ref->ev[k].ev.kind);
            assert_int_equal(g->ev[k].t, ref->ev[k].t);
            assert_int_equal(g->ev[k].ref.line, ref->ev[k].ref.line);
        }
        plog_reader_free(&r);
    }
    free(ref);
    free(g);
}

static void test_corrupt_gzip_names_the_file(void **state)
{
    (void)state;
    write_gz("bad.gz", seedish, 1);
    FILE *f = fopen(path("bad.gz"), "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, 20, SEEK_SET), 0);
    fputs("garbage garbage garbage", f);
    fclose(f);
    struct plog_reader r;
    struct got *g = calloc(1, sizeof *g);
    char err[300], *name = path("bad.gz");
    assert_int_equal(run(&r, g, &name, 1, err, sizeof err), -1);
    assert_true(strncmp(err, name, strlen(name)) == 0);
    plog_reader_free(&r);
    free(g);
}

static void test_empty_file(void **state)
{
    (void)state;
    write_file("empty.log", "", 0);
    struct plog_reader r;
    struct got *g = calloc(1, sizeof *g);
    char err[300], *name = path("empty.log");
    assert_int_equal(plog_check_inputs(&name, 1, err, sizeof err), 0);
    assert_int_equal(run(&r, g, &name, 1, err, sizeof err), 0);
    assert_int_equal(g->n, 0);
    assert_int_equal(r.stats.lines, 0);
    assert_int_equal(r.stats.files, 1);
    plog_reader_free(&r);
    free(g);
}

static void test_unreadable_inputs(void **state)
{
    (void)state;
    char err[300];
    char *missing[] = {path("empty.log"), path("no-such.log")};
    write_file("empty.log", "", 0);
    assert_int_equal(plog_check_inputs(missing, 2, err, sizeof err), -1);
    char want[300];
    snprintf(want, sizeof want, "%s: No such file or directory", missing[1]);
    assert_string_equal(err, want);
    char *d = dir;
    assert_int_equal(plog_check_inputs(&d, 1, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: Is a directory", dir);
    assert_string_equal(err, want);
}

/* A megabyte line is read whole; beyond 4 MiB only its head is, and reading goes on. */
static void test_long_lines(void **state)
{
    (void)state;
    const char *rec = " INF 02:19:23.411925 DLoad: XID080027F8 TxBdcst Ad 1: ClaimRoot(tent)\n";
    size_t mb = 1u << 20, huge = 5u << 20, rl = strlen(rec);
    size_t n = mb + rl + huge + 1 + rl;
    char *buf = malloc(n);
    assert_non_null(buf);
    memset(buf, 'x', mb);
    memcpy(buf + mb, rec, rl);
    memset(buf + mb + rl, 'y', huge);
    buf[mb + rl + huge] = '\n';
    memcpy(buf + mb + rl + huge + 1, rec + 1, rl - 1);
    write_file("long.log", buf, n - 1);
    free(buf);
    struct plog_reader r;
    struct got *g = calloc(1, sizeof *g);
    char err[300], *name = path("long.log");
    assert_int_equal(run(&r, g, &name, 1, err, sizeof err), 0);
    assert_int_equal(g->n, 2);
    assert_int_equal(g->ev[0].ref.line, 1);
    assert_int_equal(g->ev[1].ref.line, 3);
    assert_int_equal(r.stats.long_lines, 1);
    assert_int_equal(r.stats.unparsed_lines, 1); /* the head of the 5 MiB line */
    plog_reader_free(&r);
    free(g);
}

static void test_crlf_and_nul_in_a_file(void **state)
{
    (void)state;
    static const char data[] = "NOT 02:19:22.634945 DLoad: ^.idl_child.c-openUDPPort\r\n"
                               "\0\0\0NOT 02:19:22.664131 DLoad: |parent=-1><fd[0]=-1 fd[1]=-1 FULL=0\0\r\n"
                               "\r\n";
    write_file("crlf.log", data, sizeof data - 1);
    struct plog_reader r;
    struct got *g = calloc(1, sizeof *g);
    char err[300], *name = path("crlf.log");
    assert_int_equal(run(&r, g, &name, 1, err, sizeof err), 0);
    assert_int_equal(g->n, 2);
    assert_int_equal(g->ev[1].ev.kind, PFS_DL_STATE);
    assert_int_equal(r.stats.blank_lines, 1);
    plog_reader_free(&r);
    free(g);
}

static void test_stdin(void **state)
{
    (void)state;
    write_file("stdin.log", seedish, strlen(seedish));
    int saved = dup(0);
    assert_true(saved >= 0);
    int fd = open(path("stdin.log"), O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(dup2(fd, 0), 0);
    close(fd);
    struct plog_reader r;
    struct got *g = calloc(1, sizeof *g);
    char err[300], dash[] = "-", *name = dash;
    int rc = run(&r, g, &name, 1, err, sizeof err);
    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
    assert_int_equal(rc, 0);
    assert_int_equal(g->n, 6);
    assert_string_equal(plog_src_name(&r, g->ev[0].ref.src), "<stdin>");
    plog_reader_free(&r);
    free(g);
}

/* Forty logs (more than any fixed batch) come out as one time-ordered stream. */
static void test_many_files_merged_by_time(void **state)
{
    (void)state;
    enum { NF = 40, PER = 5 };
    char *names[NF];
    for (int f = 0; f < NF; f++) {
        char name[32], data[PER * 80];
        size_t len = 0;
        for (int i = 0; i < PER; i++)
            len += (size_t)snprintf(data + len, sizeof data - len,
                                    "NOT 09:00:%02d.%06d DLoad: ^.f%d-l%d\n", i, f * 1000, f, i);
        snprintf(name, sizeof name, "m%02d.log", f);
        write_file(name, data, len);
        names[f] = strdup(path(name));
    }
    struct plog_reader r;
    struct got *g = calloc(1, sizeof *g);
    char err[300];
    assert_int_equal(run(&r, g, names, NF, err, sizeof err), 0);
    assert_int_equal(g->n, NF * PER);
    for (size_t i = 1; i < g->n; i++)
        if (g->ev[i].t < g->ev[i - 1].t)
            fail_msg("event %zu (%s) comes before event %zu", i, g->ev[i].ev.trace, i - 1);
    assert_string_equal(g->ev[1].ev.trace, "f1-l0");
    assert_int_equal(r.stats.files, NF);
    plog_reader_free(&r);
    free(g);
    for (int f = 0; f < NF; f++)
        free(names[f]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_gzip_agree),
        cmocka_unit_test(test_corrupt_gzip_names_the_file),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_unreadable_inputs),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_crlf_and_nul_in_a_file),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_many_files_merged_by_time),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
