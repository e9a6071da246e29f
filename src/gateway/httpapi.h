/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_GATEWAY_HTTPAPI_H
#define LAMBDAD_GATEWAY_HTTPAPI_H

/*
 * The data plane of HTTP APIs (apigatewayv2), once the front door found
 * the API: CORS preflights, the stage ($default, or the one named by the
 * first path segment), the route, its throttle, its access log, its
 * authorizer (CUSTOM or JWT) and its integration. Loop thread.
 */

#include "http/server.h"

struct gateway;
struct gw_api;

/* Runs req on HTTP API api; rid is its request id, domain its Host without
 * the port (both borrowed for the call). Answers now or later. */
void gw_httpapi_invoke(struct gateway *gw, h2o_req_t *req, struct gw_api *api, const char *rid,
                       const char *domain);

#endif
