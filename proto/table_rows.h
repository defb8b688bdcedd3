/*
 * table_rows.h - the rows of pfs_table.h: header, every message, every TLV
 * and the value tables, as docs/protocol.md §2 and §3 write them.
 *
 * A new field is one row here plus its struct member in pfs.h; a new
 * message one enum value in pfs_const.h, one struct and one row.
 *
 * Included by walk.c alone, so that the walk reads rows the compiler can
 * see: each body's walk then compiles to straight code (docs/benchmarks.md).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFS_TABLE_ROWS_H
#define PFS_TABLE_ROWS_H

#include <stddef.h>

#include "pfs_table.h"

/* ---- value tables ---- */

const struct pfs_val pfs_type_vals[] = {
    {PFS_T_CLAIM, "CLAIM"},   {PFS_T_AD, "AD"},         {PFS_T_JOIN, "JOIN"},
    {PFS_T_ACCEPT, "ACCEPT"}, {PFS_T_REFUSE, "REFUSE"}, {PFS_T_XFRCMD, "XFRCMD"},
    {PFS_T_DATA, "DATA"},     {PFS_T_XFREND, "XFREND"}, {PFS_T_VERDICT, "VERDICT"},
    {PFS_T_ABORT, "ABORT"},   {PFS_T_LEAVE, "LEAVE"},   {0, NULL},
};

const struct pfs_val pfs_hstate_vals[] = {
    {PFS_HS_TENT, "ClaimRoot(tent)"}, {PFS_HS_CONF, "ClaimRoot(conf)"},
    {PFS_HS_WAITING, "ROOT_WAITING"}, {PFS_HS_SEEK, "Seek"},
    {PFS_HS_MEMBER, "Member"},        {PFS_HS_DONE, "Done"},
    {0, NULL},
};

const struct pfs_val pfs_reason_vals[] = {
    {PFS_R_NONE, "none"},         {PFS_R_FULL, "FULL"},         {PFS_R_NOT_MEMBER, "NOT_MEMBER"},
    {PFS_R_WRONG_HIER, "WRONG_HIER"}, {PFS_R_SHUTDOWN, "SHUTDOWN"}, {PFS_R_TIMEOUT, "TIMEOUT"},
    {PFS_R_HASH, "HASH"},         {PFS_R_IO, "IO"},             {PFS_R_PROTOCOL, "PROTOCOL"},
    {PFS_R_DONE, "DONE"},         {0, NULL},
};

const struct pfs_val pfs_verdict_vals[] = {
    {PFS_V_OK, "OK"}, {PFS_V_HASH, "HASH"}, {PFS_V_SHORT, "SHORT"}, {PFS_V_IO, "IO"}, {0, NULL},
};

const struct pfs_val pfs_source_vals[] = {
    {PFS_SRC_TFTP, "tftp"}, {PFS_SRC_PEER, "peer"}, {0, NULL},
};

const struct pfs_val pfs_flag_bits[] = {
    {PFS_F_FULL, "FULL"}, {PFS_F_HAVE, "HAVE"}, {PFS_F_BCAST, "BCAST"}, {0, NULL},
};

const struct pfs_val pfs_tlv_vals[] = {
    {PFS_TLV_FIRMWARE, "FIRMWARE"}, {PFS_TLV_UPTIME, "UPTIME"}, {0, NULL},
};

const struct pfs_val pfs_transport_vals[] = {
    {PFS_TR_UDP, "UDP broadcast"}, {PFS_TR_TCP, "TCP"}, {PFS_TR_BOTH, "UDP broadcast or TCP"},
    {0, NULL},
};

const struct pfs_val pfs_dir_vals[] = {
    {PFS_DIR_ANY, "any"}, {PFS_DIR_TO_PARENT, "child to parent"},
    {PFS_DIR_TO_CHILD, "parent to child"}, {PFS_DIR_EITHER, "either"}, {0, NULL},
};

const char *pfs_val_name(const struct pfs_val *t, uint32_t v)
{
    for (; t && t->name; t++)
        if (t->value == v)
            return t->name;
    return NULL;
}

/* ---- row helpers ---- */

#define ST(member) ((uint16_t)offsetof(struct pfs_msg, member))
#define RANGE(lo, hi, e) .ranged = 1, .min = (lo), .max = (hi), .err = (e)
#define NROWS(a) ((uint8_t)(sizeof(a) / sizeof((a)[0])))
#define RESERVED(n) \
    {.name = "reserved", .key = "pfs.reserved", .kind = PFS_K_RESERVED, .size = (n), \
     .store = PFS_NOSTORE, .blurb = "sent as 0, ignored on receipt"}

/* ---- header (§2) ---- */

static const struct pfs_field header_rows[] = {
    {.name = "magic", .key = "pfs.magic", .kind = PFS_K_HEX16, .size = 2,
     RANGE(PFS_MAGIC, PFS_MAGIC, PFS_E_MAGIC), .store = PFS_NOSTORE, .blurb = "\"PF\""},
    {.name = "version", .key = "pfs.version", .kind = PFS_K_U8, .size = 1,
     RANGE(PFS_VERSION_1, PFS_VERSION_1, PFS_E_VERSION), .store = ST(version),
     .blurb = "protocol version"},
    {.name = "type", .key = "pfs.type", .kind = PFS_K_ENUM, .size = 1,
     RANGE(PFS_T_CLAIM, PFS_T_MAX, PFS_E_TYPE), .vals = pfs_type_vals, .store = ST(type),
     .blurb = "message type"},
    {.name = "flags", .key = "pfs.flags", .kind = PFS_K_FLAGS, .size = 2, .vals = pfs_flag_bits,
     .store = ST(flags), .blurb = "FULL, HAVE, BCAST; other bits reserved"},
    {.name = "length", .key = "pfs.length", .kind = PFS_K_U16, .size = 2,
     RANGE(PFS_HDR_LEN, PFS_MSG_MAX, PFS_E_LENGTH), .store = ST(length),
     .blurb = "total message length, header included"},
    {.name = "xid", .key = "pfs.xid", .kind = PFS_K_XID, .size = 4, .store = ST(xid),
     .blurb = "sender's XID"},
    {.name = "hier", .key = "pfs.hier", .kind = PFS_K_HEX32, .size = 4, .store = ST(hier),
     .blurb = "hierarchy id H"},
};

/* ---- bodies (§3) ---- */

/* CLAIM and AD: one layout, their own ranges for state and seq. */
#define CLAIM_ROWS(state_hi, seq_lo, seq_hi)                                                      \
    {.name = "state", .key = "pfs.state", .kind = PFS_K_ENUM, .size = 1,                          \
     RANGE(PFS_HS_TENT, state_hi, PFS_E_FIELD), .vals = pfs_hstate_vals,                          \
     .store = ST(u.claim.state), .blurb = "the sender's hierarchy state"},                        \
    {.name = "seq", .key = "pfs.seq", .kind = PFS_K_U8, .size = 1,                                \
     RANGE(seq_lo, seq_hi, PFS_E_FIELD), .store = ST(u.claim.seq),                                \
     .blurb = "Ad number; 0 in CLAIM"},                                                           \
    {.name = "depth", .key = "pfs.depth", .kind = PFS_K_U8, .size = 1, .store = ST(u.claim.depth), \
     .blurb = "0 for the root, 255 when not attached"},                                          \
    {.name = "free", .key = "pfs.free", .kind = PFS_K_U8, .size = 1,                              \
     RANGE(0, PFS_MAX_CHILDREN, PFS_E_FIELD), .store = ST(u.claim.free_slots),                    \
     .blurb = "free child slots"},                                                                \
    {.name = "map", .key = "pfs.map", .kind = PFS_K_HEX32, .size = 4, .store = ST(u.claim.map),   \
     .blurb = "claim round id"},                                                                  \
    {.name = "strength", .key = "pfs.strength", .kind = PFS_K_HEX32, .size = 4,                   \
     .store = ST(u.claim.strength), .blurb = "election value; ffffffff once confirmed"},          \
    {.name = "root", .key = "pfs.root", .kind = PFS_K_XID, .size = 4,                             \
     .store = ST(u.claim.root_xid), .blurb = "XID of the root the sender knows, 0 if none"},      \
    {.name = "addr", .key = "pfs.addr", .kind = PFS_K_IPV4, .size = 4, .store = ST(u.claim.addr), \
     .blurb = "sender's IPv4 address for TCP"},                                                   \
    {.name = "port", .key = "pfs.port", .kind = PFS_K_PORT, .size = 2, .store = ST(u.claim.port), \
     .blurb = "sender's TCP port"},                                                               \
    {.name = "model", .key = "pfs.model", .kind = PFS_K_STR, RANGE(0, PFS_MODEL_MAX, PFS_E_STRLEN), \
     .strrule = PFS_SR_MODEL, .store = ST(u.claim.model), .blurb = "phone model"},                \
    {.name = "file", .key = "pfs.file", .kind = PFS_K_STR, RANGE(0, PFS_PATH_MAX, PFS_E_STRLEN),  \
     .strrule = PFS_SR_PATH, .store = ST(u.claim.file), .blurb = "file path"}

static const struct pfs_field claim_rows[] = {CLAIM_ROWS(PFS_HS_CONF, 0, 0)};
static const struct pfs_field ad_rows[] = {CLAIM_ROWS(PFS_HS_MAX, 1, 255)};

static const struct pfs_field join_rows[] = {
    {.name = "addr", .key = "pfs.addr", .kind = PFS_K_IPV4, .size = 4, .store = ST(u.join.addr),
     .blurb = "joiner's IPv4 address"},
    {.name = "port", .key = "pfs.port", .kind = PFS_K_PORT, .size = 2, .store = ST(u.join.port),
     .blurb = "joiner's TCP port"},
    {.name = "try", .key = "pfs.try", .kind = PFS_K_U8, .size = 1, RANGE(1, 255, PFS_E_FIELD),
     .store = ST(u.join.try_no), .blurb = "attempt number in this hierarchy, from 1"},
    RESERVED(1),
    {.name = "model", .key = "pfs.model", .kind = PFS_K_STR, RANGE(0, PFS_MODEL_MAX, PFS_E_STRLEN),
     .strrule = PFS_SR_MODEL, .store = ST(u.join.model), .blurb = "phone model"},
    {.name = "file", .key = "pfs.file", .kind = PFS_K_STR, RANGE(0, PFS_PATH_MAX, PFS_E_STRLEN),
     .strrule = PFS_SR_PATH, .store = ST(u.join.file), .blurb = "file path"},
};

static const struct pfs_field accept_rows[] = {
    {.name = "index", .key = "pfs.index", .kind = PFS_K_U8, .size = 1,
     RANGE(0, PFS_MAX_CHILDREN - 1, PFS_E_FIELD), .store = ST(u.accept.index),
     .blurb = "child slot"},
    {.name = "depth", .key = "pfs.depth", .kind = PFS_K_U8, .size = 1,
     RANGE(0, PFS_DEPTH_NONE - 1, PFS_E_FIELD), .store = ST(u.accept.depth),
     .blurb = "the parent's depth; the child is one deeper"},
    RESERVED(2),
    {.name = "root", .key = "pfs.root", .kind = PFS_K_XID, .size = 4, .store = ST(u.accept.root_xid),
     .blurb = "XID of the hierarchy's root"},
};

#define HINT(member) ((uint16_t)offsetof(struct pfs_hint, member))
static const struct pfs_field hint_rows[] = {
    {.name = "xid", .key = "pfs.hint.xid", .kind = PFS_K_XID, .size = 4, .store = HINT(xid),
     .blurb = "a node to ask next"},
    {.name = "addr", .key = "pfs.hint.addr", .kind = PFS_K_IPV4, .size = 4, .store = HINT(addr),
     .blurb = "its IPv4 address"},
    {.name = "port", .key = "pfs.hint.port", .kind = PFS_K_PORT, .size = 2, .store = HINT(port),
     .blurb = "its TCP port"},
    RESERVED(2),
};

static const struct pfs_field refuse_rows[] = {
    {.name = "reason", .key = "pfs.reason", .kind = PFS_K_ENUM, .size = 1,
     RANGE(PFS_R_FULL, PFS_R_SHUTDOWN, PFS_E_FIELD), .vals = pfs_reason_vals,
     .store = ST(u.refuse.reason), .blurb = "why no slot"},
    {.name = "count", .key = "pfs.count", .kind = PFS_K_U8, .size = 1,
     RANGE(0, PFS_MAX_HINTS, PFS_E_FIELD), .store = ST(u.refuse.nhints),
     .blurb = "number of hints"},
    RESERVED(2),
    {.name = "hints", .key = "pfs.hints", .kind = PFS_K_HINTS, .count = 1, .sub = hint_rows,
     .nsub = NROWS(hint_rows), .store = ST(u.refuse.hints),
     .blurb = "where to ask next: the refuser's children"},
};

static const struct pfs_field xfrcmd_rows[] = {
    {.name = "size", .key = "pfs.size", .kind = PFS_K_U32, .size = 4,
     RANGE(0, PFS_FILE_MAX, PFS_E_SIZE), .store = ST(u.xfrcmd.size), .blurb = "file size in bytes"},
    {.name = "source", .key = "pfs.source", .kind = PFS_K_ENUM, .size = 1,
     RANGE(PFS_SRC_TFTP, PFS_SRC_PEER, PFS_E_FIELD), .vals = pfs_source_vals,
     .store = ST(u.xfrcmd.source), .blurb = "where the sender got the file"},
    RESERVED(3),
    {.name = "origin", .key = "pfs.origin", .kind = PFS_K_XID, .size = 4,
     .store = ST(u.xfrcmd.origin_xid), .blurb = "XID of the node that fetched it over TFTP"},
    {.name = "sha256", .key = "pfs.sha256", .kind = PFS_K_SHA256, .size = PFS_SHA256_LEN,
     .store = ST(u.xfrcmd.sha256), .blurb = "SHA-256 of the whole file"},
    {.name = "file", .key = "pfs.file", .kind = PFS_K_STR, RANGE(0, PFS_PATH_MAX, PFS_E_STRLEN),
     .strrule = PFS_SR_PATH, .store = ST(u.xfrcmd.file), .blurb = "file path"},
};

static const struct pfs_field data_rows[] = {
    {.name = "offset", .key = "pfs.offset", .kind = PFS_K_U32, .size = 4,
     RANGE(0, PFS_FILE_MAX, PFS_E_SIZE), .store = ST(u.data.offset),
     .blurb = "where these bytes go in the file"},
    {.name = "len", .key = "pfs.len", .kind = PFS_K_U16, .size = 2,
     RANGE(1, PFS_DATA_MAX, PFS_E_SIZE), .store = ST(u.data.len), .blurb = "bytes that follow"},
    RESERVED(2),
    {.name = "bytes", .key = "pfs.data", .kind = PFS_K_PAYLOAD, .count = 1,
     .store = ST(u.data.bytes), .blurb = "file bytes"},
};

static const struct pfs_field xfrend_rows[] = {
    {.name = "size", .key = "pfs.size", .kind = PFS_K_U32, .size = 4,
     RANGE(0, PFS_FILE_MAX, PFS_E_SIZE), .store = ST(u.xfrend.size), .blurb = "total bytes sent"},
};

static const struct pfs_field verdict_rows[] = {
    {.name = "verdict", .key = "pfs.verdict", .kind = PFS_K_ENUM, .size = 1,
     RANGE(PFS_V_OK, PFS_V_MAX, PFS_E_FIELD), .vals = pfs_verdict_vals,
     .store = ST(u.verdict.verdict), .blurb = "the child's answer"},
    RESERVED(3),
    {.name = "bytes", .key = "pfs.bytes", .kind = PFS_K_U32, .size = 4,
     RANGE(0, PFS_FILE_MAX, PFS_E_SIZE), .store = ST(u.verdict.bytes),
     .blurb = "bytes the child received"},
};

static const struct pfs_field reason_rows[] = {
    {.name = "reason", .key = "pfs.reason", .kind = PFS_K_ENUM, .size = 1,
     RANGE(PFS_R_NONE, PFS_R_MAX, PFS_E_FIELD), .vals = pfs_reason_vals,
     .store = ST(u.reason.reason), .blurb = "why"},
    RESERVED(3),
};

/* DATA: the bytes must end inside the largest file (index 1 is len). */
static int data_rule(const struct pfs_msg *m, unsigned *field)
{
    *field = 1;
    return m->u.data.len > PFS_FILE_MAX - m->u.data.offset ? PFS_E_SIZE : PFS_OK;
}

#define BODY(rows) .fields = rows, .nfields = NROWS(rows)

static const struct pfs_msgdef msg_rows[] = {
    {PFS_T_CLAIM, "CLAIM", "ClaimRoot", PFS_TR_UDP, PFS_DIR_ANY, BODY(claim_rows), NULL,
     "a root claim for one hierarchy"},
    {PFS_T_AD, "AD", "Ad", PFS_TR_UDP, PFS_DIR_ANY, BODY(ad_rows), NULL,
     "the sender's view of one hierarchy"},
    {PFS_T_JOIN, "JOIN", NULL, PFS_TR_TCP, PFS_DIR_TO_PARENT, BODY(join_rows), NULL,
     "ask for a child slot"},
    {PFS_T_ACCEPT, "ACCEPT", NULL, PFS_TR_TCP, PFS_DIR_TO_CHILD, BODY(accept_rows), NULL,
     "slot granted"},
    {PFS_T_REFUSE, "REFUSE", NULL, PFS_TR_TCP, PFS_DIR_TO_CHILD, BODY(refuse_rows), NULL,
     "no slot"},
    {PFS_T_XFRCMD, "XFRCMD", "XfrCmd", PFS_TR_TCP, PFS_DIR_TO_CHILD, BODY(xfrcmd_rows), NULL,
     "a file transfer starts"},
    {PFS_T_DATA, "DATA", NULL, PFS_TR_TCP, PFS_DIR_TO_CHILD, BODY(data_rows), data_rule,
     "file bytes"},
    {PFS_T_XFREND, "XFREND", NULL, PFS_TR_TCP, PFS_DIR_TO_CHILD, BODY(xfrend_rows), NULL,
     "all bytes sent"},
    {PFS_T_VERDICT, "VERDICT", NULL, PFS_TR_TCP, PFS_DIR_TO_PARENT, BODY(verdict_rows), NULL,
     "the child's answer"},
    {PFS_T_ABORT, "ABORT", NULL, PFS_TR_TCP, PFS_DIR_EITHER, BODY(reason_rows), NULL,
     "transfer or connection abandoned"},
    {PFS_T_LEAVE, "LEAVE", NULL, PFS_TR_BOTH, PFS_DIR_ANY, BODY(reason_rows), NULL,
     "the sender leaves the hierarchy"},
};

/* ---- TLVs (§2) ---- */

static const struct pfs_field tlv_rows[] = {
    {.name = "tlv", .key = "pfs.tlv", .kind = PFS_K_TLV, .store = PFS_NOSTORE,
     .blurb = "extension TLV"},
    {.name = "type", .key = "pfs.tlv.type", .kind = PFS_K_ENUM, .size = 1, .vals = pfs_tlv_vals,
     .store = PFS_NOSTORE, .blurb = "TLV type"},
    {.name = "len", .key = "pfs.tlv.len", .kind = PFS_K_U8, .size = 1, .store = PFS_NOSTORE,
     .blurb = "TLV value length"},
    {.name = "value", .key = "pfs.tlv.value", .kind = PFS_K_PAYLOAD, .count = 2,
     .store = PFS_NOSTORE, .blurb = "TLV value (a type this decoder does not know)"},
};

static const struct pfs_field tlv_firmware = {
    .name = "firmware", .key = "pfs.tlv.firmware", .kind = PFS_K_TEXT,
    RANGE(1, 255, PFS_E_TLV), .strrule = PFS_SR_PRINTABLE, .store = PFS_NOSTORE,
    .blurb = "the sender's running load"};

static const struct pfs_field tlv_uptime = {
    .name = "uptime", .key = "pfs.tlv.uptime", .kind = PFS_K_U32, .size = 4,
    .store = PFS_NOSTORE, .blurb = "seconds since the sender started"};

static const struct pfs_tlvdef tlvdef_rows[] = {
    {PFS_TLV_FIRMWARE, "FIRMWARE", &tlv_firmware, 1, 255},
    {PFS_TLV_UPTIME, "UPTIME", &tlv_uptime, 4, 4},
};

#endif
