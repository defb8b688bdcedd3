/*
 * tftp_client.h - a non-blocking TFTP read client for a single-threaded
 * poll loop (RFC 1350 octet mode, RFC 2347 options, RFC 2348 blksize,
 * RFC 2349 tsize). Packets are built and parsed by tftp.h; sockets come
 * from net.h, the clock from eventloop.h (el_now_ms).
 *
 * Use from an event loop:
 *
 *     struct tftp_req rq = { .server_ip = ip, .server_port = 69,
 *                            .file = "SCCP41.loads", .blksize = 1428,
 *                            .timeout_ms = 1000, .tries = 5,
 *                            .max_size = PFS_FILE_MAX,
 *                            .sink = my_sink, .sink_arg = ctx };
 *     struct tftp_error e;
 *     struct tftp_xfer *x = tftp_start(&rq, &e);
 *     if (!x) log("%s", e.detail);            // nothing was sent
 *     watch tftp_fd(x) for reading   -> tftp_on_readable(x)
 *     timer in tftp_timeout_ms(x) ms -> tftp_on_timer(x)   (early calls are harmless)
 *     after either call: tftp_state(x) is TFTP_DONE or TFTP_FAILED ->
 *         stop watching, read tftp_stats()/tftp_error(), tftp_free(x).
 *
 * The sink receives the file in order, each byte exactly once, as
 * (data, len, offset) with offset == bytes delivered before; or, with
 * sink NULL, the bytes are written to out_fd. A transfer that fails has
 * delivered some bytes already: the caller discards its partial file.
 *
 * Behaviour: the RRQ asks "tsize 0" and, when blksize != 0, "blksize N".
 * The first answer from the server's IP locks the transfer ID (its port);
 * packets from any other address or port get ERROR 5 and are ignored.
 * An OACK may lower blksize (a larger one is refused with ERROR 8); a
 * server that ignores options and sends DATA 1 works too. Duplicate DATA
 * is re-ACKed and never delivered twice; only a timeout retransmits the
 * last RRQ/ACK (no answer to duplicates, so no sorcerer's apprentice).
 * Block numbers wrap past 65535 to 0 as tftpd-hpa does. ICMP port
 * unreachable from the server fails at once. Failures send the server an
 * ERROR packet when that makes sense.
 *
 * Failures are codes (enum tftp_err) with the server's address and the
 * specifics as data, for decisions; tftp_error_str() renders them for
 * people, e.g.
 *   "tftp 127.0.0.1:6969: File not found (code 1)"
 *   "tftp 127.0.0.1:6969: no answer after 5 tries"
 *
 * IPv4 only, addresses in host byte order (like net.h). No global state;
 * one struct tftp_xfer per transfer.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFSD_TFTP_CLIENT_H
#define PFSD_TFTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "tftp.h"

#define TFTP_DETAIL_LEN   160     /* enough for every detail text */
#define TFTP_ERR_LEN      (TFTP_DETAIL_LEN + 32) /* tftp_error_str() with the server */

enum tftp_state {
    TFTP_RRQ_SENT,   /* waiting for the first answer (OACK, DATA 1, ERROR) */
    TFTP_RECEIVING,  /* locked onto the server's TID, DATA flowing */
    TFTP_DONE,       /* last block received and ACKed: file complete */
    TFTP_FAILED      /* see tftp_error() */
};

/* Why a transfer failed. Names: tftp_err_name(). */
enum tftp_err {
    TFTP_ERR_NONE = 0,
    TFTP_ERR_REQUEST,      /* the request is invalid: nothing was sent */
    TFTP_ERR_SYSTEM,       /* a system call failed (sys_errno) */
    TFTP_ERR_UNREACHABLE,  /* ICMP from the server's address: nobody serves there */
    TFTP_ERR_TIMEOUT,      /* no answer, or no next DATA, after every try */
    TFTP_ERR_SERVER,       /* the server sent ERROR (tftp_code) */
    TFTP_ERR_OPTION,       /* the server's OACK offers what was not asked */
    TFTP_ERR_TOO_BIG,      /* the file exceeds max_size */
    TFTP_ERR_PROTOCOL,     /* a malformed or unexpected packet from the server */
    TFTP_ERR_SINK,         /* the sink or out_fd refused the bytes (sys_errno) */
};

struct tftp_error {
    enum tftp_err code;
    uint32_t server_ip;            /* host byte order: the server asked */
    uint16_t server_port;
    uint16_t tftp_code;            /* TFTP_ERR_SERVER: the ERROR packet's code */
    int sys_errno;                 /* SYSTEM, SINK, UNREACHABLE: the errno; else 0 */
    char detail[TFTP_DETAIL_LEN];  /* the specifics, without the server:
                                      "File not found (code 1)"; "" for NONE */
};

/*
 * Sink: called with the next bytes of the file, in order. Returns 0, or -1
 * to abort the transfer (set errno: sys_errno and the detail show it).
 */
typedef int tftp_sink_fn(void *arg, const uint8_t *data, size_t len, uint64_t offset);

struct tftp_req {
    uint32_t server_ip;      /* host byte order */
    uint16_t server_port;    /* 69 for a normal server */
    uint32_t local_ip;       /* source address to bind, 0 = any */
    const char *file;        /* remote name, copied; no NUL, fits the RRQ */
    unsigned blksize;        /* wanted (8..65464); 0 = do not ask (512) */
    unsigned timeout_ms;     /* per packet before retransmitting; 0 = 1000;
                                the RRQ waits 1, 2, then 4 x this, each
                                plus 0..50 % of it (a site asking at once) */
    unsigned tries;          /* sends of one packet before giving up, first
                                included; 0 = 5 */
    uint64_t max_size;       /* refuse files larger than this; 0 = no limit */
    tftp_sink_fn *sink;      /* NULL: write to out_fd instead */
    void *sink_arg;
    int out_fd;              /* used when sink is NULL (write(2), in order) */
};

struct tftp_stats {
    uint64_t bytes;          /* file bytes delivered to the sink */
    int64_t tsize;           /* size the server declared, -1 if none */
    unsigned blksize;        /* block size in use (512 until an OACK says) */
    unsigned retransmits;    /* RRQ/ACK packets sent again on timeout */
    unsigned strays;         /* packets from other TIDs (answered ERROR 5) */
    double seconds;          /* from tftp_start to now or to DONE/FAILED */
};

struct tftp_xfer;

/*
 * tftp_start - open a UDP socket, send the RRQ. Returns the transfer (state
 * TFTP_RRQ_SENT), or NULL with err filled (may be NULL) when the request is
 * invalid or a system call failed (nothing to clean up then).
 */
struct tftp_xfer *tftp_start(const struct tftp_req *req, struct tftp_error *err);

/* The non-blocking UDP socket to poll for reading (also POLLERR). */
int tftp_fd(const struct tftp_xfer *x);

/* Process every queued datagram and ICMP error. Call when tftp_fd is readable. */
void tftp_on_readable(struct tftp_xfer *x);

/* Retransmit or fail if the deadline passed; does nothing before it. */
void tftp_on_timer(struct tftp_xfer *x);

/* Milliseconds until the deadline (>= 0), -1 once finished: a poll timeout. */
long tftp_timeout_ms(const struct tftp_xfer *x);

enum tftp_state tftp_state(const struct tftp_xfer *x);

/* Why it failed; code TFTP_ERR_NONE unless TFTP_FAILED. */
const struct tftp_error *tftp_error(const struct tftp_xfer *x);

void tftp_stats(const struct tftp_xfer *x, struct tftp_stats *st);

/* Closes the socket and frees. NULL is fine. A running transfer is just dropped. */
void tftp_free(struct tftp_xfer *x);

/* One word for a code, for logs and JSON: "timeout", "server-error", ... */
const char *tftp_err_name(enum tftp_err code);

/* "tftp 127.0.0.1:69: File not found (code 1)" into out (cap > 0). Returns out. */
const char *tftp_error_str(const struct tftp_error *e, char *out, size_t cap);

#endif
