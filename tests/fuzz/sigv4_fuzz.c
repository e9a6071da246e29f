/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: SigV4 Authorization headers and presigned query strings,
 * and the form-parameter scanner under them, must never read past their
 * input and must return NUL-terminated, bounded fields.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "aws/sigv4.h"
#include "http/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct sigv4 *s)
{
    assert(strlen(s->service) > 0 && strlen(s->service) < sizeof(s->service));
    assert(strlen(s->date) == 8);
    assert(strlen(s->signature) == 64);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    struct sigv4 s;
    if (sigv4_parse_header(p, size, &s) == 0)
        check(&s);
    if (sigv4_parse_query(p, size, &s) == 0)
        check(&s);
    char buf[16];
    int n = http_form_param(p, size, "Action", buf, sizeof(buf));
    assert(n < (int)sizeof(buf));
    if (n >= 0)
        assert(strlen(buf) == (size_t)n);
    return 0;
}
