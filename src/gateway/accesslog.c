/* SPDX-License-Identifier: MIT */
/*
 * Stage access logs (see accesslog.h). The line is written from a dispose
 * callback of the request's memory pool: H2O runs it when the request is
 * done, after the response went out, with the status and the bytes sent
 * still in the request.
 */
#include "accesslog.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/alloc.h"
#include "base/limits.h"
#include "base/util.h"
#include "gateway/event.h"
#include "invoke/logs.h"

/* Appends s (NULL or "" as "-") to out. */
static size_t put(char *out, size_t o, size_t cap, const char *s)
{
    if (s == NULL || s[0] == '\0')
        s = "-";
    size_t n = strlen(s);
    if (o + n >= cap)
        n = o + 1 < cap ? cap - o - 1 : 0;
    memcpy(out + o, s, n);
    return o + n;
}

static const char *value_of(const char *name, size_t len, const struct gw_access_vars *v, char *buf,
                            size_t cap)
{
#define IS(lit) (len == sizeof(lit) - 1 && memcmp(name, lit, len) == 0)
    if (IS("requestId") || IS("extendedRequestId"))
        return v->request_id;
    if (IS("identity.sourceIp"))
        return v->source_ip;
    if (IS("identity.userAgent"))
        return v->user_agent;
    if (IS("httpMethod"))
        return v->http_method;
    if (IS("protocol"))
        return v->protocol;
    if (IS("path"))
        return v->path;
    if (IS("routeKey"))
        return v->route_key;
    if (IS("resourcePath"))
        return v->resource_path;
    if (IS("stage"))
        return v->stage;
    if (IS("apiId"))
        return v->api_id;
    if (IS("domainName"))
        return v->domain;
    if (IS("domainPrefix")) {
        const char *dot = v->domain != NULL ? strchr(v->domain, '.') : NULL;
        snprintf(buf, cap, "%.*s", (int)(dot != NULL ? (size_t)(dot - v->domain) : 0),
                 v->domain != NULL ? v->domain : "");
        return buf;
    }
    if (IS("requestTime")) {
        char t[32];
        gw_time_fmt(v->request_ms, t);
        snprintf(buf, cap, "%s", t);
        return buf;
    }
    long long n = -1;
    if (IS("requestTimeEpoch"))
        n = (long long)v->request_ms;
    else if (IS("status"))
        n = v->status;
    else if (IS("responseLength"))
        n = (long long)v->response_length;
    else if (IS("integrationLatency"))
        n = (long long)v->integration_latency_ms;
    else if (IS("responseLatency"))
        n = (long long)v->response_latency_ms;
#undef IS
    if (n < 0)
        return NULL;
    snprintf(buf, cap, "%lld", n);
    return buf;
}

size_t gw_access_render(const char *fmt, const struct gw_access_vars *v, char *out, size_t cap)
{
    static const char pre[] = "$context.";
    size_t o = 0, pl = sizeof(pre) - 1;
    if (cap == 0)
        return 0;
    for (const char *p = fmt; *p != '\0' && o + 1 < cap;) {
        if (strncmp(p, pre, pl) != 0) {
            out[o++] = *p++;
            continue;
        }
        const char *name = p + pl;
        size_t len =
            strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._");
        while (len > 0 && name[len - 1] == '.')
            len--;      /* a sentence's full stop */
        if (len == 0) { /* not a variable */
            out[o++] = *p++;
            continue;
        }
        char buf[64];
        o = put(out, o, cap, value_of(name, len, v, buf, sizeof(buf)));
        p = name + len;
    }
    out[o] = '\0';
    return o;
}

bool gw_access_group(const char *arn, char *out, size_t cap)
{
    static const char pre[] = "arn:aws:logs:", mark[] = ":log-group:";
    if (arn == NULL || strncmp(arn, pre, sizeof(pre) - 1) != 0)
        return false;
    const char *g = strstr(arn, mark);
    if (g == NULL)
        return false;
    g += sizeof(mark) - 1;
    size_t len = strlen(g);
    if (len >= 2 && strcmp(g + len - 2, ":*") == 0)
        len -= 2;
    if (len == 0 || len > CWLOGS_NAME_MAX || len >= cap || memchr(g, ':', len) != NULL)
        return false;
    memcpy(out, g, len);
    out[len] = '\0';
    return true;
}

/* One request's log line, owned by the request's pool. */
struct access {
    struct logs *logs;
    h2o_req_t *req;
    char *format;
    char group[CWLOGS_NAME_MAX + 1];
    char stream[160];
    char request_id[40];
    char api_id[16];
    char stage[130];
    char route_key[GW_ROUTE_KEY_MAX + 1];
    char resource_path[GW_ROUTE_KEY_MAX + 1];
    char domain[256];
    int64_t start_ms;
    int64_t start_us;
};

static void on_done(void *p)
{
    struct access *a = p;
    h2o_req_t *req = a->req;
    char ip[INET6_ADDRSTRLEN], method[16], path[1024], ua[512];
    http_peer_ip(req, ip, sizeof(ip));
    snprintf(method, sizeof(method), "%.*s", (int)req->method.len, req->method.base);
    size_t plen = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    snprintf(path, sizeof(path), "%.*s", (int)plen, req->path.base);
    const h2o_iovec_t *agent = http_req_header(req, "user-agent");
    snprintf(ua, sizeof(ua), "%.*s", agent != NULL ? (int)agent->len : 0,
             agent != NULL ? agent->base : "");
    int64_t took = (clock_mono_us() - a->start_us) / 1000;
    struct gw_access_vars v = {
        .request_id = a->request_id,
        .source_ip = ip,
        .user_agent = ua,
        .http_method = method,
        .protocol = req->version >= 0x200   ? "HTTP/2.0"
                    : req->version == 0x100 ? "HTTP/1.0"
                                            : "HTTP/1.1",
        .path = path,
        .route_key = a->route_key,
        .resource_path = a->resource_path,
        .stage = a->stage,
        .api_id = a->api_id,
        .domain = a->domain,
        .request_ms = a->start_ms,
        .status = req->res.status,
        .response_length = req->bytes_sent,
        .integration_latency_ms = took,
        .response_latency_ms = took,
    };
    char line[GW_ACCESS_LINE_MAX];
    size_t n = gw_access_render(a->format, &v, line, sizeof(line));
    logs_emit(a->logs, a->group, a->stream, a->start_ms, line, n);
    free(a->format);
}

void gw_access_begin(struct logs *lg, h2o_req_t *req, const cJSON *stage, const char *api_id,
                     const char *stage_name, const char *request_id, const char *route_key,
                     const char *resource_path, const char *domain)
{
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(stage, "accessLogSettings");
    const char *dest =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(set, "destinationArn"));
    const char *fmt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(set, "format"));
    char group[CWLOGS_NAME_MAX + 1];
    if (lg == NULL || fmt == NULL || fmt[0] == '\0' || !gw_access_group(dest, group, sizeof(group)))
        return;
    struct access *a = h2o_mem_alloc_shared(&req->pool, sizeof(*a), on_done);
    memset(a, 0, sizeof(*a));
    a->logs = lg;
    a->req = req;
    a->format = xstrdup(fmt);
    memcpy(a->group, group, sizeof(group));
    snprintf(a->stream, sizeof(a->stream), "%s/%s", api_id, stage_name);
    snprintf(a->request_id, sizeof(a->request_id), "%s", request_id);
    snprintf(a->api_id, sizeof(a->api_id), "%s", api_id);
    snprintf(a->stage, sizeof(a->stage), "%s", stage_name);
    snprintf(a->route_key, sizeof(a->route_key), "%s", route_key != NULL ? route_key : "");
    snprintf(a->resource_path, sizeof(a->resource_path), "%s",
             resource_path != NULL ? resource_path : "");
    snprintf(a->domain, sizeof(a->domain), "%s", domain);
    a->start_ms = clock_ms();
    a->start_us = clock_mono_us();
}
