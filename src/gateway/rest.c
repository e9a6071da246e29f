/* SPDX-License-Identifier: MIT */
/*
 * REST APIs (apigateway v1). The document of a REST API is
 *   {"restapi": {...}, "resources": [...], "deployments": [...], "stages": [...]}
 * where each resource carries its methods (resourceMethods) and each method
 * its integration (methodIntegration), as GetResources returns them. A
 * deployment snapshots the resources; a stage names a deployment. Writes go
 * through gw_commit like the HTTP API control plane's.
 */
#include "rest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/awserr.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/util.h"
#include "gateway/members.h"
#include "gateway/model.h"

static const char *const http_methods[] = {"GET",  "POST",    "PUT", "DELETE", "PATCH",
                                           "HEAD", "OPTIONS", "ANY", NULL};

static double now_s(void)
{
    return (double)clock_ms() / 1000.0;
}

static void not_found(h2o_req_t *req, const char *what, const char *id)
{
    aws_send_error_message(req, ERR_GW_NOT_FOUND, "Invalid %s identifier specified %.128s", what,
                           id);
}

static void bad(h2o_req_t *req, const char *msg)
{
    aws_send_error_message(req, ERR_GW_BAD_REQUEST, "%s", msg);
}

static void dispatch_again(struct gateway *gw, h2o_req_t *req);

/* ---- REST APIs ---- */

static const struct member restapi_members[] = {
    {"apiKeySource", M_STR, 0},
    {"binaryMediaTypes", M_STRARR, 0},
    {"description", M_STR, GW_DESCRIPTION_MAX},
    {"disableExecuteApiEndpoint", M_BOOL, 0},
    {"endpointConfiguration", M_OBJ, 0},
    {"minimumCompressionSize", M_INT, 0},
    {"name", M_STR, GW_NAME_MAX},
    {"policy", M_STR, 0},
    {"tags", M_STRMAP, 0},
    {"version", M_STR, 64},
};

static cJSON *new_resource(const char *parent, const char *part, const char *path)
{
    cJSON *r = cJSON_CreateObject();
    char id[11];
    gw_new_id(id, 10);
    cJSON_AddStringToObject(r, "id", id);
    if (parent != NULL) {
        cJSON_AddStringToObject(r, "parentId", parent);
        cJSON_AddStringToObject(r, "pathPart", part);
    }
    cJSON_AddStringToObject(r, "path", path);
    return r;
}

static void create_rest_api(struct gateway *gw, h2o_req_t *req)
{
    cJSON *body = gw_parse_body(req);
    if (body == NULL)
        return;
    cJSON *doc = cJSON_CreateObject(), *a = cJSON_AddObjectToObject(doc, "restapi");
    bool ok = APPLY(req, body, a, restapi_members);
    cJSON_Delete(body);
    const char *name = gw_str_of(a, "name"), *src = gw_str_of(a, "apiKeySource");
    if (ok && (name == NULL || name[0] == '\0')) {
        bad(req, "Invalid REST API name specified");
        ok = false;
    } else if (ok && src != NULL &&
               !gw_one_of(src, (const char *const[]){"HEADER", "AUTHORIZER", NULL})) {
        bad(req, "Invalid apiKeySource specified: HEADER or AUTHORIZER");
        ok = false;
    } else if (ok && gw->napis >= GW_APIS_MAX) {
        aws_send_error_message(req, ERR_GW_TOO_MANY, "You have reached the maximum of %d APIs",
                               GW_APIS_MAX);
        ok = false;
    }
    if (!ok) {
        cJSON_Delete(doc);
        return;
    }
    struct gw_api *api = gw_add(gw);
    cJSON *root = new_resource(NULL, NULL, "/");
    cJSON_AddStringToObject(a, "id", api->id);
    cJSON_AddNumberToObject(a, "createdDate", now_s());
    gw_set_default(a, "apiKeySource", cJSON_CreateString("HEADER"));
    gw_set_default(a, "disableExecuteApiEndpoint", cJSON_CreateFalse());
    gw_set_default(a, "endpointConfiguration", cJSON_Parse("{\"types\":[\"EDGE\"]}"));
    gw_set_default(a, "tags", cJSON_CreateObject());
    cJSON_AddStringToObject(a, "rootResourceId", gw_str_of(root, "id"));
    cJSON_AddItemToArray(cJSON_AddArrayToObject(doc, "resources"), root);
    cJSON_AddArrayToObject(doc, "deployments");
    cJSON_AddArrayToObject(doc, "stages");
    cJSON_AddArrayToObject(doc, "authorizers");
    gw_commit(gw, api, req, doc, 201, cJSON_Duplicate(a, true), dispatch_again);
}

static void get_rest_apis(struct gateway *gw, h2o_req_t *req)
{
    cJSON *items = cJSON_CreateArray();
    for (size_t i = 0; i < gw->napis; i++)
        if (gw->apis[i]->doc != NULL && gw_is_rest(gw->apis[i]))
            cJSON_AddItemToArray(
                items, cJSON_Duplicate(
                           cJSON_GetObjectItemCaseSensitive(gw->apis[i]->doc, "restapi"), true));
    gw_send_page(req, items, &gw_page_v1);
}

/* ---- resources ---- */

static bool valid_path_part(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > 255)
        return false;
    if (p[0] == '{') {
        size_t end = n - (n > 2 && p[n - 2] == '+' ? 2 : 1);
        if (n < 3 || p[n - 1] != '}' || end <= 1)
            return false;
        for (size_t i = 1; i < end; i++)
            if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
                  (p[i] >= '0' && p[i] <= '9') || p[i] == '_' || p[i] == '-' || p[i] == '.'))
                return false;
        return true;
    }
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
              (p[i] >= '0' && p[i] <= '9') || strchr("-._~:@!$&'()*+,;=", p[i]) != NULL))
            return false;
    return true;
}

static void create_resource(struct gateway *gw, h2o_req_t *req, struct gw_api *api,
                            const cJSON *parent)
{
    cJSON *body = gw_parse_body(req);
    if (body == NULL)
        return;
    const char *part = gw_str_of(body, "pathPart"), *ppath = gw_str_of(parent, "path");
    const char *pid = gw_str_of(parent, "id"), *ppart = gw_str_of(parent, "pathPart");
    const cJSON *r;
    bool ok = part != NULL && valid_path_part(part);
    if (!ok)
        bad(req, "Resource's path part only allow a-zA-Z0-9._- and curly braces at the "
                 "beginning and the end and an optional plus sign before the closing brace.");
    else if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(api->doc, "resources")) >=
             GW_RESOURCES_MAX)
        ok = (aws_send_error_message(req, ERR_GW_TOO_MANY, "Too many resources"), false);
    else if (ppart != NULL && strstr(ppart, "+}") != NULL)
        ok = (bad(req, "Cannot create a child of a resource with a greedy path variable"), false);
    const cJSON *siblings = ok ? cJSON_GetObjectItemCaseSensitive(api->doc, "resources") : NULL;
    cJSON_ArrayForEach(r, siblings)
    {
        const char *rp = gw_str_of(r, "parentId"), *rpart = gw_str_of(r, "pathPart");
        if (rp == NULL || strcmp(rp, pid) != 0)
            continue;
        if (strcmp(rpart, part) == 0) {
            aws_send_error_message(req, ERR_GW_CONFLICT,
                                   "Another resource with the same parent already has this "
                                   "name: %s",
                                   part);
            ok = false;
            break;
        }
        if (rpart[0] == '{' && part[0] == '{') {
            aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                                   "A sibling (%s) of this resource already has a variable path "
                                   "part -- only one is allowed",
                                   rpart);
            ok = false;
            break;
        }
    }
    if (!ok) {
        cJSON_Delete(body);
        return;
    }
    char path[2048];
    snprintf(path, sizeof(path), "%s%s%s", strcmp(ppath, "/") == 0 ? "" : ppath, "/", part);
    cJSON *res = new_resource(pid, part, path);
    cJSON_Delete(body);
    cJSON *doc = cJSON_Duplicate(api->doc, true);
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(doc, "resources"), res);
    gw_commit(gw, api, req, doc, 201, cJSON_Duplicate(res, true), dispatch_again);
}

/* Deletes resource id and its descendants from doc. */
static void delete_tree(cJSON *doc, const char *id)
{
    cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "resources");
    char **stack = NULL;
    size_t n = 0;
    char *first = strdup(id);
    stack = malloc(sizeof(*stack));
    if (first == NULL || stack == NULL)
        abort();
    stack[n++] = first;
    while (n > 0) {
        char *cur = stack[--n];
        cJSON *r = list->child;
        while (r != NULL) {
            cJSON *next = r->next;
            const char *rid = gw_str_of(r, "id"), *pid = gw_str_of(r, "parentId");
            if (pid != NULL && strcmp(pid, cur) == 0) {
                stack = realloc(stack, (n + 1) * sizeof(*stack));
                if (stack == NULL || (stack[n] = strdup(rid)) == NULL)
                    abort();
                n++;
            }
            if (strcmp(rid, cur) == 0)
                cJSON_Delete(cJSON_DetachItemViaPointer(list, r));
            r = next;
        }
        free(cur);
    }
    free(stack);
}

/* ---- methods and integrations ---- */

static const struct member method_members[] = {
    {"apiKeyRequired", M_BOOL, 0},   {"authorizationScopes", M_STRARR, 0},
    {"authorizationType", M_STR, 0}, {"authorizerId", M_STR, 64},
    {"operationName", M_STR, 64},    {"requestModels", M_STRMAP, 0},
    {"requestParameters", M_OBJ, 0}, {"requestValidatorId", M_STR, 64},
};

static const struct member rest_integration_members[] = {
    {"cacheKeyParameters", M_STRARR, 0},
    {"cacheNamespace", M_STR, 64},
    {"connectionId", M_STR, 64},
    {"connectionType", M_STR, 0},
    {"contentHandling", M_STR, 0},
    {"credentials", M_STR, 2048},
    {"httpMethod", M_STR, 16},
    {"passthroughBehavior", M_STR, 0},
    {"requestParameters", M_STRMAP, 0},
    {"requestTemplates", M_STRMAP, 0},
    {"timeoutInMillis", M_INT, 0},
    {"tlsConfig", M_OBJ, 0},
    {"type", M_STR, 0},
    {"uri", M_STR, 2048},
};

static bool check_method(h2o_req_t *req, const cJSON *doc, cJSON *m)
{
    const char *auth = gw_str_of(m, "authorizationType");
    gw_set_default(m, "apiKeyRequired", cJSON_CreateFalse());
    if (auth == NULL) {
        bad(req, "Invalid authorization type specified. Valid options are NONE, AWS_IAM, "
                 "CUSTOM, COGNITO_USER_POOLS");
        return false;
    }
    if (strcmp(auth, "COGNITO_USER_POOLS") == 0) {
        bad(req, "lambdad does not support Cognito user pool authorizers yet");
        return false;
    }
    if (strcmp(auth, "CUSTOM") == 0) {
        const char *az = gw_str_of(m, "authorizerId");
        if (az == NULL || gw_item(doc, "authorizers", "id", az) == NULL) {
            bad(req, "Invalid authorizer ID specified. Setting the authorization type to CUSTOM "
                     "or COGNITO_USER_POOLS requires a valid authorizer.");
            return false;
        }
    } else {
        cJSON_DeleteItemFromObjectCaseSensitive(m, "authorizerId");
    }
    if (!gw_one_of(auth, (const char *const[]){"NONE", "AWS_IAM", "CUSTOM", NULL})) {
        bad(req, "Invalid authorization type specified. Valid options are NONE, AWS_IAM, "
                 "CUSTOM, COGNITO_USER_POOLS");
        return false;
    }
    return true;
}

static bool check_rest_integration(h2o_req_t *req, cJSON *in, const char *resource_id)
{
    const char *type = gw_str_of(in, "type"), *uri = gw_str_of(in, "uri");
    const char *m = gw_str_of(in, "httpMethod");
    struct fn_ref ref;
    gw_set_default(in, "connectionType", cJSON_CreateString("INTERNET"));
    gw_set_default(in, "passthroughBehavior", cJSON_CreateString("WHEN_NO_MATCH"));
    gw_set_default(in, "timeoutInMillis", cJSON_CreateNumber(GW_REST_TIMEOUT_MAX_MS));
    gw_set_default(in, "cacheNamespace", cJSON_CreateString(resource_id));
    gw_set_default(in, "cacheKeyParameters", cJSON_CreateArray());
    double t = cJSON_GetObjectItemCaseSensitive(in, "timeoutInMillis")->valuedouble;
    if (type != NULL && strcmp(type, "MOCK") == 0)
        return true; /* answered from its integration responses */
    if (type == NULL || !gw_one_of(type, (const char *const[]){"AWS_PROXY", "HTTP_PROXY", NULL}))
        bad(req, "lambdad supports the integration types AWS_PROXY, HTTP_PROXY and MOCK");
    else if (m == NULL || !gw_one_of(m, http_methods))
        bad(req, "Enumeration value for HttpMethod must be non-empty");
    else if (uri == NULL)
        bad(req, "Invalid URI specified");
    else if (strcmp(type, "AWS_PROXY") == 0 &&
             (strncmp(uri, "arn:aws:apigateway:", 19) != 0 || gw_lambda_uri(uri, &ref) != 0))
        bad(req, "Invalid ARN specified in the request");
    else if (strcmp(type, "HTTP_PROXY") == 0 && strncmp(uri, "http://", 7) != 0 &&
             strncmp(uri, "https://", 8) != 0)
        bad(req, "Invalid HTTP endpoint specified for URI");
    else if (t < GW_TIMEOUT_MIN_MS || t > GW_REST_TIMEOUT_MAX_MS)
        aws_send_error_message(req, ERR_GW_BAD_REQUEST, "Timeout should be between %d ms and %d ms",
                               GW_TIMEOUT_MIN_MS, GW_REST_TIMEOUT_MAX_MS);
    else
        return true;
    return false;
}

/* PUT, GET and DELETE of a method (integration: of its integration). */
static void method_op(struct gateway *gw, h2o_req_t *req, struct gw_api *api, const char *rid,
                      const char *verb, bool integration)
{
    cJSON *res = gw_item(api->doc, "resources", "id", rid);
    cJSON *methods = cJSON_GetObjectItemCaseSensitive(res, "resourceMethods");
    cJSON *m = cJSON_GetObjectItemCaseSensitive(methods, verb);
    cJSON *in = cJSON_GetObjectItemCaseSensitive(m, "methodIntegration");
    bool put = http_method_is(req, "PUT");
    if (res == NULL) {
        not_found(req, "Resource", rid);
        return;
    }
    if (!gw_one_of(verb, http_methods)) {
        bad(req, "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,"
                 "OPTIONS,HEAD,ANY");
        return;
    }
    if ((m == NULL && !(put && !integration)) || (integration && !put && in == NULL)) {
        not_found(req, integration && m != NULL ? "Integration" : "Method", verb);
        return;
    }
    if (http_method_is(req, "GET")) {
        aws_send_json_take(req, 200, cJSON_Duplicate(integration ? in : m, true));
        return;
    }
    if (gw_busy(api, req))
        return;
    cJSON *doc = cJSON_Duplicate(api->doc, true);
    cJSON *dres = gw_item(doc, "resources", "id", rid);
    cJSON *dmethods = cJSON_GetObjectItemCaseSensitive(dres, "resourceMethods");
    if (dmethods == NULL)
        dmethods = cJSON_AddObjectToObject(dres, "resourceMethods");
    if (!put) {
        cJSON_DeleteItemFromObjectCaseSensitive(
            integration ? cJSON_GetObjectItemCaseSensitive(dmethods, verb) : dmethods,
            integration ? "methodIntegration" : verb);
        gw_commit(gw, api, req, doc, 204, NULL, dispatch_again);
        return;
    }
    cJSON *body = gw_parse_body(req);
    cJSON *obj = cJSON_CreateObject();
    bool ok = body != NULL &&
              (integration ? APPLY(req, body, obj, rest_integration_members) &&
                                 check_rest_integration(req, obj, rid)
                           : APPLY(req, body, obj, method_members) && check_method(req, doc, obj));
    cJSON_Delete(body);
    if (!ok) {
        cJSON_Delete(obj);
        cJSON_Delete(doc);
        return;
    }
    if (integration) {
        cJSON *dm = cJSON_GetObjectItemCaseSensitive(dmethods, verb);
        cJSON_DeleteItemFromObjectCaseSensitive(dm, "methodIntegration");
        cJSON_AddItemToObject(dm, "methodIntegration", obj);
    } else {
        cJSON_AddStringToObject(obj, "httpMethod", verb);
        cJSON_DeleteItemFromObjectCaseSensitive(dmethods, verb);
        cJSON_AddItemToObject(dmethods, verb, obj);
    }
    gw_commit(gw, api, req, doc, 201, cJSON_Duplicate(obj, true), dispatch_again);
}

/* ---- authorizers ---- */

static const struct member rest_authorizer_members[] = {
    {"authType", M_STR, 64},
    {"authorizerCredentials", M_STR, 2048},
    {"authorizerResultTtlInSeconds", M_INT, 0},
    {"authorizerUri", M_STR, 2048},
    {"identitySource", M_STR, 1024},
    {"identityValidationExpression", M_STR, 1024},
    {"name", M_STR, GW_NAME_MAX},
    {"providerARNs", M_STRARR, 0},
    {"type", M_STR, 0},
};

static bool check_rest_authorizer(h2o_req_t *req, cJSON *a)
{
    const char *type = gw_str_of(a, "type"), *name = gw_str_of(a, "name");
    struct fn_ref ref;
    gw_set_default(a, "authorizerResultTtlInSeconds", cJSON_CreateNumber(300));
    if (type != NULL && strcmp(type, "TOKEN") == 0)
        gw_set_default(a, "identitySource",
                       cJSON_CreateString("method.request.header.Authorization"));
    const char *src = gw_str_of(a, "identitySource");
    double ttl = cJSON_GetObjectItemCaseSensitive(a, "authorizerResultTtlInSeconds")->valuedouble;
    if (name == NULL || name[0] == '\0')
        bad(req, "Invalid authorizer name specified");
    else if (type == NULL || !gw_one_of(type, (const char *const[]){"TOKEN", "REQUEST", NULL}))
        bad(req, type != NULL && strcmp(type, "COGNITO_USER_POOLS") == 0
                     ? "lambdad does not support Cognito user pool authorizers yet"
                     : "Invalid authorizer type specified. Valid options are TOKEN, REQUEST, "
                       "COGNITO_USER_POOLS");
    else if (gw_lambda_uri(gw_str_of(a, "authorizerUri") != NULL ? gw_str_of(a, "authorizerUri")
                                                                 : "",
                           &ref) != 0 ||
             strncmp(gw_str_of(a, "authorizerUri"), "arn:aws:apigateway:", 19) != 0)
        bad(req, "Invalid Authorizer URI specified");
    else if (ttl < 0 || ttl > 3600)
        bad(req, "Invalid authorizerResultTtlInSeconds: must be between 0 and 3600");
    else if (strcmp(type, "TOKEN") == 0 && strncmp(src, "method.request.header.", 22) != 0)
        bad(req, "Invalid identity source specified: a TOKEN authorizer takes "
                 "method.request.header.{name}");
    else if (strcmp(type, "REQUEST") == 0 && ttl > 0 && (src == NULL || src[0] == '\0'))
        bad(req, "Identity source is required when caching is enabled");
    else
        return true;
    return false;
}

static void create_authorizer(struct gateway *gw, h2o_req_t *req, struct gw_api *api)
{
    cJSON *body = gw_parse_body(req);
    if (body == NULL)
        return;
    cJSON *a = cJSON_CreateObject();
    char id[8];
    gw_new_id(id, 6);
    cJSON_AddStringToObject(a, "id", id);
    bool ok = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(api->doc, "authorizers")) <
                  GW_AUTHORIZERS_MAX ||
              (aws_send_error_message(req, ERR_GW_TOO_MANY, "Too many authorizers"), false);
    ok = ok && APPLY(req, body, a, rest_authorizer_members) && check_rest_authorizer(req, a);
    cJSON_Delete(body);
    if (!ok) {
        cJSON_Delete(a);
        return;
    }
    cJSON *doc = cJSON_Duplicate(api->doc, true);
    cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "authorizers");
    if (list == NULL)
        list = cJSON_AddArrayToObject(doc, "authorizers");
    cJSON_AddItemToArray(list, a);
    gw_commit(gw, api, req, doc, 201, cJSON_Duplicate(a, true), dispatch_again);
}

static bool authorizer_used(const cJSON *doc, const char *id)
{
    const cJSON *r, *m;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(doc, "resources"))
    {
        cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(r, "resourceMethods"))
        {
            const char *a = gw_str_of(m, "authorizerId");
            if (a != NULL && strcmp(a, id) == 0)
                return true;
        }
    }
    return false;
}

/* ---- method and integration responses ---- */

static const struct member method_response_members[] = {
    {"responseModels", M_STRMAP, 0},
    {"responseParameters", M_OBJ, 0},
};

static const struct member integration_response_members[] = {
    {"contentHandling", M_STR, 0},
    {"responseParameters", M_STRMAP, 0},
    {"responseTemplates", M_STRMAP, 0},
    {"selectionPattern", M_STR, 1024},
};

static bool valid_status(const char *s)
{
    return strlen(s) == 3 && s[0] >= '1' && s[0] <= '5' && s[1] >= '0' && s[1] <= '9' &&
           s[2] >= '0' && s[2] <= '9';
}

/* PUT, GET and DELETE of a method response (integration: of an integration
 * response) for status. */
static void response_op(struct gateway *gw, h2o_req_t *req, struct gw_api *api, const char *rid,
                        const char *verb, const char *status, bool integration)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(gw_item(api->doc, "resources", "id", rid),
                                         "resourceMethods"),
        verb);
    const cJSON *owner = integration ? cJSON_GetObjectItemCaseSensitive(m, "methodIntegration") : m;
    const char *list = integration ? "integrationResponses" : "methodResponses";
    const cJSON *cur =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(owner, list), status);
    bool put = http_method_is(req, "PUT");
    if (owner == NULL) {
        not_found(req, integration && m != NULL ? "Integration" : "Method", verb);
        return;
    }
    if (!valid_status(status)) {
        bad(req, "Invalid status code specified");
        return;
    }
    if (!put && cur == NULL) {
        not_found(req, "Response", status);
        return;
    }
    if (http_method_is(req, "GET")) {
        aws_send_json_take(req, 200, cJSON_Duplicate(cur, true));
        return;
    }
    if (gw_busy(api, req))
        return;
    cJSON *doc = cJSON_Duplicate(api->doc, true);
    cJSON *dm = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(gw_item(doc, "resources", "id", rid), "resourceMethods"),
        verb);
    cJSON *downer = integration ? cJSON_GetObjectItemCaseSensitive(dm, "methodIntegration") : dm;
    cJSON *dlist = cJSON_GetObjectItemCaseSensitive(downer, list);
    if (dlist == NULL)
        dlist = cJSON_AddObjectToObject(downer, list);
    cJSON_DeleteItemFromObjectCaseSensitive(dlist, status);
    if (!put) {
        gw_commit(gw, api, req, doc, 204, NULL, dispatch_again);
        return;
    }
    cJSON *body = gw_parse_body(req);
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddStringToObject(obj, "statusCode", status);
    bool ok = body != NULL && (integration ? APPLY(req, body, obj, integration_response_members)
                                           : APPLY(req, body, obj, method_response_members));
    cJSON_Delete(body);
    if (!ok) {
        cJSON_Delete(obj);
        cJSON_Delete(doc);
        return;
    }
    cJSON_AddItemToObject(dlist, status, obj);
    gw_commit(gw, api, req, doc, 201, cJSON_Duplicate(obj, true), dispatch_again);
}

/* ---- deployments and stages ---- */

static const struct member rest_stage_members[] = {
    {"cacheClusterEnabled", M_BOOL, 0},
    {"deploymentId", M_STR, 64},
    {"description", M_STR, GW_DESCRIPTION_MAX},
    {"tags", M_STRMAP, 0},
    {"tracingEnabled", M_BOOL, 0},
    {"variables", M_STRMAP, 0},
};

static bool valid_stage_name(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || n > GW_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
            return false;
    return true;
}

/* A new stage object of doc (not yet added) from body; NULL after an error. */
static cJSON *new_stage(h2o_req_t *req, const cJSON *doc, const cJSON *body, const char *name)
{
    cJSON *st = cJSON_CreateObject();
    if (!APPLY(req, body, st, rest_stage_members)) {
        cJSON_Delete(st);
        return NULL;
    }
    const char *dep = gw_str_of(st, "deploymentId");
    if (!valid_stage_name(name)) {
        bad(req, "Stage name only allows a-zA-Z0-9_-");
    } else if (gw_stage(doc, name) != NULL) {
        aws_send_error_message(req, ERR_GW_CONFLICT, "Stage already exists");
    } else if (dep == NULL || gw_item(doc, "deployments", "id", dep) == NULL) {
        not_found(req, "Deployment", dep != NULL ? dep : "");
    } else {
        cJSON_AddStringToObject(st, "stageName", name);
        cJSON_AddNumberToObject(st, "createdDate", now_s());
        cJSON_AddNumberToObject(st, "lastUpdatedDate", now_s());
        gw_set_default(st, "cacheClusterEnabled", cJSON_CreateFalse());
        cJSON_AddStringToObject(st, "cacheClusterStatus", "NOT_AVAILABLE");
        cJSON_AddObjectToObject(st, "methodSettings");
        gw_set_default(st, "tracingEnabled", cJSON_CreateFalse());
        return st;
    }
    cJSON_Delete(st);
    return NULL;
}

/* Every method has an integration and there is at least one; else sends the error. */
static bool deployable(h2o_req_t *req, const cJSON *doc)
{
    const cJSON *r, *m;
    int methods = 0;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(doc, "resources"))
    {
        cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(r, "resourceMethods"))
        {
            methods++;
            if (cJSON_GetObjectItemCaseSensitive(m, "methodIntegration") == NULL) {
                bad(req, "No integration defined for method");
                return false;
            }
        }
    }
    if (methods == 0)
        bad(req, "The REST API doesn't contain any methods");
    return methods > 0;
}

static void create_deployment(struct gateway *gw, h2o_req_t *req, struct gw_api *api)
{
    cJSON *body = gw_parse_body(req);
    if (body == NULL)
        return;
    const char *stage = gw_str_of(body, "stageName"), *desc = gw_str_of(body, "description");
    cJSON *doc = cJSON_Duplicate(api->doc, true);
    cJSON *w = cJSON_CreateObject(), *d = cJSON_AddObjectToObject(w, "deployment");
    char id[8];
    gw_new_id(id, 6);
    cJSON_AddStringToObject(d, "id", id);
    cJSON_AddNumberToObject(d, "createdDate", now_s());
    if (desc != NULL)
        cJSON_AddStringToObject(d, "description", desc);
    cJSON_AddItemToObject(
        w, "resources", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(doc, "resources"), true));
    bool ok = deployable(req, doc);
    if (ok)
        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(doc, "deployments"), w);
    else
        cJSON_Delete(w);
    if (ok && stage != NULL) {
        cJSON *st = gw_stage(doc, stage);
        if (st != NULL) {
            gw_set_str(st, "deploymentId", id);
            cJSON_DeleteItemFromObjectCaseSensitive(st, "lastUpdatedDate");
            cJSON_AddNumberToObject(st, "lastUpdatedDate", now_s());
        } else {
            cJSON *sb = cJSON_CreateObject();
            cJSON_AddStringToObject(sb, "deploymentId", id);
            const cJSON *vars = cJSON_GetObjectItemCaseSensitive(body, "variables");
            if (vars != NULL)
                cJSON_AddItemToObject(sb, "variables", cJSON_Duplicate(vars, true));
            const char *sd = gw_str_of(body, "stageDescription");
            if (sd != NULL)
                cJSON_AddStringToObject(sb, "description", sd);
            st = new_stage(req, doc, sb, stage);
            cJSON_Delete(sb);
            ok = st != NULL;
            if (ok)
                cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(doc, "stages"), st);
        }
    }
    cJSON_Delete(body);
    if (!ok) {
        cJSON_Delete(doc);
        return;
    }
    cJSON *resp = cJSON_Duplicate(gw_item(doc, "deployments", "id", id), true);
    cJSON *out = cJSON_DetachItemFromObjectCaseSensitive(resp, "deployment");
    cJSON_Delete(resp);
    gw_commit(gw, api, req, doc, 201, out, dispatch_again);
}

static void create_stage(struct gateway *gw, h2o_req_t *req, struct gw_api *api)
{
    cJSON *body = gw_parse_body(req);
    if (body == NULL)
        return;
    cJSON *st = new_stage(req, api->doc, body, gw_str_of(body, "stageName"));
    cJSON_Delete(body);
    if (st == NULL)
        return;
    cJSON *doc = cJSON_Duplicate(api->doc, true);
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(doc, "stages"), st);
    gw_commit(gw, api, req, doc, 201, cJSON_Duplicate(st, true), dispatch_again);
}

/* GET (list) of deployments or stages. */
static void list_of(h2o_req_t *req, const cJSON *doc, const char *list, bool paged)
{
    cJSON *items = cJSON_CreateArray();
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, list))
    {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(it, "deployment");
        cJSON_AddItemToArray(items, cJSON_Duplicate(d != NULL ? d : it, true));
    }
    if (paged) {
        gw_send_page(req, items, &gw_page_v1);
        return;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "item", items);
    aws_send_json_take(req, 200, out);
}

static bool stage_uses(const cJSON *doc, const char *dep)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(doc, "stages"))
    {
        const char *d = gw_str_of(s, "deploymentId");
        if (d != NULL && strcmp(d, dep) == 0)
            return true;
    }
    return false;
}

/* GET and DELETE of one deployment (dep) or stage. */
static void one_of_list(struct gateway *gw, h2o_req_t *req, struct gw_api *api, const char *list,
                        const char *id)
{
    bool dep = strcmp(list, "deployments") == 0, stage = strcmp(list, "stages") == 0;
    cJSON *it = stage ? gw_stage(api->doc, id) : gw_item(api->doc, list, "id", id);
    if (it == NULL) {
        not_found(req, dep ? "Deployment" : stage ? "Stage" : "Authorizer", id);
        return;
    }
    if (http_method_is(req, "GET")) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(it, "deployment");
        aws_send_json_take(req, 200, cJSON_Duplicate(d != NULL ? d : it, true));
        return;
    }
    if (dep && stage_uses(api->doc, id)) {
        bad(req, "Active stages pointing to this deployment must be moved or deleted");
        return;
    }
    if (!dep && !stage && authorizer_used(api->doc, id)) {
        aws_send_error_message(req, ERR_GW_CONFLICT,
                               "Cannot delete authorizer '%s': methods use it", id);
        return;
    }
    if (gw_busy(api, req))
        return;
    cJSON *doc = cJSON_Duplicate(api->doc, true);
    cJSON *l = cJSON_GetObjectItemCaseSensitive(doc, list);
    cJSON_Delete(
        cJSON_DetachItemViaPointer(l, dep ? gw_item(doc, list, "id", id) : gw_stage(doc, id)));
    gw_commit(gw, api, req, doc, 202, NULL, dispatch_again);
}

/* ---- PATCH (patchOperations) ---- */

/* A path an Update* operation may patch: "/member", or for a map member
 * ("/variables/{name}") the prefix "/member/". */
struct patch_path {
    const char *member;
    enum mtype type; /* M_STR, M_BOOL, M_INT; M_STRMAP for a map entry, M_STRARR a list element */
};

static const struct patch_path restapi_patch[] = {
    {"name", M_STR},
    {"description", M_STR},
    {"version", M_STR},
    {"apiKeySource", M_STR},
    {"binaryMediaTypes", M_STRARR},
    {"disableExecuteApiEndpoint", M_BOOL},
    {"minimumCompressionSize", M_INT},
    {"policy", M_STR},
};
static const struct patch_path stage_patch[] = {
    {"deploymentId", M_STR},    {"description", M_STR},          {"variables", M_STRMAP},
    {"tracingEnabled", M_BOOL}, {"cacheClusterEnabled", M_BOOL},
};
static const struct patch_path authorizer_patch[] = {
    {"name", M_STR},
    {"authorizerUri", M_STR},
    {"identitySource", M_STR},
    {"identityValidationExpression", M_STR},
    {"authorizerResultTtlInSeconds", M_INT},
    {"authorizerCredentials", M_STR},
};
static const struct patch_path deployment_patch[] = {
    {"description", M_STR},
};
static const struct patch_path method_patch[] = {
    {"authorizationType", M_STR},
    {"apiKeyRequired", M_BOOL},
    {"operationName", M_STR},
};
static const struct patch_path integration_patch[] = {
    {"uri", M_STR},
    {"httpMethod", M_STR},
    {"timeoutInMillis", M_INT},
    {"passthroughBehavior", M_STR},
    {"connectionType", M_STR},
    {"credentials", M_STR},
};

/* Adds (or removes) the element named by a JSON-pointer segment ("~1" for
 * '/', "~0" for '~') to the list obj[member]. */
static bool patch_list(cJSON *obj, const char *member, bool remove, const char *segment)
{
    char v[256];
    size_t n = 0;
    for (const char *p = segment; *p != '\0' && n + 1 < sizeof(v); p++) {
        if (p[0] == '~' && (p[1] == '1' || p[1] == '0')) {
            v[n++] = p[1] == '1' ? '/' : '~';
            p++;
        } else {
            v[n++] = *p;
        }
    }
    v[n] = '\0';
    cJSON *list = cJSON_GetObjectItemCaseSensitive(obj, member);
    if (!cJSON_IsArray(list)) {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, member);
        list = cJSON_AddArrayToObject(obj, member);
    }
    cJSON *e = list->child;
    while (e != NULL && !(cJSON_IsString(e) && strcmp(e->valuestring, v) == 0))
        e = e->next;
    if (remove && e != NULL)
        cJSON_Delete(cJSON_DetachItemViaPointer(list, e));
    else if (!remove && e == NULL)
        cJSON_AddItemToArray(list, cJSON_CreateString(v));
    return true;
}

/* A stage's methodSettings path "/{resource}/{VERB}/throttling/rateLimit"
 * (or burstLimit), "~1" standing for '/' and "*" for any: applies op to
 * obj.methodSettings. Returns 1 when done, 0 when path is not one, -1 after
 * sending BadRequestException. */
static int patch_method_setting(h2o_req_t *req, cJSON *obj, bool remove, const char *path,
                                const char *value)
{
    static const char *const tails[] = {"/throttling/rateLimit", "/throttling/burstLimit"};
    static const char *const members[] = {"throttlingRateLimit", "throttlingBurstLimit"};
    size_t len = strlen(path);
    for (size_t t = 0; t < 2; t++) {
        size_t tl = strlen(tails[t]);
        if (len <= tl + 1 || strcmp(path + len - tl, tails[t]) != 0)
            continue;
        char key[GW_ROUTE_KEY_MAX + 16];
        size_t k = 0;
        for (size_t i = 1; i < len - tl && k + 1 < sizeof(key); i++) {
            if (path[i] == '~' && path[i + 1] == '1') {
                key[k++] = '/';
                i++;
            } else {
                key[k++] = path[i];
            }
        }
        key[k] = '\0';
        const char *verb = strrchr(key, '/');
        if (verb == NULL || (strcmp(verb + 1, "*") != 0 && !gw_one_of(verb + 1, http_methods)))
            return (bad(req, "Invalid method setting path"), -1);
        const char *name = key[0] == '/' ? key + 1 : key; /* e.g. "items/GET" */
        char *end = NULL;
        double v = value != NULL ? strtod(value, &end) : 0;
        if (!remove && (value == NULL || end == value || *end != '\0' || v < 0 || v > 1e9))
            return (bad(req, "Invalid throttling limit"), -1);
        cJSON *ms = cJSON_GetObjectItemCaseSensitive(obj, "methodSettings");
        if (!cJSON_IsObject(ms))
            ms = cJSON_AddObjectToObject(obj, "methodSettings");
        cJSON *entry = cJSON_GetObjectItemCaseSensitive(ms, name);
        if (entry == NULL)
            entry = cJSON_AddObjectToObject(ms, name);
        cJSON_DeleteItemFromObjectCaseSensitive(entry, members[t]);
        if (!remove)
            cJSON_AddNumberToObject(entry, members[t], t == 1 ? (double)(long)v : v);
        return 1;
    }
    return 0;
}

/* Applies one operation to obj; sends BadRequestException and returns false
 * when its op, path or value is not one this object takes. */
static bool patch_one(h2o_req_t *req, cJSON *obj, const cJSON *op, const struct patch_path *pp,
                      size_t n)
{
    const char *verb = gw_str_of(op, "op"), *path = gw_str_of(op, "path");
    const char *value = gw_str_of(op, "value");
    bool remove = verb != NULL && strcmp(verb, "remove") == 0;
    if (verb == NULL || path == NULL || path[0] != '/' ||
        !gw_one_of(verb, (const char *const[]){"add", "replace", "remove", NULL})) {
        bad(req, "Invalid patch operation specified. Must be one of: [add, remove, replace]");
        return false;
    }
    if (pp == stage_patch) {
        int done = patch_method_setting(req, obj, remove, path, value);
        if (done != 0)
            return done > 0;
    }
    for (size_t i = 0; i < n; i++) {
        size_t ml = strlen(pp[i].member);
        if (strncmp(path + 1, pp[i].member, ml) != 0)
            continue;
        const char *rest = path + 1 + ml;
        if (pp[i].type == M_STRMAP && rest[0] == '/' && rest[1] != '\0') {
            cJSON *map = cJSON_GetObjectItemCaseSensitive(obj, pp[i].member);
            if (!cJSON_IsObject(map))
                map = cJSON_AddObjectToObject(obj, pp[i].member);
            cJSON_DeleteItemFromObjectCaseSensitive(map, rest + 1);
            if (!remove && value == NULL)
                break;
            if (!remove)
                cJSON_AddStringToObject(map, rest + 1, value);
            return true;
        }
        if (pp[i].type == M_STRARR && rest[0] == '/' && rest[1] != '\0')
            return patch_list(obj, pp[i].member, remove, rest + 1);
        if (pp[i].type == M_STRMAP || pp[i].type == M_STRARR || rest[0] != '\0')
            continue;
        cJSON_DeleteItemFromObjectCaseSensitive(obj, pp[i].member);
        if (remove)
            return true;
        char *end = NULL;
        long v = value != NULL ? strtol(value, &end, 10) : 0;
        if (value == NULL ||
            (pp[i].type == M_BOOL && strcmp(value, "true") != 0 && strcmp(value, "false") != 0) ||
            (pp[i].type == M_INT && (*end != '\0' || end == value || v < 0 || v > 1000000000)))
            break;
        if (pp[i].type == M_BOOL)
            cJSON_AddBoolToObject(obj, pp[i].member, strcmp(value, "true") == 0);
        else if (pp[i].type == M_INT)
            cJSON_AddNumberToObject(obj, pp[i].member, (double)v);
        else
            cJSON_AddStringToObject(obj, pp[i].member, value);
        return true;
    }
    aws_send_error_message(req, ERR_GW_BAD_REQUEST, "Invalid patch path '%.128s' or value", path);
    return false;
}

/* Applies body.patchOperations to obj, in order. */
static bool patch(h2o_req_t *req, const cJSON *body, cJSON *obj, const struct patch_path *pp,
                  size_t n)
{
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(body, "patchOperations"), *op;
    if (ops != NULL && !cJSON_IsArray(ops)) {
        bad(req, "Invalid patchOperations: must be a list");
        return false;
    }
    cJSON_ArrayForEach(op, ops)
    {
        if (!cJSON_IsObject(op) || !patch_one(req, obj, op, pp, n))
            return false;
    }
    return true;
}

#define PATCH(req, body, obj, table) patch(req, body, obj, table, sizeof(table) / sizeof(table[0]))

/* Update of the REST API (what = "restapi"), a stage, a method or an integration. */
static void update(struct gateway *gw, h2o_req_t *req, struct gw_api *api, const char *what,
                   const char *rid, const char *name)
{
    cJSON *body = gw_parse_body(req);
    if (body == NULL)
        return;
    cJSON *doc = cJSON_Duplicate(api->doc, true), *obj = NULL;
    bool ok = false;
    if (strcmp(what, "restapi") == 0) {
        obj = cJSON_GetObjectItemCaseSensitive(doc, "restapi");
        const char *n = NULL;
        ok = PATCH(req, body, obj, restapi_patch) &&
             ((n = gw_str_of(obj, "name")) != NULL && n[0] != '\0' && strlen(n) <= GW_NAME_MAX);
        if (!ok && n != NULL)
            bad(req, "Invalid REST API name specified");
    } else if (strcmp(what, "authorizer") == 0) {
        obj = gw_item(doc, "authorizers", "id", name);
        ok = PATCH(req, body, obj, authorizer_patch) && check_rest_authorizer(req, obj);
    } else if (strcmp(what, "deployment") == 0) {
        obj =
            cJSON_GetObjectItemCaseSensitive(gw_item(doc, "deployments", "id", name), "deployment");
        ok = PATCH(req, body, obj, deployment_patch);
    } else if (strcmp(what, "stage") == 0) {
        obj = gw_stage(doc, name);
        const char *dep = NULL;
        ok = PATCH(req, body, obj, stage_patch);
        if (ok && ((dep = gw_str_of(obj, "deploymentId")) == NULL ||
                   gw_item(doc, "deployments", "id", dep) == NULL)) {
            not_found(req, "Deployment", dep != NULL ? dep : "");
            ok = false;
        }
        if (ok) {
            cJSON_DeleteItemFromObjectCaseSensitive(obj, "lastUpdatedDate");
            cJSON_AddNumberToObject(obj, "lastUpdatedDate", now_s());
        }
    } else {
        cJSON *m = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(gw_item(doc, "resources", "id", rid),
                                             "resourceMethods"),
            name);
        obj = strcmp(what, "method") == 0
                  ? m
                  : cJSON_GetObjectItemCaseSensitive(m, "methodIntegration");
        ok =
            strcmp(what, "method") == 0
                ? PATCH(req, body, obj, method_patch) && check_method(req, doc, obj)
                : PATCH(req, body, obj, integration_patch) && check_rest_integration(req, obj, rid);
    }
    cJSON_Delete(body);
    if (!ok) {
        cJSON_Delete(doc);
        return;
    }
    gw_commit(gw, api, req, doc, 200, cJSON_Duplicate(obj, true), dispatch_again);
}

/* ---- routing ---- */

static void resource_op(struct gateway *gw, h2o_req_t *req, struct gw_api *api, const char *rid)
{
    cJSON *res = gw_item(api->doc, "resources", "id", rid);
    if (res == NULL) {
        not_found(req, "Resource", rid);
    } else if (http_method_is(req, "GET")) {
        aws_send_json_take(req, 200, cJSON_Duplicate(res, true));
    } else if (gw_busy(api, req)) {
        return;
    } else if (http_method_is(req, "POST")) {
        create_resource(gw, req, api, res);
    } else if (gw_str_of(res, "parentId") == NULL) {
        bad(req, "Cannot delete the root resource");
    } else {
        cJSON *doc = cJSON_Duplicate(api->doc, true);
        delete_tree(doc, rid);
        gw_commit(gw, api, req, doc, 202, NULL, dispatch_again);
    }
}

bool gw_rest_handle(struct gateway *gw, h2o_req_t *req)
{
    struct http_path p;
    if (http_split_path(req, &p) != 0 || p.n < 1 || strcmp(p.seg[0], "restapis") != 0)
        return false;
    bool get = http_method_is(req, "GET"), post = http_method_is(req, "POST"),
         put = http_method_is(req, "PUT"), del = http_method_is(req, "DELETE"),
         patch_ = http_method_is(req, "PATCH");
    if (p.n == 1) {
        if (post)
            create_rest_api(gw, req);
        else if (get)
            get_rest_apis(gw, req);
        return post || get;
    }
    const char *sub = p.n >= 3 ? p.seg[2] : "";
    bool res = strcmp(sub, "resources") == 0, deps = strcmp(sub, "deployments") == 0,
         stages = strcmp(sub, "stages") == 0, auths = strcmp(sub, "authorizers") == 0;
    bool known =
        (p.n == 2 && (get || del || patch_)) || (p.n == 3 && (res && get)) ||
        (p.n == 3 && (deps || stages || auths) && (get || post)) ||
        (p.n == 4 && res && (get || post || del)) ||
        (p.n == 4 && (deps || stages || auths) && (get || del)) ||
        (p.n == 4 && (stages || auths || deps) && patch_) ||
        (p.n == 6 && res && strcmp(p.seg[4], "methods") == 0 && (get || put || del || patch_)) ||
        (p.n == 7 && res && strcmp(p.seg[4], "methods") == 0 &&
         strcmp(p.seg[6], "integration") == 0 && (get || put || del || patch_)) ||
        (p.n == 8 && res && strcmp(p.seg[4], "methods") == 0 &&
         strcmp(p.seg[6], "responses") == 0 && (get || put || del)) ||
        (p.n == 9 && res && strcmp(p.seg[4], "methods") == 0 &&
         strcmp(p.seg[6], "integration") == 0 && strcmp(p.seg[7], "responses") == 0 &&
         (get || put || del));
    if (!known)
        return false;
    struct gw_api *api = gw_find(gw, p.seg[1]);
    if (api == NULL || !gw_is_rest(api)) {
        aws_send_error_message(req, ERR_GW_NOT_FOUND, "Invalid API identifier specified %s:%.64s",
                               gw->account, p.seg[1]);
        return true;
    }
    if (p.n == 2 && get) {
        aws_send_json_take(
            req, 200, cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(api->doc, "restapi"), true));
    } else if (p.n == 2) {
        if (gw_busy(api, req))
            return true;
        if (patch_)
            update(gw, req, api, "restapi", NULL, NULL);
        else
            gw_commit(gw, api, req, NULL, 202, NULL, dispatch_again);
    } else if (p.n == 3 && res) {
        list_of(req, api->doc, "resources", true);
    } else if (p.n == 3 && get) {
        list_of(req, api->doc, sub, !stages);
    } else if (p.n == 3 && !gw_busy(api, req)) {
        if (deps)
            create_deployment(gw, req, api);
        else if (stages)
            create_stage(gw, req, api);
        else
            create_authorizer(gw, req, api);
    } else if (p.n == 4 && res) {
        resource_op(gw, req, api, p.seg[3]);
    } else if (p.n == 4 && patch_) {
        const char *what = stages ? "stage" : auths ? "authorizer" : "deployment";
        if (stages ? gw_stage(api->doc, p.seg[3]) == NULL
                   : gw_item(api->doc, sub, "id", p.seg[3]) == NULL)
            not_found(req, stages ? "Stage" : auths ? "Authorizer" : "Deployment", p.seg[3]);
        else if (!gw_busy(api, req))
            update(gw, req, api, what, NULL, p.seg[3]);
    } else if (p.n == 4) {
        one_of_list(gw, req, api, sub, p.seg[3]);
    } else if (p.n == 8 || p.n == 9) {
        response_op(gw, req, api, p.seg[3], p.seg[5], p.seg[p.n - 1], p.n == 9);
    } else if (p.n >= 6 && patch_) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(gw_item(api->doc, "resources", "id", p.seg[3]),
                                             "resourceMethods"),
            p.seg[5]);
        if (m == NULL || (p.n == 7 && !cJSON_HasObjectItem(m, "methodIntegration")))
            not_found(req, m == NULL ? "Method" : "Integration", p.seg[5]);
        else if (!gw_busy(api, req))
            update(gw, req, api, p.n == 7 ? "integration" : "method", p.seg[3], p.seg[5]);
    } else if (p.n >= 6) {
        method_op(gw, req, api, p.seg[3], p.seg[5], p.n == 7);
    }
    return true;
}

static void dispatch_again(struct gateway *gw, h2o_req_t *req)
{
    if (!gw_rest_handle(gw, req))
        aws_send_error_message(req, ERR_GW_NOT_FOUND, "Not Found");
}
