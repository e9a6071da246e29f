/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_LAMBDA_API_H
#define LAMBDAD_LAMBDA_API_H

/*
 * The Lambda control plane over REST-JSON: routing of /2015-03-31/...,
 * /2016-08-19/... and /2014-11-13/... paths (old trailing-slash variants
 * included), the function operations, and the code download URL. Writes go
 * to the store on a worker and complete on the loop; a function with a write
 * in progress answers further writes with ResourceConflictException, as AWS
 * does while an update is in progress.
 */

#include "http/server.h"
#include "invoke/invoke_api.h"
#include "lambda/catalog.h"
#include "lambda/eic.h"
#include "lambda/furl.h"
#include "lambda/layers.h"

struct store;
struct blob_store;
struct worker_pool;
struct sched;

struct lambda_api {
    struct catalog cat;
    struct store *st;
    struct blob_store *bs;
    struct worker_pool *wp;
    struct sched *sched;
    struct invoke_api invoke;
    const char *region;
    const char *account;
    int account_concurrency;
    char **busy; /* names with a write in progress */
    size_t nbusy;
    struct layers layers;  /* published layer versions */
    struct lambda_pc *pcs; /* provisioned concurrency configurations */
    size_t npcs;
    struct lambda_eic *eics; /* event invoke configurations, by function */
    size_t neics;
    struct furl *furls; /* function URL configurations */
    size_t nfurls;
    uint16_t edge_port; /* of the edge listener, for FunctionUrl */
    /* Called (on the loop) after a function was deleted; set by the daemon. */
    void (*on_deleted)(void *arg, const char *name);
    void *on_deleted_arg;
};

struct lambda_pc {
    char name[FN_NAME_MAX + 1];
    char qualifier[FN_QUALIFIER_MAX + 1]; /* a version or an alias */
    int requested;
    char last_modified[32];
};

struct lambda_eic {
    char name[FN_NAME_MAX + 1];
    char qualifier[FN_QUALIFIER_MAX + 1]; /* $LATEST, a version or an alias */
    struct eic eic;
};

/* The event invoke configuration of function name's qualifier qual
 * ($LATEST, a version or an alias), or NULL if none was put. */
const struct eic *lambda_api_eic(const struct lambda_api *api, const char *name, const char *qual);

/* The function URL configuration whose URL id is id, or NULL. */
const struct furl *lambda_api_furl(const struct lambda_api *api, const char *id);

/* Loads every function and event invoke configuration from the store into
 * memory (start-up, loop).
 * Returns 0 or the store's error. */
int lambda_api_load(struct lambda_api *api);

/* Handles an edge request if it is a Lambda API request; returns true if it
 * did (answered now or later). */
bool lambda_api_handle(struct lambda_api *api, h2o_req_t *req);

void lambda_api_fini(struct lambda_api *api);

#endif
