/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: base64 decoding (ZipFile, client context) and
 * percent-decoding (path segments, query values) of untrusted bytes.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *out;
    size_t len;
    if (b64_decode((const char *)data, size, &out, &len) == 0) {
        char *again = malloc(b64_encoded_len(len));
        assert(again != NULL);
        size_t n = b64_encode(out, len, again);
        /* Non-canonical input (stray bits before '=') is accepted, so compare
         * the decoded bytes, not the text. */
        unsigned char *out2;
        size_t len2;
        assert(n <= size && b64_decode(again, n, &out2, &len2) == 0);
        assert(len2 == len && memcmp(out2, out, len) == 0);
        free(out2);
        free(again);
        free(out);
    }
    char *dec = malloc(size + 1);
    assert(dec != NULL);
    int n = pct_decode((const char *)data, size, dec);
    assert(n < 0 || (size_t)n <= size);
    free(dec);
    return 0;
}
