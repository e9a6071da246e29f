/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_GATEWAY_KEYS_H
#define LAMBDAD_GATEWAY_KEYS_H

/*
 * REST API keys and usage plans (apigateway: /apikeys, /usageplans,
 * /usageplans/{id}/keys, /usageplans/{id}/usage), account-wide, kept as one
 * document (stored like an API, under the id "#account") and applied to
 * methods with apiKeyRequired: the x-api-key header must name an enabled key
 * of a usage plan that covers the API's stage; the plan's throttle (a token
 * bucket per key) and quota (requests per DAY, WEEK or MONTH per key) apply.
 * Loop thread.
 */

#include <stdbool.h>

#include "http/server.h"

struct gateway;

#define GW_ACCOUNT_DOC_ID "#account" /* the gw_apis row of the keys document (gw_stored_take) */

/* Handles the control-plane requests above; returns true if it did. */
bool gw_keys_handle(struct gateway *gw, h2o_req_t *req);

/* Whether req (a call of a method with apiKeyRequired on stage of API
 * api_id) may run: true, or false with the status and message API Gateway
 * answers (403 Forbidden, 429 Too Many Requests or Limit Exceeded). */
bool gw_keys_admit(struct gateway *gw, h2o_req_t *req, const char *api_id, const char *stage,
                   int *status, const char **message);

/* Frees the document and the counters. */
void gw_keys_fini(struct gateway *gw);

#endif
