/*
 * test_codec.c - libpfs wire codec: golden vectors, round trips, every
 * validation error, TLVs, TCP framing, names; and docs/protocol.md shows
 * every golden vector as a dump equal to it.
 *
 * The golden vectors are written field by field from the byte tables of
 * docs/protocol.md (§2 header, §3 bodies), not captured from the encoder:
 * encode must produce them and decode must give the fields back.
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

#include "pfs.h"
#include "golden.h"

#ifndef PFS_PROTOCOL_MD
#error "PFS_PROTOCOL_MD must name docs/protocol.md"
#endif

/* A test-side header in front of a hand-written body, for the error cases. */
static size_t msg_from(unsigned type, const char *body_hex, uint8_t *out, size_t cap)
{
    size_t n = unhex(body_hex, out + 16, cap - 16) + 16;
    const uint8_t hdr[16] = {0x50, 0x46, 1, (uint8_t)type, 0, 0, (uint8_t)(n >> 8), (uint8_t)n,
                             0x08, 0x00, 0x27, 0xf8, 0x36, 0x68, 0x55, 0x58};
    memcpy(out, hdr, sizeof hdr);
    return n;
}

static int decode_body(unsigned type, const char *body_hex)
{
    static uint8_t buf[70000];
    struct pfs_msg m;
    size_t n = msg_from(type, body_hex, buf, sizeof buf);
    return pfs_decode(buf, n, &m);
}

/* ---- field-by-field comparison ---- */

static void same_str(const struct pfs_str *a, const struct pfs_str *b)
{
    assert_int_equal(a->len, b->len);
    if (a->len)
        assert_memory_equal(a->p, b->p, a->len);
}

static void same_claim(const struct pfs_claim *a, const struct pfs_claim *b)
{
    assert_int_equal(a->state, b->state);
    assert_int_equal(a->seq, b->seq);
    assert_int_equal(a->depth, b->depth);
    assert_int_equal(a->free_slots, b->free_slots);
    assert_int_equal(a->map, b->map);
    assert_int_equal(a->strength, b->strength);
    assert_int_equal(a->root_xid, b->root_xid);
    assert_int_equal(a->addr, b->addr);
    assert_int_equal(a->port, b->port);
    same_str(&a->model, &b->model);
    same_str(&a->file, &b->file);
}

static void same_body(const struct pfs_msg *a, const struct pfs_msg *b)
{
    switch (a->type) {
    case PFS_T_CLAIM:
    case PFS_T_AD: same_claim(&a->u.claim, &b->u.claim); break;
    case PFS_T_JOIN:
        assert_int_equal(a->u.join.addr, b->u.join.addr);
        assert_int_equal(a->u.join.port, b->u.join.port);
        assert_int_equal(a->u.join.try_no, b->u.join.try_no);
        same_str(&a->u.join.model, &b->u.join.model);
        same_str(&a->u.join.file, &b->u.join.file);
        break;
    case PFS_T_ACCEPT:
        assert_int_equal(a->u.accept.index, b->u.accept.index);
        assert_int_equal(a->u.accept.depth, b->u.accept.depth);
        assert_int_equal(a->u.accept.root_xid, b->u.accept.root_xid);
        break;
    case PFS_T_REFUSE:
        assert_int_equal(a->u.refuse.reason, b->u.refuse.reason);
        assert_int_equal(a->u.refuse.nhints, b->u.refuse.nhints);
        for (unsigned i = 0; i < a->u.refuse.nhints; i++) {
            assert_int_equal(a->u.refuse.hints[i].xid, b->u.refuse.hints[i].xid);
            assert_int_equal(a->u.refuse.hints[i].addr, b->u.refuse.hints[i].addr);
            assert_int_equal(a->u.refuse.hints[i].port, b->u.refuse.hints[i].port);
        }
        break;
    case PFS_T_XFRCMD:
        assert_int_equal(a->u.xfrcmd.size, b->u.xfrcmd.size);
        assert_int_equal(a->u.xfrcmd.source, b->u.xfrcmd.source);
        assert_int_equal(a->u.xfrcmd.origin_xid, b->u.xfrcmd.origin_xid);
        assert_memory_equal(a->u.xfrcmd.sha256, b->u.xfrcmd.sha256, PFS_SHA256_LEN);
        same_str(&a->u.xfrcmd.file, &b->u.xfrcmd.file);
        break;
    case PFS_T_DATA:
        assert_int_equal(a->u.data.offset, b->u.data.offset);
        assert_int_equal(a->u.data.len, b->u.data.len);
        assert_memory_equal(a->u.data.bytes, b->u.data.bytes, a->u.data.len);
        break;
    case PFS_T_XFREND: assert_int_equal(a->u.xfrend.size, b->u.xfrend.size); break;
    case PFS_T_VERDICT:
        assert_int_equal(a->u.verdict.verdict, b->u.verdict.verdict);
        assert_int_equal(a->u.verdict.bytes, b->u.verdict.bytes);
        break;
    default: assert_int_equal(a->u.reason.reason, b->u.reason.reason); break;
    }
}

static void same_msg(const struct pfs_msg *a, const struct pfs_msg *b)
{
    assert_int_equal(a->version, b->version);
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->flags, b->flags);
    assert_int_equal(a->length, b->length);
    assert_int_equal(a->xid, b->xid);
    assert_int_equal(a->hier, b->hier);
    same_body(a, b);
    assert_int_equal(a->tlv_len, b->tlv_len);
    if (a->tlv_len)
        assert_memory_equal(a->tlv, b->tlv, a->tlv_len);
}

/* ---- golden and round-trip tests ---- */

static void test_golden_encode(void **state)
{
    (void)state;
    for (size_t i = 0; i < NGOLDEN; i++) {
        uint8_t want[256], got[256];
        size_t n = unhex(goldens[i].hex, want, sizeof want);
        struct pfs_msg m = goldens[i].make();
        long r = pfs_encode(&m, got, sizeof got);
        if (r != (long)n)
            fail_msg("%s: encode gave %ld, want %zu", goldens[i].name, r, n);
        assert_memory_equal(got, want, n);
        assert_int_equal(m.length, n);
    }
}

static void test_golden_decode(void **state)
{
    (void)state;
    for (size_t i = 0; i < NGOLDEN; i++) {
        uint8_t buf[256];
        size_t n = unhex(goldens[i].hex, buf, sizeof buf);
        struct pfs_msg got, want = goldens[i].make();
        want.length = (uint16_t)n;
        int rc = pfs_decode(buf, n, &got);
        if (rc != PFS_OK)
            fail_msg("%s: decode: %s", goldens[i].name, pfs_strerror(rc));
        same_msg(&got, &want);
        /* Decoding never copies: strings and payloads point into buf. */
        if (got.type == PFS_T_DATA)
            assert_ptr_equal(got.u.data.bytes, buf + 24);
        if (got.type == PFS_T_XFRCMD)
            assert_ptr_equal(got.u.xfrcmd.sha256, buf + 16 + 12);
    }
}

/* decode -> encode -> the same bytes, for every type */
static void test_roundtrip_bytes(void **state)
{
    (void)state;
    for (size_t i = 0; i < NGOLDEN; i++) {
        uint8_t buf[256], again[256];
        size_t n = unhex(goldens[i].hex, buf, sizeof buf);
        struct pfs_msg m;
        assert_int_equal(pfs_decode(buf, n, &m), PFS_OK);
        assert_int_equal(pfs_encode(&m, again, sizeof again), (long)n);
        assert_memory_equal(again, buf, n);
    }
}

static void roundtrip(struct pfs_msg *m)
{
    static uint8_t buf[PFS_MSG_MAX];
    struct pfs_msg back;
    long n = pfs_encode(m, buf, sizeof buf);
    if (n < 0)
        fail_msg("%s: encode: %s", pfs_type_name(m->type), pfs_strerror((int)n));
    assert_int_equal(pfs_frame_len(buf, (size_t)n), n);
    assert_int_equal(pfs_decode(buf, (size_t)n, &back), PFS_OK);
    same_msg(&back, m);
}

/* Round trips at the edges of every field's range. */
static void test_roundtrip_edges(void **state)
{
    (void)state;
    char model[16], path[128];
    memset(model, '~', 15);
    model[0] = '!';
    model[15] = '\0';
    memcpy(path, "/dnld/", 6);
    memset(path + 6, 'a', 121);
    path[127] = '\0';

    struct pfs_msg m = ex_ad();
    m.u.claim.state = PFS_HS_DONE;
    m.u.claim.seq = 255;
    m.u.claim.depth = PFS_DEPTH_NONE;
    m.u.claim.free_slots = 0;
    m.u.claim.model = pfs_str_of(model);
    m.u.claim.file = pfs_str_of(path);
    m.flags = 0xffff; /* unknown flags travel untouched */
    roundtrip(&m);

    m = ex_claim();
    m.u.claim.state = PFS_HS_CONF;
    m.u.claim.strength = PFS_STRENGTH_ROOT;
    m.u.claim.file = pfs_str_of("SCCP41.9-4-2SR2-2S.loads"); /* bare name */
    roundtrip(&m);

    m = ex_join();
    m.u.join.try_no = 255;
    m.u.join.file = pfs_str_of("sub/dir/x+y_z-1.sbn");
    roundtrip(&m);

    m = ex_accept();
    m.u.accept.index = 0;
    m.u.accept.depth = 254;
    roundtrip(&m);

    m = ex_refuse();
    m.u.refuse.reason = PFS_R_SHUTDOWN;
    m.u.refuse.nhints = 0;
    roundtrip(&m);
    m.u.refuse.nhints = 1;
    roundtrip(&m);

    static uint8_t big[PFS_DATA_MAX];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7);
    m = ex_data();
    m.u.data.offset = PFS_FILE_MAX - PFS_DATA_MAX;
    m.u.data.len = PFS_DATA_MAX;
    m.u.data.bytes = big;
    roundtrip(&m);

    m = ex_xfrcmd();
    m.u.xfrcmd.size = PFS_FILE_MAX;
    m.u.xfrcmd.source = PFS_SRC_PEER;
    roundtrip(&m);
    m.u.xfrcmd.size = 0; /* an empty file is a file */
    roundtrip(&m);

    m = ex_verdict();
    for (unsigned v = PFS_V_OK; v <= PFS_V_MAX; v++) {
        m.u.verdict.verdict = (uint8_t)v;
        roundtrip(&m);
    }
    for (unsigned r = 0; r <= PFS_R_MAX; r++) {
        m = ex_abort();
        m.u.reason.reason = (uint8_t)r;
        roundtrip(&m);
        m = ex_leave();
        m.u.reason.reason = (uint8_t)r;
        roundtrip(&m);
    }
    m = ex_xfrend();
    m.u.xfrend.size = PFS_FILE_MAX;
    roundtrip(&m);
}

/* A zeroed version means "the current one", so a memset struct encodes. */
static void test_encode_default_version(void **state)
{
    (void)state;
    uint8_t buf[64];
    struct pfs_msg m = ex_abort();
    m.version = 0;
    assert_int_equal(pfs_encode(&m, buf, sizeof buf), 20);
    assert_int_equal(buf[2], PFS_VERSION_1);
    m.version = 2;
    assert_int_equal(pfs_encode(&m, buf, sizeof buf), PFS_E_VERSION);
}

/* ---- one test per validation error ---- */

static void test_err_short(void **state)
{
    (void)state;
    uint8_t buf[256];
    struct pfs_msg m;
    size_t n = unhex(G_ACCEPT, buf, sizeof buf);
    assert_int_equal(pfs_decode(buf, 0, &m), PFS_E_SHORT);
    assert_int_equal(pfs_decode(buf, 10, &m), PFS_E_SHORT);   /* not even a header */
    assert_int_equal(pfs_decode(buf, 15, &m), PFS_E_SHORT);
    assert_int_equal(pfs_decode(buf, n - 1, &m), PFS_E_SHORT); /* header says 24 */
    assert_int_equal(pfs_decode(NULL, 5, &m), PFS_E_SHORT);
}

static void test_err_magic(void **state)
{
    (void)state;
    uint8_t buf[256];
    struct pfs_msg m;
    size_t n = unhex(G_ACCEPT, buf, sizeof buf);
    buf[0] = 'X';
    assert_int_equal(pfs_decode(buf, n, &m), PFS_E_MAGIC);
    buf[0] = 'P';
    buf[1] = 'G';
    assert_int_equal(pfs_decode(buf, n, &m), PFS_E_MAGIC);
    assert_int_equal(pfs_decode(buf, 2, &m), PFS_E_MAGIC); /* known from two bytes */
}

static void test_err_version(void **state)
{
    (void)state;
    uint8_t buf[256];
    struct pfs_msg m;
    size_t n = unhex(G_ACCEPT, buf, sizeof buf);
    buf[2] = 0;
    assert_int_equal(pfs_decode(buf, n, &m), PFS_E_VERSION);
    buf[2] = 2;
    assert_int_equal(pfs_decode(buf, n, &m), PFS_E_VERSION);
}

static void test_err_length(void **state)
{
    (void)state;
    uint8_t buf[256];
    struct pfs_msg m;
    size_t n = unhex(G_ACCEPT, buf, sizeof buf);
    /* Header length below the header itself. */
    buf[7] = 15;
    assert_int_equal(pfs_decode(buf, n, &m), PFS_E_LENGTH);
    /* Buffer longer than the header says: one trailing byte. */
    buf[7] = 24;
    buf[24] = 0;
    assert_int_equal(pfs_decode(buf, n + 1, &m), PFS_E_LENGTH);
    /* Body overrunning the declared length: ACCEPT needs 8 body bytes. */
    buf[7] = 20;
    assert_int_equal(pfs_decode(buf, 20, &m), PFS_E_LENGTH);
    /* A string that runs past the end: file says 11 bytes, 10 present. */
    assert_int_equal(decode_body(PFS_T_JOIN, "7f000003 0fd3 01 00" MODEL_CP7961G
                                             "0b 2f646e6c642f782e7362"),
                     PFS_E_LENGTH);
    /* The length byte of the file string itself missing. */
    assert_int_equal(decode_body(PFS_T_AD, "05 03 01 01 ff9d7cb9 ffffffff 080027f8 7f000003 0fd3"
                                           MODEL_CP7961G),
                     PFS_E_LENGTH);
    /* A REFUSE announcing two hints and carrying one. */
    assert_int_equal(decode_body(PFS_T_REFUSE, "01 02 0000 0a000003 7f000004 0fd3 0000"),
                     PFS_E_LENGTH);
    /* DATA whose len runs past the message. */
    assert_int_equal(decode_body(PFS_T_DATA, "00000000 0006 0000 68656c6c6f"), PFS_E_LENGTH);
    /* Bigger than any header length can say. */
    static uint8_t huge[PFS_MSG_MAX + 2];
    memcpy(huge, buf, 16);
    huge[6] = 0xff;
    huge[7] = 0xff;
    assert_int_equal(pfs_decode(huge, sizeof huge, &m), PFS_E_LENGTH);
}

static void test_err_strlen(void **state)
{
    (void)state;
    /* model of 16 bytes */
    assert_int_equal(decode_body(PFS_T_JOIN, "7f000003 0fd3 01 00 10 41414141414141414141414141414141"
                                             FILE_XSBN),
                     PFS_E_STRLEN);
    /* the length byte alone decides, before the bytes are read */
    assert_int_equal(decode_body(PFS_T_JOIN, "7f000003 0fd3 01 00 ff"), PFS_E_STRLEN);
    /* file of 128 bytes */
    assert_int_equal(decode_body(PFS_T_XFRCMD, "00000010 01 000000 080027f8" SHA_TEST "80"),
                     PFS_E_STRLEN);
    /* encode refuses the same */
    struct pfs_msg m = ex_join();
    char long_model[] = "ABCDEFGHIJKLMNOP";
    m.u.join.model = pfs_str_of(long_model);
    uint8_t buf[256];
    assert_int_equal(pfs_encode(&m, buf, sizeof buf), PFS_E_STRLEN);
    assert_int_equal(pfs_check_model(long_model, 16), PFS_E_STRLEN);
    char long_path[200];
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[128] = '\0';
    assert_int_equal(pfs_check_path(long_path, 128), PFS_E_STRLEN);
    assert_int_equal(pfs_check_path(long_path, 127), PFS_OK);
}

static void test_err_model(void **state)
{
    (void)state;
    /* empty model */
    assert_int_equal(decode_body(PFS_T_JOIN, "7f000003 0fd3 01 00 00" FILE_XSBN), PFS_E_MODEL);
    /* "CP 7961G": a space */
    assert_int_equal(decode_body(PFS_T_AD, "05 03 01 01 ff9d7cb9 ffffffff 080027f8 7f000003 0fd3"
                                           "08 4350203739363147" FILE_XSBN),
                     PFS_E_MODEL);
    assert_int_equal(pfs_check_model("CP-7961G", 8), PFS_OK);
    assert_int_equal(pfs_check_model("!~", 2), PFS_OK);
    assert_int_equal(pfs_check_model("", 0), PFS_E_MODEL);
    assert_int_equal(pfs_check_model("a\x7f", 2), PFS_E_MODEL);
    assert_int_equal(pfs_check_model("a\x80", 2), PFS_E_MODEL);
    assert_int_equal(pfs_check_model("a\tb", 3), PFS_E_MODEL);
    assert_int_equal(pfs_check_model(NULL, 3), PFS_E_MODEL);
    struct pfs_msg m = ex_claim();
    m.u.claim.model = pfs_str_of("CP 7961G");
    uint8_t buf[256];
    assert_int_equal(pfs_encode(&m, buf, sizeof buf), PFS_E_MODEL);
}

static void test_err_path(void **state)
{
    (void)state;
    static const char *bad[] = {
        "/etc/passwd", "/dnld",       "/dnld/",    "/dnldx/a",    "/dnld/../etc/passwd",
        "../x",        "..",          ".",         "a/./b",       "a/../b",
        "/dnld//x",    "a//b",        "x.sbn/",    "x y",         "x\\y",
        "x:y",         "x%2e",        "/dnld/./x", "/",           "//dnld/x",
        "a/..",        "\xc3\xa9t\xc3\xa9",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (pfs_check_path(bad[i], strlen(bad[i])) != PFS_E_PATH)
            fail_msg("path '%s' accepted", bad[i]);
    assert_int_equal(pfs_check_path("", 0), PFS_E_PATH);
    assert_int_equal(pfs_check_path("a\0b", 3), PFS_E_PATH);
    static const char *good[] = {"/dnld/x.sbn", "x.sbn",  "SCCP41.9-4-2SR2-2S.loads",
                                 "a/b",         "...",    "/dnld/.hidden",
                                 "..x",         "x..",    "/dnld/sub/A_b-c+d.9"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (pfs_check_path(good[i], strlen(good[i])) != PFS_OK)
            fail_msg("path '%s' refused", good[i]);
    /* On the wire: "/etc/passwd" in an XFRCMD */
    assert_int_equal(decode_body(PFS_T_XFRCMD, "00000010 01 000000 080027f8" SHA_TEST
                                               "0b 2f6574632f706173737764"),
                     PFS_E_PATH);
    /* "/dnld/../x" in a JOIN */
    assert_int_equal(decode_body(PFS_T_JOIN, "7f000003 0fd3 01 00" MODEL_CP7961G
                                             "0a 2f646e6c642f2e2e2f78"),
                     PFS_E_PATH);
    struct pfs_msg m = ex_xfrcmd();
    m.u.xfrcmd.file = pfs_str_of("/dnld/../../etc/shadow");
    uint8_t buf[256];
    assert_int_equal(pfs_encode(&m, buf, sizeof buf), PFS_E_PATH);
}

static void test_err_size(void **state)
{
    (void)state;
    /* XFRCMD declaring 64 MiB + 1 */
    assert_int_equal(decode_body(PFS_T_XFRCMD, "04000001 01 000000 080027f8" SHA_TEST FILE_XSBN),
                     PFS_E_SIZE);
    /* DATA len 16385 (checked before the bytes are looked for) */
    assert_int_equal(decode_body(PFS_T_DATA, "00000000 4001 0000 68"), PFS_E_SIZE);
    /* DATA len 0 */
    assert_int_equal(decode_body(PFS_T_DATA, "00000000 0000 0000"), PFS_E_SIZE);
    /* DATA ending one byte past 64 MiB */
    assert_int_equal(decode_body(PFS_T_DATA, "03fffffc 0005 0000 68656c6c6f"), PFS_E_SIZE);
    assert_int_equal(decode_body(PFS_T_DATA, "03fffffb 0005 0000 68656c6c6f"), PFS_OK);
    /* offset so large that offset + len wraps 32 bits */
    assert_int_equal(decode_body(PFS_T_DATA, "fffffffe 0005 0000 68656c6c6f"), PFS_E_SIZE);
    /* XFREND and VERDICT sizes */
    assert_int_equal(decode_body(PFS_T_XFREND, "04000001"), PFS_E_SIZE);
    assert_int_equal(decode_body(PFS_T_VERDICT, "01 000000 04000001"), PFS_E_SIZE);
    uint8_t buf[256];
    struct pfs_msg m = ex_xfrcmd();
    m.u.xfrcmd.size = PFS_FILE_MAX + 1;
    assert_int_equal(pfs_encode(&m, buf, sizeof buf), PFS_E_SIZE);
    m = ex_data();
    m.u.data.len = PFS_DATA_MAX + 1;
    assert_int_equal(pfs_encode(&m, buf, sizeof buf), PFS_E_SIZE);
}

static void test_err_type(void **state)
{
    (void)state;
    assert_int_equal(decode_body(0, "09000000"), PFS_E_TYPE);
    assert_int_equal(decode_body(12, "09000000"), PFS_E_TYPE);
    assert_int_equal(decode_body(255, ""), PFS_E_TYPE);
    uint8_t buf[64];
    struct pfs_msg m = ex_leave();
    m.type = 12;
    assert_int_equal(pfs_encode(&m, buf, sizeof buf), PFS_E_TYPE);
}

/* Each enum-range rule, on the wire and at encode. */
static void test_err_field(void **state)
{
    (void)state;
#define CLAIM_TAIL "ff9d7cb9 31d4d43d 00000000 0a6a7544 0fd3" MODEL_CP7961G FILE_XSBN
    assert_int_equal(decode_body(PFS_T_CLAIM, "01 00 ff 02" CLAIM_TAIL), PFS_OK);
    assert_int_equal(decode_body(PFS_T_CLAIM, "02 00 00 02" CLAIM_TAIL), PFS_OK);
    assert_int_equal(decode_body(PFS_T_CLAIM, "01 01 ff 02" CLAIM_TAIL), PFS_E_FIELD); /* seq */
    assert_int_equal(decode_body(PFS_T_CLAIM, "03 00 ff 02" CLAIM_TAIL), PFS_E_FIELD); /* state */
    assert_int_equal(decode_body(PFS_T_CLAIM, "00 00 ff 02" CLAIM_TAIL), PFS_E_FIELD);
    assert_int_equal(decode_body(PFS_T_CLAIM, "01 00 ff 03" CLAIM_TAIL), PFS_E_FIELD); /* free */
    assert_int_equal(decode_body(PFS_T_AD, "06 ff 01 00" CLAIM_TAIL), PFS_OK);
    assert_int_equal(decode_body(PFS_T_AD, "01 00 ff 02" CLAIM_TAIL), PFS_E_FIELD); /* seq 0 */
    assert_int_equal(decode_body(PFS_T_AD, "07 01 ff 02" CLAIM_TAIL), PFS_E_FIELD); /* state */
    assert_int_equal(decode_body(PFS_T_AD, "00 01 ff 02" CLAIM_TAIL), PFS_E_FIELD);
    assert_int_equal(decode_body(PFS_T_AD, "05 01 01 03" CLAIM_TAIL), PFS_E_FIELD); /* free */
    assert_int_equal(decode_body(PFS_T_JOIN, "7f000003 0fd3 00 00" MODEL_CP7961G FILE_XSBN),
                     PFS_E_FIELD); /* try 0 */
    assert_int_equal(decode_body(PFS_T_ACCEPT, "02 00 0000 080027f8"), PFS_E_FIELD);
    assert_int_equal(decode_body(PFS_T_ACCEPT, "00 ff 0000 080027f8"), PFS_E_FIELD);
    assert_int_equal(decode_body(PFS_T_REFUSE, "00 00 0000"), PFS_E_FIELD);
    assert_int_equal(decode_body(PFS_T_REFUSE, "05 00 0000"), PFS_E_FIELD);
    assert_int_equal(decode_body(PFS_T_REFUSE, "04 00 0000"), PFS_OK);
    assert_int_equal(decode_body(PFS_T_REFUSE, "01 03 0000"), PFS_E_FIELD); /* count */
    assert_int_equal(decode_body(PFS_T_XFRCMD, "00000010 00 000000 080027f8" SHA_TEST FILE_XSBN),
                     PFS_E_FIELD);
    assert_int_equal(decode_body(PFS_T_XFRCMD, "00000010 03 000000 080027f8" SHA_TEST FILE_XSBN),
                     PFS_E_FIELD);
    assert_int_equal(decode_body(PFS_T_VERDICT, "00 000000 00000010"), PFS_E_FIELD);
    assert_int_equal(decode_body(PFS_T_VERDICT, "05 000000 00000010"), PFS_E_FIELD);
    assert_int_equal(decode_body(PFS_T_ABORT, "0a 000000"), PFS_E_FIELD);
    assert_int_equal(decode_body(PFS_T_LEAVE, "0a 000000"), PFS_E_FIELD);
    assert_int_equal(decode_body(PFS_T_LEAVE, "ff 000000"), PFS_E_FIELD);
#undef CLAIM_TAIL

    /* encode: the same rules, the same code */
    uint8_t buf[256];
    struct pfs_msg m = ex_claim();
    m.u.claim.seq = 1;
    assert_int_equal(pfs_encode(&m, buf, sizeof buf), PFS_E_FIELD);
    m = ex_claim();
    m.u.claim.state = PFS_HS_MEMBER;
    assert_int_equal(pfs_encode(&m, buf, sizeof buf), PFS_E_FIELD);
    m = ex_ad();
    m.u.claim.seq = 0;
    assert_int_equal(pfs_encode(&m, buf, sizeof buf), PFS_E_FIELD);
    m = ex_ad();
    m.u.claim.free_slots = 3;
    assert_int_equal(pfs_encode(&m, buf, sizeof buf), PFS_E_FIELD);
    m = ex_accept();
    m.u.accept.index = 2;
    assert_int_equal(pfs_encode(&m, buf, sizeof buf), PFS_E_FIELD);
    m = ex_refuse();
    m.u.refuse.nhints = 3;
    assert_int_equal(pfs_encode(&m, buf, sizeof buf), PFS_E_FIELD);
    m = ex_refuse();
    m.u.refuse.reason = PFS_R_TIMEOUT;
    assert_int_equal(pfs_encode(&m, buf, sizeof buf), PFS_E_FIELD);
    m = ex_xfrcmd();
    m.u.xfrcmd.source = 3;
    assert_int_equal(pfs_encode(&m, buf, sizeof buf), PFS_E_FIELD);
    m = ex_xfrcmd();
    m.u.xfrcmd.sha256 = NULL;
    assert_int_equal(pfs_encode(&m, buf, sizeof buf), PFS_E_FIELD);
    m = ex_verdict();
    m.u.verdict.verdict = 0;
    assert_int_equal(pfs_encode(&m, buf, sizeof buf), PFS_E_FIELD);
    m = ex_abort();
    m.u.reason.reason = PFS_R_MAX + 1;
    assert_int_equal(pfs_encode(&m, buf, sizeof buf), PFS_E_FIELD);
    m = ex_join();
    m.u.join.try_no = 0;
    assert_int_equal(pfs_encode(&m, buf, sizeof buf), PFS_E_FIELD);
}

static void test_err_nospace(void **state)
{
    (void)state;
    for (size_t i = 0; i < NGOLDEN; i++) {
        uint8_t buf[256];
        size_t n = unhex(goldens[i].hex, buf, sizeof buf);
        struct pfs_msg m = goldens[i].make();
        memset(buf, 0xaa, sizeof buf);
        assert_int_equal(pfs_encode(&m, buf, n - 1), PFS_E_NOSPACE);
        assert_int_equal(buf[0], 0xaa); /* nothing half-written */
        assert_int_equal(pfs_encode(&m, NULL, 0), PFS_E_NOSPACE);
        assert_int_equal(pfs_encode(&m, buf, n), (long)n);
    }
}

/* ---- TLVs ---- */

static void test_tlv_skip(void **state)
{
    (void)state;
    uint8_t buf[256];
    size_t n = unhex(G_LEAVE_TLV, buf, sizeof buf);
    struct pfs_msg m;
    assert_int_equal(pfs_decode(buf, n, &m), PFS_OK);
    assert_int_equal(m.u.reason.reason, PFS_R_DONE); /* body unaffected by the TLVs */
    assert_int_equal(m.tlv_len, 15);
    assert_ptr_equal(m.tlv, buf + 20);
    size_t off = 0;
    struct pfs_tlv_item it;
    assert_int_equal(pfs_tlv_next(&m, &off, &it), 1);
    assert_int_equal(it.type, PFS_TLV_UPTIME);
    assert_int_equal(it.len, 4);
    assert_memory_equal(it.value, "\x00\x00\x0e\x10", 4);
    assert_int_equal(pfs_tlv_next(&m, &off, &it), 1);
    assert_int_equal(it.type, 0x7f); /* unknown: handed over, not an error */
    assert_int_equal(it.len, 2);
    assert_int_equal(pfs_tlv_next(&m, &off, &it), 1);
    assert_int_equal(it.type, PFS_TLV_FIRMWARE);
    assert_memory_equal(it.value, "9.4", 3);
    assert_int_equal(pfs_tlv_next(&m, &off, &it), 0);
    assert_int_equal(pfs_tlv_next(&m, &off, &it), 0);

    /* No extension area: tlv NULL, iteration ends at once. */
    n = unhex(G_LEAVE, buf, sizeof buf);
    assert_int_equal(pfs_decode(buf, n, &m), PFS_OK);
    assert_null(m.tlv);
    assert_int_equal(m.tlv_len, 0);
    off = 0;
    assert_int_equal(pfs_tlv_next(&m, &off, &it), 0);

    /* A zero-length unknown TLV is fine too. */
    assert_int_equal(decode_body(PFS_T_ABORT, "04 000000 99 00"), PFS_OK);
}

/*
 * What an older decoder sees of a newer sender: every message type with
 * extension TLVs it does not know (types 3 and 200, one empty) appended.
 * The message stays valid and the body reads exactly as without them.
 */
static void test_tlv_skip_every_type(void **state)
{
    (void)state;
    static const uint8_t future[] = {0xc8, 0x03, 0x01, 0x02, 0x03, 0x03, 0x00};
    for (size_t i = 0; i < NGOLDEN; i++) {
        uint8_t buf[300];
        size_t n = unhex(goldens[i].hex, buf, sizeof buf);
        memcpy(buf + n, future, sizeof future);
        size_t total = n + sizeof future;
        buf[6] = (uint8_t)(total >> 8);
        buf[7] = (uint8_t)total;
        struct pfs_msg got, want = goldens[i].make();
        int rc = pfs_decode(buf, total, &got);
        if (rc != PFS_OK)
            fail_msg("%s with future TLVs: %s", goldens[i].name, pfs_strerror(rc));
        same_body(&got, &want);
        assert_int_equal(got.tlv_len, want.tlv_len + sizeof future);
        /* The unknown items are handed over in order, after any known ones. */
        size_t off = 0, items = 0;
        struct pfs_tlv_item it;
        while (pfs_tlv_next(&got, &off, &it) == 1)
            items++;
        assert_int_equal(off, got.tlv_len);
        size_t known = 0;
        off = 0;
        while (pfs_tlv_next(&want, &off, &it) == 1)
            known++;
        assert_int_equal(items, known + 2);
    }
}

static void test_tlv_overrun(void **state)
{
    (void)state;
    /* value runs past the end */
    assert_int_equal(decode_body(PFS_T_ABORT, "04 000000 7f 05 abcd"), PFS_E_TLV);
    /* a lone type byte with no length */
    assert_int_equal(decode_body(PFS_T_ABORT, "04 000000 7f"), PFS_E_TLV);
    /* the second TLV overruns */
    assert_int_equal(decode_body(PFS_T_ABORT, "04 000000 7f 01 00 02 04 0000"), PFS_E_TLV);
    /* known TLVs must have their shape */
    assert_int_equal(decode_body(PFS_T_ABORT, "04 000000 02 03 000000"), PFS_E_TLV);
    assert_int_equal(decode_body(PFS_T_ABORT, "04 000000 01 02 2001"), PFS_E_TLV);
    /* pfs_tlv_next reports the overrun itself */
    static const uint8_t area[] = {0x7f, 0x01, 0x00, 0x05, 0x09, 0x01};
    struct pfs_msg m = ex_abort();
    m.tlv = area;
    m.tlv_len = sizeof area;
    size_t off = 0;
    struct pfs_tlv_item it;
    assert_int_equal(pfs_tlv_next(&m, &off, &it), 1);
    assert_int_equal(pfs_tlv_next(&m, &off, &it), PFS_E_TLV);
    /* encode refuses a bad extension area */
    uint8_t buf[64];
    assert_int_equal(pfs_encode(&m, buf, sizeof buf), PFS_E_TLV);
    m.tlv = NULL;
    assert_int_equal(pfs_encode(&m, buf, sizeof buf), PFS_E_TLV);
}

/* ---- TCP framing ---- */

static void test_frame_len(void **state)
{
    (void)state;
    uint8_t buf[256];
    size_t n = unhex(G_CLAIM, buf, sizeof buf);
    assert_int_equal(pfs_frame_len(buf, 0), 0);
    assert_int_equal(pfs_frame_len(NULL, 0), 0);
    for (size_t k = 1; k < PFS_HDR_LEN; k++)
        assert_int_equal(pfs_frame_len(buf, k), 0); /* partial: need more */
    for (size_t k = PFS_HDR_LEN; k <= n; k++)
        assert_int_equal(pfs_frame_len(buf, k), (long)n);
    /* Two messages back to back: the first frame's length. */
    size_t m2 = unhex(G_ABORT, buf + n, sizeof buf - n);
    assert_int_equal(pfs_frame_len(buf, n + m2), (long)n);
    assert_int_equal(pfs_frame_len(buf + n, m2), 20);

    /* invalid */
    buf[0] = 'Q';
    assert_int_equal(pfs_frame_len(buf, 1), PFS_E_MAGIC); /* refused at the first byte */
    assert_int_equal(pfs_frame_len(buf, n), PFS_E_MAGIC);
    buf[0] = 'P';
    buf[1] = 'X';
    assert_int_equal(pfs_frame_len(buf, 1), 0);
    assert_int_equal(pfs_frame_len(buf, 2), PFS_E_MAGIC);
    buf[1] = 'F';
    buf[2] = 9;
    assert_int_equal(pfs_frame_len(buf, 3), PFS_E_VERSION);
    buf[2] = 1;
    buf[6] = 0;
    buf[7] = 15;
    assert_int_equal(pfs_frame_len(buf, 8), 0);
    assert_int_equal(pfs_frame_len(buf, 16), PFS_E_LENGTH);
    buf[6] = 0xff;
    buf[7] = 0xff;
    assert_int_equal(pfs_frame_len(buf, 16), 65535);
}

/* ---- docs/protocol.md shows the golden vectors ---- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char doc[1 << 17];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    int bad = ferror(f) || !feof(f); /* a doc larger than the buffer is a test bug */
    fclose(f);
    if (bad)
        return NULL;
    doc[n] = '\0';
    return doc;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1; /* the dumps are lower-case, like the vectors */
}

/*
 * Reads one dump line "OFF  xx xx xx  comment" into out at *n; the offset
 * must be *n. Returns the start of the next line, or NULL on a bad line.
 */
static const char *dump_line(const char *s, uint8_t *out, size_t cap, size_t *n)
{
    while (*s == ' ')
        s++;
    char *end;
    unsigned long off = strtoul(s, &end, 10);
    if (end == s || off != *n || strncmp(end, "  ", 2) != 0)
        return NULL;
    s = end + 2;
    while (*n < cap && hexval(s[0]) >= 0 && hexval(s[1]) >= 0) {
        out[(*n)++] = (uint8_t)(hexval(s[0]) << 4 | hexval(s[1]));
        s += 2;
        if (s[0] != ' ' || s[1] == ' ')
            break; /* one blank between bytes; two start the comment */
        s++;
    }
    const char *eol = strchr(s, '\n');
    return eol ? eol + 1 : NULL;
}

/* The bytes of the dump headed "Golden vector `name`:"; 0 when absent or bad. */
static size_t doc_dump(const char *doc, const char *name, uint8_t *out, size_t cap)
{
    char head[80];
    snprintf(head, sizeof head, "Golden vector `%s`:\n\n```text\n", name);
    const char *s = strstr(doc, head);
    if (!s)
        return 0;
    s += strlen(head);
    size_t n = 0;
    while (s && strncmp(s, "```", 3) != 0)
        s = dump_line(s, out, cap, &n);
    return s ? n : 0;
}

static void test_doc_shows_goldens(void **state)
{
    (void)state;
    const char *doc = slurp(PFS_PROTOCOL_MD);
    if (!doc)
        fail_msg("cannot read %s", PFS_PROTOCOL_MD);
    for (size_t i = 0; i < NGOLDEN; i++) {
        uint8_t want[256], shown[256];
        size_t n = unhex(goldens[i].hex, want, sizeof want);
        size_t m = doc_dump(doc, goldens[i].name, shown, sizeof shown);
        if (m == 0)
            fail_msg("%s: no readable dump of golden vector %s", PFS_PROTOCOL_MD, goldens[i].name);
        if (m != n || memcmp(shown, want, n) != 0)
            fail_msg("%s: the dump of %s differs from tests/proto/golden.h", PFS_PROTOCOL_MD,
                     goldens[i].name);
    }
    /* No dump of a vector that no longer exists. */
    size_t count = 0;
    for (const char *s = doc; (s = strstr(s, "Golden vector `")) != NULL; s++)
        count++;
    assert_int_equal(count, NGOLDEN);
}

/* ---- names, helpers ---- */

static void test_names(void **state)
{
    (void)state;
    /* docs/protocol.md's names, and the phones' words where they have one */
    static const char *types[] = {NULL,     "CLAIM", "AD",     "JOIN",    "ACCEPT", "REFUSE",
                                  "XFRCMD", "DATA",  "XFREND", "VERDICT", "ABORT",  "LEAVE"};
    for (unsigned t = PFS_T_CLAIM; t <= PFS_T_MAX; t++)
        assert_string_equal(pfs_type_name(t), types[t]);
    assert_string_equal(pfs_type_logname(PFS_T_CLAIM), "ClaimRoot");
    assert_string_equal(pfs_type_logname(PFS_T_AD), "Ad");
    assert_string_equal(pfs_type_logname(PFS_T_XFRCMD), "XfrCmd");
    assert_string_equal(pfs_type_logname(PFS_T_JOIN), "JOIN");
    assert_string_equal(pfs_type_logname(0), "Unknown");
    assert_string_equal(pfs_hstate_name(PFS_HS_TENT), "ClaimRoot(tent)");
    assert_string_equal(pfs_hstate_name(PFS_HS_CONF), "ClaimRoot(conf)");
    assert_string_equal(pfs_hstate_name(PFS_HS_WAITING), "ROOT_WAITING");
    assert_string_equal(pfs_hstate_name(PFS_HS_SEEK), "Seek");
    assert_string_equal(pfs_hstate_name(PFS_HS_MEMBER), "Member");
    assert_string_equal(pfs_hstate_name(PFS_HS_DONE), "Done");
    assert_string_equal(pfs_reason_name(PFS_R_NONE), "none");
    assert_string_equal(pfs_reason_name(PFS_R_FULL), "FULL");
    assert_string_equal(pfs_reason_name(PFS_R_WRONG_HIER), "WRONG_HIER");
    assert_string_equal(pfs_reason_name(PFS_R_DONE), "DONE");
    assert_string_equal(pfs_verdict_name(PFS_V_OK), "OK");
    assert_string_equal(pfs_verdict_name(PFS_V_SHORT), "SHORT");
    assert_string_equal(pfs_source_name(PFS_SRC_TFTP), "tftp");
    assert_string_equal(pfs_source_name(PFS_SRC_PEER), "peer");
    /* fallbacks: never NULL, never a real name */
    assert_string_equal(pfs_type_name(0), "Unknown");
    assert_string_equal(pfs_type_name(12), "Unknown");
    assert_string_equal(pfs_hstate_name(0), "UNKNOWN_STATE");
    assert_string_equal(pfs_hstate_name(7), "UNKNOWN_STATE");
    assert_string_equal(pfs_reason_name(10), "UNKNOWN_REASON");
    assert_string_equal(pfs_verdict_name(0), "UNKNOWN_VERDICT");
    assert_string_equal(pfs_source_name(3), "unknown");
    /* every error code has its own message */
    for (int a = PFS_E_NOSPACE; a <= PFS_OK; a++) {
        assert_non_null(pfs_strerror(a));
        for (int b = PFS_E_NOSPACE; b < a; b++)
            assert_string_not_equal(pfs_strerror(a), pfs_strerror(b));
    }
    /* ... and its own word for log lines: no blanks, so a DLoad line parses */
    for (int a = PFS_E_NOSPACE; a <= PFS_OK; a++) {
        assert_null(strpbrk(pfs_errword(a), " \t()\""));
        for (int b = PFS_E_NOSPACE; b < a; b++)
            assert_string_not_equal(pfs_errword(a), pfs_errword(b));
    }
    assert_string_equal(pfs_errword(PFS_E_MAGIC), "bad-magic");
    assert_string_equal(pfs_errword(-100), "unknown");
    assert_string_equal(pfs_strerror(-100), "unknown error");
    assert_string_equal(pfs_strerror(7), "unknown error");
}

static void test_hier_id(void **state)
{
    (void)state;
    /* FNV-1a 32 of the single separator byte: offset basis ^ 0, times the prime */
    assert_int_equal(pfs_hier_id("", ""), 0x050c5d1fu);
    assert_int_equal(pfs_hier_id(NULL, NULL), 0x050c5d1fu);
    /* "CP-7961G" NUL "/dnld/x.sbn", FNV-1a 32 computed independently */
    assert_int_equal(pfs_hier_id("CP-7961G", "/dnld/x.sbn"), 0xc8d763ceu);
    assert_int_equal(pfs_hier_id("CP-7961G", "/dnld/SCCP41.9-4-2SR2-2S.loads"), 0x22061d3eu);
    /* a bare name is its /dnld/ path: the same file, the same hierarchy */
    assert_int_equal(pfs_hier_id("CP-7961G", "x.sbn"), 0xc8d763ceu);
    assert_int_equal(pfs_hier_id("CP-7961G", "sub/x.sbn"), pfs_hier_id("CP-7961G", "/dnld/sub/x.sbn"));
    /* the separator matters: "ab"+"" differs from "a"+"b" */
    assert_int_not_equal(pfs_hier_id("ab", ""), pfs_hier_id("a", "b"));
}

static void test_str_of(void **state)
{
    (void)state;
    struct pfs_str s = pfs_str_of("CP-7961G");
    assert_int_equal(s.len, 8);
    assert_memory_equal(s.p, "CP-7961G", 8);
    s = pfs_str_of(NULL);
    assert_int_equal(s.len, 0);
    assert_non_null(s.p);
    static char big[400];
    memset(big, 'x', sizeof big - 1);
    s = pfs_str_of(big);
    assert_int_equal(s.len, 255);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_encode),   cmocka_unit_test(test_golden_decode),
        cmocka_unit_test(test_roundtrip_bytes), cmocka_unit_test(test_roundtrip_edges),
        cmocka_unit_test(test_encode_default_version),
        cmocka_unit_test(test_err_short),       cmocka_unit_test(test_err_magic),
        cmocka_unit_test(test_err_version),     cmocka_unit_test(test_err_length),
        cmocka_unit_test(test_err_strlen),      cmocka_unit_test(test_err_model),
        cmocka_unit_test(test_err_path),        cmocka_unit_test(test_err_size),
        cmocka_unit_test(test_err_type),        cmocka_unit_test(test_err_field),
        cmocka_unit_test(test_err_nospace),     cmocka_unit_test(test_tlv_skip),
        cmocka_unit_test(test_tlv_skip_every_type),
        cmocka_unit_test(test_tlv_overrun),     cmocka_unit_test(test_frame_len),
        cmocka_unit_test(test_names),           cmocka_unit_test(test_hier_id),
        cmocka_unit_test(test_str_of),          cmocka_unit_test(test_doc_shows_goldens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
