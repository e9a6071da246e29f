/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_INVOKE_LOGS_H
#define LAMBDAD_INVOKE_LOGS_H

/*
 * Function log events on their way to the store. Lines are collected on the
 * loop thread into a batch that one worker writes in one transaction (group
 * commit), one batch at a time so that a stream's events keep their order;
 * the next batch fills meanwhile. A batch is written every
 * LOG_FLUSH_INTERVAL_MS, as soon as it holds LOG_BATCH_MAX_EVENTS, and at
 * once when someone waits on a barrier.
 *
 * The backlog (events queued or being written) is bounded:
 *   - below limits.backlog_bytes everything is taken; producers that can
 *     wait (an instance's output pipes) ask logs_has_room() before reading
 *     and park a logs_waiter when there is none, so a function whose output
 *     outruns the store blocks on its pipe as it would on AWS. Parked ones
 *     resume oldest first, only as many as the room left can take
 *     LOG_PIPE_READ_BYTES (one pipe's capacity) from, so readers overshoot
 *     the bound by at most about that;
 *   - platform lines (START, END, REPORT, errors) are always taken: they are
 *     bounded by the invocations in flight, since past backlog_bytes +
 *     reserve_bytes the writer is "congested" and the scheduler holds new
 *     invocations until there is room again (up to LOG_HOLD_MAX_MS, then
 *     ServiceException).
 * A failed write (a full disk) keeps its batch and is retried every
 * LOG_WRITE_RETRY_MS; nothing is dropped, new invocations get
 * ServiceException at once meanwhile, and the daemon recovers by itself when
 * space returns.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct logs;
struct store;
struct worker_pool;
struct timer_heap;

struct logs_limits {
    size_t backlog_bytes;    /* output pipes pause past this many queued bytes */
    size_t reserve_bytes;    /* beyond it, room for platform lines before "congested" */
    int64_t store_max_bytes; /* cap on the database in use: oldest log events go first; 0 = none */
};

/* Returns a new log writer with the limits of base/limits.h (free with
 * logs_free, which flushes). Every pointer is borrowed and must outlive it. */
struct logs *logs_new(struct store *st, struct worker_pool *wp, struct timer_heap *th);

/* Replaces the limits (before the first event, or any time on the loop). */
void logs_set_limits(struct logs *lg, const struct logs_limits *lim);

/* Queues one event; group, stream and msg are copied. Always accepted (see
 * above for who must ask logs_has_room first). Loop thread only. */
void logs_emit(struct logs *lg, const char *group, const char *stream, int64_t ts_ms,
               const char *msg, size_t len);

/* Whether producers that can wait may add more (backlog below backlog_bytes). */
bool logs_has_room(const struct logs *lg);

/* Whether new work that logs should be refused (backlog at or past
 * backlog_bytes + reserve_bytes: the store does not keep up or fails). */
bool logs_congested(const struct logs *lg);

/* Whether the last write failed and is being retried (a full disk). */
bool logs_failing(const struct logs *lg);

/* A producer waiting for room; storage owned by the caller. */
struct logs_waiter;
typedef void logs_room_fn(struct logs_waiter *w, void *arg);
struct logs_waiter {
    struct logs_waiter *prev, *next;
    logs_room_fn *cb;
    void *arg;
    bool linked;
};

/* Runs cb(w, arg) once, later on the loop, when logs_has_room() holds again.
 * w must stay valid until then or until logs_wait_cancel. */
void logs_wait_room(struct logs *lg, struct logs_waiter *w, logs_room_fn *cb, void *arg);

/* Forgets a parked waiter (no-op if it is not parked). */
void logs_wait_cancel(struct logs *lg, struct logs_waiter *w);

/* A wait for everything emitted so far to be committed; caller's storage. */
struct logs_barrier;
typedef void logs_barrier_fn(struct logs_barrier *b, void *arg);
struct logs_batch;
struct logs_barrier {
    struct logs_barrier *prev, *next;
    struct logs_batch *batch; /* the batch it waits for, NULL once run or cancelled */
    logs_barrier_fn *cb;
    void *arg;
};

/* Runs cb(b, arg) exactly once, later on the loop, once every event emitted
 * before this call is committed; starts a write now rather than at the next
 * tick. b must stay valid until then or until logs_barrier_cancel. */
void logs_barrier(struct logs *lg, struct logs_barrier *b, logs_barrier_fn *cb, void *arg);

/* cb of a pending barrier will not run (no-op if it ran or was cancelled). */
void logs_barrier_cancel(struct logs *lg, struct logs_barrier *b);

struct logs_stats {
    size_t backlog_bytes;  /* queued or being written */
    size_t backlog_events; /* likewise, in events */
    uint64_t written;      /* events committed since start */
    uint64_t trimmed;      /* events deleted by the storage cap since start */
    unsigned paused;       /* producers waiting for room */
    bool failing;          /* the last write failed; retrying */
};

void logs_get_stats(const struct logs *lg, struct logs_stats *out);

/* Writes everything queued, synchronously, and runs the pending barriers
 * (shutdown, after the worker pool is gone). Loop thread only. */
void logs_flush_now(struct logs *lg);

void logs_free(struct logs *lg);

#endif
