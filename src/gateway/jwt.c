/* SPDX-License-Identifier: MIT */
/*
 * JWT parsing and verification (see jwt.h). The RSA key is built from the
 * JWK's modulus and exponent with OpenSSL 3's EVP_PKEY_fromdata; the
 * signature is checked with EVP_DigestVerify (RSASSA-PKCS1-v1_5, SHA-256).
 */
#include "jwt.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/util.h"

#define JWT_MAX_BYTES 16384 /* a token longer than this is refused */

int jwt_b64url_decode(const char *in, size_t len, unsigned char **out, size_t *outlen)
{
    while (len > 0 && in[len - 1] == '=') /* padding is optional */
        len--;
    if (len % 4 == 1)
        return -EINVAL;
    char *std = xmalloc(len + 4);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c == '+' || c == '/' || c == '=') { /* not base64url */
            free(std);
            return -EINVAL;
        }
        std[n++] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    while (n % 4 != 0)
        std[n++] = '=';
    int rc = b64_decode(std, n, out, outlen);
    free(std);
    return rc;
}

/* Decodes a base64url part into a JSON object. */
static cJSON *json_part(const char *p, size_t len)
{
    unsigned char *raw;
    size_t n;
    if (jwt_b64url_decode(p, len, &raw, &n) != 0)
        return NULL;
    cJSON *o = cJSON_ParseWithLength((const char *)raw, n);
    free(raw);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int jwt_parse(const char *token, size_t len, struct jwt *out)
{
    memset(out, 0, sizeof(*out));
    if (len > 7 && strncasecmp(token, "Bearer ", 7) == 0) {
        token += 7;
        len -= 7;
    }
    const char *d1 = len > 0 ? memchr(token, '.', len) : NULL;
    const char *d2 = d1 != NULL ? memchr(d1 + 1, '.', (size_t)(token + len - d1 - 1)) : NULL;
    if (len > JWT_MAX_BYTES || d1 == NULL || d2 == NULL ||
        memchr(d2 + 1, '.', (size_t)(token + len - d2 - 1)) != NULL)
        return -EINVAL;
    cJSON *head = json_part(token, (size_t)(d1 - token));
    const char *alg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(head, "alg"));
    const cJSON *kid = cJSON_GetObjectItemCaseSensitive(head, "kid");
    int rc = -EINVAL;
    if (alg != NULL && strlen(alg) < sizeof(out->alg) &&
        (kid == NULL || (cJSON_IsString(kid) && strlen(kid->valuestring) < sizeof(out->kid))) &&
        (out->claims = json_part(d1 + 1, (size_t)(d2 - d1 - 1))) != NULL &&
        jwt_b64url_decode(d2 + 1, (size_t)(token + len - d2 - 1), &out->sig, &out->sig_len) == 0) {
        memcpy(out->alg, alg, strlen(alg) + 1);
        if (kid != NULL)
            memcpy(out->kid, kid->valuestring, strlen(kid->valuestring) + 1);
        out->token = xmalloc(len + 1);
        memcpy(out->token, token, len);
        out->token[len] = '\0';
        out->signed_len = (size_t)(d2 - token);
        rc = 0;
    }
    cJSON_Delete(head);
    if (rc != 0)
        jwt_free(out);
    return rc;
}

void jwt_free(struct jwt *t)
{
    cJSON_Delete(t->claims);
    free(t->token);
    free(t->sig);
    memset(t, 0, sizeof(*t));
}

/* The RSA public key of jwk, or NULL. */
static EVP_PKEY *rsa_key(const cJSON *jwk)
{
    const char *kty = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwk, "kty"));
    const char *n64 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwk, "n"));
    const char *e64 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwk, "e"));
    if (kty == NULL || strcmp(kty, "RSA") != 0 || n64 == NULL || e64 == NULL)
        return NULL;
    unsigned char *n = NULL, *e = NULL;
    size_t nl, el;
    EVP_PKEY *key = NULL;
    BIGNUM *bn = NULL, *be = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    if (jwt_b64url_decode(n64, strlen(n64), &n, &nl) != 0 ||
        jwt_b64url_decode(e64, strlen(e64), &e, &el) != 0 || nl < 64 || nl > 1024 || el == 0 ||
        el > 8)
        goto out;
    bn = BN_bin2bn(n, (int)nl, NULL);
    be = BN_bin2bn(e, (int)el, NULL);
    if (bn == NULL || be == NULL || (bld = OSSL_PARAM_BLD_new()) == NULL ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) ||
        (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
        (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
        EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        key = NULL;
out:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    free(n);
    free(e);
    return key;
}

int jwt_verify(const struct jwt *t, const cJSON *jwk)
{
    if (strcmp(t->alg, "RS256") != 0)
        return -ENOTSUP;
    EVP_PKEY *key = rsa_key(jwk);
    if (key == NULL)
        return -EINVAL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md != NULL && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestVerify(md, t->sig, t->sig_len, (const unsigned char *)t->token,
                              t->signed_len) == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    return ok ? 0 : -EBADMSG;
}

static bool in_list(const cJSON *list, const char *s)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, list)
    {
        if (cJSON_IsString(v) && strcmp(v->valuestring, s) == 0)
            return true;
    }
    return false;
}

const char *jwt_check(const struct jwt *t, const char *issuer, const cJSON *audiences,
                      int64_t now_s)
{
    const char *iss = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t->claims, "iss"));
    if (iss == NULL || issuer == NULL || strcmp(iss, issuer) != 0)
        return "the issuer (iss) is not the authorizer's";
    const cJSON *aud = cJSON_GetObjectItemCaseSensitive(t->claims, "aud");
    const char *cid =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t->claims, "client_id"));
    bool aud_ok = false;
    if (cJSON_IsString(aud))
        aud_ok = in_list(audiences, aud->valuestring);
    if (cJSON_IsArray(aud)) {
        const cJSON *a;
        cJSON_ArrayForEach(a, aud)
        {
            aud_ok = aud_ok || (cJSON_IsString(a) && in_list(audiences, a->valuestring));
        }
    }
    if (!aud_ok && aud == NULL && cid != NULL)
        aud_ok = in_list(audiences, cid);
    if (!aud_ok)
        return "the audience (aud or client_id) is not one of the authorizer's";
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(t->claims, "exp");
    if (!cJSON_IsNumber(exp) || exp->valuedouble <= (double)now_s)
        return "the token has expired (exp)";
    const cJSON *nbf = cJSON_GetObjectItemCaseSensitive(t->claims, "nbf");
    if (nbf != NULL && (!cJSON_IsNumber(nbf) || nbf->valuedouble > (double)now_s))
        return "the token is not valid yet (nbf)";
    return NULL;
}

bool jwt_has_scope(const struct jwt *t, const cJSON *required)
{
    if (cJSON_GetArraySize(required) == 0)
        return true;
    const char *scope = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t->claims, "scope"));
    const cJSON *scp = cJSON_GetObjectItemCaseSensitive(t->claims, "scp");
    const cJSON *want;
    cJSON_ArrayForEach(want, required)
    {
        if (!cJSON_IsString(want))
            continue;
        size_t wl = strlen(want->valuestring);
        for (const char *p = scope; p != NULL && *p != '\0';) {
            size_t l = strcspn(p, " ");
            if (l == wl && memcmp(p, want->valuestring, l) == 0)
                return true;
            p += l;
            p += strspn(p, " ");
        }
        if (cJSON_IsArray(scp) && in_list(scp, want->valuestring))
            return true;
    }
    return false;
}

const cJSON *jwt_find_key(const cJSON *jwks, const char *kid)
{
    const cJSON *k;
    cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(jwks, "keys"))
    {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(k, "kid"));
        if (kid[0] == '\0' || (id != NULL && strcmp(id, kid) == 0))
            return k;
    }
    return NULL;
}
