/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_CWLOGS_API_H
#define LAMBDAD_CWLOGS_API_H

/*
 * The CloudWatch Logs API subset (JSON 1.1, X-Amz-Target: Logs_20140328.*):
 * log groups (create, delete, describe, retention), log streams (create,
 * describe), PutLogEvents, GetLogEvents and FilterLogEvents, which is what
 * `aws logs tail [--follow]` uses. Function logs written by invoke/logs.c
 * appear in the group /aws/lambda/<name>. Retention is enforced on every
 * read and by a periodic job that deletes expired events.
 */

#include <stdbool.h>

#include "http/server.h"

struct cwlogs;
struct store;
struct worker_pool;
struct timer_heap;

/* Returns a new Logs API (free with cwlogs_free) over st, running store
 * calls on wp and its retention job on th (first run at the next loop
 * iteration, then every CWLOGS_EXPIRE_INTERVAL_MS). Borrows every argument;
 * region and account must outlive it. Loop thread. Aborts on OOM. */
struct cwlogs *cwlogs_new(struct store *st, struct worker_pool *wp, struct timer_heap *th,
                          const char *region, const char *account);

/* Handles an edge request whose X-Amz-Target starts with "Logs_20140328."
 * and returns true (answered now or later, from a worker job's completion);
 * returns false, untouched, for any other request. Loop thread. */
bool cwlogs_handle(struct cwlogs *cw, h2o_req_t *req);

struct router;

/* Registers the CloudWatch Logs rows (X-Amz-Target Logs_20140328.*) with r.
 * Returns 0 or the router's error. */
int cwlogs_routes(struct cwlogs *cw, struct router *r);

/* Stops the retention timer and frees cw (NULL is a no-op). Call after the
 * worker pool has completed every job (worker_pool_free), before the timer
 * heap goes. Loop thread. */
void cwlogs_free(struct cwlogs *cw);

#endif
