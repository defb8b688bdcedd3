/*
 * gen_corpus.c - writes the fuzz seed corpora from the tests' own vectors.
 *
 * decode: one file per message type (the bytes of tests/proto/golden.h),
 * plus a TCP stream of several messages back to back.
 * dlog: one file per DLoad event kind, two console lines each (the sample
 * events of tests/proto/dlog_sample.h, written by pfs_dlog_line).
 * Run once and commit:
 *   gen_fuzz_corpus tests/fuzz/corpus/decode tests/fuzz/corpus/dlog
 * With --check it compares instead of writing (a ctest case), so the
 * committed corpora cannot drift from the vectors and the grammar table.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dlog.h"
#include "dlog_sample.h"
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
        uint8_t have[4096];
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

static int decode_seeds(const char *dir, int check)
{
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
            return -1;
        if (slen + n <= sizeof stream && goldens[i].make().type != PFS_T_CLAIM &&
            goldens[i].make().type != PFS_T_AD) {
            memcpy(stream + slen, buf, n);
            slen += n;
        }
    }
    /* The TCP side of one transfer: JOIN ... LEAVE, framed by the header lengths. */
    return seed(dir, "99-tcp-stream.bin", stream, slen, check);
}

/* Appends one console line and its newline; returns the new length or 0. */
static size_t add_line(char *buf, size_t len, size_t cap, const struct pfs_dlog_ev *ev,
                       int64_t usec)
{
    int n = pfs_dlog_line(buf + len, cap - len, usec, ev);
    if (n < 0 || (size_t)n + 2 > cap - len)
        return 0;
    len += (size_t)n;
    buf[len++] = '\n';
    return len;
}

static int dlog_seeds(const char *dir, int check)
{
    for (int k = PFS_DL_NONE + 1; k < PFS_DL_KIND_COUNT; k++) {
        struct pfs_dlog_ev a, b;
        sample_a(&a);
        sample_b(&b);
        a.kind = b.kind = (enum pfs_dlog_kind)k;
        char buf[2048], name[64];
        size_t len = add_line(buf, 0, sizeof buf, &a, 8363411925LL); /* 02:19:23.411925 */
        len = len ? add_line(buf, len, sizeof buf, &b, 86399999999LL) : 0;
        if (!len) {
            fprintf(stderr, "gen_fuzz_corpus: kind %d: line too long\n", k);
            return -1;
        }
        snprintf(name, sizeof name, "%02d-%s.log", k, pfs_dlog_info(a.kind)->name);
        if (seed(dir, name, (const uint8_t *)buf, len, check) != 0)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int check = argc > 1 && strcmp(argv[1], "--check") == 0;
    int nargs = argc - 1 - check;
    if (nargs < 1 || nargs > 2) {
        fprintf(stderr, "usage: gen_fuzz_corpus [--check] DECODE_DIR [DLOG_DIR]\n");
        return 2;
    }
    const char *decode_dir = argv[1 + check];
    if (decode_seeds(decode_dir, check) != 0)
        return 1;
    if (nargs == 2 && dlog_seeds(argv[2 + check], check) != 0)
        return 1;
    return 0;
}
