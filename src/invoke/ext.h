/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_INVOKE_EXT_H
#define LAMBDAD_INVOKE_EXT_H

/*
 * The Extensions API (2020-01-01) of one instance: registration, the event
 * long-poll and the error reports, with the state AWS keeps per extension.
 * The scheduler owns the lifecycle (when the runtime starts, when init and
 * an invocation are complete, shutdown); this module answers the requests,
 * queues events and says what happened. Loop thread only.
 *
 * External extensions are the executables of /opt/extensions that lambdad
 * started; any other name that registers during init is an internal
 * extension (a part of the runtime process), which may not take SHUTDOWN.
 */

#include <stdbool.h>
#include <stddef.h>

#include "base/limits.h"
#include "http/server.h"

struct tele;

enum ext_what {
    EXT_NONE,       /* answered; nothing changed for the scheduler */
    EXT_REGISTERED, /* an extension registered */
    EXT_WAITING,    /* an extension asked for its next event (it is done with the last) */
    EXT_INIT_ERROR, /* an extension reported init/error */
    EXT_EXIT_ERROR, /* an extension reported exit/error */
};

struct ext {
    char name[EXT_NAME_MAX + 1];
    char id[37];   /* Lambda-Extension-Identifier; "" until it registers */
    bool external; /* started by lambdad from /opt/extensions */
    bool registered;
    bool want_invoke;
    bool want_shutdown;
    bool busy;            /* registered or got an event, and has not asked for the next yet */
    bool exited;          /* its process is gone (external only) */
    const char *state;    /* AWS's word for it: Started, Registered, Ready, InitError, ExitError */
    char error_type[128]; /* Lambda-Extension-Function-Error-Type of init/error or exit/error */
    h2o_req_t *next_req;  /* parked GET event/next */
    char *queued;         /* an event waiting for its next call (owned) */
    size_t queued_len;
    struct tele *tele; /* its Telemetry API subscription, or NULL (owned) */
};

struct ext_set {
    struct ext e[EXT_MAX];
    int n;        /* entries used */
    int external; /* the first `external` entries are external */
};

/* What register answers with (borrowed strings). */
struct ext_fn_info {
    const char *name;
    const char *version;
    const char *handler;
    const char *account;
};

/* Adds external extension `name` (its file name). Returns 0, or -ENOSPC
 * past EXT_MAX. Call before any registration. */
int ext_add_external(struct ext_set *x, const char *name);

/* Parses a register body {"events": [...]} of len bytes for an external (or
 * internal) extension. Returns NULL with the subscriptions, or the AWS
 * errorType ("InvalidRequestFormat": 400, the others 403) with a message. */
const char *ext_parse_register(const char *body, size_t len, bool external, bool *invoke,
                               bool *shutdown, char *msg, size_t cap);

/* Handles a request whose path (query excluded, plen bytes) starts with
 * /2020-01-01/extension/. open: registration is still open (the instance is
 * initialising). Answers or parks the request; returns what happened, with
 * the extension concerned in *which (NULL for EXT_NONE). */
enum ext_what ext_handle(struct ext_set *x, h2o_req_t *req, size_t plen, bool open,
                         const struct ext_fn_info *fi, struct ext **which);

/* The registered extension named by the request's Lambda-Extension-Identifier,
 * or NULL after answering the request with AWS's 403. */
struct ext *ext_lookup(struct ext_set *x, h2o_req_t *req);

/* True when every external extension has registered. */
bool ext_all_registered(const struct ext_set *x);

/* True when every external extension has registered and no registered
 * extension is busy: init or the invocation is complete on their side. */
bool ext_all_waiting(const struct ext_set *x);

/* Number of registered extensions that want SHUTDOWN and are alive. */
int ext_shutdown_listeners(const struct ext_set *x);

/* Delivers an event (JSON, copied) to every registered extension that wants
 * it (INVOKE when shutdown is false, else SHUTDOWN): now to a parked
 * request, else at its next call. Marks them busy. Returns how many. */
int ext_broadcast(struct ext_set *x, bool shutdown, const char *json, size_t len);

/* Formats AWS's log line for e: "EXTENSION\tName: n\tState: s\tEvents: [INVOKE,SHUTDOWN]".
 * Returns its length (truncated to cap - 1). */
size_t ext_log_line(const struct ext *e, char *buf, size_t cap);

/* Answers parked requests (the instance is going), frees queued events and
 * Telemetry subscriptions. */
void ext_release(struct ext_set *x);

#endif
