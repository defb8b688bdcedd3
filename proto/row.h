/*
 * row.h - reading and writing a struct member through its row (private to
 * libpfs: walk.c, codec.c, format.c).
 *
 * A row's store is the member's offset in struct pfs_msg (hint rows: in
 * struct pfs_hint); an integer member is as wide as its field on the wire.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFS_ROW_H
#define PFS_ROW_H

#include <string.h>

#include "pfs_table.h"

/* The integer kinds, U8 .. FLAGS, are contiguous in enum pfs_kind. */
static inline int pfs_row_is_int(const struct pfs_field *f)
{
    return f->kind <= PFS_K_FLAGS;
}

static inline uint32_t pfs_row_int(const void *base, const struct pfs_field *f)
{
    const char *p = (const char *)base + f->store;
    switch (f->size) {
    case 1: { uint8_t x; memcpy(&x, p, 1); return x; }
    case 2: { uint16_t x; memcpy(&x, p, 2); return x; }
    default: { uint32_t x; memcpy(&x, p, 4); return x; }
    }
}

static inline struct pfs_str pfs_row_str(const void *base, const struct pfs_field *f)
{
    struct pfs_str s;
    memcpy(&s, (const char *)base + f->store, sizeof s);
    return s;
}

static inline const uint8_t *pfs_row_ptr(const void *base, const struct pfs_field *f)
{
    const uint8_t *p;
    memcpy(&p, (const char *)base + f->store, sizeof p);
    return p;
}

/* Bytes of one entry of a HINTS row: its sub-rows are all fixed. */
static inline size_t pfs_row_entry_len(const struct pfs_field *f)
{
    size_t n = 0;
    for (unsigned i = 0; i < f->nsub; i++)
        n += f->sub[i].size;
    return n;
}

/* Wire bytes of the first n rows of a body, as the values in m make them. */
static inline size_t pfs_rows_len(const struct pfs_msg *m, const struct pfs_field *rows, unsigned n)
{
    size_t len = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct pfs_field *f = &rows[i];
        switch (f->kind) {
        case PFS_K_STR: len += 1u + pfs_row_str(m, f).len; break;
        case PFS_K_HINTS: len += pfs_row_int(m, &rows[f->count]) * pfs_row_entry_len(f); break;
        case PFS_K_PAYLOAD: len += pfs_row_int(m, &rows[f->count]); break;
        default: len += f->size; break;
        }
    }
    return len;
}

/* Checks a string or TLV text against its rule: PFS_OK or the fault. */
int pfs_row_strrule(enum pfs_strrule r, const uint8_t *p, size_t n);

/* Checks a TLV area as the decoder does: PFS_OK or PFS_E_TLV. */
int pfs_tlv_area_check(const uint8_t *p, size_t n);

#endif
