/* SPDX-License-Identifier: MIT */
/*
 * Outgoing HTTP requests (see client.h). A request writes its head once
 * (method, path, host, "connection: close", the caller's headers,
 * content-length) and hands H2O the head and the borrowed body. The
 * response's headers are copied as they arrive and its body is collected up
 * to the request's maximum. Each request has a deadline on the caller's
 * timer heap; when it passes, the H2O client is cancelled and the callback
 * gets -ETIMEDOUT. Every ending goes through finish(), which delivers the
 * outcome once: right away from H2O's callbacks, or from a zero-length timer
 * if H2O ever answered within http_client_start, so that the callback never
 * runs inside the call that started it. Requests in flight are on the
 * context's list, so that http_client_free can cancel them.
 */
#include "client.h"

#include <errno.h>
#include <h2o/http1client.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/timer.h"

struct http_client {
    h2o_http1client_ctx_t ctx;
    h2o_timeout_t io_timeout;
    struct timer_heap *timers;
    struct http_client_req *live; /* requests in flight */
};

struct http_client_req {
    struct http_client *cl;
    struct http_client_req *prev, *next; /* cl->live */
    h2o_http1client_t *h;                /* while H2O has the exchange */
    struct timer timer;                  /* the deadline, then a deferred delivery */
    http_client_done_fn *done;
    void *arg;
    h2o_iovec_t out[2]; /* what H2O writes: the head (owned) and the body (borrowed) */
    bool head_only;
    bool starting; /* within http_client_start */
    bool finished; /* the outcome is set, waiting for its delivery */
    size_t max;    /* body bytes */
    int err;       /* the outcome: 0 or negative */
    const char *why;
    int status;
    struct http_client_header *headers; /* of the response: slices of own */
    char **own;                         /* 2 * nheaders copies, NUL-terminated */
    size_t nheaders;
    char *body;
    size_t body_len;
};

static void req_free(struct http_client_req *r)
{
    timer_cancel(r->cl->timers, &r->timer);
    if (r->prev != NULL)
        r->prev->next = r->next;
    else if (r->cl->live == r)
        r->cl->live = r->next;
    if (r->next != NULL)
        r->next->prev = r->prev;
    for (size_t i = 0; i < 2 * r->nheaders; i++)
        free(r->own[i]);
    free(r->own);
    free(r->headers);
    free(r->body);
    free(r->out[0].base);
    free(r);
}

static void deliver(struct http_client_req *r)
{
    struct http_client_response resp = {.error = r->why};
    if (r->err == 0)
        resp = (struct http_client_response){.status = r->status,
                                             .headers = r->headers,
                                             .nheaders = r->nheaders,
                                             .body = r->body,
                                             .body_len = r->body_len};
    r->done(&resp, r->err, r->arg);
    req_free(r);
}

/* Ends r with err (0 or negative) and why; H2O no longer has it. */
static void finish(struct http_client_req *r, int err, const char *why)
{
    r->h = NULL;
    r->err = err;
    r->why = why;
    r->finished = true;
    if (r->starting)
        timer_arm(r->cl->timers, &r->timer, 0); /* delivered once the start returned */
    else
        deliver(r);
}

static void on_timer(struct timer *t, void *arg)
{
    struct http_client_req *r = arg;
    (void)t;
    if (r->finished) {
        deliver(r);
        return;
    }
    if (r->h != NULL)
        h2o_http1client_cancel(r->h);
    finish(r, -ETIMEDOUT, "timed out");
}

static int on_body(h2o_http1client_t *client, const char *err)
{
    struct http_client_req *r = client->data;
    h2o_buffer_t *in = client->sock != NULL ? client->sock->input : NULL;
    if (in != NULL && in->size > 0) {
        if (in->size > r->max || r->body_len > r->max - in->size) {
            finish(r, -EMSGSIZE, "response too large");
            return -1;
        }
        char *b = xrealloc(r->body, r->body_len + in->size);
        memcpy(b + r->body_len, in->bytes, in->size);
        r->body = b;
        r->body_len += in->size;
        h2o_buffer_consume(&client->sock->input, in->size);
    }
    if (err == h2o_http1client_error_is_eos) {
        finish(r, 0, NULL);
        return 0;
    }
    if (err != NULL) {
        finish(r, -EIO, err);
        return -1;
    }
    return 0;
}

static h2o_http1client_body_cb on_head(h2o_http1client_t *client, const char *err, int minor,
                                       int status, h2o_iovec_t msg, h2o_header_t *headers, size_t n,
                                       int rlen)
{
    struct http_client_req *r = client->data;
    (void)minor;
    (void)msg;
    (void)rlen;
    if (err != NULL && err != h2o_http1client_error_is_eos) {
        finish(r, -EIO, err);
        return NULL;
    }
    r->status = status;
    if (n > 0 && ((r->headers = calloc(n, sizeof(*r->headers))) == NULL ||
                  (r->own = calloc(2 * n, sizeof(*r->own))) == NULL))
        abort();
    for (size_t i = 0; i < n; i++) {
        char *name = strndup(headers[i].name->base, headers[i].name->len);
        char *value = strndup(headers[i].value.base, headers[i].value.len);
        if (name == NULL || value == NULL)
            abort();
        r->own[2 * i] = name;
        r->own[2 * i + 1] = value;
        r->headers[i] =
            (struct http_client_header){name, headers[i].name->len, value, headers[i].value.len};
        r->nheaders++;
    }
    if (err == h2o_http1client_error_is_eos) { /* no body */
        finish(r, 0, NULL);
        return NULL;
    }
    return on_body;
}

static h2o_http1client_head_cb on_connect(h2o_http1client_t *client, const char *err,
                                          h2o_iovec_t **bufs, size_t *nbufs, int *is_head)
{
    struct http_client_req *r = client->data;
    if (err != NULL) {
        finish(r, -EIO, err);
        return NULL;
    }
    *bufs = r->out;
    *nbufs = r->out[1].len > 0 ? 2 : 1;
    *is_head = r->head_only;
    return on_head;
}

static bool has_crlf(const char *p, size_t len)
{
    return memchr(p, '\r', len) != NULL || memchr(p, '\n', len) != NULL;
}

/* Appends len bytes of p at *w. */
static void put(char **w, const char *p, size_t len)
{
    memcpy(*w, p, len);
    *w += len;
}

/* The request head (malloc'd, *len set), or NULL when a part holds CR or LF. */
static char *head_of(const struct http_client_request *rq, const h2o_url_t *u, size_t *len)
{
    size_t ml = strlen(rq->method), cap = ml + u->path.len + u->authority.len + 96;
    if (has_crlf(rq->method, ml) || has_crlf(u->path.base, u->path.len))
        return NULL;
    for (size_t i = 0; i < rq->nheaders; i++) {
        const struct http_client_header *h = &rq->headers[i];
        if (has_crlf(h->name, h->name_len) || has_crlf(h->value, h->value_len))
            return NULL;
        cap += h->name_len + h->value_len + 4;
    }
    char *b = malloc(cap), *w = b, clen[48];
    if (b == NULL)
        abort();
    put(&w, rq->method, ml);
    put(&w, " ", 1);
    put(&w, u->path.base, u->path.len);
    put(&w, H2O_STRLIT(" HTTP/1.1\r\nhost: "));
    put(&w, u->authority.base, u->authority.len);
    put(&w, H2O_STRLIT("\r\nconnection: close\r\n"));
    for (size_t i = 0; i < rq->nheaders; i++) {
        put(&w, rq->headers[i].name, rq->headers[i].name_len);
        put(&w, ": ", 2);
        put(&w, rq->headers[i].value, rq->headers[i].value_len);
        put(&w, "\r\n", 2);
    }
    int n = snprintf(clen, sizeof(clen), "content-length: %zu\r\n\r\n",
                     rq->body != NULL ? rq->body_len : 0);
    put(&w, clen, (size_t)n);
    *len = (size_t)(w - b);
    return b;
}

struct http_client *http_client_new(h2o_context_t *ctx, struct timer_heap *timers,
                                    uint64_t io_timeout_ms)
{
    SSL_CTX *ssl = SSL_CTX_new(TLS_client_method());
    if (ssl == NULL)
        return NULL;
    SSL_CTX_set_default_verify_paths(ssl);
    SSL_CTX_set_verify(ssl, SSL_VERIFY_PEER, NULL);
    struct http_client *cl = xcalloc(1, sizeof(*cl));
    h2o_timeout_init(ctx->loop, &cl->io_timeout, io_timeout_ms);
    cl->ctx = (h2o_http1client_ctx_t){.loop = ctx->loop,
                                      .getaddr_receiver = &ctx->receivers.hostinfo_getaddr,
                                      .io_timeout = &cl->io_timeout,
                                      .ssl_ctx = ssl};
    cl->timers = timers;
    return cl;
}

void http_client_free(struct http_client *cl)
{
    if (cl == NULL)
        return;
    while (cl->live != NULL)
        http_client_cancel(cl->live);
    h2o_timeout_dispose(cl->ctx.loop, &cl->io_timeout);
    SSL_CTX_free(cl->ctx.ssl_ctx);
    free(cl);
}

int http_client_start(struct http_client *cl, const struct http_client_request *rq,
                      http_client_done_fn *done, void *arg, struct http_client_req **out)
{
    h2o_url_t u;
    size_t hl;
    char *head;
    if (h2o_url_parse(rq->url, strlen(rq->url), &u) != 0 || u.host.len == 0 ||
        (head = head_of(rq, &u, &hl)) == NULL)
        return -EINVAL;
    struct http_client_req *r = xcalloc(1, sizeof(*r));
    r->cl = cl;
    r->done = done;
    r->arg = arg;
    r->head_only = rq->head;
    r->max = rq->max_response_bytes;
    r->out[0] = h2o_iovec_init(head, hl);
    r->out[1] = h2o_iovec_init(rq->body, rq->body != NULL ? rq->body_len : 0);
    timer_init(&r->timer, on_timer, r);
    r->next = cl->live;
    if (r->next != NULL)
        r->next->prev = r;
    cl->live = r;
    timer_arm(cl->timers, &r->timer, rq->timeout_ms);
    r->starting = true;
    h2o_http1client_connect(&r->h, r, &cl->ctx, u.host, h2o_url_get_port(&u),
                            u.scheme == &H2O_URL_SCHEME_HTTPS, on_connect);
    r->starting = false;
    if (out != NULL)
        *out = r;
    return 0;
}

void http_client_cancel(struct http_client_req *r)
{
    if (r->h != NULL)
        h2o_http1client_cancel(r->h);
    req_free(r);
}
