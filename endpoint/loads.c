/*
 * loads.c - strict parser and writer of .loads manifests (see loads.h).
 *
 * The parser works line by line on a bounded copy of each line, so no
 * token can run past its line and every fault has a line number.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "loads.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pfs.h"
#include "sha256.h"

#define MAX_TOKENS   4       /* FILE name size sha256 */
#define FILE_READ_MAX 65536  /* a .loads of 32 files is about 4 KiB */

struct lparser {
    struct loads *l;
    unsigned line;
    int have_load;
    char *err;
    size_t errlen;
};

static int perr(struct lparser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct lparser *ps, const char *fmt, ...)
{
    char why[LOADS_ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (ps->err && ps->errlen)
        snprintf(ps->err, ps->errlen, "line %u: %s", ps->line, why);
    return -1;
}

/* A token as it may be shown in an error: printable, at most 40 bytes. */
static const char *shown(const char *tok, char buf[48])
{
    size_t i, n = strlen(tok);
    size_t cut = n > 40 ? 40 : n;
    for (i = 0; i < cut; i++)
        buf[i] = (tok[i] >= 0x20 && tok[i] < 0x7f) ? tok[i] : '?';
    if (n > cut)
        memcpy(buf + cut, "...", 4);
    else
        buf[cut] = 0;
    return buf;
}

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= LOADS_NAME_MAX && !strchr(s, '/') && pfs_check_path(s, n) == PFS_OK;
}

static int parse_size(const char *s, uint32_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > PFS_FILE_MAX)
            return -2;
    }
    *out = (uint32_t)v;
    return 0;
}

static int do_load(struct lparser *ps, char **tok, int ntok)
{
    char b[48];
    if (ps->have_load)
        return perr(ps, "second LOAD line");
    if (ntok != 2)
        return perr(ps, "LOAD takes exactly one name");
    if (!valid_name(tok[1]))
        return perr(ps, "bad load name '%s'", shown(tok[1], b));
    memcpy(ps->l->name, tok[1], strlen(tok[1]) + 1);
    ps->have_load = 1;
    return 0;
}

static int do_file(struct lparser *ps, char **tok, int ntok)
{
    struct loads *l = ps->l;
    struct loads_file *f;
    char b[48];
    int rc;
    if (!ps->have_load)
        return perr(ps, "FILE before the LOAD line");
    if (ntok != 4)
        return perr(ps, "FILE takes a name, a size and a sha256");
    if (l->nfiles >= LOADS_MAX_FILES)
        return perr(ps, "more than %d FILE lines", LOADS_MAX_FILES);
    if (!valid_name(tok[1]))
        return perr(ps, "bad file name '%s'", shown(tok[1], b));
    if (loads_find(l, tok[1]))
        return perr(ps, "duplicate file name '%s'", tok[1]);
    f = &l->files[l->nfiles];
    rc = parse_size(tok[2], &f->size);
    if (rc == -2)
        return perr(ps, "size %s over the maximum %u", shown(tok[2], b), PFS_FILE_MAX);
    if (rc != 0)
        return perr(ps, "size '%s' is not a decimal number", shown(tok[2], b));
    if (strlen(tok[3]) != 2 * PFS_SHA256_LEN || pfs_sha256_from_hex(tok[3], f->sha256) != 0)
        return perr(ps, "sha256 '%s' is not 64 hex digits", shown(tok[3], b));
    memcpy(f->name, tok[1], strlen(tok[1]) + 1);
    l->nfiles++;
    return 0;
}

/* Split buf in place on spaces and tabs. Returns the count, or -1 when over max. */
static int tokenize(char *buf, char **tok, int max)
{
    int n = 0;
    char *p = buf;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            return n;
        if (n == max)
            return -1;
        tok[n++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (*p)
            *p++ = 0;
    }
}

static int parse_line(struct lparser *ps, const char *s, size_t n)
{
    char buf[LOADS_LINE_MAX + 1];
    char *tok[MAX_TOKENS], *hash, b[48];
    int ntok;
    if (n && s[n - 1] == '\r')
        n--;
    if (n > LOADS_LINE_MAX)
        return perr(ps, "line longer than %d bytes", LOADS_LINE_MAX);
    if (memchr(s, 0, n))
        return perr(ps, "NUL byte");
    memcpy(buf, s, n);
    buf[n] = 0;
    hash = strchr(buf, '#');
    if (hash)
        *hash = 0;
    ntok = tokenize(buf, tok, MAX_TOKENS);
    if (ntok < 0)
        return perr(ps, "too many fields");
    if (ntok == 0)
        return 0;
    if (strcmp(tok[0], "LOAD") == 0)
        return do_load(ps, tok, ntok);
    if (strcmp(tok[0], "FILE") == 0)
        return do_file(ps, tok, ntok);
    return perr(ps, "unknown directive '%s'", shown(tok[0], b));
}

int loads_parse(const char *text, size_t len, struct loads *l, char *err, size_t errlen)
{
    struct lparser ps = {l, 0, 0, err, errlen};
    size_t off = 0;
    memset(l, 0, sizeof *l);
    while (off < len) {
        const char *nl = memchr(text + off, '\n', len - off);
        size_t end = nl ? (size_t)(nl - text) : len;
        ps.line++;
        if (parse_line(&ps, text + off, end - off) != 0)
            return -1;
        off = nl ? end + 1 : len;
    }
    if (ps.line == 0)
        ps.line = 1;
    if (!ps.have_load)
        return perr(&ps, "no LOAD line");
    if (l->nfiles == 0)
        return perr(&ps, "no FILE line");
    return 0;
}

int loads_read_file(const char *path, struct loads *l, char *err, size_t errlen)
{
    static const size_t cap = FILE_READ_MAX + 1; /* +1 tells "too large" from "exactly max" */
    char buf[FILE_READ_MAX + 1];
    char why[LOADS_ERR_LEN];
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    while (got < cap) {
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (got > FILE_READ_MAX) {
        snprintf(err, errlen, "%s: larger than %d bytes", path, FILE_READ_MAX);
        return -1;
    }
    if (loads_parse(buf, got, l, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        return -1;
    }
    return 0;
}

const struct loads_file *loads_find(const struct loads *l, const char *name)
{
    unsigned i;
    for (i = 0; i < l->nfiles && i < LOADS_MAX_FILES; i++)
        if (strcmp(l->files[i].name, name) == 0)
            return &l->files[i];
    return NULL;
}

static int valid_struct(const struct loads *l)
{
    unsigned i, j;
    if (memchr(l->name, 0, sizeof l->name) == NULL || !valid_name(l->name))
        return 0;
    if (l->nfiles == 0 || l->nfiles > LOADS_MAX_FILES)
        return 0;
    for (i = 0; i < l->nfiles; i++) {
        const struct loads_file *f = &l->files[i];
        if (memchr(f->name, 0, sizeof f->name) == NULL || !valid_name(f->name) ||
            f->size > PFS_FILE_MAX)
            return 0;
        for (j = 0; j < i; j++)
            if (strcmp(l->files[j].name, f->name) == 0)
                return 0;
    }
    return 1;
}

/* snprintf into out at *off, counting what would be written past cap. */
static void emit(char *out, size_t cap, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void emit(char *out, size_t cap, size_t *off, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(*off < cap ? out + *off : NULL, *off < cap ? cap - *off : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        *off += (size_t)n;
}

long loads_write(const struct loads *l, char *out, size_t cap)
{
    size_t off = 0;
    unsigned i, k;
    if (!valid_struct(l))
        return -1;
    if (cap)
        out[0] = 0;
    emit(out, cap, &off, "# PFS load v1\nLOAD %s\n", l->name);
    for (i = 0; i < l->nfiles; i++) {
        const struct loads_file *f = &l->files[i];
        char hex[2 * PFS_SHA256_LEN + 1];
        for (k = 0; k < PFS_SHA256_LEN; k++)
            snprintf(hex + 2 * k, 3, "%02x", f->sha256[k]);
        emit(out, cap, &off, "FILE %s %u %s\n", f->name, (unsigned)f->size, hex);
    }
    return (long)off;
}
