/* SPDX-License-Identifier: MIT */
/*
 * Worker pool: one mutex-protected FIFO of jobs, N threads that pop and run
 * them, and a completion FIFO drained by the loop thread. The eventfd is the
 * only wake-up the loop needs. State owned by the loop (the pending counter)
 * is touched only on the loop thread; the queues are shared under the mutex.
 */
#include "worker.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct job {
    struct job *next;
    worker_work_fn *work;
    worker_done_fn *done;
    void *arg;
};

struct jobq {
    struct job *head;
    struct job *tail;
};

struct worker_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct jobq todo;
    struct jobq finished;
    bool stopping;
    int efd;
    int nthreads;
    unsigned pending; /* loop thread only */
    pthread_t threads[];
};

static void q_push(struct jobq *q, struct job *j)
{
    j->next = NULL;
    if (q->tail != NULL)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
}

static struct job *q_pop(struct jobq *q)
{
    struct job *j = q->head;
    if (j != NULL) {
        q->head = j->next;
        if (q->head == NULL)
            q->tail = NULL;
    }
    return j;
}

static void *thread_main(void *p)
{
    struct worker_pool *wp = p;
    pthread_mutex_lock(&wp->mu);
    for (;;) {
        struct job *j = q_pop(&wp->todo);
        if (j == NULL) {
            if (wp->stopping)
                break;
            pthread_cond_wait(&wp->cv, &wp->mu);
            continue;
        }
        pthread_mutex_unlock(&wp->mu);
        j->work(j->arg);
        pthread_mutex_lock(&wp->mu);
        q_push(&wp->finished, j);
        uint64_t one = 1;
        ssize_t w = write(wp->efd, &one, sizeof(one));
        (void)w; /* an eventfd write can only fail on counter overflow */
    }
    pthread_mutex_unlock(&wp->mu);
    return NULL;
}

struct worker_pool *worker_pool_new(int nthreads)
{
    struct worker_pool *wp = calloc(1, sizeof(*wp) + (size_t)nthreads * sizeof(pthread_t));
    if (wp == NULL)
        return NULL;
    pthread_mutex_init(&wp->mu, NULL);
    pthread_cond_init(&wp->cv, NULL);
    wp->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wp->efd < 0) {
        free(wp);
        return NULL;
    }
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&wp->threads[i], NULL, thread_main, wp) != 0)
            break;
        wp->nthreads++;
    }
    if (wp->nthreads == 0) {
        close(wp->efd);
        free(wp);
        return NULL;
    }
    return wp;
}

void worker_submit(struct worker_pool *wp, worker_work_fn *work, worker_done_fn *done, void *arg)
{
    struct job *j = malloc(sizeof(*j));
    if (j == NULL)
        abort();
    j->work = work;
    j->done = done;
    j->arg = arg;
    wp->pending++;
    pthread_mutex_lock(&wp->mu);
    q_push(&wp->todo, j);
    pthread_cond_signal(&wp->cv);
    pthread_mutex_unlock(&wp->mu);
}

int worker_pool_fd(const struct worker_pool *wp)
{
    return wp->efd;
}

unsigned worker_pool_pending(const struct worker_pool *wp)
{
    return wp->pending;
}

void worker_pool_complete(struct worker_pool *wp)
{
    uint64_t n;
    ssize_t r = read(wp->efd, &n, sizeof(n));
    (void)r; /* EAGAIN just means another drain got there first */
    pthread_mutex_lock(&wp->mu);
    struct job *list = wp->finished.head;
    wp->finished.head = wp->finished.tail = NULL;
    pthread_mutex_unlock(&wp->mu);
    while (list != NULL) {
        struct job *j = list;
        list = j->next;
        wp->pending--;
        if (j->done != NULL)
            j->done(j->arg);
        free(j);
    }
}

void worker_pool_free(struct worker_pool *wp)
{
    if (wp == NULL)
        return;
    pthread_mutex_lock(&wp->mu);
    wp->stopping = true;
    pthread_cond_broadcast(&wp->cv);
    pthread_mutex_unlock(&wp->mu);
    for (int i = 0; i < wp->nthreads; i++)
        pthread_join(wp->threads[i], NULL);
    worker_pool_complete(wp);
    close(wp->efd);
    pthread_cond_destroy(&wp->cv);
    pthread_mutex_destroy(&wp->mu);
    free(wp);
}
