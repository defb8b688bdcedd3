/*
 * jsonout.c - see jsonout.h. Bytes from the wire are not trusted to be
 * UTF-8, so everything outside printable ASCII is written as \\u00XX.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "jsonout.h"

#include <string.h>

void json_string(FILE *out, const char *s, size_t n)
{
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

void json_cstr(FILE *out, const char *s)
{
    json_string(out, s, strlen(s));
}
