/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_GATEWAY_JWT_H
#define LAMBDAD_GATEWAY_JWT_H

/*
 * JSON Web Tokens for HTTP API JWT authorizers: parsing a compact JWS
 * (header.payload.signature, base64url), verifying an RS256 signature
 * against an RSA JSON Web Key (n, e), and the claim checks API Gateway
 * makes (iss, aud or client_id, exp, nbf, scopes). Pure functions, any
 * thread.
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jwt {
    char alg[16];       /* the header's alg ("RS256") */
    char kid[256];      /* the header's kid, "" when absent */
    cJSON *claims;      /* the payload (an object), owned */
    char *token;        /* a copy of the token, owned */
    size_t signed_len;  /* token[0..signed_len) is what was signed */
    unsigned char *sig; /* the decoded signature, owned */
    size_t sig_len;
};

/* Parses a compact JWS of len bytes (a "Bearer " prefix is allowed). Returns
 * 0, or -EINVAL for anything that is not a JWT with an object header naming
 * alg and an object payload. Free with jwt_free. */
int jwt_parse(const char *token, size_t len, struct jwt *out);

void jwt_free(struct jwt *t);

/* Verifies t's signature with jwk ({"kty":"RSA","n":...,"e":...}) when t's
 * alg is RS256. Returns 0, -EBADMSG for a signature that does not verify,
 * -ENOTSUP for another alg, -EINVAL for a key that is not an RSA JWK. */
int jwt_verify(const struct jwt *t, const cJSON *jwk);

/* The claim checks of an HTTP API JWT authorizer: iss equals issuer; aud
 * (a string or a list) or client_id is one of audiences (a list of
 * strings); exp is after now_s; nbf, when given, is not after now_s.
 * Returns NULL, or why the token is refused. */
const char *jwt_check(const struct jwt *t, const char *issuer, const cJSON *audiences,
                      int64_t now_s);

/* True if required (a list of scope strings) is empty or absent, or t's
 * "scope" (space-separated) or "scp" (a list) claim holds one of them. */
bool jwt_has_scope(const struct jwt *t, const cJSON *required);

/* The key of jwks ({"keys":[...]}) with kid (any when kid is ""), or NULL. */
const cJSON *jwt_find_key(const cJSON *jwks, const char *kid);

/* Decodes base64url (padding optional) of len bytes into new *out (free
 * with free). Returns 0 or -EINVAL. */
int jwt_b64url_decode(const char *in, size_t len, unsigned char **out, size_t *outlen);

#endif
