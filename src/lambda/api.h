/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_LAMBDA_API_H
#define LAMBDAD_LAMBDA_API_H

/*
 * The Lambda control plane over REST-JSON: routing of /2015-03-31/...,
 * /2016-08-19/... and /2014-11-13/... paths (old trailing-slash variants
 * included), the function operations, Invoke, and the code download URL.
 * Writes go to the store on a worker and complete on the loop; a function
 * with a write in progress answers further writes with
 * ResourceConflictException, as AWS does while an update is in progress.
 */

#include "http/server.h"
#include "lambda/lambda.h"

/* Loads every function and event invoke configuration from the store into
 * memory (start-up, loop).
 * Returns 0 or the store's error. */
int lambda_api_load(struct lambda_api *api);

/* Handles an edge request if it is a Lambda API request; returns true if it
 * did (answered now or later). */
bool lambda_api_handle(struct lambda_api *api, h2o_req_t *req);

struct router;

/* Registers the Lambda API's rows (its dated path prefixes) with r. Returns
 * 0 or the router's error. */
int lambda_api_routes(struct lambda_api *api, struct router *r);

void lambda_api_fini(struct lambda_api *api);

#endif
