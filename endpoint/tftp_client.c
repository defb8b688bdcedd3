/*
 * tftp_client.c - non-blocking TFTP read client (see tftp_client.h).
 *
 * One explicit state machine: RRQ_SENT -> RECEIVING -> DONE, any state ->
 * FAILED. Every datagram goes through tftp_parse() (checked lengths)
 * before the state machine looks at it. The client only ever retransmits
 * on its own timer, never in answer to a duplicate: that is what keeps
 * two ends from doubling each other's packets (sorcerer's apprentice).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tftp_client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eventloop.h"
#include "net.h"

#define RX_MAX          (4 + TFTP_BLKSIZE_MAX + 1) /* +1: notice oversize DATA */
#define READ_BURST      64    /* datagrams per tftp_on_readable, so a flood cannot starve the loop */
#define DEF_TIMEOUT_MS  1000
#define DEF_TRIES       5
#define RRQ_BACKOFF_MAX 4     /* the RRQ's wait grows to at most 4 x timeout_ms */

/* An IPv4 address and port, host byte order. */
struct addr {
    uint32_t ip;
    uint16_t port;
};

struct tftp_xfer {
    int fd;
    enum tftp_state state;
    struct addr server;          /* where the RRQ goes */
    struct addr peer;            /* the server's TID once locked */
    int locked;
    struct tftp_error err;

    tftp_sink_fn *sink;
    void *sink_arg;
    int out_fd;

    unsigned blk_asked;          /* 0 when the RRQ did not ask blksize */
    unsigned blksize;            /* in use */
    unsigned timeout_ms;
    unsigned tries_max;
    unsigned tries;              /* sends of the current last[] packet */
    uint32_t jitter_seed;        /* spreads the RRQ's retransmissions (rrq_wait) */
    uint64_t max_size;

    uint64_t bytes;
    uint64_t blocks;             /* DATA blocks delivered */
    int64_t tsize;
    uint16_t last_block;         /* block of the last ACK sent (0: ACK 0 or none) */
    int acked0;                  /* ACK 0 sent (after an OACK) */
    unsigned retransmits;
    unsigned strays;

    int64_t deadline;            /* el_now_ms() clock */
    int64_t t_start;
    int64_t t_end;               /* -1 while running */

    uint8_t last[TFTP_REQ_MAX];  /* last RRQ or ACK, resent on timeout */
    size_t last_len;
    uint8_t rx[RX_MAX];
};

/* ---- errors ---- */

static const char *const err_names[] = {
    [TFTP_ERR_NONE] = "none",          [TFTP_ERR_REQUEST] = "bad-request",
    [TFTP_ERR_SYSTEM] = "system",      [TFTP_ERR_UNREACHABLE] = "unreachable",
    [TFTP_ERR_TIMEOUT] = "timeout",    [TFTP_ERR_SERVER] = "server-error",
    [TFTP_ERR_OPTION] = "option",      [TFTP_ERR_TOO_BIG] = "too-big",
    [TFTP_ERR_PROTOCOL] = "protocol",  [TFTP_ERR_SINK] = "write",
};

const char *tftp_err_name(enum tftp_err code)
{
    if ((unsigned)code < sizeof err_names / sizeof err_names[0] && err_names[code])
        return err_names[code];
    return "unknown";
}

const char *tftp_error_str(const struct tftp_error *e, char *out, size_t cap)
{
    char ip[16];
    snprintf(out, cap, "tftp %s:%u: %s", net_ntoa(e->server_ip, ip), e->server_port, e->detail);
    return out;
}

static void set_error(struct tftp_error *e, const struct tftp_req *rq, enum tftp_err code,
                      int sys_errno, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void set_error(struct tftp_error *e, const struct tftp_req *rq, enum tftp_err code,
                      int sys_errno, const char *fmt, ...)
{
    va_list ap;
    if (!e)
        return;
    memset(e, 0, sizeof *e);
    e->code = code;
    e->server_ip = rq->server_ip;
    e->server_port = rq->server_port;
    e->sys_errno = sys_errno;
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof e->detail, fmt, ap);
    va_end(ap);
}

static int active(const struct tftp_xfer *x)
{
    return x->state == TFTP_RRQ_SENT || x->state == TFTP_RECEIVING;
}

/* Ends the transfer with code; the detail says what happened. */
static void fail(struct tftp_xfer *x, enum tftp_err code, int sys_errno, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail(struct tftp_xfer *x, enum tftp_err code, int sys_errno, const char *fmt, ...)
{
    va_list ap;
    x->err.code = code;
    x->err.sys_errno = sys_errno;
    va_start(ap, fmt);
    vsnprintf(x->err.detail, sizeof x->err.detail, fmt, ap);
    va_end(ap);
    x->state = TFTP_FAILED;
    x->t_end = el_now_ms();
}

/* ---- sending ---- */

static int same_addr(struct addr a, struct addr b)
{
    return a.ip == b.ip && a.port == b.port;
}

static struct addr dest(const struct tftp_xfer *x)
{
    return x->locked ? x->peer : x->server;
}

static void drain_icmp(struct tftp_xfer *x);

static int send_raw(struct tftp_xfer *x, struct addr to, const uint8_t *buf, size_t len)
{
    for (int again = 0; again < 2; again++) {
        if (net_udp_send(NULL, x->fd, to.ip, to.port, buf, len) >= 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
            return 0; /* counts as a lost packet: the timer resends it */
        /* A pending ICMP error is reported here instead of sending: find
           out whether it was about the server, then try once more. */
        if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH ||
            errno == EHOSTDOWN) {
            drain_icmp(x);
            if (!active(x))
                return -1;
            continue;
        }
        fail(x, TFTP_ERR_SYSTEM, errno, "sendto: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* Remember pkt as the one to retransmit and send it. */
static void send_tracked(struct tftp_xfer *x, const uint8_t *pkt, size_t len)
{
    memcpy(x->last, pkt, len);
    x->last_len = len;
    x->tries = 1;
    x->deadline = el_now_ms() + x->timeout_ms;
    send_raw(x, dest(x), x->last, x->last_len);
}

static void send_ack(struct tftp_xfer *x, uint16_t block)
{
    uint8_t pkt[4];
    if (tftp_build_ack(pkt, sizeof pkt, block) == 4)
        send_tracked(x, pkt, 4);
}

static void send_error(struct tftp_xfer *x, struct addr to, uint16_t code, const char *msg)
{
    uint8_t pkt[5 + TFTP_MSG_MAX];
    long n = tftp_build_error(pkt, sizeof pkt, code, msg);
    /* Best effort: the transfer is ending or the packet was a stray. */
    if (n > 0)
        (void)net_udp_send(NULL, x->fd, to.ip, to.port, pkt, (size_t)n);
}

/* ---- ICMP errors (IP_RECVERR) ---- */

static int about_server(const struct tftp_xfer *x, struct addr dst)
{
    if (dst.ip != x->server.ip)
        return 0;
    return dst.port == x->server.port || (x->locked && dst.port == x->peer.port);
}

/* Read every queued ICMP error; only errors about the server end the transfer. */
static void drain_icmp(struct tftp_xfer *x)
{
    struct addr dst;
    int e;
    for (int i = 0; i < READ_BURST && active(x); i++) {
        if (net_udp_icmp(x->fd, &dst.ip, &dst.port, &e) != NET_OK)
            return;
        if (!about_server(x, dst))
            continue; /* e.g. a stray we sent ERROR 5 to is gone: not our problem */
        /* Short enough for a log's reason field (31 characters). */
        if (e == ECONNREFUSED)
            fail(x, TFTP_ERR_UNREACHABLE, e, "port %u unreachable (ICMP)", dst.port);
        else
            fail(x, TFTP_ERR_UNREACHABLE, e, "%s (ICMP)", strerror(e));
    }
}

/* ---- receiving ---- */

static int deliver(struct tftp_xfer *x, const uint8_t *data, size_t len)
{
    size_t done = 0;
    if (x->sink)
        return len ? x->sink(x->sink_arg, data, len, x->bytes) : 0;
    while (done < len) {
        ssize_t n = write(x->out_fd, data + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}

static void abort_xfer(struct tftp_xfer *x, uint16_t code, const char *tftp_msg)
{
    send_error(x, dest(x), code, tftp_msg);
}

static void on_oack(struct tftp_xfer *x, const struct tftp_pkt *p)
{
    if (x->state != TFTP_RRQ_SENT) {
        /* Our ACK 0 was lost and the server repeats its OACK. */
        if (x->acked0 && x->blocks == 0)
            send_raw(x, dest(x), x->last, x->last_len);
        return;
    }
    if (p->blksize && (!x->blk_asked || (unsigned long)p->blksize > x->blk_asked)) {
        abort_xfer(x, TFTP_E_OPTION, "blksize refused");
        fail(x, TFTP_ERR_OPTION, 0, "server offers blksize %ld, asked %u", p->blksize,
             x->blk_asked);
        return;
    }
    if (p->blksize)
        x->blksize = (unsigned)p->blksize;
    if (p->tsize >= 0) {
        x->tsize = p->tsize;
        if (x->max_size && (uint64_t)p->tsize > x->max_size) {
            abort_xfer(x, TFTP_E_OPTION, "file too large");
            fail(x, TFTP_ERR_TOO_BIG, 0, "file size %lld over the limit %llu",
                 (long long)p->tsize, (unsigned long long)x->max_size);
            return;
        }
    }
    x->state = TFTP_RECEIVING;
    x->acked0 = 1;
    x->last_block = 0;
    send_ack(x, 0);
}

static void new_block(struct tftp_xfer *x, const struct tftp_pkt *p)
{
    if (p->len > x->blksize) {
        abort_xfer(x, TFTP_E_ILLEGAL, "block too large");
        fail(x, TFTP_ERR_PROTOCOL, 0, "DATA block %u has %zu bytes, blksize is %u", p->block,
             p->len, x->blksize);
        return;
    }
    if (x->max_size && x->bytes + p->len > x->max_size) {
        abort_xfer(x, TFTP_E_DISKFULL, "file too large");
        fail(x, TFTP_ERR_TOO_BIG, 0, "file exceeds the limit of %llu bytes",
             (unsigned long long)x->max_size);
        return;
    }
    if (deliver(x, p->data, p->len) != 0) {
        int e = errno;
        abort_xfer(x, TFTP_E_DISKFULL, "write failed");
        fail(x, TFTP_ERR_SINK, e, "write failed: %s", strerror(e));
        return;
    }
    x->bytes += p->len;
    x->blocks++;
    x->last_block = p->block;
    send_ack(x, p->block);
    if (p->len < x->blksize) { /* the file is whole, even if that last ACK was lost */
        x->state = TFTP_DONE;
        x->t_end = el_now_ms();
    }
}

static void on_data(struct tftp_xfer *x, const struct tftp_pkt *p)
{
    if (x->state == TFTP_RRQ_SENT) {
        if (p->block != 1) {
            abort_xfer(x, TFTP_E_ILLEGAL, "expected block 1");
            fail(x, TFTP_ERR_PROTOCOL, 0, "first DATA is block %u, not 1", p->block);
            return;
        }
        /* The server ignored our options (RFC 2347): plain RFC 1350. */
        x->blksize = TFTP_BLKSIZE_DEF;
        x->state = TFTP_RECEIVING;
    }
    if (p->block == tftp_block_next(x->last_block)) {
        new_block(x, p);
        return;
    }
    /* Our ACK was lost and the server resent: ACK again, deliver nothing.
       Older blocks are delayed copies and are ignored. */
    if (p->block == x->last_block && (x->blocks > 0 || x->acked0))
        send_raw(x, dest(x), x->last, x->last_len);
}

static void on_stray(struct tftp_xfer *x, struct addr from)
{
    x->strays++;
    send_error(x, from, TFTP_E_BADTID, "Unknown transfer ID");
}

static int from_server(const struct tftp_xfer *x, struct addr from)
{
    if (x->locked)
        return same_addr(from, x->peer);
    return from.ip == x->server.ip;
}

static void on_error_pkt(struct tftp_xfer *x, const struct tftp_pkt *p)
{
    fail(x, TFTP_ERR_SERVER, 0, "%s (code %u)", p->msg[0] ? p->msg : tftp_ecode_name(p->code),
         p->code);
    x->err.tftp_code = p->code;
}

static void on_datagram(struct tftp_xfer *x, struct addr from, size_t n)
{
    struct tftp_pkt p;
    char why[96];
    if (!from_server(x, from)) {
        on_stray(x, from);
        return;
    }
    if (!x->locked) {
        x->peer = from;
        x->locked = 1;
    }
    if (tftp_parse(x->rx, n, &p, why, sizeof why) != 0) {
        abort_xfer(x, TFTP_E_ILLEGAL, "malformed packet");
        fail(x, TFTP_ERR_PROTOCOL, 0, "malformed packet: %s", why);
        return;
    }
    switch (p.op) {
    case TFTP_OP_ERROR: on_error_pkt(x, &p); break;
    case TFTP_OP_OACK:  on_oack(x, &p); break;
    case TFTP_OP_DATA:  on_data(x, &p); break;
    default:
        abort_xfer(x, TFTP_E_ILLEGAL, "unexpected opcode");
        fail(x, TFTP_ERR_PROTOCOL, 0, "unexpected opcode %u from the server", p.op);
        break;
    }
}

static int transient_recv_errno(int e)
{
    /* With IP_RECVERR an ICMP error surfaces once on recvfrom as well; the
       error queue says whom it was about. */
    return e == EINTR || e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH ||
           e == EHOSTDOWN;
}

void tftp_on_readable(struct tftp_xfer *x)
{
    for (int i = 0; i < READ_BURST && active(x); i++) {
        struct addr from;
        ssize_t n;
        drain_icmp(x);
        if (!active(x))
            break;
        n = net_udp_recv(NULL, x->fd, x->rx, sizeof x->rx, &from.ip, &from.port);
        if (n == NET_AGAIN)
            break;
        if (n < 0) {
            if (transient_recv_errno(errno))
                continue;
            fail(x, TFTP_ERR_SYSTEM, errno, "recvfrom: %s", strerror(errno));
            break;
        }
        on_datagram(x, from, (size_t)n);
    }
    if (active(x))
        drain_icmp(x);
}

/*
 * The wait after the RRQ's x->tries-th send. A server that forks per
 * request (in.tftpd) drops requests when a whole site asks at once; if
 * every client then retried after the same timeout they would all arrive
 * together again. So the wait doubles up to RRQ_BACKOFF_MAX x timeout_ms
 * and each client adds its own 0..50 %. Once the server answered, ACKs
 * are resent after timeout_ms: the transfer has its own server process.
 */
static unsigned rrq_wait(struct tftp_xfer *x)
{
    unsigned mult = x->tries < 3 ? 1u << (x->tries - 1) : RRQ_BACKOFF_MAX;
    uint32_t h = x->jitter_seed + x->tries * 0x9e3779b9u;
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    return x->timeout_ms * mult + (unsigned)(h % (x->timeout_ms / 2 + 1));
}

void tftp_on_timer(struct tftp_xfer *x)
{
    int64_t now;
    if (!active(x))
        return;
    now = el_now_ms();
    if (now < x->deadline)
        return;
    if (x->tries >= x->tries_max) {
        if (x->state == TFTP_RRQ_SENT)
            fail(x, TFTP_ERR_TIMEOUT, 0, "no answer after %u tries", x->tries);
        else
            fail(x, TFTP_ERR_TIMEOUT, 0, "no DATA after block %llu (%llu bytes), %u tries",
                 (unsigned long long)x->blocks, (unsigned long long)x->bytes, x->tries);
        return;
    }
    x->tries++;
    x->retransmits++;
    x->deadline = now + (x->state == TFTP_RRQ_SENT ? rrq_wait(x) : x->timeout_ms);
    send_raw(x, dest(x), x->last, x->last_len);
}

/* ---- lifecycle ---- */

static int check_req(const struct tftp_req *rq, struct tftp_error *err)
{
    if (!rq->file || !rq->file[0]) {
        set_error(err, rq, TFTP_ERR_REQUEST, 0, "empty file name");
        return -1;
    }
    if (rq->blksize && (rq->blksize < TFTP_BLKSIZE_MIN || rq->blksize > TFTP_BLKSIZE_MAX)) {
        set_error(err, rq, TFTP_ERR_REQUEST, 0, "blksize %u not in 8..65464", rq->blksize);
        return -1;
    }
    if (!rq->sink && rq->out_fd < 0) {
        set_error(err, rq, TFTP_ERR_REQUEST, 0, "no sink and no output fd");
        return -1;
    }
    if (rq->server_port == 0) {
        set_error(err, rq, TFTP_ERR_REQUEST, 0, "port 0");
        return -1;
    }
    return 0;
}

static void init_xfer(struct tftp_xfer *x, const struct tftp_req *rq)
{
    x->fd = -1;
    x->state = TFTP_RRQ_SENT;
    x->server.ip = rq->server_ip;
    x->server.port = rq->server_port;
    x->err.server_ip = rq->server_ip;
    x->err.server_port = rq->server_port;
    x->sink = rq->sink;
    x->sink_arg = rq->sink_arg;
    x->out_fd = rq->out_fd;
    x->blk_asked = rq->blksize;
    x->blksize = TFTP_BLKSIZE_DEF;
    x->timeout_ms = rq->timeout_ms ? rq->timeout_ms : DEF_TIMEOUT_MS;
    x->tries_max = rq->tries ? rq->tries : DEF_TRIES;
    x->max_size = rq->max_size;
    x->tsize = -1;
    x->t_start = el_now_ms();
    x->t_end = -1;
    /* Differs between the endpoints of a site (own address) and between
       the fetches of one endpoint (start time). */
    x->jitter_seed = rq->local_ip * 2654435761u ^ (uint32_t)x->t_start;
}

struct tftp_xfer *tftp_start(const struct tftp_req *rq, struct tftp_error *err)
{
    struct tftp_xfer *x;
    uint8_t rrq[TFTP_REQ_MAX];
    char why[NET_ERR_LEN];
    long n;

    if (err)
        set_error(err, rq, TFTP_ERR_NONE, 0, "%s", "");
    if (check_req(rq, err) != 0)
        return NULL;
    n = tftp_build_rrq(rrq, sizeof rrq, rq->file, rq->blksize, 1);
    if (n < 0) {
        set_error(err, rq, TFTP_ERR_REQUEST, 0, "file name too long for a request");
        return NULL;
    }
    x = calloc(1, sizeof *x);
    if (!x) {
        set_error(err, rq, TFTP_ERR_SYSTEM, ENOMEM, "out of memory");
        return NULL;
    }
    init_xfer(x, rq);
    x->fd = net_udp_client(why, rq->local_ip);
    if (x->fd < 0) {
        set_error(err, rq, TFTP_ERR_SYSTEM, errno, "%s", why);
        free(x);
        return NULL;
    }
    send_tracked(x, rrq, (size_t)n);
    if (x->state == TFTP_FAILED) {
        if (err)
            *err = x->err;
        tftp_free(x);
        return NULL;
    }
    return x;
}

int tftp_fd(const struct tftp_xfer *x)
{
    return x->fd;
}

long tftp_timeout_ms(const struct tftp_xfer *x)
{
    int64_t left;
    if (!active(x))
        return -1;
    left = x->deadline - el_now_ms();
    return left > 0 ? (long)left : 0;
}

enum tftp_state tftp_state(const struct tftp_xfer *x)
{
    return x->state;
}

const struct tftp_error *tftp_error(const struct tftp_xfer *x)
{
    return &x->err;
}

void tftp_stats(const struct tftp_xfer *x, struct tftp_stats *st)
{
    int64_t end = x->t_end >= 0 ? x->t_end : el_now_ms();
    st->bytes = x->bytes;
    st->tsize = x->tsize;
    st->blksize = x->blksize;
    st->retransmits = x->retransmits;
    st->strays = x->strays;
    st->seconds = (double)(end - x->t_start) / 1e3;
}

void tftp_free(struct tftp_xfer *x)
{
    if (!x)
        return;
    if (x->fd >= 0)
        close(x->fd);
    free(x);
}
