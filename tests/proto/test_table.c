/*
 * test_table.c - the message table and the walking decoder.
 *
 * The walk of every golden vector reports fields that tile the message
 * byte for byte, in wire order, and fills the same struct pfs_decode
 * does; a fault stops the walk at the faulty field, after every field
 * before it; the rows are consistent (one kind and size per filter key,
 * value tables NULL-terminated, body length from the rows).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_goldens),
        cmocka_unit_test(test_walk_fault_after_fields),
        cmocka_unit_test(test_walk_stream),
        cmocka_unit_test(test_rows_consistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
