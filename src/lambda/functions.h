/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_LAMBDA_FUNCTIONS_H
#define LAMBDAD_LAMBDA_FUNCTIONS_H

/* Function operations, the code download URL, account settings, tags, reserved concurrency.
 * Internal to src/lambda/. */

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "aws/arn.h"
#include "catalog/catalog.h"
#include "catalog/function.h"
#include "http/server.h"
#include "lambda/lambda.h"

struct job;

void lambda_create_function(struct lambda_api *api, h2o_req_t *req);
void lambda_update_code(struct lambda_api *api, h2o_req_t *req, struct function *fn);
void lambda_update_config(struct lambda_api *api, h2o_req_t *req, struct function *fn);
void lambda_delete_function(struct lambda_api *api, h2o_req_t *req, struct function *fn,
                            const char *qual);
void lambda_get_function(struct lambda_api *api, h2o_req_t *req, struct function *fn, bool full);
void lambda_list_functions(struct lambda_api *api, h2o_req_t *req);
void lambda_account_settings(struct lambda_api *api, h2o_req_t *req);
void lambda_serve_code(struct lambda_api *api, h2o_req_t *req, const char *file);
void lambda_tags_op(struct lambda_api *api, h2o_req_t *req, struct function *fn);
void lambda_concurrency_op(struct lambda_api *api, h2o_req_t *req, struct function *fn);

#endif
