/* SPDX-License-Identifier: MIT */
/*
 * API keys and usage plans (see keys.h). The document:
 *   {"apiKeys": [...], "usagePlans": [...], "planKeys": [{"usagePlanId", "keyId"}]}
 * whose key and plan objects are what the apigateway API returns. It is
 * written with the APIs' machinery (gw_busy, gw_commit on a detached
 * gw_api): a write changes a copy, which is swapped in once committed, and
 * writes run one at a time in arrival order. Throttle buckets and quota
 * counters live in memory only.
 */
#include "keys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/awserr.h"
#include "base/alloc.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/util.h"
#include "gateway/members.h"
#include "gateway/model.h"

/* A key's use of a plan: its throttle bucket and its quota counter. */
struct counter {
    char plan[16];
    char key[16];
    double tokens;   /* its throttle bucket (gw_bucket_take) */
    int64_t last_ms; /* 0: not used yet (full) */
    int64_t period;  /* the quota period it counts (days, weeks or months since 1970) */
    long used;
};

struct gw_keys {
    struct gw_api *acct; /* the document, written like an API's */
    struct counter *ctr;
    size_t nctr;
};

/* The stored document (json borrowed), or NULL when it does not parse. */
static cJSON *parsed(const char *json)
{
    cJSON *doc = cJSON_Parse(json);
    static const char *const lists[] = {"apiKeys", "usagePlans", "planKeys"};
    for (size_t i = 0; i < 3; i++)
        if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, lists[i]))) {
            cJSON_Delete(doc);
            return NULL;
        }
    return doc;
}

/* The keys' state, made on first use from the document gw_load kept. */
static struct gw_keys *state(struct gateway *gw)
{
    if (gw->keys != NULL)
        return gw->keys;
    char *json = gw_stored_take(gw, GW_ACCOUNT_DOC_ID);
    cJSON *doc = json != NULL ? parsed(json) : NULL;
    if (json != NULL && doc == NULL)
        log_error("msg=\"stored API keys and usage plans do not parse; skipped\"");
    free(json);
    if (doc == NULL)
        doc = cJSON_Parse("{\"apiKeys\":[],\"usagePlans\":[],\"planKeys\":[]}");
    gw->keys = xcalloc(1, sizeof(*gw->keys));
    gw->keys->acct = gw_detached(GW_ACCOUNT_DOC_ID, doc);
    return gw->keys;
}

void gw_keys_fini(struct gateway *gw)
{
    if (gw->keys == NULL)
        return;
    gw_api_free(gw->keys->acct);
    free(gw->keys->ctr);
    free(gw->keys);
    gw->keys = NULL;
}

/* ---- writes ---- */

static void again(struct gateway *gw, h2o_req_t *req)
{
    gw_keys_handle(gw, req);
}

/* Stores next (taken) and then answers with status and resp (taken, NULL:
 * an empty body); writes run in arrival order, as an API's do. */
static void commit(struct gateway *gw, h2o_req_t *req, cJSON *next, int status, cJSON *resp)
{
    gw_commit(gw, gw->keys->acct, req, next, status, resp, again);
}

/* ---- helpers ---- */

static cJSON *find(const cJSON *doc, const char *list, const char *id)
{
    cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(doc, list))
    {
        const char *v = gw_str_of(o, "id");
        if (v != NULL && strcmp(v, id) == 0)
            return o;
    }
    return NULL;
}

static void bad(h2o_req_t *req, const char *msg)
{
    aws_send_error_message(req, ERR_GW_BAD_REQUEST, "%s", msg);
}

/* A key as returned: without its value unless asked. */
static cJSON *key_out(const cJSON *key, bool value)
{
    cJSON *o = cJSON_Duplicate(key, true);
    if (!value)
        cJSON_DeleteItemFromObjectCaseSensitive(o, "value");
    return o;
}

static bool query_true(h2o_req_t *req, const char *name)
{
    char v[8];
    return http_query(req, name, v, sizeof(v)) > 0 && strcmp(v, "true") == 0;
}

/* {"item": [...]} of a list, each item passed through out (or copied). */
static void send_list(h2o_req_t *req, const cJSON *list, bool values)
{
    cJSON *resp = cJSON_CreateObject(), *items = cJSON_AddArrayToObject(resp, "item");
    const cJSON *o;
    cJSON_ArrayForEach(o, list)
    {
        cJSON_AddItemToArray(items, values ? cJSON_Duplicate(o, true) : key_out(o, false));
    }
    aws_send_json_take(req, 200, resp);
}

static const struct member key_members[] = {
    {"name", M_STR, 1024}, {"description", M_STR, 1024}, {"enabled", M_BOOL, 0},
    {"value", M_STR, 128}, {"stageKeys", M_STRARR, 0},   {"tags", M_STRMAP, 0},
};

static const struct member plan_members[] = {
    {"name", M_STR, 1024}, {"description", M_STR, 1024}, {"throttle", M_OBJ, 0},
    {"quota", M_OBJ, 0},   {"tags", M_STRMAP, 0},
};

/* The REST API stage apiId/stage exists. */
static bool stage_exists(struct gateway *gw, const char *api_id, const char *stage)
{
    struct gw_api *api = api_id != NULL ? gw_find(gw, api_id) : NULL;
    return api != NULL && gw_is_rest(api) && stage != NULL && gw_stage(api->doc, stage) != NULL;
}

/* A plan's throttle / quota / apiStages as AWS checks them. */
static bool check_plan(struct gateway *gw, h2o_req_t *req, cJSON *plan)
{
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(plan, "throttle");
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(plan, "quota");
    const cJSON *stages = cJSON_GetObjectItemCaseSensitive(plan, "apiStages"), *s;
    if (gw_str_of(plan, "name") == NULL || gw_str_of(plan, "name")[0] == '\0') {
        bad(req, "Usage plan name must be specified");
        return false;
    }
    if (th != NULL) {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(th, "rateLimit");
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(th, "burstLimit");
        if ((r != NULL && (!cJSON_IsNumber(r) || r->valuedouble < 0)) ||
            (b != NULL && (!cJSON_IsNumber(b) || b->valuedouble < 0 || b->valuedouble > 1e9))) {
            bad(req, "Throttle rateLimit and burstLimit must be non-negative numbers");
            return false;
        }
    }
    if (q != NULL) {
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(q, "limit");
        const char *period = gw_str_of(q, "period");
        if (!cJSON_IsNumber(l) || l->valuedouble < 0 || l->valuedouble > 1e12 ||
            !gw_one_of(period, (const char *const[]){"DAY", "WEEK", "MONTH", NULL})) {
            bad(req, "Quota needs a non-negative limit and a period of DAY, WEEK or MONTH");
            return false;
        }
    }
    if (stages != NULL && !cJSON_IsArray(stages)) {
        bad(req, "apiStages must be a list");
        return false;
    }
    cJSON_ArrayForEach(s, stages)
    {
        if (!cJSON_IsObject(s)) {
            bad(req, "apiStages must be a list of {apiId, stage}");
            return false;
        }
        const char *id = gw_str_of(s, "apiId"), *st = gw_str_of(s, "stage");
        if (!stage_exists(gw, id, st)) {
            aws_send_error_message(req, ERR_GW_NOT_FOUND,
                                   "Invalid stage identifier specified: %.64s:%.128s",
                                   id != NULL ? id : "", st != NULL ? st : "");
            return false;
        }
    }
    return true;
}

/* ---- operations ---- */

static void create_key(struct gateway *gw, h2o_req_t *req, const cJSON *doc)
{
    cJSON *body = gw_parse_body(req);
    if (body == NULL)
        return;
    cJSON *key = cJSON_CreateObject();
    char id[16], now[32];
    if (!APPLY(req, body, key, key_members)) {
        cJSON_Delete(body);
        cJSON_Delete(key);
        return;
    }
    cJSON_Delete(body);
    const char *value = gw_str_of(key, "value");
    if (value != NULL && strlen(value) < 20) {
        bad(req, "API Key value should be at least 20 characters");
        cJSON_Delete(key);
        return;
    }
    const cJSON *k;
    cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(doc, "apiKeys"))
    {
        if (value != NULL && strcmp(gw_str_of(k, "value"), value) == 0) {
            aws_send_error_message(req, ERR_GW_CONFLICT, "API Key already exists");
            cJSON_Delete(key);
            return;
        }
    }
    if (value == NULL) {
        char v[41];
        rand_hex(v, 20);
        gw_set_str(key, "value", v);
    }
    gw_new_id(id, 10);
    gw_now_iso(now);
    gw_set_str(key, "id", id);
    gw_set_default(key, "enabled", cJSON_CreateFalse());
    gw_set_default(key, "stageKeys", cJSON_CreateArray());
    gw_set_str(key, "createdDate", now);
    gw_set_str(key, "lastUpdatedDate", now);
    cJSON *next = cJSON_Duplicate(doc, true);
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(next, "apiKeys"), key);
    commit(gw, req, next, 201, cJSON_Duplicate(key, true));
}

static void create_plan(struct gateway *gw, h2o_req_t *req, const cJSON *doc)
{
    cJSON *body = gw_parse_body(req);
    if (body == NULL)
        return;
    cJSON *plan = cJSON_CreateObject();
    bool ok = APPLY(req, body, plan, plan_members);
    const cJSON *stages = cJSON_GetObjectItemCaseSensitive(body, "apiStages");
    if (stages != NULL) /* a list of objects: checked by check_plan */
        cJSON_AddItemToObject(plan, "apiStages", cJSON_Duplicate(stages, true));
    cJSON_Delete(body);
    if (!ok || !check_plan(gw, req, plan)) {
        cJSON_Delete(plan);
        return;
    }
    char id[16];
    gw_new_id(id, 6);
    gw_set_str(plan, "id", id);
    gw_set_default(plan, "apiStages", cJSON_CreateArray());
    cJSON *next = cJSON_Duplicate(doc, true);
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(next, "usagePlans"), plan);
    commit(gw, req, next, 201, cJSON_Duplicate(plan, true));
}

/* Applies PATCH patchOperations to a key (name, description, enabled) or a
 * plan (name, description, throttle/rateLimit and burstLimit, quota/limit and period, add/remove of
 * apiStages "apiId:stage"). */
static bool patch_obj(struct gateway *gw, h2o_req_t *req, const cJSON *body, cJSON *obj, bool plan)
{
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(body, "patchOperations"), *op;
    if (ops != NULL && !cJSON_IsArray(ops)) {
        bad(req, "Invalid patchOperations: must be a list");
        return false;
    }
    cJSON_ArrayForEach(op, ops)
    {
        const char *verb = gw_str_of(op, "op"), *path = gw_str_of(op, "path");
        const char *value = gw_str_of(op, "value");
        if (verb == NULL || path == NULL || value == NULL) {
            bad(req, "Invalid patch operation: op, path and value are required");
            return false;
        }
        if (strcmp(path, "/name") == 0 || strcmp(path, "/description") == 0) {
            gw_set_str(obj, path + 1, value);
        } else if (!plan && strcmp(path, "/enabled") == 0 &&
                   (strcmp(value, "true") == 0 || strcmp(value, "false") == 0)) {
            cJSON_DeleteItemFromObjectCaseSensitive(obj, "enabled");
            cJSON_AddBoolToObject(obj, "enabled", value[0] == 't');
        } else if (plan &&
                   (strncmp(path, "/throttle/", 10) == 0 || strncmp(path, "/quota/", 7) == 0)) {
            bool quota = path[1] == 'q';
            const char *field = path + (quota ? 7 : 10);
            cJSON *sub = cJSON_GetObjectItemCaseSensitive(obj, quota ? "quota" : "throttle");
            if (sub == NULL)
                sub = cJSON_AddObjectToObject(obj, quota ? "quota" : "throttle");
            cJSON_DeleteItemFromObjectCaseSensitive(sub, field);
            char *end;
            double v = strtod(value, &end);
            if (strcmp(field, "period") == 0)
                cJSON_AddStringToObject(sub, field, value);
            else if (*end == '\0' && end != value)
                cJSON_AddNumberToObject(sub, field, v);
            else {
                bad(req, "Invalid patch value");
                return false;
            }
        } else if (plan && strcmp(path, "/apiStages") == 0) {
            const char *colon = strchr(value, ':');
            char api_id[16];
            snprintf(api_id, sizeof(api_id), "%.*s", colon != NULL ? (int)(colon - value) : 0,
                     value);
            cJSON *stages = cJSON_GetObjectItemCaseSensitive(obj, "apiStages");
            if (colon == NULL || !stage_exists(gw, api_id, colon + 1)) {
                aws_send_error_message(req, ERR_GW_NOT_FOUND,
                                       "Invalid stage identifier specified: %.200s", value);
                return false;
            }
            cJSON *s = stages->child;
            while (s != NULL && !(strcmp(gw_str_of(s, "apiId"), api_id) == 0 &&
                                  strcmp(gw_str_of(s, "stage"), colon + 1) == 0))
                s = s->next;
            if (strcmp(verb, "remove") == 0 && s != NULL)
                cJSON_Delete(cJSON_DetachItemViaPointer(stages, s));
            else if (strcmp(verb, "add") == 0 && s == NULL) {
                cJSON *n = cJSON_CreateObject();
                cJSON_AddStringToObject(n, "apiId", api_id);
                cJSON_AddStringToObject(n, "stage", colon + 1);
                cJSON_AddItemToArray(stages, n);
            }
        } else {
            aws_send_error_message(req, ERR_GW_BAD_REQUEST, "Invalid patch path '%.128s'", path);
            return false;
        }
    }
    return !plan || check_plan(gw, req, obj);
}

static void update_obj(struct gateway *gw, h2o_req_t *req, const cJSON *doc, const char *list,
                       const char *id)
{
    cJSON *body = gw_parse_body(req);
    if (body == NULL)
        return;
    cJSON *next = cJSON_Duplicate(doc, true);
    cJSON *obj = find(next, list, id);
    bool plan = list[0] == 'u';
    if (!patch_obj(gw, req, body, obj, plan)) {
        cJSON_Delete(body);
        cJSON_Delete(next);
        return;
    }
    cJSON_Delete(body);
    if (!plan) {
        char now[32];
        gw_now_iso(now);
        gw_set_str(obj, "lastUpdatedDate", now);
    }
    commit(gw, req, next, 200, plan ? cJSON_Duplicate(obj, true) : key_out(obj, false));
}

/* Deletes a key (and its plan memberships) or a plan (and its keys' memberships). */
static void delete_obj(struct gateway *gw, h2o_req_t *req, const cJSON *doc, const char *list,
                       const char *id)
{
    cJSON *next = cJSON_Duplicate(doc, true);
    cJSON *l = cJSON_GetObjectItemCaseSensitive(next, list);
    cJSON_Delete(cJSON_DetachItemViaPointer(l, find(next, list, id)));
    cJSON *pk = cJSON_GetObjectItemCaseSensitive(next, "planKeys");
    const char *member = list[0] == 'u' ? "usagePlanId" : "keyId";
    for (cJSON *e = pk->child, *n; e != NULL; e = n) {
        n = e->next;
        if (strcmp(gw_str_of(e, member), id) == 0)
            cJSON_Delete(cJSON_DetachItemViaPointer(pk, e));
    }
    commit(gw, req, next, 202, NULL);
}

static bool plan_has_key(const cJSON *doc, const char *plan, const char *key)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "planKeys"))
    {
        if (strcmp(gw_str_of(e, "usagePlanId"), plan) == 0 &&
            strcmp(gw_str_of(e, "keyId"), key) == 0)
            return true;
    }
    return false;
}

/* The usage plan key object: {id, type, value, name}. */
static cJSON *plan_key_out(const cJSON *key)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", gw_str_of(key, "id"));
    cJSON_AddStringToObject(o, "type", "API_KEY");
    cJSON_AddStringToObject(o, "value", gw_str_of(key, "value"));
    if (gw_str_of(key, "name") != NULL)
        cJSON_AddStringToObject(o, "name", gw_str_of(key, "name"));
    return o;
}

static void plan_keys_op(struct gateway *gw, h2o_req_t *req, const cJSON *doc, const char *plan,
                         const char *key_id)
{
    if (key_id == NULL && http_method_is(req, "GET")) {
        cJSON *resp = cJSON_CreateObject(), *items = cJSON_AddArrayToObject(resp, "item");
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "planKeys"))
        {
            const cJSON *k = find(doc, "apiKeys", gw_str_of(e, "keyId"));
            if (strcmp(gw_str_of(e, "usagePlanId"), plan) == 0 && k != NULL)
                cJSON_AddItemToArray(items, plan_key_out(k));
        }
        aws_send_json_take(req, 200, resp);
        return;
    }
    if (key_id == NULL) { /* POST: add a key */
        cJSON *body = gw_parse_body(req);
        if (body == NULL)
            return;
        const char *kid = gw_str_of(body, "keyId"), *type = gw_str_of(body, "keyType");
        const cJSON *k = kid != NULL ? find(doc, "apiKeys", kid) : NULL;
        if (type == NULL || strcmp(type, "API_KEY") != 0)
            bad(req, "keyType must be API_KEY");
        else if (k == NULL)
            aws_send_error_message(req, ERR_GW_NOT_FOUND, "Invalid API Key identifier specified");
        else if (plan_has_key(doc, plan, kid))
            aws_send_error_message(req, ERR_GW_CONFLICT,
                                   "Usage Plan %s cannot be added because API Key %s cannot "
                                   "reference multiple Usage Plans with the same API Stage",
                                   plan, kid);
        else {
            cJSON *next = cJSON_Duplicate(doc, true), *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "usagePlanId", plan);
            cJSON_AddStringToObject(e, "keyId", kid);
            cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(next, "planKeys"), e);
            commit(gw, req, next, 201, plan_key_out(k));
        }
        cJSON_Delete(body);
        return;
    }
    const cJSON *k = find(doc, "apiKeys", key_id);
    if (k == NULL || !plan_has_key(doc, plan, key_id)) {
        aws_send_error_message(req, ERR_GW_NOT_FOUND,
                               "Invalid Usage Plan Key identifier specified");
    } else if (http_method_is(req, "GET")) {
        aws_send_json_take(req, 200, plan_key_out(k));
    } else {
        cJSON *next = cJSON_Duplicate(doc, true);
        cJSON *pk = cJSON_GetObjectItemCaseSensitive(next, "planKeys");
        for (cJSON *e = pk->child; e != NULL; e = e->next)
            if (strcmp(gw_str_of(e, "usagePlanId"), plan) == 0 &&
                strcmp(gw_str_of(e, "keyId"), key_id) == 0) {
                cJSON_Delete(cJSON_DetachItemViaPointer(pk, e));
                break;
            }
        commit(gw, req, next, 202, NULL);
    }
}

/* ---- counters ---- */

static struct counter *counter_of(struct gw_keys *k, const char *plan, const char *key)
{
    for (size_t i = 0; i < k->nctr; i++)
        if (strcmp(k->ctr[i].plan, plan) == 0 && strcmp(k->ctr[i].key, key) == 0)
            return &k->ctr[i];
    struct counter *a = xrealloc(k->ctr, (k->nctr + 1) * sizeof(*a));
    k->ctr = a;
    struct counter *c = &a[k->nctr++];
    memset(c, 0, sizeof(*c));
    snprintf(c->plan, sizeof(c->plan), "%s", plan);
    snprintf(c->key, sizeof(c->key), "%s", key);
    c->period = -1;
    return c;
}

/* The quota period now falls in: days, weeks or months since the epoch. */
static int64_t period_now(const char *period)
{
    time_t now = time(NULL);
    if (period != NULL && strcmp(period, "MONTH") == 0) {
        struct tm tm;
        gmtime_r(&now, &tm);
        return (int64_t)(tm.tm_year * 12 + tm.tm_mon);
    }
    int64_t days = (int64_t)now / 86400;
    return period != NULL && strcmp(period, "WEEK") == 0 ? (days + 3) / 7 : days;
}

static void usage_op(struct gateway *gw, h2o_req_t *req, const cJSON *plan)
{
    char start[16], end[16];
    if (http_query(req, "startDate", start, sizeof(start)) < 0 ||
        http_query(req, "endDate", end, sizeof(end)) < 0) {
        bad(req, "startDate and endDate are required");
        return;
    }
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(plan, "quota");
    const cJSON *limit = cJSON_GetObjectItemCaseSensitive(q, "limit");
    const char *id = gw_str_of(plan, "id");
    cJSON *resp = cJSON_CreateObject();
    cJSON_AddStringToObject(resp, "usagePlanId", id);
    cJSON_AddStringToObject(resp, "startDate", start);
    cJSON_AddStringToObject(resp, "endDate", end);
    cJSON *items = cJSON_AddObjectToObject(resp, "values");
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(gw->keys->acct->doc, "planKeys"))
    {
        if (strcmp(gw_str_of(e, "usagePlanId"), id) != 0)
            continue;
        struct counter *c = counter_of(gw->keys, id, gw_str_of(e, "keyId"));
        long used = c->period == period_now(gw_str_of(q, "period")) ? c->used : 0;
        cJSON *day = cJSON_CreateArray();
        cJSON_AddItemToArray(day, cJSON_CreateNumber((double)used));
        cJSON_AddItemToArray(
            day, cJSON_CreateNumber(cJSON_IsNumber(limit) ? limit->valuedouble - (double)used : 0));
        cJSON *days = cJSON_CreateArray();
        cJSON_AddItemToArray(days, day);
        cJSON_AddItemToObject(items, gw_str_of(e, "keyId"), days);
    }
    aws_send_json_take(req, 200, resp);
}

bool gw_keys_admit(struct gateway *gw, h2o_req_t *req, const char *api_id, const char *stage,
                   int *status, const char **message)
{
    struct gw_keys *k = state(gw);
    const h2o_iovec_t *v = http_req_header(req, "x-api-key");
    *status = 403;
    *message = "Forbidden";
    const cJSON *key = NULL, *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(k->acct->doc, "apiKeys"))
    {
        const char *val = gw_str_of(o, "value");
        if (v != NULL && val != NULL && strlen(val) == v->len && memcmp(val, v->base, v->len) == 0)
            key = o;
    }
    if (key == NULL || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(key, "enabled")))
        return false;
    const char *kid = gw_str_of(key, "id");
    const cJSON *plan = NULL;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(k->acct->doc, "usagePlans"))
    {
        const cJSON *s;
        cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(o, "apiStages"))
        {
            if (plan == NULL && strcmp(gw_str_of(s, "apiId"), api_id) == 0 &&
                strcmp(gw_str_of(s, "stage"), stage) == 0 &&
                plan_has_key(k->acct->doc, gw_str_of(o, "id"), kid))
                plan = o;
        }
    }
    if (plan == NULL)
        return false;
    struct counter *c = counter_of(k, gw_str_of(plan, "id"), kid);
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(plan, "throttle");
    const cJSON *rate = cJSON_GetObjectItemCaseSensitive(th, "rateLimit");
    const cJSON *burst = cJSON_GetObjectItemCaseSensitive(th, "burstLimit");
    if (cJSON_IsNumber(rate) || cJSON_IsNumber(burst)) {
        double r = cJSON_IsNumber(rate) ? rate->valuedouble : 1e9;
        double b = cJSON_IsNumber(burst) ? burst->valuedouble : (r >= 1 ? r : 1);
        if (!gw_bucket_take(&c->tokens, &c->last_ms, r, b)) {
            *status = 429;
            *message = "Too Many Requests";
            return false;
        }
    }
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(plan, "quota");
    const cJSON *limit = cJSON_GetObjectItemCaseSensitive(q, "limit");
    if (cJSON_IsNumber(limit)) {
        int64_t p = period_now(gw_str_of(q, "period"));
        if (c->period != p) {
            c->period = p;
            c->used = 0;
        }
        if ((double)c->used >= limit->valuedouble) {
            *status = 429;
            *message = "Limit Exceeded";
            return false;
        }
        c->used++;
    }
    return true;
}

/* ---- routing ---- */

bool gw_keys_handle(struct gateway *gw, h2o_req_t *req)
{
    struct http_path p;
    if (http_split_path(req, &p) != 0 || p.n < 1 ||
        (strcmp(p.seg[0], "apikeys") != 0 && strcmp(p.seg[0], "usageplans") != 0))
        return false;
    bool keys = p.seg[0][0] == 'a';
    bool get = http_method_is(req, "GET"), post = http_method_is(req, "POST"),
         patch = http_method_is(req, "PATCH"), del = http_method_is(req, "DELETE");
    bool sub_keys = p.n >= 3 && !keys && strcmp(p.seg[2], "keys") == 0;
    bool usage = p.n == 3 && !keys && strcmp(p.seg[2], "usage") == 0 && get;
    bool known = (p.n == 1 && (get || post)) || (p.n == 2 && (get || patch || del)) ||
                 (sub_keys && p.n == 3 && (get || post)) ||
                 (sub_keys && p.n == 4 && (get || del)) || usage;
    if (!known)
        return false;
    struct gw_keys *k = state(gw);
    if (!get && gw_busy(k->acct, req)) /* runs after the write in progress */
        return true;
    const cJSON *doc = k->acct->doc;
    const char *list = keys ? "apiKeys" : "usagePlans";
    if (p.n == 1) {
        if (post && keys)
            create_key(gw, req, doc);
        else if (post)
            create_plan(gw, req, doc);
        else
            send_list(req, cJSON_GetObjectItemCaseSensitive(doc, list),
                      !keys || query_true(req, "includeValues"));
        return true;
    }
    const cJSON *obj = find(doc, list, p.seg[1]);
    if (obj == NULL) {
        aws_send_error_message(req, ERR_GW_NOT_FOUND, "Invalid %s identifier specified",
                               keys ? "API Key" : "Usage Plan");
    } else if (usage) {
        usage_op(gw, req, obj);
    } else if (sub_keys) {
        plan_keys_op(gw, req, doc, p.seg[1], p.n == 4 ? p.seg[3] : NULL);
    } else if (get) {
        aws_send_json_take(req, 200,
                           keys ? key_out(obj, query_true(req, "includeValue"))
                                : cJSON_Duplicate(obj, true));
    } else if (patch) {
        update_obj(gw, req, doc, list, p.seg[1]);
    } else {
        delete_obj(gw, req, doc, list, p.seg[1]);
    }
    return true;
}
