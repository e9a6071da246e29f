/* SPDX-License-Identifier: MIT */
/*
 * Counters per function name in a small hash table; rendering walks the
 * table once per metric family, sorted by nothing in particular (Prometheus
 * does not care). Function names are [a-zA-Z0-9-_], so label values need no
 * escaping.
 */
#include "metrics.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/hash.h"
#include "base/limits.h"

#define METRICS_BUCKETS 256

/* Upper bounds of the duration histogram, in seconds (the function timeout
 * range is 1-900 s). */
static const double bounds[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                1,     2.5,   5,    10,    30,   60,  300,  900};
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))

struct fn_metrics {
    char name[FN_NAME_MAX + 1];
    uint64_t invocations;
    uint64_t errors;
    uint64_t throttles;
    uint64_t buckets[NBOUNDS + 1]; /* the last one is +Inf */
    double duration_sum;           /* seconds */
    long running;
    struct fn_metrics *next;
};

struct metrics {
    struct fn_metrics *table[METRICS_BUCKETS];
};

struct metrics *metrics_new(void)
{
    struct metrics *m = xcalloc(1, sizeof(*m));
    return m;
}

void metrics_free(struct metrics *m)
{
    if (m == NULL)
        return;
    for (size_t b = 0; b < METRICS_BUCKETS; b++) {
        while (m->table[b] != NULL) {
            struct fn_metrics *f = m->table[b];
            m->table[b] = f->next;
            free(f);
        }
    }
    free(m);
}

static struct fn_metrics *get(struct metrics *m, const char *fn)
{
    struct fn_metrics **slot = &m->table[hash_str(fn) % METRICS_BUCKETS];
    for (struct fn_metrics *f = *slot; f != NULL; f = f->next)
        if (strcmp(f->name, fn) == 0)
            return f;
    struct fn_metrics *f = xcalloc(1, sizeof(*f));
    snprintf(f->name, sizeof(f->name), "%s", fn);
    f->next = *slot;
    *slot = f;
    return f;
}

void metrics_started(struct metrics *m, const char *fn)
{
    if (m == NULL)
        return;
    get(m, fn)->running++;
}

void metrics_finished(struct metrics *m, const char *fn, double seconds, bool error)
{
    if (m == NULL)
        return;
    struct fn_metrics *f = get(m, fn);
    f->running--;
    f->invocations++;
    if (error)
        f->errors++;
    f->duration_sum += seconds;
    size_t i = 0;
    while (i < NBOUNDS && seconds > bounds[i])
        i++;
    f->buckets[i]++;
}

void metrics_throttled(struct metrics *m, const char *fn)
{
    if (m == NULL)
        return;
    get(m, fn)->throttles++;
}

void metrics_printf(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n =
            vsnprintf(*buf != NULL ? *buf + *len : NULL, *buf != NULL ? *cap - *len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (*buf != NULL && *len + (size_t)n < *cap) {
            *len += (size_t)n;
            return;
        }
        size_t ncap = (*cap ? *cap * 2 : 4096) + (size_t)n;
        char *nb = xrealloc(*buf, ncap);
        *buf = nb;
        *cap = ncap;
    }
}

#define EACH(m, f)                                                                                 \
    for (size_t b_ = 0; b_ < METRICS_BUCKETS; b_++)                                                \
        for (const struct fn_metrics *f = (m)->table[b_]; f != NULL; f = f->next)

static void counter(const struct metrics *m, char **buf, size_t *len, size_t *cap, const char *name,
                    const char *help, size_t offset)
{
    metrics_printf(buf, len, cap, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
    EACH(m, f)
    {
        uint64_t v = *(const uint64_t *)(const void *)((const char *)f + offset);
        metrics_printf(buf, len, cap, "%s{function=\"%s\"} %llu\n", name, f->name,
                       (unsigned long long)v);
    }
}

void metrics_render(const struct metrics *m, char **buf, size_t *len, size_t *cap)
{
    counter(m, buf, len, cap, "lambdad_invocations_total", "Invocations that ran, by function.",
            offsetof(struct fn_metrics, invocations));
    counter(m, buf, len, cap, "lambdad_errors_total", "Invocations that ended in a function error.",
            offsetof(struct fn_metrics, errors));
    counter(m, buf, len, cap, "lambdad_throttles_total", "Invocations refused for concurrency.",
            offsetof(struct fn_metrics, throttles));
    metrics_printf(buf, len, cap,
                   "# HELP lambdad_duration_seconds Time from the event reaching the runtime to "
                   "its result.\n# TYPE lambdad_duration_seconds histogram\n");
    EACH(m, f)
    {
        uint64_t cum = 0;
        for (size_t i = 0; i < NBOUNDS; i++) {
            cum += f->buckets[i];
            metrics_printf(buf, len, cap,
                           "lambdad_duration_seconds_bucket{function=\"%s\",le=\"%g\"} %llu\n",
                           f->name, bounds[i], (unsigned long long)cum);
        }
        cum += f->buckets[NBOUNDS];
        metrics_printf(buf, len, cap,
                       "lambdad_duration_seconds_bucket{function=\"%s\",le=\"+Inf\"} %llu\n"
                       "lambdad_duration_seconds_sum{function=\"%s\"} %.6f\n"
                       "lambdad_duration_seconds_count{function=\"%s\"} %llu\n",
                       f->name, (unsigned long long)cum, f->name, f->duration_sum, f->name,
                       (unsigned long long)cum);
    }
    metrics_printf(buf, len, cap,
                   "# HELP lambdad_concurrent_executions Invocations running now.\n"
                   "# TYPE lambdad_concurrent_executions gauge\n");
    EACH(m, f)
    metrics_printf(buf, len, cap, "lambdad_concurrent_executions{function=\"%s\"} %ld\n", f->name,
                   f->running);
}
