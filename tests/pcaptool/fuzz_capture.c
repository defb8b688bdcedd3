/*
 * fuzz_capture.c - libFuzzer harness for pcaptool's reading path: capture
 * file, link layer, IP, UDP/TCP, TCP reassembly and framing, TFTP, PFS
 * decoding, the table walk and every pfsdump printer (plain, -v, --json,
 * --summary, --infer) on whatever the reader hands out.
 *
 * An input that starts with a pcap or pcapng magic is read as a capture
 * file. Any other input is a script of TCP segments, so the fuzzer works
 * on the reassembler directly: records of flags(1) seq-step(2) len(1)
 * bytes(len), turned into one Ethernet/IPv4/TCP capture by libpcap and
 * read back. Properties: no crash, no leak, no out-of-bounds read, and
 * every event's frames are ascending and end at the frame it completes in.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "dump.h"
#include "infer.h"
#include "session.h"
#include "summary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_capture(const uint8_t *d, size_t n)
{
    static const uint8_t magics[][4] = {
        {0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4}, {0x4d, 0x3c, 0xb2, 0xa1},
        {0xa1, 0xb2, 0x3c, 0x4d}, {0x0a, 0x0d, 0x0d, 0x0a},
    };
    for (size_t i = 0; n >= 4 && i < sizeof magics / sizeof magics[0]; i++)
        if (memcmp(d, magics[i], 4) == 0)
            return 1;
    return 0;
}

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v & 0xffffu); }

/* The segment script as a capture in memory; returns its bytes (free them) or NULL. */
static char *script_capture(const uint8_t *d, size_t n, size_t *outlen)
{
    char *buf = NULL;
    FILE *mem = open_memstream(&buf, outlen);
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t *dump = mem && dead ? pcap_dump_fopen(dead, mem) : NULL;
    if (!dump) {
        if (dead)
            pcap_close(dead);
        if (mem)
            fclose(mem);
        free(buf);
        return NULL;
    }
    uint32_t seq[2] = {0xfffffff0u, 1000};
    size_t i = 0;
    long usec = 0;
    while (i + 4 <= n) {
        unsigned flags = d[i], step = (unsigned)d[i + 1] << 8 | d[i + 2], len = d[i + 3];
        i += 4;
        if (len > n - i)
            len = (unsigned)(n - i);
        int dir = flags >> 7;
        uint8_t f[14 + 20 + 20 + 256];
        memset(f, 0, 54);
        put16(f + 12, 0x0800);
        uint8_t *ip = f + 14, *tcp = f + 34;
        ip[0] = 0x45;
        put16(ip + 2, 40 + len);
        ip[9] = 6;
        put32(ip + 12, dir ? 0x0a000002 : 0x0a000003);
        put32(ip + 16, dir ? 0x0a000003 : 0x0a000002);
        put16(tcp, dir ? 4051 : 40000);
        put16(tcp + 2, dir ? 40000 : 4051);
        seq[dir] += (uint32_t)(int16_t)step;   /* back, forward, wrap: whatever the input says */
        put32(tcp + 4, seq[dir]);
        put32(tcp + 8, seq[!dir]);
        tcp[12] = 5 << 4;
        tcp[13] = (uint8_t)(flags & 0x17);     /* FIN SYN RST ACK */
        memcpy(tcp + 20, d + i, len);
        i += len;
        struct pcap_pkthdr h;
        usec += 100;
        h.ts.tv_sec = 1764000000;
        h.ts.tv_usec = usec;
        h.caplen = h.len = 54 + len;
        pcap_dump((u_char *)dump, &h, f);
    }
    pcap_dump_close(dump);   /* closes mem: buf and outlen are final */
    pcap_close(dead);
    return buf;
}

static void read_all(const uint8_t *bytes, size_t len)
{
    static const int modes[] = {0, 1, 2, 3, 4};
    FILE *devnull = fopen("/dev/null", "w");
    if (!devnull)
        return;
    for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) {
        FILE *fp = fmemopen((void *)bytes, len, "rb");
        if (!fp)
            break;
        char err[512];
        struct cap_options o;
        cap_options_init(&o);
        o.filter = "";
        struct cap_reader *r = cap_open_fp(fp, "fuzz", &o, err, sizeof err);
        if (!r)
            break;
        struct dump_printer p = {.out = devnull, .tfmt = TIME_DATE, .verbose = modes[k] == 1,
                                 .json = modes[k] == 2};
        struct ses s;
        ses_init(&s);
        struct infer *in = infer_new();
        struct cap_event ev;
        while (cap_next(r, &ev) > 0) {
            if (ev.kind == CAP_EV_PFS) {
                const struct cap_pfs *m = &ev.u.pfs;
                for (size_t i = 1; i < m->nframes; i++)
                    if (m->frames[i - 1] >= m->frames[i])
                        abort();
                if (m->nframes && m->frames[m->nframes - 1] != ev.frame)
                    abort();
            }
            if (modes[k] <= 2)
                dump_event(&p, &ev);
            else if (modes[k] == 3)
                ses_event(&s, &ev);
            else if (in)
                infer_event(in, &ev);
        }
        if (modes[k] == 3) {
            ses_finish(&s);
            summary_text(devnull, "fuzz", cap_stats(r), &s);
            summary_json(devnull, "fuzz", cap_stats(r), &s);
        } else if (modes[k] == 4 && in) {
            infer_report(in, devnull, 0);
        }
        ses_free(&s);
        infer_free(in);
        cap_close(r);
    }
    fclose(devnull);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (is_capture(data, size)) {
        read_all(data, size);
        return 0;
    }
    size_t len = 0;
    char *cap = script_capture(data, size, &len);
    if (cap)
        read_all((const uint8_t *)cap, len);
    free(cap);
    return 0;
}
