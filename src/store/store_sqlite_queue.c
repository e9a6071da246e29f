/* SPDX-License-Identifier: MIT */
/*
 * SQLite backend: durable queues. queue_messages holds every queue's
 * messages (AUTOINCREMENT ids, so an id is never reused and a receipt can
 * never name a later message); an index on (queue, visible_ms, id) finds the
 * visible ones in the order they became visible, one on (queue, grp,
 * visible_ms, id) serves purges by group and the FIFO check (which seeks
 * only a group's invisible messages, typically the few in flight). queue_dedup remembers
 * de-duplication ids until their window ends, also after the message itself was deleted (as SQS
 * does). A lease picks ids first and then updates each one with UPDATE ... RETURNING, so the scan
 * never sees rows it has just changed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "base/err.h"
#include "store_sqlite.h"

#define MSG_COLS "id, queue, grp, dedup, attrs, body, sent_ms, visible_ms, receive_count, token"
#define FIFO_FREE                                                                                  \
    "NOT EXISTS (SELECT 1 FROM queue_messages p WHERE p.queue = m.queue AND p.grp = m.grp"         \
    " AND p.id < m.id AND p.visible_ms > ?2)"

static const char *const sql[SQS_N] = {
    [SQS_Q_INSERT] = "INSERT INTO queue_messages (queue, grp, dedup, body, attrs, sent_ms,"
                     " visible_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [SQS_Q_DEDUP_GET] = "SELECT msg_id FROM queue_dedup WHERE queue = ?1 AND dedup = ?2",
    [SQS_Q_DEDUP_PUT] = "INSERT OR REPLACE INTO queue_dedup (queue, dedup, msg_id, expires_ms)"
                        " VALUES (?1, ?2, ?3, ?4)",
    [SQS_Q_DEDUP_PRUNE] = "DELETE FROM queue_dedup WHERE queue = ?1 AND expires_ms <= ?2",
    [SQS_Q_ACK] = "DELETE FROM queue_messages WHERE id = ?1 AND queue = ?2"
                  " AND (?3 = 0 OR token = ?3)",
    [SQS_Q_RELEASE] = "UPDATE queue_messages SET visible_ms = ?4, token = 0, receive_count ="
                      " CASE WHEN ?5 >= 0 THEN ?5 ELSE receive_count END"
                      " WHERE id = ?1 AND queue = ?2 AND (?3 = 0 OR token = ?3)",
    [SQS_Q_EXISTS] = "SELECT 1 FROM queue_messages WHERE id = ?1 AND queue = ?2",
    [SQS_Q_PURGE] = "DELETE FROM queue_messages WHERE queue = ?1 AND (?2 = 0 OR sent_ms < ?2)",
    [SQS_Q_PURGE_GROUP] = "DELETE FROM queue_messages WHERE queue = ?1 AND grp = ?3"
                          " AND (?2 = 0 OR sent_ms < ?2)",
    [SQS_Q_PICK] = "SELECT id FROM queue_messages WHERE queue = ?1 AND visible_ms <= ?2"
                   " ORDER BY visible_ms, id LIMIT ?3",
    [SQS_Q_PICK_FIFO] = "SELECT m.id FROM queue_messages m WHERE m.queue = ?1"
                        " AND m.visible_ms <= ?2 AND " FIFO_FREE " ORDER BY m.id LIMIT ?3",
    [SQS_Q_PICK_GROUP] = "SELECT m.id FROM queue_messages m WHERE m.queue = ?1 AND m.grp = ?4"
                         " AND m.visible_ms <= ?2 AND (?5 = 0 OR " FIFO_FREE ")"
                         " ORDER BY m.id LIMIT ?3",
    [SQS_Q_TAKE] = "UPDATE queue_messages SET visible_ms = ?2, receive_count = receive_count + 1,"
                   " token = ?3 WHERE id = ?1 RETURNING " MSG_COLS,
    [SQS_Q_COUNT] = "SELECT COALESCE(SUM(visible_ms <= ?2), 0),"
                    " COALESCE(SUM(visible_ms > ?2 AND token != 0), 0),"
                    " COALESCE(SUM(visible_ms > ?2 AND token = 0), 0), COALESCE(MIN(sent_ms), 0)"
                    " FROM queue_messages WHERE queue = ?1",
    [SQS_Q_SCAN] = "SELECT " MSG_COLS " FROM queue_messages WHERE queue = ?1 AND id > ?2"
                   " ORDER BY id LIMIT ?3",
};

static sqlite3_stmt *stmt(struct store_sqlite *s, enum store_sqlite_stmt id)
{
    return store_sqlite_stmt(s, id, sql[id]);
}

static const char *opt_text(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NULL
                                                     : (const char *)sqlite3_column_text(st, i);
}

static void msg_row(sqlite3_stmt *st, struct store_msg *m)
{
    *m = (struct store_msg){
        .id = sqlite3_column_int64(st, 0),
        .queue = (const char *)sqlite3_column_text(st, 1),
        .group = (const char *)sqlite3_column_text(st, 2),
        .dedup = opt_text(st, 3),
        .attrs = opt_text(st, 4),
        .body = sqlite3_column_blob(st, 5),
        .body_len = (size_t)sqlite3_column_bytes(st, 5),
        .sent_ms = sqlite3_column_int64(st, 6),
        .visible_ms = sqlite3_column_int64(st, 7),
        .receive_count = sqlite3_column_int(st, 8),
        .token = (uint64_t)sqlite3_column_int64(st, 9),
    };
}

/* Writes to *id the live message id remembered for q->dedup, or 0. */
static int dedup_find(struct store_sqlite *s, const struct store_q_op *q, int64_t *id)
{
    sqlite3_stmt *st = stmt(s, SQS_Q_DEDUP_PRUNE);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, q->queue, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, q->now_ms);
    int rc = store_sqlite_run(s, st, "q_dedup_prune");
    if (rc != 0 || (st = stmt(s, SQS_Q_DEDUP_GET)) == NULL)
        return rc != 0 ? rc : -EIO;
    sqlite3_bind_text(st, 1, q->queue, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, q->dedup, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    *id = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    rc = step == SQLITE_ROW ? 0 : store_sqlite_rc(s, step, "q_dedup_get");
    sqlite3_reset(st);
    return rc;
}

static int enqueue(struct store_sqlite *s, struct store_q_op *q)
{
    int64_t first = 0;
    int rc = q->dedup != NULL ? dedup_find(s, q, &first) : 0;
    if (rc != 0)
        return rc;
    if (first != 0) {
        q->id = first;
        q->duplicate = true;
        return 0;
    }
    sqlite3_stmt *st = stmt(s, SQS_Q_INSERT);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, q->queue, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, q->group != NULL ? q->group : "", -1, SQLITE_STATIC);
    if (q->dedup != NULL)
        sqlite3_bind_text(st, 3, q->dedup, -1, SQLITE_STATIC);
    if (q->body_len > 0)
        sqlite3_bind_blob(st, 4, q->body, (int)q->body_len, SQLITE_STATIC);
    else
        sqlite3_bind_zeroblob(st, 4, 0);
    if (q->attrs != NULL)
        sqlite3_bind_text(st, 5, q->attrs, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, q->now_ms);
    sqlite3_bind_int64(st, 7, q->now_ms + (q->delay_ms > 0 ? q->delay_ms : 0));
    if ((rc = store_sqlite_run(s, st, "q_enqueue")) != 0)
        return rc;
    int64_t id = sqlite3_last_insert_rowid(s->db);
    if (q->dedup != NULL) {
        if ((st = stmt(s, SQS_Q_DEDUP_PUT)) == NULL)
            return -EIO;
        sqlite3_bind_text(st, 1, q->queue, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, q->dedup, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, id);
        sqlite3_bind_int64(st, 4, q->now_ms + q->dedup_window_ms);
        if ((rc = store_sqlite_run(s, st, "q_dedup_put")) != 0)
            return rc;
    }
    q->id = id;
    q->duplicate = false;
    return 0;
}

/* ACK or RELEASE: nothing matched. -ENOENT for a receipt of a message that
 * is gone (owner bookkeeping, token 0, is idempotent), ERR_CONFLICT for a
 * message leased again since. */
static int unmatched(struct store_sqlite *s, const struct store_q_op *q)
{
    sqlite3_stmt *st = stmt(s, SQS_Q_EXISTS);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, q->id);
    sqlite3_bind_text(st, 2, q->queue, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    if (step == SQLITE_ROW)
        return ERR_CONFLICT;
    if (step != SQLITE_DONE)
        return store_sqlite_rc(s, step, "q_exists");
    return q->token != 0 ? -ENOENT : 0;
}

static int ack_release(struct store_sqlite *s, enum store_op_kind kind, const struct store_q_op *q)
{
    sqlite3_stmt *st = stmt(s, kind == STORE_Q_ACK ? SQS_Q_ACK : SQS_Q_RELEASE);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, q->id);
    sqlite3_bind_text(st, 2, q->queue, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)q->token);
    if (kind == STORE_Q_RELEASE) {
        sqlite3_bind_int64(st, 4, q->visible_ms);
        sqlite3_bind_int(st, 5, q->receive_count);
    }
    int rc = store_sqlite_run(s, st, kind == STORE_Q_ACK ? "q_ack" : "q_release");
    if (rc == 0 && sqlite3_changes(s->db) == 0)
        rc = unmatched(s, q);
    return rc;
}

static int purge(struct store_sqlite *s, const struct store_q_op *q)
{
    bool grp = q->group != NULL;
    sqlite3_stmt *st = stmt(s, grp ? SQS_Q_PURGE_GROUP : SQS_Q_PURGE);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, q->queue, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, q->before_ms);
    if (grp)
        sqlite3_bind_text(st, 3, q->group, -1, SQLITE_STATIC);
    return store_sqlite_run(s, st, "q_purge");
}

int store_sqlite_queue_apply(struct store_sqlite *s, struct store_op *op)
{
    if (op->q.queue == NULL)
        return -EINVAL;
    switch (op->kind) {
    case STORE_Q_ENQUEUE:
        return enqueue(s, &op->q);
    case STORE_Q_ACK:
    case STORE_Q_RELEASE:
        return ack_release(s, op->kind, &op->q);
    case STORE_Q_PURGE:
        return purge(s, &op->q);
    default:
        return -EINVAL;
    }
}

/* Picks up to l->max ids to lease into ids; writes how many to *n. */
static int pick(struct store_sqlite *s, const struct store_lease *l, int64_t *ids, size_t *n)
{
    bool fifo = (l->flags & STORE_LEASE_FIFO) != 0;
    enum store_sqlite_stmt id = l->group != NULL ? SQS_Q_PICK_GROUP
                                : fifo           ? SQS_Q_PICK_FIFO
                                                 : SQS_Q_PICK;
    sqlite3_stmt *st = stmt(s, id);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, l->queue, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, l->now_ms);
    sqlite3_bind_int64(st, 3, (int64_t)l->max);
    if (l->group != NULL) {
        sqlite3_bind_text(st, 4, l->group, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 5, fifo);
    }
    int step = SQLITE_DONE;
    size_t k = 0;
    while (k < l->max && (step = sqlite3_step(st)) == SQLITE_ROW)
        ids[k++] = sqlite3_column_int64(st, 0);
    int rc = k == l->max ? 0 : store_sqlite_rc(s, step, "q_pick");
    sqlite3_reset(st);
    *n = k;
    return rc;
}

/* Leases the picked ids (tokens last - n + 1 .. last), calling cb for each. */
static int take(struct store_sqlite *s, const struct store_lease *l, const int64_t *ids, size_t n,
                int64_t last, store_msg_cb *cb, void *arg)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        sqlite3_stmt *st = stmt(s, SQS_Q_TAKE);
        if (st == NULL)
            return -EIO;
        sqlite3_bind_int64(st, 1, ids[i]);
        sqlite3_bind_int64(st, 2, l->now_ms + l->visibility_ms);
        sqlite3_bind_int64(st, 3, last - (int64_t)(n - 1 - i));
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            struct store_msg m;
            msg_row(st, &m);
            rc = cb(&m, arg);
        } else {
            rc = store_sqlite_rc(s, step, "q_take");
        }
        sqlite3_reset(st);
    }
    return rc;
}

int store_sqlite_queue_lease(struct store *base, const struct store_lease *l, store_msg_cb *cb,
                             void *arg)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    int64_t *ids = malloc(l->max * sizeof(*ids));
    if (ids == NULL)
        return -ENOMEM;
    size_t n = 0;
    int64_t last = 0;
    pthread_mutex_lock(&s->mu);
    int rc = store_sqlite_exec(s, "BEGIN IMMEDIATE");
    bool began = rc == 0;
    if (rc == 0)
        rc = pick(s, l, ids, &n);
    if (rc == 0 && n > 0)
        rc = store_sqlite_counter(s, "lease", (int64_t)n, &last);
    if (rc == 0 && n > 0)
        rc = take(s, l, ids, n, last, cb, arg);
    if (rc == 0)
        rc = store_sqlite_exec(s, "COMMIT");
    if (rc != 0 && began)
        store_sqlite_exec(s, "ROLLBACK");
    pthread_mutex_unlock(&s->mu);
    free(ids);
    return rc;
}

int store_sqlite_queue_count(struct store *base, const char *queue, int64_t now_ms,
                             struct store_q_counts *out)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = stmt(s, SQS_Q_COUNT);
    int rc = -EIO;
    if (st != NULL) {
        sqlite3_bind_text(st, 1, queue, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now_ms);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            *out = (struct store_q_counts){
                .visible = sqlite3_column_int64(st, 0),
                .in_flight = sqlite3_column_int64(st, 1),
                .delayed = sqlite3_column_int64(st, 2),
                .oldest_sent_ms = sqlite3_column_int64(st, 3),
            };
            rc = 0;
        } else {
            rc = store_sqlite_rc(s, step == SQLITE_DONE ? SQLITE_ERROR : step, "q_count");
        }
        sqlite3_reset(st);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int store_sqlite_queue_scan(struct store *base, const char *queue, int64_t after_id, size_t limit,
                            store_msg_cb *cb, void *arg)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    int rc = -EIO, step = SQLITE_DONE;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = stmt(s, SQS_Q_SCAN);
    if (st != NULL) {
        sqlite3_bind_text(st, 1, queue, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, after_id);
        sqlite3_bind_int64(st, 3, limit > 0 ? (int64_t)limit : -1);
        rc = 0;
        while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
            struct store_msg m;
            msg_row(st, &m);
            rc = cb(&m, arg);
        }
        if (rc == 0)
            rc = store_sqlite_rc(s, step, "q_scan");
        sqlite3_reset(st);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}
