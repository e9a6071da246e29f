/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for daemon/config.c: defaults from options.def, LAMBDAD_*
 * environment variables, flags in both "--flag VALUE" and "--flag=VALUE"
 * form, the precedence flag > environment > default, and the rejections.
 * Every test starts with every LAMBDAD_* variable unset. Parses that are
 * expected to fail run with stderr sent to /dev/null to keep the output
 * readable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cmocka.h needs these four first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "daemon/config.h"

static const char *const env_names[] = {
    "LAMBDAD_LISTEN",    "LAMBDAD_DATA_DIR", "LAMBDAD_STORE",       "LAMBDAD_SANDBOX",
    "LAMBDAD_LOG_LEVEL", "LAMBDAD_REGION",   "LAMBDAD_ACCOUNT_ID",  "LAMBDAD_RUNTIMES_DIR",
    "LAMBDAD_PYTHON",    "LAMBDAD_NODE",     "LAMBDAD_CONCURRENCY", "LAMBDAD_KEEPALIVE_MS",
    "LAMBDAD_WORKERS",
};

static int clear_env(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++)
        unsetenv(env_names[i]);
    return 0;
}

/* Parses argv (NULL-terminated, argv[0] included) into cfg. */
static int parse(struct config *cfg, const char *const *args)
{
    char *argv[16];
    int argc = 0;
    for (; args[argc] != NULL; argc++) {
        assert_true(argc < 15);
        argv[argc] = (char *)(uintptr_t)args[argc]; /* config_parse does not write argv */
    }
    argv[argc] = NULL;
    return config_parse(cfg, argc, argv);
}

/* The same with stderr silenced, for parses that print usage or an error. */
static int parse_quiet(struct config *cfg, const char *const *args)
{
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    assert_true(saved >= 0);
    assert_true(null >= 0);
    assert_true(dup2(null, STDERR_FILENO) >= 0);
    close(null);
    int rc = parse(cfg, args);
    fflush(stderr);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    return rc;
}

static void test_defaults(void **state)
{
    (void)state;
    struct config cfg;
    const char *const args[] = {"lambdad", NULL};
    assert_int_equal(parse(&cfg, args), 0);
    assert_string_equal(cfg.listen, "127.0.0.1:4566");
    assert_string_equal(cfg.data_dir, "./.lambdad");
    assert_string_equal(cfg.store, "");
    assert_string_equal(cfg.sandbox, "auto");
    assert_string_equal(cfg.log_level, "info");
    assert_string_equal(cfg.region, "us-east-1");
    assert_string_equal(cfg.account, "000000000000");
    assert_string_equal(cfg.runtimes_dir, "");
    assert_string_equal(cfg.python, "/usr/bin/python3");
    assert_string_equal(cfg.node, "/usr/bin/node");
    assert_int_equal(cfg.concurrency, 1000);
    assert_int_equal(cfg.keepalive_ms, 600000);
    assert_int_equal(cfg.workers, 2);
    config_fini(&cfg);
}

static void test_env(void **state)
{
    (void)state;
    struct config cfg;
    const char *const args[] = {"lambdad", NULL};
    assert_int_equal(setenv("LAMBDAD_LISTEN", "0.0.0.0:9001", 1), 0);
    assert_int_equal(setenv("LAMBDAD_WORKERS", "8", 1), 0);
    assert_int_equal(setenv("LAMBDAD_STORE", "sqlite:/tmp/x.db", 1), 0);
    assert_int_equal(parse(&cfg, args), 0);
    assert_string_equal(cfg.listen, "0.0.0.0:9001");
    assert_int_equal(cfg.workers, 8);
    assert_string_equal(cfg.store, "sqlite:/tmp/x.db");
    assert_string_equal(cfg.region, "us-east-1"); /* others keep their defaults */
    config_fini(&cfg);
}

static void test_flags(void **state)
{
    (void)state;
    struct config cfg;
    const char *const args[] = {
        "lambdad",          "--listen",     "127.0.0.1:0",  "--data-dir=/tmp/d", "--workers", "16",
        "--keepalive-ms=0", "--account-id", "123456789012", "--store=",          NULL};
    assert_int_equal(parse(&cfg, args), 0);
    assert_string_equal(cfg.listen, "127.0.0.1:0");
    assert_string_equal(cfg.data_dir, "/tmp/d");
    assert_int_equal(cfg.workers, 16);
    assert_int_equal(cfg.keepalive_ms, 0);
    assert_string_equal(cfg.account, "123456789012");
    assert_string_equal(cfg.store, "");
    config_fini(&cfg);
}

static void test_flag_beats_env(void **state)
{
    (void)state;
    struct config cfg;
    assert_int_equal(setenv("LAMBDAD_LISTEN", "0.0.0.0:9001", 1), 0);
    assert_int_equal(setenv("LAMBDAD_CONCURRENCY", "5", 1), 0);
    const char *const args[] = {"lambdad", "--listen=10.0.0.1:80", "--concurrency", "7", NULL};
    assert_int_equal(parse(&cfg, args), 0);
    assert_string_equal(cfg.listen, "10.0.0.1:80");
    assert_int_equal(cfg.concurrency, 7);
    config_fini(&cfg);

    /* The last of a repeated flag wins, without leaking the first. */
    const char *const twice[] = {"lambdad", "--region", "eu-west-1", "--region=ap-south-1", NULL};
    assert_int_equal(parse(&cfg, twice), 0);
    assert_string_equal(cfg.region, "ap-south-1");
    assert_string_equal(cfg.listen, "0.0.0.0:9001"); /* from the environment */
    config_fini(&cfg);
}

static void test_int_range(void **state)
{
    (void)state;
    struct config cfg;
    static const char *const bad[] = {
        "--workers=0",          "--workers=65",      "--concurrency=0",
        "--concurrency=100001", "--keepalive-ms=-1", "--workers=3x",
        "--workers=",           "--workers=0x10",    "--concurrency=99999999999999999999999",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *const args[] = {"lambdad", bad[i], NULL};
        int rc = parse_quiet(&cfg, args);
        if (rc != -EINVAL)
            fail_msg("config_parse(%s) = %d, want -EINVAL", bad[i], rc);
        config_fini(&cfg);
    }
    /* The bounds themselves are accepted. */
    const char *const edges[] = {"lambdad", "--workers=1", "--concurrency=100000",
                                 "--keepalive-ms=86400000", NULL};
    assert_int_equal(parse(&cfg, edges), 0);
    assert_int_equal(cfg.workers, 1);
    assert_int_equal(cfg.concurrency, 100000);
    assert_int_equal(cfg.keepalive_ms, 86400000);
    config_fini(&cfg);
}

static void test_env_out_of_range(void **state)
{
    (void)state;
    struct config cfg;
    const char *const args[] = {"lambdad", NULL};
    assert_int_equal(setenv("LAMBDAD_WORKERS", "100", 1), 0);
    assert_int_equal(parse_quiet(&cfg, args), -EINVAL);
    config_fini(&cfg);
    assert_int_equal(setenv("LAMBDAD_WORKERS", "many", 1), 0);
    assert_int_equal(parse_quiet(&cfg, args), -EINVAL);
    config_fini(&cfg);
}

static void test_unknown_flag(void **state)
{
    (void)state;
    struct config cfg;
    static const char *const bad[] = {"--bogus", "--listenx=1", "-l", "listen", "--listen"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        /* "--listen" alone has no value: incomplete, also rejected. */
        const char *const args[] = {"lambdad", bad[i], NULL};
        int rc = parse_quiet(&cfg, args);
        if (rc != -EINVAL)
            fail_msg("config_parse(%s) = %d, want -EINVAL", bad[i], rc);
        config_fini(&cfg);
    }
}

static void test_help(void **state)
{
    (void)state;
    struct config cfg;
    const char *const help[] = {"lambdad", "--help", NULL};
    assert_int_equal(parse_quiet(&cfg, help), 1);
    config_fini(&cfg);
    const char *const h[] = {"lambdad", "--workers=3", "-h", NULL};
    assert_int_equal(parse_quiet(&cfg, h), 1);
    config_fini(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, clear_env, clear_env),
        cmocka_unit_test_setup_teardown(test_env, clear_env, clear_env),
        cmocka_unit_test_setup_teardown(test_flags, clear_env, clear_env),
        cmocka_unit_test_setup_teardown(test_flag_beats_env, clear_env, clear_env),
        cmocka_unit_test_setup_teardown(test_int_range, clear_env, clear_env),
        cmocka_unit_test_setup_teardown(test_env_out_of_range, clear_env, clear_env),
        cmocka_unit_test_setup_teardown(test_unknown_flag, clear_env, clear_env),
        cmocka_unit_test_setup_teardown(test_help, clear_env, clear_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
