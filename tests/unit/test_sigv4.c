/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for aws/sigv4.c: the Authorization header and presigned query
 * forms from AWS's Signature Version 4 documentation (the S3 examples with
 * AKIAIOSFODNN7EXAMPLE), the separators botocore and the JS SDK write, and
 * malformed variants. Table-driven.
 */
#include <errno.h>
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

#include "aws/sigv4.h"
#include "fake_req.h"

#define SIG_DOC  "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
#define CRED_DOC "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"

struct header_case {
    const char *value;
    int rc;
    const char *service, *region, *signed_headers;
};

static const struct header_case header_cases[] = {
    /* AWS's documentation writes no spaces after the commas. */
    {"AWS4-HMAC-SHA256 Credential=" CRED_DOC
     ",SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=" SIG_DOC,
     0, "s3", "us-east-1", "host;range;x-amz-content-sha256;x-amz-date"},
    /* botocore writes ", ". */
    {"AWS4-HMAC-SHA256 Credential=test/20240101/eu-west-1/lambda/aws4_request, "
     "SignedHeaders=host;x-amz-date, Signature=" SIG_DOC,
     0, "lambda", "eu-west-1", "host;x-amz-date"},
    {"AWS4-HMAC-SHA256 Credential=k/20240101/us-east-1/execute-api/aws4_request, "
     "SignedHeaders=host, Signature=" SIG_DOC,
     0, "execute-api", "us-east-1", "host"},
    /* Order of the parts does not matter. */
    {"AWS4-HMAC-SHA256 Signature=" SIG_DOC ", SignedHeaders=host, Credential=" CRED_DOC, 0, "s3",
     "us-east-1", "host"},
    {"AWS4-HMAC-SHA1 Credential=" CRED_DOC ", SignedHeaders=host, Signature=" SIG_DOC, -EINVAL,
     NULL, NULL, NULL},
    {"AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=", -EINVAL, NULL, NULL, NULL},
    {"AWS4-HMAC-SHA256", -EINVAL, NULL, NULL, NULL},
    {"AWS4-HMAC-SHA256 ", -EINVAL, NULL, NULL, NULL},
    {"AWS4-HMAC-SHA256 Credential=" CRED_DOC ", SignedHeaders=host", -EINVAL, NULL, NULL, NULL},
    {"AWS4-HMAC-SHA256 Credential=" CRED_DOC ", Signature=" SIG_DOC, -EINVAL, NULL, NULL, NULL},
    {"AWS4-HMAC-SHA256 Credential=a/20130524/us-east-1/s3, SignedHeaders=host, Signature=" SIG_DOC,
     -EINVAL, NULL, NULL, NULL},
    {"AWS4-HMAC-SHA256 Credential=a/2013052/us-east-1/s3/aws4_request, SignedHeaders=host, "
     "Signature=" SIG_DOC,
     -EINVAL, NULL, NULL, NULL},
    {"AWS4-HMAC-SHA256 Credential=a/20130524/us-east-1/s3/aws4_request/x, SignedHeaders=host, "
     "Signature=" SIG_DOC,
     -EINVAL, NULL, NULL, NULL},
    {"AWS4-HMAC-SHA256 Credential=/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, "
     "Signature=" SIG_DOC,
     -EINVAL, NULL, NULL, NULL},
    {"AWS4-HMAC-SHA256 Credential=" CRED_DOC ", SignedHeaders=host, Signature=XYZ", -EINVAL, NULL,
     NULL, NULL},
    {"AWS4-HMAC-SHA256 Credential=" CRED_DOC ", SignedHeaders=host, Signature=" SIG_DOC ", Extra=1",
     -EINVAL, NULL, NULL, NULL},
    {"AWS4-HMAC-SHA256 Credential=" CRED_DOC ", Credential=" CRED_DOC
     ", SignedHeaders=host, Signature=" SIG_DOC,
     -EINVAL, NULL, NULL, NULL},
    {"AWS4-HMAC-SHA256 Credential=a/20130524/US-EAST-1/s3/aws4_request, SignedHeaders=host, "
     "Signature=" SIG_DOC,
     -EINVAL, NULL, NULL, NULL},
};

static void test_header(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(header_cases) / sizeof(header_cases[0]); i++) {
        const struct header_case *c = &header_cases[i];
        struct sigv4 s;
        int rc = sigv4_parse_header(c->value, strlen(c->value), &s);
        if (rc != c->rc)
            fail_msg("case %zu (%s): rc %d, want %d", i, c->value, rc, c->rc);
        if (rc != 0)
            continue;
        assert_false(s.presigned);
        assert_string_equal(s.service, c->service);
        assert_string_equal(s.region, c->region);
        assert_string_equal(s.signed_headers, c->signed_headers);
        assert_string_equal(s.signature, SIG_DOC);
        assert_int_equal(strlen(s.date), 8);
    }
}

#define PRESIGNED_DOC                                                                              \
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-" \
    "1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-"                 \
    "SignedHeaders=host&X-Amz-Signature="                                                          \
    "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"

static void test_query(void **state)
{
    (void)state;
    struct sigv4 s;
    const char *q = PRESIGNED_DOC;
    assert_int_equal(sigv4_parse_query(q, strlen(q), &s), 0);
    assert_true(s.presigned);
    assert_string_equal(s.access_key, "AKIAIOSFODNN7EXAMPLE");
    assert_string_equal(s.date, "20130524");
    assert_string_equal(s.region, "us-east-1");
    assert_string_equal(s.service, "s3");
    assert_string_equal(s.amz_date, "20130524T000000Z");
    assert_int_equal(s.expires_s, 86400);
    assert_string_equal(s.signed_headers, "host");
    static const struct {
        const char *q;
        int rc;
    } bad[] = {
        {"prefix=a&max-keys=2", -ENOENT},
        {"X-Amz-Algorithm=AWS4-HMAC-SHA1", -EINVAL},
        {"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x", -EINVAL},
        {"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-"
         "east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=604801&X-Amz-"
         "SignedHeaders=host&X-Amz-Signature="
         "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
         -EINVAL},
        {"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-"
         "east-1%2Fs3%2Faws4_request&X-Amz-Date=2013&X-Amz-SignedHeaders=host&X-Amz-Signature="
         "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
         -EINVAL},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (sigv4_parse_query(bad[i].q, strlen(bad[i].q), &s) != bad[i].rc)
            fail_msg("case %zu (%s): want %d", i, bad[i].q, bad[i].rc);
}

static void test_request(void **state)
{
    (void)state;
    h2o_req_t req;
    char buf[64];
    struct fake_header h[] = {{"authorization", header_cases[1].value}, {NULL, NULL}};
    fake_req(&req, "POST", "127.0.0.1", "/2015-03-31/functions", h, "{}");
    assert_int_equal(sigv4_service(&req, buf, sizeof(buf)), 6);
    assert_string_equal(buf, "lambda");
    fake_req_free(&req);
    fake_req(&req, "GET", "127.0.0.1", "/bucket/key?" PRESIGNED_DOC, NULL, NULL);
    assert_int_equal(sigv4_service(&req, buf, sizeof(buf)), 2);
    assert_string_equal(buf, "s3");
    fake_req_free(&req);
    fake_req(&req, "GET", "127.0.0.1", "/bucket/key?list-type=2", NULL, NULL);
    struct sigv4 s;
    assert_int_equal(sigv4_of_request(&req, &s), -ENOENT);
    assert_int_equal(sigv4_service(&req, buf, sizeof(buf)), -1);
    fake_req_free(&req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
