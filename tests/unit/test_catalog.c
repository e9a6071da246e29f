/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for lambda/catalog.c: the sorted array stays in name order
 * through inserts, replacements and removals; catalog_after gives the right
 * ListFunctions page start for any marker; the code total adds up; and the
 * catalog holds exactly one reference per function (ASan's leak check and
 * the refs counters catch both leaks and early frees).
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
#include "catalog/catalog.h"
#include "catalog/function.h"

/* A new function called name (refs = 1) with size bytes of code. */
static struct function *make_fn(const char *name, int64_t size)
{
    char text[512], msg[1024];
    snprintf(text, sizeof(text),
             "{\"FunctionName\":\"%s\",\"Runtime\":\"python3.12\",\"Role\":"
             "\"arn:aws:iam::123456789012:role/r\",\"Handler\":\"app.handler\",\"Code\":{}}",
             name);
    cJSON *body = cJSON_Parse(text);
    assert_non_null(body);
    struct function *fn = NULL;
    int rc = function_from_create(body, "us-east-1", "123456789012", &fn, msg, sizeof(msg));
    cJSON_Delete(body);
    if (rc != 0)
        fail_msg("function_from_create(%s): %s", name, msg);
    if (size == 0)
        return fn;
    struct function *coded = function_with_code(fn, "00", "AA==", size);
    function_unref(fn);
    return coded;
}

static void check_sorted(const struct catalog *c)
{
    for (size_t i = 1; i < c->len; i++)
        if (strcmp(c->fns[i - 1]->name, c->fns[i]->name) >= 0)
            fail_msg("out of order at %zu: %s, %s", i, c->fns[i - 1]->name, c->fns[i]->name);
}

static void test_empty(void **state)
{
    (void)state;
    struct catalog c = {0};
    assert_null(catalog_find(&c, "x"));
    assert_int_equal(catalog_after(&c, ""), 0);
    assert_int_equal(catalog_after(&c, "x"), 0);
    assert_int_equal(catalog_code_bytes(&c), 0);
    catalog_remove(&c, "x"); /* absent: a no-op */
    catalog_fini(&c);
    catalog_fini(&c); /* twice is harmless: fini leaves an empty catalog */
}

static void test_put_find_order(void **state)
{
    (void)state;
    struct catalog c = {0};
    static const char *const names[] = {"m", "a", "z", "B", "b", "a-1", "a_1", "zz", "0"};
    enum { N = sizeof(names) / sizeof(names[0]) };
    for (size_t i = 0; i < N; i++) {
        struct function *fn = make_fn(names[i], 0);
        catalog_put(&c, fn);
        assert_int_equal(fn->refs, 2); /* ours and the catalog's */
        function_unref(fn);
        check_sorted(&c);
        assert_int_equal(c.len, i + 1);
    }
    static const char *const want[] = {"0", "B", "a", "a-1", "a_1", "b", "m", "z", "zz"};
    for (size_t i = 0; i < N; i++) {
        assert_string_equal(c.fns[i]->name, want[i]);
        struct function *f = catalog_find(&c, want[i]);
        assert_ptr_equal(f, c.fns[i]);
        assert_int_equal(f->refs, 1);
    }
    assert_null(catalog_find(&c, "A"));
    assert_null(catalog_find(&c, ""));
    assert_null(catalog_find(&c, "zzz"));
    assert_null(catalog_find(&c, "a-"));
    catalog_fini(&c);
    assert_int_equal(c.len, 0);
    assert_null(c.fns);
}

static void test_replace(void **state)
{
    (void)state;
    struct catalog c = {0};
    struct function *a = make_fn("a", 10), *b1 = make_fn("b", 20), *cc = make_fn("c", 30);
    catalog_put(&c, a);
    catalog_put(&c, b1);
    catalog_put(&c, cc);
    /* Keep our own reference to the old b, as an in-flight invocation would. */
    struct function *b2 = make_fn("b", 25);
    catalog_put(&c, b2);
    assert_int_equal(c.len, 3);
    assert_ptr_equal(catalog_find(&c, "b"), b2);
    assert_int_equal(b1->refs, 1); /* the catalog dropped its reference */
    assert_int_equal(b2->refs, 2);
    assert_string_equal(b1->name, "b"); /* and ours keeps it alive */
    assert_int_equal(catalog_code_bytes(&c), 10 + 25 + 30);
    check_sorted(&c);

    /* Putting the same snapshot again keeps it alive and counted once. */
    catalog_put(&c, b2);
    assert_int_equal(b2->refs, 2);
    assert_int_equal(c.len, 3);

    function_unref(a);
    function_unref(b1);
    function_unref(cc);
    function_unref(b2);
    catalog_fini(&c);
}

static void test_remove(void **state)
{
    (void)state;
    struct catalog c = {0};
    for (int i = 0; i < 10; i++) {
        char name[16];
        snprintf(name, sizeof(name), "fn%02d", i);
        struct function *fn = make_fn(name, i + 1);
        catalog_put(&c, fn);
        function_unref(fn);
    }
    assert_int_equal(catalog_code_bytes(&c), 55);
    struct function *keep = function_ref(catalog_find(&c, "fn00"));
    catalog_remove(&c, "fn00"); /* first */
    catalog_remove(&c, "fn09"); /* last */
    catalog_remove(&c, "fn04"); /* middle */
    catalog_remove(&c, "fn04"); /* again: a no-op */
    catalog_remove(&c, "nope");
    assert_int_equal(c.len, 7);
    check_sorted(&c);
    assert_null(catalog_find(&c, "fn00"));
    assert_null(catalog_find(&c, "fn04"));
    assert_null(catalog_find(&c, "fn09"));
    assert_non_null(catalog_find(&c, "fn05"));
    assert_int_equal(catalog_code_bytes(&c), 55 - 1 - 5 - 10);
    assert_int_equal(keep->refs, 1);
    function_unref(keep);
    catalog_fini(&c);
}

static void test_after(void **state)
{
    (void)state;
    struct catalog c = {0};
    static const char *const names[] = {"b", "d", "f"};
    for (size_t i = 0; i < 3; i++) {
        struct function *fn = make_fn(names[i], 0);
        catalog_put(&c, fn);
        function_unref(fn);
    }
    assert_int_equal(catalog_after(&c, ""), 0);  /* start */
    assert_int_equal(catalog_after(&c, "a"), 0); /* before all */
    assert_int_equal(catalog_after(&c, "b"), 1); /* a present marker is skipped */
    assert_int_equal(catalog_after(&c, "c"), 1); /* an absent one (deleted since) */
    assert_int_equal(catalog_after(&c, "d"), 2);
    assert_int_equal(catalog_after(&c, "e"), 2);
    assert_int_equal(catalog_after(&c, "f"), 3); /* last: an empty next page */
    assert_int_equal(catalog_after(&c, "g"), 3);
    catalog_fini(&c);
}

static void test_paging_many(void **state)
{
    (void)state;
    /* Past the initial capacity, inserted in a scrambled order; then walk
     * pages of 50 with markers, as ListFunctions does. */
    enum { N = 500, PAGE = 50 };
    struct catalog c = {0};
    int64_t total = 0;
    for (int i = 0; i < N; i++) {
        int k = (i * 263) % N; /* 263 is coprime with 500: a permutation */
        char name[16];
        snprintf(name, sizeof(name), "f%04d", k);
        struct function *fn = make_fn(name, k + 1);
        total += k + 1;
        catalog_put(&c, fn);
        function_unref(fn);
    }
    assert_int_equal(c.len, N);
    check_sorted(&c);
    assert_int_equal(catalog_code_bytes(&c), total);

    char marker[16] = "";
    int seen = 0, pages = 0;
    for (;;) {
        size_t start = catalog_after(&c, marker);
        if (start >= c.len)
            break;
        size_t end = start + PAGE < c.len ? start + PAGE : c.len;
        for (size_t i = start; i < end; i++) {
            char want[16];
            snprintf(want, sizeof(want), "f%04d", seen++);
            assert_string_equal(c.fns[i]->name, want);
        }
        snprintf(marker, sizeof(marker), "%s", c.fns[end - 1]->name);
        pages++;
    }
    assert_int_equal(seen, N);
    assert_int_equal(pages, N / PAGE);
    catalog_fini(&c);
}

/* Versions and aliases: lookup, routing by weight, numbers, and removal with
 * the function. */
static void test_versions_aliases(void **state)
{
    (void)state;
    struct catalog c = {0};
    struct function *latest = make_fn("f", 10);
    catalog_put(&c, latest);
    struct function *v1 = function_publish(latest, 1, NULL);
    struct function *v2 = function_publish(latest, 2, "two");
    catalog_add_version(&c, v1);
    catalog_add_version(&c, v2);
    assert_int_equal(catalog_versions(&c, "f")->last, 2);
    assert_ptr_equal(catalog_version(&c, "f", "2"), v2);
    assert_null(catalog_version(&c, "f", "3"));
    assert_string_equal(v2->description, "two");
    assert_string_equal(v1->source_revision, latest->revision_id);

    struct function *out = NULL;
    assert_int_equal(catalog_resolve(&c, "f", "", true, &out), 0);
    assert_ptr_equal(out, latest);
    assert_int_equal(catalog_resolve(&c, "f", "$LATEST", true, &out), 0);
    assert_ptr_equal(out, latest);
    assert_int_equal(catalog_resolve(&c, "f", "1", true, &out), 0);
    assert_ptr_equal(out, v1);
    assert_int_equal(catalog_resolve(&c, "f", "9", true, &out), ERR_NOT_FOUND);
    assert_int_equal(catalog_resolve(&c, "g", "", true, &out), ERR_NOT_FOUND);

    struct alias a = {.name = "BLUE", .version = "1", .extra_version = "2", .extra_weight = 0.25};
    catalog_put_alias(&c, "f", &a);
    assert_non_null(catalog_alias(&c, "f", "BLUE"));
    int to_v2 = 0;
    for (int i = 0; i < 4000; i++) {
        assert_int_equal(catalog_resolve(&c, "f", "BLUE", true, &out), 0);
        to_v2 += out == v2;
    }
    assert_in_range(to_v2, 800, 1200); /* 25 % of 4000, generous bounds */
    assert_int_equal(catalog_resolve(&c, "f", "BLUE", false, &out), 0);
    assert_ptr_equal(out, v1); /* no routing: the primary version */

    catalog_remove_version(&c, "f", "2");
    assert_null(catalog_version(&c, "f", "2"));
    assert_int_equal(catalog_versions(&c, "f")->last, 2); /* numbers are not reused */
    catalog_remove_alias(&c, "f", "BLUE");
    assert_null(catalog_alias(&c, "f", "BLUE"));
    catalog_remove(&c, "f");
    assert_null(catalog_versions(&c, "f"));
    function_unref(latest);
    function_unref(v1);
    function_unref(v2);
    catalog_fini(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_put_find_order),
        cmocka_unit_test(test_replace),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_after),
        cmocka_unit_test(test_paging_many),
        cmocka_unit_test(test_versions_aliases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
