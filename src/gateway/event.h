/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_GATEWAY_EVENT_H
#define LAMBDAD_GATEWAY_EVENT_H

/*
 * The Lambda proxy integration's wire formats (aws-wire.md 6.1 and 6.2): the
 * event built from an HTTP request (payload format 1.0 or 2.0) and the
 * mapping of the function's response back to an HTTP response. Pure
 * functions over plain structs (no H2O), any thread.
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/route.h"

struct gw_header {
    const char *name; /* lowercase for requests (as H2O hands them over) */
    size_t name_len;
    const char *value;
    size_t value_len;
};

/* Everything the event says about one request. Slices are not NUL-terminated
 * unless noted. */
struct gw_request {
    const char *method;
    size_t method_len;
    const char *path; /* raw, from the first '/', without the query (stage prefix included) */
    size_t path_len;
    const char *query; /* raw, after '?' ("" without one) */
    size_t query_len;
    const struct gw_header *headers;
    size_t nheaders;
    const char *body; /* NULL without a body */
    size_t body_len;
    const char *protocol;     /* "HTTP/1.1" (NUL-terminated, as are the rest) */
    const char *source_ip;    /* "127.0.0.1" */
    const char *domain;       /* the Host header without its port */
    const char *api_id;       /* "a1b2c3d4e5" */
    const char *account;      /* "000000000000" */
    const char *stage;        /* "$default", "prod" */
    const char *request_id;   /* the apigw-requestid */
    const char *route_key;    /* "GET /items/{id}" or "$default" */
    const char *resource;     /* 1.0 resource: the route's path, or "$default" */
    int64_t time_ms;          /* epoch ms the request arrived */
    const struct gw_match *m; /* the route's path parameters (raw values) */
    const cJSON *stage_vars;  /* the stage's variables (object) or NULL */
    /* set when a Lambda authorizer allowed the request: requestContext.authorizer */
    bool authorized;
    const cJSON *auth_context;  /* the authorizer's context object, or NULL */
    const char *auth_principal; /* its principalId (IAM policy responses), or NULL */
    const cJSON *jwt_claims;    /* a JWT authorizer's token claims (object), or NULL */
    const cJSON *jwt_scopes;    /* and the token's scopes (list), or NULL */
    /* REST APIs (payload 1.0 without "version"): path is then "/{stage}/..." */
    bool rest;
    const char *rest_path; /* the path after the stage (the event's "path") */
    size_t rest_path_len;
    const char *resource_id;   /* requestContext.resourceId */
    const cJSON *binary_types; /* the REST API's binaryMediaTypes (list) or NULL */
};

/* Formats epoch ms as API Gateway's request time "12/Mar/2020:19:03:58 +0000". */
void gw_time_fmt(int64_t ms, char out[32]);

/* True if a body with this Content-Type (NULL when absent) goes to the
 * function as text rather than base64: text/..., JSON, XML, JavaScript and
 * form types, and only when it is valid UTF-8 without NUL bytes. */
bool gw_body_is_text(const char *ctype, size_t ctype_len, const char *body, size_t len);

/* True if the media type (ctype, len bytes, parameters ignored) is one of
 * types (a list of "type/subtype" patterns with '*' wildcards, as a REST
 * API's binaryMediaTypes). */
bool gw_media_type_in(const cJSON *types, const char *ctype, size_t len);

/* Builds the event for payload format version (1 or 2) as compact JSON text
 * (malloc'd, *len set). Returns NULL on bad input encoding (never for valid
 * requests) or OOM of a size chosen by the input. */
char *gw_event_build(int version, const struct gw_request *r, size_t *len);

/* A header of a mapped response: NUL-terminated, malloc'd. */
struct gw_out_header {
    char *name;
    char *value;
};

/* A mapped response. */
struct gw_response {
    int status;
    struct gw_out_header *headers; /* malloc'd array */
    size_t nheaders;
    char *body; /* malloc'd (decoded when isBase64Encoded), NULL when empty */
    size_t body_len;
    bool base64; /* the function said isBase64Encoded */
};

/* Maps the function's response text (len bytes) for payload version 1 or 2
 * into *out. Returns 0, or -EINVAL when the response is malformed (the
 * gateway answers 502). Free with gw_response_free. */
int gw_response_map(int version, const char *text, size_t len, struct gw_response *out);

void gw_response_free(struct gw_response *r);

#endif
