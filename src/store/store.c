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
