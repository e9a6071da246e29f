/* SPDX-License-Identifier: MIT */
/*
 * Integrations (see integration.h). An AWS_PROXY event goes to the
 * function through the scheduler (invoke_submit) with the
 * integration's timeoutInMillis as the call's own deadline: when it fires
 * first, the client gets 504 and the invocation's result is dropped when it
 * arrives. A REST API's answer with isBase64Encoded is sent as binary only
 * when binaryMediaTypes covers the request's Accept or the answer's
 * Content-Type, else as the base64 text.
 */
#include "integration.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/util.h"
#include "gateway/call.h"
#include "gateway/forward.h"
#include "gateway/model.h"
#include "invoke/invoke.h"
#include "invoke/sched.h"

/* A REST API sends a base64 body as binary only when binaryMediaTypes has
 * the request's Accept type or the response's Content-Type. */
static bool binary_wanted(const struct gw_call *c, const struct gw_response *r)
{
    for (const char *p = c->accept; p != NULL && *p != '\0';) {
        while (*p == ' ')
            p++;
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (gw_media_type_in(c->binary_types, p, n))
            return true;
        p = comma != NULL ? comma + 1 : NULL;
    }
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, "content-type") == 0 &&
            gw_media_type_in(c->binary_types, r->headers[i].value, strlen(r->headers[i].value)))
            return true;
    return false;
}

/* Puts the (decoded) body of r back into base64 text. */
static void rebase64(struct gw_response *r)
{
    char *enc = xmalloc(b64_encoded_len(r->body_len));
    size_t n = b64_encode(r->body != NULL ? r->body : "", r->body_len, enc);
    free(r->body);
    r->body = enc;
    r->body_len = n;
}

static void on_invoked(void *arg, const struct invoke_done *d)
{
    struct gw_call *c = arg;
    if (c->req == NULL) { /* answered by the timeout */
        gw_call_free(c);
        return;
    }
    struct gw_response r;
    if (d->status != 0) {
        log_warn("msg=\"integration failed\" fn=%s err=%s", d->arn, err_str(d->status));
        gw_call_answer(c, 500, c->fl->internal);
    } else if (d->inv->function_error ||
               gw_response_map(c->version, d->inv->result != NULL ? d->inv->result : "",
                               d->inv->result_len, &r) != 0) {
        gw_call_answer(c, 502, c->fl->internal);
    } else {
        if (r.base64 && c->fl == &gw_rest_api && !binary_wanted(c, &r))
            rebase64(&r);
        gw_call_send(c, &r);
        gw_response_free(&r);
    }
    gw_call_free(c);
}

void gw_integration_run(struct gateway *gw, h2o_req_t *req, const struct gw_flavor *fl,
                        const char *rid, const cJSON *cors, const struct gw_integration *in,
                        struct gw_request *r)
{
    if (strcmp(in->type, "HTTP_PROXY") == 0) {
        struct gw_call *c = gw_call_new(gw, req, fl, rid, cors);
        c->resp_params = cJSON_Duplicate(in->resp_params, true);
        struct gw_mapping mp = {.params = in->params, .m = r->m, .vars = r->stage_vars, .rid = rid};
        gw_forward(c, in->uri, in->method, &mp, in->timeout_ms);
        return;
    }
    struct fn_ref ref;
    struct function *fn = NULL;
    if (strcmp(in->type, "AWS_PROXY") != 0 ||
        (in->version == 0 && strcmp(in->method, "POST") != 0) ||
        gw_lambda_uri(in->uri, &ref) != 0 || invoke_lookup(gw->invoke, &ref, true, &fn) != 0) {
        log_warn("msg=\"integration cannot run\" api=%s type=%s", r->api_id, in->type);
        gw_answer_message(req, fl, rid, 500, fl->internal);
        return;
    }
    struct gw_call *c = gw_call_new(gw, req, fl, rid, cors);
    c->version = in->version;
    c->resp_params = cJSON_Duplicate(in->resp_params, true);
    if (r->rest) {
        const h2o_iovec_t *accept = http_req_header(req, "accept");
        c->binary_types = cJSON_Duplicate(r->binary_types, true);
        c->accept = accept != NULL ? strndup(accept->base, accept->len) : NULL;
    }
    if (!gw_call_event(c, r) || c->event_len > INVOKE_PAYLOAD_MAX_BYTES) {
        gw_call_answer(c, 413, "Request Entity Too Large");
    } else if (invoke_submit(gw->invoke, fn,
                             &(struct invoke_params){.qualifier = ref.qualifier,
                                                     .payload = c->event,
                                                     .len = c->event_len},
                             on_invoked, c) != 0) {
        gw_call_answer(c, 500, fl->internal);
    } else {
        gw_call_arm(c, in->timeout_ms);
        return;
    }
    gw_call_free(c);
}
