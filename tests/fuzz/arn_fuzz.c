/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: FunctionName parsing (names, partial and full ARNs,
 * qualifiers) must never read past its input and must return well-formed
 * results.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "aws/arn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fn_ref ref;
    if (arn_parse_function((const char *)data, size, &ref) == 0) {
        assert(arn_valid_name(ref.name, strlen(ref.name)));
        assert(ref.qualifier[0] == '\0' ||
               arn_valid_qualifier(ref.qualifier, strlen(ref.qualifier)));
    }
    return 0;
}
