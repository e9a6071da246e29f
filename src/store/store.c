/* SPDX-License-Identifier: MIT */
/*
 * Backend selection and dispatch. Callers see only store.h; the backend is
 * picked once from the --store URL.
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

int store_fn_put(struct store *st, const char *name, const char *config_json)
{
    return st->ops->fn_put(st, name, config_json);
}

int store_fn_delete(struct store *st, const char *name)
{
    return st->ops->fn_delete(st, name);
}

int store_fn_scan(struct store *st, store_fn_cb *cb, void *arg)
{
    return st->ops->fn_scan(st, cb, arg);
}

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

int store_async_apply(struct store *st, struct store_async_op *ops, size_t n)
{
    return st->ops->async_apply(st, ops, n);
}

int store_async_scan(struct store *st, store_async_cb *cb, void *arg)
{
    return st->ops->async_scan(st, cb, arg);
}

int store_eic_put(struct store *st, const char *fn, const char *qualifier, const char *json)
{
    return st->ops->eic_put(st, fn, qualifier, json);
}

int store_eic_delete(struct store *st, const char *fn, const char *qualifier)
{
    return st->ops->eic_delete(st, fn, qualifier);
}

int store_eic_scan(struct store *st, store_eic_cb *cb, void *arg)
{
    return st->ops->eic_scan(st, cb, arg);
}

/* ---- API Gateway ---- */

int store_gw_api_put(struct store *st, const char *api_id, const char *json)
{
    return st->ops->gw_api_put(st, api_id, json);
}

int store_gw_api_delete(struct store *st, const char *api_id)
{
    return st->ops->gw_api_delete(st, api_id);
}

int store_gw_api_scan(struct store *st, store_gw_api_cb *cb, void *arg)
{
    return st->ops->gw_api_scan(st, cb, arg);
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
