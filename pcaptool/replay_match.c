/*
 * replay_match.c - whether the endpoint's answer is the recorded one, by
 * the rules of docs/protocol.md rather than byte for byte: claim maps,
 * timing, the child slot index and the choice among hints may differ.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <string.h>

#include "replay.h"

#define RULE_ELECTION "docs/protocol.md §4 Election rule"
#define RULE_ADVERT   "docs/protocol.md §4 Advertising"
#define RULE_PARENT   "docs/protocol.md §4 Choosing a parent"
#define RULE_XFER     "docs/protocol.md §4 Transfer (store and forward)"
#define RULE_VERDICT  "docs/protocol.md §4 Transfer: the child checks the SHA-256"
#define RULE_LEAVE    "docs/protocol.md §4 Leaving"
#define RULE_TCP      "docs/protocol.md §5 TCP"

const char *rp_rule_of(unsigned type)
{
    switch (type) {
    case PFS_T_CLAIM: return RULE_ELECTION;
    case PFS_T_AD: return RULE_ADVERT;
    case PFS_T_JOIN:
    case PFS_T_ACCEPT:
    case PFS_T_REFUSE: return RULE_PARENT;
    case PFS_T_XFRCMD:
    case PFS_T_DATA:
    case PFS_T_XFREND: return RULE_XFER;
    case PFS_T_VERDICT: return RULE_VERDICT;
    case PFS_T_LEAVE: return RULE_LEAVE;
    default: return RULE_TCP;
    }
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

/*
 * A tentative claim's Ad number counts (Ad 1..4 then confirm is the rule);
 * an attached node's free slots and Ad numbers follow the joiners' timing,
 * so they are left out, and the map is random by design.
 */
size_t rp_elect_key(const struct pfs_msg *m, uint8_t key[32])
{
    memset(key, 0, 32);
    key[0] = m->type;
    if (m->type == PFS_T_LEAVE || m->type == PFS_T_ABORT) {
        key[1] = m->u.reason.reason;
        return 2;
    }
    if (m->type != PFS_T_CLAIM && m->type != PFS_T_AD)
        return 1;
    const struct pfs_claim *c = &m->u.claim;
    key[1] = c->state;
    key[2] = c->state == PFS_HS_TENT ? c->seq : 0;
    key[3] = c->depth;
    key[4] = (m->flags & PFS_F_HAVE) != 0;
    put32(key + 5, c->root_xid);
    put32(key + 9, c->strength);
    return 13;
}

static int fail(char *rule, size_t cap, const char *r)
{
    snprintf(rule, cap, "%s", r);
    return 0;
}

static int str_eq(struct pfs_str a, struct pfs_str b)
{
    return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

static int cmp_claim(const struct pfs_msg *e, const struct pfs_msg *g, char *rule, size_t cap)
{
    uint8_t ke[32], kg[32];
    size_t ne = rp_elect_key(e, ke), ng = rp_elect_key(g, kg);
    if (ne == ng && memcmp(ke, kg, ne) == 0)
        return 1;
    const struct pfs_claim *a = &e->u.claim, *b = &g->u.claim;
    int election = a->state != b->state || a->strength != b->strength ||
                   a->state == PFS_HS_TENT || b->state == PFS_HS_TENT;
    return fail(rule, cap, election ? RULE_ELECTION : RULE_ADVERT);
}

static int cmp_tcp(const struct pfs_msg *e, const struct pfs_msg *g, char *rule, size_t cap)
{
    const char *r = rp_rule_of(e->type);
    switch (e->type) {
    case PFS_T_JOIN:
        if (e->hier != g->hier || !str_eq(e->u.join.model, g->u.join.model) ||
            !str_eq(e->u.join.file, g->u.join.file) || e->u.join.try_no != g->u.join.try_no ||
            e->u.join.addr != g->u.join.addr)
            return fail(rule, cap, r);
        return 1;
    case PFS_T_ACCEPT:
        /* Which of two free slots a child gets depends on who asked first. */
        if (e->u.accept.depth != g->u.accept.depth || e->u.accept.root_xid != g->u.accept.root_xid)
            return fail(rule, cap, r);
        return 1;
    case PFS_T_REFUSE:
        if (e->u.refuse.reason != g->u.refuse.reason || e->u.refuse.nhints != g->u.refuse.nhints)
            return fail(rule, cap, r);
        return 1;
    case PFS_T_XFRCMD:
        if (e->u.xfrcmd.size != g->u.xfrcmd.size || e->u.xfrcmd.source != g->u.xfrcmd.source ||
            e->u.xfrcmd.origin_xid != g->u.xfrcmd.origin_xid ||
            memcmp(e->u.xfrcmd.sha256, g->u.xfrcmd.sha256, PFS_SHA256_LEN) != 0 ||
            !str_eq(e->u.xfrcmd.file, g->u.xfrcmd.file))
            return fail(rule, cap, r);
        return 1;
    case PFS_T_XFREND:
        return e->u.xfrend.size == g->u.xfrend.size ? 1 : fail(rule, cap, r);
    case PFS_T_VERDICT:
        if (e->u.verdict.verdict != g->u.verdict.verdict || e->u.verdict.bytes != g->u.verdict.bytes)
            return fail(rule, cap, r);
        return 1;
    case PFS_T_ABORT:
    case PFS_T_LEAVE:
        return e->u.reason.reason == g->u.reason.reason ? 1 : fail(rule, cap, r);
    default:
        return 1;
    }
}

int rp_compare(const struct pfs_msg *e, const struct pfs_msg *g, char *rule, size_t cap)
{
    if (e->type != g->type)
        return fail(rule, cap, rp_rule_of(e->type));
    if (e->hier != g->hier)
        return fail(rule, cap, "docs/protocol.md §2 Header (hierarchy id)");
    if (e->xid != g->xid)
        return fail(rule, cap, "docs/protocol.md §2 Header (sender XID)");
    if (e->type == PFS_T_CLAIM || e->type == PFS_T_AD)
        return cmp_claim(e, g, rule, cap);
    return cmp_tcp(e, g, rule, cap);
}

void rp_describe(const struct pfs_msg *m, char *out, size_t cap)
{
    const struct pfs_claim *c = &m->u.claim;
    switch (m->type) {
    case PFS_T_CLAIM:
    case PFS_T_AD:
        snprintf(out, cap, "%s %s seq=%u depth=%u free=%u strength=%08x root=XID%08X%s",
                 m->type == PFS_T_CLAIM ? "CLAIM" : "AD", pfs_hstate_name(c->state), c->seq,
                 c->depth, c->free_slots, c->strength, c->root_xid,
                 m->flags & PFS_F_HAVE ? " HAVE" : "");
        break;
    case PFS_T_JOIN:
        snprintf(out, cap, "JOIN try=%u %.*s", m->u.join.try_no, m->u.join.file.len,
                 m->u.join.file.p);
        break;
    case PFS_T_ACCEPT:
        snprintf(out, cap, "ACCEPT index=%u depth=%u root=XID%08X", m->u.accept.index,
                 m->u.accept.depth, m->u.accept.root_xid);
        break;
    case PFS_T_REFUSE:
        snprintf(out, cap, "REFUSE %s hints=%u", pfs_reason_name(m->u.refuse.reason),
                 m->u.refuse.nhints);
        break;
    case PFS_T_XFRCMD: {
        char hex[PFS_SHA256_LEN * 2 + 1];
        for (int i = 0; i < PFS_SHA256_LEN; i++)
            snprintf(hex + 2 * i, 3, "%02x", m->u.xfrcmd.sha256[i]);
        snprintf(out, cap, "XFRCMD size=%u source=%s sha256=%.16s..", m->u.xfrcmd.size,
                 pfs_source_name(m->u.xfrcmd.source), hex);
        break;
    }
    case PFS_T_DATA:
        snprintf(out, cap, "DATA offset=%u len=%u", m->u.data.offset, m->u.data.len);
        break;
    case PFS_T_XFREND:
        snprintf(out, cap, "XFREND size=%u", m->u.xfrend.size);
        break;
    case PFS_T_VERDICT:
        snprintf(out, cap, "VERDICT %s bytes=%u", pfs_verdict_name(m->u.verdict.verdict),
                 m->u.verdict.bytes);
        break;
    case PFS_T_ABORT:
    case PFS_T_LEAVE:
        snprintf(out, cap, "%s %s", m->type == PFS_T_ABORT ? "ABORT" : "LEAVE",
                 pfs_reason_name(m->u.reason.reason));
        break;
    default:
        snprintf(out, cap, "type %u", m->type);
    }
}
