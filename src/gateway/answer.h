/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_GATEWAY_ANSWER_H
#define LAMBDAD_GATEWAY_ANSWER_H

/*
 * The answers the data plane gives itself (rather than an integration's):
 * the request id headers of every answer and the gateway's own error
 * bodies, in the flavour of the endpoint that was called: an HTTP API, a
 * REST API or a function URL. Loop thread.
 */

#include <stdbool.h>
#include <stddef.h>

#include "http/server.h"

/* What differs between HTTP APIs, REST APIs and function URLs in the
 * answers the gateway itself gives. */
struct gw_flavor {
    const char *rid_header; /* the response header of the request id */
    int missing_status;     /* no stage, route or method */
    const char *missing;
    const char *internal;    /* 500 and 502 */
    const char *timed_out;   /* 504 */
    const char *denied;      /* the 403 body when an authorizer denies */
    const char *message_key; /* of the gateway's own error bodies: {"message": ...} */
};

extern const struct gw_flavor gw_http_api, gw_rest_api, gw_function_url;

/* Writes a new apigw-requestid (16 base64 characters) into out. */
void gw_answer_request_id(char out[24]);

/* Writes an X-Ray trace id "Root=1-{epoch s hex}-{24 hex}"; returns its length. */
size_t gw_answer_trace_id(char out[64]);

/* Adds a response header to req, name (lowercased) and value copied into
 * the request's pool. */
void gw_answer_header(h2o_req_t *req, const char *name, size_t nlen, const char *value,
                      size_t vlen);

/* Adds the request id headers of every answer: apigw-requestid for HTTP
 * APIs; x-amzn-RequestId, x-amz-apigw-id and X-Amzn-Trace-Id for REST APIs. */
void gw_answer_ids(h2o_req_t *req, const struct gw_flavor *fl, const char *rid);

/* Answers req with status and the JSON body (borrowed), plus the id headers. */
void gw_answer_body(h2o_req_t *req, const struct gw_flavor *fl, const char *rid, int status,
                    const char *body);

/* Answers req with status and {"message": msg} (the flavour's key). */
void gw_answer_message(h2o_req_t *req, const struct gw_flavor *fl, const char *rid, int status,
                       const char *msg);

/* Answers a request for an API that does not exist (or, by path, one that
 * is not a REST API): 404 by host, 403 by the /restapis/ path. */
void gw_answer_no_api(h2o_req_t *req, bool by_host, const char *rid);

#endif
