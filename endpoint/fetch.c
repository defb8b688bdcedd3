/*
 * fetch.c - the TFTP fetch of one file: the root's, or a fallback's.
 * Bytes stream into a store (temp file + SHA-256); the file gets its
 * real name only after node.c's checks (the accept_file hook, site.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "fetch.h"

#include <errno.h>
#include <string.h>

#include "sha256.h"

static int fetch_sink(void *arg, const uint8_t *data, size_t len, uint64_t offset)
{
    struct hnode *hn = arg;
    (void)offset; /* the client delivers in order, each byte once */
    if (store_write(&hn->st, data, len) != 0)
        return -1;
    if (hn->inflow == &hn->st)
        hn->n->hooks->arrived(hn->n, hn);
    return 0;
}

/* The fetch ended: children fed from it (cut-through) wait for the verdict, or
 * (reason not 0) are cut off. */
static void inflow_end(struct hnode *hn, unsigned reason)
{
    int fed = hn->inflow == &hn->st;
    hn->inflow = NULL;
    if (fed && reason)
        hn->n->hooks->spoiled(hn->n, hn, reason);
}

/* TFTP lines name the file as the server is asked for it: the bare name. */
static struct pfs_dlog_ev tftp_ev(const struct hnode *hn, enum pfs_dlog_kind kind)
{
    struct pfs_dlog_ev ev = hier_ev(&hn->h, kind);
    snprintf(ev.file, sizeof ev.file, "%s", hn->h.name);
    return ev;
}

/*
 * The reason is one word in the log, cut to the field: a client failure
 * gives its detail, which leaves out the server (the RRQ line names it).
 */
static void log_fail(struct node *n, struct hnode *hn, const char *why)
{
    struct pfs_dlog_ev ev = tftp_ev(hn, PFS_DL_TFTP_FAIL);
    size_t len = strlen(why);
    if (len > sizeof ev.reason - 1)
        len = sizeof ev.reason - 1;
    memcpy(ev.reason, why, len);
    ev.reason[len] = '\0';
    node_log(n, &ev);
}

/* Stops watching the transfer and frees it; the store stays for the caller. */
static void fetch_release(struct hnode *hn)
{
    struct node *n = hn->n;
    if (!hn->tftp)
        return;
    el_del_fd(n->loop, tftp_fd(hn->tftp), EL_READABLE);
    if (hn->tftp_timer)
        el_del_timer(n->loop, hn->tftp_timer);
    hn->tftp_timer = 0;
    tftp_free(hn->tftp);
    hn->tftp = NULL;
}

static void fetch_done(struct hnode *hn, const struct tftp_stats *st)
{
    struct node *n = hn->n;
    int64_t now = node_now();
    struct pfs_dlog_ev ev = tftp_ev(hn, PFS_DL_TFTP_DONE);
    ev.bytes = st->bytes;
    ev.secs = st->seconds;
    ev.rate = why_rate_kbs(st->bytes, st->seconds);
    node_log(n, &ev);
    uint8_t d[PFS_SHA256_LEN];
    store_digest(&hn->st, d);
    enum why bad = n->hooks->accept_file(n, hn, &hn->st, d);
    inflow_end(hn, bad == WHY_NONE ? 0 : bad == WHY_IO ? PFS_R_IO : PFS_R_HASH);
    if (bad != WHY_NONE) {
        node_log_hash(n, hn, PFS_DL_HASH_BAD, d);
        log_fail(n, hn, why_word(bad));
        store_discard(&hn->st);
        if (bad == WHY_LOADS_HASH)
            hier_fetch_bad(&hn->h, now);
        else
            hier_fetch_failed(&hn->h, now);
        return;
    }
    node_log_hash(n, hn, PFS_DL_HASH_OK, d);
    if (hn->h.index == 0)
        hier_anchor_ok(&hn->h, now); /* the anchor: no hierarchy on the wire */
    else
        hier_file_ok(&hn->h, PFS_SRC_TFTP, now);
}

/* Called after every client step: finishes the fetch once the client has. */
static void fetch_check(struct hnode *hn)
{
    if (!hn->tftp)
        return;
    enum tftp_state s = tftp_state(hn->tftp);
    if (s != TFTP_DONE && s != TFTP_FAILED)
        return;
    struct tftp_stats st;
    struct tftp_error err = *tftp_error(hn->tftp);
    tftp_stats(hn->tftp, &st);
    fetch_release(hn);
    if (s == TFTP_DONE) {
        fetch_done(hn, &st);
        return;
    }
    log_fail(hn->n, hn, err.detail);
    inflow_end(hn, PFS_R_IO);
    store_discard(&hn->st);
    hier_fetch_failed(&hn->h, node_now());
}

static void fetch_on_readable(struct el_loop *loop, int fd, void *ud, int mask)
{
    (void)loop, (void)fd, (void)mask;
    struct hnode *hn = ud;
    if (!hn->tftp)
        return;
    tftp_on_readable(hn->tftp);
    fetch_check(hn);
}

static long fetch_on_timer(struct el_loop *loop, long long id, void *ud)
{
    (void)loop, (void)id;
    struct hnode *hn = ud;
    if (!hn->tftp)
        return EL_NOMORE;
    tftp_on_timer(hn->tftp);
    if (tftp_timeout_ms(hn->tftp) < 0) {
        hn->tftp_timer = 0; /* returning NOMORE ends this timer */
        fetch_check(hn);
        return EL_NOMORE;
    }
    /* Early wakeups are harmless: the client only acts past its deadline. */
    return tftp_timeout_ms(hn->tftp);
}

int fetch_start(struct node *n, struct hnode *hn)
{
    const struct pfsd_config *c = n->cfg;
    char err[TFTP_ERR_LEN];
    struct tftp_error terr;
    if (store_open(&hn->st, c->dir, hn->h.name, err, sizeof err) != 0) {
        log_fail(n, hn, err);
        return -1;
    }
    struct tftp_req rq = {
        .server_ip = c->tftp_ip, .server_port = c->tftp_port, .local_ip = c->addr,
        .file = hn->h.name, .blksize = (unsigned)c->blksize,
        .timeout_ms = (unsigned)c->tftp_timeout, .tries = (unsigned)c->tftp_retries + 1,
        .max_size = hn->h.have_expect ? hn->h.exp_size : PFS_FILE_MAX,
        .sink = fetch_sink, .sink_arg = hn, .out_fd = -1,
    };
    struct pfs_dlog_ev ev = tftp_ev(hn, PFS_DL_TFTP_RRQ);
    ev.pip = c->tftp_ip;
    ev.port = c->tftp_port;
    node_log(n, &ev);
    hn->tftp = tftp_start(&rq, &terr);
    if (!hn->tftp) {
        log_fail(n, hn, terr.detail);
        store_discard(&hn->st);
        return -1;
    }
    long long id = el_add_timer(n->loop, tftp_timeout_ms(hn->tftp), fetch_on_timer, hn);
    if (el_add_fd(n->loop, tftp_fd(hn->tftp), EL_READABLE, fetch_on_readable, hn) != EL_OK ||
        id < 0) {
        if (id > 0)
            el_del_timer(n->loop, id);
        fetch_release(hn);
        log_fail(n, hn, "event loop full");
        store_discard(&hn->st);
        return -1;
    }
    hn->tftp_timer = id;
    if (c->cut_through && hn->h.have_expect) {
        hn->inflow = &hn->st;
        hn->inflow_source = PFS_SRC_TFTP;
        hn->inflow_origin = c->xid;
        n->hooks->arrived(n, hn); /* children already waiting start now */
    }
    return 0;
}

void fetch_cancel(struct hnode *hn)
{
    inflow_end(hn, PFS_R_IO);
    fetch_release(hn);
    store_discard(&hn->st);
}
