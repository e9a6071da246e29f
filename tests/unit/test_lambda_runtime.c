/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for runtimes/c/lambda_runtime.c: the HTTP/1.1 response parser
 * (fed whole and byte by byte, into buffers sized exactly to what was fed so
 * that AddressSanitizer catches any read past the data), the error-document
 * JSON escaping, and the client loop against a scripted Runtime API server
 * that runs in a thread on 127.0.0.1:0. The server only records what it
 * receives; all assertions run on the main thread after it is joined.
 */
/* cmocka.h needs these four first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "lambda_runtime.h"
#include "lambda_runtime_http.h"

#define HEAD_MAX LAMBDA_RUNTIME_HEAD_MAX_BYTES
#define BODY_MAX LAMBDA_RUNTIME_BODY_MAX_BYTES

/* ---------------------------------------------------------------------------
 * Parser helpers
 */

struct parsed {
    struct lambda_http_parser p;
    char *buf;  /* owned; exactly len bytes (plus nothing) */
    size_t len; /* bytes */
    int rc;
};

/*
 * Feeds in[0..n) step bytes at a time. After each step the buffer is copied
 * into a fresh allocation of exactly the bytes held, so reading past them is
 * an ASan error. With at_eof, running out of input reports EOF to the parser.
 */
static void feed(struct parsed *r, const char *in, size_t n, size_t step, size_t head_max,
                 size_t body_max, bool at_eof)
{
    size_t fed = 0;

    memset(r, 0, sizeof(*r));
    r->buf = malloc(1);
    assert_non_null(r->buf);
    lambda_runtime_http_init(&r->p, head_max, body_max);
    for (;;) {
        size_t k;
        char *nb;

        r->rc = lambda_runtime_http_parse(&r->p, r->buf, &r->len);
        if (r->rc != 0)
            return;
        if (fed == n) {
            if (at_eof)
                r->rc = lambda_runtime_http_eof(&r->p, r->len);
            return;
        }
        k = n - fed < step ? n - fed : step;
        nb = malloc(r->len + k);
        assert_non_null(nb);
        memcpy(nb, r->buf, r->len);
        memcpy(nb + r->len, in + fed, k);
        free(r->buf);
        r->buf = nb;
        r->len += k;
        fed += k;
    }
}

static void feed_str(struct parsed *r, const char *in, size_t step)
{
    feed(r, in, strlen(in), step, HEAD_MAX, BODY_MAX, false);
}

/* Like feed_str, with EOF after the input and a body limit. */
static void feed_eof(struct parsed *r, const char *in, size_t step, size_t body_max)
{
    feed(r, in, strlen(in), step, HEAD_MAX, body_max, true);
}

static void parsed_free(struct parsed *r)
{
    free(r->buf);
    r->buf = NULL;
}

static void assert_body(const struct parsed *r, const char *want)
{
    assert_int_equal(r->rc, 1);
    assert_int_equal(r->p.body_len, strlen(want));
    assert_memory_equal(r->buf + r->p.body_off, want, strlen(want));
}

/* Parses in at every step size from 1 to 9 and whole, expecting rc (and body when rc is 1). */
static void expect_all_steps(const char *in, int rc, const char *body)
{
    size_t steps[] = {1, 2, 3, 5, 7, 9, 4096};
    size_t i;

    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        struct parsed r;
        feed_str(&r, in, steps[i]);
        if (r.rc != rc)
            fail_msg("step %zu: rc %d, want %d for %s", steps[i], r.rc, rc, in);
        if (rc == 1 && body != NULL)
            assert_body(&r, body);
        parsed_free(&r);
    }
}

/* ---------------------------------------------------------------------------
 * Parser tests
 */

static void test_parse_complete(void **state)
{
    static const char in[] = "HTTP/1.1 202 Accepted\r\n"
                             "Content-Type: application/json\r\n"
                             "Content-Length: 15\r\n"
                             "\r\n"
                             "{\"status\":\"OK\"}";
    struct parsed r;

    (void)state;
    feed_str(&r, in, sizeof(in));
    assert_body(&r, "{\"status\":\"OK\"}");
    assert_int_equal(r.p.status, 202);
    assert_int_equal(r.p.minor_version, 1);
    assert_true(r.p.keep_alive);
    assert_int_equal(r.p.msg_len, sizeof(in) - 1);
    assert_int_equal(r.p.head_len, sizeof(in) - 1 - 15);
    parsed_free(&r);
}

static void test_parse_split_reads(void **state)
{
    (void)state;
    expect_all_steps("HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: abc\r\n"
                     "Content-Length: 11\r\n\r\nhello world",
                     1, "hello world");
    expect_all_steps("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n",
                     1, "hello world");
    /* No reason phrase at all, and an empty reason phrase. */
    expect_all_steps("HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx", 1, "x");
    expect_all_steps("HTTP/1.1 200 \r\nContent-Length: 1\r\n\r\nx", 1, "x");
}

static void test_parse_incomplete(void **state)
{
    struct parsed r;

    (void)state;
    /* No blank line yet: the parser wants more, and EOF there is a truncation. */
    feed_str(&r, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", 1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(lambda_runtime_http_eof(&r.p, r.len), -ECONNRESET);
    parsed_free(&r);
    /* Body shorter than Content-Length. */
    feed_eof(&r, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", 3, BODY_MAX);
    assert_int_equal(r.rc, -ECONNRESET);
    parsed_free(&r);
    /* Nothing at all. */
    feed_eof(&r, "", 1, BODY_MAX);
    assert_int_equal(r.rc, -ECONNRESET);
    parsed_free(&r);
    /* Chunked body cut off before the last chunk. */
    feed_eof(&r, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", 4, BODY_MAX);
    assert_int_equal(r.rc, -ECONNRESET);
    parsed_free(&r);
}

static void test_parse_chunked(void **state)
{
    struct parsed r;
    static const char in[] = "HTTP/1.1 200 OK\r\n"
                             "transfer-encoding: Chunked\r\n"
                             "\r\n"
                             "4\r\nWiki\r\n"
                             "5;name=value\r\npedia\r\n"
                             "E ; x\r\n in\r\n\r\nchunks.\r\n"
                             "0\r\n"
                             "X-Trailer: yes\r\n"
                             "\r\n";

    (void)state;
    expect_all_steps(in, 1, "Wikipedia in\r\n\r\nchunks.");
    feed_str(&r, in, 1);
    /* Decoding compacts the buffer: the body follows the head and nothing is left over. */
    assert_int_equal(r.p.body_off, r.p.head_len);
    assert_int_equal(r.p.msg_len, r.p.body_off + r.p.body_len);
    assert_int_equal(r.len, r.p.msg_len);
    assert_true(r.p.keep_alive);
    parsed_free(&r);
    /* Upper-case hex and leading zeros. */
    expect_all_steps("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "000A\r\n0123456789\r\n00\r\n\r\n",
                     1, "0123456789");
    /* An empty chunked body. */
    expect_all_steps("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 1, "");
}

static void test_parse_chunked_errors(void **state)
{
    static const char *const bad[] = {
        /* not hex */
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        /* empty size line */
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
        /* data longer than announced */
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n",
        /* LF without CR after data */
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n",
        /* junk after the size */
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3 x\r\nabc\r\n0\r\n\r\n",
        /* a bad trailer */
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nno colon\r\n\r\n",
        /* codings other than chunked */
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        /* both framings at once */
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        /* two Transfer-Encoding headers */
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_all_steps(bad[i], -EBADMSG, NULL);
}

static void test_parse_chunked_limits(void **state)
{
    static const char two_chunks[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                     "5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n";
    static const char huge[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "ffffffffffffffffffffffffffffffff\r\n";
    static const char trailer[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  "2\r\nok\r\n0\r\nX-T: 0123456789\r\n\r\n";
    char *in;
    size_t n, i;
    struct parsed r;

    (void)state;
    /* The decoded body may not pass body_max, whatever the chunking. */
    feed(&r, two_chunks, sizeof(two_chunks) - 1, 1, HEAD_MAX, 10, false);
    assert_int_equal(r.rc, -EMSGSIZE);
    parsed_free(&r);
    feed(&r, two_chunks, sizeof(two_chunks) - 1, 1, HEAD_MAX, 11, false);
    assert_body(&r, "helloworld!");
    parsed_free(&r);
    /* A size that would overflow size_t is refused, not wrapped. */
    feed(&r, huge, sizeof(huge) - 1, 7, HEAD_MAX, BODY_MAX, false);
    assert_int_equal(r.rc, -EMSGSIZE);
    parsed_free(&r);

    /* A chunk-size line (extensions included) may not grow without bound. */
    n = 48 + LAMBDA_RUNTIME_CHUNK_LINE_MAX_BYTES + 16;
    in = malloc(n);
    assert_non_null(in);
    memcpy(in, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;", 49);
    for (i = 49; i < n; i++)
        in[i] = 'x';
    feed(&r, in, n, 512, HEAD_MAX, BODY_MAX, false);
    assert_int_equal(r.rc, -EMSGSIZE);
    parsed_free(&r);
    free(in);

    /* Trailers count against head_max: the head is 47 bytes, the trailers 17 + 2. */
    feed(&r, trailer, sizeof(trailer) - 1, 3, 66, BODY_MAX, false);
    assert_body(&r, "ok");
    parsed_free(&r);
    feed(&r, trailer, sizeof(trailer) - 1, 3, 65, BODY_MAX, false);
    assert_int_equal(r.rc, -EMSGSIZE);
    parsed_free(&r);
    feed(&r, trailer, sizeof(trailer) - 1, 4096, 65, BODY_MAX, false);
    assert_int_equal(r.rc, -EMSGSIZE);
    parsed_free(&r);
}

/* Builds a response whose head is exactly head_len bytes (one big X-Pad header). */
static char *make_big_head(size_t head_len, size_t *n)
{
    static const char pre[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Pad: ";
    size_t pad = head_len - (sizeof(pre) - 1) - 4;
    char *s = malloc(head_len);

    assert_non_null(s);
    memcpy(s, pre, sizeof(pre) - 1);
    memset(s + sizeof(pre) - 1, 'a', pad);
    memcpy(s + sizeof(pre) - 1 + pad, "\r\n\r\n", 4);
    *n = head_len;
    return s;
}

static void test_parse_head_limits(void **state)
{
    struct parsed r;
    size_t n;
    char *in;

    (void)state;
    in = make_big_head(HEAD_MAX, &n);
    feed(&r, in, n, 4096, HEAD_MAX, BODY_MAX, false);
    assert_body(&r, "");
    assert_int_equal(r.p.head_len, HEAD_MAX);
    parsed_free(&r);
    free(in);

    in = make_big_head(HEAD_MAX + 1, &n);
    feed(&r, in, n, 4096, HEAD_MAX, BODY_MAX, false);
    assert_int_equal(r.rc, -EMSGSIZE);
    parsed_free(&r);
    free(in);

    /* A head that never ends fails as soon as head_max bytes have arrived. */
    in = make_big_head(HEAD_MAX + 1000, &n);
    feed(&r, in, HEAD_MAX, 1000, HEAD_MAX, BODY_MAX, false);
    assert_int_equal(r.rc, -EMSGSIZE);
    parsed_free(&r);
    free(in);
}

static void test_parse_body_limits(void **state)
{
    char head[128];
    char *in;
    struct parsed r;
    int hn;

    (void)state;
    /* Content-Length above the limit fails on the head alone. */
    hn = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n",
                  BODY_MAX + 1);
    feed(&r, head, (size_t)hn, 5, HEAD_MAX, BODY_MAX, false);
    assert_int_equal(r.rc, -EMSGSIZE);
    parsed_free(&r);
    feed_str(&r, "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999999999\r\n\r\n", 64);
    assert_int_equal(r.rc, -EMSGSIZE);
    parsed_free(&r);

    /* Exactly the limit is accepted, and the parser asks for the whole message up front. */
    hn = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", BODY_MAX);
    in = malloc((size_t)hn + BODY_MAX);
    assert_non_null(in);
    memcpy(in, head, (size_t)hn);
    memset(in + hn, 'e', BODY_MAX);
    feed(&r, in, (size_t)hn, 4096, HEAD_MAX, BODY_MAX, false);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.p.want, (size_t)hn + BODY_MAX);
    parsed_free(&r);
    feed(&r, in, (size_t)hn + BODY_MAX, 1 << 20, HEAD_MAX, BODY_MAX, false);
    assert_int_equal(r.rc, 1);
    assert_int_equal(r.p.body_len, BODY_MAX);
    parsed_free(&r);
    free(in);

    /* A body delimited by EOF is limited too. */
    feed_eof(&r, "HTTP/1.1 200 OK\r\n\r\n0123456789A", 4, 10);
    assert_int_equal(r.rc, -EMSGSIZE);
    parsed_free(&r);
}

static void test_parse_bad_status(void **state)
{
    static const char *const bad[] = {
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/2.0 200 OK\r\n\r\n",
        "http/1.1 200 OK\r\n\r\n",
        "XTTP/1.1 200 OK\r\n\r\n",
        "HTTP/1.1  200 OK\r\n\r\n",
        "HTTP/1.1 099 OK\r\n\r\n",
        "HTTP/1.1 abc OK\r\n\r\n",
        "HTTP/1.1 200 OK\n\n",
        "HTTP/1.1 200 O\x01K\r\n\r\n",
        "HTTP/1.1 200 O\rK\r\n\r\n",
        "\r\n",
        "HTTP/1.x 200 OK\r\n\r\n",
        "HTTP/1.1 200X\r\n\r\n",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_all_steps(bad[i], -EBADMSG, NULL);
}

static void test_parse_bad_headers(void **state)
{
    static const char *const bad[] = {
        "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
        "HTTP/1.1 200 OK\r\nName : value\r\n\r\n",
        "HTTP/1.1 200 OK\r\n: value\r\n\r\n",
        "HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n",
        "HTTP/1.1 200 OK\r\nA: b\n\r\n",
        "HTTP/1.1 200 OK\r\nA: b\x01c\r\n\r\n",
        "HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n",
        "HTTP/1.1 200 OK\r\nA: b\x7f\r\n\r\n",
        "HTTP/1.1 200 OK\r\nNa(me: v\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_all_steps(bad[i], -EBADMSG, NULL);
    /* Repeating the same Content-Length is allowed; obs-text in values is too. */
    expect_all_steps("HTTP/1.1 200 OK\r\nContent-Length: 2\r\ncontent-length: 2\r\n"
                     "X-Utf8: caf\xc3\xa9\r\n\r\nok",
                     1, "ok");
}

static void test_parse_header_lookup(void **state)
{
    static const char in[] = "HTTP/1.1 200 OK\r\n"
                             "lambda-runtime-aws-request-id:   8476a536  \r\n"
                             "LAMBDA-RUNTIME-DEADLINE-MS:1542409706888\r\n"
                             "X-Empty:\r\n"
                             "X-Caret^: caret\r\n"
                             "X-Dup: first\r\n"
                             "X-Dup: second\r\n"
                             "Content-Length: 0\r\n"
                             "\r\n";
    struct parsed r;
    struct lambda_str v;

    (void)state;
    feed_str(&r, in, 5);
    assert_int_equal(r.rc, 1);
    assert_true(lambda_runtime_http_header(&r.p, r.buf, "Lambda-Runtime-Aws-Request-Id", &v));
    assert_int_equal(v.len, 8);
    assert_memory_equal(v.p, "8476a536", 8);
    assert_true(lambda_runtime_http_header(&r.p, r.buf, "lambda-runtime-deadline-ms", &v));
    assert_int_equal(v.len, 13);
    assert_memory_equal(v.p, "1542409706888", 13);
    assert_true(lambda_runtime_http_header(&r.p, r.buf, "x-empty", &v));
    assert_int_equal(v.len, 0);
    assert_true(lambda_runtime_http_header(&r.p, r.buf, "X-DUP", &v));
    assert_memory_equal(v.p, "first", 5);
    assert_true(lambda_runtime_http_header(&r.p, r.buf, "x-caret^", &v));
    /* Case folding is for letters only: '^' and '~' differ by the same bit as 'a' and 'A'. */
    assert_false(lambda_runtime_http_header(&r.p, r.buf, "X-Caret~", &v));
    assert_false(lambda_runtime_http_header(&r.p, r.buf, "Lambda-Runtime-Trace-Id", &v));
    assert_false(lambda_runtime_http_header(&r.p, r.buf, "X-Du", &v));
    assert_false(lambda_runtime_http_header(&r.p, r.buf, "X-Dupe", &v));
    parsed_free(&r);
}

static void test_parse_connection(void **state)
{
    struct parsed r;

    (void)state;
    feed_str(&r, "HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n", 9);
    assert_int_equal(r.rc, 1);
    assert_false(r.p.keep_alive);
    parsed_free(&r);
    feed_str(&r, "HTTP/1.1 200 OK\r\nConnection: upgrade, close\r\nContent-Length: 0\r\n\r\n", 9);
    assert_int_equal(r.rc, 1);
    assert_false(r.p.keep_alive);
    parsed_free(&r);
    feed_str(&r, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 9);
    assert_int_equal(r.rc, 1);
    assert_false(r.p.keep_alive);
    parsed_free(&r);
    feed_str(&r, "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", 9);
    assert_int_equal(r.rc, 1);
    assert_true(r.p.keep_alive);
    parsed_free(&r);
}

static void test_parse_framing(void **state)
{
    struct parsed r;

    (void)state;
    /* A body without Content-Length or chunking runs until close. */
    feed_str(&r, "HTTP/1.1 200 OK\r\n\r\nuntil close", 4);
    assert_int_equal(r.rc, 0);
    parsed_free(&r);
    feed_eof(&r, "HTTP/1.1 200 OK\r\n\r\nuntil close", 4, BODY_MAX);
    assert_body(&r, "until close");
    assert_false(r.p.keep_alive);
    parsed_free(&r);
    /* 204 and 304 have no body, whatever the headers say. */
    feed_str(&r, "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", 3);
    assert_body(&r, "");
    assert_true(r.p.keep_alive);
    parsed_free(&r);
    /* Interim 1xx responses are skipped; 101 is refused. */
    expect_all_steps("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX: y\r\n\r\n"
                     "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok",
                     1, "ok");
    expect_all_steps("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", -EPROTO, NULL);
    /* Bytes after the response are left for the caller to see. */
    feed_str(&r, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1", 4096);
    assert_body(&r, "ok");
    assert_int_equal(r.len - r.p.msg_len, 8);
    parsed_free(&r);
    feed_str(&r, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\nSURPLUS",
             4096);
    assert_body(&r, "ok");
    assert_int_equal(r.len - r.p.msg_len, 7);
    assert_memory_equal(r.buf + r.p.msg_len, "SURPLUS", 7);
    parsed_free(&r);
}

/* ---------------------------------------------------------------------------
 * Error document
 */

static void expect_json(const char *type, const char *msg, const char *want)
{
    char buf[512];
    size_t len = 0;

    assert_int_equal(lambda_runtime_error_json(buf, sizeof(buf), type, msg, &len), 0);
    assert_string_equal(buf, want);
    assert_int_equal(len, strlen(want));
    assert_int_equal(lambda_runtime_error_json_len(type, msg), strlen(want));
}

static void test_error_json(void **state)
{
    (void)state;
    expect_json("EchoError", "boom",
                "{\"errorMessage\":\"boom\",\"errorType\":\"EchoError\",\"stackTrace\":[]}");
    expect_json(NULL, NULL, "{\"errorMessage\":\"\",\"errorType\":\"\",\"stackTrace\":[]}");
    expect_json("A\"B", "say \"hi\"\\ now\n\r\t\b\f\x01\x1f\x7f end",
                "{\"errorMessage\":\"say \\\"hi\\\"\\\\ now\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f "
                "end\",\"errorType\":\"A\\\"B\",\"stackTrace\":[]}");
    /* Valid UTF-8 passes through untouched. */
    expect_json("T", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                "{\"errorMessage\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\","
                "\"errorType\":\"T\",\"stackTrace\":[]}");
    /* Invalid UTF-8 (stray byte, truncated, overlong, surrogate, > U+10FFFF) becomes U+FFFD. */
    expect_json("T",
                "a\xff"
                "b\xe2\x82"
                "c\xc0\xaf"
                "d\xed\xa0\x80"
                "e\xf4\x90\x80\x80",
                "{\"errorMessage\":\"a\\ufffdb\\ufffd\\ufffdc\\ufffd\\ufffdd\\ufffd\\ufffd\\ufffde"
                "\\ufffd\\ufffd\\ufffd\\ufffd\",\"errorType\":\"T\",\"stackTrace\":[]}");
    expect_json("T", "end\xe2\x82",
                "{\"errorMessage\":\"end\\ufffd\\ufffd\",\"errorType\":\"T\",\"stackTrace\":[]}");
}

static void test_error_json_space(void **state)
{
    const char *want = "{\"errorMessage\":\"m\",\"errorType\":\"t\",\"stackTrace\":[]}";
    size_t n = strlen(want);
    size_t len = 12345;
    char *buf;

    (void)state;
    assert_int_equal(lambda_runtime_error_json_len("t", "m"), n);
    buf = malloc(n);
    assert_non_null(buf);
    assert_int_equal(lambda_runtime_error_json(buf, n, "t", "m", &len), -ENOSPC);
    assert_int_equal(len, 12345);
    free(buf);
    buf = malloc(n + 1);
    assert_non_null(buf);
    assert_int_equal(lambda_runtime_error_json(buf, n + 1, "t", "m", &len), 0);
    assert_int_equal(len, n);
    assert_string_equal(buf, want);
    free(buf);
    assert_int_equal(lambda_runtime_error_json(NULL, 0, "t", "m", &len), -ENOSPC);
}

static void test_remaining_ms(void **state)
{
    struct lambda_invocation inv = {0};
    struct timespec ts;
    long long now, left;

    (void)state;
    assert_true(lambda_runtime_remaining_ms(&inv) == LLONG_MAX);
    clock_gettime(CLOCK_REALTIME, &ts);
    now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    inv.deadline_ms = now - 5;
    assert_true(lambda_runtime_remaining_ms(&inv) == 0);
    inv.deadline_ms = now + 10000;
    left = lambda_runtime_remaining_ms(&inv);
    assert_true(left > 9000 && left <= 10000);
}

/* ---------------------------------------------------------------------------
 * A scripted Runtime API server
 */

#define MAX_STEPS 8

struct step {
    const char *resp; /* bytes to answer with; borrowed */
    size_t resp_len;  /* bytes; 0 means strlen(resp) */
    bool close_after; /* close the connection after answering (without saying so) */
};

struct req {
    char *head;      /* request line and headers, NUL-terminated; owned */
    char *body;      /* NUL-terminated; owned */
    size_t body_len; /* bytes */
    int reads;       /* read() calls it took to receive the request */
    int conn;        /* which accepted connection carried it (1-based) */
};

struct server {
    int lfd;
    uint16_t port;
    const struct step *steps;
    size_t nsteps;
    struct req reqs[MAX_STEPS];
    size_t nreqs;
    int accepts;
    pthread_t thread;
};

static const char *find_header_ci(const char *head, const char *name)
{
    size_t n = strlen(name);
    const char *p = strstr(head, "\r\n");

    while (p != NULL && p[2] != '\0') {
        p += 2;
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            p += n + 1;
            while (*p == ' ')
                p++;
            return p;
        }
        p = strstr(p, "\r\n");
    }
    return NULL;
}

/* Reads one request (head and Content-Length body); returns 0, or -1 on EOF or error. */
static int read_request(int fd, struct req *r)
{
    size_t cap = 4096, len = 0, head_len = 0, body_len = 0;
    char *buf = malloc(cap + 1);
    const char *cl;

    if (buf == NULL)
        return -1;
    memset(r, 0, sizeof(*r));
    for (;;) {
        ssize_t n;
        if (head_len == 0) {
            char *end;
            buf[len] = '\0';
            end = strstr(buf, "\r\n\r\n");
            if (end != NULL) {
                head_len = (size_t)(end - buf) + 4;
                end[2] = '\0';
                cl = find_header_ci(buf, "Content-Length");
                body_len = cl != NULL ? strtoul(cl, NULL, 10) : 0;
                end[2] = '\r';
            }
        }
        if (head_len != 0 && len >= head_len + body_len)
            break;
        if (len == cap) {
            char *nb;
            cap = head_len != 0 && head_len + body_len > cap * 2 ? head_len + body_len : cap * 2;
            nb = realloc(buf, cap + 1);
            if (nb == NULL)
                break;
            buf = nb;
        }
        n = read(fd, buf + len, cap - len);
        if (n <= 0) {
            free(buf);
            return -1;
        }
        r->reads++;
        len += (size_t)n;
    }
    r->head = strndup(buf, head_len);
    r->body = malloc(body_len + 1);
    if (r->head == NULL || r->body == NULL) {
        free(buf);
        return -1;
    }
    memcpy(r->body, buf + head_len, body_len);
    r->body[body_len] = '\0';
    r->body_len = body_len;
    free(buf);
    return 0;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k <= 0)
            return;
        p += k;
        n -= (size_t)k;
    }
}

static void *server_main(void *arg)
{
    struct server *s = arg;
    struct timeval tv = {.tv_sec = 10};
    int cfd = -1;
    size_t i;

    for (i = 0; i < s->nsteps; i++) {
        const struct step *st = &s->steps[i];
        if (cfd < 0) {
            struct pollfd pfd = {.fd = s->lfd, .events = POLLIN};
            if (poll(&pfd, 1, 10000) != 1)
                break;
            cfd = accept(s->lfd, NULL, NULL);
            if (cfd < 0)
                break;
            setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
            s->accepts++;
        }
        if (read_request(cfd, &s->reqs[s->nreqs]) < 0)
            break;
        s->reqs[s->nreqs].conn = s->accepts;
        s->nreqs++;
        write_all(cfd, st->resp, st->resp_len != 0 ? st->resp_len : strlen(st->resp));
        if (st->close_after) {
            close(cfd);
            cfd = -1;
        }
    }
    if (cfd >= 0)
        close(cfd);
    close(s->lfd);
    s->lfd = -1;
    return NULL;
}

static void server_start(struct server *s, const struct step *steps, size_t nsteps)
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    socklen_t slen = sizeof(sin);
    char api[64];

    memset(s, 0, sizeof(*s));
    assert_true(nsteps <= MAX_STEPS);
    s->steps = steps;
    s->nsteps = nsteps;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(s->lfd >= 0);
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(listen(s->lfd, 8), 0);
    assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sin, &slen), 0);
    s->port = ntohs(sin.sin_port);
    snprintf(api, sizeof(api), "127.0.0.1:%u", (unsigned)s->port);
    assert_int_equal(setenv("AWS_LAMBDA_RUNTIME_API", api, 1), 0);
    assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void server_join(struct server *s)
{
    assert_int_equal(pthread_join(s->thread, NULL), 0);
}

static void server_free(struct server *s)
{
    size_t i;

    for (i = 0; i < s->nreqs; i++) {
        free(s->reqs[i].head);
        free(s->reqs[i].body);
    }
}

static void assert_request_line(const struct req *r, const char *line)
{
    size_t n = strlen(line);

    if (strncmp(r->head, line, n) != 0 || r->head[n] != '\r')
        fail_msg("request line: got %.*s, want %s", (int)strcspn(r->head, "\r"), r->head, line);
}

static void assert_header(const struct req *r, const char *name, const char *value)
{
    const char *v = find_header_ci(r->head, name);

    assert_non_null(v);
    if (strncmp(v, value, strlen(value)) != 0 || v[strlen(value)] != '\r')
        fail_msg("header %s: got %.*s, want %s", name, (int)strcspn(v, "\r"), v, value);
}

/* ---------------------------------------------------------------------------
 * Client loop tests
 */

/* What the handler saw, copied out so the main thread can check it after the run. */
struct seen {
    int calls;
    char request_id[64];
    long long deadline_ms;
    char arn[128];
    char trace_id[128];
    char trace_env[128];
    char client_context[64];
    char cognito[64];
    char content_type[64];
    char event[64];
    size_t event_len;
    bool nul_terminated;
    /* what to answer */
    int rc;
    int is_error;
    const char *error_type;
    const char *error_message;
};

static void copy_opt(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src != NULL ? src : "(null)");
}

static int record_handler(const struct lambda_invocation *inv, struct lambda_result *res, void *arg)
{
    struct seen *s = arg;
    const char *env = getenv("_X_AMZN_TRACE_ID");

    s->calls++;
    copy_opt(s->request_id, sizeof(s->request_id), inv->request_id);
    s->deadline_ms = inv->deadline_ms;
    copy_opt(s->arn, sizeof(s->arn), inv->function_arn);
    copy_opt(s->trace_id, sizeof(s->trace_id), inv->trace_id);
    copy_opt(s->trace_env, sizeof(s->trace_env), env);
    copy_opt(s->client_context, sizeof(s->client_context), inv->client_context);
    copy_opt(s->cognito, sizeof(s->cognito), inv->cognito_identity);
    copy_opt(s->content_type, sizeof(s->content_type), inv->content_type);
    s->event_len = inv->event_len;
    s->nul_terminated = inv->event[inv->event_len] == '\0';
    if (inv->event_len < sizeof(s->event))
        memcpy(s->event, inv->event, inv->event_len + 1);
    if (s->rc < 0)
        return s->rc;
    if (!s->is_error) {
        res->body = inv->event;
        res->body_len = inv->event_len;
    }
    res->is_error = s->is_error;
    res->error_type = s->error_type;
    res->error_message = s->error_message;
    return 0;
}

static const char NEXT_500[] = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
static const char ACCEPTED[] = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
                               "Content-Length: 16\r\n\r\n{\"status\":\"OK\"}\n";

static void test_run_roundtrip(void **state)
{
    static const struct step steps[] = {
        {.resp = "HTTP/1.1 200 OK\r\n"
                 "Content-Type: application/json\r\n"
                 "Lambda-Runtime-Aws-Request-Id: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\r\n"
                 "Lambda-Runtime-Deadline-Ms: 1542409706888\r\n"
                 "Lambda-Runtime-Invoked-Function-Arn: "
                 "arn:aws:lambda:us-east-1:000000000000:function:echo\r\n"
                 "Lambda-Runtime-Trace-Id: Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1\r\n"
                 "Lambda-Runtime-Client-Context: {\"c\":1}\r\n"
                 "Content-Length: 13\r\n"
                 "\r\n"
                 "{\"hello\":\"x\"}"},
        {.resp = ACCEPTED},
        {.resp = NEXT_500},
    };
    struct server s;
    struct seen seen = {0};

    (void)state;
    server_start(&s, steps, 3);
    assert_int_equal(lambda_runtime_run(record_handler, &seen), -EPROTO);
    server_join(&s);

    assert_int_equal(seen.calls, 1);
    assert_string_equal(seen.request_id, "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
    assert_true(seen.deadline_ms == 1542409706888LL);
    assert_string_equal(seen.arn, "arn:aws:lambda:us-east-1:000000000000:function:echo");
    assert_string_equal(seen.trace_id, "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1");
    assert_string_equal(seen.trace_env, seen.trace_id);
    assert_string_equal(seen.client_context, "{\"c\":1}");
    assert_string_equal(seen.cognito, "(null)");
    assert_string_equal(seen.content_type, "application/json");
    assert_string_equal(seen.event, "{\"hello\":\"x\"}");
    assert_true(seen.nul_terminated);

    assert_int_equal(s.nreqs, 3);
    assert_int_equal(s.accepts, 1); /* one keep-alive connection for everything */
    assert_request_line(&s.reqs[0], "GET /2018-06-01/runtime/invocation/next HTTP/1.1");
    assert_header(&s.reqs[0], "Host", getenv("AWS_LAMBDA_RUNTIME_API"));
    assert_request_line(&s.reqs[1], "POST /2018-06-01/runtime/invocation/"
                                    "8476a536-e9f4-11e8-9739-2dfe598c3fcd/response HTTP/1.1");
    assert_header(&s.reqs[1], "Content-Length", "13");
    assert_string_equal(s.reqs[1].body, "{\"hello\":\"x\"}");
    /* Head and body left in one write, so they arrived together. */
    assert_int_equal(s.reqs[1].reads, 1);
    assert_request_line(&s.reqs[2], "GET /2018-06-01/runtime/invocation/next HTTP/1.1");
    server_free(&s);
}

static void test_run_error_chunked_close(void **state)
{
    static const struct step steps[] = {
        {.resp = "HTTP/1.1 200 OK\r\n"
                 "Lambda-Runtime-Aws-Request-Id: id/with space\r\n"
                 "Transfer-Encoding: chunked\r\n"
                 "Connection: close\r\n"
                 "\r\n"
                 "3\r\n{\"f\r\n8\r\nail\":tru\r\n2\r\ne}\r\n0\r\n\r\n",
         .close_after = true},
        {.resp = ACCEPTED},
        {.resp = NEXT_500},
    };
    struct server s;
    struct seen seen = {
        .is_error = 1, .error_type = "EchoError", .error_message = "bad \"input\"\nline2"};

    (void)state;
    server_start(&s, steps, 3);
    assert_int_equal(lambda_runtime_run(record_handler, &seen), -EPROTO);
    server_join(&s);

    assert_int_equal(seen.calls, 1);
    assert_string_equal(seen.event, "{\"fail\":true}");
    assert_string_equal(seen.trace_id, "(null)");
    assert_string_equal(seen.trace_env, "(null)"); /* no stale trace id from the last test */
    assert_true(seen.deadline_ms == 0);
    assert_int_equal(s.nreqs, 3);
    assert_int_equal(s.accepts, 2); /* reconnected after Connection: close */
    assert_int_equal(s.reqs[1].conn, 2);
    assert_request_line(&s.reqs[1], "POST /2018-06-01/runtime/invocation/id%2Fwith%20space/error "
                                    "HTTP/1.1");
    assert_header(&s.reqs[1], "Lambda-Runtime-Function-Error-Type", "EchoError");
    assert_header(&s.reqs[1], "Content-Type", "application/json");
    /* The handler's event is not the error body: the runtime builds the document. */
    assert_string_equal(s.reqs[1].body, "{\"errorMessage\":\"bad \\\"input\\\"\\nline2\","
                                        "\"errorType\":\"EchoError\",\"stackTrace\":[]}");
    server_free(&s);
}

static void test_run_stale_connection(void **state)
{
    static const struct step steps[] = {
        /* Keep-alive as far as the client knows, but the server drops the connection. */
        {.resp = "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r1\r\n"
                 "Content-Length: 2\r\n\r\n{}",
         .close_after = true},
        {.resp = ACCEPTED},
        {.resp = NEXT_500},
    };
    struct server s;
    struct seen seen = {0};

    (void)state;
    server_start(&s, steps, 3);
    assert_int_equal(lambda_runtime_run(record_handler, &seen), -EPROTO);
    server_join(&s);
    assert_int_equal(s.nreqs, 3);
    assert_int_equal(s.accepts, 2);
    assert_request_line(&s.reqs[1], "POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1");
    assert_string_equal(s.reqs[1].body, "{}");
    server_free(&s);
}

static void test_run_handler_failure_and_403(void **state)
{
    static const struct step steps[] = {
        {.resp = "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r1\r\n"
                 "Lambda-Runtime-Trace-Id: Root=1-2-3\r\nContent-Length: 0\r\n\r\n"},
        /* A rejected result is logged and the loop goes on. */
        {.resp = "HTTP/1.1 403 Forbidden\r\nContent-Length: 60\r\n\r\n"
                 "{\"errorMessage\":\"x\",\"errorType\":\"InvalidStateTransition\"}   "},
        {.resp = NEXT_500},
    };
    struct server s;
    struct seen seen = {.rc = -EIO};

    (void)state;
    server_start(&s, steps, 3);
    assert_int_equal(lambda_runtime_run(record_handler, &seen), -EPROTO);
    server_join(&s);
    assert_int_equal(seen.event_len, 0);
    assert_true(seen.nul_terminated);
    assert_string_equal(seen.trace_env, "Root=1-2-3");
    assert_int_equal(s.nreqs, 3);
    assert_request_line(&s.reqs[1], "POST /2018-06-01/runtime/invocation/r1/error HTTP/1.1");
    assert_header(&s.reqs[1], "Lambda-Runtime-Function-Error-Type", "Runtime.HandlerFailed");
    assert_non_null(strstr(s.reqs[1].body, "\"errorType\":\"Runtime.HandlerFailed\""));
    assert_request_line(&s.reqs[2], "GET /2018-06-01/runtime/invocation/next HTTP/1.1");
    server_free(&s);
}

static void test_run_large_chunked_event(void **state)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: big\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n";
    const size_t total = 3 * 1024 * 1024 + 17;
    char *event = malloc(total);
    char *resp = malloc(sizeof(head) + total + total / 100 * 16 + 64);
    struct step steps[3] = {{.resp = NULL}, {.resp = ACCEPTED}, {.resp = NEXT_500}};
    struct seen seen = {0};
    struct server s;
    size_t i, off = 0, len;

    (void)state;
    assert_non_null(event);
    assert_non_null(resp);
    for (i = 0; i < total; i++)
        event[i] = (char)('a' + i % 26);
    memcpy(resp, head, sizeof(head) - 1);
    len = sizeof(head) - 1;
    while (off < total) {
        size_t chunk = 1 + (off * 7919) % 70000;
        if (chunk > total - off)
            chunk = total - off;
        len += (size_t)snprintf(resp + len, 24, "%zx\r\n", chunk);
        memcpy(resp + len, event + off, chunk);
        len += chunk;
        memcpy(resp + len, "\r\n", 2);
        len += 2;
        off += chunk;
    }
    memcpy(resp + len, "0\r\n\r\n", 5);
    len += 5;
    steps[0].resp = resp;
    steps[0].resp_len = len;

    server_start(&s, steps, 3);
    assert_int_equal(lambda_runtime_run(record_handler, &seen), -EPROTO);
    server_join(&s);
    assert_int_equal(seen.event_len, total);
    assert_true(seen.nul_terminated);
    assert_int_equal(s.nreqs, 3);
    assert_int_equal(s.accepts, 1);
    assert_int_equal(s.reqs[1].body_len, total);
    assert_memory_equal(s.reqs[1].body, event, total);
    server_free(&s);
    free(resp);
    free(event);
}

static void test_run_missing_request_id(void **state)
{
    static const struct step steps[] = {
        {.resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"},
    };
    struct server s;
    struct seen seen = {0};

    (void)state;
    server_start(&s, steps, 1);
    assert_int_equal(lambda_runtime_run(record_handler, &seen), -EPROTO);
    server_join(&s);
    assert_int_equal(seen.calls, 0);
    server_free(&s);
}

static void test_init_error(void **state)
{
    static const struct step steps[] = {{.resp = ACCEPTED}};
    struct server s;

    (void)state;
    server_start(&s, steps, 1);
    assert_int_equal(lambda_runtime_init_error("Runtime.ConfigError", "no \"config\""), 0);
    server_join(&s);
    assert_int_equal(s.nreqs, 1);
    assert_request_line(&s.reqs[0], "POST /2018-06-01/runtime/init/error HTTP/1.1");
    assert_header(&s.reqs[0], "Lambda-Runtime-Function-Error-Type", "Runtime.ConfigError");
    assert_string_equal(s.reqs[0].body, "{\"errorMessage\":\"no \\\"config\\\"\","
                                        "\"errorType\":\"Runtime.ConfigError\",\"stackTrace\":[]}");
    server_free(&s);
}

static void test_bad_api_env(void **state)
{
    static const char *const bad[] = {"",
                                      "127.0.0.1",
                                      "127.0.0.1:",
                                      "127.0.0.1:0",
                                      "127.0.0.1:65536",
                                      "127.0.0.1:9x",
                                      "example.com:9001",
                                      "::1:9001",
                                      "[::1]9001",
                                      "[nope]:9001"};
    struct seen seen = {0};
    size_t i;

    (void)state;
    unsetenv("AWS_LAMBDA_RUNTIME_API");
    assert_int_equal(lambda_runtime_run(record_handler, &seen), -EINVAL);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(setenv("AWS_LAMBDA_RUNTIME_API", bad[i], 1), 0);
        if (lambda_runtime_run(record_handler, &seen) != -EINVAL)
            fail_msg("AWS_LAMBDA_RUNTIME_API=%s was accepted", bad[i]);
    }
    assert_int_equal(seen.calls, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_complete),
        cmocka_unit_test(test_parse_split_reads),
        cmocka_unit_test(test_parse_incomplete),
        cmocka_unit_test(test_parse_chunked),
        cmocka_unit_test(test_parse_chunked_errors),
        cmocka_unit_test(test_parse_chunked_limits),
        cmocka_unit_test(test_parse_head_limits),
        cmocka_unit_test(test_parse_body_limits),
        cmocka_unit_test(test_parse_bad_status),
        cmocka_unit_test(test_parse_bad_headers),
        cmocka_unit_test(test_parse_header_lookup),
        cmocka_unit_test(test_parse_connection),
        cmocka_unit_test(test_parse_framing),
        cmocka_unit_test(test_error_json),
        cmocka_unit_test(test_error_json_space),
        cmocka_unit_test(test_remaining_ms),
        cmocka_unit_test(test_run_roundtrip),
        cmocka_unit_test(test_run_error_chunked_close),
        cmocka_unit_test(test_run_stale_connection),
        cmocka_unit_test(test_run_handler_failure_and_403),
        cmocka_unit_test(test_run_large_chunked_event),
        cmocka_unit_test(test_run_missing_request_id),
        cmocka_unit_test(test_init_error),
        cmocka_unit_test(test_bad_api_env),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
