/*
 * summary.h - pfsdump --summary: a capinfos-like report of a capture's
 * sessions (session.h), as text or as one JSON document.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PCAPTOOL_SUMMARY_H
#define PCAPTOOL_SUMMARY_H

#include <stdio.h>

#include "capture.h"
#include "session.h"

void summary_text(FILE *out, const char *source, const struct cap_stats *st, const struct ses *s);
void summary_json(FILE *out, const char *source, const struct cap_stats *st, const struct ses *s);

#endif
