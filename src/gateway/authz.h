/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_GATEWAY_AUTHZ_H
#define LAMBDAD_GATEWAY_AUTHZ_H

/*
 * Lambda authorizer answers (aws-wire.md 6.3): a simple response
 * {"isAuthorized": bool, "context": {...}} (HTTP APIs, payload 2.0 with
 * enableSimpleResponses) or an IAM policy {"principalId", "policyDocument":
 * {"Statement": [{"Effect", "Action", "Resource"}]}, "context"}, judged for
 * execute-api:Invoke on a route or method ARN. Pure functions, any thread.
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* The verdict of an IAM policy response on Invoke of arn: 1 when a statement
 * allows it, -1 when one denies it (a Deny wins), 0 when none applies.
 * Action and Resource match with IAM's '*' and '?' wildcards. */
int gw_policy_verdict(const cJSON *resp, const char *arn);

/* Judges the authorizer's response text (len bytes): returns 1 allowed (with
 * *context, a copy of its context object or NULL, and *principal, a copy of
 * principalId or NULL: free both), 0 denied, -1 malformed. simple: expect
 * a simple response rather than a policy. */
int gw_authorizer_verdict(const char *text, size_t len, bool simple, const char *arn,
                          cJSON **context, char **principal);

#endif
