/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for gateway/model.c: Lambda integration URIs (function ARNs,
 * qualified or not, and the apigateway invocations form) and what is refused.
 */
#include <stdbool.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lambda_uris),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
