/*
 * test_sha256.c - SHA-256 against the FIPS 180-4 / NIST example vectors,
 * padding boundaries, and streaming in odd chunk sizes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sha256.h"

static void check_hex(const void *data, size_t len, const char *want)
{
    uint8_t d[PFS_SHA256_DIGEST];
    char hex[PFS_SHA256_HEX];
    pfs_sha256(data, len, d);
    assert_string_equal(pfs_sha256_hex(d, hex), want);
}

static void test_empty(void **state)
{
    (void)state;
    check_hex("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_abc(void **state)
{
    (void)state;
    check_hex("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_448(void **state)
{
    (void)state;
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_hex(m, strlen(m), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_896(void **state)
{
    (void)state;
    const char *m = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
                    "klmnopqrlmnopqrsmnopqrstnopqrstu";
    check_hex(m, strlen(m), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

/* One million 'a', fed in chunks of 1000 as the standard describes it. */
static void test_million_a(void **state)
{
    (void)state;
    char chunk[1000];
    memset(chunk, 'a', sizeof chunk);
    struct pfs_sha256 c;
    pfs_sha256_init(&c);
    for (int i = 0; i < 1000; i++)
        pfs_sha256_update(&c, chunk, sizeof chunk);
    uint8_t d[PFS_SHA256_DIGEST];
    char hex[PFS_SHA256_HEX];
    pfs_sha256_final(&c, d);
    assert_string_equal(pfs_sha256_hex(d, hex),
                        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Lengths around the 55/56/64-byte padding edges. */
static void test_padding_edges(void **state)
{
    (void)state;
    static const struct {
        size_t n;
        const char *hex;
    } v[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
        {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
        {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
    };
    char a[128];
    memset(a, 'a', sizeof a);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        check_hex(a, v[i].n, v[i].hex);
}

/* Any split of the input gives the one-shot digest. */
static void test_streaming_splits(void **state)
{
    (void)state;
    uint8_t data[777];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 31 + 7);
    uint8_t whole[PFS_SHA256_DIGEST];
    pfs_sha256(data, sizeof data, whole);
    for (size_t step = 1; step <= 130; step++) {
        struct pfs_sha256 c;
        pfs_sha256_init(&c);
        for (size_t off = 0; off < sizeof data; off += step) {
            size_t n = sizeof data - off < step ? sizeof data - off : step;
            pfs_sha256_update(&c, data + off, n);
        }
        pfs_sha256_update(&c, data, 0);
        uint8_t d[PFS_SHA256_DIGEST];
        pfs_sha256_final(&c, d);
        assert_memory_equal(d, whole, sizeof d);
    }
}

static void test_from_hex(void **state)
{
    (void)state;
    const char *h = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
    uint8_t d[PFS_SHA256_DIGEST], want[PFS_SHA256_DIGEST];
    char hex[PFS_SHA256_HEX];
    pfs_sha256("abc", 3, want);
    assert_int_equal(pfs_sha256_from_hex(h, d), 0);
    assert_memory_equal(d, want, sizeof d);
    /* followed by a blank, as inside a .loads line */
    char line[80];
    strcpy(line, pfs_sha256_hex(want, hex));
    strcat(line, " rest");
    assert_int_equal(pfs_sha256_from_hex(line, d), 0);
    assert_memory_equal(d, want, sizeof d);
    /* too short, too long, not hex */
    assert_int_equal(pfs_sha256_from_hex("abcd", d), -1);
    assert_int_equal(pfs_sha256_from_hex("", d), -1);
    strcpy(line, hex);
    strcat(line, "0");
    assert_int_equal(pfs_sha256_from_hex(line, d), -1);
    strcpy(line, hex);
    line[10] = 'g';
    assert_int_equal(pfs_sha256_from_hex(line, d), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),         cmocka_unit_test(test_abc),
        cmocka_unit_test(test_448),           cmocka_unit_test(test_896),
        cmocka_unit_test(test_million_a),     cmocka_unit_test(test_padding_edges),
        cmocka_unit_test(test_streaming_splits), cmocka_unit_test(test_from_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
