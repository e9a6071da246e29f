/* SPDX-License-Identifier: MIT */
/*
 * Function operations: Create/Get/Update/Delete/ListFunctions, the code
 * download URL, GetAccountSettings, tags and reserved concurrency.
 */
#include "functions.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/awserr.h"
#include "base/alloc.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/util.h"
#include "base/worker.h"
#include "catalog/catalog.h"
#include "catalog/function.h"
#include "invoke/invoke.h"
#include "invoke/sched.h"
#include "lambda/jobs.h"
#include "lambda/versions.h"
#include "store/blob.h"
#include "store/store.h"

/* ---- operations ---- */

void lambda_create_function(struct lambda_api *api, h2o_req_t *req)
{
    cJSON *body = lambda_parse_body(req, API_CODE_REQUEST_MAX_BYTES, "CreateFunction");
    if (body == NULL)
        return;
    char msg[2048];
    struct function *fn;
    int rc = function_from_create(body, api->region, api->account, &fn, msg, sizeof(msg));
    if (rc != 0) {
        aws_send_error(req, rc, "%s", msg);
        cJSON_Delete(body);
        return;
    }
    if (!lambda_bind_layers(api, req, fn)) {
        function_unref(fn);
        cJSON_Delete(body);
        return;
    }
    if (catalog_find(api->cat, fn->name) != NULL || lambda_is_busy(api, fn->name)) {
        aws_send_error(req, ERR_CONFLICT, "Function already exist: %s", fn->name);
        function_unref(fn);
        cJSON_Delete(body);
        return;
    }
    struct job *j = lambda_job_new(api, req, fn->name);
    j->fn = fn;
    j->body = body;
    j->status = 201;
    j->create = true;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "Publish")))
        j->publish = 1;
    if (!lambda_take_zip(req, cJSON_GetObjectItemCaseSensitive(body, "Code"), j)) {
        lambda_job_free(j);
        return;
    }
    if (catalog_code_bytes(api->cat) + (int64_t)(j->zip_b64_len / 4 * 3) >
        FN_CODE_STORAGE_MAX_BYTES) {
        aws_send_error(req, ERR_CODE_STORAGE, "Code storage limit exceeded.");
        lambda_job_free(j);
        return;
    }
    lambda_job_start(j);
}

void lambda_update_code(struct lambda_api *api, h2o_req_t *req, struct function *fn)
{
    cJSON *body = lambda_parse_body(req, API_CODE_REQUEST_MAX_BYTES, "UpdateFunctionCode");
    if (body == NULL)
        return;
    if (!lambda_revision_ok(req, body, fn)) {
        cJSON_Delete(body);
        return;
    }
    struct job *j = lambda_job_new(api, req, fn->name);
    j->fn = function_ref(fn);
    j->body = body;
    j->status = 200;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "Publish"))) {
        const struct catalog_versions *v = catalog_versions(api->cat, fn->name);
        j->publish = (v != NULL ? v->last : 0) + 1;
    }
    if (!lambda_take_zip(req, body, j)) {
        lambda_job_free(j);
        return;
    }
    lambda_job_start(j);
}

void lambda_update_config(struct lambda_api *api, h2o_req_t *req, struct function *fn)
{
    cJSON *body = lambda_parse_body(req, API_JSON_REQUEST_MAX_BYTES, "UpdateFunctionConfiguration");
    if (body == NULL)
        return;
    if (!lambda_revision_ok(req, body, fn)) {
        cJSON_Delete(body);
        return;
    }
    char msg[2048];
    struct function *nf;
    int rc = function_apply_update(fn, body, &nf, msg, sizeof(msg));
    /* Layers already bound stay bound (even if their versions were deleted since). */
    bool layers = cJSON_GetObjectItemCaseSensitive(body, "Layers") != NULL;
    cJSON_Delete(body);
    if (rc != 0) {
        aws_send_error(req, rc, "%s", msg);
        return;
    }
    if (layers && !lambda_bind_layers(api, req, nf)) {
        function_unref(nf);
        return;
    }
    struct job *j = lambda_job_new(api, req, fn->name);
    j->fn = nf;
    j->status = 200;
    lambda_job_start(j);
}

void lambda_delete_function(struct lambda_api *api, h2o_req_t *req, struct function *fn,
                            const char *qual)
{
    if (strcmp(qual, "$LATEST") == 0) {
        aws_send_error(req, ERR_INVALID_PARAMETER,
                       "$LATEST version cannot be deleted without deleting the function.");
        return;
    }
    if (strcmp(fn->version, "$LATEST") != 0) {
        if (strcmp(qual, fn->version) != 0) {
            aws_send_error(req, ERR_INVALID_PARAMETER,
                           "Deletion of aliases is not supported by DeleteFunction; use "
                           "DeleteAlias.");
            return;
        }
        lambda_delete_version(api, req, fn);
        return;
    }
    struct job *j = lambda_job_new(api, req, fn->name);
    j->status = 204;
    /* The versions and aliases go with the function. */
    struct catalog_versions *v = catalog_versions(api->cat, fn->name);
    size_t n = (v != NULL ? v->n + v->naliases : 0) + 1;
    j->keys = xcalloc(n, sizeof(*j->keys));
    for (size_t i = 0; i < api->npcs; i++)
        if (strcmp(api->pcs[i].name, fn->name) == 0)
            n++;
    for (size_t i = 0; i < api->cat->nfurls; i++)
        if (strcmp(api->cat->furls[i].name, fn->name) == 0)
            n++;
    char **keys = xrealloc(j->keys, n * sizeof(*keys));
    j->keys = keys;
    for (size_t i = 0; i < api->npcs; i++) {
        if (strcmp(api->pcs[i].name, fn->name) != 0)
            continue;
        char key[FN_NAME_MAX + FN_QUALIFIER_MAX + 2];
        snprintf(key, sizeof(key), "%s%%%s", fn->name, api->pcs[i].qualifier);
        j->keys[j->nkeys++] = xstrdup(key);
    }
    for (size_t i = 0; i < api->cat->nfurls; i++) {
        if (strcmp(api->cat->furls[i].name, fn->name) != 0)
            continue;
        char key[FN_NAME_MAX + FN_QUALIFIER_MAX + 2];
        furl_store_key(fn->name, api->cat->furls[i].qualifier, key, sizeof(key));
        j->keys[j->nkeys++] = xstrdup(key);
    }
    char counter[FN_NAME_MAX + 2];
    snprintf(counter, sizeof(counter), "%s!", fn->name);
    j->keys[j->nkeys++] = xstrdup(counter);
    for (size_t i = 0; v != NULL && i < v->n + v->naliases; i++) {
        char key[FN_NAME_MAX + FN_QUALIFIER_MAX + 2];
        if (i < v->n)
            snprintf(key, sizeof(key), "%s:%s", fn->name, v->v[i]->version);
        else
            snprintf(key, sizeof(key), "%s@%s", fn->name, v->aliases[i - v->n].name);
        j->keys[j->nkeys++] = xstrdup(key);
    }
    lambda_job_start(j);
}

void lambda_get_function(struct lambda_api *api, h2o_req_t *req, struct function *fn, bool full)
{
    cJSON *conf = function_config_json(fn);
    if (!full) {
        aws_send_json_take(req, 200, conf);
        return;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "Configuration", conf);
    cJSON *code = cJSON_AddObjectToObject(out, "Code");
    cJSON_AddStringToObject(code, "RepositoryType", "S3");
    char url[512];
    snprintf(url, sizeof(url), "http://%.*s/_lambdad/code/%s.zip", (int)req->authority.len,
             req->authority.base, fn->code_hex);
    cJSON_AddStringToObject(code, "Location", url);
    if (fn->tags != NULL)
        cJSON_AddItemToObject(out, "Tags", cJSON_Duplicate(fn->tags, 1));
    if (fn->reserved >= 0) {
        cJSON *c = cJSON_AddObjectToObject(out, "Concurrency");
        cJSON_AddNumberToObject(c, "ReservedConcurrentExecutions", fn->reserved);
    }
    (void)api;
    aws_send_json_take(req, 200, out);
}

void lambda_list_functions(struct lambda_api *api, h2o_req_t *req)
{
    char marker[256];
    long max;
    if (!lambda_page_params(req, 10000, &max, marker, sizeof(marker)))
        return;
    size_t i = marker[0] ? catalog_after(api->cat, marker) : 0;
    cJSON *out = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(out, "Functions");
    long count = 0;
    for (; i < api->cat->len && count < max; i++, count++)
        cJSON_AddItemToArray(arr, function_config_json(api->cat->fns[i]));
    if (i < api->cat->len)
        cJSON_AddStringToObject(out, "NextMarker", api->cat->fns[i - 1]->name);
    aws_send_json_take(req, 200, out);
}

void lambda_account_settings(struct lambda_api *api, h2o_req_t *req)
{
    cJSON *out = cJSON_CreateObject();
    cJSON *lim = cJSON_AddObjectToObject(out, "AccountLimit");
    cJSON_AddNumberToObject(lim, "TotalCodeSize", (double)FN_CODE_STORAGE_MAX_BYTES);
    cJSON_AddNumberToObject(lim, "CodeSizeUnzipped", FN_UNZIPPED_MAX_BYTES);
    cJSON_AddNumberToObject(lim, "CodeSizeZipped", FN_ZIP_MAX_BYTES);
    cJSON_AddNumberToObject(lim, "ConcurrentExecutions", api->account_concurrency);
    cJSON_AddNumberToObject(lim, "UnreservedConcurrentExecutions",
                            api->account_concurrency - lambda_reserved_sum(api, NULL));
    cJSON *use = cJSON_AddObjectToObject(out, "AccountUsage");
    cJSON_AddNumberToObject(use, "TotalCodeSize", (double)catalog_code_bytes(api->cat));
    cJSON_AddNumberToObject(use, "FunctionCount", (double)api->cat->len);
    aws_send_json_take(req, 200, out);
}

void lambda_serve_code(struct lambda_api *api, h2o_req_t *req, const char *file)
{
    size_t len = strlen(file);
    char hex[65], path[1024];
    if (len != 68 || strcmp(file + 64, ".zip") != 0) {
        aws_send_error(req, ERR_NOT_FOUND, "No such code package");
        return;
    }
    memcpy(hex, file, 64);
    hex[64] = '\0';
    for (int i = 0; i < 64; i++) {
        if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f'))) {
            aws_send_error(req, ERR_NOT_FOUND, "No such code package");
            return;
        }
    }
    if (blob_zip_path(api->bs, hex, path, sizeof(path)) != 0 ||
        h2o_file_send(req, 200, "OK", path, h2o_iovec_init(H2O_STRLIT("application/zip")), 0) != 0)
        aws_send_error(req, ERR_NOT_FOUND, "No such code package");
}

/* TagResource, UntagResource and ListTags on a function ARN. */
void lambda_tags_op(struct lambda_api *api, h2o_req_t *req, struct function *fn)
{
    if (http_method_is(req, "GET")) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddItemToObject(
            out, "Tags", fn->tags != NULL ? cJSON_Duplicate(fn->tags, 1) : cJSON_CreateObject());
        aws_send_json_take(req, 200, out);
        return;
    }
    if (lambda_is_busy(api, fn->name)) {
        lambda_send_in_progress(req, fn);
        return;
    }
    struct job *j = lambda_job_new(api, req, fn->name);
    j->status = 204;
    j->empty_reply = true;
    if (http_method_is(req, "POST")) {
        cJSON *body = lambda_parse_body(req, API_JSON_REQUEST_MAX_BYTES, "TagResource");
        char msg[512];
        const cJSON *tags = body != NULL ? cJSON_GetObjectItemCaseSensitive(body, "Tags") : NULL;
        int rc = tags == NULL ? ERR_VALIDATION : function_check_tags(tags, msg, sizeof(msg));
        if (body != NULL && rc != 0)
            aws_send_error(req, rc, "%s",
                           tags == NULL ? "1 validation error detected: Value null at 'tags' "
                                          "failed to satisfy constraint: Member must not be null"
                                        : msg);
        if (body == NULL || rc != 0) {
            cJSON_Delete(body);
            lambda_job_free(j);
            return;
        }
        j->body = body;
        j->fn = function_with_tags(fn, tags, NULL);
    } else {
        cJSON *keys = cJSON_CreateArray();
        char key[256];
        for (int i = 0; i < 64 && http_query_nth(req, "tagKeys", i, key, sizeof(key)) >= 0; i++)
            cJSON_AddItemToArray(keys, cJSON_CreateString(key));
        if (cJSON_GetArraySize(keys) == 0) {
            aws_send_error(req, ERR_VALIDATION,
                           "1 validation error detected: Value null at 'tagKeys' failed to "
                           "satisfy constraint: Member must not be null");
            cJSON_Delete(keys);
            lambda_job_free(j);
            return;
        }
        j->fn = function_with_tags(fn, NULL, keys);
        cJSON_Delete(keys);
    }
    lambda_job_start(j);
}

/* ---- reserved concurrency ---- */

/* PutFunctionConcurrency (PUT), GetFunctionConcurrency (GET) and
 * DeleteFunctionConcurrency (DELETE). */
void lambda_concurrency_op(struct lambda_api *api, h2o_req_t *req, struct function *fn)
{
    if (http_method_is(req, "GET")) {
        cJSON *out = cJSON_CreateObject();
        if (fn->reserved >= 0)
            cJSON_AddNumberToObject(out, "ReservedConcurrentExecutions", fn->reserved);
        aws_send_json_take(req, 200, out);
        return;
    }
    if (lambda_is_busy(api, fn->name)) {
        lambda_send_in_progress(req, fn);
        return;
    }
    int n = -1;
    if (http_method_is(req, "PUT")) {
        cJSON *body = lambda_parse_body(req, API_JSON_REQUEST_MAX_BYTES, "PutFunctionConcurrency");
        if (body == NULL)
            return;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "ReservedConcurrentExecutions");
        bool ok = cJSON_IsNumber(v) && v->valuedouble == (double)(int)v->valuedouble;
        double x = ok ? v->valuedouble : 0;
        cJSON_Delete(body);
        if (!ok) {
            aws_send_error(req, v == NULL ? ERR_VALIDATION : ERR_INVALID_CONTENT,
                           v == NULL ? "1 validation error detected: Value null at "
                                       "'reservedConcurrentExecutions' failed to satisfy "
                                       "constraint: Member must not be null"
                                     : "Could not parse request body into json: "
                                       "ReservedConcurrentExecutions must be an integer");
            return;
        }
        if (x < 0) {
            aws_send_error(req, ERR_VALIDATION,
                           "1 validation error detected: Value '%d' at "
                           "'reservedConcurrentExecutions' failed to satisfy constraint: Member "
                           "must have value greater than or equal to 0",
                           (int)x);
            return;
        }
        n = (int)x;
        if (api->account_concurrency - lambda_reserved_sum(api, fn->name) - n <
            UNRESERVED_CONCURRENCY_MIN) {
            aws_send_error(req, ERR_INVALID_PARAMETER,
                           "Specified ReservedConcurrentExecutions for function decreases "
                           "account's UnreservedConcurrentExecution below its minimum value of "
                           "[%d].",
                           UNRESERVED_CONCURRENCY_MIN);
            return;
        }
    }
    struct job *j = lambda_job_new(api, req, fn->name);
    j->fn = function_with_reserved(fn, n);
    j->status = n >= 0 ? 200 : 204;
    j->reply_reserved = n >= 0;
    j->empty_reply = n < 0;
    lambda_job_start(j);
}
