/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for gateway/route.c: the HTTP API route-key grammar (methods,
 * literal and parameter segments, greedy parameters, $default) and route
 * selection (literal over {param} over {proxy+}, a specific method over
 * ANY, $default last), with parameter values sliced from the request path.
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

#include "gateway/route.h"

static int parse(const char *s, struct gw_route_key *k)
{
    return gw_route_key_parse(s, strlen(s), k);
}

static void test_valid_keys(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "$default",    "GET /",           "ANY /{proxy+}",     "GET /items/{id}",
        "POST /a/b/c", "DELETE /x/{y}/z", "PATCH /v1/{rest+}", "HEAD /h",
        "OPTIONS /o",  "PUT /a.b-c_d~e",  "GET /{a}/{b}",      "GET /items/{id.x-y_z}",
    };
    struct gw_route_key k;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (parse(ok[i], &k) != 0)
            fail_msg("\"%s\" should parse", ok[i]);
    assert_int_equal(parse("GET /items/{id}", &k), 0);
    assert_string_equal(k.method, "GET");
    assert_false(k.is_default);
    assert_int_equal(k.nseg, 2);
    assert_int_equal(k.seg[0].kind, GW_SEG_LITERAL);
    assert_int_equal(k.seg[1].kind, GW_SEG_PARAM);
    assert_int_equal(k.seg[1].len, 2);
    assert_memory_equal(k.text + k.seg[1].off, "id", 2);
    assert_string_equal(k.text + k.path_off, "/items/{id}");
    assert_int_equal(parse("ANY /{proxy+}", &k), 0);
    assert_int_equal(k.seg[0].kind, GW_SEG_GREEDY);
    assert_memory_equal(k.text + k.seg[0].off, "proxy", 5);
    assert_int_equal(parse("GET /", &k), 0);
    assert_int_equal(k.nseg, 0);
    assert_int_equal(parse("$default", &k), 0);
    assert_true(k.is_default);
}

static void test_invalid_keys(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",           "GET",          "GET ",           "GET/items",
        "get /items", "FETCH /x",     "GET items",      "GET  /x",
        "GET /x//y",  "GET /x/",      "GET //",         "GET /{}",
        "GET /{+}",   "GET /{a",      "GET /a}",        "GET /x{a}",
        "GET /{a}b",  "GET /{a}/{a}", "GET /{p+}/x",    "GET /{a b}",
        "GET /a b",   "GET /a?b",     "GET /a#b",       "$connect",
        "$default ",  "$DEFAULT",     "GET /{a+}/{b+}", "ANY",
        " GET /x",    "GET /{a/b}",
    };
    struct gw_route_key k;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (parse(bad[i], &k) == 0)
            fail_msg("\"%s\" should be refused", bad[i]);
}

static void test_limits(void **state)
{
    (void)state;
    char key[GW_ROUTE_KEY_MAX + 16];
    struct gw_route_key k;
    /* GW_ROUTE_SEGMENTS_MAX segments parse, one more does not */
    size_t n = (size_t)snprintf(key, sizeof(key), "GET ");
    for (int i = 0; i < GW_ROUTE_SEGMENTS_MAX; i++)
        n += (size_t)snprintf(key + n, sizeof(key) - n, "/s");
    assert_int_equal(parse(key, &k), 0);
    assert_int_equal(k.nseg, GW_ROUTE_SEGMENTS_MAX);
    snprintf(key + n, sizeof(key) - n, "/s");
    assert_int_not_equal(parse(key, &k), 0);
    /* a key longer than GW_ROUTE_KEY_MAX is refused */
    memset(key, 'a', sizeof(key));
    memcpy(key, "GET /", 5);
    assert_int_not_equal(gw_route_key_parse(key, GW_ROUTE_KEY_MAX + 1, &k), 0);
    assert_int_equal(gw_route_key_parse(key, GW_ROUTE_KEY_MAX, &k), 0);
    /* input need not be NUL-terminated */
    char raw[8] = {'G', 'E', 'T', ' ', '/', 'x', 'Z', 'Z'};
    assert_int_equal(gw_route_key_parse(raw, 6, &k), 0);
    assert_string_equal(k.text, "GET /x");
}

/* Selection over a fixed table: returns the selected key text (or "-"). */
static const char *const table[] = {
    "GET /pets/dog/1",    "GET /pets/dog/{id}", "GET /pets/{proxy+}",
    "ANY /pets/{proxy+}", "ANY /{proxy+}",      "GET /",
    "POST /a/{x}/c",      "POST /a/b/{y}",      "$default",
};

static struct gw_route_key keys[sizeof(table) / sizeof(table[0])];
static const struct gw_route_key *ptrs[sizeof(table) / sizeof(table[0])];

static int setup_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (parse(table[i], &keys[i]) != 0)
            return -1;
        ptrs[i] = &keys[i];
    }
    return 0;
}

static const char *sel(size_t n, const char *method, const char *path, struct gw_match *m)
{
    int i = gw_route_select(ptrs, n, method, strlen(method), path, strlen(path), m);
    return i < 0 ? "-" : table[i];
}

static void test_selection_order(void **state)
{
    (void)state;
    struct gw_match m;
    size_t n = sizeof(table) / sizeof(table[0]);
    assert_string_equal(sel(n, "GET", "/pets/dog/1", &m), "GET /pets/dog/1");
    assert_int_equal(m.nparams, 0);
    assert_string_equal(sel(n, "GET", "/pets/dog/2", &m), "GET /pets/dog/{id}");
    assert_int_equal(m.nparams, 1);
    assert_memory_equal(m.params[0].name, "id", 2);
    assert_int_equal(m.params[0].value_len, 1);
    assert_memory_equal(m.params[0].value, "2", 1);
    assert_string_equal(sel(n, "GET", "/pets/cat/2/3", &m), "GET /pets/{proxy+}");
    assert_int_equal(m.params[0].value_len, 7);
    assert_memory_equal(m.params[0].value, "cat/2/3", 7);
    assert_string_equal(sel(n, "POST", "/pets/dog/1", &m), "ANY /pets/{proxy+}");
    assert_string_equal(sel(n, "DELETE", "/toys", &m), "ANY /{proxy+}");
    assert_string_equal(sel(n, "GET", "/pets", &m), "ANY /{proxy+}"); /* greedy needs one segment */
    assert_string_equal(sel(n, "GET", "/", &m), "GET /");
    assert_string_equal(sel(n, "POST", "/", &m), "$default");
    assert_int_equal(m.nparams, 0);
    /* the earlier literal segment decides: /a/b/{y} beats /a/{x}/c */
    assert_string_equal(sel(n, "POST", "/a/b/c", &m), "POST /a/b/{y}");
    assert_string_equal(sel(n, "POST", "/a/z/c", &m), "POST /a/{x}/c");
    /* without $default (the last entry) nothing matches a bare POST / */
    assert_string_equal(sel(n - 1, "POST", "/", &m), "-");
}

static void test_path_edges(void **state)
{
    (void)state;
    struct gw_match m;
    size_t n = 3; /* the three GET /pets routes only */
    assert_string_equal(sel(n, "GET", "/pets/dog/1/", &m), "GET /pets/{proxy+}");
    assert_string_equal(sel(n, "GET", "/pets/dog//", &m), "GET /pets/{proxy+}");
    assert_string_equal(sel(n, "GET", "/pets/", &m), "-");
    assert_string_equal(sel(n, "GET", "/pets//x", &m), "GET /pets/{proxy+}");
    assert_string_equal(sel(n, "GET", "", &m), "-");
    assert_string_equal(sel(n, "GET", "pets/dog/1", &m), "-");
    assert_string_equal(sel(n, "get", "/pets/dog/1", &m), "-"); /* methods are case-sensitive */
    /* an empty segment never matches a parameter */
    struct gw_route_key k;
    const struct gw_route_key *p = &k;
    assert_int_equal(parse("GET /a/{x}", &k), 0);
    assert_int_equal(gw_route_select(&p, 1, "GET", 3, "/a/", 3, &m), -1);
    assert_int_equal(gw_route_select(&p, 1, "GET", 3, "/a/v", 4, &m), 0);
    assert_int_equal(gw_route_select(&p, 1, "GET", 3, "/a/v/w", 6, &m), -1);
    assert_int_equal(gw_route_select(&p, 1, "GET", 3, "/a", 2, &m), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_keys),
        cmocka_unit_test(test_invalid_keys),
        cmocka_unit_test(test_limits),
        cmocka_unit_test_setup(test_selection_order, setup_table),
        cmocka_unit_test_setup(test_path_edges, setup_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
