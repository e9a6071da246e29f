/* SPDX-License-Identifier: MIT */
/*
 * REST APIs (see restapi.h). A request selects its stage and method from
 * the stage's deployment, takes a token from the method's bucket
 * (methodSettings "{path}/{VERB}", else the stage-wide entry) and starts its access log.
 * A method with a CUSTOM authorizer hands the request to it with
 * rest_resume as the continuation, which selects the method again on the
 * API as it is then; the API key check, MOCK answers and the integration
 * follow, with the decision.
 */
#include "restapi.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/limits.h"
#include "gateway/accesslog.h"
#include "gateway/authorize.h"
#include "gateway/call.h"
#include "gateway/integration.h"
#include "gateway/keys.h"
#include "gateway/model.h"

/* A method's bucket: its methodSettings entry ("{path}/{VERB}"), else the
 * stage-wide entry for every method. */
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
    snprintf(bkey, sizeof(bkey), "%s %s", gw_jstr(stage, "stageName"), key);
    return gw_throttle(api, bkey, cJSON_IsNumber(rate) ? rate : NULL,
                       cJSON_IsNumber(burst) ? burst : NULL);
}

/* A three-digit status code string, or fallback. */
static int status_of(const char *s, int fallback)
{
    char *end;
    long v = strtol(s, &end, 10);
    return *end == '\0' && end != s && v >= 100 && v <= 599 ? (int)v : fallback;
}

/* The integration response of a MOCK integration for status: the first
 * whose selectionPattern matches it, else the default one; or NULL. */
static const cJSON *mock_response(const cJSON *integ, int status)
{
    char code[8];
    snprintf(code, sizeof(code), "%d", status);
    const cJSON *chosen = NULL, *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(integ, "integrationResponses"))
    {
        const char *pat = gw_jstr(r, "selectionPattern");
        regex_t re;
        if (pat[0] == '\0') {
            if (chosen == NULL)
                chosen = r; /* the default response */
        } else if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) == 0) {
            bool match = regexec(&re, code, 0, NULL, 0) == 0;
            regfree(&re);
            if (match)
                return r;
        }
    }
    return chosen;
}

/* Answers from a MOCK integration: the status its request template names
 * (default 200), the integration response it selects, with that response's
 * literal header values ('...') and its template as the body. */
static void mock_respond(h2o_req_t *req, const char *rid, const cJSON *integ)
{
    int status = 200;
    cJSON *tmpl = cJSON_Parse(
        gw_jstr(cJSON_GetObjectItemCaseSensitive(integ, "requestTemplates"), "application/json"));
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(tmpl, "statusCode");
    if (cJSON_IsNumber(sc) && sc->valuedouble >= 100 && sc->valuedouble <= 599)
        status = sc->valueint;
    cJSON_Delete(tmpl);
    const cJSON *chosen = mock_response(integ, status);
    if (chosen == NULL) {
        gw_answer_message(req, &gw_rest_api, rid, 500, gw_rest_api.internal);
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
            gw_answer_header(req, p->string + sizeof(pre) - 1,
                             strlen(p->string) - (sizeof(pre) - 1), v + 1, vl - 2);
    }
    const char *body =
        gw_jstr(cJSON_GetObjectItemCaseSensitive(chosen, "responseTemplates"), "application/json");
    gw_answer_ids(req, &gw_rest_api, rid);
    http_send(req, status_of(gw_jstr(chosen, "statusCode"), status), "application/json", body,
              strlen(body));
}

/* A REST integration's requestParameters ("integration.request.header.X":
 * "method.request.header.Y" or "'literal'") as the HTTP API mapping that
 * gw_forward applies; NULL when there are none. */
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

/* A request's stage and method, and the event fields they decide. */
struct sel {
    char name[GW_NAME_MAX + 1]; /* the stage's */
    const cJSON *stage;
    const struct gw_deploy_rt *rt;
    int i; /* the method's index in rt */
    const cJSON *method, *res;
    struct gw_match m;
    char *full; /* the event's path: "/{stage}{path}", malloc'd */
    struct gw_request r;
};

/* Selects the stage and method of req (at: the stage and path slices);
 * answers (and returns false) when there is none. Free s->full after. */
static bool select_method(h2o_req_t *req, struct gw_api *api, const struct gw_resume *at,
                          struct sel *s)
{
    const char *path = at->plen > 0 ? at->path : "/";
    size_t plen = at->plen > 0 ? at->plen : 1;
    s->name[0] = '\0';
    if (at->slen > 0 && at->slen <= GW_NAME_MAX) {
        memcpy(s->name, at->stage, at->slen);
        s->name[at->slen] = '\0';
        s->stage = gw_stage(api->doc, s->name);
    }
    s->rt = gw_deployment_rt(api, gw_jstr(s->stage, "deploymentId"));
    s->i = s->rt != NULL ? gw_route_select(s->rt->ptrs, s->rt->nroutes, req->method.base,
                                           req->method.len, path, plen, &s->m)
                         : -1;
    if (s->i < 0) {
        gw_answer_message(req, &gw_rest_api, at->rid, 403, gw_rest_api.missing);
        return false;
    }
    s->method = s->rt->routes[s->i];
    s->res = s->rt->resources[s->i];
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(s->stage, "variables");
    s->full = xmalloc(at->slen + at->plen + 3);
    int fl = snprintf(s->full, at->slen + at->plen + 3, "/%.*s%.*s", (int)at->slen, at->stage,
                      (int)at->plen, at->path);
    s->r = (struct gw_request){
        .path = s->full,
        .path_len = (size_t)fl,
        .rest = true,
        .rest_path = path,
        .rest_path_len = plen,
        .resource_id = gw_jstr(s->res, "id"),
        .binary_types = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(api->doc, "restapi"), "binaryMediaTypes"),
        .domain = at->domain,
        .api_id = api->id,
        .stage = s->name,
        .route_key = s->rt->ptrs[s->i]->text,
        .resource = gw_jstr(s->res, "path"),
        .m = &s->m,
        .stage_vars = cJSON_IsObject(vars) ? vars : NULL,
    };
    return true;
}

/* Runs the selected method for req with the authorizer's decision auth (or
 * NULL): its API key, then MOCK or the integration. */
static void run(struct gateway *gw, h2o_req_t *req, struct gw_api *api, const char *rid,
                struct sel *s, const struct gw_auth *auth)
{
    int key_status;
    const char *key_msg;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s->method, "apiKeyRequired")) &&
        !gw_keys_admit(gw, req, api->id, s->name, &key_status, &key_msg)) {
        gw_answer_message(req, &gw_rest_api, rid, key_status, key_msg);
        return;
    }
    if (auth != NULL) {
        s->r.authorized = true;
        s->r.auth_context = auth->context;
        s->r.auth_principal = auth->principal;
    }
    const cJSON *integ = cJSON_GetObjectItemCaseSensitive(s->method, "methodIntegration");
    if (strcmp(gw_jstr(integ, "type"), "MOCK") == 0) {
        mock_respond(req, rid, integ);
        return;
    }
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(integ, "timeoutInMillis");
    struct gw_integration in = {
        .type = gw_jstr(integ, "type"),
        .uri = gw_jstr(integ, "uri"),
        .method = gw_jstr(integ, "httpMethod"),
        .version = 0,
        .timeout_ms = cJSON_IsNumber(to) ? to->valueint : GW_REST_TIMEOUT_MAX_MS,
    };
    cJSON *params = rest_mapping(cJSON_GetObjectItemCaseSensitive(integ, "requestParameters"));
    in.params = params;
    gw_integration_run(gw, req, &gw_rest_api, rid, NULL, &in, &s->r);
    cJSON_Delete(params);
}

/* The continuation of a request its authorizer allowed: the method again,
 * on the API as it is now, without a second throttle token or access log. */
static void rest_resume(struct gateway *gw, h2o_req_t *req, const struct gw_resume *at,
                        const struct gw_auth *auth)
{
    struct gw_api *api = gw_find(gw, at->api_id);
    struct sel s = {0};
    if (api == NULL || !gw_is_rest(api)) {
        gw_answer_no_api(req, at->by_host, at->rid);
        return;
    }
    if (!select_method(req, api, at, &s))
        return;
    run(gw, req, api, at->rid, &s, auth);
    free(s.full);
}

/* Splits the sources of a REST authorizer's identitySource (a
 * comma-separated list) into a list. */
static cJSON *sources_of(const cJSON *a)
{
    cJSON *sources = cJSON_CreateArray();
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", gw_jstr(a, "identitySource"));
    for (char *p = buf, *comma; p != NULL && *p != '\0'; p = comma) {
        if ((comma = strchr(p, ',')) != NULL)
            *comma++ = '\0';
        while (*p == ' ')
            p++;
        if (*p != '\0')
            cJSON_AddItemToArray(sources, cJSON_CreateString(p));
    }
    return sources;
}

/* True if a TOKEN authorizer's token (the first value) is there and matches
 * its identityValidationExpression, if it has one. */
static bool token_valid(const cJSON *a, const cJSON *values)
{
    const char *expr = gw_jstr(a, "identityValidationExpression");
    regex_t re;
    if (cJSON_GetArraySize(values) == 0)
        return false;
    if (expr[0] == '\0' || regcomp(&re, expr, REG_EXTENDED | REG_NOSUB) != 0)
        return true;
    bool match = regexec(&re, cJSON_GetArrayItem(values, 0)->valuestring, 0, NULL, 0) == 0;
    regfree(&re);
    return match;
}

/* A method with authorizationType CUSTOM: its TOKEN or REQUEST authorizer.
 * identitySource is "method.request.header.X" (TOKEN) or a comma-separated
 * list of sources (REQUEST). */
static void authorize(struct gateway *gw, h2o_req_t *req, struct gw_api *api, struct sel *s,
                      const struct gw_resume *at)
{
    const cJSON *a = gw_item(api->doc, "authorizers", "id", gw_jstr(s->method, "authorizerId"));
    const cJSON *ttl = cJSON_GetObjectItemCaseSensitive(a, "authorizerResultTtlInSeconds");
    struct gw_auth_req ar = {
        .fl = &gw_rest_api,
        .id = gw_jstr(a, "id"),
        .uri = gw_jstr(a, "authorizerUri"),
        .ttl_s = cJSON_IsNumber(ttl) ? ttl->valueint : 0,
        .version = 0,
        .token = strcmp(gw_jstr(a, "type"), "TOKEN") == 0,
        .r = &s->r,
        .at = at,
    };
    cJSON *sources = sources_of(a);
    bool ok =
        gw_authorize_identity(req, &gw_rest_api, at->rid, sources, s->r.stage_vars, &ar.values);
    cJSON_Delete(sources);
    if (!ok)
        return;
    if (ar.token && !token_valid(a, ar.values)) {
        cJSON_Delete(ar.values);
        gw_answer_message(req, &gw_rest_api, at->rid, 401, "Unauthorized");
        return;
    }
    char *arn = gw_authorize_arn(gw, req, api->id, s->name, s->r.rest_path, s->r.rest_path_len);
    ar.arn = arn;
    gw_authorize_lambda(gw, req, api, &ar);
    free(arn);
}

void gw_restapi_invoke(struct gateway *gw, h2o_req_t *req, struct gw_api *api, const char *rid,
                       const char *domain, bool by_host, const char *stage, size_t slen,
                       const char *path, size_t plen)
{
    struct gw_resume at = {.fn = rest_resume,
                           .by_host = by_host,
                           .stage = stage,
                           .slen = slen,
                           .path = path,
                           .plen = plen};
    snprintf(at.rid, sizeof(at.rid), "%s", rid);
    snprintf(at.api_id, sizeof(at.api_id), "%s", api->id);
    snprintf(at.domain, sizeof(at.domain), "%s", domain);
    struct sel s = {0};
    if (!select_method(req, api, &at, &s))
        return;
    if (!method_token(api, s.stage, gw_jstr(s.res, "path"), gw_jstr(s.method, "httpMethod"))) {
        gw_answer_message(req, &gw_rest_api, rid, 429, "Too Many Requests");
    } else {
        gw_access_begin(gw->logs, req, s.stage, api->id, s.name, rid, s.rt->ptrs[s.i]->text,
                        gw_jstr(s.res, "path"), domain);
        if (strcmp(gw_jstr(s.method, "authorizationType"), "CUSTOM") == 0)
            authorize(gw, req, api, &s, &at);
        else
            run(gw, req, api, rid, &s, NULL);
    }
    free(s.full);
}

bool gw_restapi_user_path(const h2o_req_t *req, char id[16], const char **stage, size_t *slen,
                          const char **path, size_t *plen)
{
    static const char pre[] = "/restapis/", mark[] = "/_user_request_";
    size_t len = gw_call_path_len(req);
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
