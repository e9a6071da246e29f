/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_AWS_AWSERR_H
#define LAMBDAD_AWS_AWSERR_H

/*
 * AWS REST-JSON responses: success bodies and error shapes exactly as
 * botocore parses them (aws-wire.md section 3).
 */

#include <cjson/cJSON.h>

#include "http/server.h"

/* Sends the error of code (an ERR_* or -errno) with a printf-style message:
 * status from err.def, X-Amzn-ErrorType, {"Type":"User","message":...}. */
void aws_send_error(h2o_req_t *req, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like aws_send_error with the body {"message": ...} alone, as services
 * whose exceptions have only a message member send it (apigatewayv2). */
void aws_send_error_message(h2o_req_t *req, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sends 429 TooManyRequestsException with Reason and Retry-After. */
void aws_send_throttle(h2o_req_t *req, const char *reason, const char *message);

/* Sends obj (borrowed) as the JSON body with status and a request id. */
void aws_send_json(h2o_req_t *req, int status, const cJSON *obj);

/* Like aws_send_json, and takes obj (frees it). */
void aws_send_json_take(h2o_req_t *req, int status, cJSON *obj);

/* Sends an empty body with status (204 for deletes) and a request id. */
void aws_send_empty(h2o_req_t *req, int status);

/* Adds an x-amzn-RequestId header with the given or a fresh id. */
void aws_request_id_header(h2o_req_t *req, const char *id);

/* Sends an error of the JSON 1.0/1.1 protocols (CloudWatch Logs, later
 * DynamoDB, EventBridge): status, x-amzn-RequestId and the body
 * {"__type":type,"message":...} with a printf-style message. type is the
 * bare exception name ("ResourceNotFoundException"). Loop thread. */
void aws_send_json_error(h2o_req_t *req, int status, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
