/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for invoke/logs.c, the function log writer: events reach the
 * store in order, the backlog is bounded (producers that can wait are told
 * to, waiters resume when there is room, "congested" past the reserve),
 * barriers run only once what was emitted before them is committed, a
 * failing store (a full disk) loses nothing and recovers, the storage cap
 * deletes the oldest events, and logs_free writes what is left. The loop is
 * a bare timer heap plus the worker pool's completions, pumped by the test.
 * A fake store (only the two log operations) can hold writes back or fail
 * them; the real SQLite store is used where the content matters.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cmocka.h needs these four first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "base/timer.h"
#include "base/util.h"
#include "base/worker.h"
#include "invoke/logs.h"
#include "store/store.h"

#define DEADLINE_MS 5000

/* ---- a store whose log writes can be held back or failed ---- */

struct fake {
    struct store base;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool closed;   /* writes wait while set */
    int fail;      /* the next this many writes fail with -ENOSPC */
    size_t events; /* events appended */
    int calls;
    int64_t last_ts; /* order check: ts of the last event appended */
    bool ordered;
};

static int fake_append(struct store *st, const struct store_log_event *ev, size_t n)
{
    struct fake *f = (struct fake *)st;
    pthread_mutex_lock(&f->mu);
    while (f->closed)
        pthread_cond_wait(&f->cv, &f->mu);
    f->calls++;
    int rc = 0;
    if (f->fail > 0) {
        f->fail--;
        rc = -ENOSPC;
    } else {
        for (size_t i = 0; i < n; i++) {
            if (ev[i].ts_ms < f->last_ts)
                f->ordered = false;
            f->last_ts = ev[i].ts_ms;
        }
        f->events += n;
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static int fake_trim(struct store *st, int64_t max_bytes, int64_t *deleted)
{
    (void)st;
    (void)max_bytes;
    *deleted = 0;
    return 0;
}

static const struct store_ops fake_ops = {.logs_append = fake_append, .logs_trim = fake_trim};

static void fake_gate(struct fake *f, bool closed)
{
    pthread_mutex_lock(&f->mu);
    f->closed = closed;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

static size_t fake_events(struct fake *f)
{
    pthread_mutex_lock(&f->mu);
    size_t n = f->events;
    pthread_mutex_unlock(&f->mu);
    return n;
}

/* ---- fixture ---- */

struct fx {
    struct fake fake;
    struct timer_heap th;
    struct worker_pool *wp;
    struct logs *lg;
    char dir[64];
    struct store *sq; /* the SQLite store, when a test opens it */
};

static int setup(void **state)
{
    struct fx *x = calloc(1, sizeof(*x));
    assert_non_null(x);
    x->fake.base.ops = &fake_ops;
    x->fake.ordered = true;
    pthread_mutex_init(&x->fake.mu, NULL);
    pthread_cond_init(&x->fake.cv, NULL);
    x->wp = worker_pool_new(1);
    assert_non_null(x->wp);
    *state = x;
    return 0;
}

static int rm_entry(const char *path, void *arg)
{
    (void)arg;
    return unlink(path);
}

static int teardown(void **state)
{
    struct fx *x = *state;
    fake_gate(&x->fake, false);
    worker_pool_free(x->wp);
    logs_free(x->lg);
    if (x->sq != NULL) {
        store_close(x->sq);
        const char *names[] = {"lambdad.db", "lambdad.db-wal", "lambdad.db-shm"};
        for (size_t i = 0; i < 3; i++) {
            char p[128];
            snprintf(p, sizeof(p), "%s/%s", x->dir, names[i]);
            rm_entry(p, NULL);
        }
        rmdir(x->dir);
    }
    timer_heap_fini(&x->th);
    pthread_mutex_destroy(&x->fake.mu);
    pthread_cond_destroy(&x->fake.cv);
    free(x);
    return 0;
}

static void use_fake(struct fx *x, size_t backlog, size_t reserve)
{
    x->lg = logs_new(&x->fake.base, x->wp, &x->th);
    logs_set_limits(x->lg,
                    &(struct logs_limits){.backlog_bytes = backlog, .reserve_bytes = reserve});
}

static void use_sqlite(struct fx *x, int64_t max_bytes)
{
    snprintf(x->dir, sizeof(x->dir), "/tmp/test_logs.XXXXXX");
    assert_non_null(mkdtemp(x->dir));
    int err = 0;
    x->sq = store_open("", x->dir, &err);
    assert_non_null(x->sq);
    x->lg = logs_new(x->sq, x->wp, &x->th);
    logs_set_limits(x->lg, &(struct logs_limits){.backlog_bytes = 1 << 24,
                                                 .reserve_bytes = 1 << 22,
                                                 .store_max_bytes = max_bytes});
}

/* One loop turn: due timers, then finished worker jobs. */
static void pump_once(struct fx *x)
{
    struct pollfd p = {.fd = worker_pool_fd(x->wp), .events = POLLIN};
    poll(&p, 1, (int)timer_wait_ms(&x->th, 5));
    timer_run(&x->th);
    worker_pool_complete(x->wp);
}

#define PUMP_UNTIL(x, cond)                                                                        \
    for (int64_t until_ = clock_ms() + DEADLINE_MS; !(cond) && clock_ms() < until_;)               \
    pump_once(x)

static void pump_for(struct fx *x, int ms)
{
    int64_t until = clock_ms() + ms;
    while (clock_ms() < until)
        pump_once(x);
}

static void emit_n(struct fx *x, int from, int n, size_t len)
{
    char msg[512];
    memset(msg, 'x', sizeof(msg));
    for (int i = from; i < from + n; i++) {
        int k = snprintf(msg, sizeof(msg), "line %08d ", i);
        msg[k] = 'x';
        logs_emit(x->lg, "/aws/lambda/t", i % 2 ? "s/1" : "s/2", i, msg, len);
    }
}

static struct logs_stats stats(struct fx *x)
{
    struct logs_stats s;
    logs_get_stats(x->lg, &s);
    return s;
}

/* ---- tests ---- */

struct scan {
    int n;
    int64_t last_ts;
    bool ordered;
};

static int count_ev(const struct store_log_event *ev, void *arg)
{
    struct scan *c = arg;
    if (ev->ts_ms < c->last_ts)
        c->ordered = false;
    c->last_ts = ev->ts_ms;
    c->n++;
    return 0;
}

static void test_events_reach_store_in_order(void **state)
{
    struct fx *x = *state;
    use_sqlite(x, 0);
    emit_n(x, 0, 20000, 40);
    assert_true(stats(x).backlog_events == 20000);
    PUMP_UNTIL(x, stats(x).backlog_events == 0);
    assert_int_equal(stats(x).backlog_events, 0);
    assert_int_equal(stats(x).backlog_bytes, 0);
    assert_int_equal(stats(x).written, 20000);
    for (int k = 1; k <= 2; k++) {
        struct scan c = {.ordered = true, .last_ts = -1};
        assert_int_equal(
            store_logs_scan(x->sq, "/aws/lambda/t", k == 1 ? "s/1" : "s/2", count_ev, &c), 0);
        assert_int_equal(c.n, 10000);
        assert_true(c.ordered);
    }
}

struct waited {
    int calls;
    bool had_room; /* logs_has_room() when the callback ran */
    struct logs *lg;
};

static void on_room(struct logs_waiter *w, void *arg)
{
    struct waited *r = arg;
    (void)w;
    r->calls++;
    r->had_room = logs_has_room(r->lg);
}

static void test_backlog_bound_and_room(void **state)
{
    struct fx *x = *state;
    use_fake(x, 64 * 1024, 32 * 1024);
    fake_gate(&x->fake, true); /* the store does not keep up at all */
    int i = 0;
    while (logs_has_room(x->lg) && i < 100000)
        emit_n(x, i++, 1, 200);
    assert_false(logs_has_room(x->lg));
    assert_false(logs_congested(x->lg));
    assert_true(stats(x).backlog_bytes >= 64 * 1024);
    assert_true(stats(x).backlog_bytes < 64 * 1024 + 512);
    struct logs_waiter w = {0};
    struct waited r = {.lg = x->lg};
    logs_wait_room(x->lg, &w, on_room, &r);
    assert_int_equal(stats(x).paused, 1);
    /* Platform lines are still taken; past the reserve the writer is congested. */
    while (!logs_congested(x->lg) && i < 100000)
        emit_n(x, i++, 1, 200);
    assert_true(logs_congested(x->lg));
    pump_for(x, 300);
    assert_int_equal(r.calls, 0);
    fake_gate(&x->fake, false);
    PUMP_UNTIL(x, r.calls > 0 && stats(x).backlog_events == 0);
    assert_int_equal(r.calls, 1);
    assert_true(r.had_room);
    assert_int_equal(stats(x).paused, 0);
    assert_false(logs_congested(x->lg));
    assert_int_equal(fake_events(&x->fake), (size_t)i);
    assert_true(x->fake.ordered);
}

static void test_wait_cancel(void **state)
{
    struct fx *x = *state;
    use_fake(x, 1024, 1024);
    fake_gate(&x->fake, true);
    emit_n(x, 0, 20, 100);
    struct logs_waiter w = {0};
    struct waited r = {.lg = x->lg};
    logs_wait_room(x->lg, &w, on_room, &r);
    logs_wait_cancel(x->lg, &w);
    logs_wait_cancel(x->lg, &w); /* twice is fine */
    fake_gate(&x->fake, false);
    PUMP_UNTIL(x, stats(x).backlog_events == 0);
    pump_for(x, 50);
    assert_int_equal(r.calls, 0);
}

struct order {
    int seq[16];
    int n;
};

struct woken {
    struct order *o;
    int id;
};

static void on_room_order(struct logs_waiter *w, void *arg)
{
    struct woken *k = arg;
    (void)w;
    k->o->seq[k->o->n++] = k->id;
}

/* Parked producers resume oldest first, a few per write (each may add a
 * pipe's worth), and all of them eventually even if they add nothing. */
static void test_waiters_resume_fifo(void **state)
{
    struct fx *x = *state;
    use_fake(x, 256 * 1024, 64 * 1024);
    fake_gate(&x->fake, true);
    int i = 0;
    while (logs_has_room(x->lg))
        emit_n(x, i++, 1, 400);
    struct logs_waiter w[10];
    struct woken k[10];
    struct order o = {.n = 0};
    memset(w, 0, sizeof(w));
    for (int j = 0; j < 10; j++) {
        k[j] = (struct woken){.o = &o, .id = j};
        logs_wait_room(x->lg, &w[j], on_room_order, &k[j]);
    }
    assert_int_equal(stats(x).paused, 10);
    fake_gate(&x->fake, false);
    PUMP_UNTIL(x, stats(x).backlog_events == 0);
    assert_true(o.n >= 1 && o.n <= 5); /* 256 KiB of room: about four pipes' worth */
    PUMP_UNTIL(x, o.n == 10);
    assert_int_equal(o.n, 10);
    for (int j = 0; j < 10; j++)
        assert_int_equal(o.seq[j], j);
    assert_int_equal(stats(x).paused, 0);
}

struct barred {
    int calls;
    size_t seen; /* events the store had when the barrier ran */
    struct fake *fake;
};

static void on_barrier(struct logs_barrier *b, void *arg)
{
    struct barred *r = arg;
    (void)b;
    r->calls++;
    r->seen = fake_events(r->fake);
}

static void test_barrier_waits_for_commit(void **state)
{
    struct fx *x = *state;
    use_fake(x, 1 << 20, 1 << 20);
    fake_gate(&x->fake, true);
    emit_n(x, 0, 100, 50);
    pump_for(x, 150); /* a tick: the first 100 are being written (held back) */
    emit_n(x, 100, 50, 50);
    struct logs_barrier b1, b2;
    struct barred r1 = {.fake = &x->fake}, r2 = {.fake = &x->fake};
    logs_barrier(x->lg, &b1, on_barrier, &r1);
    emit_n(x, 150, 10, 50); /* after the barrier: not waited for, but may be in its batch */
    logs_barrier(x->lg, &b2, on_barrier, &r2);
    pump_for(x, 200);
    assert_int_equal(r1.calls, 0);
    assert_int_equal(r2.calls, 0);
    fake_gate(&x->fake, false);
    PUMP_UNTIL(x, r1.calls > 0 && r2.calls > 0);
    assert_int_equal(r1.calls, 1);
    assert_int_equal(r2.calls, 1);
    assert_true(r1.seen >= 150);
    assert_true(r2.seen >= 160);
    pump_for(x, 150);
    assert_int_equal(r1.calls, 1);
}

static void test_barrier_empty_and_cancel(void **state)
{
    struct fx *x = *state;
    use_fake(x, 1 << 20, 1 << 20);
    struct logs_barrier b, c;
    struct barred r = {.fake = &x->fake}, rc = {.fake = &x->fake};
    logs_barrier(x->lg, &b, on_barrier, &r);
    assert_int_equal(r.calls, 0); /* never from inside the call */
    PUMP_UNTIL(x, r.calls > 0);
    assert_int_equal(r.calls, 1);
    emit_n(x, 0, 5, 10);
    logs_barrier(x->lg, &c, on_barrier, &rc);
    logs_barrier_cancel(x->lg, &c);
    logs_barrier_cancel(x->lg, &c);
    PUMP_UNTIL(x, stats(x).backlog_events == 0);
    pump_for(x, 50);
    assert_int_equal(rc.calls, 0);
    /* A barrier is written at once, not at the next tick. */
    emit_n(x, 5, 1, 10);
    int64_t t0 = clock_ms();
    logs_barrier(x->lg, &b, on_barrier, &r);
    PUMP_UNTIL(x, r.calls > 1);
    assert_int_equal(r.calls, 2);
    assert_true(clock_ms() - t0 < 90);
}

static void test_failing_store_loses_nothing(void **state)
{
    struct fx *x = *state;
    use_fake(x, 1 << 20, 1 << 20);
    x->fake.fail = 2; /* a full disk for two attempts */
    emit_n(x, 0, 1000, 30);
    struct logs_barrier b;
    struct barred r = {.fake = &x->fake};
    logs_barrier(x->lg, &b, on_barrier, &r);
    PUMP_UNTIL(x, stats(x).failing);
    assert_true(stats(x).failing);
    emit_n(x, 1000, 500, 30); /* still taken meanwhile */
    assert_int_equal(r.calls, 0);
    PUMP_UNTIL(x, stats(x).backlog_events == 0);
    assert_int_equal(stats(x).backlog_events, 0);
    assert_false(stats(x).failing);
    assert_int_equal(r.calls, 1);
    assert_true(r.seen >= 1000);
    assert_int_equal(fake_events(&x->fake), 1500);
    assert_true(x->fake.ordered);
}

struct bytes {
    int64_t first_ts, last_ts;
    int n;
};

static int span_ev(const struct store_log_event *ev, void *arg)
{
    struct bytes *c = arg;
    if (c->n++ == 0)
        c->first_ts = ev->ts_ms;
    c->last_ts = ev->ts_ms;
    return 0;
}

static void test_storage_cap_deletes_oldest(void **state)
{
    struct fx *x = *state;
    use_sqlite(x, 256 * 1024);
    for (int k = 0; k < 20; k++) { /* 20 batches of 100 x 400 bytes: 800 KB */
        emit_n(x, k * 100, 100, 400);
        struct logs_barrier b;
        struct barred r = {.fake = &x->fake};
        logs_barrier(x->lg, &b, on_barrier, &r);
        PUMP_UNTIL(x, r.calls > 0);
        assert_int_equal(r.calls, 1);
    }
    assert_true(stats(x).trimmed > 0);
    struct bytes c1 = {0}, c2 = {0};
    store_logs_scan(x->sq, "/aws/lambda/t", "s/1", span_ev, &c1);
    store_logs_scan(x->sq, "/aws/lambda/t", "s/2", span_ev, &c2);
    int kept = c1.n + c2.n;
    assert_true(kept > 0);
    assert_true((int64_t)kept * 400 <= 256 * 1024 + 16 * 1024 + 100 * 400);
    /* The newest are kept, the oldest went. */
    assert_int_equal(c1.last_ts, 1999);
    assert_int_equal(c2.last_ts, 1998);
    assert_true(c1.first_ts > 1 && c2.first_ts > 0);
    /* The streams' statistics follow. */
    struct store_cwl_stream s;
    memset(&s, 0, sizeof(s));
    assert_int_equal(store_cwl_stream_get(x->sq, "/aws/lambda/t", "s/1", &s), 0);
    assert_true(s.stored_bytes <= (int64_t)c1.n * 400 + 1);
    assert_true(s.stored_bytes >= (int64_t)c1.n * 400 - 1);
    assert_int_equal(s.first_ts, c1.first_ts);
}

static void test_free_writes_the_rest(void **state)
{
    struct fx *x = *state;
    use_fake(x, 1 << 20, 1 << 20);
    emit_n(x, 0, 300, 20);
    struct logs_barrier b;
    struct barred r = {.fake = &x->fake};
    logs_barrier(x->lg, &b, on_barrier, &r);
    worker_pool_free(x->wp); /* as at shutdown: the pool goes first */
    x->wp = worker_pool_new(1);
    logs_free(x->lg);
    x->lg = NULL;
    assert_int_equal(fake_events(&x->fake), 300);
    assert_int_equal(r.calls, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_events_reach_store_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backlog_bound_and_room, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waiters_resume_fifo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_barrier_waits_for_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_barrier_empty_and_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failing_store_loses_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_storage_cap_deletes_oldest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_writes_the_rest, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
