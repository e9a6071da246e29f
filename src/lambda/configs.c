/* SPDX-License-Identifier: MIT */
/*
 * Per-qualifier configurations: event invoke configurations, provisioned
 * concurrency and function URL configurations.
 */
#include "configs.h"

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
#include "store/blob.h"
#include "store/store.h"

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

/* Worker: writes json (NULL: deletes) under ns/key; returns the store's code. */
static int put_or_delete(struct store *st, const char *ns, const char *key, const char *json)
{
    return json == NULL ? store_doc_delete(st, ns, key, STORE_REV_ANY)
                        : store_doc_put(st, ns, key, json, STORE_REV_ANY, NULL);
}

static void eic_work(void *arg)
{
    struct eic_job *j = arg;
    char key[FN_NAME_MAX + FN_QUALIFIER_MAX + 2];
    snprintf(key, sizeof(key), LAMBDA_EIC_KEY_FMT, j->name, j->qualifier);
    char *json = j->remove ? NULL : eic_store_json(&j->eic);
    j->rc = put_or_delete(j->api->st, LAMBDA_EIC_NS, key, json);
    free(json);
}

static void eic_done(void *arg)
{
    struct eic_job *j = arg;
    lambda_clear_busy(j->api, j->name);
    if (j->rc != 0) {
        aws_send_error(j->req, ERR_SERVICE, "The store could not be written: %s", err_str(j->rc));
    } else if (j->remove) {
        catalog_eic_remove(j->api->cat, j->name, j->qualifier);
        aws_send_empty(j->req, 204);
    } else {
        catalog_eic_set(j->api->cat, j->name, j->qualifier, &j->eic);
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
void lambda_eic_op(struct lambda_api *api, h2o_req_t *req, struct function *fn, const char *qual)
{
    char arn[300];
    snprintf(arn, sizeof(arn), "%s:%s", fn->arn, qual);
    const struct eic *cur = catalog_eic(api->cat, fn->name, qual);
    if (http_method_is(req, "GET")) {
        if (cur == NULL) {
            eic_not_found(req, arn);
            return;
        }
        cJSON *out = eic_json(cur, arn);
        aws_send_json_take(req, 200, out);
        return;
    }
    if (lambda_is_busy(api, fn->name)) {
        lambda_send_in_progress(req, fn);
        return;
    }
    struct eic_job *j = xcalloc(1, sizeof(*j));
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
        cJSON *body =
            lambda_parse_body(req, API_JSON_REQUEST_MAX_BYTES, "PutFunctionEventInvokeConfig");
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
    lambda_set_busy(api, j->name);
    worker_submit(api->wp, eic_work, eic_done, j);
}

/* ListFunctionEventInvokeConfigs: the configurations of every qualifier. */
void lambda_eic_list(struct lambda_api *api, h2o_req_t *req, struct function *fn)
{
    cJSON *out = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(out, "FunctionEventInvokeConfigs");
    for (size_t i = 0; i < api->cat->neics; i++) {
        if (strcmp(api->cat->eics[i].name, fn->name) != 0)
            continue;
        char arn[300];
        snprintf(arn, sizeof(arn), "%s:%s", fn->arn, api->cat->eics[i].qualifier);
        cJSON_AddItemToArray(arr, eic_json(&api->cat->eics[i].eic, arn));
    }
    aws_send_json_take(req, 200, out);
}

/* ---- provisioned concurrency ---- */

static struct lambda_pc *pc_find(const struct lambda_api *api, const char *name, const char *qual)
{
    for (size_t i = 0; i < api->npcs; i++)
        if (strcmp(api->pcs[i].name, name) == 0 && strcmp(api->pcs[i].qualifier, qual) == 0)
            return &api->pcs[i];
    return NULL;
}

/* Applies a configuration to the scheduler (n = 0 removes it). */
void lambda_pc_apply(struct lambda_api *api, const char *name, const char *qual, unsigned n)
{
    struct function *fn;
    if (catalog_resolve(api->cat, name, qual, false, &fn) == 0)
        sched_provision(api->sched, fn, n);
}

static void pc_set(struct lambda_api *api, const struct lambda_pc *pc)
{
    struct lambda_pc *slot = pc_find(api, pc->name, pc->qualifier);
    if (slot == NULL) {
        struct lambda_pc *a = xrealloc(api->pcs, (api->npcs + 1) * sizeof(*a));
        api->pcs = a;
        slot = &a[api->npcs++];
    }
    *slot = *pc;
    lambda_pc_apply(api, pc->name, pc->qualifier, (unsigned)pc->requested);
}

static void pc_remove(struct lambda_api *api, const char *name, const char *qual)
{
    struct lambda_pc *slot = pc_find(api, name, qual);
    if (slot == NULL)
        return;
    lambda_pc_apply(api, name, qual, 0);
    *slot = api->pcs[--api->npcs];
}

static cJSON *pc_json(struct lambda_api *api, const struct lambda_pc *pc, bool with_arn)
{
    struct function *fn;
    unsigned ready = catalog_resolve(api->cat, pc->name, pc->qualifier, false, &fn) == 0
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
    j->rc = put_or_delete(j->api->st, LAMBDA_DOC_NS, key, j->remove ? NULL : json);
}

static void pc_done(void *arg)
{
    struct pc_job *j = arg;
    lambda_clear_busy(j->api, j->pc.name);
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
void lambda_pc_op(struct lambda_api *api, h2o_req_t *req, const char *seg)
{
    char list[8], qual[FN_QUALIFIER_MAX + 1];
    struct fn_ref ref;
    struct function *latest;
    if (arn_parse_function(seg, strlen(seg), &ref) != 0 ||
        (latest = catalog_find(api->cat, ref.name)) == NULL) {
        lambda_resolve(api, req, seg, qual); /* sends the error */
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
    if (catalog_resolve(api->cat, ref.name, qual, false, &fn) != 0) {
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
    if (lambda_is_busy(api, ref.name)) {
        lambda_send_in_progress(req, latest);
        return;
    }
    struct pc_job *j = xcalloc(1, sizeof(*j));
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
            lambda_parse_body(req, API_JSON_REQUEST_MAX_BYTES, "PutProvisionedConcurrencyConfig");
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
    lambda_set_busy(api, ref.name);
    worker_submit(api->wp, pc_work, pc_done, j);
}

/* ---- function URLs ---- */

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
    furl_store_key(j->u.name, j->u.qualifier, key, sizeof(key));
    char *json = j->status == 204 ? NULL : furl_store_json(&j->u);
    j->rc = put_or_delete(j->api->st, LAMBDA_DOC_NS, key, json);
    free(json);
}

static void furl_done(void *arg)
{
    struct furl_job *j = arg;
    lambda_clear_busy(j->api, j->u.name);
    if (j->rc != 0) {
        aws_send_error(j->req, ERR_SERVICE, "The store could not be written: %s", err_str(j->rc));
        furl_clear(&j->u);
    } else if (j->status == 204) {
        catalog_furl_remove(j->api->cat, j->u.name, j->u.qualifier);
        aws_send_empty(j->req, 204);
    } else {
        cJSON *out = furl_out(j->api, &j->u, j->status == 200);
        catalog_furl_set(j->api->cat, &j->u);
        aws_send_json_take(j->req, j->status, out);
    }
    free(j);
}

static void furl_list(struct lambda_api *api, h2o_req_t *req, const char *name)
{
    char marker[32];
    long max;
    if (!lambda_page_params(req, 50, &max, marker, sizeof(marker)))
        return;
    long start = marker[0] != '\0' ? strtol(marker, NULL, 10) : 0;
    cJSON *out = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(out, "FunctionUrlConfigs");
    long seen = 0, added = 0;
    for (size_t i = 0; i < api->cat->nfurls; i++) {
        if (strcmp(api->cat->furls[i].name, name) != 0 || seen++ < start)
            continue;
        if (added == max) {
            char next[24];
            snprintf(next, sizeof(next), "%ld", start + added);
            cJSON_AddStringToObject(out, "NextMarker", next);
            break;
        }
        cJSON_AddItemToArray(arr, furl_out(api, &api->cat->furls[i], true));
        added++;
    }
    aws_send_json_take(req, 200, out);
}

/* Create (POST), Get (GET), Update (PUT), Delete (DELETE) of the URL
 * configuration of seg (+ Qualifier: $LATEST or an alias), and List (GET
 * .../urls). */
void lambda_furl_op(struct lambda_api *api, h2o_req_t *req, const char *seg, bool list)
{
    char qual[FN_QUALIFIER_MAX + 1];
    struct fn_ref ref;
    struct function *latest;
    if (arn_parse_function(seg, strlen(seg), &ref) != 0 ||
        (latest = catalog_find(api->cat, ref.name)) == NULL) {
        lambda_resolve(api, req, seg, qual); /* sends the error */
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
    if (catalog_resolve(api->cat, ref.name, qual, false, &fn) != 0) {
        aws_send_error(req, ERR_NOT_FOUND, "Function not found: %s:%s", latest->arn, qual);
        return;
    }
    const struct furl *cur = catalog_furl(api->cat, ref.name, qual);
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
    if (lambda_is_busy(api, ref.name)) {
        lambda_send_in_progress(req, latest);
        return;
    }
    struct furl_job *j = xcalloc(1, sizeof(*j));
    j->api = api;
    j->req = req;
    j->status = del ? 204 : create ? 201 : 200;
    snprintf(j->u.name, sizeof(j->u.name), "%s", ref.name);
    snprintf(j->u.qualifier, sizeof(j->u.qualifier), "%s", qual);
    if (!del) {
        cJSON *body =
            lambda_parse_body(req, API_JSON_REQUEST_MAX_BYTES,
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
    lambda_set_busy(api, ref.name);
    worker_submit(api->wp, furl_work, furl_done, j);
}
