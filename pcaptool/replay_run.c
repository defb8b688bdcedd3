/*
 * replay_run.c - playing the sessions against the live target.
 *
 * One thread, one ppoll() loop. A recorded peer's send goes out when its
 * turn comes: its due time (from the absolute start, scaled by --speed;
 * at once with --topspeed) has come, and every expectation recorded
 * before it has been met or has failed. An expectation fails when the
 * target sends something else first, or nothing within the recorded gap
 * plus the slack. A failed session stops; the others go on.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "replay.h"
#include "replay_net.h"

#define RBUF_CAP (PFS_MSG_MAX + 1)
#define MAX_PEERS 256
#define MAX_PEND 16
#define SPIN_AHEAD_NS 200000

struct peer {
    uint32_t addr;
    uint16_t tport;     /* TCP port it listened on as a parent, 0 if none */
    int ufd, lfd;
};

enum src_kind { SRC_ANY, SRC_PEER_U, SRC_PEER_L, SRC_PEND, SRC_SESS, SRC_CLOSING };

/*
 * A connection the replayer closed as recorded (a parent killed mid-
 * transfer): its FIN is out, and the sends recorded after the close wait
 * until the target closed its end too, so that they reach a target that
 * has seen the loss, as in the recording. A child's JOIN sent a moment
 * after the close otherwise raced the target's reading of that FIN and
 * was accepted where the recording shows it refused. Bounded by --slack.
 */
struct closing {
    int fd;          /* -1: none */
    size_t order;    /* the close's recorded order */
    int64_t until;
};

/* An accepted connection from the target whose JOIN has not arrived yet. */
struct pend {
    int fd;
    uint32_t local;
    uint8_t buf[512];
    size_t len;
};

/* The poll set: what kind each entry is, and its index. */

struct pollset {
    struct pollfd fds[MAX_PEERS * 2 + MAX_PEND + 1024];
    int kind[MAX_PEERS * 2 + MAX_PEND + 1024];
    size_t idx[MAX_PEERS * 2 + MAX_PEND + 1024];
    int n;
};

struct runner {
    struct rp_script *s;
    const struct rp_capture *c;
    const struct rp_opts *o;
    struct rp_stats *st;
    int ufd_any;
    struct peer peers[MAX_PEERS];
    int npeers;
    struct pend pend[MAX_PEND];
    int npend;
    struct closing closing;
    int anchored;
    int64_t anchor, started;
    size_t next_send;
    int64_t prev_sent, prev_due;  /* for the gap error; prev_sent 0 when untimed */
    int fatal;
    struct pollset ps;
    char *err;
    size_t errcap;
};

/* Sessions and steps. */

static const struct rp_rec *rec_of(const struct runner *r, const struct rp_step *st)
{
    return &r->c->rec[st->rec];
}

static int sess_finished(const struct rp_session *x)
{
    return x->result != RP_PENDING;
}

/* The first step of x not done, optional expectations included. */
static struct rp_step *first_open(struct rp_session *x)
{
    while (x->cur < x->nsteps && x->steps[x->cur].done)
        x->cur++;
    return x->cur < x->nsteps ? &x->steps[x->cur] : NULL;
}

/* The first expectation not met, optional ones skipped: what gates the sends. */
static struct rp_step *first_expect(struct rp_session *x)
{
    for (size_t i = x->cur; i < x->nsteps; i++)
        if (!x->steps[i].done && x->steps[i].kind == RP_EXPECT && !x->steps[i].optional)
            return &x->steps[i];
    return NULL;
}

static void check_pass(struct rp_session *x)
{
    for (size_t i = 0; i < x->nsteps; i++)
        if (!x->steps[i].done && !x->steps[i].optional)
            return;
    x->result = RP_PASS;
    if (x->fd >= 0) {
        close(x->fd);
        x->fd = -1;
    }
}

static void step_done(struct rp_session *x, struct rp_step *st, int64_t now)
{
    /* Optional Ads left behind a later match were simply not sent this time. */
    for (struct rp_step *p = x->steps; p < st; p++)
        if (p->optional)
            p->done = 1;
    st->done = 1;
    x->since_ns = now;
    check_pass(x);
}

static void diverge(struct runner *r, struct rp_session *x, const struct rp_step *st,
                    const char *expected, const char *received, const char *rule)
{
    if (sess_finished(x))
        return;
    x->result = RP_FAIL;
    x->div_frame = st ? rec_of(r, st)->frame : 0;
    snprintf(x->div_expected, sizeof x->div_expected, "%s", expected);
    snprintf(x->div_received, sizeof x->div_received, "%s", received);
    snprintf(x->div_rule, sizeof x->div_rule, "%s", rule);
    for (size_t i = 0; i < x->nsteps; i++)
        x->steps[i].done = 1;
    if (x->fd >= 0) {
        close(x->fd);
        x->fd = -1;
    }
}

static void diverge_msg(struct runner *r, struct rp_session *x, const struct rp_step *st,
                        const struct pfs_msg *got, const char *rule)
{
    char e[160], g[160];
    rp_describe(&rec_of(r, st)->m, e, sizeof e);
    rp_describe(got, g, sizeof g);
    diverge(r, x, st, e, g, rule);
}

static void stray(struct runner *r, const char *what)
{
    struct rp_stats *st = r->st;
    if (!st->nstray++)
        snprintf(st->stray, sizeof st->stray, "%s", what);
}

/* Election: the target's CLAIM, AD and LEAVE for one hierarchy. */

static int key_eq(const struct pfs_msg *a, const struct pfs_msg *b)
{
    uint8_t ka[32], kb[32];
    size_t na = rp_elect_key(a, ka), nb = rp_elect_key(b, kb);
    return na == nb && memcmp(ka, kb, na) == 0;
}

static int is_tent_ad(const struct pfs_msg *m)
{
    return m->type == PFS_T_AD && m->u.claim.state == PFS_HS_TENT;
}

static void on_election(struct runner *r, struct rp_session *x, const struct pfs_msg *m, int64_t now)
{
    uint8_t key[32];
    size_t n = rp_elect_key(m, key);
    if (x->have_key_last && memcmp(key, x->key_last, n) == 0)
        return; /* the same view again: an answer to someone's claim */
    int optional_ahead = 0;
    for (size_t i = x->cur; i < x->nsteps; i++) {
        struct rp_step *st = &x->steps[i];
        if (st->done || st->kind != RP_EXPECT)
            continue;
        if (key_eq(&rec_of(r, st)->m, m)) {
            memcpy(x->key_last, key, n);
            memset(x->key_last + n, 0, sizeof x->key_last - n);
            x->have_key_last = 1;
            x->matched++;
            r->st->matched++;
            step_done(x, st, now);
            return;
        }
        if (!st->optional)
            break;
        optional_ahead = 1;
    }
    struct rp_step *e = first_expect(x);
    /* Before a yield, one Ad more or less is timing, not a different answer. */
    if (optional_ahead && is_tent_ad(m))
        return;
    if (!e) {
        if (m->type == PFS_T_AD)
            return; /* an answer after the recorded end: the peers are gone */
        char g[160];
        rp_describe(m, g, sizeof g);
        diverge(r, x, NULL, "nothing more", g, rp_rule_of(m->type));
        return;
    }
    char rule[96];
    if (!rp_compare(&rec_of(r, e)->m, m, rule, sizeof rule))
        diverge_msg(r, x, e, m, rule);
}

/* TCP: one message of the target on a session's connection. */

static void on_data(struct runner *r, struct rp_session *x, struct rp_step *e,
                    const struct pfs_msg *m, int64_t now)
{
    char ebuf[160], gbuf[160];
    if (m->u.data.offset != x->data_seen) {
        snprintf(ebuf, sizeof ebuf, "DATA offset=%u", x->data_seen);
        rp_describe(m, gbuf, sizeof gbuf);
        diverge(r, x, e, ebuf, gbuf, "docs/protocol.md §3 DATA: offset equals the bytes so far");
        return;
    }
    const uint8_t *p = m->u.data.bytes;
    size_t left = m->u.data.len;
    while (left) {
        e = first_expect(x);
        if (!e || rec_of(r, e)->m.type != PFS_T_DATA) {
            snprintf(gbuf, sizeof gbuf, "DATA offset=%u len=%zu", x->data_seen, left);
            if (e)
                rp_describe(&rec_of(r, e)->m, ebuf, sizeof ebuf);
            diverge(r, x, e, e ? ebuf : "nothing more", gbuf, rp_rule_of(PFS_T_DATA));
            return;
        }
        const struct pfs_data *d = &rec_of(r, e)->m.u.data;
        size_t k = d->len - x->step_used;
        if (k > left)
            k = left;
        for (size_t i = 0; i < k; i++)
            if (d->bytes[x->step_used + i] != p[i]) {
                uint32_t at = x->data_seen + (uint32_t)i;
                snprintf(ebuf, sizeof ebuf, "DATA byte 0x%02x at offset %u",
                         d->bytes[x->step_used + i], at);
                snprintf(gbuf, sizeof gbuf, "0x%02x", p[i]);
                diverge(r, x, e, ebuf, gbuf, rp_rule_of(PFS_T_DATA));
                return;
            }
        x->step_used += (uint32_t)k;
        x->data_seen += (uint32_t)k;
        p += k;
        left -= k;
        if (x->step_used == d->len) {
            x->step_used = 0;
            x->matched++;
            r->st->matched++;
            step_done(x, e, now);
        }
    }
}

static void on_tcp_msg(struct runner *r, struct rp_session *x, const struct pfs_msg *m, int64_t now)
{
    struct rp_step *e = first_expect(x);
    if (!e) {
        char g[160];
        rp_describe(m, g, sizeof g);
        diverge(r, x, NULL, "nothing more", g, rp_rule_of(m->type));
        return;
    }
    const struct pfs_msg *em = &rec_of(r, e)->m;
    if (m->type == PFS_T_ACCEPT && em->type != PFS_T_ACCEPT && x->accepted && !x->data_seen &&
        em->type == PFS_T_XFRCMD) {
        /* A keepalive while the child waits for XFRCMD (docs/protocol.md §7). */
        return;
    }
    if (m->type == PFS_T_DATA && em->type == PFS_T_DATA) {
        on_data(r, x, e, m, now);
        return;
    }
    if (em->type == PFS_T_DATA && x->step_used) {
        diverge_msg(r, x, e, m, rp_rule_of(PFS_T_DATA));
        return;
    }
    char rule[96];
    if (!rp_compare(em, m, rule, sizeof rule)) {
        diverge_msg(r, x, e, m, rule);
        return;
    }
    if (m->type == PFS_T_XFRCMD)
        x->data_seen = 0;
    if (m->type == PFS_T_ACCEPT)
        x->accepted = 1;
    x->matched++;
    r->st->matched++;
    step_done(x, e, now);
}

/* Frames what arrived on a session's connection; returns -1 when it closed. */
static int read_session(struct runner *r, struct rp_session *x, int64_t now)
{
    if (!x->rbuf && !(x->rbuf = malloc(RBUF_CAP)))
        return -1;
    ssize_t n = recv(x->fd, x->rbuf + x->rlen, RBUF_CAP - x->rlen, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (n <= 0) {
        struct rp_step *e = first_expect(x);
        if (e) {
            char e_txt[160];
            rp_describe(&rec_of(r, e)->m, e_txt, sizeof e_txt);
            diverge(r, x, e, e_txt, "the target closed the connection",
                    rp_rule_of(rec_of(r, e)->m.type));
        } else if (x->fd >= 0) {
            close(x->fd);
            x->fd = -1;
        }
        return -1;
    }
    x->rlen += (size_t)n;
    r->st->recv_bytes += (uint64_t)n;
    while (!sess_finished(x)) {
        long fl = pfs_frame_len(x->rbuf, x->rlen);
        struct pfs_msg m;
        if (fl == 0 || (fl > 0 && (size_t)fl > x->rlen))
            break;
        int rc = fl < 0 ? (int)fl : pfs_decode(x->rbuf, (size_t)fl, &m);
        r->st->recv++;
        if (rc != PFS_OK) {
            struct rp_step *e = first_expect(x);
            char e_txt[160] = "nothing more";
            if (e)
                rp_describe(&rec_of(r, e)->m, e_txt, sizeof e_txt);
            diverge(r, x, e, e_txt, pfs_strerror(rc),
                    "docs/protocol.md §5 What a receiver does with malformed input");
            return -1;
        }
        on_tcp_msg(r, x, &m, now);
        memmove(x->rbuf, x->rbuf + fl, x->rlen - (size_t)fl);
        x->rlen -= (size_t)fl;
    }
    return 0;
}

/* Peers and sockets. */

static struct peer *peer_of(struct runner *r, uint32_t addr)
{
    for (int i = 0; i < r->npeers; i++)
        if (r->peers[i].addr == addr)
            return &r->peers[i];
    if (r->npeers == MAX_PEERS)
        return NULL;
    struct peer *p = &r->peers[r->npeers++];
    *p = (struct peer){.addr = addr, .ufd = -1, .lfd = -1};
    return p;
}

/* Bad input: a capture or target the replay cannot use. err already holds the line. */
static int fail_input(struct runner *r)
{
    r->fatal = RP_EXIT_INPUT;
    return -1;
}

static int not_loopback(struct runner *r, uint32_t a)
{
    char ip[16];
    snprintf(r->err, r->errcap, "%s: recorded peer %s is not a loopback address: map it with "
             "--map %s=127.0.150.N", r->c->path, rp_ip_str(a, ip, sizeof ip), ip);
    return fail_input(r);
}

/* Every recorded peer gets its own address; nothing leaves loopback. */
static int open_sockets(struct runner *r)
{
    char ip[16];
    const struct rp_script *s = r->s;
    uint16_t port = s->target_port;
    if (!rp_is_loopback(s->target_addr))
        return snprintf(r->err, r->errcap, "%s: the target is not a loopback address",
                        rp_ip_str(s->target_addr, ip, sizeof ip)),
               fail_input(r);
    r->ufd_any = rn_udp(0, port, r->err, r->errcap);
    if (r->ufd_any < 0)
        return r->fatal = RP_EXIT_SYSTEM, -1;
    for (size_t i = 0; i < r->c->nrec; i++) {
        const struct rp_rec *rc = &r->c->rec[i];
        if (rc->err != PFS_OK || rc->src == s->target_addr || rc->tcp)
            continue;
        if (!rp_is_loopback(rc->src))
            return not_loopback(r, rc->src);
        struct peer *p = peer_of(r, rc->src);
        if (p && p->ufd < 0 && (p->ufd = rn_udp(rc->src, rc->sport, r->err, r->errcap)) < 0)
            return r->fatal = RP_EXIT_SYSTEM, -1;
    }
    for (size_t i = 0; i < s->nsess; i++) {
        const struct rp_session *x = &s->sess[i];
        if (x->kind == RP_S_ELECTION)
            continue;
        if (!rp_is_loopback(x->peer_addr))
            return not_loopback(r, x->peer_addr);
        struct peer *p = peer_of(r, x->peer_addr);
        if (!p)
            continue;
        if (x->kind == RP_S_PARENT && p->lfd < 0) {
            p->tport = x->peer_port;
            if ((p->lfd = rn_listen(x->peer_addr, x->peer_port, r->err, r->errcap)) < 0)
                return r->fatal = RP_EXIT_SYSTEM, -1;
        }
    }
    return 0;
}

static void end_close(struct runner *r);

static void close_sockets(struct runner *r)
{
    end_close(r);
    if (r->ufd_any >= 0)
        close(r->ufd_any);
    for (int i = 0; i < r->npeers; i++) {
        if (r->peers[i].ufd >= 0)
            close(r->peers[i].ufd);
        if (r->peers[i].lfd >= 0)
            close(r->peers[i].lfd);
    }
    for (int i = 0; i < r->npend; i++)
        close(r->pend[i].fd);
    for (size_t i = 0; i < r->s->nsess; i++)
        if (r->s->sess[i].fd >= 0) {
            close(r->s->sess[i].fd);
            r->s->sess[i].fd = -1;
        }
}

/* Sends. */

static struct rp_session *sess_of_send(struct runner *r, size_t k, struct rp_step **st)
{
    size_t v = r->s->sends[k];
    struct rp_session *x = &r->s->sess[v >> 32];
    *st = &x->steps[v & 0xFFFFFFFFu];
    return x;
}

/* The lowest recorded order among expectations still open: sends after it wait. */
static size_t gate_order(struct runner *r)
{
    size_t g = (size_t)-1;
    for (size_t i = 0; i < r->s->nsess; i++) {
        struct rp_session *x = &r->s->sess[i];
        if (sess_finished(x))
            continue;
        first_open(x);
        struct rp_step *e = first_expect(x);
        if (e && e->order < g)
            g = e->order;
    }
    return g;
}

static void note_sent(struct runner *r, size_t bytes)
{
    r->st->sent++;
    r->st->sent_bytes += bytes;
}

static void do_connect(struct runner *r, struct rp_session *x)
{
    char ip[16], port[8];
    x->fd = rn_connect(x->peer_addr, r->s->target_addr, r->s->target_port, r->err, r->errcap);
    if (x->fd >= 0)
        return;
    if (errno == ECONNREFUSED || errno == ETIMEDOUT || errno == EHOSTUNREACH) {
        snprintf(port, sizeof port, "%u", r->s->target_port);
        snprintf(r->err, r->errcap, "%s:%s: connection refused: is the target running?",
                 rp_ip_str(r->s->target_addr, ip, sizeof ip), port);
        fail_input(r);
    } else {
        r->fatal = RP_EXIT_SYSTEM;
    }
}

static void end_close(struct runner *r)
{
    if (r->closing.fd >= 0)
        close(r->closing.fd);
    r->closing.fd = -1;
}

static void start_close(struct runner *r, int fd, size_t order)
{
    end_close(r);
    if (shutdown(fd, SHUT_WR) != 0) {
        close(fd); /* already reset by the target: nothing to wait for */
        return;
    }
    r->closing = (struct closing){.fd = fd, .order = order, .until = rp_now_ns() + r->o->slack_ns};
}

/* The target's end of the closing connection: EOF (or reset) ends the wait. */
static void read_closing(struct runner *r)
{
    uint8_t buf[4096];
    ssize_t n = read(r->closing.fd, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        end_close(r);
}

/* A send recorded after a close waits for the target's end of it; the wait time, or -1. */
static int64_t close_gate(struct runner *r, const struct rp_step *st)
{
    if (r->closing.fd < 0 || st->order < r->closing.order)
        return -1;
    if (rp_now_ns() >= r->closing.until) {
        end_close(r);
        return -1;
    }
    return r->closing.until;
}

static void do_send(struct runner *r, struct rp_session *x, struct rp_step *st)
{
    const struct rp_rec *rc = rec_of(r, st);
    if (st->kind == RP_CONNECT) {
        do_connect(r, x);
        return;
    }
    if (st->kind == RP_CLOSE) {
        if (x->fd >= 0)
            start_close(r, x->fd, st->order);
        x->fd = -1;
        return;
    }
    if (!rc->tcp) {
        struct peer *p = peer_of(r, rc->src);
        if (!p || p->ufd < 0 || rn_sendto(p->ufd, rc->bytes, rc->len, rc->dst, rc->dport) != 0) {
            r->st->failed++;
            return;
        }
        note_sent(r, rc->len);
        return;
    }
    if (x->fd < 0 || rn_send_all(x->fd, rc->bytes, rc->len) != 0) {
        char e[200];
        rp_describe(&rc->m, e, sizeof e);
        strncat(e, " to go out", sizeof e - strlen(e) - 1);
        diverge(r, x, st, e, "the target closed the connection or stopped reading",
                "docs/protocol.md §5 TCP");
        r->st->failed++;
        return;
    }
    note_sent(r, rc->len);
}

/* Sends everything whose turn has come; returns the next due time, or -1. */
static int64_t run_sends(struct runner *r)
{
    while (r->next_send < r->s->nsends && !r->fatal) {
        struct rp_step *st;
        struct rp_session *x = sess_of_send(r, r->next_send, &st);
        if (st->done || sess_finished(x)) {
            r->next_send++;
            continue;
        }
        if (!r->anchored || gate_order(r) < st->order)
            return -1;
        int64_t held = close_gate(r, st);
        if (held >= 0)
            return held;
        int64_t now = rp_now_ns();
        int64_t due = r->o->topspeed ? now : rp_due_ns(r->anchor, st->t_ns, r->o->speed);
        if (due - now > SPIN_AHEAD_NS)
            return due;
        if (due > now)
            rp_sleep_until(due);
        now = rp_now_ns();
        /* Only sends held by the clock measure the pacing, not those held by an answer. */
        int timed = !r->o->topspeed && now - due < SPIN_AHEAD_NS;
        if (timed && r->prev_sent)
            rp_stats_gap(r->st, (now - r->prev_sent) - (due - r->prev_due));
        r->prev_sent = timed ? now : 0;
        r->prev_due = due;
        do_send(r, x, st);
        if (!sess_finished(x)) {
            first_open(x);
            step_done(x, st, now);
        }
        r->next_send++;
    }
    return -1;
}

/* Deadlines: an expectation may come the recorded gap plus the slack late. */
static int64_t check_deadlines(struct runner *r, int64_t now)
{
    int64_t next = -1;
    for (size_t i = 0; r->anchored && i < r->s->nsess; i++) {
        struct rp_session *x = &r->s->sess[i];
        if (sess_finished(x))
            continue;
        struct rp_step *open = first_open(x), *e = first_expect(x);
        if (!e || !open)
            continue;
        /* Not yet current while a send before it waits. */
        int current = 1;
        for (struct rp_step *p = open; p < e; p++)
            if (!p->done && p->kind != RP_EXPECT)
                current = 0;
        if (!current)
            continue;
        int64_t since = x->since_ns ? x->since_ns : r->anchor;
        int64_t t_prev = 0;
        for (struct rp_step *p = e; p-- > x->steps;)
            if (p->done) {
                t_prev = p->t_ns;
                break;
            }
        int64_t gap = e->t_ns > t_prev ? e->t_ns - t_prev : 0;
        int64_t dl = since + gap + r->o->slack_ns;
        if (now >= dl) {
            char e_txt[160], g[64];
            rp_describe(&rec_of(r, e)->m, e_txt, sizeof e_txt);
            snprintf(g, sizeof g, "nothing within %lld ms", (long long)((gap + r->o->slack_ns) / 1000000));
            diverge(r, x, e, e_txt, g, rp_rule_of(rec_of(r, e)->m.type));
        } else if (next < 0 || dl < next) {
            next = dl;
        }
    }
    return next;
}

/* Input. */

static struct rp_session *election_for(struct runner *r, uint32_t h)
{
    for (size_t i = 0; i < r->s->nsess; i++)
        if (r->s->sess[i].kind == RP_S_ELECTION && r->s->sess[i].hier == h)
            return &r->s->sess[i];
    return NULL;
}

static void anchor_at(struct runner *r, int64_t now)
{
    if (r->anchored)
        return;
    r->anchored = 1;
    /* The target's first message is its first recorded one. */
    int64_t t_first = -1;
    for (size_t i = 0; i < r->s->nsess; i++) {
        struct rp_session *x = &r->s->sess[i];
        for (size_t k = 0; k < x->nsteps; k++)
            if (x->steps[k].kind == RP_EXPECT && (t_first < 0 || x->steps[k].t_ns < t_first))
                t_first = x->steps[k].t_ns;
    }
    if (t_first < 0)
        t_first = 0;
    r->anchor = r->o->topspeed ? now : now - (int64_t)((double)t_first / r->o->speed);
    for (size_t i = 0; i < r->s->nsess; i++)
        r->s->sess[i].since_ns = now;
}

static void on_datagram(struct runner *r, const uint8_t *buf, size_t n, uint32_t src, int64_t now)
{
    char txt[400], ip[16];
    if (src != r->s->target_addr)
        return; /* a recorded peer's own broadcast, looped back */
    r->st->recv++;
    r->st->recv_bytes += n;
    anchor_at(r, now);
    struct pfs_msg m;
    int rc = pfs_decode(buf, n, &m);
    if (rc != PFS_OK) {
        snprintf(txt, sizeof txt, "a datagram from the target %s that does not decode: %s",
                 rp_ip_str(src, ip, sizeof ip), pfs_strerror(rc));
        stray(r, txt);
        return;
    }
    struct rp_session *x = election_for(r, m.hier);
    if (!x) {
        char d[160];
        rp_describe(&m, d, sizeof d);
        snprintf(txt, sizeof txt, "the target sent %s for H=%08X, a hierarchy the recording "
                 "does not have", d, m.hier);
        stray(r, txt);
        return;
    }
    if (!sess_finished(x))
        on_election(r, x, &m, now);
}

static void drain_udp(struct runner *r, int fd, int64_t now)
{
    uint8_t buf[PFS_MSG_MAX];
    for (;;) {
        struct sockaddr_in a;
        socklen_t al = sizeof a;
        ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&a, &al);
        if (n < 0)
            return;
        on_datagram(r, buf, (size_t)n, ntohl(a.sin_addr.s_addr), now);
    }
}

/* A connection from the target is the recorded one with the same parent and hierarchy. */
static struct rp_session *match_parent(struct runner *r, uint32_t local, uint32_t h)
{
    struct rp_session *best = NULL;
    for (size_t i = 0; i < r->s->nsess; i++) {
        struct rp_session *x = &r->s->sess[i];
        if (x->kind != RP_S_PARENT || x->bound || x->peer_addr != local || x->hier != h ||
            sess_finished(x))
            continue;
        if (!best || x->steps[0].order < best->steps[0].order)
            best = x;
    }
    return best;
}

static void drop_pend(struct runner *r, int i)
{
    r->pend[i] = r->pend[--r->npend];
}

static void read_pend(struct runner *r, int i, int64_t now)
{
    struct pend *p = &r->pend[i];
    ssize_t n = recv(p->fd, p->buf + p->len, sizeof p->buf - p->len, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        close(p->fd);
        drop_pend(r, i);
        return;
    }
    p->len += (size_t)n;
    long fl = pfs_frame_len(p->buf, p->len);
    if (fl == 0 || (fl > 0 && (size_t)fl > p->len && p->len < sizeof p->buf))
        return;
    struct pfs_msg m;
    char ip[16], txt[400];
    rp_ip_str(p->local, ip, sizeof ip);
    if (fl < 0 || (size_t)fl > p->len || pfs_decode(p->buf, (size_t)fl, &m) != PFS_OK ||
        m.type != PFS_T_JOIN) {
        snprintf(txt, sizeof txt, "the target connected to %s and did not send a JOIN", ip);
        stray(r, txt);
        close(p->fd);
        drop_pend(r, i);
        return;
    }
    struct rp_session *x = match_parent(r, p->local, m.hier);
    if (!x) {
        snprintf(txt, sizeof txt, "the target joined %s for H=%08X: not in the recording", ip, m.hier);
        stray(r, txt);
        close(p->fd);
        drop_pend(r, i);
        return;
    }
    x->bound = 1;
    x->fd = p->fd;
    if (!x->rbuf && !(x->rbuf = malloc(RBUF_CAP))) {
        r->fatal = RP_EXIT_SYSTEM;
        return;
    }
    memcpy(x->rbuf, p->buf, p->len);
    x->rlen = p->len;
    r->st->recv_bytes += p->len;
    drop_pend(r, i);
    /* Frame what is buffered, as if it had just arrived. */
    while (!sess_finished(x) && x->rlen) {
        long l = pfs_frame_len(x->rbuf, x->rlen);
        if (l <= 0 || (size_t)l > x->rlen || pfs_decode(x->rbuf, (size_t)l, &m) != PFS_OK)
            break;
        r->st->recv++;
        on_tcp_msg(r, x, &m, now);
        memmove(x->rbuf, x->rbuf + l, x->rlen - (size_t)l);
        x->rlen -= (size_t)l;
    }
}

static void accept_all(struct runner *r, int lfd)
{
    for (;;) {
        uint32_t local;
        int fd = rn_accept(lfd, &local);
        if (fd < 0)
            return;
        if (r->npend == MAX_PEND) {
            close(fd);
            continue;
        }
        r->pend[r->npend++] = (struct pend){.fd = fd, .local = local};
    }
}

static void ps_add(struct pollset *ps, int fd, int kind, size_t idx)
{
    if (fd < 0 || ps->n >= (int)(sizeof ps->fds / sizeof ps->fds[0]))
        return;
    ps->fds[ps->n] = (struct pollfd){.fd = fd, .events = POLLIN};
    ps->kind[ps->n] = kind;
    ps->idx[ps->n++] = idx;
}

static void build_pollset(struct runner *r, struct pollset *ps)
{
    ps->n = 0;
    ps_add(ps, r->ufd_any, SRC_ANY, 0);
    for (int i = 0; i < r->npeers; i++) {
        ps_add(ps, r->peers[i].ufd, SRC_PEER_U, (size_t)i);
        ps_add(ps, r->peers[i].lfd, SRC_PEER_L, (size_t)i);
    }
    for (int i = 0; i < r->npend; i++)
        ps_add(ps, r->pend[i].fd, SRC_PEND, (size_t)i);
    for (size_t i = 0; i < r->s->nsess; i++)
        ps_add(ps, r->s->sess[i].fd, SRC_SESS, i);
    ps_add(ps, r->closing.fd, SRC_CLOSING, 0);
}

static void handle_ready(struct runner *r, struct pollset *ps, int64_t now)
{
    /* Pending connections first, from the end: dropping one moves the last into its place. */
    for (int i = ps->n; i-- > 0;) {
        if (!(ps->fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        switch (ps->kind[i]) {
        case SRC_PEND:
            read_pend(r, (int)ps->idx[i], now);
            break;
        default:
            break;
        }
    }
    for (int i = 0; i < ps->n; i++) {
        if (!(ps->fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        switch (ps->kind[i]) {
        case SRC_ANY:
        case SRC_PEER_U:
            drain_udp(r, ps->fds[i].fd, now);
            break;
        case SRC_PEER_L:
            accept_all(r, ps->fds[i].fd);
            break;
        case SRC_SESS: {
            struct rp_session *x = &r->s->sess[ps->idx[i]];
            if (x->fd == ps->fds[i].fd && !sess_finished(x))
                read_session(r, x, now);
            break;
        }
        case SRC_CLOSING:
            if (r->closing.fd == ps->fds[i].fd)
                read_closing(r);
            break;
        default:
            break;
        }
    }
}

static int all_done(struct runner *r)
{
    for (size_t i = 0; i < r->s->nsess; i++)
        if (!sess_finished(&r->s->sess[i]))
            return 0;
    return 1;
}

/*
 * The run is anchored at the target's first datagram: the recording's
 * clock starts when the target is there to hear the peers. Without any
 * (a capture of TCP only) it starts at once.
 */
static int waits_for_target(const struct rp_script *s)
{
    for (size_t i = 0; i < s->nsess; i++)
        if (s->sess[i].kind == RP_S_ELECTION)
            for (size_t k = 0; k < s->sess[i].nsteps; k++)
                if (s->sess[i].steps[k].kind == RP_EXPECT)
                    return 1;
    return 0;
}

static void loop(struct runner *r)
{
    struct pollset *ps = &r->ps;
    if (!waits_for_target(r->s))
        anchor_at(r, rp_now_ns());
    while (!r->fatal && !all_done(r)) {
        int64_t due = run_sends(r);
        int64_t now = rp_now_ns();
        int64_t dl = check_deadlines(r, now);
        if (r->fatal || all_done(r))
            break;
        if (!r->anchored && now - r->started > r->o->wait_ns) {
            char ip[16], port[16];
            snprintf(port, sizeof port, "%u", r->s->target_port);
            snprintf(r->err, r->errcap, "%s:%s: the target sent nothing within %lld ms (is it "
                     "running, with the --print-target options?)",
                     rp_ip_str(r->s->target_addr, ip, sizeof ip), port,
                     (long long)(r->o->wait_ns / 1000000));
            fail_input(r);
            break;
        }
        int64_t wake = r->anchored ? -1 : r->started + r->o->wait_ns;
        if (due >= 0)
            wake = due - SPIN_AHEAD_NS / 2;
        if (dl >= 0 && (wake < 0 || dl < wake))
            wake = dl;
        build_pollset(r, ps);
        struct timespec ts = {1, 0}, *tp = &ts;
        if (wake >= 0) {
            int64_t d = wake - now;
            if (d < 0)
                d = 0;
            ts.tv_sec = d / 1000000000LL;
            ts.tv_nsec = d % 1000000000LL;
        }
        int n = ppoll(ps->fds, (nfds_t)ps->n, tp, NULL);
        if (n < 0 && errno != EINTR) {
            snprintf(r->err, r->errcap, "poll: %s", strerror(errno));
            r->fatal = RP_EXIT_SYSTEM;
            break;
        }
        if (n > 0)
            handle_ready(r, ps, rp_now_ns());
    }
}

int rp_run(struct rp_script *s, const struct rp_capture *c, const struct rp_opts *o,
           struct rp_stats *st, char *err, size_t cap)
{
    struct runner *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, cap, "out of memory");
        return RP_EXIT_SYSTEM;
    }
    *r = (struct runner){.s = s, .c = c, .o = o, .st = st, .ufd_any = -1, .err = err, .errcap = cap,
                         .closing = {.fd = -1}};
    if (open_sockets(r) == 0) {
        if (!o->quiet) {
            char ip[16];
            fprintf(stderr, "pfsreplay: ready: %zu sessions, waiting for the target XID%08X at %s:%u\n",
                    s->nsess, s->target_xid, rp_ip_str(s->target_addr, ip, sizeof ip),
                    s->target_port);
        }
        r->started = st->t_start_ns = rp_now_ns();
        loop(r);
        st->t_end_ns = rp_now_ns();
    }
    close_sockets(r);
    int fatal = r->fatal;
    if (!fatal && st->recv == 0) {
        char ip[16];
        snprintf(err, cap, "%s:%u: the target never answered", rp_ip_str(s->target_addr, ip, sizeof ip),
                 s->target_port);
        fatal = RP_EXIT_INPUT;
    }
    free(r);
    rp_stats_finish(st);
    if (fatal)
        return fatal;
    if (st->nstray)
        return RP_EXIT_DIVERGED;
    for (size_t i = 0; i < s->nsess; i++)
        if (s->sess[i].result != RP_PASS)
            return RP_EXIT_DIVERGED;
    return RP_EXIT_PASS;
}
