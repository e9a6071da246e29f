/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_AWS_ARN_H
#define LAMBDAD_AWS_ARN_H

#include <stdbool.h>
#include <stddef.h>

#include "base/limits.h"

/*
 * Function references as AWS accepts them in FunctionName: "name",
 * "name:qualifier", "123456789012:function:name[:qualifier]" and
 * "arn:aws:lambda:us-east-1:123456789012:function:name[:qualifier]".
 */

struct fn_ref {
    char name[FN_NAME_MAX + 1];
    char qualifier[FN_QUALIFIER_MAX + 1]; /* "" when none was given */
    char region[32];                      /* "" when none was given */
    char account[13];                     /* "" when none was given */
};

/* The FunctionName pattern, as AWS prints it in ValidationException texts. */
extern const char arn_function_pattern[];

/* Parses s (len bytes, not NUL-terminated). Returns 0 and fills *out, or
 * ERR_VALIDATION when s does not match the FunctionName pattern or a bare
 * name exceeds 64 characters. */
int arn_parse_function(const char *s, size_t len, struct fn_ref *out);

/* True if s is a valid bare function name: [a-zA-Z0-9-_]{1,64}. */
bool arn_valid_name(const char *s, size_t len);

/* True if s is a valid qualifier: $LATEST or [a-zA-Z0-9-_]{1,128}. */
bool arn_valid_qualifier(const char *s, size_t len);

#endif
