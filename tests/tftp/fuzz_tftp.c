/*
 * fuzz_tftp.c - libFuzzer harness for the TFTP packet parser and the
 * .loads parser and writer.
 *
 * The first input byte picks the target (even: tftp_parse, odd:
 * loads_parse), the rest is the input. Beyond "no crash, no sanitizer
 * report", it checks properties: a parsed packet's fields stay inside the
 * input and their ranges, and a parsed .loads written back parses to the
 * same struct.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loads.h"
#include "tftp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static void fuzz_packet(const uint8_t *buf, size_t len)
{
    struct tftp_pkt p;
    char why[96];
    if (tftp_parse(buf, len, &p, why, sizeof why) != 0) {
        check(memchr(why, 0, sizeof why) != NULL && why[0] != 0);
        return;
    }
    check(memchr(p.msg, 0, sizeof p.msg) != NULL);
    switch (p.op) {
    case TFTP_OP_DATA:
        check(p.data == buf + 4 && p.len == len - 4);
        break;
    case TFTP_OP_OACK:
        check(p.blksize == 0 || (p.blksize >= TFTP_BLKSIZE_MIN && p.blksize <= TFTP_BLKSIZE_MAX));
        check(p.tsize >= -1);
        check(p.blksize != 0 || p.tsize != -1); /* an OACK names at least one option */
        break;
    default:
        check(p.op >= TFTP_OP_RRQ && p.op <= TFTP_OP_OACK);
        break;
    }
}

static void fuzz_loads(const uint8_t *buf, size_t len)
{
    static struct loads l, l2;
    static char out[8192];
    char err[LOADS_ERR_LEN];
    long n;
    if (loads_parse((const char *)buf, len, &l, err, sizeof err) != 0) {
        check(strncmp(err, "line ", 5) == 0);
        return;
    }
    check(l.nfiles >= 1 && l.nfiles <= LOADS_MAX_FILES);
    n = loads_write(&l, out, sizeof out);
    check(n > 0 && (size_t)n < sizeof out);
    check(loads_parse(out, (size_t)n, &l2, err, sizeof err) == 0);
    check(memcmp(&l, &l2, sizeof l) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] & 1)
        fuzz_loads(data + 1, size - 1);
    else
        fuzz_packet(data + 1, size - 1);
    return 0;
}
