/*
 * test_tftp_codec.c - the TFTP packet codec (endpoint/tftp.c): building and
 * parsing, block arithmetic.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tftp.h"

#define PKT(...) ((const uint8_t[]){__VA_ARGS__})

static int parse(const uint8_t *b, size_t n, struct tftp_pkt *p, char *why)
{
    return tftp_parse(b, n, p, why, 96);
}

static void test_rrq_with_options(void **state)
{
    static const uint8_t want[] = "\0\1jar41.sbn\0octet\0blksize\0" "1428\0tsize\0" "0";
    uint8_t out[TFTP_REQ_MAX];
    long n = tftp_build_rrq(out, sizeof out, "jar41.sbn", 1428, 1);
    (void)state;
    assert_int_equal(n, sizeof want);
    assert_memory_equal(out, want, sizeof want);
}

static void test_rrq_plain(void **state)
{
    static const uint8_t want[] = "\0\1a\0octet";
    uint8_t out[64];
    long n = tftp_build_rrq(out, sizeof out, "a", 0, 0);
    (void)state;
    assert_int_equal(n, sizeof want);
    assert_memory_equal(out, want, sizeof want);
}

static void test_rrq_limits(void **state)
{
    char name[600];
    uint8_t out[1024];
    (void)state;
    assert_int_equal(tftp_build_rrq(out, sizeof out, "", 512, 1), -1);
    assert_int_equal(tftp_build_rrq(out, 8, "abcdef", 0, 0), -1);  /* cap too small */
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = 0;
    /* RFC 2347: a request never exceeds 512 bytes, whatever the buffer. */
    assert_int_equal(tftp_build_rrq(out, sizeof out, name, 512, 1), -1);
    name[480] = 0;
    assert_true(tftp_build_rrq(out, sizeof out, name, 512, 1) > 0);
    assert_true(tftp_build_rrq(out, sizeof out, name, 512, 1) <= TFTP_REQ_MAX);
}

static void test_ack_error_build(void **state)
{
    uint8_t out[300];
    char longmsg[400];
    (void)state;
    assert_int_equal(tftp_build_ack(out, sizeof out, 0xBEEF), 4);
    assert_memory_equal(out, PKT(0, 4, 0xBE, 0xEF), 4);
    assert_int_equal(tftp_build_ack(out, 3, 1), -1);
    assert_int_equal(tftp_build_error(out, sizeof out, 5, "Unknown transfer ID"), 5 + 19);
    assert_memory_equal(out, "\0\5\0\5Unknown transfer ID", 5 + 19);
    memset(longmsg, 'x', sizeof longmsg - 1);
    longmsg[sizeof longmsg - 1] = 0;
    assert_int_equal(tftp_build_error(out, sizeof out, 0, longmsg), 4 + TFTP_MSG_MAX);
    assert_int_equal(out[4 + TFTP_MSG_MAX - 1], 0);
}

static void test_data_ack_parse(void **state)
{
    struct tftp_pkt p;
    char why[96];
    (void)state;
    assert_int_equal(parse(PKT(0, 3, 0x12, 0x34, 'h', 'i'), 6, &p, why), 0);
    assert_int_equal(p.op, TFTP_OP_DATA);
    assert_int_equal(p.block, 0x1234);
    assert_int_equal(p.len, 2);
    assert_memory_equal(p.data, "hi", 2);
    assert_int_equal(parse(PKT(0, 3, 0, 9), 4, &p, why), 0); /* empty last block */
    assert_int_equal(p.len, 0);
    assert_int_equal(p.block, 9);
    assert_int_equal(parse(PKT(0, 4, 0xFF, 0xFF), 4, &p, why), 0);
    assert_int_equal(p.op, TFTP_OP_ACK);
    assert_int_equal(p.block, 65535);
    assert_int_equal(parse(PKT(0, 3, 0), 3, &p, why), -1);
    assert_string_equal(why, "truncated DATA");
    assert_int_equal(parse(PKT(0, 4, 1), 3, &p, why), -1);
    assert_string_equal(why, "truncated ACK");
    assert_int_equal(parse(PKT(0), 1, &p, why), -1);
    assert_int_equal(parse(PKT(0), 0, &p, why), -1);
    assert_int_equal(parse(PKT(0, 7, 0, 0), 4, &p, why), -1);
    assert_string_equal(why, "unknown opcode 7");
    assert_int_equal(parse(PKT(0, 0), 2, &p, why), -1);
}

static void test_error_parse(void **state)
{
    static const uint8_t e1[] = "\0\5\0\1File not found";
    static const uint8_t e2[] = {0, 5, 0, 2, 'n', 'o', 0x01, '\n'}; /* no NUL, control bytes */
    struct tftp_pkt p;
    char why[96];
    uint8_t big[400];
    (void)state;
    assert_int_equal(parse(e1, sizeof e1, &p, why), 0);
    assert_int_equal(p.op, TFTP_OP_ERROR);
    assert_int_equal(p.code, 1);
    assert_string_equal(p.msg, "File not found");
    assert_int_equal(parse(e2, sizeof e2, &p, why), 0);
    assert_int_equal(p.code, 2);
    assert_string_equal(p.msg, "no??");
    assert_int_equal(parse(PKT(0, 5, 0, 4), 4, &p, why), 0);
    assert_string_equal(p.msg, "");
    assert_int_equal(parse(PKT(0, 5, 0), 3, &p, why), -1);
    assert_string_equal(why, "truncated ERROR");
    big[0] = 0; big[1] = 5; big[2] = 0; big[3] = 0;
    memset(big + 4, 'y', sizeof big - 4);
    assert_int_equal(parse(big, sizeof big, &p, why), 0);
    assert_int_equal(strlen(p.msg), TFTP_MSG_MAX - 1);
}

static void test_oack_parse(void **state)
{
    static const uint8_t o1[] = "\0\6blksize\0" "1428\0tsize\0" "1048576";
    static const uint8_t o2[] = "\0\6TSIZE\0" "0\0BlkSize\0" "8";
    static const uint8_t o3[] = "\0\6tsize\0" "9223372036854775807";
    struct tftp_pkt p;
    char why[96];
    (void)state;
    assert_int_equal(parse(o1, sizeof o1, &p, why), 0);
    assert_int_equal(p.op, TFTP_OP_OACK);
    assert_int_equal(p.blksize, 1428);
    assert_int_equal(p.tsize, 1048576);
    assert_int_equal(parse(o2, sizeof o2, &p, why), 0);
    assert_int_equal(p.blksize, 8);
    assert_int_equal(p.tsize, 0);
    assert_int_equal(parse(o3, sizeof o3, &p, why), 0);
    assert_int_equal(p.blksize, 0);  /* absent */
    assert_true(p.tsize == INT64_MAX);
}

struct bad_oack {
    const char *bytes;
    size_t len;
    const char *why;
};

#define BAD(lit, why) {lit, sizeof lit, why}
#define BADNZ(lit, why) {lit, sizeof lit - 1, why} /* without the literal's NUL */

static void test_oack_malformed(void **state)
{
    static const struct bad_oack cases[] = {
        BADNZ("\0\6", "empty OACK"),
        BADNZ("\0\6blksize", "truncated OACK option name"),
        BAD("\0\6blksize", "truncated OACK option value"),
        BADNZ("\0\6blksize\0" "512", "truncated OACK option value"),
        BAD("\0\6\0" "512", "empty OACK option name"),
        BAD("\0\6blksize\0" "7", "OACK blksize not 8..65464"),
        BAD("\0\6blksize\0" "65465", "OACK blksize not 8..65464"),
        BAD("\0\6blksize\0" "", "OACK blksize not 8..65464"),
        BAD("\0\6blksize\0" "+512", "OACK blksize not 8..65464"),
        BAD("\0\6blksize\0" "512 ", "OACK blksize not 8..65464"),
        BAD("\0\6blksize\0" "99999999999999999999999", "OACK blksize not 8..65464"),
        BAD("\0\6blksize\0" "512\0blksize\0" "512", "OACK repeats blksize"),
        BAD("\0\6tsize\0" "-1", "OACK tsize not a number"),
        BAD("\0\6tsize\0" "9223372036854775808", "OACK tsize not a number"),
        BAD("\0\6tsize\0" "1\0tsize\0" "1", "OACK repeats tsize"),
        BAD("\0\6timeout\0" "5", "OACK has unrequested option 'timeout'"),
        BAD("\0\6bl\x01ks\0" "5", "OACK has unrequested option 'bl?ks'"),
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tftp_pkt p;
        char why[96] = "";
        print_message("case %zu\n", i);
        assert_int_equal(parse((const uint8_t *)cases[i].bytes, cases[i].len, &p, why), -1);
        assert_string_equal(why, cases[i].why);
    }
}

static void test_block_rollover(void **state)
{
    uint16_t b = 0;
    uint32_t i;
    (void)state;
    assert_int_equal(tftp_block_next(0), 1);
    assert_int_equal(tftp_block_next(1), 2);
    assert_int_equal(tftp_block_next(65534), 65535);
    assert_int_equal(tftp_block_next(65535), 0);
    /* 33 MiB at 512 bytes: 67584 full blocks plus the empty last one. */
    for (i = 0; i < 67585; i++)
        b = tftp_block_next(b);
    assert_int_equal(b, 67585 % 65536);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(tftp_ecode_name(1), "File not found");
    assert_string_equal(tftp_ecode_name(8), "Option negotiation refused");
    assert_string_equal(tftp_ecode_name(9), "Unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rrq_with_options),
        cmocka_unit_test(test_rrq_plain),
        cmocka_unit_test(test_rrq_limits),
        cmocka_unit_test(test_ack_error_build),
        cmocka_unit_test(test_data_ack_parse),
        cmocka_unit_test(test_error_parse),
        cmocka_unit_test(test_oack_parse),
        cmocka_unit_test(test_oack_malformed),
        cmocka_unit_test(test_block_rollover),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
