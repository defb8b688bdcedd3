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
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "replay.h"
#include "replay_net.h"

#define RAW_MAX_SRC 256
#define RAW_BATCH 64

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

/* --topspeed: batches of consecutive datagrams from one source in one sendmmsg(). */
static void send_batch(const struct rp_capture *c, const struct raw *w, size_t *i,
                       const struct sockaddr_in *to, struct rp_stats *st)
{
    struct mmsghdr mm[RAW_BATCH];
    struct iovec iov[RAW_BATCH];
    size_t idx[RAW_BATCH];
    int n = 0, fd = w->fd_of[*i];
    while (*i < c->nrec && n < RAW_BATCH) {
        if (w->fd_of[*i] < 0) {
            ++*i;
            continue;
        }
        if (w->fd_of[*i] != fd)
            break;
        const struct rp_rec *r = &c->rec[*i];
        iov[n] = (struct iovec){.iov_base = r->bytes, .iov_len = r->len};
        memset(&mm[n], 0, sizeof mm[n]);
        mm[n].msg_hdr.msg_iov = &iov[n];
        mm[n].msg_hdr.msg_iovlen = 1;
        mm[n].msg_hdr.msg_name = (void *)to;
        mm[n].msg_hdr.msg_namelen = sizeof *to;
        idx[n++] = (*i)++;
    }
    int done = n ? sendmmsg(fd, mm, (unsigned)n, 0) : 0;
    for (int k = 0; k < n; k++) {
        if (k < done) {
            st->sent++;
            st->sent_bytes += c->rec[idx[k]].len;
        } else {
            st->failed++;
        }
    }
}

static void play_topspeed(const struct rp_capture *c, const struct raw *w,
                          const struct sockaddr_in *to, struct rp_stats *st)
{
    size_t i = 0;
    while (i < c->nrec) {
        if (w->fd_of[i] < 0) {
            i++;
            continue;
        }
        send_batch(c, w, &i, to, st);
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
        st->t_start_ns = rp_now_ns();
        for (long l = 0; l < o->loop; l++) {
            if (o->topspeed)
                play_topspeed(c, w, &to, st);
            else
                play_paced(c, w, o, o->target, o->port, st);
            st->loops++;
        }
        st->t_end_ns = rp_now_ns();
        rp_stats_finish(st);
    }
    close_sources(w);
    free(w);
    return rc;
}
