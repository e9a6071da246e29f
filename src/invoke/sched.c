/* SPDX-License-Identifier: MIT */
/*
 * Scheduler: pools and admission.
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
 *
 * This file: pools, queues, concurrency accounting, sched_submit and
 * provisioned concurrency. The instance lifecycle is in sched_inst.c, the
 * Runtime API in sched_rt.c, the function log in sched_log.c; their shared
 * structures in sched_int.h.
 */
#include "sched.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/util.h"
#include "catalog/function.h"
#include "invoke/ext.h"
#include "invoke/logs.h"
#include "invoke/metrics.h"
#include "invoke/sched_int.h"
#include "sandbox/sandbox.h"

/* ---- pools ---- */

static unsigned hash_name(const char *s)
{
    return hash_str(s) % POOL_BUCKETS;
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

void pool_drop_if_unused(struct sched *s, struct pool *p)
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
void pool_count(struct sched *s, struct pool *p, int dbusy, int dstarting)
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

struct invocation *pool_dequeue(struct sched *s, struct pool *p)
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

static void fail_pending(struct sched *s, struct pool *p, int status)
{
    struct invocation *inv;
    while ((inv = pool_dequeue(s, p)) != NULL) {
        timer_cancel(s->th, &inv->deadline);
        complete_with(inv, status, false, NULL);
    }
}

/* Keeps one starting (or about to be idle) instance per waiting invocation. */
void pool_balance(struct sched *s, struct pool *p)
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
        struct invocation *inv = pool_dequeue(s, p);
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

void instance_idle(struct instance *in)
{
    struct sched *s = in->s;
    struct pool *p = in->pool;
    if (in->fn != p->fn) {
        stop_instance(in);
        return;
    }
    struct invocation *inv = pool_dequeue(s, p);
    if (inv != NULL) {
        timer_cancel(s->th, &inv->deadline);
        instance_deliver(in, inv);
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
    pool_balance(p->s, p);
}

/* Starts provisioned instances until the pool has as many as configured. */
void pool_provision(struct sched *s, struct pool *p)
{
    while (p->fn != NULL && p->provisioned < p->provisioned_want) {
        if (spawn_instance(s, p, true) != 0) {
            log_warn("fn=%s msg=\"a provisioned instance could not be started\"", p->name);
            break;
        }
    }
}

/* ---- log congestion: held and refused invocations ---- */

/* Completes the invocations refused while the log writer was congested. */
static void complete_refused(struct sched *s)
{
    while (s->refused != NULL) {
        struct invocation *inv = s->refused;
        s->refused = inv->next;
        if (s->refused == NULL)
            s->refused_tail = NULL;
        complete_with(inv, ERR_SERVICE, false, NULL);
    }
}

static void on_refuse_timer(struct timer *t, void *arg)
{
    (void)t;
    complete_refused(arg);
}

/* The store does not keep up with the function logs (or the disk is full):
 * inv fails with ServiceException on the next loop turn, as sched_submit's
 * caller expects a later completion. */
static void refuse(struct sched *s, struct invocation *inv)
{
    if (clock_ms() - s->refuse_warned_ms >= 10000) {
        s->refuse_warned_ms = clock_ms();
        log_warn("fn=%s req=%s msg=\"invocation refused: the function log store does not keep "
                 "up (is the disk full?)\"",
                 inv->fn->name, inv->request_id);
    }
    inv->next = NULL;
    if (s->refused_tail != NULL)
        s->refused_tail->next = inv;
    else
        s->refused = inv;
    s->refused_tail = inv;
    timer_arm(s->th, &s->refuse_timer, 0);
}

static void on_log_room(struct logs_waiter *w, void *arg);

/* The log backlog is past its bound but the store works: inv waits for
 * room, at most LOG_HOLD_MAX_MS (then ServiceException). */
static void hold(struct sched *s, struct invocation *inv)
{
    inv->held_ms = timer_now_ms();
    inv->next = NULL;
    if (s->held_tail != NULL)
        s->held_tail->next = inv;
    else
        s->held = inv;
    s->held_tail = inv;
    s->nheld++;
    if (!timer_armed(&s->hold_timer))
        timer_arm(s->th, &s->hold_timer, LOG_HOLD_MAX_MS);
    logs_wait_room(s->logs, &s->log_wait, on_log_room, s);
}

static struct invocation *unhold_first(struct sched *s)
{
    struct invocation *inv = s->held;
    s->held = inv->next;
    if (s->held == NULL)
        s->held_tail = NULL;
    s->nheld--;
    return inv;
}

/* The oldest held invocations waited LOG_HOLD_MAX_MS: refused. */
static void on_hold_timer(struct timer *t, void *arg)
{
    struct sched *s = arg;
    int64_t now = timer_now_ms();
    while (s->held != NULL && now - s->held->held_ms >= LOG_HOLD_MAX_MS)
        refuse(s, unhold_first(s));
    if (s->held != NULL)
        timer_arm(s->th, t, s->held->held_ms + LOG_HOLD_MAX_MS - now);
    else
        logs_wait_cancel(s->logs, &s->log_wait);
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
    struct sched *s = xcalloc(1, sizeof(*s));
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
    timer_init(&s->refuse_timer, on_refuse_timer, s);
    timer_init(&s->hold_timer, on_hold_timer, s);
    s->init_fd = -1;
    write_hosts(s);
    if (cfg->init_path != NULL && cfg->init_path[0] != '\0' &&
        (s->init_fd = open(cfg->init_path, O_PATH | O_CLOEXEC)) < 0)
        log_warn("msg=\"lambdad-init not found: functions with external extensions cannot "
                 "start\" path=%s",
                 cfg->init_path);
    return s;
}

/* Concurrency is invocations running or starting: a reservation caps the
 * function; the others share what the reservations leave of the account.
 * Returns 0 (with inv's pool in *pp) or the throttle's ERR_*. */
static int admit(struct sched *s, struct invocation *inv, struct pool **pp)
{
    struct pool *p = pool_get(s, inv->fn);
    timer_init(&inv->deadline, on_inv_timer, inv);
    inv->inst = NULL;
    if (p->fn != inv->fn)
        set_pool_fn(s, p, inv->fn);
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
    *pp = p;
    return 0;
}

/* An admitted invocation goes to an idle instance of p, or waits for one. */
static void dispatch(struct sched *s, struct pool *p, struct invocation *inv)
{
    while (p->idle != NULL) {
        struct instance *in = p->idle;
        if (in->fn == p->fn) {
            instance_deliver(in, inv);
            return;
        }
        stop_instance(in);
    }
    enqueue(p, inv);
    s->npending++;
    pool_balance(s, p);
}

/* The log backlog has room again: held invocations go on, oldest first, as
 * long as it stays so. */
static void on_log_room(struct logs_waiter *w, void *arg)
{
    struct sched *s = arg;
    (void)w;
    while (s->held != NULL && !logs_congested(s->logs)) {
        struct invocation *inv = unhold_first(s);
        struct pool *p;
        int rc = admit(s, inv, &p);
        if (rc != 0)
            complete_with(inv, rc, false, NULL); /* throttled meanwhile */
        else
            dispatch(s, p, inv);
    }
    if (s->held != NULL)
        logs_wait_room(s->logs, &s->log_wait, on_log_room, s);
    else
        timer_cancel(s->th, &s->hold_timer);
}

int sched_submit(struct sched *s, struct invocation *inv)
{
    struct pool *p;
    int rc = admit(s, inv, &p);
    if (rc != 0)
        return rc;
    if (logs_congested(s->logs)) {
        /* The store does not keep up with the function logs: the caller
         * waits (a bounded time) for room, or, while writes fail (a full
         * disk), gets ServiceException at once. */
        pool_drop_if_unused(s, p);
        if (logs_failing(s->logs))
            refuse(s, inv);
        else
            hold(s, inv);
        return 0;
    }
    dispatch(s, p, inv);
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
    pool_balance(s, p);
    pool_drop_if_unused(s, p);
}

unsigned sched_busy(const struct sched *s)
{
    return s->nbusy + s->npending + s->nheld;
}

unsigned sched_instances(const struct sched *s)
{
    return s->ninstances;
}

void sched_stop_all(struct sched *s)
{
    s->stopping = true;
    timer_cancel(s->th, &s->hold_timer);
    logs_wait_cancel(s->logs, &s->log_wait);
    while (s->held != NULL)
        refuse(s, unhold_first(s));
    timer_cancel(s->th, &s->refuse_timer);
    complete_refused(s);
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
    pool_provision(s, p);
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
