/*
 * net.c - socket helpers: UDP broadcast sockets, non-blocking TCP.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void net_set_error(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void net_set_error(char *err, const char *fmt, ...)
{
    if (!err)
        return;
    int saved = errno; /* callers may still decide on errno */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, NET_ERR_LEN, fmt, ap);
    va_end(ap);
    errno = saved;
}

static struct sockaddr_in sin_of(uint32_t ip, uint16_t port)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(ip);
    sa.sin_port = htons(port);
    return sa;
}

char *net_ntoa(uint32_t ip, char out[16])
{
    snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255u, (ip >> 8) & 255u, ip & 255u);
    return out;
}

int net_parse_ipv4(char *err, const char *s, uint32_t *ip)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1) {
        net_set_error(err, "'%s' is not an IPv4 address", s);
        return NET_ERR;
    }
    *ip = ntohl(a.s_addr);
    return NET_OK;
}

static int parse_port(char *err, const char *s, const char *whole, uint16_t *port)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > 65535) {
        net_set_error(err, "'%s': port must be 1..65535", whole);
        return NET_ERR;
    }
    *port = (uint16_t)v;
    return NET_OK;
}

int net_parse_hostport(char *err, const char *s, uint32_t *ip, uint16_t *port)
{
    const char *colon = strrchr(s, ':');
    char host[256];
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof host) {
        net_set_error(err, "'%s' is not HOST:PORT", s);
        return NET_ERR;
    }
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    if (parse_port(err, colon + 1, s, port) != NET_OK)
        return NET_ERR;
    if (net_parse_ipv4(NULL, host, ip) == NET_OK)
        return NET_OK;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0 || !res) {
        net_set_error(err, "'%s': cannot resolve %s: %s", s, host, gai_strerror(rc));
        return NET_ERR;
    }
    *ip = ntohl(((struct sockaddr_in *)(void *)res->ai_addr)->sin_addr.s_addr);
    freeaddrinfo(res);
    return NET_OK;
}

int net_nonblock(char *err, int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        net_set_error(err, "fcntl(O_NONBLOCK): %s", strerror(errno));
        return NET_ERR;
    }
    return NET_OK;
}

static int set_flag(char *err, int fd, int level, int opt, const char *name)
{
    int one = 1;
    if (setsockopt(fd, level, opt, &one, sizeof one) < 0) {
        net_set_error(err, "setsockopt(%s): %s", name, strerror(errno));
        return NET_ERR;
    }
    return NET_OK;
}

/* Socket of type, non-blocking and close-on-exec, with SO_REUSEADDR. */
static int new_socket(char *err, int type)
{
    int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        net_set_error(err, "socket: %s", strerror(errno));
        return NET_ERR;
    }
    if (set_flag(err, fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR") != NET_OK) {
        close(fd);
        return NET_ERR;
    }
    return fd;
}

static int bind_to(char *err, int fd, uint32_t ip, uint16_t port, const char *what)
{
    struct sockaddr_in sa = sin_of(ip, port);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        char a[16];
        net_set_error(err, "%s bind %s:%u: %s", what, net_ntoa(ip, a), port, strerror(errno));
        return NET_ERR;
    }
    return NET_OK;
}

int net_udp_bind(char *err, uint32_t ip, uint16_t port, int bcast)
{
    int fd = new_socket(err, SOCK_DGRAM);
    if (fd < 0)
        return NET_ERR;
    if (set_flag(err, fd, SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT") != NET_OK ||
        (bcast && set_flag(err, fd, SOL_SOCKET, SO_BROADCAST, "SO_BROADCAST") != NET_OK) ||
        bind_to(err, fd, ip, port, "udp") != NET_OK) {
        close(fd);
        return NET_ERR;
    }
    return fd;
}

void net_udp_rcvbuf(int fd, int bytes)
{
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) == 0)
        return;
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
}

int net_udp_client(char *err, uint32_t src_ip)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        net_set_error(err, "socket: %s", strerror(errno));
        return NET_ERR;
    }
    /* Without IP_RECVERR an unconnected UDP socket never hears of ICMP port
       unreachable, and a missing server would cost every retry. */
    if (set_flag(err, fd, IPPROTO_IP, IP_RECVERR, "IP_RECVERR") != NET_OK ||
        (src_ip && bind_to(err, fd, src_ip, 0, "udp") != NET_OK)) {
        close(fd);
        return NET_ERR;
    }
    return fd;
}

int net_udp_icmp(int fd, uint32_t *ip, uint16_t *port, int *error)
{
    for (;;) {
        struct sockaddr_in dst;
        union {
            char buf[CMSG_SPACE(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in))];
            struct cmsghdr align;
        } ctl;
        uint8_t body[64];
        struct iovec iov = {body, sizeof body};
        struct msghdr msg;
        memset(&msg, 0, sizeof msg);
        memset(&dst, 0, sizeof dst);
        msg.msg_name = &dst;
        msg.msg_namelen = sizeof dst;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = ctl.buf;
        msg.msg_controllen = sizeof ctl.buf;
        if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
            return NET_AGAIN;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            struct sock_extended_err ee;
            if (c->cmsg_level != IPPROTO_IP || c->cmsg_type != IP_RECVERR ||
                c->cmsg_len < CMSG_LEN(sizeof ee))
                continue;
            memcpy(&ee, CMSG_DATA(c), sizeof ee);
            if (ee.ee_origin != SO_EE_ORIGIN_ICMP)
                continue; /* a local error: sendto reported it already */
            *ip = ntohl(dst.sin_addr.s_addr);
            *port = ntohs(dst.sin_port);
            *error = (int)ee.ee_errno;
            return NET_OK;
        }
    }
}

int net_tcp_listen(char *err, uint32_t ip, uint16_t port, int backlog)
{
    int fd = new_socket(err, SOCK_STREAM);
    if (fd < 0)
        return NET_ERR;
    if (bind_to(err, fd, ip, port, "tcp") != NET_OK) {
        close(fd);
        return NET_ERR;
    }
    if (listen(fd, backlog) < 0) {
        char a[16];
        net_set_error(err, "listen %s:%u: %s", net_ntoa(ip, a), port, strerror(errno));
        close(fd);
        return NET_ERR;
    }
    return fd;
}

int net_tcp_connect(char *err, uint32_t src_ip, uint32_t ip, uint16_t port)
{
    int fd = new_socket(err, SOCK_STREAM);
    if (fd < 0)
        return NET_ERR;
    /* Bind the source so the peer sees this endpoint's own address. */
    if (src_ip && bind_to(err, fd, src_ip, 0, "tcp source") != NET_OK) {
        close(fd);
        return NET_ERR;
    }
    struct sockaddr_in sa = sin_of(ip, port);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
        char a[16];
        net_set_error(err, "connect %s:%u: %s", net_ntoa(ip, a), port, strerror(errno));
        close(fd);
        return NET_ERR;
    }
    return fd;
}

int net_connect_result(char *err, int fd)
{
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
        soerr = errno;
    if (soerr) {
        net_set_error(err, "connect: %s", strerror(soerr));
        return NET_ERR;
    }
    return NET_OK;
}

int net_tcp_accept(char *err, int lfd, uint32_t *ip, uint16_t *port)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int fd = accept(lfd, (struct sockaddr *)&sa, &len);
    if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED)
            return NET_AGAIN;
        net_set_error(err, "accept: %s", strerror(errno));
        return NET_ERR;
    }
    if (net_nonblock(err, fd) != NET_OK) {
        close(fd);
        return NET_ERR;
    }
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        net_set_error(err, "fcntl(FD_CLOEXEC): %s", strerror(errno));
        close(fd);
        return NET_ERR;
    }
    *ip = ntohl(sa.sin_addr.s_addr);
    *port = ntohs(sa.sin_port);
    return fd;
}

ssize_t net_udp_send(char *err, int fd, uint32_t ip, uint16_t port, const void *buf, size_t len)
{
    struct sockaddr_in sa = sin_of(ip, port);
    ssize_t n = sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof sa);
    if (n < 0) {
        char a[16];
        net_set_error(err, "sendto %s:%u: %s", net_ntoa(ip, a), port, strerror(errno));
        return NET_ERR;
    }
    return n;
}

ssize_t net_udp_recv(char *err, int fd, void *buf, size_t cap, uint32_t *ip, uint16_t *port)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    ssize_t n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)&sa, &len);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return NET_AGAIN;
        net_set_error(err, "recvfrom: %s", strerror(errno));
        return NET_ERR;
    }
    *ip = ntohl(sa.sin_addr.s_addr);
    *port = ntohs(sa.sin_port);
    return n;
}
