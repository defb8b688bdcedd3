/*
 * recvq.c - the receiving thread of --listen.
 *
 * The thread does nothing but recvmsg() and append: the kernel's socket
 * buffer then only has to hold what arrives during one append, not during
 * a parse or a terminal redraw. Datagrams go into the fill buffer; the
 * consumer swaps it with its empty spare under the lock and reads the full
 * one at leisure, so neither side holds the lock for more than a copy.
 * When the fill buffer is full a datagram is dropped and counted, never
 * waited for (the kernel would drop the next ones, uncounted by us).
 *
 * The kernel's own drops are read from the SO_RXQ_OVFL counter that comes
 * with each datagram.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "recvq.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define DGRAM_MAX 65536

/* One datagram in a buffer: this header, then len bytes, padded to 8. */
struct entry {
    uint32_t len;
    uint32_t pad;
    struct sockaddr_storage from;
};

struct buf {
    char *p;
    size_t len, cap;
};

struct plog_recvq {
    int fd;                     /* the socket */
    int efd;                    /* eventfd: datagrams wait */
    int stopfd;                 /* eventfd: the thread is to stop */
    pthread_t thread;
    pthread_mutex_t mu;
    struct buf fill, spare;     /* fill under mu; spare is the consumer's */
    struct plog_recvq_counts n; /* under mu */
    char dgram[DGRAM_MAX + 1];  /* the thread's receive buffer */
};

static size_t entry_size(size_t len)
{
    return sizeof(struct entry) + (len + 7) / 8 * 8;
}

/* Appends one datagram; 1 when the queue was empty (the consumer is to be woken). */
static int append(struct plog_recvq *q, size_t len, const struct sockaddr_storage *from,
                  uint32_t ovfl, int has_ovfl)
{
    pthread_mutex_lock(&q->mu);
    int was_empty = q->fill.len == 0;
    size_t need = entry_size(len);
    if (has_ovfl)
        q->n.kernel_dropped = ovfl;
    if (q->fill.cap - q->fill.len < need) {
        q->n.queue_dropped++;
        pthread_mutex_unlock(&q->mu);
        return 0;
    }
    struct entry e = {(uint32_t)len, 0, *from};
    memcpy(q->fill.p + q->fill.len, &e, sizeof e);
    memcpy(q->fill.p + q->fill.len + sizeof e, q->dgram, len);
    q->fill.len += need;
    q->n.received++;
    pthread_mutex_unlock(&q->mu);
    return was_empty;
}

static void wake(int efd)
{
    uint64_t one = 1;
    if (write(efd, &one, sizeof one) != (ssize_t)sizeof one && errno != EAGAIN)
        return; /* the counter is full: the consumer is awake anyway */
}

/* Receives what the socket holds now; -1 on a socket error. */
static int receive_all(struct plog_recvq *q)
{
    for (;;) {
        struct sockaddr_storage from;
        char cbuf[CMSG_SPACE(sizeof(uint32_t))];
        struct iovec iov = {q->dgram, DGRAM_MAX};
        struct msghdr mh = {&from, sizeof from, &iov, 1, cbuf, sizeof cbuf, 0};
        ssize_t n = recvmsg(q->fd, &mh, MSG_DONTWAIT);
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
        uint32_t ovfl = 0;
        int has = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL &&
                c->cmsg_len >= CMSG_LEN(sizeof ovfl)) {
                memcpy(&ovfl, CMSG_DATA(c), sizeof ovfl);
                has = 1;
            }
        if (mh.msg_namelen == 0)
            memset(&from, 0, sizeof from);
        if (append(q, (size_t)n, &from, ovfl, has))
            wake(q->efd);
    }
}

static void *receiving_thread(void *arg)
{
    struct plog_recvq *q = arg;
    for (;;) {
        struct pollfd pf[2] = {{q->fd, POLLIN, 0}, {q->stopfd, POLLIN, 0}};
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pf[1].revents)
            break;
        if (receive_all(q) != 0)
            break;
    }
    return NULL;
}

struct plog_recvq *plog_recvq_start(int fd, size_t cap, char *err, size_t ecap)
{
    struct plog_recvq *q = calloc(1, sizeof *q);
    if (!q) {
        snprintf(err, ecap, "out of memory");
        return NULL;
    }
    q->fd = fd;
    q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    q->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    q->fill = (struct buf){malloc(cap / 2), 0, cap / 2};
    q->spare = (struct buf){malloc(cap / 2), 0, cap / 2};
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one) != 0) {
        /* without it the kernel's drops are read at the end only (listen.c) */
    }
    if (q->efd < 0 || q->stopfd < 0 || !q->fill.p || !q->spare.p) {
        snprintf(err, ecap, "receive queue: %s", q->efd < 0 || q->stopfd < 0 ? strerror(errno)
                                                                              : "out of memory");
    } else if (pthread_mutex_init(&q->mu, NULL) != 0) {
        snprintf(err, ecap, "receive queue: cannot make a lock");
    } else if (pthread_create(&q->thread, NULL, receiving_thread, q) != 0) {
        snprintf(err, ecap, "receive queue: cannot start a thread");
        pthread_mutex_destroy(&q->mu);
    } else {
        return q;
    }
    if (q->efd >= 0)
        close(q->efd);
    if (q->stopfd >= 0)
        close(q->stopfd);
    free(q->fill.p);
    free(q->spare.p);
    free(q);
    return NULL;
}

int plog_recvq_fd(const struct plog_recvq *q)
{
    return q->efd;
}

size_t plog_recvq_drain(struct plog_recvq *q, plog_dgram_fn fn, void *ctx)
{
    uint64_t v;
    if (read(q->efd, &v, sizeof v) < 0 && errno != EAGAIN)
        return 0;
    pthread_mutex_lock(&q->mu);
    struct buf full = q->fill;
    q->fill = q->spare;
    q->fill.len = 0;
    pthread_mutex_unlock(&q->mu);
    size_t n = 0;
    for (size_t off = 0; off < full.len; n++) {
        struct entry e;
        memcpy(&e, full.p + off, sizeof e);
        fn(ctx, full.p + off + sizeof e, e.len, &e.from);
        off += entry_size(e.len);
    }
    full.len = 0;
    q->spare = full;
    return n;
}

void plog_recvq_counts(struct plog_recvq *q, struct plog_recvq_counts *c)
{
    pthread_mutex_lock(&q->mu);
    *c = q->n;
    pthread_mutex_unlock(&q->mu);
}

void plog_recvq_stop(struct plog_recvq *q)
{
    wake(q->stopfd);
    pthread_join(q->thread, NULL);
    /* what the socket still holds is the last of what arrived */
    receive_all(q);
}

void plog_recvq_free(struct plog_recvq *q)
{
    if (!q)
        return;
    pthread_mutex_destroy(&q->mu);
    close(q->efd);
    close(q->stopfd);
    free(q->fill.p);
    free(q->spare.p);
    free(q);
}
