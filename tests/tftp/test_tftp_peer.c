/*
 * test_tftp_peer.c - the TFTP client's state machine against a scripted
 * server on real loopback sockets, for what a well-behaved in.tftpd never
 * does: packets from a foreign TID, an OACK with a larger blksize, lost
 * and duplicated packets, malformed packets, a server port that vanishes.
 *
 * The test is single-threaded: the client is non-blocking, so the script
 * sends a packet, then lets the client read it (pump), then reads what the
 * client answered. Loopback delivers at once, so every step is determined.
 * Waits have generous limits as a safety net only.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "tftp_client.h"

#define SAFETY_MS 10000

struct script {
    int srv;                    /* the "port 69" socket the RRQ goes to */
    int tid;                    /* the transfer socket the server answers from */
    uint16_t srv_port;
    struct sockaddr_in client;  /* learned from the RRQ */
    struct tftp_xfer *x;
    uint8_t got[200000];        /* what the sink received */
    size_t len;
    unsigned calls;
};

static int udp_socket(uint16_t *port)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    if (port)
        *port = ntohs(a.sin_port);
    return fd;
}

static int sink(void *arg, const uint8_t *d, size_t n, uint64_t off)
{
    struct script *s = arg;
    assert_int_equal(off, s->len);
    assert_true(s->len + n <= sizeof s->got);
    memcpy(s->got + s->len, d, n);
    s->len += n;
    s->calls++;
    return 0;
}

/* Receive one datagram on fd (the safety limit fails the test). */
static size_t peer_recv(int fd, uint8_t *buf, size_t cap, struct sockaddr_in *from)
{
    struct pollfd p = {fd, POLLIN, 0};
    socklen_t flen = sizeof *from;
    ssize_t n;
    assert_int_equal(poll(&p, 1, SAFETY_MS), 1);
    n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)from, &flen);
    assert_true(n >= 0);
    return (size_t)n;
}

static int nothing_queued(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, 0) == 0;
}

static void peer_send(int fd, const struct sockaddr_in *to, const void *buf, size_t len)
{
    assert_int_equal(sendto(fd, buf, len, 0, (const struct sockaddr *)to, sizeof *to), (ssize_t)len);
}

/* Let the client handle what is queued for it. */
static void pump(struct script *s)
{
    struct pollfd p = {tftp_fd(s->x), POLLIN, 0};
    assert_int_equal(poll(&p, 1, SAFETY_MS), 1);
    tftp_on_readable(s->x);
}

/* Expect an ACK for block on fd. */
static void expect_ack(int fd, uint16_t block)
{
    uint8_t buf[600];
    struct sockaddr_in from;
    struct tftp_pkt p;
    char why[96];
    size_t n = peer_recv(fd, buf, sizeof buf, &from);
    assert_int_equal(tftp_parse(buf, n, &p, why, sizeof why), 0);
    assert_int_equal(p.op, TFTP_OP_ACK);
    assert_int_equal(p.block, block);
}

static void expect_error(int fd, uint16_t code)
{
    uint8_t buf[600];
    struct sockaddr_in from;
    struct tftp_pkt p;
    char why[96];
    size_t n = peer_recv(fd, buf, sizeof buf, &from);
    assert_int_equal(tftp_parse(buf, n, &p, why, sizeof why), 0);
    assert_int_equal(p.op, TFTP_OP_ERROR);
    assert_int_equal(p.code, code);
}

static void send_data(struct script *s, int fd, uint16_t block, size_t len, uint8_t fillc)
{
    uint8_t buf[4 + 2048];
    assert_true(len <= 2048);
    buf[0] = 0; buf[1] = 3;
    buf[2] = (uint8_t)(block >> 8);
    buf[3] = (uint8_t)block;
    memset(buf + 4, fillc, len);
    peer_send(fd, &s->client, buf, 4 + len);
}

/* Start a client for "f.bin" and take its RRQ on the server socket. */
static struct script *begin(unsigned blksize, uint64_t max_size, unsigned timeout_ms)
{
    struct script *s = calloc(1, sizeof *s);
    struct tftp_req rq;
    struct tftp_error err;
    uint8_t buf[600];
    size_t n;
    assert_non_null(s);
    s->srv = udp_socket(&s->srv_port);
    s->tid = udp_socket(NULL);
    memset(&rq, 0, sizeof rq);
    rq.server_ip = INADDR_LOOPBACK;
    rq.server_port = s->srv_port;
    rq.file = "f.bin";
    rq.blksize = blksize;
    rq.timeout_ms = timeout_ms ? timeout_ms : SAFETY_MS;
    rq.tries = 3;
    rq.max_size = max_size;
    rq.sink = sink;
    rq.sink_arg = s;
    s->x = tftp_start(&rq, &err);
    assert_non_null(s->x);
    n = peer_recv(s->srv, buf, sizeof buf, &s->client);
    assert_true(n > 2);
    assert_int_equal(buf[1], TFTP_OP_RRQ);
    return s;
}

static void end(struct script *s)
{
    tftp_free(s->x);
    close(s->srv);
    close(s->tid);
    free(s);
}

static void want_error(struct script *s, enum tftp_err code, const char *detail)
{
    const struct tftp_error *e = tftp_error(s->x);
    char want[TFTP_ERR_LEN], got[TFTP_ERR_LEN];
    snprintf(want, sizeof want, "tftp 127.0.0.1:%u: %s", s->srv_port, detail);
    assert_int_equal(tftp_state(s->x), TFTP_FAILED);
    assert_int_equal(e->code, code);
    assert_int_equal(e->server_ip, INADDR_LOOPBACK);
    assert_int_equal(e->server_port, s->srv_port);
    assert_string_equal(e->detail, detail);
    assert_string_equal(tftp_error_str(e, got, sizeof got), want);
    assert_int_equal(tftp_timeout_ms(s->x), -1);
}

static void test_plain_rfc1350_server(void **state)
{
    struct script *s = begin(1024, 0, 0);
    struct tftp_stats st;
    (void)state;
    send_data(s, s->tid, 1, 512, 'a');       /* options ignored: 512-byte blocks */
    pump(s);
    assert_int_equal(tftp_state(s->x), TFTP_RECEIVING);
    expect_ack(s->tid, 1);
    send_data(s, s->tid, 2, 3, 'b');
    pump(s);
    expect_ack(s->tid, 2);
    assert_int_equal(tftp_state(s->x), TFTP_DONE);
    assert_int_equal(s->len, 515);
    tftp_stats(s->x, &st);
    assert_int_equal(st.blksize, 512);
    assert_int_equal(st.tsize, -1);
    assert_int_equal(st.bytes, 515);
    end(s);
}

static void test_foreign_tid_gets_error5(void **state)
{
    struct script *s = begin(512, 0, 0);
    uint16_t other_port;
    int other = udp_socket(&other_port);
    struct tftp_stats st;
    (void)state;
    send_data(s, s->tid, 1, 512, 'a');
    pump(s);
    expect_ack(s->tid, 1);
    /* Same server IP, another port: not our transfer. */
    send_data(s, other, 2, 100, 'X');
    pump(s);
    expect_error(other, TFTP_E_BADTID);
    assert_true(nothing_queued(s->tid));      /* no ACK for it */
    assert_int_equal(tftp_state(s->x), TFTP_RECEIVING);
    send_data(s, s->tid, 2, 100, 'b');
    pump(s);
    expect_ack(s->tid, 2);
    assert_int_equal(tftp_state(s->x), TFTP_DONE);
    assert_int_equal(s->len, 612);
    assert_int_equal(s->got[600], 'b');
    tftp_stats(s->x, &st);
    assert_int_equal(st.strays, 1);
    close(other);
    end(s);
}

static void test_vanished_stray_is_harmless(void **state)
{
    struct script *s = begin(512, 0, 0);
    uint16_t other_port;
    int other = udp_socket(&other_port);
    (void)state;
    send_data(s, s->tid, 1, 512, 'a');
    pump(s);
    expect_ack(s->tid, 1);
    send_data(s, other, 9, 10, 'X');
    close(other);                              /* its ERROR 5 will bounce (ICMP) */
    pump(s);
    send_data(s, s->tid, 2, 0, 0);
    pump(s);
    expect_ack(s->tid, 2);
    assert_int_equal(tftp_state(s->x), TFTP_DONE);
    end(s);
}

static void test_oack_smaller_blksize(void **state)
{
    static const uint8_t oack[] = "\0\6blksize\0" "600\0tsize\0" "610";
    struct script *s = begin(1024, 0, 0);
    struct tftp_stats st;
    (void)state;
    peer_send(s->tid, &s->client, oack, sizeof oack);
    pump(s);
    expect_ack(s->tid, 0);
    send_data(s, s->tid, 1, 600, 'a');
    pump(s);
    expect_ack(s->tid, 1);
    send_data(s, s->tid, 2, 10, 'b');
    pump(s);
    expect_ack(s->tid, 2);
    assert_int_equal(tftp_state(s->x), TFTP_DONE);
    tftp_stats(s->x, &st);
    assert_int_equal(st.blksize, 600);
    assert_int_equal(st.tsize, 610);
    assert_int_equal(s->len, 610);
    end(s);
}

static void test_oack_larger_blksize_refused(void **state)
{
    static const uint8_t oack[] = "\0\6blksize\0" "2048";
    struct script *s = begin(1024, 0, 0);
    (void)state;
    peer_send(s->tid, &s->client, oack, sizeof oack);
    pump(s);
    expect_error(s->tid, TFTP_E_OPTION);
    want_error(s, TFTP_ERR_OPTION, "server offers blksize 2048, asked 1024");
    end(s);
}

static void test_oack_blksize_not_asked(void **state)
{
    static const uint8_t oack[] = "\0\6blksize\0" "512";
    struct script *s = begin(0, 0, 0);
    (void)state;
    peer_send(s->tid, &s->client, oack, sizeof oack);
    pump(s);
    expect_error(s->tid, TFTP_E_OPTION);
    want_error(s, TFTP_ERR_OPTION, "server offers blksize 512, asked 0");
    end(s);
}

static void test_duplicates(void **state)
{
    static const uint8_t oack[] = "\0\6tsize\0" "520";
    struct script *s = begin(512, 0, 0);
    struct tftp_stats st;
    (void)state;
    peer_send(s->tid, &s->client, oack, sizeof oack);
    pump(s);
    expect_ack(s->tid, 0);
    peer_send(s->tid, &s->client, oack, sizeof oack);   /* ACK 0 "lost" */
    pump(s);
    expect_ack(s->tid, 0);
    send_data(s, s->tid, 1, 512, 'a');
    pump(s);
    expect_ack(s->tid, 1);
    send_data(s, s->tid, 1, 512, 'Z');                  /* ACK 1 "lost" */
    pump(s);
    expect_ack(s->tid, 1);                              /* re-ACKed ... */
    assert_int_equal(s->len, 512);                      /* ... not delivered again */
    assert_int_equal(s->calls, 1);
    send_data(s, s->tid, 2, 8, 'b');
    send_data(s, s->tid, 2, 8, 'Y');                    /* duplicate after the end */
    pump(s);
    expect_ack(s->tid, 2);
    assert_int_equal(tftp_state(s->x), TFTP_DONE);
    assert_int_equal(s->len, 520);
    assert_int_equal(s->got[519], 'b');
    tftp_stats(s->x, &st);
    assert_int_equal(st.retransmits, 0);
    end(s);
}

static void test_old_block_ignored(void **state)
{
    struct script *s = begin(512, 0, 0);
    (void)state;
    send_data(s, s->tid, 1, 512, 'a');
    pump(s);
    expect_ack(s->tid, 1);
    send_data(s, s->tid, 2, 512, 'b');
    pump(s);
    expect_ack(s->tid, 2);
    send_data(s, s->tid, 1, 512, 'Z');                  /* a late copy of block 1 */
    pump(s);
    assert_true(nothing_queued(s->tid));                /* no answer at all */
    assert_int_equal(tftp_state(s->x), TFTP_RECEIVING);
    assert_int_equal(s->len, 1024);
    end(s);
}

/* Wait past the client's deadline, then fire its timer. */
static void expire(struct script *s)
{
    long to = tftp_timeout_ms(s->x);
    assert_true(to >= 0);
    poll(NULL, 0, (int)to + 5);
    tftp_on_timer(s->x);
}

static void test_retransmit_on_timeout(void **state)
{
    struct script *s = begin(512, 0, 40);
    uint8_t buf[600];
    struct sockaddr_in from;
    struct tftp_stats st;
    size_t n;
    (void)state;
    tftp_on_timer(s->x);                       /* early: nothing happens */
    assert_true(nothing_queued(s->srv));
    expire(s);                                 /* RRQ lost: sent again */
    n = peer_recv(s->srv, buf, sizeof buf, &from);
    assert_true(n > 2);
    assert_int_equal(buf[1], TFTP_OP_RRQ);
    send_data(s, s->tid, 1, 512, 'a');
    pump(s);
    expect_ack(s->tid, 1);
    expire(s);                                 /* DATA 2 lost: ACK 1 again */
    expect_ack(s->tid, 1);
    expire(s);
    expect_ack(s->tid, 1);
    expire(s);                                 /* third try used up */
    want_error(s, TFTP_ERR_TIMEOUT, "no DATA after block 1 (512 bytes), 3 tries");
    tftp_stats(s->x, &st);
    assert_int_equal(st.retransmits, 3);
    end(s);
}

/* The wait the client set just now, as tftp_timeout_ms gives it (ms clock). */
static void want_wait(struct script *s, long lo, long hi)
{
    long to = tftp_timeout_ms(s->x);
    assert_in_range(to, lo - 1, hi);
}

static void test_no_answer(void **state)
{
    struct script *s = begin(512, 0, 20);
    (void)state;
    want_wait(s, 20, 20);                      /* the first RRQ: the timeout */
    expire(s);
    want_wait(s, 40, 50);                      /* backs off: 2 x, plus 0..50 % */
    expire(s);
    want_wait(s, 80, 90);                      /* then 4 x, the most it waits */
    assert_int_equal(tftp_state(s->x), TFTP_RRQ_SENT);
    expire(s);
    want_error(s, TFTP_ERR_TIMEOUT, "no answer after 3 tries");
    end(s);
}

static void test_error_packet(void **state)
{
    static const uint8_t e[] = "\0\5\0\2Access violation";
    static const uint8_t e0[] = {0, 5, 0, 3};
    struct script *s = begin(512, 0, 0);
    (void)state;
    peer_send(s->tid, &s->client, e, sizeof e);
    pump(s);
    want_error(s, TFTP_ERR_SERVER, "Access violation (code 2)");
    assert_int_equal(tftp_error(s->x)->tftp_code, TFTP_E_ACCESS);
    assert_true(nothing_queued(s->tid));       /* an ERROR is not answered */
    end(s);
    s = begin(512, 0, 0);
    peer_send(s->tid, &s->client, e0, sizeof e0);
    pump(s);
    want_error(s, TFTP_ERR_SERVER, "Disk full or allocation exceeded (code 3)");
    end(s);
}

static void test_malformed_from_tid(void **state)
{
    static const uint8_t bad_oack[] = "\0\6blksize";
    static const uint8_t ack[] = {0, 4, 0, 1};
    struct script *s = begin(512, 0, 0);
    (void)state;
    peer_send(s->tid, &s->client, bad_oack, sizeof bad_oack - 1);
    pump(s);
    expect_error(s->tid, TFTP_E_ILLEGAL);
    want_error(s, TFTP_ERR_PROTOCOL, "malformed packet: truncated OACK option name");
    end(s);
    s = begin(512, 0, 0);
    peer_send(s->tid, &s->client, ack, 3);
    pump(s);
    want_error(s, TFTP_ERR_PROTOCOL, "malformed packet: truncated ACK");
    end(s);
    s = begin(512, 0, 0);
    peer_send(s->tid, &s->client, ack, 4);     /* an ACK is not for a reader */
    pump(s);
    expect_error(s->tid, TFTP_E_ILLEGAL);
    want_error(s, TFTP_ERR_PROTOCOL, "unexpected opcode 4 from the server");
    end(s);
}

static void test_oversized_and_first_block(void **state)
{
    struct script *s = begin(512, 0, 0);
    (void)state;
    send_data(s, s->tid, 1, 513, 'a');
    pump(s);
    expect_error(s->tid, TFTP_E_ILLEGAL);
    want_error(s, TFTP_ERR_PROTOCOL, "DATA block 1 has 513 bytes, blksize is 512");
    assert_int_equal(s->len, 0);
    end(s);
    s = begin(512, 0, 0);
    send_data(s, s->tid, 2, 10, 'a');
    pump(s);
    want_error(s, TFTP_ERR_PROTOCOL, "first DATA is block 2, not 1");
    end(s);
}

static void test_max_size(void **state)
{
    static const uint8_t oack[] = "\0\6tsize\0" "1001";
    struct script *s = begin(512, 1000, 0);
    (void)state;
    peer_send(s->tid, &s->client, oack, sizeof oack);
    pump(s);
    expect_error(s->tid, TFTP_E_OPTION);
    want_error(s, TFTP_ERR_TOO_BIG, "file size 1001 over the limit 1000");
    end(s);
    s = begin(512, 1000, 0);                   /* no tsize: caught on receipt */
    send_data(s, s->tid, 1, 512, 'a');
    pump(s);
    expect_ack(s->tid, 1);
    send_data(s, s->tid, 2, 489, 'b');
    pump(s);
    expect_error(s->tid, TFTP_E_DISKFULL);
    want_error(s, TFTP_ERR_TOO_BIG, "file exceeds the limit of 1000 bytes");
    assert_int_equal(s->len, 512);
    end(s);
}

static void test_server_port_vanishes(void **state)
{
    struct script *s = begin(512, 0, 0);
    (void)state;
    send_data(s, s->tid, 1, 512, 'a');
    close(s->tid);                             /* the ACK will hit a closed port */
    s->tid = udp_socket(NULL);
    pump(s);
    /* The ICMP error arrives after the ACK went out: poll again. */
    if (tftp_state(s->x) != TFTP_FAILED)
        pump(s);
    assert_int_equal(tftp_state(s->x), TFTP_FAILED);
    assert_int_equal(tftp_error(s->x)->code, TFTP_ERR_UNREACHABLE);
    assert_non_null(strstr(tftp_error(s->x)->detail, "unreachable (ICMP)"));
    end(s);
}

static void test_foreign_ip_before_lock(void **state)
{
    struct script *s = begin(512, 0, 0);
    int other = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a;
    struct tftp_stats st;
    (void)state;
    assert_true(other >= 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(0x7f000002);     /* 127.0.0.2: not the server */
    assert_int_equal(bind(other, (struct sockaddr *)&a, sizeof a), 0);
    send_data(s, other, 1, 10, 'X');
    pump(s);
    expect_error(other, TFTP_E_BADTID);
    assert_int_equal(tftp_state(s->x), TFTP_RRQ_SENT);
    tftp_stats(s->x, &st);
    assert_int_equal(st.strays, 1);
    send_data(s, s->tid, 1, 10, 'a');
    pump(s);
    expect_ack(s->tid, 1);
    assert_int_equal(tftp_state(s->x), TFTP_DONE);
    assert_int_equal(s->got[0], 'a');
    close(other);
    end(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_rfc1350_server),
        cmocka_unit_test(test_foreign_tid_gets_error5),
        cmocka_unit_test(test_vanished_stray_is_harmless),
        cmocka_unit_test(test_oack_smaller_blksize),
        cmocka_unit_test(test_oack_larger_blksize_refused),
        cmocka_unit_test(test_oack_blksize_not_asked),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_old_block_ignored),
        cmocka_unit_test(test_retransmit_on_timeout),
        cmocka_unit_test(test_no_answer),
        cmocka_unit_test(test_error_packet),
        cmocka_unit_test(test_malformed_from_tid),
        cmocka_unit_test(test_oversized_and_first_block),
        cmocka_unit_test(test_max_size),
        cmocka_unit_test(test_server_port_vanishes),
        cmocka_unit_test(test_foreign_ip_before_lock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
