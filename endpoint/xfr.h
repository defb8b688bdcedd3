/*
 * xfr.h - file transfer over one TCP connection.
 *
 * Sender: XFRCMD, DATA (at most PFS_DATA_MAX each, in order), XFREND,
 * read from a file with pread() as the socket accepts more, optionally
 * throttled to a byte rate. The sender only sends bytes below tx->avail,
 * and XFREND only once the transfer is sealed. Store-and-forward opens a
 * verified file: avail is its size and it is sealed at once. Cut-through
 * (--cut-through) opens the file while it still arrives: xfr_tx_feed
 * raises avail as bytes land, and seals once the sender's own copy passed
 * its hash, so a child never gets XFREND for bytes its parent rejects.
 *
 * Receiver: checks every message against the transfer's state (XFRCMD
 * first, offsets in order, never past the declared size), stores the
 * bytes through struct store (temp file + SHA-256) and at XFREND says
 * whether the size and the declared hash match. Committing the file is
 * the caller's, after any further check (the .loads hash).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFSD_XFR_H
#define PFSD_XFR_H

#include <stddef.h>
#include <stdint.h>

#include "pfs.h"
#include "store.h"

enum xfr_tx_phase {
    TX_IDLE,      /* nothing started */
    TX_CMD,       /* XFRCMD next */
    TX_DATA,      /* DATA until sent == size */
    TX_END,       /* XFREND next */
    TX_VERDICT,   /* everything sent: waiting for the child's VERDICT */
    TX_DONE       /* VERDICT received */
};

/* What the sender's messages say besides the bytes. */
struct xfr_id {
    uint32_t xid;             /* sender */
    uint32_t hier;
    uint8_t source;           /* enum pfs_source */
    uint32_t origin;          /* who fetched it over TFTP */
    uint8_t sha[PFS_SHA256_LEN];
    char path[PFS_PATH_MAX + 1];
};

struct xfr_tx {
    int fd;                   /* the file, -1 when closed */
    enum xfr_tx_phase phase;
    struct xfr_id id;
    uint32_t size;            /* whole file */
    uint32_t avail;           /* bytes that may be sent now (<= size) */
    int sealed;               /* the sender's copy is verified: XFREND may follow */
    uint32_t sent;
    int64_t t0;               /* ms when XFRCMD was queued */
    int64_t t_data;           /* ms when the last DATA (or the XFRCMD) was queued */
    int64_t t_end;            /* ms when XFREND was queued */
    long rate;                /* bytes per second, 0 = unlimited */
};

/* Opens path for sending; phase TX_CMD. Returns 0, or -1 with err. */
int xfr_tx_open(struct xfr_tx *tx, const char *path, uint32_t size, const struct xfr_id *id,
                long rate_bps, int64_t now, char *err, size_t errcap);

/* xfr_tx_next's answer when reading the file failed (not a pfs_err). */
#define XFR_TX_EIO (-100)

/*
 * xfr_tx_next - the next message into out. Returns its length, 0 when
 * nothing may be sent now (throttled: *wake says when, in ms; or waiting
 * for more bytes; or all sent), PFS_E_NOSPACE when out cannot hold the
 * next message (nothing consumed: ask again with more room), or
 * XFR_TX_EIO when reading the file failed.
 */
long xfr_tx_next(struct xfr_tx *tx, uint8_t *out, size_t cap, int64_t now, int64_t *wake);

/*
 * Cut-through. xfr_tx_cut: the opened file still arrives, only [0, avail)
 * is on disk and it is not sealed. xfr_tx_feed: [0, avail) is there now
 * (avail never goes down; it is capped at the size), and sealed says the
 * whole file passed its check. xfr_tx_open's transfer is sealed at once.
 */
void xfr_tx_cut(struct xfr_tx *tx, uint32_t avail);
void xfr_tx_feed(struct xfr_tx *tx, uint32_t avail, int sealed);

/*
 * Forwarding a file that still arrives, less than a whole DATA waits for
 * more bytes until this long after the last one (then it goes at the next
 * try: the sender has no timer of its own for it).
 */
#define XFR_HOLD_MS 100

/* 1 when the sender waits for its own source to give more. */
int xfr_tx_starved(const struct xfr_tx *tx);

void xfr_tx_close(struct xfr_tx *tx);

/* A connection's write buffer: bytes [off, len) are queued, cap in all. */
struct xfr_wbuf {
    uint8_t *buf;
    size_t cap, off, len;
};

/* Room one more message needs in a write buffer (the largest DATA). */
#define XFR_MSG_ROOM (PFS_DATA_MAX + 64)
/* pfsd's write buffer per connection: four whole DATA messages. */
#define XFR_WBUF_SIZE (4 * XFR_MSG_ROOM)

enum xfr_fill {
    XFR_FILL_WAIT,   /* buffer full, throttled (*wake) or all queued: nothing more now */
    XFR_FILL_IO      /* reading the file failed: the transfer cannot go on */
};

/*
 * xfr_tx_fill - queues the transfer's next messages into w while there is
 * room for a whole one, compacting w first when that makes room. Sent
 * bytes stay queued until the caller advances w->off.
 */
enum xfr_fill xfr_tx_fill(struct xfr_tx *tx, struct xfr_wbuf *w, int64_t now, int64_t *wake);

struct xfr_rx {
    int active;               /* XFRCMD accepted, XFREND not yet */
    struct store st;
    uint32_t size;            /* declared by XFRCMD */
    uint32_t got;
    uint8_t sha[PFS_SHA256_LEN];  /* declared by XFRCMD */
    uint8_t source;
    uint32_t origin;
    int64_t t0, last;         /* ms: start, last progress */
    unsigned next_pct;        /* next progress line, percent */
};

void xfr_rx_init(struct xfr_rx *rx);

/*
 * xfr_cmd_rule - the rule of libpfs an XFRCMD from our parent breaks, or
 * 0: PFS_E_PATH when it names another file than path (the hierarchy's,
 * "/dnld/NAME"), PFS_E_SIZE when it declares more than max_size (the
 * .loads size, or PFS_FILE_MAX). pfs_errword() names it in the log.
 */
int xfr_cmd_rule(const struct pfs_xfrcmd *x, const char *path, uint32_t max_size);

/*
 * xfr_rx_begin - accept an XFRCMD for the file name (bare) in dir.
 * max_size is the largest size allowed (PFS_FILE_MAX, or the .loads size).
 * Returns 0, or a pfs_reason (PFS_R_PROTOCOL: size, PFS_R_IO: temp file)
 * with err.
 */
int xfr_rx_begin(struct xfr_rx *rx, const struct pfs_xfrcmd *x, const char *dir,
                 const char *name, uint32_t max_size, int64_t now, char *err, size_t errcap);

/* A DATA message. Returns 0, PFS_R_PROTOCOL (order, size) or PFS_R_IO. */
int xfr_rx_data(struct xfr_rx *rx, const struct pfs_data *d, int64_t now);

/*
 * xfr_rx_end - XFREND. Returns the verdict: PFS_V_OK (all bytes, hash as
 * declared; digest in out), PFS_V_SHORT, PFS_V_HASH. The temp file stays
 * for the caller to commit or discard.
 */
int xfr_rx_end(struct xfr_rx *rx, const struct pfs_xfrend *e, uint8_t out[PFS_SHA256_LEN]);

/* Drops the partial file. Safe when idle. */
void xfr_rx_abort(struct xfr_rx *rx);

/* 1 when got crossed the next 25% mark (and advances it). */
int xfr_rx_progress_due(struct xfr_rx *rx);

#endif
