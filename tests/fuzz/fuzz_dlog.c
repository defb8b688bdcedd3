/*
 * fuzz_dlog.c - libFuzzer harness for libpfs's DLoad line reader.
 *
 * The input is a log: it is cut into lines at '\n' (NUL bytes, CRs and
 * junk stay in). Each line goes through pfs_dlog_split, its text (or the
 * whole line, when there is no prefix) through pfs_dlog_parse. Properties:
 *  - split: the text lies inside the line, the level is two or three
 *    capitals, the time is within one day;
 *  - parse: whatever event the reader takes, the writer prints as a text
 *    that reads back as the same kind and prints the very same again
 *    (writer and reader agree on every value the reader can produce), and
 *    pfs_dlog_line's whole line splits back to the same time and text.
 * Any broken property aborts, which libFuzzer (or the plain corpus driver)
 * reports as a crash.
 *
 * pfslog's own reader (line mending, syslog headers) has its own harness;
 * this one covers the proto-level grammar only.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_dlog: property broken: %s\n", what);
        abort();
    }
}

/* Compiled once for the whole run; reachable until exit, so not a leak. */
static struct pfs_dlog_parser *parser(void)
{
    static struct pfs_dlog_parser *p;
    if (!p) {
        char err[200];
        p = pfs_dlog_parser_new(err, sizeof err);
        if (!p)
            fprintf(stderr, "fuzz_dlog: %s\n", err);
        check(p != NULL, "the grammar compiles");
    }
    return p;
}

static void check_split(const char *line, size_t len, const struct pfs_dlog_prefix *p)
{
    size_t lv = strlen(p->level);
    check(lv >= 2 && lv <= 3, "level is two or three letters");
    for (size_t i = 0; i < lv; i++)
        check(p->level[i] >= 'A' && p->level[i] <= 'Z', "level is capitals");
    check(p->usec >= 0 && p->usec < 86400LL * 1000000LL, "time of day within a day");
    check(p->comp > line && p->comp_len > 0 && p->comp + p->comp_len <= line + len,
          "component inside the line");
    check(p->msg >= p->comp + p->comp_len && p->msg + p->msg_len == line + len,
          "text runs to the end of the line");
}

/* What was read prints as a text that reads back the same and prints the same. */
static void check_event(const struct pfs_dlog_ev *ev, enum pfs_dlog_kind k, int64_t usec)
{
    check(ev->kind == k && pfs_dlog_info(k) != NULL, "a known kind is reported as itself");
    static char text[1024], again[1024], line[1200];
    int n = pfs_dlog_format(text, sizeof text, ev);
    check(n > 0 && (size_t)n < sizeof text && strlen(text) == (size_t)n, "format length");
    check(strpbrk(text, "\r\n") == NULL, "one line");

    struct pfs_dlog_ev back;
    check(pfs_dlog_parse(parser(), text, (size_t)n, &back) == k, "the writer's text reads back");
    int m = pfs_dlog_format(again, sizeof again, &back);
    check(m == n && memcmp(again, text, (size_t)n) == 0, "and prints the same again");

    int l = pfs_dlog_line(line, sizeof line, usec, ev);
    check(l > n && (size_t)l < sizeof line, "line length");
    struct pfs_dlog_prefix p;
    check(pfs_dlog_split(line, (size_t)l, &p) == 1, "the writer's line splits");
    check(p.usec == usec && p.msg_len == (size_t)n && memcmp(p.msg, text, (size_t)n) == 0,
          "and gives back its time and text");
}

static void one_line(const char *line, size_t len)
{
    struct pfs_dlog_prefix p;
    struct pfs_dlog_ev ev;
    const char *msg = line;
    size_t mlen = len;
    int64_t usec = 0;
    if (pfs_dlog_split(line, len, &p)) {
        check_split(line, len, &p);
        msg = p.msg;
        mlen = p.msg_len;
        usec = p.usec;
    }
    enum pfs_dlog_kind k = pfs_dlog_parse(parser(), msg, mlen, &ev);
    if (k != PFS_DL_NONE)
        check_event(&ev, k, usec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data, *end = s + size;
    while (s < end) {
        const char *eol = memchr(s, '\n', (size_t)(end - s));
        size_t len = (size_t)((eol ? eol : end) - s);
        one_line(s, len);
        if (!eol)
            break;
        s = eol + 1;
    }
    /* The whole input as one text, newlines and all: a shape can only match
     * with one newline at the very end, which "$" allows. */
    struct pfs_dlog_ev ev;
    enum pfs_dlog_kind k = pfs_dlog_parse(parser(), (const char *)data, size, &ev);
    if (k != PFS_DL_NONE)
        check_event(&ev, k, 0);
    return 0;
}
