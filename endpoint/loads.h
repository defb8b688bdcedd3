/*
 * loads.h - the .loads firmware manifest (docs/protocol.md section 6).
 *
 *     # PFS load v1
 *     LOAD SCCP41.9-4-2SR2-2S
 *     FILE jar41.9-4-2ES26.sbn 1048576 9f86d081...0f00a08
 *
 * One directive per line; '#' starts a comment (anywhere: no valid token
 * contains '#'); blank lines are fine; fields are separated by spaces or
 * tabs; CRLF line ends are tolerated. LOAD comes first, once; then up to
 * LOADS_MAX_FILES FILE lines in fetch order. Names follow the path rules
 * of protocol.md section 1 (pfs_check_path) and contain no '/'; sizes are
 * decimal bytes up to PFS_FILE_MAX; hashes are 64 hex digits (either
 * case). The parser is strict: the first fault stops it with
 * "line N: what" in err. NUL bytes and lines over LOADS_LINE_MAX bytes
 * are faults too.
 *
 *     struct loads l;
 *     char err[LOADS_ERR_LEN];
 *     if (loads_parse(buf, len, &l, err, sizeof err) != 0) log("%s: %s", path, err);
 *     for (unsigned i = 0; i < l.nfiles; i++) fetch(l.files[i].name, ...);
 *
 * loads_write() renders a struct back to text that loads_parse() reads to
 * the same struct (lower-case hex, one space between fields, LF ends).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFSD_LOADS_H
#define PFSD_LOADS_H

#include <stddef.h>
#include <stdint.h>
#include "pfs_const.h"

#define LOADS_MAX_FILES 32
#define LOADS_NAME_MAX  PFS_PATH_MAX  /* bytes of a LOAD or FILE name */
#define LOADS_LINE_MAX  512           /* bytes of one line, line end excluded */
#define LOADS_ERR_LEN   160

struct loads_file {
    char name[LOADS_NAME_MAX + 1];        /* NUL-terminated */
    uint32_t size;                        /* <= PFS_FILE_MAX */
    uint8_t sha256[PFS_SHA256_LEN];
};

struct loads {
    char name[LOADS_NAME_MAX + 1];        /* the LOAD name */
    unsigned nfiles;                      /* 1..LOADS_MAX_FILES */
    struct loads_file files[LOADS_MAX_FILES];
};

/*
 * loads_parse - parse len bytes of .loads text into *l.
 * Returns 0, or -1 with "line N: reason" in err (l is then incomplete).
 */
int loads_parse(const char *text, size_t len, struct loads *l, char *err, size_t errlen);

/*
 * loads_read_file - read the file at path (at most 64 KiB) and parse it.
 * Returns 0, or -1 with "PATH: reason" or "PATH:N: reason" in err.
 */
int loads_read_file(const char *path, struct loads *l, char *err, size_t errlen);

/*
 * loads_write - render *l as .loads text into out (NUL-terminated when
 * cap > 0). Returns the length the whole text needs (like snprintf), or
 * -1 when *l is not valid (bad name, size, duplicate, too many files).
 */
long loads_write(const struct loads *l, char *out, size_t cap);

/* The FILE entry named name, or NULL. */
const struct loads_file *loads_find(const struct loads *l, const char *name);

#endif
