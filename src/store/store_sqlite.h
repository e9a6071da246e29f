/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_STORE_STORE_SQLITE_H
#define LAMBDAD_STORE_STORE_SQLITE_H

/*
 * Internal to the SQLite backend: the handle shared by store_sqlite.c (open,
 * migrations, batches, function logs and CloudWatch Logs) and the primitive
 * files store_sqlite_{doc,queue,olog,item}.c. Not for callers of store.h.
 * Every function here runs with s->mu held unless it says otherwise.
 */

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>

#include "store.h"

/* Kept prepared statements, one slot each; each file owns its range and
 * its SQL text. */
enum store_sqlite_stmt {
    SQS_COUNTER,
    SQS_DOC_GET,
    SQS_DOC_INSERT,
    SQS_DOC_UPDATE,
    SQS_DOC_UPSERT,
    SQS_DOC_DELETE,
    SQS_DOC_DELETE_REV,
    SQS_DOC_DELETE_PREFIX,
    SQS_DOC_SCAN,
    SQS_Q_INSERT,
    SQS_Q_DEDUP_GET,
    SQS_Q_DEDUP_PUT,
    SQS_Q_DEDUP_PRUNE,
    SQS_Q_ACK,
    SQS_Q_RELEASE,
    SQS_Q_EXISTS,
    SQS_Q_PURGE,
    SQS_Q_PURGE_GROUP,
    SQS_Q_PICK,
    SQS_Q_PICK_FIFO,
    SQS_Q_PICK_GROUP,
    SQS_Q_TAKE,
    SQS_Q_COUNT,
    SQS_Q_SCAN,
    SQS_OLOG_NEXT,
    SQS_OLOG_INSERT,
    SQS_OLOG_READ,
    SQS_OLOG_BOUNDS,
    SQS_OLOG_TRIM_AGE,
    SQS_OLOG_TRIM_COUNT,
    SQS_OLOG_TRIM_BYTES,
    SQS_OLOG_PARTS,
    SQS_ITEM_PUT,
    SQS_ITEM_DELETE,
    SQS_ITEM_GET,
    SQS_ITEM_SCAN0, /* 6 range forms: [hi none, <, <=] x [forward, backward] */
    SQS_ITEM_SCAN5 = SQS_ITEM_SCAN0 + 5,
    SQS_N
};

struct store_sqlite {
    struct store base;
    pthread_mutex_t mu; /* serialises every use of db */
    sqlite3 *db;
    sqlite3_stmt *log_put;        /* function logs */
    sqlite3_stmt *log_reg_group;  /* a function log's group, once per batch */
    sqlite3_stmt *log_reg_stream; /* its stream and statistics, once per batch */
    sqlite3_stmt *log_scan;       /* function logs */
    sqlite3_stmt *stmts[SQS_N];
};

/* The kept statement id, prepared from sql on first use; NULL (logged) on
 * failure. The statement is reset and unbound before it is returned. */
sqlite3_stmt *store_sqlite_stmt(struct store_sqlite *s, enum store_sqlite_stmt id, const char *sql);

/* Maps an SQLite result code to 0 or a negative errno (logged with what). */
int store_sqlite_rc(struct store_sqlite *s, int rc, const char *what);

/* Steps st once (no rows expected, or the first ignored), then resets it. */
int store_sqlite_run(struct store_sqlite *s, sqlite3_stmt *st, const char *what);

/* Reserves n values of counter name ("rev", "lease") and writes the last one
 * to *last (so the values are *last - n + 1 .. *last). Inside a transaction. */
int store_sqlite_counter(struct store_sqlite *s, const char *name, int64_t n, int64_t *last);

/* Runs BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int store_sqlite_exec(struct store_sqlite *s, const char *sql);

/* Wall-clock epoch ms (documents' updated_ms). */
int64_t store_sqlite_now_ms(void);

/* One op of a batch, inside the batch's transaction. */
int store_sqlite_doc_apply(struct store_sqlite *s, struct store_op *op);
int store_sqlite_queue_apply(struct store_sqlite *s, struct store_op *op);
int store_sqlite_olog_apply(struct store_sqlite *s, struct store_op *op);
int store_sqlite_item_apply(struct store_sqlite *s, struct store_op *op);

/* The read operations of struct store_ops; these take s->mu themselves. */
int store_sqlite_doc_get(struct store *base, const char *ns, const char *key, char **body,
                         size_t *len, int64_t *rev);
int store_sqlite_doc_scan(struct store *base, const char *ns, const char *prefix, const char *after,
                          size_t limit, store_doc_cb *cb, void *arg);
int store_sqlite_queue_lease(struct store *base, const struct store_lease *l, store_msg_cb *cb,
                             void *arg);
int store_sqlite_queue_count(struct store *base, const char *queue, int64_t now_ms,
                             struct store_q_counts *out);
int store_sqlite_queue_scan(struct store *base, const char *queue, int64_t after_id, size_t limit,
                            store_msg_cb *cb, void *arg);
int store_sqlite_olog_read(struct store *base, const char *log, const char *part, int64_t from_seq,
                           size_t limit, store_orec_cb *cb, void *arg);
int store_sqlite_olog_bounds(struct store *base, const char *log, const char *part, int64_t *first,
                             int64_t *last);
int store_sqlite_olog_trim(struct store *base, const char *log, const char *part,
                           const struct store_olog_trim *t, int64_t *deleted);
int store_sqlite_item_get(struct store *base, const char *space, const void *pk, size_t pk_len,
                          const void *sk, size_t sk_len, void **val, size_t *len);
int store_sqlite_item_scan(struct store *base, const struct store_range *r, store_item_cb *cb,
                           void *arg);

#endif
