/* SPDX-License-Identifier: MIT */
/*
 * The gateway's own answers (see answer.h). Each flavour is a constant
 * table; REST APIs add an extended request id and a trace id to every
 * answer, as API Gateway does. Error bodies are API Gateway's:
 * {"message":"Not Found"} and the like.
 */
#include "answer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/util.h"

const struct gw_flavor gw_http_api = {
    .rid_header = "apigw-requestid",
    .missing_status = 404,
    .missing = "Not Found",
    .internal = "Internal Server Error",
    .timed_out = "Service Unavailable",
    .denied = "{\"message\":\"Forbidden\"}",
    .message_key = "message",
};
const struct gw_flavor gw_rest_api = {
    .rid_header = "x-amzn-RequestId",
    .missing_status = 403,
    .missing = "Missing Authentication Token",
    .internal = "Internal server error",
    .timed_out = "Endpoint request timed out",
    .denied = "{\"Message\":\"User is not authorized to access this resource with an explicit "
              "deny\"}",
    .message_key = "message",
};
const struct gw_flavor gw_function_url = {
    .rid_header = "x-amzn-RequestId",
    .missing_status = 403,
    .missing = "Forbidden",
    .internal = "Internal Server Error",
    .timed_out = "Service Unavailable",
    .denied = "{\"Message\":\"Forbidden\"}",
    .message_key = "Message",
};

void gw_answer_request_id(char out[24])
{
    unsigned char raw[GW_REQUEST_ID_BYTES];
    char hex[2 * GW_REQUEST_ID_BYTES + 1];
    rand_hex(hex, GW_REQUEST_ID_BYTES);
    for (size_t i = 0; i < GW_REQUEST_ID_BYTES; i++) {
        char b[3] = {hex[2 * i], hex[2 * i + 1], '\0'};
        raw[i] = (unsigned char)strtoul(b, NULL, 16);
    }
    b64_encode(raw, sizeof(raw), out);
}

size_t gw_answer_trace_id(char out[64])
{
    char hex[25];
    rand_hex(hex, 12);
    return (size_t)snprintf(out, 64, "Root=1-%08llx-%s", (long long)(clock_ms() / 1000), hex);
}

void gw_answer_header(h2o_req_t *req, const char *name, size_t nlen, const char *value, size_t vlen)
{
    h2o_iovec_t n = h2o_strdup(&req->pool, name, nlen);
    for (size_t i = 0; i < n.len; i++)
        if (n.base[i] >= 'A' && n.base[i] <= 'Z')
            n.base[i] = (char)(n.base[i] - 'A' + 'a');
    h2o_iovec_t v = h2o_strdup(&req->pool, value, vlen);
    h2o_add_header_by_str(&req->pool, &req->res.headers, n.base, n.len, 1, NULL, v.base, v.len);
}

void gw_answer_ids(h2o_req_t *req, const struct gw_flavor *fl, const char *rid)
{
    http_header(req, fl->rid_header, rid, strlen(rid));
    if (fl != &gw_rest_api)
        return;
    char ext[24], trace[64];
    gw_answer_request_id(ext);
    http_header(req, "x-amz-apigw-id", ext, strlen(ext));
    http_header(req, "X-Amzn-Trace-Id", trace, gw_answer_trace_id(trace));
}

void gw_answer_body(h2o_req_t *req, const struct gw_flavor *fl, const char *rid, int status,
                    const char *body)
{
    gw_answer_ids(req, fl, rid);
    http_send(req, status, "application/json", body, strlen(body));
}

void gw_answer_message(h2o_req_t *req, const struct gw_flavor *fl, const char *rid, int status,
                       const char *msg)
{
    char body[128];
    int n = snprintf(body, sizeof(body), "{\"%s\":\"%s\"}", fl->message_key, msg);
    gw_answer_ids(req, fl, rid);
    http_send(req, status, "application/json", body, (size_t)n);
}

void gw_answer_no_api(h2o_req_t *req, bool by_host, const char *rid)
{
    if (by_host)
        gw_answer_message(req, &gw_http_api, rid, 404, "Not Found");
    else
        gw_answer_message(req, &gw_rest_api, rid, 403, "Forbidden");
}
