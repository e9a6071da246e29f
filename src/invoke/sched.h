/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_INVOKE_SCHED_H
#define LAMBDAD_INVOKE_SCHED_H

/*
 * The scheduler: per-function pools of instances, each instance one process
 * speaking the Runtime API on its own listener. An invocation goes to an idle
 * warm instance, or waits for a new one while concurrency allows; otherwise
 * it is throttled. One invocation per instance at a time. Loop thread only.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/timer.h"
#include "http/server.h"
#include "sandbox/sandbox.h"

struct sched;
struct function;
struct instance;
struct logs;
struct metrics;
struct blob_store;
struct invocation;

/* Called exactly once per accepted invocation, on the loop thread. status is
 * 0 when the function ran (inv->result holds its response or error payload,
 * inv->function_error says which), or an ERR_* code when it could not run. */
typedef void sched_done_fn(struct invocation *inv, int status, void *arg);

struct invocation {
    char request_id[37];
    struct function *fn; /* a reference, taken by sched_submit */
    const char *payload; /* borrowed until done */
    size_t payload_len;
    const char *client_context; /* decoded JSON text or NULL; borrowed until done */
    const char *invoked_arn;    /* borrowed until done */
    bool want_tail;             /* keep the log for X-Amz-Log-Result */
    sched_done_fn *done;
    void *done_arg;
    /* results, valid inside the done callback */
    bool function_error;
    const char *result;
    size_t result_len;
    const char *result_ctype; /* the runtime's Content-Type, or NULL */
    char *log;                /* START..REPORT lines when want_tail */
    size_t log_len;
    /* scheduler state */
    struct instance *inst;
    struct invocation *next; /* pending queue */
    struct timer deadline;
    int64_t start_us; /* when the runtime received the event */
    int64_t held_ms;  /* when it began to wait for room in the log backlog */
    char *owned;      /* platform-generated result text */
};

struct sched_config {
    const char *region;
    const char *account;
    const char *data_dir;
    const char *runtimes_dir;
    const char *python;    /* host interpreter for python3.x */
    const char *node;      /* host interpreter for nodejs*.x */
    const char *edge_url;  /* AWS_ENDPOINT_URL for functions */
    const char *init_path; /* lambdad-init, for functions with external extensions */
    int account_concurrency;
    int keepalive_ms;               /* idle instances live this long; 0 = cold every time */
    enum sandbox_kind sandbox_kind; /* --sandbox */
    struct metrics *metrics;        /* counters for /metrics (borrowed; NULL: off) */
};

/* Returns a new scheduler, or NULL when the sandbox kind asked for cannot be
 * set up here (logged). cfg strings must outlive it. */
struct sched *sched_new(struct http_server *srv, struct blob_store *bs, struct logs *lg,
                        const struct sched_config *cfg);

/* Kills every instance, fails queued invocations, frees. */
void sched_free(struct sched *s);

/* Submits inv (fields above set, fn referenced by the caller). Returns 0 when
 * done will run later, or (done never runs) ERR_TOO_MANY_RESERVED when the
 * function's reserved concurrency is in use, ERR_TOO_MANY_REQUESTS when the
 * account's (unreserved) concurrency is. While the function log backlog is
 * past its bound the invocation waits for room (up to LOG_HOLD_MAX_MS, then
 * done runs with ERR_SERVICE), or, while the log store fails (a full disk),
 * done runs on the next loop turn with ERR_SERVICE. */
int sched_submit(struct sched *s, struct invocation *inv);

/* Sets the sum of every function's reserved concurrency (what the
 * unreserved functions cannot use). */
void sched_set_reserved_total(struct sched *s, unsigned total);

/* The function version called key ("name" for $LATEST, "name:3") was
 * updated (fn) or deleted (fn == NULL): idle instances of older snapshots
 * stop now, busy ones after their invocation. */
void sched_function_changed(struct sched *s, const char *name, struct function *fn);

/* Handles a Runtime API request that arrived on an instance's listener. */
int sched_runtime_request(struct sched *s, h2o_req_t *req);

/* Reaps exited children (after SIGCHLD). */
void sched_reap(struct sched *s);

/* Invocations running or queued. */
unsigned sched_busy(const struct sched *s);

/* Instances alive (any state). */
unsigned sched_instances(const struct sched *s);

/* Keeps n instances of version fn initialised ahead of demand (provisioned
 * concurrency; 0 removes them): started with AWS_LAMBDA_INITIALIZATION_TYPE
 * provisioned-concurrency, never reaped, replaced when they die, used like
 * any idle instance. */
void sched_provision(struct sched *s, struct function *fn, unsigned n);

/* Provisioned instances of fn that finished init (READY once it equals n). */
unsigned sched_provisioned_ready(struct sched *s, const struct function *fn);

/* What isolation is in force, for /_lambdad/health ("none", or e.g.
 * "namespaces+netns+cgroup-v1+seccomp"). */
const char *sched_sandbox_mode(const struct sched *s);

/* Stops every instance (shutdown); their invocations fail. Instances with
 * extensions that registered for SHUTDOWN go through the Shutdown phase
 * (up to EXT_SHUTDOWN_MS): keep the loop running until sched_instances()
 * is 0 or that time passed. */
void sched_stop_all(struct sched *s);

/* The Sandbox.Timedout error payload, for tests: writes into buf. */
int sched_timeout_payload(char *buf, size_t cap, const char *request_id, int timeout_s);

#endif
