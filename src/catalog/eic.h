/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_CATALOG_EIC_H
#define LAMBDAD_CATALOG_EIC_H

/*
 * A function's event invoke configuration: how asynchronous invocations are
 * retried and where their records go (PutFunctionEventInvokeConfig and
 * friends, aws-wire.md section 1.1).
 */

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define EIC_RETRY_DEFAULT 2     /* MaximumRetryAttempts when not configured */
#define EIC_AGE_DEFAULT_S 21600 /* MaximumEventAgeInSeconds when not configured */

struct eic {
    int max_retry;        /* MaximumRetryAttempts, 0-2 */
    int max_age_s;        /* MaximumEventAgeInSeconds, 60-21600 */
    char on_success[512]; /* destination ARN, "" when none */
    char on_failure[512];
    int64_t last_modified_ms;
};

/* The configuration that applies when none was put. */
void eic_defaults(struct eic *out);

/* Parses a Put (base NULL: unset members take the defaults) or Update (base:
 * unset members keep base's values) body into *out. Returns 0, or
 * ERR_VALIDATION / ERR_INVALID_PARAMETER / ERR_INVALID_CONTENT with the AWS
 * text in msg. */
int eic_parse(const cJSON *body, const struct eic *base, struct eic *out, char *msg, size_t msgcap);

/* Returns new JSON (free with cJSON_Delete) in AWS's FunctionEventInvokeConfig shape. */
cJSON *eic_json(const struct eic *e, const char *function_arn);

/* Serialises for the store / parses what was stored (0 or -EINVAL). */
char *eic_store_json(const struct eic *e);
int eic_from_store(const char *json, struct eic *out);

/* True if arn is a destination lambdad accepts: a Lambda function, SQS
 * queue, SNS topic or EventBridge event bus ARN. */
int eic_valid_destination(const char *arn);

#endif
