/*
 * tftpd_run.h - start the real Debian in.tftpd (tftpd-hpa) for a test.
 *
 * The server runs in the foreground (-L) on 127.0.0.1 and a free high
 * port, serving a fresh mktemp folder (0755, files 0644, so the user it
 * drops to can read them). It gets SIGTERM when the test process dies
 * (PR_SET_PDEATHSIG), so a crashed test leaves no server behind.
 *
 * As root it is chrooted to the folder (-s) and drops to "nobody"; file
 * names are relative. As any other user in.tftpd cannot chroot and its
 * privilege drop calls initgroups(), which an unprivileged process may not
 * call; it then runs without -s, as the calling user, with a preloaded
 * shim that makes the group calls no-ops (there is nothing to drop), and
 * file names carry the folder as prefix. tftpd_name() hides the difference.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TFTPD_RUN_H
#define TFTPD_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tftpd {
    pid_t pid;
    uint16_t port;
    char dir[64];             /* served folder */
    char prefix[80];          /* "" (root, chrooted) or "DIR/" */
    char name[256];           /* scratch for tftpd_name() */
};

/*
 * tftpd_start - make the folder, start in.tftpd with the extra options
 * (NULL-terminated list, may be NULL), wait until it answers. Returns 0,
 * or -1 with a reason on stderr.
 */
int tftpd_start(struct tftpd *t, const char *const *extra);

/* Write a file of len bytes into the served folder (mode 0644). */
int tftpd_put(const struct tftpd *t, const char *name, const uint8_t *data, size_t len);

/* The name to ask for in an RRQ (valid until the next call). */
const char *tftpd_name(struct tftpd *t, const char *name);

/* Kill the server by pid, reap it, remove the folder. Safe to call twice. */
void tftpd_stop(struct tftpd *t);

/* A UDP port on 127.0.0.1 nobody listens on right now. */
uint16_t tftpd_free_port(void);

#endif
