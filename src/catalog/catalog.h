/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_CATALOG_CATALOG_H
#define LAMBDAD_CATALOG_CATALOG_H

/*
 * The function model in memory: functions (an array sorted by name, so
 * lookups are a binary search and ListFunctions pages in name order), their
 * versions and aliases, the layer registry, event invoke configurations and
 * function URL configurations. Loaded from the store at start-up and kept in
 * step with it by the control plane (src/lambda/), which changes it only
 * after the store has committed. Modules below the control plane (the
 * scheduler, the async queue, the gateway) read it and learn of changes
 * through catalog_watch(). Loop thread only.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"
#include "catalog/eic.h"
#include "catalog/furl.h"
#include "catalog/layers.h"

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

/* The store form of alias a (returns new JSON text, free with free) and its
 * parser (0, or -EINVAL for a damaged record). */
char *alias_store_json(const struct alias *a);
int alias_from_store(const char *json, struct alias *out);

/* The published versions and aliases of one function. */
struct catalog_versions {
    struct function **v; /* published versions in order; each holds one reference */
    size_t n;
    int last; /* highest version number ever published (numbers are never reused) */
    struct alias *aliases;
    size_t naliases;
};

/* The event invoke configuration of one qualifier of a function. */
struct catalog_eic {
    char name[FN_NAME_MAX + 1];
    char qualifier[FN_QUALIFIER_MAX + 1]; /* $LATEST, a version or an alias */
    struct eic eic;
};

/* Who hears of changes: changed(arg, key, fn) after the snapshot stored under
 * key ("name" for $LATEST, "name:3" for a version) was replaced by fn
 * (borrowed) or removed (fn NULL); deleted(arg, name) after the whole
 * function went. Either may be NULL. */
struct catalog_watcher {
    void (*changed)(void *arg, const char *key, struct function *fn);
    void (*deleted)(void *arg, const char *name);
    void *arg;
};

#define CATALOG_WATCHERS_MAX 4

struct catalog {
    struct function **fns;         /* $LATEST, sorted by name; each holds one reference */
    struct catalog_versions *vers; /* vers[i] belongs to fns[i] */
    size_t len;
    size_t cap;
    struct layers layers;     /* published layer versions */
    struct catalog_eic *eics; /* event invoke configurations */
    size_t neics;
    struct furl *furls; /* function URL configurations */
    size_t nfurls;
    struct catalog_watcher watchers[CATALOG_WATCHERS_MAX];
    size_t nwatchers;
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

/* ---- event invoke configurations ---- */

/* The configuration of name's qualifier qual ($LATEST, a version or an
 * alias), borrowed, or NULL if none was put. */
const struct eic *catalog_eic(const struct catalog *c, const char *name, const char *qual);

/* Inserts or replaces (copies) the configuration of name:qual. */
void catalog_eic_set(struct catalog *c, const char *name, const char *qual, const struct eic *e);

/* Forgets the configuration of name:qual, or every one of name (qual NULL). */
void catalog_eic_remove(struct catalog *c, const char *name, const char *qual);

/* ---- function URL configurations ---- */

/* The URL configuration of name's qualifier qual ($LATEST or an alias), or NULL. */
struct furl *catalog_furl(const struct catalog *c, const char *name, const char *qual);

/* The URL configuration whose URL id is id, borrowed, or NULL. */
const struct furl *catalog_furl_by_id(const struct catalog *c, const char *id);

/* Inserts or replaces the configuration u->name:u->qualifier; takes u's cors. */
void catalog_furl_set(struct catalog *c, struct furl *u);

/* Forgets name's URL configuration for qual, or every one of name (qual NULL). */
void catalog_furl_remove(struct catalog *c, const char *name, const char *qual);

/* ---- change notification ---- */

/* Adds a watcher (copied); at most CATALOG_WATCHERS_MAX. */
void catalog_watch(struct catalog *c, const struct catalog_watcher *w);

/* Tells every watcher that key now holds fn (NULL: removed). */
void catalog_notify_changed(struct catalog *c, const char *key, struct function *fn);

/* Tells every watcher that function name was deleted. */
void catalog_notify_deleted(struct catalog *c, const char *name);

/* Frees everything the catalog holds. */
void catalog_fini(struct catalog *c);

#endif
