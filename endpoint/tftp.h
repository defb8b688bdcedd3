/*
 * tftp.h - the TFTP packet codec: RFC 1350 packets with the options of
 * RFC 2347 (OACK), RFC 2348 (blksize) and RFC 2349 (tsize), for a reading
 * client. Pure functions over caller buffers: no I/O, no state, no
 * allocation; tests/tftp fuzzes tftp_parse().
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFSD_TFTP_H
#define PFSD_TFTP_H

#include <stddef.h>
#include <stdint.h>

#define TFTP_BLKSIZE_DEF  512     /* RFC 1350 block size */
#define TFTP_BLKSIZE_MIN  8       /* RFC 2348 range */
#define TFTP_BLKSIZE_MAX  65464
#define TFTP_REQ_MAX      512     /* RFC 2347: a request fits in 512 bytes */
#define TFTP_MSG_MAX      128     /* ERROR text kept, sanitised to printable ASCII */

enum tftp_op {
    TFTP_OP_RRQ = 1, TFTP_OP_WRQ = 2, TFTP_OP_DATA = 3,
    TFTP_OP_ACK = 4, TFTP_OP_ERROR = 5, TFTP_OP_OACK = 6
};

enum tftp_ecode {           /* ERROR codes, RFC 1350 + RFC 2347 */
    TFTP_E_UNDEF = 0, TFTP_E_NOTFOUND = 1, TFTP_E_ACCESS = 2,
    TFTP_E_DISKFULL = 3, TFTP_E_ILLEGAL = 4, TFTP_E_BADTID = 5,
    TFTP_E_EXISTS = 6, TFTP_E_NOUSER = 7, TFTP_E_OPTION = 8
};

/* One decoded packet. Pointers point into the parsed buffer. */
struct tftp_pkt {
    uint16_t op;             /* enum tftp_op */
    uint16_t block;          /* DATA, ACK */
    const uint8_t *data;     /* DATA payload */
    size_t len;              /* DATA payload length */
    uint16_t code;           /* ERROR code */
    char msg[TFTP_MSG_MAX];  /* ERROR text, NUL-terminated */
    long blksize;            /* OACK blksize, 0 when absent */
    int64_t tsize;           /* OACK tsize, -1 when absent */
};

/*
 * tftp_build_rrq - RRQ for file in octet mode with "blksize N" when
 * blksize != 0 and "tsize 0" when want_tsize. Returns the length, or -1
 * when file is empty or the packet would not fit cap or TFTP_REQ_MAX.
 */
long tftp_build_rrq(uint8_t *out, size_t cap, const char *file, unsigned blksize,
                    int want_tsize);
/* ACK of block: 4 bytes, or -1 when cap < 4. */
long tftp_build_ack(uint8_t *out, size_t cap, uint16_t block);
/* ERROR code with msg, cut to fit TFTP_MSG_MAX. Returns the length or -1. */
long tftp_build_error(uint8_t *out, size_t cap, uint16_t code, const char *msg);

/*
 * tftp_parse - decode a packet a client may receive (DATA, ERROR, OACK;
 * the others decode their opcode and block only). Every length is checked.
 * OACK: option names are case-insensitive; only blksize (8..65464) and
 * tsize (decimal) are accepted, each once, values decimal digits only.
 * Returns 0, or -1 with a short reason in why ("truncated OACK").
 */
int tftp_parse(const uint8_t *buf, size_t len, struct tftp_pkt *p, char *why, size_t whylen);

/*
 * The block that follows b: 65535 is followed by 0 (tftpd-hpa wraps to 0,
 * not 1), so files over 65535 blocks keep going.
 */
uint16_t tftp_block_next(uint16_t b);

/* Standard text for an ERROR code ("File not found"), "Unknown error" else. */
const char *tftp_ecode_name(unsigned code);

#endif
