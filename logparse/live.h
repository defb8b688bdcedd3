/*
 * live.h - what --listen shows while it listens: on a terminal a screen
 * redrawn in place (like top), otherwise a plain stream of events, one
 * line (or one JSON object) each.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PLOG_LIVE_H
#define PLOG_LIVE_H

#include <stdio.h>

#include "listen.h"
#include "report.h"

struct plog_live {
    FILE *out;
    int screen;                     /* redraw in place (a terminal, text) */
    int json;                       /* JSON Lines */
    int utf8;
    const struct plog_filter *filter;
    struct plog_reader *reader;
    struct plog_model *model;
    uint64_t lost_said;             /* losses already told in the stream */
};

/* An event that shapes a tree, as it arrives: a stream line unless on the screen. */
void plog_live_event(struct plog_live *lv, const struct plog_event *e);

/* At each tick of plog_listen: the screen, or a line when more was lost. */
void plog_live_tick(void *ctx, const struct plog_listen *l, int last);

#endif
