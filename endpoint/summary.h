/*
 * summary.h - the JSON summary pfsd writes at exit (--summary FILE).
 *
 *   {"xid":"0A000002","ip":"127.0.0.2","model":"CP-7961G","load":"X.loads",
 *    "exit":0,"pfs":true,"peak_kib":1480,"files":[{"name":"X.loads","h":"36685558","size":N,
 *    "sha256":"hex","source":"tftp","parent":null,"children":["0A000003"],
 *    "verified":true,"seconds":1.234,"tries":0,"sent":0,
 *    "fallback":null}]}
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFSD_SUMMARY_H
#define PFSD_SUMMARY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pfs_const.h"

#define SUM_FILES_MAX 33   /* the .loads and up to 32 components */

struct sum_file {
    char name[PFS_PATH_MAX + 1];
    uint32_t h;
    uint64_t size;
    uint8_t sha[PFS_SHA256_LEN];
    int verified;            /* 0: size/sha/source are not written */
    int source;              /* enum pfs_source */
    int anchor;              /* the .loads, fetched from the TFTP server itself: "anchor" */
    uint32_t parent;         /* 0: null */
    uint32_t children[PFS_MAX_CHILDREN];
    int nchildren;
    double seconds;
    int tries;
    unsigned sent;           /* CLAIM, AD and LEAVE datagrams it broadcast */
    const char *fallback;    /* NULL: null */
};

struct sum {
    uint32_t xid, ip;
    char model[PFS_MODEL_MAX + 1];
    char load[PFS_PATH_MAX + 1];
    int exit_code;
    int no_pfs;              /* --no-pfs: "pfs":false */
    long peak_kib;           /* peak resident memory (VmHWM), -1: null */
    struct sum_file files[SUM_FILES_MAX];
    int nfiles;
};

/*
 * summary_json - render s into out (NUL-terminated when cap > 0).
 * Returns the length the whole text needs (like snprintf).
 */
size_t summary_json(const struct sum *s, char *out, size_t cap);

/* Writes path atomically (temp file + rename). 0, or -1 with err. */
int summary_write(const struct sum *s, const char *path, char *err, size_t errcap);

#endif
