/*
 * util.h - pfslog's small growable tables: a hash map and a growing array.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PLOG_UTIL_H
#define PLOG_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define PLOG_NONE UINT32_MAX

/* Open-addressing map from a 64-bit key to a 32-bit index. */
struct plog_slot {
    uint64_t key;                       /* 0: empty */
    uint32_t val;
};
struct plog_map {
    struct plog_slot *slots;            /* key and value side by side: one cache miss a look-up */
    size_t cap, n;
};
uint32_t plog_map_get(const struct plog_map *m, uint64_t key);
int plog_map_put(struct plog_map *m, uint64_t key, uint32_t val);
void plog_map_free(struct plog_map *m);
uint64_t plog_hash(const char *s, size_t n);

/* Grows *arr (elem bytes each) so that index n fits; 0 or -1. */
int plog_grow(void *arr, size_t *cap, size_t n, size_t elem);

#endif
