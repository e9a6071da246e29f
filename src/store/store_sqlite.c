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
    sqlite3_stmt *async_stmts[8]; /* asynchronous invocation, prepared on first use */
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
    for (size_t i = 0; i < sizeof(s->async_stmts) / sizeof(s->async_stmts[0]); i++)
        sqlite3_finalize(s->async_stmts[i]);
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

/* ---- asynchronous invocation ---- */

enum async_sql {
    A_INSERT,
    A_RETRY,
    A_DELETE,
    A_DEAD,
    A_DROP_EVENTS,
    A_DROP_EIC,
    A_EIC_PUT,
    A_EIC_DELETE
};

static const char *const async_sql[] = {
    [A_INSERT] = "INSERT INTO async_events (fn, request_id, invoked_arn, payload, created_ms,"
                 " attempts, next_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
    [A_RETRY] = "UPDATE async_events SET attempts = ?, next_ms = ? WHERE id = ?",
    [A_DELETE] = "DELETE FROM async_events WHERE id = ?",
    [A_DEAD] = "INSERT INTO async_dead (fn, target, record, created_ms) VALUES (?, ?, ?, ?)",
    [A_DROP_EVENTS] = "DELETE FROM async_events WHERE fn = ?",
    [A_DROP_EIC] = "DELETE FROM event_invoke_configs WHERE fn = ?",
    [A_EIC_PUT] = "INSERT OR REPLACE INTO event_invoke_configs (fn, qualifier, config)"
                  " VALUES (?, ?, ?)",
    [A_EIC_DELETE] = "DELETE FROM event_invoke_configs WHERE fn = ? AND qualifier = ?",
};

/* The prepared statement for q (prepared once, kept); NULL on failure. Call
 * with the mutex held. */
static sqlite3_stmt *astmt(struct store_sqlite *s, enum async_sql q)
{
    if (s->async_stmts[q] == NULL &&
        sqlite3_prepare_v3(s->db, async_sql[q], -1, SQLITE_PREPARE_PERSISTENT, &s->async_stmts[q],
                           NULL) != SQLITE_OK) {
        log_error("store=sqlite prepare_failed err=\"%s\"", sqlite3_errmsg(s->db));
        return NULL;
    }
    return s->async_stmts[q];
}

/* Steps a bound statement once and resets it. */
static int step_reset(struct store_sqlite *s, sqlite3_stmt *st, const char *what)
{
    if (st == NULL)
        return -EIO;
    int rc = map_rc(s->db, sqlite3_step(st), what);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

static int async_op(struct store_sqlite *s, struct store_async_op *op)
{
    sqlite3_stmt *st;
    int rc;
    switch (op->kind) {
    case STORE_ASYNC_INSERT:
        if ((st = astmt(s, A_INSERT)) == NULL)
            return -EIO;
        sqlite3_bind_text(st, 1, op->fn, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, op->request_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, op->invoked_arn, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 4, op->payload, (int)op->payload_len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, op->created_ms);
        sqlite3_bind_int(st, 6, op->attempts);
        sqlite3_bind_int64(st, 7, op->next_ms);
        rc = step_reset(s, st, "async_insert");
        if (rc == 0)
            op->id = sqlite3_last_insert_rowid(s->db);
        return rc;
    case STORE_ASYNC_RETRY:
        if ((st = astmt(s, A_RETRY)) == NULL)
            return -EIO;
        sqlite3_bind_int(st, 1, op->attempts);
        sqlite3_bind_int64(st, 2, op->next_ms);
        sqlite3_bind_int64(st, 3, op->id);
        return step_reset(s, st, "async_retry");
    case STORE_ASYNC_DELETE:
        if ((st = astmt(s, A_DELETE)) == NULL)
            return -EIO;
        sqlite3_bind_int64(st, 1, op->id);
        return step_reset(s, st, "async_delete");
    case STORE_ASYNC_DEAD:
        if ((st = astmt(s, A_DEAD)) == NULL)
            return -EIO;
        sqlite3_bind_text(st, 1, op->fn, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, op->target, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, op->record, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, op->created_ms);
        return step_reset(s, st, "async_dead");
    case STORE_ASYNC_DROP_FN:
        if ((st = astmt(s, A_DROP_EVENTS)) == NULL)
            return -EIO;
        sqlite3_bind_text(st, 1, op->fn, -1, SQLITE_STATIC);
        if ((rc = step_reset(s, st, "async_drop")) != 0 || (st = astmt(s, A_DROP_EIC)) == NULL)
            return rc != 0 ? rc : -EIO;
        sqlite3_bind_text(st, 1, op->fn, -1, SQLITE_STATIC);
        return step_reset(s, st, "eic_drop");
    }
    return -EINVAL;
}

static int sq_async_apply(struct store *base, struct store_async_op *ops, size_t n)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    pthread_mutex_lock(&s->mu);
    int rc = exec(s->db, "BEGIN");
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = async_op(s, &ops[i]);
    if (rc == 0)
        rc = exec(s->db, "COMMIT");
    else
        exec(s->db, "ROLLBACK");
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int sq_async_scan(struct store *base, store_async_cb *cb, void *arg)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    sqlite3_stmt *st = NULL;
    int rc = 0, step;
    pthread_mutex_lock(&s->mu);
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, fn, request_id, invoked_arn, payload, created_ms, attempts,"
                           " next_ms FROM async_events ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK) {
        pthread_mutex_unlock(&s->mu);
        return -EIO;
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_async_op op = {
            .kind = STORE_ASYNC_INSERT,
            .id = sqlite3_column_int64(st, 0),
            .fn = (const char *)sqlite3_column_text(st, 1),
            .request_id = (const char *)sqlite3_column_text(st, 2),
            .invoked_arn = (const char *)sqlite3_column_text(st, 3),
            .payload = sqlite3_column_blob(st, 4),
            .payload_len = (size_t)sqlite3_column_bytes(st, 4),
            .created_ms = sqlite3_column_int64(st, 5),
            .attempts = sqlite3_column_int(st, 6),
            .next_ms = sqlite3_column_int64(st, 7),
        };
        if ((rc = cb(&op, arg)) != 0)
            break;
    }
    if (rc == 0)
        rc = map_rc(s->db, step, "async_scan");
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int sq_eic_put(struct store *base, const char *fn, const char *qualifier, const char *json)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = astmt(s, A_EIC_PUT);
    if (st != NULL) {
        sqlite3_bind_text(st, 1, fn, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, qualifier, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, json, -1, SQLITE_STATIC);
    }
    int rc = step_reset(s, st, "eic_put");
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int sq_eic_delete(struct store *base, const char *fn, const char *qualifier)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = astmt(s, A_EIC_DELETE);
    if (st != NULL) {
        sqlite3_bind_text(st, 1, fn, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, qualifier, -1, SQLITE_STATIC);
    }
    int rc = step_reset(s, st, "eic_delete");
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int sq_eic_scan(struct store *base, store_eic_cb *cb, void *arg)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    sqlite3_stmt *st = NULL;
    int rc = 0, step;
    pthread_mutex_lock(&s->mu);
    if (sqlite3_prepare_v2(s->db,
                           "SELECT fn, qualifier, config FROM event_invoke_configs"
                           " ORDER BY fn, qualifier",
                           -1, &st, NULL) != SQLITE_OK) {
        pthread_mutex_unlock(&s->mu);
        return -EIO;
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        rc = cb((const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
                (const char *)sqlite3_column_text(st, 2), arg);
        if (rc != 0)
            break;
    }
    if (rc == 0)
        rc = map_rc(s->db, step, "eic_scan");
    sqlite3_finalize(st);
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
    .async_apply = sq_async_apply,
    .async_scan = sq_async_scan,
    .eic_put = sq_eic_put,
    .eic_delete = sq_eic_delete,
    .eic_scan = sq_eic_scan,
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
