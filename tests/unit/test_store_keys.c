/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for store/store_keys.c: the byte-comparable key encoding.
 * Tables of values in ascending order (numbers as DynamoDB orders N,
 * strings and binary by bytes) must encode to strictly ascending byte
 * strings under memcmp, equal values to equal bytes, composite keys must
 * order component by component, every encoding must decode to its
 * canonical text, and malformed input must be refused.
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

#include "store/store_keys.h"

struct enc {
    uint8_t b[256];
    size_t n;
};

static int cmp(const struct enc *a, const struct enc *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    int c = memcmp(a->b, b->b, n);
    return c != 0 ? c : a->n < b->n ? -1 : a->n > b->n ? 1 : 0;
}

static struct enc num(const char *s)
{
    struct enc e = {.n = 0};
    int rc = store_keys_put_number(e.b, sizeof(e.b), &e.n, s, strlen(s));
    if (rc != 0)
        fail_msg("store_keys_put_number(%s) = %d", s, rc);
    return e;
}

static struct enc str(const char *s, size_t n)
{
    struct enc e = {.n = 0};
    assert_int_equal(store_keys_put_string(e.b, sizeof(e.b), &e.n, s, n), 0);
    return e;
}

/* Ascending, and each with its canonical decoded text. */
static const struct {
    const char *in;
    const char *canon;
} numbers[] = {
    {"-1e125", "-1E+125"},
    {"-99999999999999999999999999999999999999", "-99999999999999999999999999999999999999"},
    {"-1000", "-1000"},
    {"-10", "-10"},
    {"-9.99", "-9.99"},
    {"-2.5", "-2.5"},
    {"-2.25", "-2.25"},
    {"-2", "-2"},
    {"-1", "-1"},
    {"-0.5", "-0.5"},
    {"-0.0001", "-0.0001"},
    {"-1E-130", "-1E-130"},
    {"0", "0"},
    {"1E-130", "1E-130"},
    {"0.0000001", "1E-7"},
    {"0.000001", "0.000001"},
    {"0.00001", "0.00001"},
    {"0.1", "0.1"},
    {"0.12", "0.12"},
    {"0.123", "0.123"},
    {"0.13", "0.13"},
    {"1", "1"},
    {"1.5", "1.5"},
    {"2", "2"},
    {"9", "9"},
    {"10", "10"},
    {"10.5", "10.5"},
    {"11", "11"},
    {"99", "99"},
    {"100", "100"},
    {"1e3", "1000"},
    {"1234.5678", "1234.5678"},
    {"12345678901234567890123456789012345678", "12345678901234567890123456789012345678"},
    {"1e50", "1E+50"},
    {"9.9999999999999999999999999999999999999E+125",
     "9.9999999999999999999999999999999999999E+125"},
};

static void test_number_order(void **state)
{
    (void)state;
    size_t n = sizeof(numbers) / sizeof(numbers[0]);
    for (size_t i = 0; i + 1 < n; i++) {
        struct enc a = num(numbers[i].in), b = num(numbers[i + 1].in);
        if (cmp(&a, &b) >= 0)
            fail_msg("%s does not sort before %s", numbers[i].in, numbers[i + 1].in);
    }
    /* every pair, not only neighbours */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            struct enc a = num(numbers[i].in), b = num(numbers[j].in);
            assert_true(cmp(&a, &b) < 0);
        }
}

static void test_number_decode_canonical(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        struct enc e = num(numbers[i].in);
        char out[STORE_KEYS_NUMBER_TEXT_MAX];
        size_t pos = 0, len = 0;
        int type = 0;
        assert_int_equal(store_keys_next(e.b, e.n, &pos, &type, out, sizeof(out), &len), 0);
        assert_int_equal(type, STORE_KEYS_NUMBER);
        assert_int_equal(pos, e.n);
        assert_string_equal(out, numbers[i].canon);
        assert_int_equal(len, strlen(numbers[i].canon));
        /* the canonical text encodes the same */
        struct enc again = num(out);
        assert_int_equal(cmp(&e, &again), 0);
    }
}

static void test_number_equal_forms(void **state)
{
    (void)state;
    static const char *const groups[][5] = {
        {"0", "-0", "0.000", "+0e10", "00"},
        {"1.50", "1.5", "15e-1", "0.15E1", "+001.5"},
        {"-10", "-1e1", "-10.0", "-0.1e2", "-010"},
        {"1000", "1e3", "1E+3", "1000.000", "0.001e6"},
    };
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
        struct enc first = num(groups[g][0]);
        for (size_t i = 1; i < 5; i++) {
            struct enc e = num(groups[g][i]);
            if (cmp(&first, &e) != 0)
                fail_msg("%s and %s encode differently", groups[g][0], groups[g][i]);
        }
    }
}

static void test_number_errors(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int rc;
    } bad[] = {
        {"", -EINVAL},         {"-", -EINVAL},
        {".", -EINVAL},        {"1..2", -EINVAL},
        {"1e", -EINVAL},       {"1e+", -EINVAL},
        {"e5", -EINVAL},       {"1 ", -EINVAL},
        {"0x10", -EINVAL},     {"--1", -EINVAL},
        {"NaN", -EINVAL},      {"1e99999", -ERANGE},
        {"1e-99999", -ERANGE}, {"123456789012345678901234567890123456789", -ERANGE}, /* 39 digits */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t b[64];
        size_t n = 0;
        int rc = store_keys_put_number(b, sizeof(b), &n, bad[i].in, strlen(bad[i].in));
        if (rc != bad[i].rc)
            fail_msg("\"%s\": %d, want %d", bad[i].in, rc, bad[i].rc);
        assert_int_equal(n, 0);
    }
    /* trailing zeros are not significant digits; 38 significant are fine */
    struct enc e = num("1234567890123456789012345678901234567800000");
    assert_true(e.n > 0);
    /* too small a buffer */
    uint8_t tiny[3];
    size_t n = 0;
    assert_int_equal(store_keys_put_number(tiny, sizeof(tiny), &n, "12", 2), -ENOBUFS);
    assert_int_equal(store_keys_put_string(tiny, sizeof(tiny), &n, "ab", 2), -ENOBUFS);
}

static void test_string_order(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t n;
    } strs[] = {
        {"", 0},     {"\0", 1},       {"\0\0", 2}, {"\x01", 1},     {"a", 1}, {"a\0", 2},
        {"a\0b", 3}, {"a\x01", 2},    {"ab", 2},   {"abc", 3},      {"b", 1}, {"ba", 2},
        {"z", 1},    {"\xc3\xa9", 2}, {"\xff", 1}, {"\xff\xff", 2},
    };
    size_t n = sizeof(strs) / sizeof(strs[0]);
    for (size_t i = 0; i < n; i++) {
        struct enc a = str(strs[i].s, strs[i].n);
        for (size_t j = i + 1; j < n; j++) {
            struct enc b = str(strs[j].s, strs[j].n);
            if (cmp(&a, &b) >= 0)
                fail_msg("string %zu does not sort before %zu", i, j);
        }
        /* and decodes back to the same bytes */
        char out[16];
        size_t pos = 0, len = 0;
        int type = 0;
        assert_int_equal(store_keys_next(a.b, a.n, &pos, &type, out, sizeof(out), &len), 0);
        assert_int_equal(type, STORE_KEYS_STRING);
        assert_int_equal(len, strs[i].n);
        assert_memory_equal(out, strs[i].s, len);
        assert_int_equal(pos, a.n);
    }
}

/* Composite keys (string, number): ordered by the first, then the second. */
static void test_composite_order(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        const char *n;
    } keys[] = {
        {"a", "-10"},   {"a", "-2.5"}, {"a", "0"},    {"a", "1e3"},
        {"ab", "-100"}, {"ab", "5"},   {"b", "-1e9"}, {"b", "0.5"},
    };
    struct enc e[8];
    for (size_t i = 0; i < 8; i++) {
        e[i].n = 0;
        assert_int_equal(
            store_keys_put_string(e[i].b, sizeof(e[i].b), &e[i].n, keys[i].s, strlen(keys[i].s)),
            0);
        assert_int_equal(
            store_keys_put_number(e[i].b, sizeof(e[i].b), &e[i].n, keys[i].n, strlen(keys[i].n)),
            0);
    }
    for (size_t i = 0; i + 1 < 8; i++)
        assert_true(cmp(&e[i], &e[i + 1]) < 0);
    /* decoding walks the components */
    size_t pos = 0, len;
    int type;
    char out[64];
    assert_int_equal(store_keys_next(e[5].b, e[5].n, &pos, &type, out, sizeof(out), &len), 0);
    assert_int_equal(type, STORE_KEYS_STRING);
    assert_string_equal(out, "ab");
    assert_int_equal(store_keys_next(e[5].b, e[5].n, &pos, &type, out, sizeof(out), &len), 0);
    assert_int_equal(type, STORE_KEYS_NUMBER);
    assert_string_equal(out, "5");
    assert_int_equal(pos, e[5].n);
    assert_int_equal(store_keys_next(e[5].b, e[5].n, &pos, &type, out, sizeof(out), &len), -EINVAL);
}

static void test_binary_and_prefix(void **state)
{
    (void)state;
    struct enc a = {.n = 0}, b = {.n = 0}, c = {.n = 0};
    assert_int_equal(store_keys_put_binary(a.b, sizeof(a.b), &a.n, "\x00\x01", 2), 0);
    assert_int_equal(store_keys_put_binary(b.b, sizeof(b.b), &b.n, "\x00\x02", 2), 0);
    assert_int_equal(store_keys_put_binary(c.b, sizeof(c.b), &c.n, "\x80", 1), 0);
    assert_true(cmp(&a, &b) < 0);
    assert_true(cmp(&b, &c) < 0);
    assert_int_equal(a.b[0], STORE_KEYS_BINARY);

    /* begins_with "ab": [prefix, prefix_end) holds "ab", "ab\0", "abc", not "ac" or "a" */
    struct enc p = {.n = 0}, end;
    assert_int_equal(store_keys_put_string_prefix(p.b, sizeof(p.b), &p.n, "ab", 2), 0);
    assert_int_equal(store_keys_prefix_end(p.b, p.n, end.b, &end.n), 0);
    static const struct {
        const char *s;
        size_t n;
        int in;
    } cases[] = {{"a", 1, 0},       {"ab", 2, 1}, {"ab\0", 3, 1}, {"abc", 3, 1},
                 {"abz\xff", 4, 1}, {"ac", 2, 0}, {"b", 1, 0}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct enc k = str(cases[i].s, cases[i].n);
        int in = cmp(&k, &p) >= 0 && cmp(&k, &end) < 0;
        assert_int_equal(in, cases[i].in);
    }
    uint8_t ff[2] = {0xff, 0xff}, out[2];
    size_t n;
    assert_int_equal(store_keys_prefix_end(ff, 2, out, &n), -ERANGE);
    uint8_t x[3] = {0x10, 0x20, 0xff};
    assert_int_equal(store_keys_prefix_end(x, 3, out, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(out[1], 0x21);
}

static void test_decode_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *b;
        size_t n;
    } bad[] = {
        {"", 0},
        {"\x99", 1}, /* unknown tag */
        {"\x30"
         "ab",
         3}, /* no terminator */
        {"\x30"
         "a\0",
         3}, /* cut escape */
        {"\x30"
         "a\0\x05",
         4},                                 /* bad escape */
        {"\x20", 1},                         /* no class */
        {"\x20\x07", 2},                     /* bad class */
        {"\x20\x03\x80", 3},                 /* cut exponent */
        {"\x20\x03\x80\x01\x02", 5},         /* no terminator */
        {"\x20\x03\x80\x01\x00", 5},         /* no digits */
        {"\x20\x03\x80\x01\x01\x00", 6},     /* leading zero digit: not canonical */
        {"\x20\x03\x80\x01\x02\x01\x00", 7}, /* trailing zero digit */
        {"\x20\x03\x80\x01\x0c\x00", 6},     /* digit out of range */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t pos = 0, len = 0;
        int type = 0;
        char out[64];
        int rc = store_keys_next((const uint8_t *)bad[i].b, bad[i].n, &pos, &type, out, sizeof(out),
                                 &len);
        if (rc != -EINVAL)
            fail_msg("case %zu: %d", i, rc);
        assert_int_equal(pos, 0);
    }
    struct enc e = str("hello", 5);
    size_t pos = 0, len;
    int type;
    char small[4];
    assert_int_equal(store_keys_next(e.b, e.n, &pos, &type, small, sizeof(small), &len), -ENOBUFS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_number_order),       cmocka_unit_test(test_number_decode_canonical),
        cmocka_unit_test(test_number_equal_forms), cmocka_unit_test(test_number_errors),
        cmocka_unit_test(test_string_order),       cmocka_unit_test(test_composite_order),
        cmocka_unit_test(test_binary_and_prefix),  cmocka_unit_test(test_decode_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
