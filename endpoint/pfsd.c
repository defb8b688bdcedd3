/*
 * pfsd.c - the reference PFS endpoint: main.
 *
 * Parses the command line into a config, sets the node up (folder, log,
 * sockets), runs the loop until every file is settled or a signal comes,
 * and exits with a named code (see enum pfsd_exit in node.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "node.h"

int main(int argc, char **argv)
{
    static struct pfsd_config cfg;
    static struct node node;
    char err[CFG_ERR_LEN];
    int rc;

    switch (config_parse(&cfg, argc, argv, err, sizeof err)) {
    case CFG_HELP:
        config_usage(stdout);
        return fflush(stdout) == 0 && !ferror(stdout) ? PFSD_EXIT_OK : PFSD_EXIT_USAGE;
    case CFG_VERSION:
        printf("pfsd (pfs-toolkit) %s\n", PFS_VERSION);
        return fflush(stdout) == 0 && !ferror(stdout) ? PFSD_EXIT_OK : PFSD_EXIT_USAGE;
    case CFG_ERROR:
        fprintf(stderr, "pfsd: %s\n", err);
        return PFSD_EXIT_USAGE;
    case CFG_RUN:
        break;
    }
    if (node_init(&node, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "pfsd: %s\n", err);
        rc = PFSD_EXIT_STARTUP;
        goto out;
    }
    rc = node_run(&node);
out:
    node_free(&node);
    return rc;
}
