/*
 * tcpstream.h - TCP connections and per-direction reassembly into PFS
 * messages. Internal to pcaptool.
 *
 * Each direction is a byte stream numbered from its first byte (64-bit
 * offsets, so a 32-bit sequence wrap is only arithmetic). Segments in
 * order are appended, early ones wait, repeated bytes are dropped (the
 * first copy wins). The header's length field frames the messages. A
 * stream that starts without SYN, or resumes after missing bytes or after
 * a header no framing can follow, looks for the next offset where a chain
 * of headers frames the bytes exactly, and reports what it skipped.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PCAPTOOL_TCPSTREAM_H
#define PCAPTOOL_TCPSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "netparse.h"

struct tcp_seg;

/* The frames that brought the bytes still waiting to be framed. */
struct tcp_fref {
    uint64_t start, end;  /* stream offsets */
    uint64_t frame;
};

struct tcp_dir {
    int started;
    int syn;              /* began with SYN: offset 0 is a message boundary */
    int resync;           /* looking for a header */
    uint64_t skipped;     /* bytes dropped while looking for a header */
    uint32_t next_seq;    /* sequence number of stream offset `next` */
    uint64_t next;        /* first offset not yet received in order */
    uint64_t lost;        /* bytes below `next` that gaps in the capture hid */
    uint8_t *mem;         /* the allocation, cap bytes */
    size_t cap;
    uint8_t *buf;         /* inside mem: bytes [base, next) not yet framed */
    size_t have;
    uint64_t base;
    struct tcp_fref *refs;
    size_t nrefs, crefs;
    struct tcp_seg *pending;  /* early segments, by offset */
    size_t pending_bytes;
};

struct tcp_conn {
    struct cap_conn info;     /* ids, addresses, times, totals */
    struct tcp_dir d[2];      /* [0] client->server */
    int closing[2];           /* FIN seen from each side */
    struct tcp_conn *next_hash;
    struct tcp_conn *next_all, *prev_all;
};

/* What the reassembler produces. */
struct tcp_sink {
    void *ctx;
    void (*conn_open)(void *ctx, const struct tcp_conn *c);
    void (*conn_close)(void *ctx, const struct tcp_conn *c);
    /* err: 0, or the framing fault for bytes no header frames */
    void (*message)(void *ctx, const struct tcp_conn *c, int dir, const uint8_t *data,
                    size_t len, int err, const uint64_t *frames, size_t nframes);
    void (*note)(void *ctx, const struct tcp_conn *c, int dir, enum cap_event_kind kind,
                 uint64_t offset, uint64_t bytes, int midstream);
};

struct tcp_table {
    struct tcp_conn **hash;
    size_t nbuckets;
    struct tcp_conn *all;     /* oldest first */
    struct tcp_conn *last;
    uint64_t next_id;
    uint64_t *frames;         /* scratch for a message's frame list */
    size_t cframes;
    struct tcp_sink sink;
};

int tcp_table_init(struct tcp_table *t, const struct tcp_sink *sink);

/* The connection a packet belongs to, or NULL. */
struct tcp_conn *tcp_find(struct tcp_table *t, const struct net_pkt *p);

/*
 * tcp_segment - feed one TCP segment; calls the sink for what completes.
 * Returns 0, or -1 when memory runs out.
 */
int tcp_segment(struct tcp_table *t, const struct net_pkt *p, uint64_t frame,
                const struct cap_time *ts);

/* Flush and close every connection (capture end), oldest first. */
void tcp_close_all(struct tcp_table *t);

void tcp_table_free(struct tcp_table *t);

#endif
