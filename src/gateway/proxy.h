/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_GATEWAY_PROXY_H
#define LAMBDAD_GATEWAY_PROXY_H

/*
 * The data plane of HTTP APIs: requests whose Host is
 * {apiId}.execute-api[.anything].localhost[:port] go to that API's stage
 * ($default, or the stage named by the first path segment), its selected
 * route and the route's integration. CORS preflights are answered from the
 * API's corsConfiguration.
 */

#include <stdbool.h>

#include "http/server.h"

struct gateway;

/* Handles req if its Host names an execute-api endpoint; returns true if it
 * did (answered now or when the integration finishes). */
bool gw_proxy_handle(struct gateway *gw, h2o_req_t *req);

/* Sets up the HTTP client context the gateway's outgoing requests use
 * (HTTP_PROXY integrations, JWT issuers) on first use; req gives the loop.
 * Returns false when TLS cannot be set up. */
bool gw_fwd_setup(struct gateway *gw, h2o_req_t *req);

/* Cancels forwards in flight (their requests get no answer) and frees what
 * forwarding set up. Shutdown, before the loop goes away. */
void gw_proxy_fini(struct gateway *gw);

#endif
