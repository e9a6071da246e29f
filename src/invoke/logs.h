/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_INVOKE_LOGS_H
#define LAMBDAD_INVOKE_LOGS_H

/*
 * Function log events on their way to the store. Lines are collected on the
 * loop thread into a batch; every LOG_FLUSH_INTERVAL_MS the batch is written
 * by a worker in one transaction (group commit), one batch at a time so that
 * a stream's events keep their order.
 */

#include <stddef.h>
#include <stdint.h>

struct logs;
struct store;
struct worker_pool;
struct timer_heap;

/* Returns a new log writer (free with logs_free, which flushes). */
struct logs *logs_new(struct store *st, struct worker_pool *wp, struct timer_heap *th);

/* Queues one event; group, stream and msg are copied. Loop thread only. */
void logs_emit(struct logs *lg, const char *group, const char *stream, int64_t ts_ms,
               const char *msg, size_t len);

/* Writes everything queued, synchronously (shutdown). Loop thread only. */
void logs_flush_now(struct logs *lg);

void logs_free(struct logs *lg);

#endif
