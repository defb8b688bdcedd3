/*
 * test_loads.c - the .loads parser and writer: a valid manifest, every
 * fault with its line number, and the writer's round trip.
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
#include <unistd.h>
#include <cmocka.h>

#include "loads.h"

#define H1 "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define H2 "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
#define HEAD "LOAD SCCP41.9-4-2SR2-2S\n"

static int parse_str(const char *s, struct loads *l, char *err)
{
    return loads_parse(s, strlen(s), l, err, LOADS_ERR_LEN);
}

static void test_valid(void **state)
{
    static const char text[] =
        "# PFS load v1\r\n"
        "\r\n"
        "LOAD SCCP41.9-4-2SR2-2S   # the load\r\n"
        "   # indented comment\n"
        "FILE jar41.9-4-2ES26.sbn 1048576 " H1 "\r\n"
        "FILE\tcnu41.9-4-2ES26.sbn\t\t0\t" H2 "  \n"
        "FILE dsp41.sbn 67108864 " H1;  /* no final newline, size at the max */
    static const uint8_t h1[4] = {0x9f, 0x86, 0xd0, 0x81};
    static const uint8_t h2_tail[2] = {0xb8, 0x55};
    struct loads l;
    char err[LOADS_ERR_LEN] = "";
    (void)state;
    assert_int_equal(parse_str(text, &l, err), 0);
    assert_string_equal(l.name, "SCCP41.9-4-2SR2-2S");
    assert_int_equal(l.nfiles, 3);
    assert_string_equal(l.files[0].name, "jar41.9-4-2ES26.sbn");
    assert_int_equal(l.files[0].size, 1048576);
    assert_memory_equal(l.files[0].sha256, h1, 4);
    assert_int_equal(l.files[0].sha256[31], 0x08);
    assert_string_equal(l.files[1].name, "cnu41.9-4-2ES26.sbn");
    assert_int_equal(l.files[1].size, 0);
    assert_int_equal(l.files[1].sha256[0], 0xe3);
    assert_memory_equal(l.files[1].sha256 + 30, h2_tail, 2);
    assert_int_equal(l.files[2].size, PFS_FILE_MAX);
    assert_non_null(loads_find(&l, "dsp41.sbn"));
    assert_null(loads_find(&l, "nope.sbn"));
}

static void test_max_files(void **state)
{
    char text[4096];
    size_t off = 0;
    int i;
    struct loads l;
    char err[LOADS_ERR_LEN] = "";
    (void)state;
    off += (size_t)snprintf(text + off, sizeof text - off, HEAD);
    for (i = 0; i < LOADS_MAX_FILES; i++)
        off += (size_t)snprintf(text + off, sizeof text - off, "FILE f%02d.sbn %d " H1 "\n", i, i);
    assert_int_equal(loads_parse(text, off, &l, err, sizeof err), 0);
    assert_int_equal(l.nfiles, LOADS_MAX_FILES);
    assert_string_equal(l.files[31].name, "f31.sbn");
    snprintf(text + off, sizeof text - off, "FILE f99.sbn 1 " H1 "\n");
    assert_int_equal(parse_str(text, &l, err), -1);
    assert_string_equal(err, "line 34: more than 32 FILE lines");
}

struct bad {
    const char *text;
    const char *err;
};

static void test_faults(void **state)
{
    static const struct bad cases[] = {
        {"", "line 1: no LOAD line"},
        {"# only a comment\n\n", "line 2: no LOAD line"},
        {"FILE a.sbn 1 " H1 "\n", "line 1: FILE before the LOAD line"},
        {HEAD, "line 1: no FILE line"},
        {HEAD "LOAD again\n", "line 2: second LOAD line"},
        {"LOAD\n", "line 1: LOAD takes exactly one name"},
        {"LOAD a b\n", "line 1: LOAD takes exactly one name"},
        {"LOAD /dnld/x\n", "line 1: bad load name '/dnld/x'"},
        {"LOAD ..\n", "line 1: bad load name '..'"},
        {"LOAD a;b\n", "line 1: bad load name 'a;b'"},
        {HEAD "FILE dir/a.sbn 1 " H1 "\n", "line 2: bad file name 'dir/a.sbn'"},
        {HEAD "FILE /dnld/a.sbn 1 " H1 "\n", "line 2: bad file name '/dnld/a.sbn'"},
        {HEAD "FILE . 1 " H1 "\n", "line 2: bad file name '.'"},
        {HEAD "FILE a\rb 1 " H1 "\n", "line 2: bad file name 'a?b'"},
        {HEAD "FILE a.sbn 1\n", "line 2: FILE takes a name, a size and a sha256"},
        {HEAD "FILE a.sbn 1 " H1 " extra\n", "line 2: too many fields"},
        {HEAD "FILE a.sbn -1 " H1 "\n", "line 2: size '-1' is not a decimal number"},
        {HEAD "FILE a.sbn 0x10 " H1 "\n", "line 2: size '0x10' is not a decimal number"},
        {HEAD "FILE a.sbn 67108865 " H1 "\n", "line 2: size 67108865 over the maximum 67108864"},
        {HEAD "FILE a.sbn 99999999999999999999999 " H1 "\n",
         "line 2: size 99999999999999999999999 over the maximum 67108864"},
        {HEAD "FILE a.sbn 1 abc\n", "line 2: sha256 'abc' is not 64 hex digits"},
        {HEAD "FILE a.sbn 1 " H1 "0\n",
         "line 2: sha256 '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b...' is not 64 hex digits"},
        {HEAD "FILE a.sbn 1 g" H1 "\n" /* 65 chars */,
         "line 2: sha256 'g9f86d081884c7d659a2feaa0c55ad015a3bf4f1...' is not 64 hex digits"},
        {HEAD "FILE a.sbn 1 " H1 "\nFILE a.sbn 2 " H1 "\n", "line 3: duplicate file name 'a.sbn'"},
        {HEAD "LOADS x\n", "line 2: unknown directive 'LOADS'"},
        {HEAD "file a.sbn 1 " H1 "\n", "line 2: unknown directive 'file'"},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct loads l;
        char err[LOADS_ERR_LEN] = "";
        print_message("case %zu\n", i);
        assert_int_equal(parse_str(cases[i].text, &l, err), -1);
        assert_string_equal(err, cases[i].err);
    }
}

static void test_non_hex_digit(void **state)
{
    char text[256];
    struct loads l;
    char err[LOADS_ERR_LEN];
    (void)state;
    snprintf(text, sizeof text, HEAD "FILE a.sbn 1 %s\n", H1);
    text[strlen(HEAD) + strlen("FILE a.sbn 1 ") + 10] = 'g';
    assert_int_equal(parse_str(text, &l, err), -1);
    assert_string_equal(err, "line 2: sha256 '9f86d08188gc7d659a2feaa0c55ad015a3bf4f1b...' is not 64 "
                             "hex digits");
}

static void test_nul_byte(void **state)
{
    static const char text[] = HEAD "FILE a.sbn 1 " H1 "\n# x\0y\n";
    struct loads l;
    char err[LOADS_ERR_LEN];
    (void)state;
    assert_int_equal(loads_parse(text, sizeof text - 1, &l, err, sizeof err), -1);
    assert_string_equal(err, "line 3: NUL byte");
}

static void test_long_line(void **state)
{
    char text[2048];
    struct loads l;
    char err[LOADS_ERR_LEN];
    size_t off = (size_t)snprintf(text, sizeof text, HEAD "#");
    (void)state;
    memset(text + off, 'c', LOADS_LINE_MAX - 1); /* comment line of exactly the max */
    off += LOADS_LINE_MAX - 1;
    off += (size_t)snprintf(text + off, sizeof text - off, "\r\nFILE a.sbn 1 " H1 "\n");
    assert_int_equal(loads_parse(text, off, &l, err, sizeof err), 0);
    text[strlen(HEAD) + LOADS_LINE_MAX] = 'c'; /* the CR becomes one byte too many */
    assert_int_equal(loads_parse(text, off, &l, err, sizeof err), -1);
    assert_string_equal(err, "line 2: line longer than 512 bytes");
}

static void test_name_too_long(void **state)
{
    char text[512], name[LOADS_NAME_MAX + 2];
    struct loads l;
    char err[LOADS_ERR_LEN];
    (void)state;
    memset(name, 'n', sizeof name - 1);
    name[LOADS_NAME_MAX] = 0;
    snprintf(text, sizeof text, "LOAD %s\nFILE a.sbn 1 " H1 "\n", name);
    assert_int_equal(parse_str(text, &l, err), 0);
    name[LOADS_NAME_MAX] = 'n';
    name[LOADS_NAME_MAX + 1] = 0;
    snprintf(text, sizeof text, "LOAD %s\nFILE a.sbn 1 " H1 "\n", name);
    assert_int_equal(parse_str(text, &l, err), -1);
    assert_string_equal(err, "line 1: bad load name 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...'");
}

static void test_write_roundtrip(void **state)
{
    static const char text[] = "LOAD L1\nFILE b.sbn 7 " H2 "\nFILE a.sbn 0 " H1 "\n";
    static const char want[] = "# PFS load v1\nLOAD L1\n"
                               "FILE b.sbn 7 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                               "FILE a.sbn 0 " H1 "\n";
    struct loads l, l2;
    char out[1024], small[10], err[LOADS_ERR_LEN];
    long n;
    (void)state;
    assert_int_equal(parse_str(text, &l, err), 0);
    n = loads_write(&l, out, sizeof out);
    assert_int_equal(n, strlen(want));
    assert_string_equal(out, want);
    assert_int_equal(loads_write(&l, small, sizeof small), n); /* size needed, cut output */
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_int_equal(loads_write(&l, NULL, 0), n);
    assert_int_equal(loads_parse(out, (size_t)n, &l2, err, sizeof err), 0);
    assert_memory_equal(&l, &l2, sizeof l);
    /* The writer refuses what the parser would refuse. */
    l2 = l;
    strcpy(l2.files[1].name, "b.sbn");
    assert_int_equal(loads_write(&l2, out, sizeof out), -1);
    l2 = l;
    l2.files[0].size = PFS_FILE_MAX + 1;
    assert_int_equal(loads_write(&l2, out, sizeof out), -1);
    l2 = l;
    strcpy(l2.name, "a/b");
    assert_int_equal(loads_write(&l2, out, sizeof out), -1);
    l2 = l;
    l2.nfiles = 0;
    assert_int_equal(loads_write(&l2, out, sizeof out), -1);
}

static void test_read_file(void **state)
{
    char path[] = "/tmp/test_loads_XXXXXX";
    static const char text[] = "LOAD L1\nFILE a.sbn 3 " H1 "\n";
    struct loads l;
    char err[LOADS_ERR_LEN + 64], want[128];
    int fd = mkstemp(path);
    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, sizeof text - 1), sizeof text - 1);
    assert_int_equal(loads_read_file(path, &l, err, sizeof err), 0);
    assert_int_equal(l.files[0].size, 3);
    assert_int_equal(write(fd, "bogus\n", 6), 6);
    close(fd);
    assert_int_equal(loads_read_file(path, &l, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: line 3: unknown directive 'bogus'", path);
    assert_string_equal(err, want);
    unlink(path);
    assert_int_equal(loads_read_file(path, &l, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    assert_string_equal(err, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_max_files),
        cmocka_unit_test(test_faults),
        cmocka_unit_test(test_non_hex_digit),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_name_too_long),
        cmocka_unit_test(test_write_roundtrip),
        cmocka_unit_test(test_read_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
