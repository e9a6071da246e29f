/* SPDX-License-Identifier: MIT */
/*
 * A binary min-heap of caller-owned timer entries. Each entry records its
 * heap slot so cancel and re-arm are O(log n) without a search. Entries are
 * embedded in their owners (instances, invocations); the heap never frees
 * them.
 */
#include "timer.h"

#include <stdlib.h>
#include <time.h>

int64_t timer_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void timer_init(struct timer *t, timer_fn *cb, void *arg)
{
    t->due_ms = 0;
    t->slot = SIZE_MAX;
    t->cb = cb;
    t->arg = arg;
}

bool timer_armed(const struct timer *t)
{
    return t->slot != SIZE_MAX;
}

static void place(struct timer_heap *h, size_t i, struct timer *t)
{
    h->items[i] = t;
    t->slot = i;
}

static void sift_up(struct timer_heap *h, size_t i)
{
    struct timer *t = h->items[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (h->items[parent]->due_ms <= t->due_ms)
            break;
        place(h, i, h->items[parent]);
        i = parent;
    }
    place(h, i, t);
}

static void sift_down(struct timer_heap *h, size_t i)
{
    struct timer *t = h->items[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->len)
            break;
        if (c + 1 < h->len && h->items[c + 1]->due_ms < h->items[c]->due_ms)
            c++;
        if (t->due_ms <= h->items[c]->due_ms)
            break;
        place(h, i, h->items[c]);
        i = c;
    }
    place(h, i, t);
}

void timer_cancel(struct timer_heap *h, struct timer *t)
{
    if (!timer_armed(t))
        return;
    size_t i = t->slot;
    struct timer *last = h->items[--h->len];
    t->slot = SIZE_MAX;
    if (last == t)
        return;
    place(h, i, last);
    sift_down(h, i);
    sift_up(h, last->slot);
}

void timer_arm(struct timer_heap *h, struct timer *t, int64_t after_ms)
{
    timer_cancel(h, t);
    if (h->len == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        struct timer **items = realloc(h->items, cap * sizeof(*items));
        if (items == NULL)
            abort();
        h->items = items;
        h->cap = cap;
    }
    t->due_ms = timer_now_ms() + after_ms;
    place(h, h->len++, t);
    sift_up(h, t->slot);
}

int32_t timer_wait_ms(const struct timer_heap *h, int32_t cap)
{
    if (h->len == 0)
        return cap;
    int64_t d = h->items[0]->due_ms - timer_now_ms();
    if (d < 0)
        return 0;
    return d < cap ? (int32_t)d : cap;
}

void timer_run(struct timer_heap *h)
{
    int64_t now = timer_now_ms();
    while (h->len > 0 && h->items[0]->due_ms <= now) {
        struct timer *t = h->items[0];
        timer_cancel(h, t);
        t->cb(t, t->arg);
    }
}

void timer_heap_fini(struct timer_heap *h)
{
    free(h->items);
    h->items = NULL;
    h->len = h->cap = 0;
}
