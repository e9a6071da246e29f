/* SPDX-License-Identifier: MIT */
/*
 * SQLite backend of store.h. One connection, serialised by a mutex, in WAL
 * mode with synchronous=FULL so that a reply sent after a commit survives a
 * crash of the daemon or the machine. Schema changes are numbered migrations
 * applied in order; PRAGMA user_version records how many have run. Every SQL
 * string of this backend lives in this file; user data is only ever bound.
 */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "store.h"

static const char *const migrations[] = {
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
};

struct store_sqlite {
    struct store base;
    pthread_mutex_t mu;
    sqlite3 *db;
    sqlite3_stmt *fn_put;
    sqlite3_stmt *fn_delete;
    sqlite3_stmt *fn_scan;
    sqlite3_stmt *log_put;
    sqlite3_stmt *log_scan;
};

static int map_rc(sqlite3 *db, int rc, const char *what)
{
    if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW)
        return 0;
    log_error("store=sqlite op=%s rc=%d err=\"%s\"", what, rc, sqlite3_errmsg(db));
    return rc == SQLITE_FULL ? -ENOSPC : rc == SQLITE_NOMEM ? -ENOMEM : -EIO;
}

static int exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        log_error("store=sqlite sql_error=\"%s\"", msg != NULL ? msg : "?");
        sqlite3_free(msg);
        return -EIO;
    }
    return 0;
}

static int migrate(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int version = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return -EIO;
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    int n = (int)(sizeof(migrations) / sizeof(migrations[0]));
    for (int i = version; i < n; i++) {
        char pragma[64];
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%d", i + 1);
        int rc = exec(db, "BEGIN");
        if (rc == 0)
            rc = exec(db, migrations[i]);
        if (rc == 0)
            rc = exec(db, pragma);
        if (rc == 0)
            rc = exec(db, "COMMIT");
        if (rc != 0) {
            exec(db, "ROLLBACK");
            return rc;
        }
    }
    return 0;
}

static void sq_close(struct store *base)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    sqlite3_finalize(s->fn_put);
    sqlite3_finalize(s->fn_delete);
    sqlite3_finalize(s->fn_scan);
    sqlite3_finalize(s->log_put);
    sqlite3_finalize(s->log_scan);
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static int sq_fn_put(struct store *base, const char *name, const char *config_json)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    pthread_mutex_lock(&s->mu);
    sqlite3_bind_text(s->fn_put, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s->fn_put, 2, config_json, -1, SQLITE_STATIC);
    int rc = map_rc(s->db, sqlite3_step(s->fn_put), "fn_put");
    sqlite3_reset(s->fn_put);
    sqlite3_clear_bindings(s->fn_put);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int sq_fn_delete(struct store *base, const char *name)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    pthread_mutex_lock(&s->mu);
    sqlite3_bind_text(s->fn_delete, 1, name, -1, SQLITE_STATIC);
    int rc = map_rc(s->db, sqlite3_step(s->fn_delete), "fn_delete");
    sqlite3_reset(s->fn_delete);
    sqlite3_clear_bindings(s->fn_delete);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int sq_fn_scan(struct store *base, store_fn_cb *cb, void *arg)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    int rc = 0, step;
    pthread_mutex_lock(&s->mu);
    while ((step = sqlite3_step(s->fn_scan)) == SQLITE_ROW) {
        rc = cb((const char *)sqlite3_column_text(s->fn_scan, 0),
                (const char *)sqlite3_column_text(s->fn_scan, 1), arg);
        if (rc != 0)
            break;
    }
    if (rc == 0)
        rc = map_rc(s->db, step, "fn_scan");
    sqlite3_reset(s->fn_scan);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int sq_logs_append(struct store *base, const struct store_log_event *ev, size_t n)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    pthread_mutex_lock(&s->mu);
    int rc = exec(s->db, "BEGIN");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        sqlite3_bind_text(s->log_put, 1, ev[i].group, -1, SQLITE_STATIC);
        sqlite3_bind_text(s->log_put, 2, ev[i].stream, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s->log_put, 3, ev[i].ts_ms);
        sqlite3_bind_text(s->log_put, 4, ev[i].msg, (int)ev[i].msg_len, SQLITE_STATIC);
        rc = map_rc(s->db, sqlite3_step(s->log_put), "logs_append");
        sqlite3_reset(s->log_put);
    }
    sqlite3_clear_bindings(s->log_put);
    if (rc == 0)
        rc = exec(s->db, "COMMIT");
    else
        exec(s->db, "ROLLBACK");
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int sq_logs_scan(struct store *base, const char *group, const char *stream, store_log_cb *cb,
                        void *arg)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    int rc = 0, step;
    pthread_mutex_lock(&s->mu);
    sqlite3_bind_text(s->log_scan, 1, group, -1, SQLITE_STATIC);
    sqlite3_bind_text(s->log_scan, 2, stream, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(s->log_scan)) == SQLITE_ROW) {
        struct store_log_event ev = {
            .group = group,
            .stream = stream,
            .ts_ms = sqlite3_column_int64(s->log_scan, 0),
            .msg = (const char *)sqlite3_column_text(s->log_scan, 1),
            .msg_len = (size_t)sqlite3_column_bytes(s->log_scan, 1),
        };
        rc = cb(&ev, arg);
        if (rc != 0)
            break;
    }
    if (rc == 0)
        rc = map_rc(s->db, step, "logs_scan");
    sqlite3_reset(s->log_scan);
    sqlite3_clear_bindings(s->log_scan);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static const struct store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .fn_put = sq_fn_put,
    .fn_delete = sq_fn_delete,
    .fn_scan = sq_fn_scan,
    .logs_append = sq_logs_append,
    .logs_scan = sq_logs_scan,
};

struct store *store_sqlite_open(const char *path, int *err)
{
    struct store_sqlite *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    s->base.ops = &sqlite_ops;
    pthread_mutex_init(&s->mu, NULL);
    int rc = -EIO;
    if (sqlite3_open_v2(path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        log_error("store=sqlite path=%s err=\"%s\"", path, s->db ? sqlite3_errmsg(s->db) : "?");
        goto out;
    }
    sqlite3_busy_timeout(s->db, 5000);
    if ((rc = exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;")) != 0 ||
        (rc = migrate(s->db)) != 0)
        goto out;
    rc = -EIO;
    if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO functions (name, config) VALUES (?, ?)",
                           -1, &s->fn_put, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "DELETE FROM functions WHERE name = ?", -1, &s->fn_delete,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "SELECT name, config FROM functions ORDER BY name", -1,
                           &s->fn_scan, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "INSERT INTO log_events (grp, stream, ts, msg) VALUES (?, ?, ?, ?)", -1,
                           &s->log_put, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(
            s->db, "SELECT ts, msg FROM log_events WHERE grp = ? AND stream = ? ORDER BY id", -1,
            &s->log_scan, NULL) != SQLITE_OK) {
        log_error("store=sqlite prepare_failed err=\"%s\"", sqlite3_errmsg(s->db));
        goto out;
    }
    return &s->base;
out:
    sq_close(&s->base);
    *err = rc;
    return NULL;
}
