/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for store/store.c and store/store_sqlite.c through store.h:
 * opening by URL, function configurations (insert, replace, scan order,
 * delete), log events (batches, per-stream order, exact bytes), durability
 * across close and reopen, the migration counter, concurrent appends from
 * two threads; the primitives' documents (revisions, compare-and-set,
 * prefix scans), ordered logs (sequence numbers per partition, trims) and
 * sorted items (range scans both ways over store_keys encodings); write
 * batches (all or nothing); and migration from a database at the previous
 * schema. Queues are in test_store_queue.c. Each test gets a fresh mkdtemp directory.
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
#include "store/store_keys.h"

#define STORE_FX_PREFIX "test_store"
#include "store_fx.h"

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

/* ==== primitives ==== */

/* ---- documents ---- */

enum { P, D, G };     /* put, delete, get */
#define ANY    (-100) /* STORE_REV_ANY */
#define ABSENT (-101) /* STORE_REV_ABSENT */
#define STALE  (-102) /* a revision that is not the current one */

static void test_doc_cas_revisions(void **state)
{
    /* expect: ANY, ABSENT, STALE, or k > 0: the revision step k wrote. */
    static const struct {
        int op;
        const char *key;
        const char *body;
        int expect;
        int want;
        const char *want_body; /* G */
    } steps[] = {
        /* 1 */ {P, "a", "{\"v\":1}", ABSENT, 0, NULL},
        /* 2 */ {P, "a", "{\"v\":2}", ABSENT, ERR_CONFLICT, NULL},
        /* 3 */ {P, "a", "{\"v\":3}", 1, 0, NULL},
        /* 4 */ {P, "a", "{\"v\":4}", 1, ERR_CONFLICT, NULL}, /* rev 1 is stale now */
        /* 5 */ {D, "a", NULL, 1, ERR_CONFLICT, NULL},
        /* 6 */ {G, "a", NULL, 3, 0, "{\"v\":3}"},
        /* 7 */ {D, "a", NULL, 3, 0, NULL},
        /* 8 */ {G, "a", NULL, ANY, -ENOENT, NULL},
        /* 9 */ {P, "a", "{\"v\":9}", 3, ERR_CONFLICT, NULL}, /* gone: no revision holds */
        /* 10 */ {P, "a", "{\"v\":10}", ABSENT, 0, NULL},
        /* 11 */ {D, "a", NULL, ABSENT, -EINVAL, NULL},
        /* 12 */ {D, "nope", NULL, ANY, 0, NULL},
        /* 13 */ {D, "nope", NULL, STALE, ERR_CONFLICT, NULL},
        /* 14 */ {P, "a", "{\"v\":14}", STALE, ERR_CONFLICT, NULL},
        /* 15 */ {P, "a", "{\"v\":15}", ANY, 0, NULL},
        /* 16 */ {G, "a", NULL, 15, 0, "{\"v\":15}"},
    };
    struct fx *f = *state;
    struct store *st = open_ok(f);
    int64_t revs[32] = {0}, last = 0;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        int e = steps[i].expect;
        int64_t expect = e == ANY      ? STORE_REV_ANY
                         : e == ABSENT ? STORE_REV_ABSENT
                         : e == STALE  ? 999999
                                       : revs[e];
        int rc;
        if (steps[i].op == P) {
            int64_t rev = -7;
            rc = store_doc_put(st, "ns", steps[i].key, steps[i].body, expect, &rev);
            if (rc == 0) {
                assert_true(rev > last); /* revisions only grow, never reused */
                last = revs[i + 1] = rev;
            } else {
                assert_int_equal(rev, -7); /* out-parameters only on success */
            }
        } else if (steps[i].op == D) {
            rc = store_doc_delete(st, "ns", steps[i].key, expect);
        } else {
            char *body = NULL;
            size_t len = 0;
            int64_t rev = 0;
            rc = store_doc_get(st, "ns", steps[i].key, &body, &len, &rev);
            if (rc == 0) {
                assert_string_equal(body, steps[i].want_body);
                assert_int_equal(len, strlen(body));
                assert_int_equal(rev, revs[steps[i].expect]);
            }
            free(body);
        }
        if (rc != steps[i].want)
            fail_msg("step %zu: rc %d, want %d", i + 1, rc, steps[i].want);
    }
    /* namespaces are separate */
    assert_int_equal(store_doc_get(st, "other", "a", NULL, NULL, NULL), -ENOENT);
    store_close(st);
}

struct keys {
    char s[512];
    int n;
};

static int join_key(const struct store_doc *d, void *arg)
{
    struct keys *k = arg;
    size_t used = strlen(k->s);
    snprintf(k->s + used, sizeof(k->s) - used, "%s%s", k->n++ ? "," : "", d->key);
    return 0;
}

static void test_doc_scan_prefix_after_limit(void **state)
{
    static const char *const keys[] = {"fn:2", "g", "fn!",   "fn",   "fn@live",
                                       "fnx",  "f", "fn:10", "fn:1", "fn\xc3\xa9"};
    static const struct {
        const char *prefix;
        const char *after;
        size_t limit;
        const char *want;
    } q[] = {
        {"", NULL, 0, "f,fn,fn!,fn:1,fn:10,fn:2,fn@live,fnx,fn\xc3\xa9,g"},
        {"fn:", NULL, 0, "fn:1,fn:10,fn:2"},
        {"fn", "fn:1", 0, "fn:10,fn:2,fn@live,fnx,fn\xc3\xa9"},
        {"", "fn", 2, "fn!,fn:1"},
        {"", "", 1, "f"},
        {"fn:", "fn:2", 0, ""},
        {"zz", NULL, 0, ""},
        {"fn\xc3", NULL, 0, "fn\xc3\xa9"},
        {"g", NULL, 0, "g"},
    };
    struct fx *f = *state;
    struct store *st = open_ok(f);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        assert_int_equal(store_doc_put(st, "lambda", keys[i], "{}", STORE_REV_ANY, NULL), 0);
    assert_int_equal(store_doc_put(st, "other", "fn:1", "{}", STORE_REV_ANY, NULL), 0);
    for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
        struct keys k = {.n = 0};
        assert_int_equal(
            store_doc_scan(st, "lambda", q[i].prefix, q[i].after, q[i].limit, join_key, &k), 0);
        if (strcmp(k.s, q[i].want) != 0)
            fail_msg("query %zu: \"%s\", want \"%s\"", i, k.s, q[i].want);
    }
    /* delete by prefix, in a batch; the other namespace keeps its key */
    struct store_op op = {.kind = STORE_DOC_DELETE_PREFIX, .doc = {.ns = "lambda", .key = "fn:"}};
    assert_int_equal(store_apply(st, &op, 1, NULL), 0);
    struct keys k = {.n = 0};
    assert_int_equal(store_doc_scan(st, "lambda", "", NULL, 0, join_key, &k), 0);
    assert_string_equal(k.s, "f,fn,fn!,fn@live,fnx,fn\xc3\xa9,g");
    struct keys o = {.n = 0};
    assert_int_equal(store_doc_scan(st, "other", NULL, NULL, 0, join_key, &o), 0);
    assert_string_equal(o.s, "fn:1");
    op.doc.key = ""; /* the whole namespace */
    assert_int_equal(store_apply(st, &op, 1, NULL), 0);
    struct keys none = {.n = 0};
    assert_int_equal(store_doc_scan(st, "lambda", "", NULL, 0, join_key, &none), 0);
    assert_int_equal(none.n, 0);
    store_close(st);
}

/* ---- ordered logs ---- */

struct recs {
    int n;
    int64_t seq[32];
    char data[32][16];
};

static int collect_rec(const struct store_orec *r, void *arg)
{
    struct recs *x = arg;
    assert_true(x->n < 32);
    x->seq[x->n] = r->seq;
    snprintf(x->data[x->n], sizeof(x->data[0]), "%.*s", (int)r->len, (const char *)r->data);
    x->n++;
    return 0;
}

static void append(struct store *st, const char *part, int64_t ts, const char *data, int64_t want)
{
    struct store_op op = {
        .kind = STORE_OLOG_APPEND,
        .olog = {.log = "s", .part = part, .ts_ms = ts, .data = data, .len = strlen(data)}};
    assert_int_equal(store_apply(st, &op, 1, NULL), 0);
    assert_int_equal(op.olog.seq, want);
}

static void bounds(struct store *st, const char *part, int64_t first, int64_t last)
{
    int64_t f = -5, l = -5;
    assert_int_equal(store_olog_bounds(st, "s", part, &f, &l), 0);
    assert_int_equal(f, first);
    assert_int_equal(l, last);
}

static void test_olog_sequence_read_trim(void **state)
{
    struct fx *f = *state;
    struct store *st = open_ok(f);
    bounds(st, "p1", 1, 0); /* never written */
    struct store_op ops[5];
    static const char *const parts[5] = {"p1", "p2", "p1", "p1", "p2"};
    for (int i = 0; i < 5; i++)
        ops[i] = (struct store_op){.kind = STORE_OLOG_APPEND,
                                   .olog = {.log = "s",
                                            .part = parts[i],
                                            .ts_ms = 100 * (i + 1),
                                            .key = "k",
                                            .data = "abcd",
                                            .len = 4}};
    assert_int_equal(store_apply(st, ops, 5, NULL), 0);
    static const int64_t want[5] = {1, 1, 2, 3, 2}; /* per partition */
    for (int i = 0; i < 5; i++)
        assert_int_equal(ops[i].olog.seq, want[i]);
    append(st, "p1", 600, "e", 4);
    bounds(st, "p1", 1, 4);
    struct recs r = {.n = 0};
    assert_int_equal(store_olog_read(st, "s", "p1", 2, 2, collect_rec, &r), 0);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.seq[0], 2);
    assert_int_equal(r.seq[1], 3);

    /* trims, table-driven on p1 (records 1..4 at ts 100, 300, 400, 600; 4+4+4+1 bytes) */
    static const struct {
        struct store_olog_trim t;
        int64_t deleted, first;
    } trims[] = {
        {{.before_ms = 300}, 1, 2}, /* older than 300: seq 1 */
        {{.before_ms = 300}, 0, 2}, /* idempotent */
        {{.max_count = 2}, 1, 3},   /* keep the newest 2 */
        {{.max_bytes = 5}, 0, 3},   /* 4 + 1 bytes fit */
        {{.max_bytes = 4}, 1, 4},   /* only the newest fits */
        {{.max_count = 5}, 0, 4},
    };
    for (size_t i = 0; i < sizeof(trims) / sizeof(trims[0]); i++) {
        int64_t n = 0;
        assert_int_equal(store_olog_trim(st, "s", "p1", &trims[i].t, &n), 0);
        if (n != trims[i].deleted)
            fail_msg("trim %zu deleted %lld", i, (long long)n);
        bounds(st, "p1", trims[i].first, 4);
    }
    /* emptied: numbers are not reused */
    struct store_olog_trim all = {.before_ms = 1000000};
    int64_t n = 0;
    assert_int_equal(store_olog_trim(st, "s", NULL, &all, &n), 0); /* every partition */
    assert_int_equal(n, 3);
    bounds(st, "p1", 5, 4);
    bounds(st, "p2", 3, 2);
    append(st, "p1", 700, "f", 5);
    r.n = 0;
    assert_int_equal(store_olog_read(st, "s", "p1", 0, 0, collect_rec, &r), 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.seq[0], 5);
    assert_string_equal(r.data[0], "f");
    store_close(st);
}

/* ---- sorted items ---- */

struct item_rows {
    int n;
    char sk[16][64];
};

static int collect_item(const struct store_item *it, void *arg)
{
    struct item_rows *r = arg;
    assert_true(r->n < 16);
    size_t pos = 0, len;
    int type;
    char out[64];
    assert_int_equal(store_keys_next(it->sk, it->sk_len, &pos, &type, out, sizeof(out), &len), 0);
    snprintf(r->sk[r->n++], sizeof(r->sk[0]), "%s", out);
    return 0;
}

struct key {
    uint8_t b[64];
    size_t n;
};

static struct key nkey(const char *s)
{
    struct key k = {.n = 0};
    assert_int_equal(store_keys_put_number(k.b, sizeof(k.b), &k.n, s, strlen(s)), 0);
    return k;
}

static struct key skey(const char *s)
{
    struct key k = {.n = 0};
    assert_int_equal(store_keys_put_string(k.b, sizeof(k.b), &k.n, s, strlen(s)), 0);
    return k;
}

static void join_items(const struct item_rows *r, char *out, size_t cap)
{
    out[0] = '\0';
    for (int i = 0; i < r->n; i++) {
        size_t used = strlen(out);
        snprintf(out + used, cap - used, "%s%s", i ? "," : "", r->sk[i]);
    }
}

static void test_items_range_scans(void **state)
{
    struct fx *f = *state;
    struct store *st = open_ok(f);
    static const char *const nums[] = {"7", "-2.5", "1e3", "0", "-10", "0.5"};
    struct key pk = skey("p"), other = skey("q");
    for (size_t i = 0; i < 6; i++) {
        struct key sk = nkey(nums[i]);
        struct store_op op = {.kind = STORE_ITEM_PUT,
                              .item = {.space = "t",
                                       .pk = pk.b,
                                       .pk_len = pk.n,
                                       .sk = sk.b,
                                       .sk_len = sk.n,
                                       .val = nums[i],
                                       .val_len = strlen(nums[i])}};
        assert_int_equal(store_apply(st, &op, 1, NULL), 0);
        op.item.pk = other.b; /* another partition, same sort keys */
        op.item.pk_len = other.n;
        assert_int_equal(store_apply(st, &op, 1, NULL), 0);
    }
    struct key m25 = nkey("-2.5"), seven = nkey("7"), zero = nkey("0");
    static const struct {
        int lo, hi; /* 0 none, 1 -2.5, 2 7, 3 0 */
        bool lo_excl, hi_excl, backward;
        size_t limit;
        const char *want;
    } q[] = {
        {0, 0, false, false, false, 0, "-10,-2.5,0,0.5,7,1000"},
        {0, 0, false, false, true, 0, "1000,7,0.5,0,-2.5,-10"},
        {1, 2, false, true, false, 0, "-2.5,0,0.5"},
        {1, 2, true, false, false, 0, "0,0.5,7"},
        {1, 2, false, false, true, 0, "7,0.5,0,-2.5"},
        {1, 0, true, false, false, 2, "0,0.5"},
        {0, 3, false, false, true, 2, "0,-2.5"},
        {0, 3, false, true, false, 0, "-10,-2.5"},
        {0, 0, false, false, true, 2, "1000,7"},
        {3, 3, false, false, false, 0, "0"},
        {3, 3, true, false, false, 0, ""},
    };
    const struct key *bound[4] = {NULL, &m25, &seven, &zero};
    for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
        struct store_range r = {.space = "t",
                                .pk = pk.b,
                                .pk_len = pk.n,
                                .lo = q[i].lo ? bound[q[i].lo]->b : NULL,
                                .lo_len = q[i].lo ? bound[q[i].lo]->n : 0,
                                .lo_excl = q[i].lo_excl,
                                .hi = q[i].hi ? bound[q[i].hi]->b : NULL,
                                .hi_len = q[i].hi ? bound[q[i].hi]->n : 0,
                                .hi_excl = q[i].hi_excl,
                                .backward = q[i].backward,
                                .limit = q[i].limit};
        struct item_rows rows = {.n = 0};
        char got[256];
        assert_int_equal(store_item_scan(st, &r, collect_item, &rows), 0);
        join_items(&rows, got, sizeof(got));
        if (strcmp(got, q[i].want) != 0)
            fail_msg("range %zu: \"%s\", want \"%s\"", i, got, q[i].want);
    }
    /* get, replace, delete */
    void *val = NULL;
    size_t len = 0;
    assert_int_equal(store_item_get(st, "t", pk.b, pk.n, seven.b, seven.n, &val, &len), 0);
    assert_int_equal(len, 1);
    assert_memory_equal(val, "7", 1);
    free(val);
    struct store_op del = {
        .kind = STORE_ITEM_DELETE,
        .item = {.space = "t", .pk = pk.b, .pk_len = pk.n, .sk = seven.b, .sk_len = seven.n}};
    assert_int_equal(store_apply(st, &del, 1, NULL), 0);
    assert_int_equal(store_apply(st, &del, 1, NULL), 0); /* absent: still 0 */
    assert_int_equal(store_item_get(st, "t", pk.b, pk.n, seven.b, seven.n, &val, &len), -ENOENT);
    assert_int_equal(store_item_get(st, "t", other.b, other.n, seven.b, seven.n, &val, &len), 0);
    free(val);

    /* string sort keys with a begins_with range: [prefix, prefix_end) */
    static const char *const names[] = {"b", "ab", "a", "abc", "ac", "ab\x7f"};
    struct key sp = skey("s");
    for (size_t i = 0; i < 6; i++) {
        struct key sk = skey(names[i]);
        struct store_op op = {.kind = STORE_ITEM_PUT,
                              .item = {.space = "t",
                                       .pk = sp.b,
                                       .pk_len = sp.n,
                                       .sk = sk.b,
                                       .sk_len = sk.n,
                                       .val = "",
                                       .val_len = 0}};
        assert_int_equal(store_apply(st, &op, 1, NULL), 0);
    }
    struct key pre = {.n = 0}, end;
    assert_int_equal(store_keys_put_string_prefix(pre.b, sizeof(pre.b), &pre.n, "ab", 2), 0);
    assert_int_equal(store_keys_prefix_end(pre.b, pre.n, end.b, &end.n), 0);
    struct store_range r = {.space = "t",
                            .pk = sp.b,
                            .pk_len = sp.n,
                            .lo = pre.b,
                            .lo_len = pre.n,
                            .hi = end.b,
                            .hi_len = end.n,
                            .hi_excl = true};
    struct item_rows rows = {.n = 0};
    char got[256];
    assert_int_equal(store_item_scan(st, &r, collect_item, &rows), 0);
    join_items(&rows, got, sizeof(got));
    assert_string_equal(got, "ab,abc,ab\x7f");
    store_close(st);
}

/* ---- batches ---- */

static void test_batch_atomic(void **state)
{
    struct fx *f = *state;
    struct store *st = open_ok(f);
    struct store_op ops[6] = {
        {.kind = STORE_DOC_PUT,
         .doc = {.ns = "n", .key = "a", .body = "{}", .body_len = 2, .expect_rev = STORE_REV_ANY}},
        {.kind = STORE_Q_ENQUEUE, .q = {.queue = "q", .body = "m", .body_len = 1, .now_ms = 1}},
        {.kind = STORE_ITEM_PUT,
         .item = {.space = "t",
                  .pk = "p",
                  .pk_len = 1,
                  .sk = "s",
                  .sk_len = 1,
                  .val = "v",
                  .val_len = 1}},
        {.kind = STORE_OLOG_APPEND, .olog = {.log = "s", .part = "p", .data = "r", .len = 1}},
        /* a is put above: "only if absent" fails, and the whole batch with it */
        {.kind = STORE_DOC_PUT,
         .doc =
             {.ns = "n", .key = "a", .body = "{}", .body_len = 2, .expect_rev = STORE_REV_ABSENT}},
        {.kind = STORE_DOC_PUT,
         .doc = {.ns = "n", .key = "z", .body = "{}", .body_len = 2, .expect_rev = STORE_REV_ANY}},
    };
    size_t failed = 99;
    assert_int_equal(store_apply(st, ops, 6, &failed), ERR_CONFLICT);
    assert_int_equal(failed, 4);
    assert_int_equal(store_doc_get(st, "n", "a", NULL, NULL, NULL), -ENOENT);
    assert_int_equal(store_doc_get(st, "n", "z", NULL, NULL, NULL), -ENOENT);
    struct store_q_counts c;
    assert_int_equal(store_q_count(st, "q", 10, &c), 0);
    assert_int_equal(c.visible + c.in_flight + c.delayed, 0);
    void *v = NULL;
    size_t len;
    assert_int_equal(store_item_get(st, "t", "p", 1, "s", 1, &v, &len), -ENOENT);
    bounds(st, "p", 1, 0);

    /* without the failing op, everything lands, with its out fields */
    ops[4] = ops[5];
    failed = 99;
    assert_int_equal(store_apply(st, ops, 5, &failed), 0);
    assert_int_equal(failed, 99);
    assert_true(ops[0].doc.rev > 0);
    assert_true(ops[4].doc.rev > ops[0].doc.rev);
    assert_true(ops[1].q.id > 0);
    assert_int_equal(ops[3].olog.seq, 1);
    assert_int_equal(store_item_get(st, "t", "p", 1, "s", 1, &v, &len), 0);
    free(v);
    assert_int_equal(store_q_count(st, "q", 10, &c), 0);
    assert_int_equal(c.visible, 1);

    /* a malformed op: -EINVAL, with its index */
    struct store_op bad[2] = {ops[0], {.kind = (enum store_op_kind)77}};
    assert_int_equal(store_apply(st, bad, 2, &failed), -EINVAL);
    assert_int_equal(failed, 1);
    assert_int_equal(store_apply(st, NULL, 0, NULL), 0);
    store_close(st);
}

/* ---- migration from the previous schema ---- */

/* The schema of the previous version (migrations 1-4, copied from it). */
#define OLD_NOW_MS "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"

static const char *const old_migrations[] = {
    /* 1: functions and log events */
    "CREATE TABLE functions (name TEXT PRIMARY KEY, config TEXT NOT NULL);"
    "CREATE TABLE log_events (id INTEGER PRIMARY KEY, grp TEXT NOT NULL, stream TEXT NOT NULL,"
    " ts INTEGER NOT NULL, msg TEXT NOT NULL);"
    "CREATE INDEX log_events_stream ON log_events (grp, stream, id);",
    /* 2: asynchronous invocation: the durable event queue, event invoke
     * configurations, and records no destination could take */
    "CREATE TABLE async_events (id INTEGER PRIMARY KEY, fn TEXT NOT NULL, request_id TEXT NOT "
    "NULL, invoked_arn TEXT NOT NULL, payload BLOB NOT NULL, created_ms INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0, next_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE event_invoke_configs (fn TEXT NOT NULL, qualifier TEXT NOT NULL,"
    " config TEXT NOT NULL, PRIMARY KEY (fn, qualifier));"
    "CREATE TABLE async_dead (id INTEGER PRIMARY KEY, fn TEXT NOT NULL, target TEXT NOT NULL,"
    " record TEXT NOT NULL, created_ms INTEGER NOT NULL);",
    /* 3: CloudWatch Logs: log groups (retention in days, 0 = never expire),
     * log streams with their statistics, the ingestion time of events put
     * through the Logs API (NULL for function logs: their event time), an
     * index for time-ordered reads and expiry, existing groups and streams,
     * and the trigger that registers the group and stream of every event */
    "CREATE TABLE log_groups (name TEXT PRIMARY KEY, created_ms INTEGER NOT NULL,"
    " retention_days INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE log_streams (grp TEXT NOT NULL, name TEXT NOT NULL, created_ms INTEGER NOT NULL,"
    " first_ts INTEGER, last_ts INTEGER, last_ingest INTEGER,"
    " stored_bytes INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (grp, name));"
    "ALTER TABLE log_events ADD COLUMN ingest INTEGER;"
    "CREATE INDEX log_events_time ON log_events (grp, ts);"
    "INSERT INTO log_groups (name, created_ms) SELECT grp, MIN(ts) FROM log_events GROUP BY grp;"
    "INSERT INTO log_streams (grp, name, created_ms, first_ts, last_ts, last_ingest, stored_bytes)"
    " SELECT grp, stream, MIN(ts), MIN(ts), MAX(ts), MAX(ts), SUM(length(CAST(msg AS BLOB)))"
    " FROM log_events GROUP BY grp, stream;"
    "CREATE TRIGGER log_events_register AFTER INSERT ON log_events BEGIN"
    " INSERT OR IGNORE INTO log_groups (name, created_ms) VALUES (NEW.grp, " OLD_NOW_MS ");"
    " INSERT INTO log_streams (grp, name, created_ms, first_ts, last_ts, last_ingest, stored_bytes)"
    " VALUES (NEW.grp, NEW.stream, " OLD_NOW_MS ", NEW.ts, NEW.ts, COALESCE(NEW.ingest, NEW.ts),"
    " length(CAST(NEW.msg AS BLOB))) ON CONFLICT (grp, name) DO UPDATE SET"
    " first_ts = CASE WHEN first_ts IS NULL OR excluded.first_ts < first_ts"
    " THEN excluded.first_ts ELSE first_ts END,"
    " last_ts = CASE WHEN last_ts IS NULL OR excluded.last_ts > last_ts"
    " THEN excluded.last_ts ELSE last_ts END,"
    " last_ingest = excluded.last_ingest, stored_bytes = stored_bytes + excluded.stored_bytes;"
    " END;",
    /* 4: API Gateway: one JSON document per API */
    "CREATE TABLE gw_apis (id TEXT PRIMARY KEY, doc TEXT NOT NULL);",
};

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg != NULL ? msg : "?");
}

/* Builds f->db as the previous version left it, with data in every table. */
static void make_old_db(const struct fx *f)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    exec_ok(db, "PRAGMA journal_mode=WAL");
    for (size_t i = 0; i < sizeof(old_migrations) / sizeof(old_migrations[0]); i++)
        exec_ok(db, old_migrations[i]);
    exec_ok(db, "PRAGMA user_version=4");
    exec_ok(
        db,
        "INSERT INTO functions VALUES ('f', '{\"FunctionName\":\"f\"}'), ('f:1', '{\"V\":1}'),"
        " ('f!', '{\"LastVersion\":1}'), ('f@live', '{\"Name\":\"live\"}'),"
        " ('#L/lay!', '{\"LastVersion\":2}'), ('g', '{\"FunctionName\":\"g\"}');"
        "INSERT INTO event_invoke_configs VALUES ('f', '$LATEST', '{\"MaximumRetryAttempts\":1}'),"
        " ('f', 'live', '{\"MaximumRetryAttempts\":0}'), ('g', '1', '{}');"
        "INSERT INTO async_events VALUES (7, 'f', 'req-7', 'arn:aws:lambda:us-east-1:000000000000:"
        "function:f', X'7B7D', 1000, 2, 5000),"
        " (9, 'g', 'req-9', 'arn:aws:lambda:us-east-1:000000000000:function:g:live',"
        " X'5B315D', 2000, 0, 0);"
        "INSERT INTO async_dead (fn, target, record, created_ms) VALUES ('f',"
        " 'arn:aws:sqs:us-east-1:000000000000:dlq', '{\"dead\":true}', 3000);"
        "INSERT INTO gw_apis VALUES ('abcdefghij', '{\"api\":{}}'), ('#account', '{}');"
        "INSERT INTO log_events (grp, stream, ts, msg) VALUES ('/aws/lambda/f', 's', 1, 'hi');");
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

struct msg_rows {
    int n;
    int64_t id[8];
    char group[8][16];
    char attrs[8][160];
    char body[8][32];
    int count[8];
    int64_t sent[8], visible[8];
};

static int collect_msg_rows(const struct store_msg *m, void *arg)
{
    struct msg_rows *r = arg;
    assert_true(r->n < 8);
    r->id[r->n] = m->id;
    snprintf(r->group[r->n], sizeof(r->group[0]), "%s", m->group);
    snprintf(r->attrs[r->n], sizeof(r->attrs[0]), "%s", m->attrs != NULL ? m->attrs : "");
    snprintf(r->body[r->n], sizeof(r->body[0]), "%.*s", (int)m->body_len, (const char *)m->body);
    r->count[r->n] = m->receive_count;
    r->sent[r->n] = m->sent_ms;
    r->visible[r->n] = m->visible_ms;
    r->n++;
    return 0;
}

/* One row of sql (read-only, on the file) joined as "a|b|c". */
static void query_row(const struct fx *f, const char *sql, char *out, size_t cap)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    out[0] = '\0';
    if (sqlite3_step(q) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(q); i++) {
            size_t used = strlen(out);
            const unsigned char *t = sqlite3_column_text(q, i);
            snprintf(out + used, cap - used, "%s%s", i ? "|" : "",
                     t != NULL ? (const char *)t : "");
        }
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
}

static void test_migration_from_previous_schema(void **state)
{
    struct fx *f = *state;
    make_old_db(f);
    struct store *st = open_ok(f);
    assert_int_equal(user_version(f->db), 6);

    struct keys k = {.n = 0};
    assert_int_equal(store_doc_scan(st, "lambda", "", NULL, 0, join_key, &k), 0);
    assert_string_equal(k.s, "#L/lay!,f,f!,f:1,f@live,g");
    char *body = NULL;
    int64_t rev = 0;
    assert_int_equal(store_doc_get(st, "lambda", "f@live", &body, NULL, &rev), 0);
    assert_string_equal(body, "{\"Name\":\"live\"}");
    assert_true(rev > 0);
    free(body);
    /* a migrated document takes part in compare-and-set like any other */
    assert_int_equal(store_doc_put(st, "lambda", "g", "{}", rev + 1000, NULL), ERR_CONFLICT);
    assert_int_equal(store_doc_put(st, "lambda", "g", "{}", STORE_REV_ABSENT, NULL), ERR_CONFLICT);
    k = (struct keys){.n = 0};
    assert_int_equal(store_doc_scan(st, "lambda.eic", "f:", NULL, 0, join_key, &k), 0);
    assert_string_equal(k.s, "f:$LATEST,f:live");
    k = (struct keys){.n = 0};
    assert_int_equal(store_doc_scan(st, "apigw", "", NULL, 0, join_key, &k), 0);
    assert_string_equal(k.s, "#account,abcdefghij");

    /* queued events keep their ids, attempts (receive count) and retry time */
    struct msg_rows m = {.n = 0};
    assert_int_equal(store_q_scan(st, "lambda.async", 0, 0, collect_msg_rows, &m), 0);
    assert_int_equal(m.n, 2);
    assert_int_equal(m.id[0], 7);
    assert_string_equal(m.group[0], "f");
    assert_string_equal(m.body[0], "{}");
    assert_non_null(strstr(m.attrs[0], "\"request_id\":\"req-7\""));
    assert_non_null(strstr(m.attrs[0], "function:f\""));
    assert_int_equal(m.count[0], 2);
    assert_int_equal(m.sent[0], 1000);
    assert_int_equal(m.visible[0], 5000);
    assert_int_equal(m.id[1], 9);
    assert_string_equal(m.body[1], "[1]");
    m = (struct msg_rows){.n = 0};
    assert_int_equal(store_q_scan(st, "lambda.async.dead", 0, 0, collect_msg_rows, &m), 0);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.body[0], "{\"dead\":true}");
    assert_non_null(strstr(m.attrs[0], "arn:aws:sqs:us-east-1:000000000000:dlq"));
    assert_true(m.id[0] > 9);
    /* new messages never take an old id */
    struct store_op op = {
        .kind = STORE_Q_ENQUEUE,
        .q = {.queue = "lambda.async", .group = "f", .body = "{}", .body_len = 2}};
    assert_int_equal(store_apply(st, &op, 1, NULL), 0);
    assert_true(op.q.id > m.id[0]);
    /* function logs are where they were */
    struct log_rows *lr = calloc(1, sizeof(*lr));
    assert_non_null(lr);
    assert_int_equal(store_logs_scan(st, "/aws/lambda/f", "s", collect_log, lr), 0);
    assert_int_equal(lr->n, 1);
    free(lr);
    store_close(st);

    /* the old tables are views of the new rows, for inspection */
    char row[512];
    query_row(f, "SELECT fn, qualifier, config FROM event_invoke_configs ORDER BY fn, qualifier",
              row, sizeof(row));
    assert_string_equal(row, "f|$LATEST|{\"MaximumRetryAttempts\":1}");
    query_row(f,
              "SELECT id, fn, request_id, invoked_arn, payload, created_ms, attempts, next_ms"
              " FROM async_events ORDER BY id",
              row, sizeof(row));
    assert_string_equal(row, "7|f|req-7|arn:aws:lambda:us-east-1:000000000000:function:f|{}|1000|"
                             "2|5000");
    query_row(f, "SELECT fn, target, record, created_ms FROM async_dead", row, sizeof(row));
    assert_string_equal(row, "f|arn:aws:sqs:us-east-1:000000000000:dlq|{\"dead\":true}|3000");
    query_row(f, "SELECT count(*) FROM functions WHERE name LIKE 'f%'", row, sizeof(row));
    assert_string_equal(row, "4");
    query_row(f, "SELECT doc FROM gw_apis WHERE id = 'abcdefghij'", row, sizeof(row));
    assert_string_equal(row, "{\"api\":{}}");

    /* and opening again runs nothing twice */
    st = open_ok(f);
    assert_int_equal(user_version(f->db), 6);
    k = (struct keys){.n = 0};
    assert_int_equal(store_doc_scan(st, "lambda", "", NULL, 0, join_key, &k), 0);
    assert_int_equal(k.n, 6);
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
        cmocka_unit_test_setup_teardown(test_doc_cas_revisions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doc_scan_prefix_after_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_olog_sequence_read_trim, setup, teardown),
        cmocka_unit_test_setup_teardown(test_items_range_scans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migration_from_previous_schema, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
