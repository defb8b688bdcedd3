/*
 * dlog_sample.h - sample events for the DLoad grammar: every field of
 * struct pfs_dlog_ev set, once with everyday values and once with extremes.
 * Shared by test_dlog (round trips) and gen_fuzz_corpus (the dlog seeds).
 * Static definitions: include from one source of a program only.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFS_TEST_DLOG_SAMPLE_H
#define PFS_TEST_DLOG_SAMPLE_H

#include <string.h>

#include "dlog.h"

static inline void sample_a(struct pfs_dlog_ev *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->xid = 0x080027F8u;
    ev->peer = 0x0A000003u;
    ev->h = 0x36685558u;
    ev->map = 0xff9d7cb9u;
    ev->strength = 0x31d4d43du;
    ev->ip = 0x0a6a7544u;
    ev->pip = 0x7f000003u;
    ev->n = 3;
    ev->index = 1;
    ev->depth = 2;
    ev->tries = 4;
    ev->fd = 7;
    ev->fd0 = -1;
    ev->fd1 = 9;
    ev->parent = -1;
    ev->full = 1;
    ev->port = 4051;
    ev->bytes = 1048576;
    ev->total = 2097152;
    ev->secs = 12.345;
    ev->rate = 85.2;
    strcpy(ev->model, "CP-7961G");
    strcpy(ev->file, "/dnld/SCCP41.9-4-2SR2-2S.loads");
    strcpy(ev->hier, "ClaimRoot(tent)");
    strcpy(ev->state, "tent");
    strcpy(ev->reason, "FULL");
    strcpy(ev->src, "tftp");
    strcpy(ev->trace, "idl_child.c-openUDPPort");
    strcpy(ev->sha, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
}

/* Extremes: all-ones XIDs, zero counters, big sizes, other words. */
static inline void sample_b(struct pfs_dlog_ev *ev)
{
    sample_a(ev);
    ev->xid = 0xFFFFFFFFu;
    ev->peer = 0;
    ev->h = 0x00000001u;
    ev->map = 0;
    ev->strength = 0xffffffffu;
    ev->ip = 0xffffffffu;
    ev->pip = 0x7f000001u;
    ev->n = 255;
    ev->index = 0;
    ev->depth = 0;
    ev->tries = 1;
    ev->fd = 0;
    ev->fd0 = 12;
    ev->fd1 = -1;
    ev->parent = 11;
    ev->full = 0;
    ev->port = 65535;
    ev->bytes = 67108864;
    ev->total = 0;
    ev->secs = 0.001;
    ev->rate = 0.0;
    strcpy(ev->model, "CP-7970G");
    strcpy(ev->file, "jar41.9-4-2ES26.sbn");
    strcpy(ev->hier, "ROOT_WAITING");
    strcpy(ev->state, "conf");
    strcpy(ev->reason, "timeout");
    strcpy(ev->src, "peer");
    strcpy(ev->trace, "idl_protocol.c-sendBroadcastOffer");
    strcpy(ev->sha, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855");
}

#endif
