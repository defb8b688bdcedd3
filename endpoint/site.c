/*
 * site.c - the services every part of a running endpoint uses (site.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "site.h"

#include <stdio.h>
#include <string.h>

#include "sha256.h"

int64_t node_now(void)
{
    return el_now_ms();
}

struct pfs_dlog_ev node_ev(struct node *n, enum pfs_dlog_kind kind)
{
    struct pfs_dlog_ev ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.xid = n->cfg->xid;
    return ev;
}

void node_log(struct node *n, const struct pfs_dlog_ev *ev)
{
    plog_ev(&n->log, ev);
}

void node_log_hash(struct node *n, struct hnode *hn, enum pfs_dlog_kind kind,
                   const uint8_t d[PFS_SHA256_LEN])
{
    struct pfs_dlog_ev ev = hier_ev(&hn->h, kind);
    char hex[PFS_SHA256_HEX];
    snprintf(ev.sha, sizeof ev.sha, "%s", pfs_sha256_hex(d, hex));
    node_log(n, &ev);
}

/*
 * The hierarchies peers may talk to us about: the components. The .loads
 * (index 0) comes only from the TFTP server, so no message from the
 * network can reach it: a CLAIM, AD or JOIN for its H is not ours.
 */
struct hnode *node_find_hier(struct node *n, uint32_t h)
{
    for (int i = 1; i < n->nh; i++)
        if (n->hn[i]->h.h == h)
            return n->hn[i];
    return NULL;
}
