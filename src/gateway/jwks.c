/* SPDX-License-Identifier: MIT */
/*
 * JWT issuers' key sets (see jwks.h), fetched with H2O's HTTP client over
 * the gateway's client context (the one HTTP_PROXY integrations use).
 */
#include "jwks.h"

#include <h2o/http1client.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/util.h"
#include "gateway/model.h"
#include "gateway/proxy.h"

struct waiter {
    gw_jwks_fn *cb;
    void *arg;
};

struct gw_jwks {
    struct gw_jwks *next;
    struct gateway *gw;
    char *issuer;
    cJSON *keys;      /* the key set, or NULL */
    int64_t until_ms; /* keys (or the failure) hold until then */
    bool fetching;
    bool discovered; /* the jwks_uri step */
    h2o_http1client_t *client;
    char *head; /* the request in flight */
    size_t head_len;
    h2o_iovec_t out; /* what the client writes: head */
    char *body;
    size_t body_len;
    int status;
    struct waiter *w;
    size_t nw;
};

static void fetch(struct gw_jwks *e, const char *url);

/* Hands the outcome (e->keys, or NULL) to everything waiting. */
static void settle(struct gw_jwks *e, bool ok)
{
    e->fetching = false;
    e->client = NULL;
    free(e->head);
    e->head = NULL;
    free(e->body);
    e->body = NULL;
    e->body_len = 0;
    e->until_ms = clock_ms() + (ok ? GW_JWKS_TTL_MS : GW_JWKS_RETRY_MS);
    if (!ok) {
        log_warn("msg=\"JWT issuer keys could not be fetched\" issuer=%s", e->issuer);
        cJSON_Delete(e->keys);
        e->keys = NULL;
    }
    struct waiter *w = e->w;
    size_t n = e->nw;
    e->w = NULL;
    e->nw = 0;
    for (size_t i = 0; i < n; i++)
        w[i].cb(w[i].arg, e->keys);
    free(w);
}

/* A whole response arrived: discovery document, then the key set. */
static void step_done(struct gw_jwks *e)
{
    cJSON *doc = e->status == 200
                     ? cJSON_ParseWithLength(e->body != NULL ? e->body : "", e->body_len)
                     : NULL;
    if (!e->discovered) {
        const char *uri = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "jwks_uri"));
        if (uri == NULL) {
            cJSON_Delete(doc);
            settle(e, false);
            return;
        }
        e->discovered = true;
        char *copy = strdup(uri);
        cJSON_Delete(doc);
        if (copy == NULL)
            abort();
        fetch(e, copy);
        free(copy);
        return;
    }
    if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "keys"))) {
        cJSON_Delete(doc);
        settle(e, false);
        return;
    }
    cJSON_Delete(e->keys);
    e->keys = doc;
    settle(e, true);
}

static int on_body(h2o_http1client_t *client, const char *err)
{
    struct gw_jwks *e = client->data;
    h2o_buffer_t *in = client->sock != NULL ? client->sock->input : NULL;
    if (in != NULL && in->size > 0) {
        if (e->body_len + in->size > GW_JWKS_MAX_BYTES) {
            settle(e, false);
            return -1;
        }
        char *b = realloc(e->body, e->body_len + in->size);
        if (b == NULL)
            abort();
        memcpy(b + e->body_len, in->bytes, in->size);
        e->body = b;
        e->body_len += in->size;
        h2o_buffer_consume(&client->sock->input, in->size);
    }
    if (err == h2o_http1client_error_is_eos) {
        e->client = NULL;
        step_done(e);
        return 0;
    }
    if (err != NULL) {
        settle(e, false);
        return -1;
    }
    return 0;
}

static h2o_http1client_body_cb on_head(h2o_http1client_t *client, const char *err, int minor,
                                       int status, h2o_iovec_t msg, h2o_header_t *headers, size_t n,
                                       int rlen)
{
    struct gw_jwks *e = client->data;
    (void)minor;
    (void)msg;
    (void)headers;
    (void)n;
    (void)rlen;
    e->status = status;
    if (err == h2o_http1client_error_is_eos) {
        e->client = NULL;
        step_done(e);
        return NULL;
    }
    if (err != NULL) {
        settle(e, false);
        return NULL;
    }
    return on_body;
}

static h2o_http1client_head_cb on_connect(h2o_http1client_t *client, const char *err,
                                          h2o_iovec_t **bufs, size_t *nbufs, int *is_head)
{
    struct gw_jwks *e = client->data;
    if (err != NULL) {
        settle(e, false);
        return NULL;
    }
    e->out = h2o_iovec_init(e->head, e->head_len);
    *bufs = &e->out;
    *nbufs = 1;
    *is_head = 0;
    return on_head;
}

/* GETs url for e (its body lands in e->body, then step_done). */
static void fetch(struct gw_jwks *e, const char *url)
{
    h2o_url_t u;
    if (h2o_url_parse(url, strlen(url), &u) != 0) {
        settle(e, false);
        return;
    }
    char head[2048];
    int n = snprintf(head, sizeof(head),
                     "GET %.*s HTTP/1.1\r\nHost: %.*s\r\nAccept: application/json\r\n"
                     "User-Agent: lambdad\r\nConnection: close\r\n\r\n",
                     (int)u.path.len, u.path.base, (int)u.authority.len, u.authority.base);
    if (n < 0 || (size_t)n >= sizeof(head)) {
        settle(e, false);
        return;
    }
    free(e->head);
    if ((e->head = strdup(head)) == NULL)
        abort();
    e->head_len = (size_t)n;
    free(e->body);
    e->body = NULL;
    e->body_len = 0;
    e->status = 0;
    h2o_http1client_connect(&e->client, e, &e->gw->fwd, u.host, h2o_url_get_port(&u),
                            u.scheme == &H2O_URL_SCHEME_HTTPS, on_connect);
}

void gw_jwks_get(struct gateway *gw, h2o_req_t *req, const char *issuer, gw_jwks_fn *cb, void *arg)
{
    struct gw_jwks *e = gw->jwks;
    while (e != NULL && strcmp(e->issuer, issuer) != 0)
        e = e->next;
    int64_t now = clock_ms();
    if (e != NULL && !e->fetching && now < e->until_ms) {
        cb(arg, e->keys); /* cached (or a recent failure) */
        return;
    }
    if (e == NULL) {
        if ((e = calloc(1, sizeof(*e))) == NULL || (e->issuer = strdup(issuer)) == NULL)
            abort();
        e->gw = gw;
        e->next = gw->jwks;
        gw->jwks = e;
    }
    struct waiter *w = realloc(e->w, (e->nw + 1) * sizeof(*w));
    if (w == NULL)
        abort();
    e->w = w;
    w[e->nw++] = (struct waiter){cb, arg};
    if (e->fetching)
        return;
    e->fetching = true;
    e->discovered = false;
    if (!gw_fwd_setup(gw, req)) {
        settle(e, false);
        return;
    }
    size_t il = strlen(issuer);
    while (il > 0 && issuer[il - 1] == '/')
        il--;
    char url[1100];
    snprintf(url, sizeof(url), "%.*s/.well-known/openid-configuration", (int)il, issuer);
    fetch(e, url);
}

void gw_jwks_fini(struct gateway *gw)
{
    while (gw->jwks != NULL) {
        struct gw_jwks *e = gw->jwks;
        gw->jwks = e->next;
        if (e->client != NULL)
            h2o_http1client_cancel(e->client);
        free(e->w); /* the requests waiting are going away with the server */
        free(e->issuer);
        free(e->head);
        free(e->body);
        cJSON_Delete(e->keys);
        free(e);
    }
}
