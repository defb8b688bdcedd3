/*
 * test_format.c - pfs_format: one line per message. Our own broadcast
 * CLAIM and AD must be byte-identical to the DLoad grammar (the phones'
 * lines); the other types have one-liners from their rows, pinned here.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "dlog.h"
#include "golden.h"
#include "pfs.h"

static const char *fmt(const char *dir, const struct pfs_msg *m)
{
    static char line[512];
    int n = pfs_format(line, sizeof line, dir, m);
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(line));
    return line;
}

/* The seed's own lines, exactly. */
static void test_claim_ad_like_phone(void **state)
{
    (void)state;
    struct pfs_msg m = ex_claim();
    assert_string_equal(fmt("Tx", &m),
                        "XID080027F8 TxBdcst ClaimRoot(tent): map=ff9d7cb9 strength=31d4d43d");
    m = ex_ad();
    m.xid = 0x080027f8u;
    m.u.claim.state = PFS_HS_TENT;
    m.u.claim.seq = 1;
    assert_string_equal(fmt("Tx", &m), "XID080027F8 TxBdcst Ad 1: ClaimRoot(tent)");
    m.u.claim.state = PFS_HS_WAITING;
    m.u.claim.seq = 4;
    assert_string_equal(fmt("Tx", &m), "XID080027F8 TxBdcst Ad 4: ROOT_WAITING");
    m = ex_claim();
    m.u.claim.state = PFS_HS_CONF;
    m.u.claim.strength = PFS_STRENGTH_ROOT;
    assert_string_equal(fmt("Tx", &m),
                        "XID080027F8 TxBdcst ClaimRoot(conf): map=ff9d7cb9 strength=ffffffff");
}

/* The same bytes as the grammar writer for the same event: one writer. */
static void test_claim_ad_equal_dlog(void **state)
{
    (void)state;
    char want[256];
    struct pfs_dlog_ev ev;
    struct pfs_msg m = ex_claim();
    memset(&ev, 0, sizeof ev);
    ev.kind = PFS_DL_CLAIM;
    ev.xid = m.xid;
    strcpy(ev.state, "tent");
    ev.map = m.u.claim.map;
    ev.strength = m.u.claim.strength;
    assert_true(pfs_dlog_format(want, sizeof want, &ev) > 0);
    assert_string_equal(fmt("Tx", &m), want);

    for (unsigned st = PFS_HS_TENT; st <= PFS_HS_MAX; st++) {
        m = ex_ad();
        m.u.claim.state = (uint8_t)st;
        memset(&ev, 0, sizeof ev);
        ev.kind = PFS_DL_AD;
        ev.xid = m.xid;
        ev.n = m.u.claim.seq;
        strcpy(ev.hier, pfs_hstate_name(st));
        assert_true(pfs_dlog_format(want, sizeof want, &ev) > 0);
        assert_string_equal(fmt("Tx", &m), want);
    }
}

/* And the reader takes our line back as the same event. */
static void test_claim_parses_back(void **state)
{
    (void)state;
    char err[128];
    struct pfs_dlog_parser *p = pfs_dlog_parser_new(err, sizeof err);
    assert_non_null(p);
    struct pfs_msg m = ex_claim();
    const char *line = fmt("Tx", &m);
    struct pfs_dlog_ev ev;
    assert_int_equal(pfs_dlog_parse(p, line, strlen(line), &ev), PFS_DL_CLAIM);
    assert_int_equal(ev.xid, m.xid);
    assert_int_equal(ev.map, m.u.claim.map);
    assert_int_equal(ev.strength, m.u.claim.strength);
    assert_string_equal(ev.state, "tent");
    m = ex_ad();
    line = fmt("Tx", &m);
    assert_int_equal(pfs_dlog_parse(p, line, strlen(line), &ev), PFS_DL_AD);
    assert_int_equal(ev.n, 3);
    assert_string_equal(ev.hier, "Member");
    pfs_dlog_parser_free(p);
}

/* One name=value per row, in wire order, with the document's names. */
static void test_other_types(void **state)
{
    (void)state;
    struct pfs_msg m = ex_claim();
    assert_string_equal(fmt("Rx", &m),
                        "XID080027F8 RxBdcst ClaimRoot(tent): map=ff9d7cb9 strength=31d4d43d "
                        "H=36685558 depth=255 free=2 root=XID00000000 addr=10.106.117.68 "
                        "port=4051 model=CP-7961G file=/dnld/x.sbn");
    m = ex_ad();
    assert_string_equal(fmt("Rx", &m),
                        "XID0A000002 RxBdcst Ad 3: Member H=36685558 depth=1 free=1 map=ff9d7cb9 "
                        "strength=ffffffff root=XID080027F8 addr=127.0.0.3 port=4051 "
                        "model=CP-7961G file=/dnld/x.sbn");
    m = ex_join();
    assert_string_equal(fmt("Tx", &m), "XID0A000002 TxJOIN H=36685558 addr=127.0.0.3 port=4051 "
                                       "try=1 model=CP-7961G file=/dnld/x.sbn");
    m = ex_accept();
    assert_string_equal(fmt("Rx", &m), "XID080027F8 RxACCEPT H=36685558 index=1 depth=0 "
                                       "root=XID080027F8 flags=FULL");
    m = ex_refuse();
    assert_string_equal(fmt("Rx", &m),
                        "XID080027F8 RxREFUSE H=36685558 reason=FULL count=2 "
                        "hints=XID0A000003@127.0.0.4:4051,XID0A000004@127.0.0.5:4500 flags=FULL");
    m.u.refuse.nhints = 0;
    assert_string_equal(fmt("Rx", &m),
                        "XID080027F8 RxREFUSE H=36685558 reason=FULL count=0 hints=- flags=FULL");
    m = ex_xfrcmd();
    assert_string_equal(fmt("Rx", &m),
                        "XID080027F8 RxXfrCmd H=36685558 size=1048576 source=tftp "
                        "origin=XID080027F8 sha256=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822c"
                        "d15d6c15b0f00a08 file=/dnld/x.sbn flags=HAVE");
    m = ex_data();
    m.flags = 0;
    assert_string_equal(fmt("Tx", &m), "XID080027F8 TxDATA H=36685558 offset=16384 len=5");
    m = ex_xfrend();
    m.flags = PFS_F_HAVE | PFS_F_FULL | 0x8000u;
    assert_string_equal(fmt("Tx", &m), "XID080027F8 TxXFREND H=36685558 size=1048576 "
                                       "flags=FULL|HAVE|0x8000");
    m = ex_verdict();
    assert_string_equal(fmt("Tx", &m),
                        "XID0A000002 TxVERDICT H=36685558 verdict=OK bytes=1048576");
    m = ex_abort();
    assert_string_equal(fmt("Rx", &m), "XID0A000002 RxABORT H=36685558 reason=SHUTDOWN");
    m.u.reason.reason = PFS_R_NONE;
    assert_string_equal(fmt("Rx", &m), "XID0A000002 RxABORT H=36685558 reason=none");
    m = ex_leave();
    assert_string_equal(fmt("Tx", &m), "XID080027F8 TxBdcst LEAVE H=36685558 reason=DONE");
    m = ex_leave_tlv();
    assert_string_equal(fmt("Rx", &m), "XID080027F8 RxBdcst LEAVE H=36685558 reason=DONE "
                                       "uptime=3600 tlv127/2 firmware=9.4");
}

/* Every golden vector, decoded, renders as one clean line. */
static void test_every_golden_one_line(void **state)
{
    (void)state;
    for (size_t i = 0; i < NGOLDEN; i++) {
        uint8_t buf[256];
        size_t n = unhex(goldens[i].hex, buf, sizeof buf);
        struct pfs_msg m;
        assert_int_equal(pfs_decode(buf, n, &m), PFS_OK);
        const char *line = fmt("Rx", &m);
        assert_int_equal(strncmp(line, "XID", 3), 0);
        for (const char *c = line; *c; c++)
            assert_true(*c >= 0x20 && *c <= 0x7e);
    }
}

/* snprintf semantics: the full length is returned, the output is cut and terminated. */
static void test_truncation(void **state)
{
    (void)state;
    char full[512], small[10];
    struct pfs_msg msgs[] = {ex_claim(), ex_join()};
    for (size_t i = 0; i < 2; i++) {
        int n = pfs_format(full, sizeof full, "Tx", &msgs[i]);
        memset(small, 'z', sizeof small);
        assert_int_equal(pfs_format(small, sizeof small, "Tx", &msgs[i]), n);
        assert_int_equal(small[9], '\0');
        assert_memory_equal(small, full, 9);
        assert_int_equal(pfs_format(NULL, 0, "Tx", &msgs[i]), n);
    }
}

/* A struct nobody validated still gives a printable line. */
static void test_unvalidated(void **state)
{
    (void)state;
    struct pfs_msg m = ex_join();
    m.u.join.model.p = "a\nb";
    m.u.join.model.len = 3;
    m.u.join.file.p = NULL;
    m.u.join.file.len = 4;
    assert_string_equal(fmt(NULL, &m), "XID0A000002 JOIN H=36685558 addr=127.0.0.3 port=4051 "
                                       "try=1 model=a?b file=-");
    m.type = 99;
    assert_string_equal(fmt("Rx", &m), "XID0A000002 RxUnknown H=36685558 type=99");
    m = ex_ad();
    m.u.claim.state = 42;
    assert_string_equal(fmt("Tx", &m), "XID0A000002 TxBdcst Ad 3: UNKNOWN_STATE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_claim_ad_like_phone), cmocka_unit_test(test_claim_ad_equal_dlog),
        cmocka_unit_test(test_claim_parses_back),   cmocka_unit_test(test_other_types),
        cmocka_unit_test(test_every_golden_one_line), cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_unvalidated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
