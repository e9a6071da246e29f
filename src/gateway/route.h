/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_GATEWAY_ROUTE_H
#define LAMBDAD_GATEWAY_ROUTE_H

/*
 * HTTP API route keys and route selection. A route key is "$default" or
 * "METHOD /path", METHOD one of ANY GET POST PUT DELETE PATCH HEAD OPTIONS,
 * the path made of literal segments, whole-segment parameters "{name}" and,
 * last only, one greedy parameter "{name+}". Selection follows AWS: the
 * route whose path is most specific (segment by segment: literal, then
 * {param}, then {proxy+}) wins, a specific method beats ANY, and $default
 * takes what nothing else matches. Pure functions, any thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"

enum gw_seg_kind { GW_SEG_LITERAL = 2, GW_SEG_PARAM = 1, GW_SEG_GREEDY = 0 };

struct gw_seg {
    enum gw_seg_kind kind;
    uint16_t off; /* into text: the literal, or the parameter name without braces and '+' */
    uint16_t len;
};

struct gw_route_key {
    bool is_default;                 /* "$default" */
    char text[GW_ROUTE_KEY_MAX + 1]; /* the key as given */
    char method[8];                  /* "GET", "ANY", ... ("" for $default) */
    uint16_t path_off;               /* the path within text */
    uint16_t nseg;                   /* 0 for "/" */
    struct gw_seg seg[GW_ROUTE_SEGMENTS_MAX];
};

/* Parses a route key of len bytes (not NUL-terminated). Returns 0, or
 * -EINVAL when it is not a valid HTTP API route key. */
int gw_route_key_parse(const char *s, size_t len, struct gw_route_key *out);

/* One path parameter of a match: the name (in the route key's text) and the
 * raw value (in the request path; for a greedy one, every remaining segment
 * with its slashes). */
struct gw_param {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

struct gw_match {
    int nparams;
    struct gw_param params[GW_ROUTE_SEGMENTS_MAX];
};

/* Selects the route of keys[0..n) for method and the raw request path
 * (starting with '/', without the query). Returns the index of the route and
 * fills *m with its parameters, or -1 when no route (not even $default)
 * matches. */
int gw_route_select(const struct gw_route_key *const *keys, size_t n, const char *method,
                    size_t method_len, const char *path, size_t path_len, struct gw_match *m);

#endif
