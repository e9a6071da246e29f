/* SPDX-License-Identifier: MIT */
/*
 * A sorted array of function snapshots. Inserts are O(n) moves, which is
 * cheap for the thousands of functions one node holds; lookups and list
 * positions are binary searches.
 */
#include "catalog.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/function.h"

/* Index where name is or would be inserted; *found says which. */
static size_t search(const struct catalog *c, const char *name, bool *found)
{
    size_t lo = 0, hi = c->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(c->fns[mid]->name, name);
        if (cmp == 0) {
            *found = true;
            return mid;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

struct function *catalog_find(const struct catalog *c, const char *name)
{
    bool found;
    size_t i = search(c, name, &found);
    return found ? c->fns[i] : NULL;
}

void catalog_put(struct catalog *c, struct function *fn)
{
    bool found;
    size_t i = search(c, fn->name, &found);
    function_ref(fn);
    if (found) {
        function_unref(c->fns[i]);
        c->fns[i] = fn;
        return;
    }
    if (c->len == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct function **fns = realloc(c->fns, cap * sizeof(*fns));
        if (fns == NULL)
            abort();
        c->fns = fns;
        c->cap = cap;
    }
    memmove(&c->fns[i + 1], &c->fns[i], (c->len - i) * sizeof(*c->fns));
    c->fns[i] = fn;
    c->len++;
}

void catalog_remove(struct catalog *c, const char *name)
{
    bool found;
    size_t i = search(c, name, &found);
    if (!found)
        return;
    function_unref(c->fns[i]);
    memmove(&c->fns[i], &c->fns[i + 1], (c->len - i - 1) * sizeof(*c->fns));
    c->len--;
}

size_t catalog_after(const struct catalog *c, const char *marker)
{
    bool found;
    size_t i = search(c, marker, &found);
    return found ? i + 1 : i;
}

int64_t catalog_code_bytes(const struct catalog *c)
{
    int64_t sum = 0;
    for (size_t i = 0; i < c->len; i++)
        sum += c->fns[i]->code_size;
    return sum;
}

void catalog_fini(struct catalog *c)
{
    for (size_t i = 0; i < c->len; i++)
        function_unref(c->fns[i]);
    free(c->fns);
    memset(c, 0, sizeof(*c));
}
