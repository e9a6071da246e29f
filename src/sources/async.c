/* SPDX-License-Identifier: MIT */
/*
 * The asynchronous event queue.
 *
 * Writes go through one group-commit pipeline: operations (new events,
 * retry bookkeeping, deletions, dead-letter records) collect in a batch;
 * while a batch is being committed by a worker the next one fills, so many
 * concurrent Event invokes share one transaction and one fsync. An event is
 * acknowledged, and becomes eligible for dispatch, only after the commit
 * that inserted it. Its outcome (the destination's new event or a dead
 * letter) is written in the same transaction that deletes it.
 *
 * The dispatcher keeps, per function, a FIFO of ready events and runs at most
 * fn_concurrency of them at once through the scheduler. Throttled events back
 * off 1 s doubling to 5 min; function errors are retried after
 * retry_base_ms * attempt (AWS: about 1 then 2 minutes) up to
 * MaximumRetryAttempts; events older than MaximumEventAgeInSeconds are
 * failed with condition EventAgeExceeded. Backoff state is kept in memory
 * only: after a restart an event is simply retried.
 */
#include "async.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/arn.h"
#include "base/alloc.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/timer.h"
#include "base/util.h"
#include "base/worker.h"
#include "catalog/catalog.h"
#include "catalog/function.h"
#include "invoke/invoke.h"
#include "invoke/logs.h"
#include "invoke/sched.h"
#include "store/store.h"

/* The store's durable queues of this module (names shared with the store's
 * migration 5 and src/lambda/api.c): events, grouped by function name, with
 * attributes {"request_id", "invoked_arn"}; and records no destination could
 * take, grouped by function name, with attributes {"target"}. */
#define ASYNC_QUEUE      "lambda.async"
#define ASYNC_DEAD_QUEUE "lambda.async.dead"

#define THROTTLE_BACKOFF_MIN_MS 1000
#define THROTTLE_BACKOFF_MAX_MS 300000
#define FN_BUCKETS              256

struct async_queue;

struct aevent {
    struct async_queue *q;
    int64_t id; /* row id once committed */
    char fn[FN_NAME_MAX + 1];
    char request_id[37];
    char *invoked_arn;
    char *payload;
    size_t len;
    int64_t created_ms;
    int attempts;  /* invocations that ran */
    int throttles; /* consecutive throttles (backoff) */
    bool queued;   /* in its function's ready FIFO */
    bool running;  /* handed to the scheduler, until its outcome is applied */
    bool settling; /* ran; waits for its log lines to be committed (barrier) */
    bool fn_error; /* while settling: how it ended, and its result (a copy) */
    char *result;
    size_t result_len;
    struct logs_barrier barrier;
    struct timer timer;  /* delayed until a retry or backoff is due */
    struct aevent *next; /* ready FIFO */
    struct aevent *prev_all, *next_all;
};

struct afn {
    char name[FN_NAME_MAX + 1];
    struct aevent *head, *tail;
    int running;
    struct afn *hnext;
};

/* One operation of a batch, with what to do once it is committed. */
struct wop {
    struct store_op op;
    struct aevent *ev;       /* ENQUEUE of an event: the event to dispatch after commit */
    async_accepted_fn *done; /* ENQUEUE from an Invoke: acknowledge it */
    void *arg;
    char *owned[3]; /* strings the op points to, freed with the batch */
};

struct batch {
    struct async_queue *q;
    struct wop *w;
    size_t n, cap;
    struct store_op *ops; /* built when submitted */
    int rc;
};

struct async_queue {
    struct store *st;
    struct worker_pool *wp;
    struct timer_heap *th;
    struct invoker *iv;
    struct catalog *cat;
    const struct async_config *cfg;
    struct afn *buckets[FN_BUCKETS];
    struct batch *cur;
    bool writing;
    bool stopping;
    size_t depth;
    struct aevent *all_head, *all_tail; /* every committed event, oldest first */
};

/* ---- events and functions ---- */

static unsigned hash_name(const char *s)
{
    return hash_str(s) % FN_BUCKETS;
}

static struct afn *afn_get(struct async_queue *q, const char *name)
{
    unsigned b = hash_name(name);
    for (struct afn *f = q->buckets[b]; f != NULL; f = f->hnext)
        if (strcmp(f->name, name) == 0)
            return f;
    struct afn *f = xcalloc(1, sizeof(*f));
    snprintf(f->name, sizeof(f->name), "%s", name);
    f->hnext = q->buckets[b];
    q->buckets[b] = f;
    return f;
}

static void on_due(struct timer *t, void *arg);

static struct aevent *event_new(struct async_queue *q, const char *fn, const char *request_id,
                                const char *invoked_arn, const void *payload, size_t len)
{
    struct aevent *ev = calloc(1, sizeof(*ev));
    if (ev == NULL || (ev->invoked_arn = strdup(invoked_arn)) == NULL ||
        (ev->payload = malloc(len + 1)) == NULL)
        abort();
    ev->q = q;
    snprintf(ev->fn, sizeof(ev->fn), "%s", fn);
    snprintf(ev->request_id, sizeof(ev->request_id), "%s", request_id);
    memcpy(ev->payload, payload, len);
    ev->payload[len] = '\0';
    ev->len = len;
    timer_init(&ev->timer, on_due, ev);
    return ev;
}

static void link_all(struct async_queue *q, struct aevent *ev)
{
    ev->prev_all = q->all_tail;
    ev->next_all = NULL;
    if (q->all_tail != NULL)
        q->all_tail->next_all = ev;
    else
        q->all_head = ev;
    q->all_tail = ev;
    q->depth++;
}

/* Frees a committed event that left the queue (its row is deleted or being deleted). */
static void event_free(struct async_queue *q, struct aevent *ev)
{
    timer_cancel(q->th, &ev->timer);
    if (ev->settling)
        logs_barrier_cancel(q->cfg->logs, &ev->barrier);
    free(ev->result);
    if (ev->prev_all != NULL)
        ev->prev_all->next_all = ev->next_all;
    else if (q->all_head == ev)
        q->all_head = ev->next_all;
    if (ev->next_all != NULL)
        ev->next_all->prev_all = ev->prev_all;
    else if (q->all_tail == ev)
        q->all_tail = ev->prev_all;
    if (ev->id != 0)
        q->depth--;
    free(ev->invoked_arn);
    free(ev->payload);
    free(ev);
}

/* ---- the write pipeline ---- */

static struct wop *add_op(struct async_queue *q, enum store_op_kind kind)
{
    if (q->cur == NULL) {
        q->cur = xcalloc(1, sizeof(*q->cur));
        q->cur->q = q;
    }
    struct batch *b = q->cur;
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->w = xrealloc(b->w, b->cap * sizeof(*b->w));
    }
    struct wop *w = &b->w[b->n++];
    memset(w, 0, sizeof(*w));
    w->op.kind = kind;
    return w;
}

static void batch_free(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        for (size_t k = 0; k < 3; k++)
            free(b->w[i].owned[k]);
    }
    free(b->w);
    free(b->ops);
    free(b);
}

static void commit_work(void *arg)
{
    struct batch *b = arg;
    b->rc = store_apply(b->q->st, b->ops, b->n, NULL);
}

static void ready(struct async_queue *q, struct aevent *ev);
static void flush(struct async_queue *q);

/* Applies the outcome of a commit on the loop. */
static void committed(struct batch *b)
{
    struct async_queue *q = b->q;
    if (b->rc != 0)
        log_error("async=commit_failed ops=%zu err=%s", b->n, err_name(b->rc));
    for (size_t i = 0; i < b->n; i++) {
        struct wop *w = &b->w[i];
        if (w->ev == NULL) /* not an event's ENQUEUE */
            continue;
        if (b->rc != 0) {
            if (w->done != NULL)
                w->done(w->arg, ERR_SERVICE, w->ev->request_id);
            event_free(q, w->ev);
            continue;
        }
        w->ev->id = b->ops[i].q.id;
        link_all(q, w->ev);
        if (w->done != NULL)
            w->done(w->arg, 0, w->ev->request_id);
        ready(q, w->ev);
    }
    batch_free(b);
}

static void commit_done(void *arg)
{
    struct batch *b = arg;
    struct async_queue *q = b->q;
    committed(b);
    q->writing = false;
    flush(q);
}

static void prepare(struct batch *b)
{
    b->ops = xmalloc(b->n * sizeof(*b->ops));
    for (size_t i = 0; i < b->n; i++)
        b->ops[i] = b->w[i].op;
}

/* Starts committing the pending batch unless a commit is already running. */
static void flush(struct async_queue *q)
{
    if (q->writing || q->cur == NULL || q->cur->n == 0)
        return;
    struct batch *b = q->cur;
    q->cur = NULL;
    q->writing = true;
    prepare(b);
    worker_submit(q->wp, commit_work, commit_done, b);
}

/* A queued message's attributes: {k1: v1, k2: v2} (k2 NULL: one). New. */
static char *attrs_json(const char *k1, const char *v1, const char *k2, const char *v2)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, k1, v1);
    if (k2 != NULL)
        cJSON_AddStringToObject(o, k2, v2);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text == NULL)
        abort();
    return text;
}

static void op_insert(struct async_queue *q, struct aevent *ev, async_accepted_fn *done, void *arg)
{
    struct wop *w = add_op(q, STORE_Q_ENQUEUE);
    w->ev = ev;
    w->done = done;
    w->arg = arg;
    w->owned[0] = attrs_json("request_id", ev->request_id, "invoked_arn", ev->invoked_arn);
    w->op.q = (struct store_q_op){.queue = ASYNC_QUEUE,
                                  .group = ev->fn,
                                  .body = ev->payload,
                                  .body_len = ev->len,
                                  .attrs = w->owned[0],
                                  .now_ms = ev->created_ms};
}

static void op_delete(struct async_queue *q, int64_t id)
{
    struct wop *w = add_op(q, STORE_Q_ACK);
    w->op.q.queue = ASYNC_QUEUE;
    w->op.q.id = id;
}

/* ---- destinations ---- */

static cJSON *json_or_string(const char *p, size_t len)
{
    cJSON *j = len > 0 ? cJSON_ParseWithLength(p, len) : NULL;
    if (j != NULL)
        return j;
    char *s = xmalloc(len + 1);
    memcpy(s, p, len);
    s[len] = '\0';
    j = cJSON_CreateString(s);
    free(s);
    return j;
}

/* AWS's invocation record for destinations (aws-wire.md section 2.1). */
/* The qualifier ev was invoked with: a version, an alias, or $LATEST. */
static void event_qualifier(const struct aevent *ev, char out[FN_QUALIFIER_MAX + 1])
{
    struct fn_ref ref;
    bool q = arn_parse_function(ev->invoked_arn, strlen(ev->invoked_arn), &ref) == 0 &&
             ref.qualifier[0] != '\0';
    snprintf(out, FN_QUALIFIER_MAX + 1, "%s", q ? ref.qualifier : "$LATEST");
}

static char *make_record(const struct async_queue *q, const struct aevent *ev,
                         const char *condition, bool ran, bool fn_error, const char *result,
                         size_t result_len)
{
    char ts[32], arn[300];
    time_fmt_iso(clock_ms(), ts);
    char qual[FN_QUALIFIER_MAX + 1];
    event_qualifier(ev, qual);
    snprintf(arn, sizeof(arn), "arn:aws:lambda:%s:%s:function:%s:%s", q->cfg->region,
             q->cfg->account, ev->fn, qual);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "version", "1.0");
    cJSON_AddStringToObject(o, "timestamp", ts);
    cJSON *rc = cJSON_AddObjectToObject(o, "requestContext");
    cJSON_AddStringToObject(rc, "requestId", ev->request_id);
    cJSON_AddStringToObject(rc, "functionArn", arn);
    cJSON_AddStringToObject(rc, "condition", condition);
    cJSON_AddNumberToObject(rc, "approximateInvokeCount", ev->attempts);
    cJSON_AddItemToObject(o, "requestPayload", json_or_string(ev->payload, ev->len));
    if (ran) {
        cJSON *resp = cJSON_AddObjectToObject(o, "responseContext");
        cJSON_AddNumberToObject(resp, "statusCode", 200);
        cJSON_AddStringToObject(resp, "executedVersion", "$LATEST");
        if (fn_error)
            cJSON_AddStringToObject(resp, "functionError", "Unhandled");
        cJSON_AddItemToObject(o, "responsePayload", json_or_string(result, result_len));
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text == NULL)
        abort();
    return text;
}

/* Sends record (taken) to target: a new event for a Lambda function that
 * exists, else a dead-letter row that keeps it. Part of the current batch. */
static void deliver(struct async_queue *q, const struct aevent *src, const char *target,
                    char *record)
{
    struct fn_ref ref;
    bool lambda = strstr(target, ":lambda:") != NULL &&
                  arn_parse_function(target, strlen(target), &ref) == 0 &&
                  catalog_find(q->cat, ref.name) != NULL;
    if (lambda) {
        char id[37];
        rand_uuid(id);
        struct aevent *ev = event_new(q, ref.name, id, target, record, strlen(record));
        ev->created_ms = clock_ms();
        op_insert(q, ev, NULL, NULL);
        free(record);
        return;
    }
    log_warn("async=dead_letter fn=%s req=%s target=%s msg=\"target cannot take records yet; "
             "kept in the store\"",
             src->fn, src->request_id, target);
    struct wop *w = add_op(q, STORE_Q_ENQUEUE);
    w->owned[0] = record;
    /* The event (and so src->fn) is freed before the batch commits. */
    w->owned[1] = attrs_json("target", target, NULL, NULL);
    w->owned[2] = xstrdup(src->fn);
    w->op.q = (struct store_q_op){.queue = ASYNC_DEAD_QUEUE,
                                  .group = w->owned[2],
                                  .body = record,
                                  .body_len = strlen(record),
                                  .attrs = w->owned[1],
                                  .now_ms = clock_ms()};
}

/* ---- outcomes ---- */

/* The event invoke configuration for ev: that of the qualifier it was
 * invoked with ($LATEST when unqualified), else the defaults. */
static const struct eic *config_of(struct async_queue *q, const struct aevent *ev, struct eic *dflt)
{
    char qual[FN_QUALIFIER_MAX + 1];
    event_qualifier(ev, qual);
    const struct eic *e = catalog_eic(q->cat, ev->fn, qual);
    if (e != NULL)
        return e;
    eic_defaults(dflt);
    return dflt;
}

/* The event is done: record its outcome and delete it in one commit. The
 * DELETE names only the row id, so the event can be freed at once. */
static void finish(struct async_queue *q, struct aevent *ev, bool ok, const char *condition,
                   bool ran, const char *result, size_t result_len)
{
    struct eic dflt;
    const struct eic *e = config_of(q, ev, &dflt);
    const char *target = ok ? e->on_success : e->on_failure;
    if (target[0] != '\0')
        deliver(q, ev, target, make_record(q, ev, condition, ran, !ok, result, result_len));
    if (!ok) {
        struct function *fn = catalog_find(q->cat, ev->fn);
        if (fn != NULL && fn->dlq[0] != '\0') {
            /* A dead-letter queue receives the event itself, as on AWS. */
            char *copy = xmalloc(ev->len + 1);
            memcpy(copy, ev->payload, ev->len + 1);
            deliver(q, ev, fn->dlq, copy);
        }
        log_info("async=failed fn=%s req=%s condition=%s attempts=%d", ev->fn, ev->request_id,
                 condition, ev->attempts);
    }
    op_delete(q, ev->id);
    event_free(q, ev);
    flush(q);
}

/* Waits ms before the event is ready again, or only until it expires: an
 * event past its maximum age fails then, not at the retry it never gets. */
static void delay(struct async_queue *q, struct aevent *ev, int64_t ms)
{
    struct eic dflt;
    const struct eic *e = config_of(q, ev, &dflt);
    int64_t left = ev->created_ms + (int64_t)e->max_age_s * 1000 - clock_ms() + 5;
    timer_arm(q->th, &ev->timer, ms < left ? ms : (left > 0 ? left : 0));
}

static void on_done(void *arg, const struct invoke_done *d);

/* Runs ready events of f while its concurrency allows. */
static void dispatch(struct async_queue *q, struct afn *f)
{
    while (!q->stopping && f->head != NULL && f->running < q->cfg->fn_concurrency) {
        struct aevent *ev = f->head;
        f->head = ev->next;
        if (f->head == NULL)
            f->tail = NULL;
        ev->queued = false;
        /* The invoked ARN's qualifier picks the version (an alias routes by weight). */
        struct fn_ref ref;
        struct function *fn = NULL;
        if (arn_parse_function(ev->invoked_arn, strlen(ev->invoked_arn), &ref) != 0 ||
            catalog_resolve(q->cat, ev->fn, ref.qualifier, true, &fn) != 0)
            fn = NULL;
        if (fn == NULL) { /* deleted (its rows went with it), or its version was */
            op_delete(q, ev->id);
            event_free(q, ev);
            flush(q);
            continue;
        }
        struct eic dflt;
        const struct eic *e = config_of(q, ev, &dflt);
        if (clock_ms() - ev->created_ms >= (int64_t)e->max_age_s * 1000) {
            finish(q, ev, false, "EventAgeExceeded", false, NULL, 0);
            continue;
        }
        struct invoke_params ip = {.invoked_arn = ev->invoked_arn,
                                   .request_id = ev->request_id,
                                   .payload = ev->payload,
                                   .len = ev->len};
        if (invoke_submit(q->iv, fn, &ip, on_done, ev) != 0) {
            int shift = ev->throttles < 9 ? ev->throttles : 9;
            int64_t wait = (int64_t)THROTTLE_BACKOFF_MIN_MS << shift;
            ev->throttles++;
            delay(q, ev, wait < THROTTLE_BACKOFF_MAX_MS ? wait : THROTTLE_BACKOFF_MAX_MS);
            break; /* the limit holds for the events behind it too */
        }
        ev->throttles = 0;
        ev->running = true;
        f->running++;
    }
}

static void ready(struct async_queue *q, struct aevent *ev)
{
    struct afn *f = afn_get(q, ev->fn);
    ev->next = NULL;
    ev->queued = true;
    if (f->tail != NULL)
        f->tail->next = ev;
    else
        f->head = ev;
    f->tail = ev;
    dispatch(q, f);
}

static void on_due(struct timer *t, void *arg)
{
    struct aevent *ev = arg;
    (void)t;
    ready(ev->q, ev);
}

/* Applies the outcome of an event that ran (result borrowed): the event is
 * done, retried later, or has exhausted its retries. */
static void settle(struct async_queue *q, struct aevent *ev, bool fn_error, const char *result,
                   size_t result_len)
{
    ev->attempts++;
    struct eic dflt;
    const struct eic *e = config_of(q, ev, &dflt);
    if (!fn_error) {
        finish(q, ev, true, "Success", true, result, result_len);
    } else if (ev->attempts <= e->max_retry) {
        int64_t wait = (int64_t)q->cfg->retry_base_ms * ev->attempts;
        struct wop *w = add_op(q, STORE_Q_RELEASE);
        w->op.q = (struct store_q_op){.queue = ASYNC_QUEUE,
                                      .id = ev->id,
                                      .receive_count = ev->attempts,
                                      .visible_ms = clock_ms() + wait};
        flush(q);
        delay(q, ev, wait);
    } else {
        finish(q, ev, false, "RetriesExhausted", true, result, result_len);
    }
}

/* The log lines of a settling event are committed: apply its outcome. */
static void on_logged(struct logs_barrier *b, void *arg)
{
    struct aevent *ev = arg;
    struct async_queue *q = ev->q;
    (void)b;
    char *result = ev->result;
    ev->result = NULL;
    ev->settling = false;
    ev->running = false;
    if (q->stopping)
        event_free(q, ev); /* the row stays: it runs again after a restart */
    else
        settle(q, ev, ev->fn_error, result, ev->result_len);
    free(result);
}

static void on_done(void *arg, const struct invoke_done *d)
{
    struct aevent *ev = arg;
    struct async_queue *q = ev->q;
    struct afn *f = afn_get(q, ev->fn);
    const struct invocation *inv = d->inv;
    int status = d->status;
    f->running--;
    if (status == 0 && !q->stopping && q->cfg->logs != NULL) {
        /* Its log lines first: the event leaves the queue (or is retried)
         * once they are committed. The result outlives this call. */
        ev->fn_error = inv->function_error;
        ev->result_len = inv->result != NULL ? inv->result_len : 0;
        ev->result = xmalloc(ev->result_len + 1);
        if (ev->result_len > 0)
            memcpy(ev->result, inv->result, ev->result_len);
        ev->result[ev->result_len] = '\0';
        ev->settling = true;
        logs_barrier(q->cfg->logs, &ev->barrier, on_logged, ev);
    } else if (status == ERR_NOT_FOUND) {
        ev->running = false;
        op_delete(q, ev->id); /* the function was deleted while the event waited */
        event_free(q, ev);
        flush(q);
    } else if (status != 0 || q->stopping) {
        /* Not run (shutdown, or the instance could not be had): the row
         * stays, so it runs again later or after a restart. */
        ev->running = false;
        if (q->stopping)
            event_free(q, ev);
        else
            delay(q, ev, THROTTLE_BACKOFF_MIN_MS);
    } else {
        ev->running = false;
        settle(q, ev, inv->function_error, inv->result, inv->result_len);
    }
    dispatch(q, f);
}

/* ---- public API ---- */

static void on_function_deleted(void *arg, const char *name)
{
    async_function_deleted(arg, name);
}

struct async_queue *async_new(struct store *st, struct worker_pool *wp, struct timer_heap *th,
                              struct invoker *iv, struct catalog *cat,
                              const struct async_config *cfg)
{
    struct async_queue *q = xcalloc(1, sizeof(*q));
    q->st = st;
    q->wp = wp;
    q->th = th;
    q->iv = iv;
    q->cat = cat;
    q->cfg = cfg;
    catalog_watch(cat, &(struct catalog_watcher){.deleted = on_function_deleted, .arg = q});
    return q;
}

static int load_one(const struct store_msg *m, void *arg)
{
    struct async_queue *q = arg;
    cJSON *attrs = m->attrs != NULL ? cJSON_Parse(m->attrs) : NULL;
    const char *rid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(attrs, "request_id"));
    const char *arn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(attrs, "invoked_arn"));
    if (rid == NULL || arn == NULL) {
        log_error("async=damaged id=%lld msg=\"queued event without attributes; skipped\"",
                  (long long)m->id);
        cJSON_Delete(attrs);
        return 0;
    }
    struct aevent *ev = event_new(q, m->group, rid, arn, m->body, m->body_len);
    cJSON_Delete(attrs);
    ev->id = m->id;
    ev->created_ms = m->sent_ms;
    ev->attempts = m->receive_count;
    link_all(q, ev);
    int64_t wait = m->visible_ms - clock_ms();
    if (wait > 0)
        delay(q, ev, wait);
    else
        ready(q, ev);
    return 0;
}

int async_load(struct async_queue *q)
{
    int rc = store_q_scan(q->st, ASYNC_QUEUE, 0, 0, load_one, q);
    if (q->depth > 0)
        log_info("async=loaded events=%zu", q->depth);
    return rc;
}

void async_enqueue(struct async_queue *q, const char *fn, const char *invoked_arn,
                   const char *payload, size_t len, async_accepted_fn *done, void *arg)
{
    char id[37];
    rand_uuid(id);
    struct aevent *ev = event_new(q, fn, id, invoked_arn, payload, len);
    ev->created_ms = clock_ms();
    op_insert(q, ev, done, arg);
    flush(q);
}

void async_function_deleted(struct async_queue *q, const char *fn)
{
    struct afn *f = afn_get(q, fn);
    f->head = f->tail = NULL;
    struct aevent *next;
    for (struct aevent *ev = q->all_head; ev != NULL; ev = next) {
        next = ev->next_all;
        if (strcmp(ev->fn, fn) == 0 && !ev->running)
            event_free(q, ev);
    }
}

size_t async_depth(const struct async_queue *q)
{
    return q->depth;
}

int64_t async_oldest_age_ms(const struct async_queue *q)
{
    return q->all_head != NULL ? clock_ms() - q->all_head->created_ms : 0;
}

void async_stop(struct async_queue *q)
{
    q->stopping = true;
}

void async_free(struct async_queue *q)
{
    if (q == NULL)
        return;
    if (q->cur != NULL && q->cur->n > 0) {
        struct batch *b = q->cur;
        q->cur = NULL;
        prepare(b);
        commit_work(b);
        committed(b);
    } else if (q->cur != NULL) {
        batch_free(q->cur);
    }
    while (q->all_head != NULL)
        event_free(q, q->all_head);
    for (size_t b = 0; b < FN_BUCKETS; b++) {
        while (q->buckets[b] != NULL) {
            struct afn *f = q->buckets[b];
            q->buckets[b] = f->hnext;
            free(f);
        }
    }
    free(q);
}
