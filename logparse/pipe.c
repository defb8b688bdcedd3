/*
 * pipe.c - reading one input, on a thread of its own or not.
 *
 * Every input is read through here: with a reading thread (a big file, a
 * pipe) or with none (a small file, many inputs), in which case the main
 * thread does the reading thread's part when it needs lines. Either way
 * the lines, their batches and what is found in them are the same.
 *
 * The reading thread reads blocks and splits them into lines; for each
 * line it finds the record and matches its message (plog_prescan_find,
 * plog_prescan_match), a batch at a time. The main thread fills the
 * events and runs the streams and the model, line after line in input
 * order, as without a pipeline. So the output cannot depend on thread
 * timing: what is done ahead, per line, is a function of that line alone.
 *
 * Finding what the lines are costs more than splitting them: when the main
 * thread catches up, it does that for the batch it needs, or the next one,
 * with a parser and memo of its own, rather than wait (see scan_state).
 *
 * What goes from one thread to the other is small: per line, where it
 * lies in its block and where its fields lie (struct plog_pre, under a
 * hundred bytes), never a whole event. Lines go in batches through a
 * bounded ring, one lock per batch, not per line. A block stays alive,
 * unchanged, until the main thread has taken every line in it: the batch
 * with a block's last lines says so, and the main thread gives the block
 * back when done with that batch. A line cut by a block's end is copied
 * to the start of the next block.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "pipe.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PIPE_BLOCKS 2    /* one being read, one with lines not yet taken */
#define PIPE_SLOTS 8     /* batches in the ring */
#define PIPE_SPIN 20000  /* the main thread looks at the ring before sleeping: 20-100 us */
#define PIPE_BATCH 256   /* lines per batch: one lock per this many lines */

struct block {
    char *buf;
    size_t cap;
    int busy;            /* taken by the reading thread, until given back */
};

/*
 * Who finds what a batch's lines are (plog_prescan_find, _match): the
 * reading thread, once it has split and published the batch after it,
 * unless the main thread, with nothing else to do, has taken that work
 * first. Either gets the same result (each has its own parser and memo),
 * so the share of the work follows the threads' speeds, the output does
 * not.
 */
enum scan_state { SCAN_TODO, SCAN_READER, SCAN_MAIN, SCAN_DONE };

struct batch {
    struct plog_pre pre[PIPE_BATCH];
    _Atomic int scan;    /* enum scan_state */
    uint32_t n;
    int block;           /* all its lines lie in this block */
    const char *base;    /* its buffer, which does not move while lines in it are out */
    int release;         /* its block holds no later line: give it back */
    int last;            /* nothing follows: end of input, or failed */
    int failed;
};

struct plog_pipe {
    int threaded;        /* a reading thread; else the main thread splits, when it needs lines */
    int ended;           /* without a thread: the last batch is published */
    plog_fill_fn fill;
    void *ctx;
    const char *name;    /* for messages */
    size_t long_cap;
    size_t cap;          /* every block's size: grows with a long line, as input.c's buffer */
    struct plog_prescan ps, ps_main; /* the reading thread's, the main thread's */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;   /* a batch published, taken, or a block given back */
    struct block blocks[PIPE_BLOCKS];
    struct batch slots[PIPE_SLOTS];
    _Atomic uint64_t head; /* batches published: written under mu */
    uint64_t tail;       /* batches taken back, under mu */
    int stop;            /* under mu */
    char err[256];       /* written before the failed batch is published */
    /*
     * Each thread's own fields on cache lines of their own: the main
     * thread writes its position on every line, and a line shared with
     * the reading thread's would bounce between the cores.
     */
    _Alignas(64) int cur; /* the reading thread's: block being split */
    size_t pos, len;
    int eof, skipping;
    int cut;             /* the input ends cut short: its unended last line is dropped */
    struct batch *out;   /* batch being filled, NULL none */
    struct batch *prev;  /* published, to scan once the next one is */
    uint64_t hash[PIPE_BATCH]; /* its lines' messages' hashes (plog_prescan_find) */
    _Alignas(64) struct batch *in; /* the main thread's */
    uint32_t next;
    uint64_t hash_main[PIPE_BATCH];
};

/* ---- the reading thread ---- */

/* Waits for a free block and takes it; -1 when told to stop. */
static int take_block(struct plog_pipe *p, int *bi)
{
    int rc = -1;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        if (p->stop)
            break;
        int i = 0;
        while (i < PIPE_BLOCKS && p->blocks[i].busy)
            i++;
        if (i < PIPE_BLOCKS) {
            p->blocks[i].busy = 1;
            *bi = i;
            rc = 0;
            break;
        }
        pthread_cond_wait(&p->cv, &p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

/* The batch to write the next line into, waiting for a free slot; NULL: stop. */
static struct batch *out_batch(struct plog_pipe *p)
{
    if (p->out)
        return p->out;
    pthread_mutex_lock(&p->mu);
    while (!p->stop && p->head - p->tail == PIPE_SLOTS)
        pthread_cond_wait(&p->cv, &p->mu);
    /* the main thread reads only slots before head: this one is ours */
    struct batch *b = p->stop ? NULL : &p->slots[p->head % PIPE_SLOTS];
    pthread_mutex_unlock(&p->mu);
    if (b) {
        b->n = 0;
        b->block = p->cur;
        b->base = p->blocks[p->cur].buf;
        b->release = b->last = b->failed = 0;
        p->out = b;
    }
    return b;
}

/* What the lines of batch b are, in two passes (see plog_prescan_find). */
static void prescan(struct plog_prescan *ps, uint64_t *hash, struct batch *b)
{
    for (uint32_t i = 0; i < b->n; i++)
        hash[i] = plog_prescan_find(ps, b->base + b->pre[i].off, b->pre[i].len, &b->pre[i]);
    for (uint32_t i = 0; i < b->n; i++)
        plog_prescan_match(ps, b->base + b->pre[i].off, hash[i], &b->pre[i]);
}

/* Takes the scan of batch b unless another thread has: 1 if taken. */
static int take_scan(struct batch *b, enum scan_state who)
{
    int todo = SCAN_TODO;
    return atomic_compare_exchange_strong(&b->scan, &todo, (int)who);
}

/* The reading thread scans batch b unless the main thread has taken it. */
static void reader_scan(struct plog_pipe *p, struct batch *b)
{
    if (b && take_scan(b, SCAN_READER)) {
        prescan(&p->ps, p->hash, b);
        atomic_store(&b->scan, SCAN_DONE);
    }
}

/* Hands the batch being filled (an empty one if none) to the main thread. */
static int publish(struct plog_pipe *p, int release, int last, int failed)
{
    struct batch *b = out_batch(p);
    if (!b)
        return -1;
    b->release = release;
    b->last = last;
    b->failed = failed;
    atomic_store(&b->scan, SCAN_TODO);
    pthread_mutex_lock(&p->mu);
    p->head++;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    p->out = NULL;
    if (!p->threaded)
        return 0; /* the main thread scans what it takes */
    /*
     * Scan the batch before this one: the main thread, should it catch up,
     * can then take this one rather than wait. A batch the main thread has
     * not taken is not given back, nor its block.
     */
    reader_scan(p, p->prev);
    p->prev = b;
    if (last) {
        reader_scan(p, b);
        p->prev = NULL;
    }
    return 0;
}

/* One line of the current block: what it is is found when its batch is full. */
static int emit(struct plog_pipe *p, size_t off, size_t len, int long_line)
{
    struct batch *b = out_batch(p);
    if (!b)
        return -1;
    struct plog_pre *pre = &b->pre[b->n++];
    pre->off = (uint32_t)off;
    pre->len = (uint32_t)len;
    pre->long_line = (uint8_t)long_line;
    return b->n == PIPE_BATCH ? publish(p, 0, 0, 0) : 0;
}

/* Makes block b hold at least cap bytes: only while no line in it is handed over. */
static int grow_block(struct block *b, size_t cap)
{
    if (b->cap >= cap)
        return 0;
    char *nb = realloc(b->buf, cap);
    if (!nb)
        return -1;
    b->buf = nb;
    b->cap = cap;
    return 0;
}

/*
 * Goes on in a fresh block, with the unsplit end of the current one at
 * its start; the current block's lines are all handed over with it.
 */
static int next_block(struct plog_pipe *p, int keep_tail)
{
    int nb;
    if (take_block(p, &nb) != 0)
        return -1;
    size_t tail = keep_tail ? p->len - p->pos : 0;
    if (grow_block(&p->blocks[nb], p->cap) != 0) {
        snprintf(p->err, sizeof p->err, "%s: out of memory", p->name);
        return -2;
    }
    memcpy(p->blocks[nb].buf, p->blocks[p->cur].buf + p->pos, tail);
    if (publish(p, 1, 0, 0) != 0)
        return -1;
    p->cur = nb;
    p->pos = 0;
    p->len = tail;
    return 0;
}

/*
 * Room for more bytes in the current block, as input.c's next_line makes
 * it in its buffer: a line longer than the blocks grows them up to
 * long_cap, and a line of long_cap bytes comes as its head, the rest
 * skipped. Each read asks for as many bytes as next_line's would: a gzip
 * input that turns out corrupt loses the same bytes either way.
 */
static int make_room(struct plog_pipe *p)
{
    if (p->pos) {
        int rc = next_block(p, 1);
        if (rc != 0)
            return rc;
    }
    if (p->len == p->cap && !p->skipping && p->cap < p->long_cap) {
        size_t nc = p->cap * 2 < p->long_cap ? p->cap * 2 : p->long_cap;
        if (grow_block(&p->blocks[p->cur], nc) != 0) {
            snprintf(p->err, sizeof p->err, "%s: out of memory", p->name);
            return -2;
        }
        p->cap = nc;
    }
    if (p->len == p->cap) {
        int first = !p->skipping;
        p->skipping = 1;
        if (first) {
            if (emit(p, 0, p->cap, 1) != 0)
                return -1;
            return next_block(p, 0); /* the head is handed over: keep it intact */
        }
        p->len = 0;
    }
    return 0;
}

/*
 * One step of splitting the input: a line handed over, or a read. 1 when
 * there is more, 0 at its end, -1 told to stop, -2 failed (p->err).
 */
static int split_step(struct plog_pipe *p)
{
    char *buf = p->blocks[p->cur].buf;
    char *nl = memchr(buf + p->pos, '\n', p->len - p->pos);
    if (nl) {
        size_t at = p->pos, n = (size_t)(nl - (buf + at));
        p->pos = at + n + 1;
        if (p->skipping)
            p->skipping = 0; /* the tail of an overlong line */
        else if (emit(p, at, n, 0) != 0)
            return -1;
        return 1;
    }
    if (p->eof) {
        if (p->pos < p->len && !p->skipping && !p->cut &&
            emit(p, p->pos, p->len - p->pos, 0) != 0)
            return -1;
        return 0;
    }
    int rc = make_room(p);
    if (rc != 0)
        return rc;
    char *dst = p->blocks[p->cur].buf + p->len;
    ssize_t k = p->fill(p->ctx, dst, p->cap - p->len, p->err, sizeof p->err);
    if (k == PLOG_FILL_CUT) {
        p->cut = 1;
        k = 0;
    }
    if (k < 0)
        return -2;
    if (k == 0)
        p->eof = 1;
    p->len += (size_t)k;
    return 1;
}

/* Splits the whole input (the reading thread): as split_step. */
static int split_all(struct plog_pipe *p)
{
    if (take_block(p, &p->cur) != 0)
        return -1;
    int rc;
    while ((rc = split_step(p)) == 1)
        continue;
    return rc;
}

/*
 * Without a reading thread: splits until a batch is published. Every
 * batch before has been given back, so a block is free and the ring has
 * room: nothing here waits.
 */
static void split_until_batch(struct plog_pipe *p)
{
    while (!p->ended && atomic_load(&p->head) == p->tail) {
        int rc = split_step(p);
        if (rc != 1) {
            publish(p, 1, 1, rc == -2);
            p->ended = 1;
        }
    }
}

static void *reading_thread(void *arg)
{
    struct plog_pipe *p = arg;
    int rc = split_all(p);
    if (rc != -1)
        publish(p, 1, 1, rc == -2);
    return NULL;
}

/* ---- the main thread ---- */

/* Frees what start allocated; the thread, lock and condition are gone. */
static void free_pipe(struct plog_pipe *p)
{
    for (int i = 0; i < PIPE_BLOCKS; i++)
        free(p->blocks[i].buf);
    plog_prescan_free(&p->ps);
    plog_prescan_free(&p->ps_main);
    free(p);
}

struct plog_pipe *plog_pipe_start(plog_fill_fn fill, void *ctx, const char *name, size_t block,
                                  size_t long_cap, int threaded)
{
    /* aligned_alloc: the size must be a multiple of the alignment */
    size_t size = (sizeof(struct plog_pipe) + 63) / 64 * 64;
    struct plog_pipe *p = aligned_alloc(_Alignof(struct plog_pipe), size);
    if (!p)
        return NULL;
    memset(p, 0, sizeof *p);
    p->threaded = threaded;
    p->fill = fill;
    p->ctx = ctx;
    p->name = name;
    p->long_cap = long_cap;
    p->cap = block;
    char err[256];
    if ((threaded && plog_prescan_init(&p->ps, err, sizeof err) != 0) ||
        plog_prescan_init(&p->ps_main, err, sizeof err) != 0) {
        free_pipe(p);
        return NULL;
    }
    int ok = 1;
    for (int i = 0; i < PIPE_BLOCKS; i++) {
        p->blocks[i].buf = malloc(block);
        p->blocks[i].cap = block;
        ok &= p->blocks[i].buf != NULL;
    }
    if (ok && pthread_mutex_init(&p->mu, NULL) == 0) {
        if (pthread_cond_init(&p->cv, NULL) == 0) {
            if (!threaded) {
                p->blocks[0].busy = 1; /* the first block: nobody else to take it */
                return p;
            }
            if (pthread_create(&p->thread, NULL, reading_thread, p) == 0)
                return p;
            pthread_cond_destroy(&p->cv);
        }
        pthread_mutex_destroy(&p->mu);
    }
    free_pipe(p);
    return NULL;
}

/* Gives back the batch just read (and its block if it was the block's last). */
static void return_batch(struct plog_pipe *p)
{
    pthread_mutex_lock(&p->mu);
    if (p->in->release)
        p->blocks[p->in->block].busy = 0;
    p->tail++;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    p->in = NULL;
}

/* While the reading thread scans the next batch: the one after it, if published. */
static void help_scan(struct plog_pipe *p)
{
    uint64_t next = p->tail + 1;
    if (next < atomic_load(&p->head)) {
        struct batch *b = &p->slots[next % PIPE_SLOTS];
        if (take_scan(b, SCAN_MAIN)) {
            prescan(&p->ps_main, p->hash_main, b);
            atomic_store(&b->scan, SCAN_DONE);
        }
    }
}

/*
 * Waits for the next batch. The reading thread is the slower one: looking
 * at head for a while before sleeping spares it a wake-up (a system call
 * and an interrupt) per batch. Only this thread writes tail.
 */
static void wait_batch(struct plog_pipe *p)
{
    if (!p->threaded)
        split_until_batch(p);
    for (int i = 0; i < PIPE_SPIN && atomic_load(&p->head) == p->tail; i++)
        continue;
    if (atomic_load(&p->head) == p->tail) {
        pthread_mutex_lock(&p->mu);
        while (p->tail == p->head)
            pthread_cond_wait(&p->cv, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
    p->in = &p->slots[p->tail % PIPE_SLOTS];
    p->next = 0;
    /* scan it here if the reading thread has not begun; else it is busy at it */
    if (take_scan(p->in, SCAN_MAIN)) {
        prescan(&p->ps_main, p->hash_main, p->in);
        atomic_store(&p->in->scan, SCAN_DONE);
    }
    while (atomic_load(&p->in->scan) != SCAN_DONE)
        help_scan(p);
}

int plog_pipe_next(struct plog_pipe *p, const char **line, size_t *len,
                   const struct plog_pre **pre, char *err, size_t ecap)
{
    for (;;) {
        if (p->in && p->next < p->in->n) {
            const struct plog_pre *e = &p->in->pre[p->next++];
            *line = p->in->base + e->off;
            *len = e->len;
            *pre = e;
            return 1;
        }
        if (p->in && p->in->last) {
            if (!p->in->failed)
                return 0;
            snprintf(err, ecap, "%s", p->err);
            return -1;
        }
        if (p->in)
            return_batch(p);
        wait_batch(p);
    }
}

void plog_pipe_stop(struct plog_pipe *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (p->threaded)
        pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free_pipe(p);
}
