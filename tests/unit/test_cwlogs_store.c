/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the CloudWatch Logs part of store.h (SQLite backend) and
 * for cwlogs/pattern.c: log groups (create, duplicate, describe order and
 * prefix, retention, delete with events), groups and streams that appear
 * when function logs are appended, streams (create, orders, statistics),
 * event reads by time, stream and position in both directions (the
 * pagination the API builds on), filter patterns, and retention expiry.
 * Each test gets a fresh mkdtemp directory.
 */
#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* cmocka.h needs these four first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "cwlogs/pattern.h"
#include "fixture.h"
#include "store/store.h"

#define DAY_MS 86400000LL

struct fx {
    char dir[64];
    char url[160];
    struct store *st;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    if (fixture_tmpdir(f->dir, sizeof(f->dir), "test_cwlogs") != 0) {
        free(f);
        return -1;
    }
    snprintf(f->url, sizeof(f->url), "sqlite:%s/lambdad.db", f->dir);
    int err = 0;
    f->st = store_open(f->url, NULL, &err);
    if (f->st == NULL) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    store_close(f->st);
    fixture_rmtree(f->dir);
    free(f);
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- collectors ---- */

struct names {
    int n;
    int stop_at; /* return 1 when this many were collected (0 = never) */
    char name[32][64];
    int64_t num[32]; /* retention, last_ts or stored bytes, by test */
};

static int collect_group(const struct store_cwl_group *g, void *arg)
{
    struct names *r = arg;
    if (r->stop_at != 0 && r->n == r->stop_at)
        return 1;
    assert_true(r->n < 32);
    snprintf(r->name[r->n], sizeof(r->name[0]), "%s", g->name);
    r->num[r->n++] = g->retention_days;
    return 0;
}

static int collect_stream(const struct store_cwl_stream *s, void *arg)
{
    struct names *r = arg;
    assert_true(r->n < 32);
    snprintf(r->name[r->n], sizeof(r->name[0]), "%s", s->name);
    r->num[r->n++] = s->last_ts;
    return 0;
}

struct evs {
    int n;
    int limit; /* stop with 1 after this many (0 = never) */
    const struct pattern *pat;
    int64_t id[64], ts[64];
    char stream[64][32];
    char msg[64][48];
};

static int collect_event(const struct store_cwl_event *ev, void *arg)
{
    struct evs *r = arg;
    if (r->limit != 0 && r->n == r->limit)
        return 1;
    if (r->pat != NULL && !pattern_match(r->pat, ev->msg, ev->msg_len))
        return 0;
    assert_true(r->n < 64);
    assert_true(ev->msg_len < sizeof(r->msg[0]));
    r->id[r->n] = ev->id;
    r->ts[r->n] = ev->ts_ms;
    snprintf(r->stream[r->n], sizeof(r->stream[0]), "%s", ev->stream);
    memcpy(r->msg[r->n], ev->msg, ev->msg_len);
    r->msg[r->n][ev->msg_len] = '\0';
    r->n++;
    return 0;
}

static struct store_cwl_query all_of(const char *group)
{
    return (struct store_cwl_query){.group = group,
                                    .from_ts = INT64_MIN,
                                    .to_ts = INT64_MAX,
                                    .pos_ts = INT64_MIN,
                                    .pos_id = INT64_MIN};
}

static void put(struct store *st, const char *group, const char *stream, int64_t ts,
                const char *msg)
{
    struct store_log_event ev = {NULL, NULL, ts, msg, strlen(msg)};
    int64_t id = 0;
    assert_int_equal(store_cwl_events_put(st, group, stream, &ev, 1, now_ms(), &id), 0);
    assert_true(id > 0);
}

/* ---- groups ---- */

static void test_groups(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    assert_int_equal(store_cwl_group_create(st, "/app/b", 1000), 0);
    assert_int_equal(store_cwl_group_create(st, "/app/a", 2000), 0);
    assert_int_equal(store_cwl_group_create(st, "other", 3000), 0);
    assert_int_equal(store_cwl_group_create(st, "/app/a", 4000), -EEXIST);

    struct store_cwl_group g;
    assert_int_equal(store_cwl_group_get(st, "/app/a", &g), 0);
    assert_int_equal(g.created_ms, 2000); /* the duplicate changed nothing */
    assert_int_equal(g.retention_days, 0);
    assert_int_equal(g.stored_bytes, 0);
    assert_int_equal(store_cwl_group_get(st, "/app/zz", &g), -ENOENT);

    /* Name order, prefix, and resuming after a name (pagination). */
    struct names r = {0};
    assert_int_equal(store_cwl_groups_scan(st, "", "", collect_group, &r), 0);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.name[0], "/app/a");
    assert_string_equal(r.name[1], "/app/b");
    assert_string_equal(r.name[2], "other");
    memset(&r, 0, sizeof(r));
    assert_int_equal(store_cwl_groups_scan(st, "/app/", "", collect_group, &r), 0);
    assert_int_equal(r.n, 2);
    memset(&r, 0, sizeof(r));
    r.stop_at = 1;
    assert_int_equal(store_cwl_groups_scan(st, "", "", collect_group, &r), 1);
    assert_int_equal(r.n, 1);
    memset(&r, 0, sizeof(r));
    assert_int_equal(store_cwl_groups_scan(st, "", "/app/a", collect_group, &r), 0);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.name[0], "/app/b");

    /* Retention. */
    assert_int_equal(store_cwl_group_retention(st, "/app/b", 7), 0);
    assert_int_equal(store_cwl_group_retention(st, "nope", 7), -ENOENT);
    assert_int_equal(store_cwl_group_get(st, "/app/b", &g), 0);
    assert_int_equal(g.retention_days, 7);
    assert_int_equal(store_cwl_group_retention(st, "/app/b", 0), 0);
    assert_int_equal(store_cwl_group_get(st, "/app/b", &g), 0);
    assert_int_equal(g.retention_days, 0);

    /* Delete takes the streams and events with it; the name can be reused. */
    assert_int_equal(store_cwl_stream_create(st, "/app/a", "s1", 5000), 0);
    put(st, "/app/a", "s1", 10, "gone soon");
    assert_int_equal(store_cwl_group_delete(st, "/app/a"), 0);
    assert_int_equal(store_cwl_group_delete(st, "/app/a"), -ENOENT);
    assert_int_equal(store_cwl_group_get(st, "/app/a", &g), -ENOENT);
    assert_int_equal(store_cwl_group_create(st, "/app/a", 6000), 0);
    struct store_cwl_stream s;
    assert_int_equal(store_cwl_stream_get(st, "/app/a", "s1", &s), -ENOENT);
    struct evs *e = calloc(1, sizeof(*e));
    assert_non_null(e);
    struct store_cwl_query q = all_of("/app/a");
    assert_int_equal(store_cwl_events_scan(st, &q, collect_event, e), 0);
    assert_int_equal(e->n, 0);
    free(e);
}

/* ---- function logs register their group and stream ---- */

static void test_function_logs_register(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    const char *grp = "/aws/lambda/fn";
    const char *s1 = "2024/01/02/[$LATEST]aaaa";
    struct store_log_event ev[3] = {
        {grp, s1, 1000, "START RequestId: x", 18},
        {grp, s1, 1005, "hello", 5},
        {grp, "2024/01/02/[$LATEST]bbbb", 900, "other", 5},
    };
    assert_int_equal(store_logs_append(st, ev, 3), 0);

    struct store_cwl_group g;
    assert_int_equal(store_cwl_group_get(st, grp, &g), 0);
    assert_int_equal(g.stored_bytes, 28);
    assert_true(g.created_ms > 0);

    struct store_cwl_stream s;
    assert_int_equal(store_cwl_stream_get(st, grp, s1, &s), 0);
    assert_int_equal(s.first_ts, 1000);
    assert_int_equal(s.last_ts, 1005);
    assert_int_equal(s.last_ingest_ms, 1005); /* function logs: ingestion = event time */
    assert_int_equal(s.stored_bytes, 23);

    /* Ordered by last event time, newest first. */
    struct names r = {0};
    assert_int_equal(store_cwl_streams_scan(st, grp, "",
                                            STORE_CWL_BY_LAST_EVENT | STORE_CWL_DESCENDING,
                                            collect_stream, &r),
                     0);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.name[0], s1);
    assert_int_equal(r.num[1], 900);

    /* A later append extends the statistics; an earlier event lowers first_ts. */
    struct store_log_event more[2] = {{grp, s1, 2000, "later", 5}, {grp, s1, 10, "early", 5}};
    assert_int_equal(store_logs_append(st, more, 2), 0);
    assert_int_equal(store_cwl_stream_get(st, grp, s1, &s), 0);
    assert_int_equal(s.first_ts, 10);
    assert_int_equal(s.last_ts, 2000);
    assert_int_equal(s.stored_bytes, 33);
}

/* ---- streams ---- */

static void test_streams(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    assert_int_equal(store_cwl_stream_create(st, "g", "s", 1), -ENOENT);
    assert_int_equal(store_cwl_group_create(st, "g", 1), 0);
    assert_int_equal(store_cwl_stream_create(st, "g", "web-2", 10), 0);
    assert_int_equal(store_cwl_stream_create(st, "g", "web-1", 20), 0);
    assert_int_equal(store_cwl_stream_create(st, "g", "db", 30), 0);
    assert_int_equal(store_cwl_stream_create(st, "g", "db", 40), -EEXIST);

    struct store_cwl_stream s;
    assert_int_equal(store_cwl_stream_get(st, "g", "db", &s), 0);
    assert_int_equal(s.created_ms, 30);
    assert_int_equal(s.first_ts, -1); /* no events yet */
    assert_int_equal(s.last_ts, -1);
    assert_int_equal(s.stored_bytes, 0);

    struct names r = {0};
    assert_int_equal(store_cwl_streams_scan(st, "g", "", 0, collect_stream, &r), 0);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.name[0], "db");
    assert_string_equal(r.name[2], "web-2");
    memset(&r, 0, sizeof(r));
    assert_int_equal(
        store_cwl_streams_scan(st, "g", "web", STORE_CWL_DESCENDING, collect_stream, &r), 0);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.name[0], "web-2");
    assert_string_equal(r.name[1], "web-1");

    /* Putting to a missing stream or group fails; to a real one, it counts. */
    struct store_log_event ev = {NULL, NULL, 500, "msg", 3};
    int64_t id = 0;
    assert_int_equal(store_cwl_events_put(st, "g", "nope", &ev, 1, 1, &id), -ENOENT);
    assert_int_equal(store_cwl_events_put(st, "x", "db", &ev, 1, 1, &id), -ENOENT);
    assert_int_equal(store_cwl_events_put(st, "g", "web-1", &ev, 1, 777, &id), 0);
    assert_int_equal(store_cwl_stream_get(st, "g", "web-1", &s), 0);
    assert_int_equal(s.first_ts, 500);
    assert_int_equal(s.last_ingest_ms, 777);
    assert_int_equal(s.stored_bytes, 3);
    memset(&r, 0, sizeof(r));
    assert_int_equal(store_cwl_streams_scan(st, "g", "",
                                            STORE_CWL_BY_LAST_EVENT | STORE_CWL_DESCENDING,
                                            collect_stream, &r),
                     0);
    assert_string_equal(r.name[0], "web-1");
}

/* ---- reading events ---- */

/* Group "g" with streams a and b: a gets ts 100..109 ("a0".."a9"), b gets
 * ts 100..109 too ("b0".."b9"), inserted interleaved. */
static void fill(struct store *st)
{
    assert_int_equal(store_cwl_group_create(st, "g", 1), 0);
    assert_int_equal(store_cwl_stream_create(st, "g", "a", 1), 0);
    assert_int_equal(store_cwl_stream_create(st, "g", "b", 1), 0);
    for (int i = 0; i < 10; i++) {
        char m[32];
        snprintf(m, sizeof(m), "a%d %s", i, i % 2 ? "ERROR odd" : "INFO even");
        put(st, "g", "a", 100 + i, m);
        snprintf(m, sizeof(m), "b%d %s", i, i % 3 ? "INFO x" : "WARN y");
        put(st, "g", "b", 100 + i, m);
    }
}

static void test_events_time_and_streams(void **state)
{
    struct fx *f = *state;
    fill(f->st);
    struct evs *e = calloc(1, sizeof(*e));
    assert_non_null(e);

    /* Interleaved (ts, id) order over both streams. */
    struct store_cwl_query q = all_of("g");
    assert_int_equal(store_cwl_events_scan(f->st, &q, collect_event, e), 0);
    assert_int_equal(e->n, 20);
    assert_string_equal(e->msg[0], "a0 INFO even");
    assert_string_equal(e->msg[1], "b0 WARN y");
    for (int i = 1; i < e->n; i++)
        assert_true(e->ts[i] > e->ts[i - 1] ||
                    (e->ts[i] == e->ts[i - 1] && e->id[i] > e->id[i - 1]));

    /* Inclusive time bounds. */
    memset(e, 0, sizeof(*e));
    q.from_ts = 103;
    q.to_ts = 105;
    assert_int_equal(store_cwl_events_scan(f->st, &q, collect_event, e), 0);
    assert_int_equal(e->n, 6);
    assert_int_equal(e->ts[0], 103);
    assert_int_equal(e->ts[5], 105);

    /* One stream, newest first. */
    memset(e, 0, sizeof(*e));
    q = all_of("g");
    q.stream = "b";
    q.descending = 1;
    q.pos_ts = INT64_MAX;
    q.pos_id = INT64_MAX;
    assert_int_equal(store_cwl_events_scan(f->st, &q, collect_event, e), 0);
    assert_int_equal(e->n, 10);
    assert_string_equal(e->msg[0], "b9 WARN y");
    assert_string_equal(e->stream[9], "b");

    /* Other groups see nothing. */
    memset(e, 0, sizeof(*e));
    q = all_of("h");
    assert_int_equal(store_cwl_events_scan(f->st, &q, collect_event, e), 0);
    assert_int_equal(e->n, 0);
    free(e);
}

static void test_events_pagination(void **state)
{
    struct fx *f = *state;
    fill(f->st);
    struct evs *page = calloc(1, sizeof(*page));
    assert_non_null(page);
    char seen[20][48];
    int total = 0;

    /* Forward pages of 3: resume strictly after the last (ts, id). */
    struct store_cwl_query q = all_of("g");
    for (int round = 0; round < 10; round++) {
        memset(page, 0, sizeof(*page));
        page->limit = 3;
        int rc = store_cwl_events_scan(f->st, &q, collect_event, page);
        assert_true(rc == 0 || rc == 1);
        for (int i = 0; i < page->n; i++)
            snprintf(seen[total++], sizeof(seen[0]), "%s", page->msg[i]);
        if (page->n == 0)
            break;
        q.pos_ts = page->ts[page->n - 1];
        q.pos_id = page->id[page->n - 1];
    }
    assert_int_equal(total, 20);
    assert_string_equal(seen[0], "a0 INFO even");
    assert_string_equal(seen[19], "b9 WARN y");
    for (int i = 0; i < 20; i++)
        for (int k = i + 1; k < 20; k++)
            assert_string_not_equal(seen[i], seen[k]); /* no event twice */

    /* Backward pages of 4 over one stream. */
    q = all_of("g");
    q.stream = "a";
    q.descending = 1;
    q.pos_ts = INT64_MAX;
    q.pos_id = INT64_MAX;
    total = 0;
    for (int round = 0; round < 10; round++) {
        memset(page, 0, sizeof(*page));
        page->limit = 4;
        assert_true(store_cwl_events_scan(f->st, &q, collect_event, page) >= 0);
        if (page->n == 0)
            break;
        total += page->n;
        q.pos_ts = page->ts[page->n - 1];
        q.pos_id = page->id[page->n - 1];
    }
    assert_int_equal(total, 10);
    assert_int_equal(q.pos_ts, 100);
    free(page);
}

/* ---- filter patterns ---- */

static int count_matches(struct store *st, const char *pattern, const char *stream)
{
    struct pattern *p = NULL;
    assert_int_equal(pattern_parse(pattern, strlen(pattern), &p), 0);
    struct evs *e = calloc(1, sizeof(*e));
    assert_non_null(e);
    e->pat = p;
    struct store_cwl_query q = all_of("g");
    q.stream = stream;
    assert_int_equal(store_cwl_events_scan(st, &q, collect_event, e), 0);
    int n = e->n;
    free(e);
    pattern_free(p);
    return n;
}

static void test_filter_terms(void **state)
{
    struct fx *f = *state;
    fill(f->st);
    assert_int_equal(count_matches(f->st, "", NULL), 20);
    assert_int_equal(count_matches(f->st, "ERROR", NULL), 5);
    assert_int_equal(count_matches(f->st, "error", NULL), 0); /* case-sensitive */
    assert_int_equal(count_matches(f->st, "ERROR a3", NULL), 1);
    assert_int_equal(count_matches(f->st, "\"ERROR odd\"", NULL), 5);
    assert_int_equal(count_matches(f->st, "\"odd ERROR\"", NULL), 0);
    assert_int_equal(count_matches(f->st, "?WARN ?ERROR", NULL), 9);
    assert_int_equal(count_matches(f->st, "INFO -even", NULL), 6);
    assert_int_equal(count_matches(f->st, "INFO", "b"), 6);
    assert_int_equal(count_matches(f->st, "  INFO   x  ", NULL), 6);

    struct pattern *p = NULL;
    assert_int_equal(pattern_parse("\"open", 5, &p), -EINVAL);
    assert_int_equal(pattern_parse("{ $.level = \"x\" }", 17, &p), -EINVAL);
    assert_int_equal(pattern_parse("[ip, user]", 10, &p), -EINVAL);
    assert_int_equal(pattern_parse("a ? b", 5, &p), -EINVAL);
    assert_null(p);
    pattern_free(NULL);
    /* Only len bytes are read. */
    assert_int_equal(pattern_parse("ERRORjunk", 5, &p), 0);
    assert_true(pattern_match(p, "an ERROR", 8));
    assert_false(pattern_match(p, "ERRO", 4));
    pattern_free(p);
}

/* ---- retention ---- */

static void test_retention_expiry(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t now = now_ms();
    assert_int_equal(store_cwl_group_create(st, "keep", now), 0);
    assert_int_equal(store_cwl_group_create(st, "short", now), 0);
    assert_int_equal(store_cwl_stream_create(st, "keep", "s", now), 0);
    assert_int_equal(store_cwl_stream_create(st, "short", "s", now), 0);
    for (int i = 0; i < 3; i++) {
        put(st, "keep", "s", now - 10 * DAY_MS + i, "old");
        put(st, "short", "s", now - 10 * DAY_MS + i, "old");
    }
    put(st, "short", "s", now - 1000, "new");
    put(st, "keep", "s", now - 1000, "new");

    int64_t deleted = 0;
    assert_int_equal(store_cwl_expire(st, now, &deleted), 0);
    assert_int_equal(deleted, 0); /* no retention yet */

    assert_int_equal(store_cwl_group_retention(st, "short", 7), 0);
    assert_int_equal(store_cwl_expire(st, now, &deleted), 0);
    assert_int_equal(deleted, 3);

    struct evs *e = calloc(1, sizeof(*e));
    assert_non_null(e);
    struct store_cwl_query q = all_of("short");
    assert_int_equal(store_cwl_events_scan(st, &q, collect_event, e), 0);
    assert_int_equal(e->n, 1);
    assert_string_equal(e->msg[0], "new");
    memset(e, 0, sizeof(*e));
    q = all_of("keep");
    assert_int_equal(store_cwl_events_scan(st, &q, collect_event, e), 0);
    assert_int_equal(e->n, 4);
    free(e);

    /* The stream's statistics follow the deletion. */
    struct store_cwl_stream s;
    assert_int_equal(store_cwl_stream_get(st, "short", "s", &s), 0);
    assert_int_equal(s.first_ts, now - 1000);
    assert_int_equal(s.stored_bytes, 3);

    /* Nothing left to delete. */
    deleted = 0;
    assert_int_equal(store_cwl_expire(st, now, &deleted), 0);
    assert_int_equal(deleted, 0);
}

static void test_expiry_batches(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t now = now_ms();
    assert_int_equal(store_cwl_group_create(st, "big", now), 0);
    assert_int_equal(store_cwl_stream_create(st, "big", "s", now), 0);
    enum { N = 12000 }; /* more than one delete batch */
    struct store_log_event *ev = calloc(N, sizeof(*ev));
    assert_non_null(ev);
    for (int i = 0; i < N; i++)
        ev[i] = (struct store_log_event){NULL, NULL, now - 2 * DAY_MS + i, "x", 1};
    assert_int_equal(store_cwl_events_put(st, "big", "s", ev, N, now, NULL), 0);
    put(st, "big", "s", now, "fresh");
    assert_int_equal(store_cwl_group_retention(st, "big", 1), 0);
    int64_t deleted = 0;
    assert_int_equal(store_cwl_expire(st, now, &deleted), 0);
    assert_int_equal(deleted, N);
    struct store_cwl_group g;
    assert_int_equal(store_cwl_group_get(st, "big", &g), 0);
    assert_int_equal(g.stored_bytes, 5);
    free(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_function_logs_register, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streams, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_time_and_streams, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_pagination, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_terms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry_batches, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
