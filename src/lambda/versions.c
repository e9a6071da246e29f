/* SPDX-License-Identifier: MIT */
/*
 * Versions and aliases: PublishVersion, ListVersionsByFunction, the alias
 * operations (weighted routing) and the deletion of a published version.
 */
#include "versions.h"

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

/* ---- versions and aliases ---- */

static const char *alias_arn(const struct function *fn, const char *alias, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s:%.128s", fn->arn, alias);
    return buf;
}

static cJSON *alias_json(const struct function *fn, const struct alias *a)
{
    char arn[400];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "AliasArn", alias_arn(fn, a->name, arn, sizeof(arn)));
    cJSON_AddStringToObject(o, "Name", a->name);
    cJSON_AddStringToObject(o, "FunctionVersion", a->version);
    cJSON_AddStringToObject(o, "Description", a->description);
    if (a->extra_version[0] != '\0') {
        cJSON *rc = cJSON_AddObjectToObject(o, "RoutingConfig");
        cJSON *w = cJSON_AddObjectToObject(rc, "AdditionalVersionWeights");
        cJSON_AddNumberToObject(w, a->extra_version, a->extra_weight);
    }
    cJSON_AddStringToObject(o, "RevisionId", a->revision_id);
    return o;
}

/* Loop: a version or alias write committed. */
static void qualified_done(struct job *j)
{
    struct lambda_api *api = j->api;
    struct function *latest = catalog_find(api->cat, j->name);
    if (j->rc != 0 || latest == NULL) {
        aws_send_error(j->req, j->rc != 0 ? j->rc : ERR_NOT_FOUND, "%s",
                       j->rc != 0 ? j->msg : "Function not found");
        return;
    }
    cJSON *out = NULL;
    switch (j->kind) {
    case J_VERSION_ADD:
        catalog_add_version(api->cat, j->fn);
        out = function_config_json(j->fn);
        break;
    case J_VERSION_DELETE: {
        struct function *v = catalog_version(api->cat, j->name, j->alias.version);
        char hex[65] = "";
        if (v != NULL)
            memcpy(hex, v->code_hex, sizeof(hex));
        catalog_remove_version(api->cat, j->name, j->alias.version);
        catalog_eic_remove(api->cat, j->name, j->alias.version);
        catalog_notify_changed(api->cat, j->key, NULL);
        if (hex[0] != '\0')
            lambda_gc_code(api, hex);
        break;
    }
    case J_ALIAS_PUT:
        catalog_put_alias(api->cat, j->name, &j->alias);
        out = alias_json(latest, &j->alias);
        break;
    default:
        catalog_remove_alias(api->cat, j->name, j->alias.name);
        catalog_eic_remove(api->cat, j->name, j->alias.name);
        catalog_furl_remove(api->cat, j->name, j->alias.name);
        break;
    }
    if (out != NULL) {
        aws_send_json_take(j->req, j->status, out);
    } else {
        aws_send_empty(j->req, j->status);
    }
}

/* PublishVersion: a numbered, immutable snapshot of $LATEST. */
void lambda_publish_version(struct lambda_api *api, h2o_req_t *req, struct function *latest)
{
    cJSON *body = lambda_parse_body(req, API_JSON_REQUEST_MAX_BYTES, "PublishVersion");
    if (body == NULL)
        return;
    if (!lambda_revision_ok(req, body, latest)) {
        cJSON_Delete(body);
        return;
    }
    const char *sha = cJSON_GetStringValue(cJSON_GetObjectItem(body, "CodeSha256"));
    const char *desc = cJSON_GetStringValue(cJSON_GetObjectItem(body, "Description"));
    if (sha != NULL && strcmp(sha, latest->code_b64) != 0) {
        aws_send_error(req, ERR_INVALID_PARAMETER,
                       "CodeSHA256 (%.64s) is different from current CodeSHA256 in $LATEST (%s). "
                       "Please try again.",
                       sha, latest->code_b64);
        cJSON_Delete(body);
        return;
    }
    if (desc != NULL && strlen(desc) > FN_DESCRIPTION_MAX) {
        aws_send_error(req, ERR_VALIDATION,
                       "1 validation error detected: Value at 'description' failed to satisfy "
                       "constraint: Member must have length less than or equal to 256");
        cJSON_Delete(body);
        return;
    }
    struct catalog_versions *v = catalog_versions(api->cat, latest->name);
    struct function *last = v != NULL && v->n > 0 ? v->v[v->n - 1] : NULL;
    if (last != NULL && strcmp(last->source_revision, latest->revision_id) == 0) {
        /* $LATEST has not changed since: AWS returns the existing version. */
        cJSON *out = function_config_json(last);
        aws_send_json_take(req, 201, out);
        cJSON_Delete(body);
        return;
    }
    struct job *j = lambda_job_new(api, req, latest->name);
    j->kind = J_VERSION_ADD;
    j->applied = qualified_done;
    j->status = 201;
    j->fn = function_publish(latest, (v != NULL ? v->last : 0) + 1, desc);
    snprintf(j->key, sizeof(j->key), "%s:%s", latest->name, j->fn->version);
    cJSON_Delete(body);
    lambda_job_start(j);
}

void lambda_list_versions(struct lambda_api *api, h2o_req_t *req, struct function *latest)
{
    char marker[32];
    long max;
    if (!lambda_page_params(req, 10000, &max, marker, sizeof(marker)))
        return;
    struct catalog_versions *v = catalog_versions(api->cat, latest->name);
    /* Position 0 is $LATEST, then the published versions in order. */
    size_t total = 1 + (v != NULL ? v->n : 0), start = 0;
    if (marker[0] != '\0') {
        char *end;
        long m = strtol(marker, &end, 10);
        start = *end == '\0' && m > 0 && (size_t)m <= total ? (size_t)m : total;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(out, "Versions");
    size_t i = start;
    for (long count = 0; i < total && count < max; i++, count++)
        cJSON_AddItemToArray(arr, function_config_json(i == 0 ? latest : v->v[i - 1]));
    if (i < total) {
        char next[32];
        snprintf(next, sizeof(next), "%zu", i);
        cJSON_AddStringToObject(out, "NextMarker", next);
    }
    aws_send_json_take(req, 200, out);
}

/* (?!^[0-9]+$)([a-zA-Z0-9-_]+), 1-128 */
static bool valid_alias_name(const char *n)
{
    size_t len = strlen(n);
    bool digits = true;
    for (size_t i = 0; i < len; i++)
        if (!(n[i] >= '0' && n[i] <= '9'))
            digits = false;
    return arn_valid_qualifier(n, len) && strcmp(n, "$LATEST") != 0 && !digits;
}

/* Fills a from a Create/UpdateAlias body over base; sends the error and returns false. */
static bool parse_alias(struct lambda_api *api, h2o_req_t *req, const struct function *latest,
                        const cJSON *body, struct alias *a)
{
    const char *ver = cJSON_GetStringValue(cJSON_GetObjectItem(body, "FunctionVersion"));
    const char *desc = cJSON_GetStringValue(cJSON_GetObjectItem(body, "Description"));
    const cJSON *rc = cJSON_GetObjectItem(body, "RoutingConfig");
    char arn[400];
    if (ver != NULL) {
        if (strcmp(ver, "$LATEST") != 0 && catalog_version(api->cat, latest->name, ver) == NULL) {
            aws_send_error(req, ERR_NOT_FOUND, "Function not found: %s:%.16s", latest->arn, ver);
            return false;
        }
        snprintf(a->version, sizeof(a->version), "%s", ver);
    }
    if (desc != NULL) {
        if (strlen(desc) > FN_DESCRIPTION_MAX) {
            aws_send_error(req, ERR_VALIDATION,
                           "1 validation error detected: Value at 'description' failed to "
                           "satisfy constraint: Member must have length less than or equal to "
                           "256");
            return false;
        }
        snprintf(a->description, sizeof(a->description), "%s", desc);
    }
    if (rc != NULL && !cJSON_IsNull(rc)) {
        const cJSON *w = cJSON_GetObjectItem(rc, "AdditionalVersionWeights");
        a->extra_version[0] = '\0';
        a->extra_weight = 0;
        if (w != NULL && cJSON_GetArraySize(w) > 1) {
            aws_send_error(req, ERR_INVALID_PARAMETER,
                           "Number of items in AdditionalVersionWeights cannot be greater than 1");
            return false;
        }
        const cJSON *e = w != NULL ? cJSON_GetArrayItem(w, 0) : NULL;
        if (e != NULL) {
            if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble > 1) {
                aws_send_error(req, ERR_VALIDATION,
                               "1 validation error detected: Value at "
                               "'routingConfig.additionalVersionWeights' failed to satisfy "
                               "constraint: Map value must satisfy constraint: [Member must have "
                               "value less than or equal to 1.0, Member must have value greater "
                               "than or equal to 0.0]");
                return false;
            }
            bool digits = e->string[0] != '\0';
            for (const char *c = e->string; *c; c++)
                digits = digits && *c >= '0' && *c <= '9';
            if (!digits) {
                aws_send_error(req, ERR_VALIDATION,
                               "1 validation error detected: Value at "
                               "'routingConfig.additionalVersionWeights' failed to satisfy "
                               "constraint: Map keys must satisfy constraint: [Member must "
                               "satisfy regular expression pattern: [0-9]+]");
                return false;
            }
            if (catalog_version(api->cat, latest->name, e->string) == NULL) {
                aws_send_error(req, ERR_NOT_FOUND, "Function not found: %s:%.16s", latest->arn,
                               e->string);
                return false;
            }
            snprintf(a->extra_version, sizeof(a->extra_version), "%s", e->string);
            a->extra_weight = e->valuedouble;
        }
    }
    if (a->extra_version[0] != '\0' &&
        (strcmp(a->version, "$LATEST") == 0 || strcmp(a->version, a->extra_version) == 0)) {
        aws_send_error(req, ERR_INVALID_PARAMETER,
                       "The alias %s must point to a published version other than its "
                       "additional version when it routes traffic to two versions.",
                       alias_arn(latest, a->name, arn, sizeof(arn)));
        return false;
    }
    rand_uuid(a->revision_id);
    return true;
}

/* CreateAlias (POST .../aliases), ListAliases (GET .../aliases). */
void lambda_aliases_op(struct lambda_api *api, h2o_req_t *req, struct function *latest)
{
    struct catalog_versions *v = catalog_versions(api->cat, latest->name);
    if (http_method_is(req, "GET")) {
        char fv[16];
        bool filter = http_query(req, "FunctionVersion", fv, sizeof(fv)) >= 0;
        cJSON *out = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(out, "Aliases");
        for (size_t i = 0; v != NULL && i < v->naliases; i++)
            if (!filter || strcmp(v->aliases[i].version, fv) == 0 ||
                strcmp(v->aliases[i].extra_version, fv) == 0)
                cJSON_AddItemToArray(arr, alias_json(latest, &v->aliases[i]));
        aws_send_json_take(req, 200, out);
        return;
    }
    cJSON *body = lambda_parse_body(req, API_JSON_REQUEST_MAX_BYTES, "CreateAlias");
    if (body == NULL)
        return;
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(body, "Name"));
    const char *ver = cJSON_GetStringValue(cJSON_GetObjectItem(body, "FunctionVersion"));
    struct alias a;
    memset(&a, 0, sizeof(a));
    char arn[400];
    if (name == NULL || ver == NULL) {
        aws_send_error(req, ERR_VALIDATION,
                       "1 validation error detected: Value null at '%s' failed to satisfy "
                       "constraint: Member must not be null",
                       name == NULL ? "name" : "functionVersion");
    } else if (!valid_alias_name(name)) {
        aws_send_error(req, ERR_VALIDATION,
                       "1 validation error detected: Value '%.128s' at 'name' failed to satisfy "
                       "constraint: Member must satisfy regular expression pattern: "
                       "(?!^[0-9]+$)([a-zA-Z0-9-_]+)",
                       name);
    } else if (catalog_alias(api->cat, latest->name, name) != NULL) {
        aws_send_error(req, ERR_CONFLICT, "Alias already exists: %s",
                       alias_arn(latest, name, arn, sizeof(arn)));
    } else if (lambda_is_busy(api, latest->name)) {
        lambda_send_in_progress(req, latest);
    } else {
        snprintf(a.name, sizeof(a.name), "%s", name);
        if (parse_alias(api, req, latest, body, &a)) {
            struct job *j = lambda_job_new(api, req, latest->name);
            j->kind = J_ALIAS_PUT;
            j->applied = qualified_done;
            j->status = 201;
            j->alias = a;
            snprintf(j->key, sizeof(j->key), "%s@%.128s", latest->name, name);
            lambda_job_start(j);
        }
    }
    cJSON_Delete(body);
}

/* GetAlias, UpdateAlias (PUT), DeleteAlias on .../aliases/{Name}. */
void lambda_alias_op(struct lambda_api *api, h2o_req_t *req, struct function *latest,
                     const char *name)
{
    struct alias *cur = catalog_alias(api->cat, latest->name, name);
    char arn[400];
    if (cur == NULL) {
        aws_send_error(req, ERR_NOT_FOUND, "Alias not found: %s",
                       alias_arn(latest, name, arn, sizeof(arn)));
        return;
    }
    if (http_method_is(req, "GET")) {
        cJSON *out = alias_json(latest, cur);
        aws_send_json_take(req, 200, out);
        return;
    }
    if (lambda_is_busy(api, latest->name)) {
        lambda_send_in_progress(req, latest);
        return;
    }
    struct job *j = lambda_job_new(api, req, latest->name);
    snprintf(j->key, sizeof(j->key), "%s@%.128s", latest->name, name);
    j->alias = *cur;
    if (http_method_is(req, "DELETE")) {
        j->kind = J_ALIAS_DELETE;
        j->applied = qualified_done;
        j->status = 204;
        lambda_job_start(j);
        return;
    }
    cJSON *body = lambda_parse_body(req, API_JSON_REQUEST_MAX_BYTES, "UpdateAlias");
    const char *rev =
        body != NULL ? cJSON_GetStringValue(cJSON_GetObjectItem(body, "RevisionId")) : NULL;
    if (body != NULL && rev != NULL && strcmp(rev, cur->revision_id) != 0) {
        aws_send_error(req, ERR_PRECONDITION,
                       "The Revision Id provided does not match the latest Revision Id. Call the "
                       "GetFunction/GetAlias API to retrieve the latest Revision Id");
    } else if (body != NULL && parse_alias(api, req, latest, body, &j->alias)) {
        j->kind = J_ALIAS_PUT;
        j->applied = qualified_done;
        j->status = 200;
        lambda_job_start(j);
        cJSON_Delete(body);
        return;
    }
    cJSON_Delete(body);
    lambda_job_free(j);
}

/* DeleteFunction with a version qualifier: that version only. */
void lambda_delete_version(struct lambda_api *api, h2o_req_t *req, struct function *ver)
{
    struct catalog_versions *v = catalog_versions(api->cat, ver->name);
    char used[512] = "";
    size_t ulen = 0;
    for (size_t i = 0; v != NULL && i < v->naliases; i++)
        if ((strcmp(v->aliases[i].version, ver->version) == 0 ||
             strcmp(v->aliases[i].extra_version, ver->version) == 0) &&
            ulen < sizeof(used) - 1)
            ulen += (size_t)snprintf(used + ulen, sizeof(used) - ulen, "%s%s", ulen ? ", " : "",
                                     v->aliases[i].name);
    if (ulen > 0) {
        aws_send_error(req, ERR_CONFLICT,
                       "Unable to delete version because the following aliases reference it: "
                       "[%s]",
                       used);
        return;
    }
    struct job *j = lambda_job_new(api, req, ver->name);
    j->kind = J_VERSION_DELETE;
    j->applied = qualified_done;
    j->status = 204;
    snprintf(j->alias.version, sizeof(j->alias.version), "%s", ver->version);
    snprintf(j->key, sizeof(j->key), "%s:%s", ver->name, ver->version);
    lambda_job_start(j);
}
