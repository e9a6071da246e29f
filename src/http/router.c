/* SPDX-License-Identifier: MIT */
/*
 * Rows are kept sorted (kind, longer pattern first, registration order) so
 * dispatch is one pass over the table; the table is small (a few dozen
 * rows) and a pass costs a few hundred nanoseconds. The keys of a request
 * are computed at most once per dispatch, when the first row of their kind
 * is reached.
 */
#include "router.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/form.h"

void router_init(struct router *r, router_answer_fn *fallback, router_answer_fn *refuse, void *arg)
{
    memset(r, 0, sizeof(*r));
    r->fallback = fallback;
    r->refuse = refuse;
    r->answer_arg = arg;
}

void router_set_service_fn(struct router *r, router_service_fn *fn)
{
    r->service = fn;
}

static int row_cmp(const void *a, const void *b)
{
    const struct router_row *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if (x->len != y->len)
        return x->len > y->len ? -1 : 1;
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

int router_add(struct router *r, enum router_kind kind, const char *pattern, int flags,
               router_fn *fn, void *arg)
{
    size_t len = strlen(pattern);
    if (len == 0)
        return -EINVAL;
    if (r->n == ROUTER_ROWS_MAX || len >= ROUTER_PATTERN_MAX)
        return -E2BIG;
    struct router_row *row = &r->rows[r->n];
    *row = (struct router_row){
        .kind = kind, .len = len, .flags = flags, .fn = fn, .arg = arg, .seq = (unsigned)r->n};
    memcpy(row->pattern, pattern, len + 1);
    r->n++;
    qsort(r->rows, r->n, sizeof(r->rows[0]), row_cmp);
    return 0;
}

void router_stop(struct router *r)
{
    r->stopping = true;
}

/* True if one dot-separated label of the Host (port excluded) is pattern. */
static bool host_has_label(const h2o_iovec_t *host, const struct router_row *row)
{
    size_t hlen = host->len;
    const char *colon = memchr(host->base, ':', hlen);
    if (colon != NULL)
        hlen = (size_t)(colon - host->base);
    size_t start = 0;
    for (size_t i = 0; i <= hlen; i++) {
        if (i == hlen || host->base[i] == '.') {
            if (i - start == row->len &&
                strncasecmp(host->base + start, row->pattern, row->len) == 0)
                return true;
            start = i + 1;
        }
    }
    return false;
}

static bool path_matches(const h2o_req_t *req, const struct router_row *row)
{
    size_t plen = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    if (plen < row->len || memcmp(req->path.base, row->pattern, row->len) != 0)
        return false;
    return row->pattern[row->len - 1] == '/' || plen == row->len;
}

/* The keys of one request, computed when first needed. */
struct keys {
    bool have_action, have_service;
    int action_len, service_len;
    char action[128];
    char service[64];
};

static const char *action_of(const h2o_req_t *req, struct keys *k)
{
    if (!k->have_action) {
        k->have_action = true;
        k->action_len = -1;
        if (req->query_at != SIZE_MAX)
            k->action_len = http_form_param(req->path.base + req->query_at + 1,
                                            req->path.len - req->query_at - 1, "Action", k->action,
                                            sizeof(k->action));
        if (k->action_len < 0 && req->entity.base != NULL && http_method_is(req, "POST")) {
            const h2o_iovec_t *ct = http_req_header(req, "content-type");
            if (ct != NULL && ct->len >= 33 &&
                strncasecmp(ct->base, "application/x-www-form-urlencoded", 33) == 0)
                k->action_len = http_form_param(req->entity.base, req->entity.len, "Action",
                                                k->action, sizeof(k->action));
        }
    }
    return k->action_len >= 0 ? k->action : NULL;
}

static bool row_matches(struct router *r, h2o_req_t *req, const struct router_row *row,
                        struct keys *k)
{
    switch (row->kind) {
    case ROUTER_HOST:
        return host_has_label(&req->input.authority, row);
    case ROUTER_TARGET: {
        const h2o_iovec_t *t = http_req_header(req, "x-amz-target");
        return t != NULL && t->len >= row->len && memcmp(t->base, row->pattern, row->len) == 0;
    }
    case ROUTER_ACTION: {
        const char *a = action_of(req, k);
        return a != NULL && strcmp(a, row->pattern) == 0;
    }
    case ROUTER_SERVICE:
        if (!k->have_service) {
            k->have_service = true;
            k->service_len =
                r->service != NULL ? r->service(req, k->service, sizeof(k->service)) : -1;
        }
        return k->service_len >= 0 && strcmp(k->service, row->pattern) == 0;
    case ROUTER_PATH:
        return path_matches(req, row);
    }
    return false;
}

void router_dispatch(struct router *r, h2o_req_t *req)
{
    struct keys k = {0};
    for (size_t i = 0; i < r->n; i++) {
        const struct router_row *row = &r->rows[i];
        if (!row_matches(r, req, row, &k))
            continue;
        if (r->stopping && !(row->flags & ROUTER_ALWAYS)) {
            r->refuse(r->answer_arg, req);
            return;
        }
        if (row->fn(row->arg, req))
            return;
    }
    if (r->stopping)
        r->refuse(r->answer_arg, req);
    else
        r->fallback(r->answer_arg, req);
}
