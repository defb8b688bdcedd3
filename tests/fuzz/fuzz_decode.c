/*
 * fuzz_decode.c - libFuzzer harness for the libpfs decoder.
 *
 * The input is treated both as one datagram and as a TCP byte stream cut
 * into frames by pfs_frame_len. Each is walked field by field (pfs_walk):
 * the walk agrees with pfs_decode, its fields lie in the buffer, in wire
 * order and without gaps, and a fault lies after every field reported.
 * Every message that decodes is walked (TLVs), rendered (pfs_format) and
 * re-encoded; the re-encoding must decode again and encode to the very
 * same bytes. Any broken property aborts, which libFuzzer (or the plain
 * corpus driver) reports as a crash.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfs.h"
#include "pfs_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_decode: property broken: %s\n", what);
        abort();
    }
}

/* What a walk reported: leaf fields must follow each other without a gap. */
struct tiling {
    const uint8_t *buf;
    size_t len, next, last; /* next byte after the leaves; start of the last item */
};

static void on_item(void *ctx, const struct pfs_item *it)
{
    struct tiling *t = ctx;
    char text[600];
    check(it->field != NULL && it->field->key != NULL, "every item has its row");
    check(it->off == t->next, "items follow each other in wire order");
    check(it->off <= t->len && it->len <= t->len - it->off, "an item lies in the buffer");
    check(it->bytes == t->buf + it->off ||
              ((it->field->kind == PFS_K_STR || it->field->kind == PFS_K_TLV) &&
               it->bytes >= t->buf + it->off && it->bytes <= t->buf + it->off + it->len),
          "an item's bytes are its own");
    int n = pfs_item_format(text, sizeof text, it);
    check(n >= 0 && (size_t)n < sizeof text, "an item formats");
    /* Containers (hint list, TLV) come before their parts and cover them. */
    if (it->field->kind != PFS_K_HINTS && it->field->kind != PFS_K_TLV)
        t->next = it->off + it->len;
    t->last = it->off;
}

/* The fault is the message's own rule, checked after its last row. */
static int own_rule(const struct pfs_msg *m, const struct pfs_fault *f)
{
    const struct pfs_msgdef *d = pfs_msgdef_of(m->type);
    unsigned at = 0;
    if (!d || !d->rule || d->rule(m, &at) != f->err || at >= d->nfields)
        return 0;
    return f->field == &d->fields[at];
}

static void walk_fields(const uint8_t *buf, size_t len, unsigned flags, int decoded)
{
    struct tiling t = {buf, len, 0, 0};
    struct pfs_fault f;
    struct pfs_msg m;
    int rc = pfs_walk(buf, len, flags, &m, on_item, &t, &f);
    check(rc == f.err, "the walk returns its fault");
    if (!(flags & PFS_WALK_STREAM))
        check(rc == decoded, "the walk and pfs_decode agree");
    if (rc == PFS_OK) {
        check(t.next == m.length, "the fields of a valid message cover it");
        return;
    }
    check(f.off <= len, "a fault lies in the buffer or at its end");
    /* The faults judged after later fields: a UDP message's length, and the
     * message's own rule (DATA's offset + len), which blames one of its rows. */
    int udp_size = rc == PFS_E_SIZE && f.field && strcmp(f.field->key, "pfs.length") == 0;
    check(f.off >= t.last || udp_size || own_rule(&m, &f), "a fault is not before the fields it follows");
}

static void walk_tlvs(const struct pfs_msg *m)
{
    size_t off = 0, prev = 0;
    struct pfs_tlv_item it;
    int rc;
    while ((rc = pfs_tlv_next(m, &off, &it)) == 1) {
        check(off > prev && off <= m->tlv_len, "TLV iteration advances within the area");
        prev = off;
    }
    check(rc == 0, "a decoded message has no TLV overrun");
}

/*
 * Like snprintf, pfs_format gives the whole length, so the line is sized by
 * asking first: a message of many TLVs ("tlv255/0" for 2 bytes) prints
 * longer than the message itself. The caller frees the line.
 */
static char *format_whole(const char *dir, const struct pfs_msg *m, int *n)
{
    *n = pfs_format(NULL, 0, dir, m);
    check(*n > 0, "format length");
    char *line = malloc((size_t)*n + 1);
    check(line != NULL, "memory for a line");
    check(pfs_format(line, (size_t)*n + 1, dir, m) == *n && strlen(line) == (size_t)*n,
          "format writes the length it gives");
    return line;
}

static void render(const struct pfs_msg *m)
{
    char small[8];
    int n;
    char *line = format_whole("Rx", m, &n);
    for (int i = 0; i < n; i++)
        check(line[i] >= 0x20 && line[i] <= 0x7e, "format prints one printable line");
    check(pfs_format(small, sizeof small, "Rx", m) == n && strlen(small) == sizeof small - 1,
          "format truncates like snprintf");
    free(line);
    free(format_whole("Tx", m, &n));
}

/* decode(x) -> y = encode; decode(y) -> z = encode; y == z, same length as x. */
static void reencode(const struct pfs_msg *m, size_t size)
{
    static uint8_t y[PFS_MSG_MAX], z[PFS_MSG_MAX];
    struct pfs_msg a = *m, b;
    long ny = pfs_encode(&a, y, sizeof y);
    check(ny == (long)size, "a decoded message re-encodes to its own length");
    check(pfs_decode(y, (size_t)ny, &b) == PFS_OK, "the re-encoding decodes");
    long nz = pfs_encode(&b, z, sizeof z);
    check(nz == ny && memcmp(y, z, (size_t)ny) == 0, "encode(decode(y)) == y");
    check(pfs_encode(&b, z, (size_t)ny - 1) == PFS_E_NOSPACE, "one byte short is NOSPACE");
}

static void one_message(const uint8_t *buf, size_t len)
{
    struct pfs_msg m;
    int rc = pfs_decode(buf, len, &m);
    check(rc <= 0 && rc >= PFS_E_NOSPACE && rc != PFS_E_NOSPACE, "decode returns a pfs_err");
    walk_fields(buf, len, 0, rc);
    walk_fields(buf, len, PFS_WALK_STREAM, rc);
    check(pfs_strerror(rc) != NULL, "every code has a message");
    if (rc != PFS_OK)
        return;
    check(pfs_frame_len(buf, len) == (long)len, "frame length of a valid message is its size");
    check(m.length == len && m.type >= PFS_T_CLAIM && m.type <= PFS_T_MAX, "header fields");
    walk_tlvs(&m);
    render(&m);
    reencode(&m, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* As one datagram. */
    one_message(data, size);

    /* As a TCP stream: frame after frame, until the framer wants more or refuses. */
    size_t off = 0;
    while (off < size) {
        long fl = pfs_frame_len(data + off, size - off);
        if (fl <= 0)
            break;
        check(fl >= PFS_HDR_LEN, "a frame is at least a header");
        if ((size_t)fl > size - off)
            break;
        one_message(data + off, (size_t)fl);
        off += (size_t)fl;
    }

    /* Every prefix of the header gives "more" or an error, never a bogus length. */
    for (size_t k = 0; k < size && k < PFS_HDR_LEN; k++)
        check(pfs_frame_len(data, k) <= 0, "a partial header has no length yet");
    return 0;
}
