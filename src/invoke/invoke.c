/* SPDX-License-Identifier: MIT */
/*
 * invoke_submit(): one pending record per synchronous invocation holds the
 * scheduler's struct invocation and what the caller gets back; it is freed
 * right after the caller's callback.
 */
#include "invoke.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/util.h"
#include "catalog/catalog.h"
#include "catalog/function.h"
#include "invoke/sched.h"

static void on_catalog_changed(void *arg, const char *key, struct function *fn)
{
    sched_function_changed(arg, key, fn);
}

void invoker_init(struct invoker *iv, struct catalog *cat, struct sched *sched, const char *region,
                  const char *account)
{
    *iv = (struct invoker){.cat = cat, .sched = sched, .region = region, .account = account};
    catalog_watch(cat, &(struct catalog_watcher){.changed = on_catalog_changed, .arg = sched});
}

bool invoke_elsewhere(const struct invoker *iv, const struct fn_ref *ref)
{
    return (ref->account[0] != '\0' && strcmp(ref->account, iv->account) != 0) ||
           (ref->region[0] != '\0' && strcmp(ref->region, iv->region) != 0);
}

int invoke_lookup(const struct invoker *iv, const struct fn_ref *ref, bool route,
                  struct function **out)
{
    if (invoke_elsewhere(iv, ref) ||
        catalog_resolve(iv->cat, ref->name, ref->qualifier, route, out) != 0)
        return ERR_NOT_FOUND;
    return 0;
}

struct pending {
    struct invocation inv;
    invoke_done_fn *done;
    void *arg;
    char *client_context;
    char *arn;
    char version[12]; /* the version that runs */
};

static void on_done(struct invocation *inv, int status, void *arg)
{
    struct pending *pd = arg;
    struct invoke_done d = {.status = status, .inv = inv, .arn = pd->arn, .version = pd->version};
    pd->done(pd->arg, &d);
    free(inv->log);
    free(inv->owned);
    free(pd->client_context);
    free(pd->arn);
    free(pd);
}

/* fn's ARN plus ":qual" when qual is not empty; returns new. */
static char *qualified_arn(const struct function *fn, const char *qual)
{
    size_t n = strlen(fn->arn) + 1 + strlen(qual) + 1;
    char *arn = xmalloc(n);
    snprintf(arn, n, "%s%s%s", fn->arn, qual[0] ? ":" : "", qual);
    return arn;
}

int invoke_submit(struct invoker *iv, struct function *fn, const struct invoke_params *p,
                  invoke_done_fn *done, void *arg)
{
    const char *qual = p->qualifier != NULL ? p->qualifier : "";
    struct pending *pd = xcalloc(1, sizeof(*pd));
    pd->done = done;
    pd->arg = arg;
    pd->client_context = p->client_context;
    pd->arn = p->invoked_arn != NULL ? xstrdup(p->invoked_arn) : qualified_arn(fn, qual);
    memcpy(pd->version, fn->version, sizeof(pd->version));
    struct invocation *inv = &pd->inv;
    if (p->request_id != NULL)
        snprintf(inv->request_id, sizeof(inv->request_id), "%s", p->request_id);
    else
        rand_uuid(inv->request_id);
    inv->fn = function_ref(fn);
    inv->payload = p->payload;
    inv->payload_len = p->len;
    inv->client_context = p->client_context;
    inv->invoked_arn = pd->arn;
    inv->want_tail = p->want_tail;
    inv->done = on_done;
    inv->done_arg = pd;
    int rc = sched_submit(iv->sched, inv);
    if (rc != 0) {
        function_unref(inv->fn);
        free(pd->client_context);
        free(pd->arn);
        free(pd);
    }
    return rc;
}

void invoke_enqueue(struct invoker *iv, const struct function *fn, const char *qual,
                    const char *payload, size_t len, invoke_accepted_fn *done, void *arg)
{
    char *arn = qualified_arn(fn, qual);
    iv->enqueue(iv->enqueue_ctx, fn->name, arn, payload, len, done, arg);
    free(arn);
}
