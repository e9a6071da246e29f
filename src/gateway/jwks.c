/* SPDX-License-Identifier: MIT */
/*
 * JWT issuers' key sets (see jwks.h), fetched with the gateway's HTTP
 * client (gw_http, the one HTTP_PROXY integrations use): the discovery
 * document, then its jwks_uri. One fetch per issuer at a time; everything
 * that asks meanwhile waits for it.
 */
#include "jwks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/util.h"
#include "gateway/model.h"
#include "http/client.h"

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
    bool discovered;            /* the jwks_uri step */
    struct http_client_req *hr; /* the request in flight */
    struct waiter *w;
    size_t nw;
};

static void fetch(struct gw_jwks *e, const char *url);

/* Hands the outcome (e->keys, or NULL) to everything waiting. */
static void settle(struct gw_jwks *e, bool ok)
{
    e->fetching = false;
    e->hr = NULL;
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

/* A whole response arrived (or not): discovery document, then the key set. */
static void on_fetched(const struct http_client_response *resp, int status, void *arg)
{
    struct gw_jwks *e = arg;
    e->hr = NULL;
    cJSON *doc = status == 0 && resp->status == 200
                     ? cJSON_ParseWithLength(resp->body != NULL ? resp->body : "", resp->body_len)
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

/* GETs url for e (on_fetched goes on). */
static void fetch(struct gw_jwks *e, const char *url)
{
    static const struct http_client_header hs[] = {
        {H2O_STRLIT("accept"), H2O_STRLIT("application/json")},
        {H2O_STRLIT("user-agent"), H2O_STRLIT("lambdad")},
    };
    struct http_client_request rq = {
        .method = "GET",
        .url = url,
        .headers = hs,
        .nheaders = sizeof(hs) / sizeof(hs[0]),
        .timeout_ms = GW_TIMEOUT_MAX_MS,
        .max_response_bytes = GW_JWKS_MAX_BYTES,
    };
    if (http_client_start(e->gw->http, &rq, on_fetched, e, &e->hr) != 0)
        settle(e, false);
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
        e = xcalloc(1, sizeof(*e));
        e->issuer = xstrdup(issuer);
        e->gw = gw;
        e->next = gw->jwks;
        gw->jwks = e;
    }
    struct waiter *w = xrealloc(e->w, (e->nw + 1) * sizeof(*w));
    e->w = w;
    w[e->nw++] = (struct waiter){cb, arg};
    if (e->fetching)
        return;
    e->fetching = true;
    e->discovered = false;
    if (gw_http(gw, req) == NULL) {
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
        if (e->hr != NULL)
            http_client_cancel(e->hr);
        free(e->w); /* the requests waiting are going away with the server */
        free(e->issuer);
        cJSON_Delete(e->keys);
        free(e);
    }
}
