/*
 * test_xfr.c - the transfer framing end to end in memory: a sender reads
 * a real file, its messages are decoded and fed to a receiver that
 * writes a real temp file; plus the receiver's refusals and throttling.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "xfr.h"

#define FSIZE 100000u

struct fx {
    char dir[64];
    char src[128];
    uint8_t data[FSIZE];
    struct xfr_id id;
};

static int setup(void **state)
{
    static struct fx f;
    memset(&f, 0, sizeof f);
    snprintf(f.dir, sizeof f.dir, "/tmp/pfsd-xfr-XXXXXX");
    if (!mkdtemp(f.dir))
        return -1;
    snprintf(f.src, sizeof f.src, "%s/src.bin", f.dir);
    for (uint32_t i = 0; i < FSIZE; i++)
        f.data[i] = (uint8_t)(i * 7 + i / 251);
    FILE *fp = fopen(f.src, "wb");
    if (!fp || fwrite(f.data, 1, FSIZE, fp) != FSIZE)
        return -1;
    fclose(fp);
    f.id.xid = 0x0A000001;
    f.id.hier = 0x36685558;
    f.id.source = PFS_SRC_TFTP;
    f.id.origin = 0x0A000001;
    pfs_sha256(f.data, FSIZE, f.id.sha);
    snprintf(f.id.path, sizeof f.id.path, "/dnld/jar.sbn");
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int files_in(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "exit $(ls -A %s | wc -l)", dir);
    int rc = system(cmd);
    return WEXITSTATUS(rc);
}

static void test_roundtrip(void **state)
{
    struct fx *f = *state;
    char err[256];
    struct xfr_tx tx;
    assert_int_equal(xfr_tx_open(&tx, f->src, FSIZE, &f->id, 0, 0, err, sizeof err), 0);
    struct xfr_rx rx;
    xfr_rx_init(&rx);
    uint8_t buf[PFS_MSG_MAX], digest[32];
    int msgs = 0, progress = 0, verdict = 0;
    int64_t wake = 0;
    for (;;) {
        long len = xfr_tx_next(&tx, buf, sizeof buf, 0, &wake);
        if (len == 0)
            break;
        assert_true(len > 0);
        struct pfs_msg m;
        assert_int_equal(pfs_decode(buf, (size_t)len, &m), PFS_OK);
        msgs++;
        if (m.type == PFS_T_XFRCMD) {
            assert_int_equal(m.u.xfrcmd.size, FSIZE);
            assert_int_equal(xfr_rx_begin(&rx, &m.u.xfrcmd, f->dir, "jar.sbn", FSIZE, 0, err,
                                          sizeof err), 0);
        } else if (m.type == PFS_T_DATA) {
            assert_true(m.u.data.len <= PFS_DATA_MAX);
            assert_int_equal(xfr_rx_data(&rx, &m.u.data, 1), 0);
            progress += xfr_rx_progress_due(&rx);
        } else {
            assert_int_equal(m.type, PFS_T_XFREND);
            verdict = xfr_rx_end(&rx, &m.u.xfrend, digest);
        }
    }
    assert_int_equal(tx.phase, TX_VERDICT);
    assert_int_equal(msgs, 1 + (FSIZE + PFS_DATA_MAX - 1) / PFS_DATA_MAX + 1);
    assert_int_equal(progress, 3); /* the 25, 50 and 75% marks */
    assert_int_equal(verdict, PFS_V_OK);
    assert_memory_equal(digest, f->id.sha, 32);
    assert_int_equal(store_commit(&rx.st, err, sizeof err), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/jar.sbn", f->dir);
    /* What landed on disk is the whole file, byte for byte. */
    static uint8_t back[FSIZE + 1];
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    size_t size = fread(back, 1, sizeof back, fp);
    fclose(fp);
    assert_int_equal(size, FSIZE);
    uint8_t d2[32];
    pfs_sha256(back, size, d2);
    assert_memory_equal(d2, f->id.sha, 32);
    xfr_tx_close(&tx);
    assert_int_equal(files_in(f->dir), 2); /* src.bin and jar.sbn, no temp */
}

static void test_receiver_refuses(void **state)
{
    struct fx *f = *state;
    char err[256];
    struct xfr_rx rx;
    struct pfs_xfrcmd x = {.size = 10, .source = PFS_SRC_PEER, .sha256 = f->id.sha};
    /* Over the allowed size (the .loads says 5). */
    assert_int_equal(xfr_rx_begin(&rx, &x, f->dir, "a.sbn", 5, 0, err, sizeof err),
                     PFS_R_PROTOCOL);
    x.size = PFS_FILE_MAX + 1;
    assert_int_equal(xfr_rx_begin(&rx, &x, f->dir, "a.sbn", PFS_FILE_MAX + 1, 0, err, sizeof err),
                     PFS_R_PROTOCOL);
    /* A name with a slash never opens anything. */
    x.size = 10;
    assert_int_equal(xfr_rx_begin(&rx, &x, f->dir, "../a.sbn", 10, 0, err, sizeof err), PFS_R_IO);
    assert_int_equal(xfr_rx_begin(&rx, &x, f->dir, "a.sbn", 10, 0, err, sizeof err), 0);
    uint8_t bytes[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    struct pfs_data d = {.offset = 1, .len = 4, .bytes = bytes};
    assert_int_equal(xfr_rx_data(&rx, &d, 0), PFS_R_PROTOCOL); /* not the next byte */
    d.offset = 0;
    assert_int_equal(xfr_rx_data(&rx, &d, 0), 0);
    d.offset = 4;
    d.len = 8;
    assert_int_equal(xfr_rx_data(&rx, &d, 0), PFS_R_PROTOCOL); /* past the declared size */
    struct pfs_xfrend e = {.size = 4};
    uint8_t dg[32];
    assert_int_equal(xfr_rx_end(&rx, &e, dg), PFS_V_SHORT);
    xfr_rx_abort(&rx);
    assert_int_equal(files_in(f->dir), 1); /* the partial file is gone */
    /* Every byte, wrong hash. */
    assert_int_equal(xfr_rx_begin(&rx, &x, f->dir, "a.sbn", 10, 0, err, sizeof err), 0);
    d.offset = 0;
    d.len = 8;
    assert_int_equal(xfr_rx_data(&rx, &d, 0), 0);
    d.offset = 8;
    d.len = 2;
    assert_int_equal(xfr_rx_data(&rx, &d, 0), 0);
    e.size = 10;
    assert_int_equal(xfr_rx_end(&rx, &e, dg), PFS_V_HASH);
    xfr_rx_abort(&rx);
    assert_int_equal(files_in(f->dir), 1);
    /* DATA with no transfer started. */
    struct xfr_rx idle;
    xfr_rx_init(&idle);
    assert_int_equal(xfr_rx_data(&idle, &d, 0), PFS_R_PROTOCOL);
}

static void test_throttle(void **state)
{
    struct fx *f = *state;
    char err[256];
    struct xfr_tx tx;
    /* 10000 bytes/s: chunks of 1000, the second allowed after 200 ms. */
    assert_int_equal(xfr_tx_open(&tx, f->src, FSIZE, &f->id, 10000, 0, err, sizeof err), 0);
    uint8_t buf[PFS_MSG_MAX];
    int64_t wake = 0;
    assert_true(xfr_tx_next(&tx, buf, sizeof buf, 0, &wake) > 0);    /* XFRCMD at t=0 */
    assert_int_equal(xfr_tx_next(&tx, buf, sizeof buf, 0, &wake), 0); /* nothing yet */
    assert_true(wake > 0 && wake <= 101);
    assert_true(xfr_tx_next(&tx, buf, sizeof buf, wake, &wake) > 0);
    assert_int_equal(tx.sent, 1000);
    assert_int_equal(xfr_tx_next(&tx, buf, sizeof buf, 150, &wake), 0);
    assert_true(xfr_tx_next(&tx, buf, sizeof buf, 201, &wake) > 0);
    assert_int_equal(tx.sent, 2000);
    xfr_tx_close(&tx);
    /* A missing file is an error naming it. */
    assert_int_equal(xfr_tx_open(&tx, "/nonexistent-pfsd", 1, &f->id, 0, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent-pfsd"));
}

/* ---- the sender through a connection-sized write buffer ---- */

/* A file of size bytes in dir with a pattern that differs per offset. */
static void make_file(const char *path, uint32_t size, uint8_t sha[32])
{
    static uint8_t chunk[1 << 16];
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    struct pfs_sha256 ctx;
    pfs_sha256_init(&ctx);
    for (uint32_t off = 0; off < size;) {
        uint32_t n = size - off < sizeof chunk ? size - off : (uint32_t)sizeof chunk;
        for (uint32_t i = 0; i < n; i++)
            chunk[i] = (uint8_t)((off + i) * 131u + (off + i) / 65521u);
        assert_int_equal(fwrite(chunk, 1, n, fp), n);
        pfs_sha256_update(&ctx, chunk, n);
        off += n;
    }
    assert_int_equal(fclose(fp), 0);
    pfs_sha256_final(&ctx, sha);
}

/* Small deterministic generator for the socket's partial writes. */
static uint32_t next_rand(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*s >> 33);
}

/*
 * Sends a file of size bytes the way conn.c does: xfr_tx_fill into a
 * buffer of pfsd's size, a "socket" that takes a random part of what is
 * queued each time (as a real one does under load), the bytes framed and
 * fed to a receiver. The receiver must get every byte and the right hash.
 */
static void send_through_wbuf(struct fx *f, uint32_t size, uint64_t seed)
{
    char err[256], src[160];
    snprintf(src, sizeof src, "%s/big.bin", f->dir);
    struct xfr_id id = f->id;
    make_file(src, size, id.sha);
    struct xfr_tx tx;
    assert_int_equal(xfr_tx_open(&tx, src, size, &id, 0, 0, err, sizeof err), 0);
    static uint8_t wb[XFR_WBUF_SIZE], stream[2 * PFS_MSG_MAX];
    struct xfr_wbuf w = {.buf = wb, .cap = sizeof wb};
    size_t slen = 0;
    struct xfr_rx rx;
    xfr_rx_init(&rx);
    uint8_t digest[32];
    int verdict = -1;
    uint64_t rs = seed;
    for (long rounds = 0; verdict < 0; rounds++) {
        assert_true(rounds < 100000000L); /* a stall would loop here forever */
        int64_t wake = 0;
        assert_int_equal(xfr_tx_fill(&tx, &w, 0, &wake), XFR_FILL_WAIT);
        size_t queued = w.len - w.off;
        if (queued == 0) {
            /* Nothing queued and no verdict: the sender stopped mid-file. */
            fail_msg("size %u: sender stalled at %u of %u bytes (phase %d)", size, tx.sent, size,
                     (int)tx.phase);
        }
        /* The socket takes 1..queued bytes, often a part of a message. */
        size_t take = 1 + next_rand(&rs) % (queued < 40000 ? queued : 40000);
        if (take > queued)
            take = queued;
        if (take > sizeof stream - slen)
            take = sizeof stream - slen;
        memcpy(stream + slen, w.buf + w.off, take);
        slen += take;
        w.off += take;
        size_t off = 0;
        for (;;) {
            long fl = pfs_frame_len(stream + off, slen - off);
            assert_true(fl >= 0);
            if (fl == 0 || (size_t)fl > slen - off)
                break;
            struct pfs_msg m;
            assert_int_equal(pfs_decode(stream + off, (size_t)fl, &m), PFS_OK);
            if (m.type == PFS_T_XFRCMD)
                assert_int_equal(xfr_rx_begin(&rx, &m.u.xfrcmd, f->dir, "got.sbn", PFS_FILE_MAX,
                                              0, err, sizeof err), 0);
            else if (m.type == PFS_T_DATA)
                assert_int_equal(xfr_rx_data(&rx, &m.u.data, 0), 0);
            else if (m.type == PFS_T_XFREND)
                verdict = xfr_rx_end(&rx, &m.u.xfrend, digest);
            off += (size_t)fl;
        }
        memmove(stream, stream + off, slen - off);
        slen -= off;
    }
    assert_int_equal(verdict, PFS_V_OK);
    assert_int_equal(rx.got, size);
    assert_memory_equal(digest, id.sha, 32);
    assert_int_equal(tx.phase, TX_VERDICT);
    xfr_rx_abort(&rx);
    xfr_tx_close(&tx);
    assert_int_equal(unlink(src), 0);
}

static void test_fill_boundaries(void **state)
{
    struct fx *f = *state;
    const uint32_t D = PFS_DATA_MAX, W = XFR_WBUF_SIZE, M = XFR_MSG_ROOM;
    /* Around one DATA, a few DATAs, the write buffer, its free-room mark,
     * and the sizes where the stall was seen. */
    const uint32_t base[] = {0, 1, D, 2 * D, 3 * D, 4 * D, 5 * D, W - M, W, 2 * W, 3 * W,
                             1u << 20, 6u << 20};
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++)
        for (int d = -1; d <= 1; d++) {
            if (base[i] == 0 && d < 0)
                continue;
            uint32_t size = (uint32_t)((int64_t)base[i] + d);
            for (uint64_t seed = 1; seed <= 3; seed++)
                send_through_wbuf(f, size, seed * 7919u + size);
        }
}

/* The protocol's largest file, 64 MiB, and one byte less. */
static void test_fill_max(void **state)
{
    struct fx *f = *state;
    send_through_wbuf(f, PFS_FILE_MAX, 42);
    send_through_wbuf(f, PFS_FILE_MAX - 1, 43);
}

/*
 * Drains tx into rx (DATA only past the XFRCMD): returns the messages sent
 * and checks that no DATA goes past what tx may send.
 */
static int drain(struct xfr_tx *tx, struct xfr_rx *rx, const char *dir, int *ended,
                 uint8_t digest[32])
{
    uint8_t buf[PFS_MSG_MAX];
    char err[256];
    int64_t wake = 0;
    int msgs = 0;
    long len;
    while ((len = xfr_tx_next(tx, buf, sizeof buf, 0, &wake)) > 0) {
        struct pfs_msg m;
        assert_int_equal(pfs_decode(buf, (size_t)len, &m), PFS_OK);
        msgs++;
        if (m.type == PFS_T_XFRCMD) {
            assert_int_equal(xfr_rx_begin(rx, &m.u.xfrcmd, dir, "kid.sbn", FSIZE, 0, err,
                                          sizeof err), 0);
        } else if (m.type == PFS_T_DATA) {
            assert_true(m.u.data.offset + m.u.data.len <= tx->avail);
            assert_int_equal(xfr_rx_data(rx, &m.u.data, 1), 0);
        } else {
            assert_int_equal(m.type, PFS_T_XFREND);
            *ended = xfr_rx_end(rx, &m.u.xfrend, digest);
        }
    }
    assert_int_equal(len, 0);
    return msgs;
}

/*
 * Cut-through: a middle node receives the file (rx1, a real temp file) and
 * forwards it (tx2 reads that temp file) as it lands; the child (rx2) gets
 * every byte before the middle node has all of them, but XFREND only once
 * the middle node's copy passed its hash. A bad copy never ends the child's.
 */
static void cut_through(struct fx *f, int bad)
{
    char err[256];
    struct xfr_tx tx1, tx2;
    struct xfr_rx rx1, rx2;
    xfr_rx_init(&rx1);
    xfr_rx_init(&rx2);
    assert_int_equal(xfr_tx_open(&tx1, f->src, FSIZE, &f->id, 0, 0, err, sizeof err), 0);
    uint8_t buf[PFS_MSG_MAX], d1[32], d2[32];
    int64_t wake = 0;
    int opened = 0, end1 = 0, end2 = 0, sent_early = 0;
    long len;
    while ((len = xfr_tx_next(&tx1, buf, sizeof buf, 0, &wake)) > 0) {
        struct pfs_msg m;
        assert_int_equal(pfs_decode(buf, (size_t)len, &m), PFS_OK);
        if (m.type == PFS_T_XFRCMD) {
            if (bad)
                ((uint8_t *)m.u.xfrcmd.sha256)[0] ^= 1; /* the source declares another hash */
            assert_int_equal(xfr_rx_begin(&rx1, &m.u.xfrcmd, f->dir, "mid.sbn", FSIZE, 0, err,
                                          sizeof err), 0);
            assert_int_equal(xfr_tx_open(&tx2, rx1.st.tmp, FSIZE, &f->id, 0, 0, err, sizeof err),
                             0);
            xfr_tx_cut(&tx2, 0);
            opened = 1;
            assert_true(xfr_tx_starved(&tx2) == 0); /* XFRCMD first */
        } else if (m.type == PFS_T_DATA) {
            assert_int_equal(xfr_rx_data(&rx1, &m.u.data, 1), 0);
            xfr_tx_feed(&tx2, (uint32_t)rx1.st.bytes, 0);
        } else {
            end1 = xfr_rx_end(&rx1, &m.u.xfrend, d1);
            continue;
        }
        assert_true(opened);
        sent_early += drain(&tx2, &rx2, f->dir, &end2, d2);
        assert_int_equal(rx2.got, rx1.got); /* the child keeps up byte for byte */
        assert_int_equal(end2, 0);
    }
    /* Every byte forwarded before the middle node's XFREND, but no XFREND. */
    assert_int_equal(sent_early, 1 + (FSIZE + PFS_DATA_MAX - 1) / PFS_DATA_MAX);
    assert_int_equal(tx2.phase, TX_END);
    assert_true(xfr_tx_starved(&tx2));
    assert_int_equal(drain(&tx2, &rx2, f->dir, &end2, d2), 0);
    if (bad) {
        assert_int_equal(end1, PFS_V_HASH);
        /* The middle node drops both copies: its own and the child's partial one. */
        xfr_rx_abort(&rx1);
        xfr_rx_abort(&rx2);
        xfr_tx_close(&tx2);
        assert_int_equal(files_in(f->dir), 1); /* src.bin only */
    } else {
        assert_int_equal(end1, PFS_V_OK);
        assert_int_equal(store_commit(&rx1.st, err, sizeof err), 0); /* tx2's fd stays good */
        xfr_tx_feed(&tx2, 0, 1);
        assert_false(xfr_tx_starved(&tx2));
        assert_int_equal(drain(&tx2, &rx2, f->dir, &end2, d2), 1);
        assert_int_equal(end2, PFS_V_OK);
        assert_memory_equal(d2, f->id.sha, 32);
        assert_int_equal(store_commit(&rx2.st, err, sizeof err), 0);
        xfr_tx_close(&tx2);
        assert_int_equal(files_in(f->dir), 3); /* src.bin, mid.sbn, kid.sbn */
    }
    xfr_tx_close(&tx1);
}

/* The next message tx may send at now: its type and DATA length, or 0. */
static int next_at(struct xfr_tx *tx, int64_t now, uint32_t *len)
{
    uint8_t buf[PFS_MSG_MAX];
    int64_t wake = 0;
    struct pfs_msg m;
    long n = xfr_tx_next(tx, buf, sizeof buf, now, &wake);
    if (n <= 0)
        return 0;
    assert_int_equal(pfs_decode(buf, (size_t)n, &m), PFS_OK);
    *len = m.type == PFS_T_DATA ? m.u.data.len : 0;
    return m.type;
}

/*
 * Forwarding: a TFTP block's worth waits for a whole DATA, but not longer
 * than XFR_HOLD_MS after the last; the file's tail goes at once when every
 * byte is there, XFREND only once sealed.
 */
static void test_cut_hold(void **state)
{
    struct fx *f = *state;
    char err[256];
    struct xfr_tx tx;
    uint32_t len = 0;
    assert_int_equal(xfr_tx_open(&tx, f->src, FSIZE, &f->id, 0, 0, err, sizeof err), 0);
    xfr_tx_cut(&tx, 0);
    assert_int_equal(next_at(&tx, 1000, &len), PFS_T_XFRCMD);
    xfr_tx_feed(&tx, 1428, 0);
    assert_int_equal(next_at(&tx, 1000 + XFR_HOLD_MS - 1, &len), 0);
    assert_true(xfr_tx_starved(&tx));
    assert_int_equal(next_at(&tx, 1000 + XFR_HOLD_MS, &len), PFS_T_DATA);
    assert_int_equal(len, 1428);
    xfr_tx_feed(&tx, 1428 + PFS_DATA_MAX + 5, 0); /* a whole DATA goes at once */
    assert_int_equal(next_at(&tx, 1000 + XFR_HOLD_MS, &len), PFS_T_DATA);
    assert_int_equal(len, PFS_DATA_MAX);
    assert_int_equal(next_at(&tx, 1000 + XFR_HOLD_MS, &len), 0); /* 5 bytes wait */
    xfr_tx_feed(&tx, FSIZE, 0); /* all there, not yet sealed: no hold */
    uint32_t sent = 1428 + PFS_DATA_MAX;
    while (next_at(&tx, 1000 + XFR_HOLD_MS, &len) == PFS_T_DATA)
        sent += len;
    assert_int_equal(sent, FSIZE);
    assert_int_equal(tx.phase, TX_END);
    assert_true(xfr_tx_starved(&tx));
    xfr_tx_feed(&tx, FSIZE, 1);
    assert_int_equal(next_at(&tx, 1000 + XFR_HOLD_MS, &len), PFS_T_XFREND);
    xfr_tx_close(&tx);
}

static void test_cut_through(void **state) { cut_through(*state, 0); }
static void test_cut_through_bad(void **state) { cut_through(*state, 1); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cut_through, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cut_through_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cut_hold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receiver_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_throttle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fill_boundaries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fill_max, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
