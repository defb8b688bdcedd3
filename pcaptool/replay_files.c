/*
 * replay_files.c - the files the recorded peers served, rebuilt from the
 * DATA bytes of the capture, so that the endpoint under test can really
 * download them (from a TFTP server given this folder). A copy counts only
 * when every byte is there and its SHA-256 is the one XFRCMD declared.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay.h"
#include "sha256.h"

/* One transfer seen in the capture: an XFRCMD and the DATA after it. */
struct copy {
    uint64_t conn;
    uint32_t src;
    char name[PFS_PATH_MAX + 1];     /* bare file name */
    uint32_t size;
    uint8_t sha[PFS_SHA256_LEN];
    uint8_t *bytes, *have;           /* have: one flag per byte */
    int complete, written;
};

struct files {
    struct copy *v;
    size_t n, cap;
};

static struct copy *copy_new(struct files *f, const struct rp_rec *r)
{
    const struct pfs_xfrcmd *x = &r->m.u.xfrcmd;
    if (rp_grow((void **)&f->v, &f->cap, f->n, sizeof *f->v) != 0)
        return NULL;
    struct copy *c = &f->v[f->n];
    memset(c, 0, sizeof *c);
    c->conn = r->conn;
    c->src = r->src;
    const char *p = x->file.p;
    size_t len = x->file.len;
    if (len > 6 && memcmp(p, PFS_DNLD_PREFIX, 6) == 0)
        p += 6, len -= 6;
    /* The path passed pfs_decode's §1 checks; a name with '/' stays out of the folder. */
    if (len == 0 || memchr(p, '/', len))
        return NULL;
    memcpy(c->name, p, len);
    c->name[len] = 0;
    c->size = x->size;
    memcpy(c->sha, x->sha256, PFS_SHA256_LEN);
    c->bytes = calloc(x->size ? x->size : 1, 1);
    c->have = calloc(x->size ? x->size : 1, 1);
    if (!c->bytes || !c->have) {
        free(c->bytes);
        free(c->have);
        return NULL;
    }
    f->n++;
    return c;
}

static struct copy *copy_of(struct files *f, const struct rp_rec *r)
{
    for (size_t i = f->n; i-- > 0;)
        if (f->v[i].conn == r->conn && f->v[i].src == r->src)
            return &f->v[i];
    return NULL;
}

static void add_data(struct copy *c, const struct pfs_data *d)
{
    if ((uint64_t)d->offset + d->len > c->size)
        return;
    memcpy(c->bytes + d->offset, d->bytes, d->len);
    memset(c->have + d->offset, 1, d->len);
}

static void check_complete(struct copy *c)
{
    if (memchr(c->have, 0, c->size))
        return;
    uint8_t d[PFS_SHA256_LEN];
    pfs_sha256(c->bytes, c->size, d);
    c->complete = memcmp(d, c->sha, PFS_SHA256_LEN) == 0;
}

static int written(const struct files *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->v[i].written && strcmp(f->v[i].name, name) == 0)
            return 1;
    return 0;
}

/* Through a temporary name, so no partial file is left behind. */
static int write_copy(struct copy *c, const char *dir, char *err, size_t cap)
{
    char tmp[4200], path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, c->name);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, c->name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, cap, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    size_t off = 0;
    while (off < c->size) {
        ssize_t n = write(fd, c->bytes + off, c->size - off);
        if (n <= 0) {
            snprintf(err, cap, "%s: %s", tmp, n < 0 ? strerror(errno) : "short write");
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)n;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    c->written = 1;
    return 0;
}

/* The missing byte ranges of the fullest copy of a file no copy has whole. */
static void report_missing(const struct files *f, const char *name, FILE *out)
{
    const struct copy *best = NULL;
    size_t best_have = 0;
    for (size_t i = 0; i < f->n; i++) {
        const struct copy *c = &f->v[i];
        if (strcmp(c->name, name) != 0)
            continue;
        size_t h = 0;
        for (uint32_t k = 0; k < c->size; k++)
            h += c->have[k];
        if (!best || h > best_have)
            best = c, best_have = h;
    }
    if (!best)
        return;
    if (best_have == best->size) {
        fprintf(out, "pfsreplay: /dnld/%s: every byte is in the capture but its SHA-256 is not "
                "the declared one: not rebuilt\n", name);
        return;
    }
    for (uint32_t k = 0; k < best->size;) {
        if (best->have[k]) {
            k++;
            continue;
        }
        uint32_t e = k;
        while (e < best->size && !best->have[e])
            e++;
        fprintf(out, "pfsreplay: /dnld/%s: bytes %u-%u are not in the capture\n", name, k, e - 1);
        k = e;
    }
}

int rp_files_rebuild(const struct rp_capture *cap, const char *dir, FILE *report, char *err,
                     size_t errcap)
{
    struct files f = {0};
    int rc = 0;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errcap, "%s: %s", dir, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < cap->nrec && rc == 0; i++) {
        const struct rp_rec *r = &cap->rec[i];
        if (r->err != PFS_OK || !r->tcp)
            continue;
        if (r->m.type == PFS_T_XFRCMD) {
            if (!copy_new(&f, r)) {
                snprintf(err, errcap, "/dnld/%.*s: cannot hold %u bytes", r->m.u.xfrcmd.file.len,
                         r->m.u.xfrcmd.file.p, r->m.u.xfrcmd.size);
                rc = -1;
            }
        } else if (r->m.type == PFS_T_DATA || r->m.type == PFS_T_XFREND) {
            struct copy *c = copy_of(&f, r);
            if (c && r->m.type == PFS_T_DATA)
                add_data(c, &r->m.u.data);
            else if (c)
                check_complete(c);
        }
    }
    for (size_t i = 0; i < f.n && rc == 0; i++) {
        struct copy *c = &f.v[i];
        if (!c->complete)
            check_complete(c);
        if (c->complete && !written(&f, c->name))
            rc = write_copy(c, dir, err, errcap);
    }
    for (size_t i = 0; i < f.n && rc == 0; i++)
        if (!written(&f, f.v[i].name)) {
            report_missing(&f, f.v[i].name, report);
            /* Once per name. */
            f.v[i].written = 1;
            for (size_t k = i + 1; k < f.n; k++)
                if (strcmp(f.v[k].name, f.v[i].name) == 0)
                    f.v[k].written = 1;
        }
    for (size_t i = 0; i < f.n; i++) {
        free(f.v[i].bytes);
        free(f.v[i].have);
    }
    free(f.v);
    return rc;
}
