/*
 * infer.h - pfsdump --infer: the story of a PFS upgrade from traffic
 * patterns alone, for captures whose payload does not decode (real
 * phones speak Cisco's unpublished format). Uses only addresses, ports,
 * times and byte counts of the UDP datagrams on the PFS port, the TCP
 * connections, and the TFTP requests and transfers.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PCAPTOOL_INFER_H
#define PCAPTOOL_INFER_H

#include <stdio.h>

#include "capture.h"

struct infer;

struct infer *infer_new(void);
void infer_event(struct infer *in, const struct cap_event *ev);
/* Print the trees per subnet, the WAN fetches and the timeline; as JSON with json. */
void infer_report(struct infer *in, FILE *out, int json);
/* Anything seen at all (a broadcast, a connection or a TFTP request)? */
int infer_any(const struct infer *in);
void infer_free(struct infer *in);

#endif
