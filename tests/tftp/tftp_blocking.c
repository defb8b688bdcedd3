/*
 * tftp_blocking.c - a blocking fetch for tests (tftp_blocking.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tftp_blocking.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

/* 0 when the transfer ran to its end, -1 when poll itself failed. */
static int run(struct tftp_xfer *x)
{
    while (tftp_timeout_ms(x) >= 0) {
        struct pollfd pfd = {tftp_fd(x), POLLIN, 0};
        long to = tftp_timeout_ms(x);
        int r = poll(&pfd, 1, to > 0x7fffffffL ? 0x7fffffff : (int)to);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r > 0)
            tftp_on_readable(x);
        tftp_on_timer(x);
    }
    return 0;
}

int tftp_fetch(const struct tftp_req *req, struct tftp_stats *st, struct tftp_error *err)
{
    struct tftp_xfer *x = tftp_start(req, err);
    if (!x) {
        if (st) {
            memset(st, 0, sizeof *st);
            st->tsize = -1;
        }
        return -1;
    }
    int polled = run(x), e = errno;
    int rc = polled == 0 && tftp_state(x) == TFTP_DONE ? 0 : -1;
    if (err) {
        *err = *tftp_error(x);
        if (polled != 0) {
            err->code = TFTP_ERR_SYSTEM;
            err->sys_errno = e;
            snprintf(err->detail, sizeof err->detail, "poll: %s", strerror(e));
        }
    }
    if (st)
        tftp_stats(x, st);
    tftp_free(x);
    return rc;
}

int tftp_fetch_str(const struct tftp_req *req, struct tftp_stats *st, char *err, size_t cap)
{
    struct tftp_error e;
    int rc = tftp_fetch(req, st, &e);
    if (rc == 0)
        err[0] = '\0';
    else
        tftp_error_str(&e, err, cap);
    return rc;
}
