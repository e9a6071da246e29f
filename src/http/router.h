/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_HTTP_ROUTER_H
#define LAMBDAD_HTTP_ROUTER_H

/*
 * The one router of the edge listener. Every request is classified once
 * against one table of rows that the services register at start-up; the
 * router itself knows no service. A row matches on one key of the request:
 *
 *   ROUTER_HOST    a label of the Host header ("execute-api" matches
 *                  abc.execute-api.localhost:4566)
 *   ROUTER_TARGET  a prefix of X-Amz-Target ("Logs_20140328.")
 *   ROUTER_ACTION  the query protocol's Action (form body of POST /, or the
 *                  query string)
 *   ROUTER_SERVICE the SigV4 credential scope's service name (the daemon
 *                  supplies the parser: see router_set_service_fn)
 *   ROUTER_PATH    a path prefix ("/2015-03-31/"); a pattern without a
 *                  trailing '/' must match the whole path
 *
 * Kinds are tried in that order; within a kind, longer patterns first, then
 * in registration order. A row's handler returns true when it took the
 * request (answered now or later) and false to decline, in which case the
 * next matching row is tried. A request no row takes goes to the fallback.
 * While the router is stopping, rows without ROUTER_ALWAYS are refused
 * through the stopping handler. Loop thread only.
 */

#include <stdbool.h>
#include <stddef.h>

#include "http/server.h"

enum router_kind {
    ROUTER_HOST = 0,
    ROUTER_TARGET = 1,
    ROUTER_ACTION = 2,
    ROUTER_SERVICE = 3,
    ROUTER_PATH = 4,
};

#define ROUTER_ALWAYS 1 /* served while stopping (health, metrics, user APIs) */

#define ROUTER_ROWS_MAX    64
#define ROUTER_PATTERN_MAX 64

/* Takes the request (true) or declines it (false). */
typedef bool router_fn(void *arg, h2o_req_t *req);

/* Answers a request (fallback and stopping handlers). */
typedef void router_answer_fn(void *arg, h2o_req_t *req);

/* The SigV4 service of req into buf (NUL-terminated); returns its length, or
 * -1 when the request is not signed. */
typedef int router_service_fn(const h2o_req_t *req, char *buf, size_t cap);

struct router_row {
    enum router_kind kind;
    char pattern[ROUTER_PATTERN_MAX];
    size_t len;
    int flags;
    router_fn *fn;
    void *arg;
    unsigned seq; /* registration order */
};

struct router {
    struct router_row rows[ROUTER_ROWS_MAX];
    size_t n;
    router_answer_fn *fallback;
    router_answer_fn *refuse;
    void *answer_arg;
    router_service_fn *service;
    bool stopping;
};

/* Sets r up: fallback answers requests no row takes, refuse those that
 * arrive while stopping; arg is passed to both. */
void router_init(struct router *r, router_answer_fn *fallback, router_answer_fn *refuse, void *arg);

/* Installs the parser ROUTER_SERVICE rows match against. */
void router_set_service_fn(struct router *r, router_service_fn *fn);

/* Adds a row (pattern copied). Returns 0, -E2BIG when the table is full or
 * the pattern too long, -EINVAL for an empty pattern. Start-up only. */
int router_add(struct router *r, enum router_kind kind, const char *pattern, int flags,
               router_fn *fn, void *arg);

/* From now on refuse what is not ROUTER_ALWAYS. */
void router_stop(struct router *r);

/* Routes req: to the first matching row that takes it, else the fallback
 * (or refuse while stopping). */
void router_dispatch(struct router *r, h2o_req_t *req);

#endif
