/*
 * util.c - the two containers pfslog needs: a growable array and an
 * open-addressing map from 64-bit keys to indexes. Memory grows with
 * phones x files, never with lines, so these stay small.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "util.h"

#include <stdlib.h>
#include <string.h>

int plog_grow(void *arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap : 16;
    while (nc <= n) {
        if (nc > SIZE_MAX / 2 / elem)
            return -1;
        nc *= 2;
    }
    void **p = arr;
    void *np = realloc(*p, nc * elem);
    if (!np)
        return -1;
    memset((char *)np + *cap * elem, 0, (nc - *cap) * elem);
    *p = np;
    *cap = nc;
    return 0;
}

uint64_t plog_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* Key 0 marks an empty slot, so keys are stored with their top bit forced. */
static uint64_t slot_key(uint64_t key)
{
    return key | (1ULL << 63);
}

static size_t slot_of(uint64_t k, size_t cap)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k & (cap - 1);
}

uint32_t plog_map_get(const struct plog_map *m, uint64_t key)
{
    if (!m->cap)
        return PLOG_NONE;
    uint64_t k = slot_key(key);
    for (size_t i = slot_of(k, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->slots[i].key == 0)
            return PLOG_NONE;
        if (m->slots[i].key == k)
            return m->slots[i].val;
    }
}

static int rehash(struct plog_map *m, size_t ncap)
{
    struct plog_slot *slots = calloc(ncap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].key)
            continue;
        size_t j = slot_of(m->slots[i].key, ncap);
        while (slots[j].key)
            j = (j + 1) & (ncap - 1);
        slots[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->cap = ncap;
    return 0;
}

int plog_map_put(struct plog_map *m, uint64_t key, uint32_t val)
{
    if ((m->n + 1) * 2 > m->cap && rehash(m, m->cap ? m->cap * 2 : 64) != 0)
        return -1;
    uint64_t k = slot_key(key);
    size_t i = slot_of(k, m->cap);
    while (m->slots[i].key && m->slots[i].key != k)
        i = (i + 1) & (m->cap - 1);
    if (!m->slots[i].key)
        m->n++;
    m->slots[i].key = k;
    m->slots[i].val = val;
    return 0;
}

void plog_map_free(struct plog_map *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}
