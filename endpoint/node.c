/*
 * node.c - the endpoint's core: sockets, the hierarchies of the load,
 * broadcasts, malformed-datagram accounting, and the orderly end.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "node.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conn.h"
#include "fetch.h"
#include "net.h"
#include "sha256.h"

#define EL_SETSIZE 1024
#define UDP_RCVBUF (4 << 20)
#define UDP_BURST 64   /* datagrams read per wakeup: the TCP side gets its turn */
/*
 * Joins of a bulk reset arrive together: a whole site's children may knock
 * at one parent within a few milliseconds, and a short queue overflows
 * (ListenOverflows) into join timeouts. The kernel caps it at somaxconn.
 */
#define LISTEN_BACKLOG 1024

static int conn_fd(const struct conn *c)
{
    return c && !c->dead ? c->fd : -1;
}

static void node_check_done(struct node *n);

static void node_state_line(struct node *n, struct hnode *hn)
{
    struct pfs_dlog_ev ev = node_ev(n, PFS_DL_STATE);
    ev.parent = conn_fd(hn->parent);
    ev.fd0 = conn_fd(hn->child[0]);
    ev.fd1 = conn_fd(hn->child[1]);
    ev.full = tree_slots_free(&hn->h.slots) == 0;
    node_log(n, &ev);
}

/* ---- broadcasts ---- */

static void send_bcast(struct node *n, struct pfs_msg *m)
{
    if (n->ufd_own < 0)
        return; /* --no-pfs: no PFS socket */
    uint8_t buf[PFS_UDP_MAX];
    long len = pfs_encode(m, buf, sizeof buf);
    if (len < 0)
        return; /* our own fields are validated at startup: cannot happen */
    char err[NET_ERR_LEN];
    /* A lost broadcast is what the Ads' repetition is for: not fatal. */
    (void)net_udp_send(err, n->ufd_own, n->cfg->bcast, n->cfg->port, buf, (size_t)len);
}

static void op_bcast(void *ctx, struct hier *h, unsigned type, unsigned wire_state, unsigned seq)
{
    struct node *n = ctx;
    int attached = hier_attached(h);
    struct pfs_msg m;
    memset(&m, 0, sizeof m);
    m.version = PFS_VERSION_1;
    m.type = (uint8_t)type;
    m.xid = n->cfg->xid;
    m.hier = h->h;
    int nfree = tree_slots_free(&h->slots);
    m.flags = PFS_F_BCAST | (nfree == 0 ? PFS_F_FULL : 0) | (h->st == HS_DONE ? PFS_F_HAVE : 0);
    struct pfs_claim *c = &m.u.claim;
    c->state = (uint8_t)wire_state;
    c->seq = (uint8_t)seq;
    c->depth = attached ? h->depth : PFS_DEPTH_NONE;
    c->free_slots = (uint8_t)nfree;
    c->map = h->map;
    /* Members speak with the root's strength: a late claimant yields to the tree. */
    c->strength = type == PFS_T_CLAIM || h->st == HS_TENT ? h->strength
                  : attached                              ? PFS_STRENGTH_ROOT
                                                          : 0;
    c->root_xid = attached ? h->root_xid : 0;
    c->addr = n->cfg->addr;
    c->port = n->cfg->port;
    c->model = pfs_str_of(n->cfg->model);
    c->file = pfs_str_of(h->path);
    send_bcast(n, &m);
}

static void send_leave(struct node *n, struct hnode *hn, unsigned reason)
{
    struct pfs_msg m;
    memset(&m, 0, sizeof m);
    m.version = PFS_VERSION_1;
    m.type = PFS_T_LEAVE;
    m.flags = PFS_F_BCAST;
    m.xid = n->cfg->xid;
    m.hier = hn->h.h;
    m.u.reason.reason = (uint8_t)reason;
    hn->h.sent++;
    send_bcast(n, &m);
    struct pfs_dlog_ev ev = hier_ev(&hn->h, PFS_DL_LEAVE);
    snprintf(ev.reason, sizeof ev.reason, "%s", pfs_reason_name(reason));
    node_log(n, &ev);
}

/* ---- hier_ops ---- */

static void op_log(void *ctx, const struct pfs_dlog_ev *ev)
{
    node_log(ctx, ev);
}

static void op_state(void *ctx, struct hier *h)
{
    node_state_line(ctx, h->user);
}

static int op_join(void *ctx, struct hier *h)
{
    return conn_join(ctx, h->user) ? 0 : -1;
}

static void op_drop_parent(void *ctx, struct hier *h)
{
    (void)ctx;
    struct hnode *hn = h->user;
    if (hn->parent)
        conn_drop(hn->parent);
    hn->parent = NULL;
}

static int op_fetch(void *ctx, struct hier *h)
{
    return fetch_start(ctx, h->user);
}

static struct hnode *hnode_new(struct node *n, int index, const char *name)
{
    struct hnode *hn = calloc(1, sizeof *hn);
    if (!hn)
        return NULL;
    hier_init(&hn->h, &n->env, index, name);
    hn->h.user = hn;
    hn->n = n;
    store_init(&hn->st);
    return hn;
}

/*
 * Enters a file. With --no-pfs the node is a phone whose Peer Firmware
 * Sharing is disabled: no claim, no tree, the file straight from the TFTP
 * server (the same fetch a root or a fallback makes).
 */
static void start_file(struct node *n, struct hnode *hn, int64_t now)
{
    if (hn->h.index == 0) { /* the .loads: from the trust anchor, PFS or not */
        hier_start_anchor(&hn->h, now);
        return;
    }
    if (!n->cfg->no_pfs) {
        hier_start(&hn->h, now);
        return;
    }
    hn->h.t_start = now;
    hn->h.st = HS_FETCH;
    hn->h.fetched = 1;
    if (fetch_start(n, hn) != 0)
        hier_fetch_failed(&hn->h, now);
}

/* The .loads is held: one hierarchy per component, in order. */
static void add_components(struct node *n)
{
    for (unsigned i = 0; i < n->loads.nfiles && n->nh < NODE_HIER_MAX; i++) {
        const struct loads_file *f = &n->loads.files[i];
        struct hnode *hn = hnode_new(n, n->nh, f->name);
        if (!hn)
            break;
        hn->h.have_expect = 1;
        hn->h.exp_size = f->size;
        memcpy(hn->h.exp_sha, f->sha256, PFS_SHA256_LEN);
        n->hn[n->nh++] = hn;
    }
    n->loads_known = 1;
}

/*
 * After file `done` settled: a phone enters the next file then; with
 * --parallel-files every component starts once the .loads (file 0) is
 * settled, so their elections and fetches overlap.
 */
static void start_next(struct node *n, int done, int64_t now)
{
    int last = n->cfg->parallel_files && done == 0 ? n->nh - 1 : done + 1;
    for (int i = done + 1; i <= last && i < n->nh; i++)
        if (n->hn[i]->h.st == HS_IDLE)
            start_file(n, n->hn[i], now);
}

static void op_finished(void *ctx, struct hier *h)
{
    struct node *n = ctx;
    struct hnode *hn = h->user;
    int64_t now = node_now();
    if (h->st == HS_DONE) {
        if (h->index == 0 && !n->loads_known)
            add_components(n);
        for (int i = 0; i < PFS_MAX_CHILDREN; i++)
            if (hn->child[i])
                conn_start_tx(hn->child[i]);
    } else {
        n->exit_code = PFSD_EXIT_FILES;
        conn_abort_children(hn, PFS_R_IO, 0); /* it cannot be served */
        if (h->index == 0)
            n->loads_known = 1; /* no load: nothing more to fetch */
    }
    start_next(n, h->index, now);
    node_check_done(n);
}

static const struct hier_ops node_ops = {
    .bcast = op_bcast,
    .log = op_log,
    .state = op_state,
    .join = op_join,
    .drop_parent = op_drop_parent,
    .fetch = op_fetch,
    .finished = op_finished,
};

/* ---- a received file: the checks before it gets its real name ---- */

static enum why node_accept_file(struct node *n, struct hnode *hn, struct store *st,
                                 const uint8_t digest[PFS_SHA256_LEN])
{
    struct hier *h = &hn->h;
    char err[256];
    if (h->have_expect &&
        (st->bytes != h->exp_size || memcmp(digest, h->exp_sha, PFS_SHA256_LEN) != 0)) {
        /* Not what the .loads from the TFTP server lists: never installed. */
        struct pfs_dlog_ev ev = hier_ev(h, PFS_DL_REJECT);
        int from_tftp = st == &hn->st;
        ev.peer = from_tftp || !hn->parent ? 0 : hn->parent->xid;
        ev.pip = from_tftp || !hn->parent ? n->cfg->tftp_ip : hn->parent->ip;
        snprintf(ev.reason, sizeof ev.reason, "%s",
                 st->bytes != h->exp_size ? "size-not-in-loads" : "sha256-not-in-loads");
        ev.bytes = st->bytes;
        ev.total = h->exp_size;
        node_log(n, &ev);
        return WHY_LOADS_HASH;
    }
    /* A .loads that does not parse is as useless as a corrupt file. */
    if (h->index == 0 && loads_read_file(st->tmp, &n->loads, err, sizeof err) != 0)
        return WHY_BAD_LOADS;
    if (store_commit(st, err, sizeof err) != 0)
        return WHY_IO;
    h->size = (uint32_t)st->bytes;
    memcpy(h->sha, digest, PFS_SHA256_LEN);
    return WHY_NONE;
}

/* ---- datagrams ---- */

static void log_drops(struct node *n, int64_t now)
{
    if (n->drops == n->drops_logged || now - n->drop_logged_at < 1000)
        return;
    struct pfs_dlog_ev ev = node_ev(n, PFS_DL_DROP);
    ev.n = (long)(n->drops - n->drops_logged);
    ev.pip = n->drop_ip;
    snprintf(ev.reason, sizeof ev.reason, "%s", n->drop_why);
    node_log(n, &ev);
    n->drops_logged = n->drops;
    n->drop_logged_at = now;
}

static void drop(struct node *n, uint32_t ip, const char *why)
{
    n->drops++;
    n->drop_ip = ip;
    snprintf(n->drop_why, sizeof n->drop_why, "%s", why);
    log_drops(n, node_now());
}

/*
 * A storm is logged once, when it is over (a second without a banned
 * datagram) or at the end: how many were dropped, over how long, the
 * first banned sender and why it was banned.
 */
static void log_storm(struct node *n, int64_t now, int force)
{
    if (!n->storm_n || (!force && now - n->storm_last < 1000))
        return;
    struct pfs_dlog_ev ev = node_ev(n, PFS_DL_STORM);
    ev.n = (long)n->storm_n;
    ev.pip = n->storm_ip;
    ev.secs = (double)(n->storm_last - n->storm_since) / 1000.0;
    snprintf(ev.reason, sizeof ev.reason, "%s", n->storm_why);
    node_log(n, &ev);
    n->storm_n = 0;
}

/* Charges the datagram to its sender; 0 when it may be read. */
static int guarded(struct node *n, uint32_t ip, uint32_t xid)
{
    int64_t now = node_now();
    enum guard_verdict v = guard_check(&n->guard, ip, xid, now);
    if (v == GUARD_OK)
        return 0;
    if (!n->storm_n) {
        n->storm_since = now;
        n->storm_ip = ip;
        snprintf(n->storm_why, sizeof n->storm_why, "%s", guard_word(v));
    }
    n->storm_n++;
    n->storm_last = now;
    if (v != GUARD_BANNED) /* banned just now: undo what its claims did */
        for (int i = 1; i < n->nh; i++)
            hier_distrust(&n->hn[i]->h, ip, now);
    return -1;
}

static int str_eq(const struct pfs_str *s, const char *c)
{
    size_t l = strlen(c);
    return s->len == l && memcmp(s->p, c, l) == 0;
}

static void on_claim(struct node *n, const struct pfs_msg *m, uint32_t ip)
{
    const struct pfs_claim *c = &m->u.claim;
    if (!str_eq(&c->model, n->cfg->model))
        return; /* another model's hierarchy: not ours to join */
    char file[PFS_PATH_MAX + 1];
    memcpy(file, c->file.p, c->file.len);
    file[c->file.len] = '\0';
    if (pfs_hier_id(n->cfg->model, file) != m->hier) {
        drop(n, ip, "bad-H");
        return;
    }
    struct hnode *hn = node_find_hier(n, m->hier);
    if (hn && hn->h.st != HS_IDLE)
        hier_heard(&hn->h, m, ip, node_now());
}

static void on_datagram(struct node *n, const uint8_t *buf, size_t len, uint32_t ip)
{
    struct pfs_msg m;
    int rc = pfs_decode(buf, len, &m);
    if (rc != PFS_OK) {
        drop(n, ip, pfs_errword(rc));
        return;
    }
    if (m.xid == n->cfg->xid || guarded(n, ip, m.xid) != 0)
        return;
    switch (m.type) {
    case PFS_T_CLAIM:
    case PFS_T_AD:
        on_claim(n, &m, ip);
        break;
    case PFS_T_LEAVE:
        for (int i = 1; i < n->nh; i++)
            if (m.hier == 0 || n->hn[i]->h.h == m.hier)
                hier_leave_heard(&n->hn[i]->h, m.xid);
        break;
    default:
        drop(n, ip, "tcp-type-on-udp");
        break;
    }
}

static void on_udp(struct el_loop *loop, int fd, void *ud, int mask)
{
    (void)loop, (void)mask;
    struct node *n = ud;
    uint8_t buf[PFS_UDP_MAX + 1];
    for (int i = 0; i < UDP_BURST; i++) {
        uint32_t ip;
        uint16_t port;
        char err[NET_ERR_LEN];
        ssize_t r = net_udp_recv(err, fd, buf, sizeof buf, &ip, &port);
        if (r < 0)
            return;
        if (ip == n->cfg->addr)
            continue; /* our own broadcast, looped back */
        if ((size_t)r > PFS_UDP_MAX) {
            drop(n, ip, "oversized");
            continue;
        }
        on_datagram(n, buf, (size_t)r, ip);
    }
}

/* ---- timers ---- */

static long on_hier_timer(struct el_loop *loop, long long id, void *ud)
{
    (void)loop, (void)id;
    struct hnode *hn = ud;
    hn->timer = 0;
    hn->armed = 0;
    hier_timer(&hn->h, node_now());
    return EL_NOMORE;
}

/* Puts each hierarchy's el timer where its deadline now is. */
static void sync_timers(struct node *n)
{
    int64_t now = node_now();
    for (int i = 0; i < n->nh; i++) {
        struct hnode *hn = n->hn[i];
        if (hn->h.deadline == hn->armed && (hn->timer || !hn->armed))
            continue;
        if (hn->timer)
            el_del_timer(n->loop, hn->timer);
        hn->timer = 0;
        hn->armed = hn->h.deadline;
        if (hn->h.deadline) {
            long ms = hn->h.deadline > now ? (long)(hn->h.deadline - now) : 0;
            long long id = el_add_timer(n->loop, ms, on_hier_timer, hn);
            hn->timer = id > 0 ? id : 0;
        }
    }
}

static long tick_ms(const struct pfsd_config *c)
{
    long t = c->stall_timeout < c->idle_timeout ? c->stall_timeout : c->idle_timeout;
    t /= 10;
    return t < 10 ? 10 : t > 100 ? 100 : t;
}

static long on_tick(struct el_loop *loop, long long id, void *ud)
{
    (void)loop, (void)id;
    struct node *n = ud;
    int64_t now = node_now();
    conn_housekeeping(n, now);
    log_drops(n, now);
    log_storm(n, now, 0);
    node_check_done(n);
    return tick_ms(n->cfg);
}

/* ---- the end ---- */

/*
 * The process's peak resident memory in KiB, or -1. From /proc, not
 * getrusage(): ru_maxrss keeps the peak of whatever ran before exec (the
 * lab's Python), which would be most of what it reports.
 */
static long peak_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[128];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

static void fill_summary(struct node *n, struct sum *s)
{
    memset(s, 0, sizeof *s);
    s->xid = n->cfg->xid;
    s->ip = n->cfg->addr;
    snprintf(s->model, sizeof s->model, "%s", n->cfg->model);
    snprintf(s->load, sizeof s->load, "%s", n->cfg->load);
    s->exit_code = n->exit_code;
    s->no_pfs = n->cfg->no_pfs;
    s->peak_kib = peak_kib();
    for (int i = 0; i < n->nh && i < SUM_FILES_MAX; i++) {
        const struct hier *h = &n->hn[i]->h;
        struct sum_file *f = &s->files[s->nfiles++];
        snprintf(f->name, sizeof f->name, "%s", h->name);
        f->h = h->h;
        f->verified = h->st == HS_DONE;
        f->anchor = i == 0;
        f->size = h->size;
        memcpy(f->sha, h->sha, PFS_SHA256_LEN);
        f->source = h->source;
        f->parent = h->got_from;
        for (int k = 0; k < PFS_MAX_CHILDREN; k++)
            if (h->slots.used[k])
                f->children[f->nchildren++] = h->slots.xid[k];
        f->seconds = h->t_done > h->t_start ? (double)(h->t_done - h->t_start) / 1000.0 : 0.0;
        f->tries = h->tries;
        f->sent = h->sent;
        f->fallback = h->fallback != WHY_NONE ? why_word(h->fallback) : NULL;
    }
}

static void write_summary(struct node *n)
{
    if (!n->cfg->summary[0])
        return;
    struct sum s;
    char err[512];
    fill_summary(n, &s);
    if (summary_write(&s, n->cfg->summary, err, sizeof err) != 0) {
        fprintf(stderr, "pfsd: summary %s\n", err);
        if (n->exit_code == PFSD_EXIT_OK)
            n->exit_code = PFSD_EXIT_FILES;
    }
}

static void finish(struct node *n, unsigned leave_reason)
{
    log_storm(n, node_now(), 1);
    for (int i = 1; i < n->nh && !n->cfg->no_pfs; i++)
        if (n->hn[i]->h.st != HS_IDLE)
            send_leave(n, n->hn[i], leave_reason);
    write_summary(n);
    n->finished = 1;
}

static int all_settled(const struct node *n)
{
    if (!n->loads_known)
        return 0;
    for (int i = 0; i < n->nh; i++)
        if (n->hn[i]->h.st != HS_DONE && n->hn[i]->h.st != HS_FAILED)
            return 0;
    return !conn_busy(n);
}

static void node_check_done(struct node *n)
{
    if (n->finished || !all_settled(n))
        return;
    int64_t now = node_now();
    if (!n->lingering) {
        /* Every file held and every child answered: stay a little for late joiners. */
        n->lingering = 1;
        n->linger_until = now + n->cfg->linger;
    }
    if (now >= n->linger_until)
        finish(n, PFS_R_DONE);
}

static void node_arrived(struct node *n, struct hnode *hn)
{
    (void)n;
    conn_feed(hn);
}

static void node_spoiled(struct node *n, struct hnode *hn, unsigned reason)
{
    (void)n;
    conn_abort_children(hn, reason, 1);
}

static const struct node_hooks hooks = {
    .check_done = node_check_done,
    .accept_file = node_accept_file,
    .arrived = node_arrived,
    .spoiled = node_spoiled,
};

/* SIGINT/SIGTERM: tell every peer, remove partial files, leave. */
static void shutdown_now(struct node *n)
{
    for (struct conn *c = n->conns; c; c = c->next) {
        if (c->dead)
            continue;
        if (c->role != CR_PENDING)
            conn_send_abort(c, PFS_R_SHUTDOWN);
        conn_drop(c);
    }
    for (int i = 0; i < n->nh; i++)
        fetch_cancel(n->hn[i]);
    n->exit_code = PFSD_EXIT_SIGNAL;
    finish(n, PFS_R_SHUTDOWN);
}

static void on_signal(struct el_loop *loop, int fd, void *ud, int mask)
{
    (void)loop, (void)mask;
    struct node *n = ud;
    struct signalfd_siginfo si;
    ssize_t r = read(fd, &si, sizeof si);
    if (r != (ssize_t)sizeof si || n->finished)
        return;
    shutdown_now(n);
}

/* ---- setup ---- */

static int open_signals(struct node *n, char *err, size_t errcap)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    /* Blocked signals are read from the signalfd inside the loop: no handler state. */
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
        snprintf(err, errcap, "sigprocmask: %s", strerror(errno));
        return -1;
    }
    n->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (n->sigfd < 0) {
        snprintf(err, errcap, "signalfd: %s", strerror(errno));
        return -1;
    }
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static int check_dir(const char *dir, char *err, size_t errcap)
{
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        snprintf(err, errcap, "--dir %s: %s", dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(sb.st_mode) || access(dir, W_OK | X_OK) != 0) {
        snprintf(err, errcap, "--dir %s: not a writable folder", dir);
        return -1;
    }
    return 0;
}

/*
 * The summary is written at exit through a temporary file in its folder
 * and rename(): check now that this can work, not after the upgrade.
 */
static int check_summary(const char *path, char *err, size_t errcap)
{
    if (!path[0])
        return 0;
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        snprintf(err, errcap, "--summary %s: folder %s: %s", path, dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(sb.st_mode) || access(dir, W_OK | X_OK) != 0) {
        snprintf(err, errcap, "--summary %s: folder %s is not writable", path, dir);
        return -1;
    }
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        snprintf(err, errcap, "--summary %s: not a regular file", path);
        return -1;
    }
    return 0;
}

static int open_sockets(struct node *n, char *err, size_t errcap)
{
    const struct pfsd_config *c = n->cfg;
    char nerr[NET_ERR_LEN];
    if (c->no_pfs) {
        /* PFS disabled: the port is not opened at all, only the signals are read. */
        struct pfs_dlog_ev ev = node_ev(n, PFS_DL_TRACE);
        snprintf(ev.trace, sizeof ev.trace, "idl_child.c-pfsDisabled");
        node_log(n, &ev);
        if (el_add_fd(n->loop, n->sigfd, EL_READABLE, on_signal, n) != EL_OK) {
            snprintf(err, errcap, "event loop: fd out of range");
            return -1;
        }
        return 0;
    }
    n->lfd = net_tcp_listen(nerr, c->addr, c->port, LISTEN_BACKLOG);
    if (n->lfd < 0) {
        snprintf(err, errcap, "%s", nerr);
        return -1;
    }
    struct pfs_dlog_ev ev = node_ev(n, PFS_DL_LISTEN);
    ev.fd = n->lfd;
    ev.port = c->port;
    node_log(n, &ev);
    n->ufd_any = net_udp_bind(nerr, 0, c->port, 0);
    if (n->ufd_any >= 0)
        n->ufd_own = net_udp_bind(nerr, c->addr, c->port, 1);
    if (n->ufd_any < 0 || n->ufd_own < 0) {
        snprintf(err, errcap, "%s", nerr);
        return -1;
    }
    /* A bulk reset of a big site is a burst of broadcasts while the
       machine is busiest: the default buffer holds a few hundred. */
    net_udp_rcvbuf(n->ufd_any, UDP_RCVBUF);
    ev = node_ev(n, PFS_DL_TRACE);
    snprintf(ev.trace, sizeof ev.trace, "idl_child.c-openUDPPort");
    node_log(n, &ev);
    if (el_add_fd(n->loop, n->lfd, EL_READABLE, conn_on_listen, n) != EL_OK ||
        el_add_fd(n->loop, n->ufd_any, EL_READABLE, on_udp, n) != EL_OK ||
        el_add_fd(n->loop, n->ufd_own, EL_READABLE, on_udp, n) != EL_OK ||
        el_add_fd(n->loop, n->sigfd, EL_READABLE, on_signal, n) != EL_OK) {
        snprintf(err, errcap, "event loop: fd out of range");
        return -1;
    }
    return 0;
}

static void log_start(struct node *n)
{
    struct pfs_dlog_ev ev = node_ev(n, PFS_DL_START);
    snprintf(ev.model, sizeof ev.model, "%s", n->cfg->model);
    ev.ip = n->cfg->addr;
    snprintf(ev.file, sizeof ev.file, "%s", n->cfg->load);
    node_log(n, &ev);
}

int node_init(struct node *n, const struct pfsd_config *cfg, char *err, size_t errcap)
{
    memset(n, 0, sizeof *n);
    n->cfg = cfg;
    n->hooks = &hooks;
    n->ufd_any = n->ufd_own = n->lfd = n->sigfd = n->spare_fd = -1;
    n->log.sfd = -1;
    n->rng = cfg->seed;
    /* A burst of 128 datagrams, then 16 per ad interval (guard.h says why). */
    guard_init(&n->guard, 128, 16 * 1000 / (cfg->ad_interval > 0 ? cfg->ad_interval : 250));
    n->env = (struct hier_env){
        .ops = &node_ops, .ctx = n, .xid = cfg->xid, .addr = cfg->addr, .port = cfg->port,
        .model = cfg->model, .ad_interval = cfg->ad_interval, .ad_count = cfg->ad_count,
        .root_wait = cfg->root_wait, .join_timeout = cfg->join_timeout,
        .join_tries = cfg->join_tries, .seek_timeout = cfg->seek_timeout, .rng = &n->rng,
        .strength = cfg->strength, .nstrength = cfg->nstrength, .verbose = cfg->verbose,
        .no_pfs = cfg->no_pfs,
    };
    if (check_dir(cfg->dir, err, errcap) != 0 || check_summary(cfg->summary, err, errcap) != 0)
        return -1;
    if (plog_open(&n->log, cfg->log_path[0] ? cfg->log_path : NULL, cfg->addr, cfg->logsrv_ip,
                  cfg->logsrv_port, err, errcap) != 0)
        return -1;
    n->loop = el_new(EL_SETSIZE);
    if (!n->loop) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    log_start(n);
    if (open_signals(n, err, errcap) != 0 || open_sockets(n, err, errcap) != 0)
        return -1;
    /* Held in reserve: when accept runs out of descriptors, closing it
     * makes room to accept and close the waiting connections. */
    n->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (n->spare_fd < 0) {
        snprintf(err, errcap, "/dev/null: %s", strerror(errno));
        return -1;
    }
    n->accept_pause = CONN_ACCEPT_PAUSE_MIN;
    n->hn[0] = hnode_new(n, 0, cfg->load);
    if (!n->hn[0]) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    n->nh = 1;
    n->tick = el_add_timer(n->loop, tick_ms(cfg), on_tick, n);
    n->exit_code = PFSD_EXIT_OK;
    return 0;
}

int node_run(struct node *n)
{
    start_file(n, n->hn[0], node_now());
    while (!n->finished) {
        sync_timers(n);
        if (el_run_once(n->loop, -1) == EL_ERR) {
            fprintf(stderr, "pfsd: poll: %s\n", strerror(errno));
            n->exit_code = PFSD_EXIT_FILES;
            break;
        }
        conn_sweep(n);
    }
    return n->exit_code;
}

void node_free(struct node *n)
{
    for (struct conn *c = n->conns; c; c = c->next)
        conn_drop(c);
    conn_sweep(n);
    for (int i = 0; i < n->nh; i++) {
        fetch_cancel(n->hn[i]);
        free(n->hn[i]);
    }
    int fds[] = {n->ufd_any, n->ufd_own, n->lfd, n->sigfd, n->spare_fd};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    el_free(n->loop);
    plog_close(&n->log);
}
