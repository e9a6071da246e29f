/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for gateway/authz.c: IAM policy verdicts (Allow, Deny winning,
 * wildcards in Action and Resource, a single statement object, statements
 * that do not apply) and whole authorizer answers (simple responses, policies
 * with principal and context, malformed answers).
 */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
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

#include "gateway/authz.h"

#define ARN "arn:aws:execute-api:us-east-1:000000000000:abc/prod/GET/items/1"

static int policy(const char *statements)
{
    char text[2048];
    snprintf(text, sizeof(text),
             "{\"policyDocument\":{\"Version\":\"2012-10-17\",\"Statement\":%s}}", statements);
    cJSON *resp = cJSON_Parse(text);
    assert_non_null(resp);
    int v = gw_policy_verdict(resp, ARN);
    cJSON_Delete(resp);
    return v;
}

static void test_policy_verdicts(void **state)
{
    (void)state;
    assert_int_equal(policy("[{\"Effect\":\"Allow\",\"Action\":\"execute-api:Invoke\","
                            "\"Resource\":\"" ARN "\"}]"),
                     1);
    assert_int_equal(policy("{\"Effect\":\"Allow\",\"Action\":\"execute-api:*\","
                            "\"Resource\":\"arn:aws:execute-api:*:*:abc/*\"}"),
                     1);
    assert_int_equal(policy("[{\"Effect\":\"Allow\",\"Action\":[\"s3:Get\",\"execute-api:Invoke\"],"
                            "\"Resource\":[\"x\",\"arn:aws:execute-api:us-east-1:000000000000:abc/"
                            "prod/GET/*\"]}]"),
                     1);
    /* a Deny that applies wins, whatever the order */
    assert_int_equal(policy("[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"},"
                            "{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*/GET/*\"}]"),
                     -1);
    /* statements that do not apply */
    assert_int_equal(policy("[{\"Effect\":\"Allow\",\"Action\":\"execute-api:Invoke\","
                            "\"Resource\":\"arn:aws:execute-api:us-east-1:000000000000:abc/prod/"
                            "POST/*\"}]"),
                     0);
    assert_int_equal(
        policy("[{\"Effect\":\"Allow\",\"Action\":\"lambda:Invoke\",\"Resource\":\"*\"}]"), 0);
    assert_int_equal(policy("[{\"Effect\":\"Maybe\",\"Action\":\"*\",\"Resource\":\"*\"}]"), 0);
    assert_int_equal(policy("[{\"Action\":\"*\",\"Resource\":\"*\"}, 5, \"x\"]"), 0);
    assert_int_equal(policy("[]"), 0);
    assert_int_equal(policy("\"no\""), 0);
    /* '?' matches one character */
    assert_int_equal(policy("[{\"Effect\":\"Allow\",\"Action\":\"execute-api:Invok?\","
                            "\"Resource\":\"*/items/?\"}]"),
                     1);
}

static int verdict(const char *text, bool simple, cJSON **ctx, char **principal)
{
    return gw_authorizer_verdict(text, strlen(text), simple, ARN, ctx, principal);
}

static void test_authorizer_answers(void **state)
{
    (void)state;
    cJSON *ctx;
    char *p;
    assert_int_equal(verdict("{\"isAuthorized\":true,\"context\":{\"u\":\"a\"}}", true, &ctx, &p),
                     1);
    assert_non_null(ctx);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(ctx, "u")->valuestring, "a");
    assert_null(p);
    cJSON_Delete(ctx);
    assert_int_equal(verdict("{\"isAuthorized\":false,\"context\":{\"u\":\"a\"}}", true, &ctx, &p),
                     0);
    assert_null(ctx); /* a denial carries nothing on */
    assert_int_equal(verdict("{\"isAuthorized\":\"yes\"}", true, &ctx, &p), -1);
    assert_int_equal(verdict("{}", true, &ctx, &p), -1);
    assert_int_equal(verdict("not json", true, &ctx, &p), -1);
    assert_int_equal(verdict("", false, &ctx, &p), -1);
    /* a policy: principal and context of an allowed request */
    assert_int_equal(verdict("{\"principalId\":\"me\",\"policyDocument\":{\"Statement\":"
                             "{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}},"
                             "\"context\":{\"n\":1}}",
                             false, &ctx, &p),
                     1);
    assert_string_equal(p, "me");
    assert_true(cJSON_GetObjectItemCaseSensitive(ctx, "n")->valuedouble == 1);
    cJSON_Delete(ctx);
    free(p);
    assert_int_equal(verdict("{\"principalId\":\"me\",\"policyDocument\":{\"Statement\":"
                             "{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}}}",
                             false, &ctx, &p),
                     0);
    assert_null(p);
    /* a simple response where a policy is expected is malformed */
    assert_int_equal(verdict("{\"isAuthorized\":true}", false, &ctx, &p), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_verdicts),
        cmocka_unit_test(test_authorizer_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
