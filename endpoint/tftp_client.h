/*
 * tftp_client.h - a non-blocking TFTP read client for a single-threaded
 * poll loop (RFC 1350 octet mode, RFC 2347 options, RFC 2348 blksize,
 * RFC 2349 tsize).
 *
 * Use from an event loop:
 *
 *     struct tftp_req rq = { .server_ip = ip, .server_port = 69,
 *                            .file = "SCCP41.loads", .blksize = 1428,
 *                            .timeout_ms = 1000, .tries = 5,
 *                            .max_size = PFS_FILE_MAX,
 *                            .sink = my_sink, .sink_arg = ctx };
 *     char err[TFTP_ERR_LEN];
 *     struct tftp_xfer *x = tftp_start(&rq, err, sizeof err);
 *     if (!x) log("%s", err);                 // nothing was sent
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
 * Error strings name the server and the cause, e.g.
 *   "tftp 127.0.0.1:6969: File not found (code 1)"
 *   "tftp 127.0.0.1:6969: no answer after 5 tries"
 *
 * IPv4 only, addresses in host byte order (like net.h). No global state;
 * one struct tftp_xfer per transfer.
 *
 * The packet codec below (tftp_build_*, tftp_parse) is public for tests
 * and fuzzing; callers of the client do not need it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFSD_TFTP_CLIENT_H
#define PFSD_TFTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#define TFTP_ERR_LEN      256     /* enough for every error string */
#define TFTP_BLKSIZE_DEF  512     /* RFC 1350 block size */
#define TFTP_BLKSIZE_MIN  8       /* RFC 2348 range */
#define TFTP_BLKSIZE_MAX  65464
#define TFTP_REQ_MAX      512     /* RFC 2347: a request fits in 512 bytes */

enum tftp_state {
    TFTP_RRQ_SENT,   /* waiting for the first answer (OACK, DATA 1, ERROR) */
    TFTP_RECEIVING,  /* locked onto the server's TID, DATA flowing */
    TFTP_DONE,       /* last block received and ACKed: file complete */
    TFTP_FAILED      /* see tftp_error() */
};

/*
 * Sink: called with the next bytes of the file, in order. Returns 0, or -1
 * to abort the transfer (set errno: the error string shows strerror).
 */
typedef int tftp_sink_fn(void *arg, const uint8_t *data, size_t len, uint64_t offset);

struct tftp_req {
    uint32_t server_ip;      /* host byte order */
    uint16_t server_port;    /* 69 for a normal server */
    uint32_t local_ip;       /* source address to bind, 0 = any */
    const char *file;        /* remote name, copied; no NUL, fits the RRQ */
    unsigned blksize;        /* wanted (8..65464); 0 = do not ask (512) */
    unsigned timeout_ms;     /* per packet before retransmitting; 0 = 1000 */
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
 * TFTP_RRQ_SENT), or NULL with one line in err when the request is invalid
 * or a system call failed (nothing to clean up then).
 */
struct tftp_xfer *tftp_start(const struct tftp_req *req, char *err, size_t errlen);

/* The non-blocking UDP socket to poll for reading (also POLLERR). */
int tftp_fd(const struct tftp_xfer *x);

/* Process every queued datagram and ICMP error. Call when tftp_fd is readable. */
void tftp_on_readable(struct tftp_xfer *x);

/* Retransmit or fail if the deadline passed; does nothing before it. */
void tftp_on_timer(struct tftp_xfer *x);

/* Absolute deadline (CLOCK_MONOTONIC ms, see tftp_now_ms), -1 once finished. */
int64_t tftp_deadline(const struct tftp_xfer *x);

/* Milliseconds until the deadline (>= 0), -1 once finished: a poll timeout. */
long tftp_timeout_ms(const struct tftp_xfer *x);

enum tftp_state tftp_state(const struct tftp_xfer *x);

/* Why it failed ("tftp 10.0.0.1:69: ..."); "" unless TFTP_FAILED. */
const char *tftp_error(const struct tftp_xfer *x);

void tftp_stats(const struct tftp_xfer *x, struct tftp_stats *st);

/* Closes the socket and frees. NULL is fine. A running transfer is just dropped. */
void tftp_free(struct tftp_xfer *x);

/* Name of a state ("RRQ_SENT"). */
const char *tftp_state_name(enum tftp_state s);

/* CLOCK_MONOTONIC in milliseconds, the clock of tftp_deadline. */
int64_t tftp_now_ms(void);

/*
 * tftp_fetch - blocking convenience: start, poll until done, free.
 * Returns 0 when the whole file was delivered, -1 with err filled
 * otherwise. st (may be NULL) gets the final counters either way.
 */
int tftp_fetch(const struct tftp_req *req, struct tftp_stats *st, char *err, size_t errlen);

/* ---- packet codec (tests and fuzzing) ---- */

enum tftp_op {
    TFTP_OP_RRQ = 1, TFTP_OP_WRQ = 2, TFTP_OP_DATA = 3,
    TFTP_OP_ACK = 4, TFTP_OP_ERROR = 5, TFTP_OP_OACK = 6
};

enum tftp_ecode {           /* ERROR codes, RFC 1350 + RFC 2347 */
    TFTP_E_UNDEF = 0, TFTP_E_NOTFOUND = 1, TFTP_E_ACCESS = 2,
    TFTP_E_DISKFULL = 3, TFTP_E_ILLEGAL = 4, TFTP_E_BADTID = 5,
    TFTP_E_EXISTS = 6, TFTP_E_NOUSER = 7, TFTP_E_OPTION = 8
};

#define TFTP_MSG_MAX 128    /* ERROR text kept, sanitised to printable ASCII */

/* One decoded packet. Pointers point into the parsed buffer. */
struct tftp_pkt {
    uint16_t op;             /* enum tftp_op */
    uint16_t block;          /* DATA, ACK */
    const uint8_t *data;     /* DATA payload */
    size_t len;              /* DATA payload length */
    uint16_t code;           /* ERROR code */
    char msg[TFTP_MSG_MAX];  /* ERROR text, NUL-terminated */
    long blksize;            /* OACK blksize, 0 when absent */
    int64_t tsize;           /* OACK tsize, -1 when absent */
};

/*
 * tftp_build_rrq - RRQ for file in octet mode with "blksize N" when
 * blksize != 0 and "tsize 0" when want_tsize. Returns the length, or -1
 * when file is empty or the packet would not fit cap or TFTP_REQ_MAX.
 */
long tftp_build_rrq(uint8_t *out, size_t cap, const char *file, unsigned blksize,
                    int want_tsize);
long tftp_build_ack(uint8_t *out, size_t cap, uint16_t block);
/* msg is cut to fit TFTP_MSG_MAX. */
long tftp_build_error(uint8_t *out, size_t cap, uint16_t code, const char *msg);

/*
 * tftp_parse - decode a packet a client may receive (DATA, ERROR, OACK;
 * the others decode their opcode and block only). Every length is checked.
 * OACK: option names are case-insensitive; only blksize (8..65464) and
 * tsize (decimal) are accepted, each once, values decimal digits only.
 * Returns 0, or -1 with a short reason in why ("truncated OACK").
 */
int tftp_parse(const uint8_t *buf, size_t len, struct tftp_pkt *p, char *why, size_t whylen);

/*
 * The block that follows b: 65535 is followed by 0 (tftpd-hpa wraps to 0,
 * not 1), so files over 65535 blocks keep going.
 */
uint16_t tftp_block_next(uint16_t b);

/* Standard text for an ERROR code ("File not found"), "Unknown error" else. */
const char *tftp_ecode_name(unsigned code);

#endif
