/* SPDX-License-Identifier: MIT */
/*
 * Lambda authorizer verdicts (authz.h). fnmatch without FNM_PATHNAME gives
 * IAM's matching: '*' spans any characters, '/' and ':' included.
 */
#include "authz.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

/* True if pattern (a string, or a list of them) matches s. */
static bool iam_match(const cJSON *pattern, const char *s)
{
    if (cJSON_IsString(pattern))
        return fnmatch(pattern->valuestring, s, 0) == 0;
    const cJSON *e, *list = cJSON_IsArray(pattern) ? pattern : NULL;
    cJSON_ArrayForEach(e, list)
    {
        if (cJSON_IsString(e) && fnmatch(e->valuestring, s, 0) == 0)
            return true;
    }
    return false;
}

/* One statement about Invoke on arn: -1 denies, 1 allows, 0 does not apply. */
static int statement_verdict(const cJSON *st, const char *arn)
{
    const cJSON *eff = cJSON_GetObjectItemCaseSensitive(st, "Effect");
    if (!cJSON_IsString(eff) ||
        !iam_match(cJSON_GetObjectItemCaseSensitive(st, "Action"), "execute-api:Invoke") ||
        !iam_match(cJSON_GetObjectItemCaseSensitive(st, "Resource"), arn))
        return 0;
    return strcmp(eff->valuestring, "Deny") == 0 ? -1 : strcmp(eff->valuestring, "Allow") == 0;
}

int gw_policy_verdict(const cJSON *resp, const char *arn)
{
    const cJSON *sts = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(resp, "policyDocument"), "Statement");
    if (cJSON_IsObject(sts))
        return statement_verdict(sts, arn);
    int allowed = 0;
    const cJSON *st, *list = cJSON_IsArray(sts) ? sts : NULL;
    cJSON_ArrayForEach(st, list)
    {
        int v = statement_verdict(st, arn);
        if (v < 0)
            return -1;
        allowed = allowed || v > 0;
    }
    return allowed;
}

int gw_authorizer_verdict(const char *text, size_t len, bool simple, const char *arn,
                          cJSON **context, char **principal)
{
    *context = NULL;
    *principal = NULL;
    cJSON *resp = cJSON_ParseWithLength(text, len);
    int rc = -1;
    if (simple) {
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(resp, "isAuthorized");
        rc = cJSON_IsBool(ok) ? cJSON_IsTrue(ok) : -1;
    } else if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(resp, "policyDocument"))) {
        rc = gw_policy_verdict(resp, arn) > 0;
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(resp, "principalId");
        if (rc == 1 && cJSON_IsString(p) && p->valuestring[0] != '\0' &&
            (*principal = strdup(p->valuestring)) == NULL)
            abort();
    }
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(resp, "context");
    if (rc == 1 && cJSON_IsObject(ctx))
        *context = cJSON_Duplicate(ctx, true);
    cJSON_Delete(resp);
    return rc;
}
