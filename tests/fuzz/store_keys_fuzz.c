/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the store's byte-comparable key encoding. The first
 * byte picks a mode: encode the rest as a number (it must decode to a
 * canonical text that encodes to the same bytes), encode it as a string (it
 * must decode to the same bytes), or decode it as a key (every component
 * that decodes must re-encode to exactly the bytes it was read from).
 * Nothing may read or write out of bounds.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "store/store_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void number(const uint8_t *p, size_t n)
{
    uint8_t enc[STORE_KEYS_NUMBER_MAX], again[STORE_KEYS_NUMBER_MAX];
    size_t len = 0, len2 = 0, pos = 0, tlen = 0;
    if (store_keys_put_number(enc, sizeof(enc), &len, (const char *)p, n) != 0)
        return;
    char text[STORE_KEYS_NUMBER_TEXT_MAX];
    int type = 0;
    assert(store_keys_next(enc, len, &pos, &type, text, sizeof(text), &tlen) == 0);
    assert(type == STORE_KEYS_NUMBER && pos == len && strlen(text) == tlen);
    assert(store_keys_put_number(again, sizeof(again), &len2, text, tlen) == 0);
    assert(len2 == len && memcmp(enc, again, len) == 0);
}

static void string(const uint8_t *p, size_t n)
{
    static uint8_t enc[STORE_KEYS_BYTES_MAX(4096)];
    static char out[4097];
    size_t len = 0, pos = 0, olen = 0;
    if (n > 4096)
        n = 4096;
    assert(store_keys_put_string(enc, sizeof(enc), &len, p, n) == 0);
    int type = 0;
    assert(store_keys_next(enc, len, &pos, &type, out, sizeof(out), &olen) == 0);
    assert(type == STORE_KEYS_STRING && pos == len && olen == n && memcmp(out, p, n) == 0);
}

static void decode(const uint8_t *p, size_t n)
{
    static char out[8192];
    static uint8_t enc[STORE_KEYS_BYTES_MAX(8192)];
    size_t pos = 0;
    while (pos < n) {
        size_t start = pos, olen = 0, len = 0;
        int type = 0;
        if (store_keys_next(p, n, &pos, &type, out, sizeof(out), &olen) != 0)
            return;
        assert(pos > start && pos <= n);
        int rc =
            type == STORE_KEYS_NUMBER   ? store_keys_put_number(enc, sizeof(enc), &len, out, olen)
            : type == STORE_KEYS_STRING ? store_keys_put_string(enc, sizeof(enc), &len, out, olen)
                                        : store_keys_put_binary(enc, sizeof(enc), &len, out, olen);
        assert(rc == 0 && len == pos - start && memcmp(enc, p + start, len) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0] % 3) {
    case 0:
        number(data + 1, size - 1);
        break;
    case 1:
        string(data + 1, size - 1);
        break;
    default:
        decode(data + 1, size - 1);
        break;
    }
    return 0;
}
