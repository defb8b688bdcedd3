/*
 * store.c - temp file, streaming hash, atomic rename.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void store_init(struct store *s)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
}

int store_open(struct store *s, const char *dir, const char *name, char *err, size_t errcap)
{
    store_init(s);
    if (strchr(name, '/') || !*name) {
        snprintf(err, errcap, "refusing file name '%s'", name);
        return -1;
    }
    int a = snprintf(s->final, sizeof s->final, "%s/%s", dir, name);
    int b = snprintf(s->tmp, sizeof s->tmp, "%s/.%s.XXXXXX", dir, name);
    if (a < 0 || b < 0 || (size_t)a >= sizeof s->final || (size_t)b >= sizeof s->tmp) {
        snprintf(err, errcap, "%s/%s: path too long", dir, name);
        s->tmp[0] = '\0';
        return -1;
    }
    s->fd = mkstemp(s->tmp);
    if (s->fd < 0) {
        snprintf(err, errcap, "%s: %s", s->tmp, strerror(errno));
        s->tmp[0] = '\0';
        return -1;
    }
    pfs_sha256_init(&s->sha);
    return 0;
}

int store_write(struct store *s, const void *p, size_t n)
{
    const uint8_t *b = p;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(s->fd, b + done, n - done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        done += (size_t)w;
    }
    pfs_sha256_update(&s->sha, p, n);
    s->bytes += n;
    return 0;
}

void store_digest(struct store *s, uint8_t out[PFS_SHA256_DIGEST])
{
    pfs_sha256_final(&s->sha, out);
}

int store_commit(struct store *s, char *err, size_t errcap)
{
    /* mkstemp makes 0600; a firmware file is for everyone to read. */
    if (fchmod(s->fd, 0644) != 0 || close(s->fd) != 0) {
        snprintf(err, errcap, "%s: %s", s->tmp, strerror(errno));
        s->fd = -1;
        store_discard(s);
        return -1;
    }
    s->fd = -1;
    if (rename(s->tmp, s->final) != 0) {
        snprintf(err, errcap, "rename %s: %s", s->final, strerror(errno));
        store_discard(s);
        return -1;
    }
    s->tmp[0] = '\0';
    return 0;
}

void store_discard(struct store *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    if (s->tmp[0])
        unlink(s->tmp);
    s->tmp[0] = '\0';
}
