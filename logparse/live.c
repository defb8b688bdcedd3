/*
 * live.c - --listen's live view.
 *
 * On a terminal the screen is redrawn in place a few times a second (the
 * ticks of listen.c): a header with what was received and lost, the
 * senders with the most lines, the newest problems, then the report as it
 * stands (verdict,
 * each hierarchy's root and tree, the diagnostics), cut to the terminal's
 * rows and columns. Elsewhere (a pipe, a file, --json) events are written
 * as they arrive, and a line says so whenever more datagrams were lost.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "live.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

void plog_live_event(struct plog_live *lv, const struct plog_event *e)
{
    if (lv->screen)
        return;
    plog_timeline_line(lv->out, lv->reader, lv->model, e, lv->model->last_phone, lv->json);
    fflush(lv->out);
}

static void term_size(FILE *out, int *rows, int *cols)
{
    struct winsize ws;
    *rows = 24;
    *cols = 80;
    if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_row > 2 && ws.ws_col > 10) {
        *rows = ws.ws_row;
        *cols = ws.ws_col;
    }
}

/* Writes s[0..n) cut to cols columns (UTF-8: a column per character), then clears the line's rest. */
static void put_line(FILE *out, const char *s, size_t n, int cols)
{
    int col = 0;
    size_t i = 0;
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c & 0xC0) != 0x80 && col++ == cols)
            break;
    }
    fwrite(s, 1, i, out);
    fputs("\033[K\n", out);
}

static int by_lines(const void *a, const void *b)
{
    const struct plog_sender *x = *(const struct plog_sender *const *)a;
    const struct plog_sender *y = *(const struct plog_sender *const *)b;
    /* the senders with gaps in their numbers first: the ones to look at */
    if (x->missing != y->missing)
        return x->missing < y->missing ? 1 : -1;
    return x->lines < y->lines ? 1 : x->lines > y->lines ? -1 : strcmp(x->addr, y->addr);
}

/* "senders: 127.0.0.2 210, 127.0.0.3 200, ..." the busiest first. */
static void senders_line(char *buf, size_t cap, const struct plog_listen *l)
{
    size_t n = l->nsenders, len = 0;
    const struct plog_sender **v = malloc((n ? n : 1) * sizeof *v);
    buf[0] = '\0';
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        v[i] = &l->senders[i];
    qsort(v, n, sizeof *v, by_lines);
    len = (size_t)snprintf(buf, cap, "lines by sender:");
    for (size_t i = 0; i < n && i < PLOG_SENDERS_SHOWN && len < cap; i++)
    {
        len += (size_t)snprintf(buf + len, cap - len, "%s %s %llu", i ? "," : "", v[i]->addr,
                                (unsigned long long)v[i]->lines);
        if (v[i]->missing && len < cap)
            len += (size_t)snprintf(buf + len, cap - len, " (%llu missing)",
                                    (unsigned long long)v[i]->missing);
    }
    if (n > PLOG_SENDERS_SHOWN && len < cap)
        snprintf(buf + len, cap - len, ", ... (%zu senders)", n);
    free(v);
}

#define NEWEST_SHOWN 3

/* The newest warnings and errors (latest evidence first), one line each, into lines[]. */
static int newest_problems(const struct plog_model *m, const struct plog_filter *f,
                           char lines[][400], int max)
{
    int n = 0;
    uint32_t last = UINT32_MAX;
    while (n < max) {
        const struct plog_diag *best = NULL;
        for (size_t i = 0; i < m->ndiags; i++) {
            const struct plog_diag *d = &m->diags[i];
            if (d->sev == PLOG_INFO || !d->ref.line || d->ref.line >= last ||
                !plog_diag_selected(m, d, f))
                continue;
            if (!best || d->ref.line > best->ref.line)
                best = d;
        }
        if (!best)
            break;
        snprintf(lines[n++], sizeof lines[0], "%s %s: %s", best->sev == PLOG_ERROR ? "ERROR" : "warn",
                 best->code, best->msg);
        last = best->ref.line;
    }
    return n;
}

static void draw(struct plog_live *lv, const struct plog_listen *l)
{
    int rows, cols;
    term_size(lv->out, &rows, &cols);
    plog_model_finish(lv->model);
    char *text = NULL;
    size_t tlen = 0;
    FILE *mem = open_memstream(&text, &tlen);
    if (!mem)
        return;
    struct plog_out_opts o = {0, lv->utf8, 0, cols};
    plog_report_text(mem, lv->model, lv->reader, lv->filter, &o);
    if (fclose(mem) != 0) {
        free(text);
        return;
    }
    const struct plog_recvq_counts *c = &l->counts;
    char head[256], snd[512];
    snprintf(head, sizeof head,
             "pfslog %s: %llu datagrams, %zu %s, %llu lost (kernel %llu, queue %llu, "
             "%llu missing by sequence)",
             l->name, (unsigned long long)c->received, l->nsenders,
             plog_plural(l->nsenders, "sender", "senders"),
             (unsigned long long)plog_loss_total(&lv->model->loss),
             (unsigned long long)c->kernel_dropped, (unsigned long long)c->queue_dropped,
             (unsigned long long)l->missing);
    senders_line(snd, sizeof snd, l);
    char news[NEWEST_SHOWN][400];
    int nnews = newest_problems(lv->model, lv->filter, news, NEWEST_SHOWN);
    fputs("\033[H", lv->out);
    put_line(lv->out, head, strlen(head), cols);
    put_line(lv->out, snd, strlen(snd), cols);
    int row = 2;
    for (int i = 0; i < nnews && row < rows - 1; i++, row++)
        put_line(lv->out, news[i], strlen(news[i]), cols);
    for (const char *p = text; p && p < text + tlen && row < rows - 1; row++) {
        const char *nl = memchr(p, '\n', (size_t)(text + tlen - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(text + tlen - p);
        put_line(lv->out, p, n, cols);
        p += n + 1;
    }
    fputs("\033[J", lv->out);
    fflush(lv->out);
    free(text);
}

void plog_live_tick(void *ctx, const struct plog_listen *l, int last)
{
    struct plog_live *lv = ctx;
    struct plog_loss *ls = &lv->model->loss;
    ls->listening = 1;
    ls->received = l->counts.received;
    ls->kernel = l->counts.kernel_dropped;
    ls->queue = l->counts.queue_dropped;
    ls->missing = l->missing;
    ls->senders = l->senders;
    ls->nsenders = l->nsenders;
    uint64_t lost = plog_loss_total(ls);
    if (lv->screen) {
        if (last)
            fputs("\033[H\033[J", lv->out); /* the final report takes the screen */
        else
            draw(lv, l);
        return;
    }
    if (lost <= lv->lost_said)
        return;
    if (lv->json)
        fprintf(lv->out, "{\"kind\":\"datagrams_lost\",\"lost\":%llu,\"kernel\":%llu,\"queue\":%llu,"
                         "\"missing\":%llu,\"received\":%llu}\n",
                (unsigned long long)lost, (unsigned long long)ls->kernel,
                (unsigned long long)ls->queue, (unsigned long long)ls->missing,
                (unsigned long long)ls->received);
    else {
        char snd[512] = "";
        if (ls->missing)
            senders_line(snd, sizeof snd, l);
        fprintf(lv->out, "pfslog: %llu datagrams lost so far (kernel %llu, queue %llu, %llu missing "
                         "by sequence) of %llu%s%s\n",
                (unsigned long long)lost, (unsigned long long)ls->kernel,
                (unsigned long long)ls->queue, (unsigned long long)ls->missing,
                (unsigned long long)(ls->received + lost), snd[0] ? "; " : "", snd);
    }
    fflush(lv->out);
    lv->lost_said = lost;
}
