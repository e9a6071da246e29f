/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_GATEWAY_PROXY_H
#define LAMBDAD_GATEWAY_PROXY_H

/*
 * The front door of API Gateway's data plane: requests whose Host is
 * {apiId}.execute-api[.anything].localhost[:port] go to that API (HTTP or
 * REST), those on /restapis/{id}/{stage}/_user_request_/ to that REST API,
 * and those whose Host is {url-id}.lambda-url[...].localhost to that
 * function URL.
 */

#include <stdbool.h>

#include "http/server.h"

struct gateway;

/* Handles req if its Host names an execute-api endpoint; returns true if it
 * did (answered now or when the integration finishes). */
bool gw_proxy_handle(struct gateway *gw, h2o_req_t *req);

/* Cancels the outgoing requests in flight (HTTP_PROXY forwards, JWT
 * issuers' key sets; their requests get no answer). Shutdown, before
 * gw_fini and before the loop goes away. */
void gw_proxy_fini(struct gateway *gw);

#endif
