/*
 * pfslog - rebuild PFS hierarchies from DLoad console logs and say what
 * went wrong.
 *
 *   pfslog [OPTIONS] [LOG...]        files, "-" for stdin, .gz read as is
 *   pfslog --listen udp:5514         act as the phones' Log Server
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "input.h"
#include "listen.h"
#include "live.h"
#include "report.h"

enum exit_code { EXIT_REPORT = 0, EXIT_ERRORS = 1, EXIT_USAGE = 2 };
enum out_kind { OUT_TEXT, OUT_JSON, OUT_DOT, OUT_TIMELINE };
enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct config {
    enum out_kind out;
    int json;                   /* --json (also with --timeline/--listen) */
    int verbose;
    enum color_mode color;
    const char *listen;
    const char *html;           /* --html FILE */
    struct plog_filter filter;
    struct plog_when since, until;  /* --since, --until */
    char **inputs;
    size_t ninputs;
    char *stdin_only[1];
};

/*
 * --timeline: lines are written as they are applied, but the lines a
 * phone prints before its first XID (a console log's first traces and
 * state dumps) are held until that XID is known, so that they name their
 * phone too. Everything after the first held line waits with them, to
 * keep the time order; at most HOLD_MAX lines wait.
 */
#define HOLD_MAX 4096
struct held {
    struct plog_event e;
    uint32_t phone, hier;
};

struct run {
    const struct config *cfg;
    struct plog_reader reader;
    struct plog_model model;
    int live;                   /* --listen: print as the tree forms */
    struct plog_live view;      /* --listen's live view */
    struct held *held;          /* --timeline: lines waiting for their phone's XID */
    size_t nheld, cap_held;
    uint64_t outside;           /* events --since/--until left out */
    uint64_t written;           /* --timeline: lines written */
};

static void usage(FILE *out)
{
    fputs("Usage: pfslog [OPTIONS] [LOG...]\n"
          "       pfslog --listen [udp:[ADDR:]]PORT [OPTIONS]\n"
          "Rebuild Peer Firmware Sharing hierarchies from DLoad console logs (files,\n"
          "'-' for stdin, gzip read transparently, syslog headers understood) and\n"
          "report who was root, who got each file from whom, who went to TFTP and why.\n"
          "\n"
          "Output (default: verdict, one tree per hierarchy, diagnostics):\n"
          "      --json            one JSON document (docs/pfslog-json.md)\n"
          "      --dot             Graphviz: one digraph, a cluster per hierarchy\n"
          "      --timeline        merged, time-ordered event list across phones\n"
          "      --html FILE       also write a self-contained HTML page: verdict, trees,\n"
          "                        a timeline of every download, diagnostics with evidence\n"
          "      --color=WHEN      auto (default; off with NO_COLOR), always, never\n"
          "  -v, --verbose         list lines that could not be placed (file:line)\n"
          "Filters:\n"
          "      --file PATTERN    hierarchies whose file matches (glob or substring)\n"
          "      --xid XID         one phone's story (080027F8): its path to the root,\n"
          "                        parents, refusals, each with its log line\n"
          "      --model MODEL     hierarchies of one phone model (CP-7961G)\n"
          "      --since WHEN      lines from WHEN on: YYYY-MM-DD[ HH:MM[:SS]], or\n"
          "                        HH:MM[:SS] on the first day (headers date the lines)\n"
          "      --until WHEN      lines before WHEN\n"
          "Live:\n"
          "      --listen SPEC     be the phones' Log Server: PORT, udp:PORT,\n"
          "                        udp:ADDR:PORT or udp:[IPv6]:PORT. On a terminal the\n"
          "                        trees are redrawn in place as they form, else each\n"
          "                        event is a line (--json: JSON Lines); datagrams lost\n"
          "                        are counted; Ctrl-C prints the final report\n"
          "  -h, --help            this text\n"
          "  -V, --version         version\n"
          "\n"
          "Exit status: 0 report made, 1 report made with error diagnostics,\n"
          "2 usage error or unreadable input.\n",
          out);
}

static int parse_xid(const char *s, uint32_t *x)
{
    if (strncasecmp(s, "XID", 3) == 0)
        s += 3;
    char *end;
    unsigned long v = strtoul(s, &end, 16);
    if (!*s || *end || strlen(s) > 8)
        return -1;
    *x = (uint32_t)v;
    return 0;
}

/* Command line into cfg; EXIT_REPORT to go on, or the code to exit with. */
static int parse_args(int argc, char **argv, struct config *cfg, int *done)
{
    enum { O_JSON = 256, O_DOT, O_TIMELINE, O_FILE, O_XID, O_MODEL, O_LISTEN, O_COLOR, O_SINCE,
           O_UNTIL, O_HTML };
    static const struct option opts[] = {
        {"json", no_argument, NULL, O_JSON},       {"dot", no_argument, NULL, O_DOT},
        {"timeline", no_argument, NULL, O_TIMELINE}, {"file", required_argument, NULL, O_FILE},
        {"xid", required_argument, NULL, O_XID},   {"model", required_argument, NULL, O_MODEL},
        {"listen", required_argument, NULL, O_LISTEN},
        {"color", required_argument, NULL, O_COLOR}, {"verbose", no_argument, NULL, 'v'},
        {"since", required_argument, NULL, O_SINCE}, {"until", required_argument, NULL, O_UNTIL},
        {"html", required_argument, NULL, O_HTML},
        {"help", no_argument, NULL, 'h'},          {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    memset(cfg, 0, sizeof *cfg);
    *done = 0;
    int c;
    while ((c = getopt_long(argc, argv, "vhV", opts, NULL)) != -1) {
        switch (c) {
        case O_JSON: cfg->json = 1; break;
        case O_DOT: cfg->out = OUT_DOT; break;
        case O_TIMELINE: cfg->out = OUT_TIMELINE; break;
        case O_FILE: cfg->filter.file = optarg; break;
        case O_MODEL: cfg->filter.model = optarg; break;
        case O_LISTEN: cfg->listen = optarg; break;
        case O_HTML: cfg->html = optarg; break;
        case O_XID:
            if (parse_xid(optarg, &cfg->filter.xid) != 0) {
                fprintf(stderr, "pfslog: --xid %s: expected 8 hex digits\n", optarg);
                return EXIT_USAGE;
            }
            cfg->filter.has_xid = 1;
            break;
        case O_COLOR:
            if (strcmp(optarg, "auto") == 0)
                cfg->color = COLOR_AUTO;
            else if (strcmp(optarg, "always") == 0)
                cfg->color = COLOR_ALWAYS;
            else if (strcmp(optarg, "never") == 0)
                cfg->color = COLOR_NEVER;
            else {
                fprintf(stderr, "pfslog: --color %s: expected auto, always or never\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case O_SINCE:
        case O_UNTIL:
            if (plog_when_parse(optarg, c == O_UNTIL, c == O_SINCE ? &cfg->since : &cfg->until) != 0) {
                fprintf(stderr, "pfslog: --%s %s: expected YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] or "
                                "HH:MM[:SS]\n", c == O_SINCE ? "since" : "until", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'v': cfg->verbose = 1; break;
        case 'h':
            usage(stdout);
            *done = 1;
            return EXIT_REPORT;
        case 'V':
            printf("pfslog (pfs-toolkit) " PFS_VERSION "\n");
            *done = 1;
            return EXIT_REPORT;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (cfg->json && cfg->out == OUT_DOT) {
        fprintf(stderr, "pfslog: --json and --dot exclude each other\n");
        return EXIT_USAGE;
    }
    if (cfg->json && cfg->out == OUT_TEXT)
        cfg->out = OUT_JSON;
    cfg->inputs = argv + optind;
    cfg->ninputs = (size_t)(argc - optind);
    if (cfg->listen && cfg->ninputs) {
        fprintf(stderr, "pfslog: --listen takes no log files\n");
        return EXIT_USAGE;
    }
    if (!cfg->listen && cfg->ninputs == 0) {
        if (isatty(STDIN_FILENO)) {
            fprintf(stderr, "pfslog: no log given (a file, '-' for stdin, or --listen)\n");
            usage(stderr);
            return EXIT_USAGE;
        }
        cfg->stdin_only[0] = "-";
        cfg->inputs = cfg->stdin_only;
        cfg->ninputs = 1;
    }
    return EXIT_REPORT;
}

static void on_unplaced(void *ctx, struct plog_ref ref, const char *why, const char *line,
                        size_t len)
{
    const struct run *run = ctx;
    fprintf(stderr, "pfslog: %s:%llu: %s: ", plog_src_name(&run->reader, ref.src),
            (unsigned long long)ref.line, why);
    for (size_t i = 0; i < len && i < 160; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c >= 0x20 && c < 0x7f)
            fputc(c, stderr);
        else
            fprintf(stderr, "\\x%02x", c);
    }
    fputs(len > 160 ? "...\n" : "\n", stderr);
}

static int phone_named(const struct run *run, uint32_t ph)
{
    uint32_t x;
    return ph == PLOG_NONE || plog_phone_xid(&run->model, ph, &x);
}

static void write_line(struct run *run, const struct plog_event *e, uint32_t ph, uint32_t hi)
{
    if (plog_event_selected(&run->model, &run->cfg->filter, e, ph, hi)) {
        plog_timeline_line(stdout, &run->reader, &run->model, e, ph, run->cfg->json);
        run->written++;
    }
}

static void flush_held(struct run *run)
{
    for (size_t i = 0; i < run->nheld; i++)
        write_line(run, &run->held[i].e, run->held[i].phone, run->held[i].hier);
    run->nheld = 0;
}

static void timeline(struct run *run, const struct plog_event *e)
{
    uint32_t ph = run->model.last_phone, hi = run->model.last_hier;
    if (!run->nheld && phone_named(run, ph)) {
        write_line(run, e, ph, hi);
        return;
    }
    if (plog_grow(&run->held, &run->cap_held, run->nheld, sizeof *run->held) != 0) {
        flush_held(run);
        write_line(run, e, ph, hi);
        return;
    }
    run->held[run->nheld++] = (struct held){*e, ph, hi};
    int waiting = 0;
    for (size_t i = 0; i < run->nheld && !waiting; i++)
        waiting = !phone_named(run, run->held[i].phone);
    if (!waiting || run->nheld >= HOLD_MAX)
        flush_held(run);
}

static void on_event(void *ctx, const struct plog_event *e)
{
    struct run *run = ctx;
    /* --since/--until: the report is about that window alone */
    if (!plog_time_in(&run->reader, &run->cfg->since, e->t) ||
        !plog_time_in(&run->reader, &run->cfg->until, e->t)) {
        run->outside++;
        return;
    }
    plog_model_apply(&run->model, e, &run->reader);
    if (run->cfg->out == OUT_TIMELINE && !run->live)
        timeline(run, e);
}

/* --listen: each event that shapes a tree, as it arrives. */
static void on_live(void *ctx, const struct plog_event *e, uint32_t hier, uint32_t phone)
{
    struct run *run = ctx;
    if (run->live && plog_event_selected(&run->model, &run->cfg->filter, e, phone, hier))
        plog_live_event(&run->view, e);
}

static void on_tick(void *ctx, const struct plog_listen *l, int last)
{
    struct run *run = ctx;
    plog_live_tick(&run->view, l, last);
}

/*
 * The JSON document on one line, as the last of --listen --json's JSON
 * Lines: the document's newlines are only layout (its strings escape
 * theirs).
 */
static void json_one_line(struct run *run)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return;
    plog_report_json(mem, &run->model, &run->reader, &run->cfg->filter);
    if (fclose(mem) == 0) {
        for (size_t i = 0; i + 1 < len; i++)
            if (text[i] != '\n')
                fputc(text[i], stdout);
        fputc('\n', stdout);
    }
    free(text);
}

static int want_color(const struct config *cfg)
{
    if (cfg->color != COLOR_AUTO)
        return cfg->color == COLOR_ALWAYS;
    const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
    if (nc && nc[0])
        return 0;
    if (term && strcmp(term, "dumb") == 0)
        return 0;
    return isatty(STDOUT_FILENO);
}

/* Tree symbols need a UTF-8 locale; C.UTF-8 exists on every glibc system. */
static int utf8_locale(void)
{
    if (setlocale(LC_CTYPE, "") && strcmp(nl_langinfo(CODESET), "UTF-8") == 0)
        return 1;
    return setlocale(LC_CTYPE, "C.UTF-8") != NULL;
}

/*
 * A report into a file or a pipe goes out in pieces of OUT_BUF bytes
 * rather than stdio's default (the file system's block, 4 KiB): a big
 * site's JSON document is tens of megabytes, 20 000 system calls of 4 KiB
 * at 5 000 phones. Not a terminal, nor --listen, whose events go out as
 * they come. The buffer stays stdout's until exit; without it, stdio's
 * own is used.
 */
#define OUT_BUF (256u << 10)
static void buffer_stdout(const struct config *cfg)
{
    if (cfg->listen || isatty(STDOUT_FILENO))
        return;
    char *buf = malloc(OUT_BUF);
    if (buf && setvbuf(stdout, buf, _IOFBF, OUT_BUF) != 0)
        free(buf);
}

/* The text report's width: the terminal's, else $COLUMNS, else 80. */
static int out_width(void)
{
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
        return ws.ws_col;
    const char *c = getenv("COLUMNS");
    long v = c ? strtol(c, NULL, 10) : 0;
    return v >= 40 && v <= 1000 ? (int)v : 80;
}

/*
 * --html FILE: written beside FILE first and renamed onto it, so that a
 * failure leaves no half page behind. 0, or -1 after a one-line message.
 */
static int write_html(struct run *run)
{
    const char *path = run->cfg->html;
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    char err[256] = "";
    if (!tmp) {
        fprintf(stderr, "pfslog: %s: out of memory\n", path);
        return -1;
    }
    snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    int rc = -1;
    if (!f) {
        snprintf(err, sizeof err, "%s", strerror(errno));
    } else {
        int ok = plog_report_html(f, &run->model, &run->reader, &run->cfg->filter, err,
                                  sizeof err) == 0;
        if (ferror(f) && !err[0])
            snprintf(err, sizeof err, "cannot write");
        if (fclose(f) != 0 && !err[0])
            snprintf(err, sizeof err, "%s", strerror(errno));
        if (ok && !err[0] && rename(tmp, path) == 0)
            rc = 0;
        else if (!err[0])
            snprintf(err, sizeof err, "%s", strerror(errno));
        if (rc != 0)
            unlink(tmp);
    }
    if (rc != 0)
        fprintf(stderr, "pfslog: %s: %s\n", path, err);
    free(tmp);
    return rc;
}

static int report(struct run *run)
{
    const struct config *cfg = run->cfg;
    struct plog_out_opts o = {want_color(cfg), utf8_locale(), cfg->verbose, out_width()};
    switch (cfg->out) {
    case OUT_JSON:
        if (cfg->listen)
            json_one_line(run);
        else
            plog_report_json(stdout, &run->model, &run->reader, &cfg->filter);
        break;
    case OUT_DOT: plog_report_dot(stdout, &run->model, &cfg->filter); break;
    case OUT_TIMELINE: break;
    case OUT_TEXT: plog_report_text(stdout, &run->model, &run->reader, &cfg->filter, &o); break;
    }
    return plog_error_count(&run->model, &cfg->filter) ? EXIT_ERRORS : EXIT_REPORT;
}

int main(int argc, char **argv)
{
    struct config cfg;
    int done;
    int rc = parse_args(argc, argv, &cfg, &done);
    if (rc != EXIT_REPORT || done)
        return rc;
    buffer_stdout(&cfg);
    char err[512];
    struct run run;
    memset(&run, 0, sizeof run);
    /* --listen's senders stay until the report has named them */
    struct plog_listen l;
    memset(&l, 0, sizeof l);
    run.cfg = &cfg;
    if (plog_reader_init(&run.reader, err, sizeof err) != 0) {
        fprintf(stderr, "pfslog: %s\n", err);
        return EXIT_USAGE;
    }
    run.reader.unplaced = cfg.verbose ? on_unplaced : NULL;
    run.reader.unplaced_ctx = &run;
    plog_model_init(&run.model);
    if (cfg.listen) {
        run.live = 1;
        run.model.live = on_live;
        run.model.live_ctx = &run;
        run.view = (struct plog_live){stdout, !cfg.json && isatty(STDOUT_FILENO), cfg.json,
                                      utf8_locale(), &cfg.filter, &run.reader, &run.model, 0};
        memset(&l, 0, sizeof l);
        l.spec = cfg.listen;
        l.reader = &run.reader;
        l.on_event = on_event;
        l.on_tick = on_tick;
        l.ctx = &run;
        int lrc = plog_listen_run(&l, err, sizeof err);
        if (lrc != 0) {
            fprintf(stderr, "pfslog: %s\n", err);
            rc = EXIT_USAGE;
            goto out;
        }
        run.live = 0;
        if (cfg.out == OUT_TIMELINE)
            cfg.out = cfg.json ? OUT_JSON : OUT_TEXT;
        if (!cfg.json)
            fputc('\n', stdout);
    } else if (plog_check_inputs(cfg.inputs, cfg.ninputs, err, sizeof err) != 0 ||
               plog_run_inputs(cfg.inputs, cfg.ninputs, &run.reader, on_event, &run, err,
                               sizeof err) != 0) {
        fprintf(stderr, "pfslog: %s\n", err);
        rc = EXIT_USAGE;
        goto out;
    }
    flush_held(&run);
    cfg.filter.window = cfg.since.set || cfg.until.set;
    cfg.filter.outside = run.outside;
    /* a timeline that a filter left empty says so, beside its (empty) output */
    if (cfg.out == OUT_TIMELINE && run.written == 0 && run.reader.stats.lines > 0 &&
        (cfg.filter.file || cfg.filter.model || cfg.filter.has_xid || cfg.filter.window))
        fprintf(stderr, "pfslog: no line matches the filter (--file, --model, --xid, --since, "
                        "--until) in the input\n");
    for (size_t i = 0; i < run.reader.ncuts; i++)
        plog_model_input_cut(&run.model, run.reader.cuts[i]);
    plog_model_finish(&run.model);
    if (run.model.oom) {
        fprintf(stderr, "pfslog: out of memory\n");
        rc = EXIT_USAGE;
        goto out;
    }
    if (cfg.html && write_html(&run) != 0) {
        rc = EXIT_USAGE;
        goto out;
    }
    rc = report(&run);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "pfslog: cannot write the report\n");
        rc = EXIT_USAGE;
    }
out:
    plog_listen_free(&l);
    free(run.held);
    plog_model_free(&run.model);
    plog_reader_free(&run.reader);
    return rc;
}
