/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for store/store.c and store/store_sqlite.c through store.h:
 * opening by URL, function configurations (insert, replace, scan order,
 * delete), log events (batches, per-stream order, exact bytes), durability
 * across close and reopen, the migration counter, and concurrent appends
 * from two threads. Each test gets a fresh mkdtemp directory.
 */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

struct fx {
    char dir[64];  /* mkdtemp directory */
    char db[128];  /* dir/lambdad.db */
    char url[160]; /* "sqlite:" db */
};

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_store.XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    snprintf(f->db, sizeof(f->db), "%s/lambdad.db", f->dir);
    snprintf(f->url, sizeof(f->url), "sqlite:%s", f->db);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    /* NOLINTNEXTLINE(concurrency-mt-unsafe): the tests run nftw on one thread. */
    int rc = nftw(f->dir, remove_one, 16, FTW_PHYS | FTW_DEPTH);
    free(f);
    return rc;
}

static struct store *open_ok(const struct fx *f)
{
    int err = 0;
    struct store *st = store_open(f->url, NULL, &err);
    if (st == NULL)
        fail_msg("store_open(%s) failed: %d", f->url, err);
    assert_string_equal(store_backend(st), "sqlite");
    return st;
}

/* ---- collecting scans ---- */

struct fn_rows {
    int n;
    int stop_at; /* return 42 from the callback at this row (0 = never) */
    char names[64][32];
    char configs[64][128];
};

static int collect_fn(const struct store_doc *d, void *arg)
{
    struct fn_rows *r = arg;
    const char *name = d->key, *config_json = d->body;
    assert_true(r->n < 64);
    snprintf(r->names[r->n], sizeof(r->names[0]), "%s", name);
    snprintf(r->configs[r->n], sizeof(r->configs[0]), "%s", config_json);
    r->n++;
    return r->stop_at != 0 && r->n == r->stop_at ? 42 : 0;
}

struct log_rows {
    int n;
    int stop_at;
    int64_t ts[2100];
    char msg[2100][40];
    size_t len[2100];
};

static int collect_log(const struct store_log_event *ev, void *arg)
{
    struct log_rows *r = arg;
    assert_true(r->n < 2100);
    assert_true(ev->msg_len < sizeof(r->msg[0]));
    r->ts[r->n] = ev->ts_ms;
    memcpy(r->msg[r->n], ev->msg, ev->msg_len);
    r->msg[r->n][ev->msg_len] = '\0';
    r->len[r->n] = ev->msg_len;
    r->n++;
    return r->stop_at != 0 && r->n == r->stop_at ? 7 : 0;
}

/* ---- open ---- */

static void test_open_default_path(void **state)
{
    struct fx *f = *state;
    int err = 0;
    struct store *st = store_open(NULL, f->dir, &err);
    assert_non_null(st);
    assert_string_equal(store_backend(st), "sqlite");
    assert_int_equal(access(f->db, F_OK), 0); /* <data_dir>/lambdad.db */
    assert_int_equal(store_doc_put(st, "lambda", "a", "{}", STORE_REV_ANY, NULL), 0);
    store_close(st);

    /* "" means the default too, and it is the same file. */
    st = store_open("", f->dir, &err);
    assert_non_null(st);
    struct fn_rows rows = {0};
    assert_int_equal(store_doc_scan(st, "lambda", "", NULL, 0, collect_fn, &rows), 0);
    assert_int_equal(rows.n, 1);
    store_close(st);
}

static void test_open_sqlite_url(void **state)
{
    struct fx *f = *state;
    char path[160], url[200];
    snprintf(path, sizeof(path), "%s/other.db", f->dir);
    snprintf(url, sizeof(url), "sqlite:%s", path);
    int err = 0;
    struct store *st = store_open(url, "/nonexistent-data-dir", &err);
    assert_non_null(st);
    assert_int_equal(access(path, F_OK), 0);
    store_close(st);
}

static void test_open_errors(void **state)
{
    struct fx *f = *state;
    int err = 0;
    assert_null(store_open("postgres://localhost/lambdad", f->dir, &err));
    assert_int_equal(err, ERR_INVALID_PARAMETER);
    err = 0;
    assert_null(store_open("mysql:x", f->dir, &err));
    assert_int_equal(err, ERR_INVALID_PARAMETER);

    /* A directory that does not exist. */
    char url[200];
    snprintf(url, sizeof(url), "sqlite:%s/missing/dir/x.db", f->dir);
    err = 0;
    assert_null(store_open(url, NULL, &err));
    assert_true(err < 0);

    /* A data directory whose default path does not fit. */
    char *longdir = malloc(5000);
    assert_non_null(longdir);
    memset(longdir, 'd', 4999);
    longdir[4999] = '\0';
    err = 0;
    assert_null(store_open(NULL, longdir, &err));
    assert_int_equal(err, -ENAMETOOLONG);
    free(longdir);

    store_close(NULL); /* a no-op */
}

/* ---- functions ---- */

static void test_fn_put_scan_order(void **state)
{
    struct fx *f = *state;
    struct store *st = open_ok(f);
    static const char *const names[] = {"zeta", "alpha", "Mid", "beta-2", "beta_1", "b"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char cfg[64];
        snprintf(cfg, sizeof(cfg), "{\"FunctionName\":\"%s\"}", names[i]);
        assert_int_equal(store_doc_put(st, "lambda", names[i], cfg, STORE_REV_ANY, NULL), 0);
    }
    struct fn_rows rows = {0};
    assert_int_equal(store_doc_scan(st, "lambda", "", NULL, 0, collect_fn, &rows), 0);
    assert_int_equal(rows.n, 6);
    /* Name order is byte order. */
    static const char *const want[] = {"Mid", "alpha", "b", "beta-2", "beta_1", "zeta"};
    for (int i = 0; i < 6; i++) {
        assert_string_equal(rows.names[i], want[i]);
        char cfg[64];
        snprintf(cfg, sizeof(cfg), "{\"FunctionName\":\"%s\"}", want[i]);
        assert_string_equal(rows.configs[i], cfg);
    }
    store_close(st);
}

static void test_fn_replace(void **state)
{
    struct fx *f = *state;
    struct store *st = open_ok(f);
    assert_int_equal(store_doc_put(st, "lambda", "fn", "{\"v\":1}", STORE_REV_ANY, NULL), 0);
    assert_int_equal(store_doc_put(st, "lambda", "fn", "{\"v\":2}", STORE_REV_ANY, NULL), 0);
    struct fn_rows rows = {0};
    assert_int_equal(store_doc_scan(st, "lambda", "", NULL, 0, collect_fn, &rows), 0);
    assert_int_equal(rows.n, 1);
    assert_string_equal(rows.configs[0], "{\"v\":2}");
    store_close(st);
}

static void test_fn_delete(void **state)
{
    struct fx *f = *state;
    struct store *st = open_ok(f);
    assert_int_equal(store_doc_put(st, "lambda", "a", "{}", STORE_REV_ANY, NULL), 0);
    assert_int_equal(store_doc_put(st, "lambda", "b", "{}", STORE_REV_ANY, NULL), 0);
    assert_int_equal(store_doc_put(st, "lambda", "c", "{}", STORE_REV_ANY, NULL), 0);
    assert_int_equal(store_doc_delete(st, "lambda", "b", STORE_REV_ANY), 0);
    assert_int_equal(store_doc_delete(st, "lambda", "b", STORE_REV_ANY), 0); /* absent: still 0 */
    assert_int_equal(store_doc_delete(st, "lambda", "nope", STORE_REV_ANY), 0);
    struct fn_rows rows = {0};
    assert_int_equal(store_doc_scan(st, "lambda", "", NULL, 0, collect_fn, &rows), 0);
    assert_int_equal(rows.n, 2);
    assert_string_equal(rows.names[0], "a");
    assert_string_equal(rows.names[1], "c");
    /* Deleted names can come back. */
    assert_int_equal(store_doc_put(st, "lambda", "b", "{\"again\":true}", STORE_REV_ANY, NULL), 0);
    memset(&rows, 0, sizeof(rows));
    assert_int_equal(store_doc_scan(st, "lambda", "", NULL, 0, collect_fn, &rows), 0);
    assert_int_equal(rows.n, 3);
    assert_string_equal(rows.configs[1], "{\"again\":true}");
    store_close(st);
}

static void test_fn_scan_stop(void **state)
{
    struct fx *f = *state;
    struct store *st = open_ok(f);
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof(name), "f%d", i);
        assert_int_equal(store_doc_put(st, "lambda", name, "{}", STORE_REV_ANY, NULL), 0);
    }
    struct fn_rows rows = {.stop_at = 2};
    assert_int_equal(store_doc_scan(st, "lambda", "", NULL, 0, collect_fn, &rows), 42);
    assert_int_equal(rows.n, 2);
    /* A stopped scan leaves the statement reusable. */
    memset(&rows, 0, sizeof(rows));
    assert_int_equal(store_doc_scan(st, "lambda", "", NULL, 0, collect_fn, &rows), 0);
    assert_int_equal(rows.n, 5);
    assert_string_equal(rows.names[0], "f0");
    /* An empty table scans to nothing. */
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof(name), "f%d", i);
        assert_int_equal(store_doc_delete(st, "lambda", name, STORE_REV_ANY), 0);
    }
    memset(&rows, 0, sizeof(rows));
    assert_int_equal(store_doc_scan(st, "lambda", "", NULL, 0, collect_fn, &rows), 0);
    assert_int_equal(rows.n, 0);
    store_close(st);
}

static void test_fn_user_data_is_bound(void **state)
{
    struct fx *f = *state;
    struct store *st = open_ok(f);
    /* Quotes and SQL in names and configs are data, never SQL. */
    const char *evil = "x'); DROP TABLE functions; --";
    assert_int_equal(store_doc_put(st, "lambda", evil, "{\"q\":\"it's\"}", STORE_REV_ANY, NULL), 0);
    assert_int_equal(store_doc_put(st, "lambda", "ok", "{}", STORE_REV_ANY, NULL), 0);
    struct fn_rows rows = {0};
    assert_int_equal(store_doc_scan(st, "lambda", "", NULL, 0, collect_fn, &rows), 0);
    assert_int_equal(rows.n, 2);
    assert_string_equal(rows.names[1], evil);
    assert_string_equal(rows.configs[1], "{\"q\":\"it's\"}");
    store_close(st);
}

/* ---- logs ---- */

#define GROUP "/aws/lambda/fn"
#define S1    "2024/01/02/[$LATEST]aaaa"
#define S2    "2024/01/02/[$LATEST]bbbb"

static void test_logs_batch_order(void **state)
{
    struct fx *f = *state;
    struct store *st = open_ok(f);
    /* One call, two streams interleaved, timestamps not monotonic. */
    enum { N = 1000 };
    struct store_log_event *ev = calloc(N, sizeof(*ev));
    char(*msgs)[24] = calloc(N, sizeof(*msgs));
    assert_non_null(ev);
    assert_non_null(msgs);
    for (int i = 0; i < N; i++) {
        snprintf(msgs[i], sizeof(msgs[i]), "line %d", i);
        ev[i] = (struct store_log_event){
            .group = GROUP,
            .stream = i % 3 == 0 ? S2 : S1,
            .ts_ms = 1700000000000 + (i * 37) % 101,
            .msg = msgs[i],
            .msg_len = strlen(msgs[i]),
        };
    }
    assert_int_equal(store_logs_append(st, ev, N), 0);

    struct log_rows *rows = calloc(1, sizeof(*rows));
    assert_non_null(rows);
    assert_int_equal(store_logs_scan(st, GROUP, S1, collect_log, rows), 0);
    int k = 0;
    for (int i = 0; i < N; i++) {
        if (i % 3 == 0)
            continue;
        assert_string_equal(rows->msg[k], msgs[i]); /* insertion order, not ts order */
        assert_int_equal(rows->ts[k], ev[i].ts_ms);
        k++;
    }
    assert_int_equal(rows->n, k);

    memset(rows, 0, sizeof(*rows));
    assert_int_equal(store_logs_scan(st, GROUP, S2, collect_log, rows), 0);
    assert_int_equal(rows->n, (N + 2) / 3);
    for (int i = 0; i < rows->n; i++)
        assert_string_equal(rows->msg[i], msgs[i * 3]);

    /* Other groups and streams see nothing. */
    memset(rows, 0, sizeof(*rows));
    assert_int_equal(store_logs_scan(st, "/aws/lambda/other", S1, collect_log, rows), 0);
    assert_int_equal(store_logs_scan(st, GROUP, "2024/01/02/[$LATEST]cccc", collect_log, rows), 0);
    assert_int_equal(rows->n, 0);

    /* A second append extends the stream after the first batch. */
    struct store_log_event more = {GROUP, S2, 1, "tail", 4};
    assert_int_equal(store_logs_append(st, &more, 1), 0);
    memset(rows, 0, sizeof(*rows));
    assert_int_equal(store_logs_scan(st, GROUP, S2, collect_log, rows), 0);
    assert_int_equal(rows->n, (N + 2) / 3 + 1);
    assert_string_equal(rows->msg[rows->n - 1], "tail");

    /* Zero events is a valid, empty batch. */
    assert_int_equal(store_logs_append(st, ev, 0), 0);
    free(rows);
    free(msgs);
    free(ev);
    store_close(st);
}

static void test_logs_exact_bytes(void **state)
{
    struct fx *f = *state;
    struct store *st = open_ok(f);
    struct store_log_event ev[3] = {
        {GROUP, S1, 10, "hello world", 5}, /* only msg_len bytes are stored */
        {GROUP, S1, 11, "", 0},            /* an empty line */
        {GROUP, S1, 12, "tab\there \"q\"", 12},
    };
    assert_int_equal(store_logs_append(st, ev, 3), 0);
    struct log_rows *rows = calloc(1, sizeof(*rows));
    assert_non_null(rows);
    assert_int_equal(store_logs_scan(st, GROUP, S1, collect_log, rows), 0);
    assert_int_equal(rows->n, 3);
    assert_string_equal(rows->msg[0], "hello");
    assert_int_equal(rows->len[0], 5);
    assert_int_equal(rows->len[1], 0);
    assert_string_equal(rows->msg[2], "tab\there \"q\"");
    assert_int_equal(rows->ts[2], 12);

    /* A callback's non-zero return stops the scan and is returned. */
    memset(rows, 0, sizeof(*rows));
    rows->stop_at = 2;
    assert_int_equal(store_logs_scan(st, GROUP, S1, collect_log, rows), 7);
    assert_int_equal(rows->n, 2);
    memset(rows, 0, sizeof(*rows));
    assert_int_equal(store_logs_scan(st, GROUP, S1, collect_log, rows), 0);
    assert_int_equal(rows->n, 3);
    free(rows);
    store_close(st);
}

/* ---- durability and migrations ---- */

static int user_version(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    int v = -1;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL), SQLITE_OK);
    if (sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

static void test_reopen_persists(void **state)
{
    struct fx *f = *state;
    struct store *st = open_ok(f);
    assert_int_equal(store_doc_put(st, "lambda", "keep", "{\"k\":1}", STORE_REV_ANY, NULL), 0);
    assert_int_equal(store_doc_put(st, "lambda", "gone", "{}", STORE_REV_ANY, NULL), 0);
    assert_int_equal(store_doc_delete(st, "lambda", "gone", STORE_REV_ANY), 0);
    struct store_log_event ev[2] = {{GROUP, S1, 5, "one", 3}, {GROUP, S1, 6, "two", 3}};
    assert_int_equal(store_logs_append(st, ev, 2), 0);
    store_close(st);
    int v1 = user_version(f->db);
    assert_true(v1 >= 1);

    /* Reopening the same file: the data is there and no migration re-ran
     * (re-running one would fail on its CREATE TABLE). */
    for (int round = 0; round < 2; round++) {
        st = open_ok(f);
        struct fn_rows rows = {0};
        assert_int_equal(store_doc_scan(st, "lambda", "", NULL, 0, collect_fn, &rows), 0);
        assert_int_equal(rows.n, 1);
        assert_string_equal(rows.names[0], "keep");
        assert_string_equal(rows.configs[0], "{\"k\":1}");
        struct log_rows *lr = calloc(1, sizeof(*lr));
        assert_non_null(lr);
        assert_int_equal(store_logs_scan(st, GROUP, S1, collect_log, lr), 0);
        assert_int_equal(lr->n, 2 + round);
        assert_string_equal(lr->msg[0], "one");
        assert_string_equal(lr->msg[1], "two");
        free(lr);
        struct store_log_event e = {GROUP, S1, 7, "three", 5};
        assert_int_equal(store_logs_append(st, &e, 1), 0);
        store_close(st);
        assert_int_equal(user_version(f->db), v1);
    }
}

/* ---- API Gateway documents ---- */

static void test_gw_api_put_replace_delete_scan(void **state)
{
    struct fx *f = *state;
    struct store *st = open_ok(f);
    assert_int_equal(
        store_doc_put(st, "apigw", "bbbbbbbbbb", "{\"api\":{\"name\":\"b\"}}", STORE_REV_ANY, NULL),
        0);
    assert_int_equal(
        store_doc_put(st, "apigw", "aaaaaaaaaa", "{\"api\":{\"name\":\"a\"}}", STORE_REV_ANY, NULL),
        0);
    assert_int_equal(store_doc_put(st, "apigw", "cccccccccc", "{}", STORE_REV_ANY, NULL), 0);
    /* a whole document replaces the previous one */
    assert_int_equal(store_doc_put(st, "apigw", "aaaaaaaaaa", "{\"api\":{\"name\":\"a2\"}}",
                                   STORE_REV_ANY, NULL),
                     0);
    assert_int_equal(store_doc_delete(st, "apigw", "cccccccccc", STORE_REV_ANY), 0);
    assert_int_equal(store_doc_delete(st, "apigw", "never-there", STORE_REV_ANY), 0);
    struct fn_rows rows = {0};
    assert_int_equal(store_doc_scan(st, "apigw", "", NULL, 0, collect_fn, &rows), 0);
    assert_int_equal(rows.n, 2);
    assert_string_equal(rows.names[0], "aaaaaaaaaa"); /* id order */
    assert_string_equal(rows.configs[0], "{\"api\":{\"name\":\"a2\"}}");
    assert_string_equal(rows.names[1], "bbbbbbbbbb");
    /* a non-zero callback return stops the scan and is returned */
    struct fn_rows stop = {.stop_at = 1};
    assert_int_equal(store_doc_scan(st, "apigw", "", NULL, 0, collect_fn, &stop), 42);
    assert_int_equal(stop.n, 1);
    /* ids and documents are bound, never spliced into SQL */
    assert_int_equal(store_doc_put(st, "apigw", "x'); DROP TABLE gw_apis; --", "{\"q\":\"'\"}",
                                   STORE_REV_ANY, NULL),
                     0);
    store_close(st);
    st = open_ok(f); /* durable across reopen */
    struct fn_rows again = {0};
    assert_int_equal(store_doc_scan(st, "apigw", "", NULL, 0, collect_fn, &again), 0);
    assert_int_equal(again.n, 3);
    assert_string_equal(again.names[2], "x'); DROP TABLE gw_apis; --");
    assert_string_equal(again.configs[2], "{\"q\":\"'\"}");
    store_close(st);
}

static void test_not_a_database(void **state)
{
    struct fx *f = *state;
    FILE *fp = fopen(f->db, "w");
    assert_non_null(fp);
    for (int i = 0; i < 200; i++)
        fputs("this is not an sqlite database file\n", fp);
    assert_int_equal(fclose(fp), 0);
    int err = 0;
    assert_null(store_open(f->url, NULL, &err));
    assert_true(err < 0);
}

/* ---- threads ---- */

struct appender {
    struct store *st;
    const char *stream;
    int rc; /* first failure, or 0 */
    int rounds;
};

static void *append_many(void *arg)
{
    struct appender *a = arg;
    for (int r = 0; r < a->rounds && a->rc == 0; r++) {
        char msgs[5][32];
        struct store_log_event ev[5];
        for (int i = 0; i < 5; i++) {
            snprintf(msgs[i], sizeof(msgs[i]), "%s#%d", a->stream + 20, r * 5 + i);
            ev[i] = (struct store_log_event){GROUP, a->stream, r, msgs[i], strlen(msgs[i])};
        }
        a->rc = store_logs_append(a->st, ev, 5);
        if (a->rc == 0 && r % 10 == 0) {
            char name[32];
            snprintf(name, sizeof(name), "fn-%s-%d", a->stream + 20, r);
            a->rc = store_doc_put(a->st, "lambda", name, "{}", STORE_REV_ANY, NULL);
        }
    }
    return NULL;
}

static void test_concurrent_appends(void **state)
{
    struct fx *f = *state;
    struct store *st = open_ok(f);
    struct appender a = {st, S1, 0, 60}, b = {st, S2, 0, 60};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, append_many, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, append_many, &b), 0);
    assert_int_equal(pthread_join(ta, NULL), 0);
    assert_int_equal(pthread_join(tb, NULL), 0);
    assert_int_equal(a.rc, 0);
    assert_int_equal(b.rc, 0);

    struct log_rows *rows = calloc(1, sizeof(*rows));
    assert_non_null(rows);
    const char *streams[2] = {S1, S2};
    for (int s = 0; s < 2; s++) {
        memset(rows, 0, sizeof(*rows));
        assert_int_equal(store_logs_scan(st, GROUP, streams[s], collect_log, rows), 0);
        assert_int_equal(rows->n, 300);
        for (int i = 0; i < 300; i++) {
            char want[32];
            snprintf(want, sizeof(want), "%s#%d", streams[s] + 20, i);
            assert_string_equal(rows->msg[i], want); /* each stream in its own order */
        }
    }
    struct fn_rows fr = {0};
    assert_int_equal(store_doc_scan(st, "lambda", "", NULL, 0, collect_fn, &fr), 0);
    assert_int_equal(fr.n, 12);
    free(rows);
    store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_default_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_sqlite_url, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fn_put_scan_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fn_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fn_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fn_scan_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fn_user_data_is_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logs_batch_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logs_exact_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_persists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gw_api_put_replace_delete_scan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_appends, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
