/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_LAMBDA_VERSIONS_H
#define LAMBDAD_LAMBDA_VERSIONS_H

/* Versions and aliases. Internal to src/lambda/. */

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "aws/arn.h"
#include "catalog/catalog.h"
#include "catalog/function.h"
#include "http/server.h"
#include "lambda/lambda.h"

struct job;

void lambda_publish_version(struct lambda_api *api, h2o_req_t *req, struct function *latest);
void lambda_list_versions(struct lambda_api *api, h2o_req_t *req, struct function *latest);
void lambda_aliases_op(struct lambda_api *api, h2o_req_t *req, struct function *latest);
void lambda_alias_op(struct lambda_api *api, h2o_req_t *req, struct function *latest,
                     const char *name);
void lambda_delete_version(struct lambda_api *api, h2o_req_t *req, struct function *ver);

#endif
