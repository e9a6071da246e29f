/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_GATEWAY_MEMBERS_H
#define LAMBDAD_GATEWAY_MEMBERS_H

/*
 * Request members of the API Gateway control planes (apigatewayv2 and
 * apigateway): member tables (name, type, maximum length) applied from a
 * request body onto a stored object, so that a resource's Create and Update
 * share one validation, and small JSON helpers. Loop thread.
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "http/server.h"

/* What a member must be. */
enum mtype { M_STR, M_BOOL, M_INT, M_NUM, M_STRARR, M_STRMAP, M_OBJ };

struct member {
    const char *name;
    /* What a member must be. */
    enum mtype type;
    size_t max; /* characters of a string, 0 for no limit */
};

#define APPLY(req, body, obj, table)                                                               \
    gw_apply(req, body, obj, table, sizeof(table) / sizeof(table[0]))

/* True if every element of the array or object v is a string. */
bool gw_all_strings(const cJSON *v);

/* True if v has the type (and length) member m asks for. */
bool gw_type_ok(const cJSON *v, const struct member *m);

/* Copies the members of body listed in ms into obj (replacing). Sends
 * BadRequestException and returns false for a member of the wrong type. */
bool gw_apply(h2o_req_t *req, const cJSON *body, cJSON *obj, const struct member *ms, size_t n);

/* obj[key] if it is a string, else NULL. */
const char *gw_str_of(const cJSON *obj, const char *key);

/* Sets obj[key] to the string value (replacing). */
void gw_set_str(cJSON *obj, const char *key, const char *value);

/* Adds value (taken) as obj[key] unless obj has key already. */
void gw_set_default(cJSON *obj, const char *key, cJSON *value);

/* The request body as a JSON object ({} when empty), or NULL after sending
 * BadRequestException. */
cJSON *gw_parse_body(h2o_req_t *req);

/* The current time as ISO-8601 with milliseconds. */
void gw_now_iso(char out[32]);

/* Writes chars (at most 16) random lowercase hex digits and a NUL. */
void gw_new_id(char *out, size_t chars);

/* True if s is one of the NULL-terminated set. */
bool gw_one_of(const char *s, const char *const *set);

/* How a list operation pages: its query parameters and response members. */
struct gw_paging {
    const char *max;   /* "maxResults" (v2), "limit" (v1) */
    const char *token; /* "nextToken" (v2), "position" (v1); also the response member */
    const char *items; /* "items" (v2), "item" (v1) */
};

extern const struct gw_paging gw_page_v2, gw_page_v1;

/* Answers a list operation with items (taken), paged as pg says. */
void gw_send_page(h2o_req_t *req, cJSON *items, const struct gw_paging *pg);

#endif
