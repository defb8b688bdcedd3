/*
 * golden.h - the golden byte vectors of every message type, shared by the
 * codec and format tests.
 *
 * Written field by field from the byte tables of docs/protocol.md (§2
 * header, §3 bodies), never captured from the encoder: the codec must
 * produce exactly these bytes. Each vector has the struct it stands for.
 * Include from one test source only once (static definitions).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFS_TEST_GOLDEN_H
#define PFS_TEST_GOLDEN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfs.h"

static int golden_nib(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Hex (blanks allowed) to bytes. Bad hex or no room is a bug in the test: abort. */
static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (const char *s = hex; *s;) {
        if (*s == ' ') {
            s++;
            continue;
        }
        int hi = golden_nib(s[0]), lo = hi >= 0 ? golden_nib(s[1]) : -1;
        if (hi < 0 || lo < 0 || n >= cap) {
            fprintf(stderr, "golden: bad hex or no room at '%.8s'\n", s);
            abort();
        }
        out[n++] = (uint8_t)(hi << 4 | lo);
        s += 2;
    }
    return n;
}

/* magic "PF", version 1, type, flags, length, xid, hier */
#define HDR(type, flags, len, xid, hier) "5046" "01" type flags len xid hier
#define MODEL_CP7961G "08" "43502d3739363147"           /* "CP-7961G" */
#define FILE_XSBN "0b" "2f646e6c642f782e73626e"         /* "/dnld/x.sbn" */
#define SHA_TEST "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static const char G_CLAIM[] =
    HDR("01", "0004", "003b", "080027f8", "36685558")
    "01" "00" "ff" "02"        /* state tent, seq 0, depth none, free 2 */
    "ff9d7cb9" "31d4d43d"      /* map, strength */
    "00000000" "0a6a7544" "0fd3" /* root none, 10.106.117.68:4051 */
    MODEL_CP7961G FILE_XSBN;

static const char G_AD[] =
    HDR("02", "0004", "003b", "0a000002", "36685558")
    "05" "03" "01" "01"        /* Member, Ad 3, depth 1, free 1 */
    "ff9d7cb9" "ffffffff" "080027f8" "7f000003" "0fd3" MODEL_CP7961G FILE_XSBN;

static const char G_JOIN[] =
    HDR("03", "0000", "002d", "0a000002", "36685558")
    "7f000003" "0fd3" "01" "00" /* 127.0.0.3:4051, try 1, reserved */
    MODEL_CP7961G FILE_XSBN;

static const char G_ACCEPT[] =
    HDR("04", "0001", "0018", "080027f8", "36685558")
    "01" "00" "0000" "080027f8"; /* index 1, depth 0, reserved, root */

static const char G_REFUSE[] =
    HDR("05", "0001", "002c", "080027f8", "36685558")
    "01" "02" "0000"            /* FULL, 2 hints, reserved */
    "0a000003" "7f000004" "0fd3" "0000"
    "0a000004" "7f000005" "1194" "0000";

static const char G_XFRCMD[] =
    HDR("06", "0002", "0048", "080027f8", "36685558")
    "00100000" "01" "000000" "080027f8" /* 1 MiB, tftp, reserved, origin */
    SHA_TEST FILE_XSBN;

static const char G_DATA[] =
    HDR("07", "0002", "001d", "080027f8", "36685558")
    "00004000" "0005" "0000" "68656c6c6f"; /* offset 16384, "hello" */

static const char G_XFREND[] = HDR("08", "0002", "0014", "080027f8", "36685558") "00100000";

static const char G_VERDICT[] =
    HDR("09", "0000", "0018", "0a000002", "36685558") "01" "000000" "00100000";

static const char G_ABORT[] = HDR("0a", "0000", "0014", "0a000002", "36685558") "04" "000000";

static const char G_LEAVE[] = HDR("0b", "0004", "0014", "080027f8", "36685558") "09" "000000";

/* LEAVE carrying UPTIME 3600, an unknown TLV 0x7f, FIRMWARE "9.4". */
static const char G_LEAVE_TLV[] =
    HDR("0b", "0004", "0023", "080027f8", "36685558") "09" "000000"
    "02" "04" "00000e10" "7f" "02" "abcd" "01" "03" "392e34";

static const uint8_t sha_test[32] = {
    0x9f, 0x86, 0xd0, 0x81, 0x88, 0x4c, 0x7d, 0x65, 0x9a, 0x2f, 0xea, 0xa0, 0xc5, 0x5a, 0xd0, 0x15,
    0xa3, 0xbf, 0x4f, 0x1b, 0x2b, 0x0b, 0x82, 0x2c, 0xd1, 0x5d, 0x6c, 0x15, 0xb0, 0xf0, 0x0a, 0x08};

static struct pfs_msg base(unsigned type, uint16_t flags, uint32_t xid)
{
    struct pfs_msg m;
    memset(&m, 0, sizeof m);
    m.version = PFS_VERSION_1;
    m.type = (uint8_t)type;
    m.flags = flags;
    m.xid = xid;
    m.hier = 0x36685558u;
    return m;
}

static struct pfs_msg ex_claim(void)
{
    struct pfs_msg m = base(PFS_T_CLAIM, PFS_F_BCAST, 0x080027f8u);
    struct pfs_claim *c = &m.u.claim;
    c->state = PFS_HS_TENT;
    c->depth = PFS_DEPTH_NONE;
    c->free_slots = 2;
    c->map = 0xff9d7cb9u;
    c->strength = 0x31d4d43du;
    c->addr = 0x0a6a7544u;
    c->port = 4051;
    c->model = pfs_str_of("CP-7961G");
    c->file = pfs_str_of("/dnld/x.sbn");
    return m;
}

static struct pfs_msg ex_ad(void)
{
    struct pfs_msg m = base(PFS_T_AD, PFS_F_BCAST, 0x0a000002u);
    struct pfs_claim *c = &m.u.claim;
    c->state = PFS_HS_MEMBER;
    c->seq = 3;
    c->depth = 1;
    c->free_slots = 1;
    c->map = 0xff9d7cb9u;
    c->strength = PFS_STRENGTH_ROOT;
    c->root_xid = 0x080027f8u;
    c->addr = 0x7f000003u;
    c->port = 4051;
    c->model = pfs_str_of("CP-7961G");
    c->file = pfs_str_of("/dnld/x.sbn");
    return m;
}

static struct pfs_msg ex_join(void)
{
    struct pfs_msg m = base(PFS_T_JOIN, 0, 0x0a000002u);
    m.u.join.addr = 0x7f000003u;
    m.u.join.port = 4051;
    m.u.join.try_no = 1;
    m.u.join.model = pfs_str_of("CP-7961G");
    m.u.join.file = pfs_str_of("/dnld/x.sbn");
    return m;
}

static struct pfs_msg ex_accept(void)
{
    struct pfs_msg m = base(PFS_T_ACCEPT, PFS_F_FULL, 0x080027f8u);
    m.u.accept.index = 1;
    m.u.accept.depth = 0;
    m.u.accept.root_xid = 0x080027f8u;
    return m;
}

static struct pfs_msg ex_refuse(void)
{
    struct pfs_msg m = base(PFS_T_REFUSE, PFS_F_FULL, 0x080027f8u);
    m.u.refuse.reason = PFS_R_FULL;
    m.u.refuse.nhints = 2;
    m.u.refuse.hints[0] = (struct pfs_hint){0x0a000003u, 0x7f000004u, 4051};
    m.u.refuse.hints[1] = (struct pfs_hint){0x0a000004u, 0x7f000005u, 4500};
    return m;
}

static struct pfs_msg ex_xfrcmd(void)
{
    struct pfs_msg m = base(PFS_T_XFRCMD, PFS_F_HAVE, 0x080027f8u);
    m.u.xfrcmd.size = 1048576;
    m.u.xfrcmd.source = PFS_SRC_TFTP;
    m.u.xfrcmd.origin_xid = 0x080027f8u;
    m.u.xfrcmd.sha256 = sha_test;
    m.u.xfrcmd.file = pfs_str_of("/dnld/x.sbn");
    return m;
}

static struct pfs_msg ex_data(void)
{
    struct pfs_msg m = base(PFS_T_DATA, PFS_F_HAVE, 0x080027f8u);
    m.u.data.offset = 16384;
    m.u.data.len = 5;
    m.u.data.bytes = (const uint8_t *)"hello";
    return m;
}

static struct pfs_msg ex_xfrend(void)
{
    struct pfs_msg m = base(PFS_T_XFREND, PFS_F_HAVE, 0x080027f8u);
    m.u.xfrend.size = 1048576;
    return m;
}

static struct pfs_msg ex_verdict(void)
{
    struct pfs_msg m = base(PFS_T_VERDICT, 0, 0x0a000002u);
    m.u.verdict.verdict = PFS_V_OK;
    m.u.verdict.bytes = 1048576;
    return m;
}

static struct pfs_msg ex_abort(void)
{
    struct pfs_msg m = base(PFS_T_ABORT, 0, 0x0a000002u);
    m.u.reason.reason = PFS_R_SHUTDOWN;
    return m;
}

static struct pfs_msg ex_leave(void)
{
    struct pfs_msg m = base(PFS_T_LEAVE, PFS_F_BCAST, 0x080027f8u);
    m.u.reason.reason = PFS_R_DONE;
    return m;
}

static const uint8_t leave_tlv[] = {0x02, 0x04, 0x00, 0x00, 0x0e, 0x10, 0x7f, 0x02,
                                    0xab, 0xcd, 0x01, 0x03, '9',  '.',  '4'};

static struct pfs_msg ex_leave_tlv(void)
{
    struct pfs_msg m = ex_leave();
    m.tlv = leave_tlv;
    m.tlv_len = sizeof leave_tlv;
    return m;
}

struct golden {
    const char *name;
    const char *hex;
    struct pfs_msg (*make)(void);
};

static const struct golden goldens[] = {
    {"CLAIM", G_CLAIM, ex_claim},       {"AD", G_AD, ex_ad},
    {"JOIN", G_JOIN, ex_join},          {"ACCEPT", G_ACCEPT, ex_accept},
    {"REFUSE", G_REFUSE, ex_refuse},    {"XFRCMD", G_XFRCMD, ex_xfrcmd},
    {"DATA", G_DATA, ex_data},          {"XFREND", G_XFREND, ex_xfrend},
    {"VERDICT", G_VERDICT, ex_verdict}, {"ABORT", G_ABORT, ex_abort},
    {"LEAVE", G_LEAVE, ex_leave},       {"LEAVE+TLV", G_LEAVE_TLV, ex_leave_tlv},
};
#define NGOLDEN (sizeof goldens / sizeof goldens[0])

#endif
