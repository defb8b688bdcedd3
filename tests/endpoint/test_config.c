/*
 * test_config.c - command line parsing: defaults, derived values, errors.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"

static struct pfsd_config cfg;
static char err[CFG_ERR_LEN];

/* Parses the base options plus extra ones (NULL-terminated). */
static enum cfg_result parse(const char *extra0, ...)
{
    const char *argv[64] = {"pfsd", "--model", "CP-7961G", "--load", "SCCP41.loads",
                            "--tftp", "127.0.0.1:6969", "--dir", "/tmp", "--addr",
                            "127.0.0.2"};
    int argc = 11;
    va_list ap;
    va_start(ap, extra0);
    for (const char *a = extra0; a && argc < 63; a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    err[0] = '\0';
    return config_parse(&cfg, argc, (char **)argv, err, sizeof err);
}

static void test_defaults(void **state)
{
    (void)state;
    assert_int_equal(parse(NULL), CFG_RUN);
    assert_string_equal(cfg.model, "CP-7961G");
    assert_string_equal(cfg.load, "SCCP41.loads");
    assert_int_equal(cfg.tftp_ip, 0x7F000001);
    assert_int_equal(cfg.tftp_port, 6969);
    assert_int_equal(cfg.addr, 0x7F000002);
    assert_int_equal(cfg.bcast, 0x7FFFFFFF); /* loopback: 127.255.255.255 */
    assert_int_equal(cfg.port, 4051);
    assert_int_equal(cfg.ad_interval, 250);
    assert_int_equal(cfg.ad_count, 4);
    assert_int_equal(cfg.root_wait, 10000);
    assert_int_equal(cfg.join_timeout, 2000);
    assert_int_equal(cfg.join_tries, 4);
    assert_int_equal(cfg.seek_timeout, 3000);
    assert_int_equal(cfg.stall_timeout, 5000);
    assert_int_equal(cfg.idle_timeout, 3000);
    assert_int_equal(cfg.linger, 2000);
    assert_int_equal(cfg.tftp_timeout, 1000);
    assert_int_equal(cfg.tftp_retries, 5);
    assert_int_equal(cfg.blksize, 1428);
    assert_int_equal(cfg.tx_rate, 0);
    assert_true(cfg.xid != 0 && cfg.xid != 0xFFFFFFFFu);
    assert_int_equal(cfg.xid >> 16, 0x0002); /* from the address */
    assert_string_equal(cfg.log_path, "");
    assert_int_equal(cfg.logsrv_ip, 0);
    assert_int_equal(cfg.no_pfs, 0);
    assert_int_equal(cfg.parallel_files, 0);
}

static void test_values(void **state)
{
    (void)state;
    assert_int_equal(parse("--xid", "80027f8", "--seed", "99", "--port=4052", "-v",
                           "--bcast", "10.1.2.255", "--log-server", "127.0.0.1:5514",
                           "--ad-interval", "50", "--root-wait", "500", "--tx-rate", "64",
                           "--log", "/tmp/x.log", "--summary", "/tmp/s.json", NULL),
                     CFG_RUN);
    assert_int_equal(cfg.xid, 0x080027F8);
    assert_int_equal(cfg.seed, 99);
    assert_int_equal(cfg.port, 4052);
    assert_int_equal(cfg.verbose, 1);
    assert_int_equal(cfg.bcast, 0x0A0102FF);
    assert_int_equal(cfg.logsrv_ip, 0x7F000001);
    assert_int_equal(cfg.logsrv_port, 5514);
    assert_int_equal(cfg.ad_interval, 50);
    assert_int_equal(cfg.root_wait, 500);
    assert_int_equal(cfg.tx_rate, 64);
    assert_string_equal(cfg.log_path, "/tmp/x.log");
    assert_string_equal(cfg.summary, "/tmp/s.json");
    assert_int_equal(parse("--no-pfs", NULL), CFG_RUN);
    assert_int_equal(cfg.no_pfs, 1);
    assert_int_equal(cfg.parallel_files, 0);
    assert_int_equal(parse("--parallel-files", NULL), CFG_RUN);
    assert_int_equal(cfg.parallel_files, 1);
    assert_int_equal(cfg.no_pfs, 0);
    assert_int_equal(cfg.cut_through, 0);
    assert_int_equal(parse("--cut-through", NULL), CFG_RUN);
    assert_int_equal(cfg.cut_through, 1);
    assert_int_equal(cfg.parallel_files, 0);
}

static void test_default_bcast(void **state)
{
    (void)state;
    assert_int_equal(config_default_bcast(0x7F000005), 0x7FFFFFFF);
    assert_int_equal(config_default_bcast(0x0A6A7544), 0x0A6A75FF);
}

/* Each bad value is a usage error whose message names the option. */
static void bad(const char *opt, const char *val, const char *needle)
{
    assert_int_equal(parse(opt, val, NULL), CFG_ERROR);
    assert_non_null(strstr(err, needle));
}

static void test_errors(void **state)
{
    (void)state;
    bad("--model", "CP 7961", "--model");
    bad("--model", "ABCDEFGHIJKLMNOPQ", "--model");
    bad("--load", "../etc/passwd", "--load");
    bad("--load", "a/b.loads", "--load");
    bad("--tftp", "127.0.0.1", "--tftp");
    bad("--tftp", "127.0.0.1:0", "--tftp");
    bad("--tftp", "127.0.0.1:70000", "--tftp");
    bad("--addr", "127.0.0", "--addr");
    bad("--addr", "0.0.0.0", "--addr");
    bad("--port", "0", "--port");
    bad("--port", "12x", "--port");
    bad("--xid", "0", "--xid");
    bad("--xid", "FFFFFFFF", "--xid");
    bad("--xid", "123456789", "--xid");
    bad("--xid", "xyz", "--xid");
    bad("--seed", "-1", "--seed");
    bad("--ad-interval", "0", "--ad-interval");
    bad("--ad-count", "300", "--ad-count");
    bad("--join-tries", "-1", "--join-tries");
    bad("--blksize", "7", "--blksize");
    bad("--tx-rate", "fast", "--tx-rate");
    bad("--bogus", "1", "--bogus");
    bad("--load", "X.sbn", "--load 'X.sbn': must name a NAME.loads file");
    bad("--load", ".loads", "--load");
    bad("--load", "X.loads.bak", "--load");
    /* The base command line already names --model: a second one is refused. */
    bad("--model", "CP-7970G", "--model given twice");
    assert_int_equal(parse("--port", "4051", "--port", "4051", NULL), CFG_ERROR);
    assert_non_null(strstr(err, "--port given twice"));
    assert_int_equal(parse("-v", "-v", NULL), CFG_RUN); /* -v counts */
    assert_int_equal(cfg.verbose, 2);
    assert_int_equal(parse("--linger", "1", "--linger=2", NULL), CFG_ERROR);
    assert_non_null(strstr(err, "--linger given twice"));
    assert_int_equal(parse("--linger", NULL), CFG_ERROR);
    assert_non_null(strstr(err, "--linger needs a value"));
    assert_int_equal(parse("stray", NULL), CFG_ERROR);
    assert_non_null(strstr(err, "stray"));
    assert_int_equal(parse("-v=1", NULL), CFG_ERROR);
    assert_int_equal(parse("--no-pfs=1", NULL), CFG_ERROR);
    assert_int_equal(parse("--parallel-files=yes", NULL), CFG_ERROR);
    assert_non_null(strstr(err, "--parallel-files takes no value"));
}

static void test_missing(void **state)
{
    (void)state;
    const char *argv[] = {"pfsd", "--model", "CP-7961G", "--load", "X.loads"};
    assert_int_equal(config_parse(&cfg, 5, (char **)argv, err, sizeof err), CFG_ERROR);
    assert_non_null(strstr(err, "missing --tftp"));
}

static void test_help_version(void **state)
{
    (void)state;
    const char *h[] = {"pfsd", "--bogus", "--help"};
    assert_int_equal(config_parse(&cfg, 3, (char **)h, err, sizeof err), CFG_HELP);
    const char *v[] = {"pfsd", "--version"};
    assert_int_equal(config_parse(&cfg, 2, (char **)v, err, sizeof err), CFG_VERSION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),      cmocka_unit_test(test_values),
        cmocka_unit_test(test_default_bcast), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_missing),       cmocka_unit_test(test_help_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
