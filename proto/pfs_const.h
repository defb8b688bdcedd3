/*
 * pfs_const.h - constants of the PFS wire format (docs/protocol.md).
 *
 * The one place where message types, states, field sizes and limits are
 * defined. The codec, the endpoint, the replayer and the Wireshark
 * dissector all include this header, so none of them can drift.
 * Plain preprocessor constants and enums only: no functions, no types
 * that need libpfs, so a dissector can include it on its own.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFS_CONST_H
#define PFS_CONST_H

#define PFS_PORT            4051      /* UDP broadcast and TCP, like the phones */
#define PFS_MAGIC           0x5046u   /* "PF" */
#define PFS_VERSION_1       1
#define PFS_HDR_LEN         16        /* fixed header, every message */
#define PFS_MSG_MAX         65535     /* header length field is 16 bits */
#define PFS_UDP_MAX         1472      /* a datagram never exceeds one Ethernet MTU */

#define PFS_MODEL_MAX       15        /* "CP-7961G": printable ASCII, no space */
#define PFS_PATH_MAX        127       /* "/dnld/SCCP41.9-4-2SR2-2S.loads" */
#define PFS_DNLD_PREFIX     "/dnld/"  /* only absolute prefix a path may have */
#define PFS_SHA256_LEN      32
#define PFS_DATA_MAX        16384     /* payload of one DATA message */
#define PFS_FILE_MAX        (64u * 1024u * 1024u) /* largest file a peer may declare */
#define PFS_MAX_CHILDREN    2         /* binary tree */
#define PFS_MAX_HINTS       2         /* REFUSE names at most the refuser's children */
#define PFS_DEPTH_NONE      255       /* not attached to a tree */
#define PFS_STRENGTH_ROOT   0xFFFFFFFFu /* a confirmed root "bumps" to this */

/* Message types (header byte 3). */
enum pfs_type {
    PFS_T_CLAIM   = 1,  /* UDP bcast: ClaimRoot(tent|conf) */
    PFS_T_AD      = 2,  /* UDP bcast: Ad n, the sender's hierarchy state */
    PFS_T_JOIN    = 3,  /* TCP child->parent: ask for a child slot */
    PFS_T_ACCEPT  = 4,  /* TCP parent->child: slot granted, child index 0/1 */
    PFS_T_REFUSE  = 5,  /* TCP parent->child: no slot, reason, hints */
    PFS_T_XFRCMD  = 6,  /* TCP parent->child: a file transfer starts */
    PFS_T_DATA    = 7,  /* TCP parent->child: file bytes at an offset */
    PFS_T_XFREND  = 8,  /* TCP parent->child: all bytes sent */
    PFS_T_VERDICT = 9,  /* TCP child->parent: hash verified or not */
    PFS_T_ABORT   = 10, /* TCP either way: transfer abandoned, reason */
    PFS_T_LEAVE   = 11, /* UDP bcast or TCP: the sender leaves the hierarchy */
    PFS_T_MAX     = 11
};

/* Header flags (16 bits). Unknown flags are ignored by receivers. */
#define PFS_F_FULL   0x0001u  /* sender has no free child slot */
#define PFS_F_HAVE   0x0002u  /* sender holds the whole file, verified */
#define PFS_F_BCAST  0x0004u  /* sent to the broadcast address */

/* Hierarchy state of the sender, carried by CLAIM and AD. */
enum pfs_hstate {
    PFS_HS_TENT     = 1,  /* ClaimRoot(tent): tentative root claim */
    PFS_HS_CONF     = 2,  /* ClaimRoot(conf): confirmed root */
    PFS_HS_WAITING  = 3,  /* ROOT_WAITING: confirmed, waiting to fetch */
    PFS_HS_SEEK     = 4,  /* yielded, looking for a parent */
    PFS_HS_MEMBER   = 5,  /* attached to a parent (or the root, fetching) */
    PFS_HS_DONE     = 6,  /* holds the file; still serving its children */
    PFS_HS_MAX      = 6
};

/* Where the sender of an XFRCMD got the file. */
enum pfs_source {
    PFS_SRC_TFTP = 1,   /* fetched from the TFTP server (the root) */
    PFS_SRC_PEER = 2    /* received from its own parent */
};

/* Reasons carried by REFUSE, ABORT and LEAVE. */
enum pfs_reason {
    PFS_R_NONE      = 0,
    PFS_R_FULL      = 1,  /* both child slots taken */
    PFS_R_NOT_MEMBER = 2, /* the asked node is not in that hierarchy */
    PFS_R_WRONG_HIER = 3, /* model or file does not match the hierarchy id */
    PFS_R_SHUTDOWN  = 4,  /* the sender is stopping */
    PFS_R_TIMEOUT   = 5,  /* the peer stalled */
    PFS_R_HASH      = 6,  /* SHA-256 mismatch */
    PFS_R_IO        = 7,  /* local read or write failed */
    PFS_R_PROTOCOL  = 8,  /* the peer sent something invalid */
    PFS_R_DONE      = 9,  /* hierarchy finished: every child served */
    PFS_R_MAX       = 9
};

/* VERDICT codes. */
enum pfs_verdict {
    PFS_V_OK    = 1,  /* all bytes received, SHA-256 matches */
    PFS_V_HASH  = 2,  /* SHA-256 mismatch: file discarded */
    PFS_V_SHORT = 3,  /* fewer bytes than XFRCMD declared */
    PFS_V_IO    = 4,  /* could not store the file */
    PFS_V_MAX   = 4
};

/* Extension TLVs after the body; decoders skip the unknown ones. */
enum pfs_tlv {
    PFS_TLV_FIRMWARE = 1, /* printable: the sender's running load name */
    PFS_TLV_UPTIME   = 2, /* u32: seconds since the sender started */
};

#endif
