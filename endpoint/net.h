/*
 * net.h - socket helpers (redis anet style).
 *
 * Every helper returns NET_OK / NET_ERR or an fd (>= 0) / NET_ERR, and on
 * failure writes one line naming the address and the cause into the
 * caller's err buffer (errno is left as the failed system call set it).
 * Addresses are IPv4 in host byte order.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFSD_NET_H
#define PFSD_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NET_OK 0
#define NET_ERR (-1)
#define NET_AGAIN (-2) /* nothing to read now (EAGAIN) */
#define NET_ERR_LEN 256

/* "A.B.C.D" into *ip. NET_ERR (with err) when it is not a dotted quad. */
int net_parse_ipv4(char *err, const char *s, uint32_t *ip);

/*
 * "HOST:PORT" into *ip, *port. HOST is a dotted quad or a name resolved
 * to IPv4 (blocking: startup only). PORT is 1..65535.
 */
int net_parse_hostport(char *err, const char *s, uint32_t *ip, uint16_t *port);

/* "127.0.0.2" into out (16 bytes). Returns out. */
char *net_ntoa(uint32_t ip, char out[16]);

int net_nonblock(char *err, int fd);

/*
 * net_udp_bind - a non-blocking UDP socket bound to ip:port with
 * SO_REUSEADDR and SO_REUSEPORT (several endpoints share the port), plus
 * SO_BROADCAST when bcast is set. ip 0 means INADDR_ANY, port 0 any port.
 */
int net_udp_bind(char *err, uint32_t ip, uint16_t port, int bcast);

/*
 * net_udp_rcvbuf - asks for a receive buffer of bytes: beyond the
 * system's rmem_max when allowed (CAP_NET_ADMIN), else as much as it
 * grants. Best effort: a smaller buffer only costs more lost datagrams.
 */
void net_udp_rcvbuf(int fd, int bytes);

/*
 * net_udp_client - a non-blocking UDP socket for talking to one server:
 * bound to src_ip (0: any) on a port the kernel picks, without
 * SO_REUSEADDR (an ephemeral port must not be shared), with IP_RECVERR so
 * that ICMP errors about what it sent queue up for net_udp_icmp().
 */
int net_udp_client(char *err, uint32_t src_ip);

/*
 * net_udp_icmp - take the next ICMP error queued on a net_udp_client
 * socket: the address the failed datagram went to and the error
 * (ECONNREFUSED: port unreachable). NET_OK, or NET_AGAIN when none is left.
 */
int net_udp_icmp(int fd, uint32_t *ip, uint16_t *port, int *error);

/* A non-blocking TCP socket listening on ip:port (SO_REUSEADDR). */
int net_tcp_listen(char *err, uint32_t ip, uint16_t port, int backlog);

/*
 * net_tcp_connect - non-blocking connect from src_ip (any port) to
 * ip:port. Returns the fd with the connect in progress: the fd turns
 * writable when it is done; net_connect_result() tells how it went.
 */
int net_tcp_connect(char *err, uint32_t src_ip, uint32_t ip, uint16_t port);

/* After a non-blocking connect turned writable: NET_OK or NET_ERR with err. */
int net_connect_result(char *err, int fd);

/*
 * net_tcp_accept - accept one connection, made non-blocking. Returns the
 * fd, NET_AGAIN when no connection is waiting, or NET_ERR with err.
 */
int net_tcp_accept(char *err, int lfd, uint32_t *ip, uint16_t *port);

/* sendto ip:port. Returns bytes sent or NET_ERR with err. */
ssize_t net_udp_send(char *err, int fd, uint32_t ip, uint16_t port, const void *buf, size_t len);

/* recvfrom. Returns bytes (0 for an empty datagram), NET_AGAIN, or NET_ERR with err. */
ssize_t net_udp_recv(char *err, int fd, void *buf, size_t cap, uint32_t *ip, uint16_t *port);

#endif
