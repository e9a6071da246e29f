/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_GATEWAY_JWKS_H
#define LAMBDAD_GATEWAY_JWKS_H

/*
 * The signing keys of JWT issuers, as HTTP API JWT authorizers find them:
 * GET {issuer}/.well-known/openid-configuration, then its jwks_uri. Key sets
 * are cached for GW_JWKS_TTL_MS; a fetch that fails is remembered for
 * GW_JWKS_RETRY_MS so that a broken issuer is not asked on every request.
 * Requests that need one issuer's keys while it is being fetched wait for
 * that one fetch. Loop thread only.
 */

#include <cjson/cJSON.h>

#include "http/server.h"

struct gateway;
struct gw_jwks;

/* Called once with the key set ({"keys": [...]}, borrowed for the call) or
 * NULL when it could not be had. */
typedef void gw_jwks_fn(void *arg, const cJSON *jwks);

/* Gets the keys of issuer (an https:// or http:// URL), now from the cache
 * or later from the issuer; req gives the loop. cb runs exactly once. */
void gw_jwks_get(struct gateway *gw, h2o_req_t *req, const char *issuer, gw_jwks_fn *cb, void *arg);

/* Frees the cache; fetches in flight are cancelled and their waiters get
 * NULL. Shutdown. */
void gw_jwks_fini(struct gateway *gw);

#endif
