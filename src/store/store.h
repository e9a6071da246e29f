/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_STORE_STORE_H
#define LAMBDAD_STORE_STORE_H

/*
 * The durable store behind lambdad: function configurations and log events.
 * One interface, several backends (SQLite now; PostgreSQL for cluster mode
 * implements the same table of operations). Calls block: call them from a
 * worker thread, or on the loop only at start-up. Every call is thread-safe.
 */

#include <stddef.h>
#include <stdint.h>

struct store;

/* Opens the store named by url: "sqlite:PATH", or "" / NULL for the default
 * SQLite file <data_dir>/lambdad.db. Returns new (free with store_close) or
 * NULL with *err set (-errno, ERR_INVALID_PARAMETER for an unknown scheme). */
struct store *store_open(const char *url, const char *data_dir, int *err);
void store_close(struct store *st);

/* A short name of the backend ("sqlite"). */
const char *store_backend(const struct store *st);

/* Inserts or replaces the configuration (JSON text, borrowed) of function name. */
int store_fn_put(struct store *st, const char *name, const char *config_json);

/* Deletes function name; 0 even if it was absent. */
int store_fn_delete(struct store *st, const char *name);

/* Calls cb(name, config_json, arg) for every function in name order; a
 * non-zero return from cb stops the scan and is returned. */
typedef int store_fn_cb(const char *name, const char *config_json, void *arg);
int store_fn_scan(struct store *st, store_fn_cb *cb, void *arg);

struct store_log_event {
    const char *group;  /* "/aws/lambda/<name>" */
    const char *stream; /* "YYYY/MM/DD/[$LATEST]<hex>" */
    int64_t ts_ms;      /* event time, epoch ms */
    const char *msg;    /* the line, without its newline */
    size_t msg_len;
};

/* Appends n log events in one transaction. */
int store_logs_append(struct store *st, const struct store_log_event *ev, size_t n);

/* Calls cb(event, arg) for the events of one stream in order. */
typedef int store_log_cb(const struct store_log_event *ev, void *arg);
int store_logs_scan(struct store *st, const char *group, const char *stream, store_log_cb *cb,
                    void *arg);

/* ---- asynchronous invocation ---- */

enum store_async_kind {
    STORE_ASYNC_INSERT,  /* a new event; its row id is written back to op->id */
    STORE_ASYNC_RETRY,   /* set attempts and next_ms of event op->id */
    STORE_ASYNC_DELETE,  /* event op->id has been handled */
    STORE_ASYNC_DEAD,    /* keep a record (target, record) no destination could take */
    STORE_ASYNC_DROP_FN, /* function fn was deleted: its events and configurations go */
};

struct store_async_op {
    enum store_async_kind kind;
    int64_t id;     /* row id (in for RETRY/DELETE, out for INSERT) */
    const char *fn; /* function name */
    const char *request_id;
    const char *invoked_arn;
    const void *payload;
    size_t payload_len;
    int64_t created_ms; /* epoch ms the event was accepted */
    int attempts;       /* invocations so far */
    int64_t next_ms;    /* epoch ms before which it is not retried */
    const char *target; /* DEAD: the destination that could not take it */
    const char *record; /* DEAD: the invocation record (JSON) */
};

/* Applies n operations in one transaction (one fsync): all or nothing. */
int store_async_apply(struct store *st, struct store_async_op *ops, size_t n);

/* Calls cb(op, arg) for every queued event in id order (op->kind INSERT,
 * every field set; strings valid during the call only). */
typedef int store_async_cb(const struct store_async_op *op, void *arg);
int store_async_scan(struct store *st, store_async_cb *cb, void *arg);

/* Inserts or replaces the event invoke configuration (JSON) of fn:qualifier. */
int store_eic_put(struct store *st, const char *fn, const char *qualifier, const char *json);
int store_eic_delete(struct store *st, const char *fn, const char *qualifier);
typedef int store_eic_cb(const char *fn, const char *qualifier, const char *json, void *arg);
int store_eic_scan(struct store *st, store_eic_cb *cb, void *arg);

/* The operations a backend provides; store.c dispatches through them. */
struct store_ops {
    const char *name;
    void (*close)(struct store *st);
    int (*fn_put)(struct store *st, const char *name, const char *config_json);
    int (*fn_delete)(struct store *st, const char *name);
    int (*fn_scan)(struct store *st, store_fn_cb *cb, void *arg);
    int (*logs_append)(struct store *st, const struct store_log_event *ev, size_t n);
    int (*logs_scan)(struct store *st, const char *group, const char *stream, store_log_cb *cb,
                     void *arg);
    /* asynchronous invocation */
    int (*async_apply)(struct store *st, struct store_async_op *ops, size_t n);
    int (*async_scan)(struct store *st, store_async_cb *cb, void *arg);
    int (*eic_put)(struct store *st, const char *fn, const char *qualifier, const char *json);
    int (*eic_delete)(struct store *st, const char *fn, const char *qualifier);
    int (*eic_scan)(struct store *st, store_eic_cb *cb, void *arg);
};

/* Every backend's handle starts with this. */
struct store {
    const struct store_ops *ops;
};

/* The SQLite backend (store_sqlite.c): opens path, creating and migrating it. */
struct store *store_sqlite_open(const char *path, int *err);

#endif
