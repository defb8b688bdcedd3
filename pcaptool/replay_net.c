/*
 * replay_net.c - the sockets a recorded peer speaks through: UDP bound to
 * its own loopback address (so the target sees the recorded source), a TCP
 * listener where it was a parent, TCP connections from its address.
 * Errors go to a caller buffer, as in redis's anet.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "replay_net.h"
#include "replay.h"

static struct sockaddr_in sin_of(uint32_t addr, uint16_t port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(addr);
    a.sin_port = htons(port);
    return a;
}

static int fail(int fd, char *err, size_t cap, const char *what, uint32_t addr, uint16_t port)
{
    char ip[16];
    int e = errno;
    snprintf(err, cap, "%s:%u: %s: %s", rp_ip_str(addr, ip, sizeof ip), port, what, strerror(e));
    if (fd >= 0)
        close(fd);
    errno = e;
    return -1;
}

static int reuse(int fd)
{
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
        return -1;
    return setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
}

int rn_udp(uint32_t addr, uint16_t port, char *err, size_t cap)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail(-1, err, cap, "socket", addr, port);
    int one = 1;
    if (reuse(fd) != 0 || setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) != 0)
        return fail(fd, err, cap, "setsockopt", addr, port);
    struct sockaddr_in a = sin_of(addr, port);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0)
        return fail(fd, err, cap, "bind", addr, port);
    return fd;
}

int rn_listen(uint32_t addr, uint16_t port, char *err, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail(-1, err, cap, "socket", addr, port);
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
        return fail(fd, err, cap, "setsockopt", addr, port);
    struct sockaddr_in a = sin_of(addr, port);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0)
        return fail(fd, err, cap, "bind", addr, port);
    if (listen(fd, 16) != 0)
        return fail(fd, err, cap, "listen", addr, port);
    return fd;
}

/* Writes block at most this long: a target that stops reading is a divergence. */
static int send_timeout(int fd)
{
    struct timeval tv = {.tv_sec = 2, .tv_usec = 0};
    return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

int rn_connect(uint32_t from, uint32_t to, uint16_t port, char *err, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail(-1, err, cap, "socket", to, port);
    struct sockaddr_in a = sin_of(from, 0), b = sin_of(to, port);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0)
        return fail(fd, err, cap, "bind", from, 0);
    if (connect(fd, (struct sockaddr *)&b, sizeof b) != 0)
        return fail(fd, err, cap, "connect", to, port);
    if (send_timeout(fd) != 0)
        return fail(fd, err, cap, "setsockopt", to, port);
    return fd;
}

int rn_accept(int lfd, uint32_t *local)
{
    struct sockaddr_in a;
    socklen_t n = sizeof a;
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return -1;
    if (getsockname(fd, (struct sockaddr *)&a, &n) != 0 || send_timeout(fd) != 0) {
        close(fd);
        return -1;
    }
    *local = ntohl(a.sin_addr.s_addr);
    return fd;
}

int rn_send_all(int fd, const uint8_t *p, size_t len)
{
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int rn_sendto(int fd, const uint8_t *p, size_t len, uint32_t to, uint16_t port)
{
    struct sockaddr_in b = sin_of(to, port);
    ssize_t n = sendto(fd, p, len, 0, (struct sockaddr *)&b, sizeof b);
    return n == (ssize_t)len ? 0 : -1;
}
