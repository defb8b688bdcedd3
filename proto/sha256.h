/*
 * sha256.h - a small streaming SHA-256 (FIPS 180-4).
 *
 * Peers verify every file they receive against the hash its sender
 * declared in XFRCMD and, for load components, the one in the .loads file.
 * Files can be large, so the interface streams: init, update as bytes
 * arrive, final once.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFS_SHA256_H
#define PFS_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define PFS_SHA256_DIGEST 32   /* same as PFS_SHA256_LEN */
#define PFS_SHA256_HEX    65   /* 64 hex digits and a NUL */

struct pfs_sha256 {
    uint32_t h[8];
    uint64_t total;       /* bytes hashed so far */
    uint8_t block[64];    /* partial block waiting for more input */
    size_t fill;          /* bytes used in block */
};

void pfs_sha256_init(struct pfs_sha256 *c);
void pfs_sha256_update(struct pfs_sha256 *c, const void *data, size_t len);
/* Writes the digest and leaves c unusable until the next init. */
void pfs_sha256_final(struct pfs_sha256 *c, uint8_t out[PFS_SHA256_DIGEST]);

/* One shot: the digest of len bytes at data. */
void pfs_sha256(const void *data, size_t len, uint8_t out[PFS_SHA256_DIGEST]);

/* Lower-case hex of a digest into out (PFS_SHA256_HEX bytes); returns out. */
char *pfs_sha256_hex(const uint8_t d[PFS_SHA256_DIGEST], char out[PFS_SHA256_HEX]);

/*
 * pfs_sha256_from_hex - parse exactly 64 hex digits (either case) at hex
 * into d. Returns 0, or -1 when hex is not 64 hex digits followed by NUL
 * or by any non-hex byte (so it works inside a .loads line).
 */
int pfs_sha256_from_hex(const char *hex, uint8_t d[PFS_SHA256_DIGEST]);

#endif
