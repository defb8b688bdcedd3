/*
 * test_guard.c - the per-sender allowance: a burst, a steady rate, one XID
 * per address, bans that outlive a crowd of new addresses and lift after
 * quiet.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guard.h"

static void test_burst_then_rate(void **state)
{
    (void)state;
    static struct guard g;
    guard_init(&g, 8, 4);
    for (int i = 0; i < 8; i++)
        assert_int_equal(guard_check(&g, 0x7F000009, 1, 0), GUARD_OK);
    assert_int_equal(guard_check(&g, 0x7F000009, 1, 0), GUARD_RATE);
    assert_int_equal(guard_check(&g, 0x7F000009, 1, 5000), GUARD_BANNED);
    /* Another sender is not touched by the ban. */
    assert_int_equal(guard_check(&g, 0x7F000008, 7, 5000), GUARD_OK);
    /* Quiet for the ban time: heard again with a full bucket. */
    assert_int_equal(guard_check(&g, 0x7F000009, 1, 5000 + GUARD_BAN_MS), GUARD_OK);
}

static void test_steady_sender_never_banned(void **state)
{
    (void)state;
    static struct guard g;
    guard_init(&g, 8, 4);
    /* 4 a second forever, with the burst spent first. */
    for (int i = 0; i < 8; i++)
        assert_int_equal(guard_check(&g, 0x7F000002, 2, 0), GUARD_OK);
    for (int64_t t = 250; t < 60000; t += 250)
        assert_int_equal(guard_check(&g, 0x7F000002, 2, t), GUARD_OK);
}

static void test_second_xid(void **state)
{
    (void)state;
    static struct guard g;
    guard_init(&g, 100, 100);
    assert_int_equal(guard_check(&g, 0x7F000009, 1, 0), GUARD_OK);
    assert_int_equal(guard_check(&g, 0x7F000009, 2, 10), GUARD_XID);
    assert_int_equal(guard_check(&g, 0x7F000009, 1, 20), GUARD_BANNED);
    /* A restart long after (a new pid, a new XID) is heard. */
    assert_int_equal(guard_check(&g, 0x7F000007, 1, 0), GUARD_OK);
    assert_int_equal(guard_check(&g, 0x7F000007, 3, GUARD_XID_MS), GUARD_OK);
}

static void test_crowd_does_not_lift_bans(void **state)
{
    (void)state;
    static struct guard g;
    guard_init(&g, 1, 1);
    assert_int_equal(guard_check(&g, 0x7F000009, 1, 0), GUARD_OK);
    assert_int_equal(guard_check(&g, 0x7F000009, 1, 0), GUARD_RATE);
    for (uint32_t a = 1; a <= 4 * GUARD_PEERS; a++)
        (void)guard_check(&g, 0x0A000000 + a, a, 1);
    assert_int_equal(guard_check(&g, 0x7F000009, 1, 2), GUARD_BANNED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_rate),
        cmocka_unit_test(test_steady_sender_never_banned),
        cmocka_unit_test(test_second_xid),
        cmocka_unit_test(test_crowd_does_not_lift_bans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
