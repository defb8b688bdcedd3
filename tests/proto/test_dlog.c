/*
 * test_dlog.c - the DLoad grammar table: every kind written with sample
 * values and read back to the same event, field by field; the seed
 * excerpt's clean lines read as the expected kinds; docs/logs.md lists
 * every template verbatim.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlog.h"

#ifndef PFS_LOGS_MD
#error "PFS_LOGS_MD must name docs/logs.md"
#endif

/* Every field of struct pfs_dlog_ev, to compare events one field at a time. */
enum ftype { T_U32, T_LONG, T_U64, T_DBL, T_STR };
struct fdesc {
    const char *name;
    enum ftype type;
    size_t off;
    size_t size;
};
#define FD(n, t) {#n, t, offsetof(struct pfs_dlog_ev, n), sizeof(((struct pfs_dlog_ev *)0)->n)}
static const struct fdesc fds[] = {
    FD(xid, T_U32),    FD(peer, T_U32),   FD(h, T_U32),      FD(map, T_U32),
    FD(strength, T_U32), FD(ip, T_U32),   FD(pip, T_U32),    FD(n, T_LONG),
    FD(index, T_LONG), FD(depth, T_LONG), FD(tries, T_LONG), FD(fd, T_LONG),
    FD(fd0, T_LONG),   FD(fd1, T_LONG),   FD(parent, T_LONG), FD(full, T_LONG),
    FD(port, T_LONG),  FD(bytes, T_U64),  FD(total, T_U64),  FD(secs, T_DBL),
    FD(rate, T_DBL),   FD(model, T_STR),  FD(file, T_STR),   FD(hier, T_STR),
    FD(state, T_STR),  FD(reason, T_STR), FD(src, T_STR),    FD(trace, T_STR),
    FD(sha, T_STR),
};
#define NFD (sizeof fds / sizeof fds[0])

static void copy_field(struct pfs_dlog_ev *dst, const struct pfs_dlog_ev *src,
                       const struct fdesc *f)
{
    memcpy((char *)dst + f->off, (const char *)src + f->off, f->size);
}

static void same_field(const struct pfs_dlog_ev *a, const struct pfs_dlog_ev *b,
                       const struct fdesc *f, const char *kind)
{
    const void *pa = (const char *)a + f->off, *pb = (const char *)b + f->off;
    int same = 1;
    switch (f->type) {
    case T_U32: same = *(const uint32_t *)pa == *(const uint32_t *)pb; break;
    case T_LONG: same = *(const long *)pa == *(const long *)pb; break;
    case T_U64: same = *(const uint64_t *)pa == *(const uint64_t *)pb; break;
    case T_DBL: same = *(const double *)pa == *(const double *)pb; break;
    case T_STR: same = strcmp(pa, pb) == 0; break;
    }
    if (!same)
        fail_msg("kind %s: field %s differs after the round trip", kind, f->name);
}

/* The fields a template names. */
static int names_field(const char *tmpl, const char *field)
{
    char ph[40];
    snprintf(ph, sizeof ph, "{%s}", field);
    return strstr(tmpl, ph) != NULL;
}

static void sample_a(struct pfs_dlog_ev *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->xid = 0x080027F8u;
    ev->peer = 0x0A000003u;
    ev->h = 0x36685558u;
    ev->map = 0xff9d7cb9u;
    ev->strength = 0x31d4d43du;
    ev->ip = 0x0a6a7544u;
    ev->pip = 0x7f000003u;
    ev->n = 3;
    ev->index = 1;
    ev->depth = 2;
    ev->tries = 4;
    ev->fd = 7;
    ev->fd0 = -1;
    ev->fd1 = 9;
    ev->parent = -1;
    ev->full = 1;
    ev->port = 4051;
    ev->bytes = 1048576;
    ev->total = 2097152;
    ev->secs = 12.345;
    ev->rate = 85.2;
    strcpy(ev->model, "CP-7961G");
    strcpy(ev->file, "/dnld/SCCP41.9-4-2SR2-2S.loads");
    strcpy(ev->hier, "ClaimRoot(tent)");
    strcpy(ev->state, "tent");
    strcpy(ev->reason, "FULL");
    strcpy(ev->src, "tftp");
    strcpy(ev->trace, "idl_child.c-openUDPPort");
    strcpy(ev->sha, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
}

/* Extremes: all-ones XIDs, zero counters, big sizes, other words. */
static void sample_b(struct pfs_dlog_ev *ev)
{
    sample_a(ev);
    ev->xid = 0xFFFFFFFFu;
    ev->peer = 0;
    ev->h = 0x00000001u;
    ev->map = 0;
    ev->strength = 0xffffffffu;
    ev->ip = 0xffffffffu;
    ev->pip = 0x7f000001u;
    ev->n = 255;
    ev->index = 0;
    ev->depth = 0;
    ev->tries = 1;
    ev->fd = 0;
    ev->fd0 = 12;
    ev->fd1 = -1;
    ev->parent = 11;
    ev->full = 0;
    ev->port = 65535;
    ev->bytes = 67108864;
    ev->total = 0;
    ev->secs = 0.001;
    ev->rate = 0.0;
    strcpy(ev->model, "CP-7970G");
    strcpy(ev->file, "jar41.9-4-2ES26.sbn");
    strcpy(ev->hier, "ROOT_WAITING");
    strcpy(ev->state, "conf");
    strcpy(ev->reason, "timeout");
    strcpy(ev->src, "peer");
    strcpy(ev->trace, "idl_protocol.c-sendBroadcastOffer");
    strcpy(ev->sha, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855");
}

static struct pfs_dlog_parser *parser;

static int setup(void **state)
{
    (void)state;
    char err[200];
    parser = pfs_dlog_parser_new(err, sizeof err);
    if (!parser)
        fprintf(stderr, "parser: %s\n", err);
    return parser ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    pfs_dlog_parser_free(parser);
    return 0;
}

/* Writes ev as a whole console line, splits it, parses it, compares. */
static void roundtrip_kind(const struct pfs_dlog_ev *sample, enum pfs_dlog_kind k, int64_t usec)
{
    const struct pfs_dlog_kind_info *info = pfs_dlog_info(k);
    assert_non_null(info);
    assert_int_equal(info->kind, k);
    struct pfs_dlog_ev ev = *sample, want, got;
    ev.kind = k;
    memset(&want, 0, sizeof want);
    want.kind = k;
    for (size_t i = 0; i < NFD; i++)
        if (names_field(info->tmpl, fds[i].name))
            copy_field(&want, &ev, &fds[i]);

    char line[512], text[512];
    int tn = pfs_dlog_format(text, sizeof text, &ev);
    assert_true(tn > 0 && (size_t)tn < sizeof text);
    int ln = pfs_dlog_line(line, sizeof line, usec, &ev);
    assert_true(ln > tn && (size_t)ln < sizeof line);

    struct pfs_dlog_prefix p;
    assert_int_equal(pfs_dlog_split(line, (size_t)ln, &p), 1);
    assert_string_equal(p.level, pfs_dlog_level_name(info->level));
    assert_int_equal(p.usec, usec);
    assert_int_equal(p.comp_len, 5);
    assert_memory_equal(p.comp, "DLoad", 5);
    assert_int_equal(p.msg_len, (size_t)tn);
    assert_memory_equal(p.msg, text, (size_t)tn);

    enum pfs_dlog_kind pk = pfs_dlog_parse(parser, p.msg, p.msg_len, &got);
    if (pk != k)
        fail_msg("kind %s: '%s' parsed as %d", info->name, text, (int)pk);
    assert_int_equal(got.kind, k);
    for (size_t i = 0; i < NFD; i++)
        same_field(&got, &want, &fds[i], info->name);
}

static void test_every_kind_roundtrip(void **state)
{
    (void)state;
    struct pfs_dlog_ev a, b;
    sample_a(&a);
    sample_b(&b);
    for (int k = PFS_DL_NONE + 1; k < PFS_DL_KIND_COUNT; k++) {
        roundtrip_kind(&a, (enum pfs_dlog_kind)k, 8363411925LL);   /* 02:19:23.411925 */
        roundtrip_kind(&b, (enum pfs_dlog_kind)k, 86399999999LL);  /* 23:59:59.999999 */
        roundtrip_kind(&a, (enum pfs_dlog_kind)k, 0);
    }
}

static void test_table_shape(void **state)
{
    (void)state;
    assert_null(pfs_dlog_info(PFS_DL_NONE));
    assert_null(pfs_dlog_info(PFS_DL_KIND_COUNT));
    for (int k = PFS_DL_NONE + 1; k < PFS_DL_KIND_COUNT; k++) {
        const struct pfs_dlog_kind_info *i = pfs_dlog_info((enum pfs_dlog_kind)k);
        assert_non_null(i);
        assert_true(i->tmpl[0] != '\0');
        assert_non_null(pfs_dlog_pattern(parser, (enum pfs_dlog_kind)k));
        for (int j = PFS_DL_NONE + 1; j < k; j++)
            assert_string_not_equal(i->name, pfs_dlog_info((enum pfs_dlog_kind)j)->name);
    }
    struct pfs_dlog_ev ev;
    memset(&ev, 0, sizeof ev);
    char out[16];
    assert_int_equal(pfs_dlog_format(out, sizeof out, &ev), -1); /* PFS_DL_NONE */
    assert_string_equal(pfs_dlog_level_name(PFS_LVL_INF), "INF");
    assert_string_equal(pfs_dlog_level_name(PFS_LVL_ERR), "ERR");
}

/*
 * The seed excerpt (a phone's console log as published), every line that
 * is one whole DLoad record. The article's quotation marks around some
 * lines are not part of the log and are left out; lines glued to the next
 * record or wrapped onto two lines are the messy cases below.
 */
static const struct {
    const char *line;
    enum pfs_dlog_kind kind;
} seed[] = {
    {"DBG 02:19:22.634167 DLoad: +++ fd=7 Listening on peer TCP port 4051", PFS_DL_LISTEN},
    {"NOT 02:19:22.634945 DLoad: ^.idl_child.c-openUDPPort", PFS_DL_TRACE},
    {"NOT 02:19:22.664131 DLoad: |parent=-1><fd[0]=-1 fd[1]=-1 FULL=0", PFS_DL_STATE},
    {"NOT 02:19:23.161938 DLoad: ^.idl_protocol.c-sendBroadcastOffer", PFS_DL_TRACE},
    {"NOT 02:19:23.410198 DLoad: ^.idl_timeout.c-doTimeout", PFS_DL_TRACE},
    {"DBG 02:19:23.410963 DLoad: Timeout XID080027F8 hier=ClaimRoot(tent)", PFS_DL_TIMEOUT},
    {"NOT 02:19:23.411644 DLoad: ^.idl_protocol.c-sendBroadcastOffer", PFS_DL_TRACE},
    {"INF 02:19:23.411925 DLoad: XID080027F8 TxBdcst Ad 1: ClaimRoot(tent)", PFS_DL_AD},
    {"NOT 02:19:23.660235 DLoad: ^.idl_timeout.c-doTimeout", PFS_DL_TRACE},
    {"DBG 02:19:23.661014 DLoad: Timeout XID080027F8 hier=ClaimRoot(tent)", PFS_DL_TIMEOUT},
    {"NOT 02:19:23.661772 DLoad: ^.idl_protocol.c-sendBroadcastOffer", PFS_DL_TRACE},
    {"INF 02:19:23.662527 DLoad: XID080027F8 TxBdcst Ad 2: ClaimRoot(tent)", PFS_DL_AD},
    {"NOT 02:19:23.910338 DLoad: ^.idl_timeout.c-doTimeout", PFS_DL_TRACE},
    {"DBG 02:19:23.911135 DLoad: Timeout XID080027F8 hier=ClaimRoot(tent)", PFS_DL_TIMEOUT},
    {"NOT 02:19:23.911966 DLoad: ^.idl_protocol.c-sendBroadcastOffer", PFS_DL_TRACE},
    {"NOT 02:19:24.160548 DLoad: ^.idl_timeout.c-doTimeout", PFS_DL_TRACE},
    {"DBG 02:19:24.161318 DLoad: Timeout XID080027F8 hier=ClaimRoot(tent)", PFS_DL_TIMEOUT},
    {"NOT 02:19:24.162076 DLoad: ^.idl_protocol.c-sendBroadcastOffer", PFS_DL_TRACE},
    {"INF 02:19:24.162828 DLoad: XID080027F8 TxBdcst Ad 4: ClaimRoot(tent)", PFS_DL_AD},
    {"NOT 02:19:24.410188 DLoad: ^.idl_timeout.c-doTimeout", PFS_DL_TRACE},
    {"DBG 02:19:24.411262 DLoad: Timeout XID080027F8 hier=ClaimRoot(tent)", PFS_DL_TIMEOUT},
    {"NOT 02:19:24.412095 DLoad: UT:Confirmed root bumping strength", PFS_DL_CONFIRMED},
    /* The wrapped records of the excerpt, joined again with one blank. */
    {"NF 02:19:23.162700 DLoad: XID080027F8 TxBdcst ClaimRoot(tent): map=ff9d7cb9 "
     "strength=31d4d43d ",
     PFS_DL_CLAIM},
    {"NOT 02:19:24.412806 DLoad: @@@HROOT:XID080027F8 H=36685558 m=CP-7961G "
     "ROOT=10.106.117.68 /dnld/SCCP41.9-4-2SR2-2S.loads",
     PFS_DL_HROOT},
    {"INF 02:19:34.410208 DLoad: XID080027F8 Root sending TFTP XfrCmd on ROOT_WAITING TO",
     PFS_DL_ROOT_TFTP},
};

static enum pfs_dlog_kind parse_line(const char *line, struct pfs_dlog_ev *ev)
{
    struct pfs_dlog_prefix p;
    if (!pfs_dlog_split(line, strlen(line), &p))
        return PFS_DL_NONE;
    if (p.comp_len != 5 || memcmp(p.comp, "DLoad", 5) != 0)
        return PFS_DL_NONE;
    return pfs_dlog_parse(parser, p.msg, p.msg_len, ev);
}

static void test_seed_lines(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof seed / sizeof seed[0]; i++) {
        struct pfs_dlog_ev ev;
        enum pfs_dlog_kind k = parse_line(seed[i].line, &ev);
        if (k != seed[i].kind)
            fail_msg("seed line %zu parsed as %d, want %d: %s", i, (int)k, (int)seed[i].kind,
                     seed[i].line);
    }
}

/* The values inside the seed lines, not only their kinds. */
static void test_seed_fields(void **state)
{
    (void)state;
    struct pfs_dlog_ev ev;
    assert_int_equal(parse_line(seed[0].line, &ev), PFS_DL_LISTEN);
    assert_int_equal(ev.fd, 7);
    assert_int_equal(ev.port, 4051);
    assert_int_equal(parse_line(seed[1].line, &ev), PFS_DL_TRACE);
    assert_string_equal(ev.trace, "idl_child.c-openUDPPort");
    assert_int_equal(parse_line(seed[2].line, &ev), PFS_DL_STATE);
    assert_int_equal(ev.parent, -1);
    assert_int_equal(ev.fd0, -1);
    assert_int_equal(ev.fd1, -1);
    assert_int_equal(ev.full, 0);
    assert_int_equal(parse_line(seed[5].line, &ev), PFS_DL_TIMEOUT);
    assert_int_equal(ev.xid, 0x080027F8u);
    assert_string_equal(ev.hier, "ClaimRoot(tent)");
    assert_int_equal(parse_line(seed[18].line, &ev), PFS_DL_AD);
    assert_int_equal(ev.n, 4);
    assert_string_equal(ev.hier, "ClaimRoot(tent)");
    assert_int_equal(parse_line(seed[22].line, &ev), PFS_DL_CLAIM);
    assert_string_equal(ev.state, "tent");
    assert_int_equal(ev.map, 0xff9d7cb9u);
    assert_int_equal(ev.strength, 0x31d4d43du);
    assert_int_equal(parse_line(seed[23].line, &ev), PFS_DL_HROOT);
    assert_int_equal(ev.h, 0x36685558u);
    assert_string_equal(ev.model, "CP-7961G");
    assert_int_equal(ev.ip, 0x0a6a7544u);
    assert_string_equal(ev.file, "/dnld/SCCP41.9-4-2SR2-2S.loads");

    struct pfs_dlog_prefix p;
    const char *nf = seed[22].line;
    assert_int_equal(pfs_dlog_split(nf, strlen(nf), &p), 1);
    assert_string_equal(p.level, "NF"); /* a clipped INF, kept as captured */
    assert_int_equal(p.usec, ((2 * 60 + 19) * 60 + 23) * 1000000LL + 162700);
}

/* Pieces of the messy seed records are not whole records. */
static void test_seed_messy(void **state)
{
    (void)state;
    struct pfs_dlog_ev ev;
    /* the wrapped halves */
    assert_int_equal(parse_line("NF 02:19:23.162700 DLoad: XID080027F8 TxBdcst ClaimRoot(tent): "
                                "map=ff9d7cb9",
                                &ev),
                     PFS_DL_NONE);
    assert_int_equal(parse_line("strength=31d4d43d ", &ev), PFS_DL_NONE);
    assert_int_equal(parse_line("NOT 02:19:24.412806 DLoad: @@@HROOT:XID080027F8 H=36685558 "
                                "m=CP-7961G",
                                &ev),
                     PFS_DL_NONE);
    assert_int_equal(parse_line("02:19:34.410208 DLoad: XID080027F8 Root sending TFTP XfrCmd on "
                                "ROOT_WAITING",
                                &ev),
                     PFS_DL_NONE); /* its level went to the line before */
    assert_int_equal(parse_line("TO", &ev), PFS_DL_NONE);
    /* not DLoad, or not a console line at all */
    assert_int_equal(parse_line("INF 02:19:23.411925 JVM: XID080027F8 TxBdcst Ad 1: "
                                "ClaimRoot(tent)",
                                &ev),
                     PFS_DL_NONE);
    assert_int_equal(parse_line("Phone sends a broadcast Offer message", &ev), PFS_DL_NONE);
    assert_int_equal(pfs_dlog_parse(parser, "", 0, &ev), PFS_DL_NONE);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap);
            if (!nb)
                break;
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    return buf;
}

/* docs/logs.md names every kind and shows its template verbatim. */
static void test_doc_lists_every_kind(void **state)
{
    (void)state;
    char *doc = read_file(PFS_LOGS_MD);
    if (!doc)
        fail_msg("cannot read %s", PFS_LOGS_MD);
    for (int k = PFS_DL_NONE + 1; k < PFS_DL_KIND_COUNT; k++) {
        const struct pfs_dlog_kind_info *i = pfs_dlog_info((enum pfs_dlog_kind)k);
        char want[400];
        snprintf(want, sizeof want, "`%s`", i->tmpl);
        if (!strstr(doc, want))
            fail_msg("%s: template of '%s' missing: %s", PFS_LOGS_MD, i->name, want);
        snprintf(want, sizeof want, "### %s (%s)\n", i->name, pfs_dlog_level_name(i->level));
        const char *sec = strstr(doc, want);
        if (!sec)
            fail_msg("%s: heading missing: %s", PFS_LOGS_MD, want);
        /* The section's example must be a line of this very kind. */
        const char *ex = strstr(sec, "```text\n");
        const char *next = strstr(sec + 1, "\n### ");
        if (!ex || (next && ex > next))
            fail_msg("%s: section '%s' has no example", PFS_LOGS_MD, i->name);
        ex += 8;
        const char *eol = strchr(ex, '\n');
        assert_non_null(eol);
        char line[600];
        assert_true((size_t)(eol - ex) < sizeof line);
        memcpy(line, ex, (size_t)(eol - ex));
        line[eol - ex] = '\0';
        struct pfs_dlog_ev ev;
        if (parse_line(line, &ev) != (enum pfs_dlog_kind)k)
            fail_msg("%s: example of '%s' does not parse as it: %s", PFS_LOGS_MD, i->name, line);
    }
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_shape),       cmocka_unit_test(test_every_kind_roundtrip),
        cmocka_unit_test(test_seed_lines),        cmocka_unit_test(test_seed_fields),
        cmocka_unit_test(test_seed_messy),        cmocka_unit_test(test_doc_lists_every_kind),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
