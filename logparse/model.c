/*
 * model.c - rebuild phones, hierarchies and trees from typed events.
 *
 * State follows phones x files: one phone record per XID, one hierarchy
 * per (model, file) also found by its H, one node per (hierarchy, phone).
 * Repetitive lines (Ad, Timeout, traces, progress) only bump counters;
 * the per-hierarchy event list is capped.
 *
 * A Log Server's file holds the same phones' upgrades day after day. When
 * a phone that already finished a hierarchy enters it again, that upgrade
 * (round) is over: its diagnostics are taken then and the nodes start
 * afresh for the next one, so memory does not grow with the days.
 *
 * Lines that name no hierarchy (claim, Ad, Timeout, the state dump,
 * "UT:Confirmed", "Root sending TFTP") belong to the hierarchy the phone's
 * nearby lines name. A real phone prints its claim before @@@HROOT names
 * the file, so an election not yet tied to a hierarchy is kept on the
 * phone as a pending node and merged into the node once a line names it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "model.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

void plog_model_init(struct plog_model *m)
{
    memset(m, 0, sizeof *m);
    for (int k = 0; k < PFS_DL_KIND_COUNT; k++)
        m->kinds[k] = pfs_dlog_info((enum pfs_dlog_kind)k);
}

void plog_model_free(struct plog_model *m)
{
    for (size_t i = 0; i < m->nhiers; i++) {
        free(m->hiers[i].nodes);
        free(m->hiers[i].events);
    }
    free(m->hiers);
    free(m->phones);
    free(m->nodes);
    free(m->diags);
    free(m->streams);
    free(m->rogues);
    free(m->cuts);
    free(m->pending);
    plog_map_free(&m->by_xid);
    plog_map_free(&m->by_h);
    plog_map_free(&m->by_name);
    plog_map_free(&m->by_file);
    plog_map_free(&m->by_node);
    plog_map_free(&m->by_phone_file);
    memset(m, 0, sizeof *m);
}

static const char *base_name(const char *f)
{
    const char *s = strrchr(f, '/');
    return s ? s + 1 : f;
}

static void copy_word(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void heard_roots(struct plog_model *m, uint32_t hi);

/* ---- phones ---- */

static uint32_t new_phone(struct plog_model *m)
{
    if (plog_grow(&m->phones, &m->cap_phones, m->nphones, sizeof *m->phones) != 0 ||
        plog_grow(&m->pending, &m->cap_pending, m->nphones, sizeof *m->pending) != 0) {
        m->oom = 1;
        return PLOG_NONE;
    }
    struct plog_phone *p = &m->phones[m->nphones];
    memset(p, 0, sizeof *p);
    p->cur_node = PLOG_NONE;
    p->last_h_hier = p->last_node = PLOG_NONE;
    p->src = PLOG_NONE;
    p->merged_into = PLOG_NONE;
    return (uint32_t)m->nphones++;
}

static uint32_t phone_by_xid(struct plog_model *m, uint32_t xid)
{
    uint32_t i = plog_map_get(&m->by_xid, xid);
    if (i != PLOG_NONE)
        return i;
    i = new_phone(m);
    if (i == PLOG_NONE)
        return i;
    m->phones[i].xid = xid;
    m->phones[i].has_xid = 1;
    if (plog_map_put(&m->by_xid, xid, i) != 0)
        m->oom = 1;
    return i;
}

/* A peer named in someone else's line: known to exist, maybe by IP. */
static uint32_t mention(struct plog_model *m, uint32_t xid, uint32_t ip)
{
    uint32_t i = phone_by_xid(m, xid);
    if (i != PLOG_NONE && ip && !m->phones[i].ip)
        m->phones[i].ip = ip;
    return i;
}

/* What the kind's grammar row says a line of it means (none for PFS_DL_NONE). */
static unsigned kind_flags(const struct plog_model *m, enum pfs_dlog_kind k)
{
    const struct pfs_dlog_kind_info *i = (unsigned)k < PFS_DL_KIND_COUNT ? m->kinds[k] : NULL;
    return i ? i->flags : 0;
}

static enum pfs_dlog_scope kind_scope(const struct plog_model *m, enum pfs_dlog_kind k)
{
    const struct pfs_dlog_kind_info *i = (unsigned)k < PFS_DL_KIND_COUNT ? m->kinds[k] : NULL;
    return i ? i->scope : PFS_SC_PHONE;
}

/* Folds an anonymous phone (lines before any XID) into the phone with an XID. */
static void fold_phone(struct plog_model *m, uint32_t from, uint32_t into)
{
    struct plog_phone *a = &m->phones[from], *b = &m->phones[into];
    b->traces += a->traces;
    b->listens += a->listens;
    if (a->has_state && !b->has_state) {
        b->has_state = 1;
        b->state_parent = a->state_parent;
        b->state_fd0 = a->state_fd0;
        b->state_fd1 = a->state_fd1;
        b->state_full = a->state_full;
    }
    a->merged_into = into;
}

int plog_phone_xid(const struct plog_model *m, uint32_t ph, uint32_t *xid)
{
    for (int hops = 0; ph != PLOG_NONE && ph < m->nphones && hops < 4; hops++) {
        const struct plog_phone *p = &m->phones[ph];
        if (p->has_xid) {
            *xid = p->xid;
            return 1;
        }
        ph = p->merged_into;
    }
    return 0;
}

void plog_model_input_cut(struct plog_model *m, struct plog_ref ref)
{
    if (plog_grow(&m->cuts, &m->cap_cuts, m->ncuts, sizeof *m->cuts) != 0) {
        m->oom = 1;
        return;
    }
    m->cuts[m->ncuts++] = ref;
}

void plog_model_finish(struct plog_model *m)
{
    /* Closed upgrades keep their diagnostics; the current ones are redone. */
    size_t keep = 0;
    for (size_t i = 0; i < m->ndiags; i++)
        if (m->diags[i].closed)
            m->diags[keep++] = m->diags[i];
    m->ndiags = keep;
    plog_model_link_hosts(m);
    for (uint32_t hi = 0; hi < m->nhiers; hi++) {
        heard_roots(m, hi);
        plog_derive_children(m, hi);
        plog_check_hier(m, hi);
    }
    plog_check_phones(m);
}

void plog_model_link_hosts(struct plog_model *m)
{
    for (uint32_t ph = 0; ph < m->nphones; ph++) {
        const struct plog_phone *p = &m->phones[ph];
        struct in_addr a;
        if (p->has_xid || p->merged_into != PLOG_NONE || !p->host[0] ||
            inet_pton(AF_INET, p->host, &a) != 1)
            continue;
        uint32_t ip = ntohl(a.s_addr);
        for (uint32_t x = 0; x < m->nphones; x++)
            if (m->phones[x].has_xid && m->phones[x].ip == ip) {
                fold_phone(m, ph, x);
                break;
            }
    }
}

/* Notes that stream su names xid as its own phone: a second one is worth a warning. */
static void stream_names(struct plog_stream_use *su, uint32_t xid, struct plog_ref ref)
{
    uint32_t kept = su->nxids < PLOG_STREAM_XIDS ? su->nxids : PLOG_STREAM_XIDS;
    for (uint32_t i = 0; i < kept; i++)
        if (su->xids[i] == xid)
            return;
    if (su->nxids == 1)
        su->second_ref = ref;
    if (su->nxids < PLOG_STREAM_XIDS)
        su->xids[su->nxids] = xid;
    su->nxids++;
}

/* The phone whose stream produced e, bound to the XID the line names. */
static uint32_t self_phone(struct plog_model *m, const struct plog_event *e,
                           const struct plog_reader *r)
{
    if (plog_grow(&m->streams, &m->cap_streams, e->stream, sizeof *m->streams) != 0) {
        m->oom = 1;
        return PLOG_NONE;
    }
    struct plog_stream_use *su = &m->streams[e->stream];
    uint32_t cur = su->phone ? su->phone - 1 : PLOG_NONE;
    if (!(kind_flags(m, e->ev.kind) & PFS_DLF_SELF)) {
        if (cur == PLOG_NONE) {
            cur = new_phone(m);
            if (cur == PLOG_NONE)
                return cur;
            su->phone = cur + 1;
        }
    } else if (cur == PLOG_NONE || !m->phones[cur].has_xid || m->phones[cur].xid != e->ev.xid) {
        uint32_t x = phone_by_xid(m, e->ev.xid);
        if (x == PLOG_NONE)
            return x;
        if (cur != PLOG_NONE && !m->phones[cur].has_xid)
            fold_phone(m, cur, x);
        cur = x;
        su->phone = cur + 1;
        stream_names(su, e->ev.xid, e->ref);
    }
    struct plog_phone *p = &m->phones[cur];
    if (p->source != PH_LOG) {
        p->source = PH_LOG;
        p->src = e->ref.src;
        if (r && e->stream < r->nstreams)
            copy_word(p->host, sizeof p->host, r->streams[e->stream].host);
    }
    return cur;
}

/* A sender that is no phone, as phone ph logged it. */
static void rogue(struct plog_model *m, uint32_t ph, const struct plog_event *e, uint64_t count)
{
    const struct pfs_dlog_ev *ev = &e->ev;
    for (size_t i = 0; i < m->nrogues; i++)
        if (m->rogues[i].ip == ev->pip) {
            m->rogues[i].count += count;
            return;
        }
    if (plog_grow(&m->rogues, &m->cap_rogues, m->nrogues, sizeof *m->rogues) != 0) {
        m->oom = 1;
        return;
    }
    struct plog_rogue *g = &m->rogues[m->nrogues++];
    g->ip = ev->pip;
    g->count = count;
    g->seen_by = ph;
    g->ref = e->ref;
    copy_word(g->reason, sizeof g->reason, ev->reason);
}

/* ---- hierarchies and nodes ---- */

static uint64_t name_key(const char *model, const char *file)
{
    return plog_hash(model, strlen(model)) * 1099511628211ULL ^ plog_hash(file, strlen(file));
}

static uint32_t new_hier(struct plog_model *m, const char *model, const char *file)
{
    if (plog_grow(&m->hiers, &m->cap_hiers, m->nhiers, sizeof *m->hiers) != 0) {
        m->oom = 1;
        return PLOG_NONE;
    }
    struct plog_hier *h = &m->hiers[m->nhiers];
    memset(h, 0, sizeof *h);
    copy_word(h->model, sizeof h->model, model);
    copy_word(h->file, sizeof h->file, file);
    h->round = 1;
    h->t_round = -1;
    uint32_t i = (uint32_t)m->nhiers++;
    if (file[0] && plog_map_put(&m->by_name, name_key(model, file), i) != 0)
        m->oom = 1;
    if (file[0] && plog_map_get(&m->by_file, plog_hash(file, strlen(file))) == PLOG_NONE &&
        plog_map_put(&m->by_file, plog_hash(file, strlen(file)), i) != 0)
        m->oom = 1;
    return i;
}

/* The hierarchy for (model, file); an unknown model matches any. */
static uint32_t hier_by_name(struct plog_model *m, const char *model, const char *path)
{
    const char *file = base_name(path);
    if (!file[0])
        return PLOG_NONE;
    uint32_t i = plog_map_get(&m->by_name, name_key(model, file));
    if (i != PLOG_NONE)
        return i;
    uint32_t f = plog_map_get(&m->by_file, plog_hash(file, strlen(file)));
    if (f != PLOG_NONE && (!model[0] || !m->hiers[f].model[0])) {
        if (model[0] && !m->hiers[f].model[0]) {
            copy_word(m->hiers[f].model, sizeof m->hiers[f].model, model);
            if (plog_map_put(&m->by_name, name_key(model, file), f) != 0)
                m->oom = 1;
        }
        return f;
    }
    return new_hier(m, model, file);
}

static void set_h(struct plog_model *m, uint32_t hi, uint32_t h)
{
    if (hi == PLOG_NONE || m->hiers[hi].has_h)
        return;
    m->hiers[hi].h = h;
    m->hiers[hi].has_h = 1;
    if (plog_map_get(&m->by_h, h) == PLOG_NONE && plog_map_put(&m->by_h, h, hi) != 0)
        m->oom = 1;
}

/*
 * by_h and by_node give an H and a (hierarchy, phone) their index once
 * and never change it, so a phone keeps the last of each it was asked
 * for: at a site of thousands of phones every map slot is a cache miss,
 * while the phone's record is already loaded and its next lines are
 * mostly about the same hierarchy.
 */
static uint32_t h_index(struct plog_model *m, uint32_t ph, uint32_t h)
{
    struct plog_phone *p = &m->phones[ph];
    if (p->last_h_hier != PLOG_NONE && p->last_h == h)
        return p->last_h_hier;
    uint32_t i = plog_map_get(&m->by_h, h);
    if (i != PLOG_NONE) {
        p->last_h = h;
        p->last_h_hier = i;
    }
    return i;
}

static uint32_t node_index(struct plog_model *m, uint32_t hi, uint32_t ph)
{
    struct plog_phone *p = &m->phones[ph];
    if (p->last_node != PLOG_NONE && p->last_node_hier == hi)
        return p->last_node;
    uint32_t i = plog_map_get(&m->by_node, ((uint64_t)hi << 32) | ph);
    if (i != PLOG_NONE) {
        p->last_node_hier = hi;
        p->last_node = i;
    }
    return i;
}

/* The hierarchy called H (asked for phone ph); created nameless when no line named it yet. */
static uint32_t hier_by_h(struct plog_model *m, uint32_t ph, uint32_t h, const char *model)
{
    uint32_t i = h_index(m, ph, h);
    if (i != PLOG_NONE)
        return i;
    i = new_hier(m, model, "");
    set_h(m, i, h);
    return i;
}

/* Names a hierarchy line: H with model and file. */
static uint32_t hier_named(struct plog_model *m, uint32_t ph, uint32_t h, const char *model,
                           const char *path)
{
    uint32_t i = h_index(m, ph, h);
    if (i != PLOG_NONE && !m->hiers[i].file[0]) {
        /* known by H only so far: it gets its name now */
        struct plog_hier *hi = &m->hiers[i];
        copy_word(hi->file, sizeof hi->file, base_name(path));
        if (model[0])
            copy_word(hi->model, sizeof hi->model, model);
        if (plog_map_get(&m->by_name, name_key(hi->model, hi->file)) == PLOG_NONE &&
            plog_map_put(&m->by_name, name_key(hi->model, hi->file), i) != 0)
            m->oom = 1;
        return i;
    }
    if (i != PLOG_NONE)
        return i;
    i = hier_by_name(m, model, path);
    /* The same name under another id is another hierarchy (say, a real
     * phone's next to pfsd's, whose H differ): not one to merge with. */
    if (i != PLOG_NONE && m->hiers[i].has_h && m->hiers[i].h != h)
        i = new_hier(m, model, base_name(path));
    set_h(m, i, h);
    return i;
}

/* Starts node ni afresh for the current round of its hierarchy. */
static int node_reset(struct plog_model *m, uint32_t ni, int64_t t)
{
    struct plog_node *n = &m->nodes[ni];
    struct plog_hier *h = &m->hiers[n->hier];
    if (plog_grow(&h->nodes, &h->cap_nodes, h->nnodes, sizeof *h->nodes) != 0) {
        m->oom = 1;
        return -1;
    }
    uint32_t ph = n->phone, hi = n->hier;
    memset(n, 0, sizeof *n);
    n->phone = ph;
    n->hier = hi;
    n->round = h->round;
    n->parent = PLOG_NONE;
    n->yielded_to = PLOG_NONE;
    n->heard_root = PLOG_NONE;
    n->t_first = n->t_last = t;
    h->nodes[h->nnodes++] = ni;
    if (h->t_round < 0 || t < h->t_round)
        h->t_round = t;
    return 0;
}

static uint64_t phone_file_key(uint32_t ph, const char *file)
{
    return plog_hash(file, strlen(file)) * 1099511628211ULL + ph;
}

/* The node of phone ph in hierarchy hi, current round; created as needed. */
static uint32_t node_get(struct plog_model *m, uint32_t hi, uint32_t ph, int64_t t)
{
    if (hi == PLOG_NONE || ph == PLOG_NONE)
        return PLOG_NONE;
    uint64_t key = ((uint64_t)hi << 32) | ph;
    uint32_t i = node_index(m, hi, ph);
    if (i != PLOG_NONE) {
        if (m->nodes[i].round != m->hiers[hi].round && node_reset(m, i, t) != 0)
            return PLOG_NONE;
        return i;
    }
    if (plog_grow(&m->nodes, &m->cap_nodes, m->nnodes, sizeof *m->nodes) != 0) {
        m->oom = 1;
        return PLOG_NONE;
    }
    i = (uint32_t)m->nnodes++;
    m->nodes[i].phone = ph;
    m->nodes[i].hier = hi;
    if (node_reset(m, i, t) != 0 || plog_map_put(&m->by_node, key, i) != 0) {
        m->oom = 1;
        return PLOG_NONE;
    }
    m->phones[ph].last_node_hier = hi;
    m->phones[ph].last_node = i;
    const char *file = m->hiers[hi].file;
    uint64_t pf = phone_file_key(ph, file);
    if (file[0] && plog_map_get(&m->by_phone_file, pf) == PLOG_NONE &&
        plog_map_put(&m->by_phone_file, pf, hi) != 0)
        m->oom = 1;
    return i;
}

/* The node of ph in hi when it takes part in the current round, else NULL. */
static struct plog_node *node_find(struct plog_model *m, uint32_t hi, uint32_t ph)
{
    uint32_t i = node_index(m, hi, ph);
    if (i == PLOG_NONE || m->nodes[i].round != m->hiers[hi].round)
        return NULL;
    return &m->nodes[i];
}

/* The child's own log says who its parent is now (PLOG_NONE: none). */
static void own_parent(struct plog_model *m, uint32_t hi, uint32_t child, uint32_t parent,
                       struct plog_ref ref, int64_t t)
{
    if (parent == child)
        return;
    if (parent != PLOG_NONE && node_get(m, hi, parent, t) == PLOG_NONE)
        return;
    uint32_t cn = node_get(m, hi, child, t);
    if (cn == PLOG_NONE)
        return;
    struct plog_node *n = &m->nodes[cn];
    n->parent = parent;
    n->parent_auth = 1;
    n->parent_ref = ref;
}

/* A parent's line names a child: believed unless the child's own log spoke. */
static void peer_child(struct plog_model *m, uint32_t hi, uint32_t parent, uint32_t child,
                       struct plog_ref ref, int64_t t)
{
    if (parent == child)
        return;
    uint32_t pn = node_get(m, hi, parent, t), cn = node_get(m, hi, child, t);
    if (pn == PLOG_NONE || cn == PLOG_NONE)
        return;
    struct plog_node *n = &m->nodes[cn];
    if (!n->parent_auth) {
        n->parent = parent;
        n->parent_ref = ref;
    }
}

/* A parent's line says the child is gone (lost, or refused the file). */
static void peer_child_gone(struct plog_model *m, uint32_t hi, uint32_t parent, uint32_t child)
{
    struct plog_node *n = node_find(m, hi, child);
    if (n && !n->parent_auth && n->parent == parent)
        n->parent = PLOG_NONE;
}

/*
 * A hierarchy whose root's own log is missing: the root is the phone whose
 * confirmed claim its members heard (the first one heard), as a peer saw it.
 */
static void heard_roots(struct plog_model *m, uint32_t hi)
{
    struct plog_hier *h = &m->hiers[hi];
    uint32_t root = PLOG_NONE;
    struct plog_ref ref = {PLOG_NONE, 0};
    int64_t t = 0;
    /* finished again (--listen redraws): what was heard before is heard anew */
    for (size_t i = 0; i < h->nnodes; i++) {
        struct plog_node *n = &m->nodes[h->nodes[i]];
        if (n->root_heard)
            n->is_root = n->root_heard = 0;
    }
    for (size_t i = 0; i < h->nnodes; i++) {
        const struct plog_node *n = &m->nodes[h->nodes[i]];
        if (n->is_root || n->root_yielded)
            return;
        if (root == PLOG_NONE && n->heard_root != PLOG_NONE) {
            root = n->heard_root;
            ref = n->heard_ref;
            t = n->t_first;
        }
    }
    if (root == PLOG_NONE)
        return;
    uint32_t ni = node_get(m, hi, root, t);
    if (ni == PLOG_NONE || m->phones[root].source == PH_LOG)
        return; /* its own log would have said so */
    struct plog_node *n = &m->nodes[ni];
    n->is_root = 1;
    n->root_heard = 1;
    n->root_ref = ref;
}

/* Closes the current upgrade of hierarchy hi: its diagnostics, then a fresh round. */
static void new_round(struct plog_model *m, uint32_t hi, int64_t t)
{
    size_t from = m->ndiags;
    heard_roots(m, hi);
    plog_derive_children(m, hi);
    plog_check_hier(m, hi);
    for (size_t i = from; i < m->ndiags; i++)
        m->diags[i].closed = 1;
    struct plog_hier *h = &m->hiers[hi];
    h->round++;
    h->t_round = t;
    h->nnodes = 0;
    h->nevents = 0;
    h->dropped_events = 0;
    h->ads = h->timeouts = 0;
}

static int finished(const struct plog_node *n)
{
    return n->has_file || n->left || n->root_tftp;
}

/*
 * Phone ph enters hierarchy hi (a @@@HIER line, or its claim is tied to
 * hi). A later entry by a phone that was done is the next upgrade; the
 * same upgrade read twice (a console log and a Log Server file) is not,
 * as its lines interleave with the first copy's.
 */
static void enter(struct plog_model *m, uint32_t hi, uint32_t ph, int64_t t)
{
    const struct plog_node *n = node_find(m, hi, ph);
    if (n && n->entered && finished(n) && t > n->t_last)
        new_round(m, hi, t);
}

/* Keeps an event of hierarchy h's upgrade: the first PLOG_EVENTS_CAP, the rest counted. */
static void keep_event(struct plog_model *m, struct plog_hier *h, const struct plog_evrec *rec)
{
    if (h->nevents >= PLOG_EVENTS_CAP ||
        plog_grow(&h->events, &h->cap_events, h->nevents, sizeof *h->events) != 0) {
        h->dropped_events++;
        m->oom |= h->nevents < PLOG_EVENTS_CAP;
        return;
    }
    h->events[h->nevents++] = *rec;
}

/* ---- the pending election ---- */

static void merge_ref(struct plog_ref *dst, const struct plog_ref *src)
{
    if (!dst->line && src->line)
        *dst = *src;
}

/* Moves what a phone did before a line named the hierarchy into node ni. */
static void bind_pending(struct plog_model *m, uint32_t ph, uint32_t ni)
{
    struct plog_phone *p = &m->phones[ph];
    if (!p->has_pending || ni == PLOG_NONE)
        return;
    struct plog_node *d = &m->nodes[ni], *s = &m->pending[ph];
    struct plog_elect *de = &d->el, *se = &s->el;
    if (se->claimed && (!de->claimed || se->t_claim < de->t_claim)) {
        de->t_claim = se->t_claim;
        de->claim_ref = se->claim_ref;
        de->strength = se->strength;
    }
    de->claimed |= se->claimed;
    de->confirmed |= se->confirmed;
    de->yielded |= se->yielded;
    de->ads += se->ads;
    de->timeouts += se->timeouts;
    if (se->confirmed && !de->t_conf)
        de->t_conf = se->t_conf;
    if (s->root_tftp) {
        d->root_tftp = 1;
        merge_ref(&d->root_tftp_ref, &s->root_tftp_ref);
        if (d->source == SRC_NONE)
            d->source = SRC_TFTP;
    }
    d->refused += s->refused;
    merge_ref(&d->refused_ref, &s->refused_ref);
    if (s->refused_reason[0] && !d->refused_reason[0])
        copy_word(d->refused_reason, sizeof d->refused_reason, s->refused_reason);
    d->tries += s->tries;
    if (s->heard_root != PLOG_NONE && d->heard_root == PLOG_NONE) {
        d->heard_root = s->heard_root;
        d->heard_ref = s->heard_ref;
    }
    if (s->has_state) {
        d->has_state = 1;
        d->state_parent = s->state_parent;
        d->state_fd0 = s->state_fd0;
        d->state_fd1 = s->state_fd1;
        d->state_full = s->state_full;
    }
    if (s->t_first && s->t_first < d->t_first)
        d->t_first = s->t_first;
    if (d->t_first < m->hiers[d->hier].t_round)
        m->hiers[d->hier].t_round = d->t_first;
    if (s->t_last > d->t_last)
        d->t_last = s->t_last;
    struct plog_hier *h = &m->hiers[d->hier];
    h->ads += se->ads;
    h->timeouts += se->timeouts;
    for (uint32_t i = 0; i < p->npend_ev; i++)
        keep_event(m, h, &p->pend_ev[i]);
    p->npend_ev = 0;
    p->has_pending = 0;
}

/* The node the phone's latest lines named, unless its upgrade is closed. */
static const struct plog_node *current_node(const struct plog_model *m, const struct plog_phone *p)
{
    if (p->cur_node == PLOG_NONE)
        return NULL;
    const struct plog_node *n = &m->nodes[p->cur_node];
    return n->round == m->hiers[n->hier].round ? n : NULL;
}

static int settled(const struct plog_node *n)
{
    return n->is_root || n->joined || n->has_file || n->fallback || n->source != SRC_NONE ||
           n->el.yielded || n->el.confirmed;
}

/*
 * Where a line that names no hierarchy goes: the election in progress
 * (pending), else the node the phone's latest lines named. A tentative
 * claim after the current node settled starts a new election.
 */
static struct plog_node *xid_target(struct plog_model *m, uint32_t ph, const struct plog_event *e)
{
    struct plog_phone *p = &m->phones[ph];
    int new_claim = e->ev.kind == PFS_DL_CLAIM && pfs_dlog_word(e->ev.state) == PFS_W_TENT;
    if (!p->has_pending) {
        const struct plog_node *cur = current_node(m, p);
        if (cur && !(new_claim && settled(cur)))
            return &m->nodes[p->cur_node];
        struct plog_node *s = &m->pending[ph];
        memset(s, 0, sizeof *s);
        s->phone = ph;
        s->hier = PLOG_NONE;
        s->parent = PLOG_NONE;
        s->heard_root = PLOG_NONE;
        s->t_first = e->t;
        p->has_pending = 1;
        p->npend_ev = 0;
    }
    return &m->pending[ph];
}

/* ---- events ---- */

/*
 * What one event is applied to: the phone whose log it is, the hierarchy
 * its line is about (PLOG_NONE when it names none) and the node it
 * changes: the phone's node there, or its election not yet tied to a
 * hierarchy (pending). Phone lines have no node.
 */
struct step {
    const struct plog_event *e;
    uint32_t ph, hi;
    struct plog_node *n;
    int pending;
};

typedef void (*kind_fn)(struct plog_model *m, const struct step *s);

static void record_event(struct plog_model *m, uint32_t hi, uint32_t ph, const struct plog_event *e)
{
    if (kind_flags(m, e->ev.kind) & PFS_DLF_REPEAT)
        return;
    uint32_t peer = e->ev.peer ? plog_map_get(&m->by_xid, e->ev.peer) : PLOG_NONE;
    struct plog_evrec rec = {e->t, ph, peer, e->ref, (uint8_t)e->ev.kind};
    if (hi == PLOG_NONE) {
        struct plog_phone *p = &m->phones[ph];
        if (p->has_pending && p->npend_ev < PLOG_PEND_EV)
            p->pend_ev[p->npend_ev++] = rec;
        return;
    }
    keep_event(m, &m->hiers[hi], &rec);
}

static void confirm(struct plog_elect *el, int64_t t)
{
    if (!el->confirmed) {
        el->confirmed = 1;
        el->t_conf = t;
    }
}

/* ---- the election: lines that name no hierarchy ---- */

static void on_claim(struct plog_model *m, const struct step *s)
{
    (void)m;
    struct plog_node *n = s->n;
    if (!n->el.claimed) {
        n->el.claimed = 1;
        n->el.t_claim = s->e->t;
        n->el.claim_ref = s->e->ref;
        n->el.strength = s->e->ev.strength;
    }
    if (pfs_dlog_word(s->e->ev.state) == PFS_W_CONF)
        confirm(&n->el, s->e->t);
}

static void on_ad(struct plog_model *m, const struct step *s)
{
    s->n->el.ads++;
    if (!s->pending)
        m->hiers[s->n->hier].ads++;
}

static void on_timeout(struct plog_model *m, const struct step *s)
{
    s->n->el.timeouts++;
    if (!s->pending)
        m->hiers[s->n->hier].timeouts++;
}

static void on_confirmed(struct plog_model *m, const struct step *s)
{
    (void)m;
    confirm(&s->n->el, s->e->t);
}

static void on_root_tftp(struct plog_model *m, const struct step *s)
{
    (void)m;
    struct plog_node *n = s->n;
    n->root_tftp = 1;
    n->root_tftp_ref = s->e->ref;
    n->tftp_fetch = 1;
    if (n->source == SRC_NONE)
        n->source = SRC_TFTP;
}

/* A confirmed claim heard names the root: the one root a lone phone's log shows. */
static void on_rx_claim(struct plog_model *m, const struct step *s)
{
    uint32_t peer = mention(m, s->e->ev.peer, s->e->ev.pip);
    if (pfs_dlog_word(s->e->ev.state) == PFS_W_CONF && s->n->heard_root == PLOG_NONE &&
        peer != s->ph) {
        s->n->heard_root = peer;
        s->n->heard_ref = s->e->ref;
    }
}

static void on_yield(struct plog_model *m, const struct step *s)
{
    struct plog_node *n = s->n; /* a node or the pending one: mention does not move it */
    uint32_t to = mention(m, s->e->ev.peer, s->e->ev.pip);
    n->el.yielded = 1;
    if (n->is_root) {
        /* a confirmed root heard a stronger one: two roots, healed */
        n->is_root = 0;
        n->root_yielded = 1;
        n->yield_ref = s->e->ref;
        n->yielded_to = to;
    }
}

static void on_parent(struct plog_model *m, const struct step *s)
{
    s->n->tries++;
    mention(m, s->e->ev.peer, s->e->ev.pip);
}

static void on_refused(struct plog_model *m, const struct step *s)
{
    struct plog_node *n = s->n;
    if (!n->refused++)
        n->refused_ref = s->e->ref;
    copy_word(n->refused_reason, sizeof n->refused_reason, s->e->ev.reason);
    mention(m, s->e->ev.peer, s->e->ev.pip);
}

/* ---- the phone itself ---- */

static void on_start(struct plog_model *m, const struct step *s)
{
    struct plog_phone *p = &m->phones[s->ph];
    const struct pfs_dlog_ev *ev = &s->e->ev;
    if (ev->model[0])
        copy_word(p->model, sizeof p->model, ev->model);
    p->ip = ev->ip;
    copy_word(p->load, sizeof p->load, ev->file);
}

static void on_listen(struct plog_model *m, const struct step *s)
{
    m->phones[s->ph].listens++;
}

static void on_trace(struct plog_model *m, const struct step *s)
{
    m->phones[s->ph].traces++;
}

static void on_drop(struct plog_model *m, const struct step *s)
{
    uint64_t n = (uint64_t)(s->e->ev.n > 0 ? s->e->ev.n : 0);
    m->phones[s->ph].drops += n;
    rogue(m, s->ph, s->e, n);
}

/* ---- the tree: roots, joins, children, who sends to whom ---- */

/* own_parent and peer_child may add nodes and move s->n: they come last. */

static void on_hroot(struct plog_model *m, const struct step *s)
{
    struct plog_node *n = s->n;
    if (n->root_heard) { /* its own word now: the root it was heard to be */
        n->root_heard = 0;
        n->root_ref = s->e->ref;
    }
    n->is_root = 1;
    n->el.confirmed = 1;
    if (!n->root_ref.line)
        n->root_ref = s->e->ref;
    if (s->e->ev.ip)
        m->phones[s->ph].ip = s->e->ev.ip;
}

static void on_joined(struct plog_model *m, const struct step *s)
{
    const struct plog_event *e = s->e;
    s->n->joined = 1;
    own_parent(m, s->hi, s->ph, mention(m, e->ev.peer, e->ev.pip), e->ref, e->t);
}

/* A parent's line names its child: attached, or sent the file. */
static void on_child(struct plog_model *m, const struct step *s)
{
    const struct plog_event *e = s->e;
    peer_child(m, s->hi, s->ph, mention(m, e->ev.peer, e->ev.pip), e->ref, e->t);
}

static void on_child_refused(struct plog_model *m, const struct step *s)
{
    mention(m, s->e->ev.peer, s->e->ev.pip);
}

static void child_failed(struct plog_node *n, const struct plog_event *e)
{
    if (!n->child_lost++)
        n->lost_ref = e->ref;
    copy_word(n->lost_reason, sizeof n->lost_reason, e->ev.reason);
}

static void on_child_lost(struct plog_model *m, const struct step *s)
{
    child_failed(s->n, s->e);
    peer_child_gone(m, s->hi, s->ph, mention(m, s->e->ev.peer, s->e->ev.pip));
}

/* A parent sent a child the file: its verdict says whether the child took it. */
static void on_tx_done(struct plog_model *m, const struct step *s)
{
    if (pfs_dlog_word(s->e->ev.reason) == PFS_W_OK)
        on_child(m, s);
    else
        on_child_lost(m, s);
}

static void on_parent_lost(struct plog_model *m, const struct step *s)
{
    const struct plog_event *e = s->e;
    struct plog_node *n = s->n;
    if (!n->parent_lost++)
        n->lost_ref = e->ref;
    copy_word(n->lost_reason, sizeof n->lost_reason, e->ev.reason);
    n->in_xfr = 0;
    mention(m, e->ev.peer, e->ev.pip);
    own_parent(m, s->hi, s->ph, PLOG_NONE, e->ref, e->t);
}

static void on_xfr_rx(struct plog_model *m, const struct step *s)
{
    const struct plog_event *e = s->e;
    struct plog_node *n = s->n;
    n->in_xfr = 1;
    n->t_xfr = e->t;
    n->xfr_ref = e->ref;
    n->total = e->ev.total;
    n->bytes = 0;
    /* src is where the parent got the file; peer is the parent */
    own_parent(m, s->hi, s->ph, mention(m, e->ev.peer, e->ev.pip), e->ref, e->t);
}

static void set_done(struct plog_node *n, const struct plog_event *e, enum plog_source src)
{
    const struct pfs_dlog_ev *ev = &e->ev;
    n->in_xfr = 0;
    n->source = src;
    if (ev->bytes)
        n->bytes = ev->bytes;
    if (ev->secs > 0)
        n->secs = ev->secs;
    if (ev->rate > 0)
        n->rate = ev->rate;
    n->t_done = e->t;
    n->done_ref = e->ref;
}

static void on_rx_done(struct plog_model *m, const struct step *s)
{
    const struct plog_event *e = s->e;
    set_done(s->n, e, SRC_PEER);
    own_parent(m, s->hi, s->ph, mention(m, e->ev.peer, e->ev.pip), e->ref, e->t);
}

static void on_fallback(struct plog_model *m, const struct step *s)
{
    const struct plog_event *e = s->e;
    struct plog_node *n = s->n;
    n->fallback = 1;
    n->fallback_ref = e->ref;
    copy_word(n->reason, sizeof n->reason, e->ev.reason);
    own_parent(m, s->hi, s->ph, PLOG_NONE, e->ref, e->t);
}

/* ---- the file itself: fetching it, checking it, holding it ---- */

static void on_progress(struct plog_model *m, const struct step *s)
{
    (void)m;
    struct plog_node *n = s->n;
    n->progress++;
    n->bytes = s->e->ev.bytes;
    if (s->e->ev.total)
        n->total = s->e->ev.total;
}

static void on_tftp_rrq(struct plog_model *m, const struct step *s)
{
    (void)m;
    struct plog_node *n = s->n;
    n->tftp_fetch = 1;
    n->in_xfr = 1;
    n->t_xfr = s->e->t;
    n->xfr_ref = n->tftp_ref = s->e->ref;
    n->bytes = 0;
}

static void on_tftp_done(struct plog_model *m, const struct step *s)
{
    (void)m;
    s->n->tftp_fetch = 1;
    set_done(s->n, s->e, SRC_TFTP);
}

static void on_tftp_fail(struct plog_model *m, const struct step *s)
{
    (void)m;
    struct plog_node *n = s->n;
    n->in_xfr = 0;
    if (!n->tftp_fail++)
        n->tftp_fail_ref = s->e->ref;
    n->got_after_fail = 0;
    copy_word(n->fail_reason, sizeof n->fail_reason, s->e->ev.reason);
}

static void on_hash_ok(struct plog_model *m, const struct step *s)
{
    (void)m;
    struct plog_node *n = s->n;
    n->has_file = 1;
    if (n->tftp_fail || n->hash_bad)
        n->got_after_fail = 1;
}

static void on_hash_bad(struct plog_model *m, const struct step *s)
{
    (void)m;
    struct plog_node *n = s->n;
    n->has_file = 0;
    n->in_xfr = 0;
    if (!n->hash_bad++)
        n->hash_ref = s->e->ref;
    n->got_after_fail = 0;
}

static void on_file_done(struct plog_model *m, const struct step *s)
{
    (void)m;
    s->n->has_file = 1;
    s->n->got_after_fail = 1;
    set_done(s->n, s->e, pfs_dlog_word(s->e->ev.src) == PFS_W_TFTP ? SRC_TFTP : SRC_PEER);
}

static void on_leave(struct plog_model *m, const struct step *s)
{
    (void)m;
    s->n->left = 1;
}

static void on_node_state(struct plog_model *m, const struct step *s)
{
    (void)m;
    const struct pfs_dlog_ev *ev = &s->e->ev;
    struct plog_node *n = s->n;
    n->has_state = 1;
    n->state_parent = ev->parent;
    n->state_fd0 = ev->fd0;
    n->state_fd1 = ev->fd1;
    n->state_full = ev->full;
}

static void apply_nearby(struct plog_model *m, struct step *s, kind_fn fn);

/* A state dump before any hierarchy is the phone's; later, its node's. */
static void on_state(struct plog_model *m, const struct step *s)
{
    struct plog_phone *p = &m->phones[s->ph];
    const struct pfs_dlog_ev *ev = &s->e->ev;
    if (p->cur_node != PLOG_NONE || p->has_pending) {
        struct step near = *s;
        apply_nearby(m, &near, on_node_state);
        return;
    }
    p->has_state = 1;
    p->state_parent = ev->parent;
    p->state_fd0 = ev->fd0;
    p->state_fd1 = ev->fd1;
    p->state_full = ev->full;
}

/*
 * What each kind does, by kind. Which hierarchy and node a line is about
 * comes first, from the kind's row of the grammar (its scope); a kind
 * without a handler here still places its phone and its evidence. Kinds
 * are below PFS_DL_KIND_COUNT: the reader makes no other.
 */
static const kind_fn handlers[PFS_DL_KIND_COUNT] = {
    [PFS_DL_LISTEN] = on_listen,       [PFS_DL_TRACE] = on_trace,
    [PFS_DL_STATE] = on_state,         [PFS_DL_CLAIM] = on_claim,
    [PFS_DL_TIMEOUT] = on_timeout,     [PFS_DL_AD] = on_ad,
    [PFS_DL_CONFIRMED] = on_confirmed, [PFS_DL_HROOT] = on_hroot,
    [PFS_DL_ROOT_TFTP] = on_root_tftp, [PFS_DL_START] = on_start,
    [PFS_DL_RX_CLAIM] = on_rx_claim,   [PFS_DL_YIELD] = on_yield,
    [PFS_DL_PARENT] = on_parent,       [PFS_DL_JOINED] = on_joined,
    [PFS_DL_REFUSED] = on_refused,     [PFS_DL_CHILD_ADD] = on_child,
    [PFS_DL_CHILD_NO] = on_child_refused, [PFS_DL_CHILD_LOST] = on_child_lost,
    [PFS_DL_PARENT_LOST] = on_parent_lost, [PFS_DL_XFR_TX] = on_child,
    [PFS_DL_XFR_RX] = on_xfr_rx,       [PFS_DL_PROGRESS] = on_progress,
    [PFS_DL_RX_DONE] = on_rx_done,     [PFS_DL_TX_DONE] = on_tx_done,
    [PFS_DL_TFTP_RRQ] = on_tftp_rrq,   [PFS_DL_TFTP_DONE] = on_tftp_done,
    [PFS_DL_TFTP_FAIL] = on_tftp_fail, [PFS_DL_HASH_OK] = on_hash_ok,
    [PFS_DL_HASH_BAD] = on_hash_bad,   [PFS_DL_FALLBACK] = on_fallback,
    [PFS_DL_FILE_DONE] = on_file_done,
    [PFS_DL_LEAVE] = on_leave,         [PFS_DL_DROP] = on_drop,
};

/* A line that names no hierarchy: the phone's election, or its latest node. */
static void apply_nearby(struct plog_model *m, struct step *s, kind_fn fn)
{
    const struct plog_event *e = s->e;
    s->n = xid_target(m, s->ph, e);
    s->pending = s->n == &m->pending[s->ph];
    s->hi = s->pending ? PLOG_NONE : s->n->hier;
    if (e->t > s->n->t_last)
        s->n->t_last = e->t;
    s->n->last_ref = e->ref;
    if (fn)
        fn(m, s);
    record_event(m, s->hi, s->ph, e);
}

/* The hierarchy a line names, as its kind's scope says: by H, by file, or both. */
static uint32_t event_hier(struct plog_model *m, uint32_t ph, const struct plog_event *e)
{
    const struct pfs_dlog_ev *ev = &e->ev;
    struct plog_phone *p = &m->phones[ph];
    switch (kind_scope(m, ev->kind)) {
    case PFS_SC_NAMED:
        if (ev->model[0])
            copy_word(p->model, sizeof p->model, ev->model);
        return hier_named(m, ph, ev->h, p->model, ev->file);
    case PFS_SC_BY_H_FILE: {
        uint32_t i = h_index(m, ph, ev->h);
        return i != PLOG_NONE ? i : hier_named(m, ph, ev->h, p->model, ev->file);
    }
    case PFS_SC_BY_H: return hier_by_h(m, ph, ev->h, p->model);
    case PFS_SC_BY_FILE: {
        /* the file of the hierarchy the phone is in, most often; else the one
         * of that file it has a node in (several subnets share file names) */
        const struct plog_node *cur = current_node(m, p);
        const char *file = base_name(ev->file);
        if (cur && strcmp(m->hiers[cur->hier].file, file) == 0)
            return cur->hier;
        uint32_t hi = plog_map_get(&m->by_phone_file, phone_file_key(ph, file));
        if (hi != PLOG_NONE && strcmp(m->hiers[hi].file, file) == 0)
            return hi;
        return hier_by_name(m, p->model, ev->file);
    }
    case PFS_SC_PHONE:
    case PFS_SC_NEARBY: break;
    }
    return PLOG_NONE;
}

/* A line about hierarchy s->hi: the phone enters it, or its node changes. */
static void apply_hier(struct plog_model *m, struct step *s)
{
    const struct plog_event *e = s->e;
    unsigned flags = kind_flags(m, e->ev.kind);
    int binds = (flags & PFS_DLF_BINDS) != 0;
    int claim_tied = binds && m->phones[s->ph].has_pending && m->pending[s->ph].el.claimed;
    int enters = (flags & PFS_DLF_ENTERS) || claim_tied;
    if (enters)
        enter(m, s->hi, s->ph, e->t);
    uint32_t ni = node_get(m, s->hi, s->ph, e->t);
    if (ni == PLOG_NONE)
        return;
    if (binds) {
        bind_pending(m, s->ph, ni);
        m->phones[s->ph].cur_node = ni;
    }
    struct plog_node *n = s->n = &m->nodes[ni];
    if (enters)
        n->entered = 1;
    if (e->t > n->t_last)
        n->t_last = e->t;
    if (e->t < n->t_first)
        n->t_first = e->t;
    n->last_ref = e->ref;
    kind_fn fn = handlers[e->ev.kind];
    if (fn)
        fn(m, s);
    record_event(m, s->hi, s->ph, e);
}

void plog_model_apply(struct plog_model *m, const struct plog_event *e,
                      const struct plog_reader *r)
{
    struct step s = {e, self_phone(m, e, r), PLOG_NONE, NULL, 0};
    m->last_phone = s.ph;
    m->last_hier = PLOG_NONE;
    if (s.ph == PLOG_NONE)
        return;
    switch (kind_scope(m, e->ev.kind)) {
    case PFS_SC_PHONE:
        if (handlers[e->ev.kind])
            handlers[e->ev.kind](m, &s);
        break;
    case PFS_SC_NEARBY: apply_nearby(m, &s, handlers[e->ev.kind]); break;
    default:
        /* A line about someone who never said who it is (no XID, no H):
         * a connection refused before any join. No phone, no hierarchy. */
        if (!e->ev.peer && !e->ev.h && kind_scope(m, e->ev.kind) == PFS_SC_BY_H) {
            rogue(m, s.ph, e, 1);
            break;
        }
        s.hi = event_hier(m, s.ph, e);
        if (s.hi != PLOG_NONE)
            apply_hier(m, &s);
        break;
    }
    const struct plog_phone *p = &m->phones[s.ph];
    uint32_t hi = s.hi;
    if (hi == PLOG_NONE && p->cur_node != PLOG_NONE && !p->has_pending)
        hi = m->nodes[p->cur_node].hier;
    m->last_phone = s.ph;
    m->last_hier = hi;
    if (m->live && !(kind_flags(m, e->ev.kind) & PFS_DLF_REPEAT))
        m->live(m->live_ctx, e, hi, s.ph);
}
