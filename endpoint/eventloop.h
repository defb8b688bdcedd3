/*
 * eventloop.h - a small single-threaded event loop (redis ae style).
 *
 * File events live in a table indexed by fd: a mask, a read and a write
 * callback and one user pointer. Timers are a list; a timer callback
 * returns the milliseconds until it should run again, or EL_NOMORE.
 * Deleting a timer from inside any callback only marks it; the loop frees
 * marked timers on its next pass, so callbacks never see freed memory.
 * The poll(2) backend sits behind three private functions in
 * eventloop.c, so another backend would not touch callers.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFSD_EVENTLOOP_H
#define PFSD_EVENTLOOP_H

#include <stdint.h>

#define EL_OK 0
#define EL_ERR (-1)

#define EL_NONE 0
#define EL_READABLE 1
#define EL_WRITABLE 2

#define EL_NOMORE (-1L) /* a timer callback returns this to stop */

struct el_loop;

/* mask is the event that fired (EL_READABLE or EL_WRITABLE). */
typedef void el_file_fn(struct el_loop *loop, int fd, void *ud, int mask);
/* Returns the next interval in ms, or EL_NOMORE. */
typedef long el_timer_fn(struct el_loop *loop, long long id, void *ud);

/* A loop that can watch fds 0..setsize-1. NULL when out of memory. */
struct el_loop *el_new(int setsize);
void el_free(struct el_loop *loop);

/*
 * el_add_fd - watch fd for mask (EL_READABLE and/or EL_WRITABLE), adding to
 * what it already watches. One user pointer per fd: the last one given wins.
 * Returns EL_OK, or EL_ERR when fd is outside the set.
 */
int el_add_fd(struct el_loop *loop, int fd, int mask, el_file_fn *fn, void *ud);

/* Stops watching mask on fd; the slot is free once its mask is EL_NONE. */
void el_del_fd(struct el_loop *loop, int fd, int mask);

/* The mask fd is watched for (EL_NONE when not registered). */
int el_fd_mask(const struct el_loop *loop, int fd);

/*
 * el_add_timer - run fn after ms milliseconds. Returns the timer id (> 0),
 * or EL_ERR when out of memory.
 */
long long el_add_timer(struct el_loop *loop, long ms, el_timer_fn *fn, void *ud);

/* Marks a timer deleted (safe inside callbacks). EL_ERR when id is unknown. */
int el_del_timer(struct el_loop *loop, long long id);

/*
 * el_run_once - wait for the first fd event or due timer (at most max_ms,
 * -1 for no limit besides timers), run the callbacks. Returns the number of
 * events processed, or EL_ERR when poll fails (EINTR is not an error).
 */
int el_run_once(struct el_loop *loop, long max_ms);

/* Runs until el_stop(). Returns EL_OK, or EL_ERR when poll fails. */
int el_run(struct el_loop *loop);
void el_stop(struct el_loop *loop);

/* Monotonic milliseconds (CLOCK_MONOTONIC). */
int64_t el_now_ms(void);

#endif
