/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_HTTP_CLIENT_H
#define LAMBDAD_HTTP_CLIENT_H

/*
 * Outgoing HTTP/1.1 requests over H2O 2.2's client (h2o_http1client), for
 * whoever calls out: API Gateway's HTTP_PROXY integrations, JWT issuers'
 * key sets, and later SNS HTTP subscriptions. A request is given whole
 * (method, URL, headers, body) and its answer comes back whole (status,
 * headers, body) to one callback, which runs exactly once, later, on the
 * loop thread: with the response, or with an error when the exchange
 * failed, took longer than its deadline or its body grew past its maximum.
 * One connection per request ("connection: close"); https:// peers are
 * verified against the system's certificate authorities. Loop thread only.
 */

#include <h2o.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct timer_heap;
struct http_client;     /* a context: the loop, its resolver, TLS */
struct http_client_req; /* one request in flight */

/* A header: name and value slices (not NUL-terminated unless noted). */
struct http_client_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

/* What to send. Every pointer is borrowed: the strings for the call of
 * http_client_start, body until the callback runs or the request is
 * cancelled. */
struct http_client_request {
    const char *method;                       /* "GET", NUL-terminated */
    const char *url;                          /* http:// or https://, NUL-terminated */
    const struct http_client_header *headers; /* sent as given, after host and connection */
    size_t nheaders;
    const char *body; /* NULL or body_len bytes; content-length is always sent */
    size_t body_len;
    int64_t timeout_ms;        /* the whole exchange, from start to the last byte */
    size_t max_response_bytes; /* of the response body; more fails with -EMSGSIZE */
    bool head;                 /* the response has no body (a HEAD request or an answer to one) */
};

/* The outcome, borrowed for the callback's duration. */
struct http_client_response {
    int status;                               /* the HTTP status; 0 after an error */
    const struct http_client_header *headers; /* NUL-terminated names and values */
    size_t nheaders;
    const char *body; /* NULL when empty */
    size_t body_len;
    const char *error; /* after an error: what went wrong (static text), else NULL */
};

/* Called once per started request: status 0 with the response, or
 * -ETIMEDOUT (the deadline passed), -EMSGSIZE (the body was too large) or
 * -EIO (connecting, TLS, or the exchange failed; resp->error says how). The
 * request is gone when the callback returns. */
typedef void http_client_done_fn(const struct http_client_response *resp, int status, void *arg);

/* Returns a new context for requests from ctx's loop (borrowed: it must
 * outlive the context), using timers (borrowed) for deadlines and
 * io_timeout_ms as H2O's idle limit on each connection. Free with
 * http_client_free. NULL when TLS cannot be set up. */
struct http_client *http_client_new(h2o_context_t *ctx, struct timer_heap *timers,
                                    uint64_t io_timeout_ms);

/* Cancels every request still in flight (their callbacks never run) and
 * frees cl. NULL is a no-op. */
void http_client_free(struct http_client *cl);

/* Starts rq. Returns 0, writes *out (valid until the callback runs or
 * http_client_cancel) when out is not NULL, and done(resp, status, arg) runs
 * exactly once, later, on the loop thread. Returns -EINVAL (the URL is not
 * http:// or https://, or a string is too long) and done never runs. */
int http_client_start(struct http_client *cl, const struct http_client_request *rq,
                      http_client_done_fn *done, void *arg, struct http_client_req **out);

/* Stops r, in flight: its callback never runs. Not from within it. */
void http_client_cancel(struct http_client_req *r);

#endif
