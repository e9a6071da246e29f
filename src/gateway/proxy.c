/* SPDX-License-Identifier: MIT */
/*
 * HTTP API invocations. A request is checked (body and header sizes), its
 * stage and route selected, its CORS preflight answered, and for an
 * AWS_PROXY integration the event (payload 1.0 or 2.0) goes to the function
 * through the scheduler as a synchronous invocation. The integration's
 * timeoutInMillis is a timer of its own: when it fires first, the client
 * gets 504 and the invocation's result is dropped when it arrives. Every
 * response carries apigw-requestid. Error bodies are API Gateway's:
 * {"message":"Not Found"} and the like.
 */
#include "proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <h2o/http1client.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/timer.h"
#include "base/util.h"
#include "catalog/catalog.h"
#include "catalog/function.h"
#include "gateway/accesslog.h"
#include "gateway/authz.h"
#include "gateway/event.h"
#include "gateway/jwks.h"
#include "gateway/jwt.h"
#include "gateway/keys.h"
#include "gateway/model.h"
#include "invoke/invoke.h"
#include "invoke/sched.h"

/* What differs between HTTP APIs, REST APIs and function URLs in the
 * answers the gateway itself gives. */
struct flavor {
    const char *rid_header; /* the response header of the request id */
    int missing_status;     /* no stage, route or method */
    const char *missing;
    const char *internal;    /* 500 and 502 */
    const char *timed_out;   /* 504 */
    const char *denied;      /* the 403 body when an authorizer denies */
    const char *message_key; /* of the gateway's own error bodies: {"message": ...} */
};

static const struct flavor http_api = {
    .rid_header = "apigw-requestid",
    .missing_status = 404,
    .missing = "Not Found",
    .internal = "Internal Server Error",
    .timed_out = "Service Unavailable",
    .denied = "{\"message\":\"Forbidden\"}",
    .message_key = "message",
};
static const struct flavor rest_api = {
    .rid_header = "x-amzn-RequestId",
    .missing_status = 403,
    .missing = "Missing Authentication Token",
    .internal = "Internal server error",
    .timed_out = "Endpoint request timed out",
    .denied = "{\"Message\":\"User is not authorized to access this resource with an explicit "
              "deny\"}",
    .message_key = "message",
};
static const struct flavor function_url = {
    .rid_header = "x-amzn-RequestId",
    .missing_status = 403,
    .missing = "Forbidden",
    .internal = "Internal Server Error",
    .timed_out = "Service Unavailable",
    .denied = "{\"Message\":\"Forbidden\"}",
    .message_key = "Message",
};

struct gw_call {
    h2o_req_t *req; /* NULL once answered by the timeout */
    const struct flavor *fl;
    struct gateway *gw;
    struct timer_heap *timers;
    struct timer timer;
    int version; /* payload format 1 or 2 */
    char *event;
    size_t event_len;
    char request_id[40]; /* apigw-requestid, or a UUID for REST APIs */
    char *allow_origin;  /* CORS headers for the response, or NULL */
    char *expose_headers;
    bool allow_credentials;
    bool cors; /* the API has a CORS configuration: the function's CORS headers are dropped */
    /* a Lambda authorizer's invocation */
    bool simple;     /* enableSimpleResponses */
    char api_id[16]; /* to route the request again once allowed */
    char *domain;
    char *event_arn; /* routeArn / methodArn */
    char *cache_key; /* where the decision is cached, or NULL */
    /* a REST API's binary responses */
    cJSON *binary_types; /* binaryMediaTypes (a copy), or NULL */
    char *accept;        /* the request's Accept header, or NULL */
    cJSON *resp_params;  /* an HTTP API integration's responseParameters (a copy), or NULL */
    int ttl_s;
    /* HTTP_PROXY */
    h2o_http1client_t *client;   /* while connected */
    h2o_iovec_t out[2];          /* request head and body */
    struct gw_response resp;     /* the response being received */
    struct gw_call *prev, *next; /* gw->fwd_calls */
};

static void request_id(char out[24])
{
    unsigned char raw[GW_REQUEST_ID_BYTES];
    char hex[2 * GW_REQUEST_ID_BYTES + 1];
    rand_hex(hex, GW_REQUEST_ID_BYTES);
    for (size_t i = 0; i < GW_REQUEST_ID_BYTES; i++) {
        char b[3] = {hex[2 * i], hex[2 * i + 1], '\0'};
        raw[i] = (unsigned char)strtoul(b, NULL, 16);
    }
    b64_encode(raw, sizeof(raw), out);
}

/* Adds a header whose name and value are copied into the request's pool. */
static void add_header(h2o_req_t *req, const char *name, size_t nlen, const char *value,
                       size_t vlen)
{
    h2o_iovec_t n = h2o_strdup(&req->pool, name, nlen);
    for (size_t i = 0; i < n.len; i++)
        if (n.base[i] >= 'A' && n.base[i] <= 'Z')
            n.base[i] = (char)(n.base[i] - 'A' + 'a');
    h2o_iovec_t v = h2o_strdup(&req->pool, value, vlen);
    h2o_add_header_by_str(&req->pool, &req->res.headers, n.base, n.len, 1, NULL, v.base, v.len);
}

/* An X-Ray trace id "Root=1-{epoch s hex}-{24 hex}"; returns its length. */
static size_t trace_id(char out[64])
{
    char hex[25];
    rand_hex(hex, 12);
    return (size_t)snprintf(out, 64, "Root=1-%08llx-%s", (long long)(clock_ms() / 1000), hex);
}

/* The request id headers of every answer: apigw-requestid for HTTP APIs;
 * x-amzn-RequestId, x-amz-apigw-id and X-Amzn-Trace-Id for REST APIs. */
static void id_headers(h2o_req_t *req, const struct flavor *fl, const char *rid)
{
    http_header(req, fl->rid_header, rid, strlen(rid));
    if (fl != &rest_api)
        return;
    char ext[24], trace[64];
    request_id(ext);
    http_header(req, "x-amz-apigw-id", ext, strlen(ext));
    http_header(req, "X-Amzn-Trace-Id", trace, trace_id(trace));
}

static void send_body(h2o_req_t *req, const struct flavor *fl, const char *rid, int status,
                      const char *body)
{
    id_headers(req, fl, rid);
    http_send(req, status, "application/json", body, strlen(body));
}

static void send_message(h2o_req_t *req, const struct flavor *fl, const char *rid, int status,
                         const char *msg)
{
    char body[128];
    int n = snprintf(body, sizeof(body), "{\"%s\":\"%s\"}", fl->message_key, msg);
    id_headers(req, fl, rid);
    http_send(req, status, "application/json", body, (size_t)n);
}

/* ---- CORS ---- */

static const cJSON *cors_of(const cJSON *doc)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "api"),
                                                      "corsConfiguration");
    return cJSON_IsObject(c) ? c : NULL;
}

/* The Access-Control-Allow-Origin value for origin, or NULL when the
 * configuration does not allow it. */
static const char *allowed_origin(const cJSON *cors, const char *origin, size_t len)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(cors, "allowOrigins"))
    {
        const char *a = o->valuestring;
        if (strcmp(a, "*") == 0)
            return "*";
        if (strlen(a) == len && strncasecmp(a, origin, len) == 0)
            return a;
        const char *star = strstr(a, "://*.");
        if (star != NULL) { /* a wildcard subdomain: scheme, then "*." and a domain */
            size_t scheme = (size_t)(star - a) + 3, tail = strlen(star + 4);
            if (len > scheme + tail && strncasecmp(origin, a, scheme) == 0 &&
                strncasecmp(origin + len - tail, star + 4, tail) == 0)
                return "";
        }
    }
    return NULL;
}

/* Joins the strings of array cors[key] with commas into buf; false if none. */
static bool joined(const cJSON *cors, const char *key, char *buf, size_t cap)
{
    const cJSON *e;
    size_t n = 0;
    buf[0] = '\0';
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(cors, key))
    {
        int w = snprintf(buf + n, cap - n, "%s%s", n > 0 ? "," : "", e->valuestring);
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
    }
    return n > 0;
}

static void origin_header(h2o_req_t *req, const char *allow, const h2o_iovec_t *origin)
{
    if (allow[0] == '\0' || strcmp(allow, "*") != 0)
        add_header(req, H2O_STRLIT("access-control-allow-origin"), origin->base, origin->len);
    else
        http_header(req, "access-control-allow-origin", "*", 1);
}

/* Answers a preflight (OPTIONS with Origin and Access-Control-Request-Method). */
static void preflight(h2o_req_t *req, const cJSON *cors, const char *rid, const h2o_iovec_t *origin)
{
    const char *allow = allowed_origin(cors, origin->base, origin->len);
    if (allow != NULL) {
        char buf[2048];
        origin_header(req, allow, origin);
        if (joined(cors, "allowMethods", buf, sizeof(buf)))
            http_header(req, "access-control-allow-methods", buf, strlen(buf));
        if (joined(cors, "allowHeaders", buf, sizeof(buf)))
            http_header(req, "access-control-allow-headers", buf, strlen(buf));
        const cJSON *age = cJSON_GetObjectItemCaseSensitive(cors, "maxAge");
        if (cJSON_IsNumber(age) && age->valuedouble >= 0) {
            int n = snprintf(buf, sizeof(buf), "%d", age->valueint);
            http_header(req, "access-control-max-age", buf, (size_t)n);
        }
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cors, "allowCredentials")))
            http_header(req, "access-control-allow-credentials", "true", 4);
    }
    id_headers(req, &http_api, rid);
    http_send(req, 204, NULL, "", 0);
}

static void cors_prepare(struct gw_call *c, const cJSON *cors, const h2o_iovec_t *origin)
{
    c->cors = cors != NULL;
    const char *allow =
        cors != NULL && origin != NULL ? allowed_origin(cors, origin->base, origin->len) : NULL;
    if (allow == NULL)
        return;
    c->allow_origin = allow[0] == '\0' || strcmp(allow, "*") != 0
                          ? strndup(origin->base, origin->len)
                          : strdup("*");
    char buf[2048];
    if (joined(cors, "exposeHeaders", buf, sizeof(buf)))
        c->expose_headers = strdup(buf);
    c->allow_credentials = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cors, "allowCredentials"));
}

static void cors_headers(struct gw_call *c)
{
    if (c->allow_origin == NULL)
        return;
    add_header(c->req, H2O_STRLIT("access-control-allow-origin"), c->allow_origin,
               strlen(c->allow_origin));
    if (c->expose_headers != NULL)
        add_header(c->req, H2O_STRLIT("access-control-expose-headers"), c->expose_headers,
                   strlen(c->expose_headers));
    if (c->allow_credentials)
        http_header(c->req, "access-control-allow-credentials", "true", 4);
}

/* ---- the invocation ---- */

static void call_free(struct gw_call *c)
{
    timer_cancel(c->timers, &c->timer);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else if (c->gw != NULL && c->gw->fwd_calls == c)
        c->gw->fwd_calls = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    free(c->out[0].base);
    free(c->domain);
    free(c->event_arn);
    free(c->cache_key);
    cJSON_Delete(c->binary_types);
    cJSON_Delete(c->resp_params);
    free(c->accept);
    gw_response_free(&c->resp);
    free(c->event);
    free(c->allow_origin);
    free(c->expose_headers);
    free(c);
}

static void on_timeout(struct timer *t, void *arg)
{
    struct gw_call *c = arg;
    (void)t;
    cors_headers(c);
    send_message(c->req, c->fl, c->request_id, 504, c->fl->timed_out);
    c->req = NULL;
    if (c->client != NULL) { /* a forward: stop it now */
        h2o_http1client_cancel(c->client);
        call_free(c);
    }
}

static bool skipped_header(const struct gw_call *c, const char *name)
{
    static const char *const hop[] = {"content-length", "transfer-encoding", "connection",
                                      "keep-alive", "upgrade"};
    for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
        if (strcasecmp(name, hop[i]) == 0)
            return true;
    return c->cors && strncasecmp(name, "access-control-", 15) == 0;
}

/* The response mapping of r's status (responseParameters["200"]), or NULL. */
static const cJSON *response_mapping(const struct gw_call *c, const struct gw_response *r)
{
    char code[8];
    snprintf(code, sizeof(code), "%d", r->status);
    return cJSON_GetObjectItemCaseSensitive(c->resp_params, code);
}

/* A response mapping value: $response.header.X, $context.requestId or text. */
static const char *response_value(const struct gw_call *c, const struct gw_response *r,
                                  const char *v)
{
    static const char rh[] = "$response.header.";
    if (strcmp(v, "$context.requestId") == 0)
        return c->request_id;
    if (strncmp(v, rh, sizeof(rh) - 1) != 0)
        return v;
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, v + sizeof(rh) - 1) == 0)
            return r->headers[i].value;
    return NULL;
}

/* True if the mapping removes or overwrites header name. */
static bool header_mapped(const cJSON *map, const char *name)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, map)
    {
        const char *h = strstr(e->string, ":header.");
        if (h != NULL && strncmp(e->string, "append:", 7) != 0 && strcasecmp(h + 8, name) == 0)
            return true;
    }
    return false;
}

static void send_mapped(struct gw_call *c, const struct gw_response *r)
{
    const cJSON *map = response_mapping(c, r), *e;
    bool has_ctype = false;
    int status = r->status;
    for (size_t i = 0; i < r->nheaders; i++) {
        const struct gw_out_header *h = &r->headers[i];
        if (skipped_header(c, h->name) || header_mapped(map, h->name))
            continue;
        has_ctype = has_ctype || strcasecmp(h->name, "content-type") == 0;
        add_header(c->req, h->name, strlen(h->name), h->value, strlen(h->value));
    }
    cJSON_ArrayForEach(e, map)
    {
        const char *h = strstr(e->string, ":header.");
        const char *v = response_value(c, r, e->valuestring);
        if (strcmp(e->string, "overwrite:statuscode") == 0)
            status = (int)strtol(e->valuestring, NULL, 10);
        else if (h != NULL && v != NULL && strncmp(e->string, "remove:", 7) != 0 &&
                 strpbrk(v, "\r\n") == NULL) {
            has_ctype = has_ctype || strcasecmp(h + 8, "content-type") == 0;
            add_header(c->req, h + 8, strlen(h + 8), v, strlen(v));
        }
    }
    cors_headers(c);
    id_headers(c->req, c->fl, c->request_id);
    http_send(c->req, status, has_ctype ? NULL : "text/plain; charset=utf-8",
              r->body != NULL ? r->body : "", r->body_len);
}

/* A REST API sends a base64 body as binary only when binaryMediaTypes has
 * the request's Accept type or the response's Content-Type. */
static bool binary_wanted(const struct gw_call *c, const struct gw_response *r)
{
    for (const char *p = c->accept; p != NULL && *p != '\0';) {
        while (*p == ' ')
            p++;
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (gw_media_type_in(c->binary_types, p, n))
            return true;
        p = comma != NULL ? comma + 1 : NULL;
    }
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, "content-type") == 0 &&
            gw_media_type_in(c->binary_types, r->headers[i].value, strlen(r->headers[i].value)))
            return true;
    return false;
}

/* Puts the (decoded) body of r back into base64 text. */
static void rebase64(struct gw_response *r)
{
    char *enc = malloc(b64_encoded_len(r->body_len));
    if (enc == NULL)
        abort();
    size_t n = b64_encode(r->body != NULL ? r->body : "", r->body_len, enc);
    free(r->body);
    r->body = enc;
    r->body_len = n;
}

static void on_invoked(void *arg, const struct invoke_done *d)
{
    struct gw_call *c = arg;
    if (c->req == NULL) { /* answered by the timeout */
        call_free(c);
        return;
    }
    struct gw_response r;
    if (d->status != 0) {
        log_warn("msg=\"integration failed\" fn=%s err=%s", d->arn, err_str(d->status));
        cors_headers(c);
        send_message(c->req, c->fl, c->request_id, 500, c->fl->internal);
    } else if (d->inv->function_error ||
               gw_response_map(c->version, d->inv->result != NULL ? d->inv->result : "",
                               d->inv->result_len, &r) != 0) {
        cors_headers(c);
        send_message(c->req, c->fl, c->request_id, 502, c->fl->internal);
    } else {
        if (r.base64 && c->fl == &rest_api && !binary_wanted(c, &r))
            rebase64(&r);
        send_mapped(c, &r);
        gw_response_free(&r);
    }
    call_free(c);
}

/* ---- request parsing ---- */

/* The API id of a Host "{id}.execute-api[.x].localhost[:port]", or false. */
static bool api_of_host(const h2o_iovec_t *host, char id[16], char *domain, size_t cap)
{
    size_t len = host->len;
    const char *colon = memchr(host->base, ':', len);
    if (colon != NULL)
        len = (size_t)(colon - host->base);
    static const char mid[] = ".execute-api.", tail[] = ".localhost";
    const char *dot = memchr(host->base, '.', len);
    if (dot == NULL || len >= cap)
        return false;
    size_t idlen = (size_t)(dot - host->base), rest = len - idlen;
    if (idlen == 0 || idlen >= 16 || rest < sizeof(mid) - 1 + sizeof(tail) - 2 ||
        strncasecmp(dot, mid, sizeof(mid) - 1) != 0 ||
        strncasecmp(host->base + len - (sizeof(tail) - 1), tail, sizeof(tail) - 1) != 0)
        return false;
    memcpy(id, host->base, idlen);
    id[idlen] = '\0';
    memcpy(domain, host->base, len);
    domain[len] = '\0';
    return true;
}

static const char *protocol_of(const h2o_req_t *req)
{
    return req->version >= 0x200 ? "HTTP/2.0" : req->version == 0x100 ? "HTTP/1.0" : "HTTP/1.1";
}

/* Picks the stage: one named by the first path segment, else $default.
 * Sets *route_path to the path the routes see. */
static cJSON *select_stage(const cJSON *doc, const char *path, size_t len, size_t *skip)
{
    const char *slash = len > 1 ? memchr(path + 1, '/', len - 1) : NULL;
    size_t seg = slash != NULL ? (size_t)(slash - path) - 1 : len - 1;
    *skip = 0;
    if (seg > 0 && seg <= GW_NAME_MAX) {
        char name[GW_NAME_MAX + 1];
        memcpy(name, path + 1, seg);
        name[seg] = '\0';
        cJSON *st = strcmp(name, "$default") != 0 ? gw_stage(doc, name) : NULL;
        if (st != NULL) {
            *skip = seg + 1;
            return st;
        }
    }
    return gw_stage(doc, "$default");
}

static size_t headers_bytes(const h2o_req_t *req)
{
    size_t n = 0;
    for (size_t i = 0; i < req->headers.size; i++)
        n += req->headers.entries[i].name->len + req->headers.entries[i].value.len;
    return n;
}

/* obj[key] as a string, "" when absent (documents come from the store). */
static const char *jstr(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* ---- throttling ---- */

/* The route's effective setting name: routeSettings[routeKey] over
 * defaultRouteSettings; NULL when neither sets it. */
static const cJSON *route_setting(const cJSON *stage, const char *route_key, const char *name)
{
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(stage, "routeSettings"), route_key);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rs, name);
    if (!cJSON_IsNumber(v))
        v = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(stage, "defaultRouteSettings"), name);
    return cJSON_IsNumber(v) ? v : NULL;
}

/* Takes a token from the bucket called key; false when it is over rate
 * (requests per second) and burst (bucket size). NULL limits are unset; with
 * neither set nothing is throttled. */
static bool take_token(struct gw_api *api, const char *key, const cJSON *rate, const cJSON *burst)
{
    if (rate == NULL && burst == NULL)
        return true;
    double r = rate != NULL ? rate->valuedouble : 1e12;
    double b = burst != NULL ? burst->valuedouble : (r < 1 ? 1 : r);
    struct gw_bucket *bk = NULL;
    for (size_t i = 0; i < api->nbuckets && bk == NULL; i++)
        if (strcmp(api->buckets[i].key, key) == 0)
            bk = &api->buckets[i];
    if (bk == NULL) {
        struct gw_bucket *nb = realloc(api->buckets, (api->nbuckets + 1) * sizeof(*nb));
        if (nb == NULL)
            abort();
        api->buckets = nb;
        bk = &nb[api->nbuckets++];
        bk->key = strdup(key);
        if (bk->key == NULL)
            abort();
        bk->last_ms = 0; /* full */
    }
    return gw_bucket_take(&bk->tokens, &bk->last_ms, r, b);
}

/* The HTTP API route's bucket: per stage and route key. */
static bool route_token(struct gw_api *api, const cJSON *stage, const char *route_key)
{
    char key[GW_NAME_MAX + GW_ROUTE_KEY_MAX + 2];
    snprintf(key, sizeof(key), "%s %s", jstr(stage, "stageName"), route_key);
    return take_token(api, key, route_setting(stage, route_key, "throttlingRateLimit"),
                      route_setting(stage, route_key, "throttlingBurstLimit"));
}

/* A REST API method's bucket: its methodSettings entry ("{path}/{VERB}"),
 * else the stage-wide entry for every method. */
static bool method_token(struct gw_api *api, const cJSON *stage, const char *res_path,
                         const char *verb)
{
    char key[GW_ROUTE_KEY_MAX + 16];
    snprintf(key, sizeof(key), "%s/%s", res_path[0] == '/' ? res_path + 1 : res_path, verb);
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(stage, "methodSettings");
    const cJSON *own = cJSON_GetObjectItemCaseSensitive(ms, key);
    const cJSON *all = cJSON_GetObjectItemCaseSensitive(ms, "*/*");
    const cJSON *rate = cJSON_GetObjectItemCaseSensitive(own, "throttlingRateLimit");
    const cJSON *burst = cJSON_GetObjectItemCaseSensitive(own, "throttlingBurstLimit");
    if (!cJSON_IsNumber(rate))
        rate = cJSON_GetObjectItemCaseSensitive(all, "throttlingRateLimit");
    if (!cJSON_IsNumber(burst))
        burst = cJSON_GetObjectItemCaseSensitive(all, "throttlingBurstLimit");
    char bkey[GW_NAME_MAX + GW_ROUTE_KEY_MAX + 32];
    snprintf(bkey, sizeof(bkey), "%s %s", jstr(stage, "stageName"), key);
    return take_token(api, bkey, cJSON_IsNumber(rate) ? rate : NULL,
                      cJSON_IsNumber(burst) ? burst : NULL);
}

struct target {
    const cJSON *stage;
    const cJSON *route;
    const cJSON *integration;
    const struct gw_route_key *key;
    struct gw_match m;
};

/* Selects stage, route and integration; answers (and returns false) when
 * there is none. */
static bool select_target(h2o_req_t *req, struct gw_api *api, const char *rid, struct target *t,
                          size_t *skip, bool throttle)
{
    size_t plen = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    t->stage = select_stage(api->doc, req->path.base, plen, skip);
    const struct gw_deploy_rt *rt = gw_deployment_rt(api, jstr(t->stage, "deploymentId"));
    if (rt == NULL) {
        send_message(req, &http_api, rid, 404, "Not Found");
        return false;
    }
    const char *rpath = req->path.base + *skip;
    size_t rlen = plen - *skip;
    int i = gw_route_select(rt->ptrs, rt->nroutes, req->method.base, req->method.len,
                            rlen > 0 ? rpath : "/", rlen > 0 ? rlen : 1, &t->m);
    const char *target = NULL;
    if (i >= 0) {
        t->route = rt->routes[i];
        t->key = rt->ptrs[i];
        const cJSON *tg = cJSON_GetObjectItemCaseSensitive(t->route, "target");
        target = cJSON_IsString(tg) ? tg->valuestring : NULL;
    }
    t->integration = target != NULL && strncmp(target, "integrations/", 13) == 0
                         ? gw_item(rt->dep, "integrations", "integrationId", target + 13)
                         : NULL;
    if (t->integration == NULL) {
        send_message(req, &http_api, rid, 404, "Not Found");
        return false;
    }
    if (throttle && !route_token(api, t->stage, t->key->text)) {
        send_message(req, &http_api, rid, 429, "Too Many Requests");
        return false;
    }
    return true;
}

/* Completes r (the caller set what the route decides: path, stage, route
 * key, resource, parameters, REST fields) from req and builds the event of
 * payload version c->version (0: REST) into c. */
static bool build_event(struct gateway *gw, h2o_req_t *req, struct gw_request *r, struct gw_call *c)
{
    char ip[INET6_ADDRSTRLEN], port[8], clen[24], trace[64];
    http_peer_ip(req, ip, sizeof(ip));
    const char *colon = memchr(req->input.authority.base, ':', req->input.authority.len);
    int pl = colon != NULL
                 ? snprintf(port, sizeof(port), "%.*s",
                            (int)(req->input.authority.base + req->input.authority.len - colon - 1),
                            colon + 1)
                 : snprintf(port, sizeof(port), "%u", gw->port);
    int cl = snprintf(clen, sizeof(clen), "%zu", req->entity.len);
    size_t tl = trace_id(trace);
    /* H2O keeps Host and Content-Length out of req->headers; API Gateway adds
     * the X-Forwarded-* and X-Amzn-Trace-Id headers. */
    size_t n = req->headers.size;
    struct gw_header *hs = calloc(n + 6, sizeof(*hs));
    if (hs == NULL)
        abort();
    size_t k = 0;
    hs[k++] = (struct gw_header){"host", 4, req->input.authority.base, req->input.authority.len};
    if (req->entity.base != NULL)
        hs[k++] = (struct gw_header){"content-length", 14, clen, (size_t)cl};
    for (size_t i = 0; i < n; i++) {
        const h2o_header_t *h = &req->headers.entries[i];
        hs[k++] = (struct gw_header){h->name->base, h->name->len, h->value.base, h->value.len};
    }
    hs[k++] = (struct gw_header){"x-amzn-trace-id", 15, trace, tl};
    hs[k++] = (struct gw_header){"x-forwarded-for", 15, ip, strlen(ip)};
    hs[k++] = (struct gw_header){"x-forwarded-port", 16, port, (size_t)pl};
    hs[k++] = (struct gw_header){"x-forwarded-proto", 17, "http", 4};
    r->method = req->method.base;
    r->method_len = req->method.len;
    r->query = req->query_at != SIZE_MAX ? req->path.base + req->query_at + 1 : "";
    r->query_len = req->query_at != SIZE_MAX ? req->path.len - req->query_at - 1 : 0;
    r->headers = hs;
    r->nheaders = k;
    r->body = req->entity.base;
    r->body_len = req->entity.len;
    r->protocol = protocol_of(req);
    r->source_ip = ip;
    if (r->account == NULL)
        r->account = gw->account;
    r->request_id = c->request_id;
    r->time_ms = clock_ms();
    c->event = gw_event_build(c->version == 0 ? 1 : c->version, r, &c->event_len);
    free(hs);
    return c->event != NULL;
}

static struct gw_call *call_new(struct gateway *gw, h2o_req_t *req, const struct flavor *fl,
                                const char *rid, const cJSON *cors, const h2o_iovec_t *origin)
{
    struct gw_call *c = calloc(1, sizeof(*c));
    if (c == NULL)
        abort();
    c->req = req;
    c->fl = fl;
    c->gw = gw;
    c->timers = gw->timers;
    snprintf(c->request_id, sizeof(c->request_id), "%s", rid);
    timer_init(&c->timer, on_timeout, c);
    cors_prepare(c, cors, origin);
    return c;
}

static int64_t timeout_of(const cJSON *integration)
{
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(integration, "timeoutInMillis");
    return cJSON_IsNumber(to) ? to->valueint : GW_TIMEOUT_MAX_MS;
}

/* ---- HTTP_PROXY ---- */

static void fwd_fail(struct gw_call *c, const char *why)
{
    log_warn("msg=\"HTTP integration failed\" err=\"%s\"", why);
    c->client = NULL; /* H2O closes it after this callback */
    cors_headers(c);
    send_message(c->req, c->fl, c->request_id, 500, c->fl->internal);
    call_free(c);
}

static void fwd_done(struct gw_call *c)
{
    c->client = NULL;
    send_mapped(c, &c->resp);
    call_free(c);
}

static int on_fwd_body(h2o_http1client_t *client, const char *err)
{
    struct gw_call *c = client->data;
    h2o_buffer_t *in = client->sock != NULL ? client->sock->input : NULL;
    if (in != NULL && in->size > 0) {
        if (c->resp.body_len + in->size > GW_BODY_MAX_BYTES) {
            fwd_fail(c, "response larger than 10 MB");
            return -1;
        }
        char *b = realloc(c->resp.body, c->resp.body_len + in->size);
        if (b == NULL)
            abort();
        memcpy(b + c->resp.body_len, in->bytes, in->size);
        c->resp.body = b;
        c->resp.body_len += in->size;
        h2o_buffer_consume(&client->sock->input, in->size);
    }
    if (err == h2o_http1client_error_is_eos) {
        fwd_done(c);
        return 0;
    }
    if (err != NULL) {
        fwd_fail(c, err);
        return -1;
    }
    return 0;
}

static h2o_http1client_body_cb on_fwd_head(h2o_http1client_t *client, const char *err, int minor,
                                           int status, h2o_iovec_t msg, h2o_header_t *headers,
                                           size_t n, int rlen)
{
    struct gw_call *c = client->data;
    (void)minor;
    (void)msg;
    (void)rlen;
    if (err != NULL && err != h2o_http1client_error_is_eos) {
        fwd_fail(c, err);
        return NULL;
    }
    c->resp.status = status;
    for (size_t i = 0; i < n; i++) {
        struct gw_out_header *h = realloc(c->resp.headers, (c->resp.nheaders + 1) * sizeof(*h));
        if (h == NULL)
            abort();
        c->resp.headers = h;
        h[c->resp.nheaders].name = strndup(headers[i].name->base, headers[i].name->len);
        h[c->resp.nheaders].value = strndup(headers[i].value.base, headers[i].value.len);
        if (h[c->resp.nheaders].name == NULL || h[c->resp.nheaders].value == NULL)
            abort();
        c->resp.nheaders++;
    }
    if (err == h2o_http1client_error_is_eos) { /* no body */
        fwd_done(c);
        return NULL;
    }
    return on_fwd_body;
}

static h2o_http1client_head_cb on_fwd_connect(h2o_http1client_t *client, const char *err,
                                              h2o_iovec_t **bufs, size_t *nbufs, int *is_head)
{
    struct gw_call *c = client->data;
    if (err != NULL) {
        fwd_fail(c, err);
        return NULL;
    }
    *bufs = c->out;
    *nbufs = c->out[1].len > 0 ? 2 : 1;
    *is_head = http_method_is(c->req, "HEAD");
    return on_fwd_head;
}

static bool hop_by_hop(const h2o_iovec_t *name)
{
    static const char *const hop[] = {
        "host", "connection", "content-length", "transfer-encoding", "keep-alive",
        "te",   "upgrade",    "expect",         "proxy-connection"};
    for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
        if (h2o_lcstris(name->base, name->len, hop[i], strlen(hop[i])))
            return true;
    return false;
}

/* Appends len bytes to the growing buffer *b (length *n, capacity *cap). */
static void put(char **b, size_t *n, size_t *cap, const char *p, size_t len)
{
    if (*n + len + 1 > *cap) {
        *cap = (*n + len + 1) * 2;
        *b = realloc(*b, *cap);
        if (*b == NULL)
            abort();
    }
    memcpy(*b + *n, p, len);
    *n += len;
}

/* An HTTP API integration's parameter mapping and what its values refer to. */
struct mapping {
    const cJSON *params; /* requestParameters: "{op}:{target}" -> value */
    const struct gw_match *m;
    const cJSON *vars; /* stage variables */
    const char *rid;
};

static const char *identity_value(h2o_req_t *req, const cJSON *vars, const char *src, char *buf,
                                  size_t cap, bool *skip);

/* The value of a mapping: $request.header.X, $request.querystring.X,
 * $request.path.X, $request.path, $stageVariables.X, $context.requestId, or
 * the text itself. NULL when the request has no such value. */
static const char *map_value(h2o_req_t *req, const struct mapping *mp, const char *v, char *buf,
                             size_t cap)
{
    static const char pp[] = "$request.path.";
    bool skip;
    if (strncmp(v, pp, sizeof(pp) - 1) == 0) {
        for (int i = 0; mp->m != NULL && i < mp->m->nparams; i++)
            if (strlen(v + sizeof(pp) - 1) == mp->m->params[i].name_len &&
                memcmp(v + sizeof(pp) - 1, mp->m->params[i].name, mp->m->params[i].name_len) == 0) {
                snprintf(buf, cap, "%.*s", (int)mp->m->params[i].value_len, mp->m->params[i].value);
                return buf;
            }
        return NULL;
    }
    if (strcmp(v, "$request.path") == 0) {
        size_t plen = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
        snprintf(buf, cap, "%.*s", (int)plen, req->path.base);
        return buf;
    }
    if (strcmp(v, "$context.requestId") == 0)
        return mp->rid;
    if (strncmp(v, "$request.", 9) == 0 || strncmp(v, "$stageVariables.", 16) == 0)
        return identity_value(req, mp->vars, v, buf, cap, &skip);
    return v;
}

/* Appends a query pair name=value (value percent-encoded). */
static void put_pair(char **b, size_t *n, size_t *cap, const char *name, size_t nlen,
                     const char *value)
{
    put(b, n, cap, *n > 0 ? "&" : "", *n > 0 ? 1 : 0);
    put(b, n, cap, name, nlen);
    put(b, n, cap, "=", 1);
    for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
        char esc[4];
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p) != NULL) {
            put(b, n, cap, (const char *)p, 1);
        } else {
            snprintf(esc, sizeof(esc), "%%%02X", *p);
            put(b, n, cap, esc, 3);
        }
    }
}

/* The mapping of target ("header.x-y", "querystring.q", "path"), its op
 * ("append", "overwrite", "remove") in *op, or NULL. */
static const cJSON *mapping_of(const struct mapping *mp, const char *kind, const char *name,
                               size_t nlen, const char **op)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, mp->params)
    {
        const char *colon = strchr(e->string, ':');
        size_t kl = strlen(kind);
        if (colon == NULL || strncmp(colon + 1, kind, kl) != 0)
            continue;
        const char *t = colon + 1 + kl;
        bool header = strcmp(kind, "header") == 0; /* header names are case-insensitive */
        if ((name == NULL && *t == '\0') ||
            (name != NULL && *t == '.' && strlen(t + 1) == nlen &&
             (header ? strncasecmp(t + 1, name, nlen) : strncmp(t + 1, name, nlen)) == 0)) {
            *op = e->string;
            return e;
        }
    }
    return NULL;
}

/* The request's query with the querystring mappings applied ("" or "?..."). */
static char *mapped_query(h2o_req_t *req, const struct mapping *mp)
{
    char *b = NULL, buf[2048];
    size_t n = 0, cap = 0;
    const char *q = req->query_at != SIZE_MAX ? req->path.base + req->query_at + 1 : "";
    const char *end = q + (req->query_at != SIZE_MAX ? req->path.len - req->query_at - 1 : 0);
    put(&b, &n, &cap, "", 0);
    for (const char *p = q; p < end;) {
        const char *amp = memchr(p, '&', (size_t)(end - p)), *pe = amp != NULL ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pe - p)), *ke = eq != NULL ? eq : pe;
        const char *op = NULL;
        if (mapping_of(mp, "querystring", p, (size_t)(ke - p), &op) == NULL ||
            strncmp(op, "append:", 7) == 0) {
            put(&b, &n, &cap, n > 0 ? "&" : "", n > 0 ? 1 : 0);
            put(&b, &n, &cap, p, (size_t)(pe - p));
        }
        p = pe + 1;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, mp->params)
    {
        if (strncmp(e->string, "remove:", 7) == 0 || strstr(e->string, ":querystring.") == NULL)
            continue;
        const char *name = strstr(e->string, ":querystring.") + 13;
        const char *v = map_value(req, mp, e->valuestring, buf, sizeof(buf));
        if (v != NULL)
            put_pair(&b, &n, &cap, name, strlen(name), v);
    }
    char *out = malloc(n + 2);
    if (out == NULL)
        abort();
    snprintf(out, n + 2, "%s%.*s", n > 0 ? "?" : "", (int)n, b);
    free(b);
    return out;
}

/* The upstream URL: integrationUri with {name} and {name+} replaced by the
 * route's path parameters, plus the request's query string. */
static char *upstream_url(const char *uri, const struct gw_match *m, const char *query)
{
    char *b = NULL;
    size_t n = 0, cap = 0;
    for (const char *p = uri; *p != '\0';) {
        const char *close = *p == '{' ? strchr(p, '}') : NULL;
        bool done = false;
        for (int i = 0; close != NULL && i < m->nparams && !done; i++) {
            const struct gw_param *pp = &m->params[i];
            size_t nlen = (size_t)(close - p - 1);
            if (nlen > 0 && p[nlen] == '+')
                nlen--;
            if (nlen == pp->name_len && memcmp(p + 1, pp->name, pp->name_len) == 0) {
                put(&b, &n, &cap, pp->value, pp->value_len);
                p = close + 1;
                done = true;
            }
        }
        if (!done)
            put(&b, &n, &cap, p++, 1);
    }
    put(&b, &n, &cap, query, strlen(query));
    put(&b, &n, &cap, "", 1);
    return b;
}

bool gw_fwd_setup(struct gateway *gw, h2o_req_t *req)
{
    if (gw->fwd_ready)
        return gw->fwd.ssl_ctx != NULL;
    h2o_context_t *ctx = req->conn->ctx;
    h2o_timeout_init(ctx->loop, &gw->fwd_timeout, GW_TIMEOUT_MAX_MS);
    gw->fwd = (h2o_http1client_ctx_t){.loop = ctx->loop,
                                      .getaddr_receiver = &ctx->receivers.hostinfo_getaddr,
                                      .io_timeout = &gw->fwd_timeout,
                                      .ssl_ctx = SSL_CTX_new(TLS_client_method())};
    if (gw->fwd.ssl_ctx != NULL) {
        SSL_CTX_set_default_verify_paths(gw->fwd.ssl_ctx);
        SSL_CTX_set_verify(gw->fwd.ssl_ctx, SSL_VERIFY_PEER, NULL);
    }
    gw->fwd_ready = true;
    return gw->fwd.ssl_ctx != NULL;
}

/* The request head sent upstream (malloc'd, *len set). */
static char *upstream_head(h2o_req_t *req, const char *method, const h2o_url_t *u,
                           const struct mapping *mp, size_t *len)
{
    char *b = NULL, ip[INET6_ADDRSTRLEN], tail[160];
    size_t n = 0, cap = 0;
    if (strcmp(method, "ANY") == 0)
        put(&b, &n, &cap, req->method.base, req->method.len);
    else
        put(&b, &n, &cap, method, strlen(method));
    put(&b, &n, &cap, " ", 1);
    put(&b, &n, &cap, u->path.base, u->path.len);
    put(&b, &n, &cap, H2O_STRLIT(" HTTP/1.1\r\nhost: "));
    put(&b, &n, &cap, u->authority.base, u->authority.len);
    put(&b, &n, &cap, H2O_STRLIT("\r\nconnection: close\r\n"));
    for (size_t i = 0; i < req->headers.size; i++) {
        const h2o_header_t *h = &req->headers.entries[i];
        const char *op = NULL;
        if (hop_by_hop(h->name) ||
            (mapping_of(mp, "header", h->name->base, h->name->len, &op) != NULL &&
             strncmp(op, "append:", 7) != 0))
            continue; /* removed or overwritten */
        put(&b, &n, &cap, h->name->base, h->name->len);
        put(&b, &n, &cap, ": ", 2);
        put(&b, &n, &cap, h->value.base, h->value.len);
        put(&b, &n, &cap, "\r\n", 2);
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, mp->params)
    {
        char buf[4096];
        const char *hn = strstr(e->string, ":header.");
        const char *v = hn != NULL && strncmp(e->string, "remove:", 7) != 0
                            ? map_value(req, mp, e->valuestring, buf, sizeof(buf))
                            : NULL;
        if (v == NULL || strpbrk(v, "\r\n") != NULL)
            continue;
        put(&b, &n, &cap, hn + 8, strlen(hn + 8));
        put(&b, &n, &cap, ": ", 2);
        put(&b, &n, &cap, v, strlen(v));
        put(&b, &n, &cap, "\r\n", 2);
    }
    http_peer_ip(req, ip, sizeof(ip));
    int tl =
        snprintf(tail, sizeof(tail),
                 "x-forwarded-for: %s\r\nx-forwarded-proto: http\r\ncontent-length: %zu\r\n\r\n",
                 ip, req->entity.len);
    put(&b, &n, &cap, tail, (size_t)tl);
    *len = n;
    return b;
}

/* Sends req to the HTTP_PROXY integration at uri (with the route's
 * parameters m) using method; c answers when it responds. */
static void forward(struct gateway *gw, h2o_req_t *req, const char *uri, const char *method,
                    const struct mapping *mp, struct gw_call *c, int64_t timeout_ms)
{
    char *query = mapped_query(req, mp), *url, buf[4096];
    const char *op = NULL;
    const cJSON *path = mapping_of(mp, "path", NULL, 0, &op);
    const char *pv = path != NULL ? map_value(req, mp, path->valuestring, buf, sizeof(buf)) : NULL;
    if (pv != NULL) { /* overwrite:path: the URI's scheme and authority, the mapped path */
        const char *auth = strstr(uri, "://");
        const char *slash = auth != NULL ? strchr(auth + 3, '/') : NULL;
        size_t keep = slash != NULL ? (size_t)(slash - uri) : strlen(uri);
        size_t len = keep + strlen(pv) + strlen(query) + 2;
        if ((url = malloc(len)) == NULL)
            abort();
        snprintf(url, len, "%.*s%s%s%s", (int)keep, uri, pv[0] == '/' ? "" : "/", pv, query);
    } else {
        url = upstream_url(uri, mp->m, query);
    }
    free(query);
    h2o_url_t u;
    if (!gw_fwd_setup(gw, req) || h2o_url_parse(url, strlen(url), &u) != 0) {
        free(url);
        fwd_fail(c, "invalid integration URI");
        return;
    }
    size_t hl;
    char *head = upstream_head(req, method, &u, mp, &hl);
    c->out[0] = h2o_iovec_init(head, hl);
    c->out[1] = h2o_iovec_init(req->entity.base, req->entity.len);
    c->next = gw->fwd_calls;
    if (c->next != NULL)
        c->next->prev = c;
    gw->fwd_calls = c;
    timer_arm(gw->timers, &c->timer, timeout_ms);
    /* c may be gone once this returns (an immediate failure); url is ours */
    h2o_http1client_connect(&c->client, c, &gw->fwd, u.host, h2o_url_get_port(&u),
                            u.scheme == &H2O_URL_SCHEME_HTTPS, on_fwd_connect);
    free(url);
}

void gw_proxy_fini(struct gateway *gw)
{
    gw_jwks_fini(gw);
    while (gw->fwd_calls != NULL) {
        struct gw_call *c = gw->fwd_calls;
        if (c->client != NULL)
            h2o_http1client_cancel(c->client);
        call_free(c);
    }
    if (gw->fwd_ready) {
        h2o_timeout_dispose(gw->fwd.loop, &gw->fwd_timeout);
        SSL_CTX_free(gw->fwd.ssl_ctx);
        gw->fwd_ready = false;
    }
}

/* The account-level throttle (--apigw-rate, --apigw-burst) across every
 * API: a token bucket; true when the request may go on. */
static bool account_token(struct gateway *gw)
{
    if (gw->account_rate <= 0)
        return true;
    return gw_bucket_take(&gw->account_tokens, &gw->account_last_ms, gw->account_rate,
                          gw->account_burst > 0 ? gw->account_burst : gw->account_rate);
}

/* Answers (and returns false) a request over the limits every API applies. */
static bool within_limits(h2o_req_t *req, const struct gw_api *api, const struct flavor *fl,
                          const char *rid)
{
    const cJSON *top =
        cJSON_GetObjectItemCaseSensitive(api->doc, gw_is_rest(api) ? "restapi" : "api");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(top, "disableExecuteApiEndpoint")))
        send_message(req, fl, rid, 403, "Forbidden");
    else if (req->entity.len > GW_BODY_MAX_BYTES)
        send_message(req, fl, rid, 413, "Request Entity Too Large");
    else if (headers_bytes(req) > GW_HEADERS_MAX_BYTES)
        send_message(req, fl, rid, 431, "Request Header Fields Too Large");
    else
        return true;
    return false;
}

/* What runs a request once its route is known. */
struct integration {
    const char *type; /* AWS_PROXY or HTTP_PROXY */
    const char *uri;
    const char *method; /* HTTP_PROXY: the upstream method (ANY: the request's) */
    int version;        /* AWS_PROXY payload: 1, 2, or 0 for a REST API's 1.0 */
    int64_t timeout_ms;
    const cJSON *params;      /* HTTP API parameter mapping (requestParameters), or NULL */
    const cJSON *resp_params; /* and its responseParameters, or NULL */
};

/* Runs integration in for req; r describes the request for the event. */
static void integrate(struct gateway *gw, h2o_req_t *req, const struct flavor *fl, const char *rid,
                      const cJSON *cors, const h2o_iovec_t *origin, const struct integration *in,
                      struct gw_request *r)
{
    if (strcmp(in->type, "HTTP_PROXY") == 0) {
        struct gw_call *c = call_new(gw, req, fl, rid, cors, origin);
        c->resp_params = cJSON_Duplicate(in->resp_params, true);
        struct mapping mp = {.params = in->params, .m = r->m, .vars = r->stage_vars, .rid = rid};
        forward(gw, req, in->uri, in->method, &mp, c, in->timeout_ms);
        return;
    }
    struct fn_ref ref;
    struct function *fn = NULL;
    if (strcmp(in->type, "AWS_PROXY") != 0 ||
        (in->version == 0 && strcmp(in->method, "POST") != 0) ||
        gw_lambda_uri(in->uri, &ref) != 0 || invoke_lookup(gw->invoke, &ref, true, &fn) != 0) {
        log_warn("msg=\"integration cannot run\" api=%s type=%s", r->api_id, in->type);
        send_message(req, fl, rid, 500, fl->internal);
        return;
    }
    struct gw_call *c = call_new(gw, req, fl, rid, cors, origin);
    c->version = in->version;
    c->resp_params = cJSON_Duplicate(in->resp_params, true);
    if (r->rest) {
        const h2o_iovec_t *accept = http_req_header(req, "accept");
        c->binary_types = cJSON_Duplicate(r->binary_types, true);
        c->accept = accept != NULL ? strndup(accept->base, accept->len) : NULL;
    }
    int rc = 0;
    if (!build_event(gw, req, r, c) || c->event_len > INVOKE_PAYLOAD_MAX_BYTES) {
        cors_headers(c);
        send_message(req, fl, rid, 413, "Request Entity Too Large");
    } else if ((rc = invoke_submit(gw->invoke, fn,
                                   &(struct invoke_params){.qualifier = ref.qualifier,
                                                           .payload = c->event,
                                                           .len = c->event_len},
                                   on_invoked, c)) != 0) {
        cors_headers(c);
        send_message(req, fl, rid, 500, fl->internal);
    } else {
        timer_arm(gw->timers, &c->timer, in->timeout_ms);
        return;
    }
    call_free(c);
}

/* ---- Lambda authorizers ---- */

/* An authorizer's decision, carried into the integration's event. */
struct gw_auth {
    cJSON *context;  /* owned, or NULL */
    char *principal; /* owned, or NULL */
    cJSON *claims;   /* a JWT authorizer's: the token's claims, owned, or NULL */
    cJSON *scopes;   /* and its scopes (a list), owned, or NULL */
};

static bool proxy(struct gateway *gw, h2o_req_t *req, const char *rid, const struct gw_auth *auth);

/* The event fields an HTTP API route decides, for the integration and the
 * authorizer alike. */
static void http_request_of(h2o_req_t *req, const struct gw_api *api, const struct target *t,
                            const char *domain, struct gw_request *r)
{
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(t->stage, "stageVariables");
    *r = (struct gw_request){
        .path = req->path.base,
        .path_len = req->query_at != SIZE_MAX ? req->query_at : req->path.len,
        .domain = domain,
        .api_id = api->id,
        .stage = jstr(t->stage, "stageName"),
        .route_key = t->key->text,
        .resource = t->key->is_default ? "$default" : t->key->text + t->key->path_off,
        .m = &t->m,
        .stage_vars = cJSON_IsObject(vars) ? vars : NULL,
    };
}

/* The value of identity source src for req, in buf; NULL when absent. HTTP
 * APIs write "$request.header.X", REST APIs "method.request.header.X" (and
 * querystring, stageVariables); context sources always exist (*skip set). */
static const char *identity_value(h2o_req_t *req, const cJSON *vars, const char *src, char *buf,
                                  size_t cap, bool *skip)
{
    static const char hdr[] = "request.header.", qs[] = "request.querystring.",
                      sv[] = "stageVariables.";
    if (src[0] == '$')
        src++;
    else if (strncmp(src, "method.", 7) == 0)
        src += 7;
    *skip = false;
    if (strncmp(src, hdr, sizeof(hdr) - 1) == 0) {
        char name[256];
        snprintf(name, sizeof(name), "%s", src + sizeof(hdr) - 1);
        for (char *c = name; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        const h2o_iovec_t *h = http_req_header(req, name);
        if (h == NULL || h->len == 0)
            return NULL;
        snprintf(buf, cap, "%.*s", (int)h->len, h->base);
        return buf;
    }
    if (strncmp(src, qs, sizeof(qs) - 1) == 0)
        return http_query(req, src + sizeof(qs) - 1, buf, cap) > 0 ? buf : NULL;
    if (strncmp(src, sv, sizeof(sv) - 1) == 0) {
        const char *v = jstr(vars, src + sizeof(sv) - 1);
        snprintf(buf, cap, "%s", v);
        return v[0] != '\0' ? buf : NULL;
    }
    *skip = true;
    return NULL;
}

/* The authorizer's answer: 1 allowed (auth filled), 0 denied, -1 malformed. */
static int decide(const struct gw_call *c, const struct invoke_done *d, struct gw_auth *auth)
{
    if (d->status != 0 || d->inv->function_error)
        return -1;
    return gw_authorizer_verdict(d->inv->result != NULL ? d->inv->result : "", d->inv->result_len,
                                 c->simple, c->event_arn, &auth->context, &auth->principal);
}

static struct gw_auth_entry *cache_find(struct gw_api *api, const char *key)
{
    int64_t now = timer_now_ms();
    for (size_t i = 0; i < api->nauth_cache; i++) {
        struct gw_auth_entry *e = &api->auth_cache[i];
        if (strcmp(e->key, key) == 0)
            return e->expires_ms > now ? e : NULL;
    }
    return NULL;
}

/* Keeps decision (allowed, auth) of c for its TTL. */
static void cache_put(struct gw_api *api, const struct gw_call *c, bool allowed,
                      const struct gw_auth *auth)
{
    struct gw_auth_entry *e = NULL;
    int64_t now = timer_now_ms();
    for (size_t i = 0; i < api->nauth_cache && e == NULL; i++)
        if (strcmp(api->auth_cache[i].key, c->cache_key) == 0 ||
            api->auth_cache[i].expires_ms <= now)
            e = &api->auth_cache[i];
    if (e == NULL && api->nauth_cache >= GW_AUTH_CACHE_MAX)
        return; /* full of live decisions: this one is not kept */
    if (e == NULL) {
        struct gw_auth_entry *n =
            realloc(api->auth_cache, (api->nauth_cache + 1) * sizeof(*api->auth_cache));
        if (n == NULL)
            abort();
        api->auth_cache = n;
        e = &n[api->nauth_cache++];
    } else {
        free(e->key);
        cJSON_Delete(e->context);
        free(e->principal);
    }
    *e = (struct gw_auth_entry){
        .key = strdup(c->cache_key),
        .expires_ms = now + (int64_t)c->ttl_s * 1000,
        .allowed = allowed,
        .context = auth->context != NULL ? cJSON_Duplicate(auth->context, true) : NULL,
        .principal = auth->principal != NULL ? strdup(auth->principal) : NULL,
    };
    if (e->key == NULL || (auth->principal != NULL && e->principal == NULL))
        abort();
}

static void on_authorized(void *arg, const struct invoke_done *d)
{
    struct gw_call *c = arg;
    if (c->req == NULL) { /* answered by the timeout */
        call_free(c);
        return;
    }
    struct gw_auth auth = {0};
    int rc = decide(c, d, &auth);
    h2o_req_t *req = c->req;
    struct gateway *gw = c->gw;
    char rid[40], id[16];
    memcpy(rid, c->request_id, sizeof(rid));
    snprintf(id, sizeof(id), "%s", c->api_id);
    struct gw_api *api = gw_find(gw, id);
    if (rc >= 0 && c->cache_key != NULL && api != NULL)
        cache_put(api, c, rc == 1, &auth);
    if (rc != 1) {
        cors_headers(c);
        if (rc == 0)
            send_body(req, c->fl, rid, 403, c->fl->denied);
        else
            send_message(req, c->fl, rid, 500, c->fl->internal);
        call_free(c);
        return;
    }
    call_free(c);
    /* route again on the API as it is now: it may have changed meanwhile */
    proxy(gw, req, rid, &auth);
    cJSON_Delete(auth.context);
    free(auth.principal);
}

/* An authorizer invocation, whichever kind of API asks for it. */
struct auth_req {
    const struct flavor *fl;
    const cJSON *authorizer;
    const char *id;  /* the authorizer's id */
    const char *uri; /* its Lambda */
    cJSON *values;   /* identity values (taken) */
    int ttl_s;       /* how long decisions are cached (0: never) */
    bool simple;     /* enableSimpleResponses */
    int version;     /* event: 1 or 2 (HTTP APIs), 0 (REST REQUEST) */
    bool token;      /* a REST TOKEN authorizer */
    const char *arn; /* routeArn / methodArn */
    struct gw_request *r;
};

/* The authorizer's event: the route's event without its body, plus type,
 * the ARN and the identity; a TOKEN authorizer's is just those. */
static cJSON *auth_event(struct gateway *gw, h2o_req_t *req, const struct auth_req *ar,
                         struct gw_call *c)
{
    cJSON *ev;
    if (ar->token) {
        ev = cJSON_CreateObject();
        cJSON_AddStringToObject(ev, "type", "TOKEN");
        cJSON_AddStringToObject(ev, "authorizationToken",
                                cJSON_GetArrayItem(ar->values, 0)->valuestring);
        cJSON_AddStringToObject(ev, "methodArn", ar->arn);
        return ev;
    }
    if (!build_event(gw, req, ar->r, c) || (ev = cJSON_Parse(c->event)) == NULL)
        return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(ev, "body");
    cJSON_DeleteItemFromObjectCaseSensitive(ev, "isBase64Encoded");
    cJSON_AddStringToObject(ev, "type", "REQUEST");
    cJSON_AddStringToObject(ev, ar->version == 2 ? "routeArn" : "methodArn", ar->arn);
    if (ar->version == 2) {
        cJSON_AddItemToObject(ev, "identitySource", cJSON_Duplicate(ar->values, true));
    } else if (ar->version == 1) {
        char joined[8192] = "";
        size_t n = 0;
        const cJSON *v;
        cJSON_ArrayForEach(v, ar->values)
        {
            int w =
                snprintf(joined + n, sizeof(joined) - n, "%s%s", n > 0 ? "," : "", v->valuestring);
            if (w > 0 && (size_t)w < sizeof(joined) - n)
                n += (size_t)w;
        }
        cJSON_AddStringToObject(ev, "identitySource", joined);
        cJSON_AddStringToObject(ev, "authorizationToken", joined);
    }
    return ev;
}

/* Invokes the authorizer of ar (fn), taking key (the cache key or NULL). */
static void start_authorizer(struct gateway *gw, h2o_req_t *req, struct gw_api *api,
                             const char *rid, const cJSON *cors, const h2o_iovec_t *origin,
                             const struct auth_req *ar, struct function *fn, const char *qualifier,
                             char *key)
{
    struct gw_call *c = call_new(gw, req, ar->fl, rid, cors, origin);
    c->cache_key = key;
    c->ttl_s = ar->ttl_s;
    c->version = ar->version;
    c->simple = ar->simple;
    snprintf(c->api_id, sizeof(c->api_id), "%s", api->id);
    if ((c->event_arn = strdup(ar->arn)) == NULL)
        abort();
    cJSON *ev = auth_event(gw, req, ar, c);
    free(c->event);
    c->event = ev != NULL ? cJSON_PrintUnformatted(ev) : NULL;
    cJSON_Delete(ev);
    c->event_len = c->event != NULL ? strlen(c->event) : 0;
    if (c->event == NULL ||
        invoke_submit(gw->invoke, fn,
                      &(struct invoke_params){
                          .qualifier = qualifier, .payload = c->event, .len = c->event_len},
                      on_authorized, c) != 0) {
        send_message(req, ar->fl, rid, 500, ar->fl->internal);
        call_free(c);
        return;
    }
    timer_arm(gw->timers, &c->timer, GW_AUTHORIZER_TIMEOUT_MS);
}

/* The cache key of ar's decision (malloc'd), or NULL when it is not cached. */
static char *cache_key_of(const struct auth_req *ar)
{
    if (ar->ttl_s <= 0 || cJSON_GetArraySize(ar->values) == 0)
        return NULL;
    char *vals = cJSON_PrintUnformatted(ar->values);
    size_t kl = strlen(ar->id) + (vals != NULL ? strlen(vals) : 0) + 2;
    char *key = malloc(kl);
    if (vals == NULL || key == NULL)
        abort();
    snprintf(key, kl, "%s %s", ar->id, vals);
    free(vals);
    return key;
}

/* Runs the authorizer of ar (or uses its cached decision); the request goes
 * on in on_authorized. Takes ar->values. */
static void authorize(struct gateway *gw, h2o_req_t *req, struct gw_api *api, const char *rid,
                      const cJSON *cors, const h2o_iovec_t *origin, struct auth_req *ar)
{
    struct fn_ref ref;
    struct function *fn = NULL;
    char *key = cache_key_of(ar);
    const struct gw_auth_entry *e = key != NULL ? cache_find(api, key) : NULL;
    if (e != NULL && e->allowed) {
        struct gw_auth hit = {.context = e->context, .principal = e->principal};
        proxy(gw, req, rid, &hit);
    } else if (e != NULL) {
        send_body(req, ar->fl, rid, 403, ar->fl->denied);
    } else if (gw_lambda_uri(ar->uri, &ref) != 0 ||
               invoke_lookup(gw->invoke, &ref, true, &fn) != 0) {
        log_warn("msg=\"authorizer cannot run\" api=%s", api->id);
        send_message(req, ar->fl, rid, 500, ar->fl->internal);
    } else {
        start_authorizer(gw, req, api, rid, cors, origin, ar, fn, ref.qualifier, key);
        key = NULL;
    }
    free(key);
    cJSON_Delete(ar->values);
}

/* Collects the identity values of sources (a list of strings); false after
 * answering 401 when one is missing. */
static bool identity_values(h2o_req_t *req, const struct flavor *fl, const char *rid,
                            const cJSON *sources, const cJSON *vars, cJSON **out)
{
    cJSON *values = cJSON_CreateArray();
    const cJSON *src;
    cJSON_ArrayForEach(src, sources)
    {
        char buf[4096];
        bool ctx_var;
        const char *v = cJSON_IsString(src) ? identity_value(req, vars, src->valuestring, buf,
                                                             sizeof(buf), &ctx_var)
                                            : NULL;
        if (v == NULL && !ctx_var) {
            cJSON_Delete(values);
            send_message(req, fl, rid, 401, "Unauthorized");
            return false;
        }
        if (v != NULL)
            cJSON_AddItemToArray(values, cJSON_CreateString(v));
    }
    *out = values;
    return true;
}

/* The ARN of a request: arn:aws:execute-api:{region}:{account}:{api}/{stage}/{VERB}{path}. */
static char *request_arn(const struct gateway *gw, const h2o_req_t *req, const char *api_id,
                         const char *stage, const char *path, size_t plen)
{
    size_t n = strlen(gw->region) + strlen(gw->account) + strlen(api_id) + strlen(stage) +
               req->method.len + plen + 32;
    char *arn = malloc(n);
    if (arn == NULL)
        abort();
    snprintf(arn, n, "arn:aws:execute-api:%s:%s:%s/%s/%.*s%.*s", gw->region, gw->account, api_id,
             stage, (int)req->method.len, req->method.base, (int)plen, path);
    return arn;
}

/* An HTTP API route with authorizationType CUSTOM. */
static void authorize_http(struct gateway *gw, h2o_req_t *req, struct gw_api *api,
                           const struct target *t, size_t skip, const char *rid, const char *domain,
                           const cJSON *cors, const h2o_iovec_t *origin)
{
    const cJSON *a =
        gw_item(api->doc, "authorizers", "authorizerId", jstr(t->route, "authorizerId"));
    struct gw_request r;
    http_request_of(req, api, t, domain, &r);
    struct auth_req ar = {
        .fl = &http_api,
        .authorizer = a,
        .id = jstr(a, "authorizerId"),
        .uri = jstr(a, "authorizerUri"),
        .simple = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "enableSimpleResponses")),
        .version = strcmp(jstr(a, "authorizerPayloadFormatVersion"), "1.0") == 0 ? 1 : 2,
        .r = &r,
    };
    const cJSON *ttl = cJSON_GetObjectItemCaseSensitive(a, "authorizerResultTtlInSeconds");
    ar.ttl_s = cJSON_IsNumber(ttl) ? ttl->valueint : 0;
    if (!identity_values(req, &http_api, rid, cJSON_GetObjectItemCaseSensitive(a, "identitySource"),
                         r.stage_vars, &ar.values))
        return;
    size_t plen = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    char *arn = request_arn(gw, req, api->id, r.stage, req->path.base + skip, plen - skip);
    ar.arn = arn;
    authorize(gw, req, api, rid, cors, origin, &ar);
    free(arn);
}

/* ---- JWT authorizers ---- */

/* A request waiting for its JWT issuer's keys. */
struct jwt_wait {
    struct gateway *gw;
    struct gw_call *c; /* its request, rid and CORS answers */
    struct jwt tok;
    char *issuer;
    cJSON *audience; /* the authorizer's (a copy) */
    cJSON *required; /* the route's authorizationScopes (a copy), or NULL */
};

/* The token's scopes as a list ("scope" split at spaces, else "scp"), or NULL. */
static cJSON *token_scopes(const struct jwt *t)
{
    const char *scope = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t->claims, "scope"));
    const cJSON *scp = cJSON_GetObjectItemCaseSensitive(t->claims, "scp");
    if (scope == NULL)
        return cJSON_IsArray(scp) ? cJSON_Duplicate(scp, true) : NULL;
    cJSON *list = cJSON_CreateArray();
    for (const char *p = scope + strspn(scope, " "); *p != '\0';) {
        size_t l = strcspn(p, " ");
        char *one = strndup(p, l);
        if (one == NULL)
            abort();
        cJSON_AddItemToArray(list, cJSON_CreateString(one));
        free(one);
        p += l;
        p += strspn(p, " ");
    }
    return list;
}

static void jwt_wait_free(struct jwt_wait *w)
{
    jwt_free(&w->tok);
    free(w->issuer);
    cJSON_Delete(w->audience);
    cJSON_Delete(w->required);
    free(w);
}

/* The keys are here (or not): judge the token, then route the request again
 * with its claims, as a Lambda authorizer's verdict does. */
static void on_jwks(void *arg, const cJSON *jwks)
{
    struct jwt_wait *w = arg;
    struct gw_call *c = w->c;
    const cJSON *key = jwks != NULL ? jwt_find_key(jwks, w->tok.kid) : NULL;
    const char *why = key == NULL ? "no key of the issuer signed it"
                      : jwt_verify(&w->tok, key) != 0
                          ? "the signature does not verify"
                          : jwt_check(&w->tok, w->issuer, w->audience, clock_ms() / 1000);
    if (why != NULL || !jwt_has_scope(&w->tok, w->required)) {
        log_info("msg=\"JWT refused\" why=\"%s\"", why != NULL ? why : "no required scope");
        cors_headers(c);
        if (why != NULL)
            send_message(c->req, c->fl, c->request_id, 401, "Unauthorized");
        else
            send_message(c->req, c->fl, c->request_id, 403, "Forbidden");
        call_free(c);
        jwt_wait_free(w);
        return;
    }
    struct gw_auth auth = {.claims = cJSON_Duplicate(w->tok.claims, true),
                           .scopes = token_scopes(&w->tok)};
    h2o_req_t *req = c->req;
    char rid[40];
    memcpy(rid, c->request_id, sizeof(rid));
    struct gateway *gw = w->gw;
    call_free(c);
    jwt_wait_free(w);
    /* route again on the API as it is now: it may have changed meanwhile */
    proxy(gw, req, rid, &auth);
    cJSON_Delete(auth.claims);
    cJSON_Delete(auth.scopes);
}

/* A route with authorizationType JWT: the token from the authorizer's
 * identity source (a header) must be a JWT signed by a key of its issuer,
 * for one of its audiences, unexpired, with one of the route's scopes. No
 * token or a bad one is 401, a missing scope 403. */
static void authorize_jwt(struct gateway *gw, h2o_req_t *req, const struct gw_api *api,
                          const struct target *t, const char *rid, const cJSON *cors,
                          const h2o_iovec_t *origin)
{
    const cJSON *a =
        gw_item(api->doc, "authorizers", "authorizerId", jstr(t->route, "authorizerId"));
    const cJSON *jc = cJSON_GetObjectItemCaseSensitive(a, "jwtConfiguration");
    const char *src = cJSON_GetStringValue(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(a, "identitySource"), 0));
    const char *issuer = jstr(jc, "issuer");
    char name[256];
    snprintf(name, sizeof(name), "%s",
             src != NULL && strlen(src) > 16 ? src + 16 : "authorization");
    for (char *p = name; *p != '\0'; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    const h2o_iovec_t *token = http_req_header(req, name);
    struct gw_call *c = call_new(gw, req, &http_api, rid, cors, origin);
    struct jwt_wait *w = calloc(1, sizeof(*w));
    if (w == NULL)
        abort();
    if (a == NULL || issuer[0] == '\0' || token == NULL ||
        jwt_parse(token->base, token->len, &w->tok) != 0) {
        cors_headers(c);
        send_message(req, &http_api, rid, 401, "Unauthorized");
        call_free(c);
        free(w);
        return;
    }
    w->gw = gw;
    w->c = c;
    if ((w->issuer = strdup(issuer)) == NULL)
        abort();
    w->audience = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(jc, "audience"), true);
    const cJSON *scopes = cJSON_GetObjectItemCaseSensitive(t->route, "authorizationScopes");
    w->required = scopes != NULL ? cJSON_Duplicate(scopes, true) : NULL;
    gw_jwks_get(gw, req, issuer, on_jwks, w);
}

static void http_invoke(struct gateway *gw, h2o_req_t *req, struct gw_api *api, const char *rid,
                        const char *domain, const struct gw_auth *auth)
{
    const cJSON *cors = cors_of(api->doc);
    const h2o_iovec_t *origin = http_req_header(req, "origin");
    if (cors != NULL && origin != NULL && http_method_is(req, "OPTIONS") &&
        http_req_header(req, "access-control-request-method") != NULL) {
        preflight(req, cors, rid, origin);
        return;
    }
    struct target t = {0};
    size_t skip;
    if (!select_target(req, api, rid, &t, &skip, auth == NULL))
        return;
    if (auth == NULL)
        gw_access_begin(gw->logs, req, t.stage, api->id, jstr(t.stage, "stageName"), rid,
                        t.key->text, NULL, domain);
    if (auth == NULL && strcmp(jstr(t.route, "authorizationType"), "CUSTOM") == 0) {
        authorize_http(gw, req, api, &t, skip, rid, domain, cors, origin);
        return;
    }
    if (auth == NULL && strcmp(jstr(t.route, "authorizationType"), "JWT") == 0) {
        authorize_jwt(gw, req, api, &t, rid, cors, origin);
        return;
    }
    struct gw_request r;
    http_request_of(req, api, &t, domain, &r);
    if (auth != NULL && auth->claims != NULL) {
        r.jwt_claims = auth->claims;
        r.jwt_scopes = auth->scopes;
    } else if (auth != NULL) {
        r.authorized = true;
        r.auth_context = auth->context;
        r.auth_principal = auth->principal;
    }
    struct integration in = {
        .type = jstr(t.integration, "integrationType"),
        .uri = jstr(t.integration, "integrationUri"),
        .method = jstr(t.integration, "integrationMethod"),
        .version = strcmp(jstr(t.integration, "payloadFormatVersion"), "1.0") == 0 ? 1 : 2,
        .timeout_ms = timeout_of(t.integration),
        .params = cJSON_GetObjectItemCaseSensitive(t.integration, "requestParameters"),
        .resp_params = cJSON_GetObjectItemCaseSensitive(t.integration, "responseParameters"),
    };
    integrate(gw, req, &http_api, rid, cors, origin, &in, &r);
}

/* A REST API method with authorizationType CUSTOM: its TOKEN or REQUEST
 * authorizer. identitySource is "method.request.header.X" (TOKEN) or a
 * comma-separated list of sources (REQUEST). */
static void authorize_rest(struct gateway *gw, h2o_req_t *req, struct gw_api *api,
                           const cJSON *method, struct gw_request *r, const char *rid,
                           const char *stage, const char *path, size_t plen)
{
    const cJSON *a = gw_item(api->doc, "authorizers", "id", jstr(method, "authorizerId"));
    const cJSON *ttl = cJSON_GetObjectItemCaseSensitive(a, "authorizerResultTtlInSeconds");
    struct auth_req ar = {
        .fl = &rest_api,
        .authorizer = a,
        .id = jstr(a, "id"),
        .uri = jstr(a, "authorizerUri"),
        .ttl_s = cJSON_IsNumber(ttl) ? ttl->valueint : 0,
        .version = 0,
        .token = strcmp(jstr(a, "type"), "TOKEN") == 0,
        .r = r,
    };
    cJSON *sources = cJSON_CreateArray();
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", jstr(a, "identitySource"));
    for (char *p = buf, *comma; p != NULL && *p != '\0'; p = comma) {
        if ((comma = strchr(p, ',')) != NULL)
            *comma++ = '\0';
        while (*p == ' ')
            p++;
        if (*p != '\0')
            cJSON_AddItemToArray(sources, cJSON_CreateString(p));
    }
    bool ok = identity_values(req, &rest_api, rid, sources, r->stage_vars, &ar.values);
    cJSON_Delete(sources);
    if (!ok)
        return;
    const char *expr = jstr(a, "identityValidationExpression");
    regex_t re;
    if (ar.token && expr[0] != '\0' && cJSON_GetArraySize(ar.values) > 0 &&
        regcomp(&re, expr, REG_EXTENDED | REG_NOSUB) == 0) {
        bool match = regexec(&re, cJSON_GetArrayItem(ar.values, 0)->valuestring, 0, NULL, 0) == 0;
        regfree(&re);
        if (!match) {
            cJSON_Delete(ar.values);
            send_message(req, &rest_api, rid, 401, "Unauthorized");
            return;
        }
    }
    if (ar.token && cJSON_GetArraySize(ar.values) == 0) {
        cJSON_Delete(ar.values);
        send_message(req, &rest_api, rid, 401, "Unauthorized");
        return;
    }
    char *arn = request_arn(gw, req, api->id, stage, path, plen);
    ar.arn = arn;
    authorize(gw, req, api, rid, NULL, NULL, &ar);
    free(arn);
}

/* A three-digit status code string, or fallback. */
static int status_of(const char *s, int fallback)
{
    char *end;
    long v = strtol(s, &end, 10);
    return *end == '\0' && end != s && v >= 100 && v <= 599 ? (int)v : fallback;
}

/* Answers from a MOCK integration: the status its request template names
 * (default 200), the integration response it selects, with that response's
 * literal header values ('...') and its template as the body. */
static void mock_respond(h2o_req_t *req, const char *rid, const cJSON *integ)
{
    int status = 200;
    cJSON *tmpl = cJSON_Parse(
        jstr(cJSON_GetObjectItemCaseSensitive(integ, "requestTemplates"), "application/json"));
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(tmpl, "statusCode");
    if (cJSON_IsNumber(sc) && sc->valuedouble >= 100 && sc->valuedouble <= 599)
        status = sc->valueint;
    cJSON_Delete(tmpl);
    char code[8];
    snprintf(code, sizeof(code), "%d", status);
    const cJSON *chosen = NULL, *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(integ, "integrationResponses"))
    {
        const char *pat = jstr(r, "selectionPattern");
        regex_t re;
        if (pat[0] == '\0') {
            if (chosen == NULL)
                chosen = r; /* the default response */
        } else if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) == 0) {
            bool match = regexec(&re, code, 0, NULL, 0) == 0;
            regfree(&re);
            if (match) {
                chosen = r;
                break;
            }
        }
    }
    if (chosen == NULL) {
        send_message(req, &rest_api, rid, 500, rest_api.internal);
        return;
    }
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(chosen, "responseParameters"))
    {
        static const char pre[] = "method.response.header.";
        const char *v = cJSON_IsString(p) ? p->valuestring : "";
        size_t vl = strlen(v);
        if (strncmp(p->string, pre, sizeof(pre) - 1) == 0 && vl >= 2 && v[0] == '\'' &&
            v[vl - 1] == '\'')
            add_header(req, p->string + sizeof(pre) - 1, strlen(p->string) - (sizeof(pre) - 1),
                       v + 1, vl - 2);
    }
    const char *body =
        jstr(cJSON_GetObjectItemCaseSensitive(chosen, "responseTemplates"), "application/json");
    id_headers(req, &rest_api, rid);
    http_send(req, status_of(jstr(chosen, "statusCode"), status), "application/json", body,
              strlen(body));
}

/* A REST integration's requestParameters ("integration.request.header.X":
 * "method.request.header.Y" or "'literal'") as the HTTP API mapping that
 * forward() applies; NULL when there are none. */
static cJSON *rest_mapping(const cJSON *rp)
{
    static const char *const targets[][2] = {
        {"integration.request.header.", "overwrite:header."},
        {"integration.request.querystring.", "overwrite:querystring."}};
    static const char *const sources[][2] = {
        {"method.request.header.", "$request.header."},
        {"method.request.querystring.", "$request.querystring."},
        {"method.request.path.", "$request.path."},
        {"stageVariables.", "$stageVariables."},
        {"context.requestId", "$context.requestId"}};
    cJSON *out = NULL;
    const cJSON *e;
    cJSON_ArrayForEach(e, rp)
    {
        const char *k = e->string, *v = cJSON_IsString(e) ? e->valuestring : "";
        char key[512], val[1024];
        key[0] = val[0] = '\0';
        for (size_t i = 0; i < 2; i++)
            if (strncmp(k, targets[i][0], strlen(targets[i][0])) == 0)
                snprintf(key, sizeof(key), "%s%s", targets[i][1], k + strlen(targets[i][0]));
        size_t vl = strlen(v);
        if (vl >= 2 && v[0] == '\'' && v[vl - 1] == '\'')
            snprintf(val, sizeof(val), "%.*s", (int)(vl - 2), v + 1);
        for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
            if (strncmp(v, sources[i][0], strlen(sources[i][0])) == 0)
                snprintf(val, sizeof(val), "%s%s", sources[i][1], v + strlen(sources[i][0]));
        if (key[0] == '\0' || val[0] == '\0')
            continue; /* path parameters fill the URI's {name} as they are */
        if (out == NULL)
            out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, key, val);
    }
    return out;
}

/* A REST API request for stage (slen bytes) and the path after it. */
static void rest_invoke(struct gateway *gw, h2o_req_t *req, struct gw_api *api, const char *rid,
                        const char *domain, const char *stage, size_t slen, const char *path,
                        size_t plen, const struct gw_auth *auth)
{
    char name[GW_NAME_MAX + 1];
    const cJSON *st = NULL;
    if (slen > 0 && slen <= GW_NAME_MAX) {
        memcpy(name, stage, slen);
        name[slen] = '\0';
        st = gw_stage(api->doc, name);
    }
    const struct gw_deploy_rt *rt = gw_deployment_rt(api, jstr(st, "deploymentId"));
    struct gw_match m;
    int i = rt != NULL ? gw_route_select(rt->ptrs, rt->nroutes, req->method.base, req->method.len,
                                         plen > 0 ? path : "/", plen > 0 ? plen : 1, &m)
                       : -1;
    if (i < 0) {
        send_message(req, &rest_api, rid, 403, rest_api.missing);
        return;
    }
    const cJSON *method = rt->routes[i], *res = rt->resources[i];
    if (auth == NULL && !method_token(api, st, jstr(res, "path"), jstr(method, "httpMethod"))) {
        send_message(req, &rest_api, rid, 429, "Too Many Requests");
        return;
    }
    if (auth == NULL)
        gw_access_begin(gw->logs, req, st, api->id, name, rid, rt->ptrs[i]->text, jstr(res, "path"),
                        domain);
    const cJSON *integ = cJSON_GetObjectItemCaseSensitive(method, "methodIntegration");
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(st, "variables");
    char *full = malloc(slen + plen + 3);
    if (full == NULL)
        abort();
    int fl = snprintf(full, slen + plen + 3, "/%.*s%.*s", (int)slen, stage, (int)plen, path);
    struct gw_request r = {
        .path = full,
        .path_len = (size_t)fl,
        .rest = true,
        .rest_path = plen > 0 ? path : "/",
        .rest_path_len = plen > 0 ? plen : 1,
        .resource_id = jstr(res, "id"),
        .binary_types = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(api->doc, "restapi"), "binaryMediaTypes"),
        .domain = domain,
        .api_id = api->id,
        .stage = name,
        .route_key = rt->ptrs[i]->text,
        .resource = jstr(res, "path"),
        .m = &m,
        .stage_vars = cJSON_IsObject(vars) ? vars : NULL,
    };
    if (auth == NULL && strcmp(jstr(method, "authorizationType"), "CUSTOM") == 0) {
        authorize_rest(gw, req, api, method, &r, rid, name, plen > 0 ? path : "/",
                       plen > 0 ? plen : 1);
        free(full);
        return;
    }
    int key_status;
    const char *key_msg;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(method, "apiKeyRequired")) &&
        !gw_keys_admit(gw, req, api->id, name, &key_status, &key_msg)) {
        send_message(req, &rest_api, rid, key_status, key_msg);
        free(full);
        return;
    }
    if (auth != NULL) {
        r.authorized = true;
        r.auth_context = auth->context;
        r.auth_principal = auth->principal;
    }
    if (strcmp(jstr(integ, "type"), "MOCK") == 0) {
        mock_respond(req, rid, integ);
        free(full);
        return;
    }
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(integ, "timeoutInMillis");
    struct integration in = {
        .type = jstr(integ, "type"),
        .uri = jstr(integ, "uri"),
        .method = jstr(integ, "httpMethod"),
        .version = 0,
        .timeout_ms = cJSON_IsNumber(to) ? to->valueint : GW_REST_TIMEOUT_MAX_MS,
    };
    cJSON *params = rest_mapping(cJSON_GetObjectItemCaseSensitive(integ, "requestParameters"));
    in.params = params;
    integrate(gw, req, &rest_api, rid, NULL, NULL, &in, &r);
    cJSON_Delete(params);
    free(full);
}

/* The path-based form /restapis/{id}/{stage}/_user_request_/{path}: writes
 * the id and the stage and path slices. */
static bool user_request_path(const h2o_req_t *req, char id[16], const char **stage, size_t *slen,
                              const char **path, size_t *plen)
{
    static const char pre[] = "/restapis/", mark[] = "/_user_request_";
    size_t len = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    const char *p = req->path.base, *end = p + len;
    if (len < sizeof(pre) - 1 || memcmp(p, pre, sizeof(pre) - 1) != 0)
        return false;
    const char *idp = p + sizeof(pre) - 1;
    const char *s1 = memchr(idp, '/', (size_t)(end - idp));
    if (s1 == NULL || s1 == idp || (size_t)(s1 - idp) >= 16)
        return false;
    const char *s2 = memchr(s1 + 1, '/', (size_t)(end - s1 - 1));
    if (s2 == NULL || s2 == s1 + 1 || (size_t)(end - s2) < sizeof(mark) - 1 ||
        memcmp(s2, mark, sizeof(mark) - 1) != 0)
        return false;
    const char *rest = s2 + sizeof(mark) - 1;
    if (rest < end && *rest != '/')
        return false;
    memcpy(id, idp, (size_t)(s1 - idp));
    id[s1 - idp] = '\0';
    *stage = s1 + 1;
    *slen = (size_t)(s2 - s1 - 1);
    *path = rest;
    *plen = (size_t)(end - rest);
    return true;
}

/* ---- function URLs ---- */

/* The URL id of a Host "{id}.lambda-url[.x].localhost[:port]", or false. */
static bool furl_of_host(const h2o_iovec_t *host, char id[FURL_ID_LEN + 1], char *domain,
                         size_t cap)
{
    static const char mark[] = ".lambda-url.", tail[] = "localhost";
    const char *colon = memchr(host->base, ':', host->len);
    size_t len = colon != NULL ? (size_t)(colon - host->base) : host->len;
    size_t ml = sizeof(mark) - 1, tl = sizeof(tail) - 1;
    if (len < FURL_ID_LEN + ml + tl || len >= cap ||
        memcmp(host->base + FURL_ID_LEN, mark, ml) != 0 ||
        !h2o_memis(host->base + len - tl, tl, tail, tl))
        return false;
    memcpy(id, host->base, FURL_ID_LEN);
    id[FURL_ID_LEN] = '\0';
    memcpy(domain, host->base, len);
    domain[len] = '\0';
    return true;
}

/* A function URL's Cors (the Lambda API's PascalCase members) in the
 * apigatewayv2 shape the CORS code reads. */
static cJSON *furl_cors(const cJSON *cors)
{
    static const char *const keys[][2] = {
        {"AllowCredentials", "allowCredentials"}, {"AllowHeaders", "allowHeaders"},
        {"AllowMethods", "allowMethods"},         {"AllowOrigins", "allowOrigins"},
        {"ExposeHeaders", "exposeHeaders"},       {"MaxAge", "maxAge"},
    };
    if (cors == NULL)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(cors, keys[i][0]);
        if (v != NULL)
            cJSON_AddItemToObject(o, keys[i][1], cJSON_Duplicate(v, 1));
    }
    return o;
}

/* A request to function URL id: payload format 2.0, as AWS sends it (route
 * and stage $default, the URL id as apiId, accountId "anonymous" without
 * IAM auth), within the function's own timeout. */
static void furl_invoke(struct gateway *gw, h2o_req_t *req, const char *id, const char *domain)
{
    char rid[37];
    rand_uuid(rid);
    const struct furl *u = gw->cat != NULL ? catalog_furl_by_id(gw->cat, id) : NULL;
    if (u == NULL) {
        send_message(req, &function_url, rid, 403, "Forbidden");
        return;
    }
    /* Lambda answers CORS preflights itself, before authorization. */
    cJSON *cors = furl_cors(u->cors);
    const h2o_iovec_t *origin = http_req_header(req, "origin");
    if (cors != NULL && origin != NULL && http_method_is(req, "OPTIONS") &&
        http_req_header(req, "access-control-request-method") != NULL) {
        preflight(req, cors, rid, origin);
        cJSON_Delete(cors);
        return;
    }
    const h2o_iovec_t *auth = http_req_header(req, "authorization");
    struct fn_ref ref = {0};
    struct function *fn = NULL;
    snprintf(ref.name, sizeof(ref.name), "%s", u->name);
    if (strcmp(u->qualifier, "$LATEST") != 0)
        snprintf(ref.qualifier, sizeof(ref.qualifier), "%s", u->qualifier);
    if (u->iam && (auth == NULL || auth->len < 16 || memcmp(auth->base, "AWS4-HMAC-SHA256", 16)))
        send_message(req, &function_url, rid, 403, "Forbidden");
    else if (req->entity.len > INVOKE_PAYLOAD_MAX_BYTES ||
             headers_bytes(req) > GW_HEADERS_MAX_BYTES)
        send_message(req, &function_url, rid, 413, "Request Entity Too Large");
    else if (invoke_lookup(gw->invoke, &ref, true, &fn) != 0)
        send_message(req, &function_url, rid, 502, function_url.internal);
    if (fn == NULL) {
        cJSON_Delete(cors);
        return;
    }
    char arn[400];
    int n = snprintf(arn, sizeof(arn), "arn:aws:lambda:%s:%s:function:%s", gw->region, gw->account,
                     u->name);
    if (ref.qualifier[0] != '\0')
        snprintf(arn + n, sizeof(arn) - (size_t)n, ":%s", ref.qualifier);
    struct gw_match none = {0};
    size_t plen = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    struct gw_request r = {
        .path = req->path.base,
        .path_len = plen,
        .domain = domain,
        .api_id = id,
        .stage = "$default",
        .route_key = "$default",
        .resource = "$default",
        .m = &none,
        .account = u->iam ? NULL : "anonymous",
    };
    struct integration in = {
        .type = "AWS_PROXY",
        .uri = arn,
        .method = "POST",
        .version = 2,
        .timeout_ms = (int64_t)fn->timeout_s * 1000 + 1000,
    };
    integrate(gw, req, &function_url, rid, cors, origin, &in, &r);
    cJSON_Delete(cors);
}

/* Routes req to its API (rid and auth are set when an authorizer allowed
 * it). Returns false if req is not for an API. */
static bool proxy(struct gateway *gw, h2o_req_t *req, const char *given_rid,
                  const struct gw_auth *auth)
{
    char id[16], domain[256], rid[40];
    const char *stage = NULL, *path = NULL;
    size_t slen = 0, plen = 0;
    char url_id[FURL_ID_LEN + 1];
    if (furl_of_host(&req->input.authority, url_id, domain, sizeof(domain))) {
        furl_invoke(gw, req, url_id, domain);
        return true;
    }
    bool by_host = api_of_host(&req->input.authority, id, domain, sizeof(domain));
    if (!by_host) {
        if (!user_request_path(req, id, &stage, &slen, &path, &plen))
            return false;
        const h2o_iovec_t *h = &req->input.authority;
        const char *colon = memchr(h->base, ':', h->len);
        snprintf(domain, sizeof(domain), "%.*s",
                 (int)(colon != NULL ? (size_t)(colon - h->base) : h->len), h->base);
    }
    struct gw_api *api = gw_find(gw, id);
    bool rest = api != NULL && gw_is_rest(api);
    const struct flavor *fl = rest || !by_host ? &rest_api : &http_api;
    if (given_rid != NULL)
        snprintf(rid, sizeof(rid), "%s", given_rid);
    else if (rest || !by_host)
        rand_uuid(rid);
    else
        request_id(rid);
    if (api == NULL || (!by_host && !rest)) {
        send_message(req, fl, rid, fl == &rest_api ? 403 : 404,
                     fl == &rest_api ? "Forbidden" : "Not Found");
        return true;
    }
    if (auth == NULL && !within_limits(req, api, fl, rid))
        return true;
    if (auth == NULL && !account_token(gw)) {
        send_message(req, fl, rid, 429, "Too Many Requests");
        return true;
    }
    if (!rest) {
        http_invoke(gw, req, api, rid, domain, auth);
        return true;
    }
    if (by_host) { /* /{stage}/{path} */
        size_t len = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
        const char *p = req->path.base, *slash = len > 1 ? memchr(p + 1, '/', len - 1) : NULL;
        stage = p + 1;
        slen = slash != NULL ? (size_t)(slash - p - 1) : (len > 0 ? len - 1 : 0);
        path = slash != NULL ? slash : p + len;
        plen = slash != NULL ? (size_t)(p + len - slash) : 0;
    }
    rest_invoke(gw, req, api, rid, domain, stage, slen, path, plen, auth);
    return true;
}

bool gw_proxy_handle(struct gateway *gw, h2o_req_t *req)
{
    return proxy(gw, req, NULL, NULL);
}
