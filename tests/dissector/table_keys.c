/*
 * table_keys.c - prints every filter key of libpfs's message table, one a
 * line, in table order, each once: what `tshark -G fields` must list.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "pfs_table.h"

#define MAX_KEYS 128

static const char *seen[MAX_KEYS];
static size_t nseen;

static void key(const char *k)
{
    for (size_t i = 0; i < nseen; i++)
        if (!strcmp(seen[i], k))
            return;
    if (nseen < MAX_KEYS)
        seen[nseen++] = k;
    puts(k);
}

static void row(const struct pfs_field *f)
{
    key(f->key);
    if (f->kind == PFS_K_FLAGS) {  /* one key per bit: pfs.flags.full */
        for (const struct pfs_val *v = f->vals; v->name; v++) {
            printf("%s.", f->key);
            for (const char *c = v->name; *c; c++)
                putchar(tolower((unsigned char)*c));
            putchar('\n');
        }
    }
    for (size_t k = 0; k < f->nsub; k++)
        row(&f->sub[k]);
}

int main(void)
{
    size_t n;
    const struct pfs_field *h = pfs_header_fields(&n);
    for (size_t i = 0; i < n; i++)
        row(&h[i]);
    const struct pfs_msgdef *d = pfs_msgdefs(&n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d[i].nfields; j++)
            row(&d[i].fields[j]);
    const struct pfs_field *t = pfs_tlv_fields(&n);
    for (size_t i = 0; i < n; i++)
        row(&t[i]);
    const struct pfs_tlvdef *tv = pfs_tlvdefs(&n);
    for (size_t i = 0; i < n; i++)
        row(tv[i].value);
    return ferror(stdout) ? 1 : 0;
}
