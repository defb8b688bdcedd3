/*
 * tl.h - helpers shared by the pfslog unit tests: a reader and a model
 * fed line by line, events and unplaced lines kept for the asserts, and
 * DLoad lines written with the grammar's own writer (pfs_dlog_line).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TL_H
#define TL_H

#include <stddef.h>
#include <stdint.h>

#include "json_check.h"
#include "report.h"

#define TL_EV_MAX 256
#define TL_UNPLACED_MAX 64

struct tl {
    struct plog_reader r;
    struct plog_model m;
    uint32_t src;
    uint64_t lineno;
    struct plog_event ev[TL_EV_MAX];    /* every event, in order */
    size_t nev;
    struct plog_ref unplaced[TL_UNPLACED_MAX];
    size_t nunplaced;
    int apply;                          /* feed the model too (default 1) */
};

/* A fresh reader and model with one input named "test.log". Fails the test on error. */
struct tl *tl_new(void);
void tl_free(struct tl *t);
/* A further input; the following lines belong to it (line numbers restart). */
uint32_t tl_src(struct tl *t, const char *name);
/* One line of len bytes (no newline), host as for --listen (or NULL); returns events. */
int tl_raw(struct tl *t, const char *line, size_t len, const char *host);
int tl_line(struct tl *t, const char *line);
/* Several lines separated by '\n'. */
void tl_text(struct tl *t, const char *text);
/* Ends the input (records waiting for a tail are counted) and the model. */
void tl_finish(struct tl *t);

/* A console line for ev at usec of the day, written by libpfs; in a static buffer. */
const char *tl_dl(int64_t usec, struct pfs_dlog_ev ev);
/* Feeds tl_dl(usec, ev). */
int tl_ev(struct tl *t, int64_t usec, struct pfs_dlog_ev ev);

/* HH:MM:SS.uuuuuu in microseconds. */
int64_t tl_tod(int h, int m, int s, int us);

/* Model lookups: phone by XID, hierarchy by file base name, node of a phone in it. */
const struct plog_phone *tl_phone(const struct tl *t, uint32_t xid);
uint32_t tl_hier(const struct tl *t, const char *file);
const struct plog_node *tl_node(const struct tl *t, uint32_t hier, uint32_t xid);
/* XID of a phone index (0 for none). */
uint32_t tl_xid(const struct tl *t, uint32_t phone);
/* Count of diagnostics with this code (and, unless PLOG_NONE, this hierarchy). */
size_t tl_diags(const struct tl *t, const char *code, uint32_t hier);
const struct plog_diag *tl_diag(const struct tl *t, const char *code);

/* Output of a report function into a malloc'd string (caller frees). */
char *tl_json(const struct tl *t);
char *tl_text_report(const struct tl *t);
char *tl_dot(const struct tl *t);

#endif
