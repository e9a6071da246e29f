/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_GATEWAY_CORS_H
#define LAMBDAD_GATEWAY_CORS_H

/*
 * CORS as HTTP APIs and function URLs apply it, from a corsConfiguration in
 * the apigatewayv2 shape (allowOrigins, allowMethods, allowHeaders,
 * exposeHeaders, maxAge, allowCredentials): preflights are answered by the
 * gateway, and the answers to other requests carry the allowed origin.
 * Loop thread.
 */

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "http/server.h"

/* The CORS headers a request's eventual answer gets. */
struct gw_cors_answer {
    bool on;              /* the API has a CORS configuration: the integration's are dropped */
    char *allow_origin;   /* Access-Control-Allow-Origin, malloc'd, or NULL: none */
    char *expose_headers; /* malloc'd, or NULL */
    bool allow_credentials;
};

/* The corsConfiguration of an HTTP API's document (borrowed), or NULL. */
const cJSON *gw_cors_of(const cJSON *doc);

/* Answers req (204) if it is a preflight (OPTIONS with Origin and
 * Access-Control-Request-Method) and cors is not NULL; returns true if it
 * did. rid is the HTTP API request id the answer carries. */
bool gw_cors_preflight(h2o_req_t *req, const cJSON *cors, const char *rid);

/* Fills a (zeroed) with what cors (borrowed, or NULL) allows req's Origin. */
void gw_cors_prepare(struct gw_cors_answer *a, const cJSON *cors, h2o_req_t *req);

/* Adds a's headers to req's answer. */
void gw_cors_headers(const struct gw_cors_answer *a, h2o_req_t *req);

/* Frees what a holds. */
void gw_cors_fini(struct gw_cors_answer *a);

#endif
