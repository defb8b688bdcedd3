/*
 * test_tftp_server.c - the TFTP client against the real in.tftpd
 * (tftpd-hpa) on 127.0.0.1: sizes around block boundaries, blksize
 * negotiation, block-number rollover, errors, missing server, size
 * limits, and two transfers driven by one poll loop.
 *
 * Content is checked byte for byte and by SHA-256. Timeouts below are
 * safety nets against hangs, never timing assertions.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "sha256.h"
#include "tftp_blocking.h"
#include "tftpd_run.h"

#define BIG_SIZE (33u * 1024u * 1024u + 123u) /* > 65535 blocks of 512 */

struct env {
    struct tftpd full;      /* every option */
    struct tftpd noopt;     /* -r blksize -r tsize: plain RFC 1350 answers */
    uint8_t *big;           /* BIG_SIZE bytes of pseudo-random data */
};

/* Collects the file and checks that offsets arrive in order. */
struct mem {
    uint8_t *buf;
    size_t len, cap;
    unsigned calls;
    int bad_offset;
};

static int mem_sink(void *arg, const uint8_t *d, size_t n, uint64_t off)
{
    struct mem *m = arg;
    if (off != m->len)
        m->bad_offset = 1;
    if (m->len + n > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 4096;
        uint8_t *p;
        while (cap < m->len + n)
            cap *= 2;
        p = realloc(m->buf, cap);
        if (!p)
            return -1;
        m->buf = p;
        m->cap = cap;
    }
    memcpy(m->buf + m->len, d, n);
    m->len += n;
    m->calls++;
    return 0;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t s = seed ? seed : 1;
    size_t i;
    for (i = 0; i < n; i++) { /* xorshift32: no period that lines up with blocks */
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        p[i] = (uint8_t)s;
    }
}

static int put(struct tftpd *t, const char *name, const uint8_t *d, size_t n)
{
    return tftpd_put(t, name, d, n);
}

static int setup(void **state)
{
    static const char *const noopt[] = {"-r", "blksize", "-r", "tsize", NULL};
    struct env *e = calloc(1, sizeof *e);
    if (!e)
        return -1;
    *state = e;
    e->big = malloc(BIG_SIZE);
    if (!e->big)
        return -1;
    fill(e->big, BIG_SIZE, 7);
    if (tftpd_start(&e->full, NULL) != 0 || tftpd_start(&e->noopt, noopt) != 0)
        return -1;
    if (put(&e->full, "small.bin", e->big, 1000) || put(&e->full, "x4096.bin", e->big, 4096) ||
        put(&e->full, "x512.bin", e->big, 512) || put(&e->full, "empty.bin", e->big, 0) ||
        put(&e->full, "mid.bin", e->big, 1048576 + 17) ||
        put(&e->full, "big.bin", e->big, BIG_SIZE) ||
        put(&e->noopt, "small.bin", e->big, 1000) || put(&e->noopt, "mid.bin", e->big, 100000))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    if (!e)
        return 0;
    tftpd_stop(&e->full);
    tftpd_stop(&e->noopt);
    free(e->big);
    free(e);
    return 0;
}

static struct tftp_req req_for(struct tftpd *t, const char *name, unsigned blksize, struct mem *m)
{
    struct tftp_req rq;
    memset(&rq, 0, sizeof rq);
    rq.server_ip = INADDR_LOOPBACK;
    rq.server_port = t->port;
    rq.file = tftpd_name(t, name);
    rq.blksize = blksize;
    rq.timeout_ms = 1000;
    rq.tries = 5;
    rq.max_size = 64u * 1024u * 1024u;
    rq.sink = mem_sink;
    rq.sink_arg = m;
    rq.out_fd = -1;
    return rq;
}

/* Fetch name with blksize and check it equals the first size bytes of big. */
static void fetch_ok(struct env *e, struct tftpd *t, const char *name, unsigned blksize,
                     size_t size, struct tftp_stats *st)
{
    struct mem m = {0};
    struct tftp_req rq = req_for(t, name, blksize, &m);
    char err[TFTP_ERR_LEN] = "";
    int rc = tftp_fetch_str(&rq, st, err, sizeof err);
    if (rc != 0)
        print_error("fetch %s: %s\n", name, err);
    assert_int_equal(rc, 0);
    assert_int_equal(m.len, size);
    assert_int_equal(st->bytes, size);
    assert_false(m.bad_offset);
    if (size)
        assert_memory_equal(m.buf, e->big, size);
    assert_true(st->seconds >= 0.0);
    free(m.buf);
}

static void test_small_default_blksize(void **state)
{
    struct env *e = *state;
    struct tftp_stats st;
    fetch_ok(e, &e->full, "small.bin", 0, 1000, &st);
    assert_int_equal(st.blksize, 512);
    assert_int_equal(st.tsize, 1000);     /* learned from the OACK */
    assert_int_equal(st.retransmits, 0);
}

static void test_multiple_of_blksize(void **state)
{
    struct env *e = *state;
    struct tftp_stats st;
    /* 4096 = 4 x 1024: the end is marked by an empty fifth block. */
    fetch_ok(e, &e->full, "x4096.bin", 1024, 4096, &st);
    assert_int_equal(st.blksize, 1024);
    assert_int_equal(st.tsize, 4096);
    fetch_ok(e, &e->full, "x512.bin", 512, 512, &st);
    assert_int_equal(st.blksize, 512);
}

static void test_empty_file(void **state)
{
    struct env *e = *state;
    struct tftp_stats st;
    fetch_ok(e, &e->full, "empty.bin", 1428, 0, &st);
    assert_int_equal(st.tsize, 0);
}

static void test_large_blksize(void **state)
{
    struct env *e = *state;
    struct tftp_stats st;
    fetch_ok(e, &e->full, "mid.bin", 8192, 1048576 + 17, &st);
    assert_int_equal(st.blksize, 8192);
    fetch_ok(e, &e->full, "mid.bin", TFTP_BLKSIZE_MAX, 1048576 + 17, &st);
    assert_int_equal(st.blksize, TFTP_BLKSIZE_MAX);
    assert_int_equal(st.tsize, 1048576 + 17);
}

static void test_rollover_33mib(void **state)
{
    struct env *e = *state;
    struct mem m = {0};
    struct tftp_req rq = req_for(&e->full, "big.bin", 512, &m);
    struct tftp_stats st;
    char err[TFTP_ERR_LEN] = "";
    uint8_t want[PFS_SHA256_DIGEST], got[PFS_SHA256_DIGEST];
    int rc = tftp_fetch_str(&rq, &st, err, sizeof err);
    if (rc != 0)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_true(BIG_SIZE / 512 > 65535);
    assert_int_equal(m.len, BIG_SIZE);
    assert_int_equal(st.tsize, BIG_SIZE);
    assert_false(m.bad_offset);
    pfs_sha256(e->big, BIG_SIZE, want);
    pfs_sha256(m.buf, m.len, got);
    assert_memory_equal(got, want, sizeof want);
    free(m.buf);
}

static void test_server_ignores_options(void **state)
{
    struct env *e = *state;
    struct tftp_stats st;
    /* This server refuses both options, so it answers RRQ with DATA 1. */
    fetch_ok(e, &e->noopt, "small.bin", 1428, 1000, &st);
    assert_int_equal(st.blksize, 512);
    assert_int_equal(st.tsize, -1);
}

static void test_out_fd(void **state)
{
    struct env *e = *state;
    char path[] = "/tmp/test_tftp_out_XXXXXX";
    struct mem m = {0};
    struct tftp_req rq = req_for(&e->full, "mid.bin", 1428, &m);
    char err[TFTP_ERR_LEN] = "";
    uint8_t *back = malloc(1048576 + 17 + 1);
    int fd = mkstemp(path);
    assert_non_null(back);
    assert_true(fd >= 0);
    rq.sink = NULL;
    rq.out_fd = fd;
    assert_int_equal(tftp_fetch_str(&rq, NULL, err, sizeof err), 0);
    assert_int_equal(pread(fd, back, 1048576 + 17 + 1, 0), 1048576 + 17);
    assert_memory_equal(back, e->big, 1048576 + 17);
    close(fd);
    unlink(path);
    free(back);
}

static void test_missing_file(void **state)
{
    struct env *e = *state;
    struct mem m = {0};
    struct tftp_req rq = req_for(&e->full, "nope.bin", 512, &m);
    struct tftp_stats st;
    char err[TFTP_ERR_LEN] = "", want[TFTP_ERR_LEN];
    assert_int_equal(tftp_fetch_str(&rq, &st, err, sizeof err), -1);
    snprintf(want, sizeof want, "tftp 127.0.0.1:%u: File not found (code 1)", e->full.port);
    assert_string_equal(err, want);
    assert_int_equal(st.bytes, 0);
    assert_int_equal(m.len, 0);
}

static void test_server_absent(void **state)
{
    struct mem m = {0};
    struct tftp_req rq;
    struct tftp_stats st;
    char err[TFTP_ERR_LEN] = "", want[TFTP_ERR_LEN];
    uint16_t port = tftpd_free_port();
    (void)state;
    memset(&rq, 0, sizeof rq);
    rq.server_ip = INADDR_LOOPBACK;
    rq.server_port = port;
    rq.file = "x.bin";
    rq.timeout_ms = 1000;
    rq.tries = 5;
    rq.sink = mem_sink;
    rq.sink_arg = &m;
    /* ICMP port unreachable ends it at once: no retransmission was needed. */
    assert_int_equal(tftp_fetch_str(&rq, &st, err, sizeof err), -1);
    snprintf(want, sizeof want,
             "tftp 127.0.0.1:%u: port %u unreachable (ICMP)", port, port);
    assert_string_equal(err, want);
    assert_int_equal(st.retransmits, 0);
}

static void test_max_size_declared(void **state)
{
    struct env *e = *state;
    struct mem m = {0};
    struct tftp_req rq = req_for(&e->full, "mid.bin", 1428, &m);
    char err[TFTP_ERR_LEN] = "", want[TFTP_ERR_LEN];
    rq.max_size = 1048576;
    assert_int_equal(tftp_fetch_str(&rq, NULL, err, sizeof err), -1);
    snprintf(want, sizeof want, "tftp 127.0.0.1:%u: file size 1048593 over the limit 1048576",
             e->full.port);
    assert_string_equal(err, want);
    assert_int_equal(m.len, 0);
}

static void test_max_size_received(void **state)
{
    struct env *e = *state;
    struct mem m = {0};
    struct tftp_req rq = req_for(&e->noopt, "mid.bin", 0, &m);
    char err[TFTP_ERR_LEN] = "", want[TFTP_ERR_LEN];
    /* No tsize from this server: the limit is hit while receiving. */
    rq.max_size = 50000;
    assert_int_equal(tftp_fetch_str(&rq, NULL, err, sizeof err), -1);
    snprintf(want, sizeof want, "tftp 127.0.0.1:%u: file exceeds the limit of 50000 bytes",
             e->noopt.port);
    assert_string_equal(err, want);
    assert_true(m.len <= 50000);
    assert_int_equal(m.len, 50000 / 512 * 512);
    assert_memory_equal(m.buf, e->big, m.len);
    free(m.buf);
}

/* Two transfers at once in one poll loop, the way pfsd drives them. */
static void test_two_in_one_loop(void **state)
{
    struct env *e = *state;
    struct mem m[2] = {{0}, {0}};
    struct tftp_req rq[2];
    struct tftp_xfer *x[2];
    struct tftp_error err;
    int i, rounds = 0;
    rq[0] = req_for(&e->full, "mid.bin", 1024, &m[0]);
    x[0] = tftp_start(&rq[0], &err);
    rq[1] = req_for(&e->full, "x4096.bin", 512, &m[1]);
    x[1] = tftp_start(&rq[1], &err);
    assert_non_null(x[0]);
    assert_non_null(x[1]);
    assert_int_equal(tftp_state(x[0]), TFTP_RRQ_SENT);
    while (tftp_timeout_ms(x[0]) >= 0 || tftp_timeout_ms(x[1]) >= 0) {
        struct pollfd pfd[2];
        long to = -1;
        for (i = 0; i < 2; i++) {
            long t = tftp_timeout_ms(x[i]);
            pfd[i].fd = t >= 0 ? tftp_fd(x[i]) : -1;
            pfd[i].events = POLLIN;
            pfd[i].revents = 0;
            if (t >= 0 && (to < 0 || t < to))
                to = t;
        }
        assert_true(poll(pfd, 2, (int)to) >= 0);
        for (i = 0; i < 2; i++) {
            if (pfd[i].revents)
                tftp_on_readable(x[i]);
            tftp_on_timer(x[i]);
        }
        assert_true(++rounds < 1000000);
    }
    for (i = 0; i < 2; i++) {
        assert_int_equal(tftp_state(x[i]), TFTP_DONE);
        assert_int_equal(tftp_error(x[i])->code, TFTP_ERR_NONE);
        assert_string_equal(tftp_error(x[i])->detail, "");
        tftp_free(x[i]);
    }
    assert_int_equal(m[0].len, 1048576 + 17);
    assert_memory_equal(m[0].buf, e->big, m[0].len);
    assert_int_equal(m[1].len, 4096);
    assert_memory_equal(m[1].buf, e->big, 4096);
    free(m[0].buf);
    free(m[1].buf);
}

static void refused(const struct tftp_req *rq, const char *detail)
{
    struct tftp_error e;
    char text[TFTP_ERR_LEN], want[TFTP_ERR_LEN];
    assert_null(tftp_start(rq, &e));
    assert_int_equal(e.code, TFTP_ERR_REQUEST);
    assert_int_equal(e.server_ip, INADDR_LOOPBACK);
    assert_int_equal(e.server_port, rq->server_port);
    assert_string_equal(e.detail, detail);
    snprintf(want, sizeof want, "tftp 127.0.0.1:%u: %s", rq->server_port, detail);
    assert_string_equal(tftp_error_str(&e, text, sizeof text), want);
}

static void test_start_refuses(void **state)
{
    struct env *e = *state;
    struct mem m = {0};
    struct tftp_req rq = req_for(&e->full, "x.bin", 7, &m);
    refused(&rq, "blksize 7 not in 8..65464");
    rq.blksize = 512;
    rq.file = "";
    refused(&rq, "empty file name");
    rq.file = "x";
    rq.sink = NULL;
    rq.out_fd = -1;
    refused(&rq, "no sink and no output fd");
}

/* Failures come as codes with the server as data, never only as text. */
static void test_error_codes(void **state)
{
    struct env *e = *state;
    struct mem m = {0};
    struct tftp_req rq = req_for(&e->full, "nope.bin", 512, &m);
    struct tftp_error err;
    assert_int_equal(tftp_fetch(&rq, NULL, &err), -1);
    assert_int_equal(err.code, TFTP_ERR_SERVER);
    assert_int_equal(err.tftp_code, TFTP_E_NOTFOUND);
    assert_int_equal(err.server_ip, INADDR_LOOPBACK);
    assert_int_equal(err.server_port, e->full.port);
    assert_string_equal(err.detail, "File not found (code 1)");
    assert_string_equal(tftp_err_name(err.code), "server-error");
    rq = req_for(&e->full, "mid.bin", 1428, &m);
    rq.max_size = 1000;
    assert_int_equal(tftp_fetch(&rq, NULL, &err), -1);
    assert_int_equal(err.code, TFTP_ERR_TOO_BIG);
    rq.server_port = tftpd_free_port();
    rq.max_size = 0;
    assert_int_equal(tftp_fetch(&rq, NULL, &err), -1);
    assert_int_equal(err.code, TFTP_ERR_UNREACHABLE);
    assert_int_equal(err.sys_errno, ECONNREFUSED);
    assert_true(strlen(err.detail) <= 31); /* whole in pfsd's log reason field */
    assert_int_equal(err.server_port, rq.server_port);
    assert_string_equal(tftp_err_name(TFTP_ERR_TIMEOUT), "timeout");
    assert_string_equal(tftp_err_name((enum tftp_err)99), "unknown");
    free(m.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_default_blksize),
        cmocka_unit_test(test_multiple_of_blksize),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_large_blksize),
        cmocka_unit_test(test_rollover_33mib),
        cmocka_unit_test(test_server_ignores_options),
        cmocka_unit_test(test_out_fd),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_server_absent),
        cmocka_unit_test(test_max_size_declared),
        cmocka_unit_test(test_max_size_received),
        cmocka_unit_test(test_two_in_one_loop),
        cmocka_unit_test(test_start_refuses),
        cmocka_unit_test(test_error_codes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
