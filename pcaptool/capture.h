/*
 * capture.h - read PFS traffic from pcap/pcapng captures (libpcap).
 *
 * One reader turns a capture (file or live interface) into a sequence of
 * events: PFS messages (one per UDP datagram, or reassembled from a TCP
 * stream), decoded TFTP packets, TCP connections opening and closing, and
 * what the capture could not show (gaps in a stream, a mid-stream start).
 *
 *   struct cap_options opt;
 *   cap_options_init(&opt);
 *   struct cap_reader *r = cap_open_file("up.pcap", &opt, err, sizeof err);
 *   struct cap_event ev;
 *   int rc;
 *   while ((rc = cap_next(r, &ev)) > 0)
 *       if (ev.kind == CAP_EV_PFS) ...;
 *   if (rc < 0) fprintf(stderr, "%s\n", cap_error(r));
 *   cap_close(r);
 *
 * Which packets count: the BPF filter (default CAP_DEFAULT_FILTER) picks
 * them; TCP connections to a port a CLAIM or AD advertised, and the
 * transfer ports a TFTP read request opens, are followed even when the
 * filter does not name them (as the dissector does). UDP port 69 (when
 * the filter admits it) and the transfers it opens are TFTP; every other
 * admitted UDP datagram and TCP stream is read as PFS.
 *
 * Everything an event points to (bytes, frame lists, strings) stays valid
 * until the next cap_next() or cap_close() on the same reader.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PCAPTOOL_CAPTURE_H
#define PCAPTOOL_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pfs.h"

#define CAP_DEFAULT_FILTER "port 4051 or port 69"

struct cap_reader;

/* A capture timestamp: seconds and nanoseconds since the epoch. */
struct cap_time {
    int64_t sec;
    uint32_t nsec;
};

/* One end of a conversation. family is 4 or 6; addr holds 4 or 16 bytes. */
struct cap_addr {
    uint8_t family;
    uint8_t addr[16];
    uint16_t port;
};

/* Longest text cap_addr_str writes: "[v6]:port" */
#define CAP_ADDR_STRLEN 56

enum cap_transport { CAP_UDP = 17, CAP_TCP = 6 };

enum cap_event_kind {
    CAP_EV_PFS = 1,     /* one PFS message (valid or not) */
    CAP_EV_TFTP,        /* one decoded TFTP packet */
    CAP_EV_CONN_OPEN,   /* first packet of a TCP connection (SYN or mid-stream) */
    CAP_EV_CONN_CLOSE,  /* FIN/RST seen both ways or reset, or capture end */
    CAP_EV_GAP,         /* bytes of a TCP stream missing from the capture */
    CAP_EV_RESYNC       /* a stream (mid-stream start or after a gap or junk) framed again */
};

/* A PFS message. */
struct cap_pfs {
    enum cap_transport transport;
    const uint8_t *data;      /* the raw message bytes */
    size_t len;
    int err;                  /* pfs_decode(): PFS_OK or the docs/protocol.md §5 fault */
    struct pfs_msg msg;       /* decoded when err == PFS_OK (points into data) */
    const uint64_t *frames;   /* every frame that carried part of it, ascending */
    size_t nframes;
    uint64_t conn;            /* TCP: connection id (CAP_EV_CONN_*), 0 for UDP */
};

enum tftp_opcode {
    TFTP_RRQ = 1, TFTP_WRQ = 2, TFTP_DATA = 3, TFTP_ACK = 4, TFTP_ERROR = 5, TFTP_OACK = 6
};

#define TFTP_MAX_OPTS 8

struct tftp_opt {
    const char *name;         /* NUL-terminated copies */
    const char *value;
};

/* A TFTP packet (RFC 1350, options RFC 2347-2349). */
struct cap_tftp {
    uint16_t opcode;          /* enum tftp_opcode, or another value when malformed */
    const char *fault;        /* NULL, or why the packet does not parse ("no NUL after file name") */
    const char *file;         /* RRQ/WRQ */
    const char *mode;         /* RRQ/WRQ: "octet", "netascii" */
    struct tftp_opt opts[TFTP_MAX_OPTS]; /* RRQ/WRQ/OACK options */
    unsigned nopts;
    uint16_t block;           /* DATA/ACK */
    size_t data_len;          /* DATA payload */
    uint16_t err_code;        /* ERROR */
    const char *err_msg;      /* ERROR */
    uint64_t transfer;        /* transfer id (from 1, per RRQ/WRQ), 0 if unknown */
    const char *xfer_file;    /* the transfer's file, NULL if unknown */
};

/* A TCP connection: opened, or closed with its totals. */
struct cap_conn {
    uint64_t id;              /* from 1, in order of first packet */
    struct cap_addr client;   /* the side that sent SYN (or the first packet seen) */
    struct cap_addr server;
    int syn_seen;             /* 0: the capture starts mid-connection */
    struct cap_time start;    /* CLOSE: first and last packet */
    struct cap_time end;
    struct cap_time fin[2];   /* CLOSE: each side's first FIN or RST, [0] the client's */
    int fin_seen[2];
    uint64_t first_frame;
    uint64_t bytes[2];        /* CLOSE: payload bytes seen, each once (not a retransmission
                                 again), [0] client->server, [1] back */
    uint64_t msgs[2];         /* CLOSE: PFS messages framed each way */
    int reset;                /* CLOSE: ended by RST */
};

/* Missing stream bytes, or a resynchronisation, in one direction of a connection. */
struct cap_stream_note {
    uint64_t conn;
    int dir;                  /* 0 client->server, 1 server->client */
    uint64_t offset;          /* stream offset (bytes from the first byte seen) */
    uint64_t bytes;           /* GAP: bytes missing; RESYNC: bytes skipped before the header */
    int midstream;            /* RESYNC: the stream started without SYN */
};

struct cap_event {
    enum cap_event_kind kind;
    uint64_t frame;           /* the frame in which it completes, numbered from 1 */
    struct cap_time ts;       /* that frame's time */
    struct cap_addr src, dst; /* PFS/TFTP: sender and receiver; others: direction concerned */
    union {
        struct cap_pfs pfs;
        struct cap_tftp tftp;
        struct cap_conn conn;
        struct cap_stream_note note;
    } u;
};

struct cap_options {
    const char *filter;       /* BPF; NULL means CAP_DEFAULT_FILTER, "" means every packet */
    int follow_ports;         /* follow ports advertised in CLAIM/AD (default on: set by cap_options_init) */
};

void cap_options_init(struct cap_options *o);

/*
 * cap_open_file - open a pcap or pcapng file ("-" is standard input).
 * Returns NULL with a one-line reason naming the file in err on failure:
 * unreadable, not a capture, unknown link type, filter that does not compile.
 */
struct cap_reader *cap_open_file(const char *path, const struct cap_options *o,
                                 char *err, size_t errlen);

/*
 * cap_open_fp - the same from an open stream (a pipe, a memory file); name
 * is what messages call it. The reader owns fp from here on, and closes it
 * in cap_close() or when opening fails.
 */
struct cap_reader *cap_open_fp(FILE *fp, const char *name, const struct cap_options *o,
                               char *err, size_t errlen);

/*
 * cap_open_live - capture on an interface (needs root or CAP_NET_RAW).
 * Same contract as cap_open_file.
 */
struct cap_reader *cap_open_live(const char *iface, const struct cap_options *o,
                                 char *err, size_t errlen);

/*
 * cap_next - the next event.
 * Returns 1 with *ev filled; at the end, once every pending stream was
 * flushed and every connection closed, 0, or -1 when the capture ended in
 * error (a truncated file, a failed live read, no memory): cap_error()
 * then says where. Every event read before the error was delivered.
 */
int cap_next(struct cap_reader *r, struct cap_event *ev);

/* The last error as one line naming the source (file or interface); "" if none. */
const char *cap_error(const struct cap_reader *r);

/* Ask a live capture to stop (safe from a signal handler); files ignore it. */
void cap_break(struct cap_reader *r);

struct cap_stats {
    uint64_t frames;          /* every frame read */
    uint64_t admitted;        /* frames the filter or a followed port admitted */
    uint64_t undecodable;     /* admitted frames whose link/IP/transport did not parse */
    uint64_t bytes;           /* captured bytes of every frame */
    struct cap_time first, last;
    int linktype;             /* DLT_ value */
    const char *linkname;     /* "EN10MB" */
    int nanosecond;           /* capture timestamps have nanosecond precision */
    int truncated;            /* the file ended inside a record */
};

const struct cap_stats *cap_stats(const struct cap_reader *r);

void cap_close(struct cap_reader *r);

/* "10.0.0.1:4051" or "[fe80::1]:4051"; with port 0 the address alone. */
char *cap_addr_str(const struct cap_addr *a, char *buf, size_t len);

/* Seconds from one capture time to another (negative when to is earlier). */
double cap_seconds(const struct cap_time *from, const struct cap_time *to);

/* Equal addresses (ports ignored). */
int cap_addr_same_host(const struct cap_addr *a, const struct cap_addr *b);

/* The document's name of a message type: "CLAIM", "AD", ..., NULL if unknown. */
const char *cap_type_doc_name(unsigned type);

/* The §5 fault's name: "PFS_E_MAGIC", ..., NULL for PFS_OK or unknown. */
const char *cap_fault_name(int err);

#endif
