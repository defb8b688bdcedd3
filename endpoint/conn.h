/*
 * conn.h - the TCP peer connections of a node (conn.c): the listener,
 * JOIN/ACCEPT/REFUSE, transfers to children and from the parent, their
 * timeouts. Driven by node.c; sees only site.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFSD_CONN_H
#define PFSD_CONN_H

#include "site.h"

void conn_on_listen(struct el_loop *loop, int fd, void *ud, int mask);
struct conn *conn_join(struct node *n, struct hnode *hn);   /* NULL: failed at once */
void conn_drop(struct conn *c);                              /* close now, no callbacks */
void conn_send_abort(struct conn *c, unsigned reason);      /* best effort, then drop */
void conn_start_tx(struct conn *c);                          /* hn holds the file now */
/* --cut-through: hn->inflow began or grew; waiting children start, fed ones get more. */
void conn_feed(struct hnode *hn);
/* ABORT(reason) to hn's children: all, or (fed_only) those fed from a copy still arriving. */
void conn_abort_children(struct hnode *hn, unsigned reason, int fed_only);
void conn_keepalive(struct hnode *hn, int64_t now);         /* ACCEPT again to waiting children */
void conn_housekeeping(struct node *n, int64_t now);
void conn_sweep(struct node *n);
int conn_busy(const struct node *n);                         /* transfers in flight */

#endif
