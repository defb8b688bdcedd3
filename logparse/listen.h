/*
 * listen.h - --listen: be the phones' Log Server, receive their syslog
 * datagrams (on a thread of their own, recvq.c) and count what is lost.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PLOG_LISTEN_H
#define PLOG_LISTEN_H

#include <sys/socket.h>

#include "input.h"
#include "model.h"
#include "recvq.h"

#define PLOG_SENDERS_SHOWN 8

/*
 * A stream of numbered messages: one originator behind a sender address
 * (its header's host, APP-NAME and PROCID), the last number it sent.
 */
struct plog_seq_stream {
    uint32_t sender;                /* index in senders */
    uint32_t last;                  /* the newest sequenceId seen */
};

struct plog_listen;
/* Called a few times a second while listening, and once at the end (--listen's live view). */
typedef void (*plog_tick_fn)(void *ctx, const struct plog_listen *l, int last);

struct plog_listen {
    const char *spec;               /* "5514", "udp:5514", "udp:ADDR:PORT", "udp:[::1]:5514" */
    struct plog_reader *reader;
    plog_event_fn on_event;
    plog_tick_fn on_tick;           /* or NULL */
    void *ctx;
    uint32_t src;
    uint64_t lineno;                /* datagram lines so far */
    char name[80];                  /* udp:ADDR:PORT as bound */
    int rcvbuf;                     /* the socket's receive buffer, bytes */
    struct plog_recvq_counts counts; /* received, and lost before being read */
    struct plog_sender *senders;    /* in order of first datagram */
    size_t nsenders, cap_senders;
    struct plog_map sender_map;
    struct plog_seq_stream *seqs;   /* by hash of address, host, app, procid */
    size_t nseqs, cap_seqs;
    struct plog_map seq_map;
    uint64_t missing;               /* datagrams missing from the senders' sequences */
};

/* The address a spec names; 0, or -1 with "SPEC: reason" in err. */
int plog_listen_parse(const char *spec, struct sockaddr_storage *sa, socklen_t *salen,
                      char *err, size_t errcap);

/*
 * plog_listen_run - binds (alone: a second listener on the port fails
 * with EADDRINUSE), prints "pfslog: listening on udp:ADDR:PORT" on
 * stderr, feeds every line to on_event until SIGINT or SIGTERM, then
 * counts what the kernel and the queue dropped. Returns 0, or -1 with
 * "SPEC: reason" in err.
 */
int plog_listen_run(struct plog_listen *l, char *err, size_t errcap);

/* Lost datagrams (kernel and queue), so far. */
uint64_t plog_listen_lost(const struct plog_listen *l);

void plog_listen_free(struct plog_listen *l);

#endif
