/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_GATEWAY_FUNCURL_H
#define LAMBDAD_GATEWAY_FUNCURL_H

/*
 * Lambda function URLs: requests whose Host is
 * {url-id}.lambda-url[.anything].localhost[:port] go to the function of
 * that URL configuration as a payload 2.0 event, as AWS sends it; CORS
 * preflights are answered from the URL's Cors, and an AWS_IAM URL wants a
 * SigV4 Authorization header. Loop thread.
 */

#include <stdbool.h>

#include "http/server.h"

struct gateway;

/* Handles req if its Host names a function URL; returns true if it did
 * (answered now or when the function returns). */
bool gw_funcurl_handle(struct gateway *gw, h2o_req_t *req);

#endif
