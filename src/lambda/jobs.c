/* SPDX-License-Identifier: MIT */
/*
 * The write path of the Lambda control plane. Each handler validates on the
 * loop thread (cheap), then does the blocking part (base64 decode, hashing
 * and unpacking the zip, the store write) in a worker job, and applies the
 * result to the in-memory catalog when the job completes back on the loop.
 * The catalog is only ever changed on the loop, after the store has
 * committed, so what a reader sees has been made durable. Also: names with a
 * write in progress, code-package garbage collection, shared request helpers.
 */
#include "jobs.h"

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
#include "lambda/invoke.h"
#include "store/blob.h"
#include "store/store.h"

/* ---- names with a write in progress ---- */

bool lambda_is_busy(const struct lambda_api *api, const char *name)
{
    for (size_t i = 0; i < api->nbusy; i++)
        if (strcmp(api->busy[i], name) == 0)
            return true;
    return false;
}

void lambda_set_busy(struct lambda_api *api, const char *name)
{
    char **b = realloc(api->busy, (api->nbusy + 1) * sizeof(*b));
    if (b == NULL || (b[api->nbusy] = strdup(name)) == NULL)
        abort();
    api->busy = b;
    api->nbusy++;
}

void lambda_clear_busy(struct lambda_api *api, const char *name)
{
    for (size_t i = 0; i < api->nbusy; i++) {
        if (strcmp(api->busy[i], name) == 0) {
            free(api->busy[i]);
            api->busy[i] = api->busy[--api->nbusy];
            return;
        }
    }
}

/* Sum of the reserved concurrency of every function but skip (may be NULL). */
int lambda_reserved_sum(const struct lambda_api *api, const char *skip)
{
    int sum = 0;
    for (size_t i = 0; i < api->cat->len; i++) {
        const struct function *f = api->cat->fns[i];
        if (f->reserved > 0 && (skip == NULL || strcmp(f->name, skip) != 0))
            sum += f->reserved;
    }
    return sum;
}

void lambda_update_reserved_total(struct lambda_api *api)
{
    sched_set_reserved_total(api->sched, (unsigned)lambda_reserved_sum(api, NULL));
}

/* ---- a write job ---- */

void lambda_job_free(struct job *j)
{
    function_unref(j->published);
    for (size_t i = 0; i < j->nkeys; i++)
        free(j->keys[i]);
    free(j->keys);
    function_unref(j->fn);
    free(j->store_json);
    cJSON_Delete(j->body);
    free(j);
}

/* Worker: decode and store the zip (if any), then write the configuration. */

/* Worker: stores published version fn and the function's version counter
 * (key "name!"), so numbers are not reused after a restart. */
static int store_version(struct store *st, const struct function *fn)
{
    char key[FN_NAME_MAX + 16], counter[64];
    snprintf(key, sizeof(key), "%s:%s", fn->name, fn->version);
    char *json = function_store_json(fn);
    int rc = store_doc_put(st, LAMBDA_DOC_NS, key, json, STORE_REV_ANY, NULL);
    free(json);
    snprintf(key, sizeof(key), "%s!", fn->name);
    snprintf(counter, sizeof(counter), "{\"LastVersion\":%s}", fn->version);
    return rc != 0 ? rc : store_doc_put(st, LAMBDA_DOC_NS, key, counter, STORE_REV_ANY, NULL);
}

/* Worker: a version or alias write, under its own store key. */
static void qualified_work(struct job *j)
{
    switch (j->kind) {
    case J_VERSION_ADD:
        j->rc = store_version(j->api->st, j->fn);
        break;
    case J_ALIAS_PUT:
        j->store_json = alias_store_json(&j->alias);
        j->rc =
            store_doc_put(j->api->st, LAMBDA_DOC_NS, j->key, j->store_json, STORE_REV_ANY, NULL);
        break;
    default:
        /* A deleted version or alias takes its event invoke configuration along. */
        j->rc = store_doc_delete(j->api->st, LAMBDA_DOC_NS, j->key, STORE_REV_ANY);
        if (j->rc == 0) {
            char eic[FN_NAME_MAX + FN_QUALIFIER_MAX + 2];
            snprintf(eic, sizeof(eic), LAMBDA_EIC_KEY_FMT, j->name,
                     j->kind == J_VERSION_DELETE ? j->alias.version : j->alias.name);
            j->rc = store_doc_delete(j->api->st, LAMBDA_EIC_NS, eic, STORE_REV_ANY);
        }
        if (j->rc == 0 && j->kind == J_ALIAS_DELETE) { /* and an alias its function URL */
            char key[FN_NAME_MAX + FN_QUALIFIER_MAX + 2];
            furl_store_key(j->name, j->alias.name, key, sizeof(key));
            j->rc = store_doc_delete(j->api->st, LAMBDA_DOC_NS, key, STORE_REV_ANY);
        }
        break;
    }
    if (j->rc != 0)
        snprintf(j->msg, sizeof(j->msg), "The store could not be written: %s", err_str(j->rc));
}

static void job_work(void *arg)
{
    struct job *j = arg;
    if (j->kind != J_LATEST) {
        qualified_work(j);
        return;
    }
    if (j->zip_b64 != NULL) {
        unsigned char *zip;
        size_t len;
        int rc = b64_decode(j->zip_b64, j->zip_b64_len, &zip, &len);
        if (rc != 0) {
            j->rc = ERR_INVALID_CONTENT;
            snprintf(j->msg, sizeof(j->msg),
                     "Could not parse request body into json: ZipFile is not valid base64");
            return;
        }
        struct blob_digest d;
        rc = blob_put(j->api->bs, zip, len, FN_UNZIPPED_MAX_BYTES, &d);
        free(zip);
        if (rc != 0) {
            j->rc = rc;
            snprintf(j->msg, sizeof(j->msg), "%s", err_str(rc));
            return;
        }
        struct function *fn = function_with_code(j->fn, d.hex, d.b64, (int64_t)len);
        function_unref(j->fn);
        j->fn = fn;
    }
    if (j->fn != NULL) {
        j->store_json = function_store_json(j->fn);
        j->rc = store_doc_put(j->api->st, LAMBDA_DOC_NS, j->fn->name, j->store_json, STORE_REV_ANY,
                              NULL);
        if (j->rc == 0 && j->publish > 0) {
            j->published = function_publish(j->fn, j->publish, NULL);
            j->rc = store_version(j->api->st, j->published);
        }
    } else {
        j->rc = store_doc_delete(j->api->st, LAMBDA_DOC_NS, j->name, STORE_REV_ANY);
        for (size_t i = 0; j->rc == 0 && i < j->nkeys; i++)
            j->rc = store_doc_delete(j->api->st, LAMBDA_DOC_NS, j->keys[i], STORE_REV_ANY);
        /* Its queued async events and event invoke configurations go too. */
        char eics[FN_NAME_MAX + 2];
        snprintf(eics, sizeof(eics), LAMBDA_EIC_KEY_FMT, j->name, "");
        struct store_op drop[2] = {
            {.kind = STORE_Q_PURGE, .q = {.queue = LAMBDA_ASYNC_QUEUE, .group = j->name}},
            {.kind = STORE_DOC_DELETE_PREFIX, .doc = {.ns = LAMBDA_EIC_NS, .key = eics}},
        };
        if (j->rc == 0)
            j->rc = store_apply(j->api->st, drop, 2, NULL);
    }
    if (j->rc != 0 && j->msg[0] == '\0')
        snprintf(j->msg, sizeof(j->msg), "The store could not be written: %s", err_str(j->rc));
}

/* Loop: apply the committed change and answer. */
static void job_done(void *arg)
{
    struct job *j = arg;
    struct lambda_api *api = j->api;
    lambda_clear_busy(api, j->name);
    if (j->rc != 0) {
        aws_send_error(j->req, j->rc, "%s", j->msg);
        lambda_job_free(j);
        return;
    }
    if (j->kind != J_LATEST) {
        j->applied(j);
        lambda_job_free(j);
        return;
    }
    struct function *old = catalog_find(api->cat, j->name);
    char old_hex[65] = "";
    if (old != NULL)
        memcpy(old_hex, old->code_hex, sizeof(old_hex));
    if (j->fn != NULL) {
        catalog_put(api->cat, j->fn);
        lambda_update_reserved_total(api);
        catalog_notify_changed(api->cat, j->name, j->fn);
        if (j->published != NULL)
            catalog_add_version(api->cat, j->published);
        if (j->published != NULL) {
            cJSON *out = function_config_json(j->published);
            aws_send_json_take(j->req, j->status, out);
        } else if (j->empty_reply) {
            aws_send_empty(j->req, j->status);
        } else if (j->reply_reserved) {
            cJSON *out = cJSON_CreateObject();
            cJSON_AddNumberToObject(out, "ReservedConcurrentExecutions", j->fn->reserved);
            aws_send_json_take(j->req, j->status, out);
        } else {
            cJSON *out = function_config_json(j->fn);
            aws_send_json_take(j->req, j->status, out);
        }
        if (old_hex[0] != '\0' && strcmp(old_hex, j->fn->code_hex) != 0)
            lambda_gc_code(api, old_hex);
    } else {
        struct catalog_versions *vers = catalog_versions(api->cat, j->name);
        for (size_t i = 0; vers != NULL && i < vers->n; i++) {
            char key[FN_NAME_MAX + 16];
            snprintf(key, sizeof(key), "%s:%s", j->name, vers->v[i]->version);
            catalog_notify_changed(api->cat, key, NULL);
        }
        catalog_remove(api->cat, j->name);
        lambda_update_reserved_total(api);
        catalog_notify_changed(api->cat, j->name, NULL);
        catalog_eic_remove(api->cat, j->name, NULL);
        catalog_furl_remove(api->cat, j->name, NULL);
        for (size_t i = 0; i < api->npcs;)
            if (strcmp(api->pcs[i].name, j->name) == 0)
                api->pcs[i] = api->pcs[--api->npcs];
            else
                i++;
        catalog_notify_deleted(api->cat, j->name);
        aws_send_empty(j->req, j->status);
        if (old_hex[0] != '\0')
            lambda_gc_code(api, old_hex);
    }
    lambda_job_free(j);
}

struct gc {
    struct lambda_api *api;
    char hex[65];
};

static void gc_work(void *arg)
{
    struct gc *g = arg;
    blob_remove(g->api->bs, g->hex);
}

/* True if fn runs code package hex, as its code or one of its layers. */
static bool uses_code(const struct function *fn, const char *hex)
{
    if (strcmp(fn->code_hex, hex) == 0)
        return true;
    for (int i = 0; i < fn->nlayers; i++)
        if (strcmp(fn->layers[i].hex, hex) == 0)
            return true;
    return false;
}

/* Removes a code package that no function, version or layer uses anymore. */
void lambda_gc_code(struct lambda_api *api, const char *hex)
{
    for (size_t i = 0; i < api->cat->len; i++) {
        if (strcmp(api->cat->fns[i]->code_hex, hex) == 0)
            return;
        const struct catalog_versions *v = &api->cat->vers[i];
        for (size_t k = 0; k < v->n; k++)
            if (uses_code(v->v[k], hex))
                return;
        if (uses_code(api->cat->fns[i], hex))
            return;
    }
    for (size_t i = 0; i < api->cat->layers.n; i++)
        if (strcmp(api->cat->layers.v[i]->hex, hex) == 0)
            return;
    struct gc *g = xcalloc(1, sizeof(*g));
    g->api = api;
    memcpy(g->hex, hex, sizeof(g->hex));
    worker_submit(api->wp, gc_work, free, g);
}

struct job *lambda_job_new(struct lambda_api *api, h2o_req_t *req, const char *name)
{
    struct job *j = xcalloc(1, sizeof(*j));
    j->api = api;
    j->req = req;
    snprintf(j->name, sizeof(j->name), "%s", name);
    return j;
}

void lambda_job_start(struct job *j)
{
    lambda_set_busy(j->api, j->name);
    worker_submit(j->api->wp, job_work, job_done, j);
}

/* ---- helpers ---- */

cJSON *lambda_parse_body(h2o_req_t *req, size_t max, const char *op)
{
    if (req->entity.len > max) {
        aws_send_error(req, ERR_TOO_LARGE,
                       "Request must be smaller than %zu bytes for the %s "
                       "operation",
                       max, op);
        return NULL;
    }
    cJSON *body =
        cJSON_ParseWithLength(req->entity.base != NULL ? req->entity.base : "", req->entity.len);
    if (body == NULL || !cJSON_IsObject(body)) {
        cJSON_Delete(body);
        aws_send_error(req, ERR_INVALID_CONTENT,
                       "Could not parse request body into json: the body is not a JSON object");
        return NULL;
    }
    return body;
}

void lambda_send_in_progress(h2o_req_t *req, const struct function *fn)
{
    aws_send_error(req, ERR_CONFLICT,
                   "The operation cannot be performed at this time. An update is in progress "
                   "for resource: %s",
                   fn->arn);
}

/* Checks RevisionId (if given) against fn; sends 412 and returns false on mismatch. */
bool lambda_revision_ok(h2o_req_t *req, const cJSON *body, const struct function *fn)
{
    const cJSON *rev = cJSON_GetObjectItemCaseSensitive(body, "RevisionId");
    if (!cJSON_IsString(rev) || strcmp(rev->valuestring, fn->revision_id) == 0)
        return true;
    aws_send_error(req, ERR_PRECONDITION,
                   "The Revision Id provided does not match the latest Revision Id. Call the "
                   "GetFunction/GetAlias API to retrieve the latest Revision Id");
    return false;
}

/* Takes the ZipFile of a Code object (or UpdateFunctionCode body) into j. */
bool lambda_take_zip(h2o_req_t *req, const cJSON *code, struct job *j)
{
    const cJSON *zip = cJSON_GetObjectItemCaseSensitive(code, "ZipFile");
    if (cJSON_IsString(zip)) {
        j->zip_b64 = zip->valuestring;
        j->zip_b64_len = strlen(zip->valuestring);
        return true;
    }
    if (cJSON_GetObjectItemCaseSensitive(code, "S3Bucket") != NULL)
        aws_send_error(req, ERR_INVALID_PARAMETER,
                       "lambdad does not serve S3 yet: upload the package with ZipFile.");
    else if (cJSON_GetObjectItemCaseSensitive(code, "ImageUri") != NULL)
        aws_send_error(req, ERR_INVALID_PARAMETER,
                       "PackageType Image is not supported by lambdad; use a Zip package.");
    else
        aws_send_error(req, ERR_INVALID_PARAMETER, "Please provide a source for function code.");
    return false;
}

/* Fills in the code packages of fn's layers (a snapshot being built) from
 * the layer registry; sends InvalidParameterValueException and returns false
 * for a layer version that does not exist. */
bool lambda_bind_layers(struct lambda_api *api, h2o_req_t *req, struct function *fn)
{
    for (int i = 0; i < fn->nlayers; i++) {
        char name[LAYER_NAME_MAX + 1];
        int version;
        const struct layer_version *l = layers_parse_arn(fn->layers[i].arn, name, &version) == 0
                                            ? layers_find(&api->cat->layers, name, version)
                                            : NULL;
        if (l == NULL) {
            aws_send_error(req, ERR_INVALID_PARAMETER, "Layer version %s does not exist.",
                           fn->layers[i].arn);
            return false;
        }
        for (int k = 0; k < i; k++) {
            char other[LAYER_NAME_MAX + 1];
            int ov;
            if (layers_parse_arn(fn->layers[k].arn, other, &ov) == 0 && strcmp(other, name) == 0) {
                aws_send_error(req, ERR_INVALID_PARAMETER,
                               "Two different versions of the same layer are not allowed to be "
                               "referenced in the same function. %s and %s are versions of the "
                               "same layer.",
                               fn->layers[k].arn, fn->layers[i].arn);
                return false;
            }
        }
        memcpy(fn->layers[i].hex, l->hex, sizeof(fn->layers[i].hex));
        fn->layers[i].size = l->size;
    }
    return true;
}

/* Resolves path segment 2 as a function; sends the error and returns NULL. */
struct function *lambda_resolve(struct lambda_api *api, h2o_req_t *req, const char *seg,
                                char qual[FN_QUALIFIER_MAX + 1])
{
    struct fn_ref ref;
    if (arn_parse_function(seg, strlen(seg), &ref) != 0) {
        aws_send_error(req, ERR_VALIDATION,
                       "1 validation error detected: Value '%.140s' at 'functionName' failed to "
                       "satisfy constraint: Member must satisfy regular expression pattern: %s",
                       seg, arn_function_pattern);
        return NULL;
    }
    struct function *fn;
    if (lambda_resolve_ref(api, req, &ref, false, &fn, qual) != 0)
        return NULL;
    return fn;
}

/* Reads MaxItems (1..model_max, served at most FN_LIST_MAX_ITEMS per page)
 * and Marker ("" when absent). Sends ValidationException and returns false
 * for a bad MaxItems. */
bool lambda_page_params(h2o_req_t *req, long model_max, long *max, char *marker, size_t cap)
{
    char num[32];
    *max = FN_LIST_MAX_ITEMS;
    if (http_query(req, "MaxItems", num, sizeof(num)) >= 0) {
        char *end;
        *max = strtol(num, &end, 10);
        if (*end != '\0' || *max < 1 || *max > model_max) {
            aws_send_error(req, ERR_VALIDATION,
                           "1 validation error detected: Value '%.16s' at 'maxItems' failed to "
                           "satisfy constraint: Member must have value between 1 and %ld",
                           num, model_max);
            return false;
        }
        if (*max > FN_LIST_MAX_ITEMS)
            *max = FN_LIST_MAX_ITEMS;
    }
    if (http_query(req, "Marker", marker, cap) < 0)
        marker[0] = '\0';
    return true;
}
