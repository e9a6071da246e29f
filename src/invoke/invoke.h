/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_INVOKE_INVOKE_H
#define LAMBDAD_INVOKE_INVOKE_H

/*
 * The one way into a function: invoke_submit() runs a synchronous
 * invocation through the scheduler, invoke_enqueue() hands an asynchronous
 * one to the durable queue (which lives in src/sources/ and is wired in by
 * the daemon). Every caller uses these: the Invoke API, the async
 * dispatcher, API Gateway, function URLs, and the event-source pollers and
 * notifications. Loop thread only.
 */

#include <stdbool.h>
#include <stddef.h>

#include "aws/arn.h"

struct catalog;
struct function;
struct invocation;
struct sched;

/* Called once an Event invocation is durably queued (status 0) or was not. */
typedef void invoke_accepted_fn(void *arg, int status, const char *request_id);

/* Queues an Event invocation of function fn (name) invoked as invoked_arn;
 * copies what it keeps; done runs exactly once, later, on the loop. */
typedef void invoke_enqueue_fn(void *ctx, const char *fn, const char *invoked_arn,
                               const char *payload, size_t len, invoke_accepted_fn *done,
                               void *arg);

struct invoker {
    struct catalog *cat; /* borrowed */
    struct sched *sched; /* borrowed */
    const char *region;
    const char *account;
    invoke_enqueue_fn *enqueue; /* set by the daemon once the queue exists */
    void *enqueue_ctx;
};

/* Sets iv up and subscribes the scheduler to the catalog's changes (a
 * changed or removed snapshot retires its warm instances). Every pointer is
 * borrowed and must outlive iv. */
void invoker_init(struct invoker *iv, struct catalog *cat, struct sched *sched, const char *region,
                  const char *account);

/* True if ref names another account or region than this lambdad's. */
bool invoke_elsewhere(const struct invoker *iv, const struct fn_ref *ref);

/* Resolves ref with its own qualifier. route: an alias that splits traffic
 * picks a version by weight; else its primary version is used. Returns 0
 * and the borrowed snapshot, or ERR_NOT_FOUND (also for another account or
 * region). */
int invoke_lookup(const struct invoker *iv, const struct fn_ref *ref, bool route,
                  struct function **out);

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

/* What to run. Strings are borrowed for the call unless said otherwise. */
struct invoke_params {
    const char *qualifier;   /* as invoked ("" or NULL for none) */
    const char *invoked_arn; /* NULL: the function's ARN plus qualifier */
    const char *request_id;  /* NULL: a new one */
    const char *payload;     /* borrowed until done runs */
    size_t len;
    char *client_context; /* decoded JSON text (malloc'd, taken) or NULL */
    bool want_tail;       /* keep the log for X-Amz-Log-Result */
};

/* Submits a RequestResponse invocation of fn (a resolved snapshot). Returns
 * 0 when done will run once, later, on the loop; or ERR_TOO_MANY_RESERVED /
 * ERR_TOO_MANY_REQUESTS (throttled: done never runs; client_context freed). */
int invoke_submit(struct invoker *iv, struct function *fn, const struct invoke_params *p,
                  invoke_done_fn *done, void *arg);

/* Hands an Event invocation of fn, invoked with qualifier qual ("" for
 * none), to the durable queue; done runs exactly once, later, on the loop. */
void invoke_enqueue(struct invoker *iv, const struct function *fn, const char *qual,
                    const char *payload, size_t len, invoke_accepted_fn *done, void *arg);

#endif
