/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_SOURCES_ASYNC_H
#define LAMBDAD_SOURCES_ASYNC_H

/*
 * Asynchronous invocation: the durable event queue and its dispatcher. An
 * event is acknowledged (202) only once its row is committed; it leaves the
 * queue only in the same transaction that records its outcome (a
 * destination event, a dead-letter record, or nothing on success without a
 * destination), and only after the log lines of its invocation are committed.
 * Events are therefore delivered at least once, and the log of every event
 * that left the queue is complete, whatever happens to the daemon. Loop
 * thread only.
 */

#include <stddef.h>
#include <stdint.h>

struct async_queue;
struct store;
struct worker_pool;
struct timer_heap;
struct invoker;
struct catalog;
struct logs;

struct async_config {
    const char *region;
    const char *account;
    int retry_base_ms;  /* delay before retry n is n * this (AWS: about 60000) */
    int fn_concurrency; /* events of one function running at once */
    struct logs *logs;  /* function logs: an event that ran leaves the queue only once its
                           log lines are committed (NULL: at once) */
};

/* Returns a new queue. Every pointer is borrowed and must outlive it. */
struct async_queue *async_new(struct store *st, struct worker_pool *wp, struct timer_heap *th,
                              struct invoker *iv, struct catalog *cat,
                              const struct async_config *cfg);

/* Loads the events a previous run left in the store (start-up). Returns 0 or
 * the store's error. */
int async_load(struct async_queue *q);

/* Called once the event is durable (status 0) or could not be stored. */
typedef void async_accepted_fn(void *arg, int status, const char *request_id);

/* Queues an event for function fn (name), copying everything. done runs
 * exactly once, later, on the loop. */
void async_enqueue(struct async_queue *q, const char *fn, const char *invoked_arn,
                   const char *payload, size_t len, async_accepted_fn *done, void *arg);

/* Forgets the queued events of a deleted function (their rows are already gone). */
void async_function_deleted(struct async_queue *q, const char *fn);

/* Events queued (waiting, delayed or running), and the age of the oldest in ms. */
size_t async_depth(const struct async_queue *q);
int64_t async_oldest_age_ms(const struct async_queue *q);

/* Stops dispatching (shutdown); running invocations still complete. */
void async_stop(struct async_queue *q);

/* Writes what is pending synchronously and frees the queue. Call after the
 * worker pool has been drained. */
void async_free(struct async_queue *q);

#endif
