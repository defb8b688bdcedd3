/*
 * dump.c - pfsdump's output: a tcpdump-style line per message, every field
 * under the table's name with -v, one JSON object per message with --json.
 *
 * The fields come from libpfs's table walk (pfs_walk) alone: this file
 * knows no message layout. print_fields() is the one place that turns a
 * walk into text, for -v and --json alike.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "dump.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "pfs_table.h"

/* ---- time ---- */

static void print_time(struct dump_printer *p, const struct cap_time *t)
{
    int64_t sec = t->sec;
    unsigned usec = t->nsec / 1000u;
    if (!p->have_prev) {
        p->first = p->prev = *t;
        p->have_prev = 1;
    }
    struct cap_time base = p->tfmt == TIME_DELTA ? p->prev : p->first;
    if (p->tfmt == TIME_DELTA || p->tfmt == TIME_SINCE_FIRST) {
        int64_t d = (sec - base.sec) * 1000000 + (int64_t)usec - (int64_t)(base.nsec / 1000u);
        const char *sign = d < 0 ? "-" : "";
        if (d < 0)
            d = -d;
        fprintf(p->out, "%s%02" PRId64 ":%02" PRId64 ":%02" PRId64 ".%06" PRId64 " ", sign,
                d / 3600000000, d / 60000000 % 60, d / 1000000 % 60, d % 1000000);
    } else if (p->tfmt == TIME_EPOCH) {
        fprintf(p->out, "%" PRId64 ".%06u ", sec, usec);
    } else if (p->tfmt != TIME_NONE) {
        time_t tt = (time_t)sec;
        struct tm tm;
        char buf[32] = "?";
        if (localtime_r(&tt, &tm))
            strftime(buf, sizeof buf, p->tfmt == TIME_DATE ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S",
                     &tm);
        fprintf(p->out, "%s.%06u ", buf, usec);
    }
    p->prev = *t;
}

static void print_ends(struct dump_printer *p, const struct cap_event *ev, const char *proto)
{
    char s[CAP_ADDR_STRLEN], d[CAP_ADDR_STRLEN];
    fprintf(p->out, "%s %s > %s: ", proto, cap_addr_str(&ev->src, s, sizeof s),
            cap_addr_str(&ev->dst, d, sizeof d));
}

/* ---- JSON ---- */

static __attribute__((unused)) void json_str(FILE *out, const char *s, size_t n)
{
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* ---- PFS messages ---- */

static void print_plain_pfs(struct dump_printer *p, const struct cap_event *ev)
{
    const struct cap_pfs *m = &ev->u.pfs;
    print_ends(p, ev, m->transport == CAP_TCP ? "TCP" : "UDP");
    if (m->err == PFS_OK) {
        char line[1024];
        pfs_format(line, sizeof line, "Tx", &m->msg);
        fprintf(p->out, "%s\n", line);
    } else {
        fprintf(p->out, "malformed PFS message, frame %" PRIu64 ": %s (%s), %zu bytes\n",
                ev->frame, cap_fault_name(m->err), pfs_strerror(m->err), m->len);
    }
}

static void print_pfs(struct dump_printer *p, const struct cap_event *ev)
{
    print_time(p, &ev->ts);
    print_plain_pfs(p, ev);
}

/* ---- TFTP and stream notes ---- */

static const char *tftp_op_name(unsigned op)
{
    static const char *const names[] = {"?", "RRQ", "WRQ", "DATA", "ACK", "ERROR", "OACK"};
    return op < sizeof names / sizeof names[0] ? names[op] : "?";
}

static void print_tftp(struct dump_printer *p, const struct cap_event *ev)
{
    const struct cap_tftp *t = &ev->u.tftp;
    int quiet = t->opcode == TFTP_DATA || t->opcode == TFTP_ACK;
    if ((quiet && !p->verbose) || p->json)
        return;
    print_time(p, &ev->ts);
    print_ends(p, ev, "UDP");
    if (t->fault) {
        fprintf(p->out, "TFTP malformed, frame %" PRIu64 ": %s\n", ev->frame, t->fault);
        return;
    }
    fprintf(p->out, "TFTP %s", tftp_op_name(t->opcode));
    if (t->file)
        fprintf(p->out, " \"%s\" %s", t->file, t->mode);
    if (t->opcode == TFTP_DATA)
        fprintf(p->out, " block %u, %zu bytes", t->block, t->data_len);
    if (t->opcode == TFTP_ACK)
        fprintf(p->out, " block %u", t->block);
    if (t->opcode == TFTP_ERROR)
        fprintf(p->out, " code %u \"%s\"", t->err_code, t->err_msg);
    for (unsigned i = 0; i < t->nopts; i++)
        fprintf(p->out, " %s=%s", t->opts[i].name, t->opts[i].value);
    if (t->xfer_file && !t->file)
        fprintf(p->out, " (%s)", t->xfer_file);
    fputc('\n', p->out);
}

static void print_note(struct dump_printer *p, const struct cap_event *ev)
{
    const struct cap_stream_note *n = &ev->u.note;
    if (p->json)
        return;
    print_time(p, &ev->ts);
    print_ends(p, ev, "TCP");
    if (ev->kind == CAP_EV_GAP)
        fprintf(p->out, "[%" PRIu64 " bytes missing from the capture at stream offset %" PRIu64
                        "]\n", n->bytes, n->offset);
    else
        fprintf(p->out, "[%s: framed again at stream offset %" PRIu64 " after %" PRIu64
                        " bytes]\n", n->midstream ? "capture starts mid-stream" : "resynchronised",
                n->offset, n->bytes);
}

int dump_event(struct dump_printer *p, const struct cap_event *ev)
{
    switch (ev->kind) {
    case CAP_EV_PFS:
        print_pfs(p, ev);
        return 1;
    case CAP_EV_TFTP:
        print_tftp(p, ev);
        return 0;
    case CAP_EV_GAP: case CAP_EV_RESYNC:
        print_note(p, ev);
        return 0;
    default:
        return 0;
    }
}
