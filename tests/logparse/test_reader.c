/*
 * test_reader.c - pfslog's line reader: every DLoad kind the grammar
 * table has (so every line the endpoint writes and the phones print)
 * becomes one typed event, and every kind of mess real logs carry is
 * undone: glued and wrapped records, clipped levels, CRLF, other
 * components, time going backwards and past midnight, invalid UTF-8, NUL
 * bytes, megabyte lines, syslog headers (RFC 3164 and 5424) naming the
 * phone. Lines it cannot place are counted and reported with their line.
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

#include "tl.h"

/* Values for every field; each kind's template picks its own. */
static struct pfs_dlog_ev sample(enum pfs_dlog_kind k)
{
    struct pfs_dlog_ev ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = k;
    ev.xid = 0x080027F8u;
    ev.peer = 0x0A000003u;
    ev.h = 0x36685558u;
    ev.map = 0xff9d7cb9u;
    ev.strength = 0x31d4d43du;
    ev.ip = 0x0A6A7544u;  /* 10.106.117.68 */
    ev.pip = 0x7F000003u; /* 127.0.0.3 */
    ev.n = 3;
    ev.index = 1;
    ev.depth = 2;
    ev.tries = 1;
    ev.fd = 7;
    ev.fd0 = 9;
    ev.fd1 = -1;
    ev.parent = 8;
    ev.full = 0;
    ev.port = 4051;
    ev.bytes = 524288;
    ev.total = 1048576;
    ev.secs = 0.579;
    ev.rate = 1768.5;
    strcpy(ev.model, "CP-7961G");
    strcpy(ev.file, "/dnld/jar41.9-4-2ES26.sbn");
    strcpy(ev.hier, "ClaimRoot(tent)");
    strcpy(ev.state, "tent");
    strcpy(ev.reason, "FULL");
    strcpy(ev.src, "peer");
    strcpy(ev.trace, "idl_child.c-openUDPPort");
    strcpy(ev.sha, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    return ev;
}

/* What the reader made of a line prints as the line's own text. */
static void same_text(const struct pfs_dlog_ev *got, const struct pfs_dlog_ev *want)
{
    char a[600], b[600];
    assert_true(pfs_dlog_format(a, sizeof a, got) > 0);
    assert_true(pfs_dlog_format(b, sizeof b, want) > 0);
    assert_string_equal(a, b);
}

static void test_every_kind_is_an_event(void **state)
{
    (void)state;
    for (int k = PFS_DL_NONE + 1; k < PFS_DL_KIND_COUNT; k++) {
        struct tl *t = tl_new();
        struct pfs_dlog_ev ev = sample((enum pfs_dlog_kind)k);
        int64_t usec = tl_tod(2, 19, 23, 411925);
        if (tl_ev(t, usec, ev) != 1)
            fail_msg("kind %s: no event from '%s'", pfs_dlog_info(ev.kind)->name, tl_dl(usec, ev));
        assert_int_equal(t->ev[0].ev.kind, k);
        same_text(&t->ev[0].ev, &ev);
        assert_int_equal(t->ev[0].t, usec);
        assert_string_equal(t->ev[0].level, pfs_dlog_level_name(pfs_dlog_info(ev.kind)->level));
        assert_int_equal(t->ev[0].ref.line, 1);
        assert_int_equal(t->r.stats.dload_lines, 1);
        assert_int_equal(t->r.stats.unparsed_lines, 0);
        tl_finish(t);
        char *js = tl_json(t); /* every kind also goes through the model */
        free(js);
        tl_free(t);
    }
}

/* The seed excerpt's record glued to the next one and wrapped onto a third line. */
static void test_glued_level_and_wrapped_tail(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    assert_int_equal(tl_line(t, "INF 02:19:23.912719 DLoad: XID080027F8 TxBdcst Ad 3: "
                                "ClaimRoot(tent)INF"), 1);
    assert_int_equal(t->ev[0].ev.kind, PFS_DL_AD);
    assert_int_equal(t->ev[0].ev.n, 3);
    assert_string_equal(t->ev[0].ev.hier, "ClaimRoot(tent)");
    /* headless: the level came at the end of the line before; "TO" is still missing */
    assert_int_equal(tl_line(t, "02:19:34.410208 DLoad: XID080027F8 Root sending TFTP XfrCmd on "
                                "ROOT_WAITING"), 0);
    assert_int_equal(tl_line(t, "TO"), 1);
    assert_int_equal(t->ev[1].ev.kind, PFS_DL_ROOT_TFTP);
    assert_string_equal(t->ev[1].level, "INF");
    assert_int_equal(t->ev[1].t, tl_tod(2, 19, 34, 410208));
    assert_int_equal(t->ev[1].ref.line, 2); /* the record's own line */
    assert_int_equal(t->r.stats.glued, 1);
    assert_int_equal(t->r.stats.headless, 1);
    assert_int_equal(t->r.stats.wrapped, 1);
    tl_finish(t);
    assert_int_equal(t->r.stats.unparsed_lines, 0);
    tl_free(t);
}

static void test_two_records_on_one_line(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    assert_int_equal(tl_line(t, "INF 02:19:23.411925 DLoad: XID080027F8 TxBdcst Ad 1: "
                                "ClaimRoot(tent)NOT 02:19:23.660235 DLoad: ^.idl_timeout.c-doTimeout"),
                     2);
    assert_int_equal(t->ev[0].ev.kind, PFS_DL_AD);
    assert_string_equal(t->ev[0].level, "INF");
    assert_int_equal(t->ev[1].ev.kind, PFS_DL_TRACE);
    assert_string_equal(t->ev[1].ev.trace, "idl_timeout.c-doTimeout");
    assert_string_equal(t->ev[1].level, "NOT");
    assert_int_equal(t->ev[1].t, tl_tod(2, 19, 23, 660235));
    assert_int_equal(t->r.stats.glued, 1);
    tl_free(t);
}

static void test_wrapped_claim_and_hroot(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    tl_text(t, "NF 02:19:23.162700 DLoad: XID080027F8 TxBdcst ClaimRoot(tent): map=ff9d7cb9\n"
               "strength=31d4d43d \n"
               "NOT 02:19:24.412806 DLoad: @@@HROOT:XID080027F8 H=36685558 m=CP-7961G\n"
               "ROOT=10.106.117.68 /dnld/SCCP41.9-4-2SR2-2S.loads\n");
    assert_int_equal(t->nev, 2);
    assert_int_equal(t->ev[0].ev.kind, PFS_DL_CLAIM);
    assert_int_equal(t->ev[0].ev.strength, 0x31d4d43du);
    assert_int_equal(t->ev[0].ev.map, 0xff9d7cb9u);
    assert_string_equal(t->ev[0].level, "NF"); /* a clipped INF is kept as captured */
    assert_int_equal(t->ev[1].ev.kind, PFS_DL_HROOT);
    assert_int_equal(t->ev[1].ev.ip, 0x0A6A7544u);
    assert_string_equal(t->ev[1].ev.file, "/dnld/SCCP41.9-4-2SR2-2S.loads");
    assert_int_equal(t->ev[1].ref.line, 3);
    assert_int_equal(t->r.stats.wrapped, 2);
    tl_free(t);
}

/* A record of no known shape waits for a tail, then is counted with its line. */
static void test_unknown_record_is_counted_with_its_line(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    tl_text(t, "DBG 02:19:22.634167 DLoad: +++ fd=7 Listening on peer TCP port 4051\n"
               "NOT 02:19:22.700000 DLoad: XID080027F8 Frobnicating the widget\n"
               "NOT 02:19:22.800000 DLoad: ^.idl_child.c-openUDPPort\n"
               "some text that is no console line at all\n");
    tl_finish(t);
    assert_int_equal(t->nev, 2);
    assert_int_equal(t->r.stats.unparsed_lines, 2);
    assert_int_equal(t->nunplaced, 2);
    assert_int_equal(t->unplaced[0].line, 2);
    assert_int_equal(t->unplaced[1].line, 4);
    assert_int_equal(t->r.stats.lines, 4);
    tl_free(t);
}

static void test_crlf_trailing_blanks_and_quotes(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    assert_int_equal(tl_line(t, "NOT 02:19:24.412095 DLoad: UT:Confirmed root bumping strength\r"), 1);
    assert_int_equal(tl_line(t, "\"INF 02:19:23.411925 DLoad: XID080027F8 TxBdcst Ad 1: "
                                "ClaimRoot(tent) \t \"\r"), 1);
    assert_int_equal(t->ev[0].ev.kind, PFS_DL_CONFIRMED);
    assert_int_equal(t->ev[1].ev.kind, PFS_DL_AD);
    assert_string_equal(t->ev[1].ev.hier, "ClaimRoot(tent)");
    tl_line(t, "\r");
    assert_int_equal(t->r.stats.blank_lines, 1);
    tl_free(t);
}

/* Other components are counted, not placed, and do not break a wrapped record. */
static void test_other_components_interleaved(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    tl_text(t, "INF 02:19:23.100000 JVM: Startup Module Loader|cip.sccp:?\n"
               "NF 02:19:23.162700 DLoad: XID080027F8 TxBdcst ClaimRoot(tent): map=ff9d7cb9\n"
               "NOT 02:19:23.170000 SCCP: SCCP: KeepAlive\n"
               "strength=31d4d43d\n"
               "ERR 02:19:23.200000 JVM: Exception in DLoad: no such file\n");
    tl_finish(t);
    assert_int_equal(t->nev, 1);
    assert_int_equal(t->ev[0].ev.kind, PFS_DL_CLAIM);
    assert_int_equal(t->ev[0].ev.strength, 0x31d4d43du);
    assert_int_equal(t->r.stats.other_lines, 3);
    assert_int_equal(t->r.stats.unparsed_lines, 0);
    tl_free(t);
}

static void test_time_out_of_order_and_midnight(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    tl_text(t, "NOT 23:59:58.000000 DLoad: ^.a-b\n"
               "NOT 23:59:57.500000 DLoad: ^.a-c\n"   /* half a second back: out of order */
               "NOT 23:59:59.900000 DLoad: ^.a-d\n"
               "NOT 00:00:00.100000 DLoad: ^.a-e\n"   /* past midnight */
               "NOT 23:59:59.950000 DLoad: ^.a-f\n"   /* a straggler from before it */
               "NOT 00:00:01.000000 DLoad: ^.a-g\n");
    assert_int_equal(t->nev, 6);
    const int64_t day = PLOG_DAY_US;
    assert_int_equal(t->ev[0].t, tl_tod(23, 59, 58, 0));
    assert_int_equal(t->ev[1].t, tl_tod(23, 59, 57, 500000));
    assert_int_equal(t->ev[3].t, day + 100000);
    assert_int_equal(t->ev[4].t, tl_tod(23, 59, 59, 950000));
    assert_int_equal(t->ev[5].t, day + 1000000);
    assert_int_equal(t->r.stats.midnight, 1);
    assert_int_equal(t->r.stats.out_of_order, 2);
    tl_free(t);
}

static void test_invalid_utf8_and_nul_bytes(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    static const char junk[] = "\xff\xfe\xc3\x28 \x00\x01" "INF 02:19:23.411925 DLoad: XID080027F8 "
                               "TxBdcst Ad 1: ClaimRoot(tent)\x00\x00";
    assert_int_equal(tl_raw(t, junk, sizeof junk - 1, NULL), 1);
    assert_int_equal(t->ev[0].ev.kind, PFS_DL_AD);
    static const char bin[] = "\x80\x81\x00\xfe binary junk \x00 from a serial console";
    assert_int_equal(tl_raw(t, bin, sizeof bin - 1, NULL), 0);
    /* a NUL inside a record: no known shape, counted */
    static const char nul[] = "NOT 02:19:24.000000 DLoad: ^.idl\x00child";
    assert_int_equal(tl_raw(t, nul, sizeof nul - 1, NULL), 0);
    tl_finish(t);
    assert_int_equal(t->r.stats.unparsed_lines, 2);
    tl_free(t);
}

static void test_json_strings_stay_valid(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    static const char s[] = "a\"b\\c\n\x01\xff\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xed\xa0\x80\xc0\xaf";
    plog_json_str(f, s, sizeof s - 1);
    fclose(f);
    assert_true(json_valid(buf, len));
    assert_string_equal(buf, "\"a\\\"b\\\\c\\u000a\\u0001\\ufffd\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                             "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
    free(buf);
}

static void test_megabyte_line(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    size_t n = 1u << 20;
    char *big = malloc(n + 200);
    assert_non_null(big);
    memset(big, 'x', n);
    int k = snprintf(big + n, 200, " INF 02:19:23.411925 DLoad: XID080027F8 TxBdcst Ad 2: Member");
    assert_int_equal(tl_raw(t, big, n + (size_t)k, NULL), 1);
    assert_int_equal(t->ev[0].ev.kind, PFS_DL_AD);
    assert_string_equal(t->ev[0].ev.hier, "Member");
    assert_int_equal(tl_raw(t, big, n, NULL), 0); /* a megabyte of junk */
    tl_finish(t);
    assert_int_equal(t->r.stats.unparsed_lines, 1);
    free(big);
    tl_free(t);
}

/* RFC 3164 headers from a Log Server: the host tells two phones apart. */
static void test_rfc3164_host_names_the_phone(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    tl_text(t, "<190>Nov 26 02:19:22 10.106.117.68 DBG 02:19:22.634167 DLoad: +++ fd=7 Listening on peer TCP port 4051\n"
               "<190>Nov 26 02:19:22 10.106.117.69 DBG 02:19:22.634200 DLoad: +++ fd=7 Listening on peer TCP port 4051\n"
               "<189>Nov 26 02:19:22 10.106.117.68 NOT 02:19:22.664131 DLoad: |parent=-1><fd[0]=-1 fd[1]=-1 FULL=0\n"
               "<189>Nov 26 02:19:22 10.106.117.69 NOT 02:19:22.664200 DLoad: |parent=-1><fd[0]=5 fd[1]=6 FULL=1\n"
               "<190>Nov 26 02:19:23 10.106.117.69 NF 02:19:23.162800 DLoad: XID08002801 TxBdcst ClaimRoot(tent): map=1 strength=2\n"
               "Nov 26 02:19:23 10.106.117.68 NF 02:19:23.162700 DLoad: XID080027F8 TxBdcst ClaimRoot(tent): map=3 strength=4\n");
    tl_finish(t);
    assert_int_equal(t->nev, 6);
    assert_int_equal(t->r.stats.syslog_lines, 6);
    assert_int_equal(t->ev[0].stream == t->ev[1].stream, 0);
    assert_int_equal(t->ev[0].stream, t->ev[2].stream);
    const struct plog_phone *a = tl_phone(t, 0x080027F8u), *b = tl_phone(t, 0x08002801u);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a->host, "10.106.117.68");
    assert_string_equal(b->host, "10.106.117.69");
    /* the XID-less state dumps went to the phone of their host */
    assert_true(a->has_state && a->state_full == 0 && a->state_fd0 == -1);
    assert_true(b->has_state && b->state_full == 1 && b->state_fd0 == 5);
    assert_int_equal(a->listens, 1);
    tl_free(t);
}

static void test_rfc5424_headers(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    tl_text(t, "<190>1 2024-11-26T02:19:23.411925Z 10.106.117.68 pfsd 12 - - INF 02:19:23.411925 DLoad: XID080027F8 TxBdcst Ad 1: ClaimRoot(tent)\n"
               "<190>1 2024-11-26T02:19:23.5Z phone7 DLoad - ID47 [ex@32473 a=\"b\\]c\"][x@1 y=\"z\"] \xEF\xBB\xBFNOT 02:19:23.500000 DLoad: ^.idl_child.c-openUDPPort\n"
               "2024-11-26T02:19:24+01:00 phone7 NOT 02:19:24.000000 DLoad: UT:Confirmed root bumping strength\n"
               "<190>1 2024-11-26T02:19:25Z phone7 DLoad - ID47 - NOT 02:19:25.000000 DLoad: ^.a-b\n");
    assert_int_equal(t->nev, 4);
    assert_int_equal(t->r.stats.syslog_lines, 4);
    assert_string_equal(t->r.streams[t->ev[0].stream].host, "10.106.117.68");
    assert_string_equal(t->r.streams[t->ev[0].stream].tag, "pfsd[12]");
    assert_string_equal(t->r.streams[t->ev[1].stream].host, "phone7");
    assert_string_equal(t->r.streams[t->ev[1].stream].tag, "DLoad");
    /* the APP-NAME (and PROCID) is part of who sent it: a host and a tag are one stream */
    assert_int_equal(t->ev[1].stream, t->ev[3].stream);
    assert_int_equal(t->ev[1].stream == t->ev[2].stream, 0);
    assert_int_equal(t->ev[1].ev.kind, PFS_DL_TRACE);
    assert_int_equal(t->ev[2].t, tl_tod(2, 19, 24, 0));
    tl_free(t);
}

/*
 * Broken headers: a PRI that never closes or a cut-off header is a line not
 * placed, counted; a structured-data element that never closes does not
 * swallow the DLoad record behind it; the next good line is read as usual.
 */
static void test_malformed_syslog_headers(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    tl_text(t, "<190\n"
               "<190>Nov\n"
               "<190>1 2024-11-26T02:19:23Z h app 1 - [x@1 y=\"z INF 02:19:23.411925 DLoad: XID080027F8 TxBdcst Ad 1: ClaimRoot(tent)\n"
               "<190>1 - - - - - - \n"
               "<190>Nov 26 02:19:22 10.1.1.3 INF 02:19:23.411925 DLoad: XID080027FA TxBdcst Ad 2: ClaimRoot(tent)\n");
    assert_int_equal(t->r.stats.lines, 5);
    assert_int_equal(t->r.stats.unparsed_lines, 2);
    assert_int_equal(t->r.stats.dload_lines, 2);
    assert_int_equal(t->nev, 2);
    assert_int_equal(t->ev[0].ev.kind, PFS_DL_AD);
    assert_int_equal(t->ev[0].ev.xid, 0x080027F8u);
    assert_int_equal(t->ev[1].ev.xid, 0x080027FAu);
    assert_string_equal(t->r.streams[t->ev[1].stream].host, "10.1.1.3");
    tl_free(t);
}

/* A line whose own time is missing takes the header's; dates count the days. */
static void test_header_time_and_date(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    tl_text(t, "<190>Nov 26 02:19:23 host1 pfsd[7]: DLoad: UT:Confirmed root bumping strength\n"
               "<190>Nov 27 02:19:23 host1 pfsd[7]: NOT 02:19:23.000001 DLoad: ^.a-b\n"
               "<190>Nov 27 23:59:59 host1 pfsd[7]: NOT 00:00:00.500000 DLoad: ^.a-c\n");
    assert_int_equal(t->nev, 3);
    assert_int_equal(t->ev[0].t, tl_tod(2, 19, 23, 0));
    assert_int_equal(t->ev[1].t, PLOG_DAY_US + tl_tod(2, 19, 23, 1));
    /* the phone's clock is past midnight, the server's not yet: the next day */
    assert_int_equal(t->ev[2].t, 2 * PLOG_DAY_US + 500000);
    tl_free(t);
}

/* --listen: a datagram without a header is named by its sender. */
static void test_sender_names_the_phone(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    const char *l = "NOT 02:19:22.664131 DLoad: |parent=-1><fd[0]=-1 fd[1]=-1 FULL=0";
    assert_int_equal(tl_raw(t, l, strlen(l), "192.0.2.7"), 1);
    assert_int_equal(tl_raw(t, l, strlen(l), "192.0.2.8"), 1);
    assert_string_equal(t->r.streams[t->ev[0].stream].host, "192.0.2.7");
    assert_int_not_equal(t->ev[0].stream, t->ev[1].stream);
    tl_free(t);
}

/* Every line of the seed excerpt (samples/seed-root.log) placed, with the mess undone. */
static void test_seed_excerpt(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    FILE *f = fopen(PFS_SAMPLES "/seed-root.log", "rb");
    assert_non_null(f);
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n')
            n--;
        tl_raw(t, line, n, NULL);
    }
    fclose(f);
    tl_finish(t);
    static const enum pfs_dlog_kind want[] = {
        PFS_DL_LISTEN, PFS_DL_TRACE,   PFS_DL_STATE,   PFS_DL_TRACE,     PFS_DL_CLAIM,
        PFS_DL_TRACE,  PFS_DL_TIMEOUT, PFS_DL_TRACE,   PFS_DL_AD,        PFS_DL_TRACE,
        PFS_DL_TIMEOUT, PFS_DL_TRACE,  PFS_DL_AD,      PFS_DL_TRACE,     PFS_DL_TIMEOUT,
        PFS_DL_TRACE,  PFS_DL_AD,      PFS_DL_ROOT_TFTP, PFS_DL_TRACE,   PFS_DL_TIMEOUT,
        PFS_DL_TRACE,  PFS_DL_AD,      PFS_DL_TRACE,   PFS_DL_TIMEOUT,   PFS_DL_CONFIRMED,
        PFS_DL_HROOT,
    };
    assert_int_equal(t->nev, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < t->nev; i++)
        if (t->ev[i].ev.kind != want[i])
            fail_msg("event %zu: kind %d, want %d", i, (int)t->ev[i].ev.kind, (int)want[i]);
    assert_int_equal(t->r.stats.unparsed_lines, 0);
    assert_int_equal(t->r.stats.out_of_order, 1); /* the glued line is 10 s ahead */
    tl_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_is_an_event),
        cmocka_unit_test(test_glued_level_and_wrapped_tail),
        cmocka_unit_test(test_two_records_on_one_line),
        cmocka_unit_test(test_wrapped_claim_and_hroot),
        cmocka_unit_test(test_unknown_record_is_counted_with_its_line),
        cmocka_unit_test(test_crlf_trailing_blanks_and_quotes),
        cmocka_unit_test(test_other_components_interleaved),
        cmocka_unit_test(test_time_out_of_order_and_midnight),
        cmocka_unit_test(test_invalid_utf8_and_nul_bytes),
        cmocka_unit_test(test_json_strings_stay_valid),
        cmocka_unit_test(test_megabyte_line),
        cmocka_unit_test(test_rfc3164_host_names_the_phone),
        cmocka_unit_test(test_rfc5424_headers),
        cmocka_unit_test(test_malformed_syslog_headers),
        cmocka_unit_test(test_header_time_and_date),
        cmocka_unit_test(test_sender_names_the_phone),
        cmocka_unit_test(test_seed_excerpt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
