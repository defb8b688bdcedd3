/*
 * tftpd_run.c - start and stop the real in.tftpd for tests (tftpd_run.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tftpd_run.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tftp_blocking.h"

#ifndef TFTPD_BIN
#define TFTPD_BIN "/usr/sbin/in.tftpd"
#endif

#define MAX_ARGS 24

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

uint16_t tftpd_free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    uint16_t port = 0;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

int tftpd_put(const struct tftpd *t, const char *name, const uint8_t *data, size_t len)
{
    char path[256];
    size_t done = 0;
    int fd;
    snprintf(path, sizeof path, "%s/%s", t->dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "tftpd_put %s: %s\n", path, strerror(errno));
        return -1;
    }
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0) {
            fprintf(stderr, "tftpd_put %s: %s\n", path, strerror(errno));
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    /* The umask may have taken bits away; the server's user must read it. */
    if (fchmod(fd, 0644) != 0 || close(fd) != 0) {
        fprintf(stderr, "tftpd_put %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

const char *tftpd_name(struct tftpd *t, const char *name)
{
    snprintf(t->name, sizeof t->name, "%s%s", t->prefix, name);
    return t->name;
}

static void child_exec(const struct tftpd *t, const char *const *extra, pid_t parent)
{
    const char *argv[MAX_ARGS];
    char addr[32];
    int n = 0, i;
    int root = geteuid() == 0;
    struct passwd *pw = root ? NULL : getpwuid(geteuid());

    /* Die with the test, even when it crashes. */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
        _exit(126);
    snprintf(addr, sizeof addr, "127.0.0.1:%u", t->port);
    argv[n++] = TFTPD_BIN;
    argv[n++] = "-L";
    argv[n++] = "-a";
    argv[n++] = addr;
    if (root) {
        argv[n++] = "-s";
    } else {
        if (!pw)
            _exit(125);
        argv[n++] = "-u";
        argv[n++] = pw->pw_name;
        if (setenv("LD_PRELOAD", TFTPD_SHIM, 1) != 0)
            _exit(124);
    }
    for (i = 0; extra && extra[i] && n < MAX_ARGS - 2; i++)
        argv[n++] = extra[i];
    argv[n++] = t->dir;
    argv[n] = NULL;
    execv(TFTPD_BIN, (char *const *)argv);
    _exit(127);
}

static int mem_sink(void *arg, const uint8_t *d, size_t n, uint64_t off)
{
    char *buf = arg;
    if (off + n > 15)
        return -1;
    memcpy(buf + off, d, n);
    return 0;
}

/* The server is up once it serves the "ready" file. */
static int wait_ready(struct tftpd *t)
{
    char got[16];
    int i, status;
    for (i = 0; i < 400; i++) { /* a safety net of about 20 s, not a timing check */
        struct tftp_req rq = {0};
        memset(got, 0, sizeof got);
        rq.server_ip = INADDR_LOOPBACK;
        rq.server_port = t->port;
        rq.file = tftpd_name(t, "ready");
        rq.timeout_ms = 200;
        rq.tries = 1;
        rq.sink = mem_sink;
        rq.sink_arg = got;
        if (tftp_fetch(&rq, NULL, NULL) == 0 && strcmp(got, "ok\n") == 0)
            return 0;
        if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
            fprintf(stderr, "in.tftpd on port %u exited (status 0x%x)\n", t->port,
                    (unsigned)status);
            t->pid = -1;
            return -1;
        }
        sleep_ms(50);
    }
    fprintf(stderr, "in.tftpd on port %u never answered\n", t->port);
    return -1;
}

static void kill_server(struct tftpd *t)
{
    int i, status;
    if (t->pid <= 0)
        return;
    kill(t->pid, SIGTERM);
    for (i = 0; i < 100; i++) {
        if (waitpid(t->pid, &status, WNOHANG) != 0)
            break;
        sleep_ms(50);
    }
    if (i == 100) {
        kill(t->pid, SIGKILL);
        waitpid(t->pid, &status, 0);
    }
    t->pid = -1;
}

int tftpd_start(struct tftpd *t, const char *const *extra)
{
    int attempt;
    memset(t, 0, sizeof *t);
    t->pid = -1;
    snprintf(t->dir, sizeof t->dir, "/tmp/pfs-tftpd.XXXXXX");
    if (!mkdtemp(t->dir) || chmod(t->dir, 0755) != 0) {
        fprintf(stderr, "tftpd_start: mkdtemp: %s\n", strerror(errno));
        t->dir[0] = 0;
        return -1;
    }
    if (geteuid() != 0)
        snprintf(t->prefix, sizeof t->prefix, "%s/", t->dir);
    if (tftpd_put(t, "ready", (const uint8_t *)"ok\n", 3) != 0)
        return -1;
    /* The free port may be taken between the probe and the server's bind. */
    for (attempt = 0; attempt < 5; attempt++) {
        pid_t parent = getpid();
        t->port = tftpd_free_port();
        fflush(NULL);
        t->pid = fork();
        if (t->pid < 0) {
            fprintf(stderr, "tftpd_start: fork: %s\n", strerror(errno));
            return -1;
        }
        if (t->pid == 0)
            child_exec(t, extra, parent);
        if (wait_ready(t) == 0)
            return 0;
        kill_server(t);
    }
    return -1;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) != 0)
            fprintf(stderr, "tftpd_stop: unlink %s: %s\n", path, strerror(errno));
    }
    closedir(d);
    if (rmdir(dir) != 0)
        fprintf(stderr, "tftpd_stop: rmdir %s: %s\n", dir, strerror(errno));
}

void tftpd_stop(struct tftpd *t)
{
    kill_server(t);
    if (t->dir[0]) {
        remove_dir(t->dir);
        t->dir[0] = 0;
    }
}
