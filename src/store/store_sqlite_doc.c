/* SPDX-License-Identifier: MIT */
/*
 * SQLite backend: documents. One table, documents (ns, key) -> (rev, body,
 * updated_ms), WITHOUT ROWID so that a namespace's keys are stored in key
 * order and prefix scans are index range scans. Revisions come from the
 * store-wide counter "rev", so a deleted and re-created document never
 * matches a revision someone read before. Keys are UTF-8 text compared
 * bytewise (SQLite's BINARY collation); a prefix's range ends at the prefix
 * followed by the byte 0xFF, which no UTF-8 text contains.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "store_sqlite.h"

static const char *const sql[SQS_N] = {
    [SQS_DOC_GET] = "SELECT body, rev FROM documents WHERE ns = ?1 AND key = ?2",
    [SQS_DOC_INSERT] = "INSERT INTO documents (ns, key, rev, body, updated_ms)"
                       " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (ns, key) DO NOTHING",
    [SQS_DOC_UPDATE] = "UPDATE documents SET rev = ?3, body = ?4, updated_ms = ?5"
                       " WHERE ns = ?1 AND key = ?2 AND rev = ?6",
    [SQS_DOC_UPSERT] =
        "INSERT INTO documents (ns, key, rev, body, updated_ms)"
        " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (ns, key) DO UPDATE SET"
        " rev = excluded.rev, body = excluded.body, updated_ms = excluded.updated_ms",
    [SQS_DOC_DELETE] = "DELETE FROM documents WHERE ns = ?1 AND key = ?2",
    [SQS_DOC_DELETE_REV] = "DELETE FROM documents WHERE ns = ?1 AND key = ?2 AND rev = ?3",
    [SQS_DOC_DELETE_PREFIX] = "DELETE FROM documents WHERE ns = ?1 AND key >= ?2 AND key < ?3",
    [SQS_DOC_SCAN] = "SELECT key, body, rev, updated_ms FROM documents WHERE ns = ?1"
                     " AND key >= ?2 AND key < ?3 AND (?4 IS NULL OR key > ?4)"
                     " ORDER BY key LIMIT ?5",
};

/* Binds prefix at ?2 and its end (prefix + 0xFF) at ?3; *end returns new. */
static int bind_prefix(sqlite3_stmt *st, const char *prefix, char **end)
{
    size_t n = strlen(prefix);
    char *e = malloc(n + 2);
    if (e == NULL)
        return -ENOMEM;
    memcpy(e, prefix, n);
    e[n] = (char)0xff;
    e[n + 1] = '\0';
    sqlite3_bind_text(st, 2, prefix, (int)n, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, e, (int)n + 1, SQLITE_STATIC);
    *end = e;
    return 0;
}

static int doc_put(struct store_sqlite *s, struct store_doc_op *d)
{
    enum store_sqlite_stmt id = d->expect_rev == STORE_REV_ANY      ? SQS_DOC_UPSERT
                                : d->expect_rev == STORE_REV_ABSENT ? SQS_DOC_INSERT
                                                                    : SQS_DOC_UPDATE;
    if (d->expect_rev < STORE_REV_ANY)
        return -EINVAL;
    int64_t rev;
    int rc = store_sqlite_counter(s, "rev", 1, &rev);
    sqlite3_stmt *st = store_sqlite_stmt(s, id, sql[id]);
    if (rc != 0 || st == NULL)
        return rc != 0 ? rc : -EIO;
    sqlite3_bind_text(st, 1, d->ns, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, d->key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, rev);
    sqlite3_bind_text(st, 4, d->body != NULL ? d->body : "", (int)d->body_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, store_sqlite_now_ms());
    if (id == SQS_DOC_UPDATE)
        sqlite3_bind_int64(st, 6, d->expect_rev);
    if ((rc = store_sqlite_run(s, st, "doc_put")) != 0)
        return rc;
    if (sqlite3_changes(s->db) == 0)
        return ERR_CONFLICT;
    d->rev = rev;
    return 0;
}

static int doc_delete(struct store_sqlite *s, const struct store_doc_op *d)
{
    if (d->expect_rev == STORE_REV_ABSENT || d->expect_rev < STORE_REV_ANY)
        return -EINVAL;
    enum store_sqlite_stmt id =
        d->expect_rev == STORE_REV_ANY ? SQS_DOC_DELETE : SQS_DOC_DELETE_REV;
    sqlite3_stmt *st = store_sqlite_stmt(s, id, sql[id]);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, d->ns, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, d->key, -1, SQLITE_STATIC);
    if (id == SQS_DOC_DELETE_REV)
        sqlite3_bind_int64(st, 3, d->expect_rev);
    int rc = store_sqlite_run(s, st, "doc_delete");
    if (rc == 0 && id == SQS_DOC_DELETE_REV && sqlite3_changes(s->db) == 0)
        rc = ERR_CONFLICT;
    return rc;
}

static int doc_delete_prefix(struct store_sqlite *s, const struct store_doc_op *d)
{
    sqlite3_stmt *st = store_sqlite_stmt(s, SQS_DOC_DELETE_PREFIX, sql[SQS_DOC_DELETE_PREFIX]);
    char *end = NULL;
    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, d->ns, -1, SQLITE_STATIC);
    int rc = bind_prefix(st, d->key, &end);
    if (rc == 0)
        rc = store_sqlite_run(s, st, "doc_delete_prefix");
    free(end);
    return rc;
}

int store_sqlite_doc_apply(struct store_sqlite *s, struct store_op *op)
{
    if (op->doc.ns == NULL || op->doc.key == NULL)
        return -EINVAL;
    switch (op->kind) {
    case STORE_DOC_PUT:
        return doc_put(s, &op->doc);
    case STORE_DOC_DELETE:
        return doc_delete(s, &op->doc);
    case STORE_DOC_DELETE_PREFIX:
        return doc_delete_prefix(s, &op->doc);
    default:
        return -EINVAL;
    }
}

/* Copies the current row's body (column 0) and revision out. */
static int doc_row(sqlite3_stmt *st, char **body, size_t *len, int64_t *rev)
{
    size_t n = (size_t)sqlite3_column_bytes(st, 0);
    const void *p = sqlite3_column_text(st, 0);
    char *copy = malloc(n + 1);
    if (copy == NULL)
        return -ENOMEM;
    if (n > 0)
        memcpy(copy, p, n);
    copy[n] = '\0';
    if (body != NULL)
        *body = copy;
    else
        free(copy);
    if (len != NULL)
        *len = n;
    if (rev != NULL)
        *rev = sqlite3_column_int64(st, 1);
    return 0;
}

int store_sqlite_doc_get(struct store *base, const char *ns, const char *key, char **body,
                         size_t *len, int64_t *rev)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    int rc = -EIO;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = store_sqlite_stmt(s, SQS_DOC_GET, sql[SQS_DOC_GET]);
    if (st != NULL) {
        sqlite3_bind_text(st, 1, ns, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            rc = doc_row(st, body, len, rev);
        else
            rc = step == SQLITE_DONE ? -ENOENT : store_sqlite_rc(s, step, "doc_get");
        sqlite3_reset(st);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int store_sqlite_doc_scan(struct store *base, const char *ns, const char *prefix, const char *after,
                          size_t limit, store_doc_cb *cb, void *arg)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    char *end = NULL;
    int step = SQLITE_DONE;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = store_sqlite_stmt(s, SQS_DOC_SCAN, sql[SQS_DOC_SCAN]);
    int rc = st == NULL ? -EIO : bind_prefix(st, prefix, &end);
    if (rc != 0)
        goto out;
    sqlite3_bind_text(st, 1, ns, -1, SQLITE_STATIC);
    if (after[0] != '\0')
        sqlite3_bind_text(st, 4, after, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, limit > 0 ? (int64_t)limit : -1);
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_doc d = {
            .ns = ns,
            .key = (const char *)sqlite3_column_text(st, 0),
            .body = (const char *)sqlite3_column_text(st, 1),
            .body_len = (size_t)sqlite3_column_bytes(st, 1),
            .rev = sqlite3_column_int64(st, 2),
            .updated_ms = sqlite3_column_int64(st, 3),
        };
        rc = cb(&d, arg);
    }
    if (rc == 0)
        rc = store_sqlite_rc(s, step, "doc_scan");
out:
    if (st != NULL)
        sqlite3_reset(st);
    pthread_mutex_unlock(&s->mu);
    free(end);
    return rc;
}
