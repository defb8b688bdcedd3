/*
 * test_rules.c - each answer docs/protocol.md gives, pinned: the order of
 * checks (§5), framing of datagrams and short buffers, the 1472-byte limit,
 * every range at both ends, paths and the hierarchy id (§1, §2), flags and
 * hier 0, and the TLV corner cases. Messages are built from the golden
 * vectors (tests/proto/golden.h) with the bytes the document talks about
 * changed, so each case reads like the sentence it pins.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "golden.h"
#include "pfs_table.h"

#define BUF 4096

struct msg {
    uint8_t b[BUF];
    size_t n;
};

static struct msg golden(const char *hex)
{
    struct msg m;
    m.n = unhex(hex, m.b, sizeof m.b);
    return m;
}

/* Sets the header's length field to the buffer's size. */
static void fix_length(struct msg *m)
{
    m->b[6] = (uint8_t)(m->n >> 8);
    m->b[7] = (uint8_t)m->n;
}

/* Appends bytes (a TLV, say) and fixes the length. */
static void append(struct msg *m, const uint8_t *p, size_t n)
{
    assert_true(m->n + n <= sizeof m->b);
    memcpy(m->b + m->n, p, n);
    m->n += n;
    fix_length(m);
}

static int dec(const struct msg *m)
{
    struct pfs_msg out;
    return pfs_decode(m->b, m->n, &out);
}

static int dec_bytes(const char *hex)
{
    struct msg m = golden(hex);
    return dec(&m);
}

/* §5: the first fault in wire order wins. */
static void test_order_of_checks(void **state)
{
    (void)state;
    /* JOIN: try 0 (offset 22) comes before a model with a blank */
    struct msg m = golden(G_JOIN);
    m.b[22] = 0;
    m.b[25] = ' ';
    assert_int_equal(dec(&m), PFS_E_FIELD);
    m.b[22] = 1;
    assert_int_equal(dec(&m), PFS_E_MODEL);

    /* DATA: len 20000 with 5 bytes after it is SIZE, judged before the bytes */
    m = golden(G_DATA);
    m.b[20] = 0x4e;
    m.b[21] = 0x20;
    assert_int_equal(dec(&m), PFS_E_SIZE);

    /* a CLAIM of 2000 bytes with a bad model: the size comes first */
    m = golden(G_CLAIM);
    m.b[40] = ' ';
    uint8_t pad[2000] = {0};
    pad[0] = 0x7f; /* one unknown TLV of 255 bytes, then more */
    pad[1] = 255;
    append(&m, pad, 2000 - m.n);
    assert_int_equal(dec(&m), PFS_E_SIZE);

    /* 10 bytes starting with "PF" and version 2 */
    assert_int_equal(dec_bytes("5046020100000010aaaa"), PFS_E_VERSION);

    /* a string whose length byte says 200 at the end of a message */
    m = golden(G_XFRCMD);
    m.b[60] = 200;
    assert_int_equal(dec(&m), PFS_E_STRLEN);

    /* type is judged before length: type 0 with length 3 */
    assert_int_equal(dec_bytes("50460100000000030000000000000000"), PFS_E_TYPE);
    assert_int_equal(dec_bytes("50460101000000030000000000000000"), PFS_E_LENGTH);
    /* the message's own rule comes after its fields: offset + len past 64 MiB */
    m = golden(G_DATA);
    m.b[16] = 0x03; /* offset 0x03fffffe: 2 bytes before 64 MiB, len 5 */
    m.b[17] = 0xff;
    m.b[18] = 0xff;
    m.b[19] = 0xfe;
    assert_int_equal(dec(&m), PFS_E_SIZE);
    /* ... and before the TLVs */
    uint8_t lone = 0x01;
    append(&m, &lone, 1);
    assert_int_equal(dec(&m), PFS_E_SIZE);
}

/* §5 step 1: fewer bytes than a header. */
static void test_short_buffers(void **state)
{
    (void)state;
    struct pfs_msg out;
    assert_int_equal(pfs_decode((const uint8_t *)"", 0, &out), PFS_E_SHORT);
    assert_int_equal(dec_bytes("50"), PFS_E_SHORT);
    assert_int_equal(dec_bytes("5046"), PFS_E_SHORT);
    assert_int_equal(dec_bytes("504601"), PFS_E_SHORT);
    assert_int_equal(dec_bytes("51"), PFS_E_MAGIC);
    assert_int_equal(dec_bytes("5047"), PFS_E_MAGIC);
    assert_int_equal(dec_bytes("474554202f20485454"), PFS_E_MAGIC); /* "GET / HTT" */
    assert_int_equal(dec_bytes("504600"), PFS_E_VERSION);
    /* the framer agrees */
    assert_int_equal(pfs_frame_len((const uint8_t *)"P", 1), 0);
    assert_int_equal(pfs_frame_len((const uint8_t *)"Q", 1), PFS_E_MAGIC);
}

/* §5 step 3, §7: a datagram holds exactly one message; 1472 bytes at most. */
static void test_datagram_size(void **state)
{
    (void)state;
    struct msg m = golden(G_XFREND);
    struct pfs_msg out;
    m.b[m.n++] = 0; /* one byte after length */
    assert_int_equal(pfs_decode(m.b, m.n, &out), PFS_E_LENGTH);
    assert_int_equal(pfs_walk(m.b, m.n, PFS_WALK_STREAM, &out, NULL, NULL, NULL), PFS_OK);
    m.n -= 2; /* one byte short of length */
    assert_int_equal(pfs_decode(m.b, m.n, &out), PFS_E_SHORT);

    /* a LEAVE of 1500 bytes: the codec takes it, a UDP receiver does not */
    m = golden(G_LEAVE);
    uint8_t tlvs[1480];
    memset(tlvs, 0, sizeof tlvs);
    for (size_t i = 0; i + 257 <= sizeof tlvs; i += 257) {
        tlvs[i] = 0x7f;
        tlvs[i + 1] = 255;
    }
    size_t used = (sizeof tlvs / 257) * 257;
    tlvs[used] = 0x7f;
    tlvs[used + 1] = (uint8_t)(1500 - 20 - used - 2);
    append(&m, tlvs, 1500 - m.n);
    assert_int_equal(m.n, 1500);
    assert_int_equal(pfs_decode(m.b, m.n, &out), PFS_OK);
    struct pfs_fault f;
    assert_int_equal(pfs_walk(m.b, m.n, PFS_WALK_UDP, &out, NULL, NULL, &f), PFS_E_SIZE);
    assert_int_equal(f.off, PFS_UDP_MAX);

    /* a CLAIM (UDP only) of 1473 bytes is SIZE for decode and for encode */
    m = golden(G_CLAIM);
    uint8_t pad[1473] = {0};
    size_t need = 1473 - m.n, at = 0;
    while (need - at > 257) {
        pad[at] = 0x7f;
        pad[at + 1] = 255;
        at += 257;
    }
    pad[at] = 0x7f;
    pad[at + 1] = (uint8_t)(need - at - 2);
    append(&m, pad, need);
    assert_int_equal(dec(&m), PFS_E_SIZE);
    struct pfs_msg c = ex_claim();
    c.tlv = m.b + 59;
    c.tlv_len = (uint16_t)(m.n - 59);
    uint8_t out2[BUF];
    assert_int_equal(pfs_encode(&c, out2, sizeof out2), PFS_E_SIZE);
    c.tlv_len--; /* 1472 is fine: but the last TLV is now short */
    assert_int_equal(pfs_encode(&c, out2, sizeof out2), PFS_E_TLV);
}

/* One byte of a golden vector set to a value, and the code that gives (§3). */
struct byte_case {
    const char *what;
    const char *hex;
    size_t at;
    uint8_t value;
    int want;
};

static const struct byte_case byte_cases[] = {
    {"ACCEPT depth 254", G_ACCEPT, 17, 254, PFS_OK},
    {"ACCEPT depth 255", G_ACCEPT, 17, 255, PFS_E_FIELD},
    {"ACCEPT index 2", G_ACCEPT, 16, 2, PFS_E_FIELD},
    {"JOIN try 255", G_JOIN, 22, 255, PFS_OK},
    {"JOIN try 0", G_JOIN, 22, 0, PFS_E_FIELD},
    {"CLAIM state 2", G_CLAIM, 16, 2, PFS_OK},
    {"CLAIM state 3", G_CLAIM, 16, 3, PFS_E_FIELD},
    {"CLAIM seq 1", G_CLAIM, 17, 1, PFS_E_FIELD},
    {"CLAIM free 3", G_CLAIM, 19, 3, PFS_E_FIELD},
    {"AD state 1", G_AD, 16, 1, PFS_OK},
    {"AD state 2", G_AD, 16, 2, PFS_OK},
    {"AD state 6", G_AD, 16, 6, PFS_OK},
    {"AD state 7", G_AD, 16, 7, PFS_E_FIELD},
    {"AD seq 255", G_AD, 17, 255, PFS_OK},
    {"AD seq 0", G_AD, 17, 0, PFS_E_FIELD},
    {"AD depth 255", G_AD, 18, 255, PFS_OK},
    {"REFUSE reason 0", G_REFUSE, 16, 0, PFS_E_FIELD},
    {"REFUSE reason 4", G_REFUSE, 16, 4, PFS_OK},
    {"REFUSE reason 5", G_REFUSE, 16, 5, PFS_E_FIELD},
    {"REFUSE count 3", G_REFUSE, 17, 3, PFS_E_FIELD},
    {"XFRCMD source 0", G_XFRCMD, 20, 0, PFS_E_FIELD},
    {"XFRCMD source 3", G_XFRCMD, 20, 3, PFS_E_FIELD},
    {"VERDICT 0", G_VERDICT, 16, 0, PFS_E_FIELD},
    {"VERDICT 4", G_VERDICT, 16, 4, PFS_OK},
    {"VERDICT 5", G_VERDICT, 16, 5, PFS_E_FIELD},
    {"ABORT reason 0", G_ABORT, 16, 0, PFS_OK},
    {"ABORT reason 10", G_ABORT, 16, 10, PFS_E_FIELD},
    {"LEAVE reason 9", G_LEAVE, 16, 9, PFS_OK},
    {"LEAVE reason 10", G_LEAVE, 16, 10, PFS_E_FIELD},
};

/* Four bytes of a golden vector set to a value: the 64 MiB limits are inclusive. */
struct word_case {
    const char *what;
    const char *hex;
    size_t at;
    uint32_t value;
    int want;
};

static const struct word_case word_cases[] = {
    {"XFRCMD size 0", G_XFRCMD, 16, 0, PFS_OK},
    {"XFRCMD size 64 MiB", G_XFRCMD, 16, PFS_FILE_MAX, PFS_OK},
    {"XFRCMD size 64 MiB + 1", G_XFRCMD, 16, PFS_FILE_MAX + 1, PFS_E_SIZE},
    {"XFREND size 64 MiB", G_XFREND, 16, PFS_FILE_MAX, PFS_OK},
    {"XFREND size 64 MiB + 1", G_XFREND, 16, PFS_FILE_MAX + 1, PFS_E_SIZE},
    {"VERDICT bytes 64 MiB", G_VERDICT, 20, PFS_FILE_MAX, PFS_OK},
    {"VERDICT bytes 64 MiB + 1", G_VERDICT, 20, PFS_FILE_MAX + 1, PFS_E_SIZE},
    {"DATA: the last 5 bytes of 64 MiB", G_DATA, 16, PFS_FILE_MAX - 5, PFS_OK},
    {"DATA: 1 byte past 64 MiB", G_DATA, 16, PFS_FILE_MAX - 4, PFS_E_SIZE},
    {"DATA offset 64 MiB + 1", G_DATA, 16, PFS_FILE_MAX + 1, PFS_E_SIZE},
};

static void test_ranges(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof byte_cases / sizeof byte_cases[0]; i++) {
        const struct byte_case *c = &byte_cases[i];
        struct msg m = golden(c->hex);
        m.b[c->at] = c->value;
        if (dec(&m) != c->want)
            fail_msg("%s: %s, the document says %s", c->what, pfs_errword(dec(&m)),
                     pfs_errword(c->want));
    }
    for (size_t i = 0; i < sizeof word_cases / sizeof word_cases[0]; i++) {
        const struct word_case *c = &word_cases[i];
        struct msg m = golden(c->hex);
        for (int k = 0; k < 4; k++)
            m.b[c->at + (size_t)k] = (uint8_t)(c->value >> (24 - 8 * k));
        if (dec(&m) != c->want)
            fail_msg("%s: %s, the document says %s", c->what, pfs_errword(dec(&m)),
                     pfs_errword(c->want));
    }
    /* DATA len 0 */
    struct msg m = golden(G_DATA);
    m.b[20] = 0;
    m.b[21] = 0;
    m.n = 24;
    fix_length(&m);
    assert_int_equal(dec(&m), PFS_E_SIZE);
}

/* §2: bare names and H (the path rules of §1 are test_codec's test_err_path). */
static void test_paths_and_h(void **state)
{
    (void)state;
    /* the H table of §2 */
    assert_int_equal(pfs_hier_id("CP-7961G", "/dnld/x.sbn"), 0xC8D763CEu);
    assert_int_equal(pfs_hier_id("CP-7961G", "x.sbn"), 0xC8D763CEu);
    assert_int_equal(pfs_hier_id("CP-7961G", "/dnld/SCCP41.9-4-2SR2-2S.loads"), 0x22061D3Eu);
    assert_int_equal(pfs_hier_id("CP-7961G", "/dnld/jar41.9-4-2ES26.sbn"), 0x4BF6CEA7u);
    /* the vectors' H is an example, not the H of their model and file */
    assert_int_not_equal(pfs_hier_id("CP-7961G", "/dnld/x.sbn"), 0x36685558u);
    /* a JOIN naming a bare file decodes */
    struct pfs_msg j = ex_join();
    j.u.join.file = pfs_str_of("x.sbn");
    j.hier = pfs_hier_id("CP-7961G", "x.sbn");
    uint8_t buf[BUF];
    long n = pfs_encode(&j, buf, sizeof buf);
    assert_true(n > 0);
    struct pfs_msg out;
    assert_int_equal(pfs_decode(buf, (size_t)n, &out), PFS_OK);
    assert_int_equal(out.hier, 0xC8D763CEu);
}

/* §2: flags never make a message invalid; hier 0 is a value. */
static void test_flags_and_hier(void **state)
{
    (void)state;
    struct msg m = golden(G_VERDICT);
    m.b[4] = 0xff;
    m.b[5] = 0xff;
    memset(m.b + 12, 0, 4);
    struct pfs_msg out;
    assert_int_equal(pfs_decode(m.b, m.n, &out), PFS_OK);
    assert_int_equal(out.flags, 0xffff);
    assert_int_equal(out.hier, 0);
    uint8_t again[BUF];
    assert_int_equal(pfs_encode(&out, again, sizeof again), (long)m.n);
    assert_memory_equal(again, m.b, m.n);
    /* non-zero reserved bytes are ignored, and encode writes them as 0 */
    m = golden(G_VERDICT);
    m.b[17] = 0x55;
    assert_int_equal(pfs_decode(m.b, m.n, &out), PFS_OK);
    assert_int_equal(pfs_encode(&out, again, sizeof again), (long)m.n);
    assert_int_equal(again[17], 0);
}

/* §2: TLV corner cases. */
static void test_tlv_corners(void **state)
{
    (void)state;
    static const uint8_t uptime[] = {0x02, 0x04, 0, 0, 0x0e, 0x10};
    static const uint8_t type0[] = {0x00, 0x02, 0xab, 0xcd};
    static const uint8_t empty_unknown[] = {0x99, 0x00};
    static const uint8_t lone[] = {0x02};
    static const uint8_t fw_empty[] = {0x01, 0x00};
    static const uint8_t up3[] = {0x02, 0x03, 0, 0, 1};
    static const uint8_t fw_blank[] = {0x01, 0x02, '9', ' '};
    static const uint8_t runs_past[] = {0x7f, 0x05, 1, 2};

    struct msg m = golden(G_LEAVE);
    append(&m, uptime, sizeof uptime);
    append(&m, uptime, sizeof uptime); /* twice: allowed */
    append(&m, type0, sizeof type0);  /* type 0: skipped like any unknown */
    append(&m, empty_unknown, sizeof empty_unknown);
    assert_int_equal(dec(&m), PFS_OK);
    append(&m, lone, sizeof lone); /* a lone last byte */
    assert_int_equal(dec(&m), PFS_E_TLV);

    static const struct {
        const uint8_t *p;
        size_t n;
    } bad[] = {{fw_empty, sizeof fw_empty},
               {up3, sizeof up3},
               {fw_blank, sizeof fw_blank},
               {runs_past, sizeof runs_past}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        m = golden(G_LEAVE);
        append(&m, bad[i].p, bad[i].n);
        assert_int_equal(dec(&m), PFS_E_TLV);
    }
    /* after DATA's bytes and after a REFUSE's hints */
    m = golden(G_DATA);
    append(&m, uptime, sizeof uptime);
    struct pfs_msg out;
    assert_int_equal(pfs_decode(m.b, m.n, &out), PFS_OK);
    assert_int_equal(out.u.data.len, 5);
    assert_int_equal(out.tlv_len, sizeof uptime);
    m = golden(G_REFUSE);
    append(&m, uptime, sizeof uptime);
    assert_int_equal(pfs_decode(m.b, m.n, &out), PFS_OK);
    assert_int_equal(out.u.refuse.nhints, 2);
    assert_int_equal(out.tlv_len, sizeof uptime);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_of_checks), cmocka_unit_test(test_short_buffers),
        cmocka_unit_test(test_datagram_size),   cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_paths_and_h),     cmocka_unit_test(test_flags_and_hier),
        cmocka_unit_test(test_tlv_corners),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
