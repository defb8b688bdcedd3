/*
 * pipe.h - one input read in blocks and split into lines, on a thread of
 * its own a block ahead of the main thread or with no thread at all; the
 * main thread gets the lines in order with what was found in each
 * (struct plog_pre).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PLOG_PIPE_H
#define PLOG_PIPE_H

#include <sys/types.h>

#include "reader.h"

/*
 * Reads up to room bytes of the input into dst: >0 bytes, 0 at its end, -1
 * ("NAME: reason"), or PLOG_FILL_CUT at an end that cuts the input short (a
 * truncated gzip file): the bytes after its last newline are then no line.
 */
#define PLOG_FILL_CUT (-2)
typedef ssize_t (*plog_fill_fn)(void *ctx, char *dst, size_t room, char *err, size_t ecap);

struct plog_pipe;

/*
 * plog_pipe_start - starts reading with fill(ctx) on a new thread, which
 * alone calls fill from then on, in blocks of up to block bytes. A line
 * of long_cap bytes or more comes as its first long_cap bytes (the rest is
 * skipped), as input.c does without a pipeline; name is for messages.
 * With threaded 0 there is no thread: plog_pipe_next reads and splits
 * when it needs lines, on the caller's thread, with the same results.
 * NULL when no thread could be started, or out of memory.
 */
struct plog_pipe *plog_pipe_start(plog_fill_fn fill, void *ctx, const char *name, size_t block,
                                  size_t long_cap, int threaded);

/*
 * plog_pipe_next - the next line (no newline) and what the reading thread
 * found in it, valid until the next call: 1, or 0 at the end of input, or
 * -1 when reading failed ("NAME: reason" in err).
 */
int plog_pipe_next(struct plog_pipe *p, const char **line, size_t *len,
                   const struct plog_pre **pre, char *err, size_t ecap);

/* Stops the thread (it may be ahead, or waiting) and frees everything. */
void plog_pipe_stop(struct plog_pipe *p);

#endif
