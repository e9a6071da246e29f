/* SPDX-License-Identifier: MIT */
/*
 * HTTP_PROXY forwarding (see forward.h). The upstream URL and headers are
 * built here, the exchange is the HTTP client's (src/http/client.c): one
 * request per forward, with the integration's timeout as its deadline and
 * GW_BODY_MAX_BYTES as the largest answer. A forward in flight is on the
 * gateway's list, so that shutdown can cancel it.
 */
#include "forward.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/limits.h"
#include "base/log.h"
#include "gateway/call.h"
#include "gateway/model.h"
#include "gateway/route.h"
#include "http/client.h"

/* A forward in flight. */
struct gw_forward {
    struct gw_call *c;
    struct http_client_req *hr;
    struct gw_forward *prev, *next; /* gw->forwards */
};

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

/* The value of a mapping: $request.header.X, $request.querystring.X,
 * $request.path.X, $request.path, $stageVariables.X, $context.requestId, or
 * the text itself. NULL when the request has no such value. */
static const char *map_value(h2o_req_t *req, const struct gw_mapping *mp, const char *v, char *buf,
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
        snprintf(buf, cap, "%.*s", (int)gw_call_path_len(req), req->path.base);
        return buf;
    }
    if (strcmp(v, "$context.requestId") == 0)
        return mp->rid;
    if (strncmp(v, "$request.", 9) == 0 || strncmp(v, "$stageVariables.", 16) == 0)
        return gw_call_source(req, mp->vars, v, buf, cap, &skip);
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
static const cJSON *mapping_of(const struct gw_mapping *mp, const char *kind, const char *name,
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
static char *mapped_query(h2o_req_t *req, const struct gw_mapping *mp)
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
    char *out = xmalloc(n + 2);
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

/* The URL the request goes to (malloc'd): the mapped path (overwrite:path)
 * after the URI's scheme and authority, else the URI with its parameters. */
static char *target_url(h2o_req_t *req, const char *uri, const struct gw_mapping *mp)
{
    char *query = mapped_query(req, mp), *url, buf[4096];
    const char *op = NULL;
    const cJSON *path = mapping_of(mp, "path", NULL, 0, &op);
    const char *pv = path != NULL ? map_value(req, mp, path->valuestring, buf, sizeof(buf)) : NULL;
    if (pv != NULL) {
        const char *auth = strstr(uri, "://");
        const char *slash = auth != NULL ? strchr(auth + 3, '/') : NULL;
        size_t keep = slash != NULL ? (size_t)(slash - uri) : strlen(uri);
        size_t len = keep + strlen(pv) + strlen(query) + 2;
        url = xmalloc(len);
        snprintf(url, len, "%.*s%s%s%s", (int)keep, uri, pv[0] == '/' ? "" : "/", pv, query);
    } else {
        url = upstream_url(uri, mp->m, query);
    }
    free(query);
    return url;
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

/* The headers sent upstream. */
struct upstream {
    struct http_client_header *h; /* malloc'd */
    size_t n;
    char **own; /* the mapped values, malloc'd (n of them at most) */
    size_t nown;
    char ip[INET6_ADDRSTRLEN];
};

static void upstream_fini(struct upstream *u)
{
    for (size_t i = 0; i < u->nown; i++)
        free(u->own[i]);
    free(u->own);
    free(u->h);
}

/* The request's headers (hop-by-hop ones and those the mapping removes or
 * overwrites left out), the mapped ones, then X-Forwarded-For and -Proto. */
static void upstream_headers(h2o_req_t *req, const struct gw_mapping *mp, struct upstream *u)
{
    size_t cap = req->headers.size + (size_t)cJSON_GetArraySize(mp->params) + 2;
    if ((u->h = calloc(cap, sizeof(*u->h))) == NULL ||
        (u->own = calloc(cap, sizeof(char *))) == NULL)
        abort();
    for (size_t i = 0; i < req->headers.size; i++) {
        const h2o_header_t *h = &req->headers.entries[i];
        const char *op = NULL;
        if (hop_by_hop(h->name) ||
            (mapping_of(mp, "header", h->name->base, h->name->len, &op) != NULL &&
             strncmp(op, "append:", 7) != 0))
            continue; /* removed or overwritten */
        u->h[u->n++] =
            (struct http_client_header){h->name->base, h->name->len, h->value.base, h->value.len};
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
        char *copy = xstrdup(v);
        u->own[u->nown++] = copy;
        u->h[u->n++] = (struct http_client_header){hn + 8, strlen(hn + 8), copy, strlen(copy)};
    }
    http_peer_ip(req, u->ip, sizeof(u->ip));
    u->h[u->n++] = (struct http_client_header){H2O_STRLIT("x-forwarded-for"), u->ip, strlen(u->ip)};
    u->h[u->n++] = (struct http_client_header){H2O_STRLIT("x-forwarded-proto"), H2O_STRLIT("http")};
}

static void forward_free(struct gw_forward *f)
{
    struct gateway *gw = f->c->gw;
    if (f->prev != NULL)
        f->prev->next = f->next;
    else if (gw->forwards == f)
        gw->forwards = f->next;
    if (f->next != NULL)
        f->next->prev = f->prev;
    gw_call_free(f->c);
    free(f);
}

static void fail(struct gw_call *c, const char *why)
{
    log_warn("msg=\"HTTP integration failed\" err=\"%s\"", why);
    gw_call_answer(c, 500, c->fl->internal);
}

/* The upstream answered (or failed, or took too long). */
static void on_forwarded(const struct http_client_response *resp, int status, void *arg)
{
    struct gw_forward *f = arg;
    struct gw_call *c = f->c;
    f->hr = NULL;
    if (status == -ETIMEDOUT) {
        gw_call_answer(c, 504, c->fl->timed_out);
    } else if (status == -EMSGSIZE) {
        fail(c, "response larger than 10 MB");
    } else if (status != 0) {
        fail(c, resp->error);
    } else {
        struct gw_response r = {.status = resp->status, .body_len = resp->body_len};
        if ((resp->nheaders > 0 &&
             (r.headers = calloc(resp->nheaders, sizeof(*r.headers))) == NULL) ||
            (resp->body_len > 0 && (r.body = malloc(resp->body_len)) == NULL))
            abort();
        for (size_t i = 0; i < resp->nheaders; i++, r.nheaders++)
            if ((r.headers[i].name = strdup(resp->headers[i].name)) == NULL ||
                (r.headers[i].value = strdup(resp->headers[i].value)) == NULL)
                abort();
        if (resp->body_len > 0)
            memcpy(r.body, resp->body, resp->body_len);
        gw_call_send(c, &r);
        gw_response_free(&r);
    }
    forward_free(f);
}

void gw_forward(struct gw_call *c, const char *uri, const char *method, const struct gw_mapping *mp,
                int64_t timeout_ms)
{
    h2o_req_t *req = c->req;
    struct gateway *gw = c->gw;
    struct http_client *cl = gw_http(gw, req);
    char *url = target_url(req, uri, mp);
    char *verb =
        strcmp(method, "ANY") == 0 ? strndup(req->method.base, req->method.len) : strdup(method);
    if (verb == NULL)
        abort();
    struct upstream u = {0};
    upstream_headers(req, mp, &u);
    struct http_client_request rq = {
        .method = verb,
        .url = url,
        .headers = u.h,
        .nheaders = u.n,
        .body = req->entity.base,
        .body_len = req->entity.len,
        .timeout_ms = timeout_ms,
        .max_response_bytes = GW_BODY_MAX_BYTES,
        .head = http_method_is(req, "HEAD"),
    };
    struct gw_forward *f = xcalloc(1, sizeof(*f));
    f->c = c;
    if (cl == NULL || http_client_start(cl, &rq, on_forwarded, f, &f->hr) != 0) {
        fail(c, "invalid integration URI");
        gw_call_free(c);
        free(f);
    } else {
        f->next = gw->forwards;
        if (f->next != NULL)
            f->next->prev = f;
        gw->forwards = f;
    }
    upstream_fini(&u);
    free(verb);
    free(url);
}

void gw_forward_fini(struct gateway *gw)
{
    while (gw->forwards != NULL) {
        struct gw_forward *f = gw->forwards;
        http_client_cancel(f->hr);
        forward_free(f);
    }
}
