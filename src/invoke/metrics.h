/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_INVOKE_METRICS_H
#define LAMBDAD_INVOKE_METRICS_H

/*
 * Per-function invocation metrics for GET /metrics (Prometheus text format):
 * invocations, function errors, throttles, a duration histogram and the
 * concurrent executions gauge. Loop thread only. The update functions
 * accept m == NULL (metrics off) and then do nothing.
 */

#include <stdbool.h>
#include <stddef.h>

struct metrics;

/* Returns new metrics (free with metrics_free). */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* An invocation of fn started running (concurrency +1). */
void metrics_started(struct metrics *m, const char *fn);

/* An invocation of fn ended after seconds; error: it was a function error. */
void metrics_finished(struct metrics *m, const char *fn, double seconds, bool error);

/* An invocation of fn was throttled. */
void metrics_throttled(struct metrics *m, const char *fn);

/* Appends the per-function families to the text buffer *buf (of *len bytes,
 * grown with realloc as needed). Aborts on OOM. */
void metrics_render(const struct metrics *m, char **buf, size_t *len, size_t *cap);

/* Appends printf-style text to the buffer (used for the daemon's gauges too). */
void metrics_printf(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
