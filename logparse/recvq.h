/*
 * recvq.h - datagrams received on a thread of their own into a bounded
 * queue, so that a slow consumer (a terminal being redrawn, a model
 * growing) never makes the kernel drop what the phones send.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PLOG_RECVQ_H
#define PLOG_RECVQ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct plog_recvq;

/* What was lost before the consumer saw it, and what was received. */
struct plog_recvq_counts {
    uint64_t received;          /* datagrams queued */
    uint64_t kernel_dropped;    /* the socket's drop counter (SO_RXQ_OVFL) */
    uint64_t queue_dropped;     /* received but the queue was full */
};

/*
 * plog_recvq_start - receives every datagram of the bound socket fd on a
 * new thread into a queue of up to cap bytes. NULL with the reason in err.
 * The socket stays the caller's; it must outlive the queue.
 */
struct plog_recvq *plog_recvq_start(int fd, size_t cap, char *err, size_t ecap);

/* A descriptor that polls readable while datagrams wait. */
int plog_recvq_fd(const struct plog_recvq *q);

typedef void (*plog_dgram_fn)(void *ctx, const char *data, size_t len,
                              const struct sockaddr_storage *from);

/* Hands every datagram queued so far to fn, in arrival order; how many. */
size_t plog_recvq_drain(struct plog_recvq *q, plog_dgram_fn fn, void *ctx);

void plog_recvq_counts(struct plog_recvq *q, struct plog_recvq_counts *c);

/* Stops the thread; what it queued can still be drained. */
void plog_recvq_stop(struct plog_recvq *q);
/* Frees a stopped queue. */
void plog_recvq_free(struct plog_recvq *q);

#endif
