/*
 * fuzz_driver.c - runs the fuzz harness over corpus files without libFuzzer.
 *
 * Normal builds link this main() with fuzz_decode.c so every ctest run
 * feeds the seed corpus (and any regression inputs kept there) through the
 * same properties the fuzzer checks.
 *
 * Any harness can use it (LLVMFuzzerTestOneInput is all it needs).
 * Usage: PROG DIR|FILE...   exit 0 when every input passed
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX (1u << 20)

/* Feeds one file; returns 0, or -1 with a message naming the file. */
static int run_file(const char *prog, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        return -1;
    }
    uint8_t *buf = malloc(INPUT_MAX);
    if (!buf) {
        fclose(f);
        fprintf(stderr, "%s: %s: out of memory\n", prog, path);
        return -1;
    }
    size_t n = fread(buf, 1, INPUT_MAX, f);
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        fprintf(stderr, "%s: %s: read error\n", prog, path);
        return -1;
    }
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

/* Every regular file in dir; returns how many ran, or -1. */
static long run_dir(const char *prog, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "%s: %s: %s\n", prog, dir, strerror(errno));
        return -1;
    }
    long count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        struct stat st;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
            continue;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (run_file(prog, path) != 0) {
            closedir(d);
            return -1;
        }
        count++;
    }
    closedir(d);
    return count;
}

int main(int argc, char **argv)
{
    const char *prog = argc > 0 && strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : "fuzz_corpus";
    long total = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "%s: %s: %s\n", prog, argv[i], strerror(errno));
            return 1;
        }
        long n = S_ISDIR(st.st_mode) ? run_dir(prog, argv[i]) : (run_file(prog, argv[i]) == 0 ? 1 : -1);
        if (n < 0)
            return 1;
        total += n;
    }
    if (total == 0) {
        fprintf(stderr, "%s: no input files\n", prog);
        return 1;
    }
    printf("%s: %ld inputs passed\n", prog, total);
    return 0;
}
