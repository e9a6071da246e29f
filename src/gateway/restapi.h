/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_GATEWAY_RESTAPI_H
#define LAMBDAD_GATEWAY_RESTAPI_H

/*
 * The data plane of REST APIs (apigateway v1), once the front door found
 * the API: the stage named by the first path segment, the resource and
 * method, the method's throttle, its access log, its authorizer (TOKEN or
 * REQUEST), its API key and usage plan, and its integration (AWS_PROXY,
 * HTTP_PROXY or MOCK). Loop thread.
 */

#include <stdbool.h>
#include <stddef.h>

#include "http/server.h"

struct gateway;
struct gw_api;

/* Whether req's path is /restapis/{id}/{stage}/_user_request_/{path}:
 * writes the id, and the stage and path slices of req->path. */
bool gw_restapi_user_path(const h2o_req_t *req, char id[16], const char **stage, size_t *slen,
                          const char **path, size_t *plen);

/* Runs req on REST API api for stage (slen bytes) and the path after it
 * (plen bytes; slices of req->path); rid is its request id, domain its Host
 * without the port, by_host false for the /restapis/ form (all borrowed for
 * the call). Answers now or later. */
void gw_restapi_invoke(struct gateway *gw, h2o_req_t *req, struct gw_api *api, const char *rid,
                       const char *domain, bool by_host, const char *stage, size_t slen,
                       const char *path, size_t plen);

#endif
