/*
 * pfslog_gen.c - writes a big DLoad log for bench/pfslog_bench.sh.
 *
 *   pfslog_gen FORMAT BYTES LOG...
 *
 * The LOGs (a lab run's console logs, samples/lab7/logs) are merged
 * by time into one upgrade, which is then replayed again and again, one
 * hour apart, until BYTES are written to stdout: the same phones
 * upgrading day after day, as a Log Server keeps them. Each replay draws
 * new claim maps and strengths and new transfer times. FORMAT is
 *   syslog   every line behind an RFC 3164 header naming its phone
 *            ("<190>Nov 27 09:00:01 127.0.0.3 pfsd[42]: ..."), dated
 *   console  the phones' lines alone, as one console log would hold them
 *   site     PHONES phones (pfslog_gen site BYTES PHONES LOG...): the LOGs'
 *            upgrade played by groups of as many phones at once, each
 *            group with its own XIDs, addresses, hierarchy ids and claim
 *            strengths, their lines interleaved as one Log Server gets
 *            them, every line behind an RFC 3164 header naming its phone
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_US (86400LL * 1000000LL)

struct line {
    int64_t t;          /* time of day, microseconds */
    int phone;          /* index of its log */
    char *lvl;          /* "INF" */
    char *text;         /* after the time, "DLoad: ..." */
};

static struct line *lines;
static size_t nlines, lines_cap;
static char ips[64][16];

static void die(const char *what)
{
    fprintf(stderr, "pfslog_gen: %s: %s\n", what, errno ? strerror(errno) : "bad input");
    exit(2);
}

static int64_t tod(const char *s)
{
    int h, m, sec, us;
    if (sscanf(s, "%2d:%2d:%2d.%6d", &h, &m, &sec, &us) != 4)
        return -1;
    return ((int64_t)(h * 60 + m) * 60 + sec) * 1000000LL + us;
}

/* One console log: "LVL HH:MM:SS.uuuuuu text" per line. */
static void load(const char *path, int phone)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die(path);
    char buf[1024];
    while (fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\n")] = '\0';
        char *sp = strchr(buf, ' ');
        if (!sp || tod(sp + 1) < 0 || strlen(sp + 1) < 17)
            continue;
        if (nlines == lines_cap) {
            lines_cap = lines_cap ? lines_cap * 2 : 1024;
            lines = realloc(lines, lines_cap * sizeof *lines);
            if (!lines)
                die("out of memory");
        }
        *sp = '\0';
        struct line *l = &lines[nlines++];
        l->t = tod(sp + 1);
        l->phone = phone;
        l->lvl = strdup(buf);
        l->text = strdup(sp + 17);
        if (!l->lvl || !l->text)
            die("out of memory");
    }
    fclose(f);
    /* the phone's address from its start line, for the syslog host */
    snprintf(ips[phone], sizeof ips[phone], "127.0.0.%d", phone + 2);
    for (size_t i = 0; i < nlines; i++) {
        const char *ip = lines[i].phone == phone ? strstr(lines[i].text, " IP=") : NULL;
        if (ip && sscanf(ip + 4, "%15[0-9.]", ips[phone]) == 1)
            break;
    }
}

static int by_time(const void *a, const void *b)
{
    const struct line *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

/*
 * The text with what differs from one upgrade to the next drawn anew: the
 * claims' "map=" and "strength=" (not a root's ffffffff), and the times
 * and rates of transfers ("secs=", "rate=").
 */
static void redraw(const char *in, char *out, size_t cap, const uint32_t *draw)
{
    static const char *keys[] = {"map=", "strength=", "secs=", "rate="};
    size_t o = 0;
    while (*in && o + 24 < cap) {
        int which = -1;
        for (int k = 0; k < 4 && which < 0; k++)
            if (strncmp(in, keys[k], strlen(keys[k])) == 0)
                which = k;
        if (which < 0) {
            out[o++] = *in++;
            continue;
        }
        size_t kl = strlen(keys[which]);
        memcpy(out + o, in, kl);
        o += kl;
        in += kl;
        uint32_t v = draw[which] ^ (uint32_t)(uintptr_t)in;
        if (which < 2 && strncmp(in, "ffffffff", 8) != 0 && isxdigit((unsigned char)*in)) {
            o += (size_t)snprintf(out + o, cap - o, "%08x", v);
            while (isxdigit((unsigned char)*in))
                in++;
        } else if (which >= 2 && isdigit((unsigned char)*in)) {
            double x = strtod(in, NULL) * (0.5 + (v % 1000) / 1000.0);
            o += (size_t)snprintf(out + o, cap - o, which == 2 ? "%.3f" : "%.1f", x);
            while (isdigit((unsigned char)*in) || *in == '.')
                in++;
        }
    }
    out[o] = '\0';
}

static void month_day(int64_t day, char *buf, size_t cap)
{
    static const char *mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    static const int len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int d = (int)((day + 330) % 365), m = 0; /* day 0 is Nov 27 */
    while (d >= len[m])
        d -= len[m++];
    snprintf(buf, cap, "%s %2d", mon[m], d + 1);
}

/*
 * The text as group g plays it: every "XIDB46000nn" becomes the group's
 * phone nn, every 127.0.0.nn its address, every H=... its hierarchy's id.
 */
static void regroup(const char *in, char *out, size_t cap, long g)
{
    size_t o = 0;
    while (*in && o + 24 < cap) {
        unsigned v;
        int n = 0;
        if (strncmp(in, "XIDB46000", 9) == 0 && sscanf(in + 9, "%2x%n", &v, &n) == 1 && n == 2) {
            o += (size_t)snprintf(out + o, cap - o, "XID%08lX", 0xC0000000UL + (unsigned long)g * 16 + v);
            in += 11;
        } else if (strncmp(in, "127.0.0.", 8) == 0 && sscanf(in + 8, "%u%n", &v, &n) == 1) {
            o += (size_t)snprintf(out + o, cap - o, "10.%ld.%ld.%u", g / 250 + 1, g % 250, v);
            in += 8 + n;
        } else if (strncmp(in, "H=", 2) == 0 && sscanf(in + 2, "%8x%n", &v, &n) == 1 && n == 8) {
            o += (size_t)snprintf(out + o, cap - o, "H=%08X", v ^ (uint32_t)(g * 0x9E3779B1UL));
            in += 10;
        } else {
            out[o++] = *in++;
        }
    }
    out[o] = '\0';
}

/* site: groups of phones, round after round, their lines interleaved. */
static void site(unsigned long long want, long phones, int nlogs)
{
    long groups = (phones + nlogs - 1) / nlogs;
    int64_t t0 = lines[0].t;
    unsigned long long written = 0;
    uint32_t *draw = malloc((size_t)groups * 4 * sizeof *draw);
    if (!draw)
        die("out of memory");
    for (int64_t round = 0; written < want; round++) {
        for (long g = 0; g < groups * 4; g++)
            draw[g] = next_rand();
        for (size_t i = 0; i < nlines && written < want; i++) {
            const struct line *l = &lines[i];
            /* each group a little later than the one before: interleaved, near in time */
            for (long g = 0; g < groups && written < want; g++) {
                if (g * nlogs + l->phone >= phones)
                    continue;
                int64_t t = 9 * 3600 * 1000000LL + round * 3600 * 1000000LL + (l->t - t0) + g * 97;
                int64_t u = t % DAY_US;
                int h = (int)(u / 3600000000LL), m = (int)(u / 60000000LL % 60),
                    s = (int)(u / 1000000LL % 60), us = (int)(u % 1000000LL);
                char text[1100], mine[1200], md[16], ip[32];
                redraw(l->text, text, sizeof text, draw + g * 4);
                regroup(text, mine, sizeof mine, g);
                regroup(ips[l->phone], ip, sizeof ip, g);
                month_day(t / DAY_US, md, sizeof md);
                int n = printf("<190>%s %02d:%02d:%02d %s pfsd[%ld]: %s %02d:%02d:%02d.%06d %s\n", md, h,
                               m, s, ip, 1000 + g * nlogs + l->phone, l->lvl, h, m, s, us, mine);
                if (n < 0)
                    die("stdout");
                written += (unsigned long long)n;
            }
        }
    }
    free(draw);
}

int main(int argc, char **argv)
{
    int is_site = argc >= 5 && strcmp(argv[1], "site") == 0;
    if (argc < 4 || (!is_site && strcmp(argv[1], "syslog") != 0 && strcmp(argv[1], "console") != 0)) {
        fprintf(stderr, "usage: pfslog_gen syslog|console BYTES LOG...\n"
                        "       pfslog_gen site BYTES PHONES LOG...\n");
        return 2;
    }
    int syslog = strcmp(argv[1], "syslog") == 0;
    unsigned long long want = strtoull(argv[2], NULL, 10);
    long phones = is_site ? atol(argv[3]) : 0;
    int first = is_site ? 4 : 3;
    if (is_site && (phones < 1 || phones > 1000000)) {
        fprintf(stderr, "pfslog_gen: PHONES 1..1000000\n");
        return 2;
    }
    for (int i = first; i < argc && i - first < 64; i++)
        load(argv[i], i - first);
    if (!nlines)
        die("no lines");
    qsort(lines, nlines, sizeof *lines, by_time);
    int64_t t0 = lines[0].t;
    static char obuf[1 << 20];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    if (is_site) {
        site(want, phones, argc - first < 64 ? argc - first : 64);
        if (fflush(stdout) != 0)
            die("stdout");
        return 0;
    }
    unsigned long long written = 0;
    for (int64_t round = 0; written < want; round++) {
        uint32_t draw[4] = {next_rand(), next_rand(), next_rand(), next_rand()};
        for (size_t i = 0; i < nlines && written < want; i++) {
            const struct line *l = &lines[i];
            int64_t t = 9 * 3600 * 1000000LL + round * 3600 * 1000000LL + (l->t - t0);
            int64_t u = t % DAY_US;
            int h = (int)(u / 3600000000LL), m = (int)(u / 60000000LL % 60),
                s = (int)(u / 1000000LL % 60), us = (int)(u % 1000000LL);
            char text[1100], head[96] = "";
            redraw(l->text, text, sizeof text, draw);
            if (syslog) {
                char md[16];
                month_day(t / DAY_US, md, sizeof md);
                snprintf(head, sizeof head, "<190>%s %02d:%02d:%02d %s pfsd[%d]: ", md, h, m, s,
                         ips[l->phone], 1000 + l->phone);
            }
            int n = printf("%s%s %02d:%02d:%02d.%06d %s\n", head, l->lvl, h, m, s, us, text);
            if (n < 0)
                die("stdout");
            written += (unsigned long long)n;
        }
    }
    if (fflush(stdout) != 0)
        die("stdout");
    return 0;
}
