/*
 * log.h - the endpoint's console log, in the DLoad grammar.
 *
 * Every line is built by pfs_dlog_line() from proto/dlog.c's table, so
 * pfslog reads the endpoint exactly like a phone. Lines go to stderr or a
 * file, and optionally as RFC 3164 syslog datagrams to a log server, the
 * way a phone's "Log Server" setting sends them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFSD_LOG_H
#define PFSD_LOG_H

#include <stdint.h>
#include <stdio.h>

#include "dlog.h"

#define PLOG_ERR_LEN 256

struct plog {
    FILE *fp;            /* stderr or the --log file */
    int own_fp;          /* fp was opened here */
    int sfd;             /* syslog socket, -1 when there is no log server */
    uint32_t srv_ip;     /* log server, host byte order */
    uint16_t srv_port;
    char host[16];       /* syslog HOSTNAME: the endpoint's own address */
    long pid;
    unsigned long lines; /* lines written, for tests */
};

/*
 * plog_open - path NULL means stderr. srv_ip/srv_port 0 means no log
 * server; otherwise a UDP socket bound to src_ip sends to it, so the
 * datagrams come from the endpoint's own address.
 * Returns 0, or -1 with a one-line reason in err.
 */
int plog_open(struct plog *l, const char *path, uint32_t src_ip, uint32_t srv_ip,
              uint16_t srv_port, char *err, size_t errcap);
void plog_close(struct plog *l);

/* Writes one event as a console line (and a syslog datagram). */
void plog_ev(struct plog *l, const struct pfs_dlog_ev *ev);

/* Wall-clock microseconds since local midnight. */
int64_t plog_usec_of_day(void);

/*
 * plog_syslog_header - "<PRI>Mmm dd hh:mm:ss HOST pfsd[PID]: " for a line
 * of level lvl at wall time t (seconds). Facility local0. Returns length.
 */
int plog_syslog_header(char *out, size_t cap, enum pfs_dlog_level lvl, int64_t t,
                       const char *host, long pid);

#endif
