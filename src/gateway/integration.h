/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_GATEWAY_INTEGRATION_H
#define LAMBDAD_GATEWAY_INTEGRATION_H

/*
 * Running a route's integration once the request is admitted: AWS_PROXY
 * sends the event (payload 1.0 or 2.0, or a REST API's 1.0) to the function
 * as a synchronous invocation and maps its answer (502 when it is
 * malformed, 504 after the integration's timeout); HTTP_PROXY forwards the
 * request (forward.h). Loop thread.
 */

#include <cjson/cJSON.h>
#include <stdint.h>

#include "http/server.h"

struct gateway;
struct gw_flavor;
struct gw_request;

/* What runs a request once its route is known (strings borrowed). */
struct gw_integration {
    const char *type; /* AWS_PROXY or HTTP_PROXY */
    const char *uri;
    const char *method; /* HTTP_PROXY: the upstream method (ANY: the request's) */
    int version;        /* AWS_PROXY payload: 1, 2, or 0 for a REST API's 1.0 */
    int64_t timeout_ms;
    const cJSON *params;      /* HTTP API parameter mapping (requestParameters), or NULL */
    const cJSON *resp_params; /* and its responseParameters, or NULL */
};

/* Runs in for req, which is answered in flavour fl with request id rid and
 * the CORS headers cors (borrowed, or NULL) allows; r (borrowed for the
 * call) describes the request for the event. Answers now or later. */
void gw_integration_run(struct gateway *gw, h2o_req_t *req, const struct gw_flavor *fl,
                        const char *rid, const cJSON *cors, const struct gw_integration *in,
                        struct gw_request *r);

#endif
