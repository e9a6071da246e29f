/* SPDX-License-Identifier: MIT */
/*
 * HTTP APIs (see httpapi.h). A request picks its stage and route from the
 * stage's deployment, takes a token from the route's bucket
 * (routeSettings over defaultRouteSettings) and starts its access log. A
 * route with an authorizer hands the request to it with http_resume as the
 * continuation, which selects the route again on the API as it is then (it
 * may have changed while the authorizer ran) and runs the integration with
 * the decision; routes without one run it at once.
 */
#include "httpapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "gateway/accesslog.h"
#include "gateway/authorize.h"
#include "gateway/call.h"
#include "gateway/cors.h"
#include "gateway/integration.h"
#include "gateway/model.h"

/* Picks the stage: one named by the first path segment, else $default.
 * Sets *skip to the bytes of the path before the path the routes see. */
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

/* The route's bucket: per stage and route key. */
static bool route_token(struct gw_api *api, const cJSON *stage, const char *route_key)
{
    char key[GW_NAME_MAX + GW_ROUTE_KEY_MAX + 2];
    snprintf(key, sizeof(key), "%s %s", gw_jstr(stage, "stageName"), route_key);
    return gw_throttle(api, key, route_setting(stage, route_key, "throttlingRateLimit"),
                       route_setting(stage, route_key, "throttlingBurstLimit"));
}

struct target {
    const cJSON *stage;
    const cJSON *route;
    const cJSON *integration;
    const struct gw_route_key *key;
    struct gw_match m;
    size_t skip; /* the path's bytes before what the routes see (the stage's segment) */
};

/* Selects stage, route and integration; answers (and returns false) when
 * there is none or the route is over its throttle. */
static bool select_target(h2o_req_t *req, struct gw_api *api, const char *rid, struct target *t,
                          bool throttle)
{
    size_t plen = gw_call_path_len(req);
    t->stage = select_stage(api->doc, req->path.base, plen, &t->skip);
    const struct gw_deploy_rt *rt = gw_deployment_rt(api, gw_jstr(t->stage, "deploymentId"));
    if (rt == NULL) {
        gw_answer_message(req, &gw_http_api, rid, 404, "Not Found");
        return false;
    }
    const char *rpath = req->path.base + t->skip;
    size_t rlen = plen - t->skip;
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
        gw_answer_message(req, &gw_http_api, rid, 404, "Not Found");
        return false;
    }
    if (throttle && !route_token(api, t->stage, t->key->text)) {
        gw_answer_message(req, &gw_http_api, rid, 429, "Too Many Requests");
        return false;
    }
    return true;
}

/* The event fields the route decides, for the integration and the
 * authorizer alike. */
static void request_of(h2o_req_t *req, const struct gw_api *api, const struct target *t,
                       const char *domain, struct gw_request *r)
{
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(t->stage, "stageVariables");
    *r = (struct gw_request){
        .path = req->path.base,
        .path_len = gw_call_path_len(req),
        .domain = domain,
        .api_id = api->id,
        .stage = gw_jstr(t->stage, "stageName"),
        .route_key = t->key->text,
        .resource = t->key->is_default ? "$default" : t->key->text + t->key->path_off,
        .m = &t->m,
        .stage_vars = cJSON_IsObject(vars) ? vars : NULL,
    };
}

/* Runs the integration of t for req, with the authorizer's decision auth
 * (or NULL). */
static void run(struct gateway *gw, h2o_req_t *req, struct gw_api *api, const char *rid,
                const char *domain, const struct target *t, const struct gw_auth *auth)
{
    struct gw_request r;
    request_of(req, api, t, domain, &r);
    if (auth != NULL && auth->claims != NULL) {
        r.jwt_claims = auth->claims;
        r.jwt_scopes = auth->scopes;
    } else if (auth != NULL) {
        r.authorized = true;
        r.auth_context = auth->context;
        r.auth_principal = auth->principal;
    }
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(t->integration, "timeoutInMillis");
    struct gw_integration in = {
        .type = gw_jstr(t->integration, "integrationType"),
        .uri = gw_jstr(t->integration, "integrationUri"),
        .method = gw_jstr(t->integration, "integrationMethod"),
        .version = strcmp(gw_jstr(t->integration, "payloadFormatVersion"), "1.0") == 0 ? 1 : 2,
        .timeout_ms = cJSON_IsNumber(to) ? to->valueint : GW_TIMEOUT_MAX_MS,
        .params = cJSON_GetObjectItemCaseSensitive(t->integration, "requestParameters"),
        .resp_params = cJSON_GetObjectItemCaseSensitive(t->integration, "responseParameters"),
    };
    gw_integration_run(gw, req, &gw_http_api, rid, gw_cors_of(api->doc), &in, &r);
}

/* The continuation of a request its authorizer allowed: the route again, on
 * the API as it is now, without a second throttle token or access log. */
static void http_resume(struct gateway *gw, h2o_req_t *req, const struct gw_resume *at,
                        const struct gw_auth *auth)
{
    struct gw_api *api = gw_find(gw, at->api_id);
    struct target t = {0};
    if (api == NULL || gw_is_rest(api)) {
        gw_answer_no_api(req, true, at->rid);
        return;
    }
    if (select_target(req, api, at->rid, &t, false))
        run(gw, req, api, at->rid, at->domain, &t, auth);
}

/* A route with authorizationType CUSTOM: its Lambda authorizer. */
static void authorize(struct gateway *gw, h2o_req_t *req, struct gw_api *api,
                      const struct target *t, const struct gw_resume *at)
{
    const cJSON *a =
        gw_item(api->doc, "authorizers", "authorizerId", gw_jstr(t->route, "authorizerId"));
    struct gw_request r;
    request_of(req, api, t, at->domain, &r);
    const cJSON *ttl = cJSON_GetObjectItemCaseSensitive(a, "authorizerResultTtlInSeconds");
    struct gw_auth_req ar = {
        .fl = &gw_http_api,
        .id = gw_jstr(a, "authorizerId"),
        .uri = gw_jstr(a, "authorizerUri"),
        .ttl_s = cJSON_IsNumber(ttl) ? ttl->valueint : 0,
        .simple = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "enableSimpleResponses")),
        .version = strcmp(gw_jstr(a, "authorizerPayloadFormatVersion"), "1.0") == 0 ? 1 : 2,
        .r = &r,
        .cors = gw_cors_of(api->doc),
        .at = at,
    };
    if (!gw_authorize_identity(req, &gw_http_api, at->rid,
                               cJSON_GetObjectItemCaseSensitive(a, "identitySource"), r.stage_vars,
                               &ar.values))
        return;
    char *arn = gw_authorize_arn(gw, req, api->id, r.stage, req->path.base + t->skip,
                                 gw_call_path_len(req) - t->skip);
    ar.arn = arn;
    gw_authorize_lambda(gw, req, api, &ar);
    free(arn);
}

void gw_httpapi_invoke(struct gateway *gw, h2o_req_t *req, struct gw_api *api, const char *rid,
                       const char *domain)
{
    const cJSON *cors = gw_cors_of(api->doc);
    if (gw_cors_preflight(req, cors, rid))
        return;
    struct target t = {0};
    if (!select_target(req, api, rid, &t, true))
        return;
    gw_access_begin(gw->logs, req, t.stage, api->id, gw_jstr(t.stage, "stageName"), rid,
                    t.key->text, NULL, domain);
    const char *type = gw_jstr(t.route, "authorizationType");
    if (strcmp(type, "CUSTOM") != 0 && strcmp(type, "JWT") != 0) {
        run(gw, req, api, rid, domain, &t, NULL);
        return;
    }
    struct gw_resume at = {.fn = http_resume, .by_host = true};
    snprintf(at.rid, sizeof(at.rid), "%s", rid);
    snprintf(at.api_id, sizeof(at.api_id), "%s", api->id);
    snprintf(at.domain, sizeof(at.domain), "%s", domain);
    if (strcmp(type, "CUSTOM") == 0)
        authorize(gw, req, api, &t, &at);
    else
        gw_authorize_jwt(
            gw, req,
            gw_item(api->doc, "authorizers", "authorizerId", gw_jstr(t.route, "authorizerId")),
            cJSON_GetObjectItemCaseSensitive(t.route, "authorizationScopes"), cors, &at);
}
