/*
 * conn.c - TCP peer connections: a child joining us (JOIN, ACCEPT/REFUSE,
 * then we send it the file), and us joining a parent (JOIN, then we
 * receive). Framing by the header's length (pfs_frame_len); every message
 * is decoded and checked against the connection's role and state, and
 * anything out of place ends the connection with ABORT(PROTOCOL).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "sha256.h"

#define ACCEPT_BURST 16

static void conn_on_event(struct el_loop *loop, int fd, void *ud, int mask);
static void conn_flush(struct conn *c);
static void inflow_lost(struct conn *c, unsigned reason);

/* ---- lifecycle ---- */

static struct conn *conn_new(struct node *n, int fd, enum conn_role role, uint32_t ip,
                             uint16_t port)
{
    struct conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return NULL;
    }
    c->rbuf = malloc(CONN_RBUF);
    c->wbuf = malloc(CONN_WBUF);
    if (!c->rbuf || !c->wbuf || el_add_fd(n->loop, fd, EL_READABLE, conn_on_event, c) != EL_OK) {
        free(c->rbuf);
        free(c->wbuf);
        free(c);
        close(fd);
        return NULL;
    }
    c->n = n;
    c->fd = fd;
    c->role = role;
    c->ip = ip;
    c->port = port;
    c->slot = -1;
    c->t_open = c->t_idle = c->t_heard = node_now();
    c->tx.fd = -1;
    xfr_rx_init(&c->rx);
    c->next = n->conns;
    n->conns = c;
    return c;
}

void conn_drop(struct conn *c)
{
    if (c->dead)
        return;
    c->dead = 1;
    el_del_fd(c->n->loop, c->fd, EL_READABLE | EL_WRITABLE);
    close(c->fd);
    xfr_tx_close(&c->tx);
    if (c->role == CR_PARENT)
        inflow_lost(c, PFS_R_IO);
    xfr_rx_abort(&c->rx); /* a partial file never stays */
    struct hnode *hn = c->hn;
    if (hn && hn->parent == c)
        hn->parent = NULL;
    if (hn && c->slot >= 0 && hn->child[c->slot] == c)
        hn->child[c->slot] = NULL;
}

void conn_sweep(struct node *n)
{
    struct conn **pp = &n->conns;
    while (*pp) {
        struct conn *c = *pp;
        if (c->dead) {
            *pp = c->next;
            free(c->rbuf);
            free(c->wbuf);
            free(c);
        } else {
            pp = &c->next;
        }
    }
}

int conn_busy(const struct node *n)
{
    for (const struct conn *c = n->conns; c; c = c->next) {
        if (c->dead || c->closing)
            continue;
        if (c->role == CR_PENDING || (c->role == CR_CHILD && !c->verdict))
            return 1;
    }
    return 0;
}

/* ---- sending ---- */

static int conn_queue(struct conn *c, struct pfs_msg *m)
{
    if (c->woff > 0) {
        memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
        c->wlen -= c->woff;
        c->woff = 0;
    }
    m->version = PFS_VERSION_1;
    m->xid = c->n->cfg->xid;
    long len = pfs_encode(m, c->wbuf + c->wlen, CONN_WBUF - c->wlen);
    if (len < 0)
        return -1;
    c->wlen += (size_t)len;
    return 0;
}

static void msg_init(struct pfs_msg *m, unsigned type, uint32_t hier)
{
    memset(m, 0, sizeof *m);
    m->type = (uint8_t)type;
    m->hier = hier;
}

/* Queues ABORT and pushes it out if the socket takes it now; no close. */
void conn_send_abort(struct conn *c, unsigned reason)
{
    if (c->dead)
        return;
    struct pfs_msg m;
    msg_init(&m, PFS_T_ABORT, c->hn ? c->hn->h.h : 0);
    m.u.reason.reason = (uint8_t)reason;
    if (conn_queue(c, &m) == 0)
        (void)send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void child_gone(struct conn *c, const char *why);

/* Fills wbuf from the file transfer while there is room for one more DATA. */
static void conn_fill(struct conn *c, int64_t now)
{
    if (c->role != CR_CHILD || c->tx.fd < 0 || c->tx_wake)
        return;
    struct xfr_wbuf w = {.buf = c->wbuf, .cap = CONN_WBUF, .off = c->woff, .len = c->wlen};
    int64_t wake = 0;
    enum xfr_fill rc = xfr_tx_fill(&c->tx, &w, now, &wake);
    c->woff = w.off;
    c->wlen = w.len;
    c->tx_wake = wake;
    if (rc == XFR_FILL_IO) {
        /* The file cannot be read any more: say so instead of going quiet. */
        conn_send_abort(c, PFS_R_IO);
        child_gone(c, why_word(WHY_IO));
    }
}

static void conn_lost(struct conn *c, enum why why);

/* Writes what is queued; keeps write interest only while something waits. */
static void conn_flush(struct conn *c)
{
    int64_t now = node_now();
    conn_fill(c, now);
    while (!c->dead && c->woff < c->wlen) {
        ssize_t w = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            conn_lost(c, WHY_RESET);
            return;
        }
        c->woff += (size_t)w;
        c->t_idle = now;
        if (c->woff == c->wlen)
            conn_fill(c, now);
    }
    if (c->dead)
        return;
    if (c->woff < c->wlen) {
        el_add_fd(c->n->loop, c->fd, EL_WRITABLE, conn_on_event, c);
        return;
    }
    c->woff = c->wlen = 0;
    if (!c->connecting)
        el_del_fd(c->n->loop, c->fd, EL_WRITABLE);
    if (c->closing)
        conn_drop(c);
}

/* ---- the child side of a connection we opened to a parent ---- */

struct conn *conn_join(struct node *n, struct hnode *hn)
{
    char err[NET_ERR_LEN];
    const struct hier *h = &hn->h;
    int fd = net_tcp_connect(err, n->cfg->addr, h->parent_addr, h->parent_port);
    if (fd < 0)
        return NULL;
    struct conn *c = conn_new(n, fd, CR_PARENT, h->parent_addr, h->parent_port);
    if (!c)
        return NULL;
    c->connecting = 1;
    c->hn = hn;
    c->xid = h->parent_xid;
    hn->parent = c;
    el_add_fd(n->loop, fd, EL_WRITABLE, conn_on_event, c);
    return c;
}

static void send_join(struct conn *c)
{
    const struct hier *h = &c->hn->h;
    struct pfs_msg m;
    msg_init(&m, PFS_T_JOIN, h->h);
    m.u.join.addr = c->n->cfg->addr;
    m.u.join.port = c->n->cfg->port;
    m.u.join.try_no = (uint8_t)(h->tries > 255 ? 255 : h->tries);
    m.u.join.model = pfs_str_of(c->n->cfg->model);
    m.u.join.file = pfs_str_of(h->path);
    if (conn_queue(c, &m) != 0) {
        conn_lost(c, WHY_ENCODE);
        return;
    }
    conn_flush(c);
}

static void on_connected(struct conn *c)
{
    char err[NET_ERR_LEN];
    c->connecting = 0;
    el_del_fd(c->n->loop, c->fd, EL_WRITABLE);
    if (net_connect_result(err, c->fd) != NET_OK) {
        conn_lost(c, WHY_CONNECT);
        return;
    }
    send_join(c);
}

/*
 * The parent broke the protocol or the transfer: tell it, then rejoin.
 * word, when not NULL, names the rule in the log (libpfs's error name).
 */
static void parent_fault(struct conn *c, unsigned reason, enum why why, const char *word)
{
    struct hnode *hn = c->hn;
    conn_send_abort(c, reason);
    conn_drop(c);
    if (!hn)
        return;
    int64_t now = node_now();
    if (hn->h.st == HS_JOINING)
        hier_join_failed(&hn->h, now);
    else
        hier_parent_lost(&hn->h, why, word, now);
}

static struct pfs_dlog_ev xfr_ev(struct conn *c, enum pfs_dlog_kind kind)
{
    struct pfs_dlog_ev ev = hier_ev(&c->hn->h, kind);
    ev.peer = c->xid;
    ev.pip = c->ip;
    return ev;
}

static void on_xfrcmd(struct conn *c, const struct pfs_msg *m)
{
    struct hnode *hn = c->hn;
    const struct pfs_xfrcmd *x = &m->u.xfrcmd;
    struct node *n = c->n;
    if (hn->h.st != HS_MEMBER || c->rx.active) {
        parent_fault(c, PFS_R_PROTOCOL, WHY_PROTOCOL, NULL);
        return;
    }
    /* The rule that failed is named with libpfs's words: another file is a
     * path fault, a size over what the .loads allows a size fault. */
    uint32_t max = hn->h.have_expect ? hn->h.exp_size : PFS_FILE_MAX;
    int rule = xfr_cmd_rule(x, hn->h.path, max);
    if (rule != 0) {
        parent_fault(c, PFS_R_PROTOCOL, WHY_PROTOCOL, pfs_errword(rule));
        return;
    }
    char err[256];
    int rc = xfr_rx_begin(&c->rx, x, n->cfg->dir, hn->h.name, max, node_now(), err, sizeof err);
    if (rc != 0) {
        parent_fault(c, (unsigned)rc, rc == PFS_R_IO ? WHY_IO : WHY_PROTOCOL, NULL);
        return;
    }
    struct pfs_dlog_ev ev = xfr_ev(c, PFS_DL_XFR_RX);
    ev.total = x->size;
    snprintf(ev.src, sizeof ev.src, "%s", pfs_source_name(x->source));
    node_log(n, &ev);
    if (n->cfg->cut_through && hn->h.have_expect) {
        hn->inflow = &c->rx.st;
        hn->inflow_source = PFS_SRC_PEER;
        hn->inflow_origin = x->origin_xid;
        conn_feed(hn);
    }
}

static void on_data(struct conn *c, const struct pfs_msg *m)
{
    int rc = xfr_rx_data(&c->rx, &m->u.data, node_now());
    if (rc != 0) {
        parent_fault(c, (unsigned)rc, rc == PFS_R_IO ? WHY_IO : WHY_PROTOCOL, NULL);
        return;
    }
    if (xfr_rx_progress_due(&c->rx)) {
        struct pfs_dlog_ev ev = xfr_ev(c, PFS_DL_PROGRESS);
        ev.bytes = c->rx.got;
        ev.total = c->rx.size;
        node_log(c->n, &ev);
    }
    if (c->hn->inflow == &c->rx.st)
        conn_feed(c->hn);
}

static void send_verdict(struct conn *c, unsigned verdict, uint32_t bytes)
{
    struct pfs_msg m;
    msg_init(&m, PFS_T_VERDICT, c->hn->h.h);
    m.u.verdict.verdict = (uint8_t)verdict;
    m.u.verdict.bytes = bytes;
    /* The parent gets its answer, then the connection ends: we are done with it. */
    if (conn_queue(c, &m) == 0) {
        c->closing = 1;
        c->hn->parent = NULL;
        conn_flush(c);
    } else {
        conn_drop(c);
    }
}

static void on_xfrend(struct conn *c, const struct pfs_msg *m)
{
    struct hnode *hn = c->hn;
    struct node *n = c->n;
    if (!c->rx.active) {
        parent_fault(c, PFS_R_PROTOCOL, WHY_PROTOCOL, NULL);
        return;
    }
    uint8_t d[PFS_SHA256_LEN];
    uint32_t got = c->rx.got;
    int64_t now = node_now();
    double secs = (double)(now - c->rx.t0) / 1000.0;
    int v = xfr_rx_end(&c->rx, &m->u.xfrend, d);
    int fed = hn->inflow == &c->rx.st;
    hn->inflow = NULL; /* children fed from it get XFREND once it is kept */
    if (v != PFS_V_SHORT) {
        /* Every byte is here; the hash verdict follows on the next line. */
        struct pfs_dlog_ev ev = xfr_ev(c, PFS_DL_RX_DONE);
        ev.bytes = got;
        ev.secs = secs;
        ev.rate = why_rate_kbs(got, secs);
        node_log(n, &ev);
    }
    enum why bad = v == PFS_V_OK ? n->hooks->accept_file(n, hn, &c->rx.st, d) : WHY_NONE;
    if (bad != WHY_NONE)
        v = bad == WHY_IO ? PFS_V_IO : PFS_V_HASH;
    if (v == PFS_V_OK) {
        node_log_hash(c->n, c->hn, PFS_DL_HASH_OK, d);
        hn->h.origin = c->rx.origin;
        send_verdict(c, PFS_V_OK, got);
        hier_file_ok(&hn->h, PFS_SRC_PEER, now);
        return;
    }
    if (fed)
        conn_abort_children(hn, v == PFS_V_HASH ? PFS_R_HASH : PFS_R_IO, 1);
    store_discard(&c->rx.st);
    if (v == PFS_V_HASH)
        node_log_hash(c->n, c->hn, PFS_DL_HASH_BAD, d);
    send_verdict(c, (unsigned)v, got);
    if (v == PFS_V_HASH)
        hier_file_bad(&hn->h, now);
    else
        hier_parent_lost(&hn->h, v == PFS_V_SHORT ? WHY_SHORT : WHY_IO, NULL, now);
}

/* A message on a connection to our parent. */
static void from_parent(struct conn *c, const struct pfs_msg *m)
{
    struct hnode *hn = c->hn;
    int64_t now = node_now();
    if (!hn || hn->parent != c) {
        conn_drop(c);
        return;
    }
    if (m->type != PFS_T_ABORT && m->type != PFS_T_LEAVE && m->hier != hn->h.h) {
        parent_fault(c, PFS_R_PROTOCOL, WHY_PROTOCOL, NULL);
        return;
    }
    int joining = hn->h.st == HS_JOINING;
    switch (m->type) {
    case PFS_T_ACCEPT:
        if (joining) {
            (void)hier_accepted(&hn->h, &m->u.accept, now); /* a loop drops c */
            return;
        }
        /* Before XFRCMD a parent repeats ACCEPT to say it is still alive and
         * where it is now; we pass it on to our own waiting children. */
        if (hn->h.st != HS_MEMBER || c->rx.active || m->u.accept.index != hn->h.parent_index)
            break;
        if (hier_refresh(&hn->h, &m->u.accept, now))
            conn_keepalive(hn, now);
        return;
    case PFS_T_REFUSE:
        if (!joining)
            break;
        hier_refused(&hn->h, &m->u.refuse, now); /* drops this connection */
        return;
    case PFS_T_XFRCMD: on_xfrcmd(c, m); return;
    case PFS_T_DATA:
        if (!c->rx.active)
            break;
        on_data(c, m);
        return;
    case PFS_T_XFREND: on_xfrend(c, m); return;
    case PFS_T_ABORT:
    case PFS_T_LEAVE: {
        /* ABORT(HASH): the parent's own copy failed its check (cut-through);
         * the bytes we forwarded are as bad, and so is this try. */
        int hash = m->type == PFS_T_ABORT && m->u.reason.reason == PFS_R_HASH;
        if (hash)
            inflow_lost(c, PFS_R_HASH);
        conn_drop(c);
        if (joining)
            hier_join_failed(&hn->h, now);
        else
            hier_parent_lost(&hn->h, hash ? WHY_HASH
                                     : m->type == PFS_T_LEAVE ? WHY_LEAVE : WHY_ABORT, NULL, now);
        return;
    }
    default: break;
    }
    parent_fault(c, PFS_R_PROTOCOL, WHY_PROTOCOL, NULL);
}

/* ---- the parent side: a connection a child opened to us ---- */

static void log_child(struct conn *c, enum pfs_dlog_kind kind, uint32_t xid, uint32_t h,
                      const char *reason)
{
    struct pfs_dlog_ev ev = node_ev(c->n, kind);
    ev.peer = xid;
    ev.pip = c->ip;
    ev.h = h;
    ev.index = c->slot;
    if (reason)
        snprintf(ev.reason, sizeof ev.reason, "%s", reason);
    node_log(c->n, &ev);
}

static void refuse(struct conn *c, const struct pfs_msg *jm, unsigned reason, struct hnode *hn)
{
    struct pfs_msg m;
    msg_init(&m, PFS_T_REFUSE, jm->hier);
    m.u.refuse.reason = (uint8_t)reason;
    if (reason == PFS_R_FULL && hn)
        m.u.refuse.nhints = (uint8_t)tree_hints(&hn->h.slots, m.u.refuse.hints);
    log_child(c, PFS_DL_CHILD_NO, jm->xid, jm->hier, pfs_reason_name(reason));
    if (conn_queue(c, &m) != 0) {
        conn_drop(c);
        return;
    }
    c->closing = 1;
    conn_flush(c);
}

/* ACCEPT for c's slot with our depth and root as they are now. */
static int queue_accept(struct conn *c)
{
    struct pfs_msg a;
    msg_init(&a, PFS_T_ACCEPT, c->hn->h.h);
    a.u.accept.index = (uint8_t)c->slot;
    a.u.accept.depth = c->hn->h.depth;
    a.u.accept.root_xid = c->hn->h.root_xid;
    return conn_queue(c, &a);
}

void conn_keepalive(struct hnode *hn, int64_t now)
{
    hn->keepalive_at = now;
    for (int i = 0; i < PFS_MAX_CHILDREN; i++) {
        struct conn *c = hn->child[i];
        if (!c || c->dead || c->closing || c->tx.phase != TX_IDLE)
            continue;
        if (queue_accept(c) == 0)
            conn_flush(c);
    }
}

static void on_join(struct conn *c, const struct pfs_msg *m)
{
    struct node *n = c->n;
    const struct pfs_join *j = &m->u.join;
    char model[PFS_MODEL_MAX + 1], file[PFS_PATH_MAX + 1];
    memcpy(model, j->model.p, j->model.len);
    model[j->model.len] = '\0';
    memcpy(file, j->file.p, j->file.len);
    file[j->file.len] = '\0';
    if (strcmp(model, n->cfg->model) != 0 || pfs_hier_id(model, file) != m->hier) {
        refuse(c, m, PFS_R_WRONG_HIER, NULL);
        return;
    }
    struct hnode *hn = node_find_hier(n, m->hier);
    int reason = PFS_R_NOT_MEMBER;
    int idx = hn && hn->h.st != HS_IDLE
                  ? hier_child_join(&hn->h, m->xid, j->addr, j->port, &reason)
                  : -1;
    if (idx < 0) {
        refuse(c, m, (unsigned)reason, hn);
        return;
    }
    c->role = CR_CHILD;
    c->hn = hn;
    c->slot = idx;
    c->xid = m->xid;
    hn->child[idx] = c;
    hn->child_verdict[idx] = 0;
    if (queue_accept(c) != 0) {
        conn_drop(c);
        hier_child_release(&hn->h, idx, node_now());
        return;
    }
    log_child(c, PFS_DL_CHILD_ADD, m->xid, hn->h.h, NULL);
    hier_child_changed(&hn->h, node_now());
    if (hn->h.st == HS_DONE || hn->inflow) /* held, or arriving (cut-through) */
        conn_start_tx(c);
    else
        conn_flush(c);
}

/* A child left: a served one quietly, any other frees its slot. */
static void child_gone(struct conn *c, const char *why)
{
    struct hnode *hn = c->hn;
    int slot = c->slot;
    int served = c->verdict == PFS_V_OK;
    if (!served)
        log_child(c, PFS_DL_CHILD_LOST, c->xid, hn->h.h, why);
    conn_drop(c);
    if (!served)
        hier_child_release(&hn->h, slot, node_now());
    c->n->hooks->check_done(c->n);
}

static void on_verdict(struct conn *c, const struct pfs_msg *m)
{
    struct hnode *hn = c->hn;
    int64_t now = node_now();
    if (c->tx.phase != TX_VERDICT) {
        conn_send_abort(c, PFS_R_PROTOCOL);
        child_gone(c, why_word(WHY_PROTOCOL));
        return;
    }
    c->tx.phase = TX_DONE;
    c->verdict = m->u.verdict.verdict;
    hn->child_verdict[c->slot] = c->verdict;
    double secs = (double)(now - c->tx.t0) / 1000.0;
    struct pfs_dlog_ev ev = xfr_ev(c, PFS_DL_TX_DONE);
    ev.bytes = c->tx.sent;
    ev.secs = secs;
    ev.rate = why_rate_kbs(c->tx.sent, secs);
    snprintf(ev.reason, sizeof ev.reason, "%s", pfs_verdict_name(m->u.verdict.verdict));
    node_log(c->n, &ev);
    xfr_tx_close(&c->tx);
    c->n->hooks->check_done(c->n);
}

static void from_child(struct conn *c, const struct pfs_msg *m)
{
    switch (m->type) {
    case PFS_T_VERDICT: on_verdict(c, m); return;
    case PFS_T_ABORT: child_gone(c, pfs_reason_name(m->u.reason.reason)); return;
    case PFS_T_LEAVE: child_gone(c, why_word(WHY_LEAVE)); return;
    default:
        conn_send_abort(c, PFS_R_PROTOCOL);
        child_gone(c, why_word(WHY_PROTOCOL));
        return;
    }
}

/*
 * The file we send a child: our verified copy once held (sealed at once),
 * else with --cut-through the copy still arriving (hn->inflow), sent as
 * its bytes land. 0, or -1 with err.
 */
static int open_tx(struct conn *c, int64_t now, char *err, size_t errcap)
{
    struct hnode *hn = c->hn;
    struct node *n = c->n;
    const struct hier *h = &hn->h;
    int held = h->st == HS_DONE;
    struct xfr_id id = {.xid = n->cfg->xid, .hier = h->h,
                        .source = held ? (uint8_t)h->source : hn->inflow_source,
                        .origin = held ? h->origin : hn->inflow_origin};
    memcpy(id.sha, held ? h->sha : h->exp_sha, PFS_SHA256_LEN);
    snprintf(id.path, sizeof id.path, "%s", h->path);
    char path[STORE_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", n->cfg->dir, h->name);
    if (xfr_tx_open(&c->tx, held ? path : hn->inflow->tmp, held ? h->size : h->exp_size, &id,
                    n->cfg->tx_rate * 1024, now, err, errcap) != 0)
        return -1;
    if (!held)
        xfr_tx_cut(&c->tx, (uint32_t)hn->inflow->bytes);
    return 0;
}

void conn_start_tx(struct conn *c)
{
    struct hnode *hn = c->hn;
    struct node *n = c->n;
    if (c->dead)
        return;
    if (c->tx.fd >= 0 && !c->tx.sealed && hn->h.st == HS_DONE) {
        /* Cut-through: our own copy passed its checks, XFREND may follow. */
        xfr_tx_feed(&c->tx, c->tx.size, 1);
        conn_flush(c);
        return;
    }
    if (c->tx.fd >= 0 || c->tx.phase != TX_IDLE || (hn->h.st != HS_DONE && !hn->inflow))
        return;
    char err[256];
    int64_t now = node_now();
    if (open_tx(c, now, err, sizeof err) != 0) {
        conn_send_abort(c, PFS_R_IO);
        child_gone(c, why_word(WHY_IO));
        return;
    }
    struct pfs_dlog_ev ev = xfr_ev(c, PFS_DL_XFR_TX);
    ev.total = c->tx.size;
    snprintf(ev.src, sizeof ev.src, "%s", pfs_source_name(c->tx.id.source));
    node_log(n, &ev);
    c->t_idle = now;
    conn_flush(c);
}

void conn_feed(struct hnode *hn)
{
    if (!hn->inflow)
        return;
    int64_t now = node_now();
    for (int i = 0; i < PFS_MAX_CHILDREN; i++) {
        struct conn *c = hn->child[i];
        if (!c || c->dead || c->closing)
            continue;
        if (c->tx.phase == TX_IDLE) {
            conn_start_tx(c);
            continue;
        }
        if (c->tx.fd < 0 || c->tx.sealed)
            continue;
        /* Waiting on our own source is not the child's stall: its clock starts now. */
        if (xfr_tx_starved(&c->tx))
            c->t_idle = now;
        xfr_tx_feed(&c->tx, (uint32_t)hn->inflow->bytes, 0);
        conn_flush(c);
    }
}

void conn_abort_children(struct hnode *hn, unsigned reason, int fed_only)
{
    for (int i = 0; i < PFS_MAX_CHILDREN; i++) {
        struct conn *c = hn->child[i];
        if (!c || (fed_only && (c->tx.fd < 0 || c->tx.sealed)))
            continue;
        struct pfs_dlog_ev ev = hier_ev(&hn->h, PFS_DL_CHILD_LOST);
        ev.index = i;
        ev.peer = c->xid;
        ev.pip = c->ip;
        snprintf(ev.reason, sizeof ev.reason, "%s",
                 why_word(reason == PFS_R_HASH ? WHY_HASH : WHY_NO_FILE));
        node_log(c->n, &ev);
        conn_send_abort(c, reason);
        conn_drop(c);
        hn->child[i] = NULL;
        tree_slot_release(&hn->h.slots, i);
    }
}

/* Our arriving copy from parent c is lost: the children fed from it are cut off. */
static void inflow_lost(struct conn *c, unsigned reason)
{
    struct hnode *hn = c->hn;
    if (!hn || hn->inflow != &c->rx.st)
        return;
    hn->inflow = NULL;
    conn_abort_children(hn, reason, 1);
}

/* ---- reading and dispatch ---- */

static void dispatch(struct conn *c, const struct pfs_msg *m)
{
    switch (c->role) {
    case CR_PENDING:
        if (m->type == PFS_T_JOIN) {
            on_join(c, m);
        } else {
            log_child(c, PFS_DL_CHILD_NO, m->xid, m->hier, why_word(WHY_PROTOCOL));
            conn_send_abort(c, PFS_R_PROTOCOL);
            conn_drop(c);
        }
        return;
    case CR_CHILD: from_child(c, m); return;
    case CR_PARENT: from_parent(c, m); return;
    }
}

/* Bytes that do not frame or decode: the log names libpfs's rule. */
static void bad_stream(struct conn *c, int err)
{
    if (c->role == CR_PARENT) {
        parent_fault(c, PFS_R_PROTOCOL, WHY_PROTOCOL, pfs_errword(err));
    } else if (c->role == CR_CHILD) {
        conn_send_abort(c, PFS_R_PROTOCOL);
        child_gone(c, pfs_errword(err));
    } else {
        log_child(c, PFS_DL_CHILD_NO, 0, 0, pfs_errword(err));
        conn_send_abort(c, PFS_R_PROTOCOL);
        conn_drop(c);
    }
}

/* Decodes every whole message in rbuf. */
static void process_frames(struct conn *c)
{
    size_t off = 0;
    while (!c->dead && !c->closing) {
        long fl = pfs_frame_len(c->rbuf + off, c->rlen - off);
        if (fl < 0) {
            bad_stream(c, (int)fl);
            return;
        }
        if (fl == 0 || (size_t)fl > c->rlen - off)
            break;
        struct pfs_msg m;
        int rc = pfs_decode(c->rbuf + off, (size_t)fl, &m);
        if (rc != PFS_OK) {
            bad_stream(c, rc);
            return;
        }
        c->t_idle = c->t_heard = node_now();
        dispatch(c, &m);
        off += (size_t)fl;
    }
    if (c->dead)
        return;
    memmove(c->rbuf, c->rbuf + off, c->rlen - off);
    c->rlen -= off;
}

static void conn_lost(struct conn *c, enum why why)
{
    struct hnode *hn = c->hn;
    int64_t now = node_now();
    if (c->dead)
        return;
    if (c->closing || c->role == CR_PENDING || !hn) {
        conn_drop(c);
        return;
    }
    if (c->role == CR_CHILD) {
        child_gone(c, why_word(why));
        return;
    }
    int mine = hn->parent == c;
    conn_drop(c);
    if (!mine)
        return;
    if (hn->h.st == HS_JOINING)
        hier_join_failed(&hn->h, now);
    else
        hier_parent_lost(&hn->h, why, NULL, now);
}

static void conn_read(struct conn *c)
{
    while (!c->dead) {
        ssize_t r = read(c->fd, c->rbuf + c->rlen, CONN_RBUF - c->rlen);
        if (r == 0) {
            conn_lost(c, WHY_CLOSED);
            return;
        }
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                conn_lost(c, WHY_RESET);
            return;
        }
        c->rlen += (size_t)r;
        process_frames(c);
        /* A closing connection only flushes: what it still gets is ignored. */
        if (!c->dead && c->closing)
            c->rlen = 0;
    }
}

static void conn_on_event(struct el_loop *loop, int fd, void *ud, int mask)
{
    (void)loop, (void)fd;
    struct conn *c = ud;
    if (c->dead)
        return;
    if (mask & EL_WRITABLE) {
        if (c->connecting)
            on_connected(c);
        else
            conn_flush(c);
        return;
    }
    conn_read(c);
}

/* ---- the listener ---- */

/* The word for an accept failure in the nofd line. */
static void accept_err_word(int e, char *out, size_t cap)
{
    const char *w = e == EMFILE ? "EMFILE" : e == ENFILE ? "ENFILE" : e == ENOBUFS ? "ENOBUFS"
                  : e == ENOMEM ? "ENOMEM" : NULL;
    if (w)
        snprintf(out, cap, "%s", w);
    else
        snprintf(out, cap, "errno-%d", e);
}

/*
 * Out of descriptors: close the spare, so that the waiting connections
 * can be accepted and closed at once (their peers see a clean close and
 * try elsewhere instead of hanging in the queue), then take it back.
 */
static void shed_waiting(struct node *n, int lfd)
{
    if (n->spare_fd >= 0) {
        close(n->spare_fd);
        n->spare_fd = -1;
    }
    for (int i = 0; i < ACCEPT_BURST; i++) {
        int cfd = accept(lfd, NULL, NULL);
        if (cfd < 0)
            break;
        close(cfd);
        n->shed++;
    }
    /* When this fails the next failure sheds nothing; the pause still holds. */
    n->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static long on_accept_rested(struct el_loop *loop, long long id, void *ud)
{
    (void)id;
    struct node *n = ud;
    n->accept_timer = 0;
    if (el_add_fd(loop, n->lfd, EL_READABLE, conn_on_listen, n) != EL_OK)
        fprintf(stderr, "pfsd: event loop: cannot watch the listener again\n");
    return EL_NOMORE;
}

/*
 * The listener stays readable while a connection waits that cannot be
 * accepted: stop polling it for a while instead of spinning. The pause
 * doubles while accept keeps failing; a good accept resets it.
 */
static void rest_listener(struct node *n)
{
    if (n->accept_timer)
        return;
    long long id = el_add_timer(n->loop, n->accept_pause, on_accept_rested, n);
    if (id == EL_ERR)
        return; /* out of memory: keep polling, the failure repeats */
    el_del_fd(n->loop, n->lfd, EL_READABLE);
    n->accept_timer = id;
    n->accept_pause = n->accept_pause * 2 > CONN_ACCEPT_PAUSE_MAX ? CONN_ACCEPT_PAUSE_MAX
                                                                  : n->accept_pause * 2;
}

static void accept_failed(struct node *n, int lfd, int e)
{
    int64_t now = node_now();
    if (e == EMFILE || e == ENFILE)
        shed_waiting(n, lfd);
    /* Once, then at most once a minute with the count since. */
    if (!n->nofd_logged_at || now - n->nofd_logged_at >= CONN_NOFD_LOG_EVERY) {
        struct pfs_dlog_ev ev = node_ev(n, PFS_DL_NOFD);
        ev.port = n->cfg->port;
        ev.n = (long)(n->shed - n->shed_logged);
        accept_err_word(e, ev.reason, sizeof ev.reason);
        node_log(n, &ev);
        n->shed_logged = n->shed;
        n->nofd_logged_at = now;
    }
    rest_listener(n);
}

void conn_on_listen(struct el_loop *loop, int fd, void *ud, int mask)
{
    (void)loop, (void)mask;
    struct node *n = ud;
    for (int i = 0; i < ACCEPT_BURST; i++) {
        char err[NET_ERR_LEN];
        uint32_t ip;
        uint16_t port;
        int cfd = net_tcp_accept(err, fd, &ip, &port);
        if (cfd == NET_AGAIN)
            return;
        if (cfd < 0) {
            accept_failed(n, fd, errno);
            return;
        }
        n->accept_pause = CONN_ACCEPT_PAUSE_MIN;
        (void)conn_new(n, cfd, CR_PENDING, ip, port);
    }
}

/* ---- timeouts ---- */

static void check_conn(struct conn *c, int64_t now)
{
    const struct pfsd_config *cfg = c->n->cfg;
    if (c->closing) {
        if (now - c->t_idle >= cfg->idle_timeout)
            conn_drop(c);
        return;
    }
    switch (c->role) {
    case CR_PENDING:
        if (now - c->t_open >= cfg->idle_timeout) {
            log_child(c, PFS_DL_CHILD_NO, 0, 0, why_word(WHY_IDLE));
            conn_drop(c);
        }
        return;
    case CR_CHILD:
        if (c->tx_wake && now >= c->tx_wake) {
            c->tx_wake = 0;
            conn_flush(c);
            return;
        }
        if ((c->tx.phase == TX_CMD || c->tx.phase == TX_DATA || c->tx.phase == TX_END) &&
            !c->tx_wake && !(xfr_tx_starved(&c->tx) && c->woff == c->wlen) &&
            now - c->t_idle >= cfg->stall_timeout) {
            conn_send_abort(c, PFS_R_TIMEOUT);
            child_gone(c, why_word(WHY_STALL));
        } else if (c->tx.phase == TX_VERDICT && c->wlen == 0 &&
                   now - (c->t_idle > c->tx.t_end ? c->t_idle : c->tx.t_end) >= cfg->idle_timeout) {
            conn_send_abort(c, PFS_R_TIMEOUT);
            child_gone(c, why_word(WHY_TIMEOUT));
        }
        return;
    case CR_PARENT:
        if (c->rx.active && now - c->rx.last >= cfg->stall_timeout) {
            parent_fault(c, PFS_R_TIMEOUT, WHY_STALL, NULL);
        } else if (!c->rx.active && !c->connecting && c->hn && c->hn->parent == c &&
                   c->hn->h.st == HS_MEMBER && now - c->t_heard >= cfg->stall_timeout) {
            /* Accepted, then neither XFRCMD nor a keepalive: a parent that
             * says nothing (a dead branch, a loop, a stranger) is left. */
            parent_fault(c, PFS_R_TIMEOUT, WHY_SILENT, NULL);
        }
        return;
    }
}

/*
 * 1 when hn may vouch for its tree to children waiting for XFRCMD: it is
 * the root (waiting or fetching), or its own file is arriving. A member
 * that merely waits only passes on its parent's keepalives, so a branch
 * cut off from the root (or a loop) falls silent and its children leave.
 */
static int vouches(const struct hnode *hn, int64_t now, long stall)
{
    const struct hier *h = &hn->h;
    if (h->is_root && (h->st == HS_WAITING || h->st == HS_FETCH))
        return 1;
    return h->st == HS_MEMBER && hn->parent && hn->parent->rx.active &&
           now - hn->parent->rx.last < stall;
}

void conn_housekeeping(struct node *n, int64_t now)
{
    for (struct conn *c = n->conns; c; c = c->next)
        if (!c->dead)
            check_conn(c, now);
    /* Keepalives three times per stall-timeout: a child leaves after one without. */
    long every = n->cfg->stall_timeout / 3;
    for (int i = 0; i < n->nh; i++) {
        struct hnode *hn = n->hn[i];
        if (now - hn->keepalive_at >= every && vouches(hn, now, n->cfg->stall_timeout))
            conn_keepalive(hn, now);
    }
}
