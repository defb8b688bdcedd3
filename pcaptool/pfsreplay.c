/*
 * pfsreplay - re-drive a recorded PFS upgrade against a live endpoint.
 *
 * The recorded peers of a capture are played over real sockets against
 * the endpoint under test, which plays one recorded endpoint (--as XID);
 * each session passes or reports its first divergence by the rules of
 * docs/protocol.md. --raw sends the recorded datagrams as they are.
 * docs/pfsreplay.md describes it all.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "replay.h"

enum mode { M_REPLAY, M_RAW, M_PRINT_TARGET, M_FILES };

struct cli {
    enum mode mode;
    const char *file;
    const char *filter;
    uint32_t as;
    int have_as;
    uint32_t target;
    uint16_t port;
    int have_target;
    struct rp_maps maps;
    struct rp_opts o;
    int json;
    const char *files_dir;   /* --files: rebuild the served files here */
    const char *tftp;        /* --print-target: the TFTP server the target uses */
    const char *dir;         /* --print-target: the target's download folder */
    const char *load;        /* --print-target: the load, when the capture does not say */
};

static void usage(FILE *out)
{
    fprintf(out,
        "usage: pfsreplay FILE --as XID [--target ADDR] [options]   replay against a live endpoint\n"
        "       pfsreplay --print-target FILE --as XID [--tftp H:P] [--dir DIR] [--load L]\n"
        "       pfsreplay --raw FILE --target ADDR[:PORT] [--loop N] [options]\n"
        "       pfsreplay --files DIR FILE                          rebuild the served files\n\n"
        "Re-drives a recorded PFS upgrade: the recorded peers speak over real sockets,\n"
        "each from its own loopback address, to the endpoint under test, which plays\n"
        "the recorded endpoint XID (pfsd with the options --print-target prints).\n"
        "Each session passes or reports its first divergence: the frame, the message\n"
        "expected, the one received, and the rule of docs/protocol.md that decides.\n\n"
        "  --as XID            the recorded endpoint the target plays\n"
        "  --target ADDR[:P]   the target's address (default: the recorded one); loopback only\n"
        "  --map OLD=NEW       rewrite an address, a prefix (A.B.C.0/24=...) or an XID; repeatable\n"
        "  --speed X           pacing X times the recorded speed (default 1)\n"
        "  --topspeed          no pacing: each send as soon as its answers came\n"
        "  --slack MS          how much later than recorded an answer may come (3000)\n"
        "  --wait MS           how long to wait for the target's first message (10000)\n"
        "  --loop N            --raw: play the capture N times (1)\n"
        "  --raw               send the recorded datagrams as they are, no expectations\n"
        "  --files DIR         also write the files the peers served, rebuilt from DATA\n"
        "  --tftp HOST:PORT    --print-target: the TFTP server (default: the recorded one)\n"
        "  --dir DIR           --print-target: the target's download folder (default .)\n"
        "  -f FILTER           BPF filter for reading the capture (default: port 4051 or port 69)\n"
        "  --json              the statistics as one JSON document\n"
        "  -q                  no progress line on stderr\n"
        "  --help, --version\n\n"
        "Exit status: 0 every session passed (--raw: all sent), 1 a session diverged,\n"
        "2 bad usage or input (not a capture, truncated, empty, no PFS, unknown link\n"
        "type, non-loopback address, target refusing or silent), 3 local failure.\n");
}

static int parse_addr_port(const char *v, uint32_t *a, uint16_t *port)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", v);
    char *colon = strchr(buf, ':');
    if (colon) {
        char *end;
        errno = 0;
        long p = strtol(colon + 1, &end, 10);
        if (errno || end == colon + 1 || *end || p < 1 || p > 65535)
            return -1;
        *port = (uint16_t)p;
        *colon = 0;
    }
    struct in_addr in;
    if (inet_pton(AF_INET, buf, &in) != 1)
        return -1;
    *a = ntohl(in.s_addr);
    return 0;
}

static int parse_num(const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !(d >= lo && d <= hi))
        return -1;
    *out = d;
    return 0;
}

static int parse_xid(const char *v, uint32_t *x)
{
    if (strncmp(v, "XID", 3) == 0)
        v += 3;
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 16);
    if (errno || end == v || *end || strlen(v) > 8 || n == 0 || *v == '-' || *v == '+')
        return -1;
    *x = (uint32_t)n;
    return 0;
}

/* An option with a value: returns it and advances *i, or NULL with err set. */
static const char *value(int argc, char **argv, int *i, char *err, size_t cap)
{
    if (*i + 1 >= argc) {
        snprintf(err, cap, "%s needs a value", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

static int bad(char *err, size_t cap, const char *opt, const char *v, const char *why)
{
    snprintf(err, cap, "%s '%s': %s", opt, v, why);
    return -1;
}

static int parse_valued(struct cli *c, const char *a, const char *v, char *err, size_t cap)
{
    double d;
    if (!strcmp(a, "--as"))
        return parse_xid(v, &c->as) ? bad(err, cap, a, v, "an XID, 1..8 hex digits") : (c->have_as = 1, 0);
    if (!strcmp(a, "--target")) {
        c->have_target = 1;
        return parse_addr_port(v, &c->target, &c->port) ? bad(err, cap, a, v, "A.B.C.D[:PORT]") : 0;
    }
    if (!strcmp(a, "--map"))
        return rp_map_parse(&c->maps, v, err, cap);
    if (!strcmp(a, "--speed")) {
        if (parse_num(v, 0.001, 1000, &c->o.speed))
            return bad(err, cap, a, v, "a factor 0.001..1000");
        return 0;
    }
    if (!strcmp(a, "--slack") || !strcmp(a, "--wait")) {
        if (parse_num(v, 0, 3600000, &d))
            return bad(err, cap, a, v, "milliseconds 0..3600000");
        *(a[2] == 's' ? &c->o.slack_ns : &c->o.wait_ns) = (int64_t)(d * 1e6);
        return 0;
    }
    if (!strcmp(a, "--loop")) {
        if (parse_num(v, 1, 1e9, &d) || d != (double)(long)d)
            return bad(err, cap, a, v, "a count 1..1000000000");
        c->o.loop = (long)d;
        return 0;
    }
    if (!strcmp(a, "--files"))
        return c->files_dir = v, 0;
    if (!strcmp(a, "--tftp"))
        return c->tftp = v, 0;
    if (!strcmp(a, "--load"))
        return c->load = v, 0;
    if (!strcmp(a, "--dir"))
        return c->dir = v, 0;
    if (!strcmp(a, "-f"))
        return c->filter = v, 0;
    snprintf(err, cap, "unknown option '%s' (see --help)", a);
    return -1;
}

static int is_valued(const char *a)
{
    static const char *const names[] = {"--as", "--target", "--map", "--speed", "--slack",
                                        "--wait", "--loop", "--files", "--tftp", "--dir", "--load", "-f"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(a, names[i]))
            return 1;
    return 0;
}

/* Returns 0 to run, 1 after --help/--version, -1 on a usage error. */
static int parse_cli(struct cli *c, int argc, char **argv, char *err, size_t cap)
{
    memset(c, 0, sizeof *c);
    c->o = (struct rp_opts){.speed = 1.0, .loop = 1, .slack_ns = 3000000000LL,
                            .wait_ns = 10000000000LL};
    c->dir = ".";
    int files_only = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 1;
        }
        if (!strcmp(a, "--version")) {
            printf("pfsreplay %s\n", PFS_VERSION);
            return 1;
        }
        if (!strcmp(a, "--raw"))
            c->mode = M_RAW;
        else if (!strcmp(a, "--print-target"))
            c->mode = M_PRINT_TARGET;
        else if (!strcmp(a, "--topspeed"))
            c->o.topspeed = 1;
        else if (!strcmp(a, "--json"))
            c->json = 1;
        else if (!strcmp(a, "-q"))
            c->o.quiet = 1;
        else if (is_valued(a)) {
            const char *v = value(argc, argv, &i, err, cap);
            if (!v || parse_valued(c, a, v, err, cap) != 0)
                return -1;
            files_only |= !strcmp(a, "--files");
        } else if (a[0] == '-' && a[1]) {
            snprintf(err, cap, "unknown option '%s' (see --help)", a);
            return -1;
        } else if (!c->file) {
            c->file = a;
        } else {
            snprintf(err, cap, "one capture file only ('%s' and '%s')", c->file, a);
            return -1;
        }
    }
    if (!c->file) {
        snprintf(err, cap, "no capture file (see --help)");
        return -1;
    }
    if (c->mode == M_REPLAY && files_only && !c->have_as)
        c->mode = M_FILES;
    if (c->mode == M_RAW && !c->have_target) {
        snprintf(err, cap, "--raw needs --target ADDR[:PORT]");
        return -1;
    }
    if (c->mode != M_RAW && c->o.loop != 1) {
        snprintf(err, cap, "--loop needs --raw: a stateful replay needs a fresh endpoint each time");
        return -1;
    }
    if ((c->mode == M_REPLAY || c->mode == M_PRINT_TARGET) && !c->have_as) {
        snprintf(err, cap, "--as XID needed: which recorded endpoint the target plays");
        return -1;
    }
    c->o.target = c->target;
    c->o.port = c->port;
    return 0;
}

static void list_endpoints(const struct rp_endpoints *e, FILE *out)
{
    char ip[16];
    fprintf(out, "pfsreplay: recorded endpoints:");
    for (int i = 0; i < e->n; i++)
        fprintf(out, " XID%08X (%s)", e->ep[i].xid, rp_ip_str(e->ep[i].addr, ip, sizeof ip));
    fputc('\n', out);
}

static long ms_round(int64_t ns)
{
    return (long)((ns + 500000) / 1000000);
}

/* The pfsd command line that plays the recorded endpoint p. */
static void print_target(const struct cli *c, const struct rp_capture *cap,
                         const struct rp_endpoints *e, const struct rp_endpoint *p)
{
    char ip[16], tftp[64];
    if (c->tftp)
        snprintf(tftp, sizeof tftp, "%s", c->tftp);
    else if (cap->tftp.server)
        snprintf(tftp, sizeof tftp, "%s:%u", rp_ip_str(cap->tftp.server, ip, sizeof ip),
                 cap->tftp.port);
    else {
        snprintf(tftp, sizeof tftp, "HOST:PORT");
        fprintf(stderr, "pfsreplay: %s: no TFTP read request in the capture: give --tftp HOST:PORT\n",
                cap->path);
    }
    const char *load = c->load ? c->load : p->load[0] ? p->load : NULL;
    if (!load)
        fprintf(stderr, "pfsreplay: %s: no .loads read request by XID%08X in the capture: give "
                "--load NAME.loads\n", cap->path, p->xid);
    printf("pfsd --model %s --load %s --tftp %s --dir %s --addr %s --port %u --xid %08X",
           p->model, load ? load : "NAME.loads", tftp, c->dir, rp_ip_str(p->addr, ip, sizeof ip),
           p->port, p->xid);
    /* pfsd's --strength lists the components; an older recording's first
     * hierarchy is the .loads, which pfsd no longer elects. */
    int first = p->loads_hier ? 1 : 0;
    if (p->nhier > first) {
        printf(" --strength ");
        for (int i = first; i < p->nhier; i++)
            printf("%s%08x", i > first ? "," : "", p->strength[i] ? p->strength[i] : 1u);
    }
    /* Timers the capture shows: any endpoint's, since a lab gives all the same. */
    int64_t ad = p->ad_gap_ns, wait = p->root_wait_ns;
    int count = p->ad_count;
    for (int i = 0; i < e->n; i++) {
        if (!ad)
            ad = e->ep[i].ad_gap_ns;
        if (!wait)
            wait = e->ep[i].root_wait_ns;
        if (e->ep[i].ad_count > count)
            count = e->ep[i].ad_count;
    }
    if (ad)
        printf(" --ad-interval %ld", ms_round(ad));
    if (count)
        printf(" --ad-count %d", count);
    if (wait)
        printf(" --root-wait %ld", ms_round(wait));
    printf("\n");
}

/* --target: the recorded address of the endpoint under test becomes ADDR. */
static int remap_target(struct cli *c, struct rp_capture *cap, struct rp_endpoints *e,
                        char *err, size_t errcap)
{
    const struct rp_endpoint *p = rp_endpoint_by_xid(e, c->as);
    if (!p || !c->have_target || p->addr == c->target)
        return 0;
    char m[64], a[16], b[16];
    snprintf(m, sizeof m, "%s=%s", rp_ip_str(p->addr, a, sizeof a), rp_ip_str(c->target, b, sizeof b));
    if (rp_map_parse(&c->maps, m, err, errcap) != 0)
        return -1;
    rp_capture_free(cap);
    if (rp_load(cap, c->file, c->filter, &c->maps, err, errcap) != 0)
        return -1;
    rp_endpoints_build(cap, e);
    return 0;
}

static int run_replay(struct cli *c, struct rp_capture *cap, struct rp_endpoints *e, char *err,
                      size_t cap_len)
{
    struct rp_script s;
    struct rp_stats st;
    memset(&st, 0, sizeof st);
    if (rp_script_build(&s, cap, e, c->as, err, cap_len) != 0) {
        list_endpoints(e, stderr);
        return RP_EXIT_INPUT;
    }
    int rc = rp_run(&s, cap, &c->o, &st, err, cap_len);
    if (rc == RP_EXIT_PASS || rc == RP_EXIT_DIVERGED) {
        if (c->json)
            rp_report_json(stdout, cap, &s, &st, &c->o, rc);
        else
            rp_report_text(stdout, &s, &st, &c->o);
    }
    rp_script_free(&s);
    rp_stats_free(&st);
    return rc;
}

static int run_raw(struct cli *c, struct rp_capture *cap, char *err, size_t cap_len)
{
    struct rp_stats st;
    memset(&st, 0, sizeof st);
    int rc = rp_raw(cap, &c->o, &st, err, cap_len);
    if (rc == RP_EXIT_PASS) {
        if (c->json)
            rp_report_json(stdout, cap, NULL, &st, &c->o, rc);
        else
            rp_report_text(stdout, NULL, &st, &c->o);
        if (st.failed)
            rc = RP_EXIT_DIVERGED;
    }
    rp_stats_free(&st);
    return rc;
}

static int run(struct cli *c, char *err, size_t errcap)
{
    struct rp_capture cap;
    if (rp_load(&cap, c->file, c->filter, &c->maps, err, errcap) != 0)
        return RP_EXIT_INPUT;
    struct rp_endpoints *e = calloc(1, sizeof *e);
    if (!e) {
        rp_capture_free(&cap);
        snprintf(err, errcap, "out of memory");
        return RP_EXIT_SYSTEM;
    }
    rp_endpoints_build(&cap, e);
    int rc = RP_EXIT_PASS;
    if (c->mode != M_RAW && remap_target(c, &cap, e, err, errcap) != 0)
        rc = RP_EXIT_INPUT;
    if (rc == RP_EXIT_PASS && c->files_dir &&
        rp_files_rebuild(&cap, c->files_dir, stderr, err, errcap) != 0)
        rc = RP_EXIT_SYSTEM;
    if (rc == RP_EXIT_PASS) {
        const struct rp_endpoint *p = c->have_as ? rp_endpoint_by_xid(e, c->as) : NULL;
        switch (c->mode) {
        case M_PRINT_TARGET:
            if (p)
                print_target(c, &cap, e, p);
            else {
                snprintf(err, errcap, "%.300s: XID%08X sends no PFS message in the capture", cap.path, c->as);
                list_endpoints(e, stderr);
                rc = RP_EXIT_INPUT;
            }
            break;
        case M_RAW:
            rc = run_raw(c, &cap, err, errcap);
            break;
        case M_REPLAY:
            rc = run_replay(c, &cap, e, err, errcap);
            break;
        case M_FILES:
            break;
        }
    }
    free(e);
    rp_capture_free(&cap);
    return rc;
}

int main(int argc, char **argv)
{
    char err[RP_ERR_LEN] = "";
    struct cli *c = calloc(1, sizeof *c);
    if (!c) {
        fprintf(stderr, "pfsreplay: out of memory\n");
        return RP_EXIT_SYSTEM;
    }
    int rc = parse_cli(c, argc, argv, err, sizeof err);
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "pfsreplay: %s\n", err);
        free(c);
        return rc < 0 ? RP_EXIT_INPUT : RP_EXIT_PASS;
    }
    /* Fine-grained wake-ups for pacing: the default 50 us slack is a quarter of the budget. */
    (void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    rc = run(c, err, sizeof err);
    if (err[0] && rc != RP_EXIT_PASS && rc != RP_EXIT_DIVERGED)
        fprintf(stderr, "pfsreplay: %s\n", err);
    free(c);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "pfsreplay: standard output: write error\n");
        return RP_EXIT_SYSTEM;
    }
    return rc;
}
