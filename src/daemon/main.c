/* SPDX-License-Identifier: MIT */
/*
 * lambdad: start-up, the event loop and shutdown. main() builds every module
 * in dependency order (store, blobs, workers, HTTP, logs, scheduler, control
 * plane), then runs the loop until SIGTERM. Signals arrive through a
 * signalfd on the loop, so SIGCHLD reaping and shutdown run in loop context.
 * On SIGTERM the edge listener closes, in-flight invocations get
 * SHUTDOWN_GRACE_MS to finish, then instances are stopped, worker jobs and
 * log batches are flushed, and the store is closed.
 */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/awserr.h"
#include "aws/sigv4.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/timer.h"
#include "base/util.h"
#include "base/worker.h"
#include "catalog/catalog.h"
#include "cwlogs/api.h"
#include "daemon/config.h"
#include "gateway/control.h"
#include "gateway/keys.h"
#include "gateway/model.h"
#include "gateway/proxy.h"
#include "gateway/rest.h"
#include "http/router.h"
#include "http/server.h"
#include "invoke/invoke.h"
#include "invoke/logs.h"
#include "invoke/metrics.h"
#include "invoke/sched.h"
#include "lambda/api.h"
#include "sandbox/sandbox.h"
#include "sources/async.h"
#include "store/blob.h"
#include "store/store.h"

#define LAMBDAD_VERSION "0.1.0"

#if defined(__SANITIZE_ADDRESS__)
const char *__lsan_default_suppressions(void);
/* H2O 2.2's h2o_context_dispose never frees the context's multithread queue
 * (one object per context, alive until exit): not a lambdad leak. */
const char *__lsan_default_suppressions(void)
{
    return "leak:h2o_multithread_create_queue\n";
}
#endif

struct server {
    struct config cfg;
    struct store *st;
    struct blob_store *bs;
    struct worker_pool *wp;
    struct http_server *http;
    struct http_listener *edge;
    h2o_socket_t *worker_sock; /* completion eventfd of the worker pool */
    h2o_socket_t *signal_sock; /* signalfd */
    struct logs *logs;
    struct sched *sched;
    struct catalog cat; /* the function model */
    struct invoker iv;  /* invoke_submit() */
    struct lambda_api api;
    struct router router;   /* the edge's one routing table */
    struct cwlogs *cwlogs;  /* the CloudWatch Logs API */
    struct gateway gateway; /* API Gateway */
    struct async_queue *async;
    struct metrics *metrics;
    struct sched_config scfg;
    enum sandbox_kind sandbox_kind;
    struct async_config acfg;
    char runtimes_dir[1024];
    char init_path[1024];
    char edge_url[128];
    bool stopping;
    int64_t stop_deadline_ms;
};

static void send_health(struct server *srv, h2o_req_t *req)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", srv->stopping ? "stopping" : "ok");
    cJSON_AddStringToObject(o, "version", LAMBDAD_VERSION);
    cJSON_AddStringToObject(o, "store", store_backend(srv->st));
    cJSON_AddStringToObject(o, "sandbox", sched_sandbox_mode(srv->sched));
    cJSON_AddNumberToObject(o, "instances", sched_instances(srv->sched));
    cJSON_AddNumberToObject(o, "functions", (double)srv->cat.len);
    cJSON_AddNumberToObject(o, "async_queue_depth", (double)async_depth(srv->async));
    aws_send_json_take(req, 200, o);
}

/* GET /metrics: Prometheus text format (version 0.0.4). */
static void send_metrics(struct server *srv, h2o_req_t *req)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    metrics_render(srv->metrics, &buf, &len, &cap);
    metrics_printf(&buf, &len, &cap,
                   "# HELP lambdad_instances Function instances alive.\n"
                   "# TYPE lambdad_instances gauge\nlambdad_instances %u\n"
                   "# HELP lambdad_async_queue_depth Asynchronous events queued or running.\n"
                   "# TYPE lambdad_async_queue_depth gauge\nlambdad_async_queue_depth %zu\n"
                   "# HELP lambdad_async_oldest_event_age_seconds Age of the oldest queued "
                   "event.\n# TYPE lambdad_async_oldest_event_age_seconds gauge\n"
                   "lambdad_async_oldest_event_age_seconds %.3f\n",
                   sched_instances(srv->sched), async_depth(srv->async),
                   (double)async_oldest_age_ms(srv->async) / 1000.0);
    struct logs_stats ls;
    logs_get_stats(srv->logs, &ls);
    metrics_printf(&buf, &len, &cap,
                   "# HELP lambdad_log_backlog_bytes Function log bytes queued or being written.\n"
                   "# TYPE lambdad_log_backlog_bytes gauge\nlambdad_log_backlog_bytes %zu\n"
                   "# HELP lambdad_log_backlog_events Function log events queued or being "
                   "written.\n# TYPE lambdad_log_backlog_events gauge\n"
                   "lambdad_log_backlog_events %zu\n"
                   "# HELP lambdad_log_paused_outputs Instance output pipes not read until the "
                   "log backlog has room.\n# TYPE lambdad_log_paused_outputs gauge\n"
                   "lambdad_log_paused_outputs %u\n"
                   "# HELP lambdad_log_events_written_total Function log events committed.\n"
                   "# TYPE lambdad_log_events_written_total counter\n"
                   "lambdad_log_events_written_total %llu\n"
                   "# HELP lambdad_log_events_trimmed_total Log events deleted by --log-max-mb.\n"
                   "# TYPE lambdad_log_events_trimmed_total counter\n"
                   "lambdad_log_events_trimmed_total %llu\n"
                   "# HELP lambdad_log_store_failing 1 while function log writes fail and are "
                   "retried.\n# TYPE lambdad_log_store_failing gauge\n"
                   "lambdad_log_store_failing %d\n",
                   ls.backlog_bytes, ls.backlog_events, ls.paused, (unsigned long long)ls.written,
                   (unsigned long long)ls.trimmed, ls.failing ? 1 : 0);
    http_send(req, 200, "text/plain; version=0.0.4", buf, len);
    free(buf);
}

static bool on_metrics(void *arg, h2o_req_t *req)
{
    send_metrics(arg, req);
    return true;
}

static bool on_health(void *arg, h2o_req_t *req)
{
    send_health(arg, req);
    return true;
}

/* What no row takes: AWS's answer to an operation it does not know. */
static void on_unknown(void *arg, h2o_req_t *req)
{
    (void)arg;
    aws_send_error(req, ERR_UNKNOWN_OPERATION, "Unknown operation: %.*s %.*s", (int)req->method.len,
                   req->method.base, (int)(req->path.len > 200 ? 200 : req->path.len),
                   req->path.base);
}

static void on_refused(void *arg, h2o_req_t *req)
{
    (void)arg;
    aws_send_error(req, ERR_SERVICE, "lambdad is shutting down");
}

static int on_edge(h2o_req_t *req, void *arg)
{
    struct server *srv = arg;
    router_dispatch(&srv->router, req);
    return 0;
}

/* The router's table: every service adds its rows; the daemon's own are
 * health and metrics, served while stopping. */
static int add_routes(struct server *srv)
{
    struct router *r = &srv->router;
    router_init(r, on_unknown, on_refused, srv);
    router_set_service_fn(r, sigv4_service);
    int rc;
    if ((rc = router_add(r, ROUTER_PATH, "/metrics", ROUTER_ALWAYS, on_metrics, srv)) ||
        (rc = router_add(r, ROUTER_PATH, "/_lambdad/health", ROUTER_ALWAYS, on_health, srv)) ||
        (rc = gw_routes(&srv->gateway, r)) || (rc = cwlogs_routes(srv->cwlogs, r)) ||
        (rc = lambda_api_routes(&srv->api, r)))
        log_error("msg=\"cannot build the routing table\" err=%s", err_str(rc));
    return rc;
}

static void enqueue_event(void *ctx, const char *fn, const char *invoked_arn, const char *payload,
                          size_t len, invoke_accepted_fn *done, void *arg)
{
    struct server *srv = ctx;
    async_enqueue(srv->async, fn, invoked_arn, payload, len, done, arg);
}

static int on_runtime(h2o_req_t *req, void *arg)
{
    struct server *srv = arg;
    return sched_runtime_request(srv->sched, req);
}

static void on_worker(h2o_socket_t *sock, const char *err)
{
    struct server *srv = sock->data;
    (void)err;
    h2o_buffer_consume(&sock->input, sock->input->size);
    worker_pool_complete(srv->wp);
}

static void begin_stop(struct server *srv)
{
    if (srv->stopping)
        return;
    log_info("msg=\"stopping\" busy=%u", sched_busy(srv->sched));
    srv->stopping = true;
    router_stop(&srv->router);
    async_stop(srv->async);
    srv->stop_deadline_ms = timer_now_ms() + SHUTDOWN_GRACE_MS;
    http_listener_close(srv->edge);
    srv->edge = NULL;
}

static void on_signal(h2o_socket_t *sock, const char *err)
{
    struct server *srv = sock->data;
    size_t n = sock->input->size / sizeof(struct signalfd_siginfo);
    for (size_t i = 0; i < n; i++) {
        struct signalfd_siginfo si; /* the input buffer is not aligned for it */
        memcpy(&si, sock->input->bytes + i * sizeof(si), sizeof(si));
        if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
            begin_stop(srv);
    }
    h2o_buffer_consume(&sock->input, n * sizeof(struct signalfd_siginfo));
    if (err != NULL)
        begin_stop(srv);
    sched_reap(srv->sched); /* SIGCHLDs coalesce; reaping is cheap */
}

static int mkdir_p(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return -ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return -errno;
            *p = '/';
        }
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

/* The first of the paths rel (relative to the directory of the running
 * binary) for which path + probe passes access(mode), resolved, into out.
 * Returns false (out untouched) if none does. */
static bool beside_exe(const char *const *rel, size_t n, const char *probe, int mode, char *out,
                       size_t cap)
{
    char exe[900];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (len <= 0)
        return false;
    exe[len] = '\0';
    char *dir = dirname(exe);
    for (size_t i = 0; i < n; i++) {
        char cand[1024], full[1100];
        snprintf(cand, sizeof(cand), "%s%s", dir, rel[i]);
        snprintf(full, sizeof(full), "%s%s", cand, probe);
        if (access(full, mode) != 0)
            continue;
        char *real = realpath(cand, NULL);
        snprintf(out, cap, "%s", real != NULL ? real : cand);
        free(real);
        return true;
    }
    return false;
}

/* The runtimes/ directory of the checkout the binary was built in: the binary
 * is build/lambdad or build/<variant>/lambdad. */
static void default_runtimes_dir(struct server *srv)
{
    static const char *const ups[] = {"/../runtimes", "/../../runtimes"};
    snprintf(srv->runtimes_dir, sizeof(srv->runtimes_dir), "%s",
             srv->cfg.runtimes_dir[0] != '\0' ? srv->cfg.runtimes_dir : "runtimes");
    if (srv->cfg.runtimes_dir[0] == '\0')
        beside_exe(ups, 2, "/python/bootstrap.py", R_OK, srv->runtimes_dir,
                   sizeof(srv->runtimes_dir));
}

/* lambdad-init: --init, else build/lambdad-init beside the binary (which is
 * build/lambdad or build/<variant>/lambdad). */
static void default_init_path(struct server *srv)
{
    static const char *const cands[] = {"/lambdad-init", "/../lambdad-init"};
    snprintf(srv->init_path, sizeof(srv->init_path), "%s", srv->cfg.init_path);
    if (srv->init_path[0] == '\0')
        beside_exe(cands, 2, "", X_OK, srv->init_path, sizeof(srv->init_path));
}

static int parse_listen(const char *s, char *host, size_t cap, uint16_t *port)
{
    const char *colon = strrchr(s, ':');
    if (colon == NULL || (size_t)(colon - s) >= cap)
        return -EINVAL;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end != '\0' || p < 0 || p > 65535)
        return -EINVAL;
    *port = (uint16_t)p;
    return 0;
}

static int start(struct server *srv)
{
    int rc;
    char host[64];
    uint16_t port;
    if (parse_listen(srv->cfg.listen, host, sizeof(host), &port) != 0) {
        log_error("msg=\"--listen must be HOST:PORT\" value=%s", srv->cfg.listen);
        return -EINVAL;
    }
    if ((rc = mkdir_p(srv->cfg.data_dir)) != 0) {
        log_error("msg=\"cannot create data dir\" dir=%s err=%s", srv->cfg.data_dir, err_str(rc));
        return rc;
    }
    char *real = realpath(srv->cfg.data_dir, NULL);
    if (real != NULL) {
        free(srv->cfg.data_dir);
        srv->cfg.data_dir = real;
    }
    default_runtimes_dir(srv);
    default_init_path(srv);
    if ((srv->st = store_open(srv->cfg.store, srv->cfg.data_dir, &rc)) == NULL ||
        (srv->bs = blob_store_new(srv->cfg.data_dir, &rc)) == NULL) {
        log_error("msg=\"cannot open the store\" err=%s", err_str(rc));
        return rc;
    }
    if ((srv->wp = worker_pool_new((int)srv->cfg.workers)) == NULL)
        return -ENOMEM;
    srv->http = http_server_new(on_edge, on_runtime, srv);
    if (srv->http == NULL)
        return -ENOMEM;
    rc = http_listen(srv->http, HTTP_EDGE, host, port, srv, &srv->edge, &port);
    if (rc != 0) {
        log_error("msg=\"cannot listen\" listen=%s err=%s", srv->cfg.listen, err_str(rc));
        return rc;
    }
    snprintf(srv->edge_url, sizeof(srv->edge_url), "http://%s:%u",
             strcmp(host, "0.0.0.0") == 0 ? "127.0.0.1" : host, port);
    srv->worker_sock = http_watch_fd(srv->http, dup(worker_pool_fd(srv->wp)), on_worker, srv);
    srv->logs = logs_new(srv->st, srv->wp, http_timers(srv->http));
    logs_set_limits(srv->logs,
                    &(struct logs_limits){.backlog_bytes = LOG_BACKLOG_MAX_BYTES,
                                          .reserve_bytes = LOG_BACKLOG_RESERVE_BYTES,
                                          .store_max_bytes = (int64_t)srv->cfg.log_max_mb << 20});
    srv->metrics = metrics_new();
    srv->cwlogs =
        cwlogs_new(srv->st, srv->wp, http_timers(srv->http), srv->cfg.region, srv->cfg.account);
    srv->scfg = (struct sched_config){
        .region = srv->cfg.region,
        .account = srv->cfg.account,
        .data_dir = srv->cfg.data_dir,
        .runtimes_dir = srv->runtimes_dir,
        .python = srv->cfg.python,
        .node = srv->cfg.node,
        .edge_url = srv->edge_url,
        .init_path = srv->init_path,
        .account_concurrency = (int)srv->cfg.concurrency,
        .keepalive_ms = (int)srv->cfg.keepalive_ms,
        .sandbox_kind = srv->sandbox_kind,
        .metrics = srv->metrics,
    };
    srv->sched = sched_new(srv->http, srv->bs, srv->logs, &srv->scfg);
    if (srv->sched == NULL)
        return -EPERM;
    invoker_init(&srv->iv, &srv->cat, srv->sched, srv->cfg.region, srv->cfg.account);
    srv->api.cat = &srv->cat;
    srv->api.iv = &srv->iv;
    srv->api.st = srv->st;
    srv->api.bs = srv->bs;
    srv->api.wp = srv->wp;
    srv->api.sched = srv->sched;
    srv->api.region = srv->cfg.region;
    srv->api.account = srv->cfg.account;
    srv->api.account_concurrency = (int)srv->cfg.concurrency;
    srv->api.edge_port = port;
    if ((rc = lambda_api_load(&srv->api)) != 0) {
        log_error("msg=\"cannot load functions\" err=%s", err_str(rc));
        return rc;
    }
    srv->acfg = (struct async_config){
        .region = srv->cfg.region,
        .account = srv->cfg.account,
        .retry_base_ms = (int)srv->cfg.async_retry_base_ms,
        .fn_concurrency = (int)srv->cfg.async_concurrency,
        .logs = srv->logs,
    };
    srv->async =
        async_new(srv->st, srv->wp, http_timers(srv->http), &srv->iv, &srv->cat, &srv->acfg);
    srv->iv.enqueue = enqueue_event;
    srv->iv.enqueue_ctx = srv;
    if ((rc = async_load(srv->async)) != 0) {
        log_error("msg=\"cannot load queued events\" err=%s", err_str(rc));
        return rc;
    }
    srv->gateway = (struct gateway){.st = srv->st,
                                    .wp = srv->wp,
                                    .timers = http_timers(srv->http),
                                    .invoke = &srv->iv,
                                    .cat = &srv->cat,
                                    .logs = srv->logs,
                                    .account_rate = (int)srv->cfg.apigw_rate,
                                    .account_burst = (int)srv->cfg.apigw_burst,
                                    .region = srv->cfg.region,
                                    .account = srv->cfg.account,
                                    .port = port};
    if ((rc = gw_load(&srv->gateway)) != 0) {
        log_error("msg=\"cannot load APIs\" err=%s", err_str(rc));
        return rc;
    }
    if ((rc = add_routes(srv)) != 0)
        return rc;
    log_info("msg=\"lambdad ready\" listen=%s:%u data_dir=%s store=%s sandbox=%s functions=%zu",
             host, port, srv->cfg.data_dir, store_backend(srv->st), sched_sandbox_mode(srv->sched),
             srv->cat.len);
    return 0;
}

static void stop(struct server *srv)
{
    async_stop(srv->async);
    sched_free(srv->sched);
    worker_pool_free(srv->wp);
    async_free(srv->async);
    metrics_free(srv->metrics);
    h2o_socket_close(srv->worker_sock);
    h2o_socket_close(srv->signal_sock);
    logs_free(srv->logs);
    cwlogs_free(srv->cwlogs);
    gw_proxy_fini(&srv->gateway);
    gw_fini(&srv->gateway);
    gw_keys_fini(&srv->gateway);
    lambda_api_fini(&srv->api);
    catalog_fini(&srv->cat);
    http_server_free(srv->http);
    blob_store_free(srv->bs);
    store_close(srv->st);
}

int main(int argc, char **argv)
{
    static struct server srv;
    int rc = config_parse(&srv.cfg, argc, argv);
    if (rc != 0)
        return rc == 1 ? 0 : 2;
    enum log_level lvl;
    if (log_parse_level(srv.cfg.log_level, &lvl) != 0) {
        fprintf(stderr, "lambdad: --log-level must be error, warn, info or debug\n");
        return 2;
    }
    log_current_level = lvl;
    if (sandbox_parse_kind(srv.cfg.sandbox, &srv.sandbox_kind) != 0) {
        fprintf(stderr, "lambdad: --sandbox must be auto, namespaces, host-network or none\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    /* Every instance costs the daemon a few descriptors (listeners, pipe,
     * cgroup files): use all the host allows. Instances get 1024 each. */
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max;
        setrlimit(RLIMIT_NOFILE, &nofile);
    }
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    if (start(&srv) != 0)
        return 1;
    int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    srv.signal_sock = http_watch_fd(srv.http, sfd, on_signal, &srv);
    while (!srv.stopping || (sched_busy(srv.sched) > 0 && timer_now_ms() < srv.stop_deadline_ms))
        http_run_once(srv.http, 1000);
    /* The Shutdown phase: extensions get SHUTDOWN and a little time. */
    sched_stop_all(srv.sched);
    int64_t until = timer_now_ms() + EXT_SHUTDOWN_MS + 500;
    while (sched_instances(srv.sched) > 0 && timer_now_ms() < until)
        http_run_once(srv.http, 100);
    stop(&srv);
    log_info("msg=\"stopped\"");
    config_fini(&srv.cfg);
    return 0;
}
