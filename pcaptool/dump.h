/*
 * dump.h - pfsdump's printers: one line per event, every field (-v),
 * JSON lines (--json). Internal to pfsdump.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PCAPTOOL_DUMP_H
#define PCAPTOOL_DUMP_H

#include <stdio.h>

#include "capture.h"

/* tcpdump's -t family. */
enum time_fmt {
    TIME_CLOCK,      /* default: 21:34:44.123456 (local time) */
    TIME_NONE,       /* -t */
    TIME_EPOCH,      /* -tt: 1764625484.123456 */
    TIME_DELTA,      /* -ttt: since the previous line */
    TIME_DATE,       /* -tttt: 2026-12-01 21:34:44.123456 */
    TIME_SINCE_FIRST /* -ttttt: since the first line */
};

struct dump_printer {
    FILE *out;
    enum time_fmt tfmt;
    int verbose;
    int json;
    int have_prev;
    struct cap_time prev, first;
};

/* Print one event; returns 1 when it printed a PFS message line. */
int dump_event(struct dump_printer *p, const struct cap_event *ev);

#endif
