/*
 * diag.c - what went wrong, derived once all input is read.
 *
 * Each diagnostic has a severity, a stable code (docs/pfslog-json.md lists
 * them), a sentence for a person and the file:line of its evidence.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "model.h"

#include <stdio.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *plog_role_name(enum plog_role r)
{
    switch (r) {
    case ROLE_ROOT: return "root";
    case ROLE_PARENT: return "parent";
    case ROLE_LEAF: return "leaf";
    case ROLE_TFTP: return "fallback";
    case ROLE_CANDIDATE: return "candidate";
    case ROLE_SEEKING: return "seeking";
    case ROLE_ANCHOR: return "anchor";
    case ROLE_UNKNOWN: break;
    }
    return "unknown";
}

const char *plog_source_name(enum plog_source s)
{
    switch (s) {
    case SRC_TFTP: return "tftp";
    case SRC_PEER: return "peer";
    case SRC_NONE: break;
    }
    return "none";
}

int plog_node_anchor(const struct plog_model *m, const struct plog_node *n)
{
    if (n->is_root || n->fallback || n->joined || n->el.claimed || n->parent != PLOG_NONE ||
        !(n->source == SRC_TFTP || n->tftp_fetch) || n->phone >= m->nphones || n->hier >= m->nhiers)
        return 0;
    const char *load = m->phones[n->phone].load, *file = m->hiers[n->hier].file;
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    return load[0] && strcmp(base, load) == 0;
}

enum plog_role plog_node_role(const struct plog_model *m, const struct plog_node *n)
{
    if (n->is_root)
        return ROLE_ROOT;
    if (plog_node_anchor(m, n))
        return ROLE_ANCHOR;
    if (n->fallback || n->source == SRC_TFTP)
        return ROLE_TFTP;
    if (n->nchildren > 0)
        return ROLE_PARENT;
    if (n->parent != PLOG_NONE)
        return ROLE_LEAF;
    if (n->el.claimed && !n->el.confirmed && !n->el.yielded)
        return ROLE_CANDIDATE;
    if (n->el.yielded || n->joined)
        return ROLE_SEEKING;
    return ROLE_UNKNOWN;
}

static void diag(struct plog_model *m, enum plog_sev sev, const char *code, struct plog_ref ref,
                 uint32_t hier, uint32_t phone, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static void diag(struct plog_model *m, enum plog_sev sev, const char *code, struct plog_ref ref,
                 uint32_t hier, uint32_t phone, const char *fmt, ...)
{
    /* A year of daily upgrades with a warning each is still bounded. */
    if (m->ndiags >= PLOG_DIAGS_MAX) {
        m->diags_dropped++;
        return;
    }
    if (plog_grow(&m->diags, &m->cap_diags, m->ndiags, sizeof *m->diags) != 0) {
        m->oom = 1;
        return;
    }
    struct plog_diag *d = &m->diags[m->ndiags++];
    d->sev = sev;
    d->code = code;
    d->ref = ref;
    d->hier = hier;
    d->phone = phone;
    d->round = hier != PLOG_NONE ? m->hiers[hier].round : 0;
    d->closed = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
}

/* "XID080027F8" or "an unnamed phone" into buf. */
static const char *who(const struct plog_model *m, uint32_t ph, char *buf, size_t cap)
{
    if (ph == PLOG_NONE || !m->phones[ph].has_xid)
        snprintf(buf, cap, "a phone with no XID in its log");
    else
        snprintf(buf, cap, "XID%08X", (unsigned)m->phones[ph].xid);
    return buf;
}

static const char *hname(const struct plog_hier *h, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%s%s", h->model[0] ? h->model : "", h->model[0] ? " " : "",
             h->file[0] ? h->file : "(unnamed hierarchy)");
    return buf;
}

static uint32_t first_root(const struct plog_model *m, const struct plog_hier *h, size_t *count)
{
    uint32_t root = PLOG_NONE;
    *count = 0;
    for (size_t i = 0; i < h->nnodes; i++)
        if (m->nodes[h->nodes[i]].is_root) {
            if (root == PLOG_NONE)
                root = h->nodes[i];
            (*count)++;
        }
    return root;
}

/*
 * 1 when node ni entered its hierarchy after every phone that was in it
 * before had left: a late phone that found no tree, not a broken election.
 */
static int entered_alone(const struct plog_model *m, const struct plog_hier *h, uint32_t ni)
{
    const struct plog_node *n = &m->nodes[ni];
    for (size_t i = 0; i < h->nnodes; i++) {
        const struct plog_node *o = &m->nodes[h->nodes[i]];
        if (h->nodes[i] == ni || o->t_first > n->t_first)
            continue;
        if (!o->left || o->t_last > n->t_first)
            return 0;
    }
    return 1;
}

static void check_roots(struct plog_model *m, uint32_t hi)
{
    struct plog_hier *h = &m->hiers[hi];
    size_t count;
    uint32_t r0 = first_root(m, h, &count);
    if (count < 2)
        return;
    char a[32], b[32], hn[160];
    for (size_t i = 0; i < h->nnodes; i++) {
        const struct plog_node *n = &m->nodes[h->nodes[i]];
        if (!n->is_root || h->nodes[i] == r0)
            continue;
        if (entered_alone(m, h, h->nodes[i]))
            diag(m, PLOG_WARN, "late-root", n->root_ref, hi, n->phone,
                 "%s entered %s after every phone of the tree of %s had left; it became root "
                 "alone and fetched the file over TFTP again",
                 who(m, n->phone, b, sizeof b), hname(h, hn, sizeof hn),
                 who(m, m->nodes[r0].phone, a, sizeof a));
        else
            diag(m, PLOG_ERROR, "two-roots", n->root_ref, hi, n->phone,
                 "%zu roots were elected for %s: %s and %s; the election is broken on this "
                 "subnet", count, hname(h, hn, sizeof hn),
                 who(m, m->nodes[r0].phone, a, sizeof a), who(m, n->phone, b, sizeof b));
    }
}

/*
 * The names a node's diagnostics quote, formatted on first use: most nodes
 * have nothing to report, and a Log Server file closes thousands of them.
 */
struct names {
    const struct plog_model *m;
    uint32_t hi, phone;
    char who[32], hier[160];
};

static const char *nm_who(struct names *x)
{
    if (!x->who[0])
        who(x->m, x->phone, x->who, sizeof x->who);
    return x->who;
}

static const char *nm_hier(struct names *x)
{
    if (!x->hier[0])
        hname(&x->m->hiers[x->hi], x->hier, sizeof x->hier);
    return x->hier;
}

static void check_fetch(struct plog_model *m, struct names *nm, const struct plog_node *n,
                        uint32_t root)
{
    const struct plog_hier *h = &m->hiers[nm->hi];
    char b[32], why[96];
    if (n->is_root || !(n->fallback || n->source == SRC_TFTP || n->tftp_fetch) ||
        plog_node_anchor(m, n))
        return;
    if (n->reason[0])
        snprintf(why, sizeof why, "its log gives the reason: %s", n->reason);
    else
        snprintf(why, sizeof why, "its log gives no reason");
    struct plog_ref ref = n->fallback ? n->fallback_ref : n->tftp_ref.line ? n->tftp_ref : n->done_ref;
    if (root != PLOG_NONE || h->nnodes > 1)
        diag(m, PLOG_WARN, "tftp-fallback", ref, nm->hi, n->phone,
             "%s fetched %s from the TFTP server over the WAN although the hierarchy had %s%s; %s",
             nm_who(nm), nm_hier(nm), root != PLOG_NONE ? "root " : "other members",
             root != PLOG_NONE ? who(m, m->nodes[root].phone, b, sizeof b) : "", why);
    else
        diag(m, PLOG_INFO, "tftp-fallback", ref, nm->hi, n->phone,
             "%s fetched %s over TFTP with no peers; %s", nm_who(nm), nm_hier(nm), why);
}

/* A member whose log stops before the file came, with no failure to explain it. */
static void check_unfinished(struct plog_model *m, struct names *nm, const struct plog_node *n)
{
    int waiting = (n->el.yielded || n->joined) && !n->is_root && !n->has_file && !n->in_xfr &&
                  !n->fallback && n->source == SRC_NONE && !n->tftp_fail && !n->hash_bad;
    if (!waiting || m->phones[n->phone].source != PH_LOG)
        return;
    char b[32], what[96];
    if (n->parent != PLOG_NONE)
        snprintf(what, sizeof what, "a child of %s waiting for the file",
                 who(m, n->parent, b, sizeof b));
    else
        snprintf(what, sizeof what, "looking for a parent");
    diag(m, PLOG_WARN, "log-ends-early", n->last_ref, nm->hi, n->phone,
         "%s's log ends before it got %s: it was %s", nm_who(nm), nm_hier(nm), what);
}

static void check_transfer(struct plog_model *m, struct names *nm, const struct plog_node *n)
{
    uint32_t hi = nm->hi;
    if (n->tftp_fail)
        diag(m, n->got_after_fail ? PLOG_WARN : PLOG_ERROR,
             n->got_after_fail ? "transfer-retried" : "transfer-failed", n->tftp_fail_ref, hi,
             n->phone, "%s: TFTP fetch of %s failed %u time%s (%s)%s", nm_who(nm), nm_hier(nm),
             n->tftp_fail, n->tftp_fail == 1 ? "" : "s", n->fail_reason,
             n->got_after_fail ? ", then it got the file" : " and it never got the file");
    if (n->parent_lost)
        diag(m, PLOG_WARN, "transfer-stalled", n->lost_ref, hi, n->phone,
             "%s lost its parent during %s %u time%s (%s)%s", nm_who(nm), nm_hier(nm),
             n->parent_lost, n->parent_lost == 1 ? "" : "s", n->lost_reason,
             n->has_file ? " and retried until it got the file" : " and retried");
    if (n->child_lost)
        diag(m, PLOG_WARN, "child-lost", n->lost_ref, hi, n->phone,
             "%s lost %u child transfer%s of %s (%s)", nm_who(nm), n->child_lost,
             n->child_lost == 1 ? "" : "s", nm_hier(nm), n->lost_reason);
    if (n->hash_bad)
        diag(m, PLOG_ERROR, "hash-failure", n->hash_ref, hi, n->phone,
             "%s received %s with a bad SHA-256 %u time%s%s", nm_who(nm), nm_hier(nm),
             n->hash_bad, n->hash_bad == 1 ? "" : "s",
             n->got_after_fail ? "; a later copy verified" : " and has no good copy");
    if (n->refused)
        diag(m, PLOG_INFO, "join-refused", n->refused_ref, hi, n->phone,
             "%s was refused %u time%s when joining %s (%s)", nm_who(nm), n->refused,
             n->refused == 1 ? "" : "s", nm_hier(nm), n->refused_reason);
    if (n->in_xfr)
        diag(m, PLOG_WARN, "log-ends-mid-transfer", n->xfr_ref, hi, n->phone,
             "%s's log ends in the middle of receiving %s (%llu of %llu bytes)", nm_who(nm),
             nm_hier(nm), (unsigned long long)n->bytes, (unsigned long long)n->total);
    check_unfinished(m, nm, n);
}

/* Where the third child of n shows: the line that made it n's child. */
static struct plog_ref child_evidence(const struct plog_model *m, uint32_t hi,
                                      const struct plog_node *n)
{
    const struct plog_hier *h = &m->hiers[hi];
    int seen = 0;
    for (size_t i = 0; i < h->nnodes; i++) {
        const struct plog_node *c = &m->nodes[h->nodes[i]];
        if (c->parent == n->phone && ++seen == 3)
            return c->parent_ref;
    }
    return (struct plog_ref){PLOG_NONE, 0};
}

static void check_node(struct plog_model *m, uint32_t hi, uint32_t ni, uint32_t root)
{
    const struct plog_node *n = &m->nodes[ni];
    struct names nm = {m, hi, n->phone, "", ""};
    char b[32];
    if (n->nchildren > 2)
        diag(m, PLOG_ERROR, "too-many-children", child_evidence(m, hi, n), hi, n->phone,
             "%s has %u children in %s; a parent serves at most 2", nm_who(&nm), n->nchildren,
             nm_hier(&nm));
    if (n->root_yielded)
        diag(m, PLOG_WARN, "root-yielded", n->yield_ref, hi, n->phone,
             "%s confirmed itself root of %s, then yielded to %s: two roots were elected for a "
             "while and the tree healed", nm_who(&nm), nm_hier(&nm),
             who(m, n->yielded_to, b, sizeof b));
    if (n->is_root && n->root_tftp && n->nchildren == 0)
        diag(m, PLOG_WARN, "root-alone", n->root_tftp_ref, hi, n->phone,
             "%s was root of %s but no phone joined it in ROOT_WAITING; it fetched the file "
             "over TFTP itself", nm_who(&nm), nm_hier(&nm));
    if (n->el.claimed && !n->el.confirmed && !n->el.yielded && !n->joined && !n->is_root &&
        n->source == SRC_NONE && !n->fallback && !n->has_file)
        diag(m, PLOG_WARN, "election-unconfirmed", n->el.claim_ref, hi, n->phone,
             "%s claimed root of %s (%u Ads) but the election never confirmed", nm_who(&nm),
             nm_hier(&nm), n->el.ads);
    check_fetch(m, &nm, n, root);
    check_transfer(m, &nm, n);
}

static void check_pending(struct plog_model *m, uint32_t ph)
{
    const struct plog_phone *p = &m->phones[ph];
    const struct plog_node *s = &m->pending[ph];
    char a[32];
    if (!p->has_pending || !s->el.claimed || s->el.yielded)
        return;
    if (!s->el.confirmed)
        diag(m, PLOG_WARN, "election-unconfirmed", s->el.claim_ref, PLOG_NONE, ph,
             "%s claimed root (%u Ads) but the election never confirmed", who(m, ph, a, sizeof a),
             s->el.ads);
    else
        diag(m, PLOG_WARN, "election-unnamed", s->el.claim_ref, PLOG_NONE, ph,
             "%s confirmed itself root but its log never names the file (no @@@HROOT line)",
             who(m, ph, a, sizeof a));
}

static int diag_cmp(const void *a, const void *b)
{
    const struct plog_diag *x = a, *y = b;
    if (x->sev != y->sev)
        return x->sev > y->sev ? -1 : 1;
    if (x->hier != y->hier)
        return x->hier < y->hier ? -1 : 1;
    if (x->ref.src != y->ref.src)
        return x->ref.src < y->ref.src ? -1 : 1;
    if (x->ref.line != y->ref.line)
        return x->ref.line < y->ref.line ? -1 : 1;
    return strcmp(x->code, y->code);
}

static int ev_cmp(const void *a, const void *b)
{
    const struct plog_evrec *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->ref.src != y->ref.src)
        return x->ref.src < y->ref.src ? -1 : 1;
    return x->ref.line < y->ref.line ? -1 : x->ref.line > y->ref.line;
}

/* Node of phone ph in the current round of h, or NULL. */
static struct plog_node *round_node(struct plog_model *m, const struct plog_hier *h, uint32_t ph)
{
    for (size_t i = 0; i < h->nnodes; i++)
        if (m->nodes[h->nodes[i]].phone == ph)
            return &m->nodes[h->nodes[i]];
    return NULL;
}

void plog_derive_children(struct plog_model *m, uint32_t hi)
{
    const struct plog_hier *h = &m->hiers[hi];
    for (size_t i = 0; i < h->nnodes; i++)
        m->nodes[h->nodes[i]].nchildren = 0;
    /* h->nodes is in order of appearance, so children are too */
    for (size_t i = 0; i < h->nnodes; i++) {
        const struct plog_node *c = &m->nodes[h->nodes[i]];
        struct plog_node *p = c->parent == PLOG_NONE ? NULL : round_node(m, h, c->parent);
        if (!p)
            continue;
        if (p->nchildren < PLOG_MAX_CHILDREN)
            p->children[p->nchildren] = c->phone;
        p->nchildren++;
    }
}

void plog_check_hier(struct plog_model *m, uint32_t hi)
{
    struct plog_hier *h = &m->hiers[hi];
    /* events arrive in time order but for out-of-order lines: sort only then */
    for (uint32_t i = 1; i < h->nevents; i++)
        if (ev_cmp(&h->events[i - 1], &h->events[i]) > 0) {
            qsort(h->events, h->nevents, sizeof h->events[0], ev_cmp);
            break;
        }
    check_roots(m, hi);
    size_t count;
    uint32_t root = first_root(m, h, &count);
    for (size_t i = 0; i < h->nnodes; i++)
        check_node(m, hi, h->nodes[i], root);
}

/* One source carrying several phones' lines: its lines without an XID are guesses. */
static void check_streams(struct plog_model *m)
{
    for (size_t i = 0; i < m->cap_streams; i++) {
        const struct plog_stream_use *su = &m->streams[i];
        if (su->nxids < 2)
            continue;
        char list[96] = "";
        size_t len = 0;
        for (uint32_t k = 0; k < su->nxids && k < PLOG_STREAM_XIDS && len < sizeof list; k++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%sXID%08X", k ? ", " : "",
                                    (unsigned)su->xids[k]);
        diag(m, PLOG_WARN, "several-xids", su->second_ref, PLOG_NONE, PLOG_NONE,
             "one source carries the lines of %u phones (%s%s): its lines that name no XID "
             "were given to the phone named just before them",
             (unsigned)su->nxids, list, su->nxids > PLOG_STREAM_XIDS ? ", ..." : "");
    }
}

static void check_rogues(struct plog_model *m)
{
    for (size_t i = 0; i < m->nrogues; i++) {
        const struct plog_rogue *g = &m->rogues[i];
        char a[32];
        diag(m, PLOG_WARN, "rogue-sender", g->ref, PLOG_NONE, g->seen_by,
             "%u.%u.%u.%u sent %llu message%s that are not PFS (%s), first logged by %s: a "
             "broken or hostile neighbour on the subnet, not a phone",
             (unsigned)(g->ip >> 24), (unsigned)(g->ip >> 16 & 255), (unsigned)(g->ip >> 8 & 255),
             (unsigned)(g->ip & 255), (unsigned long long)g->count, g->count == 1 ? "" : "s",
             g->reason[0] ? g->reason : "malformed", who(m, g->seen_by, a, sizeof a));
    }
}

static int by_missing(const void *a, const void *b)
{
    const struct plog_sender *x = *(const struct plog_sender *const *)a;
    const struct plog_sender *y = *(const struct plog_sender *const *)b;
    if (x->missing != y->missing)
        return x->missing < y->missing ? 1 : -1;
    return strcmp(x->addr, y->addr);
}

void plog_missing_senders(char *buf, size_t cap, const struct plog_loss *ls)
{
    if (!cap)
        return;
    buf[0] = '\0';
    size_t n = 0, len = 0, numbered = 0;
    for (size_t i = 0; i < ls->nsenders; i++) {
        n += ls->senders[i].missing > 0;
        numbered += ls->senders[i].sequenced > 0;
    }
    if (!n)
        return;
    const struct plog_sender **v = malloc(n * sizeof *v);
    if (!v)
        return;
    for (size_t i = 0, k = 0; i < ls->nsenders; i++)
        if (ls->senders[i].missing)
            v[k++] = &ls->senders[i];
    qsort(v, n, sizeof *v, by_missing);
    len = (size_t)snprintf(buf, cap, "; missing by sender:");
    for (size_t i = 0; i < n && i < 8 && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s %s %llu", i ? "," : "", v[i]->addr,
                                (unsigned long long)v[i]->missing);
    if (len < cap)
        snprintf(buf + len, cap - len, "%s (%zu of %zu senders that number their datagrams)",
                 n > 8 ? ", ..." : "", n, numbered);
    free(v);
}

void plog_check_phones(struct plog_model *m)
{
    for (size_t i = 0; i < m->ncuts; i++)
        diag(m, PLOG_WARN, "input-truncated", m->cuts[i], PLOG_NONE, PLOG_NONE,
             "the input ends cut short (gzip data ends inside a member, as gzip -t says): "
             "it was read up to this line, the cut line after it was not read");
    const struct plog_loss *ls = &m->loss;
    if (ls->kernel + ls->queue)
        diag(m, PLOG_ERROR, "datagrams-lost", (struct plog_ref){PLOG_NONE, 0}, PLOG_NONE,
             PLOG_NONE,
             "%llu of %llu datagrams were lost before pfslog read them (%llu dropped by the "
             "kernel, its receive buffer full; %llu by pfslog's queue): the trees and "
             "diagnostics may miss what those lines said",
             (unsigned long long)(ls->kernel + ls->queue),
             (unsigned long long)(ls->received + ls->kernel + ls->queue),
             (unsigned long long)ls->kernel, (unsigned long long)ls->queue);
    if (ls->missing) {
        char who[600];
        plog_missing_senders(who, sizeof who, ls);
        diag(m, PLOG_ERROR, "datagrams-missing", (struct plog_ref){PLOG_NONE, 0}, PLOG_NONE,
             PLOG_NONE,
             "%llu datagrams never came: numbers skipped in the senders' own sequence "
             "(RFC 5424 sequenceId), lost on the way or by the kernel%s",
             (unsigned long long)ls->missing, who);
    }
    check_streams(m);
    check_rogues(m);
    for (uint32_t ph = 0; ph < m->nphones; ph++) {
        const struct plog_phone *p = &m->phones[ph];
        char a[32];
        check_pending(m, ph);
        if (p->has_xid && p->source == PH_MENTIONED)
            diag(m, PLOG_INFO, "log-missing", (struct plog_ref){PLOG_NONE, 0}, PLOG_NONE, ph,
                 "%s is named in other phones' logs but its own log is not in the input",
                 who(m, ph, a, sizeof a));
    }
    if (m->ndiags > 1)
        qsort(m->diags, m->ndiags, sizeof *m->diags, diag_cmp);
}
