/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_LAMBDA_CATALOG_H
#define LAMBDAD_LAMBDA_CATALOG_H

/*
 * The in-memory catalog of functions, loaded from the store at start-up and
 * kept in step with it by the control plane: an array sorted by name, so
 * lookups are a binary search and ListFunctions pages in name order. Loop
 * thread only.
 */

#include <stddef.h>
#include <stdint.h>

struct function;

struct catalog {
    struct function **fns; /* sorted by name; each holds one reference */
    size_t len;
    size_t cap;
};

/* The function called name, borrowed, or NULL. */
struct function *catalog_find(const struct catalog *c, const char *name);

/* Inserts fn, or replaces the function of the same name. Takes a reference. */
void catalog_put(struct catalog *c, struct function *fn);

/* Removes the function called name (dropping the catalog's reference). */
void catalog_remove(struct catalog *c, const char *name);

/* Index of the first function whose name sorts after marker ("" = start). */
size_t catalog_after(const struct catalog *c, const char *marker);

/* Sum of the code sizes of all functions, in bytes. */
int64_t catalog_code_bytes(const struct catalog *c);

void catalog_fini(struct catalog *c);

#endif
