/*
 * syslog.c - the header a Log Server puts in front of a phone's line.
 *
 * RFC 3164: "<PRI>Mmm dd hh:mm:ss HOST text" (a file written by a syslog
 * daemon often drops the <PRI>). RFC 5424: "<PRI>1 TIMESTAMP HOST APP
 * PROCID MSGID SD text". Files in RFC 3339 style start with the ISO time.
 * The host names the phone when its own lines do not; the header's time of
 * day is used only for a line that has none of its own.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "plog.h"

#include <ctype.h>
#include <string.h>

static int is_month(const char *s)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (int i = 0; i < 12; i++)
        if (memcmp(s, months + 3 * i, 3) == 0)
            return 1;
    return 0;
}

/* "hh:mm:ss" with optional ".ffffff" at s: microseconds of the day or -1. */
static int64_t hms(const char *s, size_t n)
{
    if (n < 8 || s[2] != ':' || s[5] != ':')
        return -1;
    int v[3];
    for (int i = 0; i < 3; i++) {
        const char *p = s + 3 * i;
        if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
            return -1;
        v[i] = (p[0] - '0') * 10 + (p[1] - '0');
    }
    if (v[0] > 23 || v[1] > 59 || v[2] > 60)
        return -1;
    int64_t us = 0, scale = 100000;
    if (n > 8 && s[8] == '.')
        for (size_t i = 9; i < n && isdigit((unsigned char)s[i]) && scale; i++, scale /= 10)
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

/* RFC 5424 after "1 ": TIMESTAMP HOST APP PROCID MSGID SD [MSG] */
static int split5424(const char *line, size_t len, size_t i, struct plog_syslog *s)
{
    size_t e = token_end(line, len, i);
    if (e - i >= 19 && line[i + 10] == 'T')
        s->usec = hms(line + i + 11, e - i - 11);
    i = e < len ? e + 1 : e;
    i = take_host(line, len, i, s);
    for (int f = 0; f < 3 && i < len; f++) { /* APP-NAME PROCID MSGID */
        e = token_end(line, len, i);
        i = e < len ? e + 1 : e;
    }
    if (i < len && line[i] == '-') {
        i++;
    } else {
        while (i < len && line[i] == '[') { /* structured data, with \] escapes */
            i++;
            while (i < len && line[i] != ']')
                i += line[i] == '\\' && i + 1 < len ? 2 : 1;
            if (i < len)
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
    s->usec = -1;
    s->body = 0;
    if (len && line[0] == '<') {
        i = 1;
        while (i < len && i < 5 && isdigit((unsigned char)line[i]))
            i++;
        if (i == 1 || i >= len || line[i] != '>')
            return 0;
        i++;
        if (len - i >= 2 && line[i] == '1' && line[i + 1] == ' ')
            return split5424(line, len, i + 2, s);
    }
    if (len - i >= 16 && is_month(line + i) && line[i + 3] == ' ' && line[i + 15] == ' ') {
        s->usec = hms(line + i + 7, 8);
        if (s->usec < 0)
            return 0;
        i = take_host(line, len, i + 16, s);
    } else if (len - i >= 20 && isdigit((unsigned char)line[i]) && line[i + 4] == '-' &&
               line[i + 10] == 'T') {
        size_t e = token_end(line, len, i);
        s->usec = hms(line + i + 11, e - i - 11);
        if (s->usec < 0)
            return 0;
        i = take_host(line, len, e < len ? e + 1 : e, s);
    } else if (i == 0) {
        return 0;
    }
    s->body = i;
    return 1;
}
