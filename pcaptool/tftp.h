/*
 * tftp.h - TFTP packets (RFC 1350, options RFC 2347-2349) and the
 * transfers they belong to, as the WAN side of a PFS capture.
 * Internal to pcaptool.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PCAPTOOL_TFTP_H
#define PCAPTOOL_TFTP_H

#include <stddef.h>
#include <stdint.h>

#include "capture.h"

#define TFTP_PORT 69

/*
 * tftp_parse - decode one TFTP datagram. buf must hold len bytes followed
 * by one spare NUL byte the caller owns (the strings point into buf).
 * Always fills *t; t->fault says why a packet does not parse.
 */
void tftp_parse(uint8_t *buf, size_t len, struct cap_tftp *t);

/* Transfers seen so far: a read or write request opens one. */
struct tftp_xfer {
    uint64_t id;
    struct cap_addr client;   /* address and port of the requester */
    struct cap_addr server;   /* the server's address; port = its transfer port once known */
    char file[256];
    unsigned blksize;         /* 512, or what the OACK says */
    int last_sent;            /* a short DATA block went out: its ACK ends the transfer */
    uint16_t last_block;
};

struct tftp_table {
    struct tftp_xfer *x;
    size_t n, cap;
    uint64_t next_id;
};

/* Record a request from client to server (port 69); returns the transfer or NULL. */
struct tftp_xfer *tftp_request(struct tftp_table *t, const struct cap_addr *client,
                               const struct cap_addr *server, const char *file);

/* The transfer a datagram between src and dst belongs to, or NULL. */
struct tftp_xfer *tftp_lookup(struct tftp_table *t, const struct cap_addr *src,
                              const struct cap_addr *dst);

/*
 * tftp_track - follow transfer x through packet t (parsed); returns 1 when
 * the transfer is over (last block acknowledged, or an ERROR), and x was
 * forgotten: later packets of it are not TFTP any more. x is invalid then.
 */
int tftp_track(struct tftp_table *t, struct tftp_xfer *x, const struct cap_tftp *pkt);

void tftp_table_free(struct tftp_table *t);

#endif
