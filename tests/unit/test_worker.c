/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for base/worker.c. The test thread plays the loop: it submits
 * jobs, polls the completion eventfd and calls worker_pool_complete(). Work
 * functions record the thread they ran on; done functions assert that they
 * run on the test thread. Every wait is a poll() with a deadline.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* cmocka.h needs these four first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "base/worker.h"

#define DEADLINE_MS 4000

static pthread_t loop_thread;

struct job {
    int id;
    atomic_int worked; /* times work ran */
    int done;          /* times done ran (loop thread only) */
    pthread_t worker;  /* where work ran */
    int done_seq;      /* order in which done ran */
    long sleep_us;     /* how long work takes */
};

static int done_counter;

static void work(void *arg)
{
    struct job *j = arg;
    j->worker = pthread_self();
    if (j->sleep_us > 0) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = j->sleep_us * 1000L};
        nanosleep(&ts, NULL);
    }
    atomic_fetch_add(&j->worked, 1);
}

static void done(void *arg)
{
    struct job *j = arg;
    /* Done functions run on the thread that calls worker_pool_complete. */
    assert_true(pthread_equal(pthread_self(), loop_thread));
    assert_int_equal(atomic_load(&j->worked), 1); /* after its work */
    j->done++;
    j->done_seq = done_counter++;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Polls the eventfd and drains completions until nothing is pending. */
static void drain(struct worker_pool *wp)
{
    int64_t end = now_ms() + DEADLINE_MS;
    while (worker_pool_pending(wp) > 0) {
        int64_t left = end - now_ms();
        assert_true(left > 0);
        struct pollfd p = {.fd = worker_pool_fd(wp), .events = POLLIN};
        int n = poll(&p, 1, (int)left);
        assert_true(n >= 0);
        if (n == 1) {
            assert_true(p.revents & POLLIN);
            worker_pool_complete(wp);
        }
    }
}

static int setup(void **state)
{
    (void)state;
    loop_thread = pthread_self();
    done_counter = 0;
    return 0;
}

static void test_one_job(void **state)
{
    (void)state;
    struct worker_pool *wp = worker_pool_new(2);
    assert_non_null(wp);
    assert_true(worker_pool_fd(wp) >= 0);
    assert_int_equal(worker_pool_pending(wp), 0);

    struct job j = {.id = 1};
    worker_submit(wp, work, done, &j);
    assert_int_equal(worker_pool_pending(wp), 1);
    assert_int_equal(j.done, 0); /* never synchronously */
    drain(wp);
    assert_int_equal(atomic_load(&j.worked), 1);
    assert_int_equal(j.done, 1);
    assert_false(pthread_equal(j.worker, loop_thread)); /* work ran on a worker */
    assert_int_equal(worker_pool_pending(wp), 0);

    /* Nothing left: the eventfd is not readable and complete is harmless. */
    struct pollfd p = {.fd = worker_pool_fd(wp), .events = POLLIN};
    assert_int_equal(poll(&p, 1, 0), 0);
    worker_pool_complete(wp);
    assert_int_equal(j.done, 1);
    worker_pool_free(wp);
}

static void test_many_jobs(void **state)
{
    (void)state;
    enum { N = 2000 };
    struct worker_pool *wp = worker_pool_new(4);
    assert_non_null(wp);
    struct job *jobs = calloc(N, sizeof(*jobs));
    assert_non_null(jobs);
    for (int i = 0; i < N; i++) {
        jobs[i].id = i;
        worker_submit(wp, work, done, &jobs[i]);
    }
    assert_true(worker_pool_pending(wp) <= N);
    drain(wp);
    for (int i = 0; i < N; i++) {
        assert_int_equal(atomic_load(&jobs[i].worked), 1);
        assert_int_equal(jobs[i].done, 1);
    }
    assert_int_equal(done_counter, N);
    worker_pool_free(wp);
    free(jobs);
}

static void test_parallel(void **state)
{
    (void)state;
    /* Four 100 ms jobs on four threads finish well before 400 ms. */
    struct worker_pool *wp = worker_pool_new(4);
    assert_non_null(wp);
    struct job jobs[4];
    memset(jobs, 0, sizeof(jobs));
    int64_t start = now_ms();
    for (int i = 0; i < 4; i++) {
        jobs[i].sleep_us = 100000;
        worker_submit(wp, work, done, &jobs[i]);
    }
    drain(wp);
    assert_true(now_ms() - start < 350);
    int distinct = 0;
    for (int i = 0; i < 4; i++) {
        bool dup = false;
        for (int k = 0; k < i; k++)
            dup = dup || pthread_equal(jobs[i].worker, jobs[k].worker);
        distinct += !dup;
    }
    assert_true(distinct >= 2);
    worker_pool_free(wp);
}

static void test_fifo_single_thread(void **state)
{
    (void)state;
    /* With one worker, jobs run and complete in submission order. */
    struct worker_pool *wp = worker_pool_new(1);
    assert_non_null(wp);
    struct job jobs[50];
    memset(jobs, 0, sizeof(jobs));
    for (int i = 0; i < 50; i++)
        worker_submit(wp, work, done, &jobs[i]);
    drain(wp);
    for (int i = 0; i < 50; i++)
        assert_int_equal(jobs[i].done_seq, i);
    worker_pool_free(wp);
}

static void test_null_done(void **state)
{
    (void)state;
    struct worker_pool *wp = worker_pool_new(2);
    assert_non_null(wp);
    struct job jobs[10];
    memset(jobs, 0, sizeof(jobs));
    for (int i = 0; i < 10; i++)
        worker_submit(wp, work, NULL, &jobs[i]);
    drain(wp);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(atomic_load(&jobs[i].worked), 1);
        assert_int_equal(jobs[i].done, 0);
    }
    worker_pool_free(wp);
}

static void test_free_waits(void **state)
{
    (void)state;
    /* Freeing with queued and running jobs runs every work and every done. */
    enum { N = 40 };
    struct worker_pool *wp = worker_pool_new(2);
    assert_non_null(wp);
    struct job jobs[N];
    memset(jobs, 0, sizeof(jobs));
    for (int i = 0; i < N; i++) {
        jobs[i].sleep_us = 2000;
        worker_submit(wp, work, done, &jobs[i]);
    }
    worker_pool_free(wp);
    for (int i = 0; i < N; i++) {
        assert_int_equal(atomic_load(&jobs[i].worked), 1);
        assert_int_equal(jobs[i].done, 1);
    }
}

static void test_free_null_and_idle(void **state)
{
    (void)state;
    worker_pool_free(NULL);
    struct worker_pool *wp = worker_pool_new(3);
    assert_non_null(wp);
    worker_pool_free(wp);
}

/* A done function that submits a follow-up job, as the control plane does. */
struct relay {
    struct worker_pool *wp;
    int hops;
};

static void relay_work(void *arg)
{
    (void)arg;
}

static void relay_done(void *arg)
{
    struct relay *r = arg;
    assert_true(pthread_equal(pthread_self(), loop_thread));
    if (++r->hops < 5)
        worker_submit(r->wp, relay_work, relay_done, r);
}

static void test_done_submits(void **state)
{
    (void)state;
    struct relay r = {0};
    r.wp = worker_pool_new(2);
    assert_non_null(r.wp);
    worker_submit(r.wp, relay_work, relay_done, &r);
    drain(r.wp);
    assert_int_equal(r.hops, 5);
    worker_pool_free(r.wp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_one_job, setup),
        cmocka_unit_test_setup(test_many_jobs, setup),
        cmocka_unit_test_setup(test_parallel, setup),
        cmocka_unit_test_setup(test_fifo_single_thread, setup),
        cmocka_unit_test_setup(test_null_done, setup),
        cmocka_unit_test_setup(test_free_waits, setup),
        cmocka_unit_test_setup(test_free_null_and_idle, setup),
        cmocka_unit_test_setup(test_done_submits, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
