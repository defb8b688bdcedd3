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

#include "jsonout.h"
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

/* ---- the fields of a message, from libpfs's table walk ---- */

#define MAX_ITEMS 256   /* fields kept per message (on the stack); a message of tiny TLVs may have more */

struct walk_items {
    struct pfs_item it[MAX_ITEMS];
    size_t n;
    int cut;            /* more fields than MAX_ITEMS */
};

static void keep_item(void *ctx, const struct pfs_item *it)
{
    struct walk_items *w = ctx;
    if (w->n < MAX_ITEMS)
        w->it[w->n++] = *it;
    else
        w->cut = 1;
}

/* The dissector's filter key without "pfs.": "strength", "hint.xid". */
static const char *field_key(const struct pfs_field *f)
{
    return strncmp(f->key, "pfs.", 4) == 0 ? f->key + 4 : f->key;
}

static const char *item_key(const struct pfs_item *it)
{
    return field_key(it->field);
}

/* Every field but the header's type, which is the line's (and the object's) type. */
static int item_shown(const struct pfs_item *it)
{
    return !(it->section == PFS_SEC_HEADER && strcmp(item_key(it), "type") == 0);
}

/* Reserved bytes as hex digits: they should be 0, and a listing shows when they are not. */
static void hex_bytes(char *out, size_t cap, const struct pfs_item *it)
{
    size_t n = 0;
    out[0] = 0;
    for (size_t i = 0; i < it->len && n + 3 <= cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%02x", it->bytes[i]);
}

/* One field's value as text; reserved bytes in hex. */
static void item_text(char *out, size_t cap, const struct pfs_item *it)
{
    if (it->field->kind == PFS_K_RESERVED)
        hex_bytes(out, cap, it);
    else
        pfs_item_format(out, cap, it);
}

static void json_value(FILE *out, const struct pfs_item *it)
{
    char text[160];
    switch (it->field->kind) {
    case PFS_K_U8: case PFS_K_U16: case PFS_K_U32: case PFS_K_PORT: case PFS_K_ENUM:
    case PFS_K_FLAGS: case PFS_K_HINTS: case PFS_K_PAYLOAD: case PFS_K_TLV:
        fprintf(out, "%" PRIu32, it->value);
        break;
    case PFS_K_STR: case PFS_K_TEXT:
        json_string(out, (const char *)it->bytes, it->value);
        break;
    default:
        item_text(text, sizeof text, it);
        json_string(out, text, strlen(text));
        break;
    }
}

/* Keys in first-seen order; a key seen more than once (hints, TLVs) gets an array. */
static void json_fields(FILE *out, const struct walk_items *w)
{
    for (size_t i = 0; i < w->n; i++) {
        const struct pfs_item *it = &w->it[i];
        if (!item_shown(it))
            continue;
        const char *key = item_key(it);
        int seen = 0, more = 0;
        for (size_t j = 0; j < w->n && !seen; j++)
            seen = j < i && strcmp(item_key(&w->it[j]), key) == 0;
        if (seen)
            continue;
        for (size_t j = i + 1; j < w->n && !more; j++)
            more = strcmp(item_key(&w->it[j]), key) == 0;
        fputc(',', out);
        json_string(out, key, strlen(key));
        fputc(':', out);
        if (!more) {
            json_value(out, it);
            continue;
        }
        fputc('[', out);
        for (size_t j = i, first = 1; j < w->n; j++)
            if (strcmp(item_key(&w->it[j]), key) == 0) {
                if (!first)
                    fputc(',', out);
                json_value(out, &w->it[j]);
                first = 0;
            }
        fputc(']', out);
    }
}

static void text_fields(FILE *out, const struct walk_items *w)
{
    char text[160];
    for (size_t i = 0; i < w->n; i++) {
        const struct pfs_item *it = &w->it[i];
        if (!item_shown(it))
            continue;
        item_text(text, sizeof text, it);
        if (it->section == PFS_SEC_HINT || it->section == PFS_SEC_TLV)
            fprintf(out, "    %s[%u]: %s\n", item_key(it), it->index, text);
        else
            fprintf(out, "    %s: %s\n", item_key(it), text);
    }
    if (w->cut)
        fprintf(out, "    (more than %d fields: the rest not shown)\n", MAX_ITEMS);
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

static void print_json_pfs(struct dump_printer *p, const struct cap_event *ev,
                           const struct walk_items *w, const struct pfs_fault *fault)
{
    const struct cap_pfs *m = &ev->u.pfs;
    char s[CAP_ADDR_STRLEN], d[CAP_ADDR_STRLEN];
    fprintf(p->out, "{\"frame\":%" PRIu64 ",\"time\":%" PRId64 ".%09u,\"src\":\"%s\",\"dst\":\"%s\","
                    "\"transport\":\"%s\",\"type\":",
            ev->frame, ev->ts.sec, ev->ts.nsec, cap_addr_str(&ev->src, s, sizeof s),
            cap_addr_str(&ev->dst, d, sizeof d), m->transport == CAP_TCP ? "tcp" : "udp");
    const char *tn = m->len >= 4 ? cap_type_doc_name(m->data[3]) : NULL;
    if (tn)
        fprintf(p->out, "\"%s\"", tn);
    else if (m->len >= 4)
        fprintf(p->out, "%u", m->data[3]);
    else
        fputs("null", p->out);
    if (m->err != PFS_OK)
        fprintf(p->out, ",\"error\":\"%s\",\"error_offset\":%zu", cap_fault_name(m->err),
                fault->off);
    fputs(",\"frames\":[", p->out);
    for (size_t i = 0; i < m->nframes; i++)
        fprintf(p->out, "%s%" PRIu64, i ? "," : "", m->frames[i]);
    fputc(']', p->out);
    json_fields(p->out, w);
    if (w->cut)
        fprintf(p->out, ",\"fields_cut\":%d", MAX_ITEMS);
    fputs("}\n", p->out);
}

static void print_pfs(struct dump_printer *p, const struct cap_event *ev)
{
    if (!p->verbose && !p->json) {
        print_time(p, &ev->ts);
        print_plain_pfs(p, ev);
        return;
    }
    struct walk_items w;
    struct pfs_fault fault = {0};
    w.n = 0;
    w.cut = 0;
    pfs_walk(ev->u.pfs.data, ev->u.pfs.len, 0, NULL, keep_item, &w, &fault);
    if (p->json) {
        print_json_pfs(p, ev, &w, &fault);
        return;
    }
    print_time(p, &ev->ts);
    print_plain_pfs(p, ev);
    text_fields(p->out, &w);
    if (ev->u.pfs.err != PFS_OK)
        fprintf(p->out, "    fault at offset %zu%s%s: %s\n", fault.off, fault.field ? " in " : "",
                fault.field ? field_key(fault.field) : "", pfs_strerror(ev->u.pfs.err));
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
