/*
 * node.h - the running endpoint: one struct node per process, owned by
 * main. node.c runs the hierarchies (UDP, the hier_ops actions, the end)
 * and drives conn.c (TCP peer connections) and fetch.c (TFTP fetches);
 * their shared state is in site.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFSD_NODE_H
#define PFSD_NODE_H

#include <stddef.h>

#include "site.h"

/* Exit codes of pfsd (named, like the CLI documents them). */
enum pfsd_exit {
    PFSD_EXIT_OK = 0,        /* every file verified */
    PFSD_EXIT_FILES = 1,     /* some file could not be obtained */
    PFSD_EXIT_USAGE = 2,
    PFSD_EXIT_STARTUP = 3,   /* bind, folder, log file */
    PFSD_EXIT_SIGNAL = 4
};

int node_init(struct node *n, const struct pfsd_config *cfg, char *err, size_t errcap);
int node_run(struct node *n);       /* returns the exit code */
void node_free(struct node *n);

#endif
