/*
 * input.h - reading inputs (files, "-", gzip) and merging them by time.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PLOG_INPUT_H
#define PLOG_INPUT_H

#include "reader.h"

/* Receives each event, in time order across the inputs of a batch. */
typedef void (*plog_event_fn)(void *ctx, const struct plog_event *e);

/*
 * plog_run_inputs - reads every input ("-" is stdin), feeds each event to
 * fn. Returns 0, or -1 with "NAME: reason" in err.
 */
int plog_run_inputs(char **names, size_t n, struct plog_reader *r, plog_event_fn fn, void *ctx,
                    char *err, size_t ecap);

/* Opens and reads one byte of each input: -1 with "NAME: reason" if one fails. */
int plog_check_inputs(char **names, size_t n, char *err, size_t ecap);

#endif
