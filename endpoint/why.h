/*
 * why.h - the reasons pfsd acts on (a parent lost, a child lost, a
 * fallback, a received file refused), as codes. Decisions compare codes;
 * only the log and the summary turn them into words, all from one table
 * (why.c), so a word and its meaning cannot drift apart.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFSD_WHY_H
#define PFSD_WHY_H

enum why {
    WHY_NONE = 0,
    /* a connection ended */
    WHY_CLOSED,       /* the peer closed */
    WHY_RESET,        /* a socket error */
    WHY_CONNECT,      /* connect() failed */
    WHY_ABORT,        /* the peer sent ABORT */
    WHY_LEAVE,        /* the peer sent LEAVE */
    WHY_PROTOCOL,     /* a message out of place (the libpfs error name when it did not decode) */
    WHY_STALL,        /* a transfer made no progress for stall-timeout */
    WHY_SILENT,       /* after ACCEPT, neither XFRCMD nor a keepalive for stall-timeout */
    WHY_LOOP,         /* the parent turned out to be in our own subtree */
    WHY_SHORT,        /* fewer bytes than declared */
    WHY_IO,           /* could not store or read the file */
    WHY_TIMEOUT,      /* no VERDICT after XFREND */
    WHY_NO_FILE,      /* the parent could not get the file */
    WHY_IDLE,         /* a connection that never sent JOIN */
    WHY_ENCODE,       /* our own message did not encode (cannot happen) */
    /* a fallback to TFTP */
    WHY_NO_PARENT,
    WHY_REFUSED,
    WHY_JOIN_TIMEOUT,
    WHY_PARENT_LOST,
    WHY_HASH,
    /* a received file refused */
    WHY_LOADS_HASH,   /* not the size and SHA-256 the .loads lists */
    WHY_BAD_LOADS,    /* the .loads does not parse */
    WHY_COUNT
};

/* The log and summary word of w ("stall", "join-timeout", ...). */
const char *why_word(enum why w);

/* KB/s for a transfer of bytes in secs; a transfer under 1 ms counts as 1 ms. */
double why_rate_kbs(unsigned long long bytes, double secs);

#endif
