/*
 * listen.c - pfslog as the phones' Log Server: syslog datagrams in, the
 * hierarchy shown as it forms, the final report on SIGINT/SIGTERM.
 *
 * A thread of its own receives the datagrams (recvq.c); this, the main
 * thread, reads them, and a few times a second lets the caller redraw.
 * The socket gets a large receive buffer and no SO_REUSEADDR or
 * SO_REUSEPORT: a second pfslog on the same port must fail, not bind
 * beside the first and steal half its datagrams. What is lost anyway is
 * counted: the kernel's drops (SO_RXQ_OVFL, and the socket's line in
 * /proc/net/udp at the end) and the queue's.
 *
 * The signals arrive on a signalfd polled next to the queue, so no
 * handler and no global flag are needed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RCVBUF_WANT (32 << 20)  /* a site's phones resetting at once */
#define QUEUE_BYTES (32u << 20) /* datagrams received, not read yet */
#define TICK_MS 250             /* the live view at most 4 times a second */

static int set_err(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int set_err(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return -1;
}

/* "ADDR" (IPv4, a name, or "[IPv6]") and "PORT" out of the spec's rest. */
static int split_spec(const char *spec, char *addr, size_t acap, const char **port, char *err,
                      size_t errcap)
{
    const char *rest = spec;
    if (strncmp(spec, "udp:", 4) == 0)
        rest = spec + 4;
    else if (strchr(spec, ':'))
        return set_err(err, errcap, "%s: expected PORT, udp:PORT, udp:ADDR:PORT or udp:[IPv6]:PORT",
                       spec);
    addr[0] = '\0';
    *port = rest;
    if (rest[0] == '[') {
        const char *close = strchr(rest, ']');
        if (!close || close[1] != ':' || (size_t)(close - rest - 1) >= acap)
            return set_err(err, errcap, "%s: bad IPv6 address (udp:[ADDR]:PORT)", spec);
        memcpy(addr, rest + 1, (size_t)(close - rest - 1));
        addr[close - rest - 1] = '\0';
        *port = close + 2;
        return 0;
    }
    const char *colon = strrchr(rest, ':');
    if (colon) {
        size_t n = (size_t)(colon - rest);
        if (n == 0 || n >= acap)
            return set_err(err, errcap, "%s: bad address", spec);
        memcpy(addr, rest, n);
        addr[n] = '\0';
        *port = colon + 1;
    }
    return 0;
}

int plog_listen_parse(const char *spec, struct sockaddr_storage *sa, socklen_t *salen,
                      char *err, size_t errcap)
{
    char addr[256];
    const char *port = "";
    if (split_spec(spec, addr, sizeof addr, &port, err, errcap) != 0)
        return -1;
    char *end;
    long p = strtol(port, &end, 10);
    if (!*port || *end || p < 0 || p > 65535)
        return set_err(err, errcap, "%s: bad port", spec);
    memset(sa, 0, sizeof *sa);
    if (!addr[0]) {
        struct sockaddr_in *in = (struct sockaddr_in *)sa;
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)p);
        in->sin_addr.s_addr = htonl(INADDR_ANY);
        *salen = sizeof *in;
        return 0;
    }
    struct addrinfo hints, *res;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
    int rc = getaddrinfo(addr, port, &hints, &res);
    if (rc != 0)
        return set_err(err, errcap, "%s: %s: %s", spec, addr, gai_strerror(rc));
    /* a name with both (localhost): the IPv4 address, which phones use */
    const struct addrinfo *pick = res;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next)
        if (ai->ai_family == AF_INET) {
            pick = ai;
            break;
        }
    memcpy(sa, pick->ai_addr, pick->ai_addrlen);
    *salen = pick->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* The sender's address as text; an IPv4 peer of an IPv6 socket as plain IPv4. */
static void addr_str(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (ss->ss_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, buf, (socklen_t)cap);
    } else if (ss->ss_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a))
            inet_ntop(AF_INET, a->s6_addr + 12, buf, (socklen_t)cap);
        else
            inet_ntop(AF_INET6, a, buf, (socklen_t)cap);
    }
}

static int port_of(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)ss)->sin6_port)
                                     : ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/*
 * Binds a UDP socket with a large receive buffer; the fd, or -1 with the
 * reason in err. The buffer: past the system's limit when allowed
 * (SO_RCVBUFFORCE, as root), else as large as the limit lets.
 */
static int udp_bind(struct plog_listen *l, const struct sockaddr_storage *sa, socklen_t salen,
                    char *err, size_t errcap)
{
    int fd = socket(sa->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return set_err(err, errcap, "%s: socket: %s", l->spec, strerror(errno));
    int want = RCVBUF_WANT;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof want) != 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want) != 0) {
        /* the default buffer still works; the drops are counted */
    }
    socklen_t ol = sizeof l->rcvbuf;
    if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &l->rcvbuf, &ol) != 0)
        l->rcvbuf = 0;
    if (bind(fd, (const struct sockaddr *)sa, salen) != 0) {
        int e = errno;
        close(fd);
        if (e == EADDRINUSE)
            return set_err(err, errcap, "%s: bind: %s (another Log Server, or another pfslog, "
                                        "listens on that port)", l->spec, strerror(e));
        return set_err(err, errcap, "%s: bind: %s", l->spec, strerror(e));
    }
    return fd;
}

static int signal_fd(sigset_t *old, char *err, size_t errcap)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &set, old) != 0)
        return set_err(err, errcap, "sigprocmask: %s", strerror(errno));
    int fd = signalfd(-1, &set, SFD_CLOEXEC);
    if (fd < 0) {
        set_err(err, errcap, "signalfd: %s", strerror(errno));
        sigprocmask(SIG_SETMASK, old, NULL);
    }
    return fd;
}

/* The sender at addr, added on its first datagram; NULL when out of memory. */
static struct plog_sender *sender(struct plog_listen *l, const char *addr)
{
    uint64_t key = plog_hash(addr, strlen(addr));
    uint32_t i;
    while ((i = plog_map_get(&l->sender_map, key)) != PLOG_NONE) {
        if (strcmp(l->senders[i].addr, addr) == 0)
            return &l->senders[i];
        key = key * 1099511628211ULL + 1;
    }
    if (plog_grow(&l->senders, &l->cap_senders, l->nsenders, sizeof *l->senders) != 0 ||
        plog_map_put(&l->sender_map, key, (uint32_t)l->nsenders) != 0)
        return NULL;
    struct plog_sender *s = &l->senders[l->nsenders++];
    snprintf(s->addr, sizeof s->addr, "%s", addr);
    return s;
}

/* Mixes text into a running FNV-1a hash, and a separator after it. */
static uint64_t hash_more(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return (h ^ 0xff) * 1099511628211ULL;
}

/*
 * A datagram's RFC 5424 sequenceId, if its header has one: numbers the
 * originator skipped are datagrams it sent that never came (lost on the
 * way, or dropped by the kernel), attributed to this sender. The
 * originator is the header's host, APP-NAME and PROCID behind the
 * address (a relay forwards several phones' own sequences); a 64-bit
 * hash of them keys its stream, a collision as unlikely as the map's.
 */
static void sequence(struct plog_listen *l, struct plog_sender *snd, const char *addr,
                     const char *buf, size_t n)
{
    const char *nl = memchr(buf, '\n', n);
    struct plog_syslog sl;
    if (!plog_syslog_split(buf, nl ? (size_t)(nl - buf) : n, &sl) || sl.seq < 1)
        return;
    uint64_t key = hash_more(1469598103934665603ULL, addr, strlen(addr));
    key = hash_more(key, sl.host ? sl.host : "", sl.host_len);
    key = hash_more(key, sl.tag ? sl.tag : "", sl.tag_len);
    key = hash_more(key, sl.procid ? sl.procid : "", sl.procid_len);
    uint32_t seq = (uint32_t)sl.seq, i = plog_map_get(&l->seq_map, key);
    snd->sequenced++;
    if (i == PLOG_NONE) {
        if (plog_grow(&l->seqs, &l->cap_seqs, l->nseqs, sizeof *l->seqs) != 0 ||
            plog_map_put(&l->seq_map, key, (uint32_t)l->nseqs) != 0)
            return;
        l->seqs[l->nseqs++] = (struct plog_seq_stream){(uint32_t)(snd - l->senders), seq};
        return;
    }
    struct plog_seq_stream *st = &l->seqs[i];
    /* after 2147483647 comes 1 (RFC 5424 7.3.1) */
    uint32_t next = st->last == 2147483647u ? 1 : st->last + 1;
    uint32_t ahead = seq >= next ? seq - next : seq + (2147483647u - next) + 1;
    if (ahead == 0) {
        st->last = seq;
    } else if (ahead < (1u << 30)) { /* a gap: the numbers between never came */
        snd->missing += ahead;
        l->missing += ahead;
        st->last = seq;
    } else if (seq == 1) { /* the sender started again */
        st->last = seq;
    } else { /* an older number: it came late, after a higher one */
        snd->late++;
        if (snd->missing) {
            snd->missing--;
            l->missing--;
        }
    }
}

/* One datagram: one or more lines, the sender names the phone if no header does. */
static void datagram(void *ctx, const char *buf, size_t n, const struct sockaddr_storage *from)
{
    struct plog_listen *l = ctx;
    char host[INET6_ADDRSTRLEN];
    addr_str(from, host, sizeof host);
    struct plog_sender *snd = sender(l, host);
    if (snd) {
        snd->datagrams++;
        sequence(l, snd, host, buf, n);
    }
    const char *p = buf, *end = buf + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        struct plog_event ev[PLOG_MAX_OUT];
        int k = plog_read_line(l->reader, l->src, ++l->lineno, p, len, host, ev);
        if (snd)
            snd->lines++;
        for (int i = 0; i < k; i++)
            l->on_event(l->ctx, &ev[i]);
        p += len + 1;
    }
}

/* Registers the socket as an input named udp:ADDR:PORT and says so on stderr. */
static int name_source(struct plog_listen *l, int fd, char *err, size_t errcap)
{
    struct sockaddr_storage bound;
    socklen_t bl = sizeof bound;
    if (getsockname(fd, (struct sockaddr *)&bound, &bl) != 0)
        return set_err(err, errcap, "%s: getsockname: %s", l->spec, strerror(errno));
    char a[INET6_ADDRSTRLEN];
    addr_str(&bound, a, sizeof a);
    /* evidence is cited as udp:ADDR:PORT:LINE, LINE counting the lines received */
    snprintf(l->name, sizeof l->name, bound.ss_family == AF_INET6 ? "udp:[%s]:%d" : "udp:%s:%d", a,
             port_of(&bound));
    l->src = plog_reader_add_src(l->reader, l->name);
    if (l->src == PLOG_NONE)
        return set_err(err, errcap, "%s: out of memory", l->spec);
    fprintf(stderr, "pfslog: listening on %s (receive buffer %d KiB; Ctrl-C for the report)\n",
            l->name, l->rcvbuf / 1024);
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The drops of socket fd in /proc/net/udp (or udp6): its line's last
 * column. Counts what SO_RXQ_OVFL cannot: drops after the last datagram
 * received. 0 when it cannot be read.
 */
static uint64_t proc_drops(int fd, int family)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return 0;
    FILE *f = fopen(family == AF_INET6 ? "/proc/net/udp6" : "/proc/net/udp", "r");
    if (!f)
        return 0;
    char line[512];
    uint64_t drops = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long inode, d;
        /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops */
        if (sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %llu %*s %*s %llu", &inode, &d) == 2 &&
            inode == (unsigned long long)st.st_ino) {
            drops = d;
            break;
        }
    }
    fclose(f);
    return drops;
}

static void update_counts(struct plog_listen *l, struct plog_recvq *q)
{
    plog_recvq_counts(q, &l->counts);
}

/* Datagrams until a signal arrives on sfd: 0, or -1 with the reason in err. */
static int serve(struct plog_listen *l, struct plog_recvq *q, int sfd, char *err, size_t errcap)
{
    int64_t next_tick = now_ms() + TICK_MS;
    for (;;) {
        int64_t wait = next_tick - now_ms();
        struct pollfd pf[2] = {{plog_recvq_fd(q), POLLIN, 0}, {sfd, POLLIN, 0}};
        int rc = poll(pf, 2, l->on_tick ? (int)(wait > 0 ? wait : 0) : -1);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            return set_err(err, errcap, "%s: poll: %s", l->spec, strerror(errno));
        }
        if (pf[0].revents & POLLIN)
            plog_recvq_drain(q, datagram, l);
        if (pf[1].revents & POLLIN) {
            /* Take the signal off the queue: still pending, it would kill
             * us as soon as the old mask comes back. */
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof si) != (ssize_t)sizeof si && errno != EAGAIN)
                fprintf(stderr, "pfslog: signalfd: %s\n", strerror(errno));
            return 0;
        }
        if (l->on_tick && now_ms() >= next_tick) {
            update_counts(l, q);
            l->on_tick(l->ctx, l, 0);
            next_tick = now_ms() + TICK_MS;
        }
    }
}

int plog_listen_run(struct plog_listen *l, char *err, size_t errcap)
{
    struct sockaddr_storage sa;
    socklen_t salen;
    if (plog_listen_parse(l->spec, &sa, &salen, err, errcap) != 0)
        return -1;
    sigset_t old;
    int sfd = signal_fd(&old, err, errcap);
    if (sfd < 0)
        return -1;
    int rc = -1;
    struct plog_recvq *q = NULL;
    int fd = udp_bind(l, &sa, salen, err, errcap);
    if (fd >= 0 && name_source(l, fd, err, errcap) == 0) {
        char qerr[128];
        q = plog_recvq_start(fd, QUEUE_BYTES, qerr, sizeof qerr);
        if (!q)
            set_err(err, errcap, "%s: %s", l->spec, qerr);
        else if (serve(l, q, sfd, err, errcap) == 0)
            rc = 0;
    }
    if (q) {
        plog_recvq_stop(q);
        /* what arrived before the signal is read */
        plog_recvq_drain(q, datagram, l);
        update_counts(l, q);
        uint64_t pd = proc_drops(fd, sa.ss_family);
        if (pd > l->counts.kernel_dropped)
            l->counts.kernel_dropped = pd;
        plog_recvq_free(q);
    }
    if (rc == 0) {
        plog_reader_end_src(l->reader, l->src);
        if (l->on_tick)
            l->on_tick(l->ctx, l, 1);
    }
    if (fd >= 0)
        close(fd);
    close(sfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return rc;
}

uint64_t plog_listen_lost(const struct plog_listen *l)
{
    return l->counts.kernel_dropped + l->counts.queue_dropped;
}

void plog_listen_free(struct plog_listen *l)
{
    free(l->senders);
    plog_map_free(&l->sender_map);
    free(l->seqs);
    plog_map_free(&l->seq_map);
    l->seqs = NULL;
    l->nseqs = l->cap_seqs = 0;
    l->senders = NULL;
    l->nsenders = l->cap_senders = 0;
}
