/* SPDX-License-Identifier: MIT */
/*
 * A sorted array of function snapshots ($LATEST) with a parallel array of
 * their published versions and aliases. Inserts are O(n) moves, which is
 * cheap for the thousands of functions one node holds; lookups and list
 * positions are binary searches.
 */
#include "catalog.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/alloc.h"
#include "base/err.h"
#include "catalog/function.h"

/* The number of a published version ("12" -> 12), or 0. */
static int atoi_version(const char *v)
{
    int n = 0;
    for (; *v >= '0' && *v <= '9' && n < 100000000; v++)
        n = n * 10 + (*v - '0');
    return *v == '\0' ? n : 0;
}

/* Index where name is or would be inserted; *found says which. */
static size_t search(const struct catalog *c, const char *name, bool *found)
{
    size_t lo = 0, hi = c->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(c->fns[mid]->name, name);
        if (cmp == 0) {
            *found = true;
            return mid;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

struct function *catalog_find(const struct catalog *c, const char *name)
{
    bool found;
    size_t i = search(c, name, &found);
    return found ? c->fns[i] : NULL;
}

void catalog_put(struct catalog *c, struct function *fn)
{
    bool found;
    size_t i = search(c, fn->name, &found);
    function_ref(fn);
    if (found) {
        function_unref(c->fns[i]);
        c->fns[i] = fn;
        return;
    }
    if (c->len == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct function **fns = realloc(c->fns, cap * sizeof(*fns));
        struct catalog_versions *vers = realloc(c->vers, cap * sizeof(*vers));
        if (fns == NULL || vers == NULL)
            abort();
        c->fns = fns;
        c->vers = vers;
        c->cap = cap;
    }
    memmove(&c->fns[i + 1], &c->fns[i], (c->len - i) * sizeof(*c->fns));
    memmove(&c->vers[i + 1], &c->vers[i], (c->len - i) * sizeof(*c->vers));
    c->fns[i] = fn;
    memset(&c->vers[i], 0, sizeof(c->vers[i]));
    c->len++;
}

static void versions_fini(struct catalog_versions *v)
{
    for (size_t i = 0; i < v->n; i++)
        function_unref(v->v[i]);
    free(v->v);
    free(v->aliases);
    memset(v, 0, sizeof(*v));
}

void catalog_remove(struct catalog *c, const char *name)
{
    bool found;
    size_t i = search(c, name, &found);
    if (!found)
        return;
    function_unref(c->fns[i]);
    versions_fini(&c->vers[i]);
    memmove(&c->fns[i], &c->fns[i + 1], (c->len - i - 1) * sizeof(*c->fns));
    memmove(&c->vers[i], &c->vers[i + 1], (c->len - i - 1) * sizeof(*c->vers));
    c->len--;
}

struct catalog_versions *catalog_versions(const struct catalog *c, const char *name)
{
    bool found;
    size_t i = search(c, name, &found);
    return found ? &c->vers[i] : NULL;
}

struct function *catalog_version(const struct catalog *c, const char *name, const char *ver)
{
    struct catalog_versions *v = catalog_versions(c, name);
    if (v == NULL)
        return NULL;
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->v[i]->version, ver) == 0)
            return v->v[i];
    return NULL;
}

void catalog_add_version(struct catalog *c, struct function *fn)
{
    struct catalog_versions *v = catalog_versions(c, fn->name);
    if (v == NULL)
        return;
    struct function **a = xrealloc(v->v, (v->n + 1) * sizeof(*a));
    v->v = a;
    v->v[v->n++] = function_ref(fn);
    int num = atoi_version(fn->version);
    if (num > v->last)
        v->last = num;
}

void catalog_remove_version(struct catalog *c, const char *name, const char *ver)
{
    struct catalog_versions *v = catalog_versions(c, name);
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->n; i++) {
        if (strcmp(v->v[i]->version, ver) == 0) {
            function_unref(v->v[i]);
            memmove(&v->v[i], &v->v[i + 1], (v->n - i - 1) * sizeof(*v->v));
            v->n--;
            return;
        }
    }
}

struct alias *catalog_alias(const struct catalog *c, const char *name, const char *alias)
{
    struct catalog_versions *v = catalog_versions(c, name);
    if (v == NULL)
        return NULL;
    for (size_t i = 0; i < v->naliases; i++)
        if (strcmp(v->aliases[i].name, alias) == 0)
            return &v->aliases[i];
    return NULL;
}

void catalog_put_alias(struct catalog *c, const char *name, const struct alias *a)
{
    struct catalog_versions *v = catalog_versions(c, name);
    if (v == NULL)
        return;
    struct alias *slot = catalog_alias(c, name, a->name);
    if (slot == NULL) {
        struct alias *arr = xrealloc(v->aliases, (v->naliases + 1) * sizeof(*arr));
        v->aliases = arr;
        slot = &arr[v->naliases++];
    }
    *slot = *a;
}

void catalog_remove_alias(struct catalog *c, const char *name, const char *alias)
{
    struct catalog_versions *v = catalog_versions(c, name);
    struct alias *slot = catalog_alias(c, name, alias);
    if (v != NULL && slot != NULL)
        *slot = v->aliases[--v->naliases];
}

int catalog_resolve(const struct catalog *c, const char *name, const char *qualifier, bool route,
                    struct function **out)
{
    struct function *fn = catalog_find(c, name);
    if (fn == NULL)
        return ERR_NOT_FOUND;
    if (qualifier[0] == '\0' || strcmp(qualifier, "$LATEST") == 0) {
        *out = fn;
        return 0;
    }
    const char *ver = qualifier;
    const struct alias *a = catalog_alias(c, name, qualifier);
    if (a != NULL) {
        ver = a->version;
        if (route && a->extra_version[0] != '\0') {
            uint32_t r = 0;
            if (getrandom(&r, sizeof(r), 0) == (ssize_t)sizeof(r) &&
                (double)r / 4294967296.0 < a->extra_weight)
                ver = a->extra_version;
        }
        if (strcmp(ver, "$LATEST") == 0) {
            *out = fn;
            return 0;
        }
    }
    struct function *v = catalog_version(c, name, ver);
    if (v == NULL)
        return ERR_NOT_FOUND;
    *out = v;
    return 0;
}

size_t catalog_after(const struct catalog *c, const char *marker)
{
    bool found;
    size_t i = search(c, marker, &found);
    return found ? i + 1 : i;
}

int64_t catalog_code_bytes(const struct catalog *c)
{
    int64_t sum = 0;
    for (size_t i = 0; i < c->len; i++)
        sum += c->fns[i]->code_size;
    return sum;
}

/* ---- aliases in the store ---- */

char *alias_store_json(const struct alias *a)
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

int alias_from_store(const char *json, struct alias *out)
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

/* ---- event invoke configurations ---- */

static struct catalog_eic *eic_find(const struct catalog *c, const char *name, const char *qual)
{
    for (size_t i = 0; i < c->neics; i++)
        if (strcmp(c->eics[i].name, name) == 0 && strcmp(c->eics[i].qualifier, qual) == 0)
            return &c->eics[i];
    return NULL;
}

const struct eic *catalog_eic(const struct catalog *c, const char *name, const char *qual)
{
    const struct catalog_eic *e = eic_find(c, name, qual);
    return e != NULL ? &e->eic : NULL;
}

void catalog_eic_set(struct catalog *c, const char *name, const char *qual, const struct eic *e)
{
    struct catalog_eic *slot = eic_find(c, name, qual);
    if (slot == NULL) {
        c->eics = xrealloc(c->eics, (c->neics + 1) * sizeof(*c->eics));
        slot = &c->eics[c->neics++];
        snprintf(slot->name, sizeof(slot->name), "%s", name);
        snprintf(slot->qualifier, sizeof(slot->qualifier), "%s", qual);
    }
    slot->eic = *e;
}

void catalog_eic_remove(struct catalog *c, const char *name, const char *qual)
{
    for (size_t i = 0; i < c->neics;)
        if (strcmp(c->eics[i].name, name) == 0 &&
            (qual == NULL || strcmp(c->eics[i].qualifier, qual) == 0))
            c->eics[i] = c->eics[--c->neics];
        else
            i++;
}

/* ---- function URL configurations ---- */

struct furl *catalog_furl(const struct catalog *c, const char *name, const char *qual)
{
    for (size_t i = 0; i < c->nfurls; i++)
        if (strcmp(c->furls[i].name, name) == 0 && strcmp(c->furls[i].qualifier, qual) == 0)
            return &c->furls[i];
    return NULL;
}

const struct furl *catalog_furl_by_id(const struct catalog *c, const char *id)
{
    for (size_t i = 0; i < c->nfurls; i++)
        if (strcmp(c->furls[i].id, id) == 0)
            return &c->furls[i];
    return NULL;
}

void catalog_furl_set(struct catalog *c, struct furl *u)
{
    struct furl *slot = catalog_furl(c, u->name, u->qualifier);
    if (slot == NULL) {
        c->furls = xrealloc(c->furls, (c->nfurls + 1) * sizeof(*c->furls));
        slot = &c->furls[c->nfurls++];
    } else {
        furl_clear(slot);
    }
    *slot = *u;
    u->cors = NULL;
}

void catalog_furl_remove(struct catalog *c, const char *name, const char *qual)
{
    for (size_t i = 0; i < c->nfurls;) {
        if (strcmp(c->furls[i].name, name) == 0 &&
            (qual == NULL || strcmp(c->furls[i].qualifier, qual) == 0)) {
            furl_clear(&c->furls[i]);
            c->furls[i] = c->furls[--c->nfurls];
        } else {
            i++;
        }
    }
}

/* ---- change notification ---- */

void catalog_watch(struct catalog *c, const struct catalog_watcher *w)
{
    ASSERT(c->nwatchers < CATALOG_WATCHERS_MAX);
    c->watchers[c->nwatchers++] = *w;
}

void catalog_notify_changed(struct catalog *c, const char *key, struct function *fn)
{
    for (size_t i = 0; i < c->nwatchers; i++)
        if (c->watchers[i].changed != NULL)
            c->watchers[i].changed(c->watchers[i].arg, key, fn);
}

void catalog_notify_deleted(struct catalog *c, const char *name)
{
    for (size_t i = 0; i < c->nwatchers; i++)
        if (c->watchers[i].deleted != NULL)
            c->watchers[i].deleted(c->watchers[i].arg, name);
}

void catalog_fini(struct catalog *c)
{
    for (size_t i = 0; i < c->len; i++) {
        function_unref(c->fns[i]);
        versions_fini(&c->vers[i]);
    }
    free(c->fns);
    free(c->vers);
    free(c->eics);
    for (size_t i = 0; i < c->nfurls; i++)
        furl_clear(&c->furls[i]);
    free(c->furls);
    layers_fini(&c->layers);
    memset(c, 0, sizeof(*c));
}
