/*
 * why.c - the one table of reason words (docs/endpoint.md, Logging).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "why.h"

static const char *const words[WHY_COUNT] = {
    [WHY_NONE] = "-",
    [WHY_CLOSED] = "closed",
    [WHY_RESET] = "reset",
    [WHY_CONNECT] = "connect",
    [WHY_ABORT] = "abort",
    [WHY_LEAVE] = "leave",
    [WHY_PROTOCOL] = "protocol",
    [WHY_STALL] = "stall",
    [WHY_SILENT] = "silent",
    [WHY_LOOP] = "loop",
    [WHY_SHORT] = "short",
    [WHY_IO] = "io",
    [WHY_TIMEOUT] = "timeout",
    [WHY_NO_FILE] = "no-file",
    [WHY_IDLE] = "idle",
    [WHY_ENCODE] = "encode",
    [WHY_NO_PARENT] = "no-parent",
    [WHY_REFUSED] = "refused",
    [WHY_JOIN_TIMEOUT] = "join-timeout",
    [WHY_PARENT_LOST] = "parent-lost",
    [WHY_HASH] = "hash",
    [WHY_LOADS_HASH] = "loads-hash",
    [WHY_BAD_LOADS] = "bad-loads",
};

const char *why_word(enum why w)
{
    return (unsigned)w < WHY_COUNT && words[w] ? words[w] : "unknown";
}

double why_rate_kbs(unsigned long long bytes, double secs)
{
    return (double)bytes / 1024.0 / (secs > 0.001 ? secs : 0.001);
}
