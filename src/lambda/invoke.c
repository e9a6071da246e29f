/* SPDX-License-Identifier: MIT */
/*
 * The Invoke API (POST /2015-03-31/functions/{F}/invocations and the legacy
 * InvokeAsync): header and payload checks, function resolution, and the
 * mapping of a finished invocation to AWS's status and headers. The payload
 * is never parsed beyond a validity check and is handed to the runtime as
 * the same bytes; the result goes back as the bytes the runtime posted. A
 * function error keeps status 200 and adds X-Amz-Function-Error: Unhandled,
 * as every current AWS runtime reports.
 */
#include "invoke/invoke.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aws/awserr.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/util.h"
#include "catalog/catalog.h"
#include "catalog/function.h"
#include "invoke.h"
#include "invoke/sched.h"

static void send_not_found(h2o_req_t *req, struct lambda_api *api, const char *name,
                           const char *qual)
{
    aws_send_error(req, ERR_NOT_FOUND, "Function not found: arn:aws:lambda:%s:%s:function:%s%s%s",
                   api->region, api->account, name, qual[0] ? ":" : "", qual);
}

int lambda_resolve_ref(struct lambda_api *api, h2o_req_t *req, const struct fn_ref *ref, bool route,
                       struct function **out, char qualifier[FN_QUALIFIER_MAX + 1])
{
    char q[FN_QUALIFIER_MAX + 1];
    int n = http_query(req, "Qualifier", q, sizeof(q));
    if (n == -ENAMETOOLONG || (n >= 0 && !arn_valid_qualifier(q, (size_t)n))) {
        aws_send_error(req, ERR_VALIDATION,
                       "1 validation error detected: Value '%.128s' at 'qualifier' failed to "
                       "satisfy constraint: Member must satisfy regular expression pattern: "
                       "(|[a-zA-Z0-9$_-]+)",
                       n >= 0 ? q : "");
        return ERR_VALIDATION;
    }
    if (n < 0)
        q[0] = '\0';
    if (ref->qualifier[0] != '\0' && q[0] != '\0' && strcmp(ref->qualifier, q) != 0) {
        aws_send_error(req, ERR_INVALID_PARAMETER,
                       "The derived qualifier from the function name does not match the "
                       "specified qualifier.");
        return ERR_INVALID_PARAMETER;
    }
    const char *qual = q[0] != '\0' ? q : ref->qualifier;
    bool elsewhere = invoke_elsewhere(api->iv, ref);
    struct function *fn = NULL;
    if (elsewhere || catalog_resolve(api->cat, ref->name, qual, route, &fn) != 0) {
        if (elsewhere)
            aws_send_error(req, ERR_NOT_FOUND,
                           "Function not found: arn:aws:lambda:%s:%s:function:%s",
                           ref->region[0] ? ref->region : api->region,
                           ref->account[0] ? ref->account : api->account, ref->name);
        else
            send_not_found(req, api, ref->name, qual);
        return ERR_NOT_FOUND;
    }
    *out = fn;
    memcpy(qualifier, qual, strlen(qual) + 1);
    return 0;
}

/* Answers an Invoke request once its invocation finished. */
static void on_invoked(void *arg, const struct invoke_done *d)
{
    h2o_req_t *req = arg;
    const struct invocation *inv = d->inv;
    if (d->status != 0) {
        if (d->status == ERR_NOT_FOUND)
            aws_send_error(req, d->status, "Function not found: %s", d->arn);
        else
            aws_send_error(req, d->status, "%s", err_str(d->status));
        return;
    }
    aws_request_id_header(req, inv->request_id);
    http_header(req, "X-Amz-Executed-Version", d->version, strlen(d->version));
    if (inv->function_error)
        http_header(req, "X-Amz-Function-Error", "Unhandled", 9);
    if (inv->want_tail) {
        size_t off =
            inv->log_len > INVOKE_LOG_TAIL_BYTES ? inv->log_len - INVOKE_LOG_TAIL_BYTES : 0;
        char b64[b64_encoded_len(INVOKE_LOG_TAIL_BYTES)];
        size_t n = b64_encode(inv->log != NULL ? inv->log + off : "", inv->log_len - off, b64);
        http_header(req, "X-Amz-Log-Result", b64, n);
    }
    const char *ctype = inv->result_ctype != NULL ? inv->result_ctype : "application/json";
    http_send(req, 200, ctype, inv->result != NULL ? inv->result : "", inv->result_len);
}

static void on_accepted(void *arg, int status, const char *request_id)
{
    h2o_req_t *req = arg;
    if (status != 0) {
        aws_send_error(req, status, "The event could not be queued: %s", err_str(status));
        return;
    }
    aws_request_id_header(req, request_id);
    http_send(req, 202, "application/json", "", 0);
}

/* Hands an Event invocation to the durable queue; 202 once it is stored. */
static void enqueue(struct lambda_api *api, h2o_req_t *req, const struct function *fn,
                    const char *qual, const char *payload, size_t len)
{
    invoke_enqueue(api->iv, fn, qual, payload, len, on_accepted, req);
}

/* Reads an enum header; sends ValidationException and returns -1 if invalid. */
static int header_enum(h2o_req_t *req, const char *name, const char *field,
                       const char *const *values, const char *set)
{
    const h2o_iovec_t *h = http_req_header(req, name);
    if (h == NULL)
        return 0;
    for (int i = 0; values[i] != NULL; i++)
        if (h->len == strlen(values[i]) && memcmp(h->base, values[i], h->len) == 0)
            return i;
    aws_send_error(req, ERR_VALIDATION,
                   "1 validation error detected: Value '%.*s' at '%s' failed to satisfy "
                   "constraint: Member must satisfy enum value set: %s",
                   (int)(h->len > 64 ? 64 : h->len), h->base, field, set);
    return -1;
}

static int decode_client_context(h2o_req_t *req, char **out)
{
    const h2o_iovec_t *h = http_req_header(req, "x-amz-client-context");
    *out = NULL;
    if (h == NULL || h->len == 0)
        return 0;
    if (h->len > INVOKE_CLIENT_CONTEXT_MAX) {
        aws_send_error(req, ERR_INVALID_PARAMETER,
                       "Client context must be smaller than %d bytes when base64-encoded.",
                       INVOKE_CLIENT_CONTEXT_MAX);
        return ERR_INVALID_PARAMETER;
    }
    unsigned char *raw;
    size_t len;
    cJSON *parsed = NULL;
    if (b64_decode(h->base, h->len, &raw, &len) == 0) {
        parsed = cJSON_ParseWithLength((const char *)raw, len);
        if (parsed == NULL || !cJSON_IsObject(parsed)) {
            free(raw);
            raw = NULL;
        } else {
            raw[len] = '\0';
        }
        cJSON_Delete(parsed);
    } else {
        raw = NULL;
    }
    if (raw == NULL) {
        aws_send_error(req, ERR_INVALID_CONTENT,
                       "Client context must be a valid Base64-encoded JSON object.");
        return ERR_INVALID_CONTENT;
    }
    *out = (char *)raw;
    return 0;
}

/* The request's payload ("{}" when empty) into *p and *len; sends
 * InvalidRequestContentException (with the byte offset when at) and returns
 * false when it is not JSON. */
static bool payload_of(h2o_req_t *req, bool at, const char **p, size_t *len)
{
    *p = req->entity.len > 0 ? req->entity.base : "{}";
    *len = req->entity.len > 0 ? req->entity.len : 2;
    cJSON *check = cJSON_ParseWithLength(*p, *len);
    if (check != NULL) {
        cJSON_Delete(check);
        return true;
    }
    if (at)
        aws_send_error(req, ERR_INVALID_CONTENT,
                       "Could not parse request body into json: Could not parse payload into "
                       "json: Unexpected character at byte %zu",
                       (size_t)(cJSON_GetErrorPtr() != NULL ? cJSON_GetErrorPtr() - *p : 0));
    else
        aws_send_error(req, ERR_INVALID_CONTENT,
                       "Could not parse request body into json: Could not parse payload into "
                       "json");
    return false;
}

void lambda_invoke(struct lambda_api *api, h2o_req_t *req, const struct fn_ref *ref)
{
    static const char *const types[] = {"RequestResponse", "Event", "DryRun", NULL};
    static const char *const logtypes[] = {"None", "Tail", NULL};
    int type = header_enum(req, "x-amz-invocation-type", "invocationType", types,
                           "[Event, RequestResponse, DryRun]");
    if (type < 0)
        return;
    int logtype = header_enum(req, "x-amz-log-type", "logType", logtypes, "[None, Tail]");
    if (logtype < 0)
        return;
    size_t max = type == 1 ? ASYNC_PAYLOAD_MAX_BYTES : INVOKE_PAYLOAD_MAX_BYTES;
    if (req->entity.len > max) {
        aws_send_error(req, ERR_TOO_LARGE,
                       "Request must be smaller than %zu bytes for the InvokeFunction operation",
                       max);
        return;
    }
    struct function *fn;
    char qual[FN_QUALIFIER_MAX + 1];
    if (lambda_resolve_ref(api, req, ref, type == 0, &fn, qual) != 0)
        return;
    const char *payload;
    size_t plen;
    if (!payload_of(req, true, &payload, &plen))
        return;
    char *cc;
    if (decode_client_context(req, &cc) != 0)
        return;
    if (type == 1) {
        free(cc);
        enqueue(api, req, fn, qual, payload, plen);
        return;
    }
    if (type == 2) {
        free(cc);
        aws_send_empty(req, 204);
        return;
    }
    struct invoke_params ip = {.qualifier = qual,
                               .payload = payload,
                               .len = plen,
                               .client_context = cc,
                               .want_tail = logtype == 1};
    int rc = invoke_submit(api->iv, fn, &ip, on_invoked, req);
    if (rc != 0)
        aws_send_throttle(req,
                          rc == ERR_TOO_MANY_RESERVED
                              ? "ReservedFunctionConcurrentInvocationLimitExceeded"
                              : "ConcurrentInvocationLimitExceeded",
                          "Rate Exceeded.");
}

void lambda_invoke_async(struct lambda_api *api, h2o_req_t *req, const struct fn_ref *ref)
{
    if (req->entity.len > ASYNC_PAYLOAD_MAX_BYTES) {
        aws_send_error(req, ERR_TOO_LARGE,
                       "Request must be smaller than %d bytes for the InvokeAsync operation",
                       ASYNC_PAYLOAD_MAX_BYTES);
        return;
    }
    struct function *fn;
    char qual[FN_QUALIFIER_MAX + 1];
    if (lambda_resolve_ref(api, req, ref, false, &fn, qual) != 0)
        return;
    const char *payload;
    size_t plen;
    if (!payload_of(req, false, &payload, &plen))
        return;
    enqueue(api, req, fn, qual, payload, plen);
}
