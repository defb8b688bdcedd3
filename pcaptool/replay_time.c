/*
 * replay_time.c - pacing against the absolute start of the run, as
 * tcpreplay's send_packets.c does: each message's due time is computed
 * from the anchor, never from the previous send, so errors do not add up.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "replay.h"

/* Wake up this much early and spin on the clock to the due time: a woken
   thread on a virtual machine runs up to a few hundred microseconds late. */
#define SPIN_NS 1000000

int64_t rp_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct timespec ts_of(int64_t ns)
{
    return (struct timespec){.tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL};
}

void rp_sleep_until(int64_t due_ns)
{
    int64_t now = rp_now_ns();
    if (due_ns - now > SPIN_NS) {
        struct timespec t = ts_of(due_ns - SPIN_NS);
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
            ;
    }
    while (rp_now_ns() < due_ns)
        ;
}

int64_t rp_due_ns(int64_t anchor_ns, int64_t t_ns, double speed)
{
    return anchor_ns + (int64_t)((double)t_ns / speed);
}

void rp_stats_gap(struct rp_stats *st, int64_t err_ns)
{
    if (st->ngap == st->capgap) {
        size_t nc = st->capgap ? st->capgap * 2 : 1024;
        int64_t *n = realloc(st->gap_err_ns, nc * sizeof *n);
        if (!n)
            return;
        st->gap_err_ns = n;
        st->capgap = nc;
    }
    st->gap_err_ns[st->ngap++] = err_ns < 0 ? -err_ns : err_ns;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentiles of the gap errors. */
void rp_stats_finish(struct rp_stats *st)
{
    if (!st->ngap)
        return;
    qsort(st->gap_err_ns, st->ngap, sizeof *st->gap_err_ns, cmp_i64);
    st->p50_ns = st->gap_err_ns[(st->ngap - 1) / 2];
    st->p99_ns = st->gap_err_ns[(st->ngap * 99 + 99) / 100 - 1];
    st->max_ns = st->gap_err_ns[st->ngap - 1];
}

void rp_stats_free(struct rp_stats *st)
{
    free(st->gap_err_ns);
    st->gap_err_ns = NULL;
}
