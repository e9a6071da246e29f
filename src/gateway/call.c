/* SPDX-License-Identifier: MIT */
/*
 * A data-plane request in flight (see call.h). The call owns what its
 * eventual answer needs, copied out of the API's document, because the
 * document may be replaced while an integration or an authorizer runs. An
 * invocation's deadline is a timer of its own: when it fires first, the
 * client gets 504 and the call stays until the invocation's result arrives,
 * to be dropped. Every answer carries the flavour's request id headers.
 */
#include "call.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/util.h"
#include "gateway/model.h"

static void on_timeout(struct timer *t, void *arg)
{
    struct gw_call *c = arg;
    (void)t;
    gw_call_answer(c, 504, c->fl->timed_out);
    c->req = NULL;
}

struct gw_call *gw_call_new(struct gateway *gw, h2o_req_t *req, const struct gw_flavor *fl,
                            const char *rid, const cJSON *cors)
{
    struct gw_call *c = xcalloc(1, sizeof(*c));
    c->req = req;
    c->fl = fl;
    c->gw = gw;
    snprintf(c->request_id, sizeof(c->request_id), "%s", rid);
    timer_init(&c->timer, on_timeout, c);
    gw_cors_prepare(&c->cors, cors, req);
    return c;
}

void gw_call_free(struct gw_call *c)
{
    timer_cancel(c->gw->timers, &c->timer);
    cJSON_Delete(c->binary_types);
    cJSON_Delete(c->resp_params);
    free(c->accept);
    free(c->event);
    gw_cors_fini(&c->cors);
    free(c);
}

void gw_call_arm(struct gw_call *c, int64_t ms)
{
    timer_arm(c->gw->timers, &c->timer, ms);
}

void gw_call_answer(struct gw_call *c, int status, const char *msg)
{
    gw_cors_headers(&c->cors, c->req);
    gw_answer_message(c->req, c->fl, c->request_id, status, msg);
}

/* ---- response mapping ---- */

static bool skipped_header(const struct gw_call *c, const char *name)
{
    static const char *const hop[] = {"content-length", "transfer-encoding", "connection",
                                      "keep-alive", "upgrade"};
    for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
        if (strcasecmp(name, hop[i]) == 0)
            return true;
    return c->cors.on && strncasecmp(name, "access-control-", 15) == 0;
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

void gw_call_send(struct gw_call *c, const struct gw_response *r)
{
    const cJSON *map = response_mapping(c, r), *e;
    bool has_ctype = false;
    int status = r->status;
    for (size_t i = 0; i < r->nheaders; i++) {
        const struct gw_out_header *h = &r->headers[i];
        if (skipped_header(c, h->name) || header_mapped(map, h->name))
            continue;
        has_ctype = has_ctype || strcasecmp(h->name, "content-type") == 0;
        gw_answer_header(c->req, h->name, strlen(h->name), h->value, strlen(h->value));
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
            gw_answer_header(c->req, h + 8, strlen(h + 8), v, strlen(v));
        }
    }
    gw_cors_headers(&c->cors, c->req);
    gw_answer_ids(c->req, c->fl, c->request_id);
    http_send(c->req, status, has_ctype ? NULL : "text/plain; charset=utf-8",
              r->body != NULL ? r->body : "", r->body_len);
}

/* ---- the event ---- */

static const char *protocol_of(const h2o_req_t *req)
{
    return req->version >= 0x200 ? "HTTP/2.0" : req->version == 0x100 ? "HTTP/1.0" : "HTTP/1.1";
}

bool gw_call_event(struct gw_call *c, struct gw_request *r)
{
    h2o_req_t *req = c->req;
    struct gateway *gw = c->gw;
    char ip[INET6_ADDRSTRLEN], port[8], clen[24], trace[64];
    http_peer_ip(req, ip, sizeof(ip));
    const char *colon = memchr(req->input.authority.base, ':', req->input.authority.len);
    int pl = colon != NULL
                 ? snprintf(port, sizeof(port), "%.*s",
                            (int)(req->input.authority.base + req->input.authority.len - colon - 1),
                            colon + 1)
                 : snprintf(port, sizeof(port), "%u", gw->port);
    int cl = snprintf(clen, sizeof(clen), "%zu", req->entity.len);
    size_t tl = gw_answer_trace_id(trace);
    /* H2O keeps Host and Content-Length out of req->headers; API Gateway adds
     * the X-Forwarded-* and X-Amzn-Trace-Id headers. */
    size_t n = req->headers.size;
    struct gw_header *hs = xcalloc(n + 6, sizeof(*hs));
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
    free(c->event);
    c->event = gw_event_build(c->version == 0 ? 1 : c->version, r, &c->event_len);
    free(hs);
    return c->event != NULL;
}

/* ---- request values ---- */

const char *gw_call_source(h2o_req_t *req, const cJSON *vars, const char *src, char *buf,
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
        const char *v = gw_jstr(vars, src + sizeof(sv) - 1);
        snprintf(buf, cap, "%s", v);
        return v[0] != '\0' ? buf : NULL;
    }
    *skip = true;
    return NULL;
}

size_t gw_call_headers_bytes(const h2o_req_t *req)
{
    size_t n = 0;
    for (size_t i = 0; i < req->headers.size; i++)
        n += req->headers.entries[i].name->len + req->headers.entries[i].value.len;
    return n;
}

size_t gw_call_path_len(const h2o_req_t *req)
{
    return req->query_at != SIZE_MAX ? req->query_at : req->path.len;
}
