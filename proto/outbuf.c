/*
 * outbuf.c - appending text to a fixed buffer with snprintf semantics.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "outbuf.h"

#include <stdarg.h>
#include <stdio.h>

void pfs_out_c(struct pfs_out *o, char c)
{
    if (o->len + 1 < o->cap)
        o->p[o->len] = c;
    o->len++;
}

void pfs_out_f(struct pfs_out *o, const char *fmt, ...)
{
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(room ? o->p + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

size_t pfs_out_end(struct pfs_out *o)
{
    if (o->cap)
        o->p[o->len < o->cap ? o->len : o->cap - 1] = '\0';
    return o->len;
}
