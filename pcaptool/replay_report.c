/*
 * replay_report.c - the figures at the end, in tcpreplay's words
 * ("Actual: N packets (B bytes) sent in S seconds", "Rated: ..."), with
 * one line per session, or the same as one JSON document.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>

#include "replay.h"

static double secs(const struct rp_stats *st)
{
    double s = (double)(st->t_end_ns - st->t_start_ns) / 1e9;
    return s > 0 ? s : 1e-9;
}

static void counts(const struct rp_script *s, int *pass, int *fail)
{
    *pass = *fail = 0;
    for (size_t i = 0; s && i < s->nsess; i++) {
        if (s->sess[i].result == RP_PASS)
            ++*pass;
        else
            ++*fail;
    }
}

static void session_line(FILE *out, const struct rp_session *x)
{
    if (x->result == RP_PASS) {
        fprintf(out, "  PASS  %s\n", x->name);
        return;
    }
    if (x->result == RP_PENDING) {
        fprintf(out, "  FAIL  %s: not finished when the replay stopped\n", x->name);
        return;
    }
    fprintf(out, "  FAIL  %s: frame %llu: expected %s, received %s (%s)\n", x->name,
            (unsigned long long)x->div_frame, x->div_expected, x->div_received, x->div_rule);
}

void rp_report_text(FILE *out, const struct rp_script *s, const struct rp_stats *st,
                    const struct rp_opts *o)
{
    double t = secs(st);
    fprintf(out, "Actual: %llu messages (%llu bytes) sent in %.6f seconds\n",
            (unsigned long long)st->sent, (unsigned long long)st->sent_bytes, t);
    fprintf(out, "Rated: %.1f Bps, %.3f Mbps, %.2f messages/s\n", (double)st->sent_bytes / t,
            (double)st->sent_bytes * 8 / t / 1e6, (double)st->sent / t);
    if (st->loops > 1)
        fprintf(out, "Loops: %llu\n", (unsigned long long)st->loops);
    if (st->failed)
        fprintf(out, "Failed: %llu messages could not be sent\n", (unsigned long long)st->failed);
    if (o->topspeed || !st->ngap)
        fprintf(out, "Gap error: n/a (%s)\n", o->topspeed ? "--topspeed" : "no timed gap");
    else
        fprintf(out, "Gap error: p50 %.1f us, p99 %.1f us, max %.1f us (%zu timed gaps)\n",
                (double)st->p50_ns / 1e3, (double)st->p99_ns / 1e3, (double)st->max_ns / 1e3,
                st->ngap);
    if (!s)
        return;
    int pass, fail;
    counts(s, &pass, &fail);
    fprintf(out, "Received: %llu messages (%llu bytes) from the target, %llu expected ones matched\n",
            (unsigned long long)st->recv, (unsigned long long)st->recv_bytes,
            (unsigned long long)st->matched);
    fprintf(out, "Sessions: %d PASS, %d FAIL\n", pass, fail);
    for (size_t i = 0; i < s->nsess; i++)
        session_line(out, &s->sess[i]);
    if (st->nstray)
        fprintf(out, "  FAIL  outside the recording: %s (%llu in all)\n", st->stray,
                (unsigned long long)st->nstray);
}

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static void json_session(FILE *out, const struct rp_session *x)
{
    static const char *kinds[] = {"election", "child", "parent"};
    fprintf(out, "{\"name\":");
    json_str(out, x->name);
    fprintf(out, ",\"kind\":\"%s\",\"h\":\"%08X\",\"result\":\"%s\",\"steps\":%zu,\"matched\":%u",
            kinds[x->kind], x->hier, x->result == RP_PASS ? "PASS" : "FAIL", x->nsteps, x->matched);
    if (x->result == RP_FAIL) {
        fprintf(out, ",\"frame\":%llu,\"expected\":", (unsigned long long)x->div_frame);
        json_str(out, x->div_expected);
        fprintf(out, ",\"received\":");
        json_str(out, x->div_received);
        fprintf(out, ",\"rule\":");
        json_str(out, x->div_rule);
    }
    fputc('}', out);
}

void rp_report_json(FILE *out, const struct rp_capture *c, const struct rp_script *s,
                    const struct rp_stats *st, const struct rp_opts *o, int exit_code)
{
    double t = secs(st);
    fprintf(out, "{\"file\":");
    json_str(out, c->path);
    fprintf(out, ",\"mode\":\"%s\",\"speed\":", s ? "stateful" : "raw");
    if (o->topspeed)
        fprintf(out, "\"topspeed\"");
    else
        fprintf(out, "%g", o->speed);
    fprintf(out, ",\"sent\":{\"messages\":%llu,\"bytes\":%llu,\"failed\":%llu},\"seconds\":%.6f,"
            "\"rate\":{\"Bps\":%.1f,\"Mbps\":%.3f,\"messages_per_s\":%.2f},\"loops\":%llu",
            (unsigned long long)st->sent, (unsigned long long)st->sent_bytes,
            (unsigned long long)st->failed, t, (double)st->sent_bytes / t,
            (double)st->sent_bytes * 8 / t / 1e6, (double)st->sent / t,
            (unsigned long long)(st->loops ? st->loops : 1));
    if (st->ngap && !o->topspeed)
        fprintf(out, ",\"gap_error_us\":{\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f,\"n\":%zu}",
                (double)st->p50_ns / 1e3, (double)st->p99_ns / 1e3, (double)st->max_ns / 1e3,
                st->ngap);
    else
        fprintf(out, ",\"gap_error_us\":null");
    if (s) {
        char ip[16];
        int pass, fail;
        counts(s, &pass, &fail);
        fprintf(out, ",\"target\":{\"xid\":\"%08X\",\"addr\":\"%s\",\"port\":%u}", s->target_xid,
                rp_ip_str(s->target_addr, ip, sizeof ip), s->target_port);
        fprintf(out, ",\"received\":{\"messages\":%llu,\"bytes\":%llu,\"matched\":%llu}",
                (unsigned long long)st->recv, (unsigned long long)st->recv_bytes,
                (unsigned long long)st->matched);
        fprintf(out, ",\"passed\":%d,\"failed\":%d,\"sessions\":[", pass, fail);
        for (size_t i = 0; i < s->nsess; i++) {
            if (i)
                fputc(',', out);
            json_session(out, &s->sess[i]);
        }
        fprintf(out, "],\"outside\":");
        if (st->nstray)
            json_str(out, st->stray);
        else
            fprintf(out, "null");
    }
    fprintf(out, ",\"exit\":%d}\n", exit_code);
}
