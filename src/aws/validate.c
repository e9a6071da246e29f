/* SPDX-License-Identifier: MIT */
#include "validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"

void verr_init(struct verr *v, int type_code, const char *type_prefix)
{
    memset(v, 0, sizeof(*v));
    v->type_code = type_code;
    v->type_prefix = type_prefix;
}

void verr_add(struct verr *v, const char *fmt, ...)
{
    if (v->len >= sizeof(v->text) - 1) {
        v->count++; /* counted, though its text no longer fits */
        return;
    }
    if (v->count++ > 0) {
        int n = snprintf(v->text + v->len, sizeof(v->text) - v->len, "; ");
        v->len += (size_t)n;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(v->text + v->len, sizeof(v->text) - v->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        v->len += (size_t)n;
    if (v->len > sizeof(v->text) - 1)
        v->len = sizeof(v->text) - 1;
}

void verr_fail(struct verr *v, int code, const char *fmt, ...)
{
    if (v->semantic != 0)
        return;
    v->semantic = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->sem_msg, sizeof(v->sem_msg), fmt, ap);
    va_end(ap);
}

bool verr_ok(const struct verr *v)
{
    return v->count == 0 && v->semantic == 0;
}

int verr_finish(const struct verr *v, char *msg, size_t cap)
{
    if (v->semantic != 0 && v->semantic == v->type_code) {
        snprintf(msg, cap, "%s", v->sem_msg);
        return v->semantic;
    }
    if (v->count > 0) {
        snprintf(msg, cap, "%d validation error%s detected: %.*s", v->count,
                 v->count > 1 ? "s" : "", (int)v->len, v->text);
        return ERR_VALIDATION;
    }
    if (v->semantic != 0) {
        snprintf(msg, cap, "%s", v->sem_msg);
        return v->semantic;
    }
    return 0;
}

const cJSON *verr_member(const cJSON *body, const char *key)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(body, key);
    return cJSON_IsNull(m) ? NULL : m;
}

static void wrong_type(struct verr *v, const char *key, const char *type)
{
    verr_fail(v, v->type_code, "%s%s must be %s", v->type_prefix != NULL ? v->type_prefix : "", key,
              type);
}

const char *verr_string(const cJSON *body, const char *key, struct verr *v)
{
    const cJSON *m = verr_member(body, key);
    if (m == NULL)
        return NULL;
    if (!cJSON_IsString(m)) {
        wrong_type(v, key, "a string");
        return NULL;
    }
    return m->valuestring;
}

bool verr_int(const cJSON *body, const char *key, long long *out, struct verr *v)
{
    const cJSON *m = verr_member(body, key);
    if (m == NULL)
        return false;
    if (!cJSON_IsNumber(m) || m->valuedouble < -9.0e15 || m->valuedouble > 9.0e15 ||
        m->valuedouble != (double)(long long)m->valuedouble) {
        wrong_type(v, key, "an integer");
        return false;
    }
    *out = (long long)m->valuedouble;
    return true;
}

bool verr_bool(const cJSON *body, const char *key, bool *out, struct verr *v)
{
    const cJSON *m = verr_member(body, key);
    if (m == NULL)
        return false;
    if (!cJSON_IsBool(m)) {
        wrong_type(v, key, "a boolean");
        return false;
    }
    *out = cJSON_IsTrue(m);
    return true;
}

const cJSON *verr_object(const cJSON *body, const char *key, struct verr *v)
{
    const cJSON *m = verr_member(body, key);
    if (m != NULL && !cJSON_IsObject(m)) {
        wrong_type(v, key, "an object");
        return NULL;
    }
    return m;
}

const cJSON *verr_array(const cJSON *body, const char *key, struct verr *v)
{
    const cJSON *m = verr_member(body, key);
    if (m != NULL && !cJSON_IsArray(m)) {
        wrong_type(v, key, "an array");
        return NULL;
    }
    return m;
}

void verr_range(struct verr *v, const char *field, long long x, long long lo, long long hi)
{
    if (x < lo)
        verr_add(v,
                 "Value '%lld' at '%s' failed to satisfy constraint: Member must have value "
                 "greater than or equal to %lld",
                 x, field, lo);
    else if (x > hi)
        verr_add(v,
                 "Value '%lld' at '%s' failed to satisfy constraint: Member must have value "
                 "less than or equal to %lld",
                 x, field, hi);
}

void verr_required(struct verr *v, const char *field)
{
    verr_add(v, "Value null at '%s' failed to satisfy constraint: Member must not be null", field);
}
