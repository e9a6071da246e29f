/* SPDX-License-Identifier: MIT */
/*
 * A batch is an array of events plus one byte arena that holds their
 * strings; both are handed whole to the worker, which appends them to the
 * store and frees them. While a batch is being written the loop fills the
 * next one.
 */
#include "logs.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/timer.h"
#include "base/worker.h"
#include "store/store.h"

struct batch {
    struct store_log_event *ev;
    size_t len, cap;
    char **strings; /* every copied string, freed with the batch */
    size_t nstr, capstr;
    struct logs *owner;
    int rc;
};

struct logs {
    struct store *st;
    struct worker_pool *wp;
    struct timer_heap *th;
    struct timer tick;
    struct batch *cur;
    bool writing;
};

static struct batch *batch_new(struct logs *lg)
{
    struct batch *b = calloc(1, sizeof(*b));
    if (b == NULL)
        abort();
    b->owner = lg;
    return b;
}

static void batch_free(struct batch *b)
{
    for (size_t i = 0; i < b->nstr; i++)
        free(b->strings[i]);
    free(b->strings);
    free(b->ev);
    free(b);
}

static const char *keep(struct batch *b, const char *s, size_t len)
{
    if (b->nstr == b->capstr) {
        b->capstr = b->capstr ? b->capstr * 2 : 256;
        b->strings = realloc(b->strings, b->capstr * sizeof(*b->strings));
        if (b->strings == NULL)
            abort();
    }
    char *c = malloc(len + 1);
    if (c == NULL)
        abort();
    memcpy(c, s, len);
    c[len] = '\0';
    b->strings[b->nstr++] = c;
    return c;
}

static void write_batch(void *arg)
{
    struct batch *b = arg;
    b->rc = store_logs_append(b->owner->st, b->ev, b->len);
}

static void written(void *arg)
{
    struct batch *b = arg;
    struct logs *lg = b->owner;
    if (b->rc != 0)
        log_error("logs=write_failed events=%zu rc=%d", b->len, b->rc);
    batch_free(b);
    lg->writing = false;
}

static void flush(struct logs *lg)
{
    if (lg->writing || lg->cur == NULL || lg->cur->len == 0)
        return;
    struct batch *b = lg->cur;
    lg->cur = NULL;
    lg->writing = true;
    worker_submit(lg->wp, write_batch, written, b);
}

static void on_tick(struct timer *t, void *arg)
{
    struct logs *lg = arg;
    flush(lg);
    timer_arm(lg->th, t, LOG_FLUSH_INTERVAL_MS);
}

struct logs *logs_new(struct store *st, struct worker_pool *wp, struct timer_heap *th)
{
    struct logs *lg = calloc(1, sizeof(*lg));
    if (lg == NULL)
        abort();
    lg->st = st;
    lg->wp = wp;
    lg->th = th;
    timer_init(&lg->tick, on_tick, lg);
    timer_arm(th, &lg->tick, LOG_FLUSH_INTERVAL_MS);
    return lg;
}

void logs_emit(struct logs *lg, const char *group, const char *stream, int64_t ts_ms,
               const char *msg, size_t len)
{
    if (lg->cur == NULL)
        lg->cur = batch_new(lg);
    struct batch *b = lg->cur;
    if (b->len == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 256;
        b->ev = realloc(b->ev, b->cap * sizeof(*b->ev));
        if (b->ev == NULL)
            abort();
    }
    struct store_log_event *e = &b->ev[b->len++];
    e->group = keep(b, group, strlen(group));
    e->stream = keep(b, stream, strlen(stream));
    e->ts_ms = ts_ms;
    e->msg = keep(b, msg, len);
    e->msg_len = len;
}

void logs_flush_now(struct logs *lg)
{
    if (lg->cur != NULL && lg->cur->len > 0) {
        write_batch(lg->cur);
        if (lg->cur->rc != 0)
            log_error("logs=write_failed events=%zu rc=%d", lg->cur->len, lg->cur->rc);
        batch_free(lg->cur);
        lg->cur = NULL;
    }
}

void logs_free(struct logs *lg)
{
    if (lg == NULL)
        return;
    timer_cancel(lg->th, &lg->tick);
    logs_flush_now(lg);
    free(lg);
}
