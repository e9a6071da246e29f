/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for lambda/layers.c: layer version ARNs, PublishLayerVersion
 * validation, the store round trip, and the registry (order, lookups,
 * version numbers that are never reused).
 */
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
#include "catalog/layers.h"

static void test_parse_arn(void **state)
{
    (void)state;
    char name[LAYER_NAME_MAX + 1];
    int v = 0;
    assert_int_equal(
        layers_parse_arn("arn:aws:lambda:us-east-1:123456789012:layer:my-lib_1:7", name, &v), 0);
    assert_string_equal(name, "my-lib_1");
    assert_int_equal(v, 7);
    static const char *const bad[] = {
        "",
        "my-lib:1",
        "arn:aws:lambda:us-east-1:123456789012:layer:lib",
        "arn:aws:lambda:us-east-1:123456789012:layer:lib:0",
        "arn:aws:lambda:us-east-1:123456789012:layer:lib:x",
        "arn:aws:lambda:us-east-1:123456789012:function:lib:1",
        "arn:aws:s3:us-east-1:123456789012:layer:lib:1",
        "arn:aws:lambda:us-east-1:123456789012:layer::1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (layers_parse_arn(bad[i], name, &v) == 0)
            fail_msg("accepted %s", bad[i]);
}

static struct layer_version *publish(const char *json, const char *name, int *rc, char *msg)
{
    cJSON *body = cJSON_Parse(json);
    assert_non_null(body);
    struct layer_version *l = NULL;
    *rc = layer_from_publish(body, name, &l, msg, 512);
    cJSON_Delete(body);
    return *rc == 0 ? l : NULL;
}

static void test_publish_validation(void **state)
{
    (void)state;
    char msg[512];
    int rc;
    struct layer_version *l =
        publish("{\"Description\":\"d\",\"CompatibleRuntimes\":[\"python3.12\",\"nodejs20.x\"],"
                "\"CompatibleArchitectures\":[\"x86_64\"],\"LicenseInfo\":\"MIT\"}",
                "lib", &rc, msg);
    assert_int_equal(rc, 0);
    assert_string_equal(l->description, "d");
    assert_string_equal(l->license, "MIT");
    layer_free(l);
    assert_null(publish("{}", "bad.name", &rc, msg));
    assert_int_equal(rc, ERR_VALIDATION);
    assert_null(publish("{\"CompatibleRuntimes\":[\"cobol\"]}", "lib", &rc, msg));
    assert_int_equal(rc, ERR_VALIDATION);
    assert_null(publish("{\"CompatibleArchitectures\":[\"x86_64\",\"arm64\",\"x86_64\"]}", "lib",
                        &rc, msg));
    assert_int_equal(rc, ERR_VALIDATION);
    assert_null(publish("{\"CompatibleRuntimes\":\"python3.12\"}", "lib", &rc, msg));
    assert_int_equal(rc, ERR_INVALID_CONTENT);
}

static void test_store_roundtrip_and_registry(void **state)
{
    (void)state;
    char msg[512];
    int rc;
    struct layers ls = {0};
    struct layer_version *a = publish("{\"CompatibleRuntimes\":[\"python3.12\"]}", "b", &rc, msg);
    assert_non_null(a);
    a->version = layers_next_version(&ls, "b");
    assert_int_equal(a->version, 1);
    snprintf(a->hex, sizeof(a->hex), "%064d", 1);
    snprintf(a->b64, sizeof(a->b64), "AAAA");
    a->size = 42;
    char *json = layer_store_json(a);
    struct layer_version *back = layer_from_store(json);
    free(json);
    assert_non_null(back);
    assert_string_equal(back->name, "b");
    assert_int_equal(back->version, 1);
    assert_int_equal(back->size, 42);
    assert_string_equal(back->hex, a->hex);
    assert_null(layer_from_store("{\"Name\":\"b\"}"));
    layers_add(&ls, a);
    back->version = 2;
    layers_add(&ls, back);
    struct layer_version *c = publish("{}", "a", &rc, msg);
    c->version = layers_next_version(&ls, "a");
    layers_add(&ls, c);
    assert_string_equal(ls.v[0]->name, "a");
    assert_int_equal(ls.v[2]->version, 2);
    assert_ptr_equal(layers_find(&ls, "b", 2), back);
    layers_remove(&ls, "b", 2);
    assert_null(layers_find(&ls, "b", 2));
    assert_int_equal(layers_next_version(&ls, "b"), 3); /* never reused */
    layers_note_version(&ls, "z", 9);
    assert_int_equal(layers_next_version(&ls, "z"), 10);
    cJSON *out = layer_json(ls.v[1], "us-east-1", "123456789012", "http://x/y.zip");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(out, "LayerVersionArn")),
                        "arn:aws:lambda:us-east-1:123456789012:layer:b:1");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(out, "LayerArn")),
                        "arn:aws:lambda:us-east-1:123456789012:layer:b");
    cJSON_Delete(out);
    layers_fini(&ls);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_arn),
        cmocka_unit_test(test_publish_validation),
        cmocka_unit_test(test_store_roundtrip_and_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
