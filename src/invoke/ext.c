/* SPDX-License-Identifier: MIT */
/*
 * The Extensions API of one instance (see ext.h). Status codes and error
 * types are those of AWS's runtime interface emulator: 403 with an
 * Extension.* errorType for a request the state does not allow, 400 for a
 * body that is not the JSON asked for.
 */
#include "ext.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/util.h"
#include "invoke/rterr.h"
#include "invoke/telemetry.h"

#define PREFIX "/2020-01-01/extension/"

int ext_add_external(struct ext_set *x, const char *name)
{
    if (x->n >= EXT_MAX)
        return -ENOSPC;
    struct ext *e = &x->e[x->n++];
    memset(e, 0, sizeof(*e));
    snprintf(e->name, sizeof(e->name), "%s", name);
    e->external = true;
    e->state = "Started";
    x->external = x->n;
    return 0;
}

/* Copies header name into buf; returns false if absent, empty or too long. */
static bool header(const h2o_req_t *req, const char *name, char *buf, size_t cap)
{
    const h2o_iovec_t *v = http_req_header(req, name);
    if (v == NULL || v->len == 0 || v->len >= cap)
        return false;
    memcpy(buf, v->base, v->len);
    buf[v->len] = '\0';
    return true;
}

static bool accepts_account_id(const h2o_req_t *req)
{
    char feat[256];
    if (!header(req, "lambda-extension-accept-feature", feat, sizeof(feat)))
        return false;
    for (char *p = feat; *p != '\0';) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ", ");
        if (len == 9 && memcmp(p, "accountId", 9) == 0)
            return true;
        p += len;
    }
    return false;
}

const char *ext_parse_register(const char *body, size_t len, bool external, bool *invoke,
                               bool *shutdown, char *msg, size_t cap)
{
    *invoke = *shutdown = false;
    if (len > EXT_REQUEST_MAX_BYTES) {
        snprintf(msg, cap, "Request body too large");
        return "InvalidRequestFormat";
    }
    cJSON *doc = cJSON_ParseWithLength(body != NULL ? body : "", len);
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(doc, "events");
    const char *err = NULL;
    if (doc == NULL || !cJSON_IsObject(doc) || (events != NULL && !cJSON_IsArray(events))) {
        snprintf(msg, cap, "The request body is not a JSON object with an events array");
        err = "InvalidRequestFormat";
    } else if (cJSON_GetObjectItemCaseSensitive(doc, "configurationKeys") != NULL) {
        snprintf(msg, cap, "configurationKeys are no longer supported");
        err = "InvalidRequestFormat";
    }
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events)
    {
        if (err != NULL)
            break;
        const char *name = cJSON_GetStringValue(ev);
        if (name != NULL && strcmp(name, "INVOKE") == 0) {
            *invoke = true;
        } else if (name != NULL && strcmp(name, "SHUTDOWN") == 0 && external) {
            *shutdown = true;
        } else if (name != NULL && strcmp(name, "SHUTDOWN") == 0) {
            snprintf(msg, cap, "SHUTDOWN: ShutdownEventNotSupportedForInternalExtension");
            err = "Extension.InvalidEventType";
        } else {
            snprintf(msg, cap, "%.64s: ErrorInvalidEventType", name != NULL ? name : "?");
            err = "Extension.InvalidEventType";
        }
    }
    cJSON_Delete(doc);
    return err;
}

static enum ext_what do_register(struct ext_set *x, h2o_req_t *req, bool open,
                                 const struct ext_fn_info *fi, struct ext **which)
{
    char name[EXT_NAME_MAX + 1];
    if (!header(req, "lambda-extension-name", name, sizeof(name))) {
        rterr_send(req, 403, "Extension.InvalidExtensionName", "Empty extension name");
        return EXT_NONE;
    }
    if (!open) {
        rterr_send(req, 403, "Extension.RegistrationClosed", "Extension registration is closed");
        return EXT_NONE;
    }
    struct ext *e = NULL;
    for (int i = 0; i < x->n; i++)
        if (strcmp(x->e[i].name, name) == 0)
            e = &x->e[i];
    if (e != NULL && e->registered) {
        rterr_send(req, 403, "Extension.AlreadyRegistered", "Extension already registered");
        return EXT_NONE;
    }
    struct ext fresh;
    if (e == NULL) {
        if (x->n >= EXT_MAX) {
            rterr_send(req, 403, "Extension.TooManyExtensions", "Extension limit (10) reached");
            return EXT_NONE;
        }
        memset(&fresh, 0, sizeof(fresh));
        snprintf(fresh.name, sizeof(fresh.name), "%s", name);
        e = &fresh;
    }
    char msg[160];
    bool invoke, shutdown;
    const char *err = ext_parse_register(req->entity.base, req->entity.len, e->external, &invoke,
                                         &shutdown, msg, sizeof(msg));
    if (err != NULL) {
        rterr_send(req, err[0] == 'I' ? 400 : 403, err, msg);
        return EXT_NONE;
    }
    e->want_invoke = invoke;
    e->want_shutdown = shutdown;
    if (e == &fresh) {
        x->e[x->n] = fresh;
        e = &x->e[x->n++];
    }
    rand_uuid(e->id);
    e->registered = true;
    e->busy = true; /* init completes on its side when it asks for an event */
    e->state = "Registered";
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "functionName", fi->name);
    cJSON_AddStringToObject(o, "functionVersion", fi->version);
    cJSON_AddStringToObject(o, "handler", fi->handler);
    if (accepts_account_id(req))
        cJSON_AddStringToObject(o, "accountId", fi->account);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text == NULL)
        abort();
    http_header(req, "lambda-extension-identifier", e->id, 36);
    http_send(req, 200, "application/json", text, strlen(text));
    free(text);
    *which = e;
    return EXT_REGISTERED;
}

static void send_event(h2o_req_t *req, const char *json, size_t len)
{
    char id[37];
    rand_uuid(id);
    http_header(req, "lambda-extension-event-identifier", id, 36);
    http_send(req, 200, "application/json", json, len);
}

static enum ext_what do_next(struct ext *e, h2o_req_t *req, struct ext **which)
{
    if (e->next_req != NULL || e->state == NULL || strcmp(e->state, "InitError") == 0 ||
        strcmp(e->state, "ExitError") == 0) {
        char msg[160];
        snprintf(msg, sizeof(msg),
                 "State transition from %s to Ready failed for extension %s. Error: State "
                 "transition is not allowed",
                 e->next_req != NULL ? "Ready" : e->state, e->id);
        rterr_send(req, 403, "Extension.InvalidExtensionState", msg);
        return EXT_NONE;
    }
    e->state = "Ready";
    if (e->queued != NULL) {
        /* An event came while it was busy: it gets it now and stays busy. */
        send_event(req, e->queued, e->queued_len);
        free(e->queued);
        e->queued = NULL;
        return EXT_NONE;
    }
    e->next_req = req;
    bool was_busy = e->busy;
    e->busy = false;
    *which = e;
    return was_busy ? EXT_WAITING : EXT_NONE;
}

static enum ext_what do_error(struct ext *e, h2o_req_t *req, bool init, struct ext **which)
{
    if (!header(req, "lambda-extension-function-error-type", e->error_type,
                sizeof(e->error_type))) {
        rterr_send(req, 403, "Extension.MissingHeader",
                   "Missing Lambda-Extension-Function-Error-Type header");
        return EXT_NONE;
    }
    if (init && strcmp(e->state, "Registered") != 0 && strcmp(e->state, "Ready") != 0) {
        char msg[160];
        snprintf(msg, sizeof(msg),
                 "State transition from %s to InitError failed for extension %s. Error: State "
                 "transition is not allowed",
                 e->state, e->id);
        rterr_send(req, 403, "Extension.InvalidExtensionState", msg);
        return EXT_NONE;
    }
    e->state = init ? "InitError" : "ExitError";
    http_send(req, 202, "application/json", "{\"status\":\"OK\"}", 15);
    *which = e;
    return init ? EXT_INIT_ERROR : EXT_EXIT_ERROR;
}

struct ext *ext_lookup(struct ext_set *x, h2o_req_t *req)
{
    char id[40];
    if (!header(req, "lambda-extension-identifier", id, sizeof(id))) {
        rterr_send(req, 403, "Extension.MissingExtensionIdentifier",
                   "Missing Lambda-Extension-Identifier header");
        return NULL;
    }
    for (int i = 0; i < x->n; i++)
        if (x->e[i].registered && strcmp(x->e[i].id, id) == 0)
            return &x->e[i];
    char msg[80];
    snprintf(msg, sizeof(msg), "Unknown extension %s", id);
    rterr_send(req, 403, "Extension.UnknownExtensionIdentifier", msg);
    return NULL;
}

enum ext_what ext_handle(struct ext_set *x, h2o_req_t *req, size_t plen, bool open,
                         const struct ext_fn_info *fi, struct ext **which)
{
    *which = NULL;
    size_t pl = sizeof(PREFIX) - 1;
    const char *op = req->path.base + pl;
    size_t oplen = plen - pl;
    bool get = http_method_is(req, "GET"), post = http_method_is(req, "POST");
    if (post && oplen == 8 && memcmp(op, "register", 8) == 0)
        return do_register(x, req, open, fi, which);
    bool next = get && oplen == 10 && memcmp(op, "event/next", 10) == 0;
    bool init_err = post && oplen == 10 && memcmp(op, "init/error", 10) == 0;
    bool exit_err = post && oplen == 10 && memcmp(op, "exit/error", 10) == 0;
    if (!next && !init_err && !exit_err) {
        rterr_send(req, 404, "InvalidRequest", "Unknown Extensions API path");
        return EXT_NONE;
    }
    struct ext *e = ext_lookup(x, req);
    if (e == NULL)
        return EXT_NONE;
    if (next)
        return do_next(e, req, which);
    return do_error(e, req, init_err, which);
}

bool ext_all_registered(const struct ext_set *x)
{
    for (int i = 0; i < x->external; i++)
        if (!x->e[i].registered)
            return false;
    return true;
}

bool ext_all_waiting(const struct ext_set *x)
{
    if (!ext_all_registered(x))
        return false;
    for (int i = 0; i < x->n; i++)
        if (x->e[i].registered && x->e[i].busy)
            return false;
    return true;
}

int ext_shutdown_listeners(const struct ext_set *x)
{
    int n = 0;
    for (int i = 0; i < x->n; i++)
        if (x->e[i].registered && x->e[i].want_shutdown && !x->e[i].exited)
            n++;
    return n;
}

int ext_broadcast(struct ext_set *x, bool shutdown, const char *json, size_t len)
{
    int n = 0;
    for (int i = 0; i < x->n; i++) {
        struct ext *e = &x->e[i];
        if (!e->registered || e->exited || !(shutdown ? e->want_shutdown : e->want_invoke))
            continue;
        n++;
        e->busy = true;
        if (e->next_req != NULL) {
            h2o_req_t *req = e->next_req;
            e->next_req = NULL;
            send_event(req, json, len);
            continue;
        }
        free(e->queued);
        e->queued = xmalloc(len);
        memcpy(e->queued, json, len);
        e->queued_len = len;
    }
    return n;
}

size_t ext_log_line(const struct ext *e, char *buf, size_t cap)
{
    const char *events = e->want_invoke && e->want_shutdown ? "INVOKE,SHUTDOWN"
                         : e->want_invoke                   ? "INVOKE"
                         : e->want_shutdown                 ? "SHUTDOWN"
                                                            : "";
    int n = snprintf(buf, cap, "EXTENSION\tName: %s\tState: %s\tEvents: [%s]", e->name, e->state,
                     events);
    if (n < 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

void ext_release(struct ext_set *x)
{
    for (int i = 0; i < x->n; i++) {
        struct ext *e = &x->e[i];
        if (e->next_req != NULL) {
            rterr_send(e->next_req, 500, "Extension.Stopped", "The instance is shutting down");
            e->next_req = NULL;
        }
        free(e->queued);
        e->queued = NULL;
        tele_free(e->tele);
        e->tele = NULL;
    }
}
