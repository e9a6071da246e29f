/* SPDX-License-Identifier: MIT */
/*
 * Function snapshots: validation of Create/UpdateFunctionConfiguration bodies
 * with AWS's exceptions and texts, and the FunctionConfiguration JSON. Model
 * constraint violations (range, length, pattern, enum) are gathered into one
 * ValidationException ("N validation errors detected: ...") as AWS does;
 * semantic problems (reserved environment keys, unsupported runtimes) are
 * InvalidParameterValueException. A JSON member of the wrong type is
 * InvalidRequestContentException, as the AWS front end reports it.
 */
#include "function.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/arn.h"
#include "aws/validate.h"
#include "base/alloc.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/util.h"
#include "catalog/layers.h"

struct function *function_ref(struct function *fn)
{
    fn->refs++;
    return fn;
}

static void destroy(struct function *fn)
{
    free(fn->name);
    free(fn->arn);
    free(fn->runtime);
    free(fn->handler);
    free(fn->role);
    free(fn->description);
    cJSON_Delete(fn->env);
    cJSON_Delete(fn->tags);
    free(fn);
}

void function_unref(struct function *fn)
{
    if (fn != NULL && --fn->refs == 0)
        destroy(fn);
}

/* A copy of s, "" for NULL. */
static char *dup_or_empty(const char *s)
{
    return xstrdup(s != NULL ? s : "");
}

static void set_str(char **slot, const char *v)
{
    free(*slot);
    *slot = dup_or_empty(v);
}

static struct function *clone_fn(const struct function *old)
{
    struct function *fn = xcalloc(1, sizeof(*fn));
    *fn = *old;
    fn->refs = 1;
    fn->name = dup_or_empty(old->name);
    fn->arn = dup_or_empty(old->arn);
    fn->runtime = dup_or_empty(old->runtime);
    fn->handler = dup_or_empty(old->handler);
    fn->role = dup_or_empty(old->role);
    fn->description = dup_or_empty(old->description);
    fn->env = old->env != NULL ? cJSON_Duplicate(old->env, 1) : NULL;
    fn->tags = old->tags != NULL ? cJSON_Duplicate(old->tags, 1) : NULL;
    return fn;
}

void function_touch(struct function *fn)
{
    time_fmt_lastmod(clock_ms(), fn->last_modified);
    rand_uuid(fn->revision_id);
}

/* ---- validation ---- */

static bool has_space(const char *s)
{
    for (; *s; s++)
        if (isspace((unsigned char)*s))
            return true;
    return false;
}

/* arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+ */
static bool valid_role(const char *s)
{
    if (strncmp(s, "arn:", 4) != 0)
        return false;
    s += 4;
    if (strncmp(s, "aws", 3) == 0) {
        s += 3;
        while (isalpha((unsigned char)*s) || *s == '-')
            s++;
    }
    if (strncmp(s, ":iam::", 6) != 0)
        return false;
    s += 6;
    for (int i = 0; i < 12; i++, s++)
        if (!isdigit((unsigned char)*s))
            return false;
    if (strncmp(s, ":role", 5) != 0)
        return false;
    s += 5;
    if (*s == '/')
        s++;
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && strchr("_+=,.@-/", *s) == NULL)
            return false;
    return true;
}

static const char *const reserved_env[] = {
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
};

static bool valid_env_key(const char *k)
{
    if (!isalpha((unsigned char)k[0]) || k[1] == '\0')
        return false;
    for (const char *p = k + 1; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return false;
    return true;
}

static void apply_env(struct function *fn, const cJSON *env, struct verr *v)
{
    const cJSON *vars = verr_object(env, "Variables", v);
    if (vars == NULL) {
        if (verr_member(env, "Variables") == NULL) {
            cJSON_Delete(fn->env);
            fn->env = NULL;
        }
        return;
    }
    char used[512] = "";
    size_t ulen = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, vars)
    {
        if (!cJSON_IsString(e)) {
            verr_fail(v, ERR_INVALID_CONTENT,
                      "Could not parse request body into json: environment variable values must "
                      "be strings");
            return;
        }
        for (size_t i = 0; i < sizeof(reserved_env) / sizeof(reserved_env[0]); i++)
            if (strcmp(e->string, reserved_env[i]) == 0 && ulen < sizeof(used) - 1)
                ulen += (size_t)snprintf(used + ulen, sizeof(used) - ulen, "%s%s", ulen ? ", " : "",
                                         e->string);
    }
    if (ulen > 0) {
        verr_fail(v, ERR_INVALID_PARAMETER,
                  "Lambda was unable to configure your environment variables because the "
                  "environment variables you have provided contains reserved keys that are "
                  "currently not supported for modification. Reserved keys used in this request: "
                  "%s",
                  used);
        return;
    }
    cJSON_ArrayForEach(e, vars)
    {
        if (!valid_env_key(e->string)) {
            verr_add(v, "Value at 'environment.variables' failed to satisfy constraint: Map keys "
                        "must satisfy constraint: [Member must satisfy regular expression pattern: "
                        "[a-zA-Z]([a-zA-Z0-9_])+]");
            return;
        }
    }
    char *text = cJSON_PrintUnformatted(vars);
    if (text == NULL)
        abort();
    size_t size = strlen(text);
    if (size > FN_ENV_MAX_BYTES) {
        verr_fail(v, ERR_INVALID_PARAMETER,
                  "Lambda was unable to configure your environment variables because the "
                  "environment variables you have provided exceeded the 4KB limit. String "
                  "measured: %.200s...",
                  text);
    } else {
        cJSON_Delete(fn->env);
        fn->env = cJSON_Duplicate(vars, 1);
    }
    free(text);
}

static void apply_runtime(struct function *fn, const char *rt, struct verr *v)
{
    if (!runtime_known(rt)) {
        verr_add(v,
                 "Value '%.64s' at 'runtime' failed to satisfy constraint: Member must satisfy "
                 "enum value set: %s",
                 rt, runtime_enum_list());
        return;
    }
    const struct runtime_info *info = runtime_find(rt);
    if (info == NULL) {
        verr_fail(v, ERR_INVALID_PARAMETER,
                  "The runtime parameter of %s is not supported by lambdad on this host. "
                  "Supported runtimes: %s",
                  rt, runtime_supported_list());
        return;
    }
    set_str(&fn->runtime, rt);
    fn->rt = info;
}

static void apply_arch(struct function *fn, const cJSON *arr, struct verr *v)
{
    if (!cJSON_IsArray(arr)) {
        verr_fail(v, ERR_INVALID_CONTENT,
                  "Could not parse request body into json: Architectures must be a list");
        return;
    }
    int n = cJSON_GetArraySize(arr);
    const cJSON *a = cJSON_GetArrayItem(arr, 0);
    if (n != 1) {
        verr_add(v,
                 "Value at 'architectures' failed to satisfy constraint: Member must have "
                 "length %s than or equal to 1",
                 n < 1 ? "greater" : "less");
    } else if (!cJSON_IsString(a) ||
               (strcmp(a->valuestring, "x86_64") != 0 && strcmp(a->valuestring, "arm64") != 0)) {
        verr_add(v, "Value at 'architectures' failed to satisfy constraint: Member must satisfy "
                    "constraint: [Member must satisfy enum value set: [x86_64, arm64]]");
    } else {
        snprintf(fn->arch, sizeof(fn->arch), "%s", a->valuestring);
    }
}

/* Layers: up to FN_LAYERS_MAX layer version ARNs, order kept. Whether they
 * exist is checked by the control plane, which knows the layers. */
static void apply_layers(struct function *fn, const cJSON *arr, struct verr *v)
{
    if (!cJSON_IsArray(arr)) {
        verr_fail(v, ERR_INVALID_CONTENT,
                  "Could not parse request body into json: Layers must be a list");
        return;
    }
    if (cJSON_GetArraySize(arr) > FN_LAYERS_MAX) {
        verr_fail(v, ERR_INVALID_PARAMETER, "Cannot reference more than %d layers.", FN_LAYERS_MAX);
        return;
    }
    struct fn_layer layers[FN_LAYERS_MAX];
    int n = 0;
    const cJSON *l;
    cJSON_ArrayForEach(l, arr)
    {
        char name[LAYER_NAME_MAX + 1];
        int version;
        if (!cJSON_IsString(l) || strlen(l->valuestring) >= sizeof(layers[n].arn) ||
            layers_parse_arn(l->valuestring, name, &version) != 0) {
            verr_add(v,
                     "Value '%.200s' at 'layers' failed to satisfy constraint: Member must "
                     "satisfy constraint: [Member must satisfy regular expression pattern: "
                     "arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+]",
                     cJSON_IsString(l) ? l->valuestring : "?");
            return;
        }
        memset(&layers[n], 0, sizeof(layers[n]));
        snprintf(layers[n].arn, sizeof(layers[n].arn), "%s", l->valuestring);
        n++;
    }
    memcpy(fn->layers, layers, (size_t)n * sizeof(layers[0]));
    fn->nlayers = n;
}

/* DeadLetterConfig.TargetArn: an SQS queue or SNS topic, or "" to remove it. */
static void apply_dlq(struct function *fn, const cJSON *o, struct verr *v)
{
    const char *arn = verr_string(o, "TargetArn", v);
    if (arn == NULL || arn[0] == '\0') {
        fn->dlq[0] = '\0';
        return;
    }
    if (strlen(arn) >= sizeof(fn->dlq) ||
        (strncmp(arn, "arn:aws:sqs:", 12) != 0 && strncmp(arn, "arn:aws:sns:", 12) != 0)) {
        verr_fail(v, ERR_INVALID_PARAMETER,
                  "The provided target ARN %.300s is not valid: a dead-letter queue is an SQS "
                  "queue or an SNS topic.",
                  arn);
        return;
    }
    snprintf(fn->dlq, sizeof(fn->dlq), "%s", arn);
}

/* Applies the configuration members both Create and UpdateFunctionConfiguration take. */
static void apply_config(struct function *fn, const cJSON *body, struct verr *v)
{
    const char *s;
    long long x;
    const cJSON *o;
    if ((s = verr_string(body, "Runtime", v)) != NULL)
        apply_runtime(fn, s, v);
    if ((s = verr_string(body, "Handler", v)) != NULL) {
        if (strlen(s) > FN_HANDLER_MAX)
            verr_add(v,
                     "Value '%.64s' at 'handler' failed to satisfy constraint: Member must "
                     "have length less than or equal to 128",
                     s);
        else if (s[0] == '\0' || has_space(s))
            verr_add(v,
                     "Value '%.64s' at 'handler' failed to satisfy constraint: Member must "
                     "satisfy regular expression pattern: [^\\s]+",
                     s);
        else
            set_str(&fn->handler, s);
    }
    if ((s = verr_string(body, "Role", v)) != NULL) {
        if (!valid_role(s) || strlen(s) > FN_ROLE_MAX)
            verr_add(v,
                     "Value '%.128s' at 'role' failed to satisfy constraint: Member must "
                     "satisfy regular expression pattern: "
                     "arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+",
                     s);
        else
            set_str(&fn->role, s);
    }
    if ((s = verr_string(body, "Description", v)) != NULL) {
        if (strlen(s) > FN_DESCRIPTION_MAX)
            verr_add(v, "Value at 'description' failed to satisfy constraint: Member must have "
                        "length less than or equal to 256");
        else
            set_str(&fn->description, s);
    }
    if (verr_int(body, "Timeout", &x, v)) {
        verr_range(v, "timeout", x, FN_TIMEOUT_MIN_S, FN_TIMEOUT_MAX_S);
        fn->timeout_s = (int)(x < 1 ? 1 : x > FN_TIMEOUT_MAX_S ? FN_TIMEOUT_MAX_S : x);
    }
    if (verr_int(body, "MemorySize", &x, v)) {
        verr_range(v, "memorySize", x, FN_MEMORY_MIN_MB, FN_MEMORY_MAX_MB);
        fn->memory_mb = (int)(x < FN_MEMORY_MIN_MB   ? FN_MEMORY_MIN_MB
                              : x > FN_MEMORY_MAX_MB ? FN_MEMORY_MAX_MB
                                                     : x);
    }
    if ((o = verr_object(body, "EphemeralStorage", v)) != NULL && verr_int(o, "Size", &x, v)) {
        verr_range(v, "ephemeralStorage.size", x, FN_EPHEMERAL_MIN_MB, FN_EPHEMERAL_MAX_MB);
        fn->ephemeral_mb = (int)x;
    }
    if ((o = verr_object(body, "Environment", v)) != NULL)
        apply_env(fn, o, v);
    if ((o = verr_object(body, "TracingConfig", v)) != NULL &&
        (s = verr_string(o, "Mode", v)) != NULL) {
        if (strcmp(s, "Active") != 0 && strcmp(s, "PassThrough") != 0)
            verr_add(v,
                     "Value '%.32s' at 'tracingConfig.mode' failed to satisfy constraint: "
                     "Member must satisfy enum value set: [Active, PassThrough]",
                     s);
        else
            snprintf(fn->tracing, sizeof(fn->tracing), "%s", s);
    }
    if ((o = verr_object(body, "DeadLetterConfig", v)) != NULL)
        apply_dlq(fn, o, v);
    if ((o = verr_member(body, "Layers")) != NULL)
        apply_layers(fn, o, v);
    if ((o = verr_member(body, "Architectures")) != NULL)
        apply_arch(fn, o, v);
}

int function_check_tags(const cJSON *tags, char *msg, size_t msgcap)
{
    if (!cJSON_IsObject(tags)) {
        snprintf(msg, msgcap, "Could not parse request body into json: Tags must be an object");
        return ERR_INVALID_CONTENT;
    }
    if (cJSON_GetArraySize(tags) > FN_TAGS_MAX) {
        snprintf(msg, msgcap, "A function can have at most %d tags.", FN_TAGS_MAX);
        return ERR_INVALID_PARAMETER;
    }
    const cJSON *t;
    cJSON_ArrayForEach(t, tags)
    {
        if (!cJSON_IsString(t)) {
            snprintf(msg, msgcap,
                     "Could not parse request body into json: tag values must be "
                     "strings");
            return ERR_INVALID_CONTENT;
        }
        size_t kl = strlen(t->string);
        if (kl < 1 || kl > 128 || strlen(t->valuestring) > 256 ||
            strncmp(t->string, "aws:", 4) == 0) {
            snprintf(msg, msgcap,
                     "Tag keys must be 1-128 characters not starting with aws: and tag values "
                     "at most 256 characters: %.128s",
                     t->string);
            return ERR_INVALID_PARAMETER;
        }
    }
    return 0;
}

struct function *function_with_tags(const struct function *old, const cJSON *add,
                                    const cJSON *remove)
{
    struct function *fn = clone_fn(old);
    if (fn->tags == NULL)
        fn->tags = cJSON_CreateObject();
    const cJSON *t;
    if (add != NULL) {
        cJSON_ArrayForEach(t, add)
        {
            cJSON_DeleteItemFromObjectCaseSensitive(fn->tags, t->string);
            cJSON_AddStringToObject(fn->tags, t->string, t->valuestring);
        }
    }
    if (remove != NULL) {
        cJSON_ArrayForEach(t, remove) if (cJSON_IsString(t))
            cJSON_DeleteItemFromObjectCaseSensitive(fn->tags, t->valuestring);
    }
    if (cJSON_GetArraySize(fn->tags) == 0) {
        cJSON_Delete(fn->tags);
        fn->tags = NULL;
    }
    return fn;
}

struct function *function_publish(const struct function *latest, int version,
                                  const char *description)
{
    struct function *fn = clone_fn(latest);
    snprintf(fn->version, sizeof(fn->version), "%d", version);
    memcpy(fn->source_revision, latest->revision_id, sizeof(fn->source_revision));
    if (description != NULL)
        set_str(&fn->description, description);
    rand_uuid(fn->revision_id);
    fn->reserved = -1;
    cJSON_Delete(fn->tags); /* tags belong to the function, not its versions */
    fn->tags = NULL;
    return fn;
}

const char *function_qualified_arn(const struct function *fn, char *buf, size_t cap)
{
    if (strcmp(fn->version, "$LATEST") == 0)
        snprintf(buf, cap, "%s", fn->arn);
    else
        snprintf(buf, cap, "%s:%s", fn->arn, fn->version);
    return buf;
}

struct function *function_with_reserved(const struct function *old, int n)
{
    struct function *fn = clone_fn(old);
    fn->reserved = n;
    return fn;
}

static struct function *defaults(void)
{
    struct function *fn = xcalloc(1, sizeof(*fn));
    fn->refs = 1;
    fn->reserved = -1;
    snprintf(fn->version, sizeof(fn->version), "$LATEST");
    fn->name = dup_or_empty("");
    fn->arn = dup_or_empty("");
    fn->runtime = dup_or_empty("");
    fn->handler = dup_or_empty("");
    fn->role = dup_or_empty("");
    fn->description = dup_or_empty("");
    fn->timeout_s = FN_TIMEOUT_DEFAULT_S;
    fn->memory_mb = FN_MEMORY_DEFAULT_MB;
    fn->ephemeral_mb = FN_EPHEMERAL_MIN_MB;
    snprintf(fn->arch, sizeof(fn->arch), "x86_64");
    snprintf(fn->tracing, sizeof(fn->tracing), "PassThrough");
    return fn;
}

int function_from_create(const cJSON *body, const char *region, const char *account,
                         struct function **out, char *msg, size_t msgcap)
{
    struct verr v;
    verr_init(&v, ERR_INVALID_CONTENT, "Could not parse request body into json: ");
    struct function *fn = defaults();
    const char *name = verr_string(body, "FunctionName", &v);
    struct fn_ref ref;
    if (name == NULL && v.semantic == 0)
        verr_add(&v, "Value null at 'functionName' failed to satisfy constraint: Member must "
                     "not be null");
    else if (name != NULL &&
             (arn_parse_function(name, strlen(name), &ref) != 0 || ref.qualifier[0] != '\0'))
        verr_add(&v,
                 "Value '%.140s' at 'functionName' failed to satisfy constraint: Member "
                 "must satisfy regular expression pattern: %s",
                 name, arn_function_pattern);
    else if (name != NULL)
        set_str(&fn->name, ref.name);
    if (verr_string(body, "Role", &v) == NULL && v.semantic == 0)
        verr_add(&v, "Value null at 'role' failed to satisfy constraint: Member must not be null");
    apply_config(fn, body, &v);
    const char *ptype = verr_string(body, "PackageType", &v);
    if (ptype != NULL && strcmp(ptype, "Zip") != 0 && strcmp(ptype, "Image") != 0)
        verr_add(&v,
                 "Value '%.32s' at 'packageType' failed to satisfy constraint: Member must "
                 "satisfy enum value set: [Image, Zip]",
                 ptype);
    else if (ptype != NULL && strcmp(ptype, "Image") == 0)
        verr_fail(&v, ERR_INVALID_PARAMETER,
                  "PackageType Image is not supported by lambdad; use a Zip package.");
    const cJSON *tags = verr_member(body, "Tags");
    char tmsg[512];
    int trc = tags != NULL ? function_check_tags(tags, tmsg, sizeof(tmsg)) : 0;
    if (trc != 0)
        verr_fail(&v, trc, "%s", tmsg);
    else if (tags != NULL && cJSON_GetArraySize(tags) > 0)
        fn->tags = cJSON_Duplicate(tags, 1);
    if (verr_member(body, "Code") == NULL && v.semantic == 0)
        verr_add(&v, "Value null at 'code' failed to satisfy constraint: Member must not be null");
    if (v.count == 0 && v.semantic == 0 && (fn->runtime[0] == '\0' || fn->handler[0] == '\0'))
        verr_fail(&v, ERR_INVALID_PARAMETER,
                  "Runtime and Handler are mandatory parameters for functions created with "
                  "deployment packages.");
    int rc = verr_finish(&v, msg, msgcap);
    if (rc != 0) {
        function_unref(fn);
        return rc;
    }
    char arn[256];
    snprintf(arn, sizeof(arn), "arn:aws:lambda:%s:%s:function:%s", region, account, fn->name);
    set_str(&fn->arn, arn);
    function_touch(fn);
    *out = fn;
    return 0;
}

int function_apply_update(const struct function *old, const cJSON *body, struct function **out,
                          char *msg, size_t msgcap)
{
    struct verr v;
    verr_init(&v, ERR_INVALID_CONTENT, "Could not parse request body into json: ");
    struct function *fn = clone_fn(old);
    apply_config(fn, body, &v);
    int rc = verr_finish(&v, msg, msgcap);
    if (rc != 0) {
        function_unref(fn);
        return rc;
    }
    function_touch(fn);
    *out = fn;
    return 0;
}

struct function *function_with_code(const struct function *old, const char *hex, const char *b64,
                                    int64_t size)
{
    struct function *fn = clone_fn(old);
    snprintf(fn->code_hex, sizeof(fn->code_hex), "%s", hex);
    snprintf(fn->code_b64, sizeof(fn->code_b64), "%s", b64);
    fn->code_size = size;
    function_touch(fn);
    return fn;
}

/* ---- JSON ---- */

static void add_obj1(cJSON *o, const char *key, const char *k2, cJSON *v)
{
    cJSON *inner = cJSON_AddObjectToObject(o, key);
    cJSON_AddItemToObject(inner, k2, v);
}

cJSON *function_config_json(const struct function *fn)
{
    cJSON *o = cJSON_CreateObject();
    char group[128];
    snprintf(group, sizeof(group), "/aws/lambda/%s", fn->name);
    cJSON_AddStringToObject(o, "FunctionName", fn->name);
    char qarn[300];
    cJSON_AddStringToObject(o, "FunctionArn", function_qualified_arn(fn, qarn, sizeof(qarn)));
    cJSON_AddStringToObject(o, "Runtime", fn->runtime);
    cJSON_AddStringToObject(o, "Role", fn->role);
    cJSON_AddStringToObject(o, "Handler", fn->handler);
    cJSON_AddNumberToObject(o, "CodeSize", (double)fn->code_size);
    cJSON_AddStringToObject(o, "Description", fn->description);
    cJSON_AddNumberToObject(o, "Timeout", fn->timeout_s);
    cJSON_AddNumberToObject(o, "MemorySize", fn->memory_mb);
    cJSON_AddStringToObject(o, "LastModified", fn->last_modified);
    cJSON_AddStringToObject(o, "CodeSha256", fn->code_b64);
    cJSON_AddStringToObject(o, "Version", fn->version);
    if (fn->env != NULL)
        add_obj1(o, "Environment", "Variables", cJSON_Duplicate(fn->env, 1));
    if (fn->dlq[0] != '\0')
        add_obj1(o, "DeadLetterConfig", "TargetArn", cJSON_CreateString(fn->dlq));
    if (fn->nlayers > 0) {
        cJSON *layers = cJSON_AddArrayToObject(o, "Layers");
        for (int i = 0; i < fn->nlayers; i++) {
            cJSON *l = cJSON_CreateObject();
            cJSON_AddStringToObject(l, "Arn", fn->layers[i].arn);
            cJSON_AddNumberToObject(l, "CodeSize", (double)fn->layers[i].size);
            cJSON_AddItemToArray(layers, l);
        }
    }
    add_obj1(o, "TracingConfig", "Mode", cJSON_CreateString(fn->tracing));
    cJSON_AddStringToObject(o, "RevisionId", fn->revision_id);
    cJSON_AddStringToObject(o, "State", "Active");
    cJSON_AddStringToObject(o, "LastUpdateStatus", "Successful");
    cJSON_AddStringToObject(o, "PackageType", "Zip");
    cJSON *arch = cJSON_AddArrayToObject(o, "Architectures");
    cJSON_AddItemToArray(arch, cJSON_CreateString(fn->arch));
    add_obj1(o, "EphemeralStorage", "Size", cJSON_CreateNumber(fn->ephemeral_mb));
    cJSON *snap = cJSON_AddObjectToObject(o, "SnapStart");
    cJSON_AddStringToObject(snap, "ApplyOn", "None");
    cJSON_AddStringToObject(snap, "OptimizationStatus", "Off");
    cJSON *logging = cJSON_AddObjectToObject(o, "LoggingConfig");
    cJSON_AddStringToObject(logging, "LogFormat", "Text");
    cJSON_AddStringToObject(logging, "LogGroup", group);
    return o;
}

char *function_store_json(const struct function *fn)
{
    cJSON *o = function_config_json(fn);
    cJSON_AddStringToObject(o, "_CodeHex", fn->code_hex);
    if (fn->tags != NULL)
        cJSON_AddItemToObject(o, "_Tags", cJSON_Duplicate(fn->tags, 1));
    if (fn->reserved >= 0)
        cJSON_AddNumberToObject(o, "_Reserved", fn->reserved);
    cJSON_AddStringToObject(o, "_Arn", fn->arn);
    /* Layers are stored with their code keys, not in the request shape. */
    cJSON_DeleteItemFromObjectCaseSensitive(o, "Layers");
    cJSON *layers = cJSON_AddArrayToObject(o, "_Layers");
    for (int i = 0; i < fn->nlayers; i++) {
        cJSON *l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "Arn", fn->layers[i].arn);
        cJSON_AddStringToObject(l, "Hex", fn->layers[i].hex);
        cJSON_AddNumberToObject(l, "Size", (double)fn->layers[i].size);
        cJSON_AddItemToArray(layers, l);
    }
    cJSON_AddStringToObject(o, "_SourceRevision", fn->source_revision);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text == NULL)
        abort();
    return text;
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

struct function *function_from_store(const char *json)
{
    cJSON *o = cJSON_Parse(json);
    if (o == NULL)
        return NULL;
    struct function *fn = defaults();
    struct verr v;
    verr_init(&v, ERR_INVALID_CONTENT, "Could not parse request body into json: ");
    apply_config(fn, o, &v);
    const char *name = str_of(o, "FunctionName");
    /* Records stored before versions existed have only FunctionArn. */
    const char *arn = cJSON_GetObjectItemCaseSensitive(o, "_Arn") != NULL
                          ? str_of(o, "_Arn")
                          : str_of(o, "FunctionArn");
    const char *ver = str_of(o, "Version"), *src = str_of(o, "_SourceRevision");
    const char *hex = str_of(o, "_CodeHex"), *b64 = str_of(o, "CodeSha256");
    const char *lm = str_of(o, "LastModified"), *rev = str_of(o, "RevisionId");
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(o, "CodeSize");
    if (v.count != 0 || v.semantic != 0 || name == NULL || arn == NULL || hex == NULL ||
        b64 == NULL || lm == NULL || rev == NULL || !cJSON_IsNumber(size)) {
        function_unref(fn);
        cJSON_Delete(o);
        return NULL;
    }
    set_str(&fn->name, name);
    set_str(&fn->arn, arn);
    snprintf(fn->code_hex, sizeof(fn->code_hex), "%s", hex);
    snprintf(fn->code_b64, sizeof(fn->code_b64), "%s", b64);
    snprintf(fn->last_modified, sizeof(fn->last_modified), "%s", lm);
    snprintf(fn->revision_id, sizeof(fn->revision_id), "%s", rev);
    fn->code_size = (int64_t)size->valuedouble;
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(o, "_Tags");
    if (cJSON_IsObject(tags))
        fn->tags = cJSON_Duplicate(tags, 1);
    if (ver != NULL && (strcmp(ver, "$LATEST") == 0 || (ver[0] >= '1' && ver[0] <= '9')))
        snprintf(fn->version, sizeof(fn->version), "%s", ver);
    if (src != NULL)
        snprintf(fn->source_revision, sizeof(fn->source_revision), "%s", src);
    const cJSON *layer;
    cJSON_ArrayForEach(layer, cJSON_GetObjectItemCaseSensitive(o, "_Layers"))
    {
        const char *larn = cJSON_GetStringValue(cJSON_GetObjectItem(layer, "Arn"));
        const char *lhex = cJSON_GetStringValue(cJSON_GetObjectItem(layer, "Hex"));
        const cJSON *lsize = cJSON_GetObjectItem(layer, "Size");
        if (fn->nlayers < FN_LAYERS_MAX && larn != NULL && lhex != NULL && cJSON_IsNumber(lsize)) {
            struct fn_layer *fl = &fn->layers[fn->nlayers++];
            snprintf(fl->arn, sizeof(fl->arn), "%s", larn);
            snprintf(fl->hex, sizeof(fl->hex), "%s", lhex);
            fl->size = (int64_t)lsize->valuedouble;
        }
    }
    const cJSON *reserved = cJSON_GetObjectItemCaseSensitive(o, "_Reserved");
    if (cJSON_IsNumber(reserved) && reserved->valuedouble >= 0 && reserved->valuedouble < 1e9)
        fn->reserved = (int)reserved->valuedouble;
    cJSON_Delete(o);
    return fn;
}
