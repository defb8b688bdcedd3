/*
 * gen_corpus.c - writes the fuzz seed corpus from the golden vectors.
 *
 * One file per message type (the bytes of tests/proto/golden.h), plus a
 * TCP stream of several messages back to back. Run once and commit:
 *   gen_fuzz_corpus tests/fuzz/corpus/decode
 * With --check DIR it compares instead of writing (a ctest case), so the
 * committed corpus cannot drift from the golden vectors.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "golden.h"

/* Writes or compares one seed; returns 0 or -1 with a message. */
static int seed(const char *dir, const char *name, const uint8_t *b, size_t n, int check)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
        fprintf(stderr, "gen_fuzz_corpus: %s: path too long\n", dir);
        return -1;
    }
    FILE *f = fopen(path, check ? "rb" : "wb");
    if (!f) {
        fprintf(stderr, "gen_fuzz_corpus: %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    if (check) {
        uint8_t have[1024];
        size_t got = fread(have, 1, sizeof have, f);
        if (got != n || memcmp(have, b, n) != 0) {
            fprintf(stderr, "gen_fuzz_corpus: %s differs from the golden vector\n", path);
            rc = -1;
        }
    } else if (fwrite(b, 1, n, f) != n) {
        fprintf(stderr, "gen_fuzz_corpus: %s: write failed\n", path);
        rc = -1;
    }
    if (fclose(f) != 0 && !check) {
        fprintf(stderr, "gen_fuzz_corpus: %s: %s\n", path, strerror(errno));
        rc = -1;
    }
    return rc;
}

int main(int argc, char **argv)
{
    int check = argc == 3 && strcmp(argv[1], "--check") == 0;
    if (argc != 2 && !check) {
        fprintf(stderr, "usage: gen_fuzz_corpus [--check] DIR\n");
        return 2;
    }
    const char *dir = argv[argc - 1];
    uint8_t stream[1024];
    size_t slen = 0;
    for (size_t i = 0; i < NGOLDEN; i++) {
        uint8_t buf[256];
        char name[64];
        size_t n = unhex(goldens[i].hex, buf, sizeof buf);
        snprintf(name, sizeof name, "%02zu-%s.bin", i + 1, goldens[i].name);
        for (char *c = name; *c; c++)
            if (*c == '+')
                *c = '_';
        if (seed(dir, name, buf, n, check) != 0)
            return 1;
        if (slen + n <= sizeof stream && goldens[i].make().type != PFS_T_CLAIM &&
            goldens[i].make().type != PFS_T_AD) {
            memcpy(stream + slen, buf, n);
            slen += n;
        }
    }
    /* The TCP side of one transfer: JOIN ... LEAVE, framed by the header lengths. */
    return seed(dir, "99-tcp-stream.bin", stream, slen, check) ? 1 : 0;
}
