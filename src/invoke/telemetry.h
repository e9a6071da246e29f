/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_INVOKE_TELEMETRY_H
#define LAMBDAD_INVOKE_TELEMETRY_H

/*
 * The Telemetry API (2022-07-01; the Logs API 2020-08-15 takes the same
 * subscription): an extension subscribes to platform, function and
 * extension records, which lambdad buffers (maxItems, maxBytes, timeoutMs)
 * and sends to the extension's listener inside the instance: HTTP POSTs of
 * JSON arrays, or NDJSON over TCP. One delivery is in flight per
 * subscription; records that do not fit while it is are dropped and
 * reported by a platform.logsDropped record. Loop thread only.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/server.h"

struct sandbox_proc;
struct timer_heap;
struct tele;

enum tele_type {
    TELE_PLATFORM = 1,
    TELE_FUNCTION = 2,
    TELE_EXTENSION = 4,
};

/* A subscription as requested. */
struct tele_config {
    unsigned types; /* enum tele_type bits */
    bool tcp;       /* NDJSON over TCP, else HTTP POSTs */
    uint16_t port;
    char path[256]; /* HTTP: the URI's path ("" for /) */
    int max_items;
    size_t max_bytes;
    int timeout_ms;
};

/* Parses a subscription body of len bytes. Returns NULL, or AWS's
 * ValidationError message. */
const char *tele_parse(const char *body, size_t len, struct tele_config *out);

/* Where records go: the instance's network and the loop. */
struct tele_env {
    struct sandbox_proc *proc;
    h2o_loop_t *loop;
    struct timer_heap *th;
};

/* Handles PUT /2022-07-01/telemetry (or /2020-08-15/logs) for an extension:
 * validates the body as AWS does, answers the request, and on
 * success replaces *sub (freeing the old one) with the new subscription.
 * Returns true when it subscribed. */
bool tele_subscribe(h2o_req_t *req, const struct tele_env *env, struct tele **sub);

/* The types sub receives (enum tele_type bits). */
unsigned tele_types(const struct tele *sub);

/* Queues one record {"time","type","record"} (record: JSON text, borrowed)
 * if sub takes its kind. */
void tele_push(struct tele *sub, enum tele_type kind, const char *type, const char *record,
               size_t record_len);

/* Closes the connection and frees sub; NULL is a no-op. */
void tele_free(struct tele *sub);

#endif
