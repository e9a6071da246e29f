/* SPDX-License-Identifier: MIT */
/*
 * Function URLs (see funcurl.h). The URL id comes from the Host, its
 * configuration from the catalog (catalog_furl_by_id), and the request runs
 * as an AWS_PROXY integration of payload 2.0 with route and stage
 * $default, the URL id as apiId and accountId "anonymous" without IAM
 * auth, within the function's own timeout (plus a second). Answers are in
 * the function URL flavour (x-amzn-RequestId, {"Message": ...}).
 */
#include "funcurl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/util.h"
#include "catalog/catalog.h"
#include "catalog/function.h"
#include "gateway/call.h"
#include "gateway/cors.h"
#include "gateway/integration.h"
#include "gateway/model.h"
#include "invoke/invoke.h"

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

/* The function of URL u, or NULL after answering why it cannot run. */
static struct function *admit(struct gateway *gw, h2o_req_t *req, const struct furl *u,
                              const char *rid, struct fn_ref *ref)
{
    const h2o_iovec_t *auth = http_req_header(req, "authorization");
    struct function *fn = NULL;
    *ref = (struct fn_ref){0};
    snprintf(ref->name, sizeof(ref->name), "%s", u->name);
    if (strcmp(u->qualifier, "$LATEST") != 0)
        snprintf(ref->qualifier, sizeof(ref->qualifier), "%s", u->qualifier);
    if (u->iam && (auth == NULL || auth->len < 16 || memcmp(auth->base, "AWS4-HMAC-SHA256", 16)))
        gw_answer_message(req, &gw_function_url, rid, 403, "Forbidden");
    else if (req->entity.len > INVOKE_PAYLOAD_MAX_BYTES ||
             gw_call_headers_bytes(req) > GW_HEADERS_MAX_BYTES)
        gw_answer_message(req, &gw_function_url, rid, 413, "Request Entity Too Large");
    else if (invoke_lookup(gw->invoke, ref, true, &fn) != 0)
        gw_answer_message(req, &gw_function_url, rid, 502, gw_function_url.internal);
    return fn;
}

/* A request to function URL id (domain: the Host without its port). */
static void furl_invoke(struct gateway *gw, h2o_req_t *req, const char *id, const char *domain)
{
    char rid[37];
    rand_uuid(rid);
    const struct furl *u = gw->cat != NULL ? catalog_furl_by_id(gw->cat, id) : NULL;
    if (u == NULL) {
        gw_answer_message(req, &gw_function_url, rid, 403, "Forbidden");
        return;
    }
    /* Lambda answers CORS preflights itself, before authorization. */
    cJSON *cors = furl_cors(u->cors);
    struct fn_ref ref;
    struct function *fn = NULL;
    if (gw_cors_preflight(req, cors, rid) || (fn = admit(gw, req, u, rid, &ref)) == NULL) {
        cJSON_Delete(cors);
        return;
    }
    char arn[400];
    int n = snprintf(arn, sizeof(arn), "arn:aws:lambda:%s:%s:function:%s", gw->region, gw->account,
                     u->name);
    if (ref.qualifier[0] != '\0')
        snprintf(arn + n, sizeof(arn) - (size_t)n, ":%s", ref.qualifier);
    struct gw_match none = {0};
    struct gw_request r = {
        .path = req->path.base,
        .path_len = gw_call_path_len(req),
        .domain = domain,
        .api_id = id,
        .stage = "$default",
        .route_key = "$default",
        .resource = "$default",
        .m = &none,
        .account = u->iam ? NULL : "anonymous",
    };
    struct gw_integration in = {
        .type = "AWS_PROXY",
        .uri = arn,
        .method = "POST",
        .version = 2,
        .timeout_ms = (int64_t)fn->timeout_s * 1000 + 1000,
    };
    gw_integration_run(gw, req, &gw_function_url, rid, cors, &in, &r);
    cJSON_Delete(cors);
}

bool gw_funcurl_handle(struct gateway *gw, h2o_req_t *req)
{
    char id[FURL_ID_LEN + 1], domain[256];
    if (!furl_of_host(&req->input.authority, id, domain, sizeof(domain)))
        return false;
    furl_invoke(gw, req, id, domain);
    return true;
}
