/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: a CreateFunction body goes through JSON parsing,
 * validation and, when valid, the FunctionConfiguration and store round trip.
 */
#include <assert.h>
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/function.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *body = cJSON_ParseWithLength((const char *)data, size);
    if (body == NULL)
        return 0;
    char msg[2048];
    struct function *fn;
    if (function_from_create(body, "us-east-1", "000000000000", &fn, msg, sizeof(msg)) == 0) {
        char *stored = function_store_json(fn);
        struct function *back = function_from_store(stored);
        assert(back != NULL && strcmp(back->name, fn->name) == 0);
        function_unref(back);
        free(stored);
        struct function *upd;
        if (function_apply_update(fn, body, &upd, msg, sizeof(msg)) == 0)
            function_unref(upd);
        function_unref(fn);
    }
    cJSON_Delete(body);
    return 0;
}
