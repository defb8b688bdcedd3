/*
 * outbuf.h - appending text to a fixed buffer with snprintf semantics.
 *
 * len counts what would have been written, so a caller that ran out of
 * room learns how much it needed, exactly as with snprintf; the buffer
 * never overflows and pfs_out_end() always terminates it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFS_OUTBUF_H
#define PFS_OUTBUF_H

#include <stddef.h>

struct pfs_out {
    char *p;
    size_t cap;
    size_t len;
};

void pfs_out_c(struct pfs_out *o, char c);
void pfs_out_f(struct pfs_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Terminates the text (cut to cap - 1) and returns len. */
size_t pfs_out_end(struct pfs_out *o);

#endif
