/*
 * fuzz_replay.c - libFuzzer harness for pfsreplay's path from a capture to
 * its scripts: the capture read through the reader and mapped, the recorded
 * endpoints, one script per recorded endpoint as the target, the served
 * files rebuilt (into a private temporary folder). Properties: no crash, no
 * leak, no out-of-bounds access; every session has a step, every step's
 * recorded message exists, and the sends are in the recording's order.
 *
 * The input is a capture file (pcap or pcapng), written to a temporary file
 * since the reader opens paths.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_script(const struct rp_script *s, const struct rp_capture *c)
{
    size_t last = 0;
    for (size_t i = 0; i < s->nsess; i++) {
        if (!s->sess[i].nsteps)
            abort();
        for (size_t k = 0; k < s->sess[i].nsteps; k++)
            if (s->sess[i].steps[k].rec >= c->nrec)
                abort();
    }
    for (size_t i = 0; i < s->nsends; i++) {
        size_t v = s->sends[i];
        const struct rp_step *st = &s->sess[v >> 32].steps[v & 0xFFFFFFFFu];
        if (i && st->order <= last)
            abort();
        last = st->order;
    }
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[4096];
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    if (d)
        closedir(d);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/fuzz-replay.XXXXXX", dir[] = "/tmp/fuzz-replay-files.XXXXXX", err[512];
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    int ok = write(fd, data, size) == (ssize_t)size;
    close(fd);
    struct rp_maps maps = {0};
    rp_map_parse(&maps, "127.0.0.0/8=127.0.0.0/8", err, sizeof err);
    struct rp_capture c;
    if (ok && rp_load(&c, path, "", &maps, err, sizeof err) == 0) {
        struct rp_endpoints *e = calloc(1, sizeof *e);
        if (e) {
            rp_endpoints_build(&c, e);
            for (int i = 0; i < e->n && i < 4; i++) {
                struct rp_script s;
                if (rp_script_build(&s, &c, e, e->ep[i].xid, err, sizeof err) == 0)
                    check_script(&s, &c);
                rp_script_free(&s);
            }
            free(e);
        }
        if (mkdtemp(dir)) {
            FILE *null = fopen("/dev/null", "w");
            if (null) {
                rp_files_rebuild(&c, dir, null, err, sizeof err);
                fclose(null);
            }
            remove_dir(dir);
        }
        rp_capture_free(&c);
    }
    unlink(path);
    return 0;
}
