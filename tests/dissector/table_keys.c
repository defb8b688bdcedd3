/*
 * table_keys.c - prints every filter key of libpfs's message table, one a
 * line, in table order, each once: what `tshark -G fields` must list.
 * Rows that share a key (pfs.addr in CLAIM and JOIN) share one Wireshark
 * field, so they must read alike: exit 1 names a key whose rows differ.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "pfs_table.h"

#define MAX_KEYS 128

static const struct pfs_field *seen[MAX_KEYS];
static size_t nseen;
static int differ;

static void key(const struct pfs_field *f)
{
    for (size_t i = 0; i < nseen; i++) {
        if (strcmp(seen[i]->key, f->key) != 0)
            continue;
        /* An enum's size picks its Wireshark type; other kinds' sizes may vary. */
        int size_differs = f->kind == PFS_K_ENUM && seen[i]->size != f->size;
        if (seen[i]->kind != f->kind || seen[i]->vals != f->vals || size_differs) {
            fprintf(stderr, "pfs_table_keys: rows of %s differ in kind or values\n", f->key);
            differ = 1;
        }
        return;
    }
    if (nseen < MAX_KEYS)
        seen[nseen++] = f;
    puts(f->key);
}

static void row(const struct pfs_field *f)
{
    key(f);
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
    return ferror(stdout) || differ ? 1 : 0;
}
