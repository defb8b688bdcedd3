/*
 * summary.c - the exit summary as JSON, written atomically.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "summary.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfs.h"
#include "sha256.h"

struct jbuf {
    char *p;
    size_t cap;
    size_t len;
};

static void jc(struct jbuf *b, char c)
{
    if (b->len + 1 < b->cap)
        b->p[b->len] = c;
    b->len++;
}

static void jf(struct jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jf(struct jbuf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    for (int i = 0; i < n && (size_t)i < sizeof tmp - 1; i++)
        jc(b, tmp[i]);
}

/* A JSON string: names are validated already, but escape anyway. */
static void jstr(struct jbuf *b, const char *s)
{
    jc(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            jc(b, '\\');
            jc(b, (char)c);
        } else if (c < 0x20 || c >= 0x7f) {
            jf(b, "\\u%04x", c);
        } else {
            jc(b, (char)c);
        }
    }
    jc(b, '"');
}

static void jxid(struct jbuf *b, uint32_t x)
{
    jf(b, "\"%08X\"", x);
}

static void file_json(struct jbuf *b, const struct sum_file *f)
{
    jf(b, "{\"name\":");
    jstr(b, f->name);
    jf(b, ",\"h\":\"%08X\",\"size\":", f->h);
    if (f->verified) {
        char hex[PFS_SHA256_HEX];
        jf(b, "%llu,\"sha256\":\"%s\",\"source\":\"%s\"", (unsigned long long)f->size,
           pfs_sha256_hex(f->sha, hex), pfs_source_name((unsigned)f->source));
    } else {
        jf(b, "null,\"sha256\":null,\"source\":null");
    }
    jf(b, ",\"parent\":");
    if (f->parent)
        jxid(b, f->parent);
    else
        jf(b, "null");
    jf(b, ",\"children\":[");
    for (int i = 0; i < f->nchildren && i < PFS_MAX_CHILDREN; i++) {
        if (i)
            jc(b, ',');
        jxid(b, f->children[i]);
    }
    jf(b, "],\"verified\":%s,\"seconds\":%.3f,\"tries\":%d,\"fallback\":",
       f->verified ? "true" : "false", f->seconds, f->tries);
    if (f->fallback)
        jstr(b, f->fallback);
    else
        jf(b, "null");
    jc(b, '}');
}

size_t summary_json(const struct sum *s, char *out, size_t cap)
{
    struct jbuf b = {out, cap, 0};
    jf(&b, "{\"xid\":");
    jxid(&b, s->xid);
    jf(&b, ",\"ip\":\"%u.%u.%u.%u\",\"model\":", s->ip >> 24, (s->ip >> 16) & 255u,
       (s->ip >> 8) & 255u, s->ip & 255u);
    jstr(&b, s->model);
    jf(&b, ",\"load\":");
    jstr(&b, s->load);
    jf(&b, ",\"exit\":%d,\"files\":[", s->exit_code);
    for (int i = 0; i < s->nfiles && i < SUM_FILES_MAX; i++) {
        if (i)
            jc(&b, ',');
        file_json(&b, &s->files[i]);
    }
    jf(&b, "]}\n");
    if (cap)
        out[b.len < cap ? b.len : cap - 1] = '\0';
    return b.len;
}

int summary_write(const struct sum *s, const char *path, char *err, size_t errcap)
{
    size_t need = summary_json(s, NULL, 0) + 1;
    char *text = malloc(need);
    char tmp[4200];
    if (!text) {
        snprintf(err, errcap, "%s: out of memory", path);
        return -1;
    }
    summary_json(s, text, need);
    int n = snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
    int fd = n > 0 && (size_t)n < sizeof tmp ? mkstemp(tmp) : -1;
    if (fd < 0) {
        snprintf(err, errcap, "%s: %s", path, n > 0 ? strerror(errno) : "path too long");
        free(text);
        return -1;
    }
    size_t len = strlen(text), done = 0;
    while (done < len) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            break;
        done += (size_t)w;
    }
    free(text);
    int ok = done == len && fchmod(fd, 0644) == 0;
    if (close(fd) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}
