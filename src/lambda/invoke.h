/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_LAMBDA_INVOKE_H
#define LAMBDAD_LAMBDA_INVOKE_H

/* The Invoke API. Internal to src/lambda/. */

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "aws/arn.h"
#include "catalog/catalog.h"
#include "catalog/function.h"
#include "http/server.h"
#include "lambda/lambda.h"

struct job;

/* Resolves ref (+ the Qualifier query parameter: $LATEST, a version or an
 * alias) to a function snapshot. route: an alias that splits traffic picks
 * a version by weight (Invoke); else its primary version is used. Returns 0
 * and the borrowed snapshot and the qualifier as given, or sends the AWS
 * error and returns the code. */
int lambda_resolve_ref(struct lambda_api *api, h2o_req_t *req, const struct fn_ref *ref, bool route,
                       struct function **out, char qualifier[FN_QUALIFIER_MAX + 1]);
/* Invoke for the function reference ref (parsed from the path); answers now
 * or when the invocation finishes. */
void lambda_invoke(struct lambda_api *api, h2o_req_t *req, const struct fn_ref *ref);
/* The legacy InvokeAsync (POST /2014-11-13/functions/{F}/invoke-async). */
void lambda_invoke_async(struct lambda_api *api, h2o_req_t *req, const struct fn_ref *ref);

#endif
