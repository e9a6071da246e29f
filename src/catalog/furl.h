/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_CATALOG_FURL_H
#define LAMBDAD_CATALOG_FURL_H

/*
 * Function URL configurations (CreateFunctionUrlConfig and friends,
 * aws-wire.md section 1.1): one per function ($LATEST) or alias, each with
 * its own URL id. Parsing and the JSON shapes; the control plane keeps them
 * (lambda/api.c) and the gateway serves their URLs.
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/limits.h"

#define FURL_ID_LEN 32 /* lowercase letters and digits, as AWS's url-id */

struct furl {
    char name[FN_NAME_MAX + 1];
    char qualifier[FN_QUALIFIER_MAX + 1]; /* "$LATEST" or an alias */
    char id[FURL_ID_LEN + 1];
    bool iam;       /* AuthType AWS_IAM, else NONE */
    bool streaming; /* InvokeMode RESPONSE_STREAM, else BUFFERED */
    cJSON *cors;    /* Cors as accepted (owned), or NULL */
    char created[32];
    char modified[32];
};

/* Parses a Create (base NULL: AuthType required) or Update (base: absent
 * members keep base's values) body into *out (name, qualifier, id and times
 * are the caller's). Returns 0, or ERR_VALIDATION / ERR_INVALID_PARAMETER
 * with AWS's text in msg. out->cors is new (free with furl_clear). */
int furl_parse(const cJSON *body, const struct furl *base, struct furl *out, char *msg, size_t cap);

/* Returns new JSON (free with cJSON_Delete) in AWS's shape for u: FunctionUrl
 * (url), FunctionArn (fn_arn), AuthType, Cors, CreationTime, InvokeMode, and
 * LastModifiedTime when with_modified. */
cJSON *furl_json(const struct furl *u, const char *fn_arn, const char *url, bool with_modified);

/* Serialises for the store / parses what was stored (0 or -EINVAL; name and
 * qualifier are the caller's). */
char *furl_store_json(const struct furl *u);
int furl_from_store(const char *json, struct furl *out);

/* A fresh URL id. */
void furl_new_id(char out[FURL_ID_LEN + 1]);

/* Frees what u owns (its cors). */
void furl_clear(struct furl *u);

/* The store key of name's URL configuration for qual: "name^qual". */
void furl_store_key(const char *name, const char *qual, char *buf, size_t cap);

#endif
