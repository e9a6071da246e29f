/* SPDX-License-Identifier: MIT */
/*
 * Function URL configurations (see furl.h). The limits are those of the
 * Lambda API model: AuthType AWS_IAM|NONE, InvokeMode BUFFERED|RESPONSE_STREAM,
 * Cors.AllowHeaders/ExposeHeaders up to 100 values of at most 1024
 * characters, AllowMethods up to 6 of at most 6, AllowOrigins up to 100 of
 * 1-253, MaxAge 0-86400.
 */
#include "furl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/util.h"

static int invalid(char *msg, size_t cap, const char *member, const char *constraint)
{
    snprintf(msg, cap,
             "1 validation error detected: Value at '%s' failed to satisfy constraint: %s", member,
             constraint);
    return ERR_VALIDATION;
}

/* A list of strings of at most max items, each min..maxlen characters. */
static int check_list(const cJSON *v, const char *key, const char *member, int max, size_t minlen,
                      size_t maxlen, char *msg, size_t cap)
{
    if (!cJSON_IsArray(v)) {
        snprintf(msg, cap, "Could not parse request body into json: Cors.%s", key);
        return ERR_INVALID_PARAMETER;
    }
    if (cJSON_GetArraySize(v) > max) {
        char c[96];
        snprintf(c, sizeof(c), "Member must have length less than or equal to %d", max);
        return invalid(msg, cap, member, c);
    }
    const cJSON *s;
    cJSON_ArrayForEach(s, v)
    {
        size_t len = cJSON_IsString(s) ? strlen(s->valuestring) : 0;
        if (!cJSON_IsString(s) || len < minlen || len > maxlen) {
            char c[200];
            snprintf(c, sizeof(c),
                     "Member must satisfy constraint: [Member must have length less than or "
                     "equal to %zu, Member must have length greater than or equal to %zu]",
                     maxlen, minlen);
            return invalid(msg, cap, member, c);
        }
    }
    return 0;
}

static int parse_cors(const cJSON *cors, cJSON **out, char *msg, size_t cap)
{
    static const struct {
        const char *key;
        const char *member;
        int max;
        size_t minlen, maxlen;
    } lists[] = {
        {"AllowHeaders", "cors.allowHeaders", 100, 0, 1024},
        {"AllowMethods", "cors.allowMethods", 6, 0, 6},
        {"AllowOrigins", "cors.allowOrigins", 100, 1, 253},
        {"ExposeHeaders", "cors.exposeHeaders", 100, 0, 1024},
    };
    if (!cJSON_IsObject(cors)) {
        snprintf(msg, cap, "Could not parse request body into json: Cors");
        return ERR_INVALID_PARAMETER;
    }
    cJSON *keep = cJSON_CreateObject();
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(cors, lists[i].key);
        if (v == NULL)
            continue;
        int rc = check_list(v, lists[i].key, lists[i].member, lists[i].max, lists[i].minlen,
                            lists[i].maxlen, msg, cap);
        if (rc != 0) {
            cJSON_Delete(keep);
            return rc;
        }
        cJSON_AddItemToObject(keep, lists[i].key, cJSON_Duplicate(v, 1));
    }
    const cJSON *cred = cJSON_GetObjectItemCaseSensitive(cors, "AllowCredentials");
    const cJSON *age = cJSON_GetObjectItemCaseSensitive(cors, "MaxAge");
    int rc = 0;
    if (cred != NULL && !cJSON_IsBool(cred)) {
        snprintf(msg, cap, "Could not parse request body into json: Cors.AllowCredentials");
        rc = ERR_INVALID_PARAMETER;
    } else if (age != NULL && (!cJSON_IsNumber(age) || age->valuedouble != (int)age->valuedouble)) {
        snprintf(msg, cap, "Could not parse request body into json: Cors.MaxAge");
        rc = ERR_INVALID_PARAMETER;
    } else if (age != NULL && (age->valuedouble < 0 || age->valuedouble > 86400)) {
        rc = invalid(msg, cap, "cors.maxAge",
                     age->valuedouble < 0 ? "Member must have value greater than or equal to 0"
                                          : "Member must have value less than or equal to 86400");
    }
    if (rc != 0) {
        cJSON_Delete(keep);
        return rc;
    }
    if (cred != NULL)
        cJSON_AddBoolToObject(keep, "AllowCredentials", cJSON_IsTrue(cred));
    if (age != NULL)
        cJSON_AddNumberToObject(keep, "MaxAge", age->valuedouble);
    *out = keep;
    return 0;
}

/* An enum member: absent (keep), one of a / b, or an error. */
static int parse_enum(const cJSON *body, const char *key, const char *member, const char *a,
                      const char *b, bool *is_b, char *msg, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
    if (v == NULL)
        return 0;
    const char *s = cJSON_GetStringValue(v);
    if (s != NULL && strcmp(s, a) == 0) {
        *is_b = false;
        return 0;
    }
    if (s != NULL && strcmp(s, b) == 0) {
        *is_b = true;
        return 0;
    }
    char c[160];
    snprintf(c, sizeof(c), "Member must satisfy enum value set: [%s, %s]", a, b);
    snprintf(msg, cap,
             "1 validation error detected: Value '%.64s' at '%s' failed to satisfy constraint: %s",
             s != NULL ? s : "?", member, c);
    return ERR_VALIDATION;
}

int furl_parse(const cJSON *body, const struct furl *base, struct furl *out, char *msg, size_t cap)
{
    if (!cJSON_IsObject(body)) {
        snprintf(msg, cap, "Could not parse request body into json");
        return ERR_INVALID_PARAMETER;
    }
    out->iam = base != NULL && base->iam;
    out->streaming = base != NULL && base->streaming;
    out->cors = NULL;
    if (base == NULL && cJSON_GetObjectItemCaseSensitive(body, "AuthType") == NULL) {
        snprintf(msg, cap,
                 "1 validation error detected: Value null at 'authType' failed to satisfy "
                 "constraint: Member must not be null");
        return ERR_VALIDATION;
    }
    int rc = parse_enum(body, "AuthType", "authType", "NONE", "AWS_IAM", &out->iam, msg, cap);
    if (rc == 0)
        rc = parse_enum(body, "InvokeMode", "invokeMode", "BUFFERED", "RESPONSE_STREAM",
                        &out->streaming, msg, cap);
    if (rc != 0)
        return rc;
    const cJSON *cors = cJSON_GetObjectItemCaseSensitive(body, "Cors");
    if (cors != NULL)
        return parse_cors(cors, &out->cors, msg, cap);
    if (base != NULL && base->cors != NULL)
        out->cors = cJSON_Duplicate(base->cors, 1);
    return 0;
}

cJSON *furl_json(const struct furl *u, const char *fn_arn, const char *url, bool with_modified)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "FunctionUrl", url);
    cJSON_AddStringToObject(o, "FunctionArn", fn_arn);
    cJSON_AddStringToObject(o, "AuthType", u->iam ? "AWS_IAM" : "NONE");
    if (u->cors != NULL)
        cJSON_AddItemToObject(o, "Cors", cJSON_Duplicate(u->cors, 1));
    cJSON_AddStringToObject(o, "CreationTime", u->created);
    if (with_modified)
        cJSON_AddStringToObject(o, "LastModifiedTime", u->modified);
    cJSON_AddStringToObject(o, "InvokeMode", u->streaming ? "RESPONSE_STREAM" : "BUFFERED");
    return o;
}

char *furl_store_json(const struct furl *u)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "Id", u->id);
    cJSON_AddBoolToObject(o, "Iam", u->iam);
    cJSON_AddBoolToObject(o, "Streaming", u->streaming);
    if (u->cors != NULL)
        cJSON_AddItemToObject(o, "Cors", cJSON_Duplicate(u->cors, 1));
    cJSON_AddStringToObject(o, "Created", u->created);
    cJSON_AddStringToObject(o, "Modified", u->modified);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text == NULL)
        abort();
    return text;
}

int furl_from_store(const char *json, struct furl *out)
{
    cJSON *o = cJSON_Parse(json);
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "Id"));
    const char *created = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "Created"));
    const char *modified = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "Modified"));
    const cJSON *cors = cJSON_GetObjectItemCaseSensitive(o, "Cors");
    if (id == NULL || strlen(id) != FURL_ID_LEN || created == NULL || modified == NULL ||
        (cors != NULL && !cJSON_IsObject(cors))) {
        cJSON_Delete(o);
        return -EINVAL;
    }
    snprintf(out->id, sizeof(out->id), "%s", id);
    snprintf(out->created, sizeof(out->created), "%s", created);
    snprintf(out->modified, sizeof(out->modified), "%s", modified);
    out->iam = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "Iam"));
    out->streaming = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "Streaming"));
    out->cors = cors != NULL ? cJSON_Duplicate(cors, 1) : NULL;
    cJSON_Delete(o);
    return 0;
}

void furl_new_id(char out[FURL_ID_LEN + 1])
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    char hex[2 * FURL_ID_LEN + 1];
    rand_hex(hex, FURL_ID_LEN); /* a random byte per character */
    for (int i = 0; i < FURL_ID_LEN; i++) {
        char pair[3] = {hex[2 * i], hex[2 * i + 1], '\0'};
        out[i] = alphabet[strtoul(pair, NULL, 16) % 36];
    }
    out[FURL_ID_LEN] = '\0';
}

void furl_clear(struct furl *u)
{
    cJSON_Delete(u->cors);
    u->cors = NULL;
}

void furl_store_key(const char *name, const char *qual, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s^%s", name, qual);
}
