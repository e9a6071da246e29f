/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for store/store_sqlite_queue.c through store.h: durable queues.
 * Leases (visibility deadlines, receive counts, receipt tokens that go stale
 * when a message is leased again), release and ack, delays, the
 * de-duplication window, FIFO group ordering, scans and purges, and a
 * printed throughput figure. Each test gets a fresh mkdtemp directory.
 */
#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

#include "base/err.h"
#include "store/store.h"

#define STORE_FX_PREFIX "test_store_queue"
#include "store_fx.h"

/* ---- durable queues ---- */

struct leased {
    int n;
    int64_t id[32];
    uint64_t token[32];
    int count[32];
    int64_t visible[32];
    char body[32][16];
};

static int collect_msg(const struct store_msg *m, void *arg)
{
    struct leased *l = arg;
    assert_true(l->n < 32);
    l->id[l->n] = m->id;
    l->token[l->n] = m->token;
    l->count[l->n] = m->receive_count;
    l->visible[l->n] = m->visible_ms;
    snprintf(l->body[l->n], sizeof(l->body[0]), "%.*s", (int)m->body_len, (const char *)m->body);
    l->n++;
    return 0;
}

static int64_t enqueue(struct store *st, const char *queue, const char *group, const char *body,
                       int64_t now, int64_t delay)
{
    struct store_op op = {.kind = STORE_Q_ENQUEUE,
                          .q = {.queue = queue,
                                .group = group,
                                .body = body,
                                .body_len = strlen(body),
                                .now_ms = now,
                                .delay_ms = delay}};
    assert_int_equal(store_apply(st, &op, 1, NULL), 0);
    assert_false(op.q.duplicate);
    assert_true(op.q.id > 0);
    return op.q.id;
}

static struct leased lease(struct store *st, const char *queue, int64_t now, int64_t vis,
                           size_t max, int flags, const char *group)
{
    struct leased l = {.n = 0};
    struct store_lease ls = {.queue = queue,
                             .now_ms = now,
                             .visibility_ms = vis,
                             .max = max,
                             .flags = flags,
                             .group = group};
    assert_int_equal(store_q_lease(st, &ls, collect_msg, &l), 0);
    return l;
}

static int q_op_queue(struct store *st, const char *queue, enum store_op_kind kind, int64_t id,
                      uint64_t token, int64_t visible)
{
    struct store_op op = {
        .kind = kind,
        .q = {
            .queue = queue, .id = id, .token = token, .visible_ms = visible, .receive_count = -1}};
    return store_apply(st, &op, 1, NULL);
}

static int q_op(struct store *st, enum store_op_kind kind, int64_t id, uint64_t token,
                int64_t visible)
{
    return q_op_queue(st, "q", kind, id, token, visible);
}

static void test_queue_lease_visibility_tokens(void **state)
{
    struct fx *f = *state;
    struct store *st = open_ok(f);
    int64_t m1 = enqueue(st, "q", NULL, "a", 1000, 0);
    int64_t m2 = enqueue(st, "q", NULL, "b", 1000, 0);
    int64_t m3 = enqueue(st, "q", NULL, "c", 1000, 0);
    enqueue(st, "other", NULL, "x", 1000, 0);
    assert_true(m1 < m2 && m2 < m3);

    struct leased l = lease(st, "q", 1000, 30000, 2, 0, NULL);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.id[0], m1);
    assert_int_equal(l.id[1], m2);
    assert_string_equal(l.body[1], "b");
    assert_int_equal(l.count[0], 1);
    assert_int_equal(l.visible[0], 31000);
    assert_true(l.token[0] != 0 && l.token[1] != 0 && l.token[0] != l.token[1]);
    uint64_t t1 = l.token[0], t2 = l.token[1];
    l = lease(st, "q", 1000, 30000, 10, 0, NULL);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.id[0], m3);
    assert_int_equal(lease(st, "q", 1000, 30000, 10, 0, NULL).n, 0); /* all in flight */

    struct store_q_counts c;
    assert_int_equal(store_q_count(st, "q", 1000, &c), 0);
    assert_int_equal(c.visible, 0);
    assert_int_equal(c.in_flight, 3);
    assert_int_equal(c.delayed, 0);
    assert_int_equal(c.oldest_sent_ms, 1000);

    assert_int_equal(q_op(st, STORE_Q_ACK, m1, t1, 0), 0);
    assert_int_equal(q_op(st, STORE_Q_ACK, m1, t1, 0), -ENOENT); /* gone */
    assert_int_equal(q_op(st, STORE_Q_ACK, m1, 0, 0), 0);        /* owner: idempotent */

    /* The visibility of m2 and m3 ends: leased again, counted, new tokens. */
    assert_int_equal(lease(st, "q", 30999, 30000, 10, 0, NULL).n, 0);
    l = lease(st, "q", 31000, 30000, 10, 0, NULL);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.id[0], m2);
    assert_int_equal(l.count[0], 2);
    assert_int_equal(l.count[1], 2);
    assert_true(l.token[0] != t2);
    uint64_t t2b = l.token[0], t3b = l.token[1];
    /* the receipt of the first lease is no good any more */
    assert_int_equal(q_op(st, STORE_Q_ACK, m2, t2, 0), ERR_CONFLICT);
    assert_int_equal(q_op(st, STORE_Q_RELEASE, m2, t2, 0), ERR_CONFLICT);
    /* release m3 until 40000: delayed, not in flight */
    assert_int_equal(q_op(st, STORE_Q_RELEASE, m3, t3b, 40000), 0);
    assert_int_equal(q_op(st, STORE_Q_ACK, m3, t3b, 0), ERR_CONFLICT); /* released: token gone */
    assert_int_equal(store_q_count(st, "q", 31000, &c), 0);
    assert_int_equal(c.in_flight, 1);
    assert_int_equal(c.delayed, 1);
    assert_int_equal(c.visible, 0);
    assert_int_equal(lease(st, "q", 39999, 1000, 10, 0, NULL).n, 0);
    l = lease(st, "q", 40000, 1000, 10, 0, NULL);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.id[0], m3);
    assert_int_equal(l.count[0], 3);
    /* an expired lease's receipt still deletes, while no one leased it again */
    assert_int_equal(store_q_count(st, "q", 61001, &c), 0);
    assert_int_equal(c.visible, 2);
    assert_int_equal(q_op(st, STORE_Q_ACK, m2, t2b, 0), 0);
    assert_int_equal(q_op(st, STORE_Q_RELEASE, 999999, 5, 0), -ENOENT);
    assert_int_equal(q_op(st, STORE_Q_RELEASE, 999999, 0, 0), 0);
    /* the other queue was never touched */
    l = lease(st, "other", 1000, 1000, 10, 0, NULL);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.body[0], "x");
    store_close(st);
}

static void test_queue_delay_dedup(void **state)
{
    struct fx *f = *state;
    struct store *st = open_ok(f);
    int64_t late = enqueue(st, "q", NULL, "late", 1000, 5000);
    int64_t now = enqueue(st, "q", NULL, "now", 1000, 0);
    struct store_q_counts c;
    assert_int_equal(store_q_count(st, "q", 1000, &c), 0);
    assert_int_equal(c.visible, 1);
    assert_int_equal(c.delayed, 1);
    struct leased l = lease(st, "q", 5999, 100, 10, 0, NULL);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.id[0], now);
    l = lease(st, "q", 6000, 100, 10, 0, NULL);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.id[0], late);

    /* de-duplication: an equal id within the window adds nothing */
    static const struct {
        const char *queue;
        const char *dedup;
        int64_t now;
        bool dup;
        int same_as; /* step whose id a duplicate returns */
    } steps[] = {
        {"d", "x", 1000, false, -1},  {"d", "x", 2000, true, 0},   {"d", "y", 2000, false, -1},
        {"d2", "x", 2000, false, -1}, {"d", "x", 300999, true, 0}, {"d", "x", 301000, false, -1},
        {"d", "x", 301001, true, 5},
    };
    int64_t ids[8] = {0};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        struct store_op op = {.kind = STORE_Q_ENQUEUE,
                              .q = {.queue = steps[i].queue,
                                    .dedup = steps[i].dedup,
                                    .dedup_window_ms = 300000,
                                    .body = "m",
                                    .body_len = 1,
                                    .now_ms = steps[i].now}};
        assert_int_equal(store_apply(st, &op, 1, NULL), 0);
        if (op.q.duplicate != steps[i].dup)
            fail_msg("step %zu: duplicate %d", i, op.q.duplicate);
        ids[i] = op.q.id;
        if (steps[i].dup)
            assert_int_equal(op.q.id, ids[steps[i].same_as]);
        if (i == 1) /* deleting the message does not end the window */
            assert_int_equal(q_op(st, STORE_Q_ACK, ids[0], 0, 0), 0);
    }
    assert_true(ids[5] > ids[0]);
    /* two equal ids in one batch: the second is the duplicate */
    struct store_op two[2];
    for (int i = 0; i < 2; i++)
        two[i] = (struct store_op){.kind = STORE_Q_ENQUEUE,
                                   .q = {.queue = "d3",
                                         .dedup = "z",
                                         .dedup_window_ms = 1000,
                                         .body = "m",
                                         .body_len = 1,
                                         .now_ms = 5}};
    assert_int_equal(store_apply(st, two, 2, NULL), 0);
    assert_false(two[0].q.duplicate);
    assert_true(two[1].q.duplicate);
    assert_int_equal(two[1].q.id, two[0].q.id);
    store_close(st);
}

static void test_queue_fifo_groups(void **state)
{
    struct fx *f = *state;
    struct store *st = open_ok(f);
    int64_t id[6];
    static const char *const groups[6] = {"g1", "g1", "g2", "g1", "g2", "g3"};
    for (int i = 0; i < 6; i++) {
        char body[4] = {(char)('1' + i), 0};
        id[i] = enqueue(st, "fifo", groups[i], body, 100, 0);
    }
    /* one message: the head of g1 */
    struct leased l = lease(st, "fifo", 100, 1000, 1, STORE_LEASE_FIFO, NULL);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.id[0], id[0]);
    uint64_t t0 = l.token[0];
    /* g1 is locked while its head is in flight; g2 and g3 come in order */
    l = lease(st, "fifo", 100, 1000, 10, STORE_LEASE_FIFO, NULL);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.id[0], id[2]);
    assert_int_equal(l.id[1], id[4]);
    assert_int_equal(l.id[2], id[5]);
    assert_int_equal(lease(st, "fifo", 100, 1000, 10, STORE_LEASE_FIFO, NULL).n, 0);
    /* the head is done: the rest of g1, in order */
    assert_int_equal(q_op_queue(st, "fifo", STORE_Q_ACK, id[0], t0, 0), 0);
    l = lease(st, "fifo", 100, 1000, 10, STORE_LEASE_FIFO, "g1");
    assert_int_equal(l.n, 2);
    assert_int_equal(l.id[0], id[1]);
    assert_int_equal(l.id[1], id[3]);
    /* a visibility that ends unlocks the group again, head first */
    l = lease(st, "fifo", 1100, 1000, 1, STORE_LEASE_FIFO, NULL);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.id[0], id[1]);
    /* without FIFO, the standard order: by visibility, then id */
    l = lease(st, "fifo", 1100, 1000, 10, 0, NULL);
    assert_int_equal(l.n, 4);
    store_close(st);
}

static int stop_at_second(const struct store_msg *m, void *arg)
{
    int *n = arg;
    (void)m;
    return ++*n == 2 ? 9 : 0;
}

/* A callback that fails undoes the whole lease: nothing was received. */
static void test_queue_lease_callback_fails(void **state)
{
    struct fx *f = *state;
    struct store *st = open_ok(f);
    enqueue(st, "q", NULL, "a", 10, 0);
    enqueue(st, "q", NULL, "b", 10, 0);
    int n = 0;
    struct store_lease l = {.queue = "q", .now_ms = 10, .visibility_ms = 100, .max = 5};
    assert_int_equal(store_q_lease(st, &l, stop_at_second, &n), 9);
    struct store_q_counts c;
    assert_int_equal(store_q_count(st, "q", 10, &c), 0);
    assert_int_equal(c.visible, 2);
    assert_int_equal(c.in_flight, 0);
    struct leased got = lease(st, "q", 10, 100, 5, 0, NULL);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.count[0], 1); /* the undone lease was not counted */
    l.max = 0;
    assert_int_equal(store_q_lease(st, &l, stop_at_second, &n), -EINVAL);
    store_close(st);
}

static void test_queue_scan_purge(void **state)
{
    struct fx *f = *state;
    struct store *st = open_ok(f);
    int64_t a = enqueue(st, "q", "fa", "1", 10, 0);
    int64_t b = enqueue(st, "q", "fb", "2", 20, 0);
    int64_t c = enqueue(st, "q", "fa", "3", 30, 0);
    int64_t d = enqueue(st, "q", "fb", "4", 40, 0);
    struct leased l = {.n = 0};
    assert_int_equal(store_q_scan(st, "q", a, 2, collect_msg, &l), 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.id[0], b);
    assert_int_equal(l.id[1], c);
    /* purge one group, then what was sent before 40 */
    struct store_op op = {.kind = STORE_Q_PURGE, .q = {.queue = "q", .group = "fa"}};
    assert_int_equal(store_apply(st, &op, 1, NULL), 0);
    op = (struct store_op){.kind = STORE_Q_PURGE, .q = {.queue = "q", .before_ms = 40}};
    assert_int_equal(store_apply(st, &op, 1, NULL), 0);
    l.n = 0;
    assert_int_equal(store_q_scan(st, "q", 0, 0, collect_msg, &l), 0);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.id[0], d);
    /* ids are never reused, even after the newest was deleted */
    op = (struct store_op){.kind = STORE_Q_PURGE, .q = {.queue = "q"}};
    assert_int_equal(store_apply(st, &op, 1, NULL), 0);
    assert_true(enqueue(st, "q", NULL, "5", 50, 0) > d);
    store_close(st);
}

/* ---- throughput (printed, not asserted: a figure for docs/store.md) ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count_msg(const struct store_msg *m, void *arg)
{
    int64_t *ids = arg;
    ids[ids[0] + 1] = m->id;
    ids[0]++;
    return 0;
}

static void test_queue_throughput(void **state)
{
    enum { N = 20000, BATCH = 500 };
    struct fx *f = *state;
    struct store *st = open_ok(f);
    struct store_op *ops = calloc(BATCH, sizeof(*ops));
    int64_t *ids = calloc(BATCH + 1, sizeof(*ids));
    assert_non_null(ops);
    assert_non_null(ids);
    static const char body[200] = {'x'};
    double t0 = now_s();
    for (int i = 0; i < N; i += BATCH) {
        for (int j = 0; j < BATCH; j++)
            ops[j] = (struct store_op){
                .kind = STORE_Q_ENQUEUE,
                .q = {.queue = "bench", .body = body, .body_len = sizeof(body), .now_ms = 1}};
        assert_int_equal(store_apply(st, ops, BATCH, NULL), 0);
    }
    double t1 = now_s();
    int64_t done = 0;
    uint64_t *tok = calloc(BATCH, sizeof(*tok));
    assert_non_null(tok);
    double lease_s = 0, ack_s = 0;
    while (done < N) {
        ids[0] = 0;
        struct store_lease l = {
            .queue = "bench", .now_ms = 2, .visibility_ms = 60000, .max = BATCH};
        double a = now_s();
        assert_int_equal(store_q_lease(st, &l, count_msg, ids), 0);
        double b = now_s();
        assert_true(ids[0] > 0);
        for (int64_t j = 0; j < ids[0]; j++)
            ops[j] =
                (struct store_op){.kind = STORE_Q_ACK, .q = {.queue = "bench", .id = ids[j + 1]}};
        assert_int_equal(store_apply(st, ops, (size_t)ids[0], NULL), 0);
        ack_s += now_s() - b;
        lease_s += b - a;
        done += ids[0];
    }
    print_message("queue: enqueue %.0f/s, lease %.0f/s, ack %.0f/s (batches of %d, 200-byte"
                  " messages, synchronous=FULL)\n",
                  N / (t1 - t0), N / lease_s, N / ack_s, BATCH);
    free(tok);
    free(ids);
    free(ops);
    store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_queue_lease_visibility_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_delay_dedup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_fifo_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_lease_callback_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_scan_purge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_throughput, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
