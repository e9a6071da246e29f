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

/* Inserts or replaces the configuration (JSON text, borrowed) of function
 * name. The control plane keys $LATEST by the function's name, a published
 * version as "name:3", its version counter as "name!" and an alias as
 * "name@alias" (names never hold ':', '!'
 * or '@'); scans return them in key order, so a function precedes its
 * versions and aliases. */
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

/* The storage cap of logs: when the database's pages in use exceed
 * max_bytes, deletes the oldest log events (any group) towards 90 % of it,
 * a bounded amount per call, and corrects their streams' statistics. Writes
 * how many were deleted to *deleted; call again while that is not 0. */
int store_logs_trim(struct store *st, int64_t max_bytes, int64_t *deleted);

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

/* ---- API Gateway (src/gateway/) ----
 * One JSON document per API (its routes, integrations, stages and
 * deployments included), rewritten whole on every change. */
int store_gw_api_put(struct store *st, const char *api_id, const char *json);
/* Deletes API api_id; 0 even if it was absent. */
int store_gw_api_delete(struct store *st, const char *api_id);
/* Calls cb(api_id, json, arg) for every API in id order; a non-zero return
 * from cb stops the scan and is returned. */
typedef int store_gw_api_cb(const char *api_id, const char *json, void *arg);
int store_gw_api_scan(struct store *st, store_gw_api_cb *cb, void *arg);

/* ---- CloudWatch Logs (src/cwlogs/) ----
 * Log groups and streams live in their own tables; a trigger on log_events
 * creates the group and stream of every event that arrives (so a function's
 * group exists once it has logged) and keeps each stream's first/last event
 * time and stored bytes. Names are borrowed, NUL-terminated; pointers handed
 * to a callback are valid during that call only. Errors: -ENOENT for a
 * missing group or stream, -EEXIST for a duplicate, else the store's. */
struct store_cwl_group {
    const char *name;
    int64_t created_ms;   /* epoch ms */
    int retention_days;   /* 0: events never expire */
    int64_t stored_bytes; /* message bytes of the group's events */
};

struct store_cwl_stream {
    const char *name;
    int64_t created_ms;     /* epoch ms */
    int64_t first_ts;       /* epoch ms of the oldest event, -1 without events */
    int64_t last_ts;        /* epoch ms of the newest event, -1 without events */
    int64_t last_ingest_ms; /* epoch ms of the last write, -1 without events */
    int64_t stored_bytes;
};

struct store_cwl_event {
    int64_t id; /* row id: unique, stable, increasing in insertion order */
    const char *stream;
    int64_t ts_ms;     /* event time, epoch ms */
    int64_t ingest_ms; /* when it was written (the event time for function logs) */
    const char *msg;
    size_t msg_len;
};

/* Events of one group in (ts, id) order, ascending or descending, strictly
 * after (ascending) or before (descending) the position (pos_ts, pos_id). */
struct store_cwl_query {
    const char *group;
    const char *stream; /* only this stream, or NULL for all */
    int64_t from_ts;    /* inclusive, epoch ms */
    int64_t to_ts;      /* inclusive, epoch ms */
    int64_t pos_ts;     /* resume position; INT64_MIN/INT64_MAX for none */
    int64_t pos_id;
    int descending; /* non-zero: newest first */
};

#define STORE_CWL_BY_LAST_EVENT 1 /* streams_scan: order by last event time, not name */
#define STORE_CWL_DESCENDING    2 /* streams_scan: reverse order */

typedef int store_cwl_group_cb(const struct store_cwl_group *g, void *arg);
typedef int store_cwl_stream_cb(const struct store_cwl_stream *s, void *arg);
typedef int store_cwl_event_cb(const struct store_cwl_event *ev, void *arg);

/* Creates group name (no retention); -EEXIST if it exists. */
int store_cwl_group_create(struct store *st, const char *name, int64_t now_ms);

/* Deletes group name with its streams and events; -ENOENT if absent. */
int store_cwl_group_delete(struct store *st, const char *name);

/* Writes group name's row to *out (out->name = name); -ENOENT if absent. */
int store_cwl_group_get(struct store *st, const char *name, struct store_cwl_group *out);

/* Sets the retention of group name in days (0 = never expire); -ENOENT. */
int store_cwl_group_retention(struct store *st, const char *name, int days);

/* Calls cb for each group whose name starts with prefix and sorts after
 * `after` ("" for all), in name order; a non-zero cb return stops the scan
 * and is returned. */
int store_cwl_groups_scan(struct store *st, const char *prefix, const char *after,
                          store_cwl_group_cb *cb, void *arg);

/* Creates stream name in group; -ENOENT without the group, -EEXIST. */
int store_cwl_stream_create(struct store *st, const char *group, const char *name, int64_t now_ms);

/* Writes the stream's row to *out (out->name = name); -ENOENT if absent. */
int store_cwl_stream_get(struct store *st, const char *group, const char *name,
                         struct store_cwl_stream *out);

/* Calls cb for each stream of group whose name starts with prefix, ordered
 * by flags (STORE_CWL_*); a non-zero cb return stops the scan. */
int store_cwl_streams_scan(struct store *st, const char *group, const char *prefix, int flags,
                           store_cwl_stream_cb *cb, void *arg);

/* Appends n events (ev[i].ts_ms, msg; ev[i].group and .stream are not read)
 * to an existing stream in one transaction, ingested at ingest_ms; -ENOENT
 * if the stream does not exist. Writes the id of the last event to *last_id. */
int store_cwl_events_put(struct store *st, const char *group, const char *stream,
                         const struct store_log_event *ev, size_t n, int64_t ingest_ms,
                         int64_t *last_id);

/* Calls cb for each event q selects, in q's order; a non-zero cb return
 * stops the scan and is returned. */
int store_cwl_events_scan(struct store *st, const struct store_cwl_query *q, store_cwl_event_cb *cb,
                          void *arg);

/* Deletes the events older than their group's retention at now_ms (in
 * batches, releasing the store between them); adds the count to *deleted. */
int store_cwl_expire(struct store *st, int64_t now_ms, int64_t *deleted);

/* The operations a backend provides; store.c dispatches through them. */
struct store_ops {
    const char *name;
    void (*close)(struct store *st);
    int (*fn_put)(struct store *st, const char *name, const char *config_json);
    int (*fn_delete)(struct store *st, const char *name);
    int (*fn_scan)(struct store *st, store_fn_cb *cb, void *arg);
    int (*logs_append)(struct store *st, const struct store_log_event *ev, size_t n);
    int (*logs_trim)(struct store *st, int64_t max_bytes, int64_t *deleted);
    int (*logs_scan)(struct store *st, const char *group, const char *stream, store_log_cb *cb,
                     void *arg);
    /* asynchronous invocation */
    int (*async_apply)(struct store *st, struct store_async_op *ops, size_t n);
    int (*async_scan)(struct store *st, store_async_cb *cb, void *arg);
    int (*eic_put)(struct store *st, const char *fn, const char *qualifier, const char *json);
    int (*eic_delete)(struct store *st, const char *fn, const char *qualifier);
    int (*eic_scan)(struct store *st, store_eic_cb *cb, void *arg);
    /* API Gateway */
    int (*gw_api_put)(struct store *st, const char *api_id, const char *json);
    int (*gw_api_delete)(struct store *st, const char *api_id);
    int (*gw_api_scan)(struct store *st, store_gw_api_cb *cb, void *arg);
    /* CloudWatch Logs (see the store_cwl_* functions above) */
    int (*cwl_group_create)(struct store *st, const char *name, int64_t now_ms);
    int (*cwl_group_delete)(struct store *st, const char *name);
    int (*cwl_group_get)(struct store *st, const char *name, struct store_cwl_group *out);
    int (*cwl_group_retention)(struct store *st, const char *name, int days);
    int (*cwl_groups_scan)(struct store *st, const char *prefix, const char *after,
                           store_cwl_group_cb *cb, void *arg);
    int (*cwl_stream_create)(struct store *st, const char *group, const char *name, int64_t now_ms);
    int (*cwl_stream_get)(struct store *st, const char *group, const char *name,
                          struct store_cwl_stream *out);
    int (*cwl_streams_scan)(struct store *st, const char *group, const char *prefix, int flags,
                            store_cwl_stream_cb *cb, void *arg);
    int (*cwl_events_put)(struct store *st, const char *group, const char *stream,
                          const struct store_log_event *ev, size_t n, int64_t ingest_ms,
                          int64_t *last_id);
    int (*cwl_events_scan)(struct store *st, const struct store_cwl_query *q,
                           store_cwl_event_cb *cb, void *arg);
    int (*cwl_expire)(struct store *st, int64_t now_ms, int64_t *deleted);
};

/* Every backend's handle starts with this. */
struct store {
    const struct store_ops *ops;
};

/* The SQLite backend (store_sqlite.c): opens path, creating and migrating it. */
struct store *store_sqlite_open(const char *path, int *err);

#endif
