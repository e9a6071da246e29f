/* SPDX-License-Identifier: MIT */
/*
 * AWS-shaped responses. Every response carries x-amzn-RequestId. Errors put
 * the exception name in X-Amzn-ErrorType (botocore reads it first) and the
 * message under the key AWS models for that exception ("message" or
 * "Message"), with "Type":"User" for client errors and "Service" for 5xx.
 */
#include "awserr.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/util.h"

void aws_request_id_header(h2o_req_t *req, const char *id)
{
    char buf[37];
    if (id == NULL) {
        rand_uuid(buf);
        id = buf;
    }
    http_header(req, "x-amzn-RequestId", id, strlen(id));
}

static void send_body(h2o_req_t *req, int status, const cJSON *body)
{
    char *text = cJSON_PrintUnformatted(body);
    if (text == NULL)
        abort();
    http_send(req, status, "application/json", text, strlen(text));
    free(text);
}

/* Sends the error of code; typed adds "Type" and uses the table's message key
 * (Lambda), else the body is {"message": ...} alone (API Gateway). */
__attribute__((format(printf, 4, 0))) static void send_error_v(h2o_req_t *req, int code, bool typed,
                                                               const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    int status = err_http_status(code);
    const char *type = err_aws_type(code);
    cJSON *body = cJSON_CreateObject();
    if (typed)
        cJSON_AddStringToObject(body, "Type", status >= 500 ? "Service" : "User");
    cJSON_AddStringToObject(body, typed ? err_msg_key(code) : "message", msg);
    aws_request_id_header(req, NULL);
    http_header(req, "X-Amzn-ErrorType", type, strlen(type));
    send_body(req, status, body);
    cJSON_Delete(body);
}

void aws_send_error(h2o_req_t *req, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    send_error_v(req, code, true, fmt, ap);
    va_end(ap);
}

void aws_send_error_message(h2o_req_t *req, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    send_error_v(req, code, false, fmt, ap);
    va_end(ap);
}

void aws_send_throttle(h2o_req_t *req, const char *reason, const char *message)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "Type", "User");
    cJSON_AddStringToObject(body, "message", message);
    cJSON_AddStringToObject(body, "Reason", reason);
    aws_request_id_header(req, NULL);
    http_header(req, "X-Amzn-ErrorType", "TooManyRequestsException",
                strlen("TooManyRequestsException"));
    http_header(req, "Retry-After", "1", 1);
    send_body(req, 429, body);
    cJSON_Delete(body);
}

void aws_send_json(h2o_req_t *req, int status, const cJSON *obj)
{
    aws_request_id_header(req, NULL);
    send_body(req, status, obj);
}

void aws_send_json_take(h2o_req_t *req, int status, cJSON *obj)
{
    aws_send_json(req, status, obj);
    cJSON_Delete(obj);
}

void aws_send_empty(h2o_req_t *req, int status)
{
    aws_request_id_header(req, NULL);
    http_send(req, status, "application/json", "", 0);
}

void aws_send_json_error(h2o_req_t *req, int status, const char *type, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "__type", type);
    cJSON_AddStringToObject(body, "message", msg);
    char *text = cJSON_PrintUnformatted(body);
    if (text == NULL)
        abort();
    aws_request_id_header(req, NULL);
    http_send(req, status, "application/x-amz-json-1.1", text, strlen(text));
    free(text);
    cJSON_Delete(body);
}
