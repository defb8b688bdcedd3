/*
 * test_table.c - the message table and the walking decoder.
 *
 * The walk of every golden vector reports fields that tile the message
 * byte for byte, in wire order, and fills the same struct pfs_decode
 * does; a fault stops the walk at the faulty field, after every field
 * before it; the rows are consistent (one kind and size per filter key,
 * value tables NULL-terminated, body length from the rows); and the
 * byte tables of docs/protocol.md are the rows, both ways: every message
 * and field of the document has its row, with the same offset, size, key,
 * kind and range, and every row is in the document.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "golden.h"
#include "pfs_table.h"

#define MAX_ITEMS 64

struct seen {
    size_t n;
    struct pfs_item items[MAX_ITEMS];
};

static void collect(void *ctx, const struct pfs_item *it)
{
    struct seen *s = ctx;
    assert_true(s->n < MAX_ITEMS);
    s->items[s->n++] = *it;
}

/* Leaf items (not the HINTS or TLV containers) must tile [0, len). */
static void assert_tiles(const struct seen *s, size_t len)
{
    size_t next = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct pfs_item *it = &s->items[i];
        if (it->field->kind == PFS_K_HINTS || it->field->kind == PFS_K_TLV) {
            assert_int_equal(it->off, next);
            continue;
        }
        assert_int_equal(it->off, next);
        next += it->len;
    }
    assert_int_equal(next, len);
}

static void test_walk_goldens(void **state)
{
    (void)state;
    for (size_t g = 0; g < NGOLDEN; g++) {
        uint8_t buf[256];
        size_t len = unhex(goldens[g].hex, buf, sizeof buf);
        struct seen s = {0};
        struct pfs_msg walked, decoded;
        struct pfs_fault f;
        assert_int_equal(pfs_walk(buf, len, 0, &walked, collect, &s, &f), PFS_OK);
        assert_int_equal(f.err, PFS_OK);
        assert_int_equal(pfs_decode(buf, len, &decoded), PFS_OK);
        assert_memory_equal(&walked, &decoded, sizeof walked);
        assert_tiles(&s, len);
        assert_string_equal(s.items[0].field->key, "pfs.magic");
        assert_string_equal(s.items[2].field->key, "pfs.type");
        assert_int_equal(s.items[2].value, walked.type);
        assert_int_equal(pfs_body_len(&walked) + PFS_HDR_LEN + walked.tlv_len, len);
    }
}

static void test_walk_fault_after_fields(void **state)
{
    (void)state;
    uint8_t buf[256];
    size_t len = unhex(G_JOIN, buf, sizeof buf);
    buf[25] = ' '; /* a blank inside the model "CP-7961G" */
    struct seen s = {0};
    struct pfs_fault f;
    assert_int_equal(pfs_walk(buf, len, 0, NULL, collect, &s, &f), PFS_E_MODEL);
    assert_int_equal(f.err, PFS_E_MODEL);
    assert_int_equal(f.off, 24);
    assert_string_equal(f.field->key, "pfs.model");
    /* header (7), addr, port, try, reserved, and the model itself */
    assert_int_equal(s.n, 12);
    assert_string_equal(s.items[s.n - 1].field->key, "pfs.model");

    /* A field out of range is reported, then the walk stops on it. */
    len = unhex(G_ACCEPT, buf, sizeof buf);
    buf[17] = 255; /* parent depth 255: not attached */
    s.n = 0;
    assert_int_equal(pfs_walk(buf, len, 0, NULL, collect, &s, &f), PFS_E_FIELD);
    assert_int_equal(f.off, 17);
    assert_string_equal(s.items[s.n - 1].field->key, "pfs.depth");
    assert_int_equal(s.items[s.n - 1].value, 255);
}

static void test_walk_stream(void **state)
{
    (void)state;
    uint8_t buf[256];
    size_t len = unhex(G_XFREND, buf, sizeof buf);
    memcpy(buf + len, buf, len); /* two messages back to back, as on TCP */
    struct pfs_msg m;
    assert_int_equal(pfs_walk(buf, 2 * len, 0, &m, NULL, NULL, NULL), PFS_E_LENGTH);
    assert_int_equal(pfs_walk(buf, 2 * len, PFS_WALK_STREAM, &m, NULL, NULL, NULL), PFS_OK);
    assert_int_equal(m.length, len);
    assert_int_equal(m.u.xfrend.size, 1048576);
}

static void test_rows_consistent(void **state)
{
    (void)state;
    size_t nmsg, nhdr;
    const struct pfs_msgdef *d = pfs_msgdefs(&nmsg);
    pfs_header_fields(&nhdr);
    assert_int_equal(nmsg, PFS_T_MAX);
    for (size_t i = 0; i < nmsg; i++) {
        assert_int_equal(d[i].type, i + 1);
        assert_ptr_equal(pfs_msgdef_of(d[i].type), &d[i]);
        assert_string_equal(pfs_val_name(pfs_type_vals, d[i].type), d[i].name);
        assert_non_null(pfs_val_name(pfs_transport_vals, d[i].transport));
        assert_non_null(pfs_val_name(pfs_dir_vals, d[i].dir));
        for (size_t k = 0; k < d[i].nfields; k++) {
            const struct pfs_field *f = &d[i].fields[k];
            assert_true(strncmp(f->key, "pfs.", 4) == 0);
            /* one key, one kind and size, in every message that has it
             * (reserved bytes come in several sizes) */
            if (f->kind == PFS_K_RESERVED)
                continue;
            for (size_t j = 0; j < nmsg; j++)
                for (size_t l = 0; l < d[j].nfields; l++)
                    if (strcmp(d[j].fields[l].key, f->key) == 0) {
                        assert_int_equal(d[j].fields[l].kind, f->kind);
                        assert_int_equal(d[j].fields[l].size, f->size);
                    }
        }
    }
    assert_null(pfs_msgdef_of(0));
    assert_null(pfs_msgdef_of(PFS_T_MAX + 1));
    assert_null(pfs_val_name(pfs_reason_vals, 10));
    assert_string_equal(pfs_val_name(pfs_reason_vals, 0), "none");
    assert_non_null(pfs_tlvdef_of(PFS_TLV_UPTIME));
    assert_null(pfs_tlvdef_of(0));
}


/* ---- docs/protocol.md's byte tables ---- */

static char *doc;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static int setup_doc(void **state)
{
    (void)state;
    doc = slurp(PFS_PROTOCOL_MD);
    return 0;
}

static int teardown_doc(void **state)
{
    (void)state;
    free(doc);
    return 0;
}

#define MAX_CELLS 8
#define CELL_LEN 256
#define MAX_TROWS 16

struct table {
    size_t nrows;
    char cell[MAX_TROWS][MAX_CELLS][CELL_LEN];
    size_t ncells[MAX_TROWS];
};

/* The line after the heading that starts with head; fails the test if none. */
static const char *section(const char *head)
{
    size_t n = strlen(head);
    for (const char *s = doc; s && *s; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : NULL)
        if (strncmp(s, head, n) == 0)
            return strchr(s, '\n') ? strchr(s, '\n') + 1 : s + strlen(s);
    fail_msg("docs/protocol.md has no heading \"%s\"", head);
    return NULL;
}

static void split_row(const char *line, size_t len, struct table *t)
{
    size_t r = t->nrows++, c = 0;
    assert_true(r < MAX_TROWS);
    const char *p = line + 1, *end = line + len;
    while (p < end && c < MAX_CELLS) {
        const char *bar = memchr(p, '|', (size_t)(end - p));
        if (!bar)
            break;
        const char *a = p, *b = bar;
        while (a < b && *a == ' ')
            a++;
        while (b > a && b[-1] == ' ')
            b--;
        assert_true((size_t)(b - a) < CELL_LEN);
        memcpy(t->cell[r][c], a, (size_t)(b - a));
        t->cell[r][c][b - a] = '\0';
        c++;
        p = bar + 1;
    }
    t->ncells[r] = c;
}

/* The nth table (from 0) after s, before the next heading; header row and rule skipped. */
static void table_at(const char *s, int nth, struct table *t)
{
    memset(t, 0, sizeof *t);
    int in = 0, seen = -1;
    while (*s && !(s[0] == '#' && (s[1] == '#' || s[1] == ' '))) {
        const char *eol = strchr(s, '\n');
        size_t len = eol ? (size_t)(eol - s) : strlen(s);
        int row = len > 0 && s[0] == '|';
        if (row && !in)
            seen++;
        if (row && in >= 2 && seen == nth)
            split_row(s, len, t);
        in = row ? in + 1 : 0;
        if (!eol)
            break;
        s = eol + 1;
    }
    assert_true(seen >= nth);
}

static const char *kind_word(enum pfs_kind k)
{
    static const char *w[] = {"u8",      "u16",   "u32",      "XID",   "IPv4",    "port",
                              "hex32",   "hex16", "enum",     "flags", "string",  "SHA-256",
                              "hints",   "bytes", "reserved", "text",  "tlv"};
    return (unsigned)k < sizeof w / sizeof w[0] ? w[k] : "?";
}

static const char *err_word(int err)
{
    static const char *w[] = {"OK",   "SHORT", "MAGIC", "VERSION", "LENGTH", "STRLEN", "MODEL",
                              "PATH", "SIZE",  "TYPE",  "FIELD",   "TLV",    "NOSPACE"};
    return err <= 0 && -err < (int)(sizeof w / sizeof w[0]) ? w[-err] : "?";
}

/* The cells row i must have: offset (counted from row first), size, field, key, kind, range. */
static void expect_cells(const struct pfs_field *rows, unsigned first, unsigned i,
                         char cells[6][CELL_LEN])
{
    const struct pfs_field *f = &rows[i];
    unsigned off = 0;
    int varies = 0;
    for (unsigned k = first; k < i; k++) {
        varies |= rows[k].kind == PFS_K_STR || rows[k].kind == PFS_K_HINTS ||
                  rows[k].kind == PFS_K_PAYLOAD;
        off += rows[k].size;
    }
    if (varies)
        snprintf(cells[0], CELL_LEN, "..");
    else
        snprintf(cells[0], CELL_LEN, "%u", off);
    size_t one = 0;
    for (unsigned k = 0; k < f->nsub; k++)
        one += f->sub[k].size;
    switch (f->kind) {
    case PFS_K_STR: snprintf(cells[1], CELL_LEN, "1+n"); break;
    case PFS_K_HINTS: snprintf(cells[1], CELL_LEN, "%zu x %s", one, rows[f->count].name); break;
    case PFS_K_PAYLOAD: snprintf(cells[1], CELL_LEN, "%s", rows[f->count].name); break;
    default: snprintf(cells[1], CELL_LEN, "%u", f->size); break;
    }
    snprintf(cells[2], CELL_LEN, "%s", f->name);
    snprintf(cells[3], CELL_LEN, "`%s`", f->key);
    snprintf(cells[4], CELL_LEN, "%s", kind_word(f->kind));
    if (f->kind == PFS_K_STR)
        snprintf(cells[5], CELL_LEN, "n <= %u, else STRLEN; %s", (unsigned)f->max,
                 f->strrule == PFS_SR_MODEL ? "a model (§1), else MODEL"
                                            : "a path (§1), else PATH");
    else if (f->kind > PFS_K_FLAGS)
        snprintf(cells[5], CELL_LEN, "-");
    else if (!f->ranged)
        snprintf(cells[5], CELL_LEN, "any");
    else if (f->min == f->max)
        snprintf(cells[5], CELL_LEN, f->kind == PFS_K_HEX16 ? "0x%04x, else %s" : "%u, else %s",
                 (unsigned)f->min, err_word(f->err));
    else
        snprintf(cells[5], CELL_LEN, "%u..%u, else %s", (unsigned)f->min, (unsigned)f->max,
                 err_word(f->err));
}

/* Every value an enum row allows is named in its meaning: "3 WRONG_HIER". */
static void expect_names(const struct pfs_field *f, const char *meaning, const char *where)
{
    for (const struct pfs_val *v = f->vals; v && v->name; v++) {
        if (f->ranged && (v->value < f->min || v->value > f->max))
            continue;
        char want[64];
        snprintf(want, sizeof want, "%u %s", (unsigned)v->value, v->name);
        if (!strstr(meaning, want))
            fail_msg("%s: %s: the meaning does not name \"%s\"", where, f->name, want);
    }
}

/* The table t is exactly rows[first..n): same count, same cells, in order. */
static void same_rows(const struct table *t, const struct pfs_field *rows, unsigned first,
                      unsigned n, const char *where)
{
    if (t->nrows != n - first)
        fail_msg("%s: %zu rows in docs/protocol.md, %u in the table", where, t->nrows, n - first);
    for (unsigned i = first; i < n; i++) {
        char want[6][CELL_LEN];
        expect_cells(rows, first, i, want);
        const size_t r = i - first;
        assert_true(t->ncells[r] >= 7);
        for (int c = 0; c < 6; c++)
            if (strcmp(t->cell[r][c], want[c]) != 0)
                fail_msg("%s, row %zu (%s): column %d is \"%s\", the table says \"%s\"", where,
                         r + 1, rows[i].name, c + 1, t->cell[r][c], want[c]);
        expect_names(&rows[i], t->cell[r][6], where);
    }
}

static void test_doc_header(void **state)
{
    (void)state;
    struct table t;
    size_t n;
    const struct pfs_field *h = pfs_header_fields(&n);
    table_at(section("## 2. Header"), 0, &t);
    same_rows(&t, h, 0, (unsigned)n, "header");
    /* the flag bits: bit, mask, name, key */
    table_at(section("## 2. Header"), 1, &t);
    size_t nbits = 0;
    for (const struct pfs_val *b = pfs_flag_bits; b->name; b++, nbits++) {
        assert_true(nbits < t.nrows);
        char mask[16], key[64];
        snprintf(mask, sizeof mask, "0x%04x", (unsigned)b->value);
        snprintf(key, sizeof key, "`pfs.flags.");
        for (const char *c = b->name; *c; c++)
            snprintf(key + strlen(key), sizeof key - strlen(key), "%c", *c - 'A' + 'a');
        strcat(key, "`");
        assert_string_equal(t.cell[nbits][1], mask);
        assert_string_equal(t.cell[nbits][2], b->name);
        assert_string_equal(t.cell[nbits][3], key);
    }
    assert_int_equal(nbits, t.nrows);
}

static void test_doc_types(void **state)
{
    (void)state;
    struct table t;
    size_t n;
    const struct pfs_msgdef *d = pfs_msgdefs(&n);
    table_at(section("### Message types"), 0, &t);
    assert_int_equal(t.nrows, n);
    for (size_t i = 0; i < n; i++) {
        char type[8];
        snprintf(type, sizeof type, "%u", d[i].type);
        assert_string_equal(t.cell[i][0], type);
        assert_string_equal(t.cell[i][1], d[i].name);
        assert_string_equal(t.cell[i][2], d[i].logname ? d[i].logname : "-");
        assert_string_equal(t.cell[i][3], pfs_val_name(pfs_transport_vals, d[i].transport));
        assert_string_equal(t.cell[i][4], pfs_val_name(pfs_dir_vals, d[i].dir));
    }
}

static void test_doc_bodies(void **state)
{
    (void)state;
    size_t n;
    const struct pfs_msgdef *d = pfs_msgdefs(&n);
    struct table t;
    for (size_t i = 0; i < n; i++) {
        char head[64];
        snprintf(head, sizeof head, "### %s (%u)", d[i].name, d[i].type);
        table_at(section(head), 0, &t);
        same_rows(&t, d[i].fields, 0, d[i].nfields, d[i].name);
        int nth = 1;
        for (unsigned k = 0; k < d[i].nfields; k++)
            if (d[i].fields[k].kind == PFS_K_HINTS) {
                table_at(section(head), nth++, &t);
                same_rows(&t, d[i].fields[k].sub, 0, d[i].fields[k].nsub, "hint");
            }
    }
    /* ... and every message section of §3 is a row of the table. */
    const char *s = section("## 3. Messages"), *end = strstr(s, "\n## 4.");
    assert_non_null(end);
    size_t sections = 0;
    for (const char *h = s; (h = strstr(h, "\n### ")) != NULL && h < end; h++) {
        char name[32];
        unsigned type;
        assert_int_equal(sscanf(h + 5, "%31s (%u)", name, &type), 2);
        const struct pfs_msgdef *row = pfs_msgdef_of(type);
        assert_non_null(row);
        assert_string_equal(row->name, name);
        sections++;
    }
    assert_int_equal(sections, n);
}

static void test_doc_tlvs(void **state)
{
    (void)state;
    size_t n, nd;
    const struct pfs_field *rows = pfs_tlv_fields(&n);
    struct table t;
    table_at(section("### The extension area"), 0, &t);
    /* rows[0] is the whole TLV, which the prose names; the table has its parts */
    same_rows(&t, rows, 1, (unsigned)n, "TLV");
    const struct pfs_tlvdef *defs = pfs_tlvdefs(&nd);
    table_at(section("### The extension area"), 1, &t);
    assert_int_equal(t.nrows, nd);
    for (size_t i = 0; i < nd; i++) {
        char type[8], len[16], key[64];
        snprintf(type, sizeof type, "%u", defs[i].type);
        if (defs[i].min_len == defs[i].max_len)
            snprintf(len, sizeof len, "%u", defs[i].min_len);
        else
            snprintf(len, sizeof len, "%u..%u", defs[i].min_len, defs[i].max_len);
        snprintf(key, sizeof key, "`%s`", defs[i].value->key);
        assert_string_equal(t.cell[i][0], type);
        assert_string_equal(t.cell[i][1], defs[i].name);
        assert_string_equal(t.cell[i][2], len);
        assert_string_equal(t.cell[i][3], key);
        assert_string_equal(t.cell[i][4], kind_word(defs[i].value->kind));
        assert_string_equal(pfs_val_name(pfs_tlv_vals, defs[i].type), defs[i].name);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_goldens),
        cmocka_unit_test(test_walk_fault_after_fields),
        cmocka_unit_test(test_walk_stream),
        cmocka_unit_test(test_rows_consistent),
        cmocka_unit_test(test_doc_header),
        cmocka_unit_test(test_doc_types),
        cmocka_unit_test(test_doc_bodies),
        cmocka_unit_test(test_doc_tlvs),
    };
    return cmocka_run_group_tests(tests, setup_doc, teardown_doc);
}
