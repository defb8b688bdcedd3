/*
 * jsonout.h - JSON strings for pfsdump's --json outputs.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PCAPTOOL_JSONOUT_H
#define PCAPTOOL_JSONOUT_H

#include <stddef.h>
#include <stdio.h>

/* n bytes of s as one JSON string: quotes, backslashes and bytes outside 0x20..0x7e escaped. */
void json_string(FILE *out, const char *s, size_t n);
/* The same for a NUL-terminated s. */
void json_cstr(FILE *out, const char *s);

#endif
