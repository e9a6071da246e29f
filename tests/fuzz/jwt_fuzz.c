/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: bearer tokens from HTTP API requests (JWT parsing, the
 * claim and scope checks) must never crash or read past their input.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jwt t;
    if (jwt_parse((const char *)data, size, &t) == 0) {
        assert(cJSON_IsObject(t.claims) && t.signed_len < size);
        cJSON *aud = cJSON_Parse("[\"app\"]"), *scopes = cJSON_Parse("[\"read\"]");
        (void)jwt_check(&t, "https://issuer", aud, 1700000000);
        (void)jwt_has_scope(&t, scopes);
        cJSON *jwks = cJSON_Parse("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"AQAB\","
                                  "\"e\":\"AQAB\"}]}");
        const cJSON *key = jwt_find_key(jwks, t.kid);
        if (key != NULL)
            (void)jwt_verify(&t, key);
        cJSON_Delete(jwks);
        cJSON_Delete(aud);
        cJSON_Delete(scopes);
        jwt_free(&t);
    }
    unsigned char *out;
    size_t n;
    if (jwt_b64url_decode((const char *)data, size, &out, &n) == 0)
        free(out);
    return 0;
}
