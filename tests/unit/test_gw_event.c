/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for gateway/event.c: the payload 2.0 and 1.0 events built from
 * a request (field by field, absent fields omitted or null as AWS does,
 * repeated headers and query parameters, cookies, binary bodies), the
 * request time format, and the mapping of function responses (statusCode,
 * headers, multiValueHeaders, cookies, base64 bodies, the 2.0 inference
 * rule, and malformed responses).
 */
#include <cjson/cJSON.h>
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

#include "gateway/event.h"

#define H(n, v)                                                                                    \
    {                                                                                              \
        n, sizeof(n) - 1, v, sizeof(v) - 1                                                         \
    }

static const struct gw_header hdrs[] = {
    H("user-agent", "ua/1"),
    H("x-dup", "a"),
    H("cookie", "c1=1; c2=2"),
    H("x-dup", "b"),
    H("content-type", "application/json"),
};

static struct gw_request base_request(struct gw_match *m, struct gw_route_key *k)
{
    static const char path[] = "/prod/items/4%202";
    gw_route_key_parse("GET /items/{id}", 15, k);
    m->nparams = 1;
    m->params[0] = (struct gw_param){k->text + k->seg[1].off, k->seg[1].len, path + 12, 5};
    return (struct gw_request){
        .method = "GET",
        .method_len = 3,
        .path = path,
        .path_len = sizeof(path) - 1,
        .query = "a=1&a=2&b=x%2Fy&flag",
        .query_len = 21,
        .headers = hdrs,
        .nheaders = sizeof(hdrs) / sizeof(hdrs[0]),
        .body = "{\"k\":1}",
        .body_len = 7,
        .protocol = "HTTP/1.1",
        .source_ip = "127.0.0.1",
        .domain = "abc123.execute-api.localhost",
        .api_id = "abc123",
        .account = "000000000000",
        .stage = "prod",
        .request_id = "reqid=",
        .route_key = "GET /items/{id}",
        .resource = "/items/{id}",
        .time_ms = 1583348638390,
        .m = m,
    };
}

static cJSON *build(int version, const struct gw_request *r)
{
    size_t len = 0;
    char *text = gw_event_build(version, r, &len);
    assert_non_null(text);
    assert_int_equal(len, strlen(text));
    cJSON *ev = cJSON_Parse(text);
    free(text);
    assert_non_null(ev);
    return ev;
}

static const char *str(const cJSON *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    const cJSON *cur = o;
    for (char *tok = buf, *dot; tok != NULL; tok = dot) {
        dot = strchr(tok, '.');
        if (dot != NULL)
            *dot++ = '\0';
        cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
    }
    if (cur == NULL)
        return NULL;
    return cJSON_IsString(cur) ? cur->valuestring : "<not a string>";
}

static void test_time_format(void **state)
{
    (void)state;
    char t[32];
    gw_time_fmt(1583348638390, t);
    assert_string_equal(t, "04/Mar/2020:19:03:58 +0000");
    gw_time_fmt(0, t);
    assert_string_equal(t, "01/Jan/1970:00:00:00 +0000");
}

static void test_v2_event(void **state)
{
    (void)state;
    struct gw_match m;
    struct gw_route_key k;
    struct gw_request r = base_request(&m, &k);
    cJSON *ev = build(2, &r);
    assert_string_equal(str(ev, "version"), "2.0");
    assert_string_equal(str(ev, "routeKey"), "GET /items/{id}");
    assert_string_equal(str(ev, "rawPath"), "/prod/items/4%202");
    assert_string_equal(str(ev, "rawQueryString"), "a=1&a=2&b=x%2Fy&flag");
    const cJSON *cookies = cJSON_GetObjectItemCaseSensitive(ev, "cookies");
    assert_int_equal(cJSON_GetArraySize(cookies), 2);
    assert_string_equal(cJSON_GetArrayItem(cookies, 0)->valuestring, "c1=1");
    assert_string_equal(cJSON_GetArrayItem(cookies, 1)->valuestring, "c2=2");
    assert_string_equal(str(ev, "headers.x-dup"), "a,b");
    assert_string_equal(str(ev, "headers.user-agent"), "ua/1");
    assert_null(str(ev, "headers.cookie"));
    assert_string_equal(str(ev, "queryStringParameters.a"), "1,2");
    assert_string_equal(str(ev, "queryStringParameters.b"), "x/y");
    assert_string_equal(str(ev, "queryStringParameters.flag"), "");
    assert_string_equal(str(ev, "pathParameters.id"), "4 2");
    assert_string_equal(str(ev, "body"), "{\"k\":1}");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(ev, "isBase64Encoded")));
    assert_null(cJSON_GetObjectItemCaseSensitive(ev, "stageVariables"));
    assert_string_equal(str(ev, "requestContext.accountId"), "000000000000");
    assert_string_equal(str(ev, "requestContext.apiId"), "abc123");
    assert_string_equal(str(ev, "requestContext.domainName"), "abc123.execute-api.localhost");
    assert_string_equal(str(ev, "requestContext.domainPrefix"), "abc123");
    assert_string_equal(str(ev, "requestContext.http.method"), "GET");
    assert_string_equal(str(ev, "requestContext.http.path"), "/prod/items/4%202");
    assert_string_equal(str(ev, "requestContext.http.protocol"), "HTTP/1.1");
    assert_string_equal(str(ev, "requestContext.http.sourceIp"), "127.0.0.1");
    assert_string_equal(str(ev, "requestContext.http.userAgent"), "ua/1");
    assert_string_equal(str(ev, "requestContext.requestId"), "reqid=");
    assert_string_equal(str(ev, "requestContext.routeKey"), "GET /items/{id}");
    assert_string_equal(str(ev, "requestContext.stage"), "prod");
    assert_string_equal(str(ev, "requestContext.time"), "04/Mar/2020:19:03:58 +0000");
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(ev, "requestContext");
    assert_true(cJSON_GetObjectItemCaseSensitive(ctx, "timeEpoch")->valuedouble == 1583348638390.0);
    cJSON_Delete(ev);

    /* absent fields are omitted; stage variables appear when set */
    cJSON *vars = cJSON_Parse("{\"env\":\"dev\"}");
    r.query_len = 0;
    r.query = "";
    r.body = NULL;
    r.body_len = 0;
    r.nheaders = 2;
    m.nparams = 0;
    r.stage_vars = vars;
    ev = build(2, &r);
    assert_null(cJSON_GetObjectItemCaseSensitive(ev, "cookies"));
    assert_null(cJSON_GetObjectItemCaseSensitive(ev, "queryStringParameters"));
    assert_null(cJSON_GetObjectItemCaseSensitive(ev, "pathParameters"));
    assert_null(cJSON_GetObjectItemCaseSensitive(ev, "body"));
    assert_string_equal(str(ev, "rawQueryString"), "");
    assert_string_equal(str(ev, "stageVariables.env"), "dev");
    cJSON_Delete(ev);
    cJSON_Delete(vars);
}

static void test_binary_body(void **state)
{
    (void)state;
    struct gw_match m;
    struct gw_route_key k;
    struct gw_request r = base_request(&m, &k);
    static const struct gw_header bin[] = {H("content-type", "image/png")};
    r.headers = bin;
    r.nheaders = 1;
    r.body = "\x89PNG";
    r.body_len = 4;
    cJSON *ev = build(2, &r);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "isBase64Encoded")));
    assert_string_equal(str(ev, "body"), "iVBORw==");
    assert_string_equal(str(ev, "requestContext.http.userAgent"), "");
    cJSON_Delete(ev);
    assert_true(gw_body_is_text(NULL, 0, "plain", 5));
    assert_false(gw_body_is_text(NULL, 0, "a\0b", 3));
    assert_false(gw_body_is_text("text/plain", 10, "\xff\xfe", 2));
    assert_true(gw_body_is_text("application/vnd.api+json", 25, "{}", 2));
    assert_true(gw_body_is_text("text/plain; charset=utf-8", 25, "\xc3\xa9", 2));
    assert_false(gw_body_is_text("application/octet-stream", 24, "abc", 3));
    assert_false(gw_body_is_text(NULL, 0, "\xc3", 1)); /* truncated sequence */
}

static void test_v1_event(void **state)
{
    (void)state;
    struct gw_match m;
    struct gw_route_key k;
    struct gw_request r = base_request(&m, &k);
    cJSON *ev = build(1, &r);
    assert_string_equal(str(ev, "version"), "1.0");
    assert_string_equal(str(ev, "resource"), "/items/{id}");
    assert_string_equal(str(ev, "path"), "/prod/items/4%202");
    assert_string_equal(str(ev, "httpMethod"), "GET");
    assert_string_equal(str(ev, "headers.x-dup"), "b");
    assert_string_equal(str(ev, "headers.cookie"), "c1=1; c2=2");
    const cJSON *mv = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(ev, "multiValueHeaders"), "x-dup");
    assert_int_equal(cJSON_GetArraySize(mv), 2);
    assert_string_equal(str(ev, "queryStringParameters.a"), "2");
    mv = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(ev, "multiValueQueryStringParameters"), "a");
    assert_int_equal(cJSON_GetArraySize(mv), 2);
    assert_string_equal(str(ev, "pathParameters.id"), "4 2");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(ev, "stageVariables")));
    assert_string_equal(str(ev, "requestContext.resourcePath"), "/items/{id}");
    assert_string_equal(str(ev, "requestContext.requestTime"), "04/Mar/2020:19:03:58 +0000");
    assert_string_equal(str(ev, "requestContext.identity.sourceIp"), "127.0.0.1");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ev, "requestContext"),
                                         "identity"),
        "user")));
    assert_string_equal(str(ev, "requestContext.stage"), "prod");
    cJSON_Delete(ev);
    /* absent maps and body are null */
    r.query_len = 0;
    r.body = NULL;
    r.body_len = 0;
    m.nparams = 0;
    ev = build(1, &r);
    static const char *const nulls[] = {"queryStringParameters", "multiValueQueryStringParameters",
                                        "pathParameters", "body"};
    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
        assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(ev, nulls[i])));
    cJSON_Delete(ev);
}

static void test_rest_event(void **state)
{
    (void)state;
    struct gw_match m;
    struct gw_route_key k;
    struct gw_request r = base_request(&m, &k);
    r.rest = true;
    r.rest_path = "/items/4%202";
    r.rest_path_len = 12;
    r.resource_id = "abc123defg";
    cJSON *ev = build(1, &r);
    assert_null(cJSON_GetObjectItemCaseSensitive(ev, "version"));
    assert_string_equal(str(ev, "path"), "/items/4%202");
    assert_string_equal(str(ev, "requestContext.path"), "/prod/items/4%202");
    assert_string_equal(str(ev, "requestContext.resourceId"), "abc123defg");
    assert_string_equal(str(ev, "resource"), "/items/{id}");
    assert_string_equal(str(ev, "pathParameters.id"), "4 2");
    cJSON_Delete(ev);
}

static const char *hval(const struct gw_response *r, const char *name, int nth)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcmp(r->headers[i].name, name) == 0 && nth-- == 0)
            return r->headers[i].value;
    return NULL;
}

static int map(int version, const char *text, struct gw_response *r)
{
    return gw_response_map(version, text, strlen(text), r);
}

static void test_v2_responses(void **state)
{
    (void)state;
    struct gw_response r;
    assert_int_equal(map(2,
                         "{\"statusCode\":201,\"headers\":{\"x-a\":\"1\",\"x-n\":5,\"x-b\":true},"
                         "\"cookies\":[\"a=1\",\"b=2\"],\"body\":\"hi\"}",
                         &r),
                     0);
    assert_int_equal(r.status, 201);
    assert_string_equal(hval(&r, "x-a", 0), "1");
    assert_string_equal(hval(&r, "x-n", 0), "5");
    assert_string_equal(hval(&r, "x-b", 0), "true");
    gw_response_free(&r);
    assert_int_equal(map(2, "{\"statusCode\":200,\"headers\":{\"x-big\":1e300,\"x-f\":1.5}}", &r),
                     0);
    assert_string_equal(hval(&r, "x-big", 0), "1.0000000000000001e+300");
    assert_string_equal(hval(&r, "x-f", 0), "1.5");
    gw_response_free(&r);
    assert_int_equal(map(2,
                         "{\"statusCode\":201,\"headers\":{\"x-a\":\"1\",\"x-n\":5,\"x-b\":true},"
                         "\"cookies\":[\"a=1\",\"b=2\"],\"body\":\"hi\"}",
                         &r),
                     0);
    assert_string_equal(hval(&r, "set-cookie", 0), "a=1");
    assert_string_equal(hval(&r, "set-cookie", 1), "b=2");
    assert_int_equal(r.body_len, 2);
    assert_memory_equal(r.body, "hi", 2);
    gw_response_free(&r);
    /* base64 bodies are decoded */
    assert_int_equal(map(2, "{\"statusCode\":200,\"isBase64Encoded\":true,\"body\":\"AAEC\"}", &r),
                     0);
    assert_int_equal(r.body_len, 3);
    assert_memory_equal(r.body, "\x00\x01\x02", 3);
    gw_response_free(&r);
    /* the inference rule: JSON without statusCode is a 200 application/json body */
    static const char *const inferred[] = {"{\"message\":\"hi\"}", "\"Hello\"", "[1,2]", "42",
                                           "null"};
    for (size_t i = 0; i < sizeof(inferred) / sizeof(inferred[0]); i++) {
        assert_int_equal(map(2, inferred[i], &r), 0);
        assert_int_equal(r.status, 200);
        assert_string_equal(hval(&r, "content-type", 0), "application/json");
        assert_int_equal(r.body_len, strlen(inferred[i]));
        assert_memory_equal(r.body, inferred[i], r.body_len);
        gw_response_free(&r);
    }
    /* no body */
    assert_int_equal(map(2, "{\"statusCode\":204}", &r), 0);
    assert_int_equal(r.status, 204);
    assert_null(r.body);
    gw_response_free(&r);
}

static void test_v1_responses(void **state)
{
    (void)state;
    struct gw_response r;
    assert_int_equal(map(1,
                         "{\"statusCode\":200,\"headers\":{\"x-a\":\"one\",\"x-m\":\"lost\"},"
                         "\"multiValueHeaders\":{\"x-m\":[\"1\",\"2\"]},\"body\":\"b\"}",
                         &r),
                     0);
    assert_string_equal(hval(&r, "x-a", 0), "one");
    assert_string_equal(hval(&r, "x-m", 0), "1"); /* multiValueHeaders wins */
    assert_string_equal(hval(&r, "x-m", 1), "2");
    assert_null(hval(&r, "x-m", 2));
    gw_response_free(&r);
    /* 1.0 has no inference rule and no cookies member */
    assert_int_equal(map(1, "{\"message\":\"hi\"}", &r), -EINVAL);
    assert_int_equal(map(1, "\"Hello\"", &r), -EINVAL);
    assert_int_equal(map(1, "{\"statusCode\":200,\"cookies\":[\"a=1\"]}", &r), 0);
    assert_null(hval(&r, "set-cookie", 0));
    gw_response_free(&r);
}

static void test_malformed_responses(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "not json",
        "{\"statusCode\":\"200\"}",
        "{\"statusCode\":99}",
        "{\"statusCode\":600}",
        "{\"statusCode\":200.5}",
        "{\"statusCode\":1e308}",
        "{\"statusCode\":-1e308}",
        "{\"statusCode\":200,\"body\":5}",
        "{\"statusCode\":200,\"body\":{}}",
        "{\"statusCode\":200,\"headers\":[]}",
        "{\"statusCode\":200,\"headers\":{\"a\":{}}}",
        "{\"statusCode\":200,\"cookies\":\"a=1\"}",
        "{\"statusCode\":200,\"cookies\":[1]}",
        "{\"statusCode\":200,\"isBase64Encoded\":\"yes\",\"body\":\"x\"}",
        "{\"statusCode\":200,\"isBase64Encoded\":true,\"body\":\"!!!\"}",
    };
    struct gw_response r;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (map(2, bad[i], &r) != -EINVAL)
            fail_msg("payload 2.0 response %s should be malformed", bad[i]);
        assert_null(r.headers);
        assert_null(r.body);
    }
    assert_int_equal(map(1, "{\"statusCode\":200,\"multiValueHeaders\":{\"a\":\"b\"}}", &r),
                     -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_format),         cmocka_unit_test(test_v2_event),
        cmocka_unit_test(test_binary_body),         cmocka_unit_test(test_v1_event),
        cmocka_unit_test(test_v2_responses),        cmocka_unit_test(test_v1_responses),
        cmocka_unit_test(test_malformed_responses), cmocka_unit_test(test_rest_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
