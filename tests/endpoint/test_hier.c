/*
 * test_hier.c - the hierarchy state machine driven by synthetic events.
 *
 * The node's side (struct hier_ops) is a recorder: every broadcast, log
 * line, join, fetch and "finished" is written down, and the tests check
 * the transitions and what the machine asked for. No sockets, no clock.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hier.h"
#include "xfr.h"

#define OWN 0x0A000005u
#define MAXREC 256

struct bc {
    unsigned type, state, seq;
};

struct rec {
    struct bc bc[MAXREC];
    int nbc;
    enum pfs_dlog_kind kinds[MAXREC];
    struct pfs_dlog_ev evs[MAXREC];
    int nlog;
    int states, joins, drops, fetches, finished;
    int join_rc, fetch_rc;
    uint32_t join_xid[MAXREC];
};

static void r_bcast(void *ctx, struct hier *h, unsigned type, unsigned st, unsigned seq)
{
    (void)h;
    struct rec *r = ctx;
    if (r->nbc < MAXREC)
        r->bc[r->nbc++] = (struct bc){type, st, seq};
}

static void r_log(void *ctx, const struct pfs_dlog_ev *ev)
{
    struct rec *r = ctx;
    if (r->nlog < MAXREC) {
        r->evs[r->nlog] = *ev;
        r->kinds[r->nlog++] = ev->kind;
    }
}

static void r_state(void *ctx, struct hier *h)
{
    (void)h;
    ((struct rec *)ctx)->states++;
}

static int r_join(void *ctx, struct hier *h)
{
    struct rec *r = ctx;
    r->join_xid[r->joins++ % MAXREC] = h->parent_xid;
    return r->join_rc;
}

static void r_drop(void *ctx, struct hier *h)
{
    (void)h;
    ((struct rec *)ctx)->drops++;
}

static int r_fetch(void *ctx, struct hier *h)
{
    (void)h;
    struct rec *r = ctx;
    r->fetches++;
    return r->fetch_rc;
}

static void r_finished(void *ctx, struct hier *h)
{
    (void)h;
    ((struct rec *)ctx)->finished++;
}

static const struct hier_ops rops = {r_bcast, r_log, r_state, r_join, r_drop, r_fetch, r_finished};

struct fix {
    struct rec r;
    uint64_t rng;
    struct hier_env env;
    struct hier h;
};

static int setup(void **state)
{
    static struct fix f;
    memset(&f, 0, sizeof f);
    f.rng = 1234;
    f.env = (struct hier_env){.ops = &rops, .ctx = &f.r, .xid = OWN, .addr = 0x7F000005,
                              .port = 4051, .model = "CP-7961G", .ad_interval = 250,
                              .ad_count = 4, .root_wait = 10000, .join_timeout = 2000,
                              .join_tries = 4, .seek_timeout = 3000, .rng = &f.rng};
    hier_init(&f.h, &f.env, 0, "SCCP41.loads");
    *state = &f;
    return 0;
}

static int count_kind(const struct rec *r, enum pfs_dlog_kind k)
{
    int n = 0;
    for (int i = 0; i < r->nlog; i++)
        n += r->kinds[i] == k;
    return n;
}

static const struct pfs_dlog_ev *last_kind(const struct rec *r, enum pfs_dlog_kind k)
{
    for (int i = r->nlog - 1; i >= 0; i--)
        if (r->kinds[i] == k)
            return &r->evs[i];
    return NULL;
}

/* A CLAIM or AD from someone else for the same hierarchy. */
static struct pfs_msg claim(const struct hier *h, unsigned type, uint32_t xid, unsigned st,
                            uint32_t strength, uint8_t depth, uint8_t nfree)
{
    struct pfs_msg m;
    memset(&m, 0, sizeof m);
    m.type = (uint8_t)type;
    m.xid = xid;
    m.hier = h->h;
    m.u.claim.state = (uint8_t)st;
    m.u.claim.seq = type == PFS_T_AD ? 1 : 0;
    m.u.claim.depth = depth;
    m.u.claim.free_slots = nfree;
    m.u.claim.strength = strength;
    m.u.claim.root_xid = 0x0A000001;
    m.u.claim.addr = 0x7F000000u | (xid & 0xFF);
    m.u.claim.port = 4051;
    return m;
}

/* Runs the timer at its deadline, returns that time. */
static int64_t fire(struct hier *h)
{
    int64_t t = h->deadline;
    assert_true(t > 0);
    hier_timer(h, t);
    return t;
}

static void test_root_path(void **state)
{
    struct fix *f = *state;
    struct hier *h = &f->h;
    assert_int_equal(h->h, pfs_hier_id("CP-7961G", "/dnld/SCCP41.loads"));
    hier_start(h, 1000);
    assert_int_equal(h->st, HS_TENT);
    assert_int_equal(f->r.nbc, 1);
    assert_int_equal(f->r.bc[0].type, PFS_T_CLAIM);
    assert_int_equal(f->r.bc[0].state, PFS_HS_TENT);
    assert_int_equal(h->deadline, 1250);
    assert_int_equal(f->r.kinds[0], PFS_DL_HIER);
    assert_true(h->strength != 0 && h->strength != PFS_STRENGTH_ROOT);
    for (int i = 1; i <= 4; i++) {
        fire(h);
        assert_int_equal(h->st, HS_TENT);
        assert_int_equal(f->r.bc[i].type, PFS_T_AD);
        assert_int_equal(f->r.bc[i].seq, i);
    }
    assert_int_equal(count_kind(&f->r, PFS_DL_TIMEOUT), 4);
    int64_t t = fire(h); /* one more interval after Ad 4: confirm */
    assert_int_equal(t, 1000 + 5 * 250);
    assert_int_equal(h->st, HS_WAITING);
    assert_int_equal(h->strength, PFS_STRENGTH_ROOT);
    assert_int_equal(count_kind(&f->r, PFS_DL_CONFIRMED), 1);
    assert_int_equal(count_kind(&f->r, PFS_DL_HROOT), 1);
    assert_int_equal(f->r.bc[5].type, PFS_T_CLAIM);
    assert_int_equal(f->r.bc[5].state, PFS_HS_CONF);
    assert_int_equal(h->deadline, t + 10000);
    /* The seed's order: Timeout, Confirmed, HROOT. */
    int i = 0;
    while (f->r.kinds[i] != PFS_DL_CONFIRMED)
        i++;
    assert_int_equal(f->r.kinds[i - 1], PFS_DL_TIMEOUT);
    assert_int_equal(f->r.kinds[i + 1], PFS_DL_HROOT);
    fire(h);
    assert_int_equal(h->st, HS_FETCH);
    assert_int_equal(f->r.fetches, 1);
    assert_int_equal(count_kind(&f->r, PFS_DL_ROOT_TFTP), 1);
    assert_true(hier_attached(h));
    hier_file_ok(h, PFS_SRC_TFTP, 20000);
    assert_int_equal(h->st, HS_DONE);
    assert_int_equal(f->r.finished, 1);
    assert_int_equal(h->origin, OWN);
    assert_int_equal(count_kind(&f->r, PFS_DL_FILE_DONE), 1);
    assert_int_equal(f->r.bc[f->r.nbc - 1].state, PFS_HS_DONE);
}

static void test_yield_and_join(void **state)
{
    struct fix *f = *state;
    struct hier *h = &f->h;
    hier_start(h, 0);
    struct pfs_msg weak = claim(h, PFS_T_CLAIM, 0x0A000001, PFS_HS_TENT, 1, PFS_DEPTH_NONE, 2);
    h->strength = 100;
    hier_heard(h, &weak, 0x7F000001, 10);
    assert_int_equal(h->st, HS_TENT); /* weaker: ignored */
    struct pfs_msg strong = claim(h, PFS_T_CLAIM, 0x0A000002, PFS_HS_TENT, 200, PFS_DEPTH_NONE, 2);
    hier_heard(h, &strong, 0x7F000002, 20);
    assert_int_equal(h->st, HS_SEEK);
    assert_int_equal(count_kind(&f->r, PFS_DL_YIELD), 1);
    assert_int_equal(f->r.bc[f->r.nbc - 1].state, PFS_HS_SEEK); /* one Seek AD */
    /* Settle: nobody attached yet, keep listening. */
    fire(h);
    assert_int_equal(h->st, HS_SEEK);
    assert_int_equal(f->r.joins, 0);
    /* The root confirms: a candidate; the seeker jumps on it (with jitter). */
    struct pfs_msg conf = claim(h, PFS_T_CLAIM, 0x0A000002, PFS_HS_CONF, PFS_STRENGTH_ROOT, 0, 2);
    hier_heard(h, &conf, 0x7F000002, 400);
    assert_true(h->deadline >= 400 && h->deadline <= 400 + 126);
    fire(h);
    assert_int_equal(h->st, HS_JOINING);
    assert_int_equal(f->r.joins, 1);
    assert_int_equal(f->r.join_xid[0], 0x0A000002);
    assert_int_equal(h->tries, 1);
    const struct pfs_dlog_ev *p = last_kind(&f->r, PFS_DL_PARENT);
    assert_non_null(p);
    assert_int_equal(p->peer, 0x0A000002);
    struct pfs_accept a = {.index = 1, .depth = 0, .root_xid = 0x0A000002};
    int nbc = f->r.nbc;
    hier_accepted(h, &a, 500);
    assert_int_equal(h->st, HS_MEMBER);
    assert_int_equal(h->depth, 1);
    assert_int_equal(h->root_xid, 0x0A000002);
    const struct pfs_dlog_ev *j = last_kind(&f->r, PFS_DL_JOINED);
    assert_non_null(j);
    assert_int_equal(j->index, 1);
    assert_int_equal(f->r.nbc, nbc + 1);        /* attached: one AD */
    assert_int_equal(f->r.bc[nbc].state, PFS_HS_MEMBER);
    hier_file_ok(h, PFS_SRC_PEER, 900);
    assert_int_equal(h->got_from, 0x0A000002);
    assert_int_equal(h->st, HS_DONE);
}

/* Seek with two members heard, then settle: the machine joins. */
static void seek_with(struct fix *f, int nmembers)
{
    struct hier *h = &f->h;
    hier_start(h, 0);
    struct pfs_msg strong = claim(h, PFS_T_AD, 0x0A000001, PFS_HS_WAITING, PFS_STRENGTH_ROOT, 0, 2);
    hier_heard(h, &strong, 0x7F000001, 5); /* a late node: the tree is there */
    assert_int_equal(h->st, HS_SEEK);
    for (int i = 1; i < nmembers; i++) {
        struct pfs_msg m = claim(h, PFS_T_AD, 0x0A000010u + (uint32_t)i, PFS_HS_MEMBER,
                                 PFS_STRENGTH_ROOT, 1, 2);
        hier_heard(h, &m, m.u.claim.addr, 6);
    }
    fire(h);
}

static void test_refused_then_hint(void **state)
{
    struct fix *f = *state;
    struct hier *h = &f->h;
    seek_with(f, 1);
    assert_int_equal(h->st, HS_JOINING);
    assert_int_equal(f->r.join_xid[0], 0x0A000001);
    struct pfs_refuse r = {.reason = PFS_R_FULL, .nhints = 2,
                           .hints = {{0x0A000020, 0x7F000020, 4051}, {0x0A000021, 0x7F000021, 4051}}};
    hier_refused(h, &r, 300);
    assert_int_equal(count_kind(&f->r, PFS_DL_REFUSED), 1);
    assert_int_equal(f->r.drops, 1);
    /* FULL is contention, not a fault: it does not use up a join try. */
    assert_int_equal(h->fails, 0);
    assert_int_equal(h->full_refusals, 1);
    /* Straight on to a hint, no settle. */
    assert_int_equal(h->st, HS_JOINING);
    assert_true(f->r.join_xid[1] == 0x0A000020 || f->r.join_xid[1] == 0x0A000021);
    assert_int_equal(h->tries, 2);
}

static void test_full_refusals_bounded(void **state)
{
    struct fix *f = *state;
    struct hier *h = &f->h;
    seek_with(f, 1);
    /* Every parent is FULL and hints at two deeper ones, forever. */
    for (int i = 0; i < HIER_FULL_TRIES - 1; i++) {
        assert_int_equal(h->st, HS_JOINING);
        uint32_t x = 0x0A000100u + 2u * (uint32_t)i;
        struct pfs_refuse r = {.reason = PFS_R_FULL, .nhints = 2,
                               .hints = {{x, 0x7F000100u + (uint32_t)i, 4051},
                                         {x + 1, 0x7F000180u + (uint32_t)i, 4051}}};
        hier_refused(h, &r, 300 + i);
    }
    assert_int_equal(h->st, HS_JOINING);
    assert_int_equal(f->r.fetches, 0);
    struct pfs_refuse last = {.reason = PFS_R_FULL};
    hier_refused(h, &last, 400);
    assert_int_equal(h->st, HS_FETCH);
    assert_int_equal(f->r.fetches, 1);
    assert_string_equal(why_word(h->fallback), "refused");
}

static void test_join_tries_fallback(void **state)
{
    struct fix *f = *state;
    struct hier *h = &f->h;
    seek_with(f, 4); /* 4 candidates: every try has somewhere to go */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(h->st, HS_JOINING);
        fire(h);   /* join timeout */
    }
    assert_int_equal(h->st, HS_JOINING);
    assert_int_equal(f->r.fetches, 0);
    fire(h);       /* the 4th failure: TFTP */
    assert_int_equal(h->st, HS_FETCH);
    assert_int_equal(f->r.fetches, 1);
    assert_string_equal(why_word(h->fallback), "join-timeout");
    const struct pfs_dlog_ev *fb = last_kind(&f->r, PFS_DL_FALLBACK);
    assert_non_null(fb);
    assert_string_equal(fb->reason, "join-timeout");
    assert_false(hier_attached(h)); /* a fallback node is not in the tree */
    assert_int_equal(hier_wire_state(h), PFS_HS_SEEK);
    /* Every failed parent was asked once. */
    for (int i = 0; i < 4; i++)
        for (int k = i + 1; k < 4; k++)
            assert_int_not_equal(f->r.join_xid[i], f->r.join_xid[k]);
    hier_fetch_failed(h, 9000);
    assert_int_equal(h->st, HS_FAILED);
    assert_int_equal(f->r.finished, 1);
}

static void test_seek_timeout(void **state)
{
    struct fix *f = *state;
    struct hier *h = &f->h;
    hier_start(h, 0);
    struct pfs_msg strong = claim(h, PFS_T_CLAIM, 0x0A000001, PFS_HS_TENT, 0xFFFFFFF0u,
                                  PFS_DEPTH_NONE, 2);
    hier_heard(h, &strong, 0x7F000001, 100);
    fire(h); /* settle */
    assert_int_equal(h->st, HS_SEEK);
    assert_int_equal(h->deadline, 100 + 3000);
    /* The tentative claimant never confirmed and nobody else is heard: a
     * one-shot stranger or a claimant that died. Claim again, a bounded
     * number of times, then fall back. */
    for (int k = 1; k <= HIER_RECLAIMS; k++) {
        fire(h);
        assert_int_equal(h->st, HS_TENT);
        assert_int_equal(h->reclaims, k);
        hier_heard(h, &strong, 0x7F000001, h->deadline - 1);
        assert_int_equal(h->st, HS_SEEK);
        fire(h); /* settle */
    }
    fire(h);
    assert_int_equal(h->st, HS_FETCH);
    assert_string_equal(why_word(h->fallback), "no-parent");
}

/* A yield to a confirmed root that then vanishes falls back: no reclaim. */
static void test_seek_timeout_conf(void **state)
{
    struct fix *f = *state;
    struct hier *h = &f->h;
    hier_start(h, 0);
    struct pfs_msg root = claim(h, PFS_T_CLAIM, 0x0A000001, PFS_HS_CONF, 0xFFFFFFFFu, 0, 0);
    hier_heard(h, &root, 0x7F000001, 100);
    assert_int_equal(h->st, HS_SEEK);
    fire(h); /* settle: the root is full, no candidate */
    fire(h);
    assert_int_equal(h->st, HS_FETCH);
    assert_string_equal(why_word(h->fallback), "no-parent");
    assert_int_equal(h->reclaims, 0);
}

/* The node stops listening to the sender it yielded to: it claims at once. */
static void test_distrust_reclaims(void **state)
{
    struct fix *f = *state;
    struct hier *h = &f->h;
    hier_start(h, 0);
    struct pfs_msg strong = claim(h, PFS_T_CLAIM, 0x0A000001, PFS_HS_TENT, 0xFFFFFFF0u,
                                  PFS_DEPTH_NONE, 2);
    hier_heard(h, &strong, 0x7F000009, 100);
    assert_int_equal(h->st, HS_SEEK);
    hier_distrust(h, 0x7F000008, 150); /* someone else: nothing changes */
    assert_int_equal(h->st, HS_SEEK);
    hier_distrust(h, 0x7F000009, 200);
    assert_int_equal(h->st, HS_TENT);
    assert_int_equal(h->reclaims, 1);
    assert_int_equal(h->deadline, 200 + f->env.ad_interval);
}

static void test_parent_lost_and_stall(void **state)
{
    struct fix *f = *state;
    struct hier *h = &f->h;
    seek_with(f, 2);
    struct pfs_accept a = {.index = 0, .depth = 0, .root_xid = 0x0A000001};
    hier_accepted(h, &a, 300);
    uint32_t first = h->parent_xid;
    hier_parent_lost(h, WHY_CLOSED, NULL, 400);
    assert_int_equal(count_kind(&f->r, PFS_DL_PARENT_LOST), 1);
    assert_int_equal(h->st, HS_JOINING);           /* rejoins the other member */
    assert_int_not_equal(h->parent_xid, first);
    hier_accepted(h, &a, 500);
    hier_parent_lost(h, WHY_STALL, NULL, 600);             /* no one left: seek again */
    assert_int_equal(h->st, HS_SEEK);
    assert_int_equal(h->fails, 2);
    /* Two more failures end in TFTP with the last reason. */
    h->fails = 3;
    struct pfs_msg m = claim(h, PFS_T_AD, 0x0A000030, PFS_HS_MEMBER, PFS_STRENGTH_ROOT, 1, 1);
    hier_heard(h, &m, m.u.claim.addr, 700);
    fire(h); /* settle over: joins the new member */
    assert_int_equal(h->st, HS_JOINING);
    assert_int_equal(h->parent_xid, 0x0A000030);
    hier_accepted(h, &a, 800);
    hier_file_bad(h, 900);
    assert_int_equal(h->st, HS_FETCH);
    assert_string_equal(why_word(h->fallback), "hash");
}

/*
 * A node with children never joins its own subtree: keepalives keep its
 * depth current, a rejoin asks no one deeper than its old place, an
 * ACCEPT that turns out deeper (a stale AD) or names it as root fails the
 * try as "loop", and a loop's keepalives counting up to 254 end it.
 */
static void test_no_own_subtree(void **state)
{
    struct fix *f = *state;
    struct hier *h = &f->h;
    seek_with(f, 2); /* root 0A000001 (depth 0), member 0A000011 (depth 1) */
    assert_int_equal(h->parent_xid, 0x0A000001);
    struct pfs_accept a = {.index = 0, .depth = 0, .root_xid = 0x0A000001};
    assert_int_equal(hier_accepted(h, &a, 300), 0);
    assert_int_equal(h->depth, 1);
    int reason = 0;
    assert_int_equal(hier_child_join(h, 0x0A000099, 0x7F000099, 4051, &reason), 0);
    /* The parent's keepalive says it sits one level deeper now: so do we. */
    int nbc = f->r.nbc;
    a.depth = 1;
    assert_int_equal(hier_refresh(h, &a, 400), 1);
    assert_int_equal(h->depth, 2);
    assert_true(f->r.nbc > nbc); /* the new depth is advertised */
    /* Our child advertises depth 3; a stale AD puts a descendant at depth 2. */
    struct pfs_msg kid = claim(h, PFS_T_AD, 0x0A000099, PFS_HS_MEMBER, PFS_STRENGTH_ROOT, 3, 2);
    hier_heard(h, &kid, kid.u.claim.addr, 450);
    hier_parent_lost(h, WHY_CLOSED, NULL, 500);
    assert_int_equal(h->st, HS_JOINING);
    assert_int_equal(h->parent_xid, 0x0A000011); /* depth 1: not below our place */
    /* Its ACCEPT shows it is deeper than our old place by now: our subtree. */
    struct pfs_accept deep = {.index = 0, .depth = 4, .root_xid = 0x0A000001};
    assert_int_equal(hier_accepted(h, &deep, 600), -1);
    const struct pfs_dlog_ev *ev = last_kind(&f->r, PFS_DL_REFUSED);
    assert_non_null(ev);
    assert_string_equal(ev->reason, "loop");
    assert_int_equal(h->last_fail, WHY_LOOP);
    assert_int_equal(h->st, HS_SEEK); /* the child (depth 3) is never asked */
    /* An ACCEPT naming us as the root is our own tree, whatever its depth. */
    struct pfs_msg m2 = claim(h, PFS_T_AD, 0x0A000040, PFS_HS_MEMBER, PFS_STRENGTH_ROOT, 1, 2);
    hier_heard(h, &m2, m2.u.claim.addr, 700);
    fire(h);
    assert_int_equal(h->st, HS_JOINING);
    struct pfs_accept mine = {.index = 0, .depth = 0, .root_xid = h->env->xid};
    assert_int_equal(hier_accepted(h, &mine, 800), -1);
    assert_int_equal(h->last_fail, WHY_LOOP);
}

/* Keepalives going round a loop count the depth up until it breaks. */
static void test_loop_counts_out(void **state)
{
    struct fix *f = *state;
    struct hier *h = &f->h;
    seek_with(f, 1);
    struct pfs_accept a = {.index = 0, .depth = 0, .root_xid = 0x0A000001};
    assert_int_equal(hier_accepted(h, &a, 300), 0);
    for (unsigned d = 1; d < PFS_DEPTH_NONE - 1; d++) {
        a.depth = (uint8_t)d;
        assert_int_equal(hier_refresh(h, &a, 300 + d), 1);
        assert_int_equal(h->depth, d + 1);
    }
    a.depth = PFS_DEPTH_NONE - 1;
    assert_int_equal(hier_refresh(h, &a, 600), 0);
    assert_int_equal(h->last_fail, WHY_LOOP); /* logged as PARENT_LOST loop */
    assert_int_not_equal(h->st, HS_MEMBER);
}

static void test_answers_rate_limited(void **state)
{
    struct fix *f = *state;
    struct hier *h = &f->h;
    hier_start(h, 0);
    for (int i = 0; i < 5; i++)
        fire(h);
    assert_int_equal(h->st, HS_WAITING);
    int64_t t = h->last_answer;
    int nbc = f->r.nbc;
    struct pfs_msg late = claim(h, PFS_T_CLAIM, 0x0A000009, PFS_HS_TENT, 5, PFS_DEPTH_NONE, 2);
    hier_heard(h, &late, 0x7F000009, t + 10);   /* within an interval of CLAIM(conf) */
    assert_int_equal(f->r.nbc, nbc);
    hier_heard(h, &late, 0x7F000009, t + 300);  /* later: answered */
    assert_int_equal(f->r.nbc, nbc + 1);
    assert_int_equal(f->r.bc[nbc].type, PFS_T_AD);
    assert_int_equal(f->r.bc[nbc].state, PFS_HS_WAITING);
    hier_heard(h, &late, 0x7F000009, t + 400);  /* rate limit */
    assert_int_equal(f->r.nbc, nbc + 1);
    struct pfs_msg seek = claim(h, PFS_T_AD, 0x0A000009, PFS_HS_SEEK, 0, PFS_DEPTH_NONE, 2);
    hier_heard(h, &seek, 0x7F000009, t + 700);  /* a Seek AD is answered too */
    assert_int_equal(f->r.nbc, nbc + 2);
    assert_int_equal(h->st, HS_WAITING);
}

/*
 * A member at a big site: of the free members it knows, only about
 * HIER_ANSWERERS answer one request, so a request costs a few datagrams
 * rather than one per member; a full member never answers.
 */
static void test_few_members_answer(void **state)
{
    struct fix *f = *state;
    struct hier *h = &f->h;
    hier_start(h, 0);
    h->st = HS_MEMBER; /* attached below 0A000001, as an ACCEPT leaves it */
    h->is_root = 0;
    h->depth = 2;
    h->root_xid = 0x0A000001;
    const int members = 40, requests = 400;
    for (int i = 0; i < members; i++) {
        struct pfs_msg ad = claim(h, PFS_T_AD, 0x0B000000u + (uint32_t)i, PFS_HS_MEMBER,
                                  PFS_STRENGTH_ROOT, 2, 2);
        hier_heard(h, &ad, 0x7F000100u + (uint32_t)i, 1);
    }
    assert_int_equal(tree_count_free(&h->cands), members);
    unsigned sent = h->sent;
    int64_t t = 1000;
    for (int i = 0; i < requests; i++, t += 300) {
        struct pfs_msg seek = claim(h, PFS_T_AD, 0x0C000000u + (uint32_t)i, PFS_HS_SEEK, 0,
                                    PFS_DEPTH_NONE, 2);
        hier_heard(h, &seek, 0x7F000200u + (uint32_t)i, t);
    }
    unsigned answered = h->sent - sent;
    /* Expected requests * 3 / 41, about 29: well above none, far below all. */
    assert_in_range(answered, 5, requests / 4);

    /* Each Ad of one claimant draws anew: a claim is not ignored by all for ever. */
    sent = h->sent;
    for (unsigned seq = 1; seq <= 200; seq++, t += 300) {
        struct pfs_msg ad = claim(h, PFS_T_AD, 0x0D000001, PFS_HS_TENT, 5, PFS_DEPTH_NONE, 2);
        ad.u.claim.seq = (uint8_t)seq;
        hier_heard(h, &ad, 0x7F000300, t);
    }
    assert_true(h->sent > sent);

    assert_int_equal(hier_child_join(h, 1, 1, 4051, &(int){0}), 0);
    assert_int_equal(hier_child_join(h, 2, 2, 4051, &(int){0}), 1);
    sent = h->sent;
    for (int i = 0; i < requests; i++, t += 300) {
        struct pfs_msg seek = claim(h, PFS_T_AD, 0x0C000000u + (uint32_t)i, PFS_HS_SEEK, 0,
                                    PFS_DEPTH_NONE, 2);
        hier_heard(h, &seek, 0x7F000200u + (uint32_t)i, t);
    }
    assert_int_equal(h->sent, sent); /* full: silent */
}

static void test_two_roots(void **state)
{
    struct fix *f = *state;
    struct hier *h = &f->h;
    hier_start(h, 0);
    for (int i = 0; i < 5; i++)
        fire(h);
    struct pfs_msg higher = claim(h, PFS_T_CLAIM, OWN + 1, PFS_HS_CONF, PFS_STRENGTH_ROOT, 0, 2);
    hier_heard(h, &higher, 0x7F000006, 2000);
    assert_int_equal(h->st, HS_WAITING);
    struct pfs_msg lower = claim(h, PFS_T_CLAIM, OWN - 1, PFS_HS_CONF, PFS_STRENGTH_ROOT, 0, 2);
    hier_heard(h, &lower, 0x7F000004, 2100);
    assert_int_equal(h->st, HS_SEEK);
    assert_false(h->is_root);
}

static void test_children(void **state)
{
    struct fix *f = *state;
    struct hier *h = &f->h;
    int reason = 0;
    hier_start(h, 0);
    assert_int_equal(hier_child_join(h, 1, 1, 4051, &reason), -1);
    assert_int_equal(reason, PFS_R_NOT_MEMBER);
    for (int i = 0; i < 5; i++)
        fire(h);
    assert_int_equal(hier_child_join(h, 1, 1, 4051, &reason), 0);
    assert_int_equal(hier_child_join(h, 2, 2, 4051, &reason), 1);
    assert_int_equal(hier_child_join(h, 3, 3, 4051, &reason), -1);
    assert_int_equal(reason, PFS_R_FULL);
    int states = f->r.states;
    hier_child_release(h, 0, 3000);
    assert_int_equal(f->r.states, states + 1);
    assert_int_equal(f->r.bc[f->r.nbc - 1].type, PFS_T_AD); /* free slots changed */
    assert_int_equal(hier_child_join(h, 3, 3, 4051, &reason), 0);
}

static void test_fetch_start_fails(void **state)
{
    struct fix *f = *state;
    struct hier *h = &f->h;
    f->r.fetch_rc = -1;
    hier_start(h, 0);
    for (int i = 0; i < 6; i++)
        fire(h);
    assert_int_equal(h->st, HS_FAILED);
    assert_int_equal(f->r.finished, 1);
}

/* A TFTP copy that fails the .loads check is fetched once more, then lost. */
static void test_fetch_bad_refetches_once(void **state)
{
    struct fix *f = *state;
    struct hier *h = &f->h;
    hier_start(h, 1000);
    while (h->st != HS_FETCH)
        fire(h);
    assert_int_equal(f->r.fetches, 1);
    hier_fetch_bad(h, 20000);
    assert_int_equal(h->st, HS_FETCH);
    assert_int_equal(f->r.fetches, 2);
    assert_int_equal(f->r.finished, 0);
    assert_true(hier_attached(h)); /* still the root: its children may rejoin it */
    hier_fetch_bad(h, 21000);
    assert_int_equal(h->st, HS_FAILED);
    assert_int_equal(f->r.fetches, 2);
    assert_int_equal(f->r.finished, 1);
}

/* ABORT(HASH) from a parent forwarding as it received: a try failed as "hash". */
static void test_parent_hash_abort(void **state)
{
    struct fix *f = *state;
    struct hier *h = &f->h;
    seek_with(f, 2);
    struct pfs_accept a = {.index = 0, .depth = 0, .root_xid = 0x0A000001};
    hier_accepted(h, &a, 300);
    hier_parent_lost(h, WHY_HASH, NULL, 400);
    const struct pfs_dlog_ev *pl = last_kind(&f->r, PFS_DL_PARENT_LOST);
    assert_non_null(pl);
    assert_string_equal(pl->reason, "hash");
    assert_int_equal(h->last_fail, WHY_HASH);
    assert_int_equal(h->st, HS_JOINING); /* rejoins the other member */
}

static void test_join_fails_at_once(void **state)
{
    struct fix *f = *state;
    struct hier *h = &f->h;
    f->r.join_rc = -1;
    seek_with(f, 4);
    /* Every connect fails at once: four tries, then TFTP. */
    assert_int_equal(f->r.joins, 4);
    assert_int_equal(h->st, HS_FETCH);
    assert_string_equal(why_word(h->fallback), "join-timeout");
}

/*
 * A bad XFRCMD from the parent is logged with the rule of libpfs it broke:
 * another file is "bad-path", a size over what the .loads allows
 * "too-big" (the PARENT_LOST line, as printed), and the node rejoins.
 */
static void test_bad_xfrcmd_names_rule(void **state)
{
    struct fix *f = *state;
    struct hier *h = &f->h;
    seek_with(f, 3);
    struct pfs_accept a = {.index = 0, .depth = 0, .root_xid = 0x0A000001};
    hier_accepted(h, &a, 300);
    assert_int_equal(h->st, HS_MEMBER);
    const char *other = "/dnld/evil.sbn";
    struct pfs_xfrcmd x = {.file = {other, (uint8_t)strlen(other)}, .size = 1000};
    struct pfs_xfrcmd ok = {.file = {h->path, (uint8_t)strlen(h->path)}, .size = 1000};
    assert_int_equal(xfr_cmd_rule(&ok, h->path, 1000), 0);
    assert_int_equal(xfr_cmd_rule(&ok, h->path, PFS_FILE_MAX), 0);
    struct {
        struct pfs_xfrcmd cmd;
        uint32_t max;
        int rule;
        const char *word;
    } cases[] = {
        {x, PFS_FILE_MAX, PFS_E_PATH, "bad-path"},
        {{.file = ok.file, .size = 1001}, 1000, PFS_E_SIZE, "too-big"},
        {{.file = ok.file, .size = PFS_FILE_MAX + 1u}, PFS_FILE_MAX, PFS_E_SIZE, "too-big"},
    };
    int64_t t = 400;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (h->st != HS_MEMBER) {
            assert_int_equal(h->st, HS_JOINING); /* rejoined another member */
            hier_accepted(h, &a, t++);
        }
        int rule = xfr_cmd_rule(&cases[i].cmd, h->path, cases[i].max);
        assert_int_equal(rule, cases[i].rule);
        int before = count_kind(&f->r, PFS_DL_PARENT_LOST);
        hier_parent_lost(h, WHY_PROTOCOL, pfs_errword(rule), t++);
        assert_int_equal(count_kind(&f->r, PFS_DL_PARENT_LOST), before + 1);
        const struct pfs_dlog_ev *ev = last_kind(&f->r, PFS_DL_PARENT_LOST);
        assert_string_equal(ev->reason, cases[i].word);
        char line[512], want[64];
        assert_true(pfs_dlog_line(line, sizeof line, 0, ev) > 0);
        snprintf(want, sizeof want, "H=%08X: %s", h->h, cases[i].word);
        assert_non_null(strstr(line, want));
        assert_true(strncmp(line, "WRN ", 4) == 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_root_path, setup),
        cmocka_unit_test_setup(test_yield_and_join, setup),
        cmocka_unit_test_setup(test_refused_then_hint, setup),
        cmocka_unit_test_setup(test_full_refusals_bounded, setup),
        cmocka_unit_test_setup(test_join_tries_fallback, setup),
        cmocka_unit_test_setup(test_seek_timeout, setup),
        cmocka_unit_test_setup(test_seek_timeout_conf, setup),
        cmocka_unit_test_setup(test_distrust_reclaims, setup),
        cmocka_unit_test_setup(test_parent_lost_and_stall, setup),
        cmocka_unit_test_setup(test_no_own_subtree, setup),
        cmocka_unit_test_setup(test_loop_counts_out, setup),
        cmocka_unit_test_setup(test_answers_rate_limited, setup),
        cmocka_unit_test_setup(test_few_members_answer, setup),
        cmocka_unit_test_setup(test_two_roots, setup),
        cmocka_unit_test_setup(test_children, setup),
        cmocka_unit_test_setup(test_fetch_start_fails, setup),
        cmocka_unit_test_setup(test_fetch_bad_refetches_once, setup),
        cmocka_unit_test_setup(test_parent_hash_abort, setup),
        cmocka_unit_test_setup(test_join_fails_at_once, setup),
        cmocka_unit_test_setup(test_bad_xfrcmd_names_rule, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
