/*
 * config.c - table-driven parsing of pfsd's options.
 *
 * Each option is one row: name, whether it takes a value, and either a
 * numeric field with its range or a setter for the fields that need
 * checking (addresses, model, load name, folders).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "pfs.h"

typedef int opt_setter(struct pfsd_config *c, const char *v, char *err, size_t cap);

struct opt {
    const char *name;     /* without "--" */
    int has_arg;          /* 0: a flag, an int field at off set to 1 */
    size_t off;           /* long fields and flags: offset in struct pfsd_config */
    long min, max;
    opt_setter *set;      /* NULL: a long field or a flag at off */
};

static int set_str(char *dst, size_t cap, const char *v, const char *what, char *err, size_t ecap)
{
    size_t n = strlen(v);
    if (n == 0 || n >= cap) {
        snprintf(err, ecap, "--%s: value empty or longer than %zu bytes", what, cap - 1);
        return -1;
    }
    memcpy(dst, v, n + 1);
    return 0;
}

static int set_model(struct pfsd_config *c, const char *v, char *err, size_t cap)
{
    if (pfs_check_model(v, strlen(v)) != PFS_OK) {
        snprintf(err, cap, "--model '%s': 1..%d printable characters without space", v,
                 PFS_MODEL_MAX);
        return -1;
    }
    return set_str(c->model, sizeof c->model, v, "model", err, cap);
}

static int set_load(struct pfsd_config *c, const char *v, char *err, size_t cap)
{
    /* The load name becomes "/dnld/NAME" on the wire and a file in --dir. */
    if (strchr(v, '/') || pfs_check_path(v, strlen(v)) != PFS_OK ||
        strlen(v) + strlen(PFS_DNLD_PREFIX) > PFS_PATH_MAX) {
        snprintf(err, cap, "--load '%s': a bare file name of A-Z a-z 0-9 . _ - +", v);
        return -1;
    }
    /* A load is a .loads file: anything else would be fetched, then fail to parse. */
    size_t n = strlen(v), sfx = strlen(".loads");
    if (n <= sfx || strcmp(v + n - sfx, ".loads") != 0) {
        snprintf(err, cap, "--load '%s': must name a NAME.loads file", v);
        return -1;
    }
    return set_str(c->load, sizeof c->load, v, "load", err, cap);
}

static int set_hostport(const char *opt, const char *v, uint32_t *ip, uint16_t *port, char *err,
                        size_t cap)
{
    char nerr[NET_ERR_LEN];
    if (net_parse_hostport(nerr, v, ip, port) != NET_OK) {
        snprintf(err, cap, "--%s: %s", opt, nerr);
        return -1;
    }
    return 0;
}

static int set_tftp(struct pfsd_config *c, const char *v, char *err, size_t cap)
{
    return set_hostport("tftp", v, &c->tftp_ip, &c->tftp_port, err, cap);
}

static int set_logsrv(struct pfsd_config *c, const char *v, char *err, size_t cap)
{
    return set_hostport("log-server", v, &c->logsrv_ip, &c->logsrv_port, err, cap);
}

static int set_ip(const char *opt, const char *v, uint32_t *ip, char *err, size_t cap)
{
    char nerr[NET_ERR_LEN];
    if (net_parse_ipv4(nerr, v, ip) != NET_OK) {
        snprintf(err, cap, "--%s: %s", opt, nerr);
        return -1;
    }
    return 0;
}

static int set_addr(struct pfsd_config *c, const char *v, char *err, size_t cap)
{
    if (set_ip("addr", v, &c->addr, err, cap) != 0)
        return -1;
    if (c->addr == 0 || c->addr == 0xFFFFFFFFu) {
        snprintf(err, cap, "--addr %s: needs the endpoint's own unicast address", v);
        return -1;
    }
    return 0;
}

static int set_bcast(struct pfsd_config *c, const char *v, char *err, size_t cap)
{
    return set_ip("bcast", v, &c->bcast, err, cap);
}

static int set_dir(struct pfsd_config *c, const char *v, char *err, size_t cap)
{
    return set_str(c->dir, sizeof c->dir, v, "dir", err, cap);
}

static int set_log(struct pfsd_config *c, const char *v, char *err, size_t cap)
{
    return set_str(c->log_path, sizeof c->log_path, v, "log", err, cap);
}

static int set_summary(struct pfsd_config *c, const char *v, char *err, size_t cap)
{
    return set_str(c->summary, sizeof c->summary, v, "summary", err, cap);
}

static int set_port(struct pfsd_config *c, const char *v, char *err, size_t cap)
{
    char *end;
    errno = 0;
    long p = strtol(v, &end, 10);
    if (errno || end == v || *end || p < 1 || p > 65535) {
        snprintf(err, cap, "--port '%s': must be 1..65535", v);
        return -1;
    }
    c->port = (uint16_t)p;
    return 0;
}

static int set_xid(struct pfsd_config *c, const char *v, char *err, size_t cap)
{
    char *end;
    errno = 0;
    unsigned long x = strtoul(v, &end, 16);
    size_t n = strlen(v);
    /* 0 means "no root" on the wire and FFFFFFFF is the root strength. */
    if (errno || end == v || *end || n > 8 || v[0] == '-' || v[0] == '+' || x == 0 ||
        x == 0xFFFFFFFFul) {
        snprintf(err, cap, "--xid '%s': 1..8 hex digits, not 0 and not FFFFFFFF", v);
        return -1;
    }
    c->xid = (uint32_t)x;
    c->have_xid = 1;
    return 0;
}

static int set_seed(struct pfsd_config *c, const char *v, char *err, size_t cap)
{
    char *end;
    errno = 0;
    unsigned long long s = strtoull(v, &end, 10);
    if (errno || end == v || *end || v[0] == '-') {
        snprintf(err, cap, "--seed '%s': a decimal number", v);
        return -1;
    }
    c->seed = s;
    c->have_seed = 1;
    return 0;
}

/* A replay fixes the election values a capture shows, one per hierarchy. */
static int set_strength(struct pfsd_config *c, const char *v, char *err, size_t cap)
{
    const char *p = v;
    c->nstrength = 0;
    for (;;) {
        char *end;
        errno = 0;
        unsigned long s = strtoul(p, &end, 16);
        if (errno || end == p || end - p > 8 || *p == '-' || *p == '+' || s == 0 ||
            s >= PFS_STRENGTH_ROOT || c->nstrength == CFG_STRENGTH_MAX || (*end && *end != ',')) {
            snprintf(err, cap, "--strength '%s': up to %d comma-separated hex values 1..FFFFFFFE",
                     v, CFG_STRENGTH_MAX);
            return -1;
        }
        c->strength[c->nstrength++] = (uint32_t)s;
        if (!*end)
            return 0;
        p = end + 1;
    }
}

static int set_verbose(struct pfsd_config *c, const char *v, char *err, size_t cap)
{
    (void)v, (void)err, (void)cap;
    c->verbose++;
    return 0;
}

#define LONG_OPT(n, field, lo, hi) {n, 1, offsetof(struct pfsd_config, field), lo, hi, NULL}
#define SET_OPT(n, fn) {n, 1, 0, 0, 0, fn}
#define FLAG_OPT(n, field) {n, 0, offsetof(struct pfsd_config, field), 0, 0, NULL}

static const struct opt opts[] = {
    SET_OPT("model", set_model),
    SET_OPT("load", set_load),
    SET_OPT("tftp", set_tftp),
    SET_OPT("dir", set_dir),
    SET_OPT("addr", set_addr),
    SET_OPT("bcast", set_bcast),
    SET_OPT("port", set_port),
    SET_OPT("xid", set_xid),
    SET_OPT("seed", set_seed),
    SET_OPT("strength", set_strength),
    SET_OPT("log", set_log),
    SET_OPT("log-server", set_logsrv),
    SET_OPT("summary", set_summary),
    LONG_OPT("ad-interval", ad_interval, 1, 60000),
    LONG_OPT("ad-count", ad_count, 1, 255),
    LONG_OPT("root-wait", root_wait, 0, 3600000),
    LONG_OPT("join-timeout", join_timeout, 1, 600000),
    LONG_OPT("join-tries", join_tries, 0, 255),
    LONG_OPT("seek-timeout", seek_timeout, 1, 3600000),
    LONG_OPT("stall-timeout", stall_timeout, 1, 3600000),
    LONG_OPT("idle-timeout", idle_timeout, 1, 3600000),
    LONG_OPT("linger", linger, 0, 3600000),
    LONG_OPT("tftp-timeout", tftp_timeout, 1, 600000),
    LONG_OPT("tftp-retries", tftp_retries, 0, 100),
    LONG_OPT("blksize", blksize, 8, 65464),
    LONG_OPT("tx-rate", tx_rate, 0, 100000000),
    FLAG_OPT("no-pfs", no_pfs),
    FLAG_OPT("parallel-files", parallel_files),
    FLAG_OPT("cut-through", cut_through),
    {"v", 0, 0, 0, 0, set_verbose},
};
#define NOPTS (sizeof opts / sizeof opts[0])

uint32_t config_default_bcast(uint32_t addr)
{
    /* Loopback is one /8: every 127.x endpoint hears 127.255.255.255. */
    if ((addr >> 24) == 127)
        return 0x7FFFFFFFu;
    return addr | 0xFFu;
}

static void set_defaults(struct pfsd_config *c)
{
    memset(c, 0, sizeof *c);
    c->port = PFS_PORT;
    c->ad_interval = 250;
    c->ad_count = 4;
    c->root_wait = 10000;
    c->join_timeout = 2000;
    c->join_tries = 4;
    c->seek_timeout = 3000;
    c->stall_timeout = 5000;
    c->idle_timeout = 3000;
    c->linger = 2000;
    c->tftp_timeout = 1000;
    c->tftp_retries = 5;
    c->blksize = 1428;
}

static const struct opt *find_opt(const char *name, size_t len)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (strlen(opts[i].name) == len && memcmp(opts[i].name, name, len) == 0)
            return &opts[i];
    return NULL;
}

static int set_long(struct pfsd_config *c, const struct opt *o, const char *v, char *err,
                    size_t cap)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < o->min || x > o->max) {
        snprintf(err, cap, "--%s '%s': must be a number %ld..%ld", o->name, v, o->min, o->max);
        return -1;
    }
    *(long *)(void *)((char *)c + o->off) = x;
    return 0;
}

/* The options every run needs; a missing one is a usage error. */
static int check_required(const struct pfsd_config *c, char *err, size_t cap)
{
    const char *missing = !c->model[0] ? "model"
                          : !c->load[0] ? "load"
                          : !c->tftp_port ? "tftp"
                          : !c->dir[0] ? "dir"
                          : !c->addr ? "addr"
                                     : NULL;
    if (missing) {
        snprintf(err, cap, "missing --%s (see --help)", missing);
        return -1;
    }
    return 0;
}

/* Fills what depends on other options: default XID, seed, broadcast. */
static void derive(struct pfsd_config *c)
{
    long pid = (long)getpid();
    if (!c->bcast)
        c->bcast = config_default_bcast(c->addr);
    if (!c->have_xid) {
        /* Like a phone's MAC-based XID: unique per address, varied per run. */
        c->xid = ((c->addr & 0xFFFFu) << 16) | ((uint32_t)pid & 0xFFFFu);
        if (c->xid == 0 || c->xid == 0xFFFFFFFFu)
            c->xid = 1;
    }
    if (!c->have_seed)
        c->seed = ((uint64_t)time(NULL) << 20) ^ (uint64_t)pid ^ ((uint64_t)c->addr << 32);
}

/*
 * One "-v", "--name value" or "--name=value" at argv[*i]. An option given
 * twice is an error (which value was meant?), except -v, which counts.
 */
static int parse_one(struct pfsd_config *c, int argc, char **argv, int *i, unsigned char *seen,
                     char *err, size_t cap)
{
    const char *a = argv[*i];
    const char *name = a[0] == '-' && a[1] == '-' ? a + 2 : a[0] == '-' ? a + 1 : NULL;
    if (!name || !*name) {
        snprintf(err, cap, "unexpected argument '%s' (see --help)", a);
        return -1;
    }
    const char *eq = strchr(name, '=');
    size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
    const struct opt *o = find_opt(name, nlen);
    if (!o || (a[1] != '-' && strcmp(o->name, "v") != 0)) {
        snprintf(err, cap, "unknown option '%s' (see --help)", a);
        return -1;
    }
    const char *v = eq ? eq + 1 : NULL;
    if (o->has_arg && !v) {
        if (*i + 1 >= argc) {
            snprintf(err, cap, "--%s needs a value", o->name);
            return -1;
        }
        v = argv[++*i];
    } else if (!o->has_arg && v) {
        snprintf(err, cap, "%s%s takes no value", o->name[1] ? "--" : "-", o->name);
        return -1;
    }
    if (!o->has_arg && !o->set)
        *(int *)(void *)((char *)c + o->off) = 1;
    else if ((o->set ? o->set(c, v, err, cap) : set_long(c, o, v, err, cap)) != 0)
        return -1;
    if (seen[o - opts]++ && o->has_arg) {
        snprintf(err, cap, "--%s given twice", o->name);
        return -1;
    }
    return 0;
}

enum cfg_result config_parse(struct pfsd_config *c, int argc, char **argv, char *err,
                             size_t errcap)
{
    set_defaults(c);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return CFG_HELP;
        if (strcmp(argv[i], "--version") == 0)
            return CFG_VERSION;
    }
    unsigned char seen[NOPTS] = {0};
    for (int i = 1; i < argc; i++)
        if (parse_one(c, argc, argv, &i, seen, err, errcap) != 0)
            return CFG_ERROR;
    if (check_required(c, err, errcap) != 0)
        return CFG_ERROR;
    derive(c);
    return CFG_RUN;
}

void config_usage(FILE *out)
{
    fputs("usage: pfsd --model M --load NAME.loads --tftp HOST:PORT --dir DIR --addr A.B.C.D\n"
          "            [options]\n"
          "A Peer Firmware Sharing endpoint: fetches a load and its files like a Cisco\n"
          "3rd-gen phone reset for an upgrade, sharing them with its peers on the subnet.\n\n"
          "  --model M            phone model, e.g. CP-7961G (one hierarchy per model)\n"
          "  --load NAME.loads    load file to fetch, as /dnld/NAME.loads\n"
          "  --tftp HOST:PORT     TFTP server of the load and its files\n"
          "  --dir DIR            download folder; nothing is written elsewhere\n"
          "  --addr A.B.C.D       own address: TCP listen, source of datagrams\n"
          "  --bcast A.B.C.D      broadcast address (127.255.255.255 for 127.x,\n"
          "                       else the /24 broadcast of --addr)\n"
          "  --port N             PFS port, UDP and TCP (4051)\n"
          "  --xid HEX            own XID (default: from --addr and the pid)\n"
          "  --seed N             RNG seed for strength and map (default: time, pid)\n"
          "  --strength HEX,..    election value of hierarchy 1, 2, .. in load order\n"
          "                       (a replay's recorded claims); the rest from --seed\n"
          "  --log FILE           console log to FILE (default: stderr)\n"
          "  --log-server H:P     also send each line as RFC 3164 syslog to H:P\n"
          "  --summary FILE       JSON summary at exit\n"
          "  --ad-interval MS     between Ads of a claim (250)\n"
          "  --ad-count N         Ads before a claim is confirmed (4)\n"
          "  --root-wait MS       ROOT_WAITING before the root fetches (10000)\n"
          "  --join-timeout MS    TCP connect plus ACCEPT/REFUSE (2000)\n"
          "  --join-tries N       failed joins before TFTP fallback (4)\n"
          "  --seek-timeout MS    no parent candidate heard: TFTP fallback (3000)\n"
          "  --stall-timeout MS   no transfer progress from the parent (5000)\n"
          "  --idle-timeout MS    silent TCP peer is closed (3000)\n"
          "  --linger MS          stay after the last file for late joiners (2000)\n"
          "  --tftp-timeout MS    TFTP retransmit timeout (1000)\n"
          "  --tftp-retries N     TFTP retransmissions (5)\n"
          "  --blksize N          TFTP block size, RFC 2348 (1428)\n"
          "  --tx-rate KBPS       throttle sending to each child, 0 = unlimited (0)\n"
          "  --no-pfs             Peer Firmware Sharing disabled (as in CUCM): no election,\n"
          "                       no PFS socket, every file straight from the TFTP server\n"
          "  --parallel-files     elect and fetch every file of the load at once, as soon as\n"
          "                       the .loads is held (phones: one file after another)\n"
          "  --cut-through        forward a file to children while it still arrives; the\n"
          "                       end of it only once this copy passed its SHA-256\n"
          "  -v                   also log every claim and Ad heard\n"
          "  --help, --version\n\n"
          "exit: 0 every file verified, 1 a file could not be obtained, 2 usage,\n"
          "      3 startup failure (bind, folder), 4 stopped by a signal\n",
          out);
}
