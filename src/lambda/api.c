/* SPDX-License-Identifier: MIT */
/*
 * The Lambda control plane's front: routing of /2015-03-31/..., the other
 * dated prefixes and the old trailing-slash paths to the operations, and
 * loading every function and configuration from the store at start-up.
 */
#include "api.h"

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
#include "http/router.h"
#include "invoke/invoke.h"
#include "invoke/sched.h"
#include "lambda/configs.h"
#include "lambda/functions.h"
#include "lambda/invoke.h"
#include "lambda/jobs.h"
#include "lambda/layer_api.h"
#include "lambda/versions.h"
#include "store/blob.h"
#include "store/store.h"

/* ---- routing ---- */

static bool route_function(struct lambda_api *api, h2o_req_t *req, const struct http_path *p)
{
    const char *sub = p->n == 4 ? p->seg[3] : NULL;
    if (p->n == 4 && strcmp(sub, "invocations") == 0 && http_method_is(req, "POST")) {
        struct fn_ref ref;
        if (arn_parse_function(p->seg[2], strlen(p->seg[2]), &ref) != 0) {
            lambda_resolve(api, req, p->seg[2], NULL);
            return true;
        }
        lambda_invoke(api, req, &ref);
        return true;
    }
    bool get = http_method_is(req, "GET"), put = http_method_is(req, "PUT");
    bool del = http_method_is(req, "DELETE"), post = http_method_is(req, "POST");
    bool versions = p->n == 4 && strcmp(sub, "versions") == 0 && (get || post);
    bool aliases = p->n == 4 && strcmp(sub, "aliases") == 0 && (get || post);
    bool alias = p->n == 5 && strcmp(p->seg[3], "aliases") == 0 && (get || put || del);
    if (versions || aliases || alias) {
        char qual[FN_QUALIFIER_MAX + 1];
        struct function *latest = lambda_resolve(api, req, p->seg[2], qual);
        if (latest == NULL)
            return true;
        if (strcmp(latest->version, "$LATEST") != 0) {
            aws_send_error(req, ERR_INVALID_PARAMETER,
                           "This operation takes an unqualified function name.");
            return true;
        }
        if (versions && post && lambda_is_busy(api, latest->name))
            lambda_send_in_progress(req, latest);
        else if (versions)
            post ? lambda_publish_version(api, req, latest)
                 : lambda_list_versions(api, req, latest);
        else if (aliases)
            lambda_aliases_op(api, req, latest);
        else
            lambda_alias_op(api, req, latest, p->seg[4]);
        return true;
    }
    if (!((p->n == 3 && (get || del)) ||
          (p->n == 4 && strcmp(sub, "configuration") == 0 && (get || put)) ||
          (p->n == 4 && strcmp(sub, "code") == 0 && put)))
        return false;
    char qual[FN_QUALIFIER_MAX + 1];
    struct function *fn = lambda_resolve(api, req, p->seg[2], qual);
    if (fn == NULL)
        return true;
    if ((put || del) && lambda_is_busy(api, fn->name)) {
        lambda_send_in_progress(req, fn);
        return true;
    }
    if (put && strcmp(fn->version, "$LATEST") != 0) {
        aws_send_error(req, ERR_INVALID_PARAMETER,
                       "Published versions cannot be changed: update $LATEST and publish a new "
                       "version.");
        return true;
    }
    if (p->n == 3)
        get ? lambda_get_function(api, req, fn, true) : lambda_delete_function(api, req, fn, qual);
    else if (strcmp(sub, "code") == 0)
        lambda_update_code(api, req, fn);
    else
        get ? lambda_get_function(api, req, fn, false) : lambda_update_config(api, req, fn);
    return true;
}

bool lambda_api_handle(struct lambda_api *api, h2o_req_t *req)
{
    struct http_path p;
    if (http_split_path(req, &p) != 0 || p.n < 2)
        return false;
    if (strcmp(p.seg[0], "2015-03-31") == 0 && strcmp(p.seg[1], "functions") == 0) {
        if (p.n == 2 && http_method_is(req, "POST")) {
            lambda_create_function(api, req);
            return true;
        }
        if (p.n == 2 && http_method_is(req, "GET")) {
            lambda_list_functions(api, req);
            return true;
        }
        return p.n >= 3 && route_function(api, req, &p);
    }
    if (strcmp(p.seg[0], "2016-08-19") == 0 && strcmp(p.seg[1], "account-settings") == 0 &&
        p.n == 2 && http_method_is(req, "GET")) {
        lambda_account_settings(api, req);
        return true;
    }
    if (strcmp(p.seg[0], "2014-11-13") == 0 && strcmp(p.seg[1], "functions") == 0 && p.n == 4 &&
        strcmp(p.seg[3], "invoke-async") == 0 && http_method_is(req, "POST")) {
        struct fn_ref ref;
        if (arn_parse_function(p.seg[2], strlen(p.seg[2]), &ref) != 0)
            lambda_resolve(api, req, p.seg[2], NULL);
        else
            lambda_invoke_async(api, req, &ref);
        return true;
    }
    if (strcmp(p.seg[0], "2018-10-31") == 0 && strcmp(p.seg[1], "layers") == 0)
        return lambda_route_layers(api, req, &p);
    if (strcmp(p.seg[0], "2019-09-30") == 0 && strcmp(p.seg[1], "functions") == 0 && p.n == 4 &&
        strcmp(p.seg[3], "provisioned-concurrency") == 0 &&
        (http_method_is(req, "GET") || http_method_is(req, "PUT") ||
         http_method_is(req, "DELETE"))) {
        lambda_pc_op(api, req, p.seg[2]);
        return true;
    }
    if ((strcmp(p.seg[0], "2017-10-31") == 0 || strcmp(p.seg[0], "2019-09-30") == 0) &&
        strcmp(p.seg[1], "functions") == 0 && p.n == 4 && strcmp(p.seg[3], "concurrency") == 0) {
        bool get = http_method_is(req, "GET");
        if (get != (strcmp(p.seg[0], "2019-09-30") == 0) ||
            !(get || http_method_is(req, "PUT") || http_method_is(req, "DELETE")))
            return false;
        char qual[FN_QUALIFIER_MAX + 1];
        struct function *fn = lambda_resolve(api, req, p.seg[2], qual);
        if (fn != NULL && strcmp(fn->version, "$LATEST") != 0)
            aws_send_error(req, ERR_INVALID_PARAMETER,
                           "Reserved concurrency is set on the function: use its unqualified "
                           "name.");
        else if (fn != NULL)
            lambda_concurrency_op(api, req, fn);
        return true;
    }
    if (strcmp(p.seg[0], "2019-09-25") == 0 && strcmp(p.seg[1], "functions") == 0 &&
        (p.n == 4 || p.n == 5) && strcmp(p.seg[3], "event-invoke-config") == 0) {
        bool list = p.n == 5 && strcmp(p.seg[4], "list") == 0;
        if ((p.n == 5 && !list) || (list && !http_method_is(req, "GET")))
            return false;
        char qual[FN_QUALIFIER_MAX + 1];
        struct function *fn = lambda_resolve(api, req, p.seg[2], qual);
        if (fn != NULL && list && qual[0] != '\0')
            aws_send_error(req, ERR_INVALID_PARAMETER,
                           "ListFunctionEventInvokeConfigs takes an unqualified function name.");
        else if (fn != NULL)
            list ? lambda_eic_list(api, req, fn)
                 : lambda_eic_op(api, req, fn, qual[0] ? qual : "$LATEST");
        return true;
    }
    if (strcmp(p.seg[0], "2021-10-31") == 0 && strcmp(p.seg[1], "functions") == 0 && p.n == 4 &&
        (strcmp(p.seg[3], "url") == 0 ||
         (strcmp(p.seg[3], "urls") == 0 && http_method_is(req, "GET")))) {
        lambda_furl_op(api, req, p.seg[2], p.seg[3][3] == 's');
        return true;
    }
    if (strcmp(p.seg[0], "2017-03-31") == 0 && strcmp(p.seg[1], "tags") == 0 && p.n == 3 &&
        (http_method_is(req, "GET") || http_method_is(req, "POST") ||
         http_method_is(req, "DELETE"))) {
        char qual[FN_QUALIFIER_MAX + 1];
        struct function *fn = lambda_resolve(api, req, p.seg[2], qual);
        if (fn != NULL && qual[0] != '\0')
            aws_send_error(req, ERR_INVALID_PARAMETER,
                           "Tags on function aliases and versions are not supported. Please "
                           "specify a function ARN.");
        else if (fn != NULL)
            lambda_tags_op(api, req, fn);
        return true;
    }
    if (strcmp(p.seg[0], "_lambdad") == 0 && strcmp(p.seg[1], "code") == 0 && p.n == 3 &&
        http_method_is(req, "GET")) {
        lambda_serve_code(api, req, p.seg[2]);
        return true;
    }
    return false;
}

static bool on_request(void *arg, h2o_req_t *req)
{
    return lambda_api_handle(arg, req);
}

int lambda_api_routes(struct lambda_api *api, struct router *r)
{
    /* The API's dated prefixes (2015-03-31 functions, 2016-08-19 account
     * settings, 2014-11-13 InvokeAsync, 2018-10-31 layers, 2017-10-31 and
     * 2019-09-30 concurrency, 2019-09-25 event invoke configs, 2021-10-31
     * function URLs, 2017-03-31 tags) and the code download path. */
    static const char *const prefixes[] = {
        "/2015-03-31/", "/2016-08-19/", "/2014-11-13/", "/2018-10-31/", "/2017-10-31/",
        "/2019-09-30/", "/2019-09-25/", "/2021-10-31/", "/2017-03-31/", "/_lambdad/code/",
    };
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        int rc = router_add(r, ROUTER_PATH, prefixes[i], 0, on_request, api);
        if (rc != 0)
            return rc;
    }
    return router_add(r, ROUTER_SERVICE, "lambda", 0, on_request, api);
}

static int load_one(const struct store_doc *d, void *arg)
{
    struct lambda_api *api = arg;
    const char *name = d->key, *json = d->body;
    size_t nlen = strlen(name);
    if (strncmp(name, "#L/", 3) == 0) { /* a layer version "#L/name/N", or its counter */
        if (name[nlen - 1] == '!') {
            char lname[LAYER_NAME_MAX + 1];
            snprintf(lname, sizeof(lname), "%.*s", (int)(nlen - 4), name + 3);
            cJSON *o = cJSON_Parse(json);
            const cJSON *last = cJSON_GetObjectItemCaseSensitive(o, "LastVersion");
            if (cJSON_IsNumber(last) && last->valuedouble < 1e8)
                layers_note_version(&api->cat->layers, lname, (int)last->valuedouble);
            cJSON_Delete(o);
        } else {
            struct layer_version *l = layer_from_store(json);
            if (l != NULL)
                layers_add(&api->cat->layers, l);
            else
                log_error("layer=%s msg=\"stored layer version is damaged; skipped\"", name);
        }
        return 0;
    }
    if (nlen > 1 && name[nlen - 1] == '!') { /* a version counter: "name!" */
        char fname[FN_NAME_MAX + 1];
        snprintf(fname, sizeof(fname), "%.*s", (int)(nlen - 1), name);
        struct catalog_versions *v = catalog_versions(api->cat, fname);
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
            catalog_furl_set(api->cat, &u);
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
            struct lambda_pc *a = xrealloc(api->pcs, (api->npcs + 1) * sizeof(*a));
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
            catalog_put_alias(api->cat, fname, &a);
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
        catalog_add_version(api->cat, fn);
    else
        catalog_put(api->cat, fn);
    function_unref(fn);
    return 0;
}

static int load_eic(const struct store_doc *d, void *arg)
{
    struct lambda_api *api = arg;
    struct eic e;
    char fn[FN_NAME_MAX + 1]; /* the key is "fn:qualifier" */
    const char *colon = strchr(d->key, ':'), *qualifier = colon != NULL ? colon + 1 : "";
    snprintf(fn, sizeof(fn), "%.*s", colon != NULL ? (int)(colon - d->key) : 0, d->key);
    if (colon != NULL && strlen(qualifier) <= FN_QUALIFIER_MAX && eic_from_store(d->body, &e) == 0)
        catalog_eic_set(api->cat, fn, qualifier, &e);
    else
        log_error("fn=%s msg=\"stored event invoke configuration is damaged; skipped\"", fn);
    return 0;
}

int lambda_api_load(struct lambda_api *api)
{
    int rc = store_doc_scan(api->st, LAMBDA_DOC_NS, "", NULL, 0, load_one, api);
    if (rc == 0)
        lambda_update_reserved_total(api);
    for (size_t i = 0; rc == 0 && i < api->npcs; i++)
        lambda_pc_apply(api, api->pcs[i].name, api->pcs[i].qualifier,
                        (unsigned)api->pcs[i].requested);
    return rc != 0 ? rc : store_doc_scan(api->st, LAMBDA_EIC_NS, "", NULL, 0, load_eic, api);
}

void lambda_api_fini(struct lambda_api *api)
{
    for (size_t i = 0; i < api->nbusy; i++)
        free(api->busy[i]);
    free(api->busy);
    free(api->pcs);
}
