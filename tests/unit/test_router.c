/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for http/router.c and http/form.c: which row each kind of AWS
 * request reaches (Host label, X-Amz-Target prefix, query Action in a form
 * body or the query string, SigV4 service, path prefix and exact path), the
 * order between kinds and between prefixes, declining rows, the fallback,
 * and refusal while stopping. Table-driven.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* cmocka.h needs these four first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "aws/sigv4.h"
#include "fake_req.h"
#include "http/form.h"
#include "http/router.h"

/* Rows carry their name as their argument. */
#define NAME(s) ((void *)(uintptr_t)(s))

static const char *taken; /* name of the row (or answer) that took the last request */

static bool take(void *arg, h2o_req_t *req)
{
    (void)req;
    taken = arg;
    return true;
}

static bool decline(void *arg, h2o_req_t *req)
{
    (void)arg;
    (void)req;
    return false;
}

static void fallback(void *arg, h2o_req_t *req)
{
    (void)arg;
    (void)req;
    taken = "fallback";
}

static void refuse(void *arg, h2o_req_t *req)
{
    (void)arg;
    (void)req;
    taken = "refused";
}

#define SIGNED(svc)                                                                                \
    "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/" svc "/aws4_request, "                   \
    "SignedHeaders=host;x-amz-date, "                                                              \
    "Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void build(struct router *r)
{
    router_init(r, fallback, refuse, NULL);
    router_set_service_fn(r, sigv4_service);
    assert_int_equal(router_add(r, ROUTER_PATH, "/2015-03-31/", 0, take, NAME("lambda")), 0);
    assert_int_equal(
        router_add(r, ROUTER_PATH, "/2015-03-31/functions/special/", 0, take, NAME("longer")), 0);
    assert_int_equal(router_add(r, ROUTER_PATH, "/metrics", ROUTER_ALWAYS, take, NAME("metrics")),
                     0);
    assert_int_equal(router_add(r, ROUTER_PATH, "/restapis/", ROUTER_ALWAYS, decline, NAME("x")),
                     0);
    assert_int_equal(router_add(r, ROUTER_PATH, "/restapis/", 0, take, NAME("rest")), 0);
    assert_int_equal(
        router_add(r, ROUTER_HOST, "execute-api", ROUTER_ALWAYS, take, NAME("user-api")), 0);
    assert_int_equal(router_add(r, ROUTER_TARGET, "Logs_20140328.", 0, take, NAME("logs")), 0);
    assert_int_equal(router_add(r, ROUTER_TARGET, "AmazonSQS.", 0, take, NAME("sqs-json")), 0);
    assert_int_equal(router_add(r, ROUTER_ACTION, "CreateQueue", 0, take, NAME("sqs-query")), 0);
    assert_int_equal(router_add(r, ROUTER_SERVICE, "sts", 0, take, NAME("sts")), 0);
}

struct route_case {
    const char *method, *host, *path;
    struct fake_header headers[3];
    const char *body;
    const char *want;
};

static const struct route_case cases[] = {
    {"POST", "127.0.0.1:4566", "/2015-03-31/functions", {{0}}, NULL, "lambda"},
    {"GET", "127.0.0.1:4566", "/2015-03-31/functions/special/x", {{0}}, NULL, "longer"},
    {"GET", "127.0.0.1:4566", "/2015-03-31", {{0}}, NULL, "fallback"},
    {"GET", "127.0.0.1:4566", "/metrics", {{0}}, NULL, "metrics"},
    {"GET", "127.0.0.1:4566", "/metrics?x=1", {{0}}, NULL, "metrics"},
    {"GET", "127.0.0.1:4566", "/metricsx", {{0}}, NULL, "fallback"},
    {"GET", "127.0.0.1:4566", "/restapis/abc", {{0}}, NULL, "rest"},
    /* A Host label wins over the path. */
    {"GET", "a1b2c3.execute-api.localhost:4566", "/2015-03-31/functions", {{0}}, NULL, "user-api"},
    {"GET", "A1.EXECUTE-API.localhost", "/", {{0}}, NULL, "user-api"},
    {"GET", "execute-apix.localhost", "/", {{0}}, NULL, "fallback"},
    {"POST",
     "127.0.0.1:4566",
     "/",
     {{"x-amz-target", "Logs_20140328.DescribeLogGroups"}},
     "{}",
     "logs"},
    {"POST", "127.0.0.1:4566", "/", {{"x-amz-target", "AmazonSQS.CreateQueue"}}, "{}", "sqs-json"},
    {"POST", "127.0.0.1:4566", "/", {{"x-amz-target", "Logs_2014"}}, "{}", "fallback"},
    {"POST",
     "127.0.0.1:4566",
     "/",
     {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}},
     "Version=2012-11-05&Action=CreateQueue&QueueName=q",
     "sqs-query"},
    {"POST",
     "127.0.0.1:4566",
     "/",
     {{"content-type", "application/x-www-form-urlencoded"}},
     "Action=CreateQueueX",
     "fallback"},
    /* A form body needs the form content type. */
    {"POST",
     "127.0.0.1:4566",
     "/",
     {{"content-type", "text/plain"}},
     "Action=CreateQueue",
     "fallback"},
    {"GET", "127.0.0.1:4566", "/?Action=CreateQueue&QueueName=q", {{0}}, NULL, "sqs-query"},
    {"POST", "127.0.0.1:4566", "/", {{"authorization", SIGNED("sts")}}, "", "sts"},
    {"POST", "127.0.0.1:4566", "/", {{"authorization", SIGNED("s3")}}, "", "fallback"},
    /* The target is tried before the path. */
    {"POST",
     "127.0.0.1:4566",
     "/2015-03-31/functions",
     {{"x-amz-target", "Logs_20140328.PutLogEvents"}},
     "{}",
     "logs"},
};

static void test_routes(void **state)
{
    (void)state;
    struct router r;
    build(&r);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct route_case *c = &cases[i];
        h2o_req_t req;
        fake_req(&req, c->method, c->host, c->path, c->headers, c->body);
        taken = NULL;
        router_dispatch(&r, &req);
        if (taken == NULL || strcmp(taken, c->want) != 0)
            fail_msg("case %zu (%s %s %s): taken by %s, want %s", i, c->method, c->host, c->path,
                     taken != NULL ? taken : "(none)", c->want);
        fake_req_free(&req);
    }
}

static void test_stopping(void **state)
{
    (void)state;
    struct router r;
    build(&r);
    router_stop(&r);
    static const struct {
        const char *host, *path, *want;
    } cases2[] = {
        {"127.0.0.1", "/metrics", "metrics"},
        {"x.execute-api.localhost", "/", "user-api"},
        {"127.0.0.1", "/2015-03-31/functions", "refused"},
        /* The ALWAYS row declines, the next one is refused. */
        {"127.0.0.1", "/restapis/abc", "refused"},
        {"127.0.0.1", "/nothing", "refused"},
    };
    for (size_t i = 0; i < sizeof(cases2) / sizeof(cases2[0]); i++) {
        h2o_req_t req;
        fake_req(&req, "GET", cases2[i].host, cases2[i].path, NULL, NULL);
        taken = NULL;
        router_dispatch(&r, &req);
        assert_non_null(taken);
        assert_string_equal(taken, cases2[i].want);
        fake_req_free(&req);
    }
}

static void test_add_limits(void **state)
{
    (void)state;
    struct router r;
    router_init(&r, fallback, refuse, NULL);
    assert_int_equal(router_add(&r, ROUTER_PATH, "", 0, take, NAME("x")), -EINVAL);
    char longp[ROUTER_PATTERN_MAX + 1];
    memset(longp, 'a', sizeof(longp) - 1);
    longp[sizeof(longp) - 1] = '\0';
    assert_int_equal(router_add(&r, ROUTER_PATH, longp, 0, take, NAME("x")), -E2BIG);
    for (int i = 0; i < ROUTER_ROWS_MAX; i++)
        assert_int_equal(router_add(&r, ROUTER_PATH, "/a/", 0, take, NAME("x")), 0);
    assert_int_equal(router_add(&r, ROUTER_PATH, "/b/", 0, take, NAME("x")), -E2BIG);
}

static void test_form_param(void **state)
{
    (void)state;
    static const struct {
        const char *text, *name;
        int want_len;
        const char *want;
    } cases3[] = {
        {"Action=SendMessage&QueueUrl=x", "Action", 11, "SendMessage"},
        {"a=1&Action=Send%20It&b=2", "Action", 7, "Send It"},
        {"Action=a+b", "Action", 3, "a b"},
        {"MessageBody=%E2%9C%93", "MessageBody", 3, "\xe2\x9c\x93"},
        {"Action", "Action", 0, ""},
        {"XAction=1", "Action", -1, NULL},
        {"Action=%2", "Action", -1, NULL},
        {"Action=%zz", "Action", -1, NULL},
        {"Action=%00", "Action", -1, NULL},
        {"", "Action", -1, NULL},
        {"&&Action=x&&", "Action", 1, "x"},
        {"Action=first&Action=second", "Action", 5, "first"},
    };
    for (size_t i = 0; i < sizeof(cases3) / sizeof(cases3[0]); i++) {
        char buf[32];
        int n = http_form_param(cases3[i].text, strlen(cases3[i].text), cases3[i].name, buf,
                                sizeof(buf));
        if (n != cases3[i].want_len)
            fail_msg("case %zu (%s): %d, want %d", i, cases3[i].text, n, cases3[i].want_len);
        if (n >= 0)
            assert_string_equal(buf, cases3[i].want);
    }
    char small[4];
    assert_int_equal(http_form_param("A=abcd", 6, "A", small, sizeof(small)), -1);
    assert_int_equal(http_form_param("A=abc", 5, "A", small, sizeof(small)), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_stopping),
        cmocka_unit_test(test_add_limits),
        cmocka_unit_test(test_form_param),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
