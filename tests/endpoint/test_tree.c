/*
 * test_tree.c - parent choice, refusal hints, child slots.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tree.h"

#define OWN 0x0A000009u

static void test_shallowest_wins(void **state)
{
    (void)state;
    struct tree_cands s;
    memset(&s, 0, sizeof s);
    assert_null(tree_choose(&s, OWN, -1));
    tree_heard(&s, 0x0A000002, 0x7F000002, 4051, 2, 2, 0x0A000001);
    tree_heard(&s, 0x0A000003, 0x7F000003, 4051, 1, 1, 0x0A000001);
    const struct tree_cand *c = tree_choose(&s, OWN, -1);
    assert_non_null(c);
    assert_int_equal(c->xid, 0x0A000003);
    /* A full one is skipped even if shallower. */
    tree_heard(&s, 0x0A000001, 0x7F000001, 4051, 0, 0, 0x0A000001);
    assert_int_equal(tree_choose(&s, OWN, -1)->xid, 0x0A000003);
    /* Its next AD says a slot is free again: it is the best again. */
    tree_heard(&s, 0x0A000001, 0x7F000001, 4051, 0, 1, 0x0A000001);
    assert_int_equal(tree_choose(&s, OWN, -1)->xid, 0x0A000001);
}

static void test_tie_by_hash(void **state)
{
    (void)state;
    struct tree_cands s;
    memset(&s, 0, sizeof s);
    tree_heard(&s, 0x11, 1, 4051, 1, 2, 0);
    tree_heard(&s, 0x22, 2, 4051, 1, 2, 0);
    uint32_t want = tree_hash(OWN, 0x11) < tree_hash(OWN, 0x22) ? 0x11 : 0x22;
    assert_int_equal(tree_choose(&s, OWN, -1)->xid, want);
    /* Different joiners spread: over many XIDs both candidates get chosen. */
    int got11 = 0, got22 = 0;
    for (uint32_t x = 1; x < 200; x++) {
        uint32_t pick = tree_choose(&s, x << 8, -1)->xid;
        got11 += pick == 0x11;
        got22 += pick == 0x22;
    }
    assert_true(got11 > 20 && got22 > 20);
    assert_int_not_equal(tree_hash(1, 2), tree_hash(2, 1));
}

static void test_refused_hints(void **state)
{
    (void)state;
    struct tree_cands s;
    memset(&s, 0, sizeof s);
    tree_heard(&s, 0x01, 0x7F000001, 4051, 0, 2, 0x01);
    struct pfs_hint h[2] = {{0x02, 0x7F000002, 4051}, {0x03, 0x7F000003, 4052}};
    tree_refused(&s, 0x01, h, 2);
    const struct tree_cand *c = tree_choose(&s, OWN, -1);
    assert_non_null(c);
    assert_true(c->xid == 0x02 || c->xid == 0x03);
    assert_int_equal(c->depth, 1);     /* one level below the refuser */
    assert_true(c->flags & CAND_HINT);
    const struct tree_cand *three = tree_find(&s, 0x03);
    assert_int_equal(three->port, 4052);
    assert_true(tree_find(&s, 0x01)->flags & CAND_FULL);
    /* Both hints fail: nothing left. */
    tree_mark_failed(&s, 0x02);
    tree_mark_failed(&s, 0x03);
    assert_null(tree_choose(&s, OWN, -1));
    /* An unknown refuser's hints land at depth 1. */
    struct tree_cands t;
    memset(&t, 0, sizeof t);
    tree_refused(&t, 0x77, h, 1);
    assert_int_equal(tree_find(&t, 0x02)->depth, 1);
}

static void test_no_own_subtree(void **state)
{
    (void)state;
    struct tree_cands s;
    memset(&s, 0, sizeof s);
    tree_heard(&s, OWN, 1, 4051, 0, 2, OWN);          /* ourselves */
    tree_heard(&s, 0x05, 5, 4051, 1, 2, OWN);          /* our old tree */
    assert_null(tree_choose(&s, OWN, -1));
    tree_heard(&s, 0x06, 6, 4051, 3, 2, 0x99);
    assert_non_null(tree_choose(&s, OWN, -1));
    assert_null(tree_choose(&s, OWN, 2));              /* deeper than allowed */
    assert_non_null(tree_choose(&s, OWN, 3));
    tree_forget(&s, 0x06);
    assert_null(tree_find(&s, 0x06));
}

static void test_slots(void **state)
{
    (void)state;
    struct tree_slots t;
    memset(&t, 0, sizeof t);
    struct pfs_hint h[PFS_MAX_HINTS];
    assert_int_equal(tree_slots_free(&t), 2);
    assert_int_equal(tree_hints(&t, h), 0);
    assert_int_equal(tree_slot_take(&t, 0xA, 10, 4051), 0);
    assert_int_equal(tree_slot_take(&t, 0xB, 11, 4051), 1);
    assert_int_equal(tree_slot_take(&t, 0xC, 12, 4051), -1); /* a third child: FULL */
    assert_int_equal(tree_slots_free(&t), 0);
    assert_int_equal(tree_hints(&t, h), 2);
    assert_int_equal(h[0].xid, 0xA);
    assert_int_equal(h[1].addr, 11);
    tree_slot_release(&t, 0);
    assert_int_equal(tree_slots_free(&t), 1);
    assert_int_equal(tree_slot_take(&t, 0xC, 12, 4051), 0);  /* the freed slot is reused */
    tree_slot_release(&t, 7);                                 /* out of range: ignored */
    assert_int_equal(tree_slots_free(&t), 0);
}

static void test_table_full(void **state)
{
    (void)state;
    struct tree_cands s;
    memset(&s, 0, sizeof s);
    for (uint32_t x = 1; x <= TREE_CAND_MAX + 10; x++)
        tree_heard(&s, x, x, 4051, 1, 1, 0);
    assert_int_equal(s.n, TREE_CAND_MAX);
}

/* A big site: the members heard first fill up; newer ones must get in. */
static void test_table_evicts(void **state)
{
    (void)state;
    struct tree_cands s;
    memset(&s, 0, sizeof s);
    for (uint32_t x = 1; x <= TREE_CAND_MAX; x++)
        tree_heard(&s, x, x, 4051, 1, 1, 0);
    tree_mark_failed(&s, 1);
    for (uint32_t x = 1; x <= TREE_CAND_MAX; x++)
        tree_heard(&s, x, x, 4051, 1, 0, 0);          /* every one of them full now */
    assert_int_equal(tree_count_free(&s), 0);
    tree_heard(&s, 0x500, 0x500, 4051, 3, 2, 0);      /* a new member with room */
    assert_int_equal(s.n, TREE_CAND_MAX);
    assert_int_equal(tree_choose(&s, OWN, -1)->xid, 0x500);
    assert_non_null(tree_find(&s, 1));                /* a failed parent is never given up */
    assert_int_equal(tree_find(&s, 1)->flags & CAND_FAILED, CAND_FAILED);
    /* A full member never heard of is no candidate at all. */
    tree_heard(&s, 0x600, 0x600, 4051, 2, 0, 0);
    assert_null(tree_find(&s, 0x600));

    /* All usable: a shallower newcomer replaces the deepest, a deeper one waits. */
    memset(&s, 0, sizeof s);
    for (uint32_t x = 1; x <= TREE_CAND_MAX; x++)
        tree_heard(&s, x, x, 4051, (uint8_t)(x == 7 ? 9 : 4), 1, 0);
    tree_heard(&s, 0x700, 0x700, 4051, 10, 2, 0);
    assert_null(tree_find(&s, 0x700));
    tree_heard(&s, 0x701, 0x701, 4051, 2, 2, 0);
    assert_non_null(tree_find(&s, 0x701));
    assert_null(tree_find(&s, 7));
    assert_int_equal(tree_count_free(&s), TREE_CAND_MAX);
}

/* After a FULL, down through the refuser's children, not across its level. */
static void test_choose_among_hints(void **state)
{
    (void)state;
    struct tree_cands s;
    memset(&s, 0, sizeof s);
    tree_heard(&s, 0x10, 0x10, 4051, 1, 2, 0x01);   /* a sibling of the refuser */
    tree_heard(&s, 0x11, 0x11, 4051, 1, 2, 0x01);   /* the refuser */
    struct pfs_hint hints[2] = {{.xid = 0x21, .addr = 0x21, .port = 4051},
                                {.xid = 0x22, .addr = 0x22, .port = 4051}};
    tree_refused(&s, 0x11, hints, 2);
    assert_int_equal(tree_choose(&s, OWN, -1)->xid, 0x10);   /* shallowest overall */
    const struct tree_cand *d = tree_choose_among(&s, OWN, -1, hints, 2);
    assert_non_null(d);
    assert_true(d->xid == 0x21 || d->xid == 0x22);
    assert_int_equal(d->depth, 2);
    tree_mark_failed(&s, 0x21);
    tree_mark_failed(&s, 0x22);
    assert_null(tree_choose_among(&s, OWN, -1, hints, 2));
    assert_null(tree_choose_among(&s, OWN, 1, hints, 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shallowest_wins), cmocka_unit_test(test_tie_by_hash),
        cmocka_unit_test(test_refused_hints),   cmocka_unit_test(test_no_own_subtree),
        cmocka_unit_test(test_slots),           cmocka_unit_test(test_table_full),
        cmocka_unit_test(test_table_evicts),    cmocka_unit_test(test_choose_among_hints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
