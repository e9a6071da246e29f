/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_LAMBDA_JOBS_H
#define LAMBDAD_LAMBDA_JOBS_H

/* The write job of the control plane and the helpers every operation uses. Internal to src/lambda/.
 */

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "aws/arn.h"
#include "catalog/catalog.h"
#include "catalog/function.h"
#include "http/server.h"
#include "lambda/lambda.h"

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
    /* Loop: applies a committed version or alias write and answers (set by
     * the operation that made the job; J_LATEST jobs are applied by jobs.c). */
    void (*applied)(struct job *j);
};

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
/* Resolves path segment seg as a function (with the Qualifier query
 * parameter); sends the error and returns NULL. */
struct function *lambda_resolve(struct lambda_api *api, h2o_req_t *req, const char *seg,
                                char qual[FN_QUALIFIER_MAX + 1]);
/* Reads MaxItems (1..model_max) and Marker; sends the error and returns false. */
bool lambda_page_params(h2o_req_t *req, long model_max, long *max, char *marker, size_t cap);

#endif
