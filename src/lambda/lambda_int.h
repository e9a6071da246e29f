/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_LAMBDA_LAMBDA_INT_H
#define LAMBDAD_LAMBDA_LAMBDA_INT_H

/*
 * What the files of the Lambda control plane share: the write job and the
 * operations one file routes to another. Not for use outside src/lambda/.
 */

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "aws/arn.h"
#include "catalog/catalog.h"
#include "catalog/function.h"
#include "lambda/api.h"

/* A control-plane write: validated on the loop, stored by a worker, applied
 * to the catalog and answered back on the loop (jobs.c). */
struct job {
    struct lambda_api *api;
    h2o_req_t *req;
    int status;          /* HTTP status on success */
    struct function *fn; /* the new snapshot (a reference), or NULL for delete */
    char name[FN_NAME_MAX + 1];
    const char *zip_b64; /* borrowed from the request body */
    size_t zip_b64_len;
    char *store_json; /* what the worker writes */
    cJSON *body;      /* the parsed request (owned) */
    int rc;
    char msg[512];
    bool create;
    bool empty_reply;    /* answer with no body (tag operations) */
    bool reply_reserved; /* answer {ReservedConcurrentExecutions} */
    enum { J_LATEST, J_VERSION_ADD, J_VERSION_DELETE, J_ALIAS_PUT, J_ALIAS_DELETE } kind;
    char key[FN_NAME_MAX + FN_QUALIFIER_MAX + 2]; /* store key of a version or alias */
    char **keys; /* deleting a function: the store keys of its versions and aliases */
    size_t nkeys;
    struct alias alias;         /* J_ALIAS_PUT / J_ALIAS_DELETE */
    int publish;                /* Publish: true on Create/UpdateFunctionCode: the version number */
    struct function *published; /* that version, once stored */
};

/* ---- invoke.c ---- */
/* Resolves ref (+ the Qualifier query parameter: $LATEST, a version or an
 * alias) to a function snapshot. route: an alias that splits traffic picks
 * a version by weight (Invoke); else its primary version is used. Returns 0
 * and the borrowed snapshot and the qualifier as given, or sends the AWS
 * error and returns the code. */
int lambda_resolve_ref(struct lambda_api *api, h2o_req_t *req, const struct fn_ref *ref, bool route,
                       struct function **out, char qualifier[FN_QUALIFIER_MAX + 1]);
/* Invoke for the function reference ref (parsed from the path); answers now
 * or when the invocation finishes. */
void lambda_invoke(struct lambda_api *api, h2o_req_t *req, const struct fn_ref *ref);
/* The legacy InvokeAsync (POST /2014-11-13/functions/{F}/invoke-async). */
void lambda_invoke_async(struct lambda_api *api, h2o_req_t *req, const struct fn_ref *ref);

/* ---- api.c ---- */
struct function *lambda_resolve(struct lambda_api *api, h2o_req_t *req, const char *seg,
                                char qual[FN_QUALIFIER_MAX + 1]);
/* ---- configs.c ---- */
void lambda_eic_op(struct lambda_api *api, h2o_req_t *req, struct function *fn, const char *qual);
void lambda_eic_list(struct lambda_api *api, h2o_req_t *req, struct function *fn);
void lambda_pc_apply(struct lambda_api *api, const char *name, const char *qual, unsigned n);
void lambda_pc_op(struct lambda_api *api, h2o_req_t *req, const char *seg);
void lambda_furl_key(const char *name, const char *qual, char *buf, size_t cap);
void lambda_furl_op(struct lambda_api *api, h2o_req_t *req, const char *seg, bool list);
/* ---- functions.c ---- */
void lambda_create_function(struct lambda_api *api, h2o_req_t *req);
void lambda_update_code(struct lambda_api *api, h2o_req_t *req, struct function *fn);
void lambda_update_config(struct lambda_api *api, h2o_req_t *req, struct function *fn);
void lambda_delete_function(struct lambda_api *api, h2o_req_t *req, struct function *fn,
                            const char *qual);
void lambda_get_function(struct lambda_api *api, h2o_req_t *req, struct function *fn, bool full);
bool lambda_page_params(h2o_req_t *req, long model_max, long *max, char *marker, size_t cap);
void lambda_list_functions(struct lambda_api *api, h2o_req_t *req);
void lambda_account_settings(struct lambda_api *api, h2o_req_t *req);
void lambda_serve_code(struct lambda_api *api, h2o_req_t *req, const char *file);
void lambda_tags_op(struct lambda_api *api, h2o_req_t *req, struct function *fn);
void lambda_concurrency_op(struct lambda_api *api, h2o_req_t *req, struct function *fn);
/* ---- jobs.c ---- */
bool lambda_is_busy(const struct lambda_api *api, const char *name);
void lambda_set_busy(struct lambda_api *api, const char *name);
void lambda_clear_busy(struct lambda_api *api, const char *name);
int lambda_reserved_sum(const struct lambda_api *api, const char *skip);
void lambda_update_reserved_total(struct lambda_api *api);
void lambda_job_free(struct job *j);
void lambda_gc_code(struct lambda_api *api, const char *hex);
struct job *lambda_job_new(struct lambda_api *api, h2o_req_t *req, const char *name);
void lambda_job_start(struct job *j);
cJSON *lambda_parse_body(h2o_req_t *req, size_t max, const char *op);
void lambda_send_in_progress(h2o_req_t *req, const struct function *fn);
bool lambda_revision_ok(h2o_req_t *req, const cJSON *body, const struct function *fn);
bool lambda_take_zip(h2o_req_t *req, const cJSON *code, struct job *j);
bool lambda_bind_layers(struct lambda_api *api, h2o_req_t *req, struct function *fn);
/* ---- layer_api.c ---- */
bool lambda_route_layers(struct lambda_api *api, h2o_req_t *req, const struct http_path *p);
/* ---- versions.c ---- */
char *lambda_alias_store_json(const struct alias *a);
int lambda_alias_from_store(const char *json, struct alias *out);
void lambda_qualified_done(struct job *j);
void lambda_publish_version(struct lambda_api *api, h2o_req_t *req, struct function *latest);
void lambda_list_versions(struct lambda_api *api, h2o_req_t *req, struct function *latest);
void lambda_aliases_op(struct lambda_api *api, h2o_req_t *req, struct function *latest);
void lambda_alias_op(struct lambda_api *api, h2o_req_t *req, struct function *latest,
                     const char *name);
void lambda_delete_version(struct lambda_api *api, h2o_req_t *req, struct function *ver);

#endif
