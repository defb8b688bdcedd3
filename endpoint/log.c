/*
 * log.c - DLoad console lines to a stream and to a syslog server.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "log.h"

#include <errno.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

#define SYSLOG_FACILITY 16 /* local0: RFC 3164 section 4.1.1 */

int plog_open(struct plog *l, const char *path, uint32_t src_ip, uint32_t srv_ip,
              uint16_t srv_port, char *err, size_t errcap)
{
    memset(l, 0, sizeof *l);
    l->sfd = -1;
    l->pid = (long)getpid();
    net_ntoa(src_ip, l->host);
    l->fp = stderr;
    if (path) {
        l->fp = fopen(path, "a");
        if (!l->fp) {
            snprintf(err, errcap, "%s: %s", path, strerror(errno));
            return -1;
        }
        l->own_fp = 1;
        /* One line at a time: a crash or a kill keeps everything logged. */
        setvbuf(l->fp, NULL, _IOLBF, 0);
    }
    if (srv_ip && srv_port) {
        char nerr[NET_ERR_LEN];
        l->sfd = net_udp_bind(nerr, src_ip, 0, 0);
        if (l->sfd < 0) {
            snprintf(err, errcap, "log server socket: %s", nerr);
            plog_close(l);
            return -1;
        }
        l->srv_ip = srv_ip;
        l->srv_port = srv_port;
    }
    return 0;
}

void plog_close(struct plog *l)
{
    if (l->own_fp && l->fp)
        fclose(l->fp);
    l->fp = NULL;
    l->own_fp = 0;
    if (l->sfd >= 0)
        close(l->sfd);
    l->sfd = -1;
}

int64_t plog_usec_of_day(void)
{
    struct timeval tv;
    struct tm tm;
    if (gettimeofday(&tv, NULL) != 0)
        return 0;
    time_t t = tv.tv_sec;
    if (!localtime_r(&t, &tm))
        return 0;
    return ((int64_t)tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec) * 1000000LL + tv.tv_usec;
}

/* RFC 3164 severities for the DLoad levels. */
static int severity_of(enum pfs_dlog_level lvl)
{
    switch (lvl) {
    case PFS_LVL_DBG: return 7;
    case PFS_LVL_INF: return 6;
    case PFS_LVL_NOT: return 5;
    case PFS_LVL_WRN: return 4;
    case PFS_LVL_ERR: return 3;
    }
    return 6;
}

int plog_syslog_header(char *out, size_t cap, enum pfs_dlog_level lvl, int64_t t,
                       const char *host, long pid)
{
    static const char *mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    time_t tt = (time_t)t;
    if (!localtime_r(&tt, &tm))
        memset(&tm, 0, sizeof tm);
    int pri = SYSLOG_FACILITY * 8 + severity_of(lvl);
    /* The day is space-padded ("Nov  5"), as RFC 3164 4.1.2 asks. */
    return snprintf(out, cap, "<%d>%s %2d %02d:%02d:%02d %s pfsd[%ld]: ", pri,
                    mon[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, host,
                    pid);
}

static void send_syslog(struct plog *l, const struct pfs_dlog_ev *ev, const char *line, size_t len)
{
    char dgram[1024];
    const struct pfs_dlog_kind_info *k = pfs_dlog_info(ev->kind);
    int h = plog_syslog_header(dgram, sizeof dgram, k ? k->level : PFS_LVL_INF,
                               (int64_t)time(NULL), l->host, l->pid);
    if (h < 0 || (size_t)h >= sizeof dgram)
        return;
    size_t room = sizeof dgram - (size_t)h;
    size_t n = len < room ? len : room;
    memcpy(dgram + h, line, n);
    /* A lost log datagram must not stop the endpoint: errors are ignored. */
    (void)net_udp_send(NULL, l->sfd, l->srv_ip, l->srv_port, dgram, (size_t)h + n);
}

void plog_ev(struct plog *l, const struct pfs_dlog_ev *ev)
{
    char line[512];
    int n = pfs_dlog_line(line, sizeof line, plog_usec_of_day(), ev);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    if (l->fp) {
        fwrite(line, 1, len, l->fp);
        fputc('\n', l->fp);
    }
    if (l->sfd >= 0)
        send_syslog(l, ev, line, len);
    l->lines++;
}
