/*
 * test_summary.c - the JSON summary: exact text and the atomic write.
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

#include "summary.h"

static void fill(struct sum *s)
{
    memset(s, 0, sizeof *s);
    s->peak_kib = 1480;
    s->xid = 0x0A000002;
    s->ip = 0x7F000002;
    snprintf(s->model, sizeof s->model, "CP-7961G");
    snprintf(s->load, sizeof s->load, "X.loads");
    struct sum_file *f = &s->files[s->nfiles++];
    snprintf(f->name, sizeof f->name, "X.loads");
    f->h = 0x36685558;
    f->size = 3;
    for (int i = 0; i < 32; i++)
        f->sha[i] = (uint8_t)i;
    f->verified = 1;
    f->source = 1;
    f->children[f->nchildren++] = 0x0A000003;
    f->children[f->nchildren++] = 0x0A000004;
    f->seconds = 1.2344;
    f = &s->files[s->nfiles++];
    snprintf(f->name, sizeof f->name, "jar\"1.sbn"); /* escaping is checked too */
    f->h = 0xABCDEF01;
    f->parent = 0x0A000009;
    f->tries = 5;
    f->sent = 7;
    f->fallback = "refused";
}

static void test_json_text(void **state)
{
    (void)state;
    struct sum s;
    fill(&s);
    char buf[2048];
    size_t n = summary_json(&s, buf, sizeof buf);
    assert_int_equal(n, strlen(buf));
    const char *want =
        "{\"xid\":\"0A000002\",\"ip\":\"127.0.0.2\",\"model\":\"CP-7961G\",\"load\":\"X.loads\","
        "\"exit\":0,\"pfs\":true,\"peak_kib\":1480,\"files\":[{\"name\":\"X.loads\",\"h\":\"36685558\",\"size\":3,"
        "\"sha256\":\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\","
        "\"source\":\"tftp\",\"parent\":null,\"children\":[\"0A000003\",\"0A000004\"],"
        "\"verified\":true,\"seconds\":1.234,\"tries\":0,\"sent\":0,\"fallback\":null},"
        "{\"name\":\"jar\\\"1.sbn\",\"h\":\"ABCDEF01\",\"size\":null,\"sha256\":null,"
        "\"source\":null,\"parent\":\"0A000009\",\"children\":[],\"verified\":false,"
        "\"seconds\":0.000,\"tries\":5,\"sent\":7,\"fallback\":\"refused\"}]}\n";
    assert_string_equal(buf, want);
    /* A short buffer: snprintf semantics, still terminated. */
    char small[16];
    assert_int_equal(summary_json(&s, small, sizeof small), n);
    assert_int_equal(strlen(small), sizeof small - 1);
}

static void test_write_atomic(void **state)
{
    (void)state;
    char dir[] = "/tmp/pfsd-sum-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/s.json", dir);
    struct sum s;
    fill(&s);
    s.exit_code = 4;
    assert_int_equal(summary_write(&s, path, err, sizeof err), 0);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char buf[2048];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    assert_non_null(strstr(buf, "\"exit\":4,\"pfs\":true,"));
    /* Nothing else left in the folder: the temp file was renamed. */
    char cmd[300];
    snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
    unlink(path);
    rmdir(dir);
    /* A folder that does not exist: an error naming the file. */
    assert_int_equal(summary_write(&s, "/nonexistent-pfsd/s.json", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent-pfsd/s.json"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_text),
        cmocka_unit_test(test_write_atomic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
