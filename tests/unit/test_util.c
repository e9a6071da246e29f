/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for base/util.c (base64, percent-decoding, random identifiers,
 * AWS timestamp formats) and base/err.c (the error table lookups). Pure
 * functions over caller buffers: no fixtures, no files.
 */
#include <ctype.h>
#include <errno.h>
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

#include "base/err.h"
#include "base/util.h"

/* 2020-04-10T19:06:32.563Z in epoch milliseconds. */
#define KNOWN_MS ((int64_t)1586545592563)

/* ---- base64 ---- */

struct b64_vector {
    const char *plain;
    const char *encoded;
};

/* RFC 4648 section 10. */
static const struct b64_vector rfc4648[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

#define NVEC (sizeof(rfc4648) / sizeof(rfc4648[0]))

static void test_b64_encode_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < NVEC; i++) {
        char out[b64_encoded_len(6)];
        size_t n = b64_encode(rfc4648[i].plain, strlen(rfc4648[i].plain), out);
        assert_int_equal(n, strlen(rfc4648[i].encoded));
        assert_string_equal(out, rfc4648[i].encoded);
    }
}

static void test_b64_decode_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < NVEC; i++) {
        unsigned char *out = NULL;
        size_t outlen = 99;
        const char *enc = rfc4648[i].encoded;
        assert_int_equal(b64_decode(enc, strlen(enc), &out, &outlen), 0);
        assert_non_null(out);
        assert_int_equal(outlen, strlen(rfc4648[i].plain));
        assert_memory_equal(out, rfc4648[i].plain, outlen);
        free(out);
    }
}

static void test_b64_roundtrip_binary(void **state)
{
    (void)state;
    unsigned char in[259];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (unsigned char)(i * 7 + 3);
    /* Every length 0..259 exercises all three tail cases and every byte value. */
    for (size_t len = 0; len <= sizeof(in); len++) {
        char enc[b64_encoded_len(sizeof(in))];
        size_t n = b64_encode(in, len, enc);
        assert_int_equal(n, (len + 2) / 3 * 4);
        assert_int_equal(strlen(enc), n);
        unsigned char *dec = NULL;
        size_t declen = 0;
        assert_int_equal(b64_decode(enc, n, &dec, &declen), 0);
        assert_int_equal(declen, len);
        if (len > 0)
            assert_memory_equal(dec, in, len);
        free(dec);
    }
}

static void test_b64_alphabet(void **state)
{
    (void)state;
    /* 0xfb 0xff 0xbf uses both '+' and '/'. */
    const unsigned char in[] = {0xfb, 0xff, 0xbf};
    char out[b64_encoded_len(3)];
    assert_int_equal(b64_encode(in, 3, out), 4);
    assert_string_equal(out, "+/+/");
}

static void test_b64_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "Zg=",      /* length not a multiple of 4 */
        "Z",        /* too short */
        "Zm9vY",    /* 5 characters */
        "Zm9v\n",   /* whitespace is not allowed */
        "Zm 9",     /* inner space */
        "Zm9-",     /* URL-safe alphabet is not the standard one */
        "Zm9_",     /* idem */
        "Z===",     /* three padding characters */
        "====",     /* only padding */
        "Zg==Zg==", /* padding in the middle */
        "Z=g=",     /* padding before data */
        "Zg=A",     /* data after padding */
        "Zm9v!A==", /* bad character */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        static unsigned char sentinel[] = "untouched";
        unsigned char *out = sentinel;
        size_t outlen = 12345;
        int rc = b64_decode(bad[i], strlen(bad[i]), &out, &outlen);
        if (rc != -EINVAL)
            fail_msg("b64_decode(\"%s\") = %d, want -EINVAL", bad[i], rc);
        /* Out-params are written only on success. */
        assert_ptr_equal(out, sentinel);
        assert_int_equal(outlen, 12345);
    }
}

static void test_b64_decode_uses_len(void **state)
{
    (void)state;
    /* Only the first len bytes count; what follows must not be read. */
    unsigned char *out = NULL;
    size_t outlen = 0;
    assert_int_equal(b64_decode("Zm9v!!!!", 4, &out, &outlen), 0);
    assert_int_equal(outlen, 3);
    assert_memory_equal(out, "foo", 3);
    free(out);
}

/* ---- percent-decoding ---- */

static void test_pct_decode_ok(void **state)
{
    (void)state;
    char out[64];
    const char *in = "arn%3Aaws%3Alambda";
    assert_int_equal(pct_decode(in, strlen(in), out), (int)strlen("arn:aws:lambda"));
    assert_string_equal(out, "arn:aws:lambda");

    in = "fn%3A%24LATEST";
    assert_int_equal(pct_decode(in, strlen(in), out), 10);
    assert_string_equal(out, "fn:$LATEST");

    in = "%2f%2F%7e";
    assert_int_equal(pct_decode(in, strlen(in), out), 3);
    assert_string_equal(out, "//~");

    in = "plain-name_1";
    assert_int_equal(pct_decode(in, strlen(in), out), (int)strlen(in));
    assert_string_equal(out, in);

    assert_int_equal(pct_decode("", 0, out), 0);
    assert_string_equal(out, "");

    /* '+' is not a space in a path. */
    assert_int_equal(pct_decode("a+b", 3, out), 3);
    assert_string_equal(out, "a+b");

    /* A whole escape at the very end. */
    assert_int_equal(pct_decode("ab%41", 5, out), 3);
    assert_string_equal(out, "abA");

    /* Only len bytes are decoded. */
    assert_int_equal(pct_decode("abc%41", 3, out), 3);
    assert_string_equal(out, "abc");
}

static void test_pct_decode_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "%",     "%4", "abc%4", "%zz", "%4g", "%g4", "a%%b", "%00", /* a NUL byte is rejected */
        "x%00y",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char out[16];
        int rc = pct_decode(bad[i], strlen(bad[i]), out);
        if (rc != -EINVAL)
            fail_msg("pct_decode(\"%s\") = %d, want -EINVAL", bad[i], rc);
    }
    /* A raw NUL inside the given length is rejected too. */
    char out[8];
    assert_int_equal(pct_decode("a\0b", 3, out), -EINVAL);
    /* "%41" truncated by len to "%4". */
    assert_int_equal(pct_decode("%41", 2, out), -EINVAL);
}

/* ---- random identifiers ---- */

static void check_uuid(const char *u)
{
    assert_int_equal(strlen(u), 36);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            assert_int_equal(u[i], '-');
        } else {
            assert_true(isxdigit((unsigned char)u[i]));
            assert_false(isupper((unsigned char)u[i]));
        }
    }
    assert_int_equal(u[14], '4');           /* version 4 */
    assert_non_null(strchr("89ab", u[19])); /* RFC 4122 variant: 10xx */
}

static void test_rand_uuid(void **state)
{
    (void)state;
    char a[37], b[37];
    memset(a, 'x', sizeof(a));
    rand_uuid(a);
    check_uuid(a);
    for (int i = 0; i < 200; i++) {
        rand_uuid(b);
        check_uuid(b);
        assert_string_not_equal(a, b);
    }
}

static void test_rand_hex(void **state)
{
    (void)state;
    /* Lengths around the 64-byte internal chunk. */
    static const size_t sizes[] = {0, 1, 8, 16, 63, 64, 65, 128, 200};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        size_t n = sizes[k];
        char *buf = malloc(2 * n + 2);
        assert_non_null(buf);
        memset(buf, '#', 2 * n + 2);
        rand_hex(buf, n);
        assert_int_equal(strlen(buf), 2 * n);
        for (size_t i = 0; i < 2 * n; i++)
            assert_non_null(strchr("0123456789abcdef", buf[i]));
        assert_int_equal(buf[2 * n + 1], '#'); /* nothing written past the NUL */
        free(buf);
    }
    char x[33], y[33];
    rand_hex(x, 16);
    rand_hex(y, 16);
    assert_string_not_equal(x, y);
}

/* ---- time formats ---- */

static void test_time_formats(void **state)
{
    (void)state;
    char out[32];
    time_fmt_lastmod(KNOWN_MS, out);
    assert_string_equal(out, "2020-04-10T19:06:32.563+0000");
    assert_int_equal(strlen(out), 28);
    time_fmt_iso(KNOWN_MS, out);
    assert_string_equal(out, "2020-04-10T19:06:32.563Z");

    /* Milliseconds are zero-padded. */
    time_fmt_lastmod(KNOWN_MS - 563 + 7, out);
    assert_string_equal(out, "2020-04-10T19:06:32.007+0000");
    time_fmt_iso(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    /* A leap day. */
    time_fmt_iso((int64_t)951782400000 + 999, out);
    assert_string_equal(out, "2000-02-29T00:00:00.999Z");
}

static void test_clocks(void **state)
{
    (void)state;
    int64_t wall = clock_ms();
    assert_true(wall > KNOWN_MS); /* later than 2020 */
    int64_t a = clock_mono_us();
    int64_t b = clock_mono_us();
    assert_true(b >= a);
}

/* ---- err ---- */

static void test_err_table(void **state)
{
    (void)state;
    assert_string_equal(err_name(ERR_NOT_FOUND), "ERR_NOT_FOUND");
    assert_string_equal(err_str(ERR_NOT_FOUND), "resource not found");
    assert_int_equal(err_http_status(ERR_NOT_FOUND), 404);
    assert_string_equal(err_aws_type(ERR_NOT_FOUND), "ResourceNotFoundException");
    assert_string_equal(err_msg_key(ERR_NOT_FOUND), "Message");

    assert_string_equal(err_name(ERR_VALIDATION), "ERR_VALIDATION");
    assert_int_equal(err_http_status(ERR_VALIDATION), 400);
    assert_string_equal(err_aws_type(ERR_VALIDATION), "ValidationException");
    assert_string_equal(err_msg_key(ERR_VALIDATION), "message");

    assert_int_equal(err_http_status(ERR_TOO_MANY_REQUESTS), 429);
    assert_string_equal(err_aws_type(ERR_TOO_MANY_REQUESTS), "TooManyRequestsException");
    assert_int_equal(err_http_status(ERR_RT_INVALID_STATE), 403);
    assert_string_equal(err_msg_key(ERR_RT_INVALID_STATE), "errorMessage");

    /* Every project code is <= -1000 so it never collides with -errno. */
    assert_true(ERR_INVALID_PARAMETER <= -1000);
}

static void test_err_errno(void **state)
{
    (void)state;
    assert_string_equal(err_name(-ENOENT), "ENOENT");
    assert_string_equal(err_str(-ENOENT), "No such file or directory");
    assert_int_equal(err_http_status(-ENOENT), 500);
    assert_string_equal(err_aws_type(-ENOENT), "ServiceException");
    assert_string_equal(err_msg_key(-ENOENT), "Message");
    assert_string_equal(err_name(-EINVAL), "EINVAL");
}

static void test_err_unknown(void **state)
{
    (void)state;
    /* Never NULL, whatever the code. */
    static const int codes[] = {0, 1, -999, -4095, -4096, -100000, 123456};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        assert_non_null(err_name(codes[i]));
        assert_non_null(err_str(codes[i]));
        assert_non_null(err_aws_type(codes[i]));
        assert_non_null(err_msg_key(codes[i]));
    }
    assert_string_equal(err_name(-100000), "EUNKNOWN");
    assert_string_equal(err_str(-100000), "unknown error");
    assert_int_equal(err_http_status(-100000), 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64_encode_vectors),
        cmocka_unit_test(test_b64_decode_vectors),
        cmocka_unit_test(test_b64_roundtrip_binary),
        cmocka_unit_test(test_b64_alphabet),
        cmocka_unit_test(test_b64_malformed),
        cmocka_unit_test(test_b64_decode_uses_len),
        cmocka_unit_test(test_pct_decode_ok),
        cmocka_unit_test(test_pct_decode_bad),
        cmocka_unit_test(test_rand_uuid),
        cmocka_unit_test(test_rand_hex),
        cmocka_unit_test(test_time_formats),
        cmocka_unit_test(test_clocks),
        cmocka_unit_test(test_err_table),
        cmocka_unit_test(test_err_errno),
        cmocka_unit_test(test_err_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
