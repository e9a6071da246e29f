/* SPDX-License-Identifier: MIT */
/*
 * SQLite backend: ordered logs. olog_partitions keeps each partition's last
 * sequence number (so trimming never lets one be reused: the row stays when
 * its records go); olog_records holds the records under (log, part, seq),
 * WITHOUT ROWID so a partition is stored in sequence order and a read from a
 * position is one range scan. An index on (log, part, ts_ms) serves trimming
 * by age; trimming by count or size finds the cut with one query.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"

static const char *const sql[SQS_N] = {
    [SQS_OLOG_NEXT] = "INSERT INTO olog_partitions (log, part, last_seq) VALUES (?1, ?2, 1)"
                      " ON CONFLICT (log, part) DO UPDATE SET last_seq = last_seq + 1"
                      " RETURNING last_seq",
    [SQS_OLOG_INSERT] = "INSERT INTO olog_records (log, part, seq, ts_ms, key, data)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [SQS_OLOG_READ] = "SELECT seq, ts_ms, key, data FROM olog_records WHERE log = ?1"
                      " AND part = ?2 AND seq >= ?3 ORDER BY seq LIMIT ?4",
    [SQS_OLOG_BOUNDS] = "SELECT p.last_seq, (SELECT MIN(seq) FROM olog_records r WHERE r.log = ?1"
                        " AND r.part = ?2) FROM olog_partitions p WHERE p.log = ?1 AND p.part = ?2",
    [SQS_OLOG_TRIM_AGE] = "DELETE FROM olog_records WHERE log = ?1 AND part = ?2 AND ts_ms < ?3",
    [SQS_OLOG_TRIM_COUNT] = "DELETE FROM olog_records WHERE log = ?1 AND part = ?2 AND seq <"
                            " (SELECT seq FROM olog_records WHERE log = ?1 AND part = ?2"
                            " ORDER BY seq DESC LIMIT 1 OFFSET ?3 - 1)",
    [SQS_OLOG_TRIM_BYTES] = "DELETE FROM olog_records WHERE log = ?1 AND part = ?2 AND seq <="
                            " (SELECT MAX(seq) FROM (SELECT seq, SUM(length(data)) OVER"
                            " (ORDER BY seq DESC) AS total FROM olog_records WHERE log = ?1"
                            " AND part = ?2) WHERE total > ?3)",
    [SQS_OLOG_PARTS] = "SELECT part FROM olog_partitions WHERE log = ?1 ORDER BY part",
};

static sqlite3_stmt *stmt(struct store_sqlite *s, enum store_sqlite_stmt id)
{
    return store_sqlite_stmt(s, id, sql[id]);
}

int store_sqlite_olog_apply(struct store_sqlite *s, struct store_op *op)
{
    struct store_olog_op *o = &op->olog;
    if (op->kind != STORE_OLOG_APPEND || o->log == NULL || o->part == NULL)
        return -EINVAL;
    sqlite3_stmt *st = stmt(s, SQS_OLOG_NEXT);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, o->log, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, o->part, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    int64_t seq = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    /* Finish the statement: RETURNING rows are produced before it completes. */
    while (step == SQLITE_ROW)
        step = sqlite3_step(st);
    sqlite3_reset(st);
    int rc = store_sqlite_rc(s, step, "olog_next");
    if (rc != 0 || (st = stmt(s, SQS_OLOG_INSERT)) == NULL)
        return rc != 0 ? rc : -EIO;
    sqlite3_bind_text(st, 1, o->log, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, o->part, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, seq);
    sqlite3_bind_int64(st, 4, o->ts_ms);
    if (o->key != NULL)
        sqlite3_bind_text(st, 5, o->key, -1, SQLITE_STATIC);
    if (o->len > 0)
        sqlite3_bind_blob(st, 6, o->data, (int)o->len, SQLITE_STATIC);
    else
        sqlite3_bind_zeroblob(st, 6, 0);
    rc = store_sqlite_run(s, st, "olog_append");
    if (rc == 0)
        o->seq = seq;
    return rc;
}

int store_sqlite_olog_read(struct store *base, const char *log, const char *part, int64_t from_seq,
                           size_t limit, store_orec_cb *cb, void *arg)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    int rc = -EIO, step = SQLITE_DONE;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = stmt(s, SQS_OLOG_READ);
    if (st != NULL) {
        sqlite3_bind_text(st, 1, log, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, part, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, from_seq);
        sqlite3_bind_int64(st, 4, limit > 0 ? (int64_t)limit : -1);
        rc = 0;
        while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
            struct store_orec r = {
                .log = log,
                .part = part,
                .seq = sqlite3_column_int64(st, 0),
                .ts_ms = sqlite3_column_int64(st, 1),
                .key = sqlite3_column_type(st, 2) == SQLITE_NULL
                           ? NULL
                           : (const char *)sqlite3_column_text(st, 2),
                .data = sqlite3_column_blob(st, 3),
                .len = (size_t)sqlite3_column_bytes(st, 3),
            };
            rc = cb(&r, arg);
        }
        if (rc == 0)
            rc = store_sqlite_rc(s, step, "olog_read");
        sqlite3_reset(st);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int store_sqlite_olog_bounds(struct store *base, const char *log, const char *part, int64_t *first,
                             int64_t *last)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    int rc = -EIO;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = stmt(s, SQS_OLOG_BOUNDS);
    if (st != NULL) {
        sqlite3_bind_text(st, 1, log, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, part, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        int64_t l = 0, f = 1;
        if (step == SQLITE_ROW) {
            l = sqlite3_column_int64(st, 0);
            f = sqlite3_column_type(st, 1) == SQLITE_NULL ? l + 1 : sqlite3_column_int64(st, 1);
        }
        rc = store_sqlite_rc(s, step, "olog_bounds");
        sqlite3_reset(st);
        if (rc == 0) {
            *first = f;
            *last = l;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Applies t's rules to one partition. */
static int trim_part(struct store_sqlite *s, const char *log, const char *part,
                     const struct store_olog_trim *t, int64_t *deleted)
{
    static const enum store_sqlite_stmt ids[3] = {SQS_OLOG_TRIM_AGE, SQS_OLOG_TRIM_COUNT,
                                                  SQS_OLOG_TRIM_BYTES};
    const int64_t vals[3] = {t->before_ms, t->max_count, t->max_bytes};
    int rc = 0;
    for (int i = 0; rc == 0 && i < 3; i++) {
        if (vals[i] <= 0)
            continue;
        sqlite3_stmt *st = stmt(s, ids[i]);
        if (st == NULL)
            return -EIO;
        sqlite3_bind_text(st, 1, log, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, part, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, vals[i]);
        rc = store_sqlite_run(s, st, "olog_trim");
        if (rc == 0)
            *deleted += sqlite3_changes(s->db);
    }
    return rc;
}

/* Collects log's partition names into *parts (new, each and the array
 * freed by the caller); writes the count to *n. */
static int list_parts(struct store_sqlite *s, const char *log, char ***parts, size_t *n)
{
    sqlite3_stmt *st = stmt(s, SQS_OLOG_PARTS);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, log, -1, SQLITE_STATIC);
    char **v = NULL;
    size_t k = 0, cap = 0;
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (k == cap) {
            cap = cap ? cap * 2 : 8;
            char **nv = realloc(v, cap * sizeof(*nv));
            if (nv == NULL) {
                rc = -ENOMEM;
                break;
            }
            v = nv;
        }
        if ((v[k] = strdup((const char *)sqlite3_column_text(st, 0))) == NULL)
            rc = -ENOMEM;
        else
            k++;
    }
    if (rc == 0)
        rc = store_sqlite_rc(s, step, "olog_parts");
    sqlite3_reset(st);
    *parts = v;
    *n = k;
    return rc;
}

int store_sqlite_olog_trim(struct store *base, const char *log, const char *part,
                           const struct store_olog_trim *t, int64_t *deleted)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    char **parts = NULL;
    size_t n = 0;
    int64_t count = 0;
    pthread_mutex_lock(&s->mu);
    int rc = store_sqlite_exec(s, "BEGIN IMMEDIATE");
    bool began = rc == 0;
    if (rc == 0 && part != NULL)
        rc = trim_part(s, log, part, t, &count);
    else if (rc == 0)
        rc = list_parts(s, log, &parts, &n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = trim_part(s, log, parts[i], t, &count);
    if (rc == 0)
        rc = store_sqlite_exec(s, "COMMIT");
    if (rc != 0 && began)
        store_sqlite_exec(s, "ROLLBACK");
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < n; i++)
        free(parts[i]);
    free(parts);
    if (rc == 0 && deleted != NULL)
        *deleted += count;
    return rc;
}
