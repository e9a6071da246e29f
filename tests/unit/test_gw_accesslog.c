/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for gateway/accesslog.c: $context variables in access log
 * formats, and the log group of a destinationArn.
 */
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

#include "gateway/accesslog.h"

static const struct gw_access_vars vars = {
    .request_id = "abc=",
    .source_ip = "192.0.2.1",
    .http_method = "GET",
    .protocol = "HTTP/1.1",
    .path = "/prod/x",
    .route_key = "GET /x",
    .stage = "prod",
    .api_id = "a1b2c3d4e5",
    .domain = "a1b2c3d4e5.execute-api.localhost",
    .request_ms = 1583348638390,
    .status = 502,
    .response_length = 35,
    .integration_latency_ms = 12,
    .response_latency_ms = 13,
};

static void test_render(void **state)
{
    (void)state;
    char out[512];
    size_t n =
        gw_access_render("$context.requestId $context.identity.sourceIp [$context.requestTime] "
                         "\"$context.httpMethod $context.routeKey $context.protocol\" "
                         "$context.status $context.responseLength $context.requestTimeEpoch",
                         &vars, out, sizeof(out));
    assert_string_equal(out, "abc= 192.0.2.1 [04/Mar/2020:19:03:58 +0000] \"GET GET /x HTTP/1.1\" "
                             "502 35 1583348638390");
    assert_int_equal(n, strlen(out));
    gw_access_render("{\"p\":\"$context.domainPrefix\",\"l\":$context.integrationLatency,"
                     "\"u\":\"$context.identity.userAgent\",\"x\":\"$context.error.message\"}",
                     &vars, out, sizeof(out));
    assert_string_equal(out, "{\"p\":\"a1b2c3d4e5\",\"l\":12,\"u\":\"-\",\"x\":\"-\"}");
    /* A full stop after a variable is not part of its name; text passes through. */
    gw_access_render("status $context.status. $ context. $context.", &vars, out, sizeof(out));
    assert_string_equal(out, "status 502. $ context. $context.");
}

static void test_render_truncates(void **state)
{
    (void)state;
    char out[8];
    size_t n = gw_access_render("$context.domainName", &vars, out, sizeof(out));
    assert_int_equal(n, 7);
    assert_string_equal(out, "a1b2c3d");
    n = gw_access_render("abcdefghijk", &vars, out, sizeof(out));
    assert_int_equal(n, 7);
}

static void test_group(void **state)
{
    (void)state;
    char g[600];
    assert_true(
        gw_access_group("arn:aws:logs:us-east-1:000000000000:log-group:my/group", g, sizeof(g)));
    assert_string_equal(g, "my/group");
    assert_true(gw_access_group("arn:aws:logs:us-east-1:000000000000:log-group:g:*", g, sizeof(g)));
    assert_string_equal(g, "g");
    static const char *const bad[] = {
        NULL,
        "",
        "my-group",
        "arn:aws:s3:::bucket",
        "arn:aws:logs:us-east-1:000000000000:log-group:",
        "arn:aws:logs:us-east-1:000000000000:log-group:a:b",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(gw_access_group(bad[i], g, sizeof(g)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_render_truncates),
        cmocka_unit_test(test_group),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
