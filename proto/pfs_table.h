/*
 * pfs_table.h - the PFS message layout as data (docs/protocol.md §2, §3).
 *
 * One row per header field, one row per message type with its body fields
 * in wire order, one row per TLV type, and the value tables (types, states,
 * reasons, verdicts, sources, flag bits, TLV types) once. The codec, the
 * one-line printer, the Wireshark dissector and pfsdump all walk these
 * rows, so the layout is written down in one place only.
 *
 * pfs_walk() reads one message field by field and reports each field as
 * it is read (its row, offset, length and value); pfs_decode() is that walk
 * with no callback. On a fault the walk stops and says which §5 fault at
 * which offset, having reported every field read before it.
 *
 * This API only grows: rows, kinds and members may be added, none renamed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFS_TABLE_H
#define PFS_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "pfs.h"

/*
 * A value table: {value, name} pairs ending with {0, NULL}, the layout of
 * Wireshark's value_string. Names are docs/protocol.md's.
 */
struct pfs_val {
    uint32_t value;
    const char *name;
};

extern const struct pfs_val pfs_type_vals[];    /* 1 "CLAIM" .. 11 "LEAVE" */
extern const struct pfs_val pfs_hstate_vals[];  /* 1 "ClaimRoot(tent)" .. 6 "Done" */
extern const struct pfs_val pfs_reason_vals[];  /* 0 "none" .. 9 "DONE" (REFUSE, ABORT, LEAVE) */
extern const struct pfs_val pfs_verdict_vals[]; /* 1 "OK" .. 4 "IO" */
extern const struct pfs_val pfs_source_vals[];  /* 1 "tftp", 2 "peer" */
/* Header flag bits; a bit's filter key is the flags key, a dot and its name
 * in lower case: "pfs.flags.full". */
extern const struct pfs_val pfs_flag_bits[];    /* 0x0001 "FULL", 0x0002 "HAVE", 0x0004 "BCAST" */
extern const struct pfs_val pfs_tlv_vals[];     /* 1 "FIRMWARE", 2 "UPTIME" */
extern const struct pfs_val pfs_transport_vals[]; /* enum pfs_transport: "UDP broadcast", ... */
extern const struct pfs_val pfs_dir_vals[];     /* enum pfs_dir: "child to parent", ... */

/* The name of v in table t, or NULL when t has none. */
const char *pfs_val_name(const struct pfs_val *t, uint32_t v);

/* How a field's bytes read. Integers are big-endian. */
enum pfs_kind {
    PFS_K_U8,        /* unsigned, decimal */
    PFS_K_U16,
    PFS_K_U32,
    PFS_K_XID,       /* u32 shown XID080027F8 */
    PFS_K_IPV4,      /* u32, network order on the wire, host order in the struct */
    PFS_K_PORT,      /* u16 TCP port */
    PFS_K_HEX32,     /* u32 shown as 8 hex digits (map, strength, hier) */
    PFS_K_HEX16,     /* u16 shown as 0x and 4 hex digits (magic) */
    PFS_K_ENUM,      /* size 1 or 2; names in vals */
    PFS_K_FLAGS,     /* size 2; one bit per entry of vals, other bits reserved */
    PFS_K_STR,       /* length byte + bytes; max = longest; strrule says what it holds */
    PFS_K_SHA256,    /* PFS_SHA256_LEN bytes */
    PFS_K_HINTS,     /* count entries of sub[] each (count: field index) */
    PFS_K_PAYLOAD,   /* count bytes (count: field index); TLV: the TLV's value */
    PFS_K_RESERVED,  /* size bytes sent 0, ignored on receipt */
    PFS_K_TEXT,      /* TLV value: printable bytes, length from the TLV */
    PFS_K_TLV        /* one whole TLV: type(1) len(1) value(len), see pfs_tlv_fields */
};

/* What a string holds; the check that follows its length. */
enum pfs_strrule {
    PFS_SR_NONE,
    PFS_SR_MODEL,     /* pfs_check_model: 1..15 printable, fault PFS_E_MODEL */
    PFS_SR_PATH,      /* pfs_check_path: §1 path, fault PFS_E_PATH */
    PFS_SR_PRINTABLE  /* TLV text: 1.. bytes 0x21..0x7e, fault PFS_E_TLV */
};

#define PFS_NOSTORE 0xffffu /* field with no struct member (magic, reserved) */

/* One field: of the header, of a body, of a hint entry or of a TLV. */
struct pfs_field {
    const char *name;          /* docs/protocol.md's name: "strength", "try" */
    const char *key;           /* filter key: "pfs.strength", "pfs.hint.xid" */
    enum pfs_kind kind;
    uint8_t size;              /* bytes on the wire; 0 when it varies */
    uint8_t ranged;            /* 1: the value must lie in min..max, else err */
    int8_t err;                /* the fault when out of range (pfs_err) */
    uint8_t count;             /* HINTS, PAYLOAD: index of the field holding the count */
    uint32_t min, max;         /* inclusive; STR: the length (max: PFS_E_STRLEN) */
    enum pfs_strrule strrule;  /* STR, TEXT */
    const struct pfs_val *vals; /* ENUM: value names; FLAGS: bit names */
    const struct pfs_field *sub; /* HINTS: the rows of one entry */
    uint8_t nsub;
    uint16_t store;            /* offsetof in struct pfs_msg (hint rows: in struct
                                * pfs_hint), PFS_NOSTORE when none */
    const char *blurb;         /* one line: what it means */
};

enum pfs_transport {
    PFS_TR_UDP = 1,   /* UDP broadcast only; at most PFS_UDP_MAX bytes */
    PFS_TR_TCP = 2,   /* TCP only */
    PFS_TR_BOTH = 3   /* UDP broadcast or TCP */
};

enum pfs_dir {
    PFS_DIR_ANY = 1,        /* broadcast by any node */
    PFS_DIR_TO_PARENT = 2,  /* child to parent */
    PFS_DIR_TO_CHILD = 3,   /* parent to child */
    PFS_DIR_EITHER = 4      /* either end of a connection */
};

/* One message type. */
struct pfs_msgdef {
    uint8_t type;              /* enum pfs_type */
    const char *name;          /* docs/protocol.md's name: "XFRCMD" */
    const char *logname;       /* the phones' word: "ClaimRoot", "Ad", "XfrCmd"; NULL if none */
    enum pfs_transport transport;
    enum pfs_dir dir;
    const struct pfs_field *fields; /* body, in wire order */
    uint8_t nfields;
    /*
     * The message's own rule beyond the ranges of its rows, checked after
     * its last field (DATA: offset + len <= 64 MiB). Returns PFS_OK or the
     * fault, with *field the index of the field it blames. NULL if none.
     */
    int (*rule)(const struct pfs_msg *m, unsigned *field);
    const char *title;         /* "a file transfer starts" */
};

/* The tables. Each returns its rows and sets *n to their number. */
const struct pfs_field *pfs_header_fields(size_t *n);   /* magic .. hier */
const struct pfs_msgdef *pfs_msgdefs(size_t *n);        /* by type, CLAIM first */
const struct pfs_field *pfs_tlv_fields(size_t *n);      /* tlv, type, len, value (unknown TLVs) */

/* The row of one type, NULL when the type is unknown. */
const struct pfs_msgdef *pfs_msgdef_of(unsigned type);

/* A known TLV type: its name and the row its value reads as. */
struct pfs_tlvdef {
    uint8_t type;              /* enum pfs_tlv */
    const char *name;          /* "FIRMWARE" */
    const struct pfs_field *value; /* kind TEXT or U32 */
    uint8_t min_len, max_len;  /* the value's length; other lengths: PFS_E_TLV */
};
const struct pfs_tlvdef *pfs_tlvdefs(size_t *n);
const struct pfs_tlvdef *pfs_tlvdef_of(unsigned type);  /* NULL when unknown */

/* ---- the walking decoder ---- */

enum pfs_section {
    PFS_SEC_HEADER,   /* offsets 0..15 */
    PFS_SEC_BODY,     /* the type's fields */
    PFS_SEC_HINT,     /* a field of hint entry `index` (after the HINTS item) */
    PFS_SEC_TLV       /* a TLV (kind TLV) or one of its parts, TLV number `index` */
};

/* One field as it was read. */
struct pfs_item {
    const struct pfs_field *field;
    enum pfs_section section;
    unsigned index;          /* hint or TLV number, from 0 */
    size_t off;              /* from the start of the message */
    size_t len;              /* bytes on the wire (STR: length byte included) */
    uint32_t value;          /* integers; STR, TEXT, PAYLOAD: byte count; HINTS:
                              * entry count; TLV: its type */
    const uint8_t *bytes;    /* the field's bytes in the buffer (STR: the characters,
                              * after the length byte; TLV: its value) */
};

/* Where a walk stopped on a fault. */
struct pfs_fault {
    int err;                 /* PFS_OK or the §5 fault */
    size_t off;              /* offset of the field at fault, or where bytes ran out */
    const struct pfs_field *field; /* its row, NULL when the fault is framing */
};

typedef void (*pfs_walk_fn)(void *ctx, const struct pfs_item *it);

/* Flags for pfs_walk. */
#define PFS_WALK_STREAM 0x1u /* buf may hold more after this message (TCP): bytes
                              * past the header's length are not a fault */
#define PFS_WALK_UDP 0x2u    /* buf is one whole UDP datagram: over PFS_UDP_MAX
                              * bytes it is PFS_E_SIZE (docs/protocol.md §7) */

/*
 * pfs_walk - decode one message field by field.
 * Calls fn (if not NULL) for every field in wire order as soon as it is
 * read and its value checked; a field whose value is out of range (or a
 * string whose content breaks its rule) is reported, then the walk stops
 * with its fault; a field that cannot be read whole (past the end, a
 * string over its maximum) is not reported. Fills *m (if not NULL) as
 * pfs_decode does, and *fault (if not NULL). Returns PFS_OK or the fault.
 * Never allocates; item bytes point into buf.
 */
int pfs_walk(const uint8_t *buf, size_t len, unsigned flags, struct pfs_msg *m, pfs_walk_fn fn,
             void *ctx, struct pfs_fault *fault);

/*
 * pfs_item_format - an item's value as text, like snprintf: "31d4d43d",
 * "XID080027F8", "10.106.117.68", "CP-7961G", "1 ClaimRoot(tent)",
 * "0x0005 FULL|BCAST", 64 hex digits for a SHA-256, "5 bytes" for a payload.
 * Non-printable string bytes show as '?'.
 */
int pfs_item_format(char *out, size_t cap, const struct pfs_item *it);

/* The body length m needs on the wire, from its type's rows (0: unknown type). */
size_t pfs_body_len(const struct pfs_msg *m);

#endif
