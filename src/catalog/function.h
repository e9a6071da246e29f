/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_CATALOG_FUNCTION_H
#define LAMBDAD_CATALOG_FUNCTION_H

/*
 * A function's configuration as an immutable, reference-counted snapshot.
 * An update builds a new snapshot and swaps it into the catalog; instances
 * keep a reference to the snapshot they were started from, so in-flight
 * invocations finish on the old code and configuration.
 */

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"
#include "catalog/runtimes.h"

/* A layer a function uses, resolved to its code package. */
struct fn_layer {
    char arn[256]; /* layer version ARN */
    char hex[65];  /* its code package (blob key) */
    int64_t size;  /* bytes of its zip */
};

struct function {
    unsigned refs;
    char *name;
    char *arn; /* arn:aws:lambda:<region>:<account>:function:<name> */
    char *runtime;
    const struct runtime_info *rt;
    char *handler;
    char *role;
    char *description;
    int timeout_s;
    int memory_mb;
    int ephemeral_mb;
    cJSON *env;        /* {"KEY":"value"}, or NULL; owned */
    cJSON *tags;       /* {"key":"value"}, or NULL; owned */
    char arch[8];      /* "x86_64" or "arm64" */
    int reserved;      /* reserved concurrency, or -1 when none is set */
    char dlq[512];     /* DeadLetterConfig.TargetArn, "" when none */
    char tracing[12];  /* "PassThrough" or "Active" */
    char code_hex[65]; /* SHA-256 of the zip, hex (blob key) */
    char code_b64[45]; /* the same, base64 (CodeSha256) */
    int64_t code_size; /* bytes of the zip */
    char last_modified[32];
    char revision_id[37];
    char version[12];         /* "$LATEST", or the published version number */
    char source_revision[37]; /* a version: the $LATEST RevisionId it was published from */
    struct fn_layer layers[FN_LAYERS_MAX]; /* in order; /opt stacks them */
    int nlayers;
};

/* Takes a reference. */
struct function *function_ref(struct function *fn);

/* Drops a reference; frees at zero. NULL is a no-op. */
void function_unref(struct function *fn);

/* Validates a CreateFunction body (borrowed) and returns a new function
 * (refs = 1) in *out without code fields. On failure returns ERR_VALIDATION,
 * ERR_INVALID_PARAMETER or ERR_INVALID_CONTENT with the AWS text in msg. */
int function_from_create(const cJSON *body, const char *region, const char *account,
                         struct function **out, char *msg, size_t msgcap);

/* Validates an UpdateFunctionConfiguration body and returns a new snapshot:
 * old with the changes applied, a new RevisionId and LastModified. */
int function_apply_update(const struct function *old, const cJSON *body, struct function **out,
                          char *msg, size_t msgcap);

/* Returns a new snapshot of old with new code, RevisionId and LastModified. */
struct function *function_with_code(const struct function *old, const char *hex, const char *b64,
                                    int64_t size);

/* Validates a Tags object (borrowed) as AWS does: at most 50 tags, keys of
 * 1-128 and values of 0-256 characters, no "aws:" prefix. Returns 0, or
 * ERR_INVALID_PARAMETER / ERR_INVALID_CONTENT with the text in msg. */
int function_check_tags(const cJSON *tags, char *msg, size_t msgcap);

/* Returns a new snapshot of old whose tags are old's merged with add (may be
 * NULL) minus the keys in remove (an array of strings, may be NULL). Tags do
 * not change RevisionId or LastModified. */
struct function *function_with_tags(const struct function *old, const cJSON *add,
                                    const cJSON *remove);

/* Returns a new snapshot of old with reserved concurrency n (-1: none). Like
 * tags, it does not change RevisionId or LastModified. */
struct function *function_with_reserved(const struct function *old, int n);

/* Returns a new immutable version snapshot of latest numbered version, with
 * description (NULL: latest's) and a RevisionId of its own. */
struct function *function_publish(const struct function *latest, int version,
                                  const char *description);

/* The function's ARN with its version as qualifier (published versions), or
 * unqualified ($LATEST), into buf. */
const char *function_qualified_arn(const struct function *fn, char *buf, size_t cap);

/* Stamps a fresh RevisionId and LastModified on a snapshot being built. */
void function_touch(struct function *fn);

/* Returns new FunctionConfiguration JSON (free with cJSON_Delete). */
cJSON *function_config_json(const struct function *fn);

/* Serialises fn for the store (FunctionConfiguration plus internal fields);
 * returns new text (free with free). */
char *function_store_json(const struct function *fn);

/* Parses a stored configuration. Returns a new function or NULL if damaged. */
struct function *function_from_store(const char *json);

#endif
