/* SPDX-License-Identifier: MIT */
/*
 * Lambda control plane. Each handler validates on the loop thread (cheap),
 * then does the blocking part (base64 decode, hashing and unpacking the zip,
 * the store write) in a worker job, and applies the result to the in-memory
 * catalog when the job completes back on the loop. The catalog is only ever
 * changed on the loop, after the store has committed, so what a reader sees
 * has been made durable.
 */
#include "api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aws/awserr.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/util.h"
#include "base/worker.h"
#include "invoke/sched.h"
#include "lambda/function.h"
#include "store/blob.h"
#include "store/store.h"

/* ---- names with a write in progress ---- */

static bool is_busy(const struct lambda_api *api, const char *name)
{
    for (size_t i = 0; i < api->nbusy; i++)
        if (strcmp(api->busy[i], name) == 0)
            return true;
    return false;
}

static void set_busy(struct lambda_api *api, const char *name)
{
    char **b = realloc(api->busy, (api->nbusy + 1) * sizeof(*b));
    if (b == NULL || (b[api->nbusy] = strdup(name)) == NULL)
        abort();
    api->busy = b;
    api->nbusy++;
}

static void clear_busy(struct lambda_api *api, const char *name)
{
    for (size_t i = 0; i < api->nbusy; i++) {
        if (strcmp(api->busy[i], name) == 0) {
            free(api->busy[i]);
            api->busy[i] = api->busy[--api->nbusy];
            return;
        }
    }
}

/* ---- event invoke configurations in memory ---- */

static struct lambda_eic *eic_find(const struct lambda_api *api, const char *name, const char *qual)
{
    for (size_t i = 0; i < api->neics; i++)
        if (strcmp(api->eics[i].name, name) == 0 && strcmp(api->eics[i].qualifier, qual) == 0)
            return &api->eics[i];
    return NULL;
}

const struct eic *lambda_api_eic(const struct lambda_api *api, const char *name, const char *qual)
{
    const struct lambda_eic *e = eic_find(api, name, qual);
    return e != NULL ? &e->eic : NULL;
}

static void eic_set(struct lambda_api *api, const char *name, const char *qual, const struct eic *e)
{
    struct lambda_eic *slot = eic_find(api, name, qual);
    if (slot == NULL) {
        struct lambda_eic *a = realloc(api->eics, (api->neics + 1) * sizeof(*a));
        if (a == NULL)
            abort();
        api->eics = a;
        slot = &a[api->neics++];
        snprintf(slot->name, sizeof(slot->name), "%s", name);
        snprintf(slot->qualifier, sizeof(slot->qualifier), "%s", qual);
    }
    slot->eic = *e;
}

/* Forgets the configuration of name:qual, or every one of name (qual NULL). */
static void eic_remove(struct lambda_api *api, const char *name, const char *qual)
{
    for (size_t i = 0; i < api->neics;)
        if (strcmp(api->eics[i].name, name) == 0 &&
            (qual == NULL || strcmp(api->eics[i].qualifier, qual) == 0))
            api->eics[i] = api->eics[--api->neics];
        else
            i++;
}

/* Sum of the reserved concurrency of every function but skip (may be NULL). */
static int reserved_sum(const struct lambda_api *api, const char *skip)
{
    int sum = 0;
    for (size_t i = 0; i < api->cat.len; i++) {
        const struct function *f = api->cat.fns[i];
        if (f->reserved > 0 && (skip == NULL || strcmp(f->name, skip) != 0))
            sum += f->reserved;
    }
    return sum;
}

static void update_reserved_total(struct lambda_api *api)
{
    sched_set_reserved_total(api->sched, (unsigned)reserved_sum(api, NULL));
}

/* ---- a write job ---- */

struct job {
    struct lambda_api *api;
    h2o_req_t *req;
    int status;          /* HTTP status on success */
    struct function *fn; /* the new snapshot (a reference), or NULL for delete */
    char name[FN_NAME_MAX + 1];
    const char *zip_b64; /* borrowed from the request body */
    size_t zip_b64_len;
    char *store_json; /* what the worker writes */
    cJSON *body;      /* the parsed request (owned) */
    int rc;
    char msg[512];
    bool create;
    bool empty_reply;    /* answer with no body (tag operations) */
    bool reply_reserved; /* answer {ReservedConcurrentExecutions} */
    enum { J_LATEST, J_VERSION_ADD, J_VERSION_DELETE, J_ALIAS_PUT, J_ALIAS_DELETE } kind;
    char key[FN_NAME_MAX + FN_QUALIFIER_MAX + 2]; /* store key of a version or alias */
    char **keys; /* deleting a function: the store keys of its versions and aliases */
    size_t nkeys;
    struct alias alias;         /* J_ALIAS_PUT / J_ALIAS_DELETE */
    int publish;                /* Publish: true on Create/UpdateFunctionCode: the version number */
    struct function *published; /* that version, once stored */
};

static void job_free(struct job *j)
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
static char *alias_store_json(const struct alias *a);

/* Worker: stores published version fn and the function's version counter
 * (key "name!"), so numbers are not reused after a restart. */
static int store_version(struct store *st, const struct function *fn)
{
    char key[FN_NAME_MAX + 16], counter[64];
    snprintf(key, sizeof(key), "%s:%s", fn->name, fn->version);
    char *json = function_store_json(fn);
    int rc = store_fn_put(st, key, json);
    free(json);
    snprintf(key, sizeof(key), "%s!", fn->name);
    snprintf(counter, sizeof(counter), "{\"LastVersion\":%s}", fn->version);
    return rc != 0 ? rc : store_fn_put(st, key, counter);
}

static void furl_key(const char *name, const char *qual, char *buf, size_t cap);
static void furl_remove(struct lambda_api *api, const char *name, const char *qual);

/* Worker: a version or alias write, under its own store key. */
static void qualified_work(struct job *j)
{
    switch (j->kind) {
    case J_VERSION_ADD:
        j->rc = store_version(j->api->st, j->fn);
        break;
    case J_ALIAS_PUT:
        j->store_json = alias_store_json(&j->alias);
        j->rc = store_fn_put(j->api->st, j->key, j->store_json);
        break;
    default:
        /* A deleted version or alias takes its event invoke configuration along. */
        j->rc = store_fn_delete(j->api->st, j->key);
        if (j->rc == 0)
            j->rc =
                store_eic_delete(j->api->st, j->name,
                                 j->kind == J_VERSION_DELETE ? j->alias.version : j->alias.name);
        if (j->rc == 0 && j->kind == J_ALIAS_DELETE) { /* and an alias its function URL */
            char key[FN_NAME_MAX + FN_QUALIFIER_MAX + 2];
            furl_key(j->name, j->alias.name, key, sizeof(key));
            j->rc = store_fn_delete(j->api->st, key);
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
        j->rc = store_fn_put(j->api->st, j->fn->name, j->store_json);
        if (j->rc == 0 && j->publish > 0) {
            j->published = function_publish(j->fn, j->publish, NULL);
            j->rc = store_version(j->api->st, j->published);
        }
    } else {
        j->rc = store_fn_delete(j->api->st, j->name);
        for (size_t i = 0; j->rc == 0 && i < j->nkeys; i++)
            j->rc = store_fn_delete(j->api->st, j->keys[i]);
        struct store_async_op drop = {.kind = STORE_ASYNC_DROP_FN, .fn = j->name};
        if (j->rc == 0)
            j->rc = store_async_apply(j->api->st, &drop, 1);
    }
    if (j->rc != 0 && j->msg[0] == '\0')
        snprintf(j->msg, sizeof(j->msg), "The store could not be written: %s", err_str(j->rc));
}

static void gc_code(struct lambda_api *api, const char *hex);
static void qualified_done(struct job *j);

/* Loop: apply the committed change and answer. */
static void job_done(void *arg)
{
    struct job *j = arg;
    struct lambda_api *api = j->api;
    clear_busy(api, j->name);
    if (j->rc != 0) {
        aws_send_error(j->req, j->rc, "%s", j->msg);
        job_free(j);
        return;
    }
    if (j->kind != J_LATEST) {
        qualified_done(j);
        job_free(j);
        return;
    }
    struct function *old = catalog_find(&api->cat, j->name);
    char old_hex[65] = "";
    if (old != NULL)
        memcpy(old_hex, old->code_hex, sizeof(old_hex));
    if (j->fn != NULL) {
        catalog_put(&api->cat, j->fn);
        update_reserved_total(api);
        sched_function_changed(api->sched, j->name, j->fn);
        if (j->published != NULL)
            catalog_add_version(&api->cat, j->published);
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
            gc_code(api, old_hex);
    } else {
        struct catalog_versions *vers = catalog_versions(&api->cat, j->name);
        for (size_t i = 0; vers != NULL && i < vers->n; i++) {
            char key[FN_NAME_MAX + 16];
            snprintf(key, sizeof(key), "%s:%s", j->name, vers->v[i]->version);
            sched_function_changed(api->sched, key, NULL);
        }
        catalog_remove(&api->cat, j->name);
        update_reserved_total(api);
        sched_function_changed(api->sched, j->name, NULL);
        eic_remove(api, j->name, NULL);
        furl_remove(api, j->name, NULL);
        for (size_t i = 0; i < api->npcs;)
            if (strcmp(api->pcs[i].name, j->name) == 0)
                api->pcs[i] = api->pcs[--api->npcs];
            else
                i++;
        if (api->on_deleted != NULL)
            api->on_deleted(api->on_deleted_arg, j->name);
        aws_send_empty(j->req, j->status);
        if (old_hex[0] != '\0')
            gc_code(api, old_hex);
    }
    job_free(j);
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
static void gc_code(struct lambda_api *api, const char *hex)
{
    for (size_t i = 0; i < api->cat.len; i++) {
        if (strcmp(api->cat.fns[i]->code_hex, hex) == 0)
            return;
        const struct catalog_versions *v = &api->cat.vers[i];
        for (size_t k = 0; k < v->n; k++)
            if (uses_code(v->v[k], hex))
                return;
        if (uses_code(api->cat.fns[i], hex))
            return;
    }
    for (size_t i = 0; i < api->layers.n; i++)
        if (strcmp(api->layers.v[i]->hex, hex) == 0)
            return;
    struct gc *g = calloc(1, sizeof(*g));
    if (g == NULL)
        abort();
    g->api = api;
    memcpy(g->hex, hex, sizeof(g->hex));
    worker_submit(api->wp, gc_work, free, g);
}

static struct job *job_new(struct lambda_api *api, h2o_req_t *req, const char *name)
{
    struct job *j = calloc(1, sizeof(*j));
    if (j == NULL)
        abort();
    j->api = api;
    j->req = req;
    snprintf(j->name, sizeof(j->name), "%s", name);
    return j;
}

static void job_start(struct job *j)
{
    set_busy(j->api, j->name);
    worker_submit(j->api->wp, job_work, job_done, j);
}

/* ---- helpers ---- */

static cJSON *parse_body(h2o_req_t *req, size_t max, const char *op)
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

static void send_in_progress(h2o_req_t *req, const struct function *fn)
{
    aws_send_error(req, ERR_CONFLICT,
                   "The operation cannot be performed at this time. An update is in progress "
                   "for resource: %s",
                   fn->arn);
}

/* Checks RevisionId (if given) against fn; sends 412 and returns false on mismatch. */
static bool revision_ok(h2o_req_t *req, const cJSON *body, const struct function *fn)
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
static bool take_zip(h2o_req_t *req, const cJSON *code, struct job *j)
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
static bool bind_layers(struct lambda_api *api, h2o_req_t *req, struct function *fn)
{
    for (int i = 0; i < fn->nlayers; i++) {
        char name[LAYER_NAME_MAX + 1];
        int version;
        const struct layer_version *l = layers_parse_arn(fn->layers[i].arn, name, &version) == 0
                                            ? layers_find(&api->layers, name, version)
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

/* ---- operations ---- */

static void create_function(struct lambda_api *api, h2o_req_t *req)
{
    cJSON *body = parse_body(req, API_CODE_REQUEST_MAX_BYTES, "CreateFunction");
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
    if (!bind_layers(api, req, fn)) {
        function_unref(fn);
        cJSON_Delete(body);
        return;
    }
    if (catalog_find(&api->cat, fn->name) != NULL || is_busy(api, fn->name)) {
        aws_send_error(req, ERR_CONFLICT, "Function already exist: %s", fn->name);
        function_unref(fn);
        cJSON_Delete(body);
        return;
    }
    struct job *j = job_new(api, req, fn->name);
    j->fn = fn;
    j->body = body;
    j->status = 201;
    j->create = true;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "Publish")))
        j->publish = 1;
    if (!take_zip(req, cJSON_GetObjectItemCaseSensitive(body, "Code"), j)) {
        job_free(j);
        return;
    }
    if (catalog_code_bytes(&api->cat) + (int64_t)(j->zip_b64_len / 4 * 3) >
        FN_CODE_STORAGE_MAX_BYTES) {
        aws_send_error(req, ERR_CODE_STORAGE, "Code storage limit exceeded.");
        job_free(j);
        return;
    }
    job_start(j);
}

static void update_code(struct lambda_api *api, h2o_req_t *req, struct function *fn)
{
    cJSON *body = parse_body(req, API_CODE_REQUEST_MAX_BYTES, "UpdateFunctionCode");
    if (body == NULL)
        return;
    if (!revision_ok(req, body, fn)) {
        cJSON_Delete(body);
        return;
    }
    struct job *j = job_new(api, req, fn->name);
    j->fn = function_ref(fn);
    j->body = body;
    j->status = 200;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "Publish"))) {
        const struct catalog_versions *v = catalog_versions(&api->cat, fn->name);
        j->publish = (v != NULL ? v->last : 0) + 1;
    }
    if (!take_zip(req, body, j)) {
        job_free(j);
        return;
    }
    job_start(j);
}

static void update_config(struct lambda_api *api, h2o_req_t *req, struct function *fn)
{
    cJSON *body = parse_body(req, API_JSON_REQUEST_MAX_BYTES, "UpdateFunctionConfiguration");
    if (body == NULL)
        return;
    if (!revision_ok(req, body, fn)) {
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
    if (layers && !bind_layers(api, req, nf)) {
        function_unref(nf);
        return;
    }
    struct job *j = job_new(api, req, fn->name);
    j->fn = nf;
    j->status = 200;
    job_start(j);
}

static void delete_version(struct lambda_api *api, h2o_req_t *req, struct function *ver);

static void delete_function(struct lambda_api *api, h2o_req_t *req, struct function *fn,
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
        delete_version(api, req, fn);
        return;
    }
    struct job *j = job_new(api, req, fn->name);
    j->status = 204;
    /* The versions and aliases go with the function. */
    struct catalog_versions *v = catalog_versions(&api->cat, fn->name);
    size_t n = (v != NULL ? v->n + v->naliases : 0) + 1;
    if ((j->keys = calloc(n, sizeof(*j->keys))) == NULL)
        abort();
    for (size_t i = 0; i < api->npcs; i++)
        if (strcmp(api->pcs[i].name, fn->name) == 0)
            n++;
    for (size_t i = 0; i < api->nfurls; i++)
        if (strcmp(api->furls[i].name, fn->name) == 0)
            n++;
    char **keys = realloc(j->keys, n * sizeof(*keys));
    if (keys == NULL)
        abort();
    j->keys = keys;
    for (size_t i = 0; i < api->npcs; i++) {
        if (strcmp(api->pcs[i].name, fn->name) != 0)
            continue;
        char key[FN_NAME_MAX + FN_QUALIFIER_MAX + 2];
        snprintf(key, sizeof(key), "%s%%%s", fn->name, api->pcs[i].qualifier);
        if ((j->keys[j->nkeys++] = strdup(key)) == NULL)
            abort();
    }
    for (size_t i = 0; i < api->nfurls; i++) {
        if (strcmp(api->furls[i].name, fn->name) != 0)
            continue;
        char key[FN_NAME_MAX + FN_QUALIFIER_MAX + 2];
        furl_key(fn->name, api->furls[i].qualifier, key, sizeof(key));
        if ((j->keys[j->nkeys++] = strdup(key)) == NULL)
            abort();
    }
    char counter[FN_NAME_MAX + 2];
    snprintf(counter, sizeof(counter), "%s!", fn->name);
    if ((j->keys[j->nkeys++] = strdup(counter)) == NULL)
        abort();
    for (size_t i = 0; v != NULL && i < v->n + v->naliases; i++) {
        char key[FN_NAME_MAX + FN_QUALIFIER_MAX + 2];
        if (i < v->n)
            snprintf(key, sizeof(key), "%s:%s", fn->name, v->v[i]->version);
        else
            snprintf(key, sizeof(key), "%s@%s", fn->name, v->aliases[i - v->n].name);
        if ((j->keys[j->nkeys++] = strdup(key)) == NULL)
            abort();
    }
    job_start(j);
}

static void get_function(struct lambda_api *api, h2o_req_t *req, struct function *fn, bool full)
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

/* Reads MaxItems (1..model_max, served at most FN_LIST_MAX_ITEMS per page)
 * and Marker ("" when absent). Sends ValidationException and returns false
 * for a bad MaxItems. */
static bool page_params(h2o_req_t *req, long model_max, long *max, char *marker, size_t cap)
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

static void list_functions(struct lambda_api *api, h2o_req_t *req)
{
    char marker[256];
    long max;
    if (!page_params(req, 10000, &max, marker, sizeof(marker)))
        return;
    size_t i = marker[0] ? catalog_after(&api->cat, marker) : 0;
    cJSON *out = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(out, "Functions");
    long count = 0;
    for (; i < api->cat.len && count < max; i++, count++)
        cJSON_AddItemToArray(arr, function_config_json(api->cat.fns[i]));
    if (i < api->cat.len)
        cJSON_AddStringToObject(out, "NextMarker", api->cat.fns[i - 1]->name);
    aws_send_json_take(req, 200, out);
}

static void account_settings(struct lambda_api *api, h2o_req_t *req)
{
    cJSON *out = cJSON_CreateObject();
    cJSON *lim = cJSON_AddObjectToObject(out, "AccountLimit");
    cJSON_AddNumberToObject(lim, "TotalCodeSize", (double)FN_CODE_STORAGE_MAX_BYTES);
    cJSON_AddNumberToObject(lim, "CodeSizeUnzipped", FN_UNZIPPED_MAX_BYTES);
    cJSON_AddNumberToObject(lim, "CodeSizeZipped", FN_ZIP_MAX_BYTES);
    cJSON_AddNumberToObject(lim, "ConcurrentExecutions", api->account_concurrency);
    cJSON_AddNumberToObject(lim, "UnreservedConcurrentExecutions",
                            api->account_concurrency - reserved_sum(api, NULL));
    cJSON *use = cJSON_AddObjectToObject(out, "AccountUsage");
    cJSON_AddNumberToObject(use, "TotalCodeSize", (double)catalog_code_bytes(&api->cat));
    cJSON_AddNumberToObject(use, "FunctionCount", (double)api->cat.len);
    aws_send_json_take(req, 200, out);
}

static void serve_code(struct lambda_api *api, h2o_req_t *req, const char *file)
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
static void tags_op(struct lambda_api *api, h2o_req_t *req, struct function *fn)
{
    if (http_method_is(req, "GET")) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddItemToObject(
            out, "Tags", fn->tags != NULL ? cJSON_Duplicate(fn->tags, 1) : cJSON_CreateObject());
        aws_send_json_take(req, 200, out);
        return;
    }
    if (is_busy(api, fn->name)) {
        send_in_progress(req, fn);
        return;
    }
    struct job *j = job_new(api, req, fn->name);
    j->status = 204;
    j->empty_reply = true;
    if (http_method_is(req, "POST")) {
        cJSON *body = parse_body(req, API_JSON_REQUEST_MAX_BYTES, "TagResource");
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
            job_free(j);
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
            job_free(j);
            return;
        }
        j->fn = function_with_tags(fn, NULL, keys);
        cJSON_Delete(keys);
    }
    job_start(j);
}

/* ---- versions and aliases ---- */

static const char *alias_arn(const struct function *fn, const char *alias, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s:%.128s", fn->arn, alias);
    return buf;
}

static cJSON *alias_json(const struct function *fn, const struct alias *a)
{
    char arn[400];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "AliasArn", alias_arn(fn, a->name, arn, sizeof(arn)));
    cJSON_AddStringToObject(o, "Name", a->name);
    cJSON_AddStringToObject(o, "FunctionVersion", a->version);
    cJSON_AddStringToObject(o, "Description", a->description);
    if (a->extra_version[0] != '\0') {
        cJSON *rc = cJSON_AddObjectToObject(o, "RoutingConfig");
        cJSON *w = cJSON_AddObjectToObject(rc, "AdditionalVersionWeights");
        cJSON_AddNumberToObject(w, a->extra_version, a->extra_weight);
    }
    cJSON_AddStringToObject(o, "RevisionId", a->revision_id);
    return o;
}

static char *alias_store_json(const struct alias *a)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "Name", a->name);
    cJSON_AddStringToObject(o, "FunctionVersion", a->version);
    cJSON_AddStringToObject(o, "Description", a->description);
    cJSON_AddStringToObject(o, "ExtraVersion", a->extra_version);
    cJSON_AddNumberToObject(o, "ExtraWeight", a->extra_weight);
    cJSON_AddStringToObject(o, "RevisionId", a->revision_id);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text == NULL)
        abort();
    return text;
}

static int alias_from_store(const char *json, struct alias *out)
{
    cJSON *o = cJSON_Parse(json);
    const char *n = o ? cJSON_GetStringValue(cJSON_GetObjectItem(o, "Name")) : NULL;
    const char *v = o ? cJSON_GetStringValue(cJSON_GetObjectItem(o, "FunctionVersion")) : NULL;
    const char *d = o ? cJSON_GetStringValue(cJSON_GetObjectItem(o, "Description")) : NULL;
    const char *x = o ? cJSON_GetStringValue(cJSON_GetObjectItem(o, "ExtraVersion")) : NULL;
    const char *r = o ? cJSON_GetStringValue(cJSON_GetObjectItem(o, "RevisionId")) : NULL;
    const cJSON *w = o ? cJSON_GetObjectItem(o, "ExtraWeight") : NULL;
    int rc = -EINVAL;
    if (n != NULL && v != NULL && d != NULL && x != NULL && r != NULL && cJSON_IsNumber(w)) {
        memset(out, 0, sizeof(*out));
        snprintf(out->name, sizeof(out->name), "%s", n);
        snprintf(out->version, sizeof(out->version), "%s", v);
        snprintf(out->description, sizeof(out->description), "%s", d);
        snprintf(out->extra_version, sizeof(out->extra_version), "%s", x);
        snprintf(out->revision_id, sizeof(out->revision_id), "%s", r);
        out->extra_weight = w->valuedouble;
        rc = 0;
    }
    cJSON_Delete(o);
    return rc;
}

/* Loop: a version or alias write committed. */
static void qualified_done(struct job *j)
{
    struct lambda_api *api = j->api;
    struct function *latest = catalog_find(&api->cat, j->name);
    if (j->rc != 0 || latest == NULL) {
        aws_send_error(j->req, j->rc != 0 ? j->rc : ERR_NOT_FOUND, "%s",
                       j->rc != 0 ? j->msg : "Function not found");
        return;
    }
    cJSON *out = NULL;
    switch (j->kind) {
    case J_VERSION_ADD:
        catalog_add_version(&api->cat, j->fn);
        out = function_config_json(j->fn);
        break;
    case J_VERSION_DELETE: {
        struct function *v = catalog_version(&api->cat, j->name, j->alias.version);
        char hex[65] = "";
        if (v != NULL)
            memcpy(hex, v->code_hex, sizeof(hex));
        catalog_remove_version(&api->cat, j->name, j->alias.version);
        eic_remove(api, j->name, j->alias.version);
        sched_function_changed(api->sched, j->key, NULL);
        if (hex[0] != '\0')
            gc_code(api, hex);
        break;
    }
    case J_ALIAS_PUT:
        catalog_put_alias(&api->cat, j->name, &j->alias);
        out = alias_json(latest, &j->alias);
        break;
    default:
        catalog_remove_alias(&api->cat, j->name, j->alias.name);
        eic_remove(api, j->name, j->alias.name);
        furl_remove(api, j->name, j->alias.name);
        break;
    }
    if (out != NULL) {
        aws_send_json_take(j->req, j->status, out);
    } else {
        aws_send_empty(j->req, j->status);
    }
}

/* PublishVersion: a numbered, immutable snapshot of $LATEST. */
static void publish_version(struct lambda_api *api, h2o_req_t *req, struct function *latest)
{
    cJSON *body = parse_body(req, API_JSON_REQUEST_MAX_BYTES, "PublishVersion");
    if (body == NULL)
        return;
    if (!revision_ok(req, body, latest)) {
        cJSON_Delete(body);
        return;
    }
    const char *sha = cJSON_GetStringValue(cJSON_GetObjectItem(body, "CodeSha256"));
    const char *desc = cJSON_GetStringValue(cJSON_GetObjectItem(body, "Description"));
    if (sha != NULL && strcmp(sha, latest->code_b64) != 0) {
        aws_send_error(req, ERR_INVALID_PARAMETER,
                       "CodeSHA256 (%.64s) is different from current CodeSHA256 in $LATEST (%s). "
                       "Please try again.",
                       sha, latest->code_b64);
        cJSON_Delete(body);
        return;
    }
    if (desc != NULL && strlen(desc) > FN_DESCRIPTION_MAX) {
        aws_send_error(req, ERR_VALIDATION,
                       "1 validation error detected: Value at 'description' failed to satisfy "
                       "constraint: Member must have length less than or equal to 256");
        cJSON_Delete(body);
        return;
    }
    struct catalog_versions *v = catalog_versions(&api->cat, latest->name);
    struct function *last = v != NULL && v->n > 0 ? v->v[v->n - 1] : NULL;
    if (last != NULL && strcmp(last->source_revision, latest->revision_id) == 0) {
        /* $LATEST has not changed since: AWS returns the existing version. */
        cJSON *out = function_config_json(last);
        aws_send_json_take(req, 201, out);
        cJSON_Delete(body);
        return;
    }
    struct job *j = job_new(api, req, latest->name);
    j->kind = J_VERSION_ADD;
    j->status = 201;
    j->fn = function_publish(latest, (v != NULL ? v->last : 0) + 1, desc);
    snprintf(j->key, sizeof(j->key), "%s:%s", latest->name, j->fn->version);
    cJSON_Delete(body);
    job_start(j);
}

static void list_versions(struct lambda_api *api, h2o_req_t *req, struct function *latest)
{
    char marker[32];
    long max;
    if (!page_params(req, 10000, &max, marker, sizeof(marker)))
        return;
    struct catalog_versions *v = catalog_versions(&api->cat, latest->name);
    /* Position 0 is $LATEST, then the published versions in order. */
    size_t total = 1 + (v != NULL ? v->n : 0), start = 0;
    if (marker[0] != '\0') {
        char *end;
        long m = strtol(marker, &end, 10);
        start = *end == '\0' && m > 0 && (size_t)m <= total ? (size_t)m : total;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(out, "Versions");
    size_t i = start;
    for (long count = 0; i < total && count < max; i++, count++)
        cJSON_AddItemToArray(arr, function_config_json(i == 0 ? latest : v->v[i - 1]));
    if (i < total) {
        char next[32];
        snprintf(next, sizeof(next), "%zu", i);
        cJSON_AddStringToObject(out, "NextMarker", next);
    }
    aws_send_json_take(req, 200, out);
}

/* (?!^[0-9]+$)([a-zA-Z0-9-_]+), 1-128 */
static bool valid_alias_name(const char *n)
{
    size_t len = strlen(n);
    bool digits = true;
    for (size_t i = 0; i < len; i++)
        if (!(n[i] >= '0' && n[i] <= '9'))
            digits = false;
    return arn_valid_qualifier(n, len) && strcmp(n, "$LATEST") != 0 && !digits;
}

/* Fills a from a Create/UpdateAlias body over base; sends the error and returns false. */
static bool parse_alias(struct lambda_api *api, h2o_req_t *req, const struct function *latest,
                        const cJSON *body, struct alias *a)
{
    const char *ver = cJSON_GetStringValue(cJSON_GetObjectItem(body, "FunctionVersion"));
    const char *desc = cJSON_GetStringValue(cJSON_GetObjectItem(body, "Description"));
    const cJSON *rc = cJSON_GetObjectItem(body, "RoutingConfig");
    char arn[400];
    if (ver != NULL) {
        if (strcmp(ver, "$LATEST") != 0 && catalog_version(&api->cat, latest->name, ver) == NULL) {
            aws_send_error(req, ERR_NOT_FOUND, "Function not found: %s:%.16s", latest->arn, ver);
            return false;
        }
        snprintf(a->version, sizeof(a->version), "%s", ver);
    }
    if (desc != NULL) {
        if (strlen(desc) > FN_DESCRIPTION_MAX) {
            aws_send_error(req, ERR_VALIDATION,
                           "1 validation error detected: Value at 'description' failed to "
                           "satisfy constraint: Member must have length less than or equal to "
                           "256");
            return false;
        }
        snprintf(a->description, sizeof(a->description), "%s", desc);
    }
    if (rc != NULL && !cJSON_IsNull(rc)) {
        const cJSON *w = cJSON_GetObjectItem(rc, "AdditionalVersionWeights");
        a->extra_version[0] = '\0';
        a->extra_weight = 0;
        if (w != NULL && cJSON_GetArraySize(w) > 1) {
            aws_send_error(req, ERR_INVALID_PARAMETER,
                           "Number of items in AdditionalVersionWeights cannot be greater than 1");
            return false;
        }
        const cJSON *e = w != NULL ? cJSON_GetArrayItem(w, 0) : NULL;
        if (e != NULL) {
            if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble > 1) {
                aws_send_error(req, ERR_VALIDATION,
                               "1 validation error detected: Value at "
                               "'routingConfig.additionalVersionWeights' failed to satisfy "
                               "constraint: Map value must satisfy constraint: [Member must have "
                               "value less than or equal to 1.0, Member must have value greater "
                               "than or equal to 0.0]");
                return false;
            }
            bool digits = e->string[0] != '\0';
            for (const char *c = e->string; *c; c++)
                digits = digits && *c >= '0' && *c <= '9';
            if (!digits) {
                aws_send_error(req, ERR_VALIDATION,
                               "1 validation error detected: Value at "
                               "'routingConfig.additionalVersionWeights' failed to satisfy "
                               "constraint: Map keys must satisfy constraint: [Member must "
                               "satisfy regular expression pattern: [0-9]+]");
                return false;
            }
            if (catalog_version(&api->cat, latest->name, e->string) == NULL) {
                aws_send_error(req, ERR_NOT_FOUND, "Function not found: %s:%.16s", latest->arn,
                               e->string);
                return false;
            }
            snprintf(a->extra_version, sizeof(a->extra_version), "%s", e->string);
            a->extra_weight = e->valuedouble;
        }
    }
    if (a->extra_version[0] != '\0' &&
        (strcmp(a->version, "$LATEST") == 0 || strcmp(a->version, a->extra_version) == 0)) {
        aws_send_error(req, ERR_INVALID_PARAMETER,
                       "The alias %s must point to a published version other than its "
                       "additional version when it routes traffic to two versions.",
                       alias_arn(latest, a->name, arn, sizeof(arn)));
        return false;
    }
    rand_uuid(a->revision_id);
    return true;
}

/* CreateAlias (POST .../aliases), ListAliases (GET .../aliases). */
static void aliases_op(struct lambda_api *api, h2o_req_t *req, struct function *latest)
{
    struct catalog_versions *v = catalog_versions(&api->cat, latest->name);
    if (http_method_is(req, "GET")) {
        char fv[16];
        bool filter = http_query(req, "FunctionVersion", fv, sizeof(fv)) >= 0;
        cJSON *out = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(out, "Aliases");
        for (size_t i = 0; v != NULL && i < v->naliases; i++)
            if (!filter || strcmp(v->aliases[i].version, fv) == 0 ||
                strcmp(v->aliases[i].extra_version, fv) == 0)
                cJSON_AddItemToArray(arr, alias_json(latest, &v->aliases[i]));
        aws_send_json_take(req, 200, out);
        return;
    }
    cJSON *body = parse_body(req, API_JSON_REQUEST_MAX_BYTES, "CreateAlias");
    if (body == NULL)
        return;
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(body, "Name"));
    const char *ver = cJSON_GetStringValue(cJSON_GetObjectItem(body, "FunctionVersion"));
    struct alias a;
    memset(&a, 0, sizeof(a));
    char arn[400];
    if (name == NULL || ver == NULL) {
        aws_send_error(req, ERR_VALIDATION,
                       "1 validation error detected: Value null at '%s' failed to satisfy "
                       "constraint: Member must not be null",
                       name == NULL ? "name" : "functionVersion");
    } else if (!valid_alias_name(name)) {
        aws_send_error(req, ERR_VALIDATION,
                       "1 validation error detected: Value '%.128s' at 'name' failed to satisfy "
                       "constraint: Member must satisfy regular expression pattern: "
                       "(?!^[0-9]+$)([a-zA-Z0-9-_]+)",
                       name);
    } else if (catalog_alias(&api->cat, latest->name, name) != NULL) {
        aws_send_error(req, ERR_CONFLICT, "Alias already exists: %s",
                       alias_arn(latest, name, arn, sizeof(arn)));
    } else if (is_busy(api, latest->name)) {
        send_in_progress(req, latest);
    } else {
        snprintf(a.name, sizeof(a.name), "%s", name);
        if (parse_alias(api, req, latest, body, &a)) {
            struct job *j = job_new(api, req, latest->name);
            j->kind = J_ALIAS_PUT;
            j->status = 201;
            j->alias = a;
            snprintf(j->key, sizeof(j->key), "%s@%.128s", latest->name, name);
            job_start(j);
        }
    }
    cJSON_Delete(body);
}

/* GetAlias, UpdateAlias (PUT), DeleteAlias on .../aliases/{Name}. */
static void alias_op(struct lambda_api *api, h2o_req_t *req, struct function *latest,
                     const char *name)
{
    struct alias *cur = catalog_alias(&api->cat, latest->name, name);
    char arn[400];
    if (cur == NULL) {
        aws_send_error(req, ERR_NOT_FOUND, "Alias not found: %s",
                       alias_arn(latest, name, arn, sizeof(arn)));
        return;
    }
    if (http_method_is(req, "GET")) {
        cJSON *out = alias_json(latest, cur);
        aws_send_json_take(req, 200, out);
        return;
    }
    if (is_busy(api, latest->name)) {
        send_in_progress(req, latest);
        return;
    }
    struct job *j = job_new(api, req, latest->name);
    snprintf(j->key, sizeof(j->key), "%s@%.128s", latest->name, name);
    j->alias = *cur;
    if (http_method_is(req, "DELETE")) {
        j->kind = J_ALIAS_DELETE;
        j->status = 204;
        job_start(j);
        return;
    }
    cJSON *body = parse_body(req, API_JSON_REQUEST_MAX_BYTES, "UpdateAlias");
    const char *rev =
        body != NULL ? cJSON_GetStringValue(cJSON_GetObjectItem(body, "RevisionId")) : NULL;
    if (body != NULL && rev != NULL && strcmp(rev, cur->revision_id) != 0) {
        aws_send_error(req, ERR_PRECONDITION,
                       "The Revision Id provided does not match the latest Revision Id. Call the "
                       "GetFunction/GetAlias API to retrieve the latest Revision Id");
    } else if (body != NULL && parse_alias(api, req, latest, body, &j->alias)) {
        j->kind = J_ALIAS_PUT;
        j->status = 200;
        job_start(j);
        cJSON_Delete(body);
        return;
    }
    cJSON_Delete(body);
    job_free(j);
}

/* DeleteFunction with a version qualifier: that version only. */
static void delete_version(struct lambda_api *api, h2o_req_t *req, struct function *ver)
{
    struct catalog_versions *v = catalog_versions(&api->cat, ver->name);
    char used[512] = "";
    size_t ulen = 0;
    for (size_t i = 0; v != NULL && i < v->naliases; i++)
        if ((strcmp(v->aliases[i].version, ver->version) == 0 ||
             strcmp(v->aliases[i].extra_version, ver->version) == 0) &&
            ulen < sizeof(used) - 1)
            ulen += (size_t)snprintf(used + ulen, sizeof(used) - ulen, "%s%s", ulen ? ", " : "",
                                     v->aliases[i].name);
    if (ulen > 0) {
        aws_send_error(req, ERR_CONFLICT,
                       "Unable to delete version because the following aliases reference it: "
                       "[%s]",
                       used);
        return;
    }
    struct job *j = job_new(api, req, ver->name);
    j->kind = J_VERSION_DELETE;
    j->status = 204;
    snprintf(j->alias.version, sizeof(j->alias.version), "%s", ver->version);
    snprintf(j->key, sizeof(j->key), "%s:%s", ver->name, ver->version);
    job_start(j);
}

/* ---- reserved concurrency ---- */

/* PutFunctionConcurrency (PUT), GetFunctionConcurrency (GET) and
 * DeleteFunctionConcurrency (DELETE). */
static void concurrency_op(struct lambda_api *api, h2o_req_t *req, struct function *fn)
{
    if (http_method_is(req, "GET")) {
        cJSON *out = cJSON_CreateObject();
        if (fn->reserved >= 0)
            cJSON_AddNumberToObject(out, "ReservedConcurrentExecutions", fn->reserved);
        aws_send_json_take(req, 200, out);
        return;
    }
    if (is_busy(api, fn->name)) {
        send_in_progress(req, fn);
        return;
    }
    int n = -1;
    if (http_method_is(req, "PUT")) {
        cJSON *body = parse_body(req, API_JSON_REQUEST_MAX_BYTES, "PutFunctionConcurrency");
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
        if (api->account_concurrency - reserved_sum(api, fn->name) - n <
            UNRESERVED_CONCURRENCY_MIN) {
            aws_send_error(req, ERR_INVALID_PARAMETER,
                           "Specified ReservedConcurrentExecutions for function decreases "
                           "account's UnreservedConcurrentExecution below its minimum value of "
                           "[%d].",
                           UNRESERVED_CONCURRENCY_MIN);
            return;
        }
    }
    struct job *j = job_new(api, req, fn->name);
    j->fn = function_with_reserved(fn, n);
    j->status = n >= 0 ? 200 : 204;
    j->reply_reserved = n >= 0;
    j->empty_reply = n < 0;
    job_start(j);
}

/* ---- event invoke configurations ---- */

struct eic_job {
    struct lambda_api *api;
    h2o_req_t *req;
    char name[FN_NAME_MAX + 1];
    char qualifier[FN_QUALIFIER_MAX + 1]; /* $LATEST, a version or an alias */
    char arn[300];
    struct eic eic;
    bool remove;
    int rc;
};

static void eic_work(void *arg)
{
    struct eic_job *j = arg;
    if (j->remove) {
        j->rc = store_eic_delete(j->api->st, j->name, j->qualifier);
        return;
    }
    char *json = eic_store_json(&j->eic);
    j->rc = store_eic_put(j->api->st, j->name, j->qualifier, json);
    free(json);
}

static void eic_done(void *arg)
{
    struct eic_job *j = arg;
    clear_busy(j->api, j->name);
    if (j->rc != 0) {
        aws_send_error(j->req, ERR_SERVICE, "The store could not be written: %s", err_str(j->rc));
    } else if (j->remove) {
        eic_remove(j->api, j->name, j->qualifier);
        aws_send_empty(j->req, 204);
    } else {
        eic_set(j->api, j->name, j->qualifier, &j->eic);
        cJSON *out = eic_json(&j->eic, j->arn);
        aws_send_json_take(j->req, 200, out);
    }
    free(j);
}

static void eic_not_found(h2o_req_t *req, const char *arn)
{
    aws_send_error(req, ERR_NOT_FOUND, "The function %s doesn't have an EventInvokeConfig", arn);
}

/* Put (PUT), Update (POST), Get (GET) and Delete (DELETE) of the
 * configuration of fn's qualifier qual ($LATEST, a version or an alias). */
static void eic_op(struct lambda_api *api, h2o_req_t *req, struct function *fn, const char *qual)
{
    char arn[300];
    snprintf(arn, sizeof(arn), "%s:%s", fn->arn, qual);
    const struct eic *cur = lambda_api_eic(api, fn->name, qual);
    if (http_method_is(req, "GET")) {
        if (cur == NULL) {
            eic_not_found(req, arn);
            return;
        }
        cJSON *out = eic_json(cur, arn);
        aws_send_json_take(req, 200, out);
        return;
    }
    if (is_busy(api, fn->name)) {
        send_in_progress(req, fn);
        return;
    }
    struct eic_job *j = calloc(1, sizeof(*j));
    if (j == NULL)
        abort();
    j->api = api;
    j->req = req;
    snprintf(j->name, sizeof(j->name), "%s", fn->name);
    snprintf(j->qualifier, sizeof(j->qualifier), "%s", qual);
    snprintf(j->arn, sizeof(j->arn), "%s", arn);
    if (http_method_is(req, "DELETE")) {
        if (cur == NULL) {
            eic_not_found(req, arn);
            free(j);
            return;
        }
        j->remove = true;
    } else {
        bool update = http_method_is(req, "POST");
        if (update && cur == NULL) {
            eic_not_found(req, arn);
            free(j);
            return;
        }
        cJSON *body = parse_body(req, API_JSON_REQUEST_MAX_BYTES, "PutFunctionEventInvokeConfig");
        if (body == NULL) {
            free(j);
            return;
        }
        char msg[1024];
        int rc = eic_parse(body, update ? cur : NULL, &j->eic, msg, sizeof(msg));
        cJSON_Delete(body);
        if (rc != 0) {
            aws_send_error(req, rc, "%s", msg);
            free(j);
            return;
        }
    }
    set_busy(api, j->name);
    worker_submit(api->wp, eic_work, eic_done, j);
}

/* ListFunctionEventInvokeConfigs: the configurations of every qualifier. */
static void eic_list(struct lambda_api *api, h2o_req_t *req, struct function *fn)
{
    cJSON *out = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(out, "FunctionEventInvokeConfigs");
    for (size_t i = 0; i < api->neics; i++) {
        if (strcmp(api->eics[i].name, fn->name) != 0)
            continue;
        char arn[300];
        snprintf(arn, sizeof(arn), "%s:%s", fn->arn, api->eics[i].qualifier);
        cJSON_AddItemToArray(arr, eic_json(&api->eics[i].eic, arn));
    }
    aws_send_json_take(req, 200, out);
}

static struct function *resolve(struct lambda_api *api, h2o_req_t *req, const char *seg,
                                char qual[FN_QUALIFIER_MAX + 1]);

/* ---- provisioned concurrency ---- */

static struct lambda_pc *pc_find(const struct lambda_api *api, const char *name, const char *qual)
{
    for (size_t i = 0; i < api->npcs; i++)
        if (strcmp(api->pcs[i].name, name) == 0 && strcmp(api->pcs[i].qualifier, qual) == 0)
            return &api->pcs[i];
    return NULL;
}

/* Applies a configuration to the scheduler (n = 0 removes it). */
static void pc_apply(struct lambda_api *api, const char *name, const char *qual, unsigned n)
{
    struct function *fn;
    if (catalog_resolve(&api->cat, name, qual, false, &fn) == 0)
        sched_provision(api->sched, fn, n);
}

static void pc_set(struct lambda_api *api, const struct lambda_pc *pc)
{
    struct lambda_pc *slot = pc_find(api, pc->name, pc->qualifier);
    if (slot == NULL) {
        struct lambda_pc *a = realloc(api->pcs, (api->npcs + 1) * sizeof(*a));
        if (a == NULL)
            abort();
        api->pcs = a;
        slot = &a[api->npcs++];
    }
    *slot = *pc;
    pc_apply(api, pc->name, pc->qualifier, (unsigned)pc->requested);
}

static void pc_remove(struct lambda_api *api, const char *name, const char *qual)
{
    struct lambda_pc *slot = pc_find(api, name, qual);
    if (slot == NULL)
        return;
    pc_apply(api, name, qual, 0);
    *slot = api->pcs[--api->npcs];
}

static cJSON *pc_json(struct lambda_api *api, const struct lambda_pc *pc, bool with_arn)
{
    struct function *fn;
    unsigned ready = catalog_resolve(&api->cat, pc->name, pc->qualifier, false, &fn) == 0
                         ? sched_provisioned_ready(api->sched, fn)
                         : 0;
    if (ready > (unsigned)pc->requested)
        ready = (unsigned)pc->requested;
    cJSON *o = cJSON_CreateObject();
    if (with_arn) {
        char arn[400];
        snprintf(arn, sizeof(arn), "arn:aws:lambda:%s:%s:function:%s:%s", api->region, api->account,
                 pc->name, pc->qualifier);
        cJSON_AddStringToObject(o, "FunctionArn", arn);
    }
    cJSON_AddNumberToObject(o, "RequestedProvisionedConcurrentExecutions", pc->requested);
    cJSON_AddNumberToObject(o, "AvailableProvisionedConcurrentExecutions", ready);
    cJSON_AddNumberToObject(o, "AllocatedProvisionedConcurrentExecutions", ready);
    cJSON_AddStringToObject(o, "Status",
                            ready >= (unsigned)pc->requested ? "READY" : "IN_PROGRESS");
    cJSON_AddStringToObject(o, "LastModified", pc->last_modified);
    return o;
}

struct pc_job {
    struct lambda_api *api;
    h2o_req_t *req;
    struct lambda_pc pc;
    bool remove;
    int rc;
};

static void pc_work(void *arg)
{
    struct pc_job *j = arg;
    char key[FN_NAME_MAX + FN_QUALIFIER_MAX + 2], json[128];
    snprintf(key, sizeof(key), "%s%%%s", j->pc.name, j->pc.qualifier);
    snprintf(json, sizeof(json), "{\"Requested\":%d,\"LastModified\":\"%s\"}", j->pc.requested,
             j->pc.last_modified);
    j->rc = j->remove ? store_fn_delete(j->api->st, key) : store_fn_put(j->api->st, key, json);
}

static void pc_done(void *arg)
{
    struct pc_job *j = arg;
    clear_busy(j->api, j->pc.name);
    if (j->rc != 0) {
        aws_send_error(j->req, j->rc, "The store could not be written: %s", err_str(j->rc));
    } else if (j->remove) {
        pc_remove(j->api, j->pc.name, j->pc.qualifier);
        aws_send_empty(j->req, 204);
    } else {
        pc_set(j->api, &j->pc);
        cJSON *out = pc_json(j->api, &j->pc, false);
        aws_send_json_take(j->req, 202, out);
    }
    free(j);
}

/* Put/Get/Delete/ListProvisionedConcurrencyConfig(s). */
static void pc_op(struct lambda_api *api, h2o_req_t *req, const char *seg)
{
    char list[8], qual[FN_QUALIFIER_MAX + 1];
    struct fn_ref ref;
    struct function *latest;
    if (arn_parse_function(seg, strlen(seg), &ref) != 0 ||
        (latest = catalog_find(&api->cat, ref.name)) == NULL) {
        resolve(api, req, seg, qual); /* sends the error */
        return;
    }
    if (http_method_is(req, "GET") && http_query(req, "List", list, sizeof(list)) >= 0) {
        cJSON *out = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(out, "ProvisionedConcurrencyConfigs");
        for (size_t i = 0; i < api->npcs; i++)
            if (strcmp(api->pcs[i].name, ref.name) == 0)
                cJSON_AddItemToArray(arr, pc_json(api, &api->pcs[i], true));
        aws_send_json_take(req, 200, out);
        return;
    }
    int n = http_query(req, "Qualifier", qual, sizeof(qual));
    if (n < 0 && ref.qualifier[0] != '\0')
        n = snprintf(qual, sizeof(qual), "%s", ref.qualifier);
    if (n <= 0) {
        aws_send_error(req, ERR_VALIDATION,
                       "1 validation error detected: Value null at 'qualifier' failed to satisfy "
                       "constraint: Member must not be null");
        return;
    }
    if (strcmp(qual, "$LATEST") == 0) {
        aws_send_error(req, ERR_INVALID_PARAMETER,
                       "Provisioned Concurrency Configs cannot be applied to unpublished function "
                       "versions.");
        return;
    }
    struct function *fn;
    if (catalog_resolve(&api->cat, ref.name, qual, false, &fn) != 0) {
        aws_send_error(req, ERR_NOT_FOUND, "Function not found: %s:%s", latest->arn, qual);
        return;
    }
    struct lambda_pc *cur = pc_find(api, ref.name, qual);
    if (http_method_is(req, "GET")) {
        if (cur == NULL) {
            aws_send_error(req, ERR_PC_NOT_FOUND,
                           "No Provisioned Concurrency Config found for this function");
            return;
        }
        cJSON *out = pc_json(api, cur, false);
        aws_send_json_take(req, 200, out);
        return;
    }
    if (is_busy(api, ref.name)) {
        send_in_progress(req, latest);
        return;
    }
    struct pc_job *j = calloc(1, sizeof(*j));
    if (j == NULL)
        abort();
    j->api = api;
    j->req = req;
    snprintf(j->pc.name, sizeof(j->pc.name), "%s", ref.name);
    snprintf(j->pc.qualifier, sizeof(j->pc.qualifier), "%s", qual);
    time_fmt_iso(clock_ms(), j->pc.last_modified);
    if (http_method_is(req, "DELETE")) {
        if (cur == NULL) {
            aws_send_error(req, ERR_PC_NOT_FOUND,
                           "No Provisioned Concurrency Config found for this function");
            free(j);
            return;
        }
        j->remove = true;
    } else {
        cJSON *body =
            parse_body(req, API_JSON_REQUEST_MAX_BYTES, "PutProvisionedConcurrencyConfig");
        const cJSON *v =
            body != NULL ? cJSON_GetObjectItem(body, "ProvisionedConcurrentExecutions") : NULL;
        double x = v != NULL && cJSON_IsNumber(v) ? v->valuedouble : 0;
        bool ok = x >= 1 && x <= 100000 && x == (double)(int)x;
        if (body != NULL && !ok)
            aws_send_error(req, ERR_VALIDATION,
                           "1 validation error detected: Value at "
                           "'provisionedConcurrentExecutions' failed to satisfy constraint: "
                           "Member must have value greater than or equal to 1");
        j->pc.requested = ok ? (int)x : 0;
        cJSON_Delete(body);
        if (!ok) {
            free(j);
            return;
        }
    }
    set_busy(api, ref.name);
    worker_submit(api->wp, pc_work, pc_done, j);
}

/* ---- function URLs ---- */

static struct furl *furl_find(const struct lambda_api *api, const char *name, const char *qual)
{
    for (size_t i = 0; i < api->nfurls; i++)
        if (strcmp(api->furls[i].name, name) == 0 && strcmp(api->furls[i].qualifier, qual) == 0)
            return &api->furls[i];
    return NULL;
}

const struct furl *lambda_api_furl(const struct lambda_api *api, const char *id)
{
    for (size_t i = 0; i < api->nfurls; i++)
        if (strcmp(api->furls[i].id, id) == 0)
            return &api->furls[i];
    return NULL;
}

/* Takes u's cors. */
static void furl_set(struct lambda_api *api, struct furl *u)
{
    struct furl *slot = furl_find(api, u->name, u->qualifier);
    if (slot == NULL) {
        struct furl *a = realloc(api->furls, (api->nfurls + 1) * sizeof(*a));
        if (a == NULL)
            abort();
        api->furls = a;
        slot = &a[api->nfurls++];
    } else {
        furl_clear(slot);
    }
    *slot = *u;
    u->cors = NULL;
}

/* Forgets name's URL configuration for qual, or every one of name (qual NULL). */
static void furl_remove(struct lambda_api *api, const char *name, const char *qual)
{
    for (size_t i = 0; i < api->nfurls;) {
        if (strcmp(api->furls[i].name, name) == 0 &&
            (qual == NULL || strcmp(api->furls[i].qualifier, qual) == 0)) {
            furl_clear(&api->furls[i]);
            api->furls[i] = api->furls[--api->nfurls];
        } else {
            i++;
        }
    }
}

static void furl_key(const char *name, const char *qual, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s^%s", name, qual);
}

/* The FunctionUrl and FunctionArn of u. */
static cJSON *furl_out(const struct lambda_api *api, const struct furl *u, bool with_modified)
{
    char url[128], arn[400];
    snprintf(url, sizeof(url), "http://%s.lambda-url.localhost:%u/", u->id,
             (unsigned)api->edge_port);
    int n = snprintf(arn, sizeof(arn), "arn:aws:lambda:%s:%s:function:%s", api->region,
                     api->account, u->name);
    if (strcmp(u->qualifier, "$LATEST") != 0)
        snprintf(arn + n, sizeof(arn) - (size_t)n, ":%s", u->qualifier);
    return furl_json(u, arn, url, with_modified);
}

struct furl_job {
    struct lambda_api *api;
    h2o_req_t *req;
    struct furl u;
    int status; /* 201 create, 200 update, 204 delete */
    int rc;
};

static void furl_work(void *arg)
{
    struct furl_job *j = arg;
    char key[FN_NAME_MAX + FN_QUALIFIER_MAX + 2];
    furl_key(j->u.name, j->u.qualifier, key, sizeof(key));
    if (j->status == 204) {
        j->rc = store_fn_delete(j->api->st, key);
        return;
    }
    char *json = furl_store_json(&j->u);
    j->rc = store_fn_put(j->api->st, key, json);
    free(json);
}

static void furl_done(void *arg)
{
    struct furl_job *j = arg;
    clear_busy(j->api, j->u.name);
    if (j->rc != 0) {
        aws_send_error(j->req, ERR_SERVICE, "The store could not be written: %s", err_str(j->rc));
        furl_clear(&j->u);
    } else if (j->status == 204) {
        furl_remove(j->api, j->u.name, j->u.qualifier);
        aws_send_empty(j->req, 204);
    } else {
        cJSON *out = furl_out(j->api, &j->u, j->status == 200);
        furl_set(j->api, &j->u);
        aws_send_json_take(j->req, j->status, out);
    }
    free(j);
}

static void furl_list(struct lambda_api *api, h2o_req_t *req, const char *name)
{
    char marker[32];
    long max;
    if (!page_params(req, 50, &max, marker, sizeof(marker)))
        return;
    long start = marker[0] != '\0' ? strtol(marker, NULL, 10) : 0;
    cJSON *out = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(out, "FunctionUrlConfigs");
    long seen = 0, added = 0;
    for (size_t i = 0; i < api->nfurls; i++) {
        if (strcmp(api->furls[i].name, name) != 0 || seen++ < start)
            continue;
        if (added == max) {
            char next[24];
            snprintf(next, sizeof(next), "%ld", start + added);
            cJSON_AddStringToObject(out, "NextMarker", next);
            break;
        }
        cJSON_AddItemToArray(arr, furl_out(api, &api->furls[i], true));
        added++;
    }
    aws_send_json_take(req, 200, out);
}

/* Create (POST), Get (GET), Update (PUT), Delete (DELETE) of the URL
 * configuration of seg (+ Qualifier: $LATEST or an alias), and List (GET
 * .../urls). */
static void furl_op(struct lambda_api *api, h2o_req_t *req, const char *seg, bool list)
{
    char qual[FN_QUALIFIER_MAX + 1];
    struct fn_ref ref;
    struct function *latest;
    if (arn_parse_function(seg, strlen(seg), &ref) != 0 ||
        (latest = catalog_find(&api->cat, ref.name)) == NULL) {
        resolve(api, req, seg, qual); /* sends the error */
        return;
    }
    if (list) {
        furl_list(api, req, ref.name);
        return;
    }
    int n = http_query(req, "Qualifier", qual, sizeof(qual));
    if (n < 0)
        n = snprintf(qual, sizeof(qual), "%s", ref.qualifier[0] ? ref.qualifier : "$LATEST");
    bool digits = n > 0 && strspn(qual, "0123456789") == (size_t)n;
    if (n <= 0 || digits || !arn_valid_qualifier(qual, (size_t)n)) {
        aws_send_error(req, ERR_VALIDATION,
                       "1 validation error detected: Value '%.128s' at 'qualifier' failed to "
                       "satisfy constraint: Member must satisfy regular expression pattern: "
                       "((?!^\\d+$)^[0-9a-zA-Z-_]+$)",
                       n > 0 ? qual : "");
        return;
    }
    struct function *fn;
    if (catalog_resolve(&api->cat, ref.name, qual, false, &fn) != 0) {
        aws_send_error(req, ERR_NOT_FOUND, "Function not found: %s:%s", latest->arn, qual);
        return;
    }
    const struct furl *cur = furl_find(api, ref.name, qual);
    bool get = http_method_is(req, "GET"), create = http_method_is(req, "POST");
    bool update = http_method_is(req, "PUT"), del = http_method_is(req, "DELETE");
    if (!get && !create && !update && !del) {
        aws_send_error(req, ERR_UNKNOWN_OPERATION, "Unknown operation");
        return;
    }
    if (cur == NULL && !create) {
        aws_send_error(req, ERR_NOT_FOUND, "The resource you requested does not exist.");
        return;
    }
    if (get) {
        aws_send_json_take(req, 200, furl_out(api, cur, true));
        return;
    }
    if (cur != NULL && create) {
        aws_send_error(req, ERR_CONFLICT,
                       "Failed to create function url config for [functionArn = %s]. Error "
                       "message:  FunctionUrlConfig exists for this Lambda function",
                       latest->arn);
        return;
    }
    if (is_busy(api, ref.name)) {
        send_in_progress(req, latest);
        return;
    }
    struct furl_job *j = calloc(1, sizeof(*j));
    if (j == NULL)
        abort();
    j->api = api;
    j->req = req;
    j->status = del ? 204 : create ? 201 : 200;
    snprintf(j->u.name, sizeof(j->u.name), "%s", ref.name);
    snprintf(j->u.qualifier, sizeof(j->u.qualifier), "%s", qual);
    if (!del) {
        cJSON *body = parse_body(req, API_JSON_REQUEST_MAX_BYTES,
                                 create ? "CreateFunctionUrlConfig" : "UpdateFunctionUrlConfig");
        if (body == NULL) { /* answered */
            free(j);
            return;
        }
        char msg[512];
        int rc = furl_parse(body, cur, &j->u, msg, sizeof(msg));
        cJSON_Delete(body);
        if (rc != 0) {
            aws_send_error(req, rc, "%s", msg);
            free(j);
            return;
        }
        time_fmt_iso(clock_ms(), j->u.modified);
        if (create) {
            furl_new_id(j->u.id);
            memcpy(j->u.created, j->u.modified, sizeof(j->u.created));
        } else {
            memcpy(j->u.id, cur->id, sizeof(j->u.id));
            memcpy(j->u.created, cur->created, sizeof(j->u.created));
        }
    }
    set_busy(api, ref.name);
    worker_submit(api->wp, furl_work, furl_done, j);
}

/* ---- layers ---- */

struct layer_job {
    struct lambda_api *api;
    h2o_req_t *req;
    struct layer_version *l; /* owned until added to the registry */
    cJSON *body;             /* owned; ZipFile points into it */
    const char *zip_b64;
    int remove_version; /* DeleteLayerVersion: the version, else 0 */
    char name[LAYER_NAME_MAX + 1];
    int rc;
    char msg[512];
};

static void layer_key(const char *name, int version, char *buf, size_t cap)
{
    if (version > 0)
        snprintf(buf, cap, "#L/%s/%d", name, version);
    else
        snprintf(buf, cap, "#L/%s!", name);
}

static void layer_work(void *arg)
{
    struct layer_job *j = arg;
    char key[LAYER_NAME_MAX + 32];
    if (j->remove_version > 0) {
        layer_key(j->name, j->remove_version, key, sizeof(key));
        j->rc = store_fn_delete(j->api->st, key);
        return;
    }
    unsigned char *zip;
    size_t len;
    if (b64_decode(j->zip_b64, strlen(j->zip_b64), &zip, &len) != 0) {
        j->rc = ERR_INVALID_CONTENT;
        snprintf(j->msg, sizeof(j->msg), "Could not parse request body into json: ZipFile");
        return;
    }
    struct blob_digest d;
    j->rc = blob_put(j->api->bs, zip, len, FN_UNZIPPED_MAX_BYTES, &d);
    free(zip);
    if (j->rc != 0) {
        snprintf(j->msg, sizeof(j->msg), "%s", err_str(j->rc));
        return;
    }
    memcpy(j->l->hex, d.hex, sizeof(j->l->hex));
    memcpy(j->l->b64, d.b64, sizeof(j->l->b64));
    j->l->size = (int64_t)len;
    char *json = layer_store_json(j->l), counter[64];
    layer_key(j->l->name, j->l->version, key, sizeof(key));
    j->rc = store_fn_put(j->api->st, key, json);
    free(json);
    layer_key(j->l->name, 0, key, sizeof(key));
    snprintf(counter, sizeof(counter), "{\"LastVersion\":%d}", j->l->version);
    if (j->rc == 0)
        j->rc = store_fn_put(j->api->st, key, counter);
}

static void send_layer(struct lambda_api *api, h2o_req_t *req, int status,
                       const struct layer_version *l)
{
    char url[512];
    snprintf(url, sizeof(url), "http://%.*s/_lambdad/code/%s.zip", (int)req->authority.len,
             req->authority.base, l->hex);
    cJSON *out = layer_json(l, api->region, api->account, url);
    aws_send_json_take(req, status, out);
}

static void layer_done(void *arg)
{
    struct layer_job *j = arg;
    struct lambda_api *api = j->api;
    clear_busy(api, j->name);
    if (j->rc != 0) {
        aws_send_error(j->req, j->rc, "%s", j->msg[0] ? j->msg : err_str(j->rc));
    } else if (j->remove_version > 0) {
        const struct layer_version *l = layers_find(&api->layers, j->name, j->remove_version);
        char hex[65] = "";
        if (l != NULL)
            memcpy(hex, l->hex, sizeof(hex));
        layers_remove(&api->layers, j->name, j->remove_version);
        if (hex[0] != '\0')
            gc_code(api, hex);
        aws_send_empty(j->req, 204);
    } else {
        send_layer(api, j->req, 201, j->l);
        layers_add(&api->layers, j->l);
        j->l = NULL;
    }
    layer_free(j->l);
    cJSON_Delete(j->body);
    free(j);
}

static struct layer_job *layer_job_new(struct lambda_api *api, h2o_req_t *req, const char *name)
{
    struct layer_job *j = calloc(1, sizeof(*j));
    if (j == NULL)
        abort();
    j->api = api;
    j->req = req;
    snprintf(j->name, sizeof(j->name), "%s", name);
    return j;
}

static void publish_layer(struct lambda_api *api, h2o_req_t *req, const char *name)
{
    cJSON *body = parse_body(req, API_CODE_REQUEST_MAX_BYTES, "PublishLayerVersion");
    if (body == NULL)
        return;
    struct layer_version *l;
    char msg[512];
    int rc = layer_from_publish(body, name, &l, msg, sizeof(msg));
    if (rc != 0) {
        aws_send_error(req, rc, "%s", msg);
        cJSON_Delete(body);
        return;
    }
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(body, "Content");
    const char *zip = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(content, "ZipFile"));
    if (zip == NULL || is_busy(api, name)) {
        if (zip == NULL)
            aws_send_error(req, ERR_INVALID_PARAMETER,
                           content == NULL ? "Content is required."
                                           : "lambdad takes layer content as ZipFile.");
        else
            aws_send_error(req, ERR_CONFLICT, "A layer version of %s is being published.", name);
        layer_free(l);
        cJSON_Delete(body);
        return;
    }
    l->version = layers_next_version(&api->layers, name);
    layers_note_version(&api->layers, name, l->version); /* reserved even if this fails */
    struct layer_job *j = layer_job_new(api, req, name);
    j->l = l;
    j->body = body;
    j->zip_b64 = zip;
    set_busy(api, name);
    worker_submit(api->wp, layer_work, layer_done, j);
}

static bool runtime_matches(const struct layer_version *l, const char *rt)
{
    if (rt[0] == '\0')
        return true;
    const cJSON *e;
    cJSON_ArrayForEach(e, l->runtimes) if (cJSON_IsString(e) &&
                                           strcmp(e->valuestring, rt) == 0) return true;
    return false;
}

/* ListLayerVersions (name != NULL; newest first) and ListLayers (the newest
 * matching version of each layer), with Marker/MaxItems. */
static void list_layers(struct lambda_api *api, h2o_req_t *req, const char *name)
{
    char rt[32] = "", marker[32];
    long max;
    if (http_query(req, "CompatibleRuntime", rt, sizeof(rt)) < 0)
        rt[0] = '\0';
    if (!page_params(req, 50, &max, marker, sizeof(marker)))
        return;
    size_t skip = (size_t)strtoul(marker, NULL, 10), seen = 0;
    long count = 0;
    cJSON *out = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(out, name != NULL ? "LayerVersions" : "Layers");
    bool more = false;
    for (size_t k = api->layers.n; k-- > 0;) { /* newest first within a name */
        const struct layer_version *l = api->layers.v[k];
        if ((name != NULL && strcmp(l->name, name) != 0) || !runtime_matches(l, rt))
            continue;
        if (name == NULL) { /* only the newest matching version of each layer */
            bool newer = false;
            for (size_t m = k + 1; m < api->layers.n && !newer; m++)
                newer = strcmp(api->layers.v[m]->name, l->name) == 0 &&
                        runtime_matches(api->layers.v[m], rt);
            if (newer)
                continue;
        }
        if (seen++ < skip)
            continue;
        if (count == max) {
            more = true;
            break;
        }
        cJSON *item = layer_json(l, api->region, api->account, NULL);
        cJSON_DeleteItemFromObjectCaseSensitive(item, "Content");
        if (name == NULL) {
            char arn[400];
            cJSON *wrap = cJSON_CreateObject();
            cJSON_AddStringToObject(wrap, "LayerName", l->name);
            cJSON_AddStringToObject(
                wrap, "LayerArn",
                layer_arn(l->name, 0, api->region, api->account, arn, sizeof(arn)));
            cJSON_DeleteItemFromObjectCaseSensitive(item, "LayerArn");
            cJSON_AddItemToObject(wrap, "LatestMatchingVersion", item);
            item = wrap;
        }
        cJSON_AddItemToArray(arr, item);
        count++;
    }
    if (more) {
        char next[32];
        snprintf(next, sizeof(next), "%zu", skip + (size_t)count);
        cJSON_AddStringToObject(out, "NextMarker", next);
    }
    aws_send_json_take(req, 200, out);
}

/* GET / DELETE .../layers/{name}/versions/{N} and GET /layers?find=LayerVersion&Arn= */
static void layer_version_op(struct lambda_api *api, h2o_req_t *req, const char *name, int version)
{
    const struct layer_version *l = layers_find(&api->layers, name, version);
    if (http_method_is(req, "DELETE")) {
        if (l == NULL || is_busy(api, name)) { /* deleting what is not there succeeds */
            aws_send_empty(req, 204);
            return;
        }
        struct layer_job *j = layer_job_new(api, req, name);
        j->remove_version = version;
        set_busy(api, name);
        worker_submit(api->wp, layer_work, layer_done, j);
        return;
    }
    if (l == NULL) {
        char arn[400];
        aws_send_error(req, ERR_NOT_FOUND, "The resource you requested does not exist. (%s)",
                       layer_arn(name, version, api->region, api->account, arn, sizeof(arn)));
        return;
    }
    send_layer(api, req, 200, l);
}

static bool route_layers(struct lambda_api *api, h2o_req_t *req, const struct http_path *p)
{
    if (p->n == 2 && http_method_is(req, "GET")) {
        char find[32], arn[300], name[LAYER_NAME_MAX + 1];
        int version;
        if (http_query(req, "find", find, sizeof(find)) >= 0 && strcmp(find, "LayerVersion") == 0) {
            if (http_query(req, "Arn", arn, sizeof(arn)) < 0 ||
                layers_parse_arn(arn, name, &version) != 0) {
                aws_send_error(req, ERR_VALIDATION,
                               "1 validation error detected: Value at 'arn' failed to satisfy "
                               "constraint: Member must satisfy regular expression pattern: "
                               "arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:"
                               "[a-zA-Z0-9-_]+:[0-9]+");
                return true;
            }
            layer_version_op(api, req, name, version);
            return true;
        }
        list_layers(api, req, NULL);
        return true;
    }
    if (p->n < 4 || strcmp(p->seg[3], "versions") != 0)
        return false;
    /* LayerName is a name or a layer ARN (arn:aws:lambda:REGION:ACCOUNT:layer:NAME). */
    const char *name = p->seg[2];
    if (strncmp(name, "arn:", 4) == 0) {
        const char *l = strstr(name, ":layer:");
        name = l != NULL && strchr(l + 7, ':') == NULL ? l + 7 : "";
    }
    bool valid = name[0] != '\0' && strlen(name) <= LAYER_NAME_MAX;
    for (const char *c = name; valid && *c; c++)
        valid = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                *c == '-' || *c == '_';
    if (!valid) {
        aws_send_error(req, ERR_VALIDATION,
                       "1 validation error detected: Value '%.140s' at 'layerName' failed to "
                       "satisfy constraint: Member must satisfy regular expression pattern: "
                       "(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|"
                       "[a-zA-Z0-9-_]+",
                       p->seg[2]);
        return true;
    }
    if (p->n == 4 && http_method_is(req, "POST")) {
        publish_layer(api, req, name);
        return true;
    }
    if (p->n == 4 && http_method_is(req, "GET")) {
        list_layers(api, req, name);
        return true;
    }
    if (p->n == 5 && (http_method_is(req, "GET") || http_method_is(req, "DELETE"))) {
        char *end;
        long v = strtol(p->seg[4], &end, 10);
        if (*end != '\0' || v < 1 || v > 100000000) {
            aws_send_error(req, ERR_NOT_FOUND, "The resource you requested does not exist.");
            return true;
        }
        layer_version_op(api, req, name, (int)v);
        return true;
    }
    return false;
}

/* ---- routing ---- */

/* Resolves path segment 2 as a function; sends the error and returns NULL. */
static struct function *resolve(struct lambda_api *api, h2o_req_t *req, const char *seg,
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
    if (invoke_api_resolve(&api->invoke, req, &ref, false, &fn, qual) != 0)
        return NULL;
    return fn;
}

static bool route_function(struct lambda_api *api, h2o_req_t *req, const struct http_path *p)
{
    const char *sub = p->n == 4 ? p->seg[3] : NULL;
    if (p->n == 4 && strcmp(sub, "invocations") == 0 && http_method_is(req, "POST")) {
        struct fn_ref ref;
        if (arn_parse_function(p->seg[2], strlen(p->seg[2]), &ref) != 0) {
            resolve(api, req, p->seg[2], NULL);
            return true;
        }
        invoke_api_handle(&api->invoke, req, &ref);
        return true;
    }
    bool get = http_method_is(req, "GET"), put = http_method_is(req, "PUT");
    bool del = http_method_is(req, "DELETE"), post = http_method_is(req, "POST");
    bool versions = p->n == 4 && strcmp(sub, "versions") == 0 && (get || post);
    bool aliases = p->n == 4 && strcmp(sub, "aliases") == 0 && (get || post);
    bool alias = p->n == 5 && strcmp(p->seg[3], "aliases") == 0 && (get || put || del);
    if (versions || aliases || alias) {
        char qual[FN_QUALIFIER_MAX + 1];
        struct function *latest = resolve(api, req, p->seg[2], qual);
        if (latest == NULL)
            return true;
        if (strcmp(latest->version, "$LATEST") != 0) {
            aws_send_error(req, ERR_INVALID_PARAMETER,
                           "This operation takes an unqualified function name.");
            return true;
        }
        if (versions && post && is_busy(api, latest->name))
            send_in_progress(req, latest);
        else if (versions)
            post ? publish_version(api, req, latest) : list_versions(api, req, latest);
        else if (aliases)
            aliases_op(api, req, latest);
        else
            alias_op(api, req, latest, p->seg[4]);
        return true;
    }
    if (!((p->n == 3 && (get || del)) ||
          (p->n == 4 && strcmp(sub, "configuration") == 0 && (get || put)) ||
          (p->n == 4 && strcmp(sub, "code") == 0 && put)))
        return false;
    char qual[FN_QUALIFIER_MAX + 1];
    struct function *fn = resolve(api, req, p->seg[2], qual);
    if (fn == NULL)
        return true;
    if ((put || del) && is_busy(api, fn->name)) {
        send_in_progress(req, fn);
        return true;
    }
    if (put && strcmp(fn->version, "$LATEST") != 0) {
        aws_send_error(req, ERR_INVALID_PARAMETER,
                       "Published versions cannot be changed: update $LATEST and publish a new "
                       "version.");
        return true;
    }
    if (p->n == 3)
        get ? get_function(api, req, fn, true) : delete_function(api, req, fn, qual);
    else if (strcmp(sub, "code") == 0)
        update_code(api, req, fn);
    else
        get ? get_function(api, req, fn, false) : update_config(api, req, fn);
    return true;
}

bool lambda_api_handle(struct lambda_api *api, h2o_req_t *req)
{
    struct http_path p;
    if (http_split_path(req, &p) != 0 || p.n < 2)
        return false;
    if (strcmp(p.seg[0], "2015-03-31") == 0 && strcmp(p.seg[1], "functions") == 0) {
        if (p.n == 2 && http_method_is(req, "POST")) {
            create_function(api, req);
            return true;
        }
        if (p.n == 2 && http_method_is(req, "GET")) {
            list_functions(api, req);
            return true;
        }
        return p.n >= 3 && route_function(api, req, &p);
    }
    if (strcmp(p.seg[0], "2016-08-19") == 0 && strcmp(p.seg[1], "account-settings") == 0 &&
        p.n == 2 && http_method_is(req, "GET")) {
        account_settings(api, req);
        return true;
    }
    if (strcmp(p.seg[0], "2014-11-13") == 0 && strcmp(p.seg[1], "functions") == 0 && p.n == 4 &&
        strcmp(p.seg[3], "invoke-async") == 0 && http_method_is(req, "POST")) {
        struct fn_ref ref;
        if (arn_parse_function(p.seg[2], strlen(p.seg[2]), &ref) != 0)
            resolve(api, req, p.seg[2], NULL);
        else
            invoke_api_handle_async(&api->invoke, req, &ref);
        return true;
    }
    if (strcmp(p.seg[0], "2018-10-31") == 0 && strcmp(p.seg[1], "layers") == 0)
        return route_layers(api, req, &p);
    if (strcmp(p.seg[0], "2019-09-30") == 0 && strcmp(p.seg[1], "functions") == 0 && p.n == 4 &&
        strcmp(p.seg[3], "provisioned-concurrency") == 0 &&
        (http_method_is(req, "GET") || http_method_is(req, "PUT") ||
         http_method_is(req, "DELETE"))) {
        pc_op(api, req, p.seg[2]);
        return true;
    }
    if ((strcmp(p.seg[0], "2017-10-31") == 0 || strcmp(p.seg[0], "2019-09-30") == 0) &&
        strcmp(p.seg[1], "functions") == 0 && p.n == 4 && strcmp(p.seg[3], "concurrency") == 0) {
        bool get = http_method_is(req, "GET");
        if (get != (strcmp(p.seg[0], "2019-09-30") == 0) ||
            !(get || http_method_is(req, "PUT") || http_method_is(req, "DELETE")))
            return false;
        char qual[FN_QUALIFIER_MAX + 1];
        struct function *fn = resolve(api, req, p.seg[2], qual);
        if (fn != NULL && strcmp(fn->version, "$LATEST") != 0)
            aws_send_error(req, ERR_INVALID_PARAMETER,
                           "Reserved concurrency is set on the function: use its unqualified "
                           "name.");
        else if (fn != NULL)
            concurrency_op(api, req, fn);
        return true;
    }
    if (strcmp(p.seg[0], "2019-09-25") == 0 && strcmp(p.seg[1], "functions") == 0 &&
        (p.n == 4 || p.n == 5) && strcmp(p.seg[3], "event-invoke-config") == 0) {
        bool list = p.n == 5 && strcmp(p.seg[4], "list") == 0;
        if ((p.n == 5 && !list) || (list && !http_method_is(req, "GET")))
            return false;
        char qual[FN_QUALIFIER_MAX + 1];
        struct function *fn = resolve(api, req, p.seg[2], qual);
        if (fn != NULL && list && qual[0] != '\0')
            aws_send_error(req, ERR_INVALID_PARAMETER,
                           "ListFunctionEventInvokeConfigs takes an unqualified function name.");
        else if (fn != NULL)
            list ? eic_list(api, req, fn) : eic_op(api, req, fn, qual[0] ? qual : "$LATEST");
        return true;
    }
    if (strcmp(p.seg[0], "2021-10-31") == 0 && strcmp(p.seg[1], "functions") == 0 && p.n == 4 &&
        (strcmp(p.seg[3], "url") == 0 ||
         (strcmp(p.seg[3], "urls") == 0 && http_method_is(req, "GET")))) {
        furl_op(api, req, p.seg[2], p.seg[3][3] == 's');
        return true;
    }
    if (strcmp(p.seg[0], "2017-03-31") == 0 && strcmp(p.seg[1], "tags") == 0 && p.n == 3 &&
        (http_method_is(req, "GET") || http_method_is(req, "POST") ||
         http_method_is(req, "DELETE"))) {
        char qual[FN_QUALIFIER_MAX + 1];
        struct function *fn = resolve(api, req, p.seg[2], qual);
        if (fn != NULL && qual[0] != '\0')
            aws_send_error(req, ERR_INVALID_PARAMETER,
                           "Tags on function aliases and versions are not supported. Please "
                           "specify a function ARN.");
        else if (fn != NULL)
            tags_op(api, req, fn);
        return true;
    }
    if (strcmp(p.seg[0], "_lambdad") == 0 && strcmp(p.seg[1], "code") == 0 && p.n == 3 &&
        http_method_is(req, "GET")) {
        serve_code(api, req, p.seg[2]);
        return true;
    }
    return false;
}

static int load_one(const char *name, const char *json, void *arg)
{
    struct lambda_api *api = arg;
    size_t nlen = strlen(name);
    if (strncmp(name, "#L/", 3) == 0) { /* a layer version "#L/name/N", or its counter */
        if (name[nlen - 1] == '!') {
            char lname[LAYER_NAME_MAX + 1];
            snprintf(lname, sizeof(lname), "%.*s", (int)(nlen - 4), name + 3);
            cJSON *o = cJSON_Parse(json);
            const cJSON *last = cJSON_GetObjectItemCaseSensitive(o, "LastVersion");
            if (cJSON_IsNumber(last) && last->valuedouble < 1e8)
                layers_note_version(&api->layers, lname, (int)last->valuedouble);
            cJSON_Delete(o);
        } else {
            struct layer_version *l = layer_from_store(json);
            if (l != NULL)
                layers_add(&api->layers, l);
            else
                log_error("layer=%s msg=\"stored layer version is damaged; skipped\"", name);
        }
        return 0;
    }
    if (nlen > 1 && name[nlen - 1] == '!') { /* a version counter: "name!" */
        char fname[FN_NAME_MAX + 1];
        snprintf(fname, sizeof(fname), "%.*s", (int)(nlen - 1), name);
        struct catalog_versions *v = catalog_versions(&api->cat, fname);
        cJSON *o = cJSON_Parse(json);
        const cJSON *last = cJSON_GetObjectItemCaseSensitive(o, "LastVersion");
        if (v != NULL && cJSON_IsNumber(last) && last->valuedouble > v->last &&
            last->valuedouble < 1e9)
            v->last = (int)last->valuedouble;
        cJSON_Delete(o);
        return 0;
    }
    const char *caret = strchr(name, '^');
    if (caret != NULL) { /* a function URL: "name^qualifier" */
        struct furl u;
        memset(&u, 0, sizeof(u));
        snprintf(u.name, sizeof(u.name), "%.*s", (int)(caret - name), name);
        snprintf(u.qualifier, sizeof(u.qualifier), "%s", caret + 1);
        if (furl_from_store(json, &u) == 0)
            furl_set(api, &u);
        else
            log_error("fn=%s msg=\"stored function URL configuration is damaged; skipped\"", name);
        return 0;
    }
    const char *pct = strchr(name, '%');
    if (pct != NULL) { /* provisioned concurrency: "name%qualifier" */
        struct lambda_pc pc;
        memset(&pc, 0, sizeof(pc));
        snprintf(pc.name, sizeof(pc.name), "%.*s", (int)(pct - name), name);
        snprintf(pc.qualifier, sizeof(pc.qualifier), "%s", pct + 1);
        cJSON *o = cJSON_Parse(json);
        const cJSON *req = cJSON_GetObjectItemCaseSensitive(o, "Requested");
        const char *lm = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "LastModified"));
        if (cJSON_IsNumber(req) && req->valuedouble >= 1 && req->valuedouble <= 100000) {
            pc.requested = (int)req->valuedouble;
            snprintf(pc.last_modified, sizeof(pc.last_modified), "%s", lm != NULL ? lm : "");
            struct lambda_pc *a = realloc(api->pcs, (api->npcs + 1) * sizeof(*a));
            if (a == NULL)
                abort();
            api->pcs = a;
            a[api->npcs++] = pc; /* applied once everything is loaded */
        }
        cJSON_Delete(o);
        return 0;
    }
    const char *at = strchr(name, '@');
    if (at != NULL) { /* an alias: "name@alias" */
        struct alias a;
        char fname[FN_NAME_MAX + 1];
        snprintf(fname, sizeof(fname), "%.*s", (int)(at - name), name);
        if (alias_from_store(json, &a) == 0)
            catalog_put_alias(&api->cat, fname, &a);
        else
            log_error("fn=%s msg=\"stored alias is damaged; skipped\"", name);
        return 0;
    }
    struct function *fn = function_from_store(json);
    if (fn == NULL) {
        log_error("fn=%s msg=\"stored configuration is damaged; skipped\"", name);
        return 0;
    }
    if (strchr(name, ':') != NULL) /* a published version: "name:3" */
        catalog_add_version(&api->cat, fn);
    else
        catalog_put(&api->cat, fn);
    function_unref(fn);
    return 0;
}

static int load_eic(const char *fn, const char *qualifier, const char *json, void *arg)
{
    struct lambda_api *api = arg;
    struct eic e;
    if (strlen(qualifier) <= FN_QUALIFIER_MAX && eic_from_store(json, &e) == 0)
        eic_set(api, fn, qualifier, &e);
    else
        log_error("fn=%s msg=\"stored event invoke configuration is damaged; skipped\"", fn);
    return 0;
}

int lambda_api_load(struct lambda_api *api)
{
    int rc = store_fn_scan(api->st, load_one, api);
    if (rc == 0)
        update_reserved_total(api);
    for (size_t i = 0; rc == 0 && i < api->npcs; i++)
        pc_apply(api, api->pcs[i].name, api->pcs[i].qualifier, (unsigned)api->pcs[i].requested);
    return rc != 0 ? rc : store_eic_scan(api->st, load_eic, api);
}

void lambda_api_fini(struct lambda_api *api)
{
    catalog_fini(&api->cat);
    for (size_t i = 0; i < api->nbusy; i++)
        free(api->busy[i]);
    free(api->busy);
    free(api->eics);
    for (size_t i = 0; i < api->nfurls; i++)
        furl_clear(&api->furls[i]);
    free(api->furls);
    free(api->pcs);
    layers_fini(&api->layers);
}
