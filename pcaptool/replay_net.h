/*
 * replay_net.h - sockets for the recorded peers (see replay_net.c).
 * Each returns a descriptor, or -1 with "ADDR:PORT: what: why" in err.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PCAPTOOL_REPLAY_NET_H
#define PCAPTOOL_REPLAY_NET_H

#include <stddef.h>
#include <stdint.h>

/* UDP on addr:port with SO_REUSEADDR, SO_REUSEPORT and SO_BROADCAST, non-blocking. */
int rn_udp(uint32_t addr, uint16_t port, char *err, size_t cap);
/* A non-blocking TCP listener. */
int rn_listen(uint32_t addr, uint16_t port, char *err, size_t cap);
/* A blocking connect from `from` (any port) to to:port; errno kept on failure. */
int rn_connect(uint32_t from, uint32_t to, uint16_t port, char *err, size_t cap);
/* Accepts one connection; *local gets the address it arrived on. */
int rn_accept(int lfd, uint32_t *local);
/* The whole buffer, or -1 (peer gone, or stopped reading for 2 s). */
int rn_send_all(int fd, const uint8_t *p, size_t len);
int rn_sendto(int fd, const uint8_t *p, size_t len, uint32_t to, uint16_t port);

#endif
