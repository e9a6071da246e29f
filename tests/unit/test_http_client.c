/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for http/client.c against a server of our own on loopback
 * (http/server.c): a request's method, headers and body arrive as given;
 * the answer's status, headers and body come back once; a body over the
 * maximum fails with -EMSGSIZE, a peer that never answers with -ETIMEDOUT
 * at the deadline, a closed port with -EIO; a bad URL is refused at once;
 * a cancelled request never calls back.
 */
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

#include "base/util.h"
#include "fixture.h"
#include "http/client.h"
#include "http/server.h"

FIXTURE_LSAN_H2O

struct fx {
    struct http_server *srv;
    struct http_listener *l;
    uint16_t port;
    struct http_client *cl;
    h2o_req_t *parked; /* a /slow request, answered at teardown */
    char seen_method[16];
    char seen_header[64];
    char seen_body[64];
};

struct outcome {
    int calls;
    int status;
    int http_status;
    char body[256];
    size_t body_len;
    char header[64];
};

static int on_edge(h2o_req_t *req, void *arg)
{
    struct fx *f = arg;
    if (h2o_memis(req->path.base, req->path.len, H2O_STRLIT("/slow"))) {
        f->parked = req;
        return 0;
    }
    if (h2o_memis(req->path.base, req->path.len, H2O_STRLIT("/big"))) {
        static char big[100000];
        memset(big, 'x', sizeof(big));
        http_send(req, 200, "text/plain", big, sizeof(big));
        return 0;
    }
    snprintf(f->seen_method, sizeof(f->seen_method), "%.*s", (int)req->method.len,
             req->method.base);
    const h2o_iovec_t *h = http_req_header(req, "x-test");
    snprintf(f->seen_header, sizeof(f->seen_header), "%.*s", h != NULL ? (int)h->len : 0,
             h != NULL ? h->base : "");
    snprintf(f->seen_body, sizeof(f->seen_body), "%.*s", (int)req->entity.len,
             req->entity.base != NULL ? req->entity.base : "");
    http_header(req, "x-answer", "42", 2);
    http_send(req, 201, "text/plain", "created", 7);
    return 0;
}

static int on_runtime(h2o_req_t *req, void *arg)
{
    (void)arg;
    http_send(req, 404, "text/plain", "", 0);
    return 0;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    f->srv = http_server_new(on_edge, on_runtime, f);
    if (f->srv == NULL || http_listen(f->srv, HTTP_EDGE, "127.0.0.1", 0, f, &f->l, &f->port) != 0)
        return -1;
    f->cl = http_client_new(http_context(f->srv), http_timers(f->srv), 5000);
    *state = f;
    return f->cl != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (f->parked != NULL)
        http_send(f->parked, 200, "text/plain", "", 0);
    for (int i = 0; i < 5; i++)
        http_run_once(f->srv, 10);
    http_client_free(f->cl);
    http_server_free(f->srv);
    free(f);
    return 0;
}

static void on_done(const struct http_client_response *resp, int status, void *arg)
{
    struct outcome *o = arg;
    o->calls++;
    o->status = status;
    o->http_status = resp->status;
    o->body_len = resp->body_len;
    snprintf(o->body, sizeof(o->body), "%.*s", (int)(resp->body_len < 255 ? resp->body_len : 255),
             resp->body != NULL ? resp->body : "");
    for (size_t i = 0; i < resp->nheaders; i++)
        if (strcasecmp(resp->headers[i].name, "x-answer") == 0)
            snprintf(o->header, sizeof(o->header), "%s", resp->headers[i].value);
}

/* Runs the loop until o has its answer or ms pass. */
static void wait_for(struct fx *f, const struct outcome *o, int ms)
{
    int64_t until = clock_mono_us() + (int64_t)ms * 1000;
    while (o->calls == 0 && clock_mono_us() < until)
        http_run_once(f->srv, 10);
}

static int start(struct fx *f, const char *path, const char *method, int64_t timeout_ms, size_t max,
                 struct outcome *o)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", f->port, path);
    static const struct http_client_header hs[] = {{"x-test", 6, "yes", 3}};
    struct http_client_request rq = {.method = method,
                                     .url = url,
                                     .headers = hs,
                                     .nheaders = 1,
                                     .body = "payload",
                                     .body_len = 7,
                                     .timeout_ms = timeout_ms,
                                     .max_response_bytes = max};
    return http_client_start(f->cl, &rq, on_done, o, NULL);
}

static void test_exchange(void **state)
{
    struct fx *f = *state;
    struct outcome o = {0};
    assert_int_equal(start(f, "/things?x=1", "POST", 2000, 1024, &o), 0);
    assert_int_equal(o.calls, 0); /* never from within start */
    wait_for(f, &o, 3000);
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.status, 0);
    assert_int_equal(o.http_status, 201);
    assert_string_equal(o.body, "created");
    assert_string_equal(o.header, "42");
    assert_string_equal(f->seen_method, "POST");
    assert_string_equal(f->seen_header, "yes");
    assert_string_equal(f->seen_body, "payload");
}

static void test_too_large(void **state)
{
    struct fx *f = *state;
    struct outcome o = {0};
    assert_int_equal(start(f, "/big", "GET", 2000, 1000, &o), 0);
    wait_for(f, &o, 3000);
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.status, -EMSGSIZE);
}

static void test_timeout(void **state)
{
    struct fx *f = *state;
    struct outcome o = {0};
    int64_t t0 = clock_mono_us();
    assert_int_equal(start(f, "/slow", "GET", 200, 1000, &o), 0);
    wait_for(f, &o, 3000);
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.status, -ETIMEDOUT);
    int64_t took_ms = (clock_mono_us() - t0) / 1000;
    assert_true(took_ms >= 190 && took_ms < 2000);
}

static void test_refused_and_invalid(void **state)
{
    struct fx *f = *state;
    struct outcome o = {0};
    struct http_client_request rq = {.method = "GET",
                                     .url = "http://127.0.0.1:1/",
                                     .timeout_ms = 2000,
                                     .max_response_bytes = 100};
    assert_int_equal(http_client_start(f->cl, &rq, on_done, &o, NULL), 0);
    wait_for(f, &o, 3000);
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.status, -EIO);
    struct outcome o2 = {0};
    rq.url = "ftp://127.0.0.1/";
    assert_int_equal(http_client_start(f->cl, &rq, on_done, &o2, NULL), -EINVAL);
    for (int i = 0; i < 5; i++)
        http_run_once(f->srv, 5);
    assert_int_equal(o2.calls, 0);
}

static void test_cancel(void **state)
{
    struct fx *f = *state;
    struct outcome o = {0};
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/slow", f->port);
    struct http_client_request rq = {
        .method = "GET", .url = url, .timeout_ms = 300, .max_response_bytes = 100};
    struct http_client_req *r = NULL;
    assert_int_equal(http_client_start(f->cl, &rq, on_done, &o, &r), 0);
    assert_non_null(r);
    for (int i = 0; i < 5; i++)
        http_run_once(f->srv, 5);
    http_client_cancel(r);
    int64_t until = clock_mono_us() + 500 * 1000;
    while (clock_mono_us() < until)
        http_run_once(f->srv, 10);
    assert_int_equal(o.calls, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exchange, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_and_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
