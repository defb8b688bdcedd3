/*
 * arena.h - bump allocation for the events of one cap_next() batch:
 * everything is freed at once when the batch has been delivered.
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

#endif
