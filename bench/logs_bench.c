/* SPDX-License-Identifier: MIT */
/*
 * Function log writer throughput (invoke/logs.c into SQLite). A producer on
 * this thread plays the loop: it emits events as fast as the writer takes
 * them (parking on logs_wait_room when the backlog is full, as an instance's
 * output pipe does), pumping timers and worker completions, until N events
 * are committed. Prints events/s end to end, the peak backlog, and, as the
 * floor, store_logs_append alone in batches of the same size on the same
 * disk. With a cap (MB) the run measures the writer while --log-max-mb
 * deletes the oldest events. Usage: logs_bench DATA_DIR [events] [line-bytes]
 * [streams] [cap-MB]
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/limits.h"
#include "base/timer.h"
#include "base/worker.h"
#include "invoke/logs.h"
#include "store/store.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct loop {
    struct timer_heap th;
    struct worker_pool *wp;
};

static void pump(struct loop *l, int wait_ms)
{
    struct pollfd p = {.fd = worker_pool_fd(l->wp), .events = POLLIN};
    poll(&p, 1, (int)timer_wait_ms(&l->th, wait_ms));
    timer_run(&l->th);
    worker_pool_complete(l->wp);
}

static void on_barrier(struct logs_barrier *b, void *arg)
{
    (void)b;
    *(int *)arg = 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* What a synchronous invoke would wait if it waited for its log lines:
 * START, a line, END, REPORT, then a barrier, one invocation at a time. */
static void barrier_latency(struct loop *l, struct logs *lg, const char *msg)
{
    enum { ROUNDS = 300 };
    double ms[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        for (int k = 0; k < 4; k++)
            logs_emit(lg, "/aws/lambda/bench", "2026/12/02/[$LATEST]sync", i, msg, 100);
        int done = 0;
        struct logs_barrier b;
        double t0 = now_s();
        logs_barrier(lg, &b, on_barrier, &done);
        while (!done)
            pump(l, 50);
        ms[i] = (now_s() - t0) * 1000.0;
    }
    qsort(ms, ROUNDS, sizeof(ms[0]), cmp_double);
    printf("  barrier (4 lines, then wait for their commit), one at a time: p50 %.2f ms  p99 %.2f "
           "ms\n",
           ms[ROUNDS / 2], ms[ROUNDS * 99 / 100]);
}

static void on_room(struct logs_waiter *w, void *arg)
{
    (void)w;
    *(int *)arg = 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DATA_DIR [events] [line-bytes] [streams]\n", argv[0]);
        return 2;
    }
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 1000000;
    long len = argc > 3 ? strtol(argv[3], NULL, 10) : 100;
    long nstreams = argc > 4 ? strtol(argv[4], NULL, 10) : 32;
    long cap_mb = argc > 5 ? strtol(argv[5], NULL, 10) : 0;
    int err = 0;
    struct store *st = store_open("", argv[1], &err);
    if (st == NULL || len < 20 || len > 4000 || nstreams < 1 || nstreams > 4096) {
        fprintf(stderr, "cannot open the store in %s (%d), or bad arguments\n", argv[1], err);
        return 1;
    }
    struct loop l = {.wp = worker_pool_new(2)};
    struct logs *lg = logs_new(st, l.wp, &l.th);
    logs_set_limits(lg, &(struct logs_limits){.backlog_bytes = LOG_BACKLOG_MAX_BYTES,
                                              .reserve_bytes = LOG_BACKLOG_RESERVE_BYTES,
                                              .store_max_bytes = (int64_t)cap_mb << 20});
    char msg[4096], stream[64];
    memset(msg, 'x', sizeof(msg));
    size_t peak = 0;
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        while (!logs_has_room(lg)) {
            int ready = 0;
            struct logs_waiter w = {0};
            logs_wait_room(lg, &w, on_room, &ready);
            while (!ready)
                pump(&l, 50);
        }
        int k = snprintf(msg, sizeof(msg), "2026-12-02T05:00:00.000Z\t%08ld\tINFO\t", i);
        msg[k] = 'x';
        snprintf(stream, sizeof(stream), "2026/12/02/[$LATEST]%032ld", i % nstreams);
        logs_emit(lg, "/aws/lambda/bench", stream, i, msg, (size_t)len);
        if ((i & 1023) == 0)
            pump(&l, 0);
        struct logs_stats s;
        logs_get_stats(lg, &s);
        if (s.backlog_bytes > peak)
            peak = s.backlog_bytes;
    }
    struct logs_stats s;
    do {
        pump(&l, 50);
        logs_get_stats(lg, &s);
    } while (s.backlog_events > 0);
    double dt = now_s() - t0;
    printf("  writer (logs_emit -> SQLite)  %8ld events of %ld B, %ld streams: %9.0f events/s"
           "  (peak backlog %.1f MiB, bound %.1f MiB%s)\n",
           n, len, nstreams, (double)n / dt, (double)peak / 1048576.0,
           (double)LOG_BACKLOG_MAX_BYTES / 1048576.0, cap_mb > 0 ? ", at the cap" : "");
    if (cap_mb > 0) {
        logs_free(lg);
        worker_pool_free(l.wp);
        store_close(st);
        return 0;
    }
    barrier_latency(&l, lg, msg);
    logs_free(lg);
    worker_pool_free(l.wp);
    /* The floor: the store alone, batches of LOG_BATCH_MAX_EVENTS. */
    size_t b = LOG_BATCH_MAX_EVENTS;
    struct store_log_event *ev = calloc(b, sizeof(*ev));
    char(*streams)[64] = calloc((size_t)nstreams, 64);
    if (ev == NULL || streams == NULL)
        return 1;
    for (long j = 0; j < nstreams; j++)
        snprintf(streams[j], 64, "2026/12/02/[$LATEST]%032ld", j + 100000);
    long m = n / 2;
    t0 = now_s();
    for (long done = 0; done < m; done += (long)b) {
        for (size_t j = 0; j < b; j++)
            ev[j] = (struct store_log_event){.group = "/aws/lambda/bench",
                                             .stream = streams[(done + (long)j) % nstreams],
                                             .ts_ms = done + (long)j,
                                             .msg = msg,
                                             .msg_len = (size_t)len};
        store_logs_append(st, ev, b);
    }
    dt = now_s() - t0;
    printf("  store alone (logs_append)     %8ld events in batches of %zu:        %9.0f events/s\n",
           m, b, (double)m / dt);
    free(ev);
    free(streams);
    store_close(st);
    return 0;
}
