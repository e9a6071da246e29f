/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_GATEWAY_AUTHORIZE_H
#define LAMBDAD_GATEWAY_AUTHORIZE_H

/*
 * The authorizer flows of the data plane: a Lambda authorizer (HTTP API
 * REQUEST, payload 1.0 or 2.0; REST API REQUEST or TOKEN) is invoked with
 * the request's identity and its verdict cached for its TTL; a JWT
 * authorizer checks the token against its issuer's keys (jwks.h). Either
 * way an allowed request goes on with its continuation (struct gw_resume):
 * the next step of the same request, which finds its API and route again,
 * as they are then, and runs the integration with the decision. Denied
 * requests are answered here. Loop thread.
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "http/server.h"

struct gateway;
struct gw_api;
struct gw_flavor;
struct gw_request;

/* An authorizer's decision, carried into the integration's event. */
struct gw_auth {
    cJSON *context;  /* a Lambda authorizer's context, or NULL */
    char *principal; /* its principalId, or NULL */
    cJSON *claims;   /* a JWT authorizer's: the token's claims, or NULL */
    cJSON *scopes;   /* and its scopes (a list), or NULL */
};

struct gw_resume;

/* The next step of an allowed request: req with its decision auth
 * (borrowed for the call). at is borrowed for the call. */
typedef void gw_resume_fn(struct gateway *gw, h2o_req_t *req, const struct gw_resume *at,
                          const struct gw_auth *auth);

/* Where a request goes on once allowed: copied by value, so the caller's
 * may go away; stage and path are slices of req->path (which lives as long
 * as req does). */
struct gw_resume {
    gw_resume_fn *fn;
    char rid[40]; /* the request id */
    char api_id[16];
    char domain[256];
    bool by_host;      /* by the execute-api host, not the /restapis/ path */
    const char *stage; /* REST APIs: the stage and the path after it */
    size_t slen;
    const char *path;
    size_t plen;
};

/* A Lambda authorizer's invocation, whichever kind of API asks for it. */
struct gw_auth_req {
    const struct gw_flavor *fl;
    const char *id;             /* the authorizer's id */
    const char *uri;            /* its Lambda */
    cJSON *values;              /* identity values (taken) */
    int ttl_s;                  /* how long decisions are cached (0: never) */
    bool simple;                /* enableSimpleResponses */
    int version;                /* event: 1 or 2 (HTTP APIs), 0 (REST REQUEST) */
    bool token;                 /* a REST TOKEN authorizer */
    const char *arn;            /* routeArn / methodArn */
    struct gw_request *r;       /* the request as the route sees it (borrowed for the call) */
    const cJSON *cors;          /* for the answers (borrowed for the call), or NULL */
    const struct gw_resume *at; /* the continuation (copied) */
};

/* Runs the Lambda authorizer of ar (or uses its cached decision) for req
 * on api; an allowed request goes on with ar->at, now or later, a denied
 * or failed one is answered. Takes ar->values. */
void gw_authorize_lambda(struct gateway *gw, h2o_req_t *req, struct gw_api *api,
                         struct gw_auth_req *ar);

/* Collects the identity values of sources (a list of strings; vars: the
 * stage variables) into *out (returns new, free with cJSON_Delete); false
 * after answering 401 when one is missing. */
bool gw_authorize_identity(h2o_req_t *req, const struct gw_flavor *fl, const char *rid,
                           const cJSON *sources, const cJSON *vars, cJSON **out);

/* The ARN of a request (returns new, free with free):
 * arn:aws:execute-api:{region}:{account}:{api}/{stage}/{VERB}{path}. */
char *gw_authorize_arn(const struct gateway *gw, const h2o_req_t *req, const char *api_id,
                       const char *stage, const char *path, size_t plen);

/* A route with authorizationType JWT, its authorizer a (borrowed for the
 * call, or NULL) and its authorizationScopes scopes (or NULL): the token
 * from the identity source (a header) must be a JWT signed by a key of the
 * issuer, for one of the audiences, unexpired, with one of the scopes. No
 * token or a bad one is 401, a missing scope 403; else req goes on with at
 * (copied) and the token's claims. */
void gw_authorize_jwt(struct gateway *gw, h2o_req_t *req, const cJSON *a, const cJSON *scopes,
                      const cJSON *cors, const struct gw_resume *at);

#endif
