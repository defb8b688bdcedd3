/*
 * listen.h - --listen: receive the phones' syslog datagrams.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PLOG_LISTEN_H
#define PLOG_LISTEN_H

#include <netinet/in.h>

#include "input.h"

struct plog_listen {
    const char *spec;               /* "udp:5514", "udp:127.0.0.1:5514" */
    struct plog_reader *reader;
    plog_event_fn on_event;
    void *ctx;
    uint32_t src;
    uint64_t lineno;                /* datagram lines so far */
};

int plog_listen_parse(const char *spec, struct sockaddr_in *sa, char *err, size_t errcap);

/*
 * plog_listen_run - binds, prints "pfslog: listening on udp:ADDR:PORT" on
 * stderr, feeds every line to on_event until SIGINT or SIGTERM. Returns 0,
 * or -1 with "SPEC: reason" in err.
 */
int plog_listen_run(struct plog_listen *l, char *err, size_t errcap);

#endif
