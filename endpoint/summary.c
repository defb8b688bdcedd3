/*
 * summary.c - the exit summary as JSON, written atomically.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "summary.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outbuf.h"
#include "pfs.h"
#include "sha256.h"

/* A JSON string: names are validated already, but escape anyway. */
static void jstr(struct pfs_out *b, const char *s)
{
    pfs_out_c(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            pfs_out_c(b, '\\');
            pfs_out_c(b, (char)c);
        } else if (c < 0x20 || c >= 0x7f) {
            pfs_out_f(b, "\\u%04x", c);
        } else {
            pfs_out_c(b, (char)c);
        }
    }
    pfs_out_c(b, '"');
}

static void jxid(struct pfs_out *b, uint32_t x)
{
    pfs_out_f(b, "\"%08X\"", x);
}

static void file_json(struct pfs_out *b, const struct sum_file *f)
{
    pfs_out_f(b, "{\"name\":");
    jstr(b, f->name);
    pfs_out_f(b, ",\"h\":\"%08X\",\"size\":", f->h);
    if (f->verified) {
        char hex[PFS_SHA256_HEX];
        pfs_out_f(b, "%llu,\"sha256\":\"%s\",\"source\":\"%s\"", (unsigned long long)f->size,
           pfs_sha256_hex(f->sha, hex),
           f->anchor ? "anchor" : pfs_source_name((unsigned)f->source));
    } else {
        pfs_out_f(b, "null,\"sha256\":null,\"source\":null");
    }
    pfs_out_f(b, ",\"parent\":");
    if (f->parent)
        jxid(b, f->parent);
    else
        pfs_out_f(b, "null");
    pfs_out_f(b, ",\"children\":[");
    for (int i = 0; i < f->nchildren && i < PFS_MAX_CHILDREN; i++) {
        if (i)
            pfs_out_c(b, ',');
        jxid(b, f->children[i]);
    }
    pfs_out_f(b, "],\"verified\":%s,\"seconds\":%.3f,\"tries\":%d,\"sent\":%u,\"fallback\":",
       f->verified ? "true" : "false", f->seconds, f->tries, f->sent);
    if (f->fallback)
        jstr(b, f->fallback);
    else
        pfs_out_f(b, "null");
    pfs_out_c(b, '}');
}

size_t summary_json(const struct sum *s, char *out, size_t cap)
{
    struct pfs_out b = {out, cap, 0};
    pfs_out_f(&b, "{\"xid\":");
    jxid(&b, s->xid);
    pfs_out_f(&b, ",\"ip\":\"%u.%u.%u.%u\",\"model\":", s->ip >> 24, (s->ip >> 16) & 255u,
              (s->ip >> 8) & 255u, s->ip & 255u);
    jstr(&b, s->model);
    pfs_out_f(&b, ",\"load\":");
    jstr(&b, s->load);
    pfs_out_f(&b, ",\"exit\":%d,\"pfs\":%s,\"peak_kib\":", s->exit_code,
              s->no_pfs ? "false" : "true");
    if (s->peak_kib >= 0)
        pfs_out_f(&b, "%ld", s->peak_kib);
    else
        pfs_out_f(&b, "null");
    pfs_out_f(&b, ",\"files\":[");
    for (int i = 0; i < s->nfiles && i < SUM_FILES_MAX; i++) {
        if (i)
            pfs_out_c(&b, ',');
        file_json(&b, &s->files[i]);
    }
    pfs_out_f(&b, "]}\n");
    return pfs_out_end(&b);
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
