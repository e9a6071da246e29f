/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_GATEWAY_FORWARD_H
#define LAMBDAD_GATEWAY_FORWARD_H

/*
 * HTTP_PROXY integrations: the request goes to the integration's URI (its
 * {name} and {name+} filled from the route's path parameters) with its
 * headers, query string and body, changed by the integration's parameter
 * mapping, through the gateway's HTTP client; the upstream's answer is the
 * client's, with the integration's response mapping applied. Loop thread.
 */

#include <cjson/cJSON.h>
#include <stdint.h>

struct gateway;
struct gw_call;
struct gw_match;

/* An HTTP API integration's parameter mapping and what its values refer to
 * (all borrowed). */
struct gw_mapping {
    const cJSON *params; /* requestParameters: "{op}:{target}" -> value, or NULL */
    const struct gw_match *m;
    const cJSON *vars; /* stage variables, or NULL */
    const char *rid;
};

/* Sends c's request to the integration at uri using method (ANY: the
 * request's own) with mapping mp (borrowed for the call); takes c, which
 * answers once the upstream did, with 500 when it fails and 504 after
 * timeout_ms. */
void gw_forward(struct gw_call *c, const char *uri, const char *method, const struct gw_mapping *mp,
                int64_t timeout_ms);

/* Cancels the forwards in flight (their requests get no answer). Shutdown. */
void gw_forward_fini(struct gateway *gw);

#endif
