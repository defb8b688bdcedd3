/*
 * store.h - receive a file into the download folder, atomically.
 *
 * Bytes go to a temporary file (mkstemp, ".NAME.XXXXXX" in the folder)
 * while their SHA-256 is computed; store_commit() renames it to NAME once
 * the caller has verified the hash, store_discard() removes it. A file
 * that fails its check is therefore never visible under its real name.
 * NAME is always a validated bare name (no '/'): nothing from the network
 * picks where a file lands.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFSD_STORE_H
#define PFSD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

#define STORE_PATH_MAX 4352

struct store {
    int fd;                       /* -1 when closed */
    char tmp[STORE_PATH_MAX];     /* temporary path, "" once committed/discarded */
    char final[STORE_PATH_MAX];
    uint64_t bytes;               /* written so far */
    struct pfs_sha256 sha;
};

/* An idle store (fd -1): safe to discard. */
void store_init(struct store *s);

/* Opens a temporary file for dir/name. Returns 0, or -1 with err. */
int store_open(struct store *s, const char *dir, const char *name, char *err, size_t errcap);

/* Appends bytes. Returns 0, or -1 with errno set (disk full...). */
int store_write(struct store *s, const void *p, size_t n);

/* The SHA-256 of everything written (call once, before commit). */
void store_digest(struct store *s, uint8_t out[PFS_SHA256_DIGEST]);

/* Closes and renames the temp file to its final name. 0, or -1 with err. */
int store_commit(struct store *s, char *err, size_t errcap);

/* Closes and removes the temp file (no-op when idle). */
void store_discard(struct store *s);

#endif
