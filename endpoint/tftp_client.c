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

#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RX_MAX          (4 + TFTP_BLKSIZE_MAX + 1) /* +1: notice oversize DATA */
#define READ_BURST      64    /* datagrams per tftp_on_readable, so a flood cannot starve the loop */
#define DEF_TIMEOUT_MS  1000
#define DEF_TRIES       5

struct tftp_xfer {
    int fd;
    enum tftp_state state;
    struct sockaddr_in server;   /* where the RRQ goes */
    struct sockaddr_in peer;     /* the server's TID once locked */
    int locked;
    char tag[40];                /* "tftp 127.0.0.1:69" prefix of every error */
    char err[TFTP_ERR_LEN];

    tftp_sink_fn *sink;
    void *sink_arg;
    int out_fd;

    unsigned blk_asked;          /* 0 when the RRQ did not ask blksize */
    unsigned blksize;            /* in use */
    unsigned timeout_ms;
    unsigned tries_max;
    unsigned tries;              /* sends of the current last[] packet */
    uint64_t max_size;

    uint64_t bytes;
    uint64_t blocks;             /* DATA blocks delivered */
    int64_t tsize;
    uint16_t last_block;         /* block of the last ACK sent (0: ACK 0 or none) */
    int acked0;                  /* ACK 0 sent (after an OACK) */
    unsigned retransmits;
    unsigned strays;

    int64_t deadline;            /* ms, CLOCK_MONOTONIC */
    int64_t t_start_us;
    int64_t t_end_us;            /* 0 while running */

    uint8_t last[TFTP_REQ_MAX];  /* last RRQ or ACK, resent on timeout */
    size_t last_len;
    uint8_t rx[RX_MAX];
};

/* ---- small helpers ---- */

static int64_t now_us(void)
{
    struct timespec ts;
    /* CLOCK_MONOTONIC cannot fail with a valid clock id; keep 0 if it does. */
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t tftp_now_ms(void)
{
    return now_us() / 1000;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static int active(const struct tftp_xfer *x)
{
    return x->state == TFTP_RRQ_SENT || x->state == TFTP_RECEIVING;
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void fail(struct tftp_xfer *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fail(struct tftp_xfer *x, const char *fmt, ...)
{
    char why[TFTP_ERR_LEN - 48]; /* room for the tag in x->err */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(x->err, sizeof x->err, "%s: %s", x->tag, why);
    x->state = TFTP_FAILED;
    x->t_end_us = now_us();
}

const char *tftp_state_name(enum tftp_state s)
{
    switch (s) {
    case TFTP_RRQ_SENT: return "RRQ_SENT";
    case TFTP_RECEIVING: return "RECEIVING";
    case TFTP_DONE: return "DONE";
    case TFTP_FAILED: return "FAILED";
    }
    return "?";
}

const char *tftp_ecode_name(unsigned code)
{
    static const char *const names[] = {
        "Not defined", "File not found", "Access violation",
        "Disk full or allocation exceeded", "Illegal TFTP operation",
        "Unknown transfer ID", "File already exists", "No such user",
        "Option negotiation refused",
    };
    if (code < sizeof names / sizeof names[0])
        return names[code];
    return "Unknown error";
}

uint16_t tftp_block_next(uint16_t b)
{
    /* Unsigned 16-bit wrap: 65535 + 1 == 0, which is what tftpd-hpa sends. */
    return (uint16_t)(b + 1u);
}

/* ---- packet building ---- */

static long put_str(uint8_t *out, size_t cap, size_t off, const char *s)
{
    size_t n = strlen(s) + 1;
    if (off > cap || cap - off < n)
        return -1;
    memcpy(out + off, s, n);
    return (long)(off + n);
}

long tftp_build_rrq(uint8_t *out, size_t cap, const char *file, unsigned blksize,
                    int want_tsize)
{
    char num[16];
    long off;
    if (!file || !file[0] || cap < 2)
        return -1;
    if (cap > TFTP_REQ_MAX)
        cap = TFTP_REQ_MAX;
    put16(out, TFTP_OP_RRQ);
    off = put_str(out, cap, 2, file);
    if (off >= 0)
        off = put_str(out, cap, (size_t)off, "octet");
    if (off >= 0 && blksize) {
        snprintf(num, sizeof num, "%u", blksize);
        off = put_str(out, cap, (size_t)off, "blksize");
        if (off >= 0)
            off = put_str(out, cap, (size_t)off, num);
    }
    if (off >= 0 && want_tsize) {
        off = put_str(out, cap, (size_t)off, "tsize");
        if (off >= 0)
            off = put_str(out, cap, (size_t)off, "0");
    }
    return off;
}

long tftp_build_ack(uint8_t *out, size_t cap, uint16_t block)
{
    if (cap < 4)
        return -1;
    put16(out, TFTP_OP_ACK);
    put16(out + 2, block);
    return 4;
}

long tftp_build_error(uint8_t *out, size_t cap, uint16_t code, const char *msg)
{
    size_t n = msg ? strnlen(msg, TFTP_MSG_MAX - 1) : 0;
    if (cap < 5 + n)
        return -1;
    put16(out, TFTP_OP_ERROR);
    put16(out + 2, code);
    if (n)
        memcpy(out + 4, msg, n);
    out[4 + n] = 0;
    return (long)(5 + n);
}

/* ---- packet parsing ---- */

/* Decimal digits only, no sign, no overflow past max. */
static int parse_dec(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        unsigned d;
        if (*s < '0' || *s > '9')
            return -1;
        d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Copy at most cap-1 bytes of s (length n) as printable ASCII. */
static void sanitize(char *dst, size_t cap, const uint8_t *s, size_t n)
{
    size_t i;
    if (n > cap - 1)
        n = cap - 1;
    for (i = 0; i < n; i++)
        dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
    dst[n] = 0;
}

/* The NUL-terminated string at buf[off..len), or NULL when unterminated. */
static const char *cstr_at(const uint8_t *buf, size_t len, size_t off, size_t *next)
{
    const uint8_t *nul;
    if (off >= len)
        return NULL;
    nul = memchr(buf + off, 0, len - off);
    if (!nul)
        return NULL;
    *next = (size_t)(nul - buf) + 1;
    return (const char *)(buf + off);
}

static int oack_option(struct tftp_pkt *p, const char *name, const char *val, char *why,
                       size_t whylen)
{
    uint64_t v;
    char shown[32];
    if (strcasecmp(name, "blksize") == 0) {
        if (p->blksize)
            return seterr(why, whylen, "OACK repeats blksize"), -1;
        if (parse_dec(val, TFTP_BLKSIZE_MAX, &v) != 0 || v < TFTP_BLKSIZE_MIN)
            return seterr(why, whylen, "OACK blksize not 8..65464"), -1;
        p->blksize = (long)v;
        return 0;
    }
    if (strcasecmp(name, "tsize") == 0) {
        if (p->tsize >= 0)
            return seterr(why, whylen, "OACK repeats tsize"), -1;
        if (parse_dec(val, (uint64_t)INT64_MAX, &v) != 0)
            return seterr(why, whylen, "OACK tsize not a number"), -1;
        p->tsize = (int64_t)v;
        return 0;
    }
    sanitize(shown, sizeof shown, (const uint8_t *)name, strlen(name));
    seterr(why, whylen, "OACK has unrequested option '%s'", shown);
    return -1;
}

static int parse_oack(const uint8_t *buf, size_t len, struct tftp_pkt *p, char *why,
                      size_t whylen)
{
    size_t off = 2;
    if (len == 2)
        return seterr(why, whylen, "empty OACK"), -1;
    while (off < len) {
        size_t voff, next;
        const char *name = cstr_at(buf, len, off, &voff);
        const char *val;
        if (!name)
            return seterr(why, whylen, "truncated OACK option name"), -1;
        if (!name[0])
            return seterr(why, whylen, "empty OACK option name"), -1;
        val = cstr_at(buf, len, voff, &next);
        if (!val)
            return seterr(why, whylen, "truncated OACK option value"), -1;
        if (oack_option(p, name, val, why, whylen) != 0)
            return -1;
        off = next;
    }
    return 0;
}

static void parse_error_pkt(const uint8_t *buf, size_t len, struct tftp_pkt *p)
{
    const uint8_t *nul = memchr(buf + 4, 0, len - 4);
    size_t n = nul ? (size_t)(nul - (buf + 4)) : len - 4;
    p->code = get16(buf + 2);
    /* A missing NUL is tolerated: the text is still bounded by len. */
    sanitize(p->msg, sizeof p->msg, buf + 4, n);
}

int tftp_parse(const uint8_t *buf, size_t len, struct tftp_pkt *p, char *why, size_t whylen)
{
    memset(p, 0, sizeof *p);
    p->tsize = -1;
    if (len < 2)
        return seterr(why, whylen, "truncated packet (%zu bytes)", len), -1;
    p->op = get16(buf);
    switch (p->op) {
    case TFTP_OP_RRQ:
    case TFTP_OP_WRQ:
        return 0;
    case TFTP_OP_DATA:
    case TFTP_OP_ACK:
        if (len < 4)
            return seterr(why, whylen, "truncated %s", p->op == TFTP_OP_DATA ? "DATA" : "ACK"),
                   -1;
        p->block = get16(buf + 2);
        if (p->op == TFTP_OP_DATA) {
            p->data = buf + 4;
            p->len = len - 4;
        }
        return 0;
    case TFTP_OP_ERROR:
        if (len < 4)
            return seterr(why, whylen, "truncated ERROR"), -1;
        parse_error_pkt(buf, len, p);
        return 0;
    case TFTP_OP_OACK:
        return parse_oack(buf, len, p, why, whylen);
    default:
        return seterr(why, whylen, "unknown opcode %u", p->op), -1;
    }
}

/* ---- sending ---- */

static int same_addr(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
    return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

static void drain_errqueue(struct tftp_xfer *x);

static int send_raw(struct tftp_xfer *x, const struct sockaddr_in *to, const uint8_t *buf,
                    size_t len)
{
    int again;
    for (again = 0; again < 2; again++) {
        if (sendto(x->fd, buf, len, 0, (const struct sockaddr *)to, sizeof *to) >= 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
            return 0; /* counts as a lost packet: the timer resends it */
        /* A pending ICMP error is reported here instead of sending: find
           out whether it was about the server, then try once more. */
        if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH ||
            errno == EHOSTDOWN) {
            drain_errqueue(x);
            if (!active(x))
                return -1;
            continue;
        }
        fail(x, "sendto: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static const struct sockaddr_in *dest(const struct tftp_xfer *x)
{
    return x->locked ? &x->peer : &x->server;
}

/* Remember pkt as the one to retransmit and send it. */
static void send_tracked(struct tftp_xfer *x, const uint8_t *pkt, size_t len)
{
    memcpy(x->last, pkt, len);
    x->last_len = len;
    x->tries = 1;
    x->deadline = tftp_now_ms() + x->timeout_ms;
    send_raw(x, dest(x), x->last, x->last_len);
}

static void send_ack(struct tftp_xfer *x, uint16_t block)
{
    uint8_t pkt[4];
    if (tftp_build_ack(pkt, sizeof pkt, block) == 4)
        send_tracked(x, pkt, 4);
}

static void send_error(struct tftp_xfer *x, const struct sockaddr_in *to, uint16_t code,
                       const char *msg)
{
    uint8_t pkt[5 + TFTP_MSG_MAX];
    long n = tftp_build_error(pkt, sizeof pkt, code, msg);
    /* Best effort: the transfer is ending or the packet was a stray. */
    if (n > 0)
        (void)sendto(x->fd, pkt, (size_t)n, 0, (const struct sockaddr *)to, sizeof *to);
}

/* ---- ICMP errors (IP_RECVERR) ---- */

static int about_server(const struct tftp_xfer *x, const struct sockaddr_in *dst)
{
    if (dst->sin_addr.s_addr != x->server.sin_addr.s_addr)
        return 0;
    return dst->sin_port == x->server.sin_port || (x->locked && dst->sin_port == x->peer.sin_port);
}

static void icmp_error(struct tftp_xfer *x, const struct sockaddr_in *dst,
                       const struct sock_extended_err *ee)
{
    if (ee->ee_origin != SO_EE_ORIGIN_ICMP || !about_server(x, dst))
        return; /* e.g. a stray we sent ERROR 5 to is gone: not our problem */
    if (ee->ee_errno == ECONNREFUSED)
        fail(x, "port %u unreachable (ICMP): no TFTP server there", ntohs(dst->sin_port));
    else
        fail(x, "%s (ICMP)", strerror((int)ee->ee_errno));
}

/* Read every queued ICMP error; only errors about the server end the transfer. */
static void drain_errqueue(struct tftp_xfer *x)
{
    int i;
    for (i = 0; i < READ_BURST && active(x); i++) {
        struct sockaddr_in dst;
        union {
            char buf[CMSG_SPACE(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in))];
            struct cmsghdr align;
        } ctl;
        uint8_t body[64];
        struct iovec iov = {body, sizeof body};
        struct msghdr msg;
        struct cmsghdr *c;
        memset(&msg, 0, sizeof msg);
        memset(&dst, 0, sizeof dst);
        msg.msg_name = &dst;
        msg.msg_namelen = sizeof dst;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = ctl.buf;
        msg.msg_controllen = sizeof ctl.buf;
        if (recvmsg(x->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
            return;
        for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR &&
                c->cmsg_len >= CMSG_LEN(sizeof(struct sock_extended_err))) {
                struct sock_extended_err ee;
                memcpy(&ee, CMSG_DATA(c), sizeof ee);
                icmp_error(x, &dst, &ee);
            }
        }
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
        fail(x, "server offers blksize %ld, asked %u", p->blksize, x->blk_asked);
        return;
    }
    if (p->blksize)
        x->blksize = (unsigned)p->blksize;
    if (p->tsize >= 0) {
        x->tsize = p->tsize;
        if (x->max_size && (uint64_t)p->tsize > x->max_size) {
            abort_xfer(x, TFTP_E_OPTION, "file too large");
            fail(x, "file size %lld over the limit %llu", (long long)p->tsize,
                 (unsigned long long)x->max_size);
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
        fail(x, "DATA block %u has %zu bytes, blksize is %u", p->block, p->len, x->blksize);
        return;
    }
    if (x->max_size && x->bytes + p->len > x->max_size) {
        abort_xfer(x, TFTP_E_DISKFULL, "file too large");
        fail(x, "file exceeds the limit of %llu bytes", (unsigned long long)x->max_size);
        return;
    }
    if (deliver(x, p->data, p->len) != 0) {
        int e = errno;
        abort_xfer(x, TFTP_E_DISKFULL, "write failed");
        fail(x, "write failed: %s", strerror(e));
        return;
    }
    x->bytes += p->len;
    x->blocks++;
    x->last_block = p->block;
    send_ack(x, p->block);
    if (p->len < x->blksize) {
        x->state = TFTP_DONE;
        x->t_end_us = now_us();
    }
}

static void on_data(struct tftp_xfer *x, const struct tftp_pkt *p)
{
    if (x->state == TFTP_RRQ_SENT) {
        if (p->block != 1) {
            abort_xfer(x, TFTP_E_ILLEGAL, "expected block 1");
            fail(x, "first DATA is block %u, not 1", p->block);
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

static void on_stray(struct tftp_xfer *x, const struct sockaddr_in *from)
{
    x->strays++;
    send_error(x, from, TFTP_E_BADTID, "Unknown transfer ID");
}

static int from_server(const struct tftp_xfer *x, const struct sockaddr_in *from)
{
    if (x->locked)
        return same_addr(from, &x->peer);
    return from->sin_addr.s_addr == x->server.sin_addr.s_addr;
}

static void on_error_pkt(struct tftp_xfer *x, const struct tftp_pkt *p)
{
    if (p->msg[0])
        fail(x, "%s (code %u)", p->msg, p->code);
    else
        fail(x, "%s (code %u)", tftp_ecode_name(p->code), p->code);
}

static void on_datagram(struct tftp_xfer *x, const struct sockaddr_in *from, size_t n)
{
    struct tftp_pkt p;
    char why[96];
    if (!from_server(x, from)) {
        on_stray(x, from);
        return;
    }
    if (!x->locked) {
        x->peer = *from;
        x->locked = 1;
    }
    if (tftp_parse(x->rx, n, &p, why, sizeof why) != 0) {
        abort_xfer(x, TFTP_E_ILLEGAL, "malformed packet");
        fail(x, "malformed packet: %s", why);
        return;
    }
    switch (p.op) {
    case TFTP_OP_ERROR: on_error_pkt(x, &p); break;
    case TFTP_OP_OACK:  on_oack(x, &p); break;
    case TFTP_OP_DATA:  on_data(x, &p); break;
    default:
        abort_xfer(x, TFTP_E_ILLEGAL, "unexpected opcode");
        fail(x, "unexpected opcode %u from the server", p.op);
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
    int i;
    for (i = 0; i < READ_BURST && active(x); i++) {
        struct sockaddr_in from;
        socklen_t flen = sizeof from;
        ssize_t n;
        drain_errqueue(x);
        if (!active(x))
            break;
        n = recvfrom(x->fd, x->rx, sizeof x->rx, 0, (struct sockaddr *)&from, &flen);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (transient_recv_errno(errno))
                continue;
            fail(x, "recvfrom: %s", strerror(errno));
            break;
        }
        if (flen < sizeof from || from.sin_family != AF_INET)
            continue;
        on_datagram(x, &from, (size_t)n);
    }
    if (active(x))
        drain_errqueue(x);
}

void tftp_on_timer(struct tftp_xfer *x)
{
    int64_t now;
    if (!active(x))
        return;
    now = tftp_now_ms();
    if (now < x->deadline)
        return;
    if (x->tries >= x->tries_max) {
        if (x->state == TFTP_RRQ_SENT)
            fail(x, "no answer after %u tries", x->tries);
        else
            fail(x, "no DATA after block %llu (%llu bytes), %u tries",
                 (unsigned long long)x->blocks, (unsigned long long)x->bytes, x->tries);
        return;
    }
    x->tries++;
    x->retransmits++;
    x->deadline = now + x->timeout_ms;
    send_raw(x, dest(x), x->last, x->last_len);
}

/* ---- lifecycle ---- */

static int open_socket(const struct tftp_req *rq, char *err, size_t errlen, const char *tag)
{
    int one = 1;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        seterr(err, errlen, "%s: socket: %s", tag, strerror(errno));
        return -1;
    }
    /* Without IP_RECVERR an unconnected UDP socket never hears of ICMP port
       unreachable, and a missing server would cost every retry. */
    if (setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof one) != 0) {
        seterr(err, errlen, "%s: IP_RECVERR: %s", tag, strerror(errno));
        close(fd);
        return -1;
    }
    if (rq->local_ip) {
        struct sockaddr_in a;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(rq->local_ip);
        if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
            char ip[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
            seterr(err, errlen, "%s: bind %s: %s", tag, ip, strerror(errno));
            close(fd);
            return -1;
        }
    }
    return fd;
}

static int check_req(const struct tftp_req *rq, char *err, size_t errlen, const char *tag)
{
    if (!rq->file || !rq->file[0]) {
        seterr(err, errlen, "%s: empty file name", tag);
        return -1;
    }
    if (rq->blksize && (rq->blksize < TFTP_BLKSIZE_MIN || rq->blksize > TFTP_BLKSIZE_MAX)) {
        seterr(err, errlen, "%s: blksize %u not in 8..65464", tag, rq->blksize);
        return -1;
    }
    if (!rq->sink && rq->out_fd < 0) {
        seterr(err, errlen, "%s: no sink and no output fd", tag);
        return -1;
    }
    if (rq->server_port == 0) {
        seterr(err, errlen, "%s: port 0", tag);
        return -1;
    }
    return 0;
}

static void init_xfer(struct tftp_xfer *x, const struct tftp_req *rq)
{
    x->fd = -1;
    x->state = TFTP_RRQ_SENT;
    x->server.sin_family = AF_INET;
    x->server.sin_addr.s_addr = htonl(rq->server_ip);
    x->server.sin_port = htons(rq->server_port);
    x->sink = rq->sink;
    x->sink_arg = rq->sink_arg;
    x->out_fd = rq->out_fd;
    x->blk_asked = rq->blksize;
    x->blksize = TFTP_BLKSIZE_DEF;
    x->timeout_ms = rq->timeout_ms ? rq->timeout_ms : DEF_TIMEOUT_MS;
    x->tries_max = rq->tries ? rq->tries : DEF_TRIES;
    x->max_size = rq->max_size;
    x->tsize = -1;
    x->t_start_us = now_us();
}

struct tftp_xfer *tftp_start(const struct tftp_req *rq, char *err, size_t errlen)
{
    struct tftp_xfer *x;
    struct in_addr ia;
    char ip[INET_ADDRSTRLEN], tag[40];
    uint8_t rrq[TFTP_REQ_MAX];
    long n;

    ia.s_addr = htonl(rq->server_ip);
    inet_ntop(AF_INET, &ia, ip, sizeof ip);
    snprintf(tag, sizeof tag, "tftp %s:%u", ip, rq->server_port);
    if (check_req(rq, err, errlen, tag) != 0)
        return NULL;
    n = tftp_build_rrq(rrq, sizeof rrq, rq->file, rq->blksize, 1);
    if (n < 0) {
        seterr(err, errlen, "%s: file name too long for a request", tag);
        return NULL;
    }
    x = calloc(1, sizeof *x);
    if (!x) {
        seterr(err, errlen, "%s: out of memory", tag);
        return NULL;
    }
    init_xfer(x, rq);
    memcpy(x->tag, tag, sizeof tag);
    x->fd = open_socket(rq, err, errlen, tag);
    if (x->fd < 0) {
        free(x);
        return NULL;
    }
    send_tracked(x, rrq, (size_t)n);
    if (x->state == TFTP_FAILED) {
        seterr(err, errlen, "%s", x->err);
        tftp_free(x);
        return NULL;
    }
    return x;
}

int tftp_fd(const struct tftp_xfer *x)
{
    return x->fd;
}

int64_t tftp_deadline(const struct tftp_xfer *x)
{
    return active(x) ? x->deadline : -1;
}

long tftp_timeout_ms(const struct tftp_xfer *x)
{
    int64_t left;
    if (!active(x))
        return -1;
    left = x->deadline - tftp_now_ms();
    return left > 0 ? (long)left : 0;
}

enum tftp_state tftp_state(const struct tftp_xfer *x)
{
    return x->state;
}

const char *tftp_error(const struct tftp_xfer *x)
{
    return x->state == TFTP_FAILED ? x->err : "";
}

void tftp_stats(const struct tftp_xfer *x, struct tftp_stats *st)
{
    int64_t end = x->t_end_us ? x->t_end_us : now_us();
    st->bytes = x->bytes;
    st->tsize = x->tsize;
    st->blksize = x->blksize;
    st->retransmits = x->retransmits;
    st->strays = x->strays;
    st->seconds = (double)(end - x->t_start_us) / 1e6;
}

void tftp_free(struct tftp_xfer *x)
{
    if (!x)
        return;
    if (x->fd >= 0)
        close(x->fd);
    free(x);
}

/* ---- blocking convenience ---- */

static void run_blocking(struct tftp_xfer *x)
{
    while (active(x)) {
        struct pollfd pfd = {x->fd, POLLIN, 0};
        long to = tftp_timeout_ms(x);
        int r = poll(&pfd, 1, to > 0x7fffffffL ? 0x7fffffff : (int)to);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            fail(x, "poll: %s", strerror(errno));
            return;
        }
        if (r > 0)
            tftp_on_readable(x);
        tftp_on_timer(x);
    }
}

int tftp_fetch(const struct tftp_req *req, struct tftp_stats *st, char *err, size_t errlen)
{
    int rc;
    struct tftp_xfer *x = tftp_start(req, err, errlen);
    if (!x) {
        if (st) {
            memset(st, 0, sizeof *st);
            st->tsize = -1;
        }
        return -1;
    }
    run_blocking(x);
    if (st)
        tftp_stats(x, st);
    rc = x->state == TFTP_DONE ? 0 : -1;
    if (rc != 0)
        seterr(err, errlen, "%s", x->err);
    tftp_free(x);
    return rc;
}
