/*
 * test_model.c - pfslog's reconstruction: phones, hierarchies, trees and
 * diagnostics from typed events. Each scenario is written as console
 * lines by libpfs's own writer and read back through the reader, as pfsd's
 * logs are; the seed excerpt stands for a real phone.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl.h"

#define A 0x0A000002u
#define B 0x0A000003u
#define C 0x0A000004u
#define D 0x0A000005u
#define E 0x0A000006u
#define HF 0x22061D3Eu
#define FILE1 "/dnld/SCCP41.9-4-2SR2-2S.loads"
#define BASE1 "SCCP41.9-4-2SR2-2S.loads"
#define MODEL "CP-7961G"

static uint32_t ip_of(uint32_t xid)
{
    return 0x7F000000u | (xid & 0xFFu);
}

/* Microseconds at second s (plus us) of 09:00. */
static int64_t at(int s, int us)
{
    return tl_tod(9, 0, s, us);
}

static void start(struct tl *t, int64_t u, uint32_t x)
{
    tl_ev(t, u, (struct pfs_dlog_ev){.kind = PFS_DL_START, .xid = x, .ip = ip_of(x),
                                      .model = MODEL, .file = BASE1});
    tl_ev(t, u + 1, (struct pfs_dlog_ev){.kind = PFS_DL_HIER, .xid = x, .h = HF, .model = MODEL,
                                          .file = FILE1});
    tl_ev(t, u + 2, (struct pfs_dlog_ev){.kind = PFS_DL_CLAIM, .xid = x, .state = "tent",
                                          .map = 1, .strength = x});
}

static void become_root(struct tl *t, int64_t u, uint32_t x)
{
    for (int n = 1; n <= 4; n++) {
        tl_ev(t, u + n, (struct pfs_dlog_ev){.kind = PFS_DL_TIMEOUT, .xid = x, .hier = "ClaimRoot(tent)"});
        tl_ev(t, u + n, (struct pfs_dlog_ev){.kind = PFS_DL_AD, .xid = x, .n = n, .hier = "ClaimRoot(tent)"});
    }
    tl_ev(t, u + 10, (struct pfs_dlog_ev){.kind = PFS_DL_CONFIRMED});
    tl_ev(t, u + 11, (struct pfs_dlog_ev){.kind = PFS_DL_HROOT, .xid = x, .h = HF, .model = MODEL,
                                           .ip = ip_of(x), .file = FILE1});
}

static void root_fetch(struct tl *t, int64_t u, uint32_t x)
{
    tl_ev(t, u, (struct pfs_dlog_ev){.kind = PFS_DL_ROOT_TFTP, .xid = x});
    tl_ev(t, u + 1, (struct pfs_dlog_ev){.kind = PFS_DL_TFTP_RRQ, .xid = x, .file = BASE1,
                                          .pip = 0x7F000001u, .port = 69});
    tl_ev(t, u + 2, (struct pfs_dlog_ev){.kind = PFS_DL_TFTP_DONE, .xid = x, .file = BASE1,
                                          .bytes = 1220, .secs = 0.5, .rate = 2.4});
    tl_ev(t, u + 3, (struct pfs_dlog_ev){.kind = PFS_DL_HASH_OK, .xid = x, .file = FILE1, .sha = "00"});
    tl_ev(t, u + 4, (struct pfs_dlog_ev){.kind = PFS_DL_FILE_DONE, .xid = x, .h = HF, .file = FILE1,
                                          .src = "tftp", .secs = 10.5});
}

/* Child c joins parent p (both sides' lines). */
static void join(struct tl *t, int64_t u, uint32_t c, uint32_t p, long index)
{
    tl_ev(t, u, (struct pfs_dlog_ev){.kind = PFS_DL_YIELD, .xid = c, .peer = p, .pip = ip_of(p),
                                      .strength = 0xffffffffu});
    tl_ev(t, u + 1, (struct pfs_dlog_ev){.kind = PFS_DL_PARENT, .xid = c, .peer = p, .pip = ip_of(p),
                                          .tries = 1});
    tl_ev(t, u + 2, (struct pfs_dlog_ev){.kind = PFS_DL_CHILD_ADD, .xid = p, .peer = c,
                                          .pip = ip_of(c), .index = index, .h = HF});
    tl_ev(t, u + 3, (struct pfs_dlog_ev){.kind = PFS_DL_JOINED, .xid = c, .h = HF, .peer = p,
                                          .pip = ip_of(p), .index = index, .depth = 1});
}

/* Parent p sends the file to child c, who verifies it. */
static void send(struct tl *t, int64_t u, uint32_t p, uint32_t c)
{
    tl_ev(t, u, (struct pfs_dlog_ev){.kind = PFS_DL_XFR_TX, .xid = p, .peer = c, .pip = ip_of(c),
                                      .file = FILE1, .total = 1220, .src = "tftp"});
    tl_ev(t, u + 1, (struct pfs_dlog_ev){.kind = PFS_DL_XFR_RX, .xid = c, .peer = p, .pip = ip_of(p),
                                          .file = FILE1, .total = 1220, .src = "tftp"});
    tl_ev(t, u + 2, (struct pfs_dlog_ev){.kind = PFS_DL_RX_DONE, .xid = c, .peer = p, .pip = ip_of(p),
                                          .file = FILE1, .bytes = 1220, .secs = 0.1, .rate = 11.9});
    tl_ev(t, u + 3, (struct pfs_dlog_ev){.kind = PFS_DL_HASH_OK, .xid = c, .file = FILE1, .sha = "00"});
    tl_ev(t, u + 4, (struct pfs_dlog_ev){.kind = PFS_DL_FILE_DONE, .xid = c, .h = HF, .file = FILE1,
                                          .src = "peer", .secs = 11.0});
    tl_ev(t, u + 5, (struct pfs_dlog_ev){.kind = PFS_DL_TX_DONE, .xid = p, .peer = c, .pip = ip_of(c),
                                          .file = FILE1, .bytes = 1220, .secs = 0.1, .rate = 11.9,
                                          .reason = "OK"});
}

/* A healthy tree: A root, B and C its children, D below B. */
static struct tl *healthy(void)
{
    struct tl *t = tl_new();
    start(t, at(0, 0), A);
    start(t, at(0, 100), B);
    start(t, at(0, 200), C);
    start(t, at(0, 300), D);
    become_root(t, at(1, 0), A);
    join(t, at(2, 0), B, A, 0);
    join(t, at(2, 100), C, A, 1);
    join(t, at(2, 200), D, B, 0);
    root_fetch(t, at(11, 0), A);
    send(t, at(12, 0), A, B);
    send(t, at(12, 100), A, C);
    send(t, at(13, 0), B, D);
    return t;
}

static void test_healthy_tree(void **state)
{
    (void)state;
    struct tl *t = healthy();
    tl_finish(t);
    assert_int_equal(t->m.nhiers, 1);
    uint32_t hi = tl_hier(t, BASE1);
    const struct plog_hier *h = &t->m.hiers[hi];
    assert_string_equal(h->model, MODEL);
    assert_int_equal(h->h, HF);
    assert_int_equal(h->nnodes, 4);
    assert_int_equal(h->ads, 4);
    const struct plog_node *a = tl_node(t, hi, A), *b = tl_node(t, hi, B), *c = tl_node(t, hi, C),
                           *d = tl_node(t, hi, D);
    assert_true(a->is_root && a->parent == PLOG_NONE && a->source == SRC_TFTP);
    assert_int_equal(plog_node_role(&t->m, a), ROLE_ROOT);
    assert_int_equal(a->nchildren, 2);
    assert_int_equal(tl_xid(t, a->children[0]), B);
    assert_int_equal(tl_xid(t, a->children[1]), C);
    assert_int_equal(tl_xid(t, b->parent), A);
    assert_int_equal(plog_node_role(&t->m, b), ROLE_PARENT);
    assert_int_equal(plog_node_role(&t->m, c), ROLE_LEAF);
    assert_int_equal(tl_xid(t, d->parent), B);
    assert_true(d->source == SRC_PEER && d->has_file);
    assert_true(d->secs > 10.9 && d->secs < 11.1);
    assert_true(d->rate > 11.8 && d->rate < 12.0);
    const struct plog_phone *p = tl_phone(t, D);
    assert_int_equal(p->ip, ip_of(D));
    assert_string_equal(p->load, BASE1);
    assert_int_equal(p->source, PH_LOG);
    assert_int_equal(plog_error_count(&t->m, &(struct plog_filter){0}), 0);
    assert_int_equal(tl_diags(t, "tftp-fallback", PLOG_NONE), 0);
    char v[512];
    plog_verdict(&t->m, &(struct plog_filter){0}, v, sizeof v);
    assert_true(strncmp(v, "PFS worked", 10) == 0);
    char *js = tl_json(t);
    assert_non_null(strstr(js, "{\"xid\":\"0A000002\",\"ip\":\"127.0.0.2\",\"parent\":null,"
                               "\"children\":[\"0A000003\",\"0A000004\"]"));
    assert_non_null(strstr(js, "\"root\":\"0A000002\""));
    free(js);
    char *dot = tl_dot(t);
    /* one digraph, ids by hierarchy and phone index, the parent's rate on the edge */
    char want[80];
    uint32_t p2 = plog_map_get(&t->m.by_xid, 0x0A000002u), p3 = plog_map_get(&t->m.by_xid, 0x0A000003u),
             p5 = plog_map_get(&t->m.by_xid, 0x0A000005u);
    assert_int_equal(strncmp(dot, "digraph pfs {", 13), 0);
    snprintf(want, sizeof want, "\"h0_p%u\" -> \"h0_p%u\" [label=\"", (unsigned)p3, (unsigned)p5);
    assert_non_null(strstr(dot, want));
    snprintf(want, sizeof want, "\"h0_tftp\" -> \"h0_p%u\"", (unsigned)p2);
    assert_non_null(strstr(dot, want));
    free(dot);
    char *txt = tl_text_report(t);
    assert_non_null(strstr(txt, "\u2514\u2500XID0A000005"));
    free(txt);
    tl_free(t);
}

static void test_filters(void **state)
{
    (void)state;
    struct tl *t = healthy();
    tl_ev(t, at(20, 0), (struct pfs_dlog_ev){.kind = PFS_DL_HIER, .xid = E, .h = 0x1234u,
                                              .model = "CP-7941G", .file = "/dnld/other.sbn"});
    tl_finish(t);
    uint32_t h1 = tl_hier(t, BASE1), h2 = tl_hier(t, "other.sbn");
    struct plog_filter f = {0};
    f.file = "SCCP*";
    assert_true(plog_hier_selected(&t->m, h1, &f) && !plog_hier_selected(&t->m, h2, &f));
    f.file = "other";
    assert_true(!plog_hier_selected(&t->m, h1, &f) && plog_hier_selected(&t->m, h2, &f));
    f = (struct plog_filter){.model = "cp-7941g"};
    assert_true(!plog_hier_selected(&t->m, h1, &f) && plog_hier_selected(&t->m, h2, &f));
    f = (struct plog_filter){.xid = D, .has_xid = 1};
    assert_true(plog_hier_selected(&t->m, h1, &f) && !plog_hier_selected(&t->m, h2, &f));
    tl_free(t);
}

static void test_two_roots(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    start(t, at(0, 0), A);
    start(t, at(0, 10), B);
    become_root(t, at(1, 0), A);
    become_root(t, at(1, 50), B);
    tl_finish(t);
    assert_int_equal(tl_diags(t, "two-roots", PLOG_NONE), 1);
    const struct plog_diag *d = tl_diag(t, "two-roots");
    assert_int_equal(d->sev, PLOG_ERROR);
    assert_int_equal(d->ref.line, 2 * 3 + 2 * 10); /* B's @@@HROOT line */
    assert_non_null(strstr(d->msg, "XID0A000002 and XID0A000003"));
    assert_int_equal(plog_error_count(&t->m, &(struct plog_filter){0}), 1);
    char *js = tl_json(t);
    assert_non_null(strstr(js, "\"roots\":[\"0A000002\",\"0A000003\"]"));
    free(js);
    tl_free(t);
}

/* A phone that arrives after the whole first tree left: a late root, not a broken election. */
static void test_late_root(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    start(t, at(0, 0), A);
    become_root(t, at(1, 0), A);
    root_fetch(t, at(2, 0), A);
    tl_ev(t, at(5, 0), (struct pfs_dlog_ev){.kind = PFS_DL_LEAVE, .xid = A, .h = HF,
                                             .reason = "DONE"});
    start(t, at(9, 0), B);
    become_root(t, at(10, 0), B);
    tl_finish(t);
    assert_int_equal(tl_diags(t, "two-roots", PLOG_NONE), 0);
    const struct plog_diag *d = tl_diag(t, "late-root");
    assert_non_null(d);
    assert_int_equal(d->sev, PLOG_WARN);
    assert_non_null(strstr(d->msg, "XID0A000003 entered"));
    assert_int_equal(plog_error_count(&t->m, &(struct plog_filter){0}), 0);
    tl_free(t);
}

/* A confirmed root that yields to another: one root in the end, and a warning. */
static void test_root_yields(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    start(t, at(0, 0), A);
    start(t, at(0, 10), B);
    become_root(t, at(1, 0), A);
    become_root(t, at(1, 50), B);
    join(t, at(1, 100), B, A, 0);
    tl_finish(t);
    uint32_t hi = tl_hier(t, BASE1);
    assert_int_equal(tl_diags(t, "two-roots", PLOG_NONE), 0);
    assert_int_equal(tl_diags(t, "root-yielded", hi), 1);
    assert_false(tl_node(t, hi, B)->is_root);
    assert_int_equal(tl_xid(t, tl_node(t, hi, B)->parent), A);
    tl_free(t);
}

static void test_fallback_with_reason(void **state)
{
    (void)state;
    struct tl *t = healthy();
    start(t, at(3, 0), E);
    tl_ev(t, at(3, 1), (struct pfs_dlog_ev){.kind = PFS_DL_REFUSED, .xid = E, .peer = A,
                                             .pip = ip_of(A), .reason = "FULL"});
    tl_ev(t, at(6, 0), (struct pfs_dlog_ev){.kind = PFS_DL_FALLBACK, .xid = E, .file = FILE1,
                                             .reason = "no-parent"});
    tl_ev(t, at(6, 1), (struct pfs_dlog_ev){.kind = PFS_DL_TFTP_RRQ, .xid = E, .file = BASE1,
                                             .pip = 0x7F000001u, .port = 69});
    tl_ev(t, at(7, 0), (struct pfs_dlog_ev){.kind = PFS_DL_TFTP_DONE, .xid = E, .file = BASE1,
                                             .bytes = 1220, .secs = 1, .rate = 1.2});
    tl_finish(t);
    uint32_t hi = tl_hier(t, BASE1);
    const struct plog_node *e = tl_node(t, hi, E);
    assert_int_equal(plog_node_role(&t->m, e), ROLE_TFTP);
    assert_int_equal(e->parent, PLOG_NONE);
    const struct plog_diag *d = tl_diag(t, "tftp-fallback");
    assert_int_equal(d->sev, PLOG_WARN);
    assert_non_null(strstr(d->msg, "no-parent"));
    assert_non_null(strstr(d->msg, "root XID0A000002"));
    assert_int_equal(tl_diags(t, "join-refused", hi), 1);
    char v[512];
    plog_verdict(&t->m, &(struct plog_filter){0}, v, sizeof v);
    assert_true(strncmp(v, "PFS partly worked", 17) == 0);
    tl_free(t);
}

static void test_too_many_children(void **state)
{
    (void)state;
    struct tl *t = healthy();
    start(t, at(3, 0), E);
    join(t, at(3, 10), E, A, 0);
    tl_finish(t);
    const struct plog_diag *d = tl_diag(t, "too-many-children");
    assert_int_equal(d->sev, PLOG_ERROR);
    assert_non_null(strstr(d->msg, "XID0A000002 has 3 children"));
    tl_free(t);
}

/* A parent lost mid-transfer: the child rejoins elsewhere; its own log decides. */
static void test_parent_lost_then_rejoin(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    start(t, at(0, 0), A);
    start(t, at(0, 10), B);
    start(t, at(0, 20), C);
    become_root(t, at(1, 0), A);
    join(t, at(2, 0), B, A, 0);
    join(t, at(2, 10), C, B, 0);
    root_fetch(t, at(11, 0), A);
    send(t, at(12, 0), A, B);
    tl_ev(t, at(13, 0), (struct pfs_dlog_ev){.kind = PFS_DL_XFR_RX, .xid = C, .peer = B,
                                              .pip = ip_of(B), .file = FILE1, .total = 1220,
                                              .src = "peer"});
    tl_ev(t, at(16, 0), (struct pfs_dlog_ev){.kind = PFS_DL_PARENT_LOST, .xid = C, .peer = B,
                                              .pip = ip_of(B), .h = HF, .reason = "stall"});
    join(t, at(16, 100), C, A, 1);
    send(t, at(17, 0), A, C);
    tl_finish(t);
    uint32_t hi = tl_hier(t, BASE1);
    const struct plog_node *c = tl_node(t, hi, C);
    assert_int_equal(tl_xid(t, c->parent), A);
    assert_int_equal(tl_node(t, hi, B)->nchildren, 0);
    assert_int_equal(tl_node(t, hi, A)->nchildren, 2);
    const struct plog_diag *d = tl_diag(t, "transfer-stalled");
    assert_non_null(strstr(d->msg, "(stall)"));
    assert_int_equal(tl_diags(t, "log-ends-mid-transfer", PLOG_NONE), 0);
    tl_free(t);
}

/* Lines from a parent alone place a child whose log is missing. */
static void test_child_without_log(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    start(t, at(0, 0), A);
    become_root(t, at(1, 0), A);
    tl_ev(t, at(2, 0), (struct pfs_dlog_ev){.kind = PFS_DL_CHILD_ADD, .xid = A, .peer = B,
                                             .pip = ip_of(B), .index = 0, .h = HF});
    tl_ev(t, at(2, 1), (struct pfs_dlog_ev){.kind = PFS_DL_CHILD_ADD, .xid = A, .peer = C,
                                             .pip = ip_of(C), .index = 1, .h = HF});
    tl_ev(t, at(3, 0), (struct pfs_dlog_ev){.kind = PFS_DL_CHILD_LOST, .xid = A, .peer = C,
                                             .pip = ip_of(C), .index = 1, .h = HF,
                                             .reason = "closed"});
    tl_finish(t);
    uint32_t hi = tl_hier(t, BASE1);
    assert_int_equal(tl_xid(t, tl_node(t, hi, B)->parent), A);
    assert_int_equal(tl_node(t, hi, C)->parent, PLOG_NONE);
    assert_int_equal(tl_phone(t, B)->source, PH_MENTIONED);
    assert_int_equal(tl_phone(t, B)->ip, ip_of(B));
    assert_int_equal(tl_diags(t, "log-missing", PLOG_NONE), 2);
    assert_int_equal(tl_diags(t, "child-lost", hi), 1);
    char *js = tl_json(t);
    assert_non_null(strstr(js, "\"source\":\"mentioned\""));
    free(js);
    tl_free(t);
}

static void test_transfer_failures(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    start(t, at(0, 0), A);
    become_root(t, at(1, 0), A);
    tl_ev(t, at(11, 0), (struct pfs_dlog_ev){.kind = PFS_DL_ROOT_TFTP, .xid = A});
    tl_ev(t, at(12, 0), (struct pfs_dlog_ev){.kind = PFS_DL_TFTP_FAIL, .xid = A, .file = BASE1,
                                              .reason = "timeout"});
    /* B: a bad copy, then the log ends in the middle of the next try */
    start(t, at(0, 10), B);
    join(t, at(2, 0), B, A, 0);
    tl_ev(t, at(13, 0), (struct pfs_dlog_ev){.kind = PFS_DL_XFR_RX, .xid = B, .peer = A,
                                              .pip = ip_of(A), .file = FILE1, .total = 1220,
                                              .src = "tftp"});
    tl_ev(t, at(13, 1), (struct pfs_dlog_ev){.kind = PFS_DL_HASH_BAD, .xid = B, .file = FILE1,
                                              .sha = "ab"});
    tl_ev(t, at(14, 0), (struct pfs_dlog_ev){.kind = PFS_DL_XFR_RX, .xid = B, .peer = A,
                                              .pip = ip_of(A), .file = FILE1, .total = 1220,
                                              .src = "tftp"});
    tl_ev(t, at(14, 1), (struct pfs_dlog_ev){.kind = PFS_DL_PROGRESS, .xid = B, .file = FILE1,
                                              .bytes = 512, .total = 1220});
    tl_finish(t);
    assert_int_equal(tl_diag(t, "transfer-failed")->sev, PLOG_ERROR);
    assert_non_null(strstr(tl_diag(t, "transfer-failed")->msg, "(timeout)"));
    assert_int_equal(tl_diag(t, "hash-failure")->sev, PLOG_ERROR);
    const struct plog_diag *d = tl_diag(t, "log-ends-mid-transfer");
    assert_non_null(strstr(d->msg, "512 of 1220 bytes"));
    tl_free(t);
}

static void test_retried_transfer_is_a_warning(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    start(t, at(0, 0), A);
    become_root(t, at(1, 0), A);
    tl_ev(t, at(12, 0), (struct pfs_dlog_ev){.kind = PFS_DL_TFTP_FAIL, .xid = A, .file = BASE1,
                                              .reason = "timeout"});
    root_fetch(t, at(13, 0), A);
    tl_finish(t);
    assert_int_equal(tl_diags(t, "transfer-failed", PLOG_NONE), 0);
    assert_int_equal(tl_diag(t, "transfer-retried")->sev, PLOG_WARN);
    tl_free(t);
}

/* Logs that stop while a phone waits for its parent, or looks for one. */
static void test_log_ends_early(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    start(t, at(0, 0), A);
    start(t, at(0, 10), B);
    start(t, at(0, 20), C);
    become_root(t, at(1, 0), A);
    join(t, at(2, 0), B, A, 0);
    tl_ev(t, at(2, 5), (struct pfs_dlog_ev){.kind = PFS_DL_YIELD, .xid = C, .peer = A,
                                             .pip = ip_of(A), .strength = 0xffffffffu});
    tl_finish(t);
    uint32_t hi = tl_hier(t, BASE1);
    assert_int_equal(tl_diags(t, "log-ends-early", hi), 2);
    assert_int_equal(plog_node_role(&t->m, tl_node(t, hi, C)), ROLE_SEEKING);
    int waiting = 0, seeking = 0;
    for (size_t i = 0; i < t->m.ndiags; i++) {
        const struct plog_diag *d = &t->m.diags[i];
        waiting += strstr(d->msg, "XID0A000003's log ends before it got") &&
                   strstr(d->msg, "a child of XID0A000002 waiting for the file");
        seeking += strstr(d->msg, "XID0A000004's log ends") && strstr(d->msg, "looking for a parent");
    }
    assert_int_equal(waiting, 1);
    assert_int_equal(seeking, 1);
    tl_free(t);
}

static void test_election_never_confirmed(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    start(t, at(0, 0), A);
    tl_ev(t, at(0, 10), (struct pfs_dlog_ev){.kind = PFS_DL_AD, .xid = A, .n = 1, .hier = "ClaimRoot(tent)"});
    tl_finish(t);
    const struct plog_diag *d = tl_diag(t, "election-unconfirmed");
    assert_int_equal(d->ref.line, 3); /* the claim */
    assert_non_null(strstr(d->msg, "(1 Ads)"));
    tl_free(t);
}

/* The seed excerpt: a real phone, root alone, fetching over TFTP itself. */
static void test_seed_root_alone(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    FILE *f = fopen(PFS_SAMPLES "/seed-root.log", "rb");
    assert_non_null(f);
    char line[1024];
    while (fgets(line, sizeof line, f))
        tl_raw(t, line, strcspn(line, "\n"), NULL);
    fclose(f);
    tl_finish(t);
    const struct plog_phone *p = tl_phone(t, 0x080027F8u);
    assert_non_null(p);
    assert_string_equal(p->model, "CP-7961G");
    assert_int_equal(p->ip, 0x0A6A7544u);
    assert_int_equal(p->traces, 11);
    /* the XID-less lines before the claim belong to it: folded in */
    assert_int_equal(t->m.nphones, 2);
    assert_int_equal(t->m.phones[0].merged_into, 1);
    uint32_t hi = tl_hier(t, BASE1);
    const struct plog_node *n = tl_node(t, hi, 0x080027F8u);
    assert_true(n->is_root && n->root_tftp && n->el.confirmed);
    assert_int_equal(n->el.ads, 4);
    assert_int_equal(t->m.hiers[hi].timeouts, 5);
    assert_int_equal(n->source, SRC_TFTP);
    const struct plog_diag *d = tl_diag(t, "root-alone");
    assert_int_equal(d->ref.line, 19);
    tl_free(t);
}

/* A Log Server file with the same upgrade on two days: the second is a new round. */
static void test_next_upgrade_is_a_new_round(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    char line[700];
    /* Each day's lines behind RFC 3164 headers of that day; B is root on the 27th. */
    for (int day = 26; day <= 27; day++) {
        struct tl *g = tl_new();
        g->apply = 0;
        start(g, at(0, 0), A);
        start(g, at(0, 100), B);
        become_root(g, at(1, 0), day == 26 ? A : B);
        join(g, at(2, 0), day == 26 ? B : A, day == 26 ? A : B, 0);
        root_fetch(g, at(11, 0), day == 26 ? A : B);
        send(g, at(12, 0), day == 26 ? A : B, day == 26 ? B : A);
        for (size_t i = 0; i < g->nev; i++) {
            const struct plog_event *e = &g->ev[i];
            char text[600];
            pfs_dlog_line(text, sizeof text, e->t, &e->ev);
            snprintf(line, sizeof line, "<190>Nov %d 09:00:%02d host%u %s", day,
                     (int)(e->t / 1000000 % 60), (unsigned)(e->ev.xid & 0xFF), text);
            tl_line(t, line);
        }
        tl_free(g);
    }
    tl_finish(t);
    uint32_t hi = tl_hier(t, BASE1);
    const struct plog_hier *h = &t->m.hiers[hi];
    assert_int_equal(t->m.nhiers, 1);
    assert_int_equal(h->round, 2);
    assert_true(h->t_round >= PLOG_DAY_US);
    assert_true(tl_node(t, hi, B)->is_root);
    assert_false(tl_node(t, hi, A)->is_root);
    assert_int_equal(tl_diags(t, "two-roots", PLOG_NONE), 0);
    char *js = tl_json(t);
    assert_non_null(strstr(js, "\"root\":\"0A000003\",\"round\":2"));
    free(js);
    tl_free(t);
}

/* The same upgrade read twice (a console log and a Log Server file) stays one round. */
static void test_same_upgrade_twice_is_one_round(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    struct tl *g = healthy();
    for (int copy = 0; copy < 2; copy++) {
        tl_src(t, copy ? "b.log" : "a.log");
        for (size_t i = 0; i < g->nev; i++) {
            /* interleaved as the time merge does: both copies line by line */
            const struct plog_event *e = &g->ev[i];
            plog_model_apply(&t->m, e, &t->r);
        }
    }
    tl_free(g);
    tl_finish(t);
    uint32_t hi = tl_hier(t, BASE1);
    assert_int_equal(t->m.hiers[hi].round, 1);
    assert_int_equal(tl_diags(t, "two-roots", PLOG_NONE), 0);
    assert_true(tl_node(t, hi, A)->is_root);
    tl_free(t);
}

/* A Log Server host whose lines never name an XID is the phone with that address. */
static void test_host_joins_phone_by_address(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    tl_line(t, "<189>Nov 26 09:00:00 127.0.0.9 NOT 09:00:00.000000 DLoad: |parent=-1><fd[0]=4 "
               "fd[1]=5 FULL=1");
    start(t, at(0, 0), A);
    become_root(t, at(1, 0), A);
    tl_ev(t, at(2, 0), (struct pfs_dlog_ev){.kind = PFS_DL_CHILD_ADD, .xid = A, .peer = 0x0A000009u,
                                             .pip = 0x7F000009u, .index = 0, .h = HF});
    tl_finish(t);
    const struct plog_phone *p = tl_phone(t, 0x0A000009u);
    assert_non_null(p);
    assert_true(p->has_state && p->state_full == 1 && p->state_fd1 == 5);
    size_t shown = 0;
    for (size_t i = 0; i < t->m.nphones; i++)
        shown += t->m.phones[i].merged_into == PLOG_NONE;
    assert_int_equal(shown, 2);
    tl_free(t);
}

static int live_calls;
static void on_live(void *ctx, const struct plog_event *e, uint32_t hier, uint32_t phone)
{
    (void)ctx;
    (void)e;
    (void)hier;
    assert_int_not_equal(phone, PLOG_NONE);
    live_calls++;
}

static void test_live_callback(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    t->m.live = on_live;
    live_calls = 0;
    start(t, at(0, 0), A);
    become_root(t, at(1, 0), A);
    /* repetitive lines (4 Ads, 4 Timeouts) are not shown live */
    assert_int_equal(live_calls, 3 + 2);
    tl_free(t);
}

int main(void)
{
    /* pfslog draws trees with UTF-8 symbols in a UTF-8 locale, as main.c sets */
    if (!setlocale(LC_CTYPE, "C.UTF-8"))
        fprintf(stderr, "test_pfslog_model: no C.UTF-8 locale\n");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy_tree),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_two_roots),
        cmocka_unit_test(test_late_root),
        cmocka_unit_test(test_root_yields),
        cmocka_unit_test(test_fallback_with_reason),
        cmocka_unit_test(test_too_many_children),
        cmocka_unit_test(test_parent_lost_then_rejoin),
        cmocka_unit_test(test_child_without_log),
        cmocka_unit_test(test_transfer_failures),
        cmocka_unit_test(test_retried_transfer_is_a_warning),
        cmocka_unit_test(test_log_ends_early),
        cmocka_unit_test(test_election_never_confirmed),
        cmocka_unit_test(test_seed_root_alone),
        cmocka_unit_test(test_next_upgrade_is_a_new_round),
        cmocka_unit_test(test_same_upgrade_twice_is_one_round),
        cmocka_unit_test(test_host_joins_phone_by_address),
        cmocka_unit_test(test_live_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
