/*
 * input.c - files (or stdin, or gzip) read in large blocks with read(),
 * split into lines, turned into events and merged by time across files.
 *
 * mmap would make the whole file count as resident memory; a fixed block
 * per input keeps memory flat whatever the input size. Every input is
 * read and split by a pipe (pipe.c), with a reading thread of its own or
 * with none: one line path. A gzip stream is
 * recognised by its magic bytes and inflated block by block with zlib
 * (concatenated members included), so stdin can be compressed too.
 *
 * Many inputs are merged by time: each keeps its next events queued and a
 * small heap picks the earliest. All inputs are open at once (the
 * descriptor limit is raised as far as allowed); each starts with a share
 * of a fixed read budget and its buffer grows only while a line does not
 * fit, up to LINE_CAP, so memory follows neither the number of lines nor,
 * for normal logs, the number of inputs. Only beyond the descriptor
 * limit are inputs read in groups, each group merged on its own.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "input.h"
#include "pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define BLOCK_ONE (4u << 20)      /* one input: 4 MiB reads */
#define BLOCK_BUDGET (16u << 20)  /* many inputs: their first buffers together */
#define BLOCK_MIN (16u << 10)
#define LINE_CAP (4u << 20)       /* a longer line: its first 4 MiB are read */
#define ZBLOCK (256u << 10)
#define FD_SPARE 32               /* descriptors left for everything else */
#define PIPE_MAX_INPUTS 8         /* more inputs are read without reading threads */
#define PIPE_READ (1u << 20)      /* a pipe's reads of a plain input */

/* One input being read: a file or stdin, plain or gzip, and its buffer. */
struct input {
    const char *name;
    uint32_t src;
    int fd;
    int gz;                     /* 0 unknown, 1 gzip, -1 plain */
    z_stream zs;
    int zs_init;
    unsigned char *zbuf;
    size_t zcap;
    int zeof;
    size_t cap;                 /* the pipe's blocks */
    int cut;                    /* gzip data ends inside a member */
    uint64_t lineno;
    struct plog_event q[PLOG_MAX_OUT];
    int qn, qi;
    int done;
    struct plog_pipe *pipe;     /* its lines, read on a thread of its own or not */
};

static int fail(char *err, size_t cap, const char *name, const char *what)
{
    snprintf(err, cap, "%s: %s", name, what);
    return -1;
}

static ssize_t read_full(int fd, void *p, size_t n)
{
    for (;;) {
        ssize_t k = read(fd, p, n);
        if (k >= 0 || errno != EINTR)
            return k;
    }
}

/* Inflates into buf; 0 at end of input, >0 bytes, -1 on error. */
static ssize_t gz_fill(struct input *in, char *dst, size_t room, char *err, size_t ecap)
{
    for (;;) {
        if (in->zs.avail_in == 0 && !in->zeof) {
            ssize_t k = read_full(in->fd, in->zbuf, in->zcap);
            if (k < 0)
                return fail(err, ecap, in->name, strerror(errno));
            if (k == 0)
                in->zeof = 1;
            in->zs.next_in = in->zbuf;
            in->zs.avail_in = (uInt)k;
        }
        if (in->zs.avail_in == 0 && in->zeof) {
            /* bytes of a member read, its end not: the file was cut short */
            if (in->zs.total_in == 0)
                return 0;
            in->cut = 1;
            return PLOG_FILL_CUT;
        }
        in->zs.next_out = (unsigned char *)dst;
        in->zs.avail_out = (uInt)room;
        int rc = inflate(&in->zs, Z_NO_FLUSH);
        size_t got = room - in->zs.avail_out;
        if (rc == Z_STREAM_END) {
            /* another gzip member may follow (cat a.gz b.gz) */
            if (inflateReset(&in->zs) != Z_OK)
                return fail(err, ecap, in->name, "gzip: cannot reset");
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            return fail(err, ecap, in->name, in->zs.msg ? in->zs.msg : "gzip data is corrupt");
        } else if (rc == Z_BUF_ERROR && in->zeof && got == 0) {
            in->cut = 1;
            return PLOG_FILL_CUT;
        }
        if (got)
            return (ssize_t)got;
    }
}

/* Plain or gzip, decided on the first bytes. */
static ssize_t fill_into(struct input *in, char *dst, size_t room, char *err, size_t ecap)
{
    if (in->gz == 1)
        return gz_fill(in, dst, room, err, ecap);
    ssize_t k = read_full(in->fd, dst, room);
    if (k < 0)
        return fail(err, ecap, in->name, strerror(errno));
    if (in->gz == 0 && k > 0) {
        if (k >= 2 && (unsigned char)dst[0] == 0x1f && (unsigned char)dst[1] == 0x8b) {
            in->zcap = in->cap < ZBLOCK ? in->cap : ZBLOCK;
            if (in->zcap < (size_t)k)
                in->zcap = (size_t)k;
            in->zbuf = malloc(in->zcap);
            if (!in->zbuf || inflateInit2(&in->zs, 16 + MAX_WBITS) != Z_OK)
                return fail(err, ecap, in->name, "gzip: out of memory");
            in->zs_init = 1;
            in->gz = 1;
            memcpy(in->zbuf, dst, (size_t)k);
            in->zs.next_in = in->zbuf;
            in->zs.avail_in = (uInt)k;
            return gz_fill(in, dst, room, err, ecap);
        }
        in->gz = -1;
    }
    return k;
}

/*
 * fill_into for the input's pipe (pipe.c), which alone reads the input.
 * A plain input is read PIPE_READ bytes at a time: 4 MiB in one read()
 * would push the lines just read and the memo out of the cache. gzip (or
 * not known yet) asks for the pipe's whole room: a corrupt stream then
 * loses the same bytes with and without a reading thread.
 */
static ssize_t pipe_fill(void *ctx, char *dst, size_t room, char *err, size_t ecap)
{
    struct input *in = ctx;
    if (in->gz == -1 && room > PIPE_READ)
        room = PIPE_READ;
    return fill_into(in, dst, room, err, ecap);
}

/* Reads until the input has an event queued or ends. */
static int advance(struct input *in, struct plog_reader *r, char *err, size_t ecap)
{
    in->qi = in->qn = 0;
    while (in->qn == 0) {
        const char *line;
        size_t len;
        const struct plog_pre *pre;
        int rc = plog_pipe_next(in->pipe, &line, &len, &pre, err, ecap);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            if (in->cut)
                plog_reader_cut_src(r, in->src, in->lineno);
            plog_reader_end_src(r, in->src);
            in->done = 1;
            return 0;
        }
        in->lineno++;
        r->stats.long_lines += pre->long_line;
        in->qn = plog_read_pre(r, in->src, in->lineno, line, len, pre, in->q);
    }
    return 0;
}

/* Input a's next event comes before b's: by time, then by input order. */
static int before(const struct input *ins, size_t a, size_t b)
{
    int64_t ta = ins[a].q[ins[a].qi].t, tb = ins[b].q[ins[b].qi].t;
    return ta != tb ? ta < tb : a < b;
}

/* A min-heap of input indexes by the time of their next event. */
static void sift_down(struct input *ins, size_t *heap, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, s = i;
        if (l < n && before(ins, heap[l], heap[s]))
            s = l;
        if (l + 1 < n && before(ins, heap[l + 1], heap[s]))
            s = l + 1;
        if (s == i)
            return;
        size_t tmp = heap[i];
        heap[i] = heap[s];
        heap[s] = tmp;
        i = s;
    }
}

static void close_input(struct input *in)
{
    plog_pipe_stop(in->pipe); /* before the thread's input goes */
    if (in->fd > 0)
        close(in->fd);
    if (in->zs_init)
        inflateEnd(&in->zs);
    free(in->zbuf);
    memset(in, 0, sizeof *in);
}

/*
 * A file that one read of cap bytes takes whole gives a reading thread
 * nothing to overlap with, and starting one (its blocks, its parsers)
 * costs more than reading the file: pipes, stdin and big files get one.
 */
static int worth_a_thread(int fd, size_t cap)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return 1;
    return (uint64_t)st.st_size > cap;
}

/*
 * Opens an input with read buffers of cap bytes; piped: read on a thread
 * of its own when one can be started (the same lines either way).
 */
static int open_input(struct input *in, const char *name, size_t cap, int piped,
                      struct plog_reader *r, char *err, size_t ecap)
{
    memset(in, 0, sizeof *in);
    in->name = name;
    in->fd = strcmp(name, "-") == 0 ? 0 : open(name, O_RDONLY | O_CLOEXEC);
    if (in->fd < 0)
        return fail(err, ecap, name, strerror(errno));
    in->cap = cap;
    in->src = plog_reader_add_src(r, strcmp(name, "-") == 0 ? "<stdin>" : name);
    if (in->src == PLOG_NONE)
        return fail(err, ecap, name, "out of memory");
    /* a line is cut at the larger of the blocks and LINE_CAP */
    size_t long_cap = cap > LINE_CAP ? cap : LINE_CAP;
    if (piped && worth_a_thread(in->fd, cap))
        in->pipe = plog_pipe_start(pipe_fill, in, name, cap, long_cap, 1);
    if (!in->pipe) /* no thread: the same reading, on this one */
        in->pipe = plog_pipe_start(pipe_fill, in, name, cap, long_cap, 0);
    if (!in->pipe)
        return fail(err, ecap, name, "out of memory");
    return 0;
}

/*
 * A thread per input when there are few: the main thread may wait on any
 * of them, and stdin among several could keep a thread blocked in read()
 * when another input fails.
 */
static int use_pipes(char **names, size_t n)
{
    if (n > PIPE_MAX_INPUTS)
        return 0;
    for (size_t i = 0; n > 1 && i < n; i++)
        if (strcmp(names[i], "-") == 0)
            return 0;
    return 1;
}

static int run_batch(char **names, size_t n, size_t cap, struct plog_reader *r, plog_event_fn fn,
                     void *ctx, char *err, size_t ecap)
{
    int piped = use_pipes(names, n);
    struct input *ins = calloc(n, sizeof *ins);
    size_t *heap = calloc(n, sizeof *heap);
    size_t hn = 0;
    int rc = -1;
    if (!ins || !heap) {
        fail(err, ecap, names[0], "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (open_input(&ins[i], names[i], cap, piped, r, err, ecap) != 0 ||
            advance(&ins[i], r, err, ecap) != 0)
            goto out;
        if (!ins[i].done)
            heap[hn++] = i;
    }
    for (size_t i = hn; i-- > 0;)
        sift_down(ins, heap, hn, i);
    while (hn) {
        struct input *in = &ins[heap[0]];
        fn(ctx, &in->q[in->qi]);
        if (++in->qi == in->qn && advance(in, r, err, ecap) != 0)
            goto out;
        if (in->done)
            heap[0] = heap[--hn];
        sift_down(ins, heap, hn, 0);
    }
    rc = 0;
out:
    for (size_t i = 0; ins && i < n; i++)
        close_input(&ins[i]);
    free(ins);
    free(heap);
    return rc;
}

/* How many inputs may be open at once: the soft limit, raised if allowed. */
static size_t open_limit(size_t want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 256;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want + FD_SPARE &&
        (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > rl.rlim_cur)) {
        rlim_t to = (rlim_t)(want + FD_SPARE);
        if (rl.rlim_max != RLIM_INFINITY && to > rl.rlim_max)
            to = rl.rlim_max;
        rl.rlim_cur = to;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && getrlimit(RLIMIT_NOFILE, &rl) != 0)
            return 256;
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)(want + FD_SPARE))
        return want;
    return rl.rlim_cur > 2 * FD_SPARE ? (size_t)rl.rlim_cur - FD_SPARE : FD_SPARE;
}

int plog_run_inputs(char **names, size_t n, struct plog_reader *r, plog_event_fn fn, void *ctx,
                    char *err, size_t ecap)
{
    size_t group = open_limit(n);
    for (size_t i = 0; i < n; i += group) {
        size_t k = n - i < group ? n - i : group;
        size_t cap = k == 1 ? BLOCK_ONE : BLOCK_BUDGET / k;
        if (cap < BLOCK_MIN)
            cap = BLOCK_MIN;
        if (run_batch(names + i, k, cap, r, fn, ctx, err, ecap) != 0)
            return -1;
    }
    return 0;
}

int plog_check_inputs(char **names, size_t n, char *err, size_t ecap)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], "-") == 0)
            continue;
        int fd = open(names[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return fail(err, ecap, names[i], strerror(errno));
        char c;
        ssize_t k = read(fd, &c, 1);
        int e = errno;
        close(fd);
        if (k < 0)
            return fail(err, ecap, names[i], strerror(e));
    }
    return 0;
}
