/*
 * eventloop.c - fd table, timer list and a poll(2) backend.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "eventloop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>

struct el_file {
    int mask;
    el_file_fn *rfn;
    el_file_fn *wfn;
    void *ud;
};

struct el_timer {
    long long id;     /* -1 once deleted: freed on the next pass */
    int64_t when;     /* monotonic ms */
    el_timer_fn *fn;
    void *ud;
    struct el_timer *next;
};

struct el_fired {
    int fd;
    int mask;
};

/* The poll backend's state: a dense pollfd array and each fd's slot in it. */
struct el_backend {
    struct pollfd *pfd;
    int *slot;        /* slot[fd] = index in pfd, -1 when absent */
    int n;
};

struct el_loop {
    int setsize;
    struct el_file *files;
    struct el_fired *fired;
    struct el_backend be;
    struct el_timer *timers;
    long long next_id;
    int stop;
};

int64_t el_now_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- backend: the only code that knows about poll(2) ---- */

static void be_add(struct el_loop *l, int fd, int mask)
{
    struct el_backend *b = &l->be;
    if (b->slot[fd] < 0) {
        b->slot[fd] = b->n;
        b->pfd[b->n].fd = fd;
        b->pfd[b->n].revents = 0;
        b->n++;
    }
    short ev = 0;
    if (mask & EL_READABLE)
        ev |= POLLIN;
    if (mask & EL_WRITABLE)
        ev |= POLLOUT;
    b->pfd[b->slot[fd]].events = ev;
}

static void be_del(struct el_loop *l, int fd, int mask)
{
    struct el_backend *b = &l->be;
    int i = b->slot[fd];
    if (i < 0)
        return;
    if (mask != EL_NONE) {
        be_add(l, fd, mask);
        return;
    }
    /* Keep the array dense: the last entry takes the freed place. */
    b->n--;
    if (i != b->n) {
        b->pfd[i] = b->pfd[b->n];
        b->slot[b->pfd[i].fd] = i;
    }
    b->slot[fd] = -1;
}

/* Waits up to timeout ms; fills l->fired. Returns the count or -1. */
static int be_poll(struct el_loop *l, int timeout)
{
    struct el_backend *b = &l->be;
    int rc = poll(b->pfd, (nfds_t)b->n, timeout);
    if (rc < 0)
        return errno == EINTR ? 0 : -1;
    int nf = 0;
    for (int i = 0; i < b->n && nf < rc; i++) {
        short re = b->pfd[i].revents;
        if (!re)
            continue;
        int mask = 0;
        /* Errors and hang-ups are reported as readable: the read sees them. */
        if (re & (POLLIN | POLLERR | POLLHUP | POLLNVAL))
            mask |= EL_READABLE;
        if (re & (POLLOUT | POLLERR | POLLHUP))
            mask |= EL_WRITABLE;
        l->fired[nf].fd = b->pfd[i].fd;
        l->fired[nf].mask = mask;
        nf++;
    }
    return nf;
}

/* ---- public API ---- */

struct el_loop *el_new(int setsize)
{
    struct el_loop *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->setsize = setsize;
    l->files = calloc((size_t)setsize, sizeof *l->files);
    l->fired = calloc((size_t)setsize, sizeof *l->fired);
    l->be.pfd = calloc((size_t)setsize, sizeof *l->be.pfd);
    l->be.slot = malloc((size_t)setsize * sizeof *l->be.slot);
    if (!l->files || !l->fired || !l->be.pfd || !l->be.slot) {
        el_free(l);
        return NULL;
    }
    for (int i = 0; i < setsize; i++)
        l->be.slot[i] = -1;
    l->next_id = 1;
    return l;
}

void el_free(struct el_loop *l)
{
    if (!l)
        return;
    struct el_timer *t = l->timers;
    while (t) {
        struct el_timer *n = t->next;
        free(t);
        t = n;
    }
    free(l->files);
    free(l->fired);
    free(l->be.pfd);
    free(l->be.slot);
    free(l);
}

int el_add_fd(struct el_loop *l, int fd, int mask, el_file_fn *fn, void *ud)
{
    if (fd < 0 || fd >= l->setsize)
        return EL_ERR;
    struct el_file *f = &l->files[fd];
    f->mask |= mask;
    if (mask & EL_READABLE)
        f->rfn = fn;
    if (mask & EL_WRITABLE)
        f->wfn = fn;
    f->ud = ud;
    be_add(l, fd, f->mask);
    return EL_OK;
}

void el_del_fd(struct el_loop *l, int fd, int mask)
{
    if (fd < 0 || fd >= l->setsize)
        return;
    struct el_file *f = &l->files[fd];
    if (f->mask == EL_NONE)
        return;
    f->mask &= ~mask;
    be_del(l, fd, f->mask);
}

int el_fd_mask(const struct el_loop *l, int fd)
{
    if (fd < 0 || fd >= l->setsize)
        return EL_NONE;
    return l->files[fd].mask;
}

long long el_add_timer(struct el_loop *l, long ms, el_timer_fn *fn, void *ud)
{
    struct el_timer *t = malloc(sizeof *t);
    if (!t)
        return EL_ERR;
    t->id = l->next_id++;
    t->when = el_now_ms() + (ms > 0 ? ms : 0);
    t->fn = fn;
    t->ud = ud;
    t->next = l->timers;
    l->timers = t;
    return t->id;
}

int el_del_timer(struct el_loop *l, long long id)
{
    for (struct el_timer *t = l->timers; t; t = t->next) {
        if (t->id == id) {
            t->id = -1;
            return EL_OK;
        }
    }
    return EL_ERR;
}

/* Milliseconds until the nearest live timer, -1 when there is none. */
static long ms_to_next_timer(const struct el_loop *l, int64_t now)
{
    long best = -1;
    for (const struct el_timer *t = l->timers; t; t = t->next) {
        if (t->id < 0)
            continue;
        long d = t->when > now ? (long)(t->when - now) : 0;
        if (best < 0 || d < best)
            best = d;
    }
    return best;
}

/* Frees marked timers. Only called between callbacks. */
static void sweep_timers(struct el_loop *l)
{
    struct el_timer **pp = &l->timers;
    while (*pp) {
        struct el_timer *t = *pp;
        if (t->id < 0) {
            *pp = t->next;
            free(t);
        } else {
            pp = &t->next;
        }
    }
}

/*
 * Runs due timers. Timers added by a callback during this pass get an id
 * above max_id and wait for the next pass, so a 0 ms timer cannot starve
 * the fds.
 */
static int process_timers(struct el_loop *l)
{
    int n = 0;
    long long max_id = l->next_id - 1;
    int64_t now = el_now_ms();
    for (struct el_timer *t = l->timers; t; t = t->next) {
        if (t->id < 0 || t->id > max_id || t->when > now)
            continue;
        long long id = t->id;
        long next = t->fn(l, id, t->ud);
        n++;
        /* The callback may have deleted its own timer: respect that. */
        if (t->id != id)
            continue;
        if (next == EL_NOMORE)
            t->id = -1;
        else
            t->when = el_now_ms() + (next > 0 ? next : 0);
    }
    sweep_timers(l);
    return n;
}

int el_run_once(struct el_loop *l, long max_ms)
{
    long wait = ms_to_next_timer(l, el_now_ms());
    if (max_ms >= 0 && (wait < 0 || wait > max_ms))
        wait = max_ms;
    int nf = be_poll(l, wait > 0x7fffffffL ? 0x7fffffff : (int)wait);
    if (nf < 0)
        return EL_ERR;
    int n = 0;
    for (int i = 0; i < nf; i++) {
        int fd = l->fired[i].fd, fm = l->fired[i].mask;
        struct el_file *f = &l->files[fd];
        if (f->mask & fm & EL_READABLE)
            f->rfn(l, fd, f->ud, EL_READABLE);
        /* The read callback may have closed fd: re-check the mask. */
        if (f->mask & fm & EL_WRITABLE)
            f->wfn(l, fd, f->ud, EL_WRITABLE);
        n++;
    }
    n += process_timers(l);
    return n;
}

int el_run(struct el_loop *l)
{
    l->stop = 0;
    while (!l->stop)
        if (el_run_once(l, -1) == EL_ERR)
            return EL_ERR;
    return EL_OK;
}

void el_stop(struct el_loop *l)
{
    l->stop = 1;
}
