/*
 * infer.c - pfsdump --infer (see infer.h).
 *
 * The rules, from how PFS behaves (docs/protocol.md §4, docs/pfsdump.md):
 * - every host that sends datagrams on the PFS port takes part in an
 *   election; phones re-advertise about every 250 ms, so the typical gap
 *   between one host's datagrams is its advertising interval;
 * - every TCP connection is a child (client) attaching to a parent
 *   (server); one that carries at least 200 bytes towards the child, and
 *   four times what the child sent, is a file transfer (bytes of the
 *   stream, each once: a retransmission does not add);
 * - every TFTP read request is a WAN fetch: its client fetched that file
 *   from the central server; the first fetcher of a file is its root;
 * - a transfer belongs to the file whose size it fits (the file's bytes,
 *   each TFTP block counted once, plus at most 2 % + 512 bytes of
 *   framing), else to the child's next
 *   file in the order the files were first fetched.
 * Hosts are grouped per subnet: /24 for IPv4, /64 for IPv6.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "infer.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "jsonout.h"
#include "tftp.h"

#define XFER_MIN_BYTES 200

struct bcaster {
    struct cap_addr addr;      /* port 0 */
    uint64_t datagrams;
    struct cap_time first, last;
    double *gaps;              /* seconds between datagrams, for the median */
    size_t ngaps, cgaps;
};

struct iconn {
    struct cap_addr child, parent;
    struct cap_time start, end;
    uint64_t up, down;         /* bytes child->parent, parent->child */
    int file;                  /* index in files, -1 when none */
};

struct ifile {
    char name[256];
    struct cap_addr fetcher;   /* the first TFTP client */
    uint64_t id;               /* its TFTP transfer */
    uint64_t bytes;
    struct cap_time start, end;
    unsigned fetches;
};

struct ifetch {
    struct cap_addr client, server;
    char name[256];
    uint64_t id, bytes;
    uint16_t last_block;       /* the highest DATA block counted, 0 before the first */
    struct cap_time start, end;
};

struct infer {
    struct bcaster *b; size_t nb, cb;
    struct iconn *c; size_t nc, cc;
    struct ifetch *f; size_t nf, cf;
    struct ifile *files; size_t nfiles, cfiles;
};

struct infer *infer_new(void)
{
    return calloc(1, sizeof(struct infer));
}

static void on_datagram(struct infer *in, const struct cap_event *ev)
{
    struct bcaster *b = NULL;
    for (size_t i = 0; i < in->nb && !b; i++)
        if (cap_addr_same_host(&in->b[i].addr, &ev->src))
            b = &in->b[i];
    if (!b) {
        if (arr_grow(&in->b, &in->cb, in->nb + 1, sizeof *in->b) < 0)
            return;
        b = &in->b[in->nb++];
        memset(b, 0, sizeof *b);
        b->addr = ev->src;
        b->addr.port = 0;
        b->first = ev->ts;
    } else if (arr_grow(&b->gaps, &b->cgaps, b->ngaps + 1, sizeof *b->gaps) == 0) {
        b->gaps[b->ngaps++] = cap_seconds(&b->last, &ev->ts);
    }
    b->last = ev->ts;
    b->datagrams++;
}

static void on_close(struct infer *in, const struct cap_event *ev)
{
    if (arr_grow(&in->c, &in->cc, in->nc + 1, sizeof *in->c) < 0)
        return;
    struct iconn *c = &in->c[in->nc++];
    c->child = ev->u.conn.client;
    c->parent = ev->u.conn.server;
    c->start = ev->u.conn.start;
    c->end = ev->u.conn.end;
    c->up = ev->u.conn.bytes[0];
    c->down = ev->u.conn.bytes[1];
    c->file = -1;
}

static void on_tftp(struct infer *in, const struct cap_event *ev)
{
    const struct cap_tftp *t = &ev->u.tftp;
    if (t->fault || !t->transfer)
        return;
    if (t->opcode == TFTP_RRQ) {
        if (arr_grow(&in->f, &in->cf, in->nf + 1, sizeof *in->f) < 0)
            return;
        struct ifetch *f = &in->f[in->nf++];
        memset(f, 0, sizeof *f);
        f->client = ev->src;
        f->server = ev->dst;
        f->id = t->transfer;
        snprintf(f->name, sizeof f->name, "%s", t->file);
        f->start = f->end = ev->ts;
        return;
    }
    for (size_t i = in->nf; i-- > 0;)
        if (in->f[i].id == t->transfer) {
            in->f[i].end = ev->ts;
            /* A block the server sent again (its ACK came late) is counted
             * once: the file's size is what a peer transfer must fit. */
            if (t->opcode == TFTP_DATA && t->block == (uint16_t)(in->f[i].last_block + 1)) {
                in->f[i].bytes += t->data_len;
                in->f[i].last_block = t->block;
            }
            break;
        }
}

void infer_event(struct infer *in, const struct cap_event *ev)
{
    if (ev->kind == CAP_EV_PFS && ev->u.pfs.transport == CAP_UDP)
        on_datagram(in, ev);
    else if (ev->kind == CAP_EV_CONN_CLOSE)
        on_close(in, ev);
    else if (ev->kind == CAP_EV_TFTP)
        on_tftp(in, ev);
}

int infer_any(const struct infer *in)
{
    return in->nb || in->nc || in->nf;
}

/* ---- the inference ---- */

static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

static void build_files(struct infer *in)
{
    for (size_t i = 0; i < in->nf; i++) {
        const struct ifetch *f = &in->f[i];
        struct ifile *x = NULL;
        for (size_t k = 0; k < in->nfiles && !x; k++)
            if (strcmp(in->files[k].name, base_name(f->name)) == 0)
                x = &in->files[k];
        if (!x) {
            if (arr_grow(&in->files, &in->cfiles, in->nfiles + 1, sizeof *in->files) < 0)
                return;
            x = &in->files[in->nfiles++];
            memset(x, 0, sizeof *x);
            snprintf(x->name, sizeof x->name, "%s", base_name(f->name));
            x->fetcher = f->client;
            x->id = f->id;
            x->bytes = f->bytes;
            x->start = f->start;
            x->end = f->end;
        }
        x->fetches++;
    }
}

static int is_xfer(const struct iconn *c)
{
    return c->down >= XFER_MIN_BYTES && c->down >= 4 * c->up;
}

static int fits(uint64_t bytes, uint64_t size)
{
    return size && bytes >= size && bytes <= size + size / 50 + 512;
}

static int cmp_start(const void *a, const void *b)
{
    const struct iconn *x = a, *y = b;
    double d = cap_seconds(&y->start, &x->start);
    return d < 0 ? -1 : d > 0;
}

static void assign(struct infer *in)
{
    if (in->nc)
        qsort(in->c, in->nc, sizeof *in->c, cmp_start);
    for (size_t i = 0; i < in->nc; i++) {
        struct iconn *c = &in->c[i];
        if (!is_xfer(c))
            continue;
        int match = -1, nmatch = 0;
        for (size_t k = 0; k < in->nfiles; k++)
            if (fits(c->down, in->files[k].bytes)) {
                match = match < 0 ? (int)k : match;
                nmatch++;
            }
        int used_by_child[64] = {0};
        for (size_t j = 0; j < i; j++)
            if (in->c[j].file >= 0 && in->c[j].file < 64 &&
                cap_addr_same_host(&in->c[j].child, &c->child))
                used_by_child[in->c[j].file] = 1;
        if (nmatch == 1) {
            c->file = match;
            continue;
        }
        for (size_t k = 0; k < in->nfiles && k < 64; k++)   /* the child's next file */
            if (!used_by_child[k] && (nmatch == 0 || fits(c->down, in->files[k].bytes))) {
                c->file = (int)k;
                break;
            }
    }
}

/* ---- subnets ---- */

static void subnet_of(const struct cap_addr *a, struct cap_addr *net)
{
    *net = *a;
    net->port = 0;
    if (a->family == 6)
        memset(net->addr + 8, 0, 8);
    else
        net->addr[3] = 0;
}

static int same_subnet(const struct cap_addr *a, const struct cap_addr *b)
{
    struct cap_addr x, y;
    subnet_of(a, &x);
    subnet_of(b, &y);
    return cap_addr_same_host(&x, &y);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median_gap(struct bcaster *b)
{
    if (!b->ngaps)
        return 0;
    qsort(b->gaps, b->ngaps, sizeof *b->gaps, cmp_double);
    return b->gaps[b->ngaps / 2];
}

static const char *host(const struct cap_addr *a, char *buf)
{
    struct cap_addr h = *a;
    h.port = 0;
    return cap_addr_str(&h, buf, CAP_ADDR_STRLEN);
}

static void clock_of(const struct cap_time *t, char *buf, size_t len)
{
    time_t tt = (time_t)t->sec;
    struct tm tm;
    char s[16] = "?";
    if (gmtime_r(&tt, &tm))
        strftime(s, sizeof s, "%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03u", s, t->nsec / 1000000u);
}

/* The subnets, each once, in order of first appearance. */
static size_t subnets(const struct infer *in, struct cap_addr *out, size_t cap)
{
    size_t n = 0;
    const struct cap_addr *all[3] = {NULL, NULL, NULL};
    (void)all;
    for (size_t pass = 0; pass < 3; pass++) {
        size_t cnt = pass == 0 ? in->nb : pass == 1 ? in->nc : in->nf;
        for (size_t i = 0; i < cnt; i++) {
            const struct cap_addr *a = pass == 0 ? &in->b[i].addr
                                       : pass == 1 ? &in->c[i].child : &in->f[i].client;
            size_t k = 0;
            while (k < n && !same_subnet(&out[k], a))
                k++;
            if (k == n && n < cap)
                subnet_of(a, &out[n++]);
        }
    }
    return n;
}

static void tree_text(FILE *out, const struct infer *in, int file, const struct cap_addr *node,
                      int depth)
{
    char h[CAP_ADDR_STRLEN];
    if (depth > 32)
        return;
    for (size_t i = 0; i < in->nc; i++) {
        const struct iconn *c = &in->c[i];
        if (c->file != file || !cap_addr_same_host(&c->parent, node))
            continue;
        fprintf(out, "        %*s%s  %" PRIu64 " bytes in %.3f s\n", depth * 2, "", host(&c->child, h),
                c->down, cap_seconds(&c->start, &c->end));
        tree_text(out, in, file, &c->child, depth + 1);
    }
}

static void report_text(struct infer *in, FILE *out)
{
    struct cap_addr nets[64];
    size_t nn = subnets(in, nets, 64);
    char h[CAP_ADDR_STRLEN], t1[32], t2[32];
    for (size_t s = 0; s < nn; s++) {
        fprintf(out, "Subnet %s/%d\n", host(&nets[s], h), nets[s].family == 6 ? 64 : 24);
        fputs("  election (datagrams on the PFS port):\n", out);
        for (size_t i = 0; i < in->nb; i++) {
            struct bcaster *b = &in->b[i];
            if (!same_subnet(&b->addr, &nets[s]))
                continue;
            clock_of(&b->first, t1, sizeof t1);
            clock_of(&b->last, t2, sizeof t2);
            fprintf(out, "    %-16s %6" PRIu64 " datagrams from %s to %s, typically every %.3f s\n",
                    host(&b->addr, h), b->datagrams, t1, t2, median_gap(b));
        }
        fputs("  files (in the order they were fetched over TFTP):\n", out);
        for (size_t k = 0; k < in->nfiles; k++) {
            const struct ifile *f = &in->files[k];
            if (!same_subnet(&f->fetcher, &nets[s]))
                continue;
            fprintf(out, "    %s (%" PRIu64 " bytes): root %s", f->name, f->bytes, host(&f->fetcher, h));
            if (f->fetches > 1)
                fprintf(out, ", fetched over TFTP %u times", f->fetches);
            fprintf(out, "\n        %s\n", host(&f->fetcher, h));
            tree_text(out, in, (int)k, &f->fetcher, 1);
        }
        size_t other = 0;
        for (size_t i = 0; i < in->nc; i++)
            other += same_subnet(&in->c[i].child, &nets[s]) && in->c[i].file < 0;
        if (other)
            fprintf(out, "  %zu TCP connections not matched to a file (joins refused, or no TFTP fetch seen)\n",
                    other);
    }
    fputs("WAN (TFTP read requests):\n", out);
    for (size_t i = 0; i < in->nf; i++) {
        const struct ifetch *f = &in->f[i];
        char sv[CAP_ADDR_STRLEN];
        clock_of(&f->start, t1, sizeof t1);
        fprintf(out, "  %s %s fetched %s from %s: %" PRIu64 " bytes in %.3f s\n", t1,
                host(&f->client, h), f->name, host(&f->server, sv), f->bytes, cap_seconds(&f->start, &f->end));
    }
}

/* ---- the timeline ---- */

struct tl_item {
    struct cap_time t;
    char text[320];
    char kind[16];
};

static int cmp_tl(const void *a, const void *b)
{
    const struct tl_item *x = a, *y = b;
    double d = cap_seconds(&y->t, &x->t);
    return d < 0 ? -1 : d > 0;
}

static struct tl_item *timeline(const struct infer *in, size_t *n)
{
    size_t cap = in->nb * 2 + in->nc + in->nf, k = 0;
    struct tl_item *tl = calloc(cap ? cap : 1, sizeof *tl);
    if (!tl) {
        *n = 0;
        return NULL;
    }
    char h[CAP_ADDR_STRLEN], p[CAP_ADDR_STRLEN];
    for (size_t i = 0; i < in->nb; i++) {
        tl[k].t = in->b[i].first;
        snprintf(tl[k].kind, sizeof tl[k].kind, "bcast-start");
        snprintf(tl[k++].text, sizeof tl[0].text, "%s starts broadcasting", host(&in->b[i].addr, h));
        tl[k].t = in->b[i].last;
        snprintf(tl[k].kind, sizeof tl[k].kind, "bcast-stop");
        snprintf(tl[k++].text, sizeof tl[0].text, "%s stops broadcasting", host(&in->b[i].addr, h));
    }
    for (size_t i = 0; i < in->nc; i++) {
        const struct iconn *c = &in->c[i];
        tl[k].t = c->start;
        snprintf(tl[k].kind, sizeof tl[k].kind, is_xfer(c) ? "transfer" : "connection");
        snprintf(tl[k++].text, sizeof tl[0].text, "%s connects to %s: %s%s, %" PRIu64 " bytes in %.3f s",
                 host(&c->child, h), host(&c->parent, p), is_xfer(c) ? "transfer of " : "no transfer",
                 c->file >= 0 ? in->files[c->file].name : is_xfer(c) ? "an unknown file" : "",
                 c->down, cap_seconds(&c->start, &c->end));
    }
    for (size_t i = 0; i < in->nf; i++) {
        tl[k].t = in->f[i].start;
        snprintf(tl[k].kind, sizeof tl[k].kind, "tftp");
        snprintf(tl[k++].text, sizeof tl[0].text, "%s fetches %s over TFTP from %s (%" PRIu64 " bytes)",
                 host(&in->f[i].client, h), in->f[i].name, host(&in->f[i].server, p), in->f[i].bytes);
    }
    qsort(tl, k, sizeof *tl, cmp_tl);
    *n = k;
    return tl;
}

/* ---- JSON ---- */

static void jtime(FILE *out, const struct cap_time *t)
{
    fprintf(out, "%" PRId64 ".%06u", t->sec, t->nsec / 1000u);
}

static void report_json(struct infer *in, FILE *out)
{
    struct cap_addr nets[64];
    size_t nn = subnets(in, nets, 64);
    char h[CAP_ADDR_STRLEN], p[CAP_ADDR_STRLEN];
    fputs("{\"subnets\":[", out);
    for (size_t s = 0; s < nn; s++) {
        fprintf(out, "%s{\"subnet\":\"%s/%d\",\"broadcasters\":[", s ? "," : "", host(&nets[s], h),
                nets[s].family == 6 ? 64 : 24);
        for (size_t i = 0, n = 0; i < in->nb; i++) {
            struct bcaster *b = &in->b[i];
            if (!same_subnet(&b->addr, &nets[s]))
                continue;
            fprintf(out, "%s{\"addr\":\"%s\",\"datagrams\":%" PRIu64 ",\"first\":", n++ ? "," : "",
                    host(&b->addr, h), b->datagrams);
            jtime(out, &b->first);
            fputs(",\"last\":", out);
            jtime(out, &b->last);
            fprintf(out, ",\"interval\":%.6f}", median_gap(b));
        }
        fputs("],\"files\":[", out);
        for (size_t k = 0, n = 0; k < in->nfiles; k++) {
            const struct ifile *f = &in->files[k];
            if (!same_subnet(&f->fetcher, &nets[s]))
                continue;
            fprintf(out, "%s{\"file\":", n++ ? "," : "");
            json_cstr(out, f->name);
            fprintf(out, ",\"bytes\":%" PRIu64 ",\"root\":\"%s\",\"tftp_fetches\":%u,\"edges\":[",
                    f->bytes, host(&f->fetcher, h), f->fetches);
            for (size_t i = 0, e = 0; i < in->nc; i++) {
                const struct iconn *c = &in->c[i];
                if (c->file != (int)k)
                    continue;
                fprintf(out, "%s{\"child\":\"%s\",\"parent\":\"%s\",\"bytes\":%" PRIu64 ",\"start\":",
                        e++ ? "," : "", host(&c->child, h), host(&c->parent, p), c->down);
                jtime(out, &c->start);
                fprintf(out, ",\"seconds\":%.6f}", cap_seconds(&c->start, &c->end));
            }
            fputs("]}", out);
        }
        fputs("]}", out);
    }
    fputs("],\"tftp\":[", out);
    for (size_t i = 0; i < in->nf; i++) {
        const struct ifetch *f = &in->f[i];
        fprintf(out, "%s{\"client\":\"%s\",\"server\":\"%s\",\"file\":", i ? "," : "",
                host(&f->client, h), host(&f->server, p));
        json_cstr(out, f->name);
        fprintf(out, ",\"bytes\":%" PRIu64 ",\"start\":", f->bytes);
        jtime(out, &f->start);
        fprintf(out, ",\"seconds\":%.6f}", cap_seconds(&f->start, &f->end));
    }
    fputs("],\"timeline\":[", out);
    size_t n;
    struct tl_item *tl = timeline(in, &n);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%s{\"time\":", i ? "," : "");
        jtime(out, &tl[i].t);
        fprintf(out, ",\"kind\":\"%s\",\"text\":", tl[i].kind);
        json_cstr(out, tl[i].text);
        fputc('}', out);
    }
    free(tl);
    fputs("]}\n", out);
}

void infer_report(struct infer *in, FILE *out, int json)
{
    build_files(in);
    assign(in);
    if (json) {
        report_json(in, out);
        return;
    }
    report_text(in, out);
    fputs("Timeline:\n", out);
    size_t n;
    struct tl_item *tl = timeline(in, &n);
    for (size_t i = 0; i < n; i++) {
        char t[32];
        clock_of(&tl[i].t, t, sizeof t);
        fprintf(out, "  %s %s\n", t, tl[i].text);
    }
    free(tl);
}

void infer_free(struct infer *in)
{
    if (!in)
        return;
    for (size_t i = 0; i < in->nb; i++)
        free(in->b[i].gaps);
    free(in->b);
    free(in->c);
    free(in->f);
    free(in->files);
    free(in);
}
