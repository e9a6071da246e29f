/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_GATEWAY_MODEL_H
#define LAMBDAD_GATEWAY_MODEL_H

/*
 * API Gateway's in-memory model and its persistence. Each API is one JSON
 * document, stored whole (a store document, namespace "apigw"):
 *   {"api": {...}, "routes": [...], "integrations": [...], "stages": [...],
 *    "deployments": [{"deployment": {...}, "routes": [...], "integrations": [...]}]}
 * whose objects are exactly what the apigatewayv2 API returns. A write
 * copies the document, changes the copy, stores it on a worker and swaps it
 * in once committed, so readers only ever see committed state and a 2xx means
 * the change is durable. Writes to one API run one at a time, in arrival
 * order: a write that arrives while another is being stored waits for it.
 * Loop thread only.
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/arn.h"
#include "gateway/route.h"
#include "http/server.h"

struct store;
struct worker_pool;
struct timer_heap;
struct invoker;
struct catalog;
struct logs;
struct gw_forward;
struct gw_jwks;
struct gw_keys;
struct gw_stored;
struct http_client;

/* A deployment's routes, parsed for selection. */
struct gw_deploy_rt {
    const cJSON *dep; /* the {"deployment","routes","integrations"} wrapper, in doc */
    size_t nroutes;
    struct gw_route_key *keys;        /* malloc'd, nroutes */
    const struct gw_route_key **ptrs; /* malloc'd, nroutes (for gw_route_select) */
    const cJSON **routes;             /* malloc'd, nroutes: the route (REST: method) objects */
    const cJSON **resources;          /* REST: malloc'd, nroutes: each method's resource */
};

/* A throttling token bucket of one stage and route (runtime only). */
struct gw_bucket {
    char *key; /* "stage route-key", malloc'd */
    double tokens;
    int64_t last_ms; /* monotonic, when tokens were last refilled */
};

/* A cached Lambda authorizer decision (runtime only). */
struct gw_auth_entry {
    char *key;          /* authorizer id and identity values, malloc'd */
    int64_t expires_ms; /* monotonic */
    bool allowed;
    cJSON *context;  /* owned, or NULL */
    char *principal; /* owned, or NULL */
};

struct gw_api {
    char id[16];
    cJSON *doc; /* committed document; NULL until the create committed */
    struct gw_deploy_rt *deps;
    size_t ndeps;
    struct gw_bucket *buckets; /* reset whenever the document changes */
    size_t nbuckets;
    struct gw_auth_entry *auth_cache; /* reset whenever the document changes */
    size_t nauth_cache;
    bool writing;        /* a store write is in progress */
    h2o_req_t **waiting; /* write requests queued behind it, oldest first */
    size_t nwaiting;
};

struct gateway {
    struct store *st;
    struct worker_pool *wp;
    struct timer_heap *timers;
    struct invoker *invoke;
    const struct catalog *cat; /* function URL configurations */
    struct logs *logs;         /* for stages' access logs */
    const char *region;
    const char *account;
    uint16_t port;        /* of the edge listener, for apiEndpoint */
    struct gw_api **apis; /* sorted by id */
    size_t napis;
    size_t cap;
    struct http_client *http;    /* outgoing requests (gw_http), made on first use */
    struct gw_forward *forwards; /* HTTP_PROXY forwards in flight (forward.c) */
    struct gw_jwks *jwks;        /* JWT issuers' key sets (jwks.c) */
    struct gw_keys *keys;        /* API keys and usage plans (keys.c) */
    struct gw_stored *stored;    /* loaded documents that are not APIs (gw_stored_take) */
    int account_rate;            /* account-level requests per second (0: none) */
    int account_burst;           /* and burst */
    double account_tokens;       /* the account's token bucket */
    int64_t account_last_ms;     /* its last refill (0: never, full) */
};

/* Loads every API from the store (start-up). Stored documents whose id
 * starts with '#' are not APIs but other modules' (keys.c's "#account"):
 * they are kept as text for gw_stored_take. Returns 0 or the store's error. */
int gw_load(struct gateway *gw);

/* Frees the APIs, the documents nobody took and the HTTP client context;
 * after gw_proxy_fini (which cancels the requests that use it). */
void gw_fini(struct gateway *gw);

/* The stored document id (a '#' id) as loaded: returns new (free with free)
 * and forgets it, or NULL when there was none or it was taken already. */
char *gw_stored_take(struct gateway *gw, const char *id);

/* The context of the gateway's outgoing requests (HTTP_PROXY integrations,
 * JWT issuers), made on first use from req's loop; borrowed. NULL when TLS
 * cannot be set up. */
struct http_client *gw_http(struct gateway *gw, h2o_req_t *req);

/* Takes a token from api's bucket called key (made on first use, reset when
 * the document changes); false when it is over rate (requests per second)
 * and burst (bucket size). NULL limits are unset; with neither set nothing
 * is throttled. */
bool gw_throttle(struct gw_api *api, const char *key, const cJSON *rate, const cJSON *burst);

/* obj[key] as a string, "" when it is absent or not a string (borrowed). */
const char *gw_jstr(const cJSON *obj, const char *key);

/* Takes one token from a token bucket holding at most burst tokens and
 * refilled at rate per second; *last_ms 0 marks a fresh (full) bucket.
 * Returns false, taking nothing, when less than one token is left. */
bool gw_bucket_take(double *tokens, int64_t *last_ms, double rate, double burst);

/* The API with id (committed), or NULL. */
struct gw_api *gw_find(const struct gateway *gw, const char *id);

/* A document written like an API's (gw_busy, gw_commit) but not one of the
 * gateway's APIs: doc (taken, never NULL) stored under id. Free with
 * gw_api_free. */
struct gw_api *gw_detached(const char *id, cJSON *doc);

/* Frees api and what it holds (not for an API in the gateway's list). */
void gw_api_free(struct gw_api *api);

/* Adds a new, not yet committed API with a fresh id. */
struct gw_api *gw_add(struct gateway *gw);

/* Handler of a control-plane write, run when the API has no write in
 * progress; re-run from the queue otherwise. */
typedef void gw_write_fn(struct gateway *gw, h2o_req_t *req);

/* True (and req queued, to be handed to again() later) if api has a write
 * in progress. */
bool gw_busy(struct gw_api *api, h2o_req_t *req);

/* Stores next (taken: the API's new document, or NULL to delete the API) and
 * then answers req with status and resp (taken; NULL for an empty body), or
 * with a 500 if the store failed. Queued writes run afterwards through
 * again(gw, req). */
void gw_commit(struct gateway *gw, struct gw_api *api, h2o_req_t *req, cJSON *next, int status,
               cJSON *resp, gw_write_fn *again);

/* True if api is a REST API (apigateway v1), false for an HTTP API. */
bool gw_is_rest(const struct gw_api *api);

/* The stage of doc called name, or NULL. */
cJSON *gw_stage(const cJSON *doc, const char *name);

/* The object of array doc[list] whose member key equals id, or NULL. */
cJSON *gw_item(const cJSON *doc, const char *list, const char *key, const char *id);

/* The runtime view of deployment id of api, or NULL. */
const struct gw_deploy_rt *gw_deployment_rt(const struct gw_api *api, const char *id);

struct fn_ref;

/* Parses a Lambda integration URI (a function ARN, or
 * arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations)
 * into ref. Returns 0 or -EINVAL. */
int gw_lambda_uri(const char *uri, struct fn_ref *ref);

#endif
