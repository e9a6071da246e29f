/* SPDX-License-Identifier: MIT */
/*
 * SQLite backend of store.h. One connection, serialised by a mutex, in WAL
 * mode with synchronous=FULL so that a reply sent after a commit survives a
 * crash of the daemon or the machine. Schema changes are numbered migrations
 * applied in order; PRAGMA user_version records how many have run. This file
 * holds the migrations, the batch (store_apply: one BEGIN IMMEDIATE ...
 * COMMIT around any mix of ops), the kept statements shared by the primitive
 * files store_sqlite_{doc,queue,olog,item}.c, and the function-log and
 * CloudWatch Logs operations. Every SQL string of this backend lives in these
 * files; user data is only ever bound.
 */
#include "store_sqlite.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/log.h"
#include "base/util.h"
#include "store.h"

/* Epoch ms in SQL, for migration 3's trigger and migration 5 (fixed within one statement). */
#define CWL_NOW_MS "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"

/* What the trigger of migration 3 does for each new event: register its
 * group and stream and keep the stream's statistics. */
#define CWL_UPSERT_STREAM                                                                          \
    " ON CONFLICT (grp, name) DO UPDATE SET"                                                       \
    " first_ts = CASE WHEN first_ts IS NULL OR excluded.first_ts < first_ts"                       \
    " THEN excluded.first_ts ELSE first_ts END,"                                                   \
    " last_ts = CASE WHEN last_ts IS NULL OR excluded.last_ts > last_ts"                           \
    " THEN excluded.last_ts ELSE last_ts END,"                                                     \
    " last_ingest = excluded.last_ingest, stored_bytes = stored_bytes + excluded.stored_bytes;"
#define CWL_REGISTER                                                                               \
    " INSERT OR IGNORE INTO log_groups (name, created_ms) VALUES (NEW.grp, " CWL_NOW_MS ");"       \
    " INSERT INTO log_streams (grp, name, created_ms, first_ts, last_ts, last_ingest, "            \
    "stored_bytes)"                                                                                \
    " VALUES (NEW.grp, NEW.stream, " CWL_NOW_MS ", NEW.ts, NEW.ts, COALESCE(NEW.ingest, NEW.ts),"  \
    " length(CAST(NEW.msg AS BLOB)))" CWL_UPSERT_STREAM

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
    "CREATE TRIGGER log_events_register AFTER INSERT ON log_events BEGIN" CWL_REGISTER " END;",
    /* 4: API Gateway: one JSON document per API */
    "CREATE TABLE gw_apis (id TEXT PRIMARY KEY, doc TEXT NOT NULL);",
    /* 5: the primitives (docs/store.md): a counter table for revisions and
     * lease tokens, documents, durable queues with de-duplication, ordered
     * logs, sorted items. The data of migrations 1, 2 and 4 moves in (Lambda
     * configurations to namespace "lambda", event invoke configurations to
     * "lambda.eic" keyed "fn:qualifier", APIs to "apigw"; queued async events
     * to queue "lambda.async", dead records to "lambda.async.dead"; the names
     * are the callers', see src/lambda/api.c, src/sources/async.c and
     * src/gateway/model.c). The old tables become read-only views of the same
     * rows, for inspection with the sqlite3 shell and the e2e tests. */
    "CREATE TABLE store_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO store_counters (name, value) VALUES ('rev', 1), ('lease', 0);"
    "CREATE TABLE documents (ns TEXT NOT NULL, key TEXT NOT NULL, rev INTEGER NOT NULL,"
    " body TEXT NOT NULL, updated_ms INTEGER NOT NULL, PRIMARY KEY (ns, key)) WITHOUT ROWID;"
    "CREATE TABLE queue_messages (id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL,"
    " grp TEXT NOT NULL DEFAULT '', dedup TEXT, body BLOB NOT NULL, attrs TEXT,"
    " sent_ms INTEGER NOT NULL, visible_ms INTEGER NOT NULL,"
    " receive_count INTEGER NOT NULL DEFAULT 0, token INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX queue_messages_visible ON queue_messages (queue, visible_ms, id);"
    "CREATE INDEX queue_messages_group ON queue_messages (queue, grp, visible_ms, id);"
    "CREATE TABLE queue_dedup (queue TEXT NOT NULL, dedup TEXT NOT NULL, msg_id INTEGER NOT NULL,"
    " expires_ms INTEGER NOT NULL, PRIMARY KEY (queue, dedup)) WITHOUT ROWID;"
    "CREATE INDEX queue_dedup_expiry ON queue_dedup (queue, expires_ms);"
    "CREATE TABLE olog_partitions (log TEXT NOT NULL, part TEXT NOT NULL,"
    " last_seq INTEGER NOT NULL, PRIMARY KEY (log, part)) WITHOUT ROWID;"
    "CREATE TABLE olog_records (log TEXT NOT NULL, part TEXT NOT NULL, seq INTEGER NOT NULL,"
    " ts_ms INTEGER NOT NULL, key TEXT, data BLOB NOT NULL, PRIMARY KEY (log, part, seq))"
    " WITHOUT ROWID;"
    "CREATE INDEX olog_records_time ON olog_records (log, part, ts_ms);"
    "CREATE TABLE items (space TEXT NOT NULL, pk BLOB NOT NULL, sk BLOB NOT NULL,"
    " val BLOB NOT NULL, PRIMARY KEY (space, pk, sk)) WITHOUT ROWID;"
    "INSERT INTO documents (ns, key, rev, body, updated_ms)"
    " SELECT 'lambda', name, 1, config, " CWL_NOW_MS " FROM functions;"
    "INSERT INTO documents (ns, key, rev, body, updated_ms)"
    " SELECT 'lambda.eic', fn || ':' || qualifier, 1, config, " CWL_NOW_MS
    " FROM event_invoke_configs;"
    "INSERT INTO documents (ns, key, rev, body, updated_ms)"
    " SELECT 'apigw', id, 1, doc, " CWL_NOW_MS " FROM gw_apis;"
    "INSERT INTO queue_messages (id, queue, grp, body, attrs, sent_ms, visible_ms, receive_count)"
    " SELECT id, 'lambda.async', fn, CAST(payload AS BLOB),"
    " json_object('request_id', request_id, 'invoked_arn', invoked_arn),"
    " created_ms, next_ms, attempts FROM async_events ORDER BY id;"
    "INSERT INTO queue_messages (queue, grp, body, attrs, sent_ms, visible_ms)"
    " SELECT 'lambda.async.dead', fn, CAST(record AS BLOB), json_object('target', target),"
    " created_ms, created_ms FROM async_dead ORDER BY id;"
    "DROP TABLE functions; DROP TABLE event_invoke_configs; DROP TABLE gw_apis;"
    "DROP TABLE async_events; DROP TABLE async_dead;"
    "CREATE VIEW functions AS SELECT key AS name, body AS config FROM documents"
    " WHERE ns = 'lambda';"
    "CREATE VIEW event_invoke_configs AS SELECT substr(key, 1, instr(key, ':') - 1) AS fn,"
    " substr(key, instr(key, ':') + 1) AS qualifier, body AS config FROM documents"
    " WHERE ns = 'lambda.eic';"
    "CREATE VIEW gw_apis AS SELECT key AS id, body AS doc FROM documents WHERE ns = 'apigw';"
    "CREATE VIEW async_events AS SELECT id, grp AS fn,"
    " json_extract(attrs, '$.request_id') AS request_id,"
    " json_extract(attrs, '$.invoked_arn') AS invoked_arn, body AS payload,"
    " sent_ms AS created_ms, receive_count AS attempts, visible_ms AS next_ms"
    " FROM queue_messages WHERE queue = 'lambda.async';"
    "CREATE VIEW async_dead AS SELECT id, grp AS fn, json_extract(attrs, '$.target') AS target,"
    " CAST(body AS TEXT) AS record, sent_ms AS created_ms FROM queue_messages"
    " WHERE queue = 'lambda.async.dead';",
    /* 6: function logs (ingest NULL) register their group and stream once
     * per batch in sq_logs_append instead of once per event: the trigger
     * keeps doing it for the Logs API's events */
    "DROP TRIGGER log_events_register;"
    "CREATE TRIGGER log_events_register AFTER INSERT ON log_events WHEN NEW.ingest IS NOT NULL"
    " BEGIN" CWL_REGISTER " END;",
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
    sqlite3_finalize(s->log_put);
    sqlite3_finalize(s->log_reg_group);
    sqlite3_finalize(s->log_reg_stream);
    sqlite3_finalize(s->log_scan);
    for (size_t i = 0; i < SQS_N; i++)
        sqlite3_finalize(s->stmts[i]);
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* ---- shared with the primitive files (store_sqlite.h) ---- */

sqlite3_stmt *store_sqlite_stmt(struct store_sqlite *s, enum store_sqlite_stmt id, const char *sql)
{
    sqlite3_stmt *st = s->stmts[id];
    if (st == NULL) {
        if (sql == NULL ||
            sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
            log_error("store=sqlite stmt=%d prepare_failed err=\"%s\"", (int)id,
                      sqlite3_errmsg(s->db));
            sqlite3_finalize(st);
            return NULL;
        }
        s->stmts[id] = st;
        return st;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

int store_sqlite_rc(struct store_sqlite *s, int rc, const char *what)
{
    return map_rc(s->db, rc, what);
}

int store_sqlite_run(struct store_sqlite *s, sqlite3_stmt *st, const char *what)
{
    int rc = map_rc(s->db, sqlite3_step(st), what);
    sqlite3_reset(st);
    return rc;
}

int store_sqlite_exec(struct store_sqlite *s, const char *sql)
{
    return exec(s->db, sql);
}

int64_t store_sqlite_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int store_sqlite_counter(struct store_sqlite *s, const char *name, int64_t n, int64_t *last)
{
    sqlite3_stmt *st = store_sqlite_stmt(
        s, SQS_COUNTER,
        "UPDATE store_counters SET value = value + ?2 WHERE name = ?1 RETURNING value");
    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, n);
    int step = sqlite3_step(st);
    int64_t v = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    while (step == SQLITE_ROW)
        step = sqlite3_step(st);
    sqlite3_reset(st);
    int rc = map_rc(s->db, step, "counter");
    if (rc == 0 && v == 0)
        rc = -EIO; /* no such counter */
    if (rc == 0)
        *last = v;
    return rc;
}

/* ---- write batches ---- */

static int apply_op(struct store_sqlite *s, struct store_op *op)
{
    switch (op->kind) {
    case STORE_DOC_PUT:
    case STORE_DOC_DELETE:
    case STORE_DOC_DELETE_PREFIX:
        return store_sqlite_doc_apply(s, op);
    case STORE_Q_ENQUEUE:
    case STORE_Q_ACK:
    case STORE_Q_RELEASE:
    case STORE_Q_PURGE:
        return store_sqlite_queue_apply(s, op);
    case STORE_OLOG_APPEND:
        return store_sqlite_olog_apply(s, op);
    case STORE_ITEM_PUT:
    case STORE_ITEM_DELETE:
        return store_sqlite_item_apply(s, op);
    }
    return -EINVAL;
}

static int sq_apply(struct store *base, struct store_op *ops, size_t n, size_t *failed)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    size_t i = 0;
    pthread_mutex_lock(&s->mu);
    int rc = exec(s->db, "BEGIN IMMEDIATE");
    bool began = rc == 0;
    for (; rc == 0 && i < n; i++) {
        rc = apply_op(s, &ops[i]);
        if (rc != 0)
            break;
    }
    if (rc == 0 && (rc = exec(s->db, "COMMIT")) != 0)
        i = n;
    if (rc != 0 && began)
        exec(s->db, "ROLLBACK");
    pthread_mutex_unlock(&s->mu);
    if (rc != 0 && failed != NULL)
        *failed = i;
    return rc;
}

/* ---- function logs (kept as they were) ---- */

/* One stream of a batch of function log events: what migration 3's trigger
 * would have added up event by event. */
struct log_reg {
    const char *grp, *stream;
    int64_t first_ts, last_ts, bytes;
    struct log_reg *hnext;
};

#define LOG_REG_BUCKETS 256

static unsigned log_reg_hash(const char *grp, const char *stream)
{
    return (hash_str(stream) ^ hash_str(grp) * 31u) % LOG_REG_BUCKETS;
}

/* Adds ev to its stream's entry (regs has room for one entry per event). */
static void log_reg_add(struct log_reg **buckets, struct log_reg *regs, size_t *nregs,
                        const struct store_log_event *ev)
{
    struct log_reg **pp = &buckets[log_reg_hash(ev->group, ev->stream)];
    struct log_reg *r = *pp;
    while (r != NULL && (strcmp(r->stream, ev->stream) != 0 || strcmp(r->grp, ev->group) != 0))
        r = r->hnext;
    if (r == NULL) {
        r = &regs[(*nregs)++];
        *r = (struct log_reg){.grp = ev->group,
                              .stream = ev->stream,
                              .first_ts = ev->ts_ms,
                              .last_ts = ev->ts_ms,
                              .hnext = *pp};
        *pp = r;
    }
    if (ev->ts_ms < r->first_ts)
        r->first_ts = ev->ts_ms;
    if (ev->ts_ms > r->last_ts)
        r->last_ts = ev->ts_ms;
    r->bytes += (int64_t)ev->msg_len;
}

/* Registers the groups and streams of a batch and adds to their statistics.
 * Call with the mutex held, inside the batch's transaction. */
static int log_register(struct store_sqlite *s, const struct log_reg *regs, size_t n,
                        const int64_t *last_of)
{
    int64_t now_ms = clock_ms();
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const struct log_reg *r = &regs[i];
        sqlite3_bind_text(s->log_reg_group, 1, r->grp, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s->log_reg_group, 2, now_ms);
        rc = map_rc(s->db, sqlite3_step(s->log_reg_group), "logs_append");
        sqlite3_reset(s->log_reg_group);
        if (rc != 0)
            break;
        sqlite3_stmt *st = s->log_reg_stream;
        sqlite3_bind_text(st, 1, r->grp, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, r->stream, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, now_ms);
        sqlite3_bind_int64(st, 4, r->first_ts);
        sqlite3_bind_int64(st, 5, r->last_ts);
        sqlite3_bind_int64(st, 6, last_of[i]);
        sqlite3_bind_int64(st, 7, r->bytes);
        rc = map_rc(s->db, sqlite3_step(st), "logs_append");
        sqlite3_reset(st);
    }
    sqlite3_clear_bindings(s->log_reg_group);
    sqlite3_clear_bindings(s->log_reg_stream);
    return rc;
}

static int sq_logs_append(struct store *base, const struct store_log_event *ev, size_t n)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    struct log_reg *buckets[LOG_REG_BUCKETS] = {NULL};
    struct log_reg *regs = malloc((n > 0 ? n : 1) * sizeof(*regs));
    int64_t *last_of = malloc((n > 0 ? n : 1) * sizeof(*last_of));
    if (regs == NULL || last_of == NULL)
        abort();
    size_t nregs = 0;
    for (size_t i = 0; i < n; i++)
        log_reg_add(buckets, regs, &nregs, &ev[i]);
    /* last_ingest: the time of each stream's last event in the batch. */
    for (size_t i = 0; i < nregs; i++)
        last_of[i] = regs[i].first_ts;
    for (size_t i = 0; i < n; i++) {
        struct log_reg *r = buckets[log_reg_hash(ev[i].group, ev[i].stream)];
        while (strcmp(r->stream, ev[i].stream) != 0 || strcmp(r->grp, ev[i].group) != 0)
            r = r->hnext;
        last_of[r - regs] = ev[i].ts_ms;
    }
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
        rc = log_register(s, regs, nregs, last_of);
    if (rc == 0)
        rc = exec(s->db, "COMMIT");
    else
        exec(s->db, "ROLLBACK");
    pthread_mutex_unlock(&s->mu);
    free(regs);
    free(last_of);
    return rc;
}

#define LOG_TRIM_CHUNK           5000 /* events deleted per transaction by the storage cap */
#define LOG_TRIM_CHUNKS_PER_CALL 4    /* transactions per store_logs_trim call */

/* Freed bytes of one stream, while the cap deletes. */
struct trim_stream {
    char *grp, *stream;
    int64_t bytes;
};

struct trim_chunk {
    struct trim_stream *s;
    size_t n, cap;
    int64_t last_id, events;
};

static void trim_note(struct trim_chunk *c, const char *grp, const char *stream, int64_t bytes)
{
    for (size_t i = c->n; i > 0; i--) {
        struct trim_stream *t = &c->s[i - 1];
        if (strcmp(t->stream, stream) == 0 && strcmp(t->grp, grp) == 0) {
            t->bytes += bytes;
            return;
        }
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->s = xrealloc(c->s, c->cap * sizeof(*c->s));
    }
    struct trim_stream *t = &c->s[c->n++];
    t->grp = xstrdup(grp);
    t->stream = xstrdup(stream);
    t->bytes = bytes;
}

static void trim_chunk_free(struct trim_chunk *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->s[i].grp);
        free(c->s[i].stream);
    }
    free(c->s);
}

/* Runs sql with the given text and integer parameters (NULL / skipped when
 * absent). Call with the mutex held. */
static int trim_run(struct store_sqlite *s, const char *sql, const char *t1, const char *t2,
                    int64_t i3)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        log_error("store=sqlite prepare_failed err=\"%s\"", sqlite3_errmsg(s->db));
        sqlite3_finalize(st);
        return -EIO;
    }
    if (t1 != NULL)
        sqlite3_bind_text(st, 1, t1, -1, SQLITE_STATIC);
    if (t2 != NULL)
        sqlite3_bind_text(st, 2, t2, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, i3);
    int rc = map_rc(s->db, sqlite3_step(st), "logs_trim");
    sqlite3_finalize(st);
    return rc;
}

/* Deletes the oldest limit events in one transaction, with their streams'
 * statistics. Call with the mutex held. */
static int trim_chunk(struct store_sqlite *s, int64_t limit, struct trim_chunk *c)
{
    sqlite3_stmt *st = NULL;
    int rc = exec(s->db, "BEGIN");
    if (rc == 0 && sqlite3_prepare_v2(s->db,
                                      "SELECT id, grp, stream, length(CAST(msg AS BLOB)) FROM "
                                      "log_events ORDER BY id LIMIT ?1",
                                      -1, &st, NULL) != SQLITE_OK)
        rc = -EIO;
    if (rc == 0)
        sqlite3_bind_int64(st, 1, limit);
    int step = SQLITE_DONE;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t bytes = sqlite3_column_int64(st, 3);
        c->last_id = sqlite3_column_int64(st, 0);
        c->events++;
        trim_note(c, (const char *)sqlite3_column_text(st, 1),
                  (const char *)sqlite3_column_text(st, 2), bytes);
    }
    if (rc == 0)
        rc = map_rc(s->db, step, "logs_trim");
    sqlite3_finalize(st);
    if (rc == 0 && c->events > 0)
        rc = trim_run(s, "DELETE FROM log_events WHERE id <= ?3", NULL, NULL, c->last_id);
    for (size_t i = 0; rc == 0 && i < c->n; i++)
        rc = trim_run(s,
                      "UPDATE log_streams SET stored_bytes = MAX(0, stored_bytes - ?3),"
                      " first_ts = (SELECT ts FROM log_events WHERE grp = ?1 AND stream = ?2"
                      " ORDER BY id LIMIT 1) WHERE grp = ?1 AND name = ?2",
                      c->s[i].grp, c->s[i].stream, c->s[i].bytes);
    if (rc == 0)
        rc = exec(s->db, "COMMIT");
    else
        exec(s->db, "ROLLBACK");
    return rc;
}

/* Bytes of the database's pages in use (not on its freelist). Call with
 * the mutex held. */
static int64_t db_used_bytes(struct store_sqlite *s)
{
    static const char *const sql[] = {"PRAGMA page_count", "PRAGMA freelist_count",
                                      "PRAGMA page_size"};
    int64_t v[3] = {0, 0, 0};
    for (size_t i = 0; i < 3; i++) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            v[i] = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return (v[0] - v[1]) * v[2];
}

/* About how many of the oldest log events to delete to free excess bytes of
 * pages: the database's bytes per event, the events counted by their row
 * ids. At least 1, at most LOG_TRIM_CHUNK. Call with the mutex held. */
static int64_t trim_estimate(struct store_sqlite *s, int64_t used, int64_t excess)
{
    sqlite3_stmt *st = NULL;
    int64_t n = 0;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT (SELECT MAX(id) FROM log_events) -"
                           " (SELECT MIN(id) FROM log_events) + 1",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    int64_t per = n > 0 ? used / n : used;
    int64_t want = per > 0 ? excess / per + 1 : 1;
    return want < LOG_TRIM_CHUNK ? want : LOG_TRIM_CHUNK;
}

static int sq_logs_trim(struct store *base, int64_t max_bytes, int64_t *deleted)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    *deleted = 0;
    pthread_mutex_lock(&s->mu);
    int64_t used = db_used_bytes(s);
    pthread_mutex_unlock(&s->mu);
    if (used <= max_bytes)
        return 0;
    int rc = 0;
    /* Down to 90 % of the cap, a bounded amount per call (the caller calls
     * again while this deletes), one chunk per mutex hold so that log
     * appends are never held up long. */
    for (int k = 0; rc == 0 && k < LOG_TRIM_CHUNKS_PER_CALL && used > max_bytes - max_bytes / 10;
         k++) {
        struct trim_chunk c = {0};
        pthread_mutex_lock(&s->mu);
        rc = trim_chunk(s, trim_estimate(s, used, used - (max_bytes - max_bytes / 10)), &c);
        used = db_used_bytes(s);
        pthread_mutex_unlock(&s->mu);
        *deleted += rc == 0 ? c.events : 0;
        int empty = c.events == 0;
        trim_chunk_free(&c);
        if (empty)
            break;
    }
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

/* CloudWatch Logs: defined in the section at the end of this file. */
static int sq_cwl_group_create(struct store *base, const char *name, int64_t now_ms);
static int sq_cwl_group_delete(struct store *base, const char *name);
static int sq_cwl_group_get(struct store *base, const char *name, struct store_cwl_group *out);
static int sq_cwl_group_retention(struct store *base, const char *name, int days);
static int sq_cwl_groups_scan(struct store *base, const char *prefix, const char *after,
                              store_cwl_group_cb *cb, void *arg);
static int sq_cwl_stream_create(struct store *base, const char *group, const char *name,
                                int64_t now_ms);
static int sq_cwl_stream_get(struct store *base, const char *group, const char *name,
                             struct store_cwl_stream *out);
static int sq_cwl_streams_scan(struct store *base, const char *group, const char *prefix, int flags,
                               store_cwl_stream_cb *cb, void *arg);
static int sq_cwl_events_put(struct store *base, const char *group, const char *stream,
                             const struct store_log_event *ev, size_t n, int64_t ingest_ms,
                             int64_t *last_id);
static int sq_cwl_events_scan(struct store *base, const struct store_cwl_query *q,
                              store_cwl_event_cb *cb, void *arg);
static int sq_cwl_expire(struct store *base, int64_t now_ms, int64_t *deleted);

static const struct store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .apply = sq_apply,
    .doc_get = store_sqlite_doc_get,
    .doc_scan = store_sqlite_doc_scan,
    .q_lease = store_sqlite_queue_lease,
    .q_count = store_sqlite_queue_count,
    .q_scan = store_sqlite_queue_scan,
    .olog_read = store_sqlite_olog_read,
    .olog_bounds = store_sqlite_olog_bounds,
    .olog_trim = store_sqlite_olog_trim,
    .item_get = store_sqlite_item_get,
    .item_scan = store_sqlite_item_scan,
    .logs_append = sq_logs_append,
    .logs_trim = sq_logs_trim,
    .logs_scan = sq_logs_scan,
    .cwl_group_create = sq_cwl_group_create,
    .cwl_group_delete = sq_cwl_group_delete,
    .cwl_group_get = sq_cwl_group_get,
    .cwl_group_retention = sq_cwl_group_retention,
    .cwl_groups_scan = sq_cwl_groups_scan,
    .cwl_stream_create = sq_cwl_stream_create,
    .cwl_stream_get = sq_cwl_stream_get,
    .cwl_streams_scan = sq_cwl_streams_scan,
    .cwl_events_put = sq_cwl_events_put,
    .cwl_events_scan = sq_cwl_events_scan,
    .cwl_expire = sq_cwl_expire,
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
    if ((rc = exec(
             s->db,
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-32768;")) != 0 ||
        (rc = migrate(s->db)) != 0)
        goto out;
    rc = -EIO;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO log_events (grp, stream, ts, msg) VALUES (?, ?, ?, ?)", -1,
                           &s->log_put, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "INSERT OR IGNORE INTO log_groups (name, created_ms) VALUES (?1, ?2)",
                           -1, &s->log_reg_group, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(
            s->db,
            "INSERT INTO log_streams (grp, name, created_ms, first_ts, last_ts,"
            " last_ingest, stored_bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)" CWL_UPSERT_STREAM,
            -1, &s->log_reg_stream, NULL) != SQLITE_OK ||
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

/* ---- CloudWatch Logs ----
 * Groups and streams are rows of log_groups and log_streams; the trigger of
 * migration 3 adds the group and stream of every inserted event and keeps
 * the stream's statistics, so function logs (written by sq_logs_append)
 * appear without any call here. These operations run rarely compared with
 * log appends, so each prepares its statement per call. */

#define CWL_DELETE_BATCH 5000 /* events deleted per statement, between mutex releases */

/* Prepares sql; on failure logs and returns -EIO. Call with the mutex held. */
static int cwl_prep(struct store_sqlite *s, const char *sql, sqlite3_stmt **out)
{
    if (sqlite3_prepare_v2(s->db, sql, -1, out, NULL) != SQLITE_OK) {
        log_error("store=sqlite prepare_failed err=\"%s\"", sqlite3_errmsg(s->db));
        sqlite3_finalize(*out);
        *out = NULL;
        return -EIO;
    }
    return 0;
}

/* Runs a one-shot statement with up to two text parameters and an integer;
 * writes sqlite3_changes to *changes when asked. Call with the mutex held. */
static int cwl_run(struct store_sqlite *s, const char *sql, const char *t1, const char *t2,
                   int64_t i3, int *changes, const char *what)
{
    sqlite3_stmt *st = NULL;
    int rc = cwl_prep(s, sql, &st);
    if (rc != 0)
        return rc;
    if (t1 != NULL)
        sqlite3_bind_text(st, 1, t1, -1, SQLITE_STATIC);
    if (t2 != NULL)
        sqlite3_bind_text(st, 2, t2, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, i3);
    rc = map_rc(s->db, sqlite3_step(st), what);
    if (rc == 0 && changes != NULL)
        *changes = sqlite3_changes(s->db);
    sqlite3_finalize(st);
    return rc;
}

/* Writes to *found whether sql (parameters t1, t2) returns a row. Call with
 * the mutex held. */
static int cwl_exists(struct store_sqlite *s, const char *sql, const char *t1, const char *t2,
                      int *found)
{
    sqlite3_stmt *st = NULL;
    int rc = cwl_prep(s, sql, &st);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(st, 1, t1, -1, SQLITE_STATIC);
    if (t2 != NULL)
        sqlite3_bind_text(st, 2, t2, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    *found = step == SQLITE_ROW;
    rc = step == SQLITE_ROW ? 0 : map_rc(s->db, step, "cwl_exists");
    sqlite3_finalize(st);
    return rc;
}

static int64_t col_ts(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, col);
}

static int sq_cwl_group_create(struct store *base, const char *name, int64_t now_ms)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    int changes = 0;
    pthread_mutex_lock(&s->mu);
    int rc = cwl_run(s, "INSERT OR IGNORE INTO log_groups (name, created_ms) VALUES (?1, ?3)", name,
                     NULL, now_ms, &changes, "cwl_group_create");
    pthread_mutex_unlock(&s->mu);
    return rc == 0 && changes == 0 ? -EEXIST : rc;
}

/* Deletes up to CWL_DELETE_BATCH events of grp older than before_ts and no
 * newer than row max_id; writes how many to *n. Call with the mutex held. */
static int cwl_delete_batch(struct store_sqlite *s, const char *grp, int64_t before_ts,
                            int64_t max_id, int *n)
{
    sqlite3_stmt *st = NULL;
    int rc = cwl_prep(s,
                      "DELETE FROM log_events WHERE id IN (SELECT id FROM log_events WHERE grp = ?1"
                      " AND ts < ?2 AND id <= ?3 LIMIT ?4)",
                      &st);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(st, 1, grp, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, before_ts);
    sqlite3_bind_int64(st, 3, max_id);
    sqlite3_bind_int(st, 4, CWL_DELETE_BATCH);
    rc = map_rc(s->db, sqlite3_step(st), "cwl_delete_events");
    *n = rc == 0 ? sqlite3_changes(s->db) : 0;
    sqlite3_finalize(st);
    return rc;
}

/* Deletes grp's events older than before_ts that exist now, in batches,
 * taking the mutex per batch so that log appends are never held up long. */
static int cwl_delete_events(struct store_sqlite *s, const char *grp, int64_t before_ts,
                             int64_t *deleted)
{
    int64_t max_id = 0;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = NULL;
    int rc = cwl_prep(s, "SELECT COALESCE(MAX(id), 0) FROM log_events", &st);
    if (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
        max_id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    for (int n = CWL_DELETE_BATCH; rc == 0 && n == CWL_DELETE_BATCH;) {
        pthread_mutex_lock(&s->mu);
        rc = cwl_delete_batch(s, grp, before_ts, max_id, &n);
        pthread_mutex_unlock(&s->mu);
        *deleted += n;
    }
    return rc;
}

static int sq_cwl_group_delete(struct store *base, const char *name)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    int changes = 0;
    pthread_mutex_lock(&s->mu);
    int rc = exec(s->db, "BEGIN");
    if (rc == 0)
        rc = cwl_run(s, "DELETE FROM log_groups WHERE name = ?1", name, NULL, 0, &changes,
                     "cwl_group_delete");
    if (rc == 0)
        rc = cwl_run(s, "DELETE FROM log_streams WHERE grp = ?1", name, NULL, 0, NULL,
                     "cwl_group_delete");
    if (rc == 0)
        rc = exec(s->db, "COMMIT");
    else
        exec(s->db, "ROLLBACK");
    pthread_mutex_unlock(&s->mu);
    if (rc != 0)
        return rc;
    if (changes == 0)
        return -ENOENT;
    int64_t deleted = 0;
    return cwl_delete_events(s, name, INT64_MAX, &deleted);
}

static int sq_cwl_group_get(struct store *base, const char *name, struct store_cwl_group *out)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->mu);
    int rc = cwl_prep(s,
                      "SELECT created_ms, retention_days, (SELECT COALESCE(SUM(stored_bytes), 0)"
                      " FROM log_streams WHERE grp = ?1) FROM log_groups WHERE name = ?1",
                      &st);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            *out = (struct store_cwl_group){
                .name = name,
                .created_ms = sqlite3_column_int64(st, 0),
                .retention_days = sqlite3_column_int(st, 1),
                .stored_bytes = sqlite3_column_int64(st, 2),
            };
        } else {
            rc = step == SQLITE_DONE ? -ENOENT : map_rc(s->db, step, "cwl_group_get");
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int sq_cwl_group_retention(struct store *base, const char *name, int days)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    int changes = 0;
    pthread_mutex_lock(&s->mu);
    int rc = cwl_run(s, "UPDATE log_groups SET retention_days = ?3 WHERE name = ?1", name, NULL,
                     days, &changes, "cwl_group_retention");
    pthread_mutex_unlock(&s->mu);
    return rc == 0 && changes == 0 ? -ENOENT : rc;
}

static int sq_cwl_groups_scan(struct store *base, const char *prefix, const char *after,
                              store_cwl_group_cb *cb, void *arg)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    sqlite3_stmt *st = NULL;
    int step = SQLITE_DONE;
    pthread_mutex_lock(&s->mu);
    int rc = cwl_prep(s,
                      "SELECT g.name, g.created_ms, g.retention_days, (SELECT COALESCE("
                      "SUM(stored_bytes), 0) FROM log_streams WHERE grp = g.name) FROM log_groups g"
                      " WHERE g.name > ?1 AND g.name >= ?2 AND substr(g.name, 1, length(?2)) = ?2"
                      " ORDER BY g.name",
                      &st);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, after, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
        while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
            struct store_cwl_group g = {
                .name = (const char *)sqlite3_column_text(st, 0),
                .created_ms = sqlite3_column_int64(st, 1),
                .retention_days = sqlite3_column_int(st, 2),
                .stored_bytes = sqlite3_column_int64(st, 3),
            };
            rc = cb(&g, arg);
        }
        if (rc == 0)
            rc = map_rc(s->db, step, "cwl_groups_scan");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int sq_cwl_stream_create(struct store *base, const char *group, const char *name,
                                int64_t now_ms)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    int found = 0, changes = 0;
    pthread_mutex_lock(&s->mu);
    int rc = exec(s->db, "BEGIN");
    if (rc == 0)
        rc = cwl_exists(s, "SELECT 1 FROM log_groups WHERE name = ?1", group, NULL, &found);
    if (rc == 0 && found != 0)
        rc = cwl_run(
            s, "INSERT OR IGNORE INTO log_streams (grp, name, created_ms) VALUES (?1, ?2, ?3)",
            group, name, now_ms, &changes, "cwl_stream_create");
    if (rc == 0)
        rc = exec(s->db, "COMMIT");
    else
        exec(s->db, "ROLLBACK");
    pthread_mutex_unlock(&s->mu);
    if (rc != 0)
        return rc;
    return found == 0 ? -ENOENT : changes == 0 ? -EEXIST : 0;
}

#define CWL_STREAM_COLS "name, created_ms, first_ts, last_ts, last_ingest, stored_bytes"

static void cwl_stream_row(sqlite3_stmt *st, struct store_cwl_stream *out)
{
    *out = (struct store_cwl_stream){
        .name = (const char *)sqlite3_column_text(st, 0),
        .created_ms = sqlite3_column_int64(st, 1),
        .first_ts = col_ts(st, 2),
        .last_ts = col_ts(st, 3),
        .last_ingest_ms = col_ts(st, 4),
        .stored_bytes = sqlite3_column_int64(st, 5),
    };
}

static int sq_cwl_stream_get(struct store *base, const char *group, const char *name,
                             struct store_cwl_stream *out)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->mu);
    int rc = cwl_prep(s, "SELECT " CWL_STREAM_COLS " FROM log_streams WHERE grp = ?1 AND name = ?2",
                      &st);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            cwl_stream_row(st, out);
            out->name = name;
        } else {
            rc = step == SQLITE_DONE ? -ENOENT : map_rc(s->db, step, "cwl_stream_get");
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int sq_cwl_streams_scan(struct store *base, const char *group, const char *prefix, int flags,
                               store_cwl_stream_cb *cb, void *arg)
{
    /* Index: [by last event][descending]. */
    static const char *const sql[2][2] = {
        {"SELECT " CWL_STREAM_COLS " FROM log_streams WHERE grp = ?1 AND"
         " substr(name, 1, length(?2)) = ?2 ORDER BY name",
         "SELECT " CWL_STREAM_COLS " FROM log_streams WHERE grp = ?1 AND"
         " substr(name, 1, length(?2)) = ?2 ORDER BY name DESC"},
        {"SELECT " CWL_STREAM_COLS " FROM log_streams WHERE grp = ?1 AND"
         " substr(name, 1, length(?2)) = ?2 ORDER BY COALESCE(last_ts, 0), name",
         "SELECT " CWL_STREAM_COLS " FROM log_streams WHERE grp = ?1 AND"
         " substr(name, 1, length(?2)) = ?2 ORDER BY COALESCE(last_ts, 0) DESC, name DESC"},
    };
    struct store_sqlite *s = (struct store_sqlite *)base;
    sqlite3_stmt *st = NULL;
    int step = SQLITE_DONE;
    pthread_mutex_lock(&s->mu);
    int rc = cwl_prep(
        s, sql[(flags & STORE_CWL_BY_LAST_EVENT) != 0][(flags & STORE_CWL_DESCENDING) != 0], &st);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
        while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
            struct store_cwl_stream row;
            cwl_stream_row(st, &row);
            rc = cb(&row, arg);
        }
        if (rc == 0)
            rc = map_rc(s->db, step, "cwl_streams_scan");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int sq_cwl_events_put(struct store *base, const char *group, const char *stream,
                             const struct store_log_event *ev, size_t n, int64_t ingest_ms,
                             int64_t *last_id)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    sqlite3_stmt *st = NULL;
    int found = 0;
    pthread_mutex_lock(&s->mu);
    int rc = exec(s->db, "BEGIN");
    if (rc == 0)
        rc = cwl_exists(s, "SELECT 1 FROM log_streams WHERE grp = ?1 AND name = ?2", group, stream,
                        &found);
    if (rc == 0 && found == 0)
        rc = -ENOENT;
    if (rc == 0)
        rc = cwl_prep(
            s, "INSERT INTO log_events (grp, stream, ts, msg, ingest) VALUES (?, ?, ?, ?, ?)", &st);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, stream, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, ev[i].ts_ms);
        sqlite3_bind_text(st, 4, ev[i].msg, (int)ev[i].msg_len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, ingest_ms);
        rc = map_rc(s->db, sqlite3_step(st), "cwl_events_put");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    int64_t id = sqlite3_last_insert_rowid(s->db);
    if (rc == 0)
        rc = exec(s->db, "COMMIT");
    else
        exec(s->db, "ROLLBACK");
    pthread_mutex_unlock(&s->mu);
    if (rc == 0 && last_id != NULL)
        *last_id = id;
    return rc;
}

static int sq_cwl_events_scan(struct store *base, const struct store_cwl_query *q,
                              store_cwl_event_cb *cb, void *arg)
{
    /* Index: [one stream][descending]. ?6 is the stream when there is one. */
#define CWL_EV_SELECT                                                                              \
    "SELECT id, stream, ts, COALESCE(ingest, ts), msg FROM log_events WHERE grp = ?1"              \
    " AND ts >= ?2 AND ts <= ?3"
    static const char *const sql[2][2] = {
        {CWL_EV_SELECT " AND (ts > ?4 OR (ts = ?4 AND id > ?5)) ORDER BY ts, id",
         CWL_EV_SELECT " AND (ts < ?4 OR (ts = ?4 AND id < ?5)) ORDER BY ts DESC, id DESC"},
        {CWL_EV_SELECT " AND stream = ?6 AND (ts > ?4 OR (ts = ?4 AND id > ?5)) ORDER BY ts, id",
         CWL_EV_SELECT
         " AND stream = ?6 AND (ts < ?4 OR (ts = ?4 AND id < ?5)) ORDER BY ts DESC, id DESC"},
    };
#undef CWL_EV_SELECT
    struct store_sqlite *s = (struct store_sqlite *)base;
    sqlite3_stmt *st = NULL;
    int step = SQLITE_DONE;
    pthread_mutex_lock(&s->mu);
    int rc = cwl_prep(s, sql[q->stream != NULL][q->descending != 0], &st);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, q->group, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, q->from_ts);
        sqlite3_bind_int64(st, 3, q->to_ts);
        sqlite3_bind_int64(st, 4, q->pos_ts);
        sqlite3_bind_int64(st, 5, q->pos_id);
        if (q->stream != NULL)
            sqlite3_bind_text(st, 6, q->stream, -1, SQLITE_STATIC);
        while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
            struct store_cwl_event ev = {
                .id = sqlite3_column_int64(st, 0),
                .stream = (const char *)sqlite3_column_text(st, 1),
                .ts_ms = sqlite3_column_int64(st, 2),
                .ingest_ms = sqlite3_column_int64(st, 3),
                .msg = (const char *)sqlite3_column_text(st, 4),
                .msg_len = (size_t)sqlite3_column_bytes(st, 4),
            };
            rc = cb(&ev, arg);
        }
        if (rc == 0)
            rc = map_rc(s->db, step, "cwl_events_scan");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* After events of grp were deleted: recomputes its streams' statistics. */
static int cwl_restat(struct store_sqlite *s, const char *grp)
{
    pthread_mutex_lock(&s->mu);
    int rc = cwl_run(s,
                     "UPDATE log_streams SET"
                     " first_ts = (SELECT MIN(ts) FROM log_events e WHERE e.grp = ?1"
                     " AND e.stream = log_streams.name),"
                     " last_ts = (SELECT MAX(ts) FROM log_events e WHERE e.grp = ?1"
                     " AND e.stream = log_streams.name),"
                     " stored_bytes = (SELECT COALESCE(SUM(length(CAST(msg AS BLOB))), 0)"
                     " FROM log_events e WHERE e.grp = ?1 AND e.stream = log_streams.name)"
                     " WHERE grp = ?1",
                     grp, NULL, 0, NULL, "cwl_restat");
    pthread_mutex_unlock(&s->mu);
    return rc;
}

struct cwl_expiring {
    char **names;
    int *days;
    size_t n, cap;
};

static int sq_cwl_expire(struct store *base, int64_t now_ms, int64_t *deleted)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    struct cwl_expiring ex = {0};
    sqlite3_stmt *st = NULL;
    int step = SQLITE_DONE;
    /* Collect the groups with a retention first, so that the deletes can
     * release the mutex between batches. */
    pthread_mutex_lock(&s->mu);
    int rc =
        cwl_prep(s, "SELECT name, retention_days FROM log_groups WHERE retention_days > 0", &st);
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (ex.n == ex.cap) {
            ex.cap = ex.cap ? ex.cap * 2 : 16;
            char **nn = realloc(ex.names, ex.cap * sizeof(*nn));
            int *nd = nn != NULL ? realloc(ex.days, ex.cap * sizeof(*nd)) : NULL;
            if (nn != NULL)
                ex.names = nn;
            if (nd != NULL)
                ex.days = nd;
            if (nn == NULL || nd == NULL) {
                rc = -ENOMEM;
                break;
            }
        }
        ex.names[ex.n] = strdup((const char *)sqlite3_column_text(st, 0));
        ex.days[ex.n] = sqlite3_column_int(st, 1);
        if (ex.names[ex.n] == NULL)
            rc = -ENOMEM;
        else
            ex.n++;
    }
    if (rc == 0)
        rc = map_rc(s->db, step, "cwl_expire");
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; rc == 0 && i < ex.n; i++) {
        int64_t before = now_ms - (int64_t)ex.days[i] * 86400000;
        int64_t n = 0;
        rc = cwl_delete_events(s, ex.names[i], before, &n);
        if (rc == 0 && n > 0)
            rc = cwl_restat(s, ex.names[i]);
        *deleted += n;
    }
    for (size_t i = 0; i < ex.n; i++)
        free(ex.names[i]);
    free(ex.names);
    free(ex.days);
    return rc;
}
