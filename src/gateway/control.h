/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_GATEWAY_CONTROL_H
#define LAMBDAD_GATEWAY_CONTROL_H

/*
 * The apigatewayv2 control plane for HTTP APIs (REST-JSON, lowerCamel
 * members, paths /v2/apis/... and /v2/tags/...): APIs (with quick create),
 * routes, integrations, stages (autoDeploy, stage variables), deployments,
 * CORS configuration and tags.
 */

#include <stdbool.h>

#include "http/server.h"

struct gateway;

/* Handles req if it is an apigatewayv2 request; returns true if it did. */
bool gw_control_handle(struct gateway *gw, h2o_req_t *req);

struct router;

/* Registers API Gateway's rows with r: user APIs and function URLs by Host
 * (served while stopping), their REST path form, and the apigateway and
 * apigatewayv2 control planes by path. Returns 0 or the router's error. */
int gw_routes(struct gateway *gw, struct router *r);

#endif
