/*
 * test_eventloop.c - timers (interval, no-more, delete from a callback)
 * and fd events on a real pipe.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <cmocka.h>

#include "eventloop.h"

struct tctx {
    int runs;
    int limit;
    long long other;  /* a timer to delete from inside a callback */
    struct el_loop *loop;
};

static long repeat(struct el_loop *loop, long long id, void *ud)
{
    (void)loop, (void)id;
    struct tctx *t = ud;
    t->runs++;
    if (t->runs >= t->limit) {
        el_stop(loop);
        return EL_NOMORE;
    }
    return 1;
}

static long killer(struct el_loop *loop, long long id, void *ud)
{
    (void)id;
    struct tctx *t = ud;
    t->runs++;
    assert_int_equal(el_del_timer(loop, t->other), EL_OK);
    return EL_NOMORE;
}

static long never(struct el_loop *loop, long long id, void *ud)
{
    (void)loop, (void)id, (void)ud;
    fail_msg("a deleted timer ran");
    return EL_NOMORE;
}

static void test_timers(void **state)
{
    (void)state;
    struct el_loop *l = el_new(64);
    assert_non_null(l);
    struct tctx rep = {.limit = 3};
    assert_true(el_add_timer(l, 0, repeat, &rep) > 0);
    struct tctx k = {0};
    k.other = el_add_timer(l, 5, never, NULL);
    assert_true(el_add_timer(l, 1, killer, &k) > 0);
    assert_int_equal(el_run(l), EL_OK);
    assert_int_equal(rep.runs, 3);
    assert_int_equal(k.runs, 1);
    /* The deleted timer is gone: deleting again is an error. */
    assert_int_equal(el_del_timer(l, k.other), EL_ERR);
    assert_int_equal(el_del_timer(l, 12345), EL_ERR);
    el_free(l);
}

struct fctx {
    int reads, writes;
    char got;
};

static void on_fd(struct el_loop *loop, int fd, void *ud, int mask)
{
    struct fctx *f = ud;
    if (mask & EL_READABLE) {
        assert_int_equal(read(fd, &f->got, 1), 1);
        f->reads++;
        el_del_fd(loop, fd, EL_READABLE);
    }
    if (mask & EL_WRITABLE) {
        assert_int_equal(write(fd, "x", 1), 1);
        f->writes++;
        el_del_fd(loop, fd, EL_WRITABLE);
    }
}

static void test_fds(void **state)
{
    (void)state;
    struct el_loop *l = el_new(64);
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct fctx f = {0};
    assert_int_equal(el_add_fd(l, p[0], EL_READABLE, on_fd, &f), EL_OK);
    assert_int_equal(el_add_fd(l, p[1], EL_WRITABLE, on_fd, &f), EL_OK);
    assert_int_equal(el_fd_mask(l, p[0]), EL_READABLE);
    assert_int_equal(el_add_fd(l, 64, EL_READABLE, on_fd, &f), EL_ERR); /* outside the set */
    for (int i = 0; i < 10 && f.reads == 0; i++)
        assert_true(el_run_once(l, 1000) >= 0);
    assert_int_equal(f.writes, 1);
    assert_int_equal(f.reads, 1);
    assert_int_equal(f.got, 'x');
    assert_int_equal(el_fd_mask(l, p[0]), EL_NONE);
    assert_int_equal(el_fd_mask(l, p[1]), EL_NONE);
    /* Nothing watched, no timers: a bounded wait returns 0 events. */
    assert_int_equal(el_run_once(l, 1), 0);
    close(p[0]);
    close(p[1]);
    el_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers),
        cmocka_unit_test(test_fds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
