/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_LAMBDA_LAMBDA_H
#define LAMBDAD_LAMBDA_LAMBDA_H

/*
 * The state of the Lambda control plane, shared by its files (a header
 * without a module of its own, so that every operation can see the state
 * without depending on the routing in api.c).
 */

#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"

/* The store's names for the Lambda control plane (docs/store.md): documents
 * of functions ("name"), versions ("name:3"), version counters ("name!"),
 * aliases ("name@alias"), provisioned concurrency ("name%q"), function URLs
 * ("name^q") and layers ("#L/..."); documents of event invoke
 * configurations, keyed "fn:qualifier"; and the async event queue of
 * src/sources/async.c, whose messages are grouped by function name. */
#define LAMBDA_DOC_NS      "lambda"
#define LAMBDA_EIC_NS      "lambda.eic"
#define LAMBDA_EIC_KEY_FMT "%s:%s"
#define LAMBDA_ASYNC_QUEUE "lambda.async"

struct store;
struct blob_store;
struct worker_pool;
struct sched;
struct catalog;
struct invoker;

struct lambda_api {
    struct catalog *cat; /* the function model (borrowed) */
    struct store *st;
    struct blob_store *bs;
    struct worker_pool *wp;
    struct sched *sched;
    struct invoker *iv; /* invoke_submit()'s state (borrowed) */
    const char *region;
    const char *account;
    int account_concurrency;
    char **busy; /* names with a write in progress */
    size_t nbusy;
    struct lambda_pc *pcs; /* provisioned concurrency configurations */
    size_t npcs;
    uint16_t edge_port; /* of the edge listener, for FunctionUrl */
};

struct lambda_pc {
    char name[FN_NAME_MAX + 1];
    char qualifier[FN_QUALIFIER_MAX + 1]; /* a version or an alias */
    int requested;
    char last_modified[32];
};

#endif
