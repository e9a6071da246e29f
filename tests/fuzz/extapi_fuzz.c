/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the bodies a function instance sends to the Extensions
 * API (register) and the Telemetry API (subscribe) must never crash or read
 * past their input, and an accepted subscription must be within AWS's
 * limits.
 */
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "invoke/ext.h"
#include "invoke/telemetry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    char msg[160];
    bool invoke, shutdown;
    for (int external = 0; external < 2; external++) {
        const char *err =
            ext_parse_register(body, size, external != 0, &invoke, &shutdown, msg, sizeof(msg));
        assert(err != NULL || external || !shutdown);
        assert(err == NULL || strlen(msg) < sizeof(msg));
    }
    struct tele_config c;
    if (tele_parse(body, size, &c) == NULL) {
        assert(c.types != 0 && (c.types & ~7u) == 0);
        assert(c.max_items >= 1000 && c.max_items <= 10000);
        assert(c.max_bytes >= 262144 && c.max_bytes <= 1048576);
        assert(c.timeout_ms >= 25 && c.timeout_ms <= 30000);
        assert(c.port > 0 && strlen(c.path) < sizeof(c.path));
    }
    return 0;
}
