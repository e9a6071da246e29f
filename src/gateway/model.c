/* SPDX-License-Identifier: MIT */
/*
 * The API documents, their runtime view and their store writes (model.h).
 * The runtime view of an API is one parsed route table per deployment,
 * rebuilt whenever a new document is swapped in; route keys were validated
 * when they were written, so a key that no longer parses (a store edited by
 * hand) is left out of the table and logged.
 */
#include "model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/awserr.h"
#include "base/alloc.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/timer.h"
#include "base/util.h"
#include "base/worker.h"
#include "http/client.h"
#include "store/store.h"

#define GW_STORE_NS "apigw" /* the store's document namespace of APIs (one per API id) */

cJSON *gw_item(const cJSON *doc, const char *list, const char *key, const char *id)
{
    cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, list))
    {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, key);
        if (v == NULL) /* a deployment wrapper */
            v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(it, "deployment"),
                                                 key);
        if (cJSON_IsString(v) && strcmp(v->valuestring, id) == 0)
            return it;
    }
    return NULL;
}

bool gw_is_rest(const struct gw_api *api)
{
    return cJSON_HasObjectItem(api->doc, "restapi");
}

cJSON *gw_stage(const cJSON *doc, const char *name)
{
    return gw_item(doc, "stages", "stageName", name);
}

int gw_lambda_uri(const char *uri, struct fn_ref *ref)
{
    static const char pre[] = "arn:aws:apigateway:", mid[] = ":lambda:path/2015-03-31/functions/",
                      suffix[] = "/invocations";
    const char *fn = uri, *end = uri + strlen(uri);
    if (strncmp(uri, pre, sizeof(pre) - 1) == 0) {
        const char *f = strstr(uri, mid);
        if (f == NULL || (size_t)(end - uri) < sizeof(suffix) - 1 ||
            strcmp(end - (sizeof(suffix) - 1), suffix) != 0)
            return -EINVAL;
        fn = f + sizeof(mid) - 1;
        end -= sizeof(suffix) - 1;
        if (end <= fn)
            return -EINVAL;
    }
    size_t len = (size_t)(end - fn);
    const char *kind = len >= 15 ? memmem(fn, len, ":function:", 10) : NULL;
    if (len < 15 || strncmp(fn, "arn:aws:lambda:", 15) != 0 || kind == NULL)
        return -EINVAL; /* a function's ARN, not merely a FunctionName */
    return arn_parse_function(fn, len, ref) == 0 ? 0 : -EINVAL;
}

/* ---- runtime view ---- */

static void rt_free(struct gw_api *api)
{
    for (size_t i = 0; i < api->nbuckets; i++)
        free(api->buckets[i].key);
    free(api->buckets);
    api->buckets = NULL;
    api->nbuckets = 0;
    for (size_t i = 0; i < api->nauth_cache; i++) {
        free(api->auth_cache[i].key);
        cJSON_Delete(api->auth_cache[i].context);
        free(api->auth_cache[i].principal);
    }
    free(api->auth_cache);
    api->auth_cache = NULL;
    api->nauth_cache = 0;
    for (size_t i = 0; i < api->ndeps; i++) {
        free(api->deps[i].keys);
        free(api->deps[i].ptrs);
        free(api->deps[i].routes);
        free(api->deps[i].resources);
    }
    free(api->deps);
    api->deps = NULL;
    api->ndeps = 0;
}

static void rt_alloc(struct gw_deploy_rt *rt, size_t n, bool rest)
{
    rt->keys = calloc(n + 1, sizeof(*rt->keys));
    rt->ptrs = calloc(n + 1, sizeof(*rt->ptrs));
    rt->routes = calloc(n + 1, sizeof(*rt->routes));
    rt->resources = rest ? calloc(n + 1, sizeof(*rt->resources)) : NULL;
    if (rt->keys == NULL || rt->ptrs == NULL || rt->routes == NULL || (rest && !rt->resources))
        abort();
}

/* Adds route key text (with its route object) to rt, if it parses. */
static bool rt_add(const struct gw_api *api, struct gw_deploy_rt *rt, const char *text,
                   const cJSON *route)
{
    struct gw_route_key *k = &rt->keys[rt->nroutes];
    if (gw_route_key_parse(text, strlen(text), k) != 0) {
        log_warn("msg=\"stored route key does not parse\" api=%s", api->id);
        return false;
    }
    rt->ptrs[rt->nroutes] = k;
    rt->routes[rt->nroutes++] = route;
    return true;
}

static void rt_http(const struct gw_api *api, struct gw_deploy_rt *rt)
{
    const cJSON *routes = cJSON_GetObjectItemCaseSensitive(rt->dep, "routes");
    rt_alloc(rt, (size_t)cJSON_GetArraySize(routes), false);
    const cJSON *r;
    cJSON_ArrayForEach(r, routes)
    {
        const cJSON *key = cJSON_GetObjectItemCaseSensitive(r, "routeKey");
        if (cJSON_IsString(key))
            rt_add(api, rt, key->valuestring, r);
    }
}

/* A REST deployment: one route key "VERB path" per method of each resource. */
static void rt_rest(const struct gw_api *api, struct gw_deploy_rt *rt)
{
    const cJSON *resources = cJSON_GetObjectItemCaseSensitive(rt->dep, "resources"), *r, *m;
    size_t n = 0;
    cJSON_ArrayForEach(r, resources)
    {
        n += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "resourceMethods"));
    }
    rt_alloc(rt, n, true);
    cJSON_ArrayForEach(r, resources)
    {
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(r, "path");
        cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(r, "resourceMethods"))
        {
            char text[GW_ROUTE_KEY_MAX + 1];
            snprintf(text, sizeof(text), "%s %s", m->string,
                     cJSON_IsString(path) ? path->valuestring : "");
            if (rt_add(api, rt, text, m))
                rt->resources[rt->nroutes - 1] = r;
        }
    }
}

static void rt_build(struct gw_api *api)
{
    rt_free(api);
    const cJSON *deps = cJSON_GetObjectItemCaseSensitive(api->doc, "deployments");
    size_t n = (size_t)cJSON_GetArraySize(deps);
    if (n == 0)
        return;
    api->deps = xcalloc(n, sizeof(*api->deps));
    const cJSON *d;
    cJSON_ArrayForEach(d, deps)
    {
        struct gw_deploy_rt *rt = &api->deps[api->ndeps++];
        rt->dep = d;
        if (cJSON_HasObjectItem(d, "resources"))
            rt_rest(api, rt);
        else
            rt_http(api, rt);
    }
}
const struct gw_deploy_rt *gw_deployment_rt(const struct gw_api *api, const char *id)
{
    for (size_t i = 0; i < api->ndeps; i++) {
        const cJSON *dep = cJSON_GetObjectItemCaseSensitive(api->deps[i].dep, "deployment");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(dep, "deploymentId");
        if (v == NULL) /* a REST API's */
            v = cJSON_GetObjectItemCaseSensitive(dep, "id");
        if (cJSON_IsString(v) && strcmp(v->valuestring, id) == 0)
            return &api->deps[i];
    }
    return NULL;
}

/* ---- the API list ---- */

static size_t lower_bound(const struct gateway *gw, const char *id)
{
    size_t lo = 0, hi = gw->napis;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(gw->apis[mid]->id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct gw_api *find_any(const struct gateway *gw, const char *id)
{
    size_t i = lower_bound(gw, id);
    return i < gw->napis && strcmp(gw->apis[i]->id, id) == 0 ? gw->apis[i] : NULL;
}

struct gw_api *gw_find(const struct gateway *gw, const char *id)
{
    struct gw_api *api = find_any(gw, id);
    return api != NULL && api->doc != NULL ? api : NULL;
}

static struct gw_api *insert(struct gateway *gw, const char *id)
{
    if (gw->napis == gw->cap) {
        gw->cap = gw->cap ? gw->cap * 2 : 16;
        gw->apis = xrealloc(gw->apis, gw->cap * sizeof(*gw->apis));
    }
    struct gw_api *api = xcalloc(1, sizeof(*api));
    snprintf(api->id, sizeof(api->id), "%s", id);
    size_t i = lower_bound(gw, id);
    memmove(&gw->apis[i + 1], &gw->apis[i], (gw->napis - i) * sizeof(*gw->apis));
    gw->apis[i] = api;
    gw->napis++;
    return api;
}

struct gw_api *gw_detached(const char *id, cJSON *doc)
{
    struct gw_api *api = xcalloc(1, sizeof(*api));
    snprintf(api->id, sizeof(api->id), "%s", id);
    api->doc = doc;
    return api;
}

struct gw_api *gw_add(struct gateway *gw)
{
    char id[11];
    do
        rand_hex(id, 5);
    while (find_any(gw, id) != NULL);
    return insert(gw, id);
}

void gw_api_free(struct gw_api *api)
{
    rt_free(api);
    cJSON_Delete(api->doc);
    free(api->waiting);
    free(api);
}

static void remove_api(struct gateway *gw, struct gw_api *api)
{
    size_t i = lower_bound(gw, api->id);
    if (i < gw->napis && gw->apis[i] == api) {
        memmove(&gw->apis[i], &gw->apis[i + 1], (gw->napis - i - 1) * sizeof(*gw->apis));
        gw->napis--;
    }
}

/* ---- writes ---- */

bool gw_busy(struct gw_api *api, h2o_req_t *req)
{
    if (!api->writing)
        return false;
    h2o_req_t **w = xrealloc(api->waiting, (api->nwaiting + 1) * sizeof(*w));
    api->waiting = w;
    w[api->nwaiting++] = req;
    return true;
}

struct gw_job {
    struct gateway *gw;
    struct gw_api *api;
    h2o_req_t *req;
    cJSON *next;
    char *text; /* next, serialised */
    cJSON *resp;
    int status;
    int rc;
    gw_write_fn *again;
};

static void job_work(void *arg)
{
    struct gw_job *j = arg;
    j->rc = j->next != NULL
                ? store_doc_put(j->gw->st, GW_STORE_NS, j->api->id, j->text, STORE_REV_ANY, NULL)
                : store_doc_delete(j->gw->st, GW_STORE_NS, j->api->id, STORE_REV_ANY);
}

static void job_done(void *arg)
{
    struct gw_job *j = arg;
    struct gw_api *api = j->api;
    bool gone = false;
    if (j->rc != 0) {
        cJSON_Delete(j->next);
        aws_send_error_message(j->req, ERR_SERVICE, "The store could not be written: %s",
                               err_str(j->rc));
        gone = api->doc == NULL; /* a create that failed */
    } else if (j->next != NULL) {
        cJSON_Delete(api->doc);
        api->doc = j->next;
        rt_build(api);
    } else {
        gone = true;
    }
    if (j->rc == 0) {
        if (j->resp != NULL)
            aws_send_json(j->req, j->status, j->resp);
        else
            aws_send_empty(j->req, j->status);
    }
    cJSON_Delete(j->resp);
    free(j->text);
    if (gone)
        remove_api(j->gw, api);
    api->writing = false;
    /* Queued writes run now, in order, until one of them starts a write. */
    size_t next = 0;
    while (next < api->nwaiting && (gone || !api->writing)) {
        h2o_req_t *req = api->waiting[next++];
        j->again(j->gw, req);
    }
    if (next > 0) {
        memmove(api->waiting, api->waiting + next, (api->nwaiting - next) * sizeof(*api->waiting));
        api->nwaiting -= next;
    }
    if (gone)
        gw_api_free(api);
    free(j);
}

void gw_commit(struct gateway *gw, struct gw_api *api, h2o_req_t *req, cJSON *next, int status,
               cJSON *resp, gw_write_fn *again)
{
    struct gw_job *j = xcalloc(1, sizeof(*j));
    *j = (struct gw_job){.gw = gw,
                         .api = api,
                         .req = req,
                         .next = next,
                         .resp = resp,
                         .status = status,
                         .again = again};
    if (next != NULL && (j->text = cJSON_PrintUnformatted(next)) == NULL)
        abort();
    api->writing = true;
    worker_submit(gw->wp, job_work, job_done, j);
}

/* ---- loading ---- */

/* A loaded document that is not an API, until its module takes it. */
struct gw_stored {
    struct gw_stored *next;
    char *id;
    char *json;
};

static int load_one(const struct store_doc *sd, void *arg)
{
    struct gateway *gw = arg;
    const char *id = sd->key, *json = sd->body;
    if (id[0] == '#') { /* another module's (API ids are alphanumeric) */
        struct gw_stored *d = calloc(1, sizeof(*d));
        if (d == NULL || (d->id = strdup(id)) == NULL || (d->json = strdup(json)) == NULL)
            abort();
        d->next = gw->stored;
        gw->stored = d;
        return 0;
    }
    cJSON *doc = cJSON_Parse(json);
    if (!cJSON_IsObject(doc) ||
        (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(doc, "api")) &&
         !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(doc, "restapi")))) {
        log_error("msg=\"stored API does not parse; skipped\" api=%.16s", id);
        cJSON_Delete(doc);
        return 0;
    }
    struct gw_api *api = insert(gw, id);
    api->doc = doc;
    rt_build(api);
    return 0;
}

int gw_load(struct gateway *gw)
{
    return store_doc_scan(gw->st, GW_STORE_NS, "", NULL, 0, load_one, gw);
}

void gw_fini(struct gateway *gw)
{
    for (size_t i = 0; i < gw->napis; i++)
        gw_api_free(gw->apis[i]);
    free(gw->apis);
    gw->apis = NULL;
    gw->napis = gw->cap = 0;
    while (gw->stored != NULL) {
        struct gw_stored *d = gw->stored;
        gw->stored = d->next;
        free(d->id);
        free(d->json);
        free(d);
    }
    http_client_free(gw->http);
    gw->http = NULL;
}

char *gw_stored_take(struct gateway *gw, const char *id)
{
    for (struct gw_stored **p = &gw->stored; *p != NULL; p = &(*p)->next) {
        struct gw_stored *d = *p;
        if (strcmp(d->id, id) != 0)
            continue;
        char *json = d->json;
        *p = d->next;
        free(d->id);
        free(d);
        return json;
    }
    return NULL;
}

struct http_client *gw_http(struct gateway *gw, h2o_req_t *req)
{
    if (gw->http == NULL)
        gw->http = http_client_new(req->conn->ctx, gw->timers, GW_TIMEOUT_MAX_MS);
    return gw->http;
}

bool gw_throttle(struct gw_api *api, const char *key, const cJSON *rate, const cJSON *burst)
{
    if (rate == NULL && burst == NULL)
        return true;
    double r = rate != NULL ? rate->valuedouble : 1e12;
    double b = burst != NULL ? burst->valuedouble : (r < 1 ? 1 : r);
    struct gw_bucket *bk = NULL;
    for (size_t i = 0; i < api->nbuckets && bk == NULL; i++)
        if (strcmp(api->buckets[i].key, key) == 0)
            bk = &api->buckets[i];
    if (bk == NULL) {
        struct gw_bucket *nb = xrealloc(api->buckets, (api->nbuckets + 1) * sizeof(*nb));
        api->buckets = nb;
        bk = &nb[api->nbuckets++];
        bk->key = xstrdup(key);
        bk->last_ms = 0; /* full */
    }
    return gw_bucket_take(&bk->tokens, &bk->last_ms, r, b);
}

const char *gw_jstr(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

bool gw_bucket_take(double *tokens, int64_t *last_ms, double rate, double burst)
{
    int64_t now = timer_now_ms();
    *tokens = *last_ms == 0 ? burst : *tokens + rate * (double)(now - *last_ms) / 1000.0;
    if (*tokens > burst)
        *tokens = burst;
    *last_ms = now;
    if (*tokens < 1.0)
        return false;
    *tokens -= 1.0;
    return true;
}
