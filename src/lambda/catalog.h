/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_LAMBDA_CATALOG_H
#define LAMBDAD_LAMBDA_CATALOG_H

/*
 * The in-memory catalog of functions, loaded from the store at start-up and
 * kept in step with it by the control plane: an array sorted by name, so
 * lookups are a binary search and ListFunctions pages in name order. Loop
 * thread only.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"

struct function;

/* An alias: a name for a version, optionally sending a share of the
 * traffic to a second version (RoutingConfig.AdditionalVersionWeights). */
struct alias {
    char name[FN_QUALIFIER_MAX + 1];
    char version[12];       /* "$LATEST" or a published version number */
    char extra_version[12]; /* "" when no traffic is split */
    double extra_weight;    /* share of invocations for extra_version, 0-1 */
    char description[FN_DESCRIPTION_MAX + 1];
    char revision_id[37];
};

/* The published versions and aliases of one function. */
struct catalog_versions {
    struct function **v; /* published versions in order; each holds one reference */
    size_t n;
    int last; /* highest version number ever published (numbers are never reused) */
    struct alias *aliases;
    size_t naliases;
};

struct catalog {
    struct function **fns;         /* $LATEST, sorted by name; each holds one reference */
    struct catalog_versions *vers; /* vers[i] belongs to fns[i] */
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

/* The versions and aliases of function name (borrowed), or NULL. */
struct catalog_versions *catalog_versions(const struct catalog *c, const char *name);

/* Published version ver ("1", "2", ...) of function name, borrowed, or NULL. */
struct function *catalog_version(const struct catalog *c, const char *name, const char *ver);

/* Adds published version fn (fn->version set, numbers increasing); takes a reference. */
void catalog_add_version(struct catalog *c, struct function *fn);

/* Removes published version ver of name. */
void catalog_remove_version(struct catalog *c, const char *name, const char *ver);

/* The alias called alias of function name (borrowed), or NULL. */
struct alias *catalog_alias(const struct catalog *c, const char *name, const char *alias);

/* Inserts or replaces alias a (copied) of function name, which must exist. */
void catalog_put_alias(struct catalog *c, const char *name, const struct alias *a);

/* Removes alias of function name. */
void catalog_remove_alias(struct catalog *c, const char *name, const char *alias);

/* Resolves name plus qualifier ("" or "$LATEST", a version number, or an
 * alias) to a snapshot (borrowed). For an alias that splits traffic, route
 * picks the version by its weight (random); otherwise the primary version is
 * used. Returns 0 or ERR_NOT_FOUND. */
int catalog_resolve(const struct catalog *c, const char *name, const char *qualifier, bool route,
                    struct function **out);

/* Sum of the code sizes of all functions, in bytes. */
int64_t catalog_code_bytes(const struct catalog *c);

void catalog_fini(struct catalog *c);

#endif
