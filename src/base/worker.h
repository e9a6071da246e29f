/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_BASE_WORKER_H
#define LAMBDAD_BASE_WORKER_H

/*
 * A fixed pool of threads for blocking work (store writes, unzip). A job's
 * work function runs on a worker; its done function runs later on the loop
 * thread, when the loop calls worker_pool_complete() after the completion
 * eventfd became readable.
 */

struct worker_pool;

typedef void worker_work_fn(void *arg);
typedef void worker_done_fn(void *arg);

/* Returns a new pool of nthreads threads (free with worker_pool_free), or NULL. */
struct worker_pool *worker_pool_new(int nthreads);

/* Waits for queued jobs, runs their done functions, joins the threads. */
void worker_pool_free(struct worker_pool *wp);

/* Queues work(arg) for a worker; done(arg) then runs once on the loop thread.
 * done may be NULL. Loop thread only. Aborts on OOM. */
void worker_submit(struct worker_pool *wp, worker_work_fn *work, worker_done_fn *done, void *arg);

/* The eventfd that becomes readable when completions are waiting. */
int worker_pool_fd(const struct worker_pool *wp);

/* Runs the done functions of finished jobs. Loop thread only. */
void worker_pool_complete(struct worker_pool *wp);

/* Jobs queued or running (not yet completed on the loop). */
unsigned worker_pool_pending(const struct worker_pool *wp);

#endif
