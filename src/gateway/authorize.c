/* SPDX-License-Identifier: MIT */
/*
 * Authorizer flows (see authorize.h). A Lambda authorizer's invocation is a
 * gw_call of its own (the request's answers and a GW_AUTHORIZER_TIMEOUT_MS
 * deadline) plus what its verdict needs; decisions are cached per API under
 * the authorizer id and the identity values. A JWT waits for its issuer's
 * keys (gw_jwks_get) and is judged when they arrive. In both flows the
 * request's continuation is called after the authorizer's own state is
 * freed, with the decision borrowed for the call: nothing of the API's
 * document is held across the wait, since it may change meanwhile.
 */
#include "authorize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/timer.h"
#include "base/util.h"
#include "gateway/authz.h"
#include "gateway/call.h"
#include "gateway/jwks.h"
#include "gateway/jwt.h"
#include "gateway/model.h"
#include "invoke/invoke.h"
#include "invoke/sched.h"

/* ---- Lambda authorizers ---- */

/* A Lambda authorizer's invocation in flight. */
struct pending {
    struct gw_call *c; /* the request's answers, the event and the deadline */
    char api_id[16];   /* to cache the decision on */
    char *event_arn;   /* routeArn / methodArn */
    char *cache_key;   /* where the decision is cached, or NULL */
    int ttl_s;
    bool simple; /* enableSimpleResponses */
    struct gw_resume at;
};

static void pending_free(struct pending *p)
{
    gw_call_free(p->c);
    free(p->event_arn);
    free(p->cache_key);
    free(p);
}

/* The authorizer's answer: 1 allowed (auth filled), 0 denied, -1 malformed. */
static int decide(const struct pending *p, const struct invoke_done *d, struct gw_auth *auth)
{
    if (d->status != 0 || d->inv->function_error)
        return -1;
    return gw_authorizer_verdict(d->inv->result != NULL ? d->inv->result : "", d->inv->result_len,
                                 p->simple, p->event_arn, &auth->context, &auth->principal);
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

/* Keeps decision (allowed, auth) of p for its TTL. */
static void cache_put(struct gw_api *api, const struct pending *p, bool allowed,
                      const struct gw_auth *auth)
{
    struct gw_auth_entry *e = NULL;
    int64_t now = timer_now_ms();
    for (size_t i = 0; i < api->nauth_cache && e == NULL; i++)
        if (strcmp(api->auth_cache[i].key, p->cache_key) == 0 ||
            api->auth_cache[i].expires_ms <= now)
            e = &api->auth_cache[i];
    if (e == NULL && api->nauth_cache >= GW_AUTH_CACHE_MAX)
        return; /* full of live decisions: this one is not kept */
    if (e == NULL) {
        struct gw_auth_entry *n =
            xrealloc(api->auth_cache, (api->nauth_cache + 1) * sizeof(*api->auth_cache));
        api->auth_cache = n;
        e = &n[api->nauth_cache++];
    } else {
        free(e->key);
        cJSON_Delete(e->context);
        free(e->principal);
    }
    *e = (struct gw_auth_entry){
        .key = strdup(p->cache_key),
        .expires_ms = now + (int64_t)p->ttl_s * 1000,
        .allowed = allowed,
        .context = auth->context != NULL ? cJSON_Duplicate(auth->context, true) : NULL,
        .principal = auth->principal != NULL ? strdup(auth->principal) : NULL,
    };
    if (e->key == NULL || (auth->principal != NULL && e->principal == NULL))
        abort();
}

static void on_authorized(void *arg, const struct invoke_done *d)
{
    struct pending *p = arg;
    struct gw_call *c = p->c;
    if (c->req == NULL) { /* answered by the timeout */
        pending_free(p);
        return;
    }
    struct gw_auth auth = {0};
    int rc = decide(p, d, &auth);
    struct gw_api *api = gw_find(c->gw, p->api_id);
    if (rc >= 0 && p->cache_key != NULL && api != NULL)
        cache_put(api, p, rc == 1, &auth);
    if (rc != 1) {
        gw_cors_headers(&c->cors, c->req);
        if (rc == 0)
            gw_answer_body(c->req, c->fl, c->request_id, 403, c->fl->denied);
        else
            gw_answer_message(c->req, c->fl, c->request_id, 500, c->fl->internal);
        pending_free(p);
        return;
    }
    h2o_req_t *req = c->req;
    struct gateway *gw = c->gw;
    struct gw_resume at = p->at;
    pending_free(p);
    at.fn(gw, req, &at, &auth);
    cJSON_Delete(auth.context);
    free(auth.principal);
}

/* The authorizer's event: the route's event without its body, plus type,
 * the ARN and the identity; a TOKEN authorizer's is just those. */
static cJSON *auth_event(const struct gw_auth_req *ar, struct gw_call *c)
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
    if (!gw_call_event(c, ar->r) || (ev = cJSON_Parse(c->event)) == NULL)
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
                             const struct gw_auth_req *ar, struct function *fn,
                             const char *qualifier, char *key)
{
    struct gw_call *c = gw_call_new(gw, req, ar->fl, ar->at->rid, ar->cors);
    struct pending *p = xcalloc(1, sizeof(*p));
    *p = (struct pending){
        .c = c, .cache_key = key, .ttl_s = ar->ttl_s, .simple = ar->simple, .at = *ar->at};
    c->version = ar->version;
    snprintf(p->api_id, sizeof(p->api_id), "%s", api->id);
    p->event_arn = xstrdup(ar->arn);
    cJSON *ev = auth_event(ar, c);
    free(c->event);
    c->event = ev != NULL ? cJSON_PrintUnformatted(ev) : NULL;
    cJSON_Delete(ev);
    c->event_len = c->event != NULL ? strlen(c->event) : 0;
    if (c->event == NULL ||
        invoke_submit(gw->invoke, fn,
                      &(struct invoke_params){
                          .qualifier = qualifier, .payload = c->event, .len = c->event_len},
                      on_authorized, p) != 0) {
        gw_answer_message(req, ar->fl, ar->at->rid, 500, ar->fl->internal);
        pending_free(p);
        return;
    }
    gw_call_arm(c, GW_AUTHORIZER_TIMEOUT_MS);
}

/* The cache key of ar's decision (malloc'd), or NULL when it is not cached. */
static char *cache_key_of(const struct gw_auth_req *ar)
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

void gw_authorize_lambda(struct gateway *gw, h2o_req_t *req, struct gw_api *api,
                         struct gw_auth_req *ar)
{
    struct fn_ref ref;
    struct function *fn = NULL;
    char *key = cache_key_of(ar);
    const struct gw_auth_entry *e = key != NULL ? cache_find(api, key) : NULL;
    if (e != NULL && e->allowed) {
        struct gw_auth hit = {.context = e->context, .principal = e->principal};
        ar->at->fn(gw, req, ar->at, &hit);
    } else if (e != NULL) {
        gw_answer_body(req, ar->fl, ar->at->rid, 403, ar->fl->denied);
    } else if (gw_lambda_uri(ar->uri, &ref) != 0 ||
               invoke_lookup(gw->invoke, &ref, true, &fn) != 0) {
        log_warn("msg=\"authorizer cannot run\" api=%s", api->id);
        gw_answer_message(req, ar->fl, ar->at->rid, 500, ar->fl->internal);
    } else {
        start_authorizer(gw, req, api, ar, fn, ref.qualifier, key);
        key = NULL;
    }
    free(key);
    cJSON_Delete(ar->values);
}

bool gw_authorize_identity(h2o_req_t *req, const struct gw_flavor *fl, const char *rid,
                           const cJSON *sources, const cJSON *vars, cJSON **out)
{
    cJSON *values = cJSON_CreateArray();
    const cJSON *src;
    cJSON_ArrayForEach(src, sources)
    {
        char buf[4096];
        bool ctx_var;
        const char *v = cJSON_IsString(src) ? gw_call_source(req, vars, src->valuestring, buf,
                                                             sizeof(buf), &ctx_var)
                                            : NULL;
        if (v == NULL && !ctx_var) {
            cJSON_Delete(values);
            gw_answer_message(req, fl, rid, 401, "Unauthorized");
            return false;
        }
        if (v != NULL)
            cJSON_AddItemToArray(values, cJSON_CreateString(v));
    }
    *out = values;
    return true;
}

char *gw_authorize_arn(const struct gateway *gw, const h2o_req_t *req, const char *api_id,
                       const char *stage, const char *path, size_t plen)
{
    size_t n = strlen(gw->region) + strlen(gw->account) + strlen(api_id) + strlen(stage) +
               req->method.len + plen + 32;
    char *arn = xmalloc(n);
    snprintf(arn, n, "arn:aws:execute-api:%s:%s:%s/%s/%.*s%.*s", gw->region, gw->account, api_id,
             stage, (int)req->method.len, req->method.base, (int)plen, path);
    return arn;
}

/* ---- JWT authorizers ---- */

/* A request waiting for its JWT issuer's keys. */
struct jwt_wait {
    struct gw_call *c; /* its request, rid and CORS answers */
    struct jwt tok;
    char *issuer;
    cJSON *audience; /* the authorizer's (a copy) */
    cJSON *required; /* the route's authorizationScopes (a copy), or NULL */
    struct gw_resume at;
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
        char *one = xstrndup(p, l);
        cJSON_AddItemToArray(list, cJSON_CreateString(one));
        free(one);
        p += l;
        p += strspn(p, " ");
    }
    return list;
}

static void jwt_wait_free(struct jwt_wait *w)
{
    gw_call_free(w->c);
    jwt_free(&w->tok);
    free(w->issuer);
    cJSON_Delete(w->audience);
    cJSON_Delete(w->required);
    free(w);
}

/* The keys are here (or not): judge the token, then go on with the
 * request and its claims, as a Lambda authorizer's verdict does. */
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
        if (why != NULL)
            gw_call_answer(c, 401, "Unauthorized");
        else
            gw_call_answer(c, 403, "Forbidden");
        jwt_wait_free(w);
        return;
    }
    struct gw_auth auth = {.claims = cJSON_Duplicate(w->tok.claims, true),
                           .scopes = token_scopes(&w->tok)};
    h2o_req_t *req = c->req;
    struct gateway *gw = c->gw;
    struct gw_resume at = w->at;
    jwt_wait_free(w);
    at.fn(gw, req, &at, &auth);
    cJSON_Delete(auth.claims);
    cJSON_Delete(auth.scopes);
}

void gw_authorize_jwt(struct gateway *gw, h2o_req_t *req, const cJSON *a, const cJSON *scopes,
                      const cJSON *cors, const struct gw_resume *at)
{
    const cJSON *jc = cJSON_GetObjectItemCaseSensitive(a, "jwtConfiguration");
    const char *src = cJSON_GetStringValue(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(a, "identitySource"), 0));
    const char *issuer = gw_jstr(jc, "issuer");
    char name[256];
    snprintf(name, sizeof(name), "%s",
             src != NULL && strlen(src) > 16 ? src + 16 : "authorization");
    for (char *p = name; *p != '\0'; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    const h2o_iovec_t *token = http_req_header(req, name);
    struct jwt_wait *w = xcalloc(1, sizeof(*w));
    w->c = gw_call_new(gw, req, &gw_http_api, at->rid, cors);
    if (a == NULL || issuer[0] == '\0' || token == NULL ||
        jwt_parse(token->base, token->len, &w->tok) != 0) {
        gw_call_answer(w->c, 401, "Unauthorized");
        jwt_wait_free(w);
        return;
    }
    w->at = *at;
    w->issuer = xstrdup(issuer);
    w->audience = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(jc, "audience"), true);
    w->required = scopes != NULL ? cJSON_Duplicate(scopes, true) : NULL;
    gw_jwks_get(gw, req, issuer, on_jwks, w);
}
