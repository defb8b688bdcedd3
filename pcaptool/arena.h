/*
 * arena.h - memory for pcaptool: bump allocation for the events of one
 * cap_next() batch (everything is freed at once when the batch has been
 * delivered), and the growable arrays every table uses.
 * Internal to pcaptool.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PCAPTOOL_ARENA_H
#define PCAPTOOL_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
    struct arena_chunk *head;  /* the chunk being filled; older ones follow */
};

/* n bytes, 8-aligned, or NULL when memory runs out. Never moves earlier blocks. */
void *arena_alloc(struct arena *a, size_t n);
/* Forget every block; keeps one chunk for the next batch. */
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

/*
 * arr_grow - make room in a growable array: *arr holds *cap elements of
 * elem bytes; afterwards it holds at least need (doubling, new ones zeroed).
 * Returns 0, or -1 when memory runs out (the array is left as it was).
 */
int arr_grow(void *arr, size_t *cap, size_t need, size_t elem);

#endif
