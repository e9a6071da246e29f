/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for lambda/furl.c: Create/Update bodies of function URL
 * configurations (AWS's enums and Cors limits), the JSON shape, the store
 * round trip and URL ids.
 */
#include <errno.h>
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

#include <cjson/cJSON.h>

#include "base/err.h"
#include "catalog/furl.h"

/* Parses text as a body against base; returns furl_parse's answer. */
static int parse(const char *text, const struct furl *base, struct furl *out, char *msg)
{
    cJSON *body = cJSON_Parse(text);
    assert_non_null(body);
    memset(out, 0, sizeof(*out));
    int rc = furl_parse(body, base, out, msg, 512);
    cJSON_Delete(body);
    return rc;
}

static void test_create(void **state)
{
    (void)state;
    struct furl u;
    char msg[512];
    assert_int_equal(parse("{\"AuthType\":\"AWS_IAM\",\"InvokeMode\":\"RESPONSE_STREAM\","
                           "\"Cors\":{\"AllowOrigins\":[\"*\"],\"MaxAge\":0,"
                           "\"AllowCredentials\":false,\"Unknown\":1}}",
                           NULL, &u, msg),
                     0);
    assert_true(u.iam);
    assert_true(u.streaming);
    char *cors = cJSON_PrintUnformatted(u.cors);
    /* Members AWS does not know are not kept. */
    assert_string_equal(cors, "{\"AllowOrigins\":[\"*\"],\"AllowCredentials\":false,\"MaxAge\":0}");
    free(cors);
    furl_clear(&u);
    assert_int_equal(parse("{\"AuthType\":\"NONE\"}", NULL, &u, msg), 0);
    assert_false(u.iam);
    assert_false(u.streaming);
    assert_null(u.cors);
}

static void test_create_errors(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        int rc;
        const char *in_msg;
    } cases[] = {
        {"{}", ERR_VALIDATION, "'authType' failed to satisfy constraint: Member must not be null"},
        {"{\"AuthType\":\"OPEN\"}", ERR_VALIDATION, "[NONE, AWS_IAM]"},
        {"{\"AuthType\":1}", ERR_VALIDATION, "'authType'"},
        {"{\"AuthType\":\"NONE\",\"InvokeMode\":\"X\"}", ERR_VALIDATION,
         "[BUFFERED, RESPONSE_STREAM]"},
        {"{\"AuthType\":\"NONE\",\"Cors\":{\"MaxAge\":86401}}", ERR_VALIDATION,
         "less than or equal to 86400"},
        {"{\"AuthType\":\"NONE\",\"Cors\":{\"MaxAge\":-1}}", ERR_VALIDATION, "greater than"},
        {"{\"AuthType\":\"NONE\",\"Cors\":{\"MaxAge\":1.5}}", ERR_INVALID_PARAMETER, "MaxAge"},
        {"{\"AuthType\":\"NONE\",\"Cors\":{\"AllowMethods\":[\"GET\",\"PUT\",\"POST\",\"HEAD\","
         "\"PATCH\",\"DELETE\",\"OPTIONS\"]}}",
         ERR_VALIDATION, "'cors.allowMethods'"},
        {"{\"AuthType\":\"NONE\",\"Cors\":{\"AllowMethods\":[\"OPTIONSX\"]}}", ERR_VALIDATION,
         "less than or equal to 6"},
        {"{\"AuthType\":\"NONE\",\"Cors\":{\"AllowOrigins\":[\"\"]}}", ERR_VALIDATION,
         "greater than or equal to 1"},
        {"{\"AuthType\":\"NONE\",\"Cors\":{\"AllowHeaders\":\"x\"}}", ERR_INVALID_PARAMETER,
         "Cors.AllowHeaders"},
        {"{\"AuthType\":\"NONE\",\"Cors\":{\"AllowCredentials\":\"yes\"}}", ERR_INVALID_PARAMETER,
         "AllowCredentials"},
        {"{\"AuthType\":\"NONE\",\"Cors\":[]}", ERR_INVALID_PARAMETER, "Cors"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct furl u;
        char msg[512] = "";
        int rc = parse(cases[i].body, NULL, &u, msg);
        if (rc != cases[i].rc || strstr(msg, cases[i].in_msg) == NULL)
            fail_msg("%s: rc %d msg %s", cases[i].body, rc, msg);
        assert_null(u.cors);
    }
}

static void test_update_keeps_what_is_absent(void **state)
{
    (void)state;
    struct furl base, u;
    char msg[512];
    assert_int_equal(
        parse("{\"AuthType\":\"AWS_IAM\",\"Cors\":{\"AllowOrigins\":[\"a\"]}}", NULL, &base, msg),
        0);
    assert_int_equal(parse("{\"InvokeMode\":\"RESPONSE_STREAM\"}", &base, &u, msg), 0);
    assert_true(u.iam);
    assert_true(u.streaming);
    assert_non_null(u.cors);
    assert_true(u.cors != base.cors); /* a copy */
    furl_clear(&u);
    assert_int_equal(parse("{\"AuthType\":\"NONE\",\"Cors\":{}}", &base, &u, msg), 0);
    assert_false(u.iam);
    char *cors = cJSON_PrintUnformatted(u.cors);
    assert_string_equal(cors, "{}");
    free(cors);
    furl_clear(&u);
    furl_clear(&base);
}

static void test_json_and_store(void **state)
{
    (void)state;
    struct furl u, back;
    char msg[512];
    assert_int_equal(parse("{\"AuthType\":\"NONE\",\"Cors\":{\"MaxAge\":5}}", NULL, &u, msg), 0);
    furl_new_id(u.id);
    snprintf(u.created, sizeof(u.created), "2024-01-01T00:00:00.000Z");
    snprintf(u.modified, sizeof(u.modified), "2024-01-02T00:00:00.000Z");
    cJSON *o =
        furl_json(&u, "arn:aws:lambda:us-east-1:000000000000:function:f", "http://x/", false);
    char *text = cJSON_PrintUnformatted(o);
    assert_string_equal(text, "{\"FunctionUrl\":\"http://x/\",\"FunctionArn\":\"arn:aws:lambda:us-"
                              "east-1:000000000000:function:f\",\"AuthType\":\"NONE\",\"Cors\":{"
                              "\"MaxAge\":5},\"CreationTime\":\"2024-01-01T00:00:00.000Z\","
                              "\"InvokeMode\":\"BUFFERED\"}");
    free(text);
    cJSON_Delete(o);
    char *stored = furl_store_json(&u);
    memset(&back, 0, sizeof(back));
    assert_int_equal(furl_from_store(stored, &back), 0);
    free(stored);
    assert_string_equal(back.id, u.id);
    assert_string_equal(back.created, u.created);
    assert_string_equal(back.modified, u.modified);
    assert_false(back.iam);
    assert_non_null(back.cors);
    assert_int_equal(furl_from_store("{\"Id\":\"short\"}", &back), -EINVAL);
    assert_int_equal(furl_from_store("not json", &back), -EINVAL);
    furl_clear(&back);
    furl_clear(&u);
}

static void test_ids(void **state)
{
    (void)state;
    char a[FURL_ID_LEN + 1], b[FURL_ID_LEN + 1];
    furl_new_id(a);
    furl_new_id(b);
    assert_int_equal(strlen(a), FURL_ID_LEN);
    assert_int_equal(strspn(a, "abcdefghijklmnopqrstuvwxyz0123456789"), FURL_ID_LEN);
    assert_string_not_equal(a, b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create),
        cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_update_keeps_what_is_absent),
        cmocka_unit_test(test_json_and_store),
        cmocka_unit_test(test_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
