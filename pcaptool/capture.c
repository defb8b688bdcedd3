/*
 * capture.c - the capture reader (see capture.h).
 *
 * One frame at a time: parse it (netparse), decide what it is (TFTP,
 * a followed or filtered PFS conversation, or nothing), and let the
 * UDP path, the TCP reassembler or the TFTP decoder queue the events it
 * completes. cap_next() hands the queue out one event at a time and reads
 * the next frame only when the queue is empty; the queue's bytes live in
 * an arena that is reset then.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "capture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arena.h"
#include "netparse.h"
#include "pfs_table.h"
#include "tcpstream.h"
#include "tftp.h"

#define FOLLOW_MAX 1024   /* advertised TCP endpoints remembered */

struct follow_ep {
    uint32_t addr;        /* IPv4, host order */
    uint16_t port;
};

struct cap_reader {
    pcap_t *pc;
    char name[256];       /* the file or interface, for messages */
    char err[512];
    int live;
    int have_filter;
    struct bpf_program prog;
    int follow_ports;
    volatile sig_atomic_t stop;
    enum { RD_FRAMES, RD_FLUSH, RD_DONE } state;

    struct cap_stats st;
    uint64_t frame;           /* number of the frame being handled */
    struct cap_time ts;

    struct cap_event *q;      /* events of the current batch */
    size_t qn, qhead, qcap;
    struct arena arena;

    struct tcp_table tcp;
    struct tftp_table tftp;
    struct follow_ep *follow;
    size_t nfollow;
    int oom;
    int failed;           /* the capture ended in error: cap_next gives -1 at the end */
};

void cap_options_init(struct cap_options *o)
{
    memset(o, 0, sizeof *o);
    o->follow_ports = 1;
}

/* ---- names and addresses ---- */

char *cap_addr_str(const struct cap_addr *a, char *buf, size_t len)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->addr, ip, sizeof ip);
    if (!a->port)
        snprintf(buf, len, "%s", ip);
    else if (a->family == 6)
        snprintf(buf, len, "[%s]:%u", ip, a->port);
    else
        snprintf(buf, len, "%s:%u", ip, a->port);
    return buf;
}

double cap_seconds(const struct cap_time *from, const struct cap_time *to)
{
    return (double)(to->sec - from->sec) + ((double)to->nsec - (double)from->nsec) / 1e9;
}

int cap_addr_same_host(const struct cap_addr *a, const struct cap_addr *b)
{
    return a->family == b->family && memcmp(a->addr, b->addr, a->family == 6 ? 16 : 4) == 0;
}

const char *cap_type_doc_name(unsigned type)
{
    return pfs_val_name(pfs_type_vals, type);
}

const char *cap_fault_name(int err)
{
    static const char *const names[] = {
        NULL, "PFS_E_SHORT", "PFS_E_MAGIC", "PFS_E_VERSION", "PFS_E_LENGTH",
        "PFS_E_STRLEN", "PFS_E_MODEL", "PFS_E_PATH", "PFS_E_SIZE", "PFS_E_TYPE",
        "PFS_E_FIELD", "PFS_E_TLV", "PFS_E_NOSPACE",
    };
    unsigned i = err < 0 ? (unsigned)-err : 0;
    return i < sizeof names / sizeof names[0] ? names[i] : NULL;
}

/* ---- the event queue ---- */

static struct cap_event *push(struct cap_reader *r, enum cap_event_kind kind)
{
    if (arr_grow(&r->q, &r->qcap, r->qn + 1, sizeof *r->q) < 0) {
        r->oom = 1;
        return NULL;
    }
    struct cap_event *ev = &r->q[r->qn++];
    memset(ev, 0, sizeof *ev);
    ev->kind = kind;
    ev->frame = r->frame;
    ev->ts = r->ts;
    return ev;
}

static void *copy(struct cap_reader *r, const void *p, size_t n, size_t extra)
{
    uint8_t *d = arena_alloc(&r->arena, n + extra);
    if (!d) {
        r->oom = 1;
        return NULL;
    }
    if (n)
        memcpy(d, p, n);
    return d;
}

/* ---- PFS messages ---- */

static void follow(struct cap_reader *r, const struct pfs_msg *m)
{
    if (!r->follow_ports || (m->type != PFS_T_CLAIM && m->type != PFS_T_AD) || !m->u.claim.port)
        return;
    for (size_t i = 0; i < r->nfollow; i++)
        if (r->follow[i].addr == m->u.claim.addr && r->follow[i].port == m->u.claim.port)
            return;
    if (r->nfollow == FOLLOW_MAX)
        return;
    r->follow[r->nfollow].addr = m->u.claim.addr;
    r->follow[r->nfollow].port = m->u.claim.port;
    r->nfollow++;
}

static int followed(const struct cap_reader *r, const struct cap_addr *a)
{
    if (a->family != 4)
        return 0;
    uint32_t ip = (uint32_t)a->addr[0] << 24 | (uint32_t)a->addr[1] << 16 |
                  (uint32_t)a->addr[2] << 8 | a->addr[3];
    for (size_t i = 0; i < r->nfollow; i++)
        if (r->follow[i].addr == ip && r->follow[i].port == a->port)
            return 1;
    return 0;
}

static void queue_pfs(struct cap_reader *r, enum cap_transport tr, const struct cap_addr *src,
                      const struct cap_addr *dst, const uint8_t *data, size_t len, int err,
                      const uint64_t *frames, size_t nframes, uint64_t conn)
{
    struct cap_event *ev = push(r, CAP_EV_PFS);
    if (!ev)
        return;
    struct cap_pfs *m = &ev->u.pfs;
    ev->src = *src;
    ev->dst = *dst;
    m->transport = tr;
    m->conn = conn;
    m->data = copy(r, data, len, 0);
    m->frames = copy(r, frames, nframes * sizeof *frames, 0);
    if (!m->data || !m->frames) {
        r->qn--;
        return;
    }
    m->len = len;
    m->nframes = nframes;
    if (nframes && frames[nframes - 1] < ev->frame)
        ev->frame = frames[nframes - 1];   /* flushed at the capture's end */
    m->err = err ? err : pfs_decode(m->data, len, &m->msg);
    if (m->err == PFS_OK)
        follow(r, &m->msg);
}

/* ---- TCP sink ---- */

static void conn_event(struct cap_reader *r, const struct tcp_conn *c, enum cap_event_kind k)
{
    struct cap_event *ev = push(r, k);
    if (!ev)
        return;
    ev->u.conn = c->info;
    ev->src = c->info.client;
    ev->dst = c->info.server;
}

static void on_open(void *ctx, const struct tcp_conn *c)
{
    conn_event(ctx, c, CAP_EV_CONN_OPEN);
}

static void on_close(void *ctx, const struct tcp_conn *c)
{
    conn_event(ctx, c, CAP_EV_CONN_CLOSE);
}

static void on_message(void *ctx, const struct tcp_conn *c, int dir, const uint8_t *data,
                       size_t len, int err, const uint64_t *frames, size_t nframes)
{
    const struct cap_addr *src = dir ? &c->info.server : &c->info.client;
    const struct cap_addr *dst = dir ? &c->info.client : &c->info.server;
    queue_pfs(ctx, CAP_TCP, src, dst, data, len, err, frames, nframes, c->info.id);
}

static void on_note(void *ctx, const struct tcp_conn *c, int dir, enum cap_event_kind kind,
                    uint64_t offset, uint64_t bytes, int midstream)
{
    struct cap_event *ev = push(ctx, kind);
    if (!ev)
        return;
    ev->src = dir ? c->info.server : c->info.client;
    ev->dst = dir ? c->info.client : c->info.server;
    ev->u.note.conn = c->info.id;
    ev->u.note.dir = dir;
    ev->u.note.offset = offset;
    ev->u.note.bytes = bytes;
    ev->u.note.midstream = midstream;
}

/* ---- one frame ---- */

static void handle_tftp(struct cap_reader *r, const struct net_pkt *p)
{
    struct cap_event *ev = push(r, CAP_EV_TFTP);
    if (!ev)
        return;
    ev->src = p->src;
    ev->dst = p->dst;
    uint8_t *buf = copy(r, p->payload, p->len, 1);
    if (!buf) {
        r->qn--;
        return;
    }
    struct cap_tftp *t = &ev->u.tftp;
    tftp_parse(buf, p->len, t);
    struct tftp_xfer *x = NULL;
    if ((t->opcode == TFTP_RRQ || t->opcode == TFTP_WRQ) && !t->fault && p->dst.port == TFTP_PORT)
        x = tftp_request(&r->tftp, &p->src, &p->dst, t->file);
    else
        x = tftp_lookup(&r->tftp, &p->src, &p->dst);
    if (x) {
        t->transfer = x->id;
        t->xfer_file = copy(r, x->file, strlen(x->file) + 1, 0);
        tftp_track(&r->tftp, x, t);
    }
}

/* Port 69 when the filter admits it, or a transfer a request opened. */
static int is_tftp(struct cap_reader *r, const struct net_pkt *p, int matched)
{
    return (matched && (p->dst.port == TFTP_PORT || p->src.port == TFTP_PORT)) ||
           tftp_lookup(&r->tftp, &p->src, &p->dst) != NULL;
}

static void handle_frame(struct cap_reader *r, const struct pcap_pkthdr *h, const uint8_t *data)
{
    struct net_pkt p;
    int rc = net_parse(r->st.linktype, data, h->caplen, &p);
    int matched = !r->have_filter || pcap_offline_filter(&r->prog, h, data);
    if (rc <= 0) {
        if (rc < 0 && matched)
            r->st.undecodable++;
        return;
    }
    if (p.proto == CAP_UDP) {
        if (is_tftp(r, &p, matched)) {
            r->st.admitted++;
            handle_tftp(r, &p);
        } else if (matched) {
            r->st.admitted++;
            queue_pfs(r, CAP_UDP, &p.src, &p.dst, p.payload, p.len, 0, &r->frame, 1, 0);
        }
        return;
    }
    if (matched || followed(r, &p.src) || followed(r, &p.dst) || tcp_find(&r->tcp, &p)) {
        r->st.admitted++;
        if (tcp_segment(&r->tcp, &p, r->frame, &r->ts) < 0)
            r->oom = 1;
    }
}

/* ---- opening ---- */

static struct cap_reader *reader_new(const char *name)
{
    struct cap_reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    snprintf(r->name, sizeof r->name, "%s", name);
    r->follow = calloc(FOLLOW_MAX, sizeof *r->follow);
    struct tcp_sink sink = {r, on_open, on_close, on_message, on_note};
    if (!r->follow || tcp_table_init(&r->tcp, &sink) < 0) {
        free(r->follow);
        free(r);
        return NULL;
    }
    return r;
}

static struct cap_reader *setup(struct cap_reader *r, const struct cap_options *o, char *err,
                                size_t errlen)
{
    struct cap_options def;
    if (!o) {
        cap_options_init(&def);
        o = &def;
    }
    r->follow_ports = o->follow_ports;
    r->st.linktype = pcap_datalink(r->pc);
    const char *ln = pcap_datalink_val_to_name(r->st.linktype);
    r->st.linkname = ln ? ln : "unknown";
    if (!net_link_supported(r->st.linktype)) {
        const char *desc = pcap_datalink_val_to_description(r->st.linktype);
        snprintf(err, errlen, "%s: link type %d (%s) is not one pfsdump reads", r->name,
                 r->st.linktype, desc ? desc : "unknown");
        cap_close(r);
        return NULL;
    }
    const char *f = o->filter ? o->filter : CAP_DEFAULT_FILTER;
    if (*f) {
        /* BPF offsets stop at the first VLAN tag: match tagged frames too. */
        char both[2200];
        const char *expr = f;
        if (r->st.linktype == DLT_EN10MB && strlen(f) < 1000) {
            snprintf(both, sizeof both, "(%s) or (vlan and (%s))", f, f);
            expr = both;
        }
        if (pcap_compile(r->pc, &r->prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
            snprintf(err, errlen, "%s: filter \"%s\": %s", r->name, f, pcap_geterr(r->pc));
            cap_close(r);
            return NULL;
        }
        r->have_filter = 1;
    }
    return r;
}

/* libpcap's reason a savefile does not open, as one clause naming the file. */
static void open_error(char *err, size_t errlen, const char *name, const char *pe)
{
    if (strstr(pe, "unknown file format") || strstr(pe, "truncated dump file") ||
        strstr(pe, "bad dump file format"))
        snprintf(err, errlen, "%s: not a pcap or pcapng capture (%s)", name, pe);
    else
        snprintf(err, errlen, "%s: %s", name, pe);
}

struct cap_reader *cap_open_file(const char *path, const struct cap_options *o, char *err,
                                 size_t errlen)
{
    struct stat sb;
    if (strcmp(path, "-") != 0) {
        if (stat(path, &sb) < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            return NULL;
        }
        if (S_ISDIR(sb.st_mode)) {
            snprintf(err, errlen, "%s: is a directory, not a capture", path);
            return NULL;
        }
        if (S_ISREG(sb.st_mode) && sb.st_size == 0) {
            snprintf(err, errlen, "%s: empty file, not a capture", path);
            return NULL;
        }
    }
    struct cap_reader *r = reader_new(path);
    if (!r) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    char pe[PCAP_ERRBUF_SIZE] = "";
    r->pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, pe);
    if (!r->pc) {
        open_error(err, errlen, path, pe);
        cap_close(r);
        return NULL;
    }
    r->st.nanosecond = 1;
    return setup(r, o, err, errlen);
}

struct cap_reader *cap_open_fp(FILE *fp, const char *name, const struct cap_options *o,
                               char *err, size_t errlen)
{
    struct cap_reader *r = reader_new(name);
    if (!r) {
        snprintf(err, errlen, "%s: out of memory", name);
        fclose(fp);
        return NULL;
    }
    char pe[PCAP_ERRBUF_SIZE] = "";
    r->pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, pe);
    if (!r->pc) {
        open_error(err, errlen, name, pe);
        fclose(fp);
        cap_close(r);
        return NULL;
    }
    r->st.nanosecond = 1;
    return setup(r, o, err, errlen);
}

struct cap_reader *cap_open_live(const char *iface, const struct cap_options *o, char *err,
                                 size_t errlen)
{
    struct cap_reader *r = reader_new(iface);
    if (!r) {
        snprintf(err, errlen, "%s: out of memory", iface);
        return NULL;
    }
    char pe[PCAP_ERRBUF_SIZE] = "";
    r->live = 1;
    r->pc = pcap_create(iface, pe);
    int rc = -1;
    if (r->pc) {
        pcap_set_snaplen(r->pc, 262144);
        pcap_set_promisc(r->pc, 1);
        pcap_set_timeout(r->pc, 100);
        pcap_set_immediate_mode(r->pc, 1);
        pcap_set_tstamp_precision(r->pc, PCAP_TSTAMP_PRECISION_NANO);
        rc = pcap_activate(r->pc);
    }
    if (!r->pc || rc < 0) {
        if (rc == PCAP_ERROR_PERM_DENIED)
            snprintf(err, errlen, "%s: capturing needs root or CAP_NET_RAW", iface);
        else if (r->pc)
            snprintf(err, errlen, "%s: %s", iface, pcap_geterr(r->pc));
        else
            snprintf(err, errlen, "%s: %s", iface, pe);
        cap_close(r);
        return NULL;
    }
    r->st.nanosecond = pcap_get_tstamp_precision(r->pc) == PCAP_TSTAMP_PRECISION_NANO;
    return setup(r, o, err, errlen);
}

/* ---- reading ---- */

static void set_time(struct cap_reader *r, const struct pcap_pkthdr *h)
{
    r->ts.sec = (int64_t)h->ts.tv_sec;
    r->ts.nsec = (uint32_t)h->ts.tv_usec * (r->st.nanosecond ? 1u : 1000u);
    if (r->st.frames == 1)
        r->st.first = r->ts;
    r->st.last = r->ts;
}

/* Read frames until one queues an event or the capture ends, then flush the streams. */
static void fill(struct cap_reader *r)
{
    while (r->qn == 0 && r->state == RD_FRAMES) {
        struct pcap_pkthdr *h;
        const u_char *data;
        int rc = r->stop ? PCAP_ERROR_BREAK : pcap_next_ex(r->pc, &h, &data);
        if (rc == 1) {
            r->frame = ++r->st.frames;
            r->st.bytes += h->caplen;
            set_time(r, h);
            handle_frame(r, h, data);
            if (r->oom) {
                snprintf(r->err, sizeof r->err, "%s: out of memory at frame %llu", r->name,
                         (unsigned long long)r->frame);
                r->failed = 1;
                r->state = RD_FLUSH;
            }
        } else if (rc == 0) {
            continue;   /* live: the read timed out */
        } else {
            r->state = RD_FLUSH;   /* PCAP_ERROR_BREAK: the end, or cap_break() */
            if (rc != PCAP_ERROR_BREAK) {
                r->failed = 1;
                r->st.truncated = !r->live;
                if (r->live)
                    snprintf(r->err, sizeof r->err, "%s: capture stopped: %s", r->name,
                             pcap_geterr(r->pc));
                else
                    snprintf(r->err, sizeof r->err,
                             "%s: the capture is cut short: it ends inside frame %llu (%s)",
                             r->name, (unsigned long long)r->st.frames + 1, pcap_geterr(r->pc));
            }
        }
    }
    if (r->qn == 0 && r->state == RD_FLUSH) {
        r->frame = r->st.frames;
        tcp_close_all(&r->tcp);
        r->state = RD_DONE;
    }
}

int cap_next(struct cap_reader *r, struct cap_event *ev)
{
    if (r->qhead == r->qn) {
        r->qn = r->qhead = 0;
        arena_reset(&r->arena);
        fill(r);
    }
    if (r->qhead < r->qn) {
        *ev = r->q[r->qhead++];
        return 1;
    }
    return r->failed ? -1 : 0;
}

const char *cap_error(const struct cap_reader *r)
{
    return r->err;
}

void cap_break(struct cap_reader *r)
{
    r->stop = 1;
    if (r->pc)
        pcap_breakloop(r->pc);
}

const struct cap_stats *cap_stats(const struct cap_reader *r)
{
    return &r->st;
}

void cap_close(struct cap_reader *r)
{
    if (!r)
        return;
    tcp_table_free(&r->tcp);
    tftp_table_free(&r->tftp);
    if (r->have_filter)
        pcap_freecode(&r->prog);
    if (r->pc)
        pcap_close(r->pc);
    arena_free(&r->arena);
    free(r->q);
    free(r->follow);
    free(r);
}
