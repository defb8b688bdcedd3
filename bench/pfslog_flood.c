/*
 * pfslog_flood.c - many phones sending syslog datagrams at a set rate,
 * for bench/pfslog_listen_bench.sh.
 *
 *   pfslog_flood HOST PORT SENDERS RATE SECONDS
 *
 * SENDERS sockets of their own (each phone its own source port) send, in
 * turn, RATE datagrams a second in all for SECONDS to HOST:PORT (an IPv4
 * address on loopback). Each datagram is a DLoad line behind an RFC 3164
 * header naming its phone (10.x.y.z, pfsd[N]), the phone's own XID in
 * the line. Pacing: each datagram's due time counts from the start of the
 * run; while behind, it sends without reading the clock again, and never
 * sleeps more than a millisecond at once. Prints the datagrams sent.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
    fprintf(stderr, "pfslog_flood: %s: %s\n", what, strerror(errno));
    exit(2);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Datagram number i of sender s: an Ad of its election, then a trace. */
static int datagram(char *buf, size_t cap, long s, uint64_t i)
{
    unsigned ip3 = (unsigned)(s / 250) + 1, ip4 = (unsigned)(s % 250) + 1;
    uint64_t us = i * 997 % 3600000000ULL;
    int h = 9, m = (int)(us / 60000000), sec = (int)(us / 1000000 % 60), u = (int)(us % 1000000);
    if (i % 2)
        return snprintf(buf, cap, "<190>Dec  1 %02d:%02d:%02d 10.0.%u.%u pfsd[%ld]: NOT %02d:%02d:%02d.%06d "
                                  "DLoad: ^.idl_child.c-openUDPPort",
                        h, m, sec, ip3, ip4, 1000 + s, h, m, sec, u);
    return snprintf(buf, cap, "<190>Dec  1 %02d:%02d:%02d 10.0.%u.%u pfsd[%ld]: INF %02d:%02d:%02d.%06d "
                              "DLoad: XID%08lX TxBdcst Ad %d: ClaimRoot(tent)",
                    h, m, sec, ip3, ip4, 1000 + s, h, m, sec, u, 0xB5000000UL + (unsigned long)s,
                    (int)(i / 2 % 4) + 1);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: pfslog_flood HOST PORT SENDERS RATE SECONDS\n");
        return 2;
    }
    struct sockaddr_in to = {0};
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)atoi(argv[2]));
    if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
        fprintf(stderr, "pfslog_flood: %s: not an IPv4 address\n", argv[1]);
        return 2;
    }
    long senders = atol(argv[3]);
    double rate = atof(argv[4]), secs = atof(argv[5]);
    if (senders < 1 || senders > 60000 || rate <= 0 || secs <= 0) {
        fprintf(stderr, "pfslog_flood: SENDERS 1..60000, RATE and SECONDS > 0\n");
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)senders + 16) {
        rl.rlim_cur = (rlim_t)senders + 16 < rl.rlim_max ? (rlim_t)senders + 16 : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            die("setrlimit");
    }
    int *fd = malloc((size_t)senders * sizeof *fd);
    if (!fd)
        die("malloc");
    for (long s = 0; s < senders; s++)
        if ((fd[s] = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
            die("socket");
    uint64_t total = (uint64_t)(rate * secs), sent = 0;
    int64_t start = now_ns(), gap = (int64_t)(1e9 / rate), now = start;
    char buf[512];
    for (uint64_t i = 0; i < total; i++) {
        int64_t due = start + (int64_t)i * gap;
        if (due > now) {
            now = now_ns();
            if (due > now) {
                int64_t d = due - now < 1000000 ? due - now : 1000000;
                struct timespec ts = {0, (long)d};
                nanosleep(&ts, NULL);
                now = now_ns();
            }
        }
        long s = (long)(i % (uint64_t)senders);
        int n = datagram(buf, sizeof buf, s, i / (uint64_t)senders);
        if (sendto(fd[s], buf, (size_t)n, 0, (struct sockaddr *)&to, sizeof to) == n)
            sent++;
    }
    double took = (double)(now_ns() - start) / 1e9;
    printf("%llu %.3f\n", (unsigned long long)sent, took);
    return 0;
}
