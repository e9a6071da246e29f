/* SPDX-License-Identifier: MIT */
/*
 * A batch is an array of records plus one byte arena that holds their
 * strings as offsets (so the arena may grow); the worker turns them into
 * store_log_events when it writes the batch. At most two batches exist with
 * events: the one being written (inflight) and the one filling (cur); a
 * written batch keeps its memory and becomes the next one to fill, so a
 * steady load allocates nothing. The backlog is the bytes of both.
 *
 * Only the worker job touches the cap bookkeeping (struct capstate), one job
 * at a time; everything else is loop-thread state.
 */
#include "logs.h"

#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/timer.h"
#include "base/worker.h"
#include "store/store.h"

/* One event of a batch: offsets into the batch's arena. */
struct lrec {
    size_t group, stream, msg;
    size_t msg_len;
    int64_t ts_ms;
};

struct logs_batch {
    struct logs *lg;
    struct lrec *rec;
    size_t n, cap;
    char *arena;
    size_t used, acap;
    struct store_log_event *ev; /* built by the worker */
    size_t evcap;
    size_t bytes;                   /* what it counts in the backlog */
    size_t last_group, last_stream; /* the previous record's strings, reused when equal */
    struct logs_barrier *bar;       /* barriers that wait for this batch */
    int rc;                         /* the write's result */
    int64_t trimmed;                /* events the cap deleted after this write */
    int trim_rc;
};

/* What the write job keeps between jobs (worker side only). */
struct capstate {
    int64_t since_check; /* bytes written since the stored size was last checked */
    bool checked;        /* checked once since start */
    bool trimming;       /* the last check deleted: check again after the next write */
};

struct logs {
    struct store *st;
    struct worker_pool *wp;
    struct timer_heap *th;
    struct timer tick;  /* the periodic write */
    struct timer kick;  /* a write soon: a barrier, a full batch, or after a commit */
    struct timer retry; /* a failed batch is written again */
    struct logs_batch *cur, *inflight, *spare;
    struct logs_limits lim;
    size_t backlog, backlog_events;
    struct logs_waiter *waiters, *waiters_tail; /* FIFO */
    unsigned nwaiting;
    uint64_t written, trimmed;
    int64_t trim_unreported, trim_warned_ms; /* cap deletions are logged once a minute */
    bool failing;
    int64_t failing_since_ms;
    struct capstate cap;
};

#define REC_BYTES (sizeof(struct lrec) + sizeof(struct store_log_event))

static struct logs_batch *batch_new(struct logs *lg)
{
    struct logs_batch *b = xcalloc(1, sizeof(*b));
    b->lg = lg;
    b->last_group = b->last_stream = SIZE_MAX;
    return b;
}

static void batch_reset(struct logs_batch *b)
{
    b->n = b->used = b->bytes = 0;
    b->last_group = b->last_stream = SIZE_MAX;
    b->rc = b->trim_rc = 0;
    b->trimmed = 0;
}

/* The bytes b's buffers hold (kept across reuse). */
static size_t batch_footprint(const struct logs_batch *b)
{
    return b->acap + b->cap * sizeof(*b->rec) + b->evcap * sizeof(*b->ev);
}

static void batch_free(struct logs_batch *b)
{
    if (b == NULL)
        return;
    free(b->rec);
    free(b->arena);
    free(b->ev);
    free(b);
}

/* Copies s (len bytes, then a NUL) into b's arena; returns its offset. */
static size_t keep(struct logs_batch *b, const char *s, size_t len)
{
    if (b->used + len + 1 > b->acap) {
        size_t cap = b->acap ? b->acap : 65536;
        while (cap < b->used + len + 1)
            cap *= 2;
        char *a = xrealloc(b->arena, cap);
        b->arena = a;
        b->acap = cap;
    }
    size_t off = b->used;
    memcpy(b->arena + off, s, len);
    b->arena[off + len] = '\0';
    b->used += len + 1;
    return off;
}

/* s's offset in b: the previous record's copy when it is the same string. */
static size_t keep_str(struct logs_batch *b, size_t *last, const char *s)
{
    if (*last != SIZE_MAX && strcmp(b->arena + *last, s) == 0)
        return *last;
    *last = keep(b, s, strlen(s));
    return *last;
}

/* ---- the write job (worker thread) ---- */

static void build_events(struct logs_batch *b)
{
    if (b->n > b->evcap) {
        free(b->ev);
        b->evcap = b->n;
        b->ev = xmalloc(b->evcap * sizeof(*b->ev));
    }
    for (size_t i = 0; i < b->n; i++) {
        const struct lrec *r = &b->rec[i];
        b->ev[i] = (struct store_log_event){.group = b->arena + r->group,
                                            .stream = b->arena + r->stream,
                                            .ts_ms = r->ts_ms,
                                            .msg = b->arena + r->msg,
                                            .msg_len = r->msg_len};
    }
}

/* After a write: the storage cap, checked once at start, whenever another
 * sixteenth of it was written, and after every write while it deletes. */
static void check_cap(struct logs *lg, struct logs_batch *b)
{
    struct capstate *c = &lg->cap;
    int64_t max = lg->lim.store_max_bytes;
    c->since_check += (int64_t)b->used;
    if (max <= 0 || (c->checked && !c->trimming && c->since_check < max / 16))
        return;
    c->checked = true;
    c->since_check = 0;
    b->trim_rc = store_logs_trim(lg->st, max, &b->trimmed);
    c->trimming = b->trim_rc == 0 && b->trimmed > 0;
}

static void write_batch(void *arg)
{
    struct logs_batch *b = arg;
    if (b->n == 0) {
        b->rc = 0;
        return;
    }
    build_events(b);
    b->rc = store_logs_append(b->lg->st, b->ev, b->n);
    if (b->rc == 0)
        check_cap(b->lg, b);
}

/* ---- loop side ---- */

static void run_barriers(struct logs_batch *b)
{
    while (b->bar != NULL) {
        struct logs_barrier *x = b->bar;
        b->bar = x->next;
        if (b->bar != NULL)
            b->bar->prev = NULL;
        x->batch = NULL;
        x->prev = x->next = NULL;
        x->cb(x, x->arg);
    }
}

/* Resumes parked producers, oldest first, as many as the room left can take
 * a pipe's worth of output from (at least one): each reads up to that much
 * before it can be told to wait again. */
static void wake_waiters(struct logs *lg)
{
    if (!logs_has_room(lg))
        return;
    size_t room = lg->lim.backlog_bytes - lg->backlog;
    for (bool first = true; lg->waiters != NULL && (first || room >= LOG_PIPE_READ_BYTES);
         first = false) {
        struct logs_waiter *w = lg->waiters;
        logs_wait_cancel(lg, w);
        room = room > LOG_PIPE_READ_BYTES ? room - LOG_PIPE_READ_BYTES : 0;
        w->cb(w, w->arg);
    }
}

static void kick(struct logs *lg)
{
    if (!timer_armed(&lg->kick))
        timer_arm(lg->th, &lg->kick, 0);
}

/* Whether cur should be written before the next tick. */
static bool urgent(const struct logs_batch *b)
{
    return b != NULL && (b->bar != NULL || b->n >= LOG_BATCH_MAX_EVENTS);
}

static void note_result(struct logs *lg, struct logs_batch *b)
{
    if (b->trim_rc != 0)
        log_warn("logs=cap_check_failed err=%s", err_str(b->trim_rc));
    lg->trimmed += (uint64_t)b->trimmed;
    lg->trim_unreported += b->trimmed;
    if (lg->trim_unreported > 0 && timer_now_ms() - lg->trim_warned_ms >= LOG_CAP_WARN_MS) {
        log_warn("logs=cap_reached max_bytes=%" PRId64 " deleted_events=%" PRId64
                 " msg=\"log storage is at its cap (--log-max-mb): the oldest events were "
                 "deleted\"",
                 lg->lim.store_max_bytes, lg->trim_unreported);
        lg->trim_unreported = 0;
        lg->trim_warned_ms = timer_now_ms();
    }
    if (lg->failing) {
        log_warn("logs=store_recovered failed_for_ms=%" PRId64,
                 timer_now_ms() - lg->failing_since_ms);
        lg->failing = false;
    }
}

static void written(void *arg)
{
    struct logs_batch *b = arg;
    struct logs *lg = b->lg;
    if (b->rc != 0) {
        /* Keep it (and everything behind it) and try again: a full disk
         * refuses new invocations meanwhile, and nothing is lost. */
        if (!lg->failing) {
            log_error("logs=write_failed events=%zu err=%s msg=\"retrying every %d ms\"", b->n,
                      err_str(b->rc), LOG_WRITE_RETRY_MS);
            lg->failing = true;
            lg->failing_since_ms = timer_now_ms();
        }
        timer_arm(lg->th, &lg->retry, LOG_WRITE_RETRY_MS);
        return;
    }
    note_result(lg, b);
    lg->written += b->n;
    lg->backlog -= b->bytes;
    lg->backlog_events -= b->n;
    lg->inflight = NULL;
    run_barriers(b);
    batch_reset(b);
    if (lg->spare == NULL && batch_footprint(b) <= LOG_BATCH_KEEP_BYTES) {
        lg->spare = b;
    } else {
        /* A batch a backlog spike grew goes back to the system, so that the
         * daemon's memory returns to its steady size after the spike. */
        bool big = batch_footprint(b) > LOG_BATCH_KEEP_BYTES;
        batch_free(b);
        if (big)
            malloc_trim(0);
    }
    wake_waiters(lg);
    /* Not from here directly: this may run inside worker_pool_free. */
    if (urgent(lg->cur))
        kick(lg);
}

static void flush(struct logs *lg)
{
    struct logs_batch *b = lg->cur;
    if (lg->inflight != NULL || b == NULL || (b->n == 0 && b->bar == NULL))
        return;
    lg->cur = NULL;
    lg->inflight = b;
    worker_submit(lg->wp, write_batch, written, b);
}

static void on_tick(struct timer *t, void *arg)
{
    struct logs *lg = arg;
    flush(lg);
    wake_waiters(lg); /* those woken last time may have had nothing to add */
    timer_arm(lg->th, t, LOG_FLUSH_INTERVAL_MS);
}

static void on_kick(struct timer *t, void *arg)
{
    (void)t;
    flush(arg);
}

static void on_retry(struct timer *t, void *arg)
{
    struct logs *lg = arg;
    (void)t;
    if (lg->inflight != NULL)
        worker_submit(lg->wp, write_batch, written, lg->inflight);
}

struct logs *logs_new(struct store *st, struct worker_pool *wp, struct timer_heap *th)
{
    struct logs *lg = xcalloc(1, sizeof(*lg));
    lg->st = st;
    lg->wp = wp;
    lg->th = th;
    lg->lim = (struct logs_limits){.backlog_bytes = LOG_BACKLOG_MAX_BYTES,
                                   .reserve_bytes = LOG_BACKLOG_RESERVE_BYTES,
                                   .store_max_bytes = 0};
    timer_init(&lg->tick, on_tick, lg);
    timer_init(&lg->kick, on_kick, lg);
    timer_init(&lg->retry, on_retry, lg);
    timer_arm(th, &lg->tick, LOG_FLUSH_INTERVAL_MS);
    return lg;
}

void logs_set_limits(struct logs *lg, const struct logs_limits *lim)
{
    lg->lim = *lim;
    wake_waiters(lg);
}

void logs_emit(struct logs *lg, const char *group, const char *stream, int64_t ts_ms,
               const char *msg, size_t len)
{
    if (lg->cur == NULL) {
        lg->cur = lg->spare != NULL ? lg->spare : batch_new(lg);
        lg->spare = NULL;
    }
    struct logs_batch *b = lg->cur;
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 1024;
        b->rec = xrealloc(b->rec, b->cap * sizeof(*b->rec));
    }
    size_t before = b->used;
    struct lrec *r = &b->rec[b->n++];
    r->group = keep_str(b, &b->last_group, group);
    r->stream = keep_str(b, &b->last_stream, stream);
    r->msg = keep(b, msg, len);
    r->msg_len = len;
    r->ts_ms = ts_ms;
    size_t bytes = b->used - before + REC_BYTES;
    b->bytes += bytes;
    lg->backlog += bytes;
    lg->backlog_events++;
    if (b->n == LOG_BATCH_MAX_EVENTS)
        kick(lg);
}

bool logs_has_room(const struct logs *lg)
{
    return lg->backlog < lg->lim.backlog_bytes;
}

bool logs_congested(const struct logs *lg)
{
    return lg->backlog >= lg->lim.backlog_bytes + lg->lim.reserve_bytes;
}

bool logs_failing(const struct logs *lg)
{
    return lg->failing;
}

void logs_wait_room(struct logs *lg, struct logs_waiter *w, logs_room_fn *cb, void *arg)
{
    if (w->linked)
        return;
    w->cb = cb;
    w->arg = arg;
    w->next = NULL;
    w->prev = lg->waiters_tail;
    if (lg->waiters_tail != NULL)
        lg->waiters_tail->next = w;
    else
        lg->waiters = w;
    lg->waiters_tail = w;
    w->linked = true;
    lg->nwaiting++;
    /* Room may come from the next write only: make sure there is one. */
    kick(lg);
}

void logs_wait_cancel(struct logs *lg, struct logs_waiter *w)
{
    if (!w->linked)
        return;
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        lg->waiters = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    else
        lg->waiters_tail = w->prev;
    w->prev = w->next = NULL;
    w->linked = false;
    lg->nwaiting--;
}

void logs_barrier(struct logs *lg, struct logs_barrier *b, logs_barrier_fn *cb, void *arg)
{
    /* Everything emitted so far is in cur and inflight, written in that
     * order: wait for cur unless it is empty and a write is under way. */
    struct logs_batch *t = lg->cur;
    if ((t == NULL || t->n == 0) && lg->inflight != NULL) {
        t = lg->inflight;
    } else if (t == NULL) {
        lg->cur = t = lg->spare != NULL ? lg->spare : batch_new(lg);
        lg->spare = NULL;
    }
    b->cb = cb;
    b->arg = arg;
    b->batch = t;
    b->prev = NULL;
    b->next = t->bar;
    if (t->bar != NULL)
        t->bar->prev = b;
    t->bar = b;
    if (t == lg->cur)
        kick(lg);
}

void logs_barrier_cancel(struct logs *lg, struct logs_barrier *b)
{
    (void)lg;
    if (b->batch == NULL)
        return;
    if (b->prev != NULL)
        b->prev->next = b->next;
    else
        b->batch->bar = b->next;
    if (b->next != NULL)
        b->next->prev = b->prev;
    b->prev = b->next = NULL;
    b->batch = NULL;
}

void logs_get_stats(const struct logs *lg, struct logs_stats *out)
{
    *out = (struct logs_stats){.backlog_bytes = lg->backlog,
                               .backlog_events = lg->backlog_events,
                               .written = lg->written,
                               .trimmed = lg->trimmed,
                               .paused = lg->nwaiting,
                               .failing = lg->failing};
}

/* Writes b synchronously, then releases what waits on it. */
static void write_now(struct logs *lg, struct logs_batch *b)
{
    write_batch(b);
    if (b->rc != 0)
        log_error("logs=write_failed events=%zu err=%s msg=\"lost at shutdown\"", b->n,
                  err_str(b->rc));
    else
        note_result(lg, b);
    lg->backlog -= b->bytes;
    lg->backlog_events -= b->n;
    run_barriers(b);
    batch_free(b);
}

void logs_flush_now(struct logs *lg)
{
    timer_cancel(lg->th, &lg->retry);
    if (lg->inflight != NULL) {
        struct logs_batch *b = lg->inflight;
        lg->inflight = NULL;
        write_now(lg, b);
    }
    if (lg->cur != NULL) {
        struct logs_batch *b = lg->cur;
        lg->cur = NULL;
        write_now(lg, b);
    }
}

void logs_free(struct logs *lg)
{
    if (lg == NULL)
        return;
    timer_cancel(lg->th, &lg->tick);
    timer_cancel(lg->th, &lg->kick);
    logs_flush_now(lg);
    batch_free(lg->spare);
    free(lg);
}
