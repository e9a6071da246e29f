/* SPDX-License-Identifier: MIT */
/*
 * The data plane's front door (see proxy.h): a request is classified once,
 * by its Host (a function URL, an execute-api endpoint) or by the
 * /restapis/{id}/{stage}/_user_request_/ path, its API found, its request
 * id made, and the limits every API applies checked (the endpoint enabled,
 * body and header sizes, the account's throttle). Then it belongs to the
 * API's kind: httpapi.c, restapi.c or funcurl.c, which run its route,
 * authorizer (continuing there, never coming back here) and integration.
 */
#include "proxy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/limits.h"
#include "base/util.h"
#include "gateway/answer.h"
#include "gateway/call.h"
#include "gateway/forward.h"
#include "gateway/funcurl.h"
#include "gateway/httpapi.h"
#include "gateway/jwks.h"
#include "gateway/model.h"
#include "gateway/restapi.h"

/* The API id of a Host "{id}.execute-api[.x].localhost[:port]", or false. */
static bool api_of_host(const h2o_iovec_t *host, char id[16], char *domain, size_t cap)
{
    size_t len = host->len;
    const char *colon = memchr(host->base, ':', len);
    if (colon != NULL)
        len = (size_t)(colon - host->base);
    static const char mid[] = ".execute-api.", tail[] = ".localhost";
    const char *dot = memchr(host->base, '.', len);
    if (dot == NULL || len >= cap)
        return false;
    size_t idlen = (size_t)(dot - host->base), rest = len - idlen;
    if (idlen == 0 || idlen >= 16 || rest < sizeof(mid) - 1 + sizeof(tail) - 2 ||
        strncasecmp(dot, mid, sizeof(mid) - 1) != 0 ||
        strncasecmp(host->base + len - (sizeof(tail) - 1), tail, sizeof(tail) - 1) != 0)
        return false;
    memcpy(id, host->base, idlen);
    id[idlen] = '\0';
    memcpy(domain, host->base, len);
    domain[len] = '\0';
    return true;
}

/* The account-level throttle (--apigw-rate, --apigw-burst) across every
 * API: a token bucket; true when the request may go on. */
static bool account_token(struct gateway *gw)
{
    if (gw->account_rate <= 0)
        return true;
    return gw_bucket_take(&gw->account_tokens, &gw->account_last_ms, gw->account_rate,
                          gw->account_burst > 0 ? gw->account_burst : gw->account_rate);
}

/* Answers (and returns false) a request over the limits every API applies. */
static bool within_limits(h2o_req_t *req, const struct gw_api *api, const struct gw_flavor *fl,
                          const char *rid)
{
    const cJSON *top =
        cJSON_GetObjectItemCaseSensitive(api->doc, gw_is_rest(api) ? "restapi" : "api");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(top, "disableExecuteApiEndpoint")))
        gw_answer_message(req, fl, rid, 403, "Forbidden");
    else if (req->entity.len > GW_BODY_MAX_BYTES)
        gw_answer_message(req, fl, rid, 413, "Request Entity Too Large");
    else if (gw_call_headers_bytes(req) > GW_HEADERS_MAX_BYTES)
        gw_answer_message(req, fl, rid, 431, "Request Header Fields Too Large");
    else
        return true;
    return false;
}

/* Where the /{stage}/{path} of a REST API request by host are in req->path. */
static void stage_of_path(const h2o_req_t *req, const char **stage, size_t *slen, const char **path,
                          size_t *plen)
{
    size_t len = gw_call_path_len(req);
    const char *p = req->path.base, *slash = len > 1 ? memchr(p + 1, '/', len - 1) : NULL;
    *stage = p + 1;
    *slen = slash != NULL ? (size_t)(slash - p - 1) : (len > 0 ? len - 1 : 0);
    *path = slash != NULL ? slash : p + len;
    *plen = slash != NULL ? (size_t)(p + len - slash) : 0;
}

bool gw_proxy_handle(struct gateway *gw, h2o_req_t *req)
{
    char id[16], domain[256], rid[40];
    const char *stage = NULL, *path = NULL;
    size_t slen = 0, plen = 0;
    if (gw_funcurl_handle(gw, req))
        return true;
    bool by_host = api_of_host(&req->input.authority, id, domain, sizeof(domain));
    if (!by_host) {
        if (!gw_restapi_user_path(req, id, &stage, &slen, &path, &plen))
            return false;
        const h2o_iovec_t *h = &req->input.authority;
        const char *colon = memchr(h->base, ':', h->len);
        snprintf(domain, sizeof(domain), "%.*s",
                 (int)(colon != NULL ? (size_t)(colon - h->base) : h->len), h->base);
    }
    struct gw_api *api = gw_find(gw, id);
    bool rest = api != NULL && gw_is_rest(api);
    const struct gw_flavor *fl = rest || !by_host ? &gw_rest_api : &gw_http_api;
    if (rest || !by_host)
        rand_uuid(rid);
    else
        gw_answer_request_id(rid);
    if (api == NULL || (!by_host && !rest)) {
        gw_answer_no_api(req, by_host, rid);
        return true;
    }
    if (!within_limits(req, api, fl, rid))
        return true;
    if (!account_token(gw)) {
        gw_answer_message(req, fl, rid, 429, "Too Many Requests");
        return true;
    }
    if (!rest) {
        gw_httpapi_invoke(gw, req, api, rid, domain);
        return true;
    }
    if (by_host)
        stage_of_path(req, &stage, &slen, &path, &plen);
    gw_restapi_invoke(gw, req, api, rid, domain, by_host, stage, slen, path, plen);
    return true;
}

void gw_proxy_fini(struct gateway *gw)
{
    gw_jwks_fini(gw);
    gw_forward_fini(gw);
}
