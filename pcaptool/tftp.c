/*
 * tftp.c - TFTP packets and transfers.
 *
 * A request goes to port 69; the server answers from a new port (its
 * transfer ID, RFC 1350 §4), so a transfer is recognised by the client's
 * address and port and the server's address, and the server's port is
 * learned from its first answer.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tftp.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"

/* Transfers kept at most; the oldest is forgotten first. */
#define TFTP_KEEP 4096

/* The NUL-terminated string at *off, or NULL when no NUL ends it within len. */
static const char *take_str(const uint8_t *buf, size_t len, size_t *off)
{
    if (*off >= len)
        return NULL;
    const uint8_t *nul = memchr(buf + *off, 0, len - *off);
    if (!nul)
        return NULL;
    const char *s = (const char *)buf + *off;
    *off = (size_t)(nul - buf) + 1;
    return s;
}

static void parse_opts(const uint8_t *buf, size_t len, size_t off, struct cap_tftp *t)
{
    while (off < len) {
        const char *name = take_str(buf, len, &off);
        const char *value = name ? take_str(buf, len, &off) : NULL;
        if (!value) {
            t->fault = "option without NUL-terminated name and value";
            return;
        }
        if (t->nopts < TFTP_MAX_OPTS) {
            t->opts[t->nopts].name = name;
            t->opts[t->nopts].value = value;
            t->nopts++;
        }
    }
}

static void parse_request(const uint8_t *buf, size_t len, struct cap_tftp *t)
{
    size_t off = 2;
    t->file = take_str(buf, len, &off);
    if (!t->file) {
        t->fault = "no NUL after the file name";
        return;
    }
    t->mode = take_str(buf, len, &off);
    if (!t->mode) {
        t->fault = "no NUL after the mode";
        return;
    }
    parse_opts(buf, len, off, t);
}

void tftp_parse(uint8_t *buf, size_t len, struct cap_tftp *t)
{
    memset(t, 0, sizeof *t);
    buf[len] = 0;
    if (len < 2) {
        t->fault = "shorter than an opcode";
        return;
    }
    t->opcode = (uint16_t)(buf[0] << 8 | buf[1]);
    switch (t->opcode) {
    case TFTP_RRQ: case TFTP_WRQ:
        parse_request(buf, len, t);
        break;
    case TFTP_DATA: case TFTP_ACK:
        if (len < 4) {
            t->fault = "no block number";
            break;
        }
        t->block = (uint16_t)(buf[2] << 8 | buf[3]);
        t->data_len = t->opcode == TFTP_DATA ? len - 4 : 0;
        if (t->opcode == TFTP_ACK && len > 4)
            t->fault = "bytes after the block number";
        break;
    case TFTP_ERROR: {
        size_t off = 4;
        if (len < 4) {
            t->fault = "no error code";
            break;
        }
        t->err_code = (uint16_t)(buf[2] << 8 | buf[3]);
        t->err_msg = take_str(buf, len, &off);
        if (!t->err_msg)
            t->fault = "no NUL after the error message";
        break;
    }
    case TFTP_OACK:
        parse_opts(buf, len, 2, t);
        break;
    default:
        t->fault = "unknown opcode";
        break;
    }
}

static int same_ep(const struct cap_addr *a, const struct cap_addr *b)
{
    return a->port == b->port && cap_addr_same_host(a, b);
}

struct tftp_xfer *tftp_request(struct tftp_table *t, const struct cap_addr *client,
                               const struct cap_addr *server, const char *file)
{
    struct tftp_xfer *x = NULL;
    for (size_t i = 0; i < t->n; i++)
        if (same_ep(&t->x[i].client, client) && cap_addr_same_host(&t->x[i].server, server)) {
            x = &t->x[i];   /* the client port is reused: a new transfer replaces the old */
            break;
        }
    if (!x && t->n == TFTP_KEEP) {
        memmove(t->x, t->x + 1, (t->n - 1) * sizeof *t->x);
        t->n--;
    }
    if (!x) {
        if (arr_grow(&t->x, &t->cap, t->n + 1, sizeof *t->x) < 0)
            return NULL;
        x = &t->x[t->n++];
    }
    memset(x, 0, sizeof *x);
    x->id = ++t->next_id;
    x->client = *client;
    x->server = *server;
    x->server.port = 0;
    x->blksize = 512;
    size_t fl = strlen(file);
    if (fl >= sizeof x->file)
        fl = sizeof x->file - 1;
    memcpy(x->file, file, fl);
    return x;
}

static int matches(struct tftp_xfer *x, const struct cap_addr *cl, const struct cap_addr *sv)
{
    if (!same_ep(&x->client, cl) || !cap_addr_same_host(&x->server, sv) || sv->port == TFTP_PORT)
        return 0;
    if (x->server.port == 0)
        x->server.port = sv->port;
    return x->server.port == sv->port;
}

struct tftp_xfer *tftp_lookup(struct tftp_table *t, const struct cap_addr *src,
                              const struct cap_addr *dst)
{
    for (size_t i = t->n; i-- > 0;) {
        struct tftp_xfer *x = &t->x[i];
        if (matches(x, dst, src) || matches(x, src, dst))
            return x;
    }
    return NULL;
}

int tftp_track(struct tftp_table *t, struct tftp_xfer *x, const struct cap_tftp *pkt)
{
    if (pkt->fault)
        return 0;
    if (pkt->opcode == TFTP_OACK) {
        for (unsigned i = 0; i < pkt->nopts; i++)
            if (strcmp(pkt->opts[i].name, "blksize") == 0) {
                unsigned long v = strtoul(pkt->opts[i].value, NULL, 10);
                x->blksize = v >= 8 && v <= 65464 ? (unsigned)v : x->blksize;
            }
        return 0;
    }
    if (pkt->opcode == TFTP_DATA && pkt->data_len < x->blksize) {
        x->last_sent = 1;
        x->last_block = pkt->block;
        return 0;
    }
    int over = pkt->opcode == TFTP_ERROR ||
               (pkt->opcode == TFTP_ACK && x->last_sent && pkt->block == x->last_block);
    if (!over)
        return 0;
    /* Forgotten, so that the table (searched for every datagram) holds live transfers only. */
    size_t i = (size_t)(x - t->x);
    memmove(t->x + i, t->x + i + 1, (t->n - i - 1) * sizeof *t->x);
    t->n--;
    return 1;
}

void tftp_table_free(struct tftp_table *t)
{
    free(t->x);
    memset(t, 0, sizeof *t);
}
