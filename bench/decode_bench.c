/*
 * decode_bench.c - how long pfs_decode takes on each golden vector.
 *
 * Compiled twice by decode_bench.sh, against the codec of this tree and
 * against that of an older revision, so both run on the same machine in
 * the same run. Prints one line per vector: name, bytes, ns per decode
 * (best of ROUNDS rounds of N decodes each).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "golden.h"

#define ROUNDS 5

static double now_ns(void)
{
    struct timespec t;
    if (clock_gettime(CLOCK_MONOTONIC, &t) != 0) {
        perror("decode_bench: clock_gettime");
        exit(1);
    }
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* The result feeds a sum the compiler cannot drop. */
static volatile unsigned sink;

static double ns_per_decode(const uint8_t *buf, size_t len, long n)
{
    double best = 0;
    for (int r = 0; r < ROUNDS; r++) {
        struct pfs_msg m;
        unsigned acc = 0;
        double t0 = now_ns();
        for (long i = 0; i < n; i++)
            acc += (unsigned)pfs_decode(buf, len, &m) + m.length;
        double t = (now_ns() - t0) / (double)n;
        sink += acc;
        if (r == 0 || t < best)
            best = t;
    }
    return best;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 2000000;
    if (n <= 0) {
        fprintf(stderr, "usage: decode_bench [DECODES_PER_ROUND]\n");
        return 2;
    }
    double total = 0;
    for (size_t g = 0; g < NGOLDEN; g++) {
        uint8_t buf[256];
        size_t len = unhex(goldens[g].hex, buf, sizeof buf);
        struct pfs_msg m;
        if (pfs_decode(buf, len, &m) != PFS_OK) {
            fprintf(stderr, "decode_bench: golden %s does not decode\n", goldens[g].name);
            return 1;
        }
        double t = ns_per_decode(buf, len, n);
        total += t;
        printf("%s %zu %.2f\n", goldens[g].name, len, t);
    }
    printf("all %d %.2f\n", (int)NGOLDEN, total / (double)NGOLDEN);
    return 0;
}
