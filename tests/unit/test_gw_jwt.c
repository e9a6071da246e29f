/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for gateway/jwt.c: JWT parsing, RS256 verification against an
 * RSA JWK made from a key generated here, and the authorizer's claim and
 * scope checks.
 */
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h needs these four first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <cjson/cJSON.h>

#include "base/util.h"
#include "gateway/jwt.h"

static EVP_PKEY *key; /* one 2048-bit key for every test */

/* base64url without padding of len bytes into new text. */
static char *b64url(const void *p, size_t len)
{
    char *out = malloc(b64_encoded_len(len));
    assert_non_null(out);
    size_t n = b64_encode(p, len, out);
    while (n > 0 && out[n - 1] == '=')
        out[--n] = '\0';
    for (char *c = out; *c != '\0'; c++)
        *c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
    return out;
}

/* A token of header and claims (JSON texts) signed with key. */
static char *sign(const char *header, const char *claims)
{
    char *h = b64url(header, strlen(header)), *c = b64url(claims, strlen(claims));
    size_t sl = strlen(h) + strlen(c) + 2;
    char *signed_part = malloc(sl);
    assert_non_null(signed_part);
    snprintf(signed_part, sl, "%s.%s", h, c);
    unsigned char sig[512];
    size_t siglen = sizeof(sig);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_equal(
        EVP_DigestSign(md, sig, &siglen, (const unsigned char *)signed_part, strlen(signed_part)),
        1);
    EVP_MD_CTX_free(md);
    char *s = b64url(sig, siglen);
    size_t tl = sl + strlen(s) + 1;
    char *token = malloc(tl);
    assert_non_null(token);
    snprintf(token, tl, "%s.%s", signed_part, s);
    free(h);
    free(c);
    free(s);
    free(signed_part);
    return token;
}

/* The JWK of key, with kid. */
static cJSON *jwk(const char *kid)
{
    BIGNUM *n = NULL, *e = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n), 1);
    assert_int_equal(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e), 1);
    unsigned char nb[512], eb[16];
    int nl = BN_bn2bin(n, nb), el = BN_bn2bin(e, eb);
    char *n64 = b64url(nb, (size_t)nl), *e64 = b64url(eb, (size_t)el);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kty", "RSA");
    cJSON_AddStringToObject(o, "kid", kid);
    cJSON_AddStringToObject(o, "n", n64);
    cJSON_AddStringToObject(o, "e", e64);
    free(n64);
    free(e64);
    BN_free(n);
    BN_free(e);
    return o;
}

static int group_setup(void **state)
{
    (void)state;
    key = EVP_RSA_gen(2048);
    return key != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    EVP_PKEY_free(key);
    return 0;
}

static void test_verify(void **state)
{
    (void)state;
    char *tok = sign("{\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":\"JWT\"}",
                     "{\"iss\":\"https://issuer\",\"aud\":\"app\",\"exp\":4102444800}");
    struct jwt t;
    assert_int_equal(jwt_parse(tok, strlen(tok), &t), 0);
    assert_string_equal(t.alg, "RS256");
    assert_string_equal(t.kid, "k1");
    cJSON *k = jwk("k1");
    assert_int_equal(jwt_verify(&t, k), 0);
    jwt_free(&t);
    /* "Bearer " is allowed; a changed payload does not verify. */
    char bearer[4096];
    snprintf(bearer, sizeof(bearer), "Bearer %s", tok);
    assert_int_equal(jwt_parse(bearer, strlen(bearer), &t), 0);
    assert_int_equal(jwt_verify(&t, k), 0);
    jwt_free(&t);
    char *forged = sign("{\"alg\":\"RS256\"}", "{\"iss\":\"x\"}");
    char *dot = strrchr(tok, '.');
    char mixed[4096];
    snprintf(mixed, sizeof(mixed), "%.*s%s", (int)(strrchr(forged, '.') - forged), forged, dot);
    assert_int_equal(jwt_parse(mixed, strlen(mixed), &t), 0);
    assert_int_equal(jwt_verify(&t, k), -EBADMSG);
    jwt_free(&t);
    /* Another alg is not verified; a key that is not RSA is refused. */
    char *hs = sign("{\"alg\":\"HS256\"}", "{}");
    assert_int_equal(jwt_parse(hs, strlen(hs), &t), 0);
    assert_int_equal(jwt_verify(&t, k), -ENOTSUP);
    jwt_free(&t);
    assert_int_equal(jwt_parse(tok, strlen(tok), &t), 0);
    cJSON *ec = cJSON_Parse("{\"kty\":\"EC\",\"crv\":\"P-256\"}");
    assert_int_equal(jwt_verify(&t, ec), -EINVAL);
    cJSON_Delete(ec);
    jwt_free(&t);
    cJSON_Delete(k);
    free(tok);
    free(forged);
    free(hs);
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "e30.e30",
        "e30.e30.",
        "bm90IGpzb24.e30.AA",
        "eyJ0eXAiOiJKV1QifQ.e30.AA",    /* no alg */
        "eyJhbGciOiJSUzI1NiJ9.WzFd.AA", /* payload not an object */
        "eyJhbGciOiJSUzI1NiJ9.e30.A+A", /* not base64url */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct jwt t;
        if (jwt_parse(bad[i], strlen(bad[i]), &t) != -EINVAL)
            fail_msg("parsed: %s", bad[i]);
    }
}

static void test_claims(void **state)
{
    (void)state;
    cJSON *aud = cJSON_Parse("[\"app\",\"other\"]");
    static const struct {
        const char *claims;
        int64_t now;
        bool ok;
    } cases[] = {
        {"{\"iss\":\"https://i\",\"aud\":\"app\",\"exp\":200}", 100, true},
        {"{\"iss\":\"https://i\",\"aud\":[\"x\",\"other\"],\"exp\":200}", 100, true},
        {"{\"iss\":\"https://i\",\"client_id\":\"app\",\"exp\":200}", 100, true},
        {"{\"iss\":\"https://i\",\"aud\":\"app\",\"exp\":200,\"nbf\":100}", 100, true},
        {"{\"iss\":\"https://j\",\"aud\":\"app\",\"exp\":200}", 100, false},
        {"{\"iss\":\"https://i\",\"aud\":\"nope\",\"exp\":200}", 100, false},
        {"{\"iss\":\"https://i\",\"aud\":\"nope\",\"client_id\":\"app\",\"exp\":200}", 100, false},
        {"{\"iss\":\"https://i\",\"aud\":\"app\",\"exp\":100}", 100, false},
        {"{\"iss\":\"https://i\",\"aud\":\"app\"}", 100, false},
        {"{\"iss\":\"https://i\",\"aud\":\"app\",\"exp\":200,\"nbf\":150}", 100, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *tok = sign("{\"alg\":\"RS256\"}", cases[i].claims);
        struct jwt t;
        assert_int_equal(jwt_parse(tok, strlen(tok), &t), 0);
        const char *why = jwt_check(&t, "https://i", aud, cases[i].now);
        if ((why == NULL) != cases[i].ok)
            fail_msg("%s: %s", cases[i].claims, why != NULL ? why : "accepted");
        jwt_free(&t);
        free(tok);
    }
    cJSON_Delete(aud);
}

static void test_scopes_and_keys(void **state)
{
    (void)state;
    char *tok = sign("{\"alg\":\"RS256\"}", "{\"scope\":\"read write:items\",\"scp\":[\"admin\"]}");
    struct jwt t;
    assert_int_equal(jwt_parse(tok, strlen(tok), &t), 0);
    cJSON *none = cJSON_Parse("[]"), *w = cJSON_Parse("[\"x\",\"write:items\"]");
    cJSON *a = cJSON_Parse("[\"admin\"]"), *miss = cJSON_Parse("[\"write\"]");
    assert_true(jwt_has_scope(&t, NULL));
    assert_true(jwt_has_scope(&t, none));
    assert_true(jwt_has_scope(&t, w));
    assert_true(jwt_has_scope(&t, a));
    assert_false(jwt_has_scope(&t, miss)); /* whole scopes only */
    cJSON_Delete(none);
    cJSON_Delete(w);
    cJSON_Delete(a);
    cJSON_Delete(miss);
    jwt_free(&t);
    free(tok);
    cJSON *jwks = cJSON_Parse("{\"keys\":[{\"kid\":\"a\",\"kty\":\"RSA\"},{\"kid\":\"b\"}]}");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(jwt_find_key(jwks, "b"), "kid")),
                        "b");
    assert_non_null(jwt_find_key(jwks, ""));
    assert_null(jwt_find_key(jwks, "c"));
    cJSON_Delete(jwks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_claims),
        cmocka_unit_test(test_scopes_and_keys),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
