/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_LAMBDA_LAYER_API_H
#define LAMBDAD_LAMBDA_LAYER_API_H

/* The layer operations. Internal to src/lambda/. */

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "aws/arn.h"
#include "catalog/catalog.h"
#include "catalog/function.h"
#include "http/server.h"
#include "lambda/lambda.h"

struct job;

bool lambda_route_layers(struct lambda_api *api, h2o_req_t *req, const struct http_path *p);

#endif
