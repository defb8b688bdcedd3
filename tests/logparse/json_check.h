/*
 * json_check.h - a small strict JSON validator for the tests and the fuzz
 * harness: pfslog's --json output must always be one valid document.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef JSON_CHECK_H
#define JSON_CHECK_H

#include <stddef.h>

/* 1 when s[0..n) is exactly one JSON value (RFC 8259) in valid UTF-8, else 0. */
int json_valid(const char *s, size_t n);

#endif
