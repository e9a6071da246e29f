/* SPDX-License-Identifier: MIT */
/*
 * Layers: PublishLayerVersion, GetLayerVersion(ByArn), ListLayers,
 * ListLayerVersions, DeleteLayerVersion.
 */
#include "layer_api.h"

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
        j->rc = store_doc_delete(j->api->st, LAMBDA_DOC_NS, key, STORE_REV_ANY);
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
    j->rc = store_doc_put(j->api->st, LAMBDA_DOC_NS, key, json, STORE_REV_ANY, NULL);
    free(json);
    layer_key(j->l->name, 0, key, sizeof(key));
    snprintf(counter, sizeof(counter), "{\"LastVersion\":%d}", j->l->version);
    if (j->rc == 0)
        j->rc = store_doc_put(j->api->st, LAMBDA_DOC_NS, key, counter, STORE_REV_ANY, NULL);
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
    lambda_clear_busy(api, j->name);
    if (j->rc != 0) {
        aws_send_error(j->req, j->rc, "%s", j->msg[0] ? j->msg : err_str(j->rc));
    } else if (j->remove_version > 0) {
        const struct layer_version *l = layers_find(&api->cat->layers, j->name, j->remove_version);
        char hex[65] = "";
        if (l != NULL)
            memcpy(hex, l->hex, sizeof(hex));
        layers_remove(&api->cat->layers, j->name, j->remove_version);
        if (hex[0] != '\0')
            lambda_gc_code(api, hex);
        aws_send_empty(j->req, 204);
    } else {
        send_layer(api, j->req, 201, j->l);
        layers_add(&api->cat->layers, j->l);
        j->l = NULL;
    }
    layer_free(j->l);
    cJSON_Delete(j->body);
    free(j);
}

static struct layer_job *layer_job_new(struct lambda_api *api, h2o_req_t *req, const char *name)
{
    struct layer_job *j = xcalloc(1, sizeof(*j));
    j->api = api;
    j->req = req;
    memcpy(j->name, name, strnlen(name, sizeof(j->name) - 1)); /* callers checked the name */
    return j;
}

static void publish_layer(struct lambda_api *api, h2o_req_t *req, const char *name)
{
    cJSON *body = lambda_parse_body(req, API_CODE_REQUEST_MAX_BYTES, "PublishLayerVersion");
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
    if (zip == NULL || lambda_is_busy(api, name)) {
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
    l->version = layers_next_version(&api->cat->layers, name);
    layers_note_version(&api->cat->layers, name, l->version); /* reserved even if this fails */
    struct layer_job *j = layer_job_new(api, req, name);
    j->l = l;
    j->body = body;
    j->zip_b64 = zip;
    lambda_set_busy(api, name);
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
    if (!lambda_page_params(req, 50, &max, marker, sizeof(marker)))
        return;
    size_t skip = (size_t)strtoul(marker, NULL, 10), seen = 0;
    long count = 0;
    cJSON *out = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(out, name != NULL ? "LayerVersions" : "Layers");
    bool more = false;
    for (size_t k = api->cat->layers.n; k-- > 0;) { /* newest first within a name */
        const struct layer_version *l = api->cat->layers.v[k];
        if ((name != NULL && strcmp(l->name, name) != 0) || !runtime_matches(l, rt))
            continue;
        if (name == NULL) { /* only the newest matching version of each layer */
            bool newer = false;
            for (size_t m = k + 1; m < api->cat->layers.n && !newer; m++)
                newer = strcmp(api->cat->layers.v[m]->name, l->name) == 0 &&
                        runtime_matches(api->cat->layers.v[m], rt);
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
    const struct layer_version *l = layers_find(&api->cat->layers, name, version);
    if (http_method_is(req, "DELETE")) {
        if (l == NULL || lambda_is_busy(api, name)) { /* deleting what is not there succeeds */
            aws_send_empty(req, 204);
            return;
        }
        struct layer_job *j = layer_job_new(api, req, name);
        j->remove_version = version;
        lambda_set_busy(api, name);
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

bool lambda_route_layers(struct lambda_api *api, h2o_req_t *req, const struct http_path *p)
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
