/*
 * tftp.c - the TFTP packet codec (see tftp.h): pure functions, no I/O, no
 * state. Every length is checked before a byte is read; the captured
 * length is all there is (a packet is one datagram).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tftp.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

const char *tftp_ecode_name(unsigned code)
{
    static const char *const names[] = {
        "Not defined", "File not found", "Access violation",
        "Disk full or allocation exceeded", "Illegal TFTP operation",
        "Unknown transfer ID", "File already exists", "No such user",
        "Option negotiation refused",
    };
    if (code < sizeof names / sizeof names[0])
        return names[code];
    return "Unknown error";
}

uint16_t tftp_block_next(uint16_t b)
{
    /* Unsigned 16-bit wrap: 65535 + 1 == 0, which is what tftpd-hpa sends. */
    return (uint16_t)(b + 1u);
}

/* ---- packet building ---- */

static long put_str(uint8_t *out, size_t cap, size_t off, const char *s)
{
    size_t n = strlen(s) + 1;
    if (off > cap || cap - off < n)
        return -1;
    memcpy(out + off, s, n);
    return (long)(off + n);
}

long tftp_build_rrq(uint8_t *out, size_t cap, const char *file, unsigned blksize,
                    int want_tsize)
{
    char num[16];
    long off;
    if (!file || !file[0] || cap < 2)
        return -1;
    if (cap > TFTP_REQ_MAX)
        cap = TFTP_REQ_MAX;
    put16(out, TFTP_OP_RRQ);
    off = put_str(out, cap, 2, file);
    if (off >= 0)
        off = put_str(out, cap, (size_t)off, "octet");
    if (off >= 0 && blksize) {
        snprintf(num, sizeof num, "%u", blksize);
        off = put_str(out, cap, (size_t)off, "blksize");
        if (off >= 0)
            off = put_str(out, cap, (size_t)off, num);
    }
    if (off >= 0 && want_tsize) {
        off = put_str(out, cap, (size_t)off, "tsize");
        if (off >= 0)
            off = put_str(out, cap, (size_t)off, "0");
    }
    return off;
}

long tftp_build_ack(uint8_t *out, size_t cap, uint16_t block)
{
    if (cap < 4)
        return -1;
    put16(out, TFTP_OP_ACK);
    put16(out + 2, block);
    return 4;
}

long tftp_build_error(uint8_t *out, size_t cap, uint16_t code, const char *msg)
{
    size_t n = msg ? strnlen(msg, TFTP_MSG_MAX - 1) : 0;
    if (cap < 5 + n)
        return -1;
    put16(out, TFTP_OP_ERROR);
    put16(out + 2, code);
    if (n)
        memcpy(out + 4, msg, n);
    out[4 + n] = 0;
    return (long)(5 + n);
}

/* ---- packet parsing ---- */

/* Decimal digits only, no sign, no overflow past max. */
static int parse_dec(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        unsigned d;
        if (*s < '0' || *s > '9')
            return -1;
        d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Copy at most cap-1 bytes of s (length n) as printable ASCII. */
static void sanitize(char *dst, size_t cap, const uint8_t *s, size_t n)
{
    size_t i;
    if (n > cap - 1)
        n = cap - 1;
    for (i = 0; i < n; i++)
        dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
    dst[n] = 0;
}

/* The NUL-terminated string at buf[off..len), or NULL when unterminated. */
static const char *cstr_at(const uint8_t *buf, size_t len, size_t off, size_t *next)
{
    const uint8_t *nul;
    if (off >= len)
        return NULL;
    nul = memchr(buf + off, 0, len - off);
    if (!nul)
        return NULL;
    *next = (size_t)(nul - buf) + 1;
    return (const char *)(buf + off);
}

static int oack_option(struct tftp_pkt *p, const char *name, const char *val, char *why,
                       size_t whylen)
{
    uint64_t v;
    char shown[32];
    if (strcasecmp(name, "blksize") == 0) {
        if (p->blksize)
            return seterr(why, whylen, "OACK repeats blksize"), -1;
        if (parse_dec(val, TFTP_BLKSIZE_MAX, &v) != 0 || v < TFTP_BLKSIZE_MIN)
            return seterr(why, whylen, "OACK blksize not 8..65464"), -1;
        p->blksize = (long)v;
        return 0;
    }
    if (strcasecmp(name, "tsize") == 0) {
        if (p->tsize >= 0)
            return seterr(why, whylen, "OACK repeats tsize"), -1;
        if (parse_dec(val, (uint64_t)INT64_MAX, &v) != 0)
            return seterr(why, whylen, "OACK tsize not a number"), -1;
        p->tsize = (int64_t)v;
        return 0;
    }
    sanitize(shown, sizeof shown, (const uint8_t *)name, strlen(name));
    seterr(why, whylen, "OACK has unrequested option '%s'", shown);
    return -1;
}

static int parse_oack(const uint8_t *buf, size_t len, struct tftp_pkt *p, char *why,
                      size_t whylen)
{
    size_t off = 2;
    if (len == 2)
        return seterr(why, whylen, "empty OACK"), -1;
    while (off < len) {
        size_t voff, next;
        const char *name = cstr_at(buf, len, off, &voff);
        const char *val;
        if (!name)
            return seterr(why, whylen, "truncated OACK option name"), -1;
        if (!name[0])
            return seterr(why, whylen, "empty OACK option name"), -1;
        val = cstr_at(buf, len, voff, &next);
        if (!val)
            return seterr(why, whylen, "truncated OACK option value"), -1;
        if (oack_option(p, name, val, why, whylen) != 0)
            return -1;
        off = next;
    }
    return 0;
}

static void parse_error_pkt(const uint8_t *buf, size_t len, struct tftp_pkt *p)
{
    const uint8_t *nul = memchr(buf + 4, 0, len - 4);
    size_t n = nul ? (size_t)(nul - (buf + 4)) : len - 4;
    p->code = get16(buf + 2);
    /* A missing NUL is tolerated: the text is still bounded by len. */
    sanitize(p->msg, sizeof p->msg, buf + 4, n);
}

int tftp_parse(const uint8_t *buf, size_t len, struct tftp_pkt *p, char *why, size_t whylen)
{
    memset(p, 0, sizeof *p);
    p->tsize = -1;
    if (len < 2)
        return seterr(why, whylen, "truncated packet (%zu bytes)", len), -1;
    p->op = get16(buf);
    switch (p->op) {
    case TFTP_OP_RRQ:
    case TFTP_OP_WRQ:
        return 0;
    case TFTP_OP_DATA:
    case TFTP_OP_ACK:
        if (len < 4)
            return seterr(why, whylen, "truncated %s", p->op == TFTP_OP_DATA ? "DATA" : "ACK"),
                   -1;
        p->block = get16(buf + 2);
        if (p->op == TFTP_OP_DATA) {
            p->data = buf + 4;
            p->len = len - 4;
        }
        return 0;
    case TFTP_OP_ERROR:
        if (len < 4)
            return seterr(why, whylen, "truncated ERROR"), -1;
        parse_error_pkt(buf, len, p);
        return 0;
    case TFTP_OP_OACK:
        return parse_oack(buf, len, p, why, whylen);
    default:
        return seterr(why, whylen, "unknown opcode %u", p->op), -1;
    }
}
