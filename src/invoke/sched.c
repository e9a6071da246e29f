/* SPDX-License-Identifier: MIT */
/*
 * Scheduler, instance pools and the Runtime API state machine.
 *
 * An instance moves STARTING -> (parks GET /next) -> IDLE -> BUSY (event
 * delivered) -> response/error -> IDLE again once it asks for the next event,
 * or STOPPING -> reaped -> freed. Only instances with a parked /next sit on
 * their pool's idle list, so dispatch is "pop and answer the parked request".
 * Invocations that find no idle instance wait in the pool's FIFO; the pool
 * keeps one starting instance per waiting invocation, and whichever instance
 * becomes ready first takes the oldest one.
 *
 * Every wait has a deadline on the timer heap: the init limit for STARTING,
 * the function timeout for BUSY, the keep-alive for IDLE. Process death is
 * learnt from SIGCHLD (H2O 2.2 does not notice a runtime that disconnects),
 * and the instance's output pipe is drained before END/REPORT are written so
 * that the function's own lines come first.
 */
#include "sched.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/util.h"
#include "catalog/function.h"
#include "invoke/ext.h"
#include "invoke/logs.h"
#include "invoke/metrics.h"
#include "invoke/rterr.h"
#include "invoke/telemetry.h"
#include "sandbox/sandbox.h"
#include "store/blob.h"

enum inst_state { I_STARTING, I_IDLE, I_BUSY, I_STOPPING };

struct instance;

/* An output pipe of an instance, read into log lines. */
struct outstream {
    struct instance *in;
    h2o_socket_t *sock;
    char *partial; /* a line without its newline yet */
    size_t partial_len;
    bool ext; /* extensions' output (Telemetry "extension" records) */
};

struct pool;

struct instance {
    struct sched *s;
    struct pool *pool;
    struct function *fn; /* the snapshot this instance runs (a reference) */
    enum inst_state state;
    pid_t pid;
    struct http_listener *listener;
    uint16_t port;
    h2o_req_t *next_req;      /* parked GET /next */
    struct invocation *inv;   /* the invocation it is running */
    char last_id[37];         /* the last request id it answered */
    struct outstream outs[2]; /* stdout+stderr of the runtime, and of extensions */
    char id[33];
    char group[96];
    char stream[128];
    char tmpdir[512];           /* per-instance TMPDIR without the sandbox */
    struct sandbox_proc *proc;  /* the process tree and its cgroup */
    struct http_listener *edge; /* lambdad's edge inside its network namespace, or NULL */
    struct timer freeze_timer;  /* freezes an idle instance */
    bool frozen;
    int64_t spawn_us;
    int64_t peak_read_us; /* when peak_mb was last read from /proc */
    int peak_mb;          /* the process's peak RSS, MB */
    double init_ms;
    bool init_reported;
    char *init_error; /* body of POST /runtime/init/error */
    size_t init_error_len;
    struct timer timer;           /* init limit, or idle keep-alive */
    struct instance *prev, *next; /* pool->all */
    struct instance *next_idle;
    bool on_idle_list;
    bool finishing;   /* answered, has not asked for the next event yet */
    bool provisioned; /* initialised ahead of demand; never reaped while wanted */
    /* Extensions. With external ones the instance's first process is
     * lambdad-init, which starts them, starts the runtime when told and
     * reports every exit over ctl. */
    struct ext_set *ext;        /* NULL until one is started or registers */
    h2o_socket_t *ctl;          /* lambdad-init's control socket, or NULL */
    bool rt_started;            /* lambdad-init was told to start the runtime */
    bool rt_gone;               /* the runtime's exit has been handled */
    bool graceful;              /* stopping: extensions got SHUTDOWN, SIGKILL at ext_timer */
    const char *stop_reason;    /* shutdownReason: spindown, timeout or failure */
    char init_error_type[64];   /* init failed for a platform reason: the errorType */
    char init_error_msg[320];   /* and what follows "RequestId: <id> Error: " */
    bool report_pending;        /* the runtime answered; extensions still work on it */
    bool report_error;          /* that invocation ended in a function error */
    char report_id[37];         /* its request id */
    int64_t report_start_us;    /* when it started */
    int64_t report_deadline_ms; /* its function timeout, as epoch ms */
    struct timer ext_timer;     /* report_pending: the timeout; graceful: the SIGKILL */
};

struct pool {
    char *name;
    struct function *fn; /* current snapshot, or NULL once deleted */
    struct instance *all;
    struct instance *idle; /* LIFO: the warmest instance first */
    struct invocation *qhead, *qtail;
    unsigned npending;
    unsigned starting;
    unsigned busy;             /* invocations delivered to its instances */
    unsigned finishing;        /* instances expected to ask for an event soon */
    unsigned provisioned;      /* provisioned instances alive */
    unsigned provisioned_want; /* provisioned concurrency configured */
    struct timer respawn;      /* continues a burst of spawns on the next loop turn */
    struct sched *s;
    unsigned count;
    struct pool *hnext;
};

#define POOL_BUCKETS 1024

struct sched {
    struct http_server *srv;
    struct blob_store *bs;
    struct logs *logs;
    const struct sched_config *cfg;
    struct timer_heap *th;
    struct sandbox *sb;
    struct pool *buckets[POOL_BUCKETS];
    unsigned nbusy;             /* invocations delivered to a runtime */
    unsigned nstarting;         /* instances initialising */
    unsigned unreserved_active; /* busy + starting of pools without reserved concurrency */
    unsigned reserved_total;    /* reserved concurrency of all functions */
    bool stopping;              /* shutting down: nothing is replaced */
    int init_fd;                /* lambdad-init (O_PATH), or -1: no external extensions */
    char hosts[600];            /* the instances' /etc/hosts (sandbox.localdomain), or "" */
    unsigned ninstances;
    unsigned npending;
};

/* ---- pools ---- */

static unsigned hash_name(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % POOL_BUCKETS;
}

static struct pool *pool_find(struct sched *s, const char *name)
{
    for (struct pool *p = s->buckets[hash_name(name)]; p != NULL; p = p->hnext)
        if (strcmp(p->name, name) == 0)
            return p;
    return NULL;
}

/* A pool serves one version of a function: "name" for $LATEST, "name:3". */
static void pool_key(const struct function *fn, char *buf, size_t cap)
{
    if (strcmp(fn->version, "$LATEST") == 0)
        snprintf(buf, cap, "%s", fn->name);
    else
        snprintf(buf, cap, "%s:%s", fn->name, fn->version);
}

static void on_respawn(struct timer *t, void *arg);

static struct pool *pool_get(struct sched *s, struct function *fn)
{
    char key[FN_NAME_MAX + 16];
    pool_key(fn, key, sizeof(key));
    struct pool *p = pool_find(s, key);
    if (p != NULL)
        return p;
    p = calloc(1, sizeof(*p));
    if (p == NULL || (p->name = strdup(key)) == NULL)
        abort();
    p->fn = function_ref(fn);
    p->s = s;
    timer_init(&p->respawn, on_respawn, p);
    unsigned b = hash_name(key);
    p->hnext = s->buckets[b];
    s->buckets[b] = p;
    return p;
}

static void pool_drop_if_unused(struct sched *s, struct pool *p)
{
    if (p->fn != NULL || p->count > 0 || p->npending > 0 || p->provisioned_want > 0)
        return;
    struct pool **pp = &s->buckets[hash_name(p->name)];
    while (*pp != p)
        pp = &(*pp)->hnext;
    *pp = p->hnext;
    timer_cancel(s->th, &p->respawn);
    free(p->name);
    free(p);
}

static bool has_reservation(const struct pool *p)
{
    return p->fn != NULL && p->fn->reserved >= 0;
}

/* Moves the busy and starting counts of p (and the totals) by the deltas;
 * concurrency is busy + starting. */
static void count(struct sched *s, struct pool *p, int dbusy, int dstarting)
{
    p->busy = (unsigned)((int)p->busy + dbusy);
    p->starting = (unsigned)((int)p->starting + dstarting);
    s->nbusy = (unsigned)((int)s->nbusy + dbusy);
    s->nstarting = (unsigned)((int)s->nstarting + dstarting);
    if (!has_reservation(p))
        s->unreserved_active = (unsigned)((int)s->unreserved_active + dbusy + dstarting);
}

/* Replaces p's snapshot, moving its concurrency between the reserved and
 * unreserved accounts if its reservation changes. Takes a reference. */
static void set_pool_fn(struct sched *s, struct pool *p, struct function *fn)
{
    unsigned active = p->busy + p->starting;
    if (!has_reservation(p))
        s->unreserved_active -= active;
    function_unref(p->fn);
    p->fn = fn != NULL ? function_ref(fn) : NULL;
    if (!has_reservation(p))
        s->unreserved_active += active;
}

static void enqueue(struct pool *p, struct invocation *inv)
{
    inv->next = NULL;
    if (p->qtail != NULL)
        p->qtail->next = inv;
    else
        p->qhead = inv;
    p->qtail = inv;
    p->npending++;
}

static struct invocation *dequeue(struct sched *s, struct pool *p)
{
    struct invocation *inv = p->qhead;
    if (inv == NULL)
        return NULL;
    p->qhead = inv->next;
    if (p->qhead == NULL)
        p->qtail = NULL;
    p->npending--;
    s->npending--;
    return inv;
}

/* ---- function log ---- */

static void tail_append(struct invocation *inv, const char *line, size_t len)
{
    if (!inv->want_tail)
        return;
    size_t need = inv->log_len + len + 1;
    if (need > INVOKE_LOG_KEEP_BYTES) {
        size_t drop = need - INVOKE_LOG_KEEP_BYTES / 2;
        if (drop > inv->log_len)
            drop = inv->log_len;
        memmove(inv->log, inv->log + drop, inv->log_len - drop);
        inv->log_len -= drop;
        if (len + 1 > INVOKE_LOG_KEEP_BYTES / 2) {
            line += len - INVOKE_LOG_KEEP_BYTES / 2 + 1;
            len = INVOKE_LOG_KEEP_BYTES / 2 - 1;
        }
    }
    if (inv->log == NULL && (inv->log = malloc(INVOKE_LOG_KEEP_BYTES)) == NULL)
        abort();
    memcpy(inv->log + inv->log_len, line, len);
    inv->log_len += len;
    inv->log[inv->log_len++] = '\n';
}

/* One line of the instance's log stream (and the running invocation's tail). */
static void log_line(struct instance *in, struct invocation *inv, const char *line, size_t len)
{
    logs_emit(in->s->logs, in->group, in->stream, clock_ms(), line, len);
    if (inv != NULL)
        tail_append(inv, line, len);
}

static void log_linef(struct instance *in, struct invocation *inv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void log_linef(struct instance *in, struct invocation *inv, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0)
        log_line(in, inv, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* Telemetry: record (JSON text) to every extension subscribed to kind. */
static void tele_emit(struct instance *in, enum tele_type kind, const char *type,
                      const char *record, size_t len)
{
    for (int i = 0; in->ext != NULL && i < in->ext->n; i++)
        tele_push(in->ext->e[i].tele, kind, type, record, len);
}

static bool tele_wanted(const struct instance *in, enum tele_type kind)
{
    for (int i = 0; in->ext != NULL && i < in->ext->n; i++)
        if (tele_types(in->ext->e[i].tele) & kind)
            return true;
    return false;
}

/* A platform.* Telemetry record (takes rec) to every subscriber, or to one. */
static void tele_platform(struct instance *in, struct tele *only, const char *type, cJSON *rec)
{
    if (only != NULL ? (tele_types(only) & TELE_PLATFORM) : tele_wanted(in, TELE_PLATFORM)) {
        char *text = cJSON_PrintUnformatted(rec);
        if (text == NULL)
            abort();
        if (only != NULL)
            tele_push(only, TELE_PLATFORM, type, text, strlen(text));
        else
            tele_emit(in, TELE_PLATFORM, type, text, strlen(text));
        free(text);
    }
    cJSON_Delete(rec);
}

static const char *init_type(const struct instance *in)
{
    return in->provisioned ? "provisioned-concurrency" : "on-demand";
}

/* One line of output: the log stream, and a "function" or "extension"
 * Telemetry record. */
static void output_line(struct outstream *o, const char *line, size_t len)
{
    struct instance *in = o->in;
    log_line(in, in->inv, line, len);
    enum tele_type kind = o->ext ? TELE_EXTENSION : TELE_FUNCTION;
    if (!tele_wanted(in, kind))
        return;
    cJSON *str = cJSON_CreateString("");
    char *copy = malloc(len + 1);
    if (str == NULL || copy == NULL)
        abort();
    memcpy(copy, line, len);
    copy[len] = '\0';
    cJSON_SetValuestring(str, copy);
    free(copy);
    char *text = cJSON_PrintUnformatted(str);
    cJSON_Delete(str);
    if (text == NULL)
        abort();
    tele_emit(in, kind, o->ext ? "extension" : "function", text, strlen(text));
    free(text);
}

static void output_bytes(struct outstream *o, const char *p, size_t n)
{
    while (n > 0) {
        const char *nl = memchr(p, '\n', n);
        size_t take = nl != NULL ? (size_t)(nl - p) : n;
        if (o->partial_len + take > LOG_LINE_MAX_BYTES)
            take = LOG_LINE_MAX_BYTES - o->partial_len;
        char *buf = realloc(o->partial, o->partial_len + take + 1);
        if (buf == NULL)
            abort();
        o->partial = buf;
        memcpy(o->partial + o->partial_len, p, take);
        o->partial_len += take;
        p += take;
        n -= take;
        bool end = n > 0 && *p == '\n';
        if (end || o->partial_len == LOG_LINE_MAX_BYTES) {
            output_line(o, o->partial, o->partial_len);
            o->partial_len = 0;
        }
        if (end) {
            p++;
            n--;
        }
    }
}

static void flush_partial(struct outstream *o)
{
    if (o->partial_len > 0) {
        output_line(o, o->partial, o->partial_len);
        o->partial_len = 0;
    }
}

static void on_output(h2o_socket_t *sock, const char *err)
{
    struct outstream *o = sock->data;
    output_bytes(o, sock->input->bytes, sock->input->size);
    h2o_buffer_consume(&sock->input, sock->input->size);
    if (err != NULL) {
        flush_partial(o);
        h2o_socket_close(sock);
        o->sock = NULL;
    }
}

/* Reads whatever the instance wrote so far, so its lines precede END. */
static void drain_output(struct instance *in)
{
    for (int k = 0; k < 2; k++) {
        struct outstream *o = &in->outs[k];
        if (o->sock == NULL)
            continue;
        int fd = h2o_socket_get_fd(o->sock);
        char buf[65536];
        for (int rounds = 0; rounds < 256; rounds++) {
            ssize_t n = read(fd, buf, sizeof(buf));
            if (n <= 0)
                break;
            output_bytes(o, buf, (size_t)n);
        }
        flush_partial(o);
    }
}

/* ---- invocation completion ---- */

static void rt_error(h2o_req_t *req, int code)
{
    rterr_send(req, err_http_status(code), err_aws_type(code), err_str(code));
}

/* Runs the done callback of inv (which frees it) with a platform payload. */
static void complete_with(struct invocation *inv, int status, bool fn_error, char *owned)
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

static char *error_payload(const char *type, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static char *error_payload(const char *type, const char *fmt, ...)
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

static void stop_instance(struct instance *in);
static void mark_stopping(struct instance *in);
static void instance_idle(struct instance *in);
static void end_finishing(struct instance *in);
static void kill_now(struct instance *in);
static void on_ctl(h2o_socket_t *sock, const char *err);

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
static void end_invoke(struct instance *in, struct invocation *inv)
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
    count(s, in->pool, -1, 0);
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
static void finish_ext(struct instance *in, bool wait_ext, bool fn_error, const char *body,
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
static void finish(struct instance *in, bool fn_error, const char *body, size_t len,
                   const char *ctype, char *owned)
{
    finish_ext(in, false, fn_error, body, len, ctype, owned);
}

/* ---- instance lifecycle ---- */

static void on_inv_timer(struct timer *t, void *arg);

/* An instance idle for FREEZE_DELAY_MS is frozen, as AWS freezes idle
 * execution environments: its background threads get no CPU. */
static void on_freeze_timer(struct timer *t, void *arg)
{
    struct instance *in = arg;
    (void)t;
    if (in->state == I_IDLE && in->on_idle_list && sandbox_freeze(in->proc, true) == 0)
        in->frozen = true;
}

static void thaw(struct instance *in)
{
    timer_cancel(in->s->th, &in->freeze_timer);
    if (in->frozen) {
        sandbox_freeze(in->proc, false);
        in->frozen = false;
    }
}

/* Takes in off its pool's idle list (if it is on it). */
static void unlist_idle(struct instance *in)
{
    if (!in->on_idle_list)
        return;
    struct instance **pp = &in->pool->idle;
    while (*pp != in)
        pp = &(*pp)->next_idle;
    *pp = in->next_idle;
    in->on_idle_list = false;
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

static void deliver(struct instance *in, struct invocation *inv)
{
    struct sched *s = in->s;
    h2o_req_t *req = in->next_req;
    in->next_req = NULL;
    unlist_idle(in);
    timer_cancel(s->th, &in->timer);
    thaw(in);
    in->state = I_BUSY;
    in->inv = inv;
    inv->inst = in;
    count(s, in->pool, 1, 0);
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

static void balance(struct sched *s, struct pool *p);

static void end_finishing(struct instance *in)
{
    if (in->finishing) {
        in->finishing = false;
        in->pool->finishing--;
    }
}

static void on_inst_timer(struct timer *t, void *arg)
{
    struct instance *in = arg;
    (void)t;
    if (in->finishing) {
        /* Slow to ask for its next event: start instances for what waits. */
        end_finishing(in);
        balance(in->s, in->pool);
        return;
    }
    if (in->state == I_STARTING) {
        log_warn("fn=%s instance=%s msg=\"init exceeded %d ms\"", in->pool->name, in->id,
                 INIT_TIMEOUT_MS);
        in->init_error = error_payload(
            "Runtime.Unknown", "Init phase timed out after %d.00 seconds", INIT_TIMEOUT_MS / 1000);
        in->init_error_len = strlen(in->init_error);
        mark_stopping(in); /* the reaper fails the waiting invocation */
        return;
    }
    stop_instance(in); /* idle keep-alive expired */
}

/* Extensions overran the function timeout after the runtime answered, or
 * the Shutdown phase is over. */
static void on_ext_timer(struct timer *t, void *arg)
{
    struct instance *in = arg;
    (void)t;
    if (in->graceful) {
        kill_now(in);
        return;
    }
    if (!in->report_pending)
        return;
    char ts[32];
    time_fmt_iso(clock_ms(), ts);
    log_linef(in, NULL, "%s %s Task timed out after %d.00 seconds", ts, in->report_id,
              in->fn->timeout_s);
    in->stop_reason = "timeout";
    stop_instance(in);
}

static void fail_pending(struct sched *s, struct pool *p, int status)
{
    struct invocation *inv;
    while ((inv = dequeue(s, p)) != NULL) {
        timer_cancel(s->th, &inv->deadline);
        complete_with(inv, status, false, NULL);
    }
}

struct envbuf {
    char *vec[96];
    size_t n;
};

static void env_add(struct envbuf *e, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void env_add(struct envbuf *e, const char *key, const char *fmt, ...)
{
    if (e->n >= sizeof(e->vec) / sizeof(e->vec[0]) - 1)
        return;
    char val[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    size_t kl = strlen(key), vl = strlen(val);
    char *kv = malloc(kl + vl + 2);
    if (kv == NULL)
        abort();
    memcpy(kv, key, kl);
    kv[kl] = '=';
    memcpy(kv + kl + 1, val, vl + 1);
    e->vec[e->n++] = kv;
    e->vec[e->n] = NULL;
}

static void env_free(struct envbuf *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->vec[i]);
    e->n = 0;
}

static void build_env(const struct instance *in, const char *code, const char *rtdir,
                      struct envbuf *e)
{
    const struct sched_config *c = in->s->cfg;
    const struct function *fn = in->fn;
    const cJSON *v;
    if (fn->env != NULL)
        cJSON_ArrayForEach(v, fn->env) env_add(e, v->string, "%s", v->valuestring);
    env_add(e, "PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin");
    env_add(e, "LANG", "en_US.UTF-8");
    env_add(e, "TZ", ":UTC");
    env_add(e, "LD_LIBRARY_PATH", "/lib64:/usr/lib64:%s:%s/lib:%s:%s/lib:/opt/lib", rtdir, rtdir,
            code, code);
    env_add(e, "_HANDLER", "%s", fn->handler);
    env_add(e, "AWS_REGION", "%s", c->region);
    env_add(e, "AWS_DEFAULT_REGION", "%s", c->region);
    if (fn->rt->family != RT_PROVIDED)
        env_add(e, "AWS_EXECUTION_ENV", "AWS_Lambda_%s", fn->runtime);
    env_add(e, "AWS_LAMBDA_FUNCTION_NAME", "%s", fn->name);
    env_add(e, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "%d", fn->memory_mb);
    env_add(e, "AWS_LAMBDA_FUNCTION_VERSION", "%s", fn->version);
    env_add(e, "AWS_LAMBDA_INITIALIZATION_TYPE", "%s",
            in->provisioned ? "provisioned-concurrency" : "on-demand");
    env_add(e, "AWS_LAMBDA_LOG_GROUP_NAME", "%s", in->group);
    env_add(e, "AWS_LAMBDA_LOG_STREAM_NAME", "%s", in->stream);
    env_add(e, "AWS_ACCESS_KEY_ID", "%s", "LAMBDADLOCALKEY");
    env_add(e, "AWS_SECRET_ACCESS_KEY", "%s", "lambdad-local-secret");
    env_add(e, "AWS_SESSION_TOKEN", "%s", "lambdad-local-session");
    if (sandbox_has_netns(in->s->sb)) {
        env_add(e, "AWS_LAMBDA_RUNTIME_API", "127.0.0.1:%d", SANDBOX_RUNTIME_PORT);
        env_add(e, "AWS_ENDPOINT_URL", "http://127.0.0.1:%d", SANDBOX_EDGE_PORT);
    } else {
        env_add(e, "AWS_LAMBDA_RUNTIME_API", "127.0.0.1:%u", in->port);
        env_add(e, "AWS_ENDPOINT_URL", "%s", c->edge_url);
    }
    env_add(e, "LAMBDA_TASK_ROOT", "%s", code);
    env_add(e, "LAMBDA_RUNTIME_DIR", "%s", rtdir);
    env_add(e, "AWS_XRAY_CONTEXT_MISSING", "LOG_ERROR");
    if (fn->rt->family == RT_NODEJS)
        env_add(e, "NODE_PATH", "/opt/nodejs/node_modules:%s", code);
    if (in->tmpdir[0] != '\0')
        env_add(e, "TMPDIR", "%s", in->tmpdir);
}

static int rm_tree(const char *path);

struct ext_files {
    int n;
    char name[EXT_MAX][EXT_NAME_MAX + 1];
    char path[EXT_MAX][EXT_NAME_MAX + 520]; /* as the instance sees it */
};

/* The external extensions of fn: the executables in the extensions/
 * directories of its layers, a later layer's file replacing an earlier
 * one's of the same name (as /opt is laid out). Returns 0, or -E2BIG past
 * EXT_MAX, or the code directory's error. */
static int find_extensions(struct sched *s, const struct function *fn, bool iso,
                           struct ext_files *out)
{
    out->n = 0;
    for (int l = 0; l < fn->nlayers; l++) {
        char dir[512];
        int rc = blob_code_dir(s->bs, fn->layers[l].hex, dir, sizeof(dir));
        if (rc != 0)
            return rc;
        size_t dl = strlen(dir);
        snprintf(dir + dl, sizeof(dir) - dl, "/extensions");
        DIR *d = opendir(dir);
        if (d == NULL)
            continue;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            struct stat st;
            if (de->d_name[0] == '.' || strlen(de->d_name) > EXT_NAME_MAX ||
                fstatat(dirfd(d), de->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode) ||
                (st.st_mode & 0111) == 0)
                continue;
            int i = 0;
            while (i < out->n && strcmp(out->name[i], de->d_name) != 0)
                i++;
            if (i == out->n) {
                if (out->n == EXT_MAX) {
                    closedir(d);
                    return -E2BIG;
                }
                out->n++;
            }
            snprintf(out->name[i], sizeof(out->name[i]), "%s", de->d_name);
            snprintf(out->path[i], sizeof(out->path[i]), "%s/%s", iso ? "/opt/extensions" : dir,
                     de->d_name);
        }
        closedir(d);
    }
    return 0;
}

/* Starts a new instance for pool p. Returns 0 or -errno. */
static int spawn_instance(struct sched *s, struct pool *p, bool provisioned)
{
    struct function *fn = p->fn;
    struct instance *in = calloc(1, sizeof(*in));
    if (in == NULL)
        abort();
    in->s = s;
    in->pool = p;
    in->fn = function_ref(fn);
    in->state = I_STARTING;
    in->provisioned = provisioned;
    in->init_reported = provisioned; /* its init is not part of any invocation */
    rand_hex(in->id, 16);
    timer_init(&in->timer, on_inst_timer, in);
    timer_init(&in->freeze_timer, on_freeze_timer, in);
    timer_init(&in->ext_timer, on_ext_timer, in);
    snprintf(in->group, sizeof(in->group), "/aws/lambda/%s", fn->name);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    snprintf(in->stream, sizeof(in->stream), "%04d/%02d/%02d/[%s]%s", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, fn->version, in->id);
    static char dash_u[] = "-u";
    char code[512], bootstrap[600], script[700], rtdir[600], optdir[512] = "";
    char overlay[FN_LAYERS_MAX * 520 + 16] = "";
    /* In the sandbox the instance sees AWS's paths and has its own network
     * namespace (Runtime API at 127.0.0.1:9001); without, host paths and a
     * per-instance loopback port. */
    bool iso = sandbox_isolated(s->sb), netns = sandbox_has_netns(s->sb);
    const char *family = fn->rt->family == RT_PYTHON   ? "python"
                         : fn->rt->family == RT_NODEJS ? "nodejs"
                                                       : "c";
    const char *task, *rt;
    int pipefd[2] = {-1, -1};
    struct envbuf env = {.n = 0};
    char *argv[5] = {NULL};
    const char *wrapper;
    const char *path;
    struct sandbox_spec spec;
    struct ext_files *xf = NULL;
    char *initv[EXT_MAX + 10];
    char nbuf[8];
    int ctl[2] = {-1, -1}, extpipe[2] = {-1, -1};
    int rc = blob_code_dir(s->bs, fn->code_hex, code, sizeof(code));
    if (rc != 0)
        goto fail;
    if (!netns &&
        (rc = http_listen(s->srv, HTTP_RUNTIME, "127.0.0.1", 0, in, &in->listener, &in->port)) != 0)
        goto fail;
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        rc = -errno;
        goto fail;
    }
    if (!iso) {
        snprintf(in->tmpdir, sizeof(in->tmpdir), "%s/tmp/%s", s->cfg->data_dir, in->id);
        if (mkdir(in->tmpdir, 01777) != 0) {
            rc = -errno;
            in->tmpdir[0] = '\0';
            goto fail;
        }
    }
    snprintf(rtdir, sizeof(rtdir), "%s/%s", s->cfg->runtimes_dir, family);
    task = iso ? "/var/task" : code;
    rt = iso ? "/var/runtime" : rtdir;
    build_env(in, task, rt, &env);
    switch (fn->rt->family) {
    case RT_PYTHON:
        snprintf(script, sizeof(script), "%s/bootstrap.py", rt);
        path = s->cfg->python;
        argv[0] = (char *)(uintptr_t)path;
        argv[1] = dash_u;
        argv[2] = script;
        break;
    case RT_NODEJS:
        snprintf(script, sizeof(script), "%s/bootstrap.js", rt);
        path = s->cfg->node;
        argv[0] = (char *)(uintptr_t)path;
        argv[1] = script;
        break;
    default:
        snprintf(bootstrap, sizeof(bootstrap), "%s/bootstrap", task);
        path = bootstrap;
        argv[0] = bootstrap;
        break;
    }
    /* AWS_LAMBDA_EXEC_WRAPPER: a managed runtime starts through the wrapper
     * script (typically from a layer), which gets the runtime's command line
     * as its arguments, as on AWS. */
    wrapper = fn->rt->family != RT_PROVIDED && fn->env != NULL
                  ? cJSON_GetStringValue(
                        cJSON_GetObjectItemCaseSensitive(fn->env, "AWS_LAMBDA_EXEC_WRAPPER"))
                  : NULL;
    if (wrapper != NULL && wrapper[0] != '\0') {
        memmove(&argv[1], &argv[0], 3 * sizeof(argv[0]));
        argv[0] = (char *)(uintptr_t)wrapper;
        path = wrapper;
    }
    /* Layers at /opt: one is bound; several are stacked, later ones on top. */
    if (fn->nlayers == 1) {
        if ((rc = blob_code_dir(s->bs, fn->layers[0].hex, optdir, sizeof(optdir))) != 0)
            goto fail;
    } else if (fn->nlayers > 1) {
        size_t o = (size_t)snprintf(overlay, sizeof(overlay), "lowerdir=");
        for (int i = fn->nlayers - 1; i >= 0; i--) {
            char dir[512];
            if ((rc = blob_code_dir(s->bs, fn->layers[i].hex, dir, sizeof(dir))) != 0)
                goto fail;
            o += (size_t)snprintf(overlay + o, sizeof(overlay) - o, "%s%s",
                                  i == fn->nlayers - 1 ? "" : ":", dir);
        }
        if (o >= sizeof(overlay)) {
            rc = -ENAMETOOLONG;
            goto fail;
        }
    }
    spec = (struct sandbox_spec){.path = path,
                                 .argv = argv,
                                 .envp = env.vec,
                                 .cwd = task,
                                 .out_fd = pipefd[1],
                                 .code_dir = code,
                                 .runtime_dir = rtdir,
                                 .opt_dir = optdir[0] != '\0' ? optdir : NULL,
                                 .opt_overlay = overlay[0] != '\0' ? overlay : NULL,
                                 .tmp_mb = fn->ephemeral_mb,
                                 .memory_mb = fn->memory_mb,
                                 .hosts_file = iso && s->hosts[0] != '\0' ? s->hosts : NULL};
    /* External extensions: lambdad-init starts them, then the runtime. */
    if (fn->nlayers > 0) {
        if ((xf = malloc(sizeof(*xf))) == NULL)
            abort();
        if ((rc = find_extensions(s, fn, iso, xf)) != 0)
            goto fail;
    }
    if (xf != NULL && xf->n > 0) {
        if (s->init_fd < 0) {
            rc = -ENOSYS;
            goto fail;
        }
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) != 0 ||
            pipe2(extpipe, O_CLOEXEC) != 0) {
            rc = -errno;
            goto fail;
        }
        size_t k = 0;
        static char init_name[] = "lambdad-init", dashes[] = "--";
        snprintf(nbuf, sizeof(nbuf), "%d", xf->n);
        initv[k++] = init_name;
        initv[k++] = nbuf;
        for (int i = 0; i < xf->n; i++)
            initv[k++] = xf->path[i];
        initv[k++] = dashes;
        initv[k++] = (char *)(uintptr_t)path;
        for (size_t i = 0; argv[i] != NULL; i++)
            initv[k++] = argv[i];
        initv[k] = NULL;
        spec.path = init_name;
        spec.argv = initv;
        spec.exec_fd = s->init_fd;
        spec.ctl_fd = ctl[1];
        spec.ext_out_fd = extpipe[1];
    }
    in->spawn_us = clock_mono_us();
    rc = sandbox_spawn(s->sb, &spec, &in->proc);
    env_free(&env);
    close(pipefd[1]);
    pipefd[1] = -1;
    for (int k = 0; k < 2; k++) {
        int *fd = k == 0 ? &ctl[1] : &extpipe[1];
        if (*fd >= 0) {
            close(*fd);
            *fd = -1;
        }
    }
    if (rc != 0)
        goto fail;
    in->pid = in->proc->pid;
    in->rt_started = ctl[0] < 0;
    if (ctl[0] >= 0) {
        in->ext = calloc(1, sizeof(*in->ext));
        if (in->ext == NULL)
            abort();
        for (int i = 0; i < xf->n; i++)
            ext_add_external(in->ext, xf->name[i]);
        in->ctl = http_watch_fd(s->srv, ctl[0], on_ctl, in);
        ctl[0] = -1;
    }
    free(xf);
    xf = NULL;
    if (netns) {
        /* The listeners the sandbox made inside the instance's namespace. */
        http_listen_fd(s->srv, HTTP_RUNTIME, in->proc->runtime_fd, in, &in->listener);
        in->proc->runtime_fd = -1;
        if (in->proc->edge_fd >= 0) {
            http_listen_fd(s->srv, HTTP_EDGE, in->proc->edge_fd, NULL, &in->edge);
            in->proc->edge_fd = -1;
        }
    }
    for (int k = 0; k < 2; k++) {
        in->outs[k].in = in;
        in->outs[k].ext = k == 1;
    }
    in->outs[0].sock = http_watch_fd(s->srv, pipefd[0], on_output, &in->outs[0]);
    pipefd[0] = -1;
    if (extpipe[0] >= 0) {
        in->outs[1].sock = http_watch_fd(s->srv, extpipe[0], on_output, &in->outs[1]);
        extpipe[0] = -1;
    }
    timer_arm(s->th, &in->timer, INIT_TIMEOUT_MS);
    in->next = p->all;
    if (p->all != NULL)
        p->all->prev = in;
    p->all = in;
    p->count++;
    count(s, p, 0, 1);
    s->ninstances++;
    if (provisioned)
        p->provisioned++;
    log_debug("fn=%s instance=%s pid=%d msg=started", fn->name, in->id, (int)in->pid);
    return 0;
fail:
    env_free(&env);
    free(xf);
    for (int k = 0; k < 2; k++) {
        if (ctl[k] >= 0)
            close(ctl[k]);
        if (extpipe[k] >= 0)
            close(extpipe[k]);
    }
    if (pipefd[0] >= 0)
        close(pipefd[0]);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    http_listener_close(in->listener);
    if (in->tmpdir[0] != '\0')
        rm_tree(in->tmpdir);
    function_unref(in->fn);
    free(in);
    return rc;
}

/* Keeps one starting (or about to be idle) instance per waiting invocation. */
static void balance(struct sched *s, struct pool *p)
{
    int spawned = 0;
    while (p->fn != NULL && p->npending > p->starting + p->finishing) {
        if (spawned == SPAWN_BATCH) {
            /* A burst: let the loop serve instances that are ready meanwhile. */
            timer_arm(s->th, &p->respawn, 0);
            return;
        }
        int rc = spawn_instance(s, p, false);
        spawned++;
        if (rc == 0)
            continue;
        struct invocation *inv = dequeue(s, p);
        char *payload;
        if (p->fn->rt->family == RT_PROVIDED && (rc == -ENOENT || rc == -EACCES || rc == -ENOEXEC))
            payload = error_payload("Runtime.InvalidEntrypoint",
                                    "RequestId: %s Error: Couldn't find valid bootstrap(s): "
                                    "[/var/task/bootstrap /opt/bootstrap]",
                                    inv->request_id);
        else if (rc == -E2BIG)
            payload = error_payload("Extension.TooManyExtensions",
                                    "RequestId: %s Error: more than %d extensions in "
                                    "/opt/extensions",
                                    inv->request_id, EXT_MAX);
        else
            payload = error_payload("Runtime.Unknown",
                                    "RequestId: %s Error: the instance could not be started: %s",
                                    inv->request_id, err_str(rc));
        log_warn("fn=%s req=%s msg=\"spawn failed\" err=%s", p->name, inv->request_id,
                 err_name(rc));
        timer_cancel(s->th, &inv->deadline);
        metrics_started(s->cfg->metrics, p->fn->name);
        metrics_finished(s->cfg->metrics, p->fn->name, 0, true);
        complete_with(inv, 0, true, payload);
    }
}

static void instance_idle(struct instance *in)
{
    struct sched *s = in->s;
    struct pool *p = in->pool;
    if (in->fn != p->fn) {
        stop_instance(in);
        return;
    }
    struct invocation *inv = dequeue(s, p);
    if (inv != NULL) {
        timer_cancel(s->th, &inv->deadline);
        deliver(in, inv);
        return;
    }
    in->next_idle = p->idle;
    p->idle = in;
    in->on_idle_list = true;
    timer_arm(s->th, &in->freeze_timer, FREEZE_DELAY_MS);
    if (in->provisioned)
        return; /* kept until the configuration goes */
    if (s->cfg->keepalive_ms <= 0)
        stop_instance(in);
    else
        timer_arm(s->th, &in->timer, s->cfg->keepalive_ms);
}

static void on_respawn(struct timer *t, void *arg)
{
    struct pool *p = arg;
    (void)t;
    balance(p->s, p);
}

/* Starts provisioned instances until the pool has as many as configured. */
static void provision(struct sched *s, struct pool *p)
{
    while (p->fn != NULL && p->provisioned < p->provisioned_want) {
        if (spawn_instance(s, p, true) != 0) {
            log_warn("fn=%s msg=\"a provisioned instance could not be started\"", p->name);
            break;
        }
    }
}

/* Kills the whole instance now and closes its endpoints. */
static void kill_now(struct instance *in)
{
    sandbox_kill(in->proc); /* thaws a frozen instance first */
    http_listener_close(in->listener);
    in->listener = NULL;
    http_listener_close(in->edge);
    in->edge = NULL;
    if (in->ext != NULL)
        ext_release(in->ext);
    if (in->next_req != NULL) {
        rterr_send(in->next_req, 500, "Runtime.Stopped", "The instance is shutting down");
        in->next_req = NULL;
    }
}

static void ctl_send(struct instance *in, char cmd)
{
    if (in->ctl != NULL && write(h2o_socket_get_fd(in->ctl), &cmd, 1) != 1)
        log_warn("fn=%s instance=%s msg=\"lambdad-init is not listening\"", in->pool->name, in->id);
}

/* The Shutdown phase of an initialised instance with extensions that
 * registered for SHUTDOWN: they get the event, the runtime SIGTERM, and
 * everything is killed EXT_SHUTDOWN_MS later unless it is gone sooner. */
static bool begin_graceful(struct instance *in)
{
    struct sched *s = in->s;
    if (in->ext == NULL || in->ctl == NULL || ext_shutdown_listeners(in->ext) == 0)
        return false;
    in->graceful = true;
    thaw(in);
    char ev[160];
    int n = snprintf(ev, sizeof(ev),
                     "{\"eventType\":\"SHUTDOWN\",\"shutdownReason\":\"%s\",\"deadlineMs\":%lld}",
                     in->stop_reason != NULL ? in->stop_reason : "spindown",
                     (long long)(clock_ms() + EXT_SHUTDOWN_MS));
    ext_broadcast(in->ext, true, ev, (size_t)n);
    if (!in->rt_gone)
        ctl_send(in, 't');
    timer_arm(s->th, &in->ext_timer, EXT_SHUTDOWN_MS);
    return true;
}

/* Stops in without starting replacements: kill its process group (after the
 * Shutdown phase when extensions want it), close its endpoint, release a
 * parked /next. Freed when the process is reaped. */
static void mark_stopping(struct instance *in)
{
    struct sched *s = in->s;
    if (in->state == I_STOPPING)
        return;
    bool initialised = in->state != I_STARTING;
    if (!initialised)
        count(s, in->pool, 0, -1);
    end_finishing(in);
    in->state = I_STOPPING;
    unlist_idle(in);
    timer_cancel(s->th, &in->timer);
    timer_cancel(s->th, &in->freeze_timer);
    if (!initialised || !begin_graceful(in))
        kill_now(in);
    if (in->report_pending)
        end_invoke(in, NULL); /* extensions did not finish the invocation */
}

static void stop_instance(struct instance *in)
{
    mark_stopping(in);
    balance(in->s, in->pool);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Removes a per-instance TMPDIR and everything the function left in it. */
static int rm_tree(const char *path)
{
    return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void destroy_instance(struct instance *in)
{
    struct sched *s = in->s;
    struct pool *p = in->pool;
    drain_output(in);
    for (int k = 0; k < 2; k++) {
        if (in->outs[k].sock != NULL)
            h2o_socket_close(in->outs[k].sock);
        free(in->outs[k].partial);
    }
    timer_cancel(s->th, &in->timer);
    timer_cancel(s->th, &in->freeze_timer);
    timer_cancel(s->th, &in->ext_timer);
    end_finishing(in);
    http_listener_close(in->listener);
    http_listener_close(in->edge);
    if (in->ext != NULL) {
        ext_release(in->ext);
        free(in->ext);
    }
    if (in->ctl != NULL)
        h2o_socket_close(in->ctl);
    if (in->proc != NULL)
        sandbox_release(in->proc);
    if (in->prev != NULL)
        in->prev->next = in->next;
    else
        p->all = in->next;
    if (in->next != NULL)
        in->next->prev = in->prev;
    p->count--;
    s->ninstances--;
    if (in->provisioned)
        p->provisioned--;
    if (in->tmpdir[0] != '\0')
        rm_tree(in->tmpdir);
    function_unref(in->fn);
    free(in->init_error);
    free(in);
}

static void exit_text(int status, char *buf, size_t cap)
{
    if (WIFEXITED(status)) {
        snprintf(buf, cap, "exit status %d", WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char *name = sig == SIGKILL ? "killed" : strsignal(sig);
        snprintf(buf, cap, "signal: %s", name != NULL ? name : "unknown");
        for (char *c = buf + 8; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
    } else {
        snprintf(buf, cap, "status %d", status);
    }
}

/* The runtime is gone (status: a wait status): fail what it was doing. */
static void runtime_exited(struct instance *in, int status)
{
    struct sched *s = in->s;
    struct pool *p = in->pool;
    char why[96];
    in->rt_gone = true;
    /* An out-of-memory kill is a SIGKILL: "signal: killed", as AWS reports it. */
    exit_text(status, why, sizeof(why));
    drain_output(in);
    if (in->inv != NULL) {
        struct invocation *inv = in->inv;
        log_linef(in, inv, "RequestId: %s Error: Runtime exited with error: %s", inv->request_id,
                  why);
        log_line(in, inv, "Runtime.ExitError", strlen("Runtime.ExitError"));
        char *payload =
            error_payload("Runtime.ExitError", "RequestId: %s Error: Runtime exited with error: %s",
                          inv->request_id, why);
        finish(in, true, NULL, 0, NULL, payload);
        return;
    }
    bool init_failed = in->init_error != NULL || in->init_error_type[0] != '\0';
    if (in->state != I_STARTING && !(in->state == I_STOPPING && init_failed))
        return;
    mark_stopping(in);
    /* An init failure fails one waiting invocation that no other starting
     * instance is left to serve. */
    struct invocation *inv = p->npending > p->starting + p->finishing ? dequeue(s, p) : NULL;
    if (inv == NULL)
        return;
    timer_cancel(s->th, &inv->deadline);
    in->inv = inv;
    inv->inst = in;
    count(s, p, 1, 0);
    metrics_started(s->cfg->metrics, in->fn->name);
    inv->start_us = clock_mono_us();
    in->init_ms = (double)(inv->start_us - in->spawn_us) / 1000.0;
    log_linef(in, inv, "START RequestId: %s Version: %s", inv->request_id, in->fn->version);
    char *payload;
    if (in->init_error != NULL) {
        payload = in->init_error;
        in->init_error = NULL;
        log_linef(in, inv, "RequestId: %s Error: Runtime exited with error: %s", inv->request_id,
                  why);
    } else if (in->init_error_type[0] != '\0') {
        payload = error_payload(in->init_error_type, "RequestId: %s Error: %s", inv->request_id,
                                in->init_error_msg);
        log_linef(in, inv, "RequestId: %s Error: %s", inv->request_id, in->init_error_msg);
        log_line(in, inv, in->init_error_type, strlen(in->init_error_type));
    } else {
        payload =
            error_payload("Runtime.ExitError", "RequestId: %s Error: Runtime exited with error: %s",
                          inv->request_id, why);
        log_linef(in, inv, "RequestId: %s Error: Runtime exited with error: %s", inv->request_id,
                  why);
    }
    finish(in, true, NULL, 0, NULL, payload);
}

/* The instance's first process exited: the runtime's failure (unless
 * lambdad-init reported it already), then free it. */
static void instance_exited(struct instance *in, int status)
{
    struct sched *s = in->s;
    struct pool *p = in->pool;
    if (!in->rt_gone)
        runtime_exited(in, status);
    in->state = I_STOPPING;
    destroy_instance(in);
    balance(s, p);
    if (!s->stopping)
        provision(s, p); /* replace a provisioned instance that died */
    pool_drop_if_unused(s, p);
}

static struct instance *find_pid(struct sched *s, pid_t pid)
{
    for (size_t b = 0; b < POOL_BUCKETS; b++)
        for (struct pool *p = s->buckets[b]; p != NULL; p = p->hnext)
            for (struct instance *in = p->all; in != NULL; in = in->next)
                if (in->pid == pid)
                    return in;
    return NULL;
}

void sched_reap(struct sched *s)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0)
            break;
        struct instance *in = find_pid(s, pid);
        if (in == NULL)
            continue;
        sandbox_kill(in->proc); /* whatever the runtime left behind */
        instance_exited(in, status);
    }
}

/* ---- invocation timer: timeouts ---- */

static void on_inv_timer(struct timer *t, void *arg)
{
    struct invocation *inv = arg;
    (void)t;
    struct instance *in = inv->inst;
    if (in == NULL)
        return;
    char ts[32];
    time_fmt_iso(clock_ms(), ts);
    log_linef(in, inv, "%s %s Task timed out after %d.00 seconds", ts, inv->request_id,
              in->fn->timeout_s);
    char buf[256];
    sched_timeout_payload(buf, sizeof(buf), inv->request_id, in->fn->timeout_s);
    char *payload = strdup(buf);
    if (payload == NULL)
        abort();
    finish(in, true, NULL, 0, NULL, payload);
    in->stop_reason = "timeout";
    stop_instance(in);
}

/* ---- public API ---- */

/* The /etc/hosts instances see: the host's own names for loopback, and
 * sandbox.localdomain (how extensions name their Telemetry listener). */
static void write_hosts(struct sched *s)
{
    static const char text[] = "127.0.0.1\tlocalhost sandbox.localdomain sandbox\n"
                               "::1\tlocalhost ip6-localhost ip6-loopback\n";
    snprintf(s->hosts, sizeof(s->hosts), "%s/hosts", s->cfg->data_dir);
    FILE *f = fopen(s->hosts, "w");
    if (f == NULL || fwrite(text, 1, sizeof(text) - 1, f) != sizeof(text) - 1) {
        log_warn("msg=\"cannot write the instances' hosts file\" path=%s", s->hosts);
        s->hosts[0] = '\0';
    }
    if (f != NULL && fclose(f) != 0)
        s->hosts[0] = '\0';
    if (f != NULL)
        chmod(s->hosts, 0644);
}

struct sched *sched_new(struct http_server *srv, struct blob_store *bs, struct logs *lg,
                        const struct sched_config *cfg)
{
    struct sched *s = calloc(1, sizeof(*s));
    if (s == NULL)
        abort();
    s->srv = srv;
    s->bs = bs;
    s->logs = lg;
    s->cfg = cfg;
    s->th = http_timers(srv);
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/tmp", cfg->data_dir);
    mkdir(dir, 0700);
    struct sandbox_config sbc = {.kind = cfg->sandbox_kind,
                                 .runtime_port = SANDBOX_RUNTIME_PORT,
                                 .edge_port = SANDBOX_EDGE_PORT};
    int rc = sandbox_open(&sbc, &s->sb);
    if (rc != 0) {
        log_error("msg=\"the sandbox cannot be set up\" err=%s", err_str(rc));
        free(s);
        return NULL;
    }
    log_info("sandbox=%s", sandbox_mode(s->sb));
    s->init_fd = -1;
    write_hosts(s);
    if (cfg->init_path != NULL && cfg->init_path[0] != '\0' &&
        (s->init_fd = open(cfg->init_path, O_PATH | O_CLOEXEC)) < 0)
        log_warn("msg=\"lambdad-init not found: functions with external extensions cannot "
                 "start\" path=%s",
                 cfg->init_path);
    return s;
}

int sched_submit(struct sched *s, struct invocation *inv)
{
    struct pool *p = pool_get(s, inv->fn);
    timer_init(&inv->deadline, on_inv_timer, inv);
    inv->inst = NULL;
    if (p->fn != inv->fn)
        set_pool_fn(s, p, inv->fn);
    /* Concurrency is invocations running or starting: a reservation caps the
     * function; the others share what the reservations leave of the account. */
    int rc = 0;
    int account = s->cfg->account_concurrency;
    if (has_reservation(p)) {
        if ((int)(p->busy + p->starting) >= p->fn->reserved)
            rc = ERR_TOO_MANY_RESERVED;
    } else if ((int)s->unreserved_active >= account - (int)s->reserved_total) {
        rc = ERR_TOO_MANY_REQUESTS;
    }
    if (rc == 0 && (int)(s->nbusy + s->nstarting) >= account)
        rc = ERR_TOO_MANY_REQUESTS;
    if (rc != 0) {
        metrics_throttled(s->cfg->metrics, inv->fn->name);
        pool_drop_if_unused(s, p);
        return rc;
    }
    while (p->idle != NULL) {
        struct instance *in = p->idle;
        if (in->fn == p->fn) {
            deliver(in, inv);
            return 0;
        }
        stop_instance(in);
    }
    enqueue(p, inv);
    s->npending++;
    balance(s, p);
    return 0;
}

void sched_set_reserved_total(struct sched *s, unsigned total)
{
    s->reserved_total = total;
}

void sched_function_changed(struct sched *s, const char *name, struct function *fn)
{
    struct pool *p = pool_find(s, name);
    if (p == NULL)
        return;
    set_pool_fn(s, p, fn);
    if (fn == NULL) {
        fail_pending(s, p, ERR_NOT_FOUND);
        p->provisioned_want = 0;
    }
    struct instance *next;
    for (struct instance *in = p->all; in != NULL; in = next) {
        next = in->next;
        if (in->fn != fn && in->state != I_BUSY)
            stop_instance(in);
    }
    balance(s, p);
    pool_drop_if_unused(s, p);
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
    count(s, in->pool, 0, -1);
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
        finish(in, true, NULL, 0, NULL,
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

static void on_ctl(h2o_socket_t *sock, const char *err)
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
        finish(in, true, NULL, 0, NULL, payload);
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
        finish(in, true, NULL, 0, NULL, error_payload(type, "%s", ""));
    } else {
        finish_ext(in, true, is_error, body, len, ctype, NULL);
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
        in->init_error = malloc(len + 1);
        if (in->init_error == NULL)
            abort();
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

unsigned sched_busy(const struct sched *s)
{
    return s->nbusy + s->npending;
}

unsigned sched_instances(const struct sched *s)
{
    return s->ninstances;
}

void sched_stop_all(struct sched *s)
{
    s->stopping = true;
    for (size_t b = 0; b < POOL_BUCKETS; b++) {
        struct pool *p = s->buckets[b];
        while (p != NULL) {
            struct pool *pnext = p->hnext;
            fail_pending(s, p, ERR_SERVICE);
            set_pool_fn(s, p, NULL);
            p->provisioned_want = 0;
            for (struct instance *in = p->all; in != NULL; in = in->next)
                stop_instance(in);
            pool_drop_if_unused(s, p); /* else dropped when its last instance exits */
            p = pnext;
        }
    }
}

void sched_free(struct sched *s)
{
    if (s == NULL)
        return;
    sched_stop_all(s);
    /* No more loop turns: the Shutdown phase of extensions ends here. */
    for (size_t b = 0; b < POOL_BUCKETS; b++)
        for (struct pool *p = s->buckets[b]; p != NULL; p = p->hnext)
            for (struct instance *in = p->all; in != NULL; in = in->next)
                kill_now(in);
    int64_t until = clock_mono_us() + 2000000;
    while (s->ninstances > 0 && clock_mono_us() < until) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0)
            break;
        struct instance *in = find_pid(s, pid);
        if (in != NULL)
            instance_exited(in, status);
    }
    sandbox_free(s->sb);
    if (s->init_fd >= 0)
        close(s->init_fd);
    free(s);
}

const char *sched_sandbox_mode(const struct sched *s)
{
    return sandbox_mode(s->sb);
}

void sched_provision(struct sched *s, struct function *fn, unsigned n)
{
    struct pool *p = pool_get(s, fn);
    if (p->fn != fn)
        set_pool_fn(s, p, fn);
    p->provisioned_want = n;
    provision(s, p);
    /* Fewer wanted: provisioned instances beyond the count become on-demand
     * ones, which the keep-alive reaps. */
    unsigned keep = n;
    for (struct instance *in = p->all; in != NULL; in = in->next) {
        if (!in->provisioned || in->state == I_STOPPING)
            continue;
        if (keep > 0) {
            keep--;
            continue;
        }
        in->provisioned = false;
        p->provisioned--;
        if (in->on_idle_list)
            timer_arm(s->th, &in->timer, s->cfg->keepalive_ms > 0 ? s->cfg->keepalive_ms : 0);
    }
    pool_drop_if_unused(s, p);
}

unsigned sched_provisioned_ready(struct sched *s, const struct function *fn)
{
    char key[FN_NAME_MAX + 16];
    pool_key(fn, key, sizeof(key));
    struct pool *p = pool_find(s, key);
    unsigned ready = 0;
    for (struct instance *in = p != NULL ? p->all : NULL; in != NULL; in = in->next)
        if (in->provisioned && (in->state == I_IDLE || in->state == I_BUSY))
            ready++;
    return ready;
}
