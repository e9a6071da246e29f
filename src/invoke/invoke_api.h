/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_INVOKE_INVOKE_API_H
#define LAMBDAD_INVOKE_INVOKE_API_H

/*
 * The Invoke API (POST /2015-03-31/functions/{F}/invocations): header and
 * payload checks, function resolution, and the mapping of a finished
 * invocation to AWS's status and headers.
 */

#include "aws/arn.h"
#include "http/server.h"

struct catalog;
struct function;
struct sched;

/* Called once an Event invocation is durably queued (status 0) or was not. */
typedef void invoke_accepted_fn(void *arg, int status, const char *request_id);

/* Queues an Event invocation (the daemon wires it to the async queue);
 * copies what it keeps; done runs exactly once, later, on the loop. */
typedef void invoke_enqueue_fn(void *ctx, const char *fn, const char *invoked_arn,
                               const char *payload, size_t len, invoke_accepted_fn *done,
                               void *arg);

struct invoke_api {
    struct catalog *cat;
    struct sched *sched;
    const char *region;
    const char *account;
    invoke_enqueue_fn *enqueue;
    void *enqueue_ctx;
};

/* Handles an Invoke for the function reference ref (already parsed from the
 * path). Answers now or when the invocation finishes. Returns 0. */
int invoke_api_handle(struct invoke_api *api, h2o_req_t *req, const struct fn_ref *ref);

/* Handles the legacy InvokeAsync (POST /2014-11-13/functions/{F}/invoke-async). */
int invoke_api_handle_async(struct invoke_api *api, h2o_req_t *req, const struct fn_ref *ref);

/* Resolves ref (+ the Qualifier query parameter: $LATEST, a version or an
 * alias) to a function snapshot. route: an alias that splits traffic picks
 * a version by weight (Invoke); else its primary version is used. Returns 0
 * and the borrowed snapshot and the qualifier as given, or sends the AWS
 * error and returns the code. */
int invoke_api_resolve(struct invoke_api *api, h2o_req_t *req, const struct fn_ref *ref, bool route,
                       struct function **out, char qualifier[FN_QUALIFIER_MAX + 1]);

/* Resolves ref with its own qualifier (no request involved). Returns 0 and
 * the borrowed snapshot, or ERR_NOT_FOUND (also for another account or
 * region). */
int invoke_api_lookup(struct invoke_api *api, const struct fn_ref *ref, bool route,
                      struct function **out);

struct invocation;

/* How a synchronous invocation ended: status 0 when the function ran (inv
 * holds the result, inv->function_error says whether it is an error), or
 * the ERR_* code that kept it from running. Valid during the callback. */
struct invoke_done {
    int status;
    const struct invocation *inv;
    const char *arn;     /* the ARN invoked (qualified when a qualifier was given) */
    const char *version; /* the version that ran */
};

typedef void invoke_done_fn(void *arg, const struct invoke_done *d);

/* Submits a RequestResponse invocation of fn (qual as given, "" for none)
 * with payload (borrowed until done runs). Takes client_context (malloc'd
 * JSON text or NULL). Returns 0 when done will run once, later, on the loop;
 * or ERR_TOO_MANY_RESERVED / ERR_TOO_MANY_REQUESTS (throttled: done never
 * runs). */
int invoke_api_submit(struct invoke_api *api, struct function *fn, const char *qual,
                      const char *payload, size_t len, char *client_context, bool want_tail,
                      invoke_done_fn *done, void *arg);

#endif
