/*
 * xfr.c - transfer framing: sender from a file, receiver into a store.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "xfr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- sender ---- */

int xfr_tx_open(struct xfr_tx *tx, const char *path, uint32_t size, const struct xfr_id *id,
                long rate_bps, int64_t now, char *err, size_t errcap)
{
    memset(tx, 0, sizeof *tx);
    tx->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (tx->fd < 0) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        return -1;
    }
    tx->phase = TX_CMD;
    tx->id = *id;
    tx->size = size;
    tx->avail = size;
    tx->sealed = 1;
    tx->rate = rate_bps;
    tx->t0 = now;
    return 0;
}

void xfr_tx_cut(struct xfr_tx *tx, uint32_t avail)
{
    tx->avail = 0;
    tx->sealed = 0;
    xfr_tx_feed(tx, avail, 0);
}

void xfr_tx_feed(struct xfr_tx *tx, uint32_t avail, int sealed)
{
    if (sealed || avail > tx->size)
        avail = tx->size;
    if (avail > tx->avail)
        tx->avail = avail;
    if (sealed)
        tx->sealed = 1;
}

void xfr_tx_close(struct xfr_tx *tx)
{
    if (tx->fd >= 0)
        close(tx->fd);
    tx->fd = -1;
}

static void tx_header(const struct xfr_tx *tx, struct pfs_msg *m, unsigned type)
{
    memset(m, 0, sizeof *m);
    m->version = PFS_VERSION_1;
    m->type = (uint8_t)type;
    m->flags = PFS_F_HAVE;
    m->xid = tx->id.xid;
    m->hier = tx->id.hier;
}

/* Bytes the rate allows at now; the whole file when unthrottled. */
static uint64_t allowed(const struct xfr_tx *tx, int64_t now)
{
    if (tx->rate <= 0)
        return UINT64_MAX;
    int64_t ms = now - tx->t0;
    return (uint64_t)(ms < 0 ? 0 : ms) * (uint64_t)tx->rate / 1000u;
}

/* A chunk small enough that a throttled transfer moves about 10 times a second. */
static uint32_t chunk_max(const struct xfr_tx *tx)
{
    uint32_t n = PFS_DATA_MAX;
    if (tx->rate > 0 && (uint64_t)tx->rate / 10u < n)
        n = tx->rate / 10 < 512 ? 512u : (uint32_t)(tx->rate / 10);
    return n;
}

/* Less than a whole chunk of a file that still arrives: wait for more of it. */
static int partial(const struct xfr_tx *tx)
{
    return !tx->sealed && tx->avail < tx->size && tx->avail - tx->sent < chunk_max(tx);
}

/*
 * Forwarding a file that still arrives, a DATA waits for a whole chunk, so
 * that each TFTP block is not a message and a wake-up at every hop below.
 * Once XFR_HOLD_MS have passed since the last one, whatever is there goes
 * at the next try (the next bytes that land), so that a slow source still
 * moves the child along; and once every byte is there nothing waits.
 */
static uint32_t chunk_len(const struct xfr_tx *tx, int64_t now)
{
    uint32_t left = tx->avail - tx->sent;
    if (left == 0 || (partial(tx) && now - tx->t_data < XFR_HOLD_MS))
        return 0;
    uint32_t n = chunk_max(tx);
    return left < n ? left : n;
}

int xfr_tx_starved(const struct xfr_tx *tx)
{
    if (tx->sealed)
        return 0;
    /* In TX_DATA, nothing left to send means part of the file is still to come. */
    return (tx->phase == TX_DATA && partial(tx)) || tx->phase == TX_END;
}

static long tx_data(struct xfr_tx *tx, uint8_t *out, size_t cap, int64_t now, int64_t *wake)
{
    uint32_t n = chunk_len(tx, now);
    if (n == 0)
        return 0; /* waiting for more bytes (forwarding) */
    uint64_t ok = allowed(tx, now);
    if ((uint64_t)tx->sent + n > ok) {
        /* When will sent + n be allowed? ms = bytes * 1000 / rate. */
        *wake = tx->t0 + (int64_t)(((uint64_t)tx->sent + n) * 1000u / (uint64_t)tx->rate) + 1;
        return 0;
    }
    uint8_t buf[PFS_DATA_MAX];
    ssize_t r;
    do
        r = pread(tx->fd, buf, n, (off_t)tx->sent);
    while (r < 0 && errno == EINTR);
    if (r <= 0)
        return XFR_TX_EIO; /* the file shrank under us, or an I/O error */
    struct pfs_msg m;
    tx_header(tx, &m, PFS_T_DATA);
    m.u.data.offset = tx->sent;
    m.u.data.len = (uint16_t)r;
    m.u.data.bytes = buf;
    long len = pfs_encode(&m, out, cap);
    if (len > 0) {
        tx->sent += (uint32_t)r;
        tx->t_data = now;
        if (tx->sent == tx->size)
            tx->phase = TX_END;
    }
    return len;
}

long xfr_tx_next(struct xfr_tx *tx, uint8_t *out, size_t cap, int64_t now, int64_t *wake)
{
    struct pfs_msg m;
    long len;
    switch (tx->phase) {
    case TX_CMD:
        tx_header(tx, &m, PFS_T_XFRCMD);
        m.u.xfrcmd.size = tx->size;
        m.u.xfrcmd.source = tx->id.source;
        m.u.xfrcmd.origin_xid = tx->id.origin;
        m.u.xfrcmd.sha256 = tx->id.sha;
        m.u.xfrcmd.file = pfs_str_of(tx->id.path);
        len = pfs_encode(&m, out, cap);
        if (len > 0) {
            tx->t0 = tx->t_data = now;
            tx->phase = tx->size ? TX_DATA : TX_END;
        }
        return len;
    case TX_DATA:
        return tx_data(tx, out, cap, now, wake);
    case TX_END:
        if (!tx->sealed)
            return 0; /* every byte sent, the sender's own check still to come */
        tx_header(tx, &m, PFS_T_XFREND);
        m.u.xfrend.size = tx->sent;
        len = pfs_encode(&m, out, cap);
        if (len > 0) {
            tx->phase = TX_VERDICT;
            tx->t_end = now;
        }
        return len;
    default:
        return 0;
    }
}

enum xfr_fill xfr_tx_fill(struct xfr_tx *tx, struct xfr_wbuf *w, int64_t now, int64_t *wake)
{
    for (;;) {
        if (w->off > 0 && w->off == w->len)
            w->off = w->len = 0;
        if (w->cap - w->len < XFR_MSG_ROOM && w->off > 0) {
            memmove(w->buf, w->buf + w->off, w->len - w->off);
            w->len -= w->off;
            w->off = 0;
        }
        /* Compacting may not free enough: then the socket must take more first. */
        if (w->cap - w->len < XFR_MSG_ROOM)
            return XFR_FILL_WAIT;
        long len = xfr_tx_next(tx, w->buf + w->len, w->cap - w->len, now, wake);
        if (len == PFS_E_NOSPACE)
            return XFR_FILL_WAIT; /* nothing was consumed: the same message next time */
        if (len < 0)
            return XFR_FILL_IO;
        if (len == 0)
            return XFR_FILL_WAIT;
        w->len += (size_t)len;
    }
}

/* ---- receiver ---- */

void xfr_rx_init(struct xfr_rx *rx)
{
    memset(rx, 0, sizeof *rx);
    store_init(&rx->st);
}

int xfr_cmd_rule(const struct pfs_xfrcmd *x, const char *path, uint32_t max_size)
{
    if (x->file.len != strlen(path) || memcmp(x->file.p, path, x->file.len) != 0)
        return PFS_E_PATH;
    if (x->size > PFS_FILE_MAX || x->size > max_size)
        return PFS_E_SIZE;
    return 0;
}

int xfr_rx_begin(struct xfr_rx *rx, const struct pfs_xfrcmd *x, const char *dir,
                 const char *name, uint32_t max_size, int64_t now, char *err, size_t errcap)
{
    xfr_rx_init(rx);
    if (x->size > PFS_FILE_MAX || x->size > max_size) {
        snprintf(err, errcap, "declared size %u over %u", x->size, max_size);
        return PFS_R_PROTOCOL;
    }
    if (store_open(&rx->st, dir, name, err, errcap) != 0)
        return PFS_R_IO;
    rx->active = 1;
    rx->size = x->size;
    memcpy(rx->sha, x->sha256, PFS_SHA256_LEN);
    rx->source = x->source;
    rx->origin = x->origin_xid;
    rx->t0 = rx->last = now;
    rx->next_pct = 25;
    return 0;
}

int xfr_rx_data(struct xfr_rx *rx, const struct pfs_data *d, int64_t now)
{
    if (!rx->active || d->offset != rx->got || (uint64_t)d->offset + d->len > rx->size)
        return PFS_R_PROTOCOL;
    if (store_write(&rx->st, d->bytes, d->len) != 0)
        return PFS_R_IO;
    rx->got += d->len;
    rx->last = now;
    return 0;
}

int xfr_rx_end(struct xfr_rx *rx, const struct pfs_xfrend *e, uint8_t out[PFS_SHA256_LEN])
{
    rx->active = 0;
    if (e->size != rx->got || rx->got != rx->size)
        return PFS_V_SHORT;
    store_digest(&rx->st, out);
    return memcmp(out, rx->sha, PFS_SHA256_LEN) == 0 ? PFS_V_OK : PFS_V_HASH;
}

void xfr_rx_abort(struct xfr_rx *rx)
{
    rx->active = 0;
    store_discard(&rx->st);
}

int xfr_rx_progress_due(struct xfr_rx *rx)
{
    if (rx->size == 0 || rx->next_pct >= 100)
        return 0;
    if ((uint64_t)rx->got * 100u < (uint64_t)rx->next_pct * rx->size)
        return 0;
    while (rx->next_pct < 100 && (uint64_t)rx->got * 100u >= (uint64_t)rx->next_pct * rx->size)
        rx->next_pct += 25;
    return 1;
}
