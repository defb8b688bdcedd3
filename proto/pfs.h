/*
 * pfs.h - libpfs: encode, decode and validate PFS messages.
 *
 * Layout and rules: docs/protocol.md. Decoding never allocates: strings,
 * hashes, payloads and the TLV area point into the caller's buffer, which
 * must outlive the decoded struct.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFS_H
#define PFS_H

#include <stddef.h>
#include <stdint.h>
#include "pfs_const.h"

/* Error codes: 0 is success, each fault has its own negative value. */
enum pfs_err {
    PFS_OK          = 0,
    PFS_E_SHORT     = -1,  /* buffer shorter than the header or declared length */
    PFS_E_MAGIC     = -2,  /* first two bytes are not "PF" */
    PFS_E_VERSION   = -3,  /* version this decoder does not speak */
    PFS_E_LENGTH    = -4,  /* header length and buffer/body disagree */
    PFS_E_STRLEN    = -5,  /* string longer than its documented maximum */
    PFS_E_MODEL     = -6,  /* model empty or not printable ASCII */
    PFS_E_PATH      = -7,  /* path absolute outside /dnld, climbs with .., bad chars */
    PFS_E_SIZE      = -8,  /* declared size or payload over the maximum */
    PFS_E_TYPE      = -9,  /* unknown message type */
    PFS_E_FIELD     = -10, /* enum field (state, index, reason...) out of range */
    PFS_E_TLV       = -11, /* TLV overruns the message */
    PFS_E_NOSPACE   = -12  /* encode: output buffer too small */
};

/* A length-counted string inside a message (not NUL-terminated). */
struct pfs_str {
    const char *p;
    uint8_t len;
};

/* CLAIM and AD share one body: the sender's view of one hierarchy. */
struct pfs_claim {
    uint8_t state;        /* enum pfs_hstate */
    uint8_t seq;          /* Ad number, 1..255; 0 in CLAIM */
    uint8_t depth;        /* 0 = root, PFS_DEPTH_NONE = not attached */
    uint8_t free_slots;   /* 0..PFS_MAX_CHILDREN */
    uint32_t map;         /* claim-round id, random per new claim */
    uint32_t strength;    /* election value; PFS_STRENGTH_ROOT once confirmed */
    uint32_t root_xid;    /* XID of the root the sender knows, 0 if none */
    uint32_t addr;        /* sender's IPv4 for TCP, host byte order */
    uint16_t port;        /* sender's TCP port */
    struct pfs_str model; /* "CP-7961G" */
    struct pfs_str file;  /* "/dnld/SCCP41.9-4-2SR2-2S.loads" */
};

struct pfs_join {
    uint32_t addr;        /* joiner's IPv4, host byte order */
    uint16_t port;        /* joiner's TCP port */
    uint8_t try_no;       /* 1 for the first attempt in this hierarchy */
    struct pfs_str model;
    struct pfs_str file;
};

struct pfs_accept {
    uint8_t index;        /* child slot, 0 or 1 */
    uint8_t depth;        /* parent's depth; the child is depth + 1 */
    uint32_t root_xid;
};

struct pfs_hint {
    uint32_t xid;
    uint32_t addr;
    uint16_t port;
};

struct pfs_refuse {
    uint8_t reason;       /* enum pfs_reason */
    uint8_t nhints;       /* 0..PFS_MAX_HINTS */
    struct pfs_hint hints[PFS_MAX_HINTS]; /* where to ask next: the refuser's children */
};

struct pfs_xfrcmd {
    uint32_t size;        /* whole file, <= PFS_FILE_MAX */
    uint8_t source;       /* enum pfs_source */
    uint32_t origin_xid;  /* the node that fetched it over TFTP */
    const uint8_t *sha256; /* PFS_SHA256_LEN bytes */
    struct pfs_str file;
};

struct pfs_data {
    uint32_t offset;
    uint16_t len;         /* <= PFS_DATA_MAX */
    const uint8_t *bytes;
};

struct pfs_xfrend {
    uint32_t size;        /* total bytes sent */
};

struct pfs_verdict_msg {
    uint8_t verdict;      /* enum pfs_verdict */
    uint32_t bytes;       /* bytes the child received */
};

struct pfs_reason_msg {   /* ABORT and LEAVE */
    uint8_t reason;       /* enum pfs_reason */
};

/* A decoded (or to-be-encoded) message. */
struct pfs_msg {
    uint8_t version;
    uint8_t type;         /* enum pfs_type: selects the union member */
    uint16_t flags;       /* PFS_F_* */
    uint16_t length;      /* total length, header included (set by decode/encode) */
    uint32_t xid;         /* sender's XID */
    uint32_t hier;        /* hierarchy id H, 0 when none */
    union {
        struct pfs_claim claim;     /* CLAIM, AD */
        struct pfs_join join;
        struct pfs_accept accept;
        struct pfs_refuse refuse;
        struct pfs_xfrcmd xfrcmd;
        struct pfs_data data;
        struct pfs_xfrend xfrend;
        struct pfs_verdict_msg verdict;
        struct pfs_reason_msg reason; /* ABORT, LEAVE */
    } u;
    const uint8_t *tlv;   /* extension area, may be NULL */
    uint16_t tlv_len;
};

/* One extension TLV. */
struct pfs_tlv_item {
    uint8_t type;
    uint8_t len;
    const uint8_t *value;
};

/*
 * pfs_frame_len - how long the message starting at buf is.
 * For TCP framing: returns the total length from the header (>= PFS_HDR_LEN)
 * once len >= PFS_HDR_LEN and magic and version are right; 0 when more bytes
 * are needed to know; a negative pfs_err when the header is invalid.
 */
long pfs_frame_len(const uint8_t *buf, size_t len);

/*
 * pfs_decode - decode and validate one whole message of exactly len bytes.
 * Returns PFS_OK and fills *m, or a negative pfs_err (m is then undefined).
 */
int pfs_decode(const uint8_t *buf, size_t len, struct pfs_msg *m);

/*
 * pfs_encode - validate *m and write it to out. m->length is set.
 * The TLV area (m->tlv, m->tlv_len) is copied as is after the body.
 * Returns the number of bytes written, or a negative pfs_err.
 */
long pfs_encode(struct pfs_msg *m, uint8_t *out, size_t cap);

/*
 * pfs_tlv_next - iterate over m's TLV area. *off starts at 0.
 * Returns 1 and fills *it, 0 at the end, PFS_E_TLV on an overrun.
 */
int pfs_tlv_next(const struct pfs_msg *m, size_t *off, struct pfs_tlv_item *it);

/* Human message for an error code ("bad magic"); never NULL. */
const char *pfs_strerror(int err);
/* The same fault as one word (bad-magic, too-big...) for DLoad lines. */
const char *pfs_errword(int err);

/*
 * Names for log lines and dissectors, docs/protocol.md's spelling (the value
 * tables of pfs_table.h); a fallback text for unknown values.
 */
const char *pfs_type_name(unsigned type);       /* "CLAIM", "JOIN", "XFREND" */
const char *pfs_type_logname(unsigned type);    /* the phones' word where they have one
                                                 * ("ClaimRoot", "Ad", "XfrCmd"), else the name */
const char *pfs_hstate_name(unsigned state);    /* "ClaimRoot(tent)", "ROOT_WAITING" */
const char *pfs_reason_name(unsigned reason);   /* "none", "FULL" */
const char *pfs_verdict_name(unsigned verdict); /* "OK" */
const char *pfs_source_name(unsigned source);   /* "tftp", "peer" */

/* Path and model checks the decoder applies, for callers that build messages. */
int pfs_check_model(const char *s, size_t len);
int pfs_check_path(const char *s, size_t len);

/*
 * Hierarchy id: FNV-1a 32 of model, a NUL byte and file, where a bare file
 * name (no leading '/') counts as "/dnld/" and the name, the file it names
 * (docs/protocol.md §2); all peers agree.
 */
uint32_t pfs_hier_id(const char *model, const char *file);

/* Make a pfs_str from a C string (length capped at 255). */
struct pfs_str pfs_str_of(const char *s);

/*
 * pfs_format - render a decoded message as one DLoad-style line, without
 * level, time or trailing newline, e.g.
 *   "XID080027F8 TxBdcst ClaimRoot(tent): map=ff9d7cb9 strength=31d4d43d"
 * dir is "Tx" or "Rx". Returns the length snprintf would write.
 */
int pfs_format(char *out, size_t cap, const char *dir, const struct pfs_msg *m);

#endif
