/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_INVOKE_RTERR_H
#define LAMBDAD_INVOKE_RTERR_H

/*
 * The error shape of the Runtime, Extensions and Telemetry APIs, which is
 * also a function error's payload: {"errorMessage": ..., "errorType": ...}.
 */

#include "http/server.h"

/* Returns new JSON text (free with free) for type and msg. Aborts on OOM. */
char *rterr_json(const char *type, const char *msg);

/* Sends that body with status. */
void rterr_send(h2o_req_t *req, int status, const char *type, const char *msg);

#endif
