/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_CATALOG_LAYERS_H
#define LAMBDAD_CATALOG_LAYERS_H

/*
 * Lambda layers: versioned zip packages that functions mount at /opt. A
 * layer version's content is a code package like a function's (stored once
 * by SHA-256, unpacked once). The registry is in memory, loaded from the
 * store. Loop thread only.
 */

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"

#define LAYER_NAME_MAX 140

struct layer_version {
    char name[LAYER_NAME_MAX + 1];
    int version;
    char hex[65];     /* SHA-256 of the zip, hex (blob key) */
    char b64[45];     /* the same, base64 (CodeSha256) */
    int64_t size;     /* bytes of the zip */
    char created[32]; /* CreatedDate, ISO-8601 */
    char *description;
    char *license;
    cJSON *runtimes;      /* CompatibleRuntimes (array) or NULL */
    cJSON *architectures; /* CompatibleArchitectures (array) or NULL */
};

struct layers {
    struct layer_version **v; /* in (name, version) order */
    size_t n;
    struct layer_counter {
        char name[LAYER_NAME_MAX + 1];
        int last; /* highest version ever published */
    } * counters;
    size_t ncounters;
};

/* Validates a PublishLayerVersion body (borrowed) into a new version without
 * content (free with layer_free). Returns 0 or ERR_* with the AWS text in msg. */
int layer_from_publish(const cJSON *body, const char *name, struct layer_version **out, char *msg,
                       size_t cap);
void layer_free(struct layer_version *l);

/* AWS's PublishLayerVersion/GetLayerVersion response; returns new JSON. */
cJSON *layer_json(const struct layer_version *l, const char *region, const char *account,
                  const char *location);

/* The layer version ARN / layer ARN into buf. */
const char *layer_arn(const char *name, int version, const char *region, const char *account,
                      char *buf, size_t cap);

/* Store form and its parser (NULL if damaged). */
char *layer_store_json(const struct layer_version *l);
struct layer_version *layer_from_store(const char *json);

/* Registry. */
struct layer_version *layers_find(const struct layers *ls, const char *name, int version);
void layers_add(struct layers *ls, struct layer_version *l); /* takes l */
void layers_remove(struct layers *ls, const char *name, int version);
int layers_next_version(struct layers *ls, const char *name);
void layers_note_version(struct layers *ls, const char *name, int version);
int layers_parse_arn(const char *arn, char name[LAYER_NAME_MAX + 1], int *version);
void layers_fini(struct layers *ls);

#endif
