/*
 * nosetgroups.c - LD_PRELOAD shim for running in.tftpd as a normal user
 * by pfslab and the tests (see lab/pfslab tftpd_argv, tests/tftp/tftpd_run.h).
 * in.tftpd always drops privileges before it serves a file; for an
 * unprivileged user there is nothing to drop, but setgroups()/initgroups()
 * still fail with EPERM and the server exits.
 * These stand-ins succeed when the caller is not root, and only then.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <dlfcn.h>
#include <grp.h>
#include <stddef.h>
#include <sys/types.h>
#include <unistd.h>

int setgroups(size_t size, const gid_t *list);
int initgroups(const char *user, gid_t group);

int setgroups(size_t size, const gid_t *list)
{
    int (*real)(size_t, const gid_t *);
    if (geteuid() != 0)
        return 0;
    *(void **)&real = dlsym(RTLD_NEXT, "setgroups");
    return real ? real(size, list) : -1;
}

int initgroups(const char *user, gid_t group)
{
    int (*real)(const char *, gid_t);
    if (geteuid() != 0)
        return 0;
    *(void **)&real = dlsym(RTLD_NEXT, "initgroups");
    return real ? real(user, group) : -1;
}
