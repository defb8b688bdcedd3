/*
 * hier.c - the hierarchy state machine: election, parent choice, joins,
 * fallback. Every transition is one function below; none does I/O.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "hier.h"

#include <stdio.h>
#include <string.h>

#include "election.h"

/* ---- small helpers ---- */

struct pfs_dlog_ev hier_ev(const struct hier *h, enum pfs_dlog_kind kind)
{
    struct pfs_dlog_ev ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.xid = h->env->xid;
    ev.h = h->h;
    snprintf(ev.file, sizeof ev.file, "%s", h->path);
    snprintf(ev.model, sizeof ev.model, "%s", h->env->model);
    return ev;
}

static void emit(struct hier *h, const struct pfs_dlog_ev *ev)
{
    h->env->ops->log(h->env->ctx, ev);
}

static void trace(struct hier *h, const char *where)
{
    struct pfs_dlog_ev ev = hier_ev(h, PFS_DL_TRACE);
    snprintf(ev.trace, sizeof ev.trace, "%s", where);
    emit(h, &ev);
}

static void state_line(struct hier *h)
{
    h->env->ops->state(h->env->ctx, h);
}

static void bcast(struct hier *h, unsigned type, unsigned seq)
{
    h->sent++;
    /* A CLAIM carries only the two claim states; an AD the node's state. */
    unsigned st = type == PFS_T_CLAIM ? (h->is_root ? PFS_HS_CONF : PFS_HS_TENT)
                                      : hier_wire_state(h);
    h->env->ops->bcast(h->env->ctx, h, type, st, seq);
}

int hier_attached(const struct hier *h)
{
    switch (h->st) {
    case HS_WAITING:
    case HS_MEMBER:
    case HS_DONE:
        return 1;
    case HS_FETCH:
        return h->is_root;
    default:
        return 0;
    }
}

unsigned hier_wire_state(const struct hier *h)
{
    switch (h->st) {
    case HS_TENT: return PFS_HS_TENT;
    case HS_WAITING: return PFS_HS_WAITING;
    case HS_MEMBER: return PFS_HS_MEMBER;
    case HS_FETCH: return hier_attached(h) ? PFS_HS_MEMBER : PFS_HS_SEEK;
    case HS_DONE: return PFS_HS_DONE;
    default: return PFS_HS_SEEK;
    }
}

const char *hier_state_word(const struct hier *h)
{
    return pfs_hstate_name(hier_wire_state(h));
}

/* An attached node's AD: depth, free slots, the root's strength. */
/* AD number h->ad_seq with the node's state, and its line. */
static void send_ad(struct hier *h)
{
    trace(h, "idl_protocol.c-sendBroadcastOffer");
    struct pfs_dlog_ev ev = hier_ev(h, PFS_DL_AD);
    ev.n = h->ad_seq;
    snprintf(ev.hier, sizeof ev.hier, "%s", hier_state_word(h));
    emit(h, &ev);
    bcast(h, PFS_T_AD, h->ad_seq);
}

/* The next AD number; it wraps to 1 (0 is the CLAIM's). */
static void next_ad_seq(struct hier *h)
{
    h->ad_seq = h->ad_seq >= 255 ? 1 : (uint8_t)(h->ad_seq + 1);
}

static void advertise(struct hier *h, int64_t now)
{
    if (!hier_attached(h) || h->env->no_pfs)
        return;
    next_ad_seq(h);
    send_ad(h);
    h->last_answer = now;
}

static long jitter(struct hier *h, long span)
{
    return span > 0 ? (long)(elect_rand32(h->env->rng) % (uint32_t)span) : 0;
}

/* ---- entering and the claim ---- */

static void send_claim(struct hier *h, const char *word);

/* ClaimRoot(tent): a fresh map, the strength for this file, Ad 1 next. */
static void enter_tent(struct hier *h, int64_t now)
{
    h->st = HS_TENT;
    h->strength = elect_strength(h->env->rng);
    /* --strength lists the components: the .loads (index 0) has no election. */
    if (h->index >= 1 && h->index - 1 < h->env->nstrength)
        h->strength = h->env->strength[h->index - 1];
    h->map = elect_rand32(h->env->rng);
    h->ad_seq = 0;
    send_claim(h, "tent");
    h->deadline = now + h->env->ad_interval;
}

void hier_init(struct hier *h, const struct hier_env *env, int index, const char *name)
{
    memset(h, 0, sizeof *h);
    h->env = env;
    h->index = index;
    snprintf(h->name, sizeof h->name, "%s", name);
    snprintf(h->path, sizeof h->path, "%s%s", PFS_DNLD_PREFIX, name);
    h->h = pfs_hier_id(env->model, h->path);
    h->st = HS_IDLE;
    h->depth = PFS_DEPTH_NONE;
}

/* The CLAIM broadcast and its line; word is "tent" or "conf". */
static void send_claim(struct hier *h, const char *word)
{
    trace(h, "idl_protocol.c-sendBroadcastOffer");
    struct pfs_dlog_ev ev = hier_ev(h, PFS_DL_CLAIM);
    snprintf(ev.state, sizeof ev.state, "%s", word);
    ev.map = h->map;
    ev.strength = h->strength;
    emit(h, &ev);
    bcast(h, PFS_T_CLAIM, 0);
}

void hier_start(struct hier *h, int64_t now)
{
    h->t_start = now;
    struct pfs_dlog_ev ev = hier_ev(h, PFS_DL_HIER);
    emit(h, &ev);
    state_line(h);
    enter_tent(h, now);
}

/*
 * A yield that led nowhere: the claimant never confirmed and no member was
 * heard (a stranger's one-shot claim, a claimant that died), or the node
 * stopped listening to it. Claim again, at most HIER_RECLAIMS times, rather
 * than fall back to TFTP with nobody to fetch for the others.
 */
static void reclaim(struct hier *h, int64_t now)
{
    h->reclaims++;
    h->yield_ip = 0;
    h->yield_tent = 0;
    h->is_root = 0;
    enter_tent(h, now);
}

void hier_distrust(struct hier *h, uint32_t ip, int64_t now)
{
    if (h->st == HS_SEEK && h->yield_ip == ip && h->reclaims < HIER_RECLAIMS)
        reclaim(h, now);
}

static void timeout_line(struct hier *h, const char *word)
{
    trace(h, "idl_timeout.c-doTimeout");
    struct pfs_dlog_ev ev = hier_ev(h, PFS_DL_TIMEOUT);
    snprintf(ev.hier, sizeof ev.hier, "%s", word);
    emit(h, &ev);
}

static void confirm(struct hier *h, int64_t now)
{
    emit(h, &(struct pfs_dlog_ev){.kind = PFS_DL_CONFIRMED});
    h->strength = PFS_STRENGTH_ROOT;
    h->is_root = 1;
    h->root_xid = h->env->xid;
    h->depth = 0;
    h->st = HS_WAITING;
    struct pfs_dlog_ev ev = hier_ev(h, PFS_DL_HROOT);
    ev.ip = h->env->addr;
    emit(h, &ev);
    state_line(h);
    send_claim(h, "conf");
    h->last_answer = now;
    h->deadline = now + h->env->root_wait;
}

static void claim_timer(struct hier *h, int64_t now)
{
    timeout_line(h, "ClaimRoot(tent)");
    if (elect_on_timer(&h->ad_seq, h->env->ad_count) == ELECT_CONFIRM) {
        confirm(h, now);
        return;
    }
    send_ad(h);
    h->deadline = now + h->env->ad_interval;
}

/* ---- fetching ---- */

static void start_fetch(struct hier *h, int64_t now)
{
    h->st = HS_FETCH;
    h->deadline = 0;
    h->fetched = 1;
    if (h->env->ops->fetch(h->env->ctx, h) != 0)
        hier_fetch_failed(h, now);
}

static void fallback(struct hier *h, enum why why, int64_t now)
{
    h->fallback = why;
    struct pfs_dlog_ev ev = hier_ev(h, PFS_DL_FALLBACK);
    snprintf(ev.reason, sizeof ev.reason, "%s", why_word(why));
    emit(h, &ev);
    h->is_root = 0;
    start_fetch(h, now);
}

static void root_wait_timer(struct hier *h, int64_t now)
{
    timeout_line(h, "ROOT_WAITING");
    emit(h, &(struct pfs_dlog_ev){.kind = PFS_DL_ROOT_TFTP, .xid = h->env->xid});
    start_fetch(h, now);
}

/* ---- seeking a parent ---- */

/*
 * A node with children may not join below its old place: everything
 * deeper might be its own subtree, and a cycle would never get the file.
 * h->depth keeps the old place while seeking (ADs say "not attached").
 */
static int max_join_depth(const struct hier *h)
{
    if (tree_slots_free(&h->slots) == PFS_MAX_CHILDREN || h->depth == PFS_DEPTH_NONE)
        return -1;
    return h->depth;
}

static void enter_seek(struct hier *h, int64_t now)
{
    h->st = HS_SEEK;
    h->is_root = 0;
    h->seek_since = now;
    /* One Seek AD: members answer at once instead of at their next change. */
    next_ad_seq(h);
    send_ad(h);
    h->deadline = now + h->env->ad_interval;
}

static void try_join(struct hier *h, const struct tree_cand *c, int64_t now)
{
    h->tries++;
    h->parent_xid = c->xid;
    h->parent_addr = c->addr;
    h->parent_port = c->port;
    h->parent_depth = c->depth;
    struct pfs_dlog_ev ev = hier_ev(h, PFS_DL_PARENT);
    ev.peer = c->xid;
    ev.pip = c->addr;
    ev.depth = c->depth;
    ev.tries = h->tries;
    emit(h, &ev);
    h->st = HS_JOINING;
    h->deadline = now + h->env->join_timeout;
    if (h->env->ops->join(h->env->ctx, h) != 0)
        hier_join_failed(h, now);
}

/* Picks a parent now, or keeps listening until the seek timeout. */
static void seek_choose(struct hier *h, int64_t now)
{
    const struct tree_cand *c = tree_choose(&h->cands, h->env->xid, max_join_depth(h));
    if (c) {
        try_join(h, c, now);
        return;
    }
    if (now - h->seek_since >= h->env->seek_timeout) {
        if (h->last_fail == WHY_NONE && h->yield_tent && h->reclaims < HIER_RECLAIMS) {
            reclaim(h, now);
            return;
        }
        /* After a failure, that failure is why we are still without a parent. */
        fallback(h, h->last_fail != WHY_NONE ? h->last_fail : WHY_NO_PARENT, now);
        return;
    }
    h->deadline = h->seek_since + h->env->seek_timeout;
}

/* The next candidate straight away, or back to listening for ADs. */
static void next_parent(struct hier *h, int64_t now)
{
    const struct tree_cand *c = tree_choose(&h->cands, h->env->xid, max_join_depth(h));
    if (c)
        try_join(h, c, now);
    else
        enter_seek(h, now);
}

/* A failed try: count it, then rejoin another parent or fall back. */
static void fail_try(struct hier *h, enum why why, int64_t now)
{
    h->env->ops->drop_parent(h->env->ctx, h);
    tree_mark_failed(&h->cands, h->parent_xid);
    h->fails++;
    h->last_fail = why;
    if (h->fails >= h->env->join_tries) {
        fallback(h, why, now);
        return;
    }
    next_parent(h, now);
}

/*
 * A FULL answer is the tree growing under a crowd of joiners, not a fault:
 * its hints lead one level down. It has its own bound, so a bulk reset does
 * not send the late joiners to TFTP: in a 250-phone reset some joiners were
 * turned away by 16 nodes that had filled moments before (every seeker
 * hears the same new members), so the bound is HIER_FULL_TRIES, not the
 * tree's depth. Each FULL costs a connect and one message.
 */
static void full_try(struct hier *h, const struct pfs_refuse *r, int64_t now)
{
    h->env->ops->drop_parent(h->env->ctx, h);
    h->last_fail = WHY_REFUSED;
    if (++h->full_refusals >= HIER_FULL_TRIES) {
        fallback(h, WHY_REFUSED, now);
        return;
    }
    const struct tree_cand *down = tree_choose_among(&h->cands, h->env->xid, max_join_depth(h),
                                                     r->hints, r->nhints);
    if (down)
        try_join(h, down, now);
    else
        next_parent(h, now);
}

static void join_unanswered(struct hier *h, int64_t now);

/* A line about the chosen parent: its XID and address filled in. */
static struct pfs_dlog_ev parent_ev(const struct hier *h, enum pfs_dlog_kind kind)
{
    struct pfs_dlog_ev ev = hier_ev(h, kind);
    ev.peer = h->parent_xid;
    ev.pip = h->parent_addr;
    return ev;
}

/* ---- events ---- */

void hier_timer(struct hier *h, int64_t now)
{
    if (!h->deadline || now < h->deadline)
        return;
    h->deadline = 0;
    switch (h->st) {
    case HS_TENT: claim_timer(h, now); break;
    case HS_WAITING: root_wait_timer(h, now); break;
    case HS_SEEK: seek_choose(h, now); break;
    case HS_JOINING: join_unanswered(h, now); break;
    default: break;
    }
}

static void log_rx_claim(struct hier *h, const struct pfs_msg *m, uint32_t src_ip)
{
    const struct pfs_claim *c = &m->u.claim;
    struct pfs_dlog_ev ev = hier_ev(h, PFS_DL_RX_CLAIM);
    ev.peer = m->xid;
    ev.pip = src_ip;
    ev.strength = c->strength;
    snprintf(ev.state, sizeof ev.state, "%s",
             c->state == PFS_HS_TENT ? "tent" : c->state == PFS_HS_CONF ? "conf" : "ad");
    emit(h, &ev);
}

static void yield(struct hier *h, const struct pfs_msg *m, uint32_t src_ip, int64_t now)
{
    struct pfs_dlog_ev ev = hier_ev(h, PFS_DL_YIELD);
    ev.peer = m->xid;
    ev.pip = src_ip;
    ev.strength = m->u.claim.strength;
    emit(h, &ev);
    h->yield_ip = src_ip;
    h->yield_tent = m->u.claim.state == PFS_HS_TENT;
    h->strength = 0;
    enter_seek(h, now);
}

/*
 * Whether this member answers request m. If every member answered, a site
 * of N phones would send N datagrams per request and N^2 per file. A full
 * member has nothing to offer (REFUSE hints lead below it). Of the free
 * members, about HIER_ANSWERERS answer: a member answers when a hash of the
 * request (sender and Ad number, so each Ad of a claim draws anew) and its
 * own XID falls among the first HIER_ANSWERERS of the free members it has
 * heard. The root always answers: a late claimant must hear the tree.
 */
static int answers(const struct hier *h, const struct pfs_msg *m)
{
    if (h->is_root)
        return 1;
    if (tree_slots_free(&h->slots) == 0)
        return 0;
    unsigned known = (unsigned)tree_count_free(&h->cands) + 1; /* ourselves */
    if (known <= HIER_ANSWERERS)
        return 1;
    uint32_t draw = tree_hash(m->xid ^ ((uint32_t)m->u.claim.seq * 0x9E3779B9u), h->env->xid);
    return draw % known < HIER_ANSWERERS;
}

void hier_heard(struct hier *h, const struct pfs_msg *m, uint32_t src_ip, int64_t now)
{
    const struct pfs_claim *c = &m->u.claim;
    int member = c->state != PFS_HS_TENT && c->state != PFS_HS_SEEK && c->depth != PFS_DEPTH_NONE;
    if (member)
        tree_heard(&h->cands, m->xid, c->addr, c->port, c->depth, c->free_slots, c->root_xid);
    if (m->type == PFS_T_CLAIM || h->env->verbose)
        log_rx_claim(h, m, src_ip);

    unsigned own = hier_wire_state(h);
    if (h->st == HS_TENT || h->st == HS_WAITING) {
        struct elect_key mine = {h->strength, h->env->xid}, theirs = {c->strength, m->xid};
        if (elect_on_heard(own, mine, h->fetched, c->state, c->depth, theirs) == ELECT_YIELD) {
            yield(h, m, src_ip, now);
            return;
        }
    }
    /* Answer a claimant or a seeker: that is how late nodes find the tree. */
    if ((c->state == PFS_HS_TENT || c->state == PFS_HS_SEEK) && hier_attached(h) &&
        now - h->last_answer >= h->env->ad_interval && answers(h, m))
        advertise(h, now);

    /* A seeker past its settle time jumps on a new member, with a little
     * jitter so that seekers who heard the same AD do not all ask at once. */
    if (h->st == HS_SEEK && member && now >= h->seek_since + h->env->ad_interval) {
        int64_t soon = now + jitter(h, h->env->ad_interval / 2 + 1);
        if (!h->deadline || soon < h->deadline)
            h->deadline = soon;
    }
}

void hier_leave_heard(struct hier *h, uint32_t xid)
{
    tree_forget(&h->cands, xid);
}

/*
 * 1 when a parent at depth pdepth naming root as its root would put us in
 * our own subtree. Everything below us is deeper than our old place (the
 * keepalive ACCEPTs carry every depth change down the tree), so a node
 * with children only takes a parent no deeper than that place; and a
 * tree whose root is ourselves is ours.
 */
static int own_subtree(const struct hier *h, unsigned pdepth, uint32_t root)
{
    if (root == h->env->xid)
        return 1;
    int max = max_join_depth(h);
    return max >= 0 && (int)pdepth > max;
}

int hier_accepted(struct hier *h, const struct pfs_accept *a, int64_t now)
{
    if (h->st != HS_JOINING)
        return 0;
    if (own_subtree(h, a->depth, a->root_xid)) {
        struct pfs_dlog_ev ev = parent_ev(h, PFS_DL_REFUSED);
        snprintf(ev.reason, sizeof ev.reason, "%s", why_word(WHY_LOOP));
        emit(h, &ev);
        fail_try(h, WHY_LOOP, now);
        return -1;
    }
    h->st = HS_MEMBER;
    h->deadline = 0;
    h->parent_index = a->index;
    h->root_xid = a->root_xid;
    h->parent_depth = a->depth;
    h->depth = a->depth < PFS_DEPTH_NONE - 1 ? (uint8_t)(a->depth + 1) : (uint8_t)(PFS_DEPTH_NONE - 1);
    struct pfs_dlog_ev ev = parent_ev(h, PFS_DL_JOINED);
    ev.index = a->index;
    ev.depth = h->depth;
    emit(h, &ev);
    state_line(h);
    advertise(h, now);
    return 0;
}

int hier_refresh(struct hier *h, const struct pfs_accept *a, int64_t now)
{
    if (h->st != HS_MEMBER)
        return 0;
    /* In a loop each lap adds one level: the count runs out at 254. */
    if (a->root_xid == h->env->xid || a->depth >= PFS_DEPTH_NONE - 1) {
        hier_parent_lost(h, WHY_LOOP, NULL, now);
        return 0;
    }
    h->root_xid = a->root_xid;
    h->parent_depth = a->depth;
    uint8_t d = (uint8_t)(a->depth + 1);
    if (d != h->depth) {
        h->depth = d;
        advertise(h, now); /* seekers see the depth as it is now */
    }
    return 1;
}

void hier_refused(struct hier *h, const struct pfs_refuse *r, int64_t now)
{
    if (h->st != HS_JOINING)
        return;
    struct pfs_dlog_ev ev = parent_ev(h, PFS_DL_REFUSED);
    snprintf(ev.reason, sizeof ev.reason, "%s", pfs_reason_name(r->reason));
    emit(h, &ev);
    if (r->reason == PFS_R_FULL) {
        tree_refused(&h->cands, h->parent_xid, r->hints, r->nhints);
        full_try(h, r, now);
        return;
    }
    fail_try(h, WHY_REFUSED, now);
}

/* The asked parent never answered: logged like a refusal, reason "timeout". */
static void join_unanswered(struct hier *h, int64_t now)
{
    struct pfs_dlog_ev ev = parent_ev(h, PFS_DL_REFUSED);
    snprintf(ev.reason, sizeof ev.reason, "timeout");
    emit(h, &ev);
    fail_try(h, WHY_JOIN_TIMEOUT, now);
}

void hier_join_failed(struct hier *h, int64_t now)
{
    if (h->st == HS_JOINING)
        join_unanswered(h, now);
}

void hier_parent_lost(struct hier *h, enum why why, const char *word, int64_t now)
{
    if (h->st != HS_MEMBER)
        return;
    struct pfs_dlog_ev ev = parent_ev(h, PFS_DL_PARENT_LOST);
    snprintf(ev.reason, sizeof ev.reason, "%s", word ? word : why_word(why));
    emit(h, &ev);
    state_line(h);
    /* A failed parent is never asked again in this hierarchy (fail_try). */
    switch (why) {
    case WHY_STALL:
    case WHY_SILENT:
    case WHY_HASH: /* ABORT(HASH): the parent's copy, forwarded as it came, was bad */
    case WHY_LOOP: fail_try(h, why, now); return;
    default: fail_try(h, WHY_PARENT_LOST, now); return;
    }
}

void hier_file_bad(struct hier *h, int64_t now)
{
    if (h->st == HS_MEMBER)
        fail_try(h, WHY_HASH, now);
}

void hier_file_ok(struct hier *h, int source, int64_t now)
{
    h->source = source;
    h->st = HS_DONE;
    h->deadline = 0;
    h->t_done = now;
    if (source == PFS_SRC_TFTP) {
        h->origin = h->env->xid;
        h->got_from = 0;
        /* A fallback node holds the file too: it serves one level below a root. */
        if (!h->is_root && h->depth == PFS_DEPTH_NONE)
            h->depth = 1;
    } else {
        h->got_from = h->parent_xid;
    }
    struct pfs_dlog_ev ev = hier_ev(h, PFS_DL_FILE_DONE);
    snprintf(ev.src, sizeof ev.src, "%s", pfs_source_name((unsigned)source));
    ev.secs = (double)(now - h->t_start) / 1000.0;
    emit(h, &ev);
    state_line(h);
    advertise(h, now);
    h->env->ops->finished(h->env->ctx, h);
}

void hier_start_anchor(struct hier *h, int64_t now)
{
    h->t_start = now;
    h->st = HS_FETCH;
    h->deadline = 0;
    if (h->env->ops->fetch(h->env->ctx, h) != 0)
        hier_fetch_failed(h, now);
}

void hier_anchor_ok(struct hier *h, int64_t now)
{
    h->source = PFS_SRC_TFTP;
    h->origin = h->env->xid;
    h->got_from = 0;
    h->st = HS_DONE;
    h->deadline = 0;
    h->t_done = now;
    h->env->ops->finished(h->env->ctx, h);
}

void hier_fetch_failed(struct hier *h, int64_t now)
{
    (void)now;
    h->st = HS_FAILED;
    h->deadline = 0;
    h->t_done = now;
    h->env->ops->finished(h->env->ctx, h);
}

void hier_fetch_bad(struct hier *h, int64_t now)
{
    if (h->refetched) {
        hier_fetch_failed(h, now);
        return;
    }
    h->refetched = 1;
    start_fetch(h, now);
}

int hier_child_join(struct hier *h, uint32_t xid, uint32_t addr, uint16_t port, int *reason)
{
    if (!hier_attached(h)) {
        *reason = PFS_R_NOT_MEMBER;
        return -1;
    }
    int idx = tree_slot_take(&h->slots, xid, addr, port);
    if (idx < 0)
        *reason = PFS_R_FULL;
    return idx;
}

void hier_child_changed(struct hier *h, int64_t now)
{
    state_line(h);
    advertise(h, now);
}

void hier_child_release(struct hier *h, int index, int64_t now)
{
    tree_slot_release(&h->slots, index);
    hier_child_changed(h, now);
}
