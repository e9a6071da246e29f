/* SPDX-License-Identifier: MIT */
/*
 * Scheduler: the instance lifecycle. The environment and the command line
 * an instance starts with, its external extensions, spawning it into the
 * sandbox, its timers (init limit, keep-alive, freeze, the Shutdown phase),
 * stopping and killing it, and what its exit means for the invocation it
 * ran (reaping).
 */
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
#include "store/blob.h"

/* ---- instance lifecycle ---- */

/* An instance idle for FREEZE_DELAY_MS is frozen, as AWS freezes idle
 * execution environments: its background threads get no CPU. */
static void on_freeze_timer(struct timer *t, void *arg)
{
    struct instance *in = arg;
    (void)t;
    if (in->state == I_IDLE && in->on_idle_list && sandbox_freeze(in->proc, true) == 0)
        in->frozen = true;
}

void instance_thaw(struct instance *in)
{
    timer_cancel(in->s->th, &in->freeze_timer);
    if (in->frozen) {
        sandbox_freeze(in->proc, false);
        in->frozen = false;
    }
}

/* Takes in off its pool's idle list (if it is on it). */
void unlist_idle(struct instance *in)
{
    if (!in->on_idle_list)
        return;
    struct instance **pp = &in->pool->idle;
    while (*pp != in)
        pp = &(*pp)->next_idle;
    *pp = in->next_idle;
    in->on_idle_list = false;
}

void end_finishing(struct instance *in)
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
        pool_balance(in->s, in->pool);
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
    char *kv = xmalloc(kl + vl + 2);
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

/* What spawn_instance builds for the sandbox: the command line, the
 * environment and the mounts, which spec points into, and the descriptors
 * the instance is watched through (-1 once handed on or closed). */
struct spawn_ctx {
    char code[512], bootstrap[600], script[700], rtdir[600], optdir[512];
    char overlay[FN_LAYERS_MAX * 520 + 16];
    const char *task, *rt; /* LAMBDA_TASK_ROOT and LAMBDA_RUNTIME_DIR as the instance sees them */
    const char *path;      /* what is executed */
    char *argv[5];
    char *initv[EXT_MAX + 10]; /* lambdad-init's, with external extensions */
    char nbuf[8];
    struct envbuf env;
    struct ext_files *xf;
    int pipefd[2], ctl[2], extpipe[2];
    struct sandbox_spec spec;
};

/* A new instance of pool p's current snapshot, not started yet. */
static struct instance *instance_new(struct sched *s, struct pool *p, bool provisioned)
{
    struct function *fn = p->fn;
    struct instance *in = xcalloc(1, sizeof(*in));
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
    return in;
}

/* The runtime's command line: a managed runtime's interpreter and bootstrap,
 * or the package's own bootstrap. */
static void runtime_cmdline(const struct sched *s, const struct function *fn, struct spawn_ctx *c)
{
    static char dash_u[] = "-u";
    switch (fn->rt->family) {
    case RT_PYTHON:
        snprintf(c->script, sizeof(c->script), "%s/bootstrap.py", c->rt);
        c->path = s->cfg->python;
        c->argv[0] = (char *)(uintptr_t)c->path;
        c->argv[1] = dash_u;
        c->argv[2] = c->script;
        break;
    case RT_NODEJS:
        snprintf(c->script, sizeof(c->script), "%s/bootstrap.js", c->rt);
        c->path = s->cfg->node;
        c->argv[0] = (char *)(uintptr_t)c->path;
        c->argv[1] = c->script;
        break;
    default:
        snprintf(c->bootstrap, sizeof(c->bootstrap), "%s/bootstrap", c->task);
        c->path = c->bootstrap;
        c->argv[0] = c->bootstrap;
        break;
    }
    /* AWS_LAMBDA_EXEC_WRAPPER: a managed runtime starts through the wrapper
     * script (typically from a layer), which gets the runtime's command line
     * as its arguments, as on AWS. */
    const char *wrapper = fn->rt->family != RT_PROVIDED && fn->env != NULL
                              ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                                    fn->env, "AWS_LAMBDA_EXEC_WRAPPER"))
                              : NULL;
    if (wrapper != NULL && wrapper[0] != '\0') {
        memmove(&c->argv[1], &c->argv[0], 3 * sizeof(c->argv[0]));
        c->argv[0] = (char *)(uintptr_t)wrapper;
        c->path = wrapper;
    }
}

/* Layers at /opt: one is bound; several are stacked, later ones on top. */
static int layer_mounts(struct sched *s, const struct function *fn, struct spawn_ctx *c)
{
    int rc;
    if (fn->nlayers == 1) {
        if ((rc = blob_code_dir(s->bs, fn->layers[0].hex, c->optdir, sizeof(c->optdir))) != 0)
            return rc;
    } else if (fn->nlayers > 1) {
        size_t o = (size_t)snprintf(c->overlay, sizeof(c->overlay), "lowerdir=");
        for (int i = fn->nlayers - 1; i >= 0; i--) {
            char dir[512];
            if ((rc = blob_code_dir(s->bs, fn->layers[i].hex, dir, sizeof(dir))) != 0)
                return rc;
            o += (size_t)snprintf(c->overlay + o, sizeof(c->overlay) - o, "%s%s",
                                  i == fn->nlayers - 1 ? "" : ":", dir);
        }
        if (o >= sizeof(c->overlay))
            return -ENAMETOOLONG;
    }
    return 0;
}

/* External extensions: lambdad-init starts them, then the runtime, and
 * reports over a control socket; their output has a pipe of its own. */
static int init_cmdline(struct sched *s, const struct function *fn, bool iso, struct spawn_ctx *c)
{
    int rc;
    if (fn->nlayers > 0) {
        c->xf = xmalloc(sizeof(*c->xf));
        if ((rc = find_extensions(s, fn, iso, c->xf)) != 0)
            return rc;
    }
    if (c->xf == NULL || c->xf->n == 0)
        return 0;
    if (s->init_fd < 0)
        return -ENOSYS;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c->ctl) != 0 ||
        pipe2(c->extpipe, O_CLOEXEC) != 0)
        return -errno;
    size_t k = 0;
    static char init_name[] = "lambdad-init", dashes[] = "--";
    snprintf(c->nbuf, sizeof(c->nbuf), "%d", c->xf->n);
    c->initv[k++] = init_name;
    c->initv[k++] = c->nbuf;
    for (int i = 0; i < c->xf->n; i++)
        c->initv[k++] = c->xf->path[i];
    c->initv[k++] = dashes;
    c->initv[k++] = (char *)(uintptr_t)c->path;
    for (size_t i = 0; c->argv[i] != NULL; i++)
        c->initv[k++] = c->argv[i];
    c->initv[k] = NULL;
    c->spec.path = init_name;
    c->spec.argv = c->initv;
    c->spec.exec_fd = s->init_fd;
    c->spec.ctl_fd = c->ctl[1];
    c->spec.ext_out_fd = c->extpipe[1];
    return 0;
}

/* Everything in is started with: its code, its Runtime API listener (without
 * a network namespace), its output pipe, TMPDIR (without the sandbox), the
 * environment, the command line, /opt and the extensions. Returns 0 or
 * -errno; c holds what to release either way. */
static int spawn_prepare(struct sched *s, struct instance *in, struct spawn_ctx *c)
{
    const struct function *fn = in->fn;
    /* In the sandbox the instance sees AWS's paths and has its own network
     * namespace (Runtime API at 127.0.0.1:9001); without, host paths and a
     * per-instance loopback port. */
    bool iso = sandbox_isolated(s->sb), netns = sandbox_has_netns(s->sb);
    const char *family = fn->rt->family == RT_PYTHON   ? "python"
                         : fn->rt->family == RT_NODEJS ? "nodejs"
                                                       : "c";
    int rc = blob_code_dir(s->bs, fn->code_hex, c->code, sizeof(c->code));
    if (rc != 0)
        return rc;
    if (!netns &&
        (rc = http_listen(s->srv, HTTP_RUNTIME, "127.0.0.1", 0, in, &in->listener, &in->port)) != 0)
        return rc;
    if (pipe2(c->pipefd, O_CLOEXEC) != 0)
        return -errno;
    if (!iso) {
        snprintf(in->tmpdir, sizeof(in->tmpdir), "%s/tmp/%s", s->cfg->data_dir, in->id);
        if (mkdir(in->tmpdir, 01777) != 0) {
            rc = -errno;
            in->tmpdir[0] = '\0';
            return rc;
        }
    }
    snprintf(c->rtdir, sizeof(c->rtdir), "%s/%s", s->cfg->runtimes_dir, family);
    c->task = iso ? "/var/task" : c->code;
    c->rt = iso ? "/var/runtime" : c->rtdir;
    build_env(in, c->task, c->rt, &c->env);
    runtime_cmdline(s, fn, c);
    if ((rc = layer_mounts(s, fn, c)) != 0)
        return rc;
    c->spec = (struct sandbox_spec){.path = c->path,
                                    .argv = c->argv,
                                    .envp = c->env.vec,
                                    .cwd = c->task,
                                    .out_fd = c->pipefd[1],
                                    .code_dir = c->code,
                                    .runtime_dir = c->rtdir,
                                    .opt_dir = c->optdir[0] != '\0' ? c->optdir : NULL,
                                    .opt_overlay = c->overlay[0] != '\0' ? c->overlay : NULL,
                                    .tmp_mb = fn->ephemeral_mb,
                                    .memory_mb = fn->memory_mb,
                                    .hosts_file = iso && s->hosts[0] != '\0' ? s->hosts : NULL};
    return init_cmdline(s, fn, iso, c);
}

/* Closes what of c is still open and frees the rest. */
static void spawn_release(struct spawn_ctx *c)
{
    env_free(&c->env);
    free(c->xf);
    c->xf = NULL;
    for (int k = 0; k < 2; k++) {
        int *fds[] = {&c->pipefd[k], &c->ctl[k], &c->extpipe[k]};
        for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
            if (*fds[i] >= 0)
                close(*fds[i]);
            *fds[i] = -1;
        }
    }
}

/* in's process runs: watch its control socket, listeners and output pipes,
 * arm the init limit, and put it on its pool's list. */
static void spawn_attach(struct sched *s, struct pool *p, struct instance *in, struct spawn_ctx *c)
{
    in->pid = in->proc->pid;
    in->rt_started = c->ctl[0] < 0;
    if (c->ctl[0] >= 0) {
        in->ext = xcalloc(1, sizeof(*in->ext));
        for (int i = 0; i < c->xf->n; i++)
            ext_add_external(in->ext, c->xf->name[i]);
        in->ctl = http_watch_fd(s->srv, c->ctl[0], on_ctl, in);
        c->ctl[0] = -1;
    }
    if (sandbox_has_netns(s->sb)) {
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
    in->outs[0].sock = http_watch_fd(s->srv, c->pipefd[0], on_output, &in->outs[0]);
    c->pipefd[0] = -1;
    if (c->extpipe[0] >= 0) {
        in->outs[1].sock = http_watch_fd(s->srv, c->extpipe[0], on_output, &in->outs[1]);
        c->extpipe[0] = -1;
    }
    timer_arm(s->th, &in->timer, INIT_TIMEOUT_MS);
    in->next = p->all;
    if (p->all != NULL)
        p->all->prev = in;
    p->all = in;
    p->count++;
    pool_count(s, p, 0, 1);
    s->ninstances++;
    if (in->provisioned)
        p->provisioned++;
}

int spawn_instance(struct sched *s, struct pool *p, bool provisioned)
{
    struct instance *in = instance_new(s, p, provisioned);
    struct spawn_ctx ctx = {.pipefd = {-1, -1}, .ctl = {-1, -1}, .extpipe = {-1, -1}};
    struct spawn_ctx *c = &ctx;
    int rc = spawn_prepare(s, in, c);
    if (rc == 0) {
        in->spawn_us = clock_mono_us();
        rc = sandbox_spawn(s->sb, &c->spec, &in->proc);
        env_free(&c->env);
        /* The instance's ends. */
        int *fds[] = {&c->pipefd[1], &c->ctl[1], &c->extpipe[1]};
        for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
            if (*fds[i] >= 0)
                close(*fds[i]);
            *fds[i] = -1;
        }
    }
    if (rc != 0) {
        spawn_release(c);
        http_listener_close(in->listener);
        if (in->tmpdir[0] != '\0')
            rm_tree(in->tmpdir);
        function_unref(in->fn);
        free(in);
        return rc;
    }
    spawn_attach(s, p, in, c);
    spawn_release(c);
    log_debug("fn=%s instance=%s pid=%d msg=started", in->fn->name, in->id, (int)in->pid);
    return 0;
}

/* Kills the whole instance now and closes its endpoints. */
void kill_now(struct instance *in)
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

void ctl_send(struct instance *in, char cmd)
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
    instance_thaw(in);
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
void mark_stopping(struct instance *in)
{
    struct sched *s = in->s;
    if (in->state == I_STOPPING)
        return;
    bool initialised = in->state != I_STARTING;
    if (!initialised)
        pool_count(s, in->pool, 0, -1);
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

void stop_instance(struct instance *in)
{
    mark_stopping(in);
    pool_balance(in->s, in->pool);
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
        output_close(&in->outs[k]);
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

void exit_text(int status, char *buf, size_t cap)
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
void runtime_exited(struct instance *in, int status)
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
        inv_finish(in, true, NULL, 0, NULL, payload);
        return;
    }
    bool init_failed = in->init_error != NULL || in->init_error_type[0] != '\0';
    if (in->state != I_STARTING && !(in->state == I_STOPPING && init_failed))
        return;
    mark_stopping(in);
    /* An init failure fails one waiting invocation that no other starting
     * instance is left to serve. */
    struct invocation *inv = p->npending > p->starting + p->finishing ? pool_dequeue(s, p) : NULL;
    if (inv == NULL)
        return;
    timer_cancel(s->th, &inv->deadline);
    in->inv = inv;
    inv->inst = in;
    pool_count(s, p, 1, 0);
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
    inv_finish(in, true, NULL, 0, NULL, payload);
}

/* The instance's first process exited: the runtime's failure (unless
 * lambdad-init reported it already), then free it. */
void instance_exited(struct instance *in, int status)
{
    struct sched *s = in->s;
    struct pool *p = in->pool;
    if (!in->rt_gone)
        runtime_exited(in, status);
    in->state = I_STOPPING;
    destroy_instance(in);
    pool_balance(s, p);
    if (!s->stopping)
        pool_provision(s, p); /* replace a provisioned instance that died */
    pool_drop_if_unused(s, p);
}

struct instance *find_pid(struct sched *s, pid_t pid)
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

void on_inv_timer(struct timer *t, void *arg)
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
    char *payload = xstrdup(buf);
    inv_finish(in, true, NULL, 0, NULL, payload);
    in->stop_reason = "timeout";
    stop_instance(in);
}
