/* SPDX-License-Identifier: MIT */
/*
 * Member tables and JSON helpers of the API Gateway control planes
 * (members.h).
 */
#include "members.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/awserr.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/util.h"

static const char *const type_names[] = {
    [M_STR] = "a string", [M_BOOL] = "a boolean",           [M_INT] = "an integer",
    [M_NUM] = "a number", [M_STRARR] = "a list of strings", [M_STRMAP] = "a map of strings",
    [M_OBJ] = "an object"};
_Static_assert(sizeof(type_names) / sizeof(type_names[0]) == M_OBJ + 1, "a name per type");

bool gw_all_strings(const cJSON *v)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, v)
    {
        if (!cJSON_IsString(e))
            return false;
    }
    return true;
}

bool gw_type_ok(const cJSON *v, const struct member *m)
{
    switch (m->type) {
    case M_STR:
        return cJSON_IsString(v) && (m->max == 0 || strlen(v->valuestring) <= m->max);
    case M_BOOL:
        return cJSON_IsBool(v);
    case M_INT:
        /* cJSON saturates valueint: integers beyond int range are refused too */
        return cJSON_IsNumber(v) && v->valuedouble == (double)v->valueint;
    case M_NUM:
        return cJSON_IsNumber(v);
    case M_STRARR:
        return cJSON_IsArray(v) && gw_all_strings(v);
    case M_STRMAP:
        return cJSON_IsObject(v) && gw_all_strings(v);
    case M_OBJ:
        return cJSON_IsObject(v);
    }
    return false;
}

/* Copies the members of body listed in ms into obj (replacing). Sends
 * BadRequestException and returns false for a member of the wrong type. */
bool gw_apply(h2o_req_t *req, const cJSON *body, cJSON *obj, const struct member *ms, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, ms[i].name);
        if (v == NULL || cJSON_IsNull(v))
            continue;
        if (!gw_type_ok(v, &ms[i])) {
            if (ms[i].type == M_STR && cJSON_IsString(v))
                aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                                       "Invalid input for %s: must be at most %zu characters long",
                                       ms[i].name, ms[i].max);
            else
                aws_send_error_message(req, ERR_GW_BAD_REQUEST, "Invalid input for %s: must be %s",
                                       ms[i].name, type_names[ms[i].type]);
            return false;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(obj, ms[i].name);
        cJSON_AddItemToObject(obj, ms[i].name, cJSON_Duplicate(v, true));
    }
    return true;
}

const char *gw_str_of(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

void gw_set_str(cJSON *obj, const char *key, const char *value)
{
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    cJSON_AddStringToObject(obj, key, value);
}

void gw_set_default(cJSON *obj, const char *key, cJSON *value)
{
    if (cJSON_HasObjectItem(obj, key))
        cJSON_Delete(value);
    else
        cJSON_AddItemToObject(obj, key, value);
}

cJSON *gw_parse_body(h2o_req_t *req)
{
    if (req->entity.len > API_JSON_REQUEST_MAX_BYTES) {
        aws_send_error_message(req, ERR_GW_BAD_REQUEST,
                               "Request body must be smaller than %d bytes",
                               API_JSON_REQUEST_MAX_BYTES);
        return NULL;
    }
    if (req->entity.len == 0)
        return cJSON_CreateObject();
    cJSON *body = cJSON_ParseWithLength(req->entity.base, req->entity.len);
    if (!cJSON_IsObject(body)) {
        cJSON_Delete(body);
        aws_send_error_message(req, ERR_GW_BAD_REQUEST, "Invalid request body: not a JSON object");
        return NULL;
    }
    return body;
}

void gw_now_iso(char out[32])
{
    time_fmt_iso(clock_ms(), out);
}

void gw_new_id(char *out, size_t chars)
{
    char hex[17];
    rand_hex(hex, 8);
    memcpy(out, hex, chars);
    out[chars] = '\0';
}

bool gw_one_of(const char *s, const char *const *set)
{
    for (size_t i = 0; s != NULL && set[i] != NULL; i++)
        if (strcmp(s, set[i]) == 0)
            return true;
    return false;
}

const struct gw_paging gw_page_v2 = {"maxResults", "nextToken", "items"};
const struct gw_paging gw_page_v1 = {"limit", "position", "item"};

void gw_send_page(h2o_req_t *req, cJSON *items, const struct gw_paging *pg)
{
    char buf[32];
    long max = GW_LIST_DEFAULT, start = 0;
    char *end;
    if (http_query(req, pg->max, buf, sizeof(buf)) >= 0) {
        max = strtol(buf, &end, 10);
        if (*end != '\0' || max < 1) {
            cJSON_Delete(items);
            aws_send_error_message(req, ERR_GW_BAD_REQUEST, "Invalid %s: %.16s", pg->max, buf);
            return;
        }
    }
    if (http_query(req, pg->token, buf, sizeof(buf)) >= 0) {
        start = strtol(buf, &end, 10);
        if (*end != '\0' || start < 0) {
            cJSON_Delete(items);
            aws_send_error_message(req, ERR_GW_BAD_REQUEST, "Invalid %s", pg->token);
            return;
        }
    }
    cJSON *out = cJSON_CreateObject(), *page = cJSON_AddArrayToObject(out, pg->items);
    long n = cJSON_GetArraySize(items), i = 0;
    cJSON *it = items->child;
    while (it != NULL) {
        cJSON *next = it->next;
        if (i >= start && i < start + max)
            cJSON_AddItemToArray(page, cJSON_DetachItemViaPointer(items, it));
        i++;
        it = next;
    }
    if (start + max < n) {
        snprintf(buf, sizeof(buf), "%ld", start + max);
        cJSON_AddStringToObject(out, pg->token, buf);
    }
    cJSON_Delete(items);
    aws_send_json_take(req, 200, out);
}
