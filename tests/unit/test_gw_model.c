/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for gateway/model.c: Lambda integration URIs (function ARNs,
 * qualified or not, and the apigateway invocations form) and what is refused;
 * an API's named throttle buckets; string members of documents.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h needs these four first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "aws/arn.h"
#include "gateway/model.h"

#define FN     "arn:aws:lambda:us-east-1:000000000000:function:my-fn"
#define INV(x) "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" x "/invocations"

static void test_lambda_uris(void **state)
{
    (void)state;
    struct fn_ref r;
    assert_int_equal(gw_lambda_uri(FN, &r), 0);
    assert_string_equal(r.name, "my-fn");
    assert_string_equal(r.qualifier, "");
    assert_string_equal(r.region, "us-east-1");
    assert_string_equal(r.account, "000000000000");
    assert_int_equal(gw_lambda_uri(FN ":live", &r), 0);
    assert_string_equal(r.qualifier, "live");
    assert_int_equal(gw_lambda_uri(INV(FN), &r), 0);
    assert_string_equal(r.name, "my-fn");
    assert_int_equal(gw_lambda_uri(INV(FN ":3"), &r), 0);
    assert_string_equal(r.qualifier, "3");
    static const char *const bad[] = {
        "",
        "my-fn",
        "000000000000:function:my-fn",
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/invocations",
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions//invocations",
        INV("my-fn"),
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" FN,
        "arn:aws:apigateway:us-east-1:s3:path/x/invocations",
        "arn:aws:lambda:us-east-1:000000000000:layer:x",
        "http://example.com",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (gw_lambda_uri(bad[i], &r) == 0)
            fail_msg("\"%s\" should be refused", bad[i]);
}

static void test_throttle(void **state)
{
    (void)state;
    struct gw_api api = {.id = "a1"};
    cJSON *rate = cJSON_CreateNumber(0.001), *burst = cJSON_CreateNumber(2);
    /* no limits: never throttled, and no bucket made */
    for (int i = 0; i < 5; i++)
        assert_true(gw_throttle(&api, "s GET /", NULL, NULL));
    assert_int_equal(api.nbuckets, 0);
    /* a full bucket of two, refilled far slower than the test runs */
    assert_true(gw_throttle(&api, "s GET /", rate, burst));
    assert_true(gw_throttle(&api, "s GET /", rate, burst));
    assert_false(gw_throttle(&api, "s GET /", rate, burst));
    /* another key has a bucket of its own */
    assert_true(gw_throttle(&api, "s POST /", rate, burst));
    assert_int_equal(api.nbuckets, 2);
    for (size_t i = 0; i < api.nbuckets; i++)
        free(api.buckets[i].key);
    free(api.buckets);
    cJSON_Delete(rate);
    cJSON_Delete(burst);
}

static void test_jstr(void **state)
{
    (void)state;
    cJSON *o = cJSON_Parse("{\"a\":\"x\",\"n\":1}");
    assert_string_equal(gw_jstr(o, "a"), "x");
    assert_string_equal(gw_jstr(o, "n"), "");
    assert_string_equal(gw_jstr(o, "missing"), "");
    assert_string_equal(gw_jstr(NULL, "a"), "");
    cJSON_Delete(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lambda_uris),
        cmocka_unit_test(test_throttle),
        cmocka_unit_test(test_jstr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
