/*
 * config.h - pfsd's command line, parsed into one struct.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFSD_CONFIG_H
#define PFSD_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pfs_const.h"

#define CFG_PATH_SZ 4096
#define CFG_ERR_LEN 512
#define CFG_STRENGTH_MAX 33   /* the .loads and its 32 components */

struct pfsd_config {
    char model[PFS_MODEL_MAX + 1];
    char load[PFS_PATH_MAX + 1];   /* bare name: "SCCP41.9-4-2SR2-2S.loads" */
    uint32_t tftp_ip;              /* host byte order */
    uint16_t tftp_port;
    char dir[CFG_PATH_SZ];
    uint32_t addr;
    uint32_t bcast;
    uint16_t port;
    uint32_t xid;
    int have_xid;
    uint64_t seed;
    int have_seed;
    uint32_t strength[CFG_STRENGTH_MAX]; /* --strength: per hierarchy, load order */
    int nstrength;
    char log_path[CFG_PATH_SZ];    /* empty: stderr */
    uint32_t logsrv_ip;            /* 0: no log server */
    uint16_t logsrv_port;
    char summary[CFG_PATH_SZ];     /* empty: none */
    long ad_interval, ad_count, root_wait, join_timeout, join_tries;
    long seek_timeout, stall_timeout, idle_timeout, linger;
    long tftp_timeout, tftp_retries, blksize, tx_rate;
    int verbose;
    int no_pfs;                    /* --no-pfs: PFS disabled, every file over TFTP */
    int parallel_files;            /* --parallel-files: every component's hierarchy at once */
    int cut_through;               /* --cut-through: forward while the file still arrives */
};

enum cfg_result {
    CFG_RUN = 0,     /* config complete: run */
    CFG_HELP = 1,    /* --help given */
    CFG_VERSION = 2, /* --version given */
    CFG_ERROR = -1   /* usage error: err says which option and why */
};

/* Fills c from argv (defaults first). err gets one line on CFG_ERROR. */
enum cfg_result config_parse(struct pfsd_config *c, int argc, char **argv, char *err,
                             size_t errcap);

/* The broadcast address used when --bcast is absent (see docs/endpoint.md). */
uint32_t config_default_bcast(uint32_t addr);

/* Writes the usage text. */
void config_usage(FILE *out);

#endif
