/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_TESTS_UNIT_FAKE_REQ_H
#define LAMBDAD_TESTS_UNIT_FAKE_REQ_H

/*
 * The shared fixture for unit tests of code that reads an h2o request: a
 * request with the method, Host, path (query string included), headers and
 * body a test gives, without a connection. Free with fake_req_free.
 */

#include <string.h>

#include "http/server.h"

struct fake_header {
    const char *name; /* lowercase */
    const char *value;
};

/* Fills req; headers ends with a {NULL, NULL} entry (or is NULL). Strings
 * are borrowed and must outlive req. */
static inline void fake_req(h2o_req_t *req, const char *method, const char *host, const char *path,
                            const struct fake_header *headers, const char *body)
{
    memset(req, 0, sizeof(*req));
    h2o_mem_init_pool(&req->pool);
    req->method = h2o_iovec_init(method, strlen(method));
    req->input.authority = h2o_iovec_init(host, strlen(host));
    req->path = h2o_iovec_init(path, strlen(path));
    const char *q = strchr(path, '?');
    req->query_at = q != NULL ? (size_t)(q - path) : SIZE_MAX;
    for (size_t i = 0; headers != NULL && headers[i].name != NULL; i++)
        h2o_add_header_by_str(&req->pool, &req->headers, headers[i].name, strlen(headers[i].name),
                              0, NULL, headers[i].value, strlen(headers[i].value));
    if (body != NULL)
        req->entity = h2o_iovec_init(body, strlen(body));
}

static inline void fake_req_free(h2o_req_t *req)
{
    h2o_mem_clear_pool(&req->pool);
}

#endif
