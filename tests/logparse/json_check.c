/*
 * json_check.c - a recursive-descent JSON validator (RFC 8259), strict
 * about UTF-8 in strings. Depth is bounded so hostile input cannot blow
 * the stack.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "json_check.h"

#include <string.h>

#define DEPTH_MAX 64

struct jp {
    const unsigned char *s;
    size_t n, i;
    int depth;
};

static void ws(struct jp *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
                           p->s[p->i] == '\r'))
        p->i++;
}

static int lit(struct jp *p, const char *w)
{
    size_t l = strlen(w);
    if (p->n - p->i < l || memcmp(p->s + p->i, w, l) != 0)
        return 0;
    p->i += l;
    return 1;
}

static int digits(struct jp *p)
{
    size_t from = p->i;
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
        p->i++;
    return p->i > from;
}

static int number(struct jp *p)
{
    if (p->i < p->n && p->s[p->i] == '-')
        p->i++;
    if (p->i < p->n && p->s[p->i] == '0')
        p->i++;
    else if (!digits(p))
        return 0;
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        if (!digits(p))
            return 0;
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
            p->i++;
        if (!digits(p))
            return 0;
    }
    return 1;
}

/* One UTF-8 sequence at p->i (first byte >= 0x80). */
static int utf8(struct jp *p)
{
    unsigned c = p->s[p->i];
    size_t len;
    unsigned cp, min;
    if ((c & 0xE0) == 0xC0)
        len = 2, cp = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0)
        len = 3, cp = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0)
        len = 4, cp = c & 0x07, min = 0x10000;
    else
        return 0;
    if (p->n - p->i < len)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((p->s[p->i + k] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (p->s[p->i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    p->i += len;
    return 1;
}

static int string(struct jp *p)
{
    if (p->i >= p->n || p->s[p->i] != '"')
        return 0;
    p->i++;
    while (p->i < p->n) {
        unsigned c = p->s[p->i];
        if (c == '"') {
            p->i++;
            return 1;
        }
        if (c < 0x20)
            return 0;
        if (c == '\\') {
            p->i++;
            if (p->i >= p->n)
                return 0;
            c = p->s[p->i++];
            if (c == 'u') {
                for (int k = 0; k < 4; k++, p->i++)
                    if (p->i >= p->n || !strchr("0123456789abcdefABCDEF", p->s[p->i]) ||
                        !p->s[p->i])
                        return 0;
            } else if (!strchr("\"\\/bfnrt", (int)c) || !c) {
                return 0;
            }
        } else if (c >= 0x80) {
            if (!utf8(p))
                return 0;
        } else {
            p->i++;
        }
    }
    return 0;
}

static int value(struct jp *p);

static int members(struct jp *p, char close, int keyed)
{
    p->i++;
    ws(p);
    if (p->i < p->n && p->s[p->i] == (unsigned char)close) {
        p->i++;
        return 1;
    }
    for (;;) {
        ws(p);
        if (keyed) {
            if (!string(p))
                return 0;
            ws(p);
            if (p->i >= p->n || p->s[p->i] != ':')
                return 0;
            p->i++;
        }
        if (!value(p))
            return 0;
        ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->i < p->n && p->s[p->i] == (unsigned char)close) {
            p->i++;
            return 1;
        }
        return 0;
    }
}

static int value(struct jp *p)
{
    ws(p);
    if (p->i >= p->n)
        return 0;
    switch (p->s[p->i]) {
    case '{':
    case '[': {
        if (++p->depth > DEPTH_MAX)
            return 0;
        int ok = p->s[p->i] == '{' ? members(p, '}', 1) : members(p, ']', 0);
        p->depth--;
        return ok;
    }
    case '"': return string(p);
    case 't': return lit(p, "true");
    case 'f': return lit(p, "false");
    case 'n': return lit(p, "null");
    default: return number(p);
    }
}

int json_valid(const char *s, size_t n)
{
    struct jp p = {(const unsigned char *)s, n, 0, 0};
    if (!value(&p))
        return 0;
    ws(&p);
    return p.i == n;
}
