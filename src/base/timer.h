/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_BASE_TIMER_H
#define LAMBDAD_BASE_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Deadlines of any length on the loop thread: a binary min-heap of timer
 * entries keyed by monotonic milliseconds. H2O 2.2's own timeouts exist per
 * fixed duration only, so function timeouts (1-900 s), the init limit and
 * idle reaping use this instead. Loop thread only.
 */

struct timer;
typedef void timer_fn(struct timer *t, void *arg);

struct timer {
    int64_t due_ms; /* monotonic ms */
    size_t slot;    /* index in the heap, or SIZE_MAX when not armed */
    timer_fn *cb;
    void *arg;
};

struct timer_heap {
    struct timer **items;
    size_t len;
    size_t cap;
};

/* Initialises an unarmed timer that will call cb(t, arg). */
void timer_init(struct timer *t, timer_fn *cb, void *arg);

/* Arms t to fire in after_ms (re-arming moves it). Aborts on OOM. */
void timer_arm(struct timer_heap *h, struct timer *t, int64_t after_ms);

/* Disarms t; a no-op when it is not armed. */
void timer_cancel(struct timer_heap *h, struct timer *t);

/* True while t is armed. */
bool timer_armed(const struct timer *t);

/* Milliseconds until the earliest timer is due (0 if overdue), or cap. */
int32_t timer_wait_ms(const struct timer_heap *h, int32_t cap);

/* Runs the callbacks of every due timer. A callback may arm or cancel timers. */
void timer_run(struct timer_heap *h);

/* Monotonic milliseconds, the clock timers use. */
int64_t timer_now_ms(void);

void timer_heap_fini(struct timer_heap *h);

#endif
