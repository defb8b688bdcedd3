/*
 * replay_raw.c - --raw: the recorded datagrams sent as they are, every one
 * from its recorded source address, to one target, with no expectation:
 * load and robustness runs. TCP messages need a live conversation and
 * are left out.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "replay.h"
#include "replay_net.h"

#define RAW_MAX_SRC 256
#define RAW_BATCH 256

struct raw_src {
    uint32_t addr;
    int fd;
};

struct raw {
    struct raw_src src[RAW_MAX_SRC];
    int nsrc;
    int *fd_of;              /* per recorded message: the socket of its source, -1 if left out */
};

static int src_fd(struct raw *w, uint32_t addr, uint16_t port, char *err, size_t cap)
{
    for (int i = 0; i < w->nsrc; i++)
        if (w->src[i].addr == addr)
            return w->src[i].fd;
    if (w->nsrc == RAW_MAX_SRC) {
        snprintf(err, cap, "more than %d recorded sources", RAW_MAX_SRC);
        return -1;
    }
    int fd = rn_udp(addr, port, err, cap);
    if (fd < 0)
        return -1;
    w->src[w->nsrc++] = (struct raw_src){addr, fd};
    return fd;
}

static int open_sources(struct raw *w, const struct rp_capture *c, char *err, size_t cap)
{
    char ip[16];
    w->fd_of = malloc(c->nrec * sizeof *w->fd_of);
    if (!w->fd_of) {
        snprintf(err, cap, "out of memory");
        return RP_EXIT_SYSTEM;
    }
    int any = 0;
    for (size_t i = 0; i < c->nrec; i++) {
        const struct rp_rec *r = &c->rec[i];
        w->fd_of[i] = -1;
        if (r->tcp)
            continue;
        if (!rp_is_loopback(r->src)) {
            snprintf(err, cap, "%s: recorded source %s is not a loopback address: map it with "
                     "--map OLD=127.0.150.N", c->path, rp_ip_str(r->src, ip, sizeof ip));
            return RP_EXIT_INPUT;
        }
        if ((w->fd_of[i] = src_fd(w, r->src, r->sport, err, cap)) < 0)
            return RP_EXIT_SYSTEM;
        any = 1;
    }
    if (!any) {
        snprintf(err, cap, "%s: no PFS datagram to send (--raw sends UDP only)", c->path);
        return RP_EXIT_INPUT;
    }
    return 0;
}

static void close_sources(struct raw *w)
{
    for (int i = 0; i < w->nsrc; i++)
        close(w->src[i].fd);
    free(w->fd_of);
}

/*
 * --topspeed: every datagram prepared once, then sent from its own source's
 * socket, connected to the target, each run of datagrams from one source
 * in one sendmmsg() of up to RAW_BATCH. A connected socket keeps its route,
 * where an unconnected one (or one source address per datagram in an
 * IP_PKTINFO message) costs a route look-up per datagram, some 5 % of the
 * rate on loopback. The source port stays the recorded one.
 */
struct batch {
    struct mmsghdr *mm;
    struct iovec *iov;
    size_t *rec;             /* per prepared datagram: its recorded message */
    size_t n;
};

static int connect_sources(const struct raw *w, const struct sockaddr_in *to, char *err,
                           size_t cap)
{
    char ip[16], dst[16];
    for (int i = 0; i < w->nsrc; i++)
        if (connect(w->src[i].fd, (const struct sockaddr *)to, sizeof *to) != 0) {
            snprintf(err, cap, "%s: connect to %s:%u: %s", rp_ip_str(w->src[i].addr, ip, sizeof ip),
                     rp_ip_str(ntohl(to->sin_addr.s_addr), dst, sizeof dst), ntohs(to->sin_port),
                     strerror(errno));
            return -1;
        }
    return 0;
}

static int batch_prepare(struct batch *b, const struct rp_capture *c, const struct raw *w,
                         const struct sockaddr_in *to, char *err, size_t cap)
{
    memset(b, 0, sizeof *b);
    if (connect_sources(w, to, err, cap) != 0)
        return -1;
    b->mm = calloc(c->nrec, sizeof *b->mm);
    b->iov = calloc(c->nrec, sizeof *b->iov);
    b->rec = calloc(c->nrec, sizeof *b->rec);
    if (!b->mm || !b->iov || !b->rec) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < c->nrec; i++) {
        if (w->fd_of[i] < 0)
            continue;
        size_t k = b->n++;
        b->iov[k] = (struct iovec){.iov_base = c->rec[i].bytes, .iov_len = c->rec[i].len};
        b->mm[k].msg_hdr.msg_iov = &b->iov[k];
        b->mm[k].msg_hdr.msg_iovlen = 1;
        b->rec[k] = i;
    }
    return 0;
}

static void batch_free(struct batch *b)
{
    free(b->mm);
    free(b->iov);
    free(b->rec);
}

/* The socket of prepared datagram k: its recorded source's. */
static int fd_of(const struct batch *b, const struct raw *w, size_t k)
{
    return w->fd_of[b->rec[k]];
}

/* How many datagrams from `at` on share its socket, at most RAW_BATCH. */
static size_t run_len(const struct batch *b, const struct raw *w, size_t at)
{
    size_t n = 1;
    while (at + n < b->n && n < RAW_BATCH && fd_of(b, w, at + n) == fd_of(b, w, at))
        n++;
    return n;
}

/* The sockets are non-blocking: a full send buffer waits for room, 1 s at most. */
static int wait_room(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int r;
    while ((r = poll(&p, 1, 1000)) < 0 && errno == EINTR)
        ;
    return r > 0 ? 0 : -1;
}

static void play_topspeed(const struct rp_capture *c, struct batch *b, const struct raw *w,
                          struct rp_stats *st)
{
    for (size_t at = 0; at < b->n;) {
        size_t n = run_len(b, w, at);
        int fd = fd_of(b, w, at);
        int done = sendmmsg(fd, b->mm + at, (unsigned)n, 0);
        if (done <= 0) {
            /* ECONNREFUSED: a closed target port answered an earlier datagram
               with ICMP; the error is consumed and this one was not sent. */
            if (done < 0 && (errno == EINTR || errno == ECONNREFUSED))
                continue;
            if (done < 0 && errno == EAGAIN && wait_room(fd) == 0)
                continue;
            st->failed += n; /* the rest of this run could not leave */
            at += n;
            continue;
        }
        for (int k = 0; k < done; k++)
            st->sent_bytes += c->rec[b->rec[at + (size_t)k]].len;
        st->sent += (uint64_t)done;
        at += (size_t)done;
    }
}

static void play_paced(const struct rp_capture *c, const struct raw *w, const struct rp_opts *o,
                       uint32_t target, uint16_t port, struct rp_stats *st)
{
    int64_t anchor = rp_now_ns(), prev_now = 0, prev_due = 0;
    for (size_t i = 0; i < c->nrec; i++) {
        if (w->fd_of[i] < 0)
            continue;
        const struct rp_rec *r = &c->rec[i];
        int64_t due = rp_due_ns(anchor, r->t_ns, o->speed);
        rp_sleep_until(due);
        int64_t now = rp_now_ns();
        if (rn_sendto(w->fd_of[i], r->bytes, r->len, target, port ? port : r->dport) != 0) {
            st->failed++;
            continue;
        }
        if (prev_now)
            rp_stats_gap(st, (now - prev_now) - (due - prev_due));
        prev_now = now;
        prev_due = due;
        st->sent++;
        st->sent_bytes += r->len;
    }
}

int rp_raw(const struct rp_capture *c, const struct rp_opts *o, struct rp_stats *st, char *err,
           size_t cap)
{
    char ip[16];
    if (!rp_is_loopback(o->target)) {
        snprintf(err, cap, "%s: not a loopback address: --raw sends only to 127.0.0.0/8",
                 rp_ip_str(o->target, ip, sizeof ip));
        return RP_EXIT_INPUT;
    }
    struct raw *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, cap, "out of memory");
        return RP_EXIT_SYSTEM;
    }
    int rc = open_sources(w, c, err, cap);
    if (rc == 0) {
        struct sockaddr_in to;
        memset(&to, 0, sizeof to);
        to.sin_family = AF_INET;
        to.sin_addr.s_addr = htonl(o->target);
        to.sin_port = htons(o->port ? o->port : c->rec[0].dport);
        struct batch b;
        memset(&b, 0, sizeof b);
        if (o->topspeed && batch_prepare(&b, c, w, &to, err, cap) != 0)
            rc = RP_EXIT_SYSTEM;
        st->t_start_ns = rp_now_ns();
        for (long l = 0; rc == 0 && l < o->loop; l++) {
            if (o->topspeed)
                play_topspeed(c, &b, w, st);
            else
                play_paced(c, w, o, o->target, o->port, st);
            st->loops++;
        }
        st->t_end_ns = rp_now_ns();
        if (o->topspeed)
            batch_free(&b);
        rp_stats_finish(st);
    }
    close_sources(w);
    free(w);
    return rc;
}
