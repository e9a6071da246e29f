/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_AWS_SIGV4_H
#define LAMBDAD_AWS_SIGV4_H

/*
 * The one parser of AWS Signature Version 4: the Authorization header
 * ("AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request,
 * SignedHeaders=host;x-amz-date, Signature=<64 hex>") and presigned query
 * strings (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires,
 * X-Amz-SignedHeaders, X-Amz-Signature). Used to route by the credential
 * scope's service now and to verify signatures later. Pure: any thread.
 */

#include <stdbool.h>
#include <stddef.h>

#include "http/server.h"

#define SIGV4_ACCESS_KEY_MAX     128
#define SIGV4_SIGNED_HEADERS_MAX 1024

struct sigv4 {
    bool presigned; /* from the query string */
    char access_key[SIGV4_ACCESS_KEY_MAX + 1];
    char date[9]; /* YYYYMMDD of the credential scope */
    char region[32];
    char service[64];
    char signed_headers[SIGV4_SIGNED_HEADERS_MAX + 1]; /* "host;x-amz-date" */
    char signature[65];                                /* lowercase hex */
    char amz_date[17];                                 /* presigned: X-Amz-Date, else "" */
    long expires_s;                                    /* presigned: X-Amz-Expires, else 0 */
};

/* Parses an Authorization header value (len bytes, not NUL-terminated).
 * Returns 0 and fills *out, or -EINVAL when it is not a well-formed SigV4
 * header (out is then unspecified). */
int sigv4_parse_header(const char *p, size_t len, struct sigv4 *out);

/* Parses a presigned query string (len bytes after the '?'). Returns 0, or
 * -ENOENT when it carries no X-Amz-Algorithm, -EINVAL when malformed. */
int sigv4_parse_query(const char *p, size_t len, struct sigv4 *out);

/* Parses the signature req carries, in its Authorization header or its
 * query string. Returns 0, -ENOENT when unsigned, -EINVAL when malformed. */
int sigv4_of_request(const h2o_req_t *req, struct sigv4 *out);

/* The credential scope's service of req into buf; its length, or -1 when the
 * request carries no well-formed signature (the router's service key). */
int sigv4_service(const h2o_req_t *req, char *buf, size_t cap);

#endif
