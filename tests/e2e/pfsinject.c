/*
 * pfsinject - a hostile peer for the end-to-end fault tests.
 *
 *   pfsinject garbage --to A.B.C.D:PORT --count N [--seed S] [--from A.B.C.D]
 *                     [--model M] [--file F] [--gap-us U]
 *       Sends N malformed datagrams: real messages built with pfs_encode,
 *       then truncated, given a bad magic, version, length, type, state,
 *       string or TLV, or plain random bytes. Every one is checked to fail
 *       pfs_decode before it is sent, so a receiver that accepts any of
 *       them has a bug.
 *
 *   pfsinject push --to A.B.C.D:PORT [--model M] [--file F] [--hier HEX]
 *                  [--xid HEX] [--size N] [--seed S] [--join] [--timeout MS]
 *       Connects as a stranger and pushes a whole transfer (XFRCMD, DATA...,
 *       XFREND) that nobody asked for; with --join it first asks for a
 *       child slot and then pushes on that child connection. Exits 0 when
 *       the peer refuses (ABORT, REFUSE or closing), 1 when it takes the
 *       data (VERDICT) or says nothing at all.
 *
 *   pfsinject flood --to A.B.C.D:PORT --count N [--from A.B.C.D] [--model M]
 *                   [--file F]... [--seed S] [--gap-us U]
 *       Sends N ClaimRoot(tent) datagrams, each from a new random XID with
 *       a strong random strength, for the hierarchies of the --file names
 *       (every fourth for a random file nobody runs): strangers hijacking
 *       the election of a site.
 *
 *   pfsinject forge --to A.B.C.D:PORT --from A.B.C.D --file NAME.loads
 *                   [--file evil.sbn]... [--model M] [--size N] [--seed S]
 *                   [--timeout MS]
 *       A stranger that claims to be the confirmed root (XID 00000001,
 *       strength FFFFFFFF) of the hierarchy of every --file, every 250 ms,
 *       listens on --from:PORT, ACCEPTs every JOIN and serves a forged file:
 *       for a .loads a load that names the first other --file (evil.sbn by
 *       default) with that file's size and SHA-256, for any other name --size
 *       random bytes. Runs for --timeout ms and prints how many joins it
 *       took and what it served; exit 0.
 *
 *   pfsinject fakeroot --to BCAST:PORT --from A.B.C.D [--model M] [--xid HEX]
 *                      [--timeout MS]
 *       A silent fake root: for every hierarchy of model M it hears a claim
 *       or AD for, it answers with a confirmed root claim (XID 00000001 by
 *       default, strength FFFFFFFF, depth 0, two free slots) and repeats it
 *       every 250 ms; it ACCEPTs every JOIN on its TCP port (from:PORT) and
 *       then says nothing. Runs for --timeout ms, then prints what it did.
 *
 * Exit codes: 0 done / refused, 1 accepted, 2 usage, 3 socket failure.
 * Only loopback addresses are accepted as targets.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pfs.h"
#include "sha256.h"

enum exit_code { EXIT_DONE = 0, EXIT_ACCEPTED = 1, EXIT_USAGE = 2, EXIT_SOCKET = 3 };

enum mode { MODE_NONE, MODE_GARBAGE, MODE_PUSH, MODE_FLOOD, MODE_FORGE, MODE_FAKEROOT };

#define FILES_MAX 8

#define ERRLEN 256
#define PUSH_MAX (4u * 1024u * 1024u)
#define MSG_CAP (PFS_HDR_LEN + 64 + PFS_DATA_MAX) /* largest message pfsinject sends or reads */

struct config {
    enum mode mode;
    struct sockaddr_in to;
    struct sockaddr_in from;
    int have_from;
    unsigned long count;
    unsigned long seed;
    unsigned long gap_us;
    const char *model;
    const char *file;
    const char *files[FILES_MAX];  /* every --file, for flood and forge */
    int nfiles;
    uint32_t hier;
    int have_hier;
    uint32_t xid;
    uint32_t size;
    int join;
    int timeout_ms;
};

/* xorshift64*: reproducible garbage from --seed, no global state. */
struct rng {
    uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1DULL;
}

static uint32_t rng_below(struct rng *r, uint32_t n)
{
    return n ? (uint32_t)(rng_next(r) % n) : 0;
}

static void rng_fill(struct rng *r, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rng_next(r);
}

/* ---- command line ---- */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: pfsinject garbage --to A.B.C.D:PORT --count N [--seed S] [--from A.B.C.D]\n"
            "                         [--model M] [--file F] [--gap-us U]\n"
            "       pfsinject push --to A.B.C.D:PORT [--model M] [--file F] [--hier HEX]\n"
            "       pfsinject flood --to A.B.C.D:PORT --count N [--from A] [--file F]...\n"
            "       pfsinject forge --to A.B.C.D:PORT --from A --file NAME.loads [--file F]...\n"
            "                      [--xid HEX] [--size N] [--seed S] [--join] [--timeout MS]\n"
            "       pfsinject fakeroot --to BCAST:PORT --from A.B.C.D [--model M] [--xid HEX]\n"
            "                          [--timeout MS]\n"
            "       pfsinject --help | --version\n"
            "Targets must be loopback addresses (127.0.0.0/8).\n");
}

static int fail_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail_usage(const char *fmt, ...)
{
    va_list ap;
    fputs("pfsinject: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see --help)\n", stderr);
    return -1;
}

static int parse_ulong(const char *s, int base, unsigned long max, unsigned long *v)
{
    char *end;
    errno = 0;
    unsigned long x = strtoul(s, &end, base);
    if (errno || end == s || *end || x > max || s[0] == '-')
        return -1;
    *v = x;
    return 0;
}

static int parse_loopback(const char *s, struct sockaddr_in *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    if (inet_pton(AF_INET, s, &sa->sin_addr) != 1)
        return -1;
    return (ntohl(sa->sin_addr.s_addr) >> 24) == 127 ? 0 : -1;
}

static int parse_hostport(const char *s, struct sockaddr_in *sa)
{
    char host[64];
    const char *colon = strrchr(s, ':');
    unsigned long port;
    if (!colon || (size_t)(colon - s) >= sizeof host)
        return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    if (parse_loopback(host, sa) < 0 || parse_ulong(colon + 1, 10, 65535, &port) < 0 || !port)
        return -1;
    sa->sin_port = htons((uint16_t)port);
    return 0;
}

static void config_defaults(struct config *c)
{
    memset(c, 0, sizeof *c);
    c->count = 1000;
    c->seed = 1;
    c->gap_us = 50;
    c->model = "CP-7961G";
    c->file = "/dnld/SCCP41.9-4-2SR2-2S.loads";
    c->xid = 0x0BADBEEFu;
    c->size = 65536;
    c->timeout_ms = 10000;
}

/* One option with a value; returns 0, or -1 after an error message. */
static int parse_option(struct config *c, const char *opt, const char *val)
{
    unsigned long v;
    if (!strcmp(opt, "--to"))
        return parse_hostport(val, &c->to) ? fail_usage("--to %s: not a loopback A.B.C.D:PORT", val) : 0;
    if (!strcmp(opt, "--from")) {
        c->have_from = 1;
        return parse_loopback(val, &c->from) ? fail_usage("--from %s: not a loopback address", val) : 0;
    }
    if (!strcmp(opt, "--model")) {
        c->model = val;
        return pfs_check_model(val, strlen(val)) ? fail_usage("--model %s: not a model", val) : 0;
    }
    if (!strcmp(opt, "--file")) {
        c->file = val;
        if (c->nfiles == FILES_MAX)
            return fail_usage("--file: at most %d", FILES_MAX);
        c->files[c->nfiles++] = val;
        return pfs_check_path(val, strlen(val)) ? fail_usage("--file %s: not a PFS path", val) : 0;
    }
    if (!strcmp(opt, "--hier") || !strcmp(opt, "--xid")) {
        if (parse_ulong(val, 16, 0xFFFFFFFFul, &v))
            return fail_usage("%s %s: not 8 hex digits", opt, val);
        if (opt[2] == 'h') {
            c->hier = (uint32_t)v;
            c->have_hier = 1;
        } else {
            c->xid = (uint32_t)v;
        }
        return 0;
    }
    if (!strcmp(opt, "--count"))
        return parse_ulong(val, 10, 10000000ul, &c->count) ? fail_usage("--count %s", val) : 0;
    if (!strcmp(opt, "--seed"))
        return parse_ulong(val, 0, ~0ul, &c->seed) ? fail_usage("--seed %s", val) : 0;
    if (!strcmp(opt, "--gap-us"))
        return parse_ulong(val, 10, 1000000ul, &c->gap_us) ? fail_usage("--gap-us %s", val) : 0;
    if (!strcmp(opt, "--size")) {
        if (parse_ulong(val, 10, PUSH_MAX, &v) || !v)
            return fail_usage("--size %s: 1..%u bytes", val, PUSH_MAX);
        c->size = (uint32_t)v;
        return 0;
    }
    if (!strcmp(opt, "--timeout")) {
        if (parse_ulong(val, 10, 600000ul, &v) || !v)
            return fail_usage("--timeout %s: 1..600000 ms", val);
        c->timeout_ms = (int)v;
        return 0;
    }
    return fail_usage("unknown option %s", opt);
}

/* Returns 0 to run, 1 when --help/--version was answered, -1 on errors. */
static int parse_args(int argc, char **argv, struct config *c)
{
    config_defaults(c);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 1;
    }
    if (argc >= 2 && !strcmp(argv[1], "--version")) {
        printf("pfsinject (pfs-toolkit) %s\n", PFS_VERSION);
        return 1;
    }
    if (argc < 2)
        return fail_usage("a mode is needed: garbage, push, flood, forge or fakeroot");
    if (!strcmp(argv[1], "garbage"))
        c->mode = MODE_GARBAGE;
    else if (!strcmp(argv[1], "push"))
        c->mode = MODE_PUSH;
    else if (!strcmp(argv[1], "flood"))
        c->mode = MODE_FLOOD;
    else if (!strcmp(argv[1], "forge"))
        c->mode = MODE_FORGE;
    else if (!strcmp(argv[1], "fakeroot")) {
        c->mode = MODE_FAKEROOT;
        c->xid = 0x00000001u;
    }
    else
        return fail_usage("unknown mode %s", argv[1]);
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--join")) {
            c->join = 1;
            continue;
        }
        if (i + 1 >= argc)
            return fail_usage("%s needs a value", argv[i]);
        if (parse_option(c, argv[i], argv[i + 1]) < 0)
            return -1;
        i++;
    }
    if (!c->to.sin_port)
        return fail_usage("--to A.B.C.D:PORT is required");
    if (c->mode == MODE_FORGE && (!c->have_from || !c->nfiles))
        return fail_usage("forge needs --from A.B.C.D and --file NAME.loads");
    if (c->mode == MODE_FLOOD && !c->nfiles)
        c->files[c->nfiles++] = c->file;
    if (c->mode == MODE_FAKEROOT && !c->have_from)
        return fail_usage("fakeroot needs --from A.B.C.D (its own address)");
    if (!c->have_hier)
        c->hier = pfs_hier_id(c->model, c->file);
    return 0;
}

/* ---- garbage ---- */

enum mutation {
    MUT_RANDOM,     /* random bytes of random length */
    MUT_TRUNCATE,   /* a real message cut short */
    MUT_MAGIC,      /* first two bytes are not "PF" */
    MUT_VERSION,    /* a version nobody speaks */
    MUT_LENGTH,     /* header length disagrees with the datagram */
    MUT_TYPE,       /* unknown message type */
    MUT_STATE,      /* CLAIM/AD state out of range */
    MUT_STRING,     /* model or file string too long for the message */
    MUT_TLV,        /* a TLV that runs past the end */
    MUT_COUNT
};

static const char *mutation_names[MUT_COUNT] = {
    "random", "truncated", "bad-magic", "bad-version", "bad-length",
    "bad-type", "bad-state", "bad-string", "bad-tlv",
};

/* A real UDP message of the lab's hierarchy: CLAIM, AD or LEAVE. */
static long build_udp_message(const struct config *c, struct rng *r, uint8_t *out, size_t cap)
{
    struct pfs_msg m;
    memset(&m, 0, sizeof m);
    m.xid = c->xid;
    m.hier = c->hier;
    m.flags = PFS_F_BCAST;
    unsigned pick = rng_below(r, 3);
    if (pick == 2) {
        m.type = PFS_T_LEAVE;
        m.u.reason.reason = PFS_R_DONE;
        return pfs_encode(&m, out, cap);
    }
    struct pfs_claim *cl = &m.u.claim;
    m.type = pick == 0 ? PFS_T_CLAIM : PFS_T_AD;
    cl->state = pick == 0 ? PFS_HS_TENT : PFS_HS_MEMBER;
    cl->seq = pick == 0 ? 0 : (uint8_t)(1 + rng_below(r, 4));
    cl->depth = pick == 0 ? PFS_DEPTH_NONE : 1;
    cl->free_slots = (uint8_t)rng_below(r, PFS_MAX_CHILDREN + 1);
    cl->map = (uint32_t)rng_next(r);
    cl->strength = (uint32_t)rng_next(r);
    cl->addr = 0x7F0000FEu; /* 127.0.0.254: nobody is there */
    cl->port = PFS_PORT;
    cl->model = pfs_str_of(c->model);
    cl->file = pfs_str_of(c->file);
    return pfs_encode(&m, out, cap);
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Mutates the len-byte message in buf (cap bytes of room); returns the new length. */
static size_t mutate(struct rng *r, enum mutation mut, uint8_t *buf, size_t len, size_t cap)
{
    switch (mut) {
    case MUT_RANDOM: {
        size_t n = rng_below(r, (uint32_t)cap + 1);
        rng_fill(r, buf, n);
        return n;
    }
    case MUT_TRUNCATE:
        return rng_below(r, (uint32_t)len);
    case MUT_MAGIC:
        buf[rng_below(r, 2)] ^= (uint8_t)(1 + rng_below(r, 255));
        return len;
    case MUT_VERSION:
        buf[2] = (uint8_t)(PFS_VERSION_1 + 1 + rng_below(r, 254));
        return len;
    case MUT_LENGTH: {
        unsigned wrong = rng_below(r, 2) ? (unsigned)len + 1 + rng_below(r, 1000)
                                         : rng_below(r, (uint32_t)len);
        put16(buf + 6, wrong);
        return len;
    }
    case MUT_TYPE:
        buf[3] = rng_below(r, 2) ? 0 : (uint8_t)(PFS_T_MAX + 1 + rng_below(r, 255 - PFS_T_MAX));
        return len;
    case MUT_STATE:
        if (buf[3] == PFS_T_LEAVE)
            buf[PFS_HDR_LEN] = (uint8_t)(PFS_R_MAX + 1 + rng_below(r, 255 - PFS_R_MAX));
        else
            buf[PFS_HDR_LEN] = rng_below(r, 2) ? 0 : (uint8_t)(PFS_HS_MAX + 1 + rng_below(r, 200));
        return len;
    case MUT_STRING:
        /* CLAIM/AD: the model's length byte at body offset 22 claims too much. */
        if (buf[3] == PFS_T_LEAVE || len <= PFS_HDR_LEN + 22)
            return rng_below(r, (uint32_t)len);
        buf[PFS_HDR_LEN + 22] = (uint8_t)(PFS_MODEL_MAX + 1 + rng_below(r, 240));
        return len;
    case MUT_TLV:
        if (len + 3 > cap)
            return rng_below(r, (uint32_t)len);
        buf[len] = PFS_TLV_FIRMWARE;
        buf[len + 1] = (uint8_t)(2 + rng_below(r, 250)); /* says more than follows */
        buf[len + 2] = 'X';
        put16(buf + 6, (unsigned)len + 3);
        return len + 3;
    case MUT_COUNT:
        break;
    }
    return len;
}

/* Makes one datagram that pfs_decode rejects; returns its length. */
static size_t make_garbage(const struct config *c, struct rng *r, uint8_t *buf, size_t cap,
                           enum mutation *used)
{
    for (;;) {
        long n = build_udp_message(c, r, buf, cap);
        if (n < 0)
            return 0; /* cannot happen: the inputs were validated */
        *used = (enum mutation)rng_below(r, MUT_COUNT);
        size_t len = mutate(r, *used, buf, (size_t)n, cap);
        struct pfs_msg m;
        if (pfs_decode(buf, len, &m) != PFS_OK)
            return len;
        /* The mutation happened to yield a valid message: try another. */
    }
}

static int open_udp(const struct config *c, char *err)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        snprintf(err, ERRLEN, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) < 0) {
        snprintf(err, ERRLEN, "SO_BROADCAST: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (c->have_from && bind(fd, (const struct sockaddr *)&c->from, sizeof c->from) < 0) {
        snprintf(err, ERRLEN, "bind %s: %s", inet_ntoa(c->from.sin_addr), strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static void sleep_us(unsigned long us)
{
    struct timespec ts = {(time_t)(us / 1000000ul), (long)(us % 1000000ul) * 1000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Sends one datagram; a full socket buffer is waited out, not an error. */
static int send_datagram(int fd, const struct sockaddr_in *to, const uint8_t *buf, size_t len,
                         char *err)
{
    for (int tries = 0; tries < 1000; tries++) {
        if (sendto(fd, buf, len, 0, (const struct sockaddr *)to, sizeof *to) >= 0)
            return 0;
        if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR && errno != ECONNREFUSED)
            break;
        sleep_us(1000);
    }
    snprintf(err, ERRLEN, "sendto %s:%u: %s", inet_ntoa(to->sin_addr), ntohs(to->sin_port),
             strerror(errno));
    return -1;
}

static int run_garbage(const struct config *c)
{
    char err[ERRLEN];
    int fd = open_udp(c, err);
    if (fd < 0) {
        fprintf(stderr, "pfsinject: %s\n", err);
        return EXIT_SOCKET;
    }
    struct rng r = {c->seed * 0x9E3779B97F4A7C15ULL + 1};
    unsigned long per[MUT_COUNT] = {0};
    uint8_t buf[PFS_UDP_MAX];
    for (unsigned long i = 0; i < c->count; i++) {
        enum mutation used = MUT_RANDOM;
        size_t len = make_garbage(c, &r, buf, sizeof buf, &used);
        if (send_datagram(fd, &c->to, buf, len, err) < 0) {
            fprintf(stderr, "pfsinject: %s after %lu datagrams\n", err, i);
            close(fd);
            return EXIT_SOCKET;
        }
        per[used]++;
        if (c->gap_us)
            sleep_us(c->gap_us);
    }
    close(fd);
    printf("pfsinject: sent %lu malformed datagrams to %s:%u (", c->count,
           inet_ntoa(c->to.sin_addr), ntohs(c->to.sin_port));
    for (int k = 0; k < MUT_COUNT; k++)
        printf("%s%s %lu", k ? ", " : "", mutation_names[k], per[k]);
    printf(")\n");
    return EXIT_DONE;
}

/* ---- push ---- */

static int connect_tcp(const struct config *c, char *err)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        snprintf(err, ERRLEN, "socket: %s", strerror(errno));
        return -1;
    }
    if (c->have_from && bind(fd, (const struct sockaddr *)&c->from, sizeof c->from) < 0) {
        snprintf(err, ERRLEN, "bind %s: %s", inet_ntoa(c->from.sin_addr), strerror(errno));
        close(fd);
        return -1;
    }
    if (connect(fd, (const struct sockaddr *)&c->to, sizeof c->to) < 0) {
        snprintf(err, ERRLEN, "connect %s:%u: %s", inet_ntoa(c->to.sin_addr),
                 ntohs(c->to.sin_port), strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* Writes a whole message; returns 0, or -1 once the peer has closed. */
static int send_msg(int fd, struct pfs_msg *m)
{
    uint8_t buf[MSG_CAP];
    long n = pfs_encode(m, buf, sizeof buf);
    if (n < 0) {
        fprintf(stderr, "pfsinject: cannot encode %s: %s\n", pfs_type_name(m->type),
                pfs_strerror((int)n));
        return -1;
    }
    for (size_t off = 0; off < (size_t)n;) {
        ssize_t w = send(fd, buf + off, (size_t)n - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        off += (size_t)w;
    }
    return 0;
}

/* What the peer said back. */
struct answer {
    int closed;          /* EOF or reset */
    int type;            /* deciding message type, 0 if none, -1 undecodable */
    unsigned reason;     /* ABORT/REFUSE reason or VERDICT code */
    unsigned skipped;    /* other messages seen first (a parent's own XFRCMD, DATA) */
};

/* Bytes read from the peer and not yet consumed, kept across answers. */
struct reader {
    int fd;
    uint8_t buf[MSG_CAP];
    size_t have;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Types that answer a JOIN or a push; anything else is skipped. */
static int deciding(unsigned type)
{
    return type == PFS_T_ACCEPT || type == PFS_T_REFUSE || type == PFS_T_ABORT ||
           type == PFS_T_VERDICT;
}

/*
 * Takes one whole message from the reader's buffer. Returns 1 and fills *m
 * (pointing into a copy in out), 0 when more bytes are needed, -1 when the
 * bytes cannot be a message.
 */
static int take_msg(struct reader *rd, uint8_t *out, struct pfs_msg *m)
{
    long flen = pfs_frame_len(rd->buf, rd->have);
    if (flen < 0 || (size_t)flen > sizeof rd->buf)
        return -1;
    if (flen == 0 || rd->have < (size_t)flen)
        return 0;
    memcpy(out, rd->buf, (size_t)flen);
    memmove(rd->buf, rd->buf + flen, rd->have - (size_t)flen);
    rd->have -= (size_t)flen;
    return pfs_decode(out, (size_t)flen, m) == PFS_OK ? 1 : -1;
}

static void note_answer(const struct pfs_msg *m, struct answer *a)
{
    a->type = m->type;
    if (m->type == PFS_T_ABORT)
        a->reason = m->u.reason.reason;
    else if (m->type == PFS_T_REFUSE)
        a->reason = m->u.refuse.reason;
    else if (m->type == PFS_T_VERDICT)
        a->reason = m->u.verdict.verdict;
}

/*
 * Reads until a deciding message or the end of the connection, within
 * timeout_ms. Returns 1 when one of them came, 0 on timeout.
 */
static int read_answer(struct reader *rd, int timeout_ms, struct answer *a)
{
    uint8_t msg[MSG_CAP];
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        struct pfs_msg m;
        int got = take_msg(rd, msg, &m);
        if (got < 0) {
            a->type = -1;
            return 1;
        }
        if (got > 0) {
            if (deciding(m.type)) {
                note_answer(&m, a);
                return 1;
            }
            a->skipped++;
            continue;
        }
        int64_t left = deadline - now_ms();
        struct pollfd p = {rd->fd, POLLIN, 0};
        int rc = left > 0 ? poll(&p, 1, (int)left) : 0;
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return 0;
        ssize_t n = recv(rd->fd, rd->buf + rd->have, sizeof rd->buf - rd->have, 0);
        if (n <= 0) {
            a->closed = 1;
            return 1;
        }
        rd->have += (size_t)n;
    }
}

static void header(struct pfs_msg *m, const struct config *c, unsigned type)
{
    memset(m, 0, sizeof *m);
    m->type = (uint8_t)type;
    m->xid = c->xid;
    m->hier = c->hier;
}

/* JOIN first, as a would-be child; returns 0 when accepted and the push may go on. */
static int push_join(struct reader *rd, const struct config *c, struct answer *a)
{
    struct pfs_msg m;
    header(&m, c, PFS_T_JOIN);
    m.u.join.addr = ntohl(c->have_from ? c->from.sin_addr.s_addr : htonl(0x7F000001u));
    m.u.join.port = PFS_PORT;
    m.u.join.try_no = 1;
    m.u.join.model = pfs_str_of(c->model);
    m.u.join.file = pfs_str_of(c->file);
    if (send_msg(rd->fd, &m) < 0 || !read_answer(rd, c->timeout_ms, a)) {
        a->closed = 1;
        return -1;
    }
    return a->type == PFS_T_ACCEPT ? 0 : -1;
}

/* XFRCMD, DATA..., XFREND; returns how many messages went out before the peer closed. */
static unsigned push_transfer(int fd, const struct config *c, const uint8_t *data)
{
    uint8_t sha[PFS_SHA256_LEN];
    pfs_sha256(data, c->size, sha);
    struct pfs_msg m;
    header(&m, c, PFS_T_XFRCMD);
    m.u.xfrcmd.size = c->size;
    m.u.xfrcmd.source = PFS_SRC_PEER;
    m.u.xfrcmd.origin_xid = c->xid;
    m.u.xfrcmd.sha256 = sha;
    m.u.xfrcmd.file = pfs_str_of(c->file);
    unsigned sent = 0;
    if (send_msg(fd, &m) < 0)
        return sent;
    sent++;
    for (uint32_t off = 0; off < c->size;) {
        uint32_t n = c->size - off < PFS_DATA_MAX ? c->size - off : PFS_DATA_MAX;
        header(&m, c, PFS_T_DATA);
        m.u.data.offset = off;
        m.u.data.len = (uint16_t)n;
        m.u.data.bytes = data + off;
        if (send_msg(fd, &m) < 0)
            return sent;
        sent++;
        off += n;
    }
    header(&m, c, PFS_T_XFREND);
    m.u.xfrend.size = c->size;
    if (send_msg(fd, &m) == 0)
        sent++;
    return sent;
}

static void describe(const struct answer *a, char *out, size_t cap)
{
    if (a->type > 0 && a->type != PFS_T_VERDICT && a->type != PFS_T_ACCEPT)
        snprintf(out, cap, "%s(%s)", pfs_type_name((unsigned)a->type), pfs_reason_name(a->reason));
    else if (a->type == PFS_T_VERDICT)
        snprintf(out, cap, "VERDICT(%s)", pfs_verdict_name(a->reason));
    else if (a->type < 0)
        snprintf(out, cap, "an undecodable answer");
    else if (a->closed)
        snprintf(out, cap, "closing the connection");
    else
        snprintf(out, cap, "silence");
}

/* Pushes a whole transfer on rd's connection; returns the exit code. */
static int push_and_judge(struct reader *rd, const struct config *c, int joined)
{
    char what[96];
    uint8_t *data = malloc(c->size);
    if (!data) {
        fprintf(stderr, "pfsinject: out of memory for %u bytes\n", c->size);
        return EXIT_SOCKET;
    }
    struct rng r = {c->seed * 0x9E3779B97F4A7C15ULL + 7};
    rng_fill(&r, data, c->size);
    unsigned sent = push_transfer(rd->fd, c, data);
    free(data);
    struct answer a = {0, 0, 0, 0};
    int answered = read_answer(rd, c->timeout_ms, &a);
    describe(&a, what, sizeof what);
    int refused = answered && a.type != PFS_T_VERDICT && a.type != PFS_T_ACCEPT;
    printf("pfsinject: %s:%u %s the push of %s (%u bytes)%s after %u messages: %s\n",
           inet_ntoa(c->to.sin_addr), ntohs(c->to.sin_port), refused ? "refused" : "DID NOT refuse",
           c->file, c->size, joined ? " on its child connection" : "", sent, what);
    return refused ? EXIT_DONE : EXIT_ACCEPTED;
}

static int run_push(const struct config *c)
{
    char err[ERRLEN], what[96];
    struct reader *rd = calloc(1, sizeof *rd);
    if (!rd) {
        fprintf(stderr, "pfsinject: out of memory\n");
        return EXIT_SOCKET;
    }
    rd->fd = connect_tcp(c, err);
    if (rd->fd < 0) {
        fprintf(stderr, "pfsinject: %s\n", err);
        free(rd);
        return EXIT_SOCKET;
    }
    struct answer a = {0, 0, 0, 0};
    int rc;
    if (c->join && push_join(rd, c, &a) < 0) {
        describe(&a, what, sizeof what);
        printf("pfsinject: %s:%u refused the join: %s\n", inet_ntoa(c->to.sin_addr),
               ntohs(c->to.sin_port), what);
        rc = EXIT_DONE;
    } else {
        rc = push_and_judge(rd, c, c->join);
    }
    close(rd->fd);
    free(rd);
    return rc;
}

/* ---- flood ---- */

/* "/dnld/NAME" for a bare name, the path itself otherwise. */
static void dnld_path(const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s", name[0] == '/' ? "" : "/dnld/", name);
}

static int run_flood(const struct config *c)
{
    char err[ERRLEN];
    int fd = open_udp(c, err);
    if (fd < 0) {
        fprintf(stderr, "pfsinject: %s\n", err);
        return EXIT_SOCKET;
    }
    struct rng r = {c->seed * 0x9E3779B97F4A7C15ULL + 3};
    uint32_t from = c->have_from ? ntohl(c->from.sin_addr.s_addr) : 0x7F000001u;
    unsigned long theirs = 0, ours = 0;
    for (unsigned long i = 0; i < c->count; i++) {
        char path[PFS_PATH_MAX + 1], other[32];
        if (i % 4 == 3) {
            snprintf(other, sizeof other, "/dnld/x%08x.sbn", (unsigned)rng_next(&r));
            snprintf(path, sizeof path, "%s", other);
            theirs++;
        } else {
            dnld_path(c->files[(i / 4) % (unsigned long)c->nfiles], path, sizeof path);
            ours++;
        }
        struct pfs_msg m;
        memset(&m, 0, sizeof m);
        m.type = PFS_T_CLAIM;
        m.flags = PFS_F_BCAST;
        m.xid = 2 + rng_below(&r, 0xFFFFFFF0u);
        m.hier = pfs_hier_id(c->model, path);
        m.u.claim.state = PFS_HS_TENT;
        m.u.claim.depth = PFS_DEPTH_NONE;
        m.u.claim.free_slots = 2;
        m.u.claim.map = (uint32_t)rng_next(&r);
        m.u.claim.strength = 0x80000000u | rng_below(&r, 0x7FFFFFFEu);
        m.u.claim.addr = from;
        m.u.claim.port = ntohs(c->to.sin_port);
        m.u.claim.model = pfs_str_of(c->model);
        m.u.claim.file = pfs_str_of(path);
        uint8_t buf[PFS_UDP_MAX];
        long len = pfs_encode(&m, buf, sizeof buf);
        if (len < 0) {
            fprintf(stderr, "pfsinject: cannot encode a CLAIM: %s\n", pfs_strerror((int)len));
            close(fd);
            return EXIT_SOCKET;
        }
        if (send_datagram(fd, &c->to, buf, (size_t)len, err) < 0) {
            fprintf(stderr, "pfsinject: %s after %lu datagrams\n", err, i);
            close(fd);
            return EXIT_SOCKET;
        }
        if (c->gap_us)
            sleep_us(c->gap_us);
    }
    close(fd);
    printf("pfsinject: sent %lu ClaimRoot(tent) to %s:%u from %lu random XIDs (%lu for the "
           "site's hierarchies, %lu for hierarchies nobody runs)\n", c->count,
           inet_ntoa(c->to.sin_addr), ntohs(c->to.sin_port), c->count, ours, theirs);
    return EXIT_DONE;
}

/* ---- forge ---- */

#define FORGE_XID 0x00000001u
#define FORGE_LOADS_MAX 1024

struct forged {
    char path[PFS_PATH_MAX + 1];
    uint8_t *data;
    uint32_t size;
    uint8_t sha[PFS_SHA256_LEN];
};

static int ends_with(const char *s, const char *sfx)
{
    size_t n = strlen(s), k = strlen(sfx);
    return n >= k && strcmp(s + n - k, sfx) == 0;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* The files the stranger serves: random components, then loads naming them. */
static int forge_files(const struct config *c, struct forged *f)
{
    struct rng r = {c->seed * 0x9E3779B97F4A7C15ULL + 11};
    const char *evil = NULL;
    for (int i = 0; i < c->nfiles; i++) {
        dnld_path(c->files[i], f[i].path, sizeof f[i].path);
        if (ends_with(c->files[i], ".loads"))
            continue;
        f[i].size = c->size;
        f[i].data = malloc(c->size);
        if (!f[i].data)
            return -1;
        rng_fill(&r, f[i].data, c->size);
        pfs_sha256(f[i].data, f[i].size, f[i].sha);
        if (!evil)
            evil = base_name(c->files[i]);
    }
    uint8_t evil_sha[PFS_SHA256_LEN];
    uint32_t evil_size = c->size;
    uint8_t *tmp = malloc(c->size);
    if (!tmp)
        return -1;
    if (!evil) { /* no component named: evil.sbn, random bytes nobody is served */
        evil = "evil.sbn";
        rng_fill(&r, tmp, c->size);
        pfs_sha256(tmp, c->size, evil_sha);
    } else {
        for (int i = 0; i < c->nfiles; i++)
            if (f[i].data && !strcmp(base_name(c->files[i]), evil))
                memcpy(evil_sha, f[i].sha, sizeof evil_sha);
    }
    free(tmp);
    for (int i = 0; i < c->nfiles; i++) {
        if (!ends_with(c->files[i], ".loads"))
            continue;
        char name[PFS_PATH_MAX + 1], hex[2 * PFS_SHA256_LEN + 1];
        snprintf(name, sizeof name, "%s", base_name(c->files[i]));
        name[strlen(name) - strlen(".loads")] = '\0';
        for (int k = 0; k < PFS_SHA256_LEN; k++)
            snprintf(hex + 2 * k, 3, "%02x", evil_sha[k]);
        f[i].data = malloc(FORGE_LOADS_MAX);
        if (!f[i].data)
            return -1;
        int n = snprintf((char *)f[i].data, FORGE_LOADS_MAX, "# PFS load v1\nLOAD %s\nFILE %s %u %s\n",
                         name, evil, evil_size, hex);
        f[i].size = (uint32_t)n;
        pfs_sha256(f[i].data, f[i].size, f[i].sha);
    }
    return 0;
}

static void forge_claims(int ufd, const struct config *c, const struct forged *f, uint8_t *seq)
{
    char err[ERRLEN];
    for (int i = 0; i < c->nfiles; i++) {
        struct pfs_msg m;
        memset(&m, 0, sizeof m);
        m.type = *seq ? PFS_T_AD : PFS_T_CLAIM;
        m.flags = PFS_F_BCAST | PFS_F_HAVE;
        m.xid = FORGE_XID;
        m.hier = pfs_hier_id(c->model, f[i].path);
        m.u.claim.state = *seq ? PFS_HS_DONE : PFS_HS_CONF;
        m.u.claim.seq = *seq;
        m.u.claim.depth = 0;
        m.u.claim.free_slots = 2;
        m.u.claim.map = 0x0BADF00Du;
        m.u.claim.strength = PFS_STRENGTH_ROOT;
        m.u.claim.root_xid = FORGE_XID;
        m.u.claim.addr = ntohl(c->from.sin_addr.s_addr);
        m.u.claim.port = ntohs(c->to.sin_port);
        m.u.claim.model = pfs_str_of(c->model);
        m.u.claim.file = pfs_str_of(f[i].path);
        uint8_t buf[PFS_UDP_MAX];
        long len = pfs_encode(&m, buf, sizeof buf);
        if (len > 0)
            (void)send_datagram(ufd, &c->to, buf, (size_t)len, err);
    }
    *seq = *seq >= 255 ? 1 : (uint8_t)(*seq + 1);
}

/* One joiner: JOIN, ACCEPT, the forged transfer, its VERDICT. Blocking, bounded. */
static void forge_serve(int fd, const struct config *c, const struct forged *f,
                        unsigned long *joins, unsigned long *served, unsigned long *ok)
{
    struct reader *rd = calloc(1, sizeof *rd);
    if (!rd)
        return;
    rd->fd = fd;
    uint8_t msg[MSG_CAP];
    struct pfs_msg m;
    int got = 0;
    for (int64_t end = now_ms() + 2000; !got && now_ms() < end;) {
        got = take_msg(rd, msg, &m);
        if (got)
            break;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t n = recv(fd, rd->buf + rd->have, sizeof rd->buf - rd->have, 0);
        if (n <= 0)
            break;
        rd->have += (size_t)n;
    }
    const struct forged *file = NULL;
    if (got > 0 && m.type == PFS_T_JOIN)
        for (int i = 0; i < c->nfiles; i++)
            if (m.hier == pfs_hier_id(c->model, f[i].path))
                file = &f[i];
    if (file) {
        struct config one = *c;
        one.xid = FORGE_XID;
        one.hier = m.hier;
        one.file = file->path;
        one.size = file->size;
        (*joins)++;
        struct pfs_msg a;
        header(&a, &one, PFS_T_ACCEPT);
        a.u.accept.index = (uint8_t)(*joins % 2);
        a.u.accept.depth = 0;
        a.u.accept.root_xid = FORGE_XID;
        if (send_msg(fd, &a) == 0) {
            struct pfs_msg x;
            header(&x, &one, PFS_T_XFRCMD);
            x.flags = PFS_F_HAVE;
            x.u.xfrcmd.size = file->size;
            x.u.xfrcmd.source = PFS_SRC_TFTP;
            x.u.xfrcmd.origin_xid = FORGE_XID;
            x.u.xfrcmd.sha256 = file->sha;
            x.u.xfrcmd.file = pfs_str_of(file->path);
            int fine = send_msg(fd, &x) == 0;
            for (uint32_t off = 0; fine && off < file->size;) {
                uint32_t n = file->size - off < PFS_DATA_MAX ? file->size - off : PFS_DATA_MAX;
                header(&x, &one, PFS_T_DATA);
                x.u.data.offset = off;
                x.u.data.len = (uint16_t)n;
                x.u.data.bytes = file->data + off;
                fine = send_msg(fd, &x) == 0;
                off += n;
            }
            header(&x, &one, PFS_T_XFREND);
            x.u.xfrend.size = file->size;
            if (fine && send_msg(fd, &x) == 0) {
                (*served)++;
                struct answer ans = {0, 0, 0, 0};
                if (read_answer(rd, 2000, &ans) && ans.type == PFS_T_VERDICT &&
                    ans.reason == PFS_V_OK)
                    (*ok)++;
            }
        }
    }
    close(fd);
    free(rd);
}

static int run_forge(const struct config *c)
{
    char err[ERRLEN];
    struct forged f[FILES_MAX];
    memset(f, 0, sizeof f);
    int rc = EXIT_SOCKET;
    int ufd = -1, lfd = -1;
    if (forge_files(c, f) != 0) {
        fprintf(stderr, "pfsinject: out of memory\n");
        goto out;
    }
    struct config u = *c;
    u.from.sin_port = 0; /* claims from any port of --from */
    ufd = open_udp(&u, err);
    if (ufd < 0) {
        fprintf(stderr, "pfsinject: %s\n", err);
        goto out;
    }
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    struct sockaddr_in la = c->from;
    la.sin_port = c->to.sin_port;
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(lfd, (const struct sockaddr *)&la, sizeof la) < 0 || listen(lfd, 64) < 0) {
        fprintf(stderr, "pfsinject: listen %s:%u: %s\n", inet_ntoa(la.sin_addr),
                ntohs(la.sin_port), strerror(errno));
        goto out;
    }
    unsigned long joins = 0, served = 0, ok = 0;
    uint8_t seq = 0;
    int64_t end = now_ms() + c->timeout_ms, next = 0;
    while (now_ms() < end) {
        if (now_ms() >= next) {
            forge_claims(ufd, c, f, &seq);
            next = now_ms() + 250;
        }
        struct pollfd p = {lfd, POLLIN, 0};
        if (poll(&p, 1, 50) > 0) {
            int cfd = accept(lfd, NULL, NULL);
            if (cfd >= 0)
                forge_serve(cfd, c, f, &joins, &served, &ok);
        }
    }
    printf("pfsinject: forged root XID%08X at %s:%u for", FORGE_XID, inet_ntoa(la.sin_addr),
           ntohs(la.sin_port));
    for (int i = 0; i < c->nfiles; i++)
        printf(" %s", f[i].path);
    printf(": %lu joins, %lu forged transfers, %lu VERDICT OK\n", joins, served, ok);
    rc = EXIT_DONE;
out:
    if (ufd >= 0)
        close(ufd);
    if (lfd >= 0)
        close(lfd);
    for (int i = 0; i < FILES_MAX; i++)
        free(f[i].data);
    return rc;
}


/* ---- fakeroot ---- */

#define FAKE_HIERS 64
#define FAKE_CONNS 256

struct fake_hier {
    uint32_t h;
    char model[PFS_MODEL_MAX + 1];
    char file[PFS_PATH_MAX + 1];
    int64_t last_claim;
};

struct fake {
    const struct config *c;
    int ufd_any, ufd_own, lfd;
    struct fake_hier hier[FAKE_HIERS];
    int nh;
    int conns[FAKE_CONNS];
    int nconn;
    unsigned long joins, claims_sent;
};

static int bind_reuse(int type, uint32_t addr, uint16_t port, char *err)
{
    int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, ERRLEN, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = port, .sin_addr.s_addr = addr};
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        (type == SOCK_DGRAM && (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
                                setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) < 0)) ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        (type == SOCK_STREAM && listen(fd, 64) < 0)) {
        snprintf(err, ERRLEN, "bind %s:%u: %s", inet_ntoa(sa.sin_addr), ntohs(port),
                 strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* A confirmed root claim for one hierarchy, to the broadcast address. */
static void fake_claim(struct fake *f, struct fake_hier *fh, int64_t now)
{
    struct pfs_msg m;
    header(&m, f->c, PFS_T_CLAIM);
    m.hier = fh->h;
    m.flags = PFS_F_BCAST;
    struct pfs_claim *cl = &m.u.claim;
    cl->state = PFS_HS_CONF;
    cl->depth = 0;
    cl->free_slots = 2;
    cl->map = 0x00000001u;
    cl->strength = PFS_STRENGTH_ROOT;
    cl->root_xid = f->c->xid;
    cl->addr = ntohl(f->c->from.sin_addr.s_addr);
    cl->port = ntohs(f->c->to.sin_port);
    cl->model = pfs_str_of(fh->model);
    cl->file = pfs_str_of(fh->file);
    uint8_t buf[PFS_UDP_MAX];
    long n = pfs_encode(&m, buf, sizeof buf);
    if (n > 0 && sendto(f->ufd_own, buf, (size_t)n, 0, (const struct sockaddr *)&f->c->to,
                        sizeof f->c->to) == n)
        f->claims_sent++;
    fh->last_claim = now;
}

/* Every claim or AD heard names a hierarchy to claim. */
static void fake_heard(struct fake *f, const uint8_t *buf, size_t len, int64_t now)
{
    struct pfs_msg m;
    if (pfs_decode(buf, len, &m) != PFS_OK || m.xid == f->c->xid ||
        (m.type != PFS_T_CLAIM && m.type != PFS_T_AD))
        return;
    const struct pfs_claim *cl = &m.u.claim;
    if (cl->model.len != strlen(f->c->model) || memcmp(cl->model.p, f->c->model, cl->model.len))
        return;
    struct fake_hier *fh = NULL;
    for (int i = 0; i < f->nh; i++)
        if (f->hier[i].h == m.hier)
            fh = &f->hier[i];
    if (!fh) {
        if (f->nh >= FAKE_HIERS)
            return;
        fh = &f->hier[f->nh++];
        memset(fh, 0, sizeof *fh);
        fh->h = m.hier;
        memcpy(fh->model, cl->model.p, cl->model.len);
        memcpy(fh->file, cl->file.p, cl->file.len);
        printf("fakeroot: claiming H=%08X %s\n", fh->h, fh->file);
        fflush(stdout);
    }
    /* Answer a claimant at once (at most every 50 ms): it must yield. */
    if (now - fh->last_claim >= 50)
        fake_claim(f, fh, now);
}

/* A JOIN gets ACCEPT; nothing ever follows. */
static void fake_read(struct fake *f, int i)
{
    uint8_t buf[MSG_CAP];
    ssize_t r = recv(f->conns[i], buf, sizeof buf, MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (r <= 0) {
        close(f->conns[i]);
        f->conns[i] = f->conns[--f->nconn];
        return;
    }
    struct pfs_msg m;
    if (pfs_frame_len(buf, (size_t)r) <= 0 || pfs_decode(buf, (size_t)pfs_frame_len(buf, (size_t)r), &m) != PFS_OK ||
        m.type != PFS_T_JOIN)
        return;
    struct pfs_msg a;
    header(&a, f->c, PFS_T_ACCEPT);
    a.hier = m.hier;
    a.u.accept.index = 0;
    a.u.accept.depth = 0;
    a.u.accept.root_xid = f->c->xid;
    if (send_msg(f->conns[i], &a) == 0)
        f->joins++;
}

static int run_fakeroot(const struct config *c)
{
    char err[ERRLEN];
    struct fake f;
    memset(&f, 0, sizeof f);
    f.c = c;
    f.ufd_any = bind_reuse(SOCK_DGRAM, htonl(INADDR_ANY), c->to.sin_port, err);
    f.ufd_own = f.ufd_any < 0 ? -1 : bind_reuse(SOCK_DGRAM, c->from.sin_addr.s_addr, c->to.sin_port, err);
    f.lfd = f.ufd_own < 0 ? -1 : bind_reuse(SOCK_STREAM, c->from.sin_addr.s_addr, c->to.sin_port, err);
    if (f.lfd < 0) {
        fprintf(stderr, "pfsinject: %s\n", err);
        return EXIT_SOCKET;
    }
    printf("fakeroot: XID%08X at %s:%u\n", c->xid, inet_ntoa(c->from.sin_addr),
           ntohs(c->to.sin_port));
    fflush(stdout);
    int64_t end = now_ms() + c->timeout_ms;
    for (int64_t now = now_ms(); now < end; now = now_ms()) {
        struct pollfd pf[3 + FAKE_CONNS];
        pf[0] = (struct pollfd){.fd = f.ufd_any, .events = POLLIN};
        pf[1] = (struct pollfd){.fd = f.ufd_own, .events = POLLIN};
        pf[2] = (struct pollfd){.fd = f.lfd, .events = POLLIN};
        for (int i = 0; i < f.nconn; i++)
            pf[3 + i] = (struct pollfd){.fd = f.conns[i], .events = POLLIN};
        int nconn = f.nconn;
        if (poll(pf, (nfds_t)(3 + nconn), 50) < 0 && errno != EINTR) {
            fprintf(stderr, "pfsinject: poll: %s\n", strerror(errno));
            return EXIT_SOCKET;
        }
        now = now_ms();
        for (int k = 0; k < 2; k++) {
            uint8_t buf[PFS_UDP_MAX];
            ssize_t r;
            while ((r = recv(pf[k].fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
                fake_heard(&f, buf, (size_t)r, now);
        }
        int cfd;
        while (f.nconn < FAKE_CONNS && (cfd = accept(f.lfd, NULL, NULL)) >= 0)
            f.conns[f.nconn++] = cfd;
        for (int i = nconn - 1; i >= 0; i--)
            if (pf[3 + i].revents)
                fake_read(&f, i);
        for (int i = 0; i < f.nh; i++)
            if (now - f.hier[i].last_claim >= 250)
                fake_claim(&f, &f.hier[i], now);
    }
    printf("fakeroot: %d hierarchies claimed, %lu claims sent, %lu joins accepted\n", f.nh,
           f.claims_sent, f.joins);
    for (int i = 0; i < f.nconn; i++)
        close(f.conns[i]);
    close(f.lfd);
    close(f.ufd_own);
    close(f.ufd_any);
    return EXIT_DONE;
}

int main(int argc, char **argv)
{
    struct config cfg;
    int rc = parse_args(argc, argv, &cfg);
    if (rc)
        return rc > 0 ? EXIT_DONE : EXIT_USAGE;
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        fprintf(stderr, "pfsinject: cannot ignore SIGPIPE: %s\n", strerror(errno));
        return EXIT_SOCKET;
    }
    rc = cfg.mode == MODE_GARBAGE    ? run_garbage(&cfg)
         : cfg.mode == MODE_FLOOD    ? run_flood(&cfg)
         : cfg.mode == MODE_FORGE    ? run_forge(&cfg)
         : cfg.mode == MODE_FAKEROOT ? run_fakeroot(&cfg)
                                     : run_push(&cfg);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "pfsinject: cannot write to stdout\n");
        return EXIT_SOCKET;
    }
    return rc;
}
