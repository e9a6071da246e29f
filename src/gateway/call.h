/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_GATEWAY_CALL_H
#define LAMBDAD_GATEWAY_CALL_H

/*
 * One data-plane request on its way through an integration or an
 * authorizer: who answers it and how (flavour, request id, CORS headers,
 * response mapping), the event built for a function, and the deadline of an
 * invocation. The modules of the data plane (integration.c, forward.c,
 * authorize.c, httpapi.c, restapi.c, funcurl.c) share it; nothing outside
 * src/gateway/ does. Loop thread.
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/timer.h"
#include "gateway/answer.h"
#include "gateway/cors.h"
#include "gateway/event.h"
#include "http/server.h"

struct gateway;

struct gw_call {
    h2o_req_t *req; /* NULL once answered by the timeout */
    const struct gw_flavor *fl;
    struct gateway *gw;
    struct timer timer; /* an invocation's deadline (gw_call_arm) */
    int version;        /* payload format 1 or 2 (0: a REST API's 1.0) */
    char *event;        /* malloc'd, or NULL */
    size_t event_len;
    char request_id[40]; /* apigw-requestid, or a UUID for REST APIs */
    struct gw_cors_answer cors;
    /* a REST API's binary responses */
    cJSON *binary_types; /* binaryMediaTypes (a copy), or NULL */
    char *accept;        /* the request's Accept header, or NULL */
    cJSON *resp_params;  /* an HTTP API integration's responseParameters (a copy), or NULL */
};

/* Returns a new call answering req (borrowed until answered) in flavour fl
 * with request id rid, with the CORS headers cors (borrowed, or NULL)
 * allows. Free with gw_call_free. */
struct gw_call *gw_call_new(struct gateway *gw, h2o_req_t *req, const struct gw_flavor *fl,
                            const char *rid, const cJSON *cors);

/* Frees c (its timer cancelled); req is not answered by this. */
void gw_call_free(struct gw_call *c);

/* Arms c's deadline: after ms, req gets 504 and c->req becomes NULL (the
 * invocation's result is dropped when it arrives). */
void gw_call_arm(struct gw_call *c, int64_t ms);

/* Answers c's request with status and {"message": msg}, plus the CORS and
 * id headers. */
void gw_call_answer(struct gw_call *c, int status, const char *msg);

/* Answers c's request with the integration's response r (borrowed), its
 * responseParameters applied (status, headers), hop-by-hop headers dropped
 * and, when the API has CORS, the integration's CORS headers replaced. */
void gw_call_send(struct gw_call *c, const struct gw_response *r);

/* Completes r (the caller set what the route decides: path, stage, route
 * key, resource, parameters, REST fields) from c's request and builds the
 * event of payload version c->version into c->event. False when it cannot
 * be built. */
bool gw_call_event(struct gw_call *c, struct gw_request *r);

/* The value of request source src for req, in buf (cap bytes); NULL when
 * absent. HTTP APIs write "$request.header.X", REST APIs
 * "method.request.header.X" (and querystring, stageVariables, from vars);
 * other sources (context variables) always exist: *skip is set. */
const char *gw_call_source(h2o_req_t *req, const cJSON *vars, const char *src, char *buf,
                           size_t cap, bool *skip);

/* The bytes of req's header names and values. */
size_t gw_call_headers_bytes(const h2o_req_t *req);

/* The length of req's path without its query. */
size_t gw_call_path_len(const h2o_req_t *req);

#endif
