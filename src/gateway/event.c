/* SPDX-License-Identifier: MIT */
/*
 * Lambda proxy events and responses (see event.h). Payload 2.0 omits what is
 * absent (cookies, queryStringParameters, pathParameters, stageVariables,
 * body), joins repeated headers and query parameters with commas and moves
 * Cookie headers into cookies[]; payload 1.0 keeps every field, with null
 * for absent maps, the last value in the single-value maps and every value
 * in the multiValue ones.
 */
#include "event.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/util.h"

void gw_time_fmt(int64_t ms, char out[32])
{
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, 32, "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday, mon[tm.tm_mon],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static bool valid_utf8(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 0;
        if (n == 0 || c < 0xc2 || c > 0xf4 || len - i <= n)
            return false;
        for (size_t k = 1; k <= n; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
        i += n + 1;
    }
    return true;
}

static bool has_ci(const char *s, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (strncasecmp(s + i, needle, n) == 0)
            return true;
    return false;
}

bool gw_body_is_text(const char *ctype, size_t ctype_len, const char *body, size_t len)
{
    if (ctype != NULL && ctype_len > 0) {
        static const char *const text[] = {
            "text/", "json", "xml", "javascript", "x-www-form-urlencoded", "yaml"};
        bool is_text = false;
        for (size_t i = 0; i < sizeof(text) / sizeof(text[0]) && !is_text; i++)
            is_text = has_ci(ctype, ctype_len, text[i]);
        if (!is_text)
            return false;
    }
    return valid_utf8((const unsigned char *)body, len);
}

bool gw_media_type_in(const cJSON *types, const char *ctype, size_t len)
{
    char mt[256];
    size_t n = 0;
    while (n < len && n + 1 < sizeof(mt) && ctype[n] != ';' && ctype[n] != ' ') {
        mt[n] = ctype[n] >= 'A' && ctype[n] <= 'Z' ? (char)(ctype[n] - 'A' + 'a') : ctype[n];
        n++;
    }
    mt[n] = '\0';
    const cJSON *t;
    cJSON_ArrayForEach(t, types)
    {
        if (cJSON_IsString(t) && n > 0 && fnmatch(t->valuestring, mt, FNM_CASEFOLD) == 0)
            return true;
    }
    return false;
}

/* ---- building events ---- */

/* A NUL-terminated copy of [p, p+len) as a JSON string. */
static cJSON *str_n(const char *p, size_t len)
{
    char *tmp = malloc(len + 1);
    if (tmp == NULL)
        return NULL;
    memcpy(tmp, p, len);
    tmp[len] = '\0';
    cJSON *s = cJSON_CreateString(tmp);
    free(tmp);
    return s;
}

/* Percent-decodes [p, p+len); keeps the raw text when it is not valid. */
static cJSON *decoded(const char *p, size_t len)
{
    char *tmp = malloc(len + 1);
    if (tmp == NULL)
        return NULL;
    int n = pct_decode(p, len, tmp);
    cJSON *s = n >= 0 ? cJSON_CreateString(tmp) : str_n(p, len);
    free(tmp);
    return s;
}

/* Adds value to obj[name]: joined with a comma (join), or replacing (last). */
static void map_add(cJSON *obj, const char *name, cJSON *value, bool join)
{
    cJSON *cur = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (cur == NULL) {
        cJSON_AddItemToObject(obj, name, value);
        return;
    }
    if (!join) {
        cJSON_ReplaceItemInObjectCaseSensitive(obj, name, value);
        return;
    }
    size_t a = strlen(cur->valuestring), b = strlen(value->valuestring);
    char *both = xmalloc(a + b + 2);
    memcpy(both, cur->valuestring, a);
    both[a] = ',';
    memcpy(both + a + 1, value->valuestring, b + 1);
    cJSON_ReplaceItemInObjectCaseSensitive(obj, name, cJSON_CreateString(both));
    free(both);
    cJSON_Delete(value);
}

/* Appends value to the array obj[name] (created on first use). */
static void multi_add(cJSON *obj, const char *name, cJSON *value)
{
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (arr == NULL)
        arr = cJSON_AddArrayToObject(obj, name);
    cJSON_AddItemToArray(arr, value);
}

/* A NUL-terminated name in buf (truncated to its size). */
static const char *name_of(const char *p, size_t len, char *buf, size_t cap)
{
    size_t n = len < cap - 1 ? len : cap - 1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return buf;
}

/* Parses the raw query into single (joined or last value) and multi maps. */
static void add_query(const struct gw_request *r, cJSON *single, cJSON *multi, bool join)
{
    const char *p = r->query, *end = r->query + r->query_len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pe = amp != NULL ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pe - p));
        const char *ke = eq != NULL ? eq : pe;
        if (ke > p) {
            cJSON *k = decoded(p, (size_t)(ke - p));
            const char *v = eq != NULL ? eq + 1 : pe;
            if (k != NULL) {
                if (multi != NULL)
                    multi_add(multi, k->valuestring, decoded(v, (size_t)(pe - v)));
                map_add(single, k->valuestring, decoded(v, (size_t)(pe - v)), join);
                cJSON_Delete(k);
            }
        }
        p = pe + 1;
    }
}

static const struct gw_header *find_header(const struct gw_request *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (r->headers[i].name_len == strlen(name) &&
            strncasecmp(r->headers[i].name, name, r->headers[i].name_len) == 0)
            return &r->headers[i];
    return NULL;
}

/* Adds body and isBase64Encoded; 2.0 omits an absent body, 1.0 sends null. */
static int add_body(cJSON *ev, const struct gw_request *r, bool null_if_absent)
{
    if (r->body == NULL || r->body_len == 0) {
        if (null_if_absent)
            cJSON_AddNullToObject(ev, "body");
        cJSON_AddFalseToObject(ev, "isBase64Encoded");
        return 0;
    }
    const struct gw_header *ct = find_header(r, "content-type");
    bool text = gw_body_is_text(ct != NULL ? ct->value : NULL, ct != NULL ? ct->value_len : 0,
                                r->body, r->body_len);
    if (r->rest) /* REST APIs: binary only for binaryMediaTypes (and bytes JSON cannot carry) */
        text = !(ct != NULL && gw_media_type_in(r->binary_types, ct->value, ct->value_len)) &&
               gw_body_is_text(NULL, 0, r->body, r->body_len);
    cJSON *b;
    if (text) {
        b = str_n(r->body, r->body_len);
    } else {
        char *enc = malloc(b64_encoded_len(r->body_len));
        if (enc == NULL)
            return -ENOMEM;
        b64_encode(r->body, r->body_len, enc);
        b = cJSON_CreateString(enc);
        free(enc);
    }
    if (b == NULL)
        return -ENOMEM;
    cJSON_AddItemToObject(ev, "body", b);
    cJSON_AddBoolToObject(ev, "isBase64Encoded", !text);
    return 0;
}

static cJSON *path_params(const struct gw_request *r)
{
    if (r->m == NULL || r->m->nparams == 0)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; i < r->m->nparams; i++) {
        char name[GW_ROUTE_KEY_MAX + 1];
        const struct gw_param *p = &r->m->params[i];
        cJSON_AddItemToObject(o, name_of(p->name, p->name_len, name, sizeof(name)),
                              decoded(p->value, p->value_len));
    }
    return o;
}

static void add_common_context(cJSON *ctx, const struct gw_request *r)
{
    cJSON_AddStringToObject(ctx, "accountId", r->account);
    cJSON_AddStringToObject(ctx, "apiId", r->api_id);
    cJSON_AddStringToObject(ctx, "domainName", r->domain);
    const char *dot = strchr(r->domain, '.');
    char prefix[256];
    size_t n = dot != NULL ? (size_t)(dot - r->domain) : strlen(r->domain);
    cJSON_AddStringToObject(ctx, "domainPrefix", name_of(r->domain, n, prefix, sizeof(prefix)));
}

/* A JWT authorizer's part: {"claims": {name: value as a string},
 * "scopes": [...] or null}. */
static void add_jwt(cJSON *to, const struct gw_request *r)
{
    cJSON *claims = cJSON_AddObjectToObject(to, "claims");
    const cJSON *v;
    cJSON_ArrayForEach(v, r->jwt_claims)
    {
        if (cJSON_IsString(v)) {
            cJSON_AddStringToObject(claims, v->string, v->valuestring);
            continue;
        }
        char *text = cJSON_PrintUnformatted(v);
        if (text == NULL)
            abort();
        cJSON_AddStringToObject(claims, v->string, text);
        free(text);
    }
    cJSON_AddItemToObject(to, "scopes",
                          r->jwt_scopes != NULL ? cJSON_Duplicate(r->jwt_scopes, true)
                                                : cJSON_CreateNull());
}

/* requestContext.authorizer: 2.0 {"lambda": context} or {"jwt": {claims,
 * scopes}}; 1.0 the principal and the context's values as strings, or the
 * JWT's claims and scopes. */
static void add_authorizer(cJSON *ctx, const struct gw_request *r, int version)
{
    if (r->jwt_claims != NULL) {
        cJSON *a = cJSON_AddObjectToObject(ctx, "authorizer");
        add_jwt(version == 2 ? cJSON_AddObjectToObject(a, "jwt") : a, r);
        return;
    }
    if (!r->authorized)
        return;
    cJSON *a = cJSON_AddObjectToObject(ctx, "authorizer");
    if (version == 2) {
        cJSON_AddItemToObject(a, "lambda",
                              r->auth_context != NULL ? cJSON_Duplicate(r->auth_context, true)
                                                      : cJSON_CreateObject());
        return;
    }
    if (r->auth_principal != NULL)
        cJSON_AddStringToObject(a, "principalId", r->auth_principal);
    const cJSON *v;
    cJSON_ArrayForEach(v, r->auth_context)
    {
        if (cJSON_IsString(v)) {
            cJSON_AddStringToObject(a, v->string, v->valuestring);
        } else {
            char *text = cJSON_PrintUnformatted(v);
            if (text == NULL)
                abort();
            cJSON_AddStringToObject(a, v->string, text);
            free(text);
        }
    }
    cJSON_AddNumberToObject(a, "integrationLatency", 0);
}

static cJSON *user_agent(const struct gw_request *r)
{
    const struct gw_header *ua = find_header(r, "user-agent");
    return ua != NULL ? str_n(ua->value, ua->value_len) : cJSON_CreateString("");
}

static cJSON *event_v2(const struct gw_request *r)
{
    cJSON *ev = cJSON_CreateObject();
    cJSON_AddStringToObject(ev, "version", "2.0");
    cJSON_AddStringToObject(ev, "routeKey", r->route_key);
    cJSON_AddItemToObject(ev, "rawPath", str_n(r->path, r->path_len));
    cJSON_AddItemToObject(ev, "rawQueryString", str_n(r->query, r->query_len));
    cJSON *cookies = cJSON_CreateArray(), *headers = cJSON_CreateObject();
    for (size_t i = 0; i < r->nheaders; i++) {
        const struct gw_header *h = &r->headers[i];
        char name[256];
        name_of(h->name, h->name_len, name, sizeof(name));
        for (char *c = name; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        if (strcmp(name, "cookie") != 0) {
            map_add(headers, name, str_n(h->value, h->value_len), true);
            continue;
        }
        const char *p = h->value, *end = h->value + h->value_len;
        while (p < end) {
            const char *semi = memchr(p, ';', (size_t)(end - p));
            const char *e = semi != NULL ? semi : end;
            while (p < e && *p == ' ')
                p++;
            if (e > p)
                cJSON_AddItemToArray(cookies, str_n(p, (size_t)(e - p)));
            p = e + 1;
        }
    }
    if (cJSON_GetArraySize(cookies) > 0)
        cJSON_AddItemToObject(ev, "cookies", cookies);
    else
        cJSON_Delete(cookies);
    cJSON_AddItemToObject(ev, "headers", headers);
    if (r->query_len > 0) {
        cJSON *q = cJSON_CreateObject();
        add_query(r, q, NULL, true);
        cJSON_AddItemToObject(ev, "queryStringParameters", q);
    }
    cJSON *ctx = cJSON_AddObjectToObject(ev, "requestContext");
    add_common_context(ctx, r);
    add_authorizer(ctx, r, 2);
    cJSON *http = cJSON_AddObjectToObject(ctx, "http");
    cJSON_AddItemToObject(http, "method", str_n(r->method, r->method_len));
    cJSON_AddItemToObject(http, "path", str_n(r->path, r->path_len));
    cJSON_AddStringToObject(http, "protocol", r->protocol);
    cJSON_AddStringToObject(http, "sourceIp", r->source_ip);
    cJSON_AddItemToObject(http, "userAgent", user_agent(r));
    cJSON_AddStringToObject(ctx, "requestId", r->request_id);
    cJSON_AddStringToObject(ctx, "routeKey", r->route_key);
    cJSON_AddStringToObject(ctx, "stage", r->stage);
    char tbuf[32];
    gw_time_fmt(r->time_ms, tbuf);
    cJSON_AddStringToObject(ctx, "time", tbuf);
    cJSON_AddNumberToObject(ctx, "timeEpoch", (double)r->time_ms);
    cJSON *pp = path_params(r);
    if (pp != NULL)
        cJSON_AddItemToObject(ev, "pathParameters", pp);
    if (add_body(ev, r, false) != 0) {
        cJSON_Delete(ev);
        return NULL;
    }
    if (r->stage_vars != NULL && cJSON_GetArraySize(r->stage_vars) > 0)
        cJSON_AddItemToObject(ev, "stageVariables", cJSON_Duplicate(r->stage_vars, true));
    return ev;
}

static cJSON *identity_v1(const struct gw_request *r)
{
    static const char *const nulls[] = {"accessKey",
                                        "accountId",
                                        "caller",
                                        "cognitoAuthenticationProvider",
                                        "cognitoAuthenticationType",
                                        "cognitoIdentityId",
                                        "cognitoIdentityPoolId",
                                        "principalOrgId"};
    cJSON *id = cJSON_CreateObject();
    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
        cJSON_AddNullToObject(id, nulls[i]);
    cJSON_AddStringToObject(id, "sourceIp", r->source_ip);
    cJSON_AddNullToObject(id, "user");
    cJSON_AddItemToObject(id, "userAgent", user_agent(r));
    cJSON_AddNullToObject(id, "userArn");
    return id;
}

static void add_or_null(cJSON *ev, const char *name, cJSON *obj)
{
    if (obj != NULL && cJSON_GetArraySize(obj) > 0) {
        cJSON_AddItemToObject(ev, name, obj);
        return;
    }
    cJSON_Delete(obj);
    cJSON_AddNullToObject(ev, name);
}

static cJSON *event_v1(const struct gw_request *r)
{
    cJSON *ev = cJSON_CreateObject();
    if (!r->rest)
        cJSON_AddStringToObject(ev, "version", "1.0");
    cJSON_AddStringToObject(ev, "resource", r->resource);
    cJSON_AddItemToObject(
        ev, "path", r->rest ? str_n(r->rest_path, r->rest_path_len) : str_n(r->path, r->path_len));
    cJSON_AddItemToObject(ev, "httpMethod", str_n(r->method, r->method_len));
    cJSON *headers = cJSON_CreateObject(), *multi = cJSON_CreateObject();
    for (size_t i = 0; i < r->nheaders; i++) {
        const struct gw_header *h = &r->headers[i];
        char name[256];
        name_of(h->name, h->name_len, name, sizeof(name));
        map_add(headers, name, str_n(h->value, h->value_len), false);
        multi_add(multi, name, str_n(h->value, h->value_len));
    }
    add_or_null(ev, "headers", headers);
    add_or_null(ev, "multiValueHeaders", multi);
    cJSON *q = cJSON_CreateObject(), *mq = cJSON_CreateObject();
    add_query(r, q, mq, false);
    add_or_null(ev, "queryStringParameters", q);
    add_or_null(ev, "multiValueQueryStringParameters", mq);
    cJSON *ctx = cJSON_AddObjectToObject(ev, "requestContext");
    add_common_context(ctx, r);
    add_authorizer(ctx, r, 1);
    cJSON_AddStringToObject(ctx, "extendedRequestId", r->request_id);
    cJSON_AddItemToObject(ctx, "httpMethod", str_n(r->method, r->method_len));
    cJSON_AddItemToObject(ctx, "identity", identity_v1(r));
    cJSON_AddItemToObject(ctx, "path", str_n(r->path, r->path_len));
    cJSON_AddStringToObject(ctx, "protocol", r->protocol);
    cJSON_AddStringToObject(ctx, "requestId", r->request_id);
    char tbuf[32];
    gw_time_fmt(r->time_ms, tbuf);
    cJSON_AddStringToObject(ctx, "requestTime", tbuf);
    cJSON_AddNumberToObject(ctx, "requestTimeEpoch", (double)r->time_ms);
    cJSON_AddStringToObject(ctx, "resourceId", r->rest ? r->resource_id : r->route_key);
    cJSON_AddStringToObject(ctx, "resourcePath", r->resource);
    cJSON_AddStringToObject(ctx, "stage", r->stage);
    add_or_null(ev, "pathParameters", path_params(r));
    add_or_null(ev, "stageVariables",
                r->stage_vars != NULL ? cJSON_Duplicate(r->stage_vars, true) : NULL);
    if (add_body(ev, r, true) != 0) {
        cJSON_Delete(ev);
        return NULL;
    }
    return ev;
}

char *gw_event_build(int version, const struct gw_request *r, size_t *len)
{
    cJSON *ev = version == 1 ? event_v1(r) : event_v2(r);
    if (ev == NULL)
        return NULL;
    char *text = cJSON_PrintUnformatted(ev);
    cJSON_Delete(ev);
    if (text != NULL)
        *len = strlen(text);
    return text;
}

/* ---- mapping responses ---- */

static void header_push(struct gw_response *out, const char *name, const char *value)
{
    struct gw_out_header *h = xrealloc(out->headers, (out->nheaders + 1) * sizeof(*h));
    out->headers = h;
    h[out->nheaders].name = strdup(name);
    h[out->nheaders].value = strdup(value);
    if (h[out->nheaders].name == NULL || h[out->nheaders].value == NULL)
        abort();
    out->nheaders++;
}

/* The text of a header value: strings as they are, numbers and booleans
 * printed; NULL for anything else. */
static const char *scalar_text(const cJSON *v, char *buf, size_t cap)
{
    if (cJSON_IsString(v))
        return v->valuestring;
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v) ? "true" : "false";
    if (cJSON_IsNumber(v)) {
        /* in range before the cast: a cast of a huge double is undefined */
        if (v->valuedouble > -1e15 && v->valuedouble < 1e15 &&
            v->valuedouble == (double)(long long)v->valuedouble)
            snprintf(buf, cap, "%lld", (long long)v->valuedouble);
        else
            snprintf(buf, cap, "%.17g", v->valuedouble);
        return buf;
    }
    return NULL;
}

static bool in_multi(const cJSON *multi, const char *name)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, multi)
    {
        if (strcasecmp(m->string, name) == 0)
            return true;
    }
    return false;
}

static int map_headers(const cJSON *resp, int version, struct gw_response *out)
{
    const cJSON *headers = cJSON_GetObjectItemCaseSensitive(resp, "headers");
    const cJSON *multi =
        version == 1 ? cJSON_GetObjectItemCaseSensitive(resp, "multiValueHeaders") : NULL;
    if ((headers != NULL && !cJSON_IsNull(headers) && !cJSON_IsObject(headers)) ||
        (multi != NULL && !cJSON_IsNull(multi) && !cJSON_IsObject(multi)))
        return -EINVAL;
    const cJSON *h;
    char buf[64];
    cJSON_ArrayForEach(h, headers)
    {
        const char *v = scalar_text(h, buf, sizeof(buf));
        if (v == NULL)
            return -EINVAL;
        if (!cJSON_IsObject(multi) || !in_multi(multi, h->string))
            header_push(out, h->string, v);
    }
    cJSON_ArrayForEach(h, multi)
    {
        if (!cJSON_IsArray(h))
            return -EINVAL;
        const cJSON *e;
        cJSON_ArrayForEach(e, h)
        {
            const char *v = scalar_text(e, buf, sizeof(buf));
            if (v == NULL)
                return -EINVAL;
            header_push(out, h->string, v);
        }
    }
    return 0;
}

static int map_structured(const cJSON *resp, int version, struct gw_response *out)
{
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(resp, "statusCode");
    /* cJSON saturates valueint, so a non-integer or huge statusCode differs from it */
    if (!cJSON_IsNumber(sc) || sc->valuedouble != (double)sc->valueint || sc->valueint < 100 ||
        sc->valueint > 599)
        return -EINVAL;
    out->status = sc->valueint;
    if (map_headers(resp, version, out) != 0)
        return -EINVAL;
    const cJSON *cookies = cJSON_GetObjectItemCaseSensitive(resp, "cookies");
    if (version == 2 && cookies != NULL && !cJSON_IsNull(cookies)) {
        if (!cJSON_IsArray(cookies))
            return -EINVAL;
        const cJSON *c;
        cJSON_ArrayForEach(c, cookies)
        {
            if (!cJSON_IsString(c))
                return -EINVAL;
            header_push(out, "set-cookie", c->valuestring);
        }
    }
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(resp, "body");
    const cJSON *b64 = cJSON_GetObjectItemCaseSensitive(resp, "isBase64Encoded");
    if ((body != NULL && !cJSON_IsNull(body) && !cJSON_IsString(body)) ||
        (b64 != NULL && !cJSON_IsNull(b64) && !cJSON_IsBool(b64)))
        return -EINVAL;
    if (!cJSON_IsString(body) || body->valuestring[0] == '\0')
        return 0;
    size_t blen = strlen(body->valuestring);
    if (cJSON_IsTrue(b64)) {
        out->base64 = true;
        unsigned char *raw;
        if (b64_decode(body->valuestring, blen, &raw, &out->body_len) != 0)
            return -EINVAL;
        out->body = (char *)raw;
        return 0;
    }
    out->body = malloc(blen);
    if (out->body == NULL)
        return -ENOMEM;
    memcpy(out->body, body->valuestring, blen);
    out->body_len = blen;
    return 0;
}

int gw_response_map(int version, const char *text, size_t len, struct gw_response *out)
{
    memset(out, 0, sizeof(*out));
    cJSON *resp = cJSON_ParseWithLength(text, len);
    if (resp == NULL)
        return -EINVAL;
    int rc;
    if (cJSON_IsObject(resp) && (version == 1 || cJSON_HasObjectItem(resp, "statusCode"))) {
        rc = map_structured(resp, version, out);
    } else if (version == 2) {
        /* the inference rule: any other JSON value is the body of a 200 */
        out->status = 200;
        header_push(out, "content-type", "application/json");
        out->body = xmalloc(len > 0 ? len : 1);
        memcpy(out->body, text, len);
        out->body_len = len;
        rc = 0;
    } else {
        rc = -EINVAL;
    }
    cJSON_Delete(resp);
    if (rc != 0)
        gw_response_free(out);
    return rc;
}

void gw_response_free(struct gw_response *r)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    free(r->body);
    memset(r, 0, sizeof(*r));
}
