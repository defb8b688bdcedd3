/*
 * netparse.h - from a captured frame to its IP addresses, transport and
 * payload: the link layers pfsdump reads, IPv4/IPv6, VLAN tags, UDP, TCP.
 * Internal to pcaptool.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PCAPTOOL_NETPARSE_H
#define PCAPTOOL_NETPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "capture.h"

#define TCPF_FIN 0x01u
#define TCPF_SYN 0x02u
#define TCPF_RST 0x04u
#define TCPF_ACK 0x10u

/* One frame, parsed down to its transport payload. */
struct net_pkt {
    uint8_t proto;            /* CAP_UDP or CAP_TCP */
    struct cap_addr src, dst;
    const uint8_t *payload;
    size_t len;               /* payload bytes present (never past the captured bytes) */
    size_t wire_len;          /* payload bytes the headers claim */
    uint32_t seq, ack;        /* TCP */
    uint8_t flags;            /* TCP */
};

/* Does libpcap's link type have a parser here? */
int net_link_supported(int dlt);

/*
 * net_parse - parse one frame of link type dlt.
 * Returns 1 with *p filled for UDP or TCP, 0 for anything else
 * (ARP, ICMP, a fragment...), -1 when a header is cut short or invalid.
 */
int net_parse(int dlt, const uint8_t *frame, size_t caplen, struct net_pkt *p);

#endif
