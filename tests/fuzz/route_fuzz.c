/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: HTTP API route keys and route selection. The input is
 * "key\nMETHOD path" (a missing part is empty). A key that parses must
 * parse again from its own text, and selection must return a valid index
 * whose parameter values are slices of the request path.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gateway/route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *nl = memchr(s, '\n', size);
    size_t klen = nl != NULL ? (size_t)(nl - s) : size;
    static struct gw_route_key keys[2];
    if (gw_route_key_parse(s, klen, &keys[0]) != 0)
        return 0;
    assert(gw_route_key_parse(keys[0].text, strlen(keys[0].text), &keys[1]) == 0);
    assert(keys[1].nseg == keys[0].nseg && keys[1].is_default == keys[0].is_default);
    gw_route_key_parse("$default", 8, &keys[1]);
    if (nl == NULL)
        return 0;
    const char *req = nl + 1, *end = s + size;
    const char *sp = memchr(req, ' ', (size_t)(end - req));
    if (sp == NULL)
        return 0;
    const char *path = sp + 1;
    size_t plen = (size_t)(end - path);
    const struct gw_route_key *ptrs[2] = {&keys[0], &keys[1]};
    struct gw_match m;
    int i = gw_route_select(ptrs, 2, req, (size_t)(sp - req), path, plen, &m);
    assert(i >= -1 && i <= 1);
    if (i == 0)
        for (int p = 0; p < m.nparams; p++)
            assert(m.params[p].value >= path && m.params[p].value + m.params[p].value_len <= end);
    return 0;
}
