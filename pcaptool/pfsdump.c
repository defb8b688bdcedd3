/*
 * pfsdump - tcpdump for PFS: print the Peer Firmware Sharing messages of
 * a capture (or a live interface), one line each, every field with -v,
 * JSON lines with --json; --summary reports the upgrade, --infer tells
 * the story of any port-4051 capture from its traffic pattern alone.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "dump.h"
#include "infer.h"
#include "session.h"
#include "summary.h"

enum exit_code {
    EXIT_PFS = 0,       /* PFS messages read (or a report made) */
    EXIT_READ = 1,      /* the capture could not be opened or read to its end */
    EXIT_USAGE = 2,
    EXIT_NO_PFS = 3     /* the capture read, but holds no PFS message */
};

enum mode { MODE_DUMP, MODE_SUMMARY, MODE_INFER };

struct config {
    const char *file;
    const char *iface;
    const char *filter;
    enum mode mode;
    int verbose;
    int json;
    int tcount;
    long count;          /* -c: stop after this many messages, 0 = all */
};

static struct cap_reader *g_reader;   /* for the signal handler only */

static void usage(FILE *out)
{
    fputs("Usage: pfsdump [OPTIONS] -r FILE\n"
          "       pfsdump [OPTIONS] -i IFACE\n"
          "Print the Peer Firmware Sharing (PFS) messages of a pcap or pcapng capture,\n"
          "one line each: time, addresses and libpfs's DLoad-style rendering. TCP\n"
          "streams are reassembled; TFTP (the WAN side) is decoded.\n"
          "\n"
          "Input:\n"
          "  -r FILE             read a capture ('-' for standard input)\n"
          "  -i IFACE            capture live (needs root or CAP_NET_RAW); Ctrl-C stops\n"
          "  -f FILTER           BPF filter (default: \"" CAP_DEFAULT_FILTER "\"); TCP ports a\n"
          "                      CLAIM or AD advertises and TFTP transfer ports are\n"
          "                      followed even when the filter does not name them\n"
          "  -c N                stop after N PFS messages\n"
          "Output:\n"
          "  -v                  every field of each message, under libpfs's table names;\n"
          "                      TFTP DATA/ACK and TCP connections too\n"
          "      --json          one JSON object per PFS message, one a line\n"
          "      --summary       a report: hierarchies, roots and trees, peers, messages\n"
          "                      by type, transfers, problems, what the capture missed\n"
          "      --infer         the story from traffic patterns alone (any capture of\n"
          "                      port 4051 and TFTP, real phones' too): election, trees\n"
          "                      per subnet, TFTP fetches, timeline; with --json as JSON\n"
          "  -n                  accepted for tcpdump habits: pfsdump never resolves names\n"
          "  -t                  no time; -tt seconds since the epoch; -ttt since the\n"
          "                      previous line; -tttt date and time; -ttttt since the\n"
          "                      first line (default: local time of day)\n"
          "  -h, --help          this text\n"
          "  -V, --version       version\n"
          "\n"
          "Exit status: 0 PFS messages read, 1 the capture could not be opened or was\n"
          "cut short (what was read is printed first), 2 usage error, 3 the capture\n"
          "holds no PFS message (empty, or nothing passed the filter).\n",
          out);
}

static int parse_args(int argc, char **argv, struct config *c)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'J'},
        {"summary", no_argument, NULL, 'S'},
        {"infer", no_argument, NULL, 'I'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    char *end;
    memset(c, 0, sizeof *c);
    while ((opt = getopt_long(argc, argv, "r:i:f:c:vntNhV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'r': c->file = optarg; break;
        case 'i': c->iface = optarg; break;
        case 'f': c->filter = optarg; break;
        case 'c':
            c->count = strtol(optarg, &end, 10);
            if (*end || c->count <= 0) {
                fprintf(stderr, "pfsdump: -c %s: not a positive count\n", optarg);
                return -1;
            }
            break;
        case 'v': c->verbose = 1; break;
        case 'n': case 'N': break;
        case 't': c->tcount++; break;
        case 'J': c->json = 1; break;
        case 'S': c->mode = MODE_SUMMARY; break;
        case 'I': c->mode = MODE_INFER; break;
        case 'h': usage(stdout); exit(EXIT_PFS);
        case 'V': printf("pfsdump %s\n", PFS_VERSION); exit(EXIT_PFS);
        default: usage(stderr); return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pfsdump: unexpected argument \"%s\" (the capture goes after -r)\n",
                argv[optind]);
        return -1;
    }
    if (!c->file == !c->iface) {
        fprintf(stderr, "pfsdump: give one of -r FILE or -i IFACE (see --help)\n");
        return -1;
    }
    if (c->tcount > 5) {
        fprintf(stderr, "pfsdump: at most five -t\n");
        return -1;
    }
    return 0;
}

static void on_signal(int sig)
{
    (void)sig;
    if (g_reader)
        cap_break(g_reader);
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* The capture read to its end without a PFS message: say so, exit 3. */
static int no_pfs(const struct config *c, struct cap_reader *r)
{
    fprintf(stderr, "pfsdump: %s: no PFS message in %llu frames (filter \"%s\")\n",
            c->file ? c->file : c->iface, (unsigned long long)cap_stats(r)->frames,
            c->filter ? c->filter : CAP_DEFAULT_FILTER);
    return EXIT_NO_PFS;
}

static int run_dump(const struct config *c, struct cap_reader *r)
{
    static const enum time_fmt tf[] = {TIME_CLOCK, TIME_NONE, TIME_EPOCH, TIME_DELTA,
                                       TIME_DATE, TIME_SINCE_FIRST};
    struct dump_printer p = {.out = stdout, .tfmt = tf[c->tcount], .verbose = c->verbose,
                             .json = c->json};
    struct cap_event ev;
    long msgs = 0;
    int rc;
    while ((rc = cap_next(r, &ev)) > 0) {
        msgs += dump_event(&p, &ev);
        if (c->count && msgs >= c->count)
            break;
    }
    if (rc < 0) {
        fflush(stdout);
        fprintf(stderr, "pfsdump: %s\n", cap_error(r));
        return EXIT_READ;
    }
    return msgs ? EXIT_PFS : no_pfs(c, r);
}

static int run_summary(const struct config *c, struct cap_reader *r)
{
    struct ses s;
    ses_init(&s);
    struct cap_event ev;
    int rc;
    while ((rc = cap_next(r, &ev)) > 0)
        ses_event(&s, &ev);
    ses_finish(&s);
    const char *src = c->file ? c->file : c->iface;
    if (c->json)
        summary_json(stdout, src, cap_stats(r), &s);
    else
        summary_text(stdout, src, cap_stats(r), &s);
    uint64_t msgs = s.udp_msgs + s.tcp_msgs;
    ses_free(&s);
    if (rc < 0) {
        fflush(stdout);
        fprintf(stderr, "pfsdump: %s\n", cap_error(r));
        return EXIT_READ;
    }
    return msgs ? EXIT_PFS : no_pfs(c, r);
}

static int run_infer(const struct config *c, struct cap_reader *r)
{
    struct infer *in = infer_new();
    if (!in) {
        fprintf(stderr, "pfsdump: out of memory\n");
        return EXIT_READ;
    }
    struct cap_event ev;
    int rc;
    while ((rc = cap_next(r, &ev)) > 0)
        infer_event(in, &ev);
    int any = infer_any(in);
    infer_report(in, stdout, c->json);
    infer_free(in);
    if (rc < 0) {
        fflush(stdout);
        fprintf(stderr, "pfsdump: %s\n", cap_error(r));
        return EXIT_READ;
    }
    return any ? EXIT_PFS : no_pfs(c, r);
}

int main(int argc, char **argv)
{
    struct config c;
    if (parse_args(argc, argv, &c) < 0)
        return EXIT_USAGE;
    struct cap_options opt;
    cap_options_init(&opt);
    opt.filter = c.filter;
    char err[512];
    struct cap_reader *r = c.file ? cap_open_file(c.file, &opt, err, sizeof err)
                                  : cap_open_live(c.iface, &opt, err, sizeof err);
    if (!r) {
        fprintf(stderr, "pfsdump: %s\n", err);
        return EXIT_READ;
    }
    if (c.iface)   /* as tcpdump does: the capture is running from here on */
        fprintf(stderr, "pfsdump: listening on %s, link-type %s, filter \"%s\"\n", c.iface,
                cap_stats(r)->linkname, c.filter ? c.filter : CAP_DEFAULT_FILTER);
    g_reader = r;
    catch_signals();
    int code = c.mode == MODE_SUMMARY ? run_summary(&c, r)
               : c.mode == MODE_INFER ? run_infer(&c, r) : run_dump(&c, r);
    g_reader = NULL;
    cap_close(r);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("pfsdump: standard output");
        return EXIT_READ;
    }
    return code;
}
