/*
 * listen.c - pfslog as the phones' Log Server: syslog datagrams in, the
 * hierarchy printed as it forms, the final report on SIGINT/SIGTERM.
 *
 * The signals arrive on a signalfd polled next to the socket, so no
 * handler and no global flag are needed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define DGRAM_MAX 65536

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

/* "udp:PORT" or "udp:ADDR:PORT" into a socket address. */
int plog_listen_parse(const char *spec, struct sockaddr_in *sa, char *err, size_t errcap)
{
    if (strncmp(spec, "udp:", 4) != 0)
        return set_err(err, errcap, "%s: expected udp:PORT or udp:ADDR:PORT", spec);
    const char *rest = spec + 4, *colon = strrchr(rest, ':');
    char addr[64] = "0.0.0.0";
    const char *port = rest;
    if (colon) {
        size_t n = (size_t)(colon - rest);
        if (n == 0 || n >= sizeof addr)
            return set_err(err, errcap, "%s: bad address", spec);
        memcpy(addr, rest, n);
        addr[n] = '\0';
        port = colon + 1;
    }
    char *end;
    long p = strtol(port, &end, 10);
    if (!*port || *end || p < 0 || p > 65535)
        return set_err(err, errcap, "%s: bad port", spec);
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)p);
    if (inet_pton(AF_INET, addr, &sa->sin_addr) != 1)
        return set_err(err, errcap, "%s: bad IPv4 address %s", spec, addr);
    return 0;
}

/* Binds a UDP socket; the fd, or -1 with the reason in err. */
static int udp_bind(const struct sockaddr_in *sa, const char *spec, char *err, size_t errcap)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return set_err(err, errcap, "%s: socket: %s", spec, strerror(errno));
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (const struct sockaddr *)sa, sizeof *sa) != 0) {
        set_err(err, errcap, "%s: bind: %s", spec, strerror(errno));
        close(fd);
        return -1;
    }
    int rcv = 4 << 20; /* a burst of phones resetting at once */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv) != 0) {
        /* a smaller buffer still works */
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

/* One datagram: one or more lines, the sender names the phone if no header does. */
static void datagram(struct plog_listen *l, const char *buf, size_t n, const char *host)
{
    const char *p = buf, *end = buf + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        struct plog_event ev[PLOG_MAX_OUT];
        int k = plog_read_line(l->reader, l->src, ++l->lineno, p, len, host, ev);
        for (int i = 0; i < k; i++)
            l->on_event(l->ctx, &ev[i]);
        p += len + 1;
    }
}

/* Registers the socket as an input named udp:ADDR:PORT and says so on stderr. */
static int name_source(struct plog_listen *l, int fd, char *err, size_t errcap)
{
    struct sockaddr_in bound;
    socklen_t bl = sizeof bound;
    if (getsockname(fd, (struct sockaddr *)&bound, &bl) != 0)
        return set_err(err, errcap, "%s: getsockname: %s", l->spec, strerror(errno));
    char a[INET_ADDRSTRLEN], name[INET_ADDRSTRLEN + 16];
    inet_ntop(AF_INET, &bound.sin_addr, a, sizeof a);
    /* evidence is cited as udp:ADDR:PORT:LINE, LINE counting the lines received */
    snprintf(name, sizeof name, "udp:%s:%u", a, (unsigned)ntohs(bound.sin_port));
    l->src = plog_reader_add_src(l->reader, name);
    if (l->src == PLOG_NONE)
        return set_err(err, errcap, "%s: out of memory", l->spec);
    fprintf(stderr, "pfslog: listening on %s (Ctrl-C for the report)\n", name);
    return 0;
}

/* Datagrams until a signal arrives on sfd: 0, or -1 with the reason in err. */
static int serve(struct plog_listen *l, int fd, int sfd, char *buf, char *err, size_t errcap)
{
    for (;;) {
        struct pollfd pf[2] = {{fd, POLLIN, 0}, {sfd, POLLIN, 0}};
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return set_err(err, errcap, "%s: poll: %s", l->spec, strerror(errno));
        }
        if (pf[1].revents & POLLIN) {
            /* Take the signal off the queue: still pending, it would kill
             * us as soon as the old mask comes back. */
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof si) != (ssize_t)sizeof si && errno != EAGAIN)
                fprintf(stderr, "pfslog: signalfd: %s\n", strerror(errno));
            return 0;
        }
        if (!(pf[0].revents & POLLIN))
            continue;
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(fd, buf, DGRAM_MAX, 0, (struct sockaddr *)&from, &fl);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return set_err(err, errcap, "%s: recvfrom: %s", l->spec, strerror(errno));
        }
        char host[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &from.sin_addr, host, sizeof host);
        datagram(l, buf, (size_t)n, host);
    }
}

int plog_listen_run(struct plog_listen *l, char *err, size_t errcap)
{
    struct sockaddr_in sa;
    if (plog_listen_parse(l->spec, &sa, err, errcap) != 0)
        return -1;
    sigset_t old;
    int sfd = signal_fd(&old, err, errcap);
    if (sfd < 0)
        return -1;
    int fd = udp_bind(&sa, l->spec, err, errcap);
    char *buf = malloc(DGRAM_MAX + 1);
    int rc = -1;
    if (fd >= 0 && !buf)
        set_err(err, errcap, "%s: out of memory", l->spec);
    else if (fd >= 0 && name_source(l, fd, err, errcap) == 0 && serve(l, fd, sfd, buf, err, errcap) == 0)
        rc = 0;
    if (rc == 0)
        plog_reader_end_src(l->reader, l->src);
    free(buf);
    if (fd >= 0)
        close(fd);
    close(sfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return rc;
}
