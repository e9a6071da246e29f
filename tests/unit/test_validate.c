/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for aws/validate.c: AWS's ValidationException text for one and
 * several violations ("1 validation error detected: ...", "2 validation
 * errors detected: A; B"), wrong JSON types reported with the protocol's
 * code before any violation, other errors after them, and the typed
 * getters on absent, null and mistyped members.
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

#include "aws/validate.h"
#include "base/err.h"

#define PREFIX "Could not parse request body into json: "

static void test_messages(void **state)
{
    (void)state;
    struct verr v;
    char msg[2048];
    verr_init(&v, ERR_INVALID_CONTENT, PREFIX);
    assert_true(verr_ok(&v));
    assert_int_equal(verr_finish(&v, msg, sizeof(msg)), 0);
    verr_range(&v, "timeout", 0, 1, 900);
    assert_false(verr_ok(&v));
    assert_int_equal(verr_finish(&v, msg, sizeof(msg)), ERR_VALIDATION);
    assert_string_equal(msg, "1 validation error detected: Value '0' at 'timeout' failed to "
                             "satisfy constraint: Member must have value greater than or equal "
                             "to 1");
    verr_range(&v, "memorySize", 20000, 128, 10240);
    verr_range(&v, "ok", 5, 1, 10); /* inside: nothing added */
    assert_int_equal(verr_finish(&v, msg, sizeof(msg)), ERR_VALIDATION);
    assert_non_null(strstr(msg, "2 validation errors detected: Value '0' at 'timeout'"));
    assert_non_null(strstr(msg, "; Value '20000' at 'memorySize' failed to satisfy constraint: "
                                "Member must have value less than or equal to 10240"));
    /* Another error after violations: the violations are reported. */
    verr_fail(&v, ERR_INVALID_PARAMETER, "semantic");
    assert_int_equal(verr_finish(&v, msg, sizeof(msg)), ERR_VALIDATION);
    verr_init(&v, ERR_INVALID_CONTENT, PREFIX);
    verr_fail(&v, ERR_INVALID_PARAMETER, "first");
    verr_fail(&v, ERR_CONFLICT, "second");
    assert_int_equal(verr_finish(&v, msg, sizeof(msg)), ERR_INVALID_PARAMETER);
    assert_string_equal(msg, "first");
    verr_init(&v, ERR_INVALID_CONTENT, PREFIX);
    verr_required(&v, "role");
    assert_int_equal(verr_finish(&v, msg, sizeof(msg)), ERR_VALIDATION);
    assert_string_equal(msg, "1 validation error detected: Value null at 'role' failed to "
                             "satisfy constraint: Member must not be null");
}

static void test_overflow(void **state)
{
    (void)state;
    struct verr v;
    char msg[4096];
    verr_init(&v, ERR_INVALID_CONTENT, PREFIX);
    for (int i = 0; i < 100; i++)
        verr_range(&v, "aVeryLongFieldNameThatTakesRoomInTheMessage", i + 1000, 0, 10);
    assert_int_equal(verr_finish(&v, msg, sizeof(msg)), ERR_VALIDATION);
    assert_non_null(strstr(msg, "100 validation errors detected"));
    assert_true(strlen(msg) < sizeof(v.text) + 64);
}

static void test_getters(void **state)
{
    (void)state;
    cJSON *body = cJSON_Parse("{\"s\":\"x\",\"i\":3,\"f\":1.5,\"b\":true,\"o\":{},\"a\":[],"
                              "\"n\":null,\"big\":1e300}");
    assert_non_null(body);
    struct verr v;
    char msg[512];
    long long x = -1;
    bool b = false;
    verr_init(&v, ERR_INVALID_CONTENT, PREFIX);
    assert_string_equal(verr_string(body, "s", &v), "x");
    assert_null(verr_string(body, "absent", &v));
    assert_null(verr_string(body, "n", &v));
    assert_true(verr_int(body, "i", &x, &v));
    assert_int_equal(x, 3);
    assert_true(verr_bool(body, "b", &b, &v));
    assert_true(b);
    assert_non_null(verr_object(body, "o", &v));
    assert_non_null(verr_array(body, "a", &v));
    assert_null(verr_member(body, "n"));
    assert_true(verr_ok(&v));
    static const struct {
        const char *key, *want;
    } wrong[] = {
        {"i", PREFIX "i must be a string"},   {"s", PREFIX "s must be an integer"},
        {"f", PREFIX "f must be an integer"}, {"big", PREFIX "big must be an integer"},
        {"s", PREFIX "s must be a boolean"},  {"s", PREFIX "s must be an object"},
        {"o", PREFIX "o must be an array"},
    };
    for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        verr_init(&v, ERR_INVALID_CONTENT, PREFIX);
        verr_range(&v, "earlier", 100, 0, 10); /* a type error wins over violations */
        switch (i) {
        case 0:
            assert_null(verr_string(body, wrong[i].key, &v));
            break;
        case 1:
        case 2:
        case 3:
            assert_false(verr_int(body, wrong[i].key, &x, &v));
            break;
        case 4:
            assert_false(verr_bool(body, wrong[i].key, &b, &v));
            break;
        case 5:
            assert_null(verr_object(body, wrong[i].key, &v));
            break;
        default:
            assert_null(verr_array(body, wrong[i].key, &v));
            break;
        }
        assert_int_equal(verr_finish(&v, msg, sizeof(msg)), ERR_INVALID_CONTENT);
        assert_string_equal(msg, wrong[i].want);
    }
    cJSON_Delete(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_getters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
