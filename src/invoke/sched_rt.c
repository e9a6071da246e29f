/* SPDX-License-Identifier: MIT */
/*
 * Scheduler: the Runtime API state machine. Answers an instance's
 * GET /next with the event, takes its response, error and init error,
 * routes the Extensions and Telemetry APIs, reads lambdad-init's control
 * messages, and completes invocations (END, REPORT, the done callback).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/util.h"
#include "catalog/function.h"
#include "invoke/ext.h"
#include "invoke/metrics.h"
#include "invoke/rterr.h"
#include "invoke/sched_int.h"
#include "sandbox/sandbox.h"

/* ---- invocation completion ---- */

static void rt_error(h2o_req_t *req, int code)
{
    rterr_send(req, err_http_status(code), err_aws_type(code), err_str(code));
}

/* Runs the done callback of inv (which frees it) with a platform payload. */
void complete_with(struct invocation *inv, int status, bool fn_error, char *owned)
{
    inv->function_error = fn_error;
    inv->owned = owned;
    if (owned != NULL) {
        inv->result = owned;
        inv->result_len = strlen(owned);
        inv->result_ctype = "application/json";
    }
    sched_done_fn *done = inv->done;
    struct function *fn = inv->fn;
    inv->fn = NULL;
    done(inv, status, inv->done_arg);
    function_unref(fn);
}

char *error_payload(const char *type, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return rterr_json(type, msg);
}

int sched_timeout_payload(char *buf, size_t cap, const char *request_id, int timeout_s)
{
    int n = snprintf(buf, cap,
                     "{\"errorMessage\":\"RequestId: %s Error: Task timed out after %d.00 "
                     "seconds\",\"errorType\":\"Sandbox.Timedout\"}",
                     request_id, timeout_s);
    return n > 0 && (size_t)n < cap ? n : -ENAMETOOLONG;
}

/* The instance's peak memory for REPORT. Reading /proc costs more than the
 * rest of a warm invoke, so it is re-read at most every PEAK_MEM_REFRESH_US. */
static int peak_mb(struct instance *in)
{
    int64_t now = clock_mono_us();
    if (in->peak_mb == 0 || now - in->peak_read_us >= PEAK_MEM_REFRESH_US) {
        int mb = sandbox_peak_mb(in->proc);
        if (mb > in->peak_mb)
            in->peak_mb = mb;
        in->peak_read_us = now;
    }
    return in->peak_mb;
}

static bool exts_done(const struct instance *in)
{
    return in->ext == NULL || ext_all_waiting(in->ext);
}

/* The invocation is over on every side: END and REPORT (into inv's tail when
 * it has not been answered yet), and the instance may take the next one. */
void end_invoke(struct instance *in, struct invocation *inv)
{
    struct sched *s = in->s;
    double ms = (double)(clock_mono_us() - in->report_start_us) / 1000.0;
    long billed = (long)ms + ((double)(long)ms < ms ? 1 : 0);
    if (billed < 1)
        billed = 1;
    char init[64] = "";
    if (!in->init_reported) {
        snprintf(init, sizeof(init), "Init Duration: %.2f ms\t", in->init_ms);
        in->init_reported = true;
    }
    log_linef(in, inv, "END RequestId: %s", in->report_id);
    log_linef(in, inv,
              "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %ld ms\tMemory Size: "
              "%d MB\tMax Memory Used: %d MB\t%s",
              in->report_id, ms, billed, in->fn->memory_mb, peak_mb(in), init);
    metrics_finished(s->cfg->metrics, in->fn->name, ms / 1000.0, in->report_error);
    if (tele_wanted(in, TELE_PLATFORM)) {
        cJSON *rec = cJSON_CreateObject();
        cJSON_AddStringToObject(rec, "requestId", in->report_id);
        cJSON_AddStringToObject(rec, "status", in->report_error ? "error" : "success");
        cJSON *m = cJSON_AddObjectToObject(rec, "metrics");
        cJSON_AddNumberToObject(m, "durationMs", ms);
        cJSON_AddNumberToObject(m, "billedDurationMs", (double)billed);
        cJSON_AddNumberToObject(m, "memorySizeMB", in->fn->memory_mb);
        cJSON_AddNumberToObject(m, "maxMemoryUsedMB", peak_mb(in));
        if (init[0] != '\0')
            cJSON_AddNumberToObject(m, "initDurationMs", in->init_ms);
        tele_platform(in, NULL, "platform.report", rec);
    }
    in->report_pending = false;
    if (!in->graceful)
        timer_cancel(s->th, &in->ext_timer);
    pool_count(s, in->pool, -1, 0);
    if (in->state != I_BUSY)
        return;
    /* It goes on the idle list when it asks for the next event; until then
     * (at most FINISH_GRACE_MS) waiting invocations count on it. */
    in->state = I_IDLE;
    in->finishing = true;
    in->pool->finishing++;
    timer_arm(s->th, &in->timer, FINISH_GRACE_MS);
    if (inv != NULL)
        return;
    /* After extensions: the runtime may have asked for its next event already. */
    if (s->cfg->keepalive_ms <= 0 && !in->provisioned) {
        stop_instance(in);
    } else if (in->next_req != NULL) {
        end_finishing(in);
        timer_cancel(s->th, &in->timer);
        instance_idle(in);
    }
}

/* The runtime is done with the running invocation: the caller gets its
 * answer (the done callback). With wait_ext, extensions that still work on
 * the invocation keep it open (END, REPORT and the instance's next event
 * wait for them, within the function timeout), as on AWS. */
static void inv_finish_ext(struct instance *in, bool wait_ext, bool fn_error, const char *body,
                           size_t len, const char *ctype, char *owned)
{
    struct sched *s = in->s;
    struct invocation *inv = in->inv;
    timer_cancel(s->th, &inv->deadline);
    drain_output(in);
    memcpy(in->report_id, inv->request_id, sizeof(in->report_id));
    memcpy(in->last_id, inv->request_id, sizeof(in->last_id));
    if (tele_wanted(in, TELE_PLATFORM)) {
        cJSON *rec = cJSON_CreateObject();
        cJSON_AddStringToObject(rec, "requestId", inv->request_id);
        cJSON_AddStringToObject(rec, "status", fn_error ? "error" : "success");
        cJSON *m = cJSON_AddObjectToObject(rec, "metrics");
        cJSON_AddNumberToObject(m, "durationMs",
                                (double)(clock_mono_us() - inv->start_us) / 1000.0);
        cJSON_AddNumberToObject(m, "producedBytes", (double)(owned != NULL ? strlen(owned) : len));
        tele_platform(in, NULL, "platform.runtimeDone", rec);
    }
    in->report_start_us = inv->start_us;
    in->report_error = fn_error;
    in->report_pending = true;
    in->inv = NULL;
    inv->inst = NULL;
    if (wait_ext && !exts_done(in))
        timer_arm(s->th, &in->ext_timer, in->report_deadline_ms - clock_ms());
    else
        end_invoke(in, inv);
    inv->result = body;
    inv->result_len = len;
    inv->result_ctype = ctype;
    complete_with(inv, 0, fn_error, owned);
}

/* Ends the running invocation now: END and REPORT, then the done callback. */
void inv_finish(struct instance *in, bool fn_error, const char *body, size_t len, const char *ctype,
                char *owned)
{
    inv_finish_ext(in, false, fn_error, body, len, ctype, owned);
}

/* INVOKE to the extensions that registered for it. */
static void send_invoke_event(struct instance *in, const struct invocation *inv, int64_t deadline,
                              const char *trace)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "eventType", "INVOKE");
    cJSON_AddNumberToObject(o, "deadlineMs", (double)deadline);
    cJSON_AddStringToObject(o, "requestId", inv->request_id);
    cJSON_AddStringToObject(o, "invokedFunctionArn", inv->invoked_arn);
    cJSON *tr = cJSON_AddObjectToObject(o, "tracing");
    cJSON_AddStringToObject(tr, "type", "X-Amzn-Trace-Id");
    cJSON_AddStringToObject(tr, "value", trace);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text == NULL)
        abort();
    ext_broadcast(in->ext, false, text, strlen(text));
    free(text);
}

void instance_deliver(struct instance *in, struct invocation *inv)
{
    struct sched *s = in->s;
    h2o_req_t *req = in->next_req;
    in->next_req = NULL;
    unlist_idle(in);
    timer_cancel(s->th, &in->timer);
    instance_thaw(in);
    in->state = I_BUSY;
    in->inv = inv;
    inv->inst = in;
    pool_count(s, in->pool, 1, 0);
    metrics_started(s->cfg->metrics, in->fn->name);
    int64_t deadline = clock_ms() + (int64_t)in->fn->timeout_s * 1000;
    inv->start_us = clock_mono_us();
    timer_arm(s->th, &inv->deadline, (int64_t)in->fn->timeout_s * 1000);
    log_linef(in, inv, "START RequestId: %s Version: %s", inv->request_id, in->fn->version);
    char num[32], trace[96], rnd[25], parent[17];
    snprintf(num, sizeof(num), "%lld", (long long)deadline);
    rand_hex(rnd, 12);
    rand_hex(parent, 8);
    int tn = snprintf(trace, sizeof(trace), "Root=1-%08llx-%s;Parent=%s;Sampled=0",
                      (unsigned long long)(deadline / 1000), rnd, parent);
    http_header(req, "lambda-runtime-aws-request-id", inv->request_id, 36);
    http_header(req, "lambda-runtime-deadline-ms", num, strlen(num));
    http_header(req, "lambda-runtime-invoked-function-arn", inv->invoked_arn,
                strlen(inv->invoked_arn));
    http_header(req, "lambda-runtime-trace-id", trace, (size_t)tn);
    if (inv->client_context != NULL)
        http_header(req, "lambda-runtime-client-context", inv->client_context,
                    strlen(inv->client_context));
    http_send(req, 200, "application/json", inv->payload, inv->payload_len);
    in->report_deadline_ms = deadline;
    if (in->ext != NULL) {
        send_invoke_event(in, inv, deadline, trace);
        cJSON *rec = cJSON_CreateObject();
        cJSON_AddStringToObject(rec, "requestId", inv->request_id);
        cJSON_AddStringToObject(rec, "version", in->fn->version);
        tele_platform(in, NULL, "platform.start", rec);
    }
}

/* Parses "/2018-06-01/runtime/invocation/<id>/<verb>". */
static bool parse_invocation_path(const char *path, size_t len, char id[37], const char **verb)
{
    static const char prefix[] = "/2018-06-01/runtime/invocation/";
    size_t pl = sizeof(prefix) - 1;
    if (len <= pl || memcmp(path, prefix, pl) != 0)
        return false;
    const char *p = path + pl, *end = path + len;
    const char *slash = memchr(p, '/', (size_t)(end - p));
    if (slash == NULL || slash - p > 36 || slash == p)
        return false;
    memcpy(id, p, (size_t)(slash - p));
    id[slash - p] = '\0';
    size_t vl = (size_t)(end - slash - 1);
    if (vl == 8 && memcmp(slash + 1, "response", 8) == 0)
        *verb = "response";
    else if (vl == 5 && memcmp(slash + 1, "error", 5) == 0)
        *verb = "error";
    else
        return false;
    return true;
}

#define EXT_API_PREFIX "/2020-01-01/extension/"

static bool path_is(const h2o_req_t *req, size_t len, const char *p)
{
    return len == strlen(p) && memcmp(req->path.base, p, len) == 0;
}

/* Init is complete on every side (the runtime and each extension asked for
 * an event): the instance is ready. Init Duration spans all of it. */
static void init_complete(struct instance *in)
{
    struct sched *s = in->s;
    in->init_ms = (double)(clock_mono_us() - in->spawn_us) / 1000.0;
    pool_count(s, in->pool, 0, -1);
    timer_cancel(s->th, &in->timer);
    in->state = I_IDLE;
    for (int i = 0; in->ext != NULL && i < in->ext->n; i++) {
        const struct ext *e = &in->ext->e[i];
        char line[512];
        size_t n = ext_log_line(e, line, sizeof(line));
        log_line(in, NULL, line, n);
        cJSON *rec = cJSON_CreateObject();
        cJSON_AddStringToObject(rec, "name", e->name);
        cJSON_AddStringToObject(rec, "state", e->state);
        cJSON *evs = cJSON_AddArrayToObject(rec, "events");
        if (e->want_invoke)
            cJSON_AddItemToArray(evs, cJSON_CreateString("INVOKE"));
        if (e->want_shutdown)
            cJSON_AddItemToArray(evs, cJSON_CreateString("SHUTDOWN"));
        tele_platform(in, NULL, "platform.extension", rec);
    }
    if (in->ext != NULL) {
        for (int k = 0; k < 2; k++) {
            cJSON *rec = cJSON_CreateObject();
            cJSON_AddStringToObject(rec, "initializationType", init_type(in));
            cJSON_AddStringToObject(rec, "phase", "init");
            cJSON_AddStringToObject(rec, "status", "success");
            if (k == 1)
                cJSON_AddNumberToObject(cJSON_AddObjectToObject(rec, "metrics"), "durationMs",
                                        in->init_ms);
            tele_platform(in, NULL, k == 0 ? "platform.initRuntimeDone" : "platform.initReport",
                          rec);
        }
    }
    instance_idle(in);
}

/* An extension asked for its next event: init or the invocation may be
 * complete now. */
static void ext_progress(struct instance *in)
{
    if (!exts_done(in))
        return;
    if (in->state == I_STARTING && in->next_req != NULL)
        init_complete(in);
    else if (in->state == I_BUSY && in->report_pending)
        end_invoke(in, NULL);
}

static int on_next(struct sched *s, struct instance *in, h2o_req_t *req)
{
    if (in->state == I_STOPPING) {
        rterr_send(req, 500, "Runtime.Stopped", "The instance is shutting down");
        return 0;
    }
    if (in->next_req != NULL || in->inv != NULL) {
        rt_error(req, ERR_RT_INVALID_STATE);
        return 0;
    }
    in->next_req = req;
    if (in->state == I_BUSY)
        return 0; /* extensions still work on the last invocation: end_invoke goes on */
    if (in->finishing) {
        end_finishing(in);
        timer_cancel(s->th, &in->timer);
    }
    if (in->state == I_STARTING) {
        if (exts_done(in))
            init_complete(in);
        return 0;
    }
    instance_idle(in);
    return 0;
}

/* "exit code 1" or "signal: killed", as AWS words an extension's exit. */
static void ext_exit_text(int status, char *buf, size_t cap)
{
    if (WIFEXITED(status))
        snprintf(buf, cap, "exit code %d", WEXITSTATUS(status));
    else
        exit_text(status, buf, cap);
}

/* Extension e failed (type: the errorType, or NULL to derive it from its
 * state; why: what follows "Error: "). During init the instance's init
 * fails with it; afterwards the running invocation does, and the execution
 * environment is reset, as on AWS. */
static void ext_failed(struct instance *in, struct ext *e, const char *type, const char *why)
{
    if (type == NULL)
        type = strcmp(e->state, "InitError") == 0 ? "Extension.InitError" : "Extension.Crash";
    if (in->state == I_STOPPING)
        return; /* the Shutdown phase: extensions are meant to exit */
    char line[512];
    size_t n = ext_log_line(e, line, sizeof(line));
    snprintf(line + n, sizeof(line) - n, "\tError Type: %s", type);
    log_line(in, in->inv, line, strlen(line));
    if (in->state == I_STARTING) {
        snprintf(in->init_error_type, sizeof(in->init_error_type), "%s", type);
        snprintf(in->init_error_msg, sizeof(in->init_error_msg), "%s", why);
        mark_stopping(in); /* the reaper fails the waiting invocation with it */
        return;
    }
    in->stop_reason = "failure";
    if (in->inv != NULL) {
        struct invocation *inv = in->inv;
        log_linef(in, inv, "RequestId: %s Error: %s", inv->request_id, why);
        log_line(in, inv, type, strlen(type));
        inv_finish(in, true, NULL, 0, NULL,
                   error_payload(type, "RequestId: %s Error: %s", inv->request_id, why));
    }
    stop_instance(in);
}

/* The runtime could not be executed by lambdad-init (errno err). */
static void runtime_unlaunchable(struct instance *in, int err)
{
    if (in->fn->rt->family == RT_PROVIDED) {
        snprintf(in->init_error_type, sizeof(in->init_error_type), "Runtime.InvalidEntrypoint");
        snprintf(in->init_error_msg, sizeof(in->init_error_msg),
                 "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]");
    } else {
        snprintf(in->init_error_type, sizeof(in->init_error_type), "Runtime.Unknown");
        snprintf(in->init_error_msg, sizeof(in->init_error_msg),
                 "the runtime could not be started: %s", err_str(-err));
    }
    mark_stopping(in);
}

/* One message from lambdad-init (see runtimes/init/init.c). */
static void on_ctl_line(struct instance *in, const char *line)
{
    char *end;
    long a = strtol(line + 1, &end, 10);
    long b = strtol(end, NULL, 10);
    struct ext *e = in->ext != NULL && a >= 0 && a < in->ext->external ? &in->ext->e[a] : NULL;
    char why[EXT_NAME_MAX + 600];
    switch (line[0]) {
    case 'x':
    case 'l':
        if (e == NULL || e->exited)
            return;
        e->exited = true;
        if (line[0] == 'x') {
            ext_exit_text((int)b, why, sizeof(why));
            ext_failed(in, e, NULL, why);
            return;
        }
        snprintf(why, sizeof(why), "fork/exec /opt/extensions/%s: %s", e->name, err_str(-(int)b));
        for (char *c = why; *c != '\0'; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        ext_failed(in, e, "Extension.LaunchError", why);
        return;
    case 'r':
        if (in->rt_gone)
            return;
        runtime_exited(in, (int)a);
        if (in->state != I_STOPPING) {
            in->stop_reason = "failure";
            stop_instance(in);
        }
        return;
    case 'L':
        runtime_unlaunchable(in, (int)a);
        return;
    default:
        return;
    }
}

void on_ctl(h2o_socket_t *sock, const char *err)
{
    struct instance *in = sock->data;
    for (;;) {
        const char *nl =
            sock->input->size > 0 ? memchr(sock->input->bytes, '\n', sock->input->size) : NULL;
        if (nl == NULL)
            break;
        char line[64];
        size_t len = (size_t)(nl - sock->input->bytes);
        if (len < sizeof(line)) {
            memcpy(line, sock->input->bytes, len);
            line[len] = '\0';
            on_ctl_line(in, line);
        }
        h2o_buffer_consume(&sock->input, len + 1);
    }
    if (err != NULL || sock->input->size > 64) {
        h2o_socket_close(sock);
        in->ctl = NULL;
    }
}

/* PUT /2022-07-01/telemetry (and the Logs API's /2020-08-15/logs). */
static int on_tele_request(struct sched *s, struct instance *in, h2o_req_t *req)
{
    if (!http_method_is(req, "PUT")) {
        rterr_send(req, 405, "InvalidRequest", "Use PUT to subscribe");
        return 0;
    }
    if (in->ext == NULL && (in->ext = calloc(1, sizeof(*in->ext))) == NULL)
        abort();
    struct ext *e = ext_lookup(in->ext, req);
    if (e == NULL)
        return 0;
    struct tele_env env = {.proc = in->proc, .loop = http_loop(s->srv), .th = s->th};
    if (!tele_subscribe(req, &env, &e->tele))
        return 0;
    if (in->state == I_STARTING) {
        cJSON *rec = cJSON_CreateObject();
        cJSON_AddStringToObject(rec, "initializationType", init_type(in));
        cJSON_AddStringToObject(rec, "phase", "init");
        cJSON_AddStringToObject(rec, "functionName", in->fn->name);
        cJSON_AddStringToObject(rec, "functionVersion", in->fn->version);
        tele_platform(in, e->tele, "platform.initStart", rec);
    }
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "name", e->name);
    cJSON_AddStringToObject(rec, "state", "Subscribed");
    cJSON *types = cJSON_AddArrayToObject(rec, "types");
    static const char *const names[] = {"platform", "function", "extension"};
    for (unsigned k = 0; k < 3; k++)
        if (tele_types(e->tele) & (1u << k))
            cJSON_AddItemToArray(types, cJSON_CreateString(names[k]));
    tele_platform(in, e->tele, "platform.telemetrySubscription", rec);
    return 0;
}

static int on_ext_request(struct sched *s, struct instance *in, h2o_req_t *req, size_t plen)
{
    if (in->state == I_STOPPING && !in->graceful) {
        rterr_send(req, 500, "Runtime.Stopped", "The instance is shutting down");
        return 0;
    }
    if (in->ext == NULL && (in->ext = calloc(1, sizeof(*in->ext))) == NULL)
        abort();
    struct ext_fn_info fi = {.name = in->fn->name,
                             .version = in->fn->version,
                             .handler = in->fn->handler,
                             .account = s->cfg->account};
    struct ext *e;
    switch (ext_handle(in->ext, req, plen, in->state == I_STARTING, &fi, &e)) {
    case EXT_REGISTERED:
        if (!in->rt_started && ext_all_registered(in->ext)) {
            in->rt_started = true;
            ctl_send(in, 's');
        }
        break;
    case EXT_WAITING:
        if (in->state != I_STOPPING)
            ext_progress(in);
        break;
    case EXT_INIT_ERROR:
    case EXT_EXIT_ERROR:
        /* An external one fails when it exits (lambdad-init says so); an
         * internal one is a part of the runtime process. */
        if (!e->external)
            ext_failed(in, e, NULL, e->error_type);
        break;
    case EXT_NONE:
        break;
    }
    return 0;
}

static int on_result(struct instance *in, h2o_req_t *req, const char *id, bool is_error)
{
    struct invocation *inv = in->inv;
    if (inv == NULL || in->state != I_BUSY || strcmp(id, inv->request_id) != 0) {
        rt_error(req,
                 strcmp(id, in->last_id) == 0 ? ERR_RT_INVALID_STATE : ERR_RT_INVALID_REQUEST_ID);
        return 0;
    }
    if (req->entity.len > RUNTIME_RESPONSE_MAX_BYTES) {
        char *payload = error_payload("Function.ResponseSizeTooLarge",
                                      "Response payload size exceeded maximum allowed payload "
                                      "size (%d bytes).",
                                      RUNTIME_RESPONSE_MAX_BYTES);
        inv_finish(in, true, NULL, 0, NULL, payload);
        rt_error(req, ERR_RT_TOO_LARGE);
        return 0;
    }
    const h2o_iovec_t *ct = http_req_header(req, "content-type");
    char ctype[128] = "application/json";
    if (!is_error && ct != NULL && ct->len < sizeof(ctype)) {
        memcpy(ctype, ct->base, ct->len);
        ctype[ct->len] = '\0';
    }
    const char *body = req->entity.base != NULL ? req->entity.base : "";
    size_t len = req->entity.len;
    if (is_error && len == 0) {
        const h2o_iovec_t *t = http_req_header(req, "lambda-runtime-function-error-type");
        char type[128] = "Unhandled";
        if (t != NULL && t->len > 0 && t->len < sizeof(type)) {
            memcpy(type, t->base, t->len);
            type[t->len] = '\0';
        }
        inv_finish(in, true, NULL, 0, NULL, error_payload(type, "%s", ""));
    } else {
        inv_finish_ext(in, true, is_error, body, len, ctype, NULL);
    }
    http_send(req, 202, "application/json", "{\"status\":\"OK\"}", 15);
    if (in->s->cfg->keepalive_ms <= 0 && !in->provisioned && !in->report_pending)
        stop_instance(in); /* keep-alive 0: every invocation gets a fresh instance */
    return 0;
}

static int on_init_error(struct instance *in, h2o_req_t *req)
{
    if (in->state != I_STARTING || in->init_error != NULL) {
        rt_error(req, ERR_RT_INVALID_STATE);
        return 0;
    }
    size_t len = req->entity.len < 65536 ? req->entity.len : 65536;
    free(in->init_error);
    if (len > 0) {
        in->init_error = xmalloc(len + 1);
        memcpy(in->init_error, req->entity.base, len);
        in->init_error[len] = '\0';
    } else {
        in->init_error = error_payload("Runtime.Unknown", "Unknown init error");
    }
    in->init_error_len = strlen(in->init_error);
    http_send(req, 202, "application/json", "{\"status\":\"OK\"}", 15);
    mark_stopping(in); /* the reaper fails the waiting invocation with this error */
    return 0;
}

int sched_runtime_request(struct sched *s, h2o_req_t *req)
{
    struct instance *in = http_listener_owner(req);
    if (in == NULL) {
        rterr_send(req, 500, "Runtime.Stopped", "The instance is shutting down");
        return 0;
    }
    size_t plen = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    log_debug("instance=%s state=%d rt_request=\"%.*s %.*s\"", in->id, (int)in->state,
              (int)req->method.len, req->method.base, (int)plen, req->path.base);
    bool get = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET"));
    bool post = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"));
    char id[37];
    const char *verb;
    if (get && path_is(req, plen, "/2018-06-01/runtime/invocation/next"))
        return on_next(s, in, req);
    if (post && path_is(req, plen, "/2018-06-01/runtime/init/error"))
        return on_init_error(in, req);
    if (post && parse_invocation_path(req->path.base, plen, id, &verb))
        return on_result(in, req, id, verb[0] == 'e');
    if (plen > sizeof(EXT_API_PREFIX) - 1 &&
        memcmp(req->path.base, EXT_API_PREFIX, sizeof(EXT_API_PREFIX) - 1) == 0)
        return on_ext_request(s, in, req, plen);
    if (path_is(req, plen, "/2022-07-01/telemetry") || path_is(req, plen, "/2020-08-15/logs"))
        return on_tele_request(s, in, req);
    rterr_send(req, 404, "InvalidRequest", "Unknown Runtime API path");
    return 0;
}
