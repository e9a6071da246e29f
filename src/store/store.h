/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_STORE_STORE_H
#define LAMBDAD_STORE_STORE_H

/*
 * The durable store behind lambdad, built from four primitives that know no
 * service (docs/store.md says how each maps to tables, for SQLite and for a
 * PostgreSQL backend):
 *   documents     keyed JSON in a namespace, with a revision and compare-and-set;
 *   durable queues  messages with delay, de-duplication, leases (visibility
 *                 deadlines, receipt tokens, receive counts), ack and release;
 *   ordered logs  records appended to a partition under an increasing
 *                 sequence number, read from a position, trimmed by age/count/size;
 *   sorted items  values under (partition, sort key) byte strings, scanned in
 *                 memcmp order (store_keys.h encodes typed keys that way).
 * Blobs (code packages) are content-addressed files: blob.h.
 *
 * Writes are operations (struct store_op) applied in batches: store_apply()
 * runs any mix of them in one transaction, all or nothing, with one commit
 * (one fsync), so a caller on the loop group-commits by collecting ops and
 * handing them to a worker. The store_doc_put() style helpers are batches of
 * one. Calls block: call them from a worker thread, or on the loop only at
 * start-up. Every call is thread-safe; writes are serialised (one writer),
 * and a read sees every batch that returned before it started.
 *
 * Conventions for every call below: strings are NUL-terminated and borrowed
 * for the call; pointers handed to a callback are valid during that call
 * only; a callback that returns non-zero stops its scan and that value is
 * returned; errors are negative: -ENOENT (absent), ERR_CONFLICT (a
 * compare-and-set condition or a lease token did not hold), -EINVAL (a
 * malformed op), -ENOSPC (disk full), -ENOMEM, -EIO (anything else the
 * backend reports; it is logged). Out-parameters are written on success only.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* Opens the store named by url: "sqlite:PATH", or "" / NULL for the default
 * SQLite file <data_dir>/lambdad.db; creates and migrates it. Returns new
 * (free with store_close) or NULL with *err set (-errno,
 * ERR_INVALID_PARAMETER for an unknown scheme). Start-up only. */
struct store *store_open(const char *url, const char *data_dir, int *err);

/* Closes st (NULL is a no-op). No call may be running. */
void store_close(struct store *st);

/* A short name of the backend ("sqlite"); borrowed, static. */
const char *store_backend(const struct store *st);

/* ==== write batches ==== */

enum store_op_kind {
    STORE_DOC_PUT,           /* doc: insert or replace ns/key, if expect_rev holds */
    STORE_DOC_DELETE,        /* doc: delete ns/key, if expect_rev holds */
    STORE_DOC_DELETE_PREFIX, /* doc: delete every key of ns starting with key */
    STORE_Q_ENQUEUE,         /* q: add a message (delay, de-duplication) */
    STORE_Q_ACK,             /* q: delete message id (lease token checked) */
    STORE_Q_RELEASE,         /* q: change message id's visibility (token checked) */
    STORE_Q_PURGE,           /* q: delete a queue's messages (of a group, sent before) */
    STORE_OLOG_APPEND,       /* olog: append a record to a partition */
    STORE_ITEM_PUT,          /* item: insert or replace (space, pk, sk) */
    STORE_ITEM_DELETE,       /* item: delete (space, pk, sk); 0 if absent */
};

#define STORE_REV_ANY    (-1) /* expect_rev: no condition */
#define STORE_REV_ABSENT 0    /* expect_rev: only if the document does not exist */

struct store_doc_op {
    const char *ns;     /* namespace, e.g. "lambda" */
    const char *key;    /* the key (DELETE_PREFIX: the prefix; "" deletes the namespace) */
    const char *body;   /* PUT: JSON text (not checked) */
    size_t body_len;    /* PUT: bytes of body */
    int64_t expect_rev; /* STORE_REV_ANY, STORE_REV_ABSENT or the current revision */
    int64_t rev;        /* out, PUT: the document's new revision */
};

struct store_q_op {
    const char *queue;       /* queue name, e.g. "lambda.async" */
    int64_t id;              /* ENQUEUE: out, the message id; ACK, RELEASE: in */
    uint64_t token;          /* ACK, RELEASE: the lease's token; 0 = no check (owner) */
    const char *group;       /* ENQUEUE: message group ("" or NULL: none); PURGE: only it */
    const char *dedup;       /* ENQUEUE: de-duplication id, or NULL */
    int64_t dedup_window_ms; /* ENQUEUE: how long dedup suppresses an equal id */
    const void *body;        /* ENQUEUE: the message bytes */
    size_t body_len;
    const char *attrs;  /* ENQUEUE: the owner's attributes (JSON text) or NULL */
    int64_t now_ms;     /* ENQUEUE: sent time, epoch ms */
    int64_t delay_ms;   /* ENQUEUE: invisible until now_ms + delay_ms */
    int64_t visible_ms; /* RELEASE: visible again at this epoch ms */
    int receive_count;  /* RELEASE: >= 0 sets the receive count; -1 keeps it */
    int64_t before_ms;  /* PURGE: only messages sent before this; 0 = all */
    bool duplicate;     /* out, ENQUEUE: dedup matched: nothing added, id = the first's */
};

struct store_olog_op {
    const char *log;  /* log name, e.g. a stream's ARN */
    const char *part; /* partition (shard) */
    int64_t ts_ms;    /* record time, epoch ms (trim by age uses it) */
    const char *key;  /* the record's own key (partition key, item key) or NULL */
    const void *data;
    size_t len;
    int64_t seq; /* out: the record's sequence number in its partition */
};

struct store_item_op {
    const char *space; /* e.g. a table or bucket */
    const void *pk;    /* partition key bytes */
    size_t pk_len;
    const void *sk; /* sort key bytes (may be empty) */
    size_t sk_len;
    const void *val; /* PUT: the value */
    size_t val_len;
};

struct store_op {
    enum store_op_kind kind;
    union {
        struct store_doc_op doc;   /* STORE_DOC_* */
        struct store_q_op q;       /* STORE_Q_* */
        struct store_olog_op olog; /* STORE_OLOG_* */
        struct store_item_op item; /* STORE_ITEM_* */
    };
};

/* Applies ops[0..n) in order, in one transaction: all of them or none, with
 * one commit. Ops borrow their pointers for the call; out fields (rev, id,
 * duplicate, seq) are written back into ops on success. Later ops see the
 * effects of earlier ones. Errors: the first failing op's (ERR_CONFLICT for
 * a revision or token that did not hold, -ENOENT for an ACK/RELEASE with a
 * token of a missing message, -EINVAL for an unknown kind or a DELETE with
 * STORE_REV_ABSENT), and then nothing was applied; *failed (when not NULL)
 * gets its index (n when the commit itself failed). n == 0 is a no-op. */
int store_apply(struct store *st, struct store_op *ops, size_t n, size_t *failed);

/* ==== documents ==== */

struct store_doc {
    const char *ns;
    const char *key;
    const char *body; /* NUL-terminated; body_len excludes the NUL */
    size_t body_len;
    int64_t rev;        /* > 0, changes on every write, never reused by the store */
    int64_t updated_ms; /* epoch ms of the last write */
};

typedef int store_doc_cb(const struct store_doc *doc, void *arg);

/* A batch of one STORE_DOC_PUT of body (NUL-terminated JSON) under ns/key,
 * conditional on expect_rev. Writes the new revision to *rev when not NULL.
 * ERR_CONFLICT when expect_rev does not hold. */
int store_doc_put(struct store *st, const char *ns, const char *key, const char *body,
                  int64_t expect_rev, int64_t *rev);

/* A batch of one STORE_DOC_DELETE: 0 also when absent with STORE_REV_ANY;
 * ERR_CONFLICT when expect_rev (a revision) does not hold. */
int store_doc_delete(struct store *st, const char *ns, const char *key, int64_t expect_rev);

/* Reads ns/key: *body returns new (free with free(); NUL-terminated),
 * *len its bytes and *rev its revision (either may be NULL). -ENOENT. */
int store_doc_get(struct store *st, const char *ns, const char *key, char **body, size_t *len,
                  int64_t *rev);

/* Calls cb for each document of ns whose key starts with prefix ("" = all)
 * and sorts strictly after `after` (NULL or "" = from the start), in key
 * order (bytewise, as memcmp), at most limit of them (0 = no limit). */
int store_doc_scan(struct store *st, const char *ns, const char *prefix, const char *after,
                   size_t limit, store_doc_cb *cb, void *arg);

/* ==== durable queues ====
 * A message is visible when its visible_ms <= now. A lease makes visible
 * messages invisible until now + visibility, counts the receive and gives
 * each a new token; the (id, token) pair is the receipt: ACK/RELEASE with an
 * older token (the message was leased again since) fail with ERR_CONFLICT.
 * RELEASE clears the token (the message is then delayed, not in flight).
 * ACK/RELEASE of a missing message: -ENOENT with a token; 0 with token 0
 * (the owner's bookkeeping is idempotent). Messages are leased in the order
 * they became visible (visible_ms, then id); FIFO leases in id order. */

struct store_msg {
    int64_t id; /* > 0, increasing in enqueue order, never reused */
    const char *queue;
    const char *group; /* "" when none */
    const char *dedup; /* NULL when none */
    const char *attrs; /* NULL when none */
    const void *body;
    size_t body_len;
    int64_t sent_ms;    /* enqueue time, epoch ms */
    int64_t visible_ms; /* not delivered before this epoch ms */
    int receive_count;  /* leases so far (or what RELEASE set) */
    uint64_t token;     /* the current lease's token; 0 when not leased */
};

typedef int store_msg_cb(const struct store_msg *m, void *arg);

#define STORE_LEASE_FIFO 1 /* a group's message only once every earlier one of it is visible */

struct store_lease {
    const char *queue;
    int64_t now_ms;        /* epoch ms */
    int64_t visibility_ms; /* invisible until now_ms + visibility_ms */
    size_t max;            /* at most this many messages (>= 1) */
    int flags;             /* STORE_LEASE_* */
    const char *group;     /* only this group, or NULL for any */
};

/* Leases up to l->max visible messages in one transaction, calling cb with
 * each as leased (new token, counted receive, new visible_ms). cb runs
 * before the commit: if the call then fails, no lease happened and the
 * caller must forget what cb saw; a non-zero return from cb is such a
 * failure (the whole lease is undone and that value returned). Also
 * -EINVAL when l->max is 0. With STORE_LEASE_FIFO a message is taken
 * only when no earlier message of its group is invisible (in flight or
 * delayed), so each group is delivered in order, one lease at a time. */
int store_q_lease(struct store *st, const struct store_lease *l, store_msg_cb *cb, void *arg);

struct store_q_counts {
    int64_t visible;        /* visible_ms <= now */
    int64_t in_flight;      /* leased (token set), visibility not yet over */
    int64_t delayed;        /* not leased, visible_ms > now (delay, release) */
    int64_t oldest_sent_ms; /* sent_ms of the oldest message; 0 when empty */
};

/* Counts queue's messages at now_ms into *out. */
int store_q_count(struct store *st, const char *queue, int64_t now_ms, struct store_q_counts *out);

/* Calls cb for each message of queue with id > after_id in id order, at most
 * limit (0 = all); nothing changes (start-up recovery, inspection). */
int store_q_scan(struct store *st, const char *queue, int64_t after_id, size_t limit,
                 store_msg_cb *cb, void *arg);

/* ==== ordered logs ====
 * Each (log, partition) numbers its records 1, 2, 3, ... in append order;
 * trimming never lets a number be reused. */

struct store_orec {
    const char *log;
    const char *part;
    int64_t seq;
    int64_t ts_ms;
    const char *key; /* NULL when none */
    const void *data;
    size_t len;
};

typedef int store_orec_cb(const struct store_orec *r, void *arg);

/* Calls cb for the records of (log, part) with seq >= from_seq, in sequence
 * order, at most limit (0 = all). */
int store_olog_read(struct store *st, const char *log, const char *part, int64_t from_seq,
                    size_t limit, store_orec_cb *cb, void *arg);

/* Writes the oldest kept sequence number to *first and the newest appended
 * one to *last: an empty partition that had records gives first = last + 1,
 * one never written 1 and 0 (so TRIM_HORIZON = first, LATEST = last + 1). */
int store_olog_bounds(struct store *st, const char *log, const char *part, int64_t *first,
                      int64_t *last);

struct store_olog_trim {
    int64_t before_ms; /* delete records with ts_ms < before_ms (0 = no age rule) */
    int64_t max_count; /* then keep at most this many newest records (0 = no rule) */
    int64_t max_bytes; /* then keep at most this many bytes of data (0 = no rule) */
};

/* Deletes the oldest records of (log, part) (part NULL: every partition of
 * log) by the rules of t, in one transaction; adds the count to *deleted
 * (may be NULL). */
int store_olog_trim(struct store *st, const char *log, const char *part,
                    const struct store_olog_trim *t, int64_t *deleted);

/* ==== sorted items ==== */

struct store_item {
    const void *pk;
    size_t pk_len;
    const void *sk;
    size_t sk_len;
    const void *val;
    size_t val_len;
};

typedef int store_item_cb(const struct store_item *it, void *arg);

/* Reads (space, pk, sk): *val returns new (free with free()), *len its
 * bytes. -ENOENT. */
int store_item_get(struct store *st, const char *space, const void *pk, size_t pk_len,
                   const void *sk, size_t sk_len, void **val, size_t *len);

/* A range of one partition's sort keys, compared bytewise (memcmp, shorter
 * first on a tie). lo NULL: from the first key; hi NULL: to the last. */
struct store_range {
    const char *space;
    const void *pk;
    size_t pk_len;
    const void *lo;
    size_t lo_len;
    bool lo_excl; /* sk > lo rather than sk >= lo */
    const void *hi;
    size_t hi_len;
    bool hi_excl;  /* sk < hi rather than sk <= hi */
    bool backward; /* highest key first */
    size_t limit;  /* at most this many items (0 = all) */
};

/* Calls cb for each item of r's partition in r's range and direction. */
int store_item_scan(struct store *st, const struct store_range *r, store_item_cb *cb, void *arg);

/* ==== kept as they were: function logs and CloudWatch Logs ====
 * These service-specific operations stay unchanged for now (the function-log
 * writer is being reworked in parallel); they move onto ordered logs in a
 * later step of issue 10. */

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

/* ==== backends ==== */

/* The operations a backend provides; store.c dispatches through them (the
 * single-op helpers above are store_apply batches of one). */
struct store_ops {
    const char *name;
    void (*close)(struct store *st);
    int (*apply)(struct store *st, struct store_op *ops, size_t n, size_t *failed);
    int (*doc_get)(struct store *st, const char *ns, const char *key, char **body, size_t *len,
                   int64_t *rev);
    int (*doc_scan)(struct store *st, const char *ns, const char *prefix, const char *after,
                    size_t limit, store_doc_cb *cb, void *arg);
    int (*q_lease)(struct store *st, const struct store_lease *l, store_msg_cb *cb, void *arg);
    int (*q_count)(struct store *st, const char *queue, int64_t now_ms, struct store_q_counts *out);
    int (*q_scan)(struct store *st, const char *queue, int64_t after_id, size_t limit,
                  store_msg_cb *cb, void *arg);
    int (*olog_read)(struct store *st, const char *log, const char *part, int64_t from_seq,
                     size_t limit, store_orec_cb *cb, void *arg);
    int (*olog_bounds)(struct store *st, const char *log, const char *part, int64_t *first,
                       int64_t *last);
    int (*olog_trim)(struct store *st, const char *log, const char *part,
                     const struct store_olog_trim *t, int64_t *deleted);
    int (*item_get)(struct store *st, const char *space, const void *pk, size_t pk_len,
                    const void *sk, size_t sk_len, void **val, size_t *len);
    int (*item_scan)(struct store *st, const struct store_range *r, store_item_cb *cb, void *arg);
    /* function logs and CloudWatch Logs (kept as they were) */
    int (*logs_append)(struct store *st, const struct store_log_event *ev, size_t n);
    int (*logs_trim)(struct store *st, int64_t max_bytes, int64_t *deleted);
    int (*logs_scan)(struct store *st, const char *group, const char *stream, store_log_cb *cb,
                     void *arg);
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
