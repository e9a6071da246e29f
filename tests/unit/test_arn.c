/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for aws/arn.c: every accepted form of a FunctionName (bare
 * name, name:qualifier, partial ARN, full ARN in any partition) and the
 * inputs the pattern rejects. Inputs are passed with explicit lengths, and
 * some are deliberately not NUL-terminated at len.
 */
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

#include "aws/arn.h"
#include "base/err.h"

static int parse(const char *s, struct fn_ref *out)
{
    return arn_parse_function(s, strlen(s), out);
}

static void expect_ref(const char *s, const char *name, const char *qual, const char *region,
                       const char *account)
{
    struct fn_ref r;
    memset(&r, 'x', sizeof(r));
    int rc = parse(s, &r);
    if (rc != 0)
        fail_msg("arn_parse_function(\"%s\") = %d, want 0", s, rc);
    assert_string_equal(r.name, name);
    assert_string_equal(r.qualifier, qual);
    assert_string_equal(r.region, region);
    assert_string_equal(r.account, account);
}

static void expect_invalid(const char *s, size_t len)
{
    struct fn_ref r;
    memset(&r, 'x', sizeof(r));
    r.name[0] = '\0';
    int rc = arn_parse_function(s, len, &r);
    if (rc != ERR_VALIDATION)
        fail_msg("arn_parse_function(\"%.*s\") = %d, want ERR_VALIDATION", (int)len, s, rc);
    /* Out-params are written only on success. */
    assert_int_equal(r.name[0], '\0');
    assert_int_equal(r.qualifier[0], 'x');
}

static void test_bare_name(void **state)
{
    (void)state;
    expect_ref("name", "name", "", "", "");
    expect_ref("my-Function_01", "my-Function_01", "", "", "");
    expect_ref("a", "a", "", "", "");
}

static void test_name_qualifier(void **state)
{
    (void)state;
    expect_ref("name:qual", "name", "qual", "", "");
    expect_ref("name:$LATEST", "name", "$LATEST", "", "");
    expect_ref("name:1", "name", "1", "", "");
    expect_ref("name:prod-2_b", "name", "prod-2_b", "", "");
}

static void test_partial_arn(void **state)
{
    (void)state;
    expect_ref("123456789012:function:name", "name", "", "", "123456789012");
    expect_ref("123456789012:function:name:7", "name", "7", "", "123456789012");
    expect_ref("us-west-2:123456789012:function:name", "name", "", "us-west-2", "123456789012");
}

static void test_full_arn(void **state)
{
    (void)state;
    expect_ref("arn:aws:lambda:us-east-1:123456789012:function:name", "name", "", "us-east-1",
               "123456789012");
    expect_ref("arn:aws:lambda:us-east-1:123456789012:function:name:prod", "name", "prod",
               "us-east-1", "123456789012");
    expect_ref("arn:aws:lambda:us-east-1:123456789012:function:name:$LATEST", "name", "$LATEST",
               "us-east-1", "123456789012");
    expect_ref("arn:aws-cn:lambda:cn-north-1:123456789012:function:fn", "fn", "", "cn-north-1",
               "123456789012");
    expect_ref("arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:fn:v1", "fn", "v1",
               "us-gov-west-1", "123456789012");
}

static void test_invalid(void **state)
{
    (void)state;
    char long_name[66];
    memset(long_name, 'a', 65);
    long_name[65] = '\0';
    static const char *const bad[] = {
        "bad name",
        "a:b:c:d:e:f:g:h:i:j",
        "name:bad qual",
        "name:q.1",
        "name:",
        ":name",
        "name:$latest",
        "name:$LATESTX",
        "na/me",
        "name:q:extra",
        "arn:aws:lambda",
        "arn:aws:s3:us-east-1:123456789012:function:name",
        "arn:gcp:lambda:us-east-1:123456789012:function:name",
        "arn:aws:lambda:us-east-1:123456789012:function:",
        "arn:aws:lambda:us-east-1:123456789012:function:na me",
        "arn:aws:lambda:us-east-1:123456789012:function:name:prod:x",
        "é",
    };
    expect_invalid("", 0);
    expect_invalid(long_name, 65);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_invalid(bad[i], strlen(bad[i]));
}

static void test_name_limits(void **state)
{
    (void)state;
    char name[FN_NAME_MAX + 1];
    memset(name, 'n', FN_NAME_MAX);
    name[FN_NAME_MAX] = '\0';
    expect_ref(name, name, "", "", "");

    /* A 65-character name is too long inside an ARN too. */
    char arn[256];
    snprintf(arn, sizeof(arn), "arn:aws:lambda:us-east-1:123456789012:function:%sn", name);
    expect_invalid(arn, strlen(arn));

    /* A whole ARN is limited to FN_NAME_ARN_MAX characters. */
    char q[FN_QUALIFIER_MAX + 1];
    memset(q, 'q', FN_QUALIFIER_MAX);
    q[FN_QUALIFIER_MAX] = '\0';
    snprintf(arn, sizeof(arn), "arn:aws:lambda:us-east-1:123456789012:function:%s:%s", name, q);
    assert_true(strlen(arn) > FN_NAME_ARN_MAX);
    expect_invalid(arn, strlen(arn));
}

static void test_not_nul_terminated(void **state)
{
    (void)state;
    /* len stops before the ':'; the bytes after it are not looked at. */
    const char buf[] = {'f', 'n', ':', ' ', '!'};
    struct fn_ref r;
    assert_int_equal(arn_parse_function(buf, 2, &r), 0);
    assert_string_equal(r.name, "fn");
    assert_string_equal(r.qualifier, "");
    assert_int_equal(arn_parse_function(buf, 3, &r), ERR_VALIDATION);
    assert_int_equal(arn_parse_function(buf, 4, &r), ERR_VALIDATION);
}

static void test_valid_name(void **state)
{
    (void)state;
    assert_true(arn_valid_name("abc", 3));
    assert_true(arn_valid_name("A-b_9", 5));
    assert_false(arn_valid_name("", 0));
    assert_false(arn_valid_name("a b", 3));
    assert_false(arn_valid_name("a:b", 3));
    assert_false(arn_valid_name("$LATEST", 7));
    assert_true(arn_valid_name("ab!", 2)); /* only len bytes count */
    char n[FN_NAME_MAX + 2];
    memset(n, 'z', sizeof(n));
    assert_true(arn_valid_name(n, FN_NAME_MAX));
    assert_false(arn_valid_name(n, FN_NAME_MAX + 1));
}

static void test_valid_qualifier(void **state)
{
    (void)state;
    assert_true(arn_valid_qualifier("$LATEST", 7));
    assert_true(arn_valid_qualifier("1", 1));
    assert_true(arn_valid_qualifier("prod_v-2", 8));
    assert_false(arn_valid_qualifier("", 0));
    assert_false(arn_valid_qualifier("$LATES", 6));
    assert_false(arn_valid_qualifier("$latest", 7));
    assert_false(arn_valid_qualifier("a.b", 3));
    assert_false(arn_valid_qualifier("a:b", 3));
    char q[FN_QUALIFIER_MAX + 2];
    memset(q, '7', sizeof(q));
    assert_true(arn_valid_qualifier(q, FN_QUALIFIER_MAX));
    assert_false(arn_valid_qualifier(q, FN_QUALIFIER_MAX + 1));
}

static void test_pattern_text(void **state)
{
    (void)state;
    /* The text AWS prints in its ValidationException for functionName. */
    assert_string_equal(arn_function_pattern,
                        "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?"
                        "(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bare_name),
        cmocka_unit_test(test_name_qualifier),
        cmocka_unit_test(test_partial_arn),
        cmocka_unit_test(test_full_arn),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_name_limits),
        cmocka_unit_test(test_not_nul_terminated),
        cmocka_unit_test(test_valid_name),
        cmocka_unit_test(test_valid_qualifier),
        cmocka_unit_test(test_pattern_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
