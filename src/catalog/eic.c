/* SPDX-License-Identifier: MIT */
/*
 * Event invoke configurations: validation with AWS's exceptions, the JSON
 * shapes, and the destination ARN check. Destinations of every type AWS
 * allows are accepted; which ones lambdad can deliver to is the async
 * module's business (docs/decisions.md).
 */
#include "eic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/util.h"

void eic_defaults(struct eic *out)
{
    memset(out, 0, sizeof(*out));
    out->max_retry = EIC_RETRY_DEFAULT;
    out->max_age_s = EIC_AGE_DEFAULT_S;
}

int eic_valid_destination(const char *arn)
{
    static const char *const prefixes[] = {":lambda:", ":sqs:", ":sns:", ":events:"};
    if (strncmp(arn, "arn:aws", 7) != 0 || strlen(arn) > 350)
        return 0;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        const char *p = strstr(arn, prefixes[i]);
        if (p != NULL && p - arn < 20)
            return 1;
    }
    return 0;
}

static int get_destination(const cJSON *dc, const char *which, char out[512], char *msg, size_t cap)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(dc, which);
    if (o == NULL || cJSON_IsNull(o))
        return 1; /* not given */
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "Destination");
    if (!cJSON_IsObject(o) || (d != NULL && !cJSON_IsNull(d) && !cJSON_IsString(d))) {
        snprintf(msg, cap, "Could not parse request body into json: DestinationConfig.%s", which);
        return ERR_INVALID_CONTENT;
    }
    if (d == NULL || cJSON_IsNull(d) || d->valuestring[0] == '\0') {
        out[0] = '\0';
        return 0;
    }
    if (!eic_valid_destination(d->valuestring)) {
        snprintf(msg, cap,
                 "The destination ARN %.300s is invalid. Destinations can be a Lambda function, "
                 "an SQS queue, an SNS topic or an EventBridge event bus.",
                 d->valuestring);
        return ERR_INVALID_PARAMETER;
    }
    snprintf(out, 512, "%s", d->valuestring);
    return 0;
}

static int get_range(const cJSON *body, const char *key, const char *field, int lo, int hi,
                     int *out, char *msg, size_t cap)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(body, key);
    if (m == NULL || cJSON_IsNull(m))
        return 0;
    if (!cJSON_IsNumber(m) || m->valuedouble != (double)(int)m->valuedouble) {
        snprintf(msg, cap, "Could not parse request body into json: %s must be an integer", key);
        return ERR_INVALID_CONTENT;
    }
    int x = (int)m->valuedouble;
    if (x < lo || x > hi) {
        snprintf(msg, cap,
                 "1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: "
                 "Member must have value %s than or equal to %d",
                 x, field, x < lo ? "greater" : "less", x < lo ? lo : hi);
        return ERR_VALIDATION;
    }
    *out = x;
    return 0;
}

int eic_parse(const cJSON *body, const struct eic *base, struct eic *out, char *msg, size_t msgcap)
{
    struct eic e;
    if (base != NULL)
        e = *base;
    else
        eic_defaults(&e);
    int rc;
    if ((rc = get_range(body, "MaximumRetryAttempts", "maximumRetryAttempts", 0, 2, &e.max_retry,
                        msg, msgcap)) != 0 ||
        (rc = get_range(body, "MaximumEventAgeInSeconds", "maximumEventAgeInSeconds", 60, 21600,
                        &e.max_age_s, msg, msgcap)) != 0)
        return rc;
    const cJSON *dc = cJSON_GetObjectItemCaseSensitive(body, "DestinationConfig");
    if (dc != NULL && !cJSON_IsNull(dc)) {
        if (!cJSON_IsObject(dc)) {
            snprintf(msg, msgcap, "Could not parse request body into json: DestinationConfig");
            return ERR_INVALID_CONTENT;
        }
        if ((rc = get_destination(dc, "OnSuccess", e.on_success, msg, msgcap)) < 0 ||
            (rc = get_destination(dc, "OnFailure", e.on_failure, msg, msgcap)) < 0)
            return rc;
    }
    e.last_modified_ms = clock_ms();
    *out = e;
    return 0;
}

static void add_destination(cJSON *dc, const char *which, const char *arn)
{
    cJSON *o = cJSON_AddObjectToObject(dc, which);
    if (arn[0] != '\0')
        cJSON_AddStringToObject(o, "Destination", arn);
}

cJSON *eic_json(const struct eic *e, const char *function_arn)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "LastModified", (double)e->last_modified_ms / 1000.0);
    cJSON_AddStringToObject(o, "FunctionArn", function_arn);
    cJSON_AddNumberToObject(o, "MaximumRetryAttempts", e->max_retry);
    cJSON_AddNumberToObject(o, "MaximumEventAgeInSeconds", e->max_age_s);
    cJSON *dc = cJSON_AddObjectToObject(o, "DestinationConfig");
    add_destination(dc, "OnSuccess", e->on_success);
    add_destination(dc, "OnFailure", e->on_failure);
    return o;
}

char *eic_store_json(const struct eic *e)
{
    cJSON *o = eic_json(e, "");
    cJSON_AddNumberToObject(o, "_LastModifiedMs", (double)e->last_modified_ms);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text == NULL)
        abort();
    return text;
}

int eic_from_store(const char *json, struct eic *out)
{
    cJSON *o = cJSON_Parse(json);
    char msg[256];
    struct eic e;
    int rc = o != NULL ? eic_parse(o, NULL, &e, msg, sizeof(msg)) : -EINVAL;
    if (rc == 0) {
        const cJSON *lm = cJSON_GetObjectItemCaseSensitive(o, "_LastModifiedMs");
        if (cJSON_IsNumber(lm))
            e.last_modified_ms = (int64_t)lm->valuedouble;
        *out = e;
    }
    cJSON_Delete(o);
    return rc == 0 ? 0 : -EINVAL;
}
