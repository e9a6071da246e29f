/* SPDX-License-Identifier: MIT */
/*
 * apigatewayv2 for HTTP APIs. Every write validates the request against the
 * committed document, applies it to a copy and hands the copy to gw_commit,
 * which answers once the store has it. Request members are applied through
 * member tables (name, type, maximum length), so that Create and Update of
 * a resource share one validation; rules that span members (route keys,
 * integration URIs, CORS) run on the result. A change to routes or
 * integrations redeploys every stage with autoDeploy, as AWS does: a new
 * deployment (autoDeployed: true) snapshots routes and integrations, and
 * automatic deployments no stage uses any more are dropped.
 */
#include "control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/awserr.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/util.h"
#include "gateway/keys.h"
#include "gateway/members.h"
#include "gateway/model.h"
#include "gateway/proxy.h"
#include "gateway/rest.h"
#include "http/router.h"

static const struct member deployment_members[] = {{"description", M_STR, GW_DESCRIPTION_MAX}};

/* ---- shapes ---- */

static cJSON *api_json(const struct gateway *gw, const cJSON *doc)
{
    cJSON *a = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(doc, "api"), true);
    char ep[128];
    snprintf(ep, sizeof(ep), "http://%s.execute-api.localhost:%u", gw_str_of(a, "apiId"), gw->port);
    cJSON_AddStringToObject(a, "apiEndpoint", ep);
    return a;
}

static cJSON *deployment_json(const cJSON *wrapper)
{
    return cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(wrapper, "deployment"), true);
}

/* ---- CORS configuration ---- */

static const struct member cors_members[] = {
    {"allowCredentials", M_BOOL, 0}, {"allowHeaders", M_STRARR, 0},  {"allowMethods", M_STRARR, 0},
    {"allowOrigins", M_STRARR, 0},   {"exposeHeaders", M_STRARR, 0}, {"maxAge", M_INT, 0},
};

static bool has_string(const cJSON *arr, const char *s)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        if (cJSON_IsString(e) && strcmp(e->valuestring, s) == 0)
            return true;
    }
    return false;
}

/* Validates body.corsConfiguration and returns its normalised copy (NULL
 * and *ok when absent; NULL and !*ok after sending an error). */
static cJSON *parse_cors(h2o_req_t *req, const cJSON *body, bool *ok)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(body, "corsConfiguration");
    *ok = true;
    if (c == NULL || cJSON_IsNull(c))
        return NULL;
    *ok = false;
    if (!cJSON_IsObject(c)) {
        aws_send_error_message(req, ERR_GW_BAD_REQUEST, "Invalid input for corsConfiguration");
        return NULL;
    }
    cJSON *out = cJSON_CreateObject();
    if (!APPLY(req, c, out, cors_members)) {
        cJSON_Delete(out);
        return NULL;
    }
    const cJSON *age = cJSON_GetObjectItemCaseSensitive(out, "maxAge");
    if (age != NULL && (age->valuedouble < -1 || age->valuedouble > GW_CORS_MAX_AGE_S)) {
        aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                               "Invalid input for maxAge: must be between -1 and %d seconds",
                               GW_CORS_MAX_AGE_S);
        cJSON_Delete(out);
        return NULL;
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(out, "allowCredentials")) &&
        has_string(cJSON_GetObjectItemCaseSensitive(out, "allowOrigins"), "*")) {
        aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                               "allowCredentials cannot be true when allowOrigins contains '*'");
        cJSON_Delete(out);
        return NULL;
    }
    *ok = true;
    return out;
}

/* ---- deployments ---- */

static bool stage_uses(const cJSON *doc, const char *dep_id)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(doc, "stages"))
    {
        const char *d = gw_str_of(s, "deploymentId");
        if (d != NULL && strcmp(d, dep_id) == 0)
            return true;
    }
    return false;
}

/* Drops automatic deployments no stage uses, and the oldest unused manual
 * ones beyond GW_DEPLOYMENTS_MAX. */
static void prune_deployments(cJSON *doc)
{
    cJSON *deps = cJSON_GetObjectItemCaseSensitive(doc, "deployments");
    int excess = cJSON_GetArraySize(deps) - GW_DEPLOYMENTS_MAX;
    cJSON *w = deps != NULL ? deps->child : NULL;
    while (w != NULL) {
        cJSON *next = w->next;
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(w, "deployment");
        bool automatic = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "autoDeployed"));
        if (!stage_uses(doc, gw_str_of(d, "deploymentId")) && (automatic || excess > 0)) {
            if (!automatic)
                excess--;
            cJSON_Delete(cJSON_DetachItemViaPointer(deps, w));
        }
        w = next;
    }
}

/* Snapshots doc's routes and integrations as a new deployment; returns its id. */
static const char *deploy(cJSON *doc, const char *description, bool automatic)
{
    cJSON *w = cJSON_CreateObject(), *d = cJSON_AddObjectToObject(w, "deployment");
    char id[8], date[32];
    gw_new_id(id, 6);
    gw_now_iso(date);
    cJSON_AddBoolToObject(d, "autoDeployed", automatic);
    cJSON_AddStringToObject(d, "createdDate", date);
    cJSON_AddStringToObject(d, "deploymentId", id);
    cJSON_AddStringToObject(d, "deploymentStatus", "DEPLOYED");
    if (description != NULL)
        cJSON_AddStringToObject(d, "description", description);
    cJSON_AddItemToObject(w, "routes",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(doc, "routes"), true));
    cJSON_AddItemToObject(
        w, "integrations",
        cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(doc, "integrations"), true));
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(doc, "deployments"), w);
    return gw_str_of(d, "deploymentId");
}

static void point_stage(cJSON *stage, const char *dep_id, const char *message)
{
    char date[32];
    gw_now_iso(date);
    gw_set_str(stage, "deploymentId", dep_id);
    gw_set_str(stage, "lastUpdatedDate", date);
    if (message != NULL)
        gw_set_str(stage, "lastDeploymentStatusMessage", message);
}

/* Redeploys every autoDeploy stage of doc (after a change). */
static void auto_deploy(cJSON *doc)
{
    const char *dep = NULL;
    cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(doc, "stages"))
    {
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "autoDeploy")))
            continue;
        if (dep == NULL)
            dep = deploy(doc, "Automatic deployment triggered by changes to the Api configuration",
                         true);
        char msg[128];
        snprintf(msg, sizeof(msg), "Successfully deployed stage with deployment ID '%s'", dep);
        point_stage(s, dep, msg);
    }
    prune_deployments(doc);
}

/* ---- integrations ---- */

static const struct member integration_members[] = {
    {"connectionId", M_STR, 1024},
    {"connectionType", M_STR, 0},
    {"contentHandlingStrategy", M_STR, 0},
    {"credentialsArn", M_STR, 2048},
    {"description", M_STR, GW_DESCRIPTION_MAX},
    {"integrationMethod", M_STR, 16},
    {"integrationSubtype", M_STR, 128},
    {"integrationType", M_STR, 0},
    {"integrationUri", M_STR, 2048},
    {"passthroughBehavior", M_STR, 0},
    {"payloadFormatVersion", M_STR, 8},
    {"requestTemplates", M_STRMAP, 0},
    {"responseParameters", M_OBJ, 0},
    {"templateSelectionExpression", M_STR, 1024},
    {"timeoutInMillis", M_INT, 0},
    {"tlsConfig", M_OBJ, 0},
};

/* Checks requestParameters (parameter mapping): keys
 * "{append|overwrite|remove}:{header|querystring}.{name}" or "overwrite:path";
 * HTTP_PROXY integrations only. */
static bool check_mapping(h2o_req_t *req, const cJSON *in, bool lambda)
{
    const cJSON *m, *params = cJSON_GetObjectItemCaseSensitive(in, "requestParameters");
    if (cJSON_GetArraySize(params) > 0 && lambda) {
        aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                               "lambdad supports parameter mapping for HTTP_PROXY integrations "
                               "only");
        return false;
    }
    cJSON_ArrayForEach(m, params)
    {
        const char *k = m->string, *colon = strchr(k, ':');
        bool op =
            colon != NULL && (strncmp(k, "append:", 7) == 0 || strncmp(k, "overwrite:", 10) == 0 ||
                              strncmp(k, "remove:", 7) == 0);
        const char *what = op ? colon + 1 : "";
        bool ok = op && ((strncmp(what, "header.", 7) == 0 && what[7] != '\0') ||
                         (strncmp(what, "querystring.", 12) == 0 && what[12] != '\0') ||
                         (strcmp(what, "path") == 0 && strncmp(k, "overwrite:", 10) == 0));
        if (!ok || strncmp(m->valuestring, "$request.body", 13) == 0) {
            aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                                   "Invalid mapping expression specified: %.128s: %.128s", k,
                                   m->valuestring);
            return false;
        }
    }
    return true;
}

/* Checks responseParameters: {"200": {"overwrite:statuscode": "204",
 * "{append|overwrite|remove}:header.{name}": value}}. */
static bool check_response_mapping(h2o_req_t *req, const cJSON *in)
{
    const cJSON *byst, *m;
    cJSON_ArrayForEach(byst, cJSON_GetObjectItemCaseSensitive(in, "responseParameters"))
    {
        const char *st = byst->string;
        bool code = strlen(st) == 3 && st[0] >= '1' && st[0] <= '5' && st[1] >= '0' &&
                    st[1] <= '9' && st[2] >= '0' && st[2] <= '9';
        if (!code || !cJSON_IsObject(byst) || !gw_all_strings(byst)) {
            aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                                   "Invalid responseParameters for %.16s: a status code maps to "
                                   "a map of strings",
                                   st);
            return false;
        }
        cJSON_ArrayForEach(m, byst)
        {
            const char *k = m->string;
            char *end = NULL;
            long v = strtol(m->valuestring, &end, 10);
            bool ok = strcmp(k, "overwrite:statuscode") == 0
                          ? *end == '\0' && end != m->valuestring && v >= 100 && v <= 599
                          : (strncmp(k, "append:header.", 14) == 0 && k[14] != '\0') ||
                                (strncmp(k, "overwrite:header.", 17) == 0 && k[17] != '\0') ||
                                (strncmp(k, "remove:header.", 14) == 0 && k[14] != '\0');
            if (!ok) {
                aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                                       "Invalid mapping expression specified: %.128s: %.128s", k,
                                       m->valuestring);
                return false;
            }
        }
    }
    return true;
}

/* Fills defaults and checks an integration after its members were applied. */
static bool check_integration(h2o_req_t *req, cJSON *in)
{
    static const char *const http_methods[] = {"ANY",   "GET",  "POST",    "PUT", "DELETE",
                                               "PATCH", "HEAD", "OPTIONS", NULL};
    const char *type = gw_str_of(in, "integrationType");
    if (type == NULL) {
        aws_send_error_message(req, ERR_GW_BAD_REQUEST, "IntegrationType is required");
        return false;
    }
    if (strcmp(type, "AWS_PROXY") != 0 && strcmp(type, "HTTP_PROXY") != 0) {
        aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                               strcmp(type, "AWS") == 0 || strcmp(type, "HTTP") == 0 ||
                                       strcmp(type, "MOCK") == 0
                                   ? "Integration type %s is not supported for HTTP APIs"
                                   : "Invalid integration type %.64s",
                               type);
        return false;
    }
    const char *uri = gw_str_of(in, "integrationUri");
    bool lambda = strcmp(type, "AWS_PROXY") == 0;
    gw_set_default(in, "connectionType", cJSON_CreateString("INTERNET"));
    gw_set_default(in, "timeoutInMillis", cJSON_CreateNumber(GW_TIMEOUT_MAX_MS));
    gw_set_default(in, "payloadFormatVersion", cJSON_CreateString(lambda ? "2.0" : "1.0"));
    if (lambda)
        gw_set_default(in, "integrationMethod", cJSON_CreateString("POST"));
    const char *pfv = gw_str_of(in, "payloadFormatVersion");
    double t = cJSON_GetObjectItemCaseSensitive(in, "timeoutInMillis")->valuedouble;
    const char *method = gw_str_of(in, "integrationMethod");
    struct fn_ref ref;
    if (!gw_one_of(gw_str_of(in, "connectionType"),
                   (const char *const[]){"INTERNET", "VPC_LINK", NULL}))
        aws_send_error_message(req, ERR_GW_BAD_REQUEST, "Invalid connection type");
    else if (uri == NULL)
        aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                               "IntegrationUri is required for %s integrations", type);
    else if (lambda && gw_lambda_uri(uri, &ref) != 0)
        aws_send_error_message(
            req, ERR_GW_BAD_REQUEST,
            "Invalid integration URI specified: %.256s. It must be a Lambda function "
            "ARN or arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/"
            "{functionArn}/invocations",
            uri);
    else if (!lambda && strncmp(uri, "http://", 7) != 0 && strncmp(uri, "https://", 8) != 0)
        aws_send_error_message(
            req, ERR_GW_BAD_REQUEST,
            "Invalid integration URI specified: %.256s. It must be an http:// or "
            "https:// URL",
            uri);
    else if (!gw_one_of(pfv, (const char *const[]){"1.0", "2.0", NULL}) ||
             (!lambda && strcmp(pfv, "1.0") != 0))
        aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                               "Invalid payload format version %.16s: %s integrations support %s",
                               pfv, type, lambda ? "1.0 and 2.0" : "1.0");
    else if (t < GW_TIMEOUT_MIN_MS || t > GW_TIMEOUT_MAX_MS)
        aws_send_error_message(req, ERR_GW_BAD_REQUEST, "Timeout must be between %d ms and %d ms",
                               GW_TIMEOUT_MIN_MS, GW_TIMEOUT_MAX_MS);
    else if (!check_mapping(req, in, lambda) || !check_response_mapping(req, in))
        return false;
    else if (!lambda && (method == NULL || !gw_one_of(method, http_methods)))
        aws_send_error_message(
            req, ERR_GW_BAD_REQUEST,
            "IntegrationMethod must be one of ANY, GET, POST, PUT, DELETE, PATCH, "
            "HEAD or OPTIONS for HTTP_PROXY integrations");
    else
        return true;
    return false;
}

/* ---- routes ---- */

static const struct member route_members[] = {
    {"apiKeyRequired", M_BOOL, 0},
    {"authorizationScopes", M_STRARR, 0},
    {"authorizationType", M_STR, 0},
    {"authorizerId", M_STR, 64},
    {"modelSelectionExpression", M_STR, 1024},
    {"operationName", M_STR, 64},
    {"requestModels", M_STRMAP, 0},
    {"requestParameters", M_OBJ, 0},
    {"routeKey", M_STR, GW_ROUTE_KEY_MAX},
    {"routeResponseSelectionExpression", M_STR, 1024},
    {"target", M_STR, 128},
};

static void send_bad_route_key(h2o_req_t *req)
{
    aws_send_error_message(
        req, ERR_GW_BAD_REQUEST,
        "The provided route key is not formatted properly for HTTP protocol. Format "
        "should be \"<HTTP METHOD> /<RESOURCE PATH>\" or \"$default\"");
}

/* Checks a route (members applied) against doc, whose other routes must not
 * have its key. */
static bool check_route(h2o_req_t *req, const cJSON *doc, cJSON *route)
{
    const char *key = gw_str_of(route, "routeKey"), *id = gw_str_of(route, "routeId");
    struct gw_route_key k;
    if (key == NULL) {
        aws_send_error_message(req, ERR_GW_BAD_REQUEST, "Route key is required");
        return false;
    }
    if (gw_route_key_parse(key, strlen(key), &k) != 0) {
        send_bad_route_key(req);
        return false;
    }
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(doc, "routes"))
    {
        const char *other = gw_str_of(r, "routeKey");
        if (other != NULL && strcmp(other, key) == 0 && strcmp(gw_str_of(r, "routeId"), id) != 0) {
            aws_send_error_message(req, ERR_GW_CONFLICT,
                                   "Route with key %s already exists for this API", key);
            return false;
        }
    }
    gw_set_default(route, "apiKeyRequired", cJSON_CreateFalse());
    gw_set_default(route, "authorizationType", cJSON_CreateString("NONE"));
    const char *auth = gw_str_of(route, "authorizationType");
    const char *target = gw_str_of(route, "target");
    if (!gw_one_of(auth, (const char *const[]){"NONE", "AWS_IAM", "CUSTOM", "JWT", NULL})) {
        aws_send_error_message(req, ERR_GW_BAD_REQUEST, "Invalid authorization type %.32s", auth);
        return false;
    }
    if (strcmp(auth, "NONE") == 0 || strcmp(auth, "AWS_IAM") == 0)
        cJSON_DeleteItemFromObjectCaseSensitive(route, "authorizerId"); /* no authorizer runs */
    if (strcmp(auth, "CUSTOM") == 0 || strcmp(auth, "JWT") == 0) {
        const char *az = gw_str_of(route, "authorizerId");
        const cJSON *a = az != NULL ? gw_item(doc, "authorizers", "authorizerId", az) : NULL;
        const char *at = gw_str_of(a, "authorizerType");
        if (a == NULL || at == NULL ||
            strcmp(at, strcmp(auth, "JWT") == 0 ? "JWT" : "REQUEST") != 0) {
            aws_send_error_message(req, ERR_GW_NOT_FOUND,
                                   "Invalid authorizer identifier specified %.64s",
                                   az != NULL ? az : "");
            return false;
        }
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(route, "apiKeyRequired"))) {
        aws_send_error_message(req, ERR_GW_BAD_REQUEST, "API keys are not supported for HTTP APIs");
        return false;
    }
    if (target != NULL && (strncmp(target, "integrations/", 13) != 0 ||
                           gw_item(doc, "integrations", "integrationId", target + 13) == NULL)) {
        aws_send_error_message(
            req, ERR_GW_BAD_REQUEST,
            "Invalid target %.128s: it must be integrations/{integrationId} of an "
            "existing integration",
            target);
        return false;
    }
    return true;
}

/* ---- authorizers ---- */

static const struct member authorizer_members[] = {
    {"authorizerCredentialsArn", M_STR, 2048},
    {"authorizerPayloadFormatVersion", M_STR, 8},
    {"authorizerResultTtlInSeconds", M_INT, 0},
    {"authorizerType", M_STR, 0},
    {"authorizerUri", M_STR, 2048},
    {"enableSimpleResponses", M_BOOL, 0},
    {"identitySource", M_STRARR, 0},
    {"identityValidationExpression", M_STR, 1024},
    {"jwtConfiguration", M_OBJ, 0},
    {"name", M_STR, GW_NAME_MAX},
};

static bool valid_identity_source(const char *s)
{
    static const char *const pre[] = {"$request.header.", "$request.querystring.", "$context.",
                                      "$stageVariables."};
    for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
        if (strncmp(s, pre[i], strlen(pre[i])) == 0 && s[strlen(pre[i])] != '\0')
            return true;
    return false;
}

/* A JWT authorizer: jwtConfiguration {issuer (an http(s) URL), audience (a
 * non-empty list)} and one identity source, a header ($request.header.X,
 * by default Authorization). */
static bool check_jwt_authorizer(h2o_req_t *req, cJSON *a)
{
    const cJSON *jc = cJSON_GetObjectItemCaseSensitive(a, "jwtConfiguration");
    const char *issuer = gw_str_of(jc, "issuer");
    const cJSON *aud = cJSON_GetObjectItemCaseSensitive(jc, "audience");
    cJSON *src = cJSON_GetObjectItemCaseSensitive(a, "identitySource");
    if (cJSON_GetArraySize(src) == 0) {
        cJSON_DeleteItemFromObjectCaseSensitive(a, "identitySource");
        cJSON *one = cJSON_AddArrayToObject(a, "identitySource");
        cJSON_AddItemToArray(one, cJSON_CreateString("$request.header.Authorization"));
        src = one;
    }
    const char *first = cJSON_GetStringValue(cJSON_GetArrayItem(src, 0));
    if (!cJSON_IsObject(jc) || issuer == NULL ||
        (strncmp(issuer, "https://", 8) != 0 && strncmp(issuer, "http://", 7) != 0))
        aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                               "JwtConfiguration.Issuer must be an https:// URL for a JWT "
                               "authorizer");
    else if (!cJSON_IsArray(aud) || cJSON_GetArraySize(aud) == 0 || !gw_all_strings(aud))
        aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                               "JwtConfiguration.Audience must list at least one audience");
    else if (cJSON_GetArraySize(src) != 1 || first == NULL ||
             strncmp(first, "$request.header.", 16) != 0 || first[16] == '\0')
        aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                               "A JWT authorizer takes one identity source, a header: "
                               "$request.header.Authorization");
    else
        return true;
    return false;
}

static bool check_authorizer(h2o_req_t *req, cJSON *a)
{
    const char *type = gw_str_of(a, "authorizerType"), *name = gw_str_of(a, "name");
    const char *uri = gw_str_of(a, "authorizerUri");
    const char *pfv = gw_str_of(a, "authorizerPayloadFormatVersion");
    gw_set_default(a, "authorizerResultTtlInSeconds", cJSON_CreateNumber(0));
    gw_set_default(a, "identitySource", cJSON_CreateArray());
    gw_set_default(a, "enableSimpleResponses", cJSON_CreateFalse());
    const cJSON *ttl = cJSON_GetObjectItemCaseSensitive(a, "authorizerResultTtlInSeconds"), *src;
    struct fn_ref ref;
    if (name == NULL || name[0] == '\0')
        aws_send_error_message(req, ERR_GW_BAD_REQUEST, "Name is required");
    else if (type == NULL || (strcmp(type, "REQUEST") != 0 && strcmp(type, "JWT") != 0))
        aws_send_error_message(req, ERR_GW_BAD_REQUEST, "AuthorizerType must be REQUEST or JWT");
    else if (strcmp(type, "JWT") == 0)
        return check_jwt_authorizer(req, a);
    else if (uri == NULL || gw_lambda_uri(uri, &ref) != 0)
        aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                               "Invalid authorizer URI %.256s: it must be "
                               "arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/"
                               "{functionArn}/invocations",
                               uri != NULL ? uri : "");
    else if (!gw_one_of(pfv, (const char *const[]){"1.0", "2.0", NULL}))
        aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                               "AuthorizerPayloadFormatVersion must be 1.0 or 2.0 for REQUEST "
                               "authorizers");
    else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "enableSimpleResponses")) &&
             strcmp(pfv, "2.0") != 0)
        aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                               "Simple responses are only available with payload format 2.0");
    else if (ttl->valuedouble < 0 || ttl->valuedouble > 3600)
        aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                               "AuthorizerResultTtlInSeconds must be between 0 and 3600");
    else {
        cJSON_ArrayForEach(src, cJSON_GetObjectItemCaseSensitive(a, "identitySource"))
        {
            if (!valid_identity_source(src->valuestring)) {
                aws_send_error_message(req, ERR_GW_BAD_REQUEST, "Invalid identity source %.128s",
                                       src->valuestring);
                return false;
            }
        }
        return true;
    }
    return false;
}

/* ---- stages ---- */

static const struct member stage_members[] = {
    {"accessLogSettings", M_OBJ, 0},    {"autoDeploy", M_BOOL, 0},
    {"clientCertificateId", M_STR, 64}, {"defaultRouteSettings", M_OBJ, 0},
    {"deploymentId", M_STR, 64},        {"description", M_STR, GW_DESCRIPTION_MAX},
    {"routeSettings", M_OBJ, 0},
};

/* Merges the map body[member] into obj[member]: a key set to "" is removed,
 * as AWS's Update* do for stageVariables and requestParameters. */
static bool merge_map(h2o_req_t *req, const cJSON *body, cJSON *obj, const char *member)
{
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(body, member);
    if (in == NULL || cJSON_IsNull(in))
        return true;
    if (!cJSON_IsObject(in) || !gw_all_strings(in)) {
        aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                               "Invalid input for %s: must be a map of strings", member);
        return false;
    }
    cJSON *map = cJSON_GetObjectItemCaseSensitive(obj, member);
    if (map == NULL)
        map = cJSON_AddObjectToObject(obj, member);
    const cJSON *v;
    cJSON_ArrayForEach(v, in)
    {
        cJSON_DeleteItemFromObjectCaseSensitive(map, v->string);
        if (v->valuestring[0] != '\0')
            cJSON_AddStringToObject(map, v->string, v->valuestring);
    }
    return true;
}

static bool valid_stage_name(const char *s)
{
    size_t n = strlen(s);
    if (strcmp(s, "$default") == 0)
        return true;
    if (n == 0 || n > GW_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
            return false;
    return true;
}

static bool valid_var(const char *name, const char *value)
{
    size_t n = strlen(name), v = strlen(value);
    if (n == 0 || n > 64 || v > GW_STAGE_VAR_VALUE_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
              (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
            return false;
    for (size_t i = 0; i < v; i++)
        if (!((value[i] >= 'a' && value[i] <= 'z') || (value[i] >= 'A' && value[i] <= 'Z') ||
              (value[i] >= '0' && value[i] <= '9') || strchr("-._~:/?#&=, ", value[i]) != NULL))
            return false;
    return true;
}

static const struct member route_settings_members[] = {
    {"dataTraceEnabled", M_BOOL, 0},   {"detailedMetricsEnabled", M_BOOL, 0},
    {"loggingLevel", M_STR, 0},        {"throttlingBurstLimit", M_INT, 0},
    {"throttlingRateLimit", M_NUM, 0},
};

/* Checks one RouteSettings object (types and non-negative limits). */
static bool check_route_settings(h2o_req_t *req, const cJSON *rs)
{
    cJSON *scratch = cJSON_CreateObject();
    bool ok = APPLY(req, rs, scratch, route_settings_members);
    cJSON_Delete(scratch);
    if (!ok)
        return false;
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(rs, "throttlingBurstLimit");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(rs, "throttlingRateLimit");
    if ((cJSON_IsNumber(b) && b->valuedouble < 0) || (cJSON_IsNumber(r) && r->valuedouble < 0)) {
        aws_send_error_message(req, ERR_GW_BAD_REQUEST, "Throttling limits must not be negative");
        return false;
    }
    return true;
}

static bool check_stage(h2o_req_t *req, const cJSON *doc, cJSON *stage)
{
    gw_set_default(stage, "autoDeploy", cJSON_CreateFalse());
    gw_set_default(stage, "defaultRouteSettings", cJSON_CreateObject());
    gw_set_default(stage, "routeSettings", cJSON_CreateObject());
    gw_set_default(stage, "stageVariables", cJSON_CreateObject());
    gw_set_default(stage, "tags", cJSON_CreateObject());
    const char *dep = gw_str_of(stage, "deploymentId");
    if (dep != NULL && gw_item(doc, "deployments", "deploymentId", dep) == NULL) {
        aws_send_error_message(req, ERR_GW_NOT_FOUND,
                               "Invalid deployment identifier specified %.64s", dep);
        return false;
    }
    if (!check_route_settings(req, cJSON_GetObjectItemCaseSensitive(stage, "defaultRouteSettings")))
        return false;
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(stage, "routeSettings"))
    {
        if (!cJSON_IsObject(v) || !check_route_settings(req, v)) {
            if (!cJSON_IsObject(v))
                aws_send_error_message(req, ERR_GW_BAD_REQUEST, "Invalid input for routeSettings");
            return false;
        }
        if (gw_item(doc, "routes", "routeKey", v->string) == NULL) {
            aws_send_error_message(req, ERR_GW_NOT_FOUND,
                                   "Unable to find Route by key %.256s within the provided "
                                   "RouteSettings",
                                   v->string);
            return false;
        }
    }
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(stage, "stageVariables"))
    {
        if (!valid_var(v->string, v->valuestring)) {
            aws_send_error_message(
                req, ERR_GW_BAD_REQUEST,
                "Invalid stage variable %.64s: names are [A-Za-z0-9_]{1,64}, values "
                "are up to %d characters of [A-Za-z0-9-._~:/?#&=,]",
                v->string, GW_STAGE_VAR_VALUE_MAX);
            return false;
        }
    }
    return true;
}

/* ---- quick create ---- */

/* Adds the integration, route and auto-deploying $default stage of a quick
 * create to doc. */
static bool quick_create(h2o_req_t *req, cJSON *doc, const cJSON *body)
{
    const char *target = gw_str_of(body, "target"), *rk = gw_str_of(body, "routeKey");
    bool lambda = strncmp(target, "http://", 7) != 0 && strncmp(target, "https://", 8) != 0;
    cJSON *in = cJSON_CreateObject();
    char iid[8], rid[8];
    gw_new_id(iid, 7);
    gw_new_id(rid, 7);
    cJSON_AddBoolToObject(in, "apiGatewayManaged", true);
    cJSON_AddStringToObject(in, "integrationId", iid);
    cJSON_AddStringToObject(in, "integrationType", lambda ? "AWS_PROXY" : "HTTP_PROXY");
    cJSON_AddStringToObject(in, "integrationUri", target);
    cJSON_AddStringToObject(in, "integrationMethod", lambda ? "POST" : "ANY");
    cJSON_AddStringToObject(in, "payloadFormatVersion", lambda ? "2.0" : "1.0");
    const char *creds = gw_str_of(body, "credentialsArn");
    if (creds != NULL)
        cJSON_AddStringToObject(in, "credentialsArn", creds);
    if (!check_integration(req, in)) {
        cJSON_Delete(in);
        return false;
    }
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(doc, "integrations"), in);
    cJSON *route = cJSON_CreateObject();
    char tgt[32];
    snprintf(tgt, sizeof(tgt), "integrations/%s", iid);
    cJSON_AddBoolToObject(route, "apiGatewayManaged", true);
    cJSON_AddStringToObject(route, "routeId", rid);
    cJSON_AddStringToObject(route, "routeKey", rk != NULL ? rk : "$default");
    cJSON_AddStringToObject(route, "target", tgt);
    if (!check_route(req, doc, route)) {
        cJSON_Delete(route);
        return false;
    }
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(doc, "routes"), route);
    cJSON *stage = cJSON_CreateObject();
    char date[32];
    gw_now_iso(date);
    cJSON_AddBoolToObject(stage, "apiGatewayManaged", true);
    cJSON_AddBoolToObject(stage, "autoDeploy", true);
    cJSON_AddStringToObject(stage, "createdDate", date);
    cJSON_AddStringToObject(stage, "lastUpdatedDate", date);
    cJSON_AddStringToObject(stage, "stageName", "$default");
    check_stage(req, doc, stage);
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(doc, "stages"), stage);
    auto_deploy(doc);
    return true;
}

/* ---- APIs ---- */

static const struct member api_members[] = {
    {"apiKeySelectionExpression", M_STR, 0},
    {"description", M_STR, GW_DESCRIPTION_MAX},
    {"disableExecuteApiEndpoint", M_BOOL, 0},
    {"disableSchemaValidation", M_BOOL, 0},
    {"name", M_STR, GW_NAME_MAX},
    {"routeSelectionExpression", M_STR, 0},
    {"version", M_STR, 64},
};

static bool check_api(h2o_req_t *req, cJSON *a, const cJSON *body)
{
    bool ok;
    cJSON *cors = parse_cors(req, body, &ok);
    if (!ok)
        return false;
    if (cors != NULL) {
        cJSON_DeleteItemFromObjectCaseSensitive(a, "corsConfiguration");
        cJSON_AddItemToObject(a, "corsConfiguration", cors);
    }
    const char *name = gw_str_of(a, "name");
    const char *rse = gw_str_of(a, "routeSelectionExpression");
    const char *ake = gw_str_of(a, "apiKeySelectionExpression");
    if (name == NULL || name[0] == '\0')
        aws_send_error_message(req, ERR_GW_BAD_REQUEST, "Name is required");
    else if (rse != NULL && strcmp(rse, "$request.method $request.path") != 0)
        aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                               "Invalid route selection expression %.128s: HTTP APIs use "
                               "${request.method} ${request.path}",
                               rse);
    else if (ake != NULL && strcmp(ake, "$request.header.x-api-key") != 0 &&
             strcmp(ake, "$context.authorizer.usageIdentifierKey") != 0)
        aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                               "Invalid API key selection expression %.128s", ake);
    else
        return true;
    return false;
}

static void dispatch_again(struct gateway *gw, h2o_req_t *req);

static void create_api(struct gateway *gw, h2o_req_t *req)
{
    cJSON *body = gw_parse_body(req);
    if (body == NULL)
        return;
    const char *proto = gw_str_of(body, "protocolType");
    cJSON *doc = cJSON_CreateObject(), *a = cJSON_AddObjectToObject(doc, "api");
    cJSON_AddArrayToObject(doc, "routes");
    cJSON_AddArrayToObject(doc, "integrations");
    cJSON_AddArrayToObject(doc, "stages");
    cJSON_AddArrayToObject(doc, "deployments");
    cJSON_AddArrayToObject(doc, "authorizers");
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(body, "tags");
    bool ok = false;
    if (gw->napis >= GW_APIS_MAX)
        aws_send_error_message(req, ERR_GW_TOO_MANY, "You have reached the maximum of %d APIs",
                               GW_APIS_MAX);
    else if (proto == NULL || (strcmp(proto, "HTTP") != 0 && strcmp(proto, "WEBSOCKET") != 0))
        aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                               "Invalid protocol type %.32s: HTTP or WEBSOCKET",
                               proto != NULL ? proto : "");
    else if (strcmp(proto, "WEBSOCKET") == 0)
        aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                               "lambdad does not support WebSocket APIs yet");
    else if (tags != NULL && !gw_type_ok(tags, &(struct member){"tags", M_STRMAP, 0}))
        aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                               "Invalid input for tags: must be a map of strings");
    else if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(body, "routeKey")) &&
             !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(body, "target")))
        aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                               "RouteKey can only be specified with a target");
    else if (APPLY(req, body, a, api_members) && check_api(req, a, body))
        ok = !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(body, "target")) ||
             quick_create(req, doc, body);
    if (!ok) {
        cJSON_Delete(doc);
        cJSON_Delete(body);
        return;
    }
    struct gw_api *api = gw_add(gw);
    char date[32];
    gw_now_iso(date);
    cJSON_AddStringToObject(a, "apiId", api->id);
    gw_set_default(a, "apiKeySelectionExpression", cJSON_CreateString("$request.header.x-api-key"));
    cJSON_AddStringToObject(a, "createdDate", date);
    gw_set_default(a, "disableExecuteApiEndpoint", cJSON_CreateFalse());
    cJSON_AddStringToObject(a, "protocolType", "HTTP");
    gw_set_default(a, "routeSelectionExpression",
                   cJSON_CreateString("$request.method $request.path"));
    cJSON_AddItemToObject(a, "tags",
                          tags != NULL ? cJSON_Duplicate(tags, true) : cJSON_CreateObject());
    cJSON_Delete(body);
    gw_commit(gw, api, req, doc, 201, api_json(gw, doc), dispatch_again);
}

static void update_api(struct gateway *gw, h2o_req_t *req, struct gw_api *api)
{
    cJSON *body = gw_parse_body(req);
    if (body == NULL)
        return;
    cJSON *doc = cJSON_Duplicate(api->doc, true);
    cJSON *a = cJSON_GetObjectItemCaseSensitive(doc, "api");
    bool ok = false;
    if (cJSON_HasObjectItem(body, "target") || cJSON_HasObjectItem(body, "routeKey"))
        aws_send_error_message(
            req, ERR_GW_BAD_REQUEST,
            "lambdad does not support changing the target or routeKey of an API; "
            "update its integration or route instead");
    else
        ok = APPLY(req, body, a, api_members) && check_api(req, a, body);
    cJSON_Delete(body);
    if (!ok) {
        cJSON_Delete(doc);
        return;
    }
    gw_commit(gw, api, req, doc, 200, api_json(gw, doc), dispatch_again);
}

static void get_apis(struct gateway *gw, h2o_req_t *req)
{
    cJSON *items = cJSON_CreateArray();
    for (size_t i = 0; i < gw->napis; i++)
        if (gw->apis[i]->doc != NULL && !gw_is_rest(gw->apis[i]))
            cJSON_AddItemToArray(items, api_json(gw, gw->apis[i]->doc));
    gw_send_page(req, items, &gw_page_v2);
}

/* ---- sub-resources ---- */

enum kind { K_ROUTE, K_INTEGRATION, K_STAGE, K_DEPLOYMENT, K_AUTHORIZER };

struct kind_info {
    const char *list;  /* member of the document */
    const char *id;    /* the id member */
    const char *label; /* in NotFoundException texts */
};

static const struct kind_info kinds[] = {
    [K_ROUTE] = {"routes", "routeId", "Route"},
    [K_INTEGRATION] = {"integrations", "integrationId", "Integration"},
    [K_STAGE] = {"stages", "stageName", "Stage"},
    [K_DEPLOYMENT] = {"deployments", "deploymentId", "Deployment"},
    [K_AUTHORIZER] = {"authorizers", "authorizerId", "Authorizer"},
};

static cJSON *item_json(enum kind k, const cJSON *it)
{
    return k == K_DEPLOYMENT ? deployment_json(it) : cJSON_Duplicate(it, true);
}

static void not_found(h2o_req_t *req, enum kind k, const char *id)
{
    aws_send_error_message(req, ERR_GW_NOT_FOUND, "Invalid %s identifier specified %.128s",
                           kinds[k].label, id);
}

/* Creates (id == NULL) or updates item id of kind k from the request body. */
static void put_item(struct gateway *gw, h2o_req_t *req, struct gw_api *api, enum kind k,
                     const char *id)
{
    cJSON *body = gw_parse_body(req);
    if (body == NULL)
        return;
    cJSON *doc = cJSON_Duplicate(api->doc, true);
    cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, kinds[k].list);
    cJSON *it = id != NULL ? gw_item(doc, kinds[k].list, kinds[k].id, id) : cJSON_CreateObject();
    bool created = id == NULL, ok = false, redeploy = k != K_STAGE;
    char date[32], nid[8];
    gw_now_iso(date);
    if (created && k != K_STAGE && k != K_DEPLOYMENT) {
        gw_new_id(nid, 7);
        cJSON_AddStringToObject(it, kinds[k].id, nid);
    }
    if (list == NULL) /* APIs made before authorizers existed */
        list = cJSON_AddArrayToObject(doc, kinds[k].list);
    switch (k) {
    case K_AUTHORIZER:
        redeploy = false; /* authorizers apply live (docs/decisions.md) */
        ok = (!created || cJSON_GetArraySize(list) < GW_AUTHORIZERS_MAX ||
              (aws_send_error_message(req, ERR_GW_TOO_MANY, "Too many authorizers"), false)) &&
             APPLY(req, body, it, authorizer_members) && check_authorizer(req, it);
        break;
    case K_ROUTE:
        ok = (!created || cJSON_GetArraySize(list) < GW_ROUTES_MAX ||
              (aws_send_error_message(req, ERR_GW_TOO_MANY, "Too many routes"), false)) &&
             APPLY(req, body, it, route_members) && check_route(req, doc, it);
        break;
    case K_INTEGRATION:
        ok = (!created || cJSON_GetArraySize(list) < GW_INTEGRATIONS_MAX ||
              (aws_send_error_message(req, ERR_GW_TOO_MANY, "Too many integrations"), false)) &&
             APPLY(req, body, it, integration_members) &&
             merge_map(req, body, it, "requestParameters") && check_integration(req, it);
        break;
    case K_STAGE: {
        const char *name = gw_str_of(body, "stageName");
        bool was_auto = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "autoDeploy"));
        if (created && (name == NULL || !valid_stage_name(name)))
            aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                                   "Stage name must be $default or 1 to %d characters of "
                                   "[A-Za-z0-9_-]",
                                   GW_NAME_MAX);
        else if (created && gw_stage(doc, name) != NULL)
            aws_send_error_message(req, ERR_GW_CONFLICT, "Stage %s already exists", name);
        else if (created && cJSON_GetArraySize(list) >= GW_STAGES_MAX)
            aws_send_error_message(req, ERR_GW_TOO_MANY, "Too many stages");
        else if (APPLY(req, body, it, stage_members) &&
                 merge_map(req, body, it, "stageVariables") && check_stage(req, doc, it))
            ok = true;
        if (ok && created) {
            const cJSON *tags = cJSON_GetObjectItemCaseSensitive(body, "tags");
            cJSON_AddStringToObject(it, "stageName", name);
            cJSON_AddStringToObject(it, "createdDate", date);
            if (cJSON_IsObject(tags) && gw_all_strings(tags)) {
                cJSON_DeleteItemFromObjectCaseSensitive(it, "tags");
                cJSON_AddItemToObject(it, "tags", cJSON_Duplicate(tags, true));
            }
        }
        if (ok) {
            gw_set_str(it, "lastUpdatedDate", date);
            redeploy =
                cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "autoDeploy")) && !was_auto;
        }
        break;
    }
    case K_DEPLOYMENT: {
        const char *desc = gw_str_of(body, "description"), *stage = gw_str_of(body, "stageName");
        cJSON *st = stage != NULL ? gw_stage(doc, stage) : NULL;
        redeploy = false;
        if (!created) {
            ok = APPLY(req, body, cJSON_GetObjectItemCaseSensitive(it, "deployment"),
                       deployment_members);
        } else if (stage != NULL && st == NULL) {
            aws_send_error_message(req, ERR_GW_NOT_FOUND,
                                   "Invalid stage identifier specified %.128s", stage);
        } else if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "routes")) == 0) {
            aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                                   "Unable to deploy API because no routes exist in this API");
        } else if (desc != NULL && strlen(desc) > GW_DESCRIPTION_MAX) {
            aws_send_error_message(req, ERR_GW_BAD_REQUEST, "Description is too long");
        } else {
            const char *dep = deploy(doc, desc, false);
            if (st != NULL)
                point_stage(st, dep, NULL);
            cJSON_Delete(it);
            it = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "deployments"),
                                    cJSON_GetArraySize(list) - 1);
            created = false; /* deploy() added it */
            prune_deployments(doc);
            ok = true;
        }
        break;
    }
    }
    cJSON_Delete(body);
    if (!ok) {
        if (created)
            cJSON_Delete(it);
        cJSON_Delete(doc);
        return;
    }
    if (created)
        cJSON_AddItemToArray(list, it);
    if (redeploy)
        auto_deploy(doc);
    cJSON *resp = item_json(k, it);
    gw_commit(gw, api, req, doc, id == NULL ? 201 : 200, resp, dispatch_again);
}

static bool route_uses(const cJSON *doc, const char *integration_id)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(doc, "routes"))
    {
        const char *t = gw_str_of(r, "target");
        if (t != NULL && strncmp(t, "integrations/", 13) == 0 &&
            strcmp(t + 13, integration_id) == 0)
            return true;
    }
    return false;
}

static bool authorizer_used(const cJSON *doc, const char *id)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(doc, "routes"))
    {
        const char *a = gw_str_of(r, "authorizerId");
        if (a != NULL && strcmp(a, id) == 0)
            return true;
    }
    return false;
}

static void delete_item(struct gateway *gw, h2o_req_t *req, struct gw_api *api, enum kind k,
                        const char *id)
{
    if (k == K_INTEGRATION && route_uses(api->doc, id)) {
        aws_send_error_message(req, ERR_GW_CONFLICT,
                               "Cannot delete integration %s: it is the target of a route", id);
        return;
    }
    if (k == K_AUTHORIZER && authorizer_used(api->doc, id)) {
        aws_send_error_message(req, ERR_GW_CONFLICT, "Cannot delete authorizer %s: a route uses it",
                               id);
        return;
    }
    if (k == K_DEPLOYMENT && stage_uses(api->doc, id)) {
        aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                               "Cannot delete deployment %s: it is deployed to a stage", id);
        return;
    }
    cJSON *doc = cJSON_Duplicate(api->doc, true);
    cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, kinds[k].list);
    cJSON_Delete(cJSON_DetachItemViaPointer(list, gw_item(doc, kinds[k].list, kinds[k].id, id)));
    if (k == K_ROUTE || k == K_INTEGRATION)
        auto_deploy(doc);
    gw_commit(gw, api, req, doc, 204, NULL, dispatch_again);
}

static void item_op(struct gateway *gw, h2o_req_t *req, struct gw_api *api, enum kind k,
                    const char *id)
{
    bool get = http_method_is(req, "GET");
    if (id == NULL) {
        if (get) {
            cJSON *items = cJSON_CreateArray();
            const cJSON *it;
            cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(api->doc, kinds[k].list))
            {
                cJSON_AddItemToArray(items, item_json(k, it));
            }
            gw_send_page(req, items, &gw_page_v2);
        } else if (!gw_busy(api, req)) {
            put_item(gw, req, api, k, NULL);
        }
        return;
    }
    const cJSON *it = gw_item(api->doc, kinds[k].list, kinds[k].id, id);
    if (it == NULL) {
        not_found(req, k, id);
        return;
    }
    if (get)
        aws_send_json_take(req, 200, item_json(k, it));
    else if (gw_busy(api, req))
        return;
    else if (http_method_is(req, "DELETE"))
        delete_item(gw, req, api, k, id);
    else
        put_item(gw, req, api, k, id);
}

/* ---- tags ---- */

/* Finds the tags object of a resource ARN (an API or a stage) in api. */
static struct gw_api *tag_target(struct gateway *gw, const char *arn, const char **stage)
{
    char pre[128];
    snprintf(pre, sizeof(pre), "arn:aws:apigateway:%s::/apis/", gw->region);
    size_t n = strlen(pre);
    if (strncmp(arn, pre, n) != 0)
        return NULL;
    char id[16];
    const char *p = arn + n, *slash = strchr(p, '/');
    size_t idlen = slash != NULL ? (size_t)(slash - p) : strlen(p);
    if (idlen == 0 || idlen >= sizeof(id))
        return NULL;
    memcpy(id, p, idlen);
    id[idlen] = '\0';
    *stage = NULL;
    if (slash != NULL) {
        if (strncmp(slash, "/stages/", 8) != 0 || slash[8] == '\0')
            return NULL;
        *stage = slash + 8;
    }
    struct gw_api *api = gw_find(gw, id);
    return api != NULL && !gw_is_rest(api) && (*stage == NULL || gw_stage(api->doc, *stage) != NULL)
               ? api
               : NULL;
}

static cJSON *tags_of(cJSON *doc, const char *stage)
{
    cJSON *owner =
        stage != NULL ? gw_stage(doc, stage) : cJSON_GetObjectItemCaseSensitive(doc, "api");
    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(owner, "tags")))
        cJSON_AddObjectToObject(owner, "tags");
    return cJSON_GetObjectItemCaseSensitive(owner, "tags");
}

static void tags_op(struct gateway *gw, h2o_req_t *req, const char *arn)
{
    const char *stage;
    struct gw_api *api = tag_target(gw, arn, &stage);
    if (api == NULL) {
        aws_send_error_message(req, ERR_GW_NOT_FOUND,
                               "Invalid resource identifier specified %.256s", arn);
        return;
    }
    if (http_method_is(req, "GET")) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddItemToObject(out, "tags", cJSON_Duplicate(tags_of(api->doc, stage), true));
        aws_send_json_take(req, 200, out);
        return;
    }
    if (gw_busy(api, req))
        return;
    cJSON *doc = cJSON_Duplicate(api->doc, true);
    cJSON *tags = tags_of(doc, stage);
    if (http_method_is(req, "POST")) {
        cJSON *body = gw_parse_body(req);
        const cJSON *add = body != NULL ? cJSON_GetObjectItemCaseSensitive(body, "tags") : NULL;
        if (body != NULL && (!cJSON_IsObject(add) || !gw_all_strings(add)))
            aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                                   "Invalid input for tags: must be a map of strings");
        const cJSON *t;
        cJSON_ArrayForEach(t, add)
        {
            cJSON_DeleteItemFromObjectCaseSensitive(tags, t->string);
            cJSON_AddStringToObject(tags, t->string, t->valuestring);
        }
        bool ok = cJSON_IsObject(add) && gw_all_strings(add);
        cJSON_Delete(body);
        if (!ok) {
            cJSON_Delete(doc);
            return;
        }
        gw_commit(gw, api, req, doc, 201, cJSON_CreateObject(), dispatch_again);
        return;
    }
    char key[256];
    for (int i = 0; http_query_nth(req, "tagKeys", i, key, sizeof(key)) >= 0; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(tags, key);
    gw_commit(gw, api, req, doc, 204, NULL, dispatch_again);
}

/* ---- routing ---- */

bool gw_control_handle(struct gateway *gw, h2o_req_t *req)
{
    struct http_path p;
    if (http_split_path(req, &p) != 0 || p.n < 2 || strcmp(p.seg[0], "v2") != 0)
        return false;
    bool get = http_method_is(req, "GET"), post = http_method_is(req, "POST"),
         patch = http_method_is(req, "PATCH"), del = http_method_is(req, "DELETE");
    if (strcmp(p.seg[1], "tags") == 0) {
        if (p.n != 3 || !(get || post || del))
            return false;
        tags_op(gw, req, p.seg[2]);
        return true;
    }
    if (strcmp(p.seg[1], "apis") != 0)
        return false;
    if (p.n == 2) {
        if (get)
            get_apis(gw, req);
        else if (post)
            create_api(gw, req);
        else
            return false;
        return true;
    }
    static const char *const subs[] = {"routes", "integrations", "stages", "deployments",
                                       "authorizers"};
    enum kind k = K_ROUTE;
    bool known = false;
    if (p.n >= 4)
        for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]) && !known; i++)
            if (strcmp(p.seg[3], subs[i]) == 0) {
                k = (enum kind)i;
                known = true;
            }
    bool cors = p.n == 4 && strcmp(p.seg[3], "cors") == 0 && del;
    if (!(p.n == 3 && (get || patch || del)) && !cors &&
        !(known && ((p.n == 4 && (get || post)) || (p.n == 5 && (get || patch || del)))))
        return false;
    struct gw_api *api = gw_find(gw, p.seg[2]);
    if (api == NULL || gw_is_rest(api)) {
        aws_send_error_message(req, ERR_GW_NOT_FOUND, "Invalid API identifier specified %s:%.64s",
                               gw->account, p.seg[2]);
        return true;
    }
    if (known) {
        item_op(gw, req, api, k, p.n == 5 ? p.seg[4] : NULL);
    } else if (get) {
        aws_send_json_take(req, 200, api_json(gw, api->doc));
    } else if (!gw_busy(api, req)) {
        if (patch) {
            update_api(gw, req, api);
        } else if (cors) {
            cJSON *doc = cJSON_Duplicate(api->doc, true);
            cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "api"),
                                                    "corsConfiguration");
            gw_commit(gw, api, req, doc, 204, NULL, dispatch_again);
        } else {
            gw_commit(gw, api, req, NULL, 204, NULL, dispatch_again);
        }
    }
    return true;
}

static void dispatch_again(struct gateway *gw, h2o_req_t *req)
{
    if (!gw_control_handle(gw, req))
        aws_send_error_message(req, ERR_GW_NOT_FOUND, "Not Found");
}

static bool on_user_request(void *arg, h2o_req_t *req)
{
    return gw_proxy_handle(arg, req);
}

static bool on_control(void *arg, h2o_req_t *req)
{
    return gw_control_handle(arg, req);
}

static bool on_rest(void *arg, h2o_req_t *req)
{
    return gw_rest_handle(arg, req);
}

static bool on_keys(void *arg, h2o_req_t *req)
{
    return gw_keys_handle(arg, req);
}

int gw_routes(struct gateway *gw, struct router *r)
{
    int rc;
    if ((rc = router_add(r, ROUTER_HOST, "execute-api", ROUTER_ALWAYS, on_user_request, gw)) ||
        (rc = router_add(r, ROUTER_HOST, "lambda-url", ROUTER_ALWAYS, on_user_request, gw)) ||
        /* /restapis/{id}/{stage}/_user_request_/...: the user API, else the control plane */
        (rc = router_add(r, ROUTER_PATH, "/restapis/", ROUTER_ALWAYS, on_user_request, gw)) ||
        (rc = router_add(r, ROUTER_PATH, "/restapis/", 0, on_rest, gw)) ||
        (rc = router_add(r, ROUTER_PATH, "/restapis", 0, on_rest, gw)) ||
        (rc = router_add(r, ROUTER_PATH, "/v2/", 0, on_control, gw)) ||
        (rc = router_add(r, ROUTER_PATH, "/apikeys", 0, on_keys, gw)) ||
        (rc = router_add(r, ROUTER_PATH, "/apikeys/", 0, on_keys, gw)) ||
        (rc = router_add(r, ROUTER_PATH, "/usageplans", 0, on_keys, gw)) ||
        (rc = router_add(r, ROUTER_PATH, "/usageplans/", 0, on_keys, gw)))
        return rc;
    return 0;
}
