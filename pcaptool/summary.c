/*
 * summary.c - pfsdump --summary (see summary.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "summary.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "jsonout.h"
#include "pfs_table.h"

static const char *const SEV[] = {"error", "warning", "note"};

static void utc(const struct cap_time *t, char *buf, size_t len)
{
    time_t tt = (time_t)t->sec;
    struct tm tm;
    char s[32] = "?";
    if (gmtime_r(&tt, &tm))
        strftime(s, sizeof s, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf, len, "%s.%06uZ", s, t->nsec / 1000u);
}

static const char *type_name(unsigned t)
{
    const char *n = cap_type_doc_name(t);
    return n ? n : "unknown";
}

static const struct ses_member *member_of(const struct ses_hier *x, uint32_t xid)
{
    for (size_t i = 0; i < x->nm; i++)
        if (x->m[i].xid == xid)
            return &x->m[i];
    return NULL;
}

/* The transfer that gave child its file in hierarchy x (accepted, last one). */
static const struct ses_xfer *xfer_to(const struct ses *s, uint32_t h, uint32_t child)
{
    const struct ses_xfer *best = NULL;
    for (size_t i = 0; i < s->nxfers; i++)
        if (s->xfers[i].h == h && s->xfers[i].child == child && s->xfers[i].accepted)
            best = &s->xfers[i];
    return best;
}

static void tree(FILE *out, const struct ses *s, const struct ses_hier *x, uint32_t xid, int depth)
{
    if (depth > 32)
        return;
    const struct ses_member *m = member_of(x, xid);
    const struct ses_xfer *t = xfer_to(s, x->h, xid);
    fprintf(out, "      %*sXID%08X", depth * 2, "", xid);
    if (m && m->root)
        fputs(" root", out);
    if (m && m->fetched)
        fputs(" tftp", out);
    if (t) {
        double d = cap_seconds(&t->start, &t->end);
        fprintf(out, "  %" PRIu64 " bytes in %.3f s", t->data, d);
        const char *v = t->verdict ? pfs_val_name(pfs_verdict_vals, (unsigned)t->verdict) : NULL;
        fprintf(out, "  %s", v ? v : "no verdict");
    }
    fputc('\n', out);
    for (size_t i = 0; i < x->nm; i++)
        if (x->m[i].parent == xid && x->m[i].xid != xid)
            tree(out, s, x, x->m[i].xid, depth + 1);
}

static void text_hiers(FILE *out, const struct ses *s)
{
    fprintf(out, "Hierarchies:       %zu\n", s->nhiers);
    for (size_t i = 0; i < s->nhiers; i++) {
        const struct ses_hier *x = &s->hiers[i];
        fprintf(out, "  H=%08X %s %s: %zu peers, %" PRIu64 " messages\n", x->h,
                x->model[0] ? x->model : "?", x->file[0] ? x->file : "?", x->nm, x->msgs);
        if (!x->nroots)
            fputs("    no root confirmed in the capture\n", out);
        for (unsigned r = 0; r < x->nroots; r++) {
            fprintf(out, "    root XID%08X, tree:\n", x->roots[r]);
            tree(out, s, x, x->roots[r], 0);
        }
        for (size_t k = 0; k < x->nm; k++) {   /* members whose parent is not in the tree */
            const struct ses_member *m = &x->m[k];
            if (!m->root && m->parent && !member_of(x, m->parent))
                fprintf(out, "    XID%08X under XID%08X (not seen otherwise)\n", m->xid, m->parent);
        }
    }
}

static void text_xfers(FILE *out, const struct ses *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nxfers; i++)
        n += s->xfers[i].accepted;
    fprintf(out, "Peer transfers:    %zu (TCP connections: %" PRIu64 ", %" PRIu64 " mid-stream)\n", n,
            s->conns, s->midstream_conns);
    for (size_t i = 0; i < s->nxfers; i++) {
        const struct ses_xfer *t = &s->xfers[i];
        if (!t->accepted)
            continue;
        double d = cap_seconds(&t->start, &t->end);
        const char *v = t->verdict ? pfs_val_name(pfs_verdict_vals, (unsigned)t->verdict) : NULL;
        fprintf(out, "  XID%08X > XID%08X H=%08X %" PRIu64 "/%" PRIu64 " bytes %.3f s %.1f KB/s %s\n",
                t->parent, t->child, t->h, t->data, t->size, d,
                d > 0 ? (double)t->data / d / 1000.0 : 0.0, v ? v : "no verdict");
    }
}

static void text_tftp(FILE *out, const struct ses *s)
{
    fprintf(out, "TFTP transfers:    %zu\n", s->ntftps);
    for (size_t i = 0; i < s->ntftps; i++) {
        const struct ses_tftp *t = &s->tftps[i];
        char a[CAP_ADDR_STRLEN], b[CAP_ADDR_STRLEN];
        double d = cap_seconds(&t->start, &t->end);
        fprintf(out, "  %s < %s %s %" PRIu64 " bytes %.3f s %.1f KB/s %s\n",
                cap_addr_str(&t->client, a, sizeof a), cap_addr_str(&t->server, b, sizeof b),
                t->file, t->bytes, d, d > 0 ? (double)t->bytes / d / 1000.0 : 0.0,
                t->error ? t->errmsg : t->done ? "complete" : "incomplete");
    }
}

void summary_text(FILE *out, const char *source, const struct cap_stats *st, const struct ses *s)
{
    char a[48], b[48];
    utc(&st->first, a, sizeof a);
    utc(&st->last, b, sizeof b);
    fprintf(out, "File:              %s\n", source);
    fprintf(out, "Link type:         %s\n", st->linkname);
    fprintf(out, "Frames:            %" PRIu64 " (%" PRIu64 " bytes), %" PRIu64 " PFS or TFTP\n",
            st->frames, st->bytes, st->admitted);
    fprintf(out, "First frame:       %s\nLast frame:        %s\nDuration:          %.3f s\n", a, b,
            cap_seconds(&st->first, &st->last));
    fprintf(out, "PFS messages:      %" PRIu64 " (UDP %" PRIu64 ", TCP %" PRIu64 "), %" PRIu64 " malformed\n",
            s->udp_msgs + s->tcp_msgs, s->udp_msgs, s->tcp_msgs, s->malformed);
    fputs("  by type:        ", out);
    for (unsigned t = 1; t <= PFS_T_MAX; t++)
        if (s->by_type[t])
            fprintf(out, " %s %" PRIu64, type_name(t), s->by_type[t]);
    fputc('\n', out);
    fprintf(out, "Peers:             %zu\n", s->npeers);
    for (size_t i = 0; i < s->npeers; i++) {
        const struct ses_peer *p = &s->peers[i];
        char ip[CAP_ADDR_STRLEN];
        fprintf(out, "  XID%08X %s %s %" PRIu64 " messages\n", p->xid,
                cap_addr_str(&p->addr, ip, sizeof ip), p->model[0] ? p->model : "?", p->msgs);
    }
    text_hiers(out, s);
    text_xfers(out, s);
    text_tftp(out, s);
    size_t nprob = 0, nnote = 0;
    for (size_t i = 0; i < s->nprobs; i++)
        nprob += s->probs[i].sev != SES_NOTE, nnote += s->probs[i].sev == SES_NOTE;
    fprintf(out, "Problems:          %zu\n", nprob);
    for (size_t i = 0; i < s->nprobs; i++)
        if (s->probs[i].sev != SES_NOTE) {
            fprintf(out, "  %s %s: %s", SEV[s->probs[i].sev], s->probs[i].what, s->probs[i].text);
            if (s->probs[i].frame)
                fprintf(out, " (frame %" PRIu64 ")", s->probs[i].frame);
            fputc('\n', out);
        }
    fprintf(out, "Not in the capture: %zu\n", nnote);
    for (size_t i = 0; i < s->nprobs; i++)
        if (s->probs[i].sev == SES_NOTE)
            fprintf(out, "  %s: %s (frame %" PRIu64 ")\n", s->probs[i].what, s->probs[i].text,
                    s->probs[i].frame);
    if (st->truncated)
        fputs("  the file is cut short: frames after the last one are missing\n", out);
}

/* ---- JSON ---- */

static void json_hiers(FILE *out, const struct ses *s)
{
    fputs(",\"hierarchies\":[", out);
    for (size_t i = 0; i < s->nhiers; i++) {
        const struct ses_hier *x = &s->hiers[i];
        fprintf(out, "%s{\"h\":\"%08X\",\"model\":", i ? "," : "", x->h);
        json_cstr(out, x->model);
        fputs(",\"file\":", out);
        json_cstr(out, x->file);
        fputs(",\"roots\":[", out);
        for (unsigned r = 0; r < x->nroots; r++)
            fprintf(out, "%s\"%08X\"", r ? "," : "", x->roots[r]);
        fputs("],\"members\":[", out);
        for (size_t k = 0; k < x->nm; k++) {
            const struct ses_member *m = &x->m[k];
            fprintf(out, "%s{\"xid\":\"%08X\",\"parent\":", k ? "," : "", m->xid);
            if (m->parent)
                fprintf(out, "\"%08X\"", m->parent);
            else
                fputs("null", out);
            fprintf(out, ",\"root\":%s,\"tftp\":%s,\"children\":%u,\"verdict\":", m->root ? "true" : "false",
                    m->fetched ? "true" : "false", m->children);
            const char *v = m->verdict ? pfs_val_name(pfs_verdict_vals, (unsigned)m->verdict) : NULL;
            if (v)
                json_cstr(out, v);
            else
                fputs("null", out);
            fputc('}', out);
        }
        fprintf(out, "],\"messages\":%" PRIu64 "}", x->msgs);
    }
    fputc(']', out);
}

static void json_rest(FILE *out, const struct ses *s)
{
    fputs(",\"peers\":[", out);
    for (size_t i = 0; i < s->npeers; i++) {
        char ip[CAP_ADDR_STRLEN];
        fprintf(out, "%s{\"xid\":\"%08X\",\"addr\":\"%s\",\"messages\":%" PRIu64 "}", i ? "," : "",
                s->peers[i].xid, cap_addr_str(&s->peers[i].addr, ip, sizeof ip), s->peers[i].msgs);
    }
    fputs("],\"transfers\":[", out);
    for (size_t i = 0, n = 0; i < s->nxfers; i++) {
        const struct ses_xfer *t = &s->xfers[i];
        if (!t->accepted)
            continue;
        fprintf(out, "%s{\"h\":\"%08X\",\"parent\":\"%08X\",\"child\":\"%08X\",\"size\":%" PRIu64
                     ",\"bytes\":%" PRIu64 ",\"seconds\":%.6f,\"verdict\":%d}",
                n++ ? "," : "", t->h, t->parent, t->child, t->size, t->data, cap_seconds(&t->start, &t->end),
                t->verdict);
    }
    fputs("],\"tftp\":[", out);
    for (size_t i = 0; i < s->ntftps; i++) {
        const struct ses_tftp *t = &s->tftps[i];
        char a[CAP_ADDR_STRLEN], b[CAP_ADDR_STRLEN];
        fprintf(out, "%s{\"client\":\"%s\",\"server\":\"%s\",\"file\":", i ? "," : "",
                cap_addr_str(&t->client, a, sizeof a), cap_addr_str(&t->server, b, sizeof b));
        json_cstr(out, t->file);
        fprintf(out, ",\"bytes\":%" PRIu64 ",\"seconds\":%.6f,\"complete\":%s,\"error\":", t->bytes,
                cap_seconds(&t->start, &t->end), t->done ? "true" : "false");
        if (t->error)
            json_cstr(out, t->errmsg);
        else
            fputs("null", out);
        fputc('}', out);
    }
    fputs("],\"problems\":[", out);
    for (size_t i = 0; i < s->nprobs; i++) {
        fprintf(out, "%s{\"severity\":\"%s\",\"what\":\"%s\",\"frame\":%" PRIu64 ",\"text\":",
                i ? "," : "", SEV[s->probs[i].sev], s->probs[i].what, s->probs[i].frame);
        json_cstr(out, s->probs[i].text);
        fputc('}', out);
    }
    fputc(']', out);
}

void summary_json(FILE *out, const char *source, const struct cap_stats *st, const struct ses *s)
{
    fputs("{\"file\":", out);
    json_cstr(out, source);
    fprintf(out, ",\"linktype\":\"%s\",\"frames\":%" PRIu64 ",\"bytes\":%" PRIu64
                 ",\"first\":%" PRId64 ".%09u,\"last\":%" PRId64 ".%09u,\"truncated\":%s",
            st->linkname, st->frames, st->bytes, st->first.sec, st->first.nsec, st->last.sec,
            st->last.nsec, st->truncated ? "true" : "false");
    fprintf(out, ",\"messages\":{\"udp\":%" PRIu64 ",\"tcp\":%" PRIu64 ",\"malformed\":%" PRIu64 ",\"by_type\":{",
            s->udp_msgs, s->tcp_msgs, s->malformed);
    for (unsigned t = 1, n = 0; t <= PFS_T_MAX; t++)
        if (s->by_type[t])
            fprintf(out, "%s\"%s\":%" PRIu64, n++ ? "," : "", type_name(t), s->by_type[t]);
    fprintf(out, "}},\"connections\":%" PRIu64 ",\"midstream\":%" PRIu64 ",\"gaps\":%" PRIu64
                 ",\"gap_bytes\":%" PRIu64,
            s->conns, s->midstream_conns, s->gaps, s->gap_bytes);
    json_hiers(out, s);
    json_rest(out, s);
    fputs("}\n", out);
}
