/* SPDX-License-Identifier: MIT */
/*
 * CORS (see cors.h). An origin is allowed when allowOrigins has "*", the
 * origin itself (case-insensitively) or a wildcard subdomain of it (a
 * scheme, then "*." and a domain); a wildcard or a specific origin is
 * echoed back, "*" alone is answered as "*".
 */
#include "cors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/answer.h"

const cJSON *gw_cors_of(const cJSON *doc)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "api"),
                                                      "corsConfiguration");
    return cJSON_IsObject(c) ? c : NULL;
}

/* The Access-Control-Allow-Origin value for origin, or NULL when the
 * configuration does not allow it. */
static const char *allowed_origin(const cJSON *cors, const char *origin, size_t len)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(cors, "allowOrigins"))
    {
        const char *a = o->valuestring;
        if (strcmp(a, "*") == 0)
            return "*";
        if (strlen(a) == len && strncasecmp(a, origin, len) == 0)
            return a;
        const char *star = strstr(a, "://*.");
        if (star != NULL) { /* a wildcard subdomain: scheme, then "*." and a domain */
            size_t scheme = (size_t)(star - a) + 3, tail = strlen(star + 4);
            if (len > scheme + tail && strncasecmp(origin, a, scheme) == 0 &&
                strncasecmp(origin + len - tail, star + 4, tail) == 0)
                return "";
        }
    }
    return NULL;
}

/* Joins the strings of array cors[key] with commas into buf; false if none. */
static bool joined(const cJSON *cors, const char *key, char *buf, size_t cap)
{
    const cJSON *e;
    size_t n = 0;
    buf[0] = '\0';
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(cors, key))
    {
        int w = snprintf(buf + n, cap - n, "%s%s", n > 0 ? "," : "", e->valuestring);
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
    }
    return n > 0;
}

static void origin_header(h2o_req_t *req, const char *allow, const h2o_iovec_t *origin)
{
    if (allow[0] == '\0' || strcmp(allow, "*") != 0)
        gw_answer_header(req, H2O_STRLIT("access-control-allow-origin"), origin->base, origin->len);
    else
        http_header(req, "access-control-allow-origin", "*", 1);
}

bool gw_cors_preflight(h2o_req_t *req, const cJSON *cors, const char *rid)
{
    const h2o_iovec_t *origin = http_req_header(req, "origin");
    if (cors == NULL || origin == NULL || !http_method_is(req, "OPTIONS") ||
        http_req_header(req, "access-control-request-method") == NULL)
        return false;
    const char *allow = allowed_origin(cors, origin->base, origin->len);
    if (allow != NULL) {
        char buf[2048];
        origin_header(req, allow, origin);
        if (joined(cors, "allowMethods", buf, sizeof(buf)))
            http_header(req, "access-control-allow-methods", buf, strlen(buf));
        if (joined(cors, "allowHeaders", buf, sizeof(buf)))
            http_header(req, "access-control-allow-headers", buf, strlen(buf));
        const cJSON *age = cJSON_GetObjectItemCaseSensitive(cors, "maxAge");
        if (cJSON_IsNumber(age) && age->valuedouble >= 0) {
            int n = snprintf(buf, sizeof(buf), "%d", age->valueint);
            http_header(req, "access-control-max-age", buf, (size_t)n);
        }
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cors, "allowCredentials")))
            http_header(req, "access-control-allow-credentials", "true", 4);
    }
    gw_answer_ids(req, &gw_http_api, rid);
    http_send(req, 204, NULL, "", 0);
    return true;
}

void gw_cors_prepare(struct gw_cors_answer *a, const cJSON *cors, h2o_req_t *req)
{
    const h2o_iovec_t *origin = cors != NULL ? http_req_header(req, "origin") : NULL;
    a->on = cors != NULL;
    const char *allow = origin != NULL ? allowed_origin(cors, origin->base, origin->len) : NULL;
    if (allow == NULL)
        return;
    a->allow_origin = allow[0] == '\0' || strcmp(allow, "*") != 0
                          ? strndup(origin->base, origin->len)
                          : strdup("*");
    char buf[2048];
    if (joined(cors, "exposeHeaders", buf, sizeof(buf)))
        a->expose_headers = strdup(buf);
    a->allow_credentials = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cors, "allowCredentials"));
}

void gw_cors_headers(const struct gw_cors_answer *a, h2o_req_t *req)
{
    if (a->allow_origin == NULL)
        return;
    gw_answer_header(req, H2O_STRLIT("access-control-allow-origin"), a->allow_origin,
                     strlen(a->allow_origin));
    if (a->expose_headers != NULL)
        gw_answer_header(req, H2O_STRLIT("access-control-expose-headers"), a->expose_headers,
                         strlen(a->expose_headers));
    if (a->allow_credentials)
        http_header(req, "access-control-allow-credentials", "true", 4);
}

void gw_cors_fini(struct gw_cors_answer *a)
{
    free(a->allow_origin);
    free(a->expose_headers);
    a->allow_origin = a->expose_headers = NULL;
}
