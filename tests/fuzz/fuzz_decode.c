/*
 * fuzz_decode.c - libFuzzer harness for the libpfs decoder.
 *
 * The input is treated both as one datagram and as a TCP byte stream cut
 * into frames by pfs_frame_len. Every message that decodes is walked
 * (TLVs), rendered (pfs_format) and re-encoded; the re-encoding must
 * decode again and encode to the very same bytes. Any broken property
 * aborts, which libFuzzer (or the plain corpus driver) reports as a crash.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_decode: property broken: %s\n", what);
        abort();
    }
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

static void render(const struct pfs_msg *m)
{
    char line[1024], small[8];
    int n = pfs_format(line, sizeof line, "Rx", m);
    check(n > 0 && (size_t)n < sizeof line && strlen(line) == (size_t)n, "format length");
    for (int i = 0; i < n; i++)
        check(line[i] >= 0x20 && line[i] <= 0x7e, "format prints one printable line");
    check(pfs_format(small, sizeof small, "Rx", m) == n && strlen(small) == sizeof small - 1,
          "format truncates like snprintf");
    n = pfs_format(line, sizeof line, "Tx", m);
    check(n > 0 && (size_t)n < sizeof line, "format Tx length");
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
