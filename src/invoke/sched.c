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

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/util.h"
#include "invoke/logs.h"
#include "invoke/metrics.h"
#include "lambda/function.h"
#include "sandbox/sandbox.h"
#include "store/blob.h"

enum inst_state { I_STARTING, I_IDLE, I_BUSY, I_STOPPING };

struct pool;

struct instance {
    struct sched *s;
    struct pool *pool;
    struct function *fn; /* the snapshot this instance runs (a reference) */
    enum inst_state state;
    pid_t pid;
    struct http_listener *listener;
    uint16_t port;
    h2o_req_t *next_req;    /* parked GET /next */
    struct invocation *inv; /* the invocation it is running */
    char last_id[37];       /* the last request id it answered */
    h2o_socket_t *out;      /* stdout+stderr pipe */
    char *partial;          /* an output line without its newline yet */
    size_t partial_len;
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

static void output_bytes(struct instance *in, const char *p, size_t n)
{
    while (n > 0) {
        const char *nl = memchr(p, '\n', n);
        size_t take = nl != NULL ? (size_t)(nl - p) : n;
        if (in->partial_len + take > LOG_LINE_MAX_BYTES)
            take = LOG_LINE_MAX_BYTES - in->partial_len;
        char *buf = realloc(in->partial, in->partial_len + take + 1);
        if (buf == NULL)
            abort();
        in->partial = buf;
        memcpy(in->partial + in->partial_len, p, take);
        in->partial_len += take;
        p += take;
        n -= take;
        bool end = n > 0 && *p == '\n';
        if (end || in->partial_len == LOG_LINE_MAX_BYTES) {
            log_line(in, in->inv, in->partial, in->partial_len);
            in->partial_len = 0;
        }
        if (end) {
            p++;
            n--;
        }
    }
}

static void flush_partial(struct instance *in)
{
    if (in->partial_len > 0) {
        log_line(in, in->inv, in->partial, in->partial_len);
        in->partial_len = 0;
    }
}

static void on_output(h2o_socket_t *sock, const char *err)
{
    struct instance *in = sock->data;
    output_bytes(in, sock->input->bytes, sock->input->size);
    h2o_buffer_consume(&sock->input, sock->input->size);
    if (err != NULL) {
        flush_partial(in);
        h2o_socket_close(sock);
        in->out = NULL;
    }
}

/* Reads whatever the runtime wrote so far, so its lines precede END. */
static void drain_output(struct instance *in)
{
    if (in->out == NULL)
        return;
    int fd = h2o_socket_get_fd(in->out);
    char buf[65536];
    for (int rounds = 0; rounds < 256; rounds++) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        output_bytes(in, buf, (size_t)n);
    }
    flush_partial(in);
}

/* ---- invocation completion ---- */

static void rt_reply(h2o_req_t *req, int status, const char *type, const char *msg)
{
    char body[512];
    int n =
        snprintf(body, sizeof(body), "{\"errorMessage\":\"%s\",\"errorType\":\"%s\"}", msg, type);
    http_send(req, status, "application/json", body, (size_t)n);
}

static void rt_error(h2o_req_t *req, int code)
{
    rt_reply(req, err_http_status(code), err_aws_type(code), err_str(code));
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
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "errorMessage", msg);
    cJSON_AddStringToObject(o, "errorType", type);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text == NULL)
        abort();
    return text;
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

/* Ends the running invocation: END and REPORT, then the done callback. */
static void finish(struct instance *in, bool fn_error, const char *body, size_t len,
                   const char *ctype, char *owned)
{
    struct sched *s = in->s;
    struct invocation *inv = in->inv;
    timer_cancel(s->th, &inv->deadline);
    drain_output(in);
    double ms = (double)(clock_mono_us() - inv->start_us) / 1000.0;
    long billed = (long)ms + ((double)(long)ms < ms ? 1 : 0);
    if (billed < 1)
        billed = 1;
    char init[64] = "";
    if (!in->init_reported) {
        snprintf(init, sizeof(init), "Init Duration: %.2f ms\t", in->init_ms);
        in->init_reported = true;
    }
    log_linef(in, inv, "END RequestId: %s", inv->request_id);
    log_linef(in, inv,
              "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %ld ms\tMemory Size: "
              "%d MB\tMax Memory Used: %d MB\t%s",
              inv->request_id, ms, billed, in->fn->memory_mb, peak_mb(in), init);
    metrics_finished(s->cfg->metrics, in->fn->name, ms / 1000.0, fn_error);
    memcpy(in->last_id, inv->request_id, sizeof(in->last_id));
    in->inv = NULL;
    inv->inst = NULL;
    count(s, in->pool, -1, 0);
    if (in->state == I_BUSY) {
        /* It goes on the idle list when it asks for the next event; until then
         * (at most FINISH_GRACE_MS) waiting invocations count on it. */
        in->state = I_IDLE;
        in->finishing = true;
        in->pool->finishing++;
        timer_arm(s->th, &in->timer, FINISH_GRACE_MS);
    }
    inv->result = body;
    inv->result_len = len;
    inv->result_ctype = ctype;
    complete_with(inv, 0, fn_error, owned);
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
                                 .memory_mb = fn->memory_mb};
    in->spawn_us = clock_mono_us();
    rc = sandbox_spawn(s->sb, &spec, &in->proc);
    env_free(&env);
    close(pipefd[1]);
    pipefd[1] = -1;
    if (rc != 0)
        goto fail;
    in->pid = in->proc->pid;
    if (netns) {
        /* The listeners the sandbox made inside the instance's namespace. */
        http_listen_fd(s->srv, HTTP_RUNTIME, in->proc->runtime_fd, in, &in->listener);
        in->proc->runtime_fd = -1;
        if (in->proc->edge_fd >= 0) {
            http_listen_fd(s->srv, HTTP_EDGE, in->proc->edge_fd, NULL, &in->edge);
            in->proc->edge_fd = -1;
        }
    }
    in->out = http_watch_fd(s->srv, pipefd[0], on_output, in);
    pipefd[0] = -1;
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

/* Stops in without starting replacements: kill its process group, close its
 * endpoint, release a parked /next. Freed when the process is reaped. */
static void mark_stopping(struct instance *in)
{
    struct sched *s = in->s;
    if (in->state == I_STOPPING)
        return;
    if (in->state == I_STARTING)
        count(s, in->pool, 0, -1);
    end_finishing(in);
    in->state = I_STOPPING;
    unlist_idle(in);
    timer_cancel(s->th, &in->timer);
    timer_cancel(s->th, &in->freeze_timer);
    sandbox_kill(in->proc); /* thaws a frozen instance first */
    http_listener_close(in->listener);
    in->listener = NULL;
    http_listener_close(in->edge);
    in->edge = NULL;
    if (in->next_req != NULL) {
        rt_reply(in->next_req, 500, "Runtime.Stopped", "The instance is shutting down");
        in->next_req = NULL;
    }
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
    if (in->out != NULL) {
        drain_output(in);
        h2o_socket_close(in->out);
    }
    timer_cancel(s->th, &in->timer);
    timer_cancel(s->th, &in->freeze_timer);
    end_finishing(in);
    http_listener_close(in->edge);
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
    free(in->partial);
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

/* The runtime process exited: fail what it was doing, then free it. */
static void instance_exited(struct instance *in, int status)
{
    struct sched *s = in->s;
    struct pool *p = in->pool;
    char why[96];
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
    } else if (in->state == I_STARTING || (in->state == I_STOPPING && in->init_error != NULL)) {
        mark_stopping(in);
        /* An init failure fails one waiting invocation that no other starting
         * instance is left to serve. */
        struct invocation *inv = p->npending > p->starting + p->finishing ? dequeue(s, p) : NULL;
        if (inv != NULL) {
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
            } else {
                payload = error_payload("Runtime.ExitError",
                                        "RequestId: %s Error: Runtime exited with error: %s",
                                        inv->request_id, why);
            }
            log_linef(in, inv, "RequestId: %s Error: Runtime exited with error: %s",
                      inv->request_id, why);
            finish(in, true, NULL, 0, NULL, payload);
        }
    }
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
    stop_instance(in);
}

/* ---- public API ---- */

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

static bool path_is(const h2o_req_t *req, size_t len, const char *p)
{
    return len == strlen(p) && memcmp(req->path.base, p, len) == 0;
}

static int on_next(struct sched *s, struct instance *in, h2o_req_t *req)
{
    if (in->next_req != NULL || in->state == I_BUSY) {
        rt_error(req, ERR_RT_INVALID_STATE);
        return 0;
    }
    in->next_req = req;
    if (in->finishing) {
        end_finishing(in);
        timer_cancel(s->th, &in->timer);
    }
    if (in->state == I_STARTING) {
        in->init_ms = (double)(clock_mono_us() - in->spawn_us) / 1000.0;
        count(s, in->pool, 0, -1);
        timer_cancel(s->th, &in->timer);
        in->state = I_IDLE;
    }
    instance_idle(in);
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
        finish(in, is_error, body, len, ctype, NULL);
    }
    http_send(req, 202, "application/json", "{\"status\":\"OK\"}", 15);
    if (in->s->cfg->keepalive_ms <= 0 && !in->provisioned)
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
        rt_reply(req, 500, "Runtime.Stopped", "The instance is shutting down");
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
    rt_reply(req, 404, "InvalidRequest", "Unknown Runtime API path");
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
