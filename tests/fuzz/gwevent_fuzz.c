/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the mapping of a function's response (untrusted JSON) to
 * an HTTP response for payload formats 1.0 and 2.0, and the body text test.
 * A mapped response must have a valid status and only NUL-terminated
 * headers; a refused one must leave nothing allocated.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gateway/event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    for (int version = 1; version <= 2; version++) {
        struct gw_response r;
        if (gw_response_map(version, s, size, &r) == 0) {
            assert(r.status >= 100 && r.status <= 599);
            for (size_t i = 0; i < r.nheaders; i++)
                assert(strlen(r.headers[i].name) < size + 16 && r.headers[i].value != NULL);
            assert(r.body != NULL || r.body_len == 0);
            gw_response_free(&r);
        } else {
            assert(r.headers == NULL && r.body == NULL);
        }
    }
    (void)gw_body_is_text((const char *)data, size > 8 ? 8 : size, s, size);
    return 0;
}
