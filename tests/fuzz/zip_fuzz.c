/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: code packages. Any bytes given to blob_put must be either
 * refused or stored and unpacked inside the store, never crash or escape it.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/err.h"
#include "store/blob.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct blob_store *bs;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (bs == NULL) {
        char tmpl[] = "/tmp/lambdad-zipfuzz-XXXXXX";
        char *dir = mkdtemp(tmpl);
        assert(dir != NULL);
        int err;
        bs = blob_store_new(dir, &err);
        assert(bs != NULL);
    }
    struct blob_digest d;
    int rc = blob_put(bs, data, size, 1 << 20, &d);
    assert(rc == 0 || rc == ERR_INVALID_ZIP || rc == ERR_CODE_TOO_LARGE || rc < 0);
    if (rc == 0)
        blob_remove(bs, d.hex);
    return 0;
}
