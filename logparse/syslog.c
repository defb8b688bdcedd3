/*
 * syslog.c - the header a Log Server puts in front of a phone's line.
 *
 * RFC 3164: "<PRI>Mmm dd hh:mm:ss HOST text" (a file written by a syslog
 * daemon often drops the <PRI>). RFC 5424: "<PRI>1 TIMESTAMP HOST APP
 * PROCID MSGID SD text". Files in RFC 3339 style start with the ISO time.
 * The host names the phone when its own lines do not. The header's time
 * of day stands in for a line that has none of its own, and its date tells
 * the days apart in a Log Server file that spans several (a console line
 * has no date).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "reader.h"

#include <string.h>

/* Days before each month in a common year. */
static const int cum_days[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};

/* Month index 0..11 of "Jan".."Dec" at s, or -1. */
static int month_of(const char *s)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (int i = 0; i < 12; i++)
        if (memcmp(s, months + 3 * i, 3) == 0)
            return i;
    return -1;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_civil(int64_t y, int mo, int d)
{
    y -= mo <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* An ASCII digit, without ctype's table look-up (this runs on every line). */
static int is_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

/* n decimal digits at s, or -1. */
static int num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* "YYYY-MM-DD" at s: its day number (and in *doy the day of its year), or -1. */
static int64_t iso_day(const char *s, int64_t *doy)
{
    int y = num(s, 4), mo = num(s + 5, 2), d = num(s + 8, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || s[4] != '-' || s[7] != '-')
        return -1;
    *doy = cum_days[mo - 1] + d - 1;
    return days_civil(y, mo, d);
}

/* "hh:mm:ss" with optional ".ffffff" at s: microseconds of the day or -1. */
static int64_t hms(const char *s, size_t n)
{
    if (n < 8 || s[2] != ':' || s[5] != ':')
        return -1;
    int v[3];
    for (int i = 0; i < 3; i++) {
        const char *p = s + 3 * i;
        if (!is_digit(p[0]) || !is_digit(p[1]))
            return -1;
        v[i] = (p[0] - '0') * 10 + (p[1] - '0');
    }
    if (v[0] > 23 || v[1] > 59 || v[2] > 60)
        return -1;
    int64_t us = 0, scale = 100000;
    if (n > 8 && s[8] == '.')
        for (size_t i = 9; i < n && is_digit(s[i]) && scale; i++, scale /= 10)
            us += (s[i] - '0') * scale;
    return ((int64_t)v[0] * 3600 + v[1] * 60 + (v[2] > 59 ? 59 : v[2])) * 1000000LL + us;
}

static size_t token_end(const char *line, size_t len, size_t i)
{
    while (i < len && line[i] != ' ')
        i++;
    return i;
}

/* Host token at i; a tag ("pfsd[12]:") in its place means no host. */
static size_t take_host(const char *line, size_t len, size_t i, struct plog_syslog *s)
{
    size_t e = token_end(line, len, i);
    int tag = e > i && (line[e - 1] == ':' || memchr(line + i, '[', e - i) != NULL);
    int nil = e == i + 1 && line[i] == '-';
    if (tag)
        return i;
    if (!nil && e > i) {
        s->host = line + i;
        s->host_len = e - i;
    }
    return e < len ? e + 1 : e;
}

static int tag_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
           c == '_' || c == '.' || c == '/';
}

/*
 * RFC 3164's TAG at i: "name:" or "name[pid]:", then a blank. Returns
 * where the text after it starts, or i when there is none (a console line
 * "NOT 02:19:..." has no colon after its first word).
 */
static size_t take_tag(const char *line, size_t len, size_t i, struct plog_syslog *s)
{
    size_t e = i;
    while (e < len && e - i < 48 && tag_char(line[e]))
        e++;
    if (e == i)
        return i;
    if (e < len && line[e] == '[') {
        size_t b = e + 1;
        while (b < len && b - e < 24 && is_digit(line[b]))
            b++;
        if (b == e + 1 || b >= len || line[b] != ']')
            return i;
        e = b + 1;
    }
    if (e >= len || line[e] != ':')
        return i;
    s->tag = line + i;
    s->tag_len = e - i;
    e++;
    return e < len && line[e] == ' ' ? e + 1 : e;
}

/*
 * RFC 5424's sequenceId="N" (section 7.3.1: 1 to 2147483647, the sender
 * counting what it sent) among the params of a meta element, p after
 * "[meta "; -1 when it has none.
 */
static int64_t meta_sequence(const char *p, size_t n)
{
    static const char key[] = "sequenceId=\"";
    const size_t kl = sizeof key - 1;
    for (size_t i = 0; i + kl < n && p[i] != ']'; i++) {
        if (p[i] == '"') { /* skip a param's value: it may hold anything */
            for (i++; i < n && p[i] != '"'; i++)
                i += p[i] == '\\';
            continue;
        }
        if (memcmp(p + i, key, kl) != 0)
            continue;
        int64_t v = 0;
        size_t j = i + kl, d = 0;
        for (; j < n && is_digit(p[j]) && d < 10; j++, d++)
            v = v * 10 + (p[j] - '0');
        return d && j < n && p[j] == '"' && v >= 1 && v <= 2147483647 ? v : -1;
    }
    return -1;
}

/* RFC 5424 after "1 ": TIMESTAMP HOST APP PROCID MSGID SD [MSG] */
static int split5424(const char *line, size_t len, size_t i, struct plog_syslog *s)
{
    size_t e = token_end(line, len, i);
    if (e - i >= 19 && line[i + 10] == 'T') {
        s->usec = hms(line + i + 11, e - i - 11);
        s->day = iso_day(line + i, &s->doy);
        s->year = 1;
    }
    i = e < len ? e + 1 : e;
    i = take_host(line, len, i, s);
    for (int f = 0; f < 3 && i < len; f++) { /* APP-NAME PROCID MSGID */
        e = token_end(line, len, i);
        int nil = e == i + 1 && line[i] == '-';
        if (f == 0 && !nil && e > i) {
            s->tag = line + i;
            s->tag_len = e - i;
        } else if (f == 1 && !nil && e > i) {
            s->procid = line + i;
            s->procid_len = e - i;
        }
        i = e < len ? e + 1 : e;
    }
    if (i < len && line[i] == '-') {
        i++;
    } else {
        while (i < len && line[i] == '[') { /* structured data, with \] escapes */
            i++;
            if (len - i > 5 && memcmp(line + i, "meta ", 5) == 0)
                s->seq = meta_sequence(line + i + 5, len - i - 5);
            while (i < len && line[i] != ']')
                i += line[i] == '\\' && i + 1 < len ? 2 : 1;
            /* An element never closed would swallow the message: not a
             * header then, so the line is counted as not placed. */
            if (i >= len)
                return 0;
            i++;
        }
    }
    if (i < len && line[i] == ' ')
        i++;
    if (len - i >= 3 && memcmp(line + i, "\xEF\xBB\xBF", 3) == 0)
        i += 3;
    s->body = i;
    return 1;
}

int plog_syslog_split(const char *line, size_t len, struct plog_syslog *s)
{
    size_t i = 0;
    s->host = NULL;
    s->host_len = 0;
    s->tag = s->procid = NULL;
    s->tag_len = s->procid_len = 0;
    s->usec = -1;
    s->day = s->doy = -1;
    s->year = 0;
    s->seq = -1;
    s->body = 0;
    if (len && line[0] == '<') {
        i = 1;
        while (i < len && i < 5 && is_digit(line[i]))
            i++;
        if (i == 1 || i >= len || line[i] != '>')
            return 0;
        i++;
        if (len - i >= 2 && line[i] == '1' && line[i + 1] == ' ')
            return split5424(line, len, i + 2, s);
    }
    int mon = len - i >= 16 ? month_of(line + i) : -1;
    if (mon >= 0 && line[i + 3] == ' ' && line[i + 15] == ' ') {
        s->usec = hms(line + i + 7, 8);
        if (s->usec < 0)
            return 0;
        /* "Nov  5" or "Nov 05": the day is space-padded in RFC 3164 */
        int dd = line[i + 4] == ' ' ? num(line + i + 5, 1) : num(line + i + 4, 2);
        if (dd >= 1 && dd <= 31)
            s->day = s->doy = cum_days[mon] + dd - 1;
        i = take_tag(line, len, take_host(line, len, i + 16, s), s);
    } else if (len - i >= 20 && is_digit(line[i]) && line[i + 4] == '-' &&
               line[i + 10] == 'T') {
        size_t e = token_end(line, len, i);
        s->usec = hms(line + i + 11, e - i - 11);
        if (s->usec < 0)
            return 0;
        s->day = iso_day(line + i, &s->doy);
        s->year = 1;
        i = take_tag(line, len, take_host(line, len, e < len ? e + 1 : e, s), s);
    } else if (i == 0) {
        return 0;
    }
    s->body = i;
    return 1;
}
