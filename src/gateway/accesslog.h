/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_GATEWAY_ACCESSLOG_H
#define LAMBDAD_GATEWAY_ACCESSLOG_H

/*
 * Access logs of API Gateway stages: a stage whose accessLogSettings name a
 * CloudWatch Logs group (destinationArn) and a format gets one line per
 * request, the format's $context variables filled in, written to that
 * group's stream "{apiId}/{stage}" once the response has been sent.
 */

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "http/server.h"

struct logs;

/* What the variables of one request resolve to (NULL: unknown, "-"). */
struct gw_access_vars {
    const char *request_id;
    const char *source_ip;
    const char *user_agent;
    const char *http_method;
    const char *protocol;
    const char *path;
    const char *route_key;
    const char *resource_path;
    const char *stage;
    const char *api_id;
    const char *domain;
    int64_t request_ms; /* epoch ms the request arrived */
    int status;
    size_t response_length;
    int64_t integration_latency_ms; /* < 0: none */
    int64_t response_latency_ms;
};

/* Writes fmt with every $context.name replaced (a name AWS has that is
 * unknown here, or an unknown value, becomes "-") into out (NUL-terminated,
 * truncated to cap). Returns the length written. */
size_t gw_access_render(const char *fmt, const struct gw_access_vars *v, char *out, size_t cap);

/* The log group of a destinationArn ("arn:aws:logs:REGION:ACCOUNT:log-group:NAME",
 * a trailing ":*" allowed) into out; returns false if it is not one. */
bool gw_access_group(const char *arn, char *out, size_t cap);

/* Starts the access log of req if stage (an HTTP or REST API stage object)
 * has accessLogSettings with a destination and a format: the line is
 * written once the response is sent. The strings are copied. */
void gw_access_begin(struct logs *lg, h2o_req_t *req, const cJSON *stage, const char *api_id,
                     const char *stage_name, const char *request_id, const char *route_key,
                     const char *resource_path, const char *domain);

#endif
