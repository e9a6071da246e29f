/* SPDX-License-Identifier: MIT */
/*
 * SQLite backend: sorted items. items (space, pk, sk) -> val, WITHOUT ROWID:
 * the primary key is the storage order, and SQLite compares BLOBs with
 * memcmp (a shorter prefix first), which is the order store_keys.h encodes
 * typed keys for. A range scan is one index range: the lower bound is
 * always "sk >= lo" (an exclusive lo becomes lo followed by a zero byte, the
 * next key after it), the upper bound one of three forms, in either
 * direction: six kept statements.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"

#define ITEM_SCAN(hi, dir)                                                                         \
    "SELECT sk, val FROM items WHERE space = ?1 AND pk = ?2 AND sk >= ?3" hi " ORDER BY sk" dir    \
    " LIMIT ?5"

static const char *const sql[SQS_N] = {
    [SQS_ITEM_PUT] = "INSERT OR REPLACE INTO items (space, pk, sk, val) VALUES (?1, ?2, ?3, ?4)",
    [SQS_ITEM_DELETE] = "DELETE FROM items WHERE space = ?1 AND pk = ?2 AND sk = ?3",
    [SQS_ITEM_GET] = "SELECT val FROM items WHERE space = ?1 AND pk = ?2 AND sk = ?3",
    [SQS_ITEM_SCAN0 + 0] = ITEM_SCAN("", ""),
    [SQS_ITEM_SCAN0 + 1] = ITEM_SCAN(" AND sk < ?4", ""),
    [SQS_ITEM_SCAN0 + 2] = ITEM_SCAN(" AND sk <= ?4", ""),
    [SQS_ITEM_SCAN0 + 3] = ITEM_SCAN("", " DESC"),
    [SQS_ITEM_SCAN0 + 4] = ITEM_SCAN(" AND sk < ?4", " DESC"),
    [SQS_ITEM_SCAN0 + 5] = ITEM_SCAN(" AND sk <= ?4", " DESC"),
};

static sqlite3_stmt *stmt(struct store_sqlite *s, enum store_sqlite_stmt id)
{
    return store_sqlite_stmt(s, id, sql[id]);
}

/* Binds n bytes at i as a BLOB (an empty one, not NULL, when n is 0). */
static void bind_bytes(sqlite3_stmt *st, int i, const void *p, size_t n)
{
    if (n > 0)
        sqlite3_bind_blob(st, i, p, (int)n, SQLITE_STATIC);
    else
        sqlite3_bind_zeroblob(st, i, 0);
}

static void bind_key(sqlite3_stmt *st, const char *space, const void *pk, size_t pk_len,
                     const void *sk, size_t sk_len)
{
    sqlite3_bind_text(st, 1, space, -1, SQLITE_STATIC);
    bind_bytes(st, 2, pk, pk_len);
    bind_bytes(st, 3, sk, sk_len);
}

int store_sqlite_item_apply(struct store_sqlite *s, struct store_op *op)
{
    const struct store_item_op *it = &op->item;
    if (it->space == NULL || (op->kind != STORE_ITEM_PUT && op->kind != STORE_ITEM_DELETE))
        return -EINVAL;
    bool put = op->kind == STORE_ITEM_PUT;
    sqlite3_stmt *st = stmt(s, put ? SQS_ITEM_PUT : SQS_ITEM_DELETE);
    if (st == NULL)
        return -EIO;
    bind_key(st, it->space, it->pk, it->pk_len, it->sk, it->sk_len);
    if (put)
        bind_bytes(st, 4, it->val, it->val_len);
    return store_sqlite_run(s, st, put ? "item_put" : "item_delete");
}

int store_sqlite_item_get(struct store *base, const char *space, const void *pk, size_t pk_len,
                          const void *sk, size_t sk_len, void **val, size_t *len)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    int rc = -EIO;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = stmt(s, SQS_ITEM_GET);
    if (st != NULL) {
        bind_key(st, space, pk, pk_len, sk, sk_len);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            size_t n = (size_t)sqlite3_column_bytes(st, 0);
            void *copy = malloc(n > 0 ? n : 1);
            if (copy != NULL && n > 0)
                memcpy(copy, sqlite3_column_blob(st, 0), n);
            rc = copy != NULL ? 0 : -ENOMEM;
            if (rc == 0) {
                *val = copy;
                *len = n;
            }
        } else {
            rc = step == SQLITE_DONE ? -ENOENT : store_sqlite_rc(s, step, "item_get");
        }
        sqlite3_reset(st);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int scan_rows(struct store_sqlite *s, sqlite3_stmt *st, const struct store_range *r,
                     store_item_cb *cb, void *arg)
{
    int rc = 0, step = SQLITE_DONE;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_item it = {
            .pk = r->pk,
            .pk_len = r->pk_len,
            .sk = sqlite3_column_blob(st, 0),
            .sk_len = (size_t)sqlite3_column_bytes(st, 0),
            .val = sqlite3_column_blob(st, 1),
            .val_len = (size_t)sqlite3_column_bytes(st, 1),
        };
        rc = cb(&it, arg);
    }
    return rc != 0 ? rc : store_sqlite_rc(s, step, "item_scan");
}

int store_sqlite_item_scan(struct store *base, const struct store_range *r, store_item_cb *cb,
                           void *arg)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    unsigned char *lo = NULL;
    size_t lo_len = r->lo != NULL ? r->lo_len : 0;
    if (r->lo != NULL && r->lo_excl) { /* the next key after lo: lo followed by a zero byte */
        if ((lo = malloc(lo_len + 1)) == NULL)
            return -ENOMEM;
        if (lo_len > 0)
            memcpy(lo, r->lo, lo_len);
        lo[lo_len++] = 0;
    }
    int form = (r->hi == NULL ? 0 : r->hi_excl ? 1 : 2) + (r->backward ? 3 : 0);
    int rc = -EIO;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = stmt(s, (enum store_sqlite_stmt)(SQS_ITEM_SCAN0 + form));
    if (st != NULL) {
        bind_key(st, r->space, r->pk, r->pk_len, lo != NULL ? lo : r->lo, lo_len);
        if (r->hi != NULL)
            bind_bytes(st, 4, r->hi, r->hi_len);
        sqlite3_bind_int64(st, 5, r->limit > 0 ? (int64_t)r->limit : -1);
        rc = scan_rows(s, st, r, cb, arg);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    pthread_mutex_unlock(&s->mu);
    free(lo);
    return rc;
}
