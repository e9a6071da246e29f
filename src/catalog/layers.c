/* SPDX-License-Identifier: MIT */
/*
 * Layer versions: validation of PublishLayerVersion, the response and store
 * JSON, ARNs, and the in-memory registry (a small sorted array; version
 * numbers per layer name are never reused, as on AWS).
 */
#include "layers.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/util.h"
#include "catalog/runtimes.h"

static char *dup_or_empty(const char *s)
{
    char *d = xstrdup(s != NULL ? s : "");
    return d;
}

void layer_free(struct layer_version *l)
{
    if (l == NULL)
        return;
    free(l->description);
    free(l->license);
    cJSON_Delete(l->runtimes);
    cJSON_Delete(l->architectures);
    free(l);
}

static int check_list(const cJSON *a, int max, bool runtimes, const char *field, char *msg,
                      size_t cap)
{
    if (a == NULL || cJSON_IsNull(a))
        return 0;
    if (!cJSON_IsArray(a)) {
        snprintf(msg, cap, "Could not parse request body into json: %s must be a list", field);
        return ERR_INVALID_CONTENT;
    }
    if (cJSON_GetArraySize(a) > max) {
        snprintf(msg, cap,
                 "1 validation error detected: Value at '%s' failed to satisfy constraint: "
                 "Member must have length less than or equal to %d",
                 field, max);
        return ERR_VALIDATION;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, a)
    {
        bool ok = cJSON_IsString(e) && (runtimes ? runtime_known(e->valuestring)
                                                 : strcmp(e->valuestring, "x86_64") == 0 ||
                                                       strcmp(e->valuestring, "arm64") == 0);
        if (!ok) {
            snprintf(msg, cap,
                     "1 validation error detected: Value at '%s' failed to satisfy constraint: "
                     "Member must satisfy constraint: [Member must satisfy enum value set]",
                     field);
            return ERR_VALIDATION;
        }
    }
    return 0;
}

int layer_from_publish(const cJSON *body, const char *name, struct layer_version **out, char *msg,
                       size_t cap)
{
    size_t nlen = strlen(name);
    bool ok = nlen > 0 && nlen <= LAYER_NAME_MAX;
    for (const char *c = name; ok && *c; c++)
        ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
             *c == '-' || *c == '_';
    if (!ok) {
        snprintf(msg, cap,
                 "1 validation error detected: Value '%.140s' at 'layerName' failed to satisfy "
                 "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+ "
                 "(1 to 140 characters)",
                 name);
        return ERR_VALIDATION;
    }
    const char *desc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "Description"));
    const char *lic = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "LicenseInfo"));
    const cJSON *rt = cJSON_GetObjectItemCaseSensitive(body, "CompatibleRuntimes");
    const cJSON *ar = cJSON_GetObjectItemCaseSensitive(body, "CompatibleArchitectures");
    int rc;
    if ((rc = check_list(rt, 15, true, "compatibleRuntimes", msg, cap)) != 0 ||
        (rc = check_list(ar, 2, false, "compatibleArchitectures", msg, cap)) != 0)
        return rc;
    if ((desc != NULL && strlen(desc) > FN_DESCRIPTION_MAX) || (lic != NULL && strlen(lic) > 512)) {
        snprintf(msg, cap,
                 "1 validation error detected: Value at '%s' failed to satisfy "
                 "constraint: Member must have length less than or equal to %d",
                 desc != NULL && strlen(desc) > FN_DESCRIPTION_MAX ? "description" : "licenseInfo",
                 desc != NULL && strlen(desc) > FN_DESCRIPTION_MAX ? FN_DESCRIPTION_MAX : 512);
        return ERR_VALIDATION;
    }
    struct layer_version *l = xcalloc(1, sizeof(*l));
    snprintf(l->name, sizeof(l->name), "%s", name);
    l->description = dup_or_empty(desc);
    l->license = lic != NULL ? dup_or_empty(lic) : NULL;
    l->runtimes = cJSON_IsArray(rt) ? cJSON_Duplicate(rt, 1) : NULL;
    l->architectures = cJSON_IsArray(ar) ? cJSON_Duplicate(ar, 1) : NULL;
    time_fmt_lastmod(clock_ms(), l->created);
    *out = l;
    return 0;
}

const char *layer_arn(const char *name, int version, const char *region, const char *account,
                      char *buf, size_t cap)
{
    if (version > 0)
        snprintf(buf, cap, "arn:aws:lambda:%s:%s:layer:%s:%d", region, account, name, version);
    else
        snprintf(buf, cap, "arn:aws:lambda:%s:%s:layer:%s", region, account, name);
    return buf;
}

static void add_lists(cJSON *o, const struct layer_version *l)
{
    if (l->runtimes != NULL)
        cJSON_AddItemToObject(o, "CompatibleRuntimes", cJSON_Duplicate(l->runtimes, 1));
    if (l->architectures != NULL)
        cJSON_AddItemToObject(o, "CompatibleArchitectures", cJSON_Duplicate(l->architectures, 1));
    if (l->license != NULL)
        cJSON_AddStringToObject(o, "LicenseInfo", l->license);
}

cJSON *layer_json(const struct layer_version *l, const char *region, const char *account,
                  const char *location)
{
    char arn[400];
    cJSON *o = cJSON_CreateObject();
    cJSON *c = cJSON_AddObjectToObject(o, "Content");
    if (location != NULL)
        cJSON_AddStringToObject(c, "Location", location);
    cJSON_AddStringToObject(c, "CodeSha256", l->b64);
    cJSON_AddNumberToObject(c, "CodeSize", (double)l->size);
    cJSON_AddStringToObject(o, "LayerArn",
                            layer_arn(l->name, 0, region, account, arn, sizeof(arn)));
    cJSON_AddStringToObject(o, "LayerVersionArn",
                            layer_arn(l->name, l->version, region, account, arn, sizeof(arn)));
    cJSON_AddStringToObject(o, "Description", l->description);
    cJSON_AddStringToObject(o, "CreatedDate", l->created);
    cJSON_AddNumberToObject(o, "Version", l->version);
    add_lists(o, l);
    return o;
}

char *layer_store_json(const struct layer_version *l)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "Name", l->name);
    cJSON_AddNumberToObject(o, "Version", l->version);
    cJSON_AddStringToObject(o, "Hex", l->hex);
    cJSON_AddStringToObject(o, "CodeSha256", l->b64);
    cJSON_AddNumberToObject(o, "CodeSize", (double)l->size);
    cJSON_AddStringToObject(o, "CreatedDate", l->created);
    cJSON_AddStringToObject(o, "Description", l->description);
    add_lists(o, l);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text == NULL)
        abort();
    return text;
}

struct layer_version *layer_from_store(const char *json)
{
    cJSON *o = cJSON_Parse(json);
    const char *name = o ? cJSON_GetStringValue(cJSON_GetObjectItem(o, "Name")) : NULL;
    const char *hex = o ? cJSON_GetStringValue(cJSON_GetObjectItem(o, "Hex")) : NULL;
    const char *b64 = o ? cJSON_GetStringValue(cJSON_GetObjectItem(o, "CodeSha256")) : NULL;
    const char *created = o ? cJSON_GetStringValue(cJSON_GetObjectItem(o, "CreatedDate")) : NULL;
    const cJSON *ver = o ? cJSON_GetObjectItem(o, "Version") : NULL;
    const cJSON *size = o ? cJSON_GetObjectItem(o, "CodeSize") : NULL;
    struct layer_version *l = NULL;
    char msg[256];
    if (name != NULL && hex != NULL && b64 != NULL && created != NULL && cJSON_IsNumber(ver) &&
        cJSON_IsNumber(size) && layer_from_publish(o, name, &l, msg, sizeof(msg)) == 0) {
        l->version = (int)ver->valuedouble;
        snprintf(l->hex, sizeof(l->hex), "%s", hex);
        snprintf(l->b64, sizeof(l->b64), "%s", b64);
        snprintf(l->created, sizeof(l->created), "%s", created);
        l->size = (int64_t)size->valuedouble;
    }
    cJSON_Delete(o);
    return l;
}

static int cmp(const struct layer_version *a, const char *name, int version)
{
    int c = strcmp(a->name, name);
    return c != 0 ? c : (a->version > version) - (a->version < version);
}

struct layer_version *layers_find(const struct layers *ls, const char *name, int version)
{
    for (size_t i = 0; i < ls->n; i++)
        if (cmp(ls->v[i], name, version) == 0)
            return ls->v[i];
    return NULL;
}

void layers_add(struct layers *ls, struct layer_version *l)
{
    size_t i = 0;
    while (i < ls->n && cmp(ls->v[i], l->name, l->version) < 0)
        i++;
    struct layer_version **a = xrealloc(ls->v, (ls->n + 1) * sizeof(*a));
    ls->v = a;
    memmove(&a[i + 1], &a[i], (ls->n - i) * sizeof(*a));
    a[i] = l;
    ls->n++;
    layers_note_version(ls, l->name, l->version);
}

void layers_remove(struct layers *ls, const char *name, int version)
{
    for (size_t i = 0; i < ls->n; i++) {
        if (cmp(ls->v[i], name, version) == 0) {
            layer_free(ls->v[i]);
            memmove(&ls->v[i], &ls->v[i + 1], (ls->n - i - 1) * sizeof(*ls->v));
            ls->n--;
            return;
        }
    }
}

static struct layer_counter *counter(struct layers *ls, const char *name)
{
    for (size_t i = 0; i < ls->ncounters; i++)
        if (strcmp(ls->counters[i].name, name) == 0)
            return &ls->counters[i];
    struct layer_counter *a = xrealloc(ls->counters, (ls->ncounters + 1) * sizeof(*a));
    ls->counters = a;
    struct layer_counter *c = &a[ls->ncounters++];
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->last = 0;
    return c;
}

int layers_next_version(struct layers *ls, const char *name)
{
    return counter(ls, name)->last + 1;
}

void layers_note_version(struct layers *ls, const char *name, int version)
{
    struct layer_counter *c = counter(ls, name);
    if (version > c->last)
        c->last = version;
}

int layers_parse_arn(const char *arn, char name[LAYER_NAME_MAX + 1], int *version)
{
    /* arn:aws:lambda:<region>:<account>:layer:<name>:<version> */
    const char *p = arn;
    for (int colons = 0; colons < 6; colons++) {
        p = strchr(p, ':');
        if (p == NULL)
            return -EINVAL;
        p++;
    }
    if (strncmp(arn, "arn:aws", 7) != 0 || strstr(arn, ":lambda:") == NULL ||
        strncmp(p - 7, ":layer:", 7) != 0)
        return -EINVAL;
    const char *colon = strchr(p, ':');
    if (colon == NULL || colon == p || colon - p > LAYER_NAME_MAX)
        return -EINVAL;
    char *end;
    long v = strtol(colon + 1, &end, 10);
    if (*end != '\0' || v < 1 || v > 100000000)
        return -EINVAL;
    memcpy(name, p, (size_t)(colon - p));
    name[colon - p] = '\0';
    *version = (int)v;
    return 0;
}

void layers_fini(struct layers *ls)
{
    for (size_t i = 0; i < ls->n; i++)
        layer_free(ls->v[i]);
    free(ls->v);
    free(ls->counters);
    memset(ls, 0, sizeof(*ls));
}
