/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_LAMBDA_CONFIGS_H
#define LAMBDAD_LAMBDA_CONFIGS_H

/* Event invoke configurations, provisioned concurrency, function URL configurations. Internal to
 * src/lambda/. */

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "aws/arn.h"
#include "catalog/catalog.h"
#include "catalog/function.h"
#include "http/server.h"
#include "lambda/lambda.h"

struct job;

void lambda_eic_op(struct lambda_api *api, h2o_req_t *req, struct function *fn, const char *qual);
void lambda_eic_list(struct lambda_api *api, h2o_req_t *req, struct function *fn);
void lambda_pc_apply(struct lambda_api *api, const char *name, const char *qual, unsigned n);
void lambda_pc_op(struct lambda_api *api, h2o_req_t *req, const char *seg);
void lambda_furl_key(const char *name, const char *qual, char *buf, size_t cap);
void lambda_furl_op(struct lambda_api *api, h2o_req_t *req, const char *seg, bool list);

#endif
