/*
 * tftp_blocking.h - a blocking fetch over the non-blocking TFTP client,
 * for tests: start, poll until done, free.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TFTP_BLOCKING_H
#define TFTP_BLOCKING_H

#include "tftp_client.h"

/*
 * tftp_fetch - returns 0 when the whole file was delivered, -1 otherwise
 * with err (may be NULL) filled. st (may be NULL) gets the final counters
 * either way.
 */
int tftp_fetch(const struct tftp_req *req, struct tftp_stats *st, struct tftp_error *err);

/* tftp_fetch with the error as text ("tftp H:P: ..."); "" on success. */
int tftp_fetch_str(const struct tftp_req *req, struct tftp_stats *st, char *err, size_t cap);

#endif
