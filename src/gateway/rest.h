/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_GATEWAY_REST_H
#define LAMBDAD_GATEWAY_REST_H

/*
 * The apigateway (v1) control plane for REST APIs (REST-JSON, paths
 * /restapis/...): REST APIs, resources, methods, their AWS_PROXY and
 * HTTP_PROXY integrations, deployments and stages. A REST API is an API
 * document like an HTTP API's (model.h) whose top member is "restapi".
 */

#include <stdbool.h>

#include "http/server.h"

struct gateway;

/* Handles req if it is an apigateway (v1) request; returns true if it did. */
bool gw_rest_handle(struct gateway *gw, h2o_req_t *req);

#endif
