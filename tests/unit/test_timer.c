/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for base/timer.c. Firing order is checked by arming timers with
 * different delays and then waiting past all of them, so one timer_run() call
 * sees every timer due at once and must run them earliest first. Delays are
 * a few tens of milliseconds at most, so the whole file runs well under 5 s.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* cmocka.h needs these four first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "base/timer.h"

#define NTIMERS 300

struct rec {
    int order[NTIMERS * 2];   /* ids in firing order */
    int64_t due[NTIMERS * 2]; /* their due times, monotonic ms */
    int n;
};

struct tt {
    struct timer t;
    int id;
    struct rec *rec;
};

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void on_fire(struct timer *t, void *arg)
{
    struct tt *x = arg;
    assert_ptr_equal(t, &x->t);
    assert_false(timer_armed(t)); /* disarmed before its callback runs */
    x->rec->due[x->rec->n] = t->due_ms;
    x->rec->order[x->rec->n++] = x->id;
}

static void test_init(void **state)
{
    (void)state;
    struct timer t;
    int arg = 0;
    timer_init(&t, NULL, &arg);
    assert_false(timer_armed(&t));
    assert_ptr_equal(t.arg, &arg);

    struct timer_heap h = {0};
    assert_int_equal(timer_wait_ms(&h, 1234), 1234);
    timer_run(&h);        /* nothing to do */
    timer_cancel(&h, &t); /* cancelling an unarmed timer is a no-op */
    assert_int_equal(h.len, 0);
    timer_heap_fini(&h);
}

static void test_order_many(void **state)
{
    (void)state;
    struct rec *rec = calloc(1, sizeof(*rec));
    struct tt *ts = calloc(NTIMERS, sizeof(*ts));
    struct timer_heap h = {0};
    assert_non_null(rec);
    assert_non_null(ts);

    /* Delays 0..29 ms in a scrambled order; id encodes the delay. */
    for (int i = 0; i < NTIMERS; i++) {
        int delay = (i * 7919) % 30;
        ts[i].id = delay * 1000 + i;
        ts[i].rec = rec;
        timer_init(&ts[i].t, on_fire, &ts[i]);
        timer_arm(&h, &ts[i].t, delay);
        assert_true(timer_armed(&ts[i].t));
    }
    assert_int_equal(h.len, NTIMERS);
    sleep_ms(40);
    assert_int_equal(timer_wait_ms(&h, 1000), 0);
    timer_run(&h);
    assert_int_equal(rec->n, NTIMERS);
    assert_int_equal(h.len, 0);
    /* Earliest due first; the delays agree unless the clock ticked while arming. */
    for (int i = 1; i < NTIMERS; i++)
        assert_true(rec->due[i - 1] <= rec->due[i]);
    /* Every timer fired exactly once. */
    int seen[NTIMERS] = {0};
    for (int i = 0; i < NTIMERS; i++)
        seen[rec->order[i] % 1000]++;
    for (int i = 0; i < NTIMERS; i++)
        assert_int_equal(seen[i], 1);
    timer_heap_fini(&h);
    free(ts);
    free(rec);
}

static void test_not_due_yet(void **state)
{
    (void)state;
    struct rec rec = {0};
    struct tt a = {.id = 1, .rec = &rec};
    struct timer_heap h = {0};
    timer_init(&a.t, on_fire, &a);
    timer_arm(&h, &a.t, 60000);
    timer_run(&h);
    assert_int_equal(rec.n, 0);
    assert_true(timer_armed(&a.t));
    int32_t w = timer_wait_ms(&h, 100000);
    assert_true(w > 59000 && w <= 60000);
    assert_int_equal(timer_wait_ms(&h, 50), 50); /* capped */
    timer_cancel(&h, &a.t);
    timer_heap_fini(&h);
}

static void test_cancel(void **state)
{
    (void)state;
    struct rec rec = {0};
    struct tt ts[40];
    struct timer_heap h = {0};
    for (int i = 0; i < 40; i++) {
        ts[i].id = i;
        ts[i].rec = &rec;
        timer_init(&ts[i].t, on_fire, &ts[i]);
        timer_arm(&h, &ts[i].t, (40 - i) % 13);
    }
    /* Cancel every third one, including the root and the last slot. */
    for (int i = 0; i < 40; i += 3) {
        timer_cancel(&h, &ts[i].t);
        assert_false(timer_armed(&ts[i].t));
        timer_cancel(&h, &ts[i].t); /* twice is harmless */
    }
    sleep_ms(20);
    timer_run(&h);
    assert_int_equal(rec.n, 40 - 14);
    for (int k = 0; k < rec.n; k++)
        assert_int_not_equal(rec.order[k] % 3, 0);
    for (int k = 1; k < rec.n; k++)
        assert_true(rec.due[k - 1] <= rec.due[k]);
    timer_heap_fini(&h);
}

static void test_rearm(void **state)
{
    (void)state;
    struct rec rec = {0};
    struct tt a = {.id = 1, .rec = &rec}, b = {.id = 2, .rec = &rec}, c = {.id = 3, .rec = &rec};
    struct timer_heap h = {0};
    timer_init(&a.t, on_fire, &a);
    timer_init(&b.t, on_fire, &b);
    timer_init(&c.t, on_fire, &c);
    timer_arm(&h, &a.t, 0);
    timer_arm(&h, &b.t, 20);
    timer_arm(&h, &c.t, 40);
    /* Re-arming moves a timer; it stays in the heap once. */
    timer_arm(&h, &a.t, 60000);
    assert_int_equal(h.len, 3);
    timer_arm(&h, &c.t, 1);
    assert_int_equal(h.len, 3);
    sleep_ms(30);
    timer_run(&h);
    assert_int_equal(rec.n, 2);
    assert_int_equal(rec.order[0], 3);
    assert_int_equal(rec.order[1], 2);
    assert_true(timer_armed(&a.t));
    /* And a timer can be armed again after firing. */
    timer_arm(&h, &b.t, 0);
    timer_arm(&h, &a.t, 0);
    sleep_ms(2);
    timer_run(&h);
    assert_int_equal(rec.n, 4);
    assert_int_equal(h.len, 0);
    timer_heap_fini(&h);
}

/* A callback that arms other timers and re-arms itself a few times. */
struct chain {
    struct timer t;
    struct timer_heap *h;
    struct tt *child;
    int fired;
};

static void on_chain(struct timer *t, void *arg)
{
    struct chain *c = arg;
    (void)t;
    c->fired++;
    if (c->fired == 1)
        timer_arm(c->h, &c->child->t, 0); /* due now: runs in the same timer_run */
    if (c->fired < 3)
        timer_arm(c->h, &c->t, 60000); /* far away: must not run now */
}

static void test_callback_arms(void **state)
{
    (void)state;
    struct rec rec = {0};
    struct timer_heap h = {0};
    struct tt child = {.id = 7, .rec = &rec};
    struct chain c = {.h = &h, .child = &child};
    timer_init(&child.t, on_fire, &child);
    timer_init(&c.t, on_chain, &c);
    timer_arm(&h, &c.t, 0);
    sleep_ms(2);
    timer_run(&h);
    assert_int_equal(c.fired, 1);
    assert_int_equal(rec.n, 1);
    assert_int_equal(rec.order[0], 7);
    assert_true(timer_armed(&c.t));
    assert_false(timer_armed(&child.t));
    assert_true(timer_wait_ms(&h, 100000) > 59000);
    timer_cancel(&h, &c.t);
    assert_int_equal(h.len, 0);
    timer_heap_fini(&h);
}

/* A callback that cancels another due timer: that one must not run. */
struct canceller {
    struct timer t;
    struct timer_heap *h;
    struct tt *victim;
};

static void on_cancel_other(struct timer *t, void *arg)
{
    struct canceller *c = arg;
    (void)t;
    timer_cancel(c->h, &c->victim->t);
}

static void test_callback_cancels(void **state)
{
    (void)state;
    struct rec rec = {0};
    struct timer_heap h = {0};
    struct tt victim = {.id = 9, .rec = &rec};
    struct canceller c = {.h = &h, .victim = &victim};
    timer_init(&victim.t, on_fire, &victim);
    timer_init(&c.t, on_cancel_other, &c);
    timer_arm(&h, &c.t, 0);
    timer_arm(&h, &victim.t, 3);
    sleep_ms(10);
    timer_run(&h);
    assert_int_equal(rec.n, 0);
    assert_int_equal(h.len, 0);
    timer_heap_fini(&h);
}

static void test_heap_growth(void **state)
{
    (void)state;
    /* More timers than the initial capacity, cancelled in a scattered order. */
    enum { N = 1000 };
    struct tt *ts = calloc(N, sizeof(*ts));
    struct rec *rec = calloc(1, sizeof(*rec));
    struct timer_heap h = {0};
    assert_non_null(ts);
    assert_non_null(rec);
    for (int i = 0; i < N; i++) {
        ts[i].id = i;
        ts[i].rec = rec;
        timer_init(&ts[i].t, on_fire, &ts[i]);
        timer_arm(&h, &ts[i].t, 100000 + (i * 31) % 97);
    }
    assert_int_equal(h.len, N);
    for (int i = 0; i < N; i++) {
        int k = (i * 389) % N; /* 389 is coprime with 1000: a permutation */
        timer_cancel(&h, &ts[k].t);
        /* The heap property holds after every removal. */
        for (size_t j = 1; j < h.len; j++)
            assert_true(h.items[(j - 1) / 2]->due_ms <= h.items[j]->due_ms);
        for (size_t j = 0; j < h.len; j++)
            assert_int_equal(h.items[j]->slot, j);
    }
    assert_int_equal(h.len, 0);
    assert_int_equal(rec->n, 0);
    timer_heap_fini(&h);
    assert_null(h.items);
    free(ts);
    free(rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_order_many),
        cmocka_unit_test(test_not_due_yet),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_rearm),
        cmocka_unit_test(test_callback_arms),
        cmocka_unit_test(test_callback_cancels),
        cmocka_unit_test(test_heap_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
