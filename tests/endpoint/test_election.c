/*
 * test_election.c - claim comparison, the claim schedule, yield rules.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "election.h"
#include "pfs_const.h"

static void test_beats(void **state)
{
    (void)state;
    struct elect_key a = {0x80000000u, 0x10}, b = {0x7FFFFFFFu, 0x01};
    assert_true(elect_beats(a, b));   /* higher strength wins */
    assert_false(elect_beats(b, a));
    struct elect_key c = {0x1234, 0x0A000002}, d = {0x1234, 0x0A000003};
    assert_true(elect_beats(c, d));   /* tie: lower XID wins */
    assert_false(elect_beats(d, c));
    assert_false(elect_beats(c, c));  /* nobody beats itself */
}

static void test_schedule(void **state)
{
    (void)state;
    uint8_t seq = 0;
    for (int i = 1; i <= 4; i++) {
        assert_int_equal(elect_on_timer(&seq, 4), ELECT_SEND_AD);
        assert_int_equal(seq, i);
    }
    /* The interval after Ad 4 confirms, and keeps confirming. */
    assert_int_equal(elect_on_timer(&seq, 4), ELECT_CONFIRM);
    assert_int_equal(seq, 4);
    seq = 0;
    assert_int_equal(elect_on_timer(&seq, 1), ELECT_SEND_AD);
    assert_int_equal(elect_on_timer(&seq, 1), ELECT_CONFIRM);
}

static void test_tent_yields(void **state)
{
    (void)state;
    struct elect_key me = {0x50000000u, 0x20};
    struct elect_key strong = {0x60000000u, 0x30}, weak = {0x40000000u, 0x10};
    assert_int_equal(elect_on_heard(PFS_HS_TENT, me, 0, PFS_HS_TENT, PFS_DEPTH_NONE, strong),
                     ELECT_YIELD);
    assert_int_equal(elect_on_heard(PFS_HS_TENT, me, 0, PFS_HS_TENT, PFS_DEPTH_NONE, weak),
                     ELECT_IGNORE);
    /* A late node hears a member's AD: the root's strength wins. */
    struct elect_key member = {PFS_STRENGTH_ROOT, 0xFFFFFF00u};
    assert_int_equal(elect_on_heard(PFS_HS_TENT, me, 0, PFS_HS_MEMBER, 2, member), ELECT_YIELD);
    /* A Seek AD never wins, whatever it carries. */
    assert_int_equal(elect_on_heard(PFS_HS_TENT, me, 0, PFS_HS_SEEK, PFS_DEPTH_NONE, strong),
                     ELECT_IGNORE);
    /* An out-of-range state is ignored. */
    assert_int_equal(elect_on_heard(PFS_HS_TENT, me, 0, 9, 0, strong), ELECT_IGNORE);
}

static void test_two_roots(void **state)
{
    (void)state;
    struct elect_key me = {PFS_STRENGTH_ROOT, 0x20};
    struct elect_key lower = {PFS_STRENGTH_ROOT, 0x10}, higher = {PFS_STRENGTH_ROOT, 0x30};
    assert_int_equal(elect_on_heard(PFS_HS_WAITING, me, 0, PFS_HS_CONF, 0, lower), ELECT_YIELD);
    assert_int_equal(elect_on_heard(PFS_HS_WAITING, me, 0, PFS_HS_CONF, 0, higher),
                     ELECT_IGNORE);
    /* Once it fetched, a root stays (the logs show two roots). */
    assert_int_equal(elect_on_heard(PFS_HS_WAITING, me, 1, PFS_HS_CONF, 0, lower), ELECT_IGNORE);
    /* A member (depth > 0) of the other tree is not a root. */
    assert_int_equal(elect_on_heard(PFS_HS_WAITING, me, 0, PFS_HS_MEMBER, 1, lower),
                     ELECT_IGNORE);
    /* Members and Done nodes do not take part in the election. */
    assert_int_equal(elect_on_heard(PFS_HS_MEMBER, me, 0, PFS_HS_CONF, 0, lower), ELECT_IGNORE);
}

static void test_strength(void **state)
{
    (void)state;
    uint64_t rng = 42, rng2 = 42;
    for (int i = 0; i < 10000; i++) {
        uint32_t s = elect_strength(&rng);
        assert_true(s != 0 && s != PFS_STRENGTH_ROOT);
    }
    /* The same seed gives the same claims: labs are reproducible. */
    uint64_t a = 7, b = 7;
    assert_int_equal(elect_rand32(&a), elect_rand32(&b));
    (void)rng2;
    uint64_t zero = 0;
    assert_int_not_equal(elect_rand32(&zero), 0); /* a zero seed still moves */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_beats),       cmocka_unit_test(test_schedule),
        cmocka_unit_test(test_tent_yields), cmocka_unit_test(test_two_roots),
        cmocka_unit_test(test_strength),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
