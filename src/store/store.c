/* SPDX-License-Identifier: MIT */
/*
 * Backend selection and dispatch. Callers see only store.h; the backend is
 * picked once from the --store URL. The single-op helpers (store_doc_put,
 * store_doc_delete) are batches of one, so a backend implements writes once,
 * in its apply operation.
 */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"

struct store *store_open(const char *url, const char *data_dir, int *err)
{
    char path[4096];
    if (url == NULL || url[0] == '\0') {
        if ((size_t)snprintf(path, sizeof(path), "%s/lambdad.db", data_dir) >= sizeof(path)) {
            *err = -ENAMETOOLONG;
            return NULL;
        }
        return store_sqlite_open(path, err);
    }
    if (strncmp(url, "sqlite:", 7) == 0)
        return store_sqlite_open(url + 7, err);
    *err = ERR_INVALID_PARAMETER;
    return NULL;
}

void store_close(struct store *st)
{
    if (st != NULL)
        st->ops->close(st);
}

const char *store_backend(const struct store *st)
{
    return st->ops->name;
}

/* ---- write batches ---- */

int store_apply(struct store *st, struct store_op *ops, size_t n, size_t *failed)
{
    if (n == 0)
        return 0;
    return st->ops->apply(st, ops, n, failed);
}

/* ---- documents ---- */

int store_doc_put(struct store *st, const char *ns, const char *key, const char *body,
                  int64_t expect_rev, int64_t *rev)
{
    struct store_op op = {.kind = STORE_DOC_PUT,
                          .doc = {.ns = ns,
                                  .key = key,
                                  .body = body,
                                  .body_len = strlen(body),
                                  .expect_rev = expect_rev}};
    int rc = st->ops->apply(st, &op, 1, NULL);
    if (rc == 0 && rev != NULL)
        *rev = op.doc.rev;
    return rc;
}

int store_doc_delete(struct store *st, const char *ns, const char *key, int64_t expect_rev)
{
    struct store_op op = {.kind = STORE_DOC_DELETE,
                          .doc = {.ns = ns, .key = key, .expect_rev = expect_rev}};
    return st->ops->apply(st, &op, 1, NULL);
}

int store_doc_get(struct store *st, const char *ns, const char *key, char **body, size_t *len,
                  int64_t *rev)
{
    return st->ops->doc_get(st, ns, key, body, len, rev);
}

int store_doc_scan(struct store *st, const char *ns, const char *prefix, const char *after,
                   size_t limit, store_doc_cb *cb, void *arg)
{
    return st->ops->doc_scan(st, ns, prefix != NULL ? prefix : "", after != NULL ? after : "",
                             limit, cb, arg);
}

/* ---- durable queues ---- */

int store_q_lease(struct store *st, const struct store_lease *l, store_msg_cb *cb, void *arg)
{
    if (l->max == 0)
        return -EINVAL;
    return st->ops->q_lease(st, l, cb, arg);
}

int store_q_count(struct store *st, const char *queue, int64_t now_ms, struct store_q_counts *out)
{
    return st->ops->q_count(st, queue, now_ms, out);
}

int store_q_scan(struct store *st, const char *queue, int64_t after_id, size_t limit,
                 store_msg_cb *cb, void *arg)
{
    return st->ops->q_scan(st, queue, after_id, limit, cb, arg);
}

/* ---- ordered logs ---- */

int store_olog_read(struct store *st, const char *log, const char *part, int64_t from_seq,
                    size_t limit, store_orec_cb *cb, void *arg)
{
    return st->ops->olog_read(st, log, part, from_seq, limit, cb, arg);
}

int store_olog_bounds(struct store *st, const char *log, const char *part, int64_t *first,
                      int64_t *last)
{
    return st->ops->olog_bounds(st, log, part, first, last);
}

int store_olog_trim(struct store *st, const char *log, const char *part,
                    const struct store_olog_trim *t, int64_t *deleted)
{
    return st->ops->olog_trim(st, log, part, t, deleted);
}

/* ---- sorted items ---- */

int store_item_get(struct store *st, const char *space, const void *pk, size_t pk_len,
                   const void *sk, size_t sk_len, void **val, size_t *len)
{
    return st->ops->item_get(st, space, pk, pk_len, sk, sk_len, val, len);
}

int store_item_scan(struct store *st, const struct store_range *r, store_item_cb *cb, void *arg)
{
    return st->ops->item_scan(st, r, cb, arg);
}

/* ---- function logs (kept as they were) ---- */

int store_logs_append(struct store *st, const struct store_log_event *ev, size_t n)
{
    return st->ops->logs_append(st, ev, n);
}

int store_logs_trim(struct store *st, int64_t max_bytes, int64_t *deleted)
{
    return st->ops->logs_trim(st, max_bytes, deleted);
}

int store_logs_scan(struct store *st, const char *group, const char *stream, store_log_cb *cb,
                    void *arg)
{
    return st->ops->logs_scan(st, group, stream, cb, arg);
}

/* ---- CloudWatch Logs ---- */

int store_cwl_group_create(struct store *st, const char *name, int64_t now_ms)
{
    return st->ops->cwl_group_create(st, name, now_ms);
}

int store_cwl_group_delete(struct store *st, const char *name)
{
    return st->ops->cwl_group_delete(st, name);
}

int store_cwl_group_get(struct store *st, const char *name, struct store_cwl_group *out)
{
    return st->ops->cwl_group_get(st, name, out);
}

int store_cwl_group_retention(struct store *st, const char *name, int days)
{
    return st->ops->cwl_group_retention(st, name, days);
}

int store_cwl_groups_scan(struct store *st, const char *prefix, const char *after,
                          store_cwl_group_cb *cb, void *arg)
{
    return st->ops->cwl_groups_scan(st, prefix, after, cb, arg);
}

int store_cwl_stream_create(struct store *st, const char *group, const char *name, int64_t now_ms)
{
    return st->ops->cwl_stream_create(st, group, name, now_ms);
}

int store_cwl_stream_get(struct store *st, const char *group, const char *name,
                         struct store_cwl_stream *out)
{
    return st->ops->cwl_stream_get(st, group, name, out);
}

int store_cwl_streams_scan(struct store *st, const char *group, const char *prefix, int flags,
                           store_cwl_stream_cb *cb, void *arg)
{
    return st->ops->cwl_streams_scan(st, group, prefix, flags, cb, arg);
}

int store_cwl_events_put(struct store *st, const char *group, const char *stream,
                         const struct store_log_event *ev, size_t n, int64_t ingest_ms,
                         int64_t *last_id)
{
    return st->ops->cwl_events_put(st, group, stream, ev, n, ingest_ms, last_id);
}

int store_cwl_events_scan(struct store *st, const struct store_cwl_query *q, store_cwl_event_cb *cb,
                          void *arg)
{
    return st->ops->cwl_events_scan(st, q, cb, arg);
}

int store_cwl_expire(struct store *st, int64_t now_ms, int64_t *deleted)
{
    return st->ops->cwl_expire(st, now_ms, deleted);
}
