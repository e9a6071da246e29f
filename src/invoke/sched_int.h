/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_INVOKE_SCHED_INT_H
#define LAMBDAD_INVOKE_SCHED_INT_H

/*
 * The scheduler's private structures and the calls between its files
 * (callers use sched.h):
 *   sched.c       pools, admission and concurrency accounting, dispatch to
 *                 idle instances, provisioned concurrency, the public API;
 *   sched_inst.c  instance lifecycle: environment, extension discovery,
 *                 spawn, stop, kill, exit handling, reaping, timers;
 *   sched_rt.c    the Runtime API (next, response, error, init/error), the
 *                 Extensions and Telemetry API routing, invocation completion;
 *   sched_log.c   the function log stream: output pipes, platform lines,
 *                 Telemetry records.
 * Loop thread only, like everything in the scheduler.
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/timer.h"
#include "http/server.h"
#include "invoke/logs.h"
#include "invoke/sched.h"
#include "invoke/telemetry.h"

enum inst_state { I_STARTING, I_IDLE, I_BUSY, I_STOPPING };

struct instance;

/* An output pipe of an instance, read into log lines. */
struct outstream {
    struct instance *in;
    h2o_socket_t *sock;
    char *partial; /* a line without its newline yet */
    size_t partial_len;
    bool ext;                /* extensions' output (Telemetry "extension" records) */
    struct logs_waiter wait; /* parked while the log backlog is full: not read meanwhile */
};

struct pool;

struct instance {
    struct sched *s;
    struct pool *pool;
    struct function *fn; /* the snapshot this instance runs (a reference) */
    enum inst_state state;
    pid_t pid;
    struct http_listener *listener;
    uint16_t port;
    h2o_req_t *next_req;      /* parked GET /next */
    struct invocation *inv;   /* the invocation it is running */
    char last_id[37];         /* the last request id it answered */
    struct outstream outs[2]; /* stdout+stderr of the runtime, and of extensions */
    char id[33];
    char group[96];
    char stream[128];
    char tmpdir[512];           /* per-instance TMPDIR without the sandbox */
    struct sandbox_proc *proc;  /* the process tree and its cgroup */
    struct http_listener *edge; /* lambdad's edge inside its network namespace, or NULL */
    struct timer freeze_timer;  /* freezes an idle instance */
    bool frozen;
    int64_t spawn_us;
    int64_t peak_read_us; /* when peak_mb was last read from /proc */
    int peak_mb;          /* the process's peak RSS, MB */
    double init_ms;
    bool init_reported;
    char *init_error; /* body of POST /runtime/init/error */
    size_t init_error_len;
    struct timer timer;           /* init limit, or idle keep-alive */
    struct instance *prev, *next; /* pool->all */
    struct instance *next_idle;
    bool on_idle_list;
    bool finishing;   /* answered, has not asked for the next event yet */
    bool provisioned; /* initialised ahead of demand; never reaped while wanted */
    /* Extensions. With external ones the instance's first process is
     * lambdad-init, which starts them, starts the runtime when told and
     * reports every exit over ctl. */
    struct ext_set *ext;        /* NULL until one is started or registers */
    h2o_socket_t *ctl;          /* lambdad-init's control socket, or NULL */
    bool rt_started;            /* lambdad-init was told to start the runtime */
    bool rt_gone;               /* the runtime's exit has been handled */
    bool graceful;              /* stopping: extensions got SHUTDOWN, SIGKILL at ext_timer */
    const char *stop_reason;    /* shutdownReason: spindown, timeout or failure */
    char init_error_type[64];   /* init failed for a platform reason: the errorType */
    char init_error_msg[320];   /* and what follows "RequestId: <id> Error: " */
    bool report_pending;        /* the runtime answered; extensions still work on it */
    bool report_error;          /* that invocation ended in a function error */
    char report_id[37];         /* its request id */
    int64_t report_start_us;    /* when it started */
    int64_t report_deadline_ms; /* its function timeout, as epoch ms */
    struct timer ext_timer;     /* report_pending: the timeout; graceful: the SIGKILL */
};

struct pool {
    char *name;
    struct function *fn; /* current snapshot, or NULL once deleted */
    struct instance *all;
    struct instance *idle; /* LIFO: the warmest instance first */
    struct invocation *qhead, *qtail;
    unsigned npending;
    unsigned starting;
    unsigned busy;             /* invocations delivered to its instances */
    unsigned finishing;        /* instances expected to ask for an event soon */
    unsigned provisioned;      /* provisioned instances alive */
    unsigned provisioned_want; /* provisioned concurrency configured */
    struct timer respawn;      /* continues a burst of spawns on the next loop turn */
    struct sched *s;
    unsigned count;
    struct pool *hnext;
};

#define POOL_BUCKETS 1024

struct sched {
    struct http_server *srv;
    struct blob_store *bs;
    struct logs *logs;
    const struct sched_config *cfg;
    struct timer_heap *th;
    struct sandbox *sb;
    struct pool *buckets[POOL_BUCKETS];
    unsigned nbusy;             /* invocations delivered to a runtime */
    unsigned nstarting;         /* instances initialising */
    unsigned unreserved_active; /* busy + starting of pools without reserved concurrency */
    unsigned reserved_total;    /* reserved concurrency of all functions */
    bool stopping;              /* shutting down: nothing is replaced */
    int init_fd;                /* lambdad-init (O_PATH), or -1: no external extensions */
    char hosts[600];            /* the instances' /etc/hosts (sandbox.localdomain), or "" */
    unsigned ninstances;
    unsigned npending;
    struct invocation *refused; /* refused while the log writer is congested (FIFO) */
    struct invocation *refused_tail;
    struct timer refuse_timer; /* completes them with ServiceException on the next loop turn */
    int64_t refuse_warned_ms;  /* refusals are logged once per 10 s */
    struct invocation *held;   /* waiting for room in the log backlog (FIFO) */
    struct invocation *held_tail;
    unsigned nheld;
    struct timer hold_timer;     /* the oldest held one's LOG_HOLD_MAX_MS */
    struct logs_waiter log_wait; /* parked while some are held */
};
/* ---- sched.c: pools ---- */

/* Drops p once nothing refers to it (no snapshot, instance, waiter or
 * provisioned concurrency). */
void pool_drop_if_unused(struct sched *s, struct pool *p);

/* Moves the busy and starting counts of p (and the totals) by the deltas;
 * concurrency is busy + starting. */
void pool_count(struct sched *s, struct pool *p, int dbusy, int dstarting);

/* The oldest waiting invocation of p, taken off its queue, or NULL. */
struct invocation *pool_dequeue(struct sched *s, struct pool *p);

/* Keeps one starting (or about to be idle) instance per waiting invocation. */
void pool_balance(struct sched *s, struct pool *p);

/* Starts provisioned instances until the pool has as many as configured. */
void pool_provision(struct sched *s, struct pool *p);

/* in asked for its next event: it takes the oldest waiting invocation, or
 * goes on its pool's idle list (or stops, with keep-alive 0). */
void instance_idle(struct instance *in);

/* ---- sched_inst.c: instance lifecycle ---- */

/* Starts a new instance for pool p. Returns 0 or -errno. */
int spawn_instance(struct sched *s, struct pool *p, bool provisioned);

/* Unfreezes in (and cancels its freeze timer). */
void instance_thaw(struct instance *in);

/* Takes in off its pool's idle list (if it is on it). */
void unlist_idle(struct instance *in);

/* in asked for its next event after an invocation (or FINISH_GRACE_MS passed). */
void end_finishing(struct instance *in);

/* Kills the whole instance now and closes its endpoints. */
void kill_now(struct instance *in);

/* One command byte to lambdad-init ('s' start the runtime, 't' SIGTERM it). */
void ctl_send(struct instance *in, char cmd);

/* Stops in without starting replacements (freed when reaped). */
void mark_stopping(struct instance *in);

/* mark_stopping, then start what the pool's waiting invocations need. */
void stop_instance(struct instance *in);

/* A wait status as AWS words it ("exit status 1", "signal: killed"). */
void exit_text(int status, char *buf, size_t cap);

/* The runtime is gone (status: a wait status): fail what it was doing. */
void runtime_exited(struct instance *in, int status);

/* The instance's first process exited: handle it, free in. */
void instance_exited(struct instance *in, int status);

/* The instance whose first process is pid, or NULL. */
struct instance *find_pid(struct sched *s, pid_t pid);

/* An invocation's deadline (the function timeout) passed. */
void on_inv_timer(struct timer *t, void *arg);

/* ---- sched_rt.c: Runtime API and completion ---- */

/* Runs the done callback of inv (which frees it) with a platform payload
 * (takes owned, or NULL). */
void complete_with(struct invocation *inv, int status, bool fn_error, char *owned);

/* Returns a new {"errorMessage","errorType"} payload (free with free). */
char *error_payload(const char *type, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The invocation is over on every side: END and REPORT, and the instance
 * may take the next one. */
void end_invoke(struct instance *in, struct invocation *inv);

/* Ends the running invocation now: END and REPORT, then the done callback
 * (body borrowed for the call; takes owned, or NULL). */
void inv_finish(struct instance *in, bool fn_error, const char *body, size_t len, const char *ctype,
                char *owned);

/* Hands inv to in's parked GET /next. */
void instance_deliver(struct instance *in, struct invocation *inv);

/* lambdad-init's control socket is readable. */
void on_ctl(h2o_socket_t *sock, const char *err);

/* ---- sched_log.c: the function log ---- */

/* One line of the instance's log stream (and the running invocation's tail). */
void log_line(struct instance *in, struct invocation *inv, const char *line, size_t len);
void log_linef(struct instance *in, struct invocation *inv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Whether an extension subscribed to Telemetry records of kind. */
bool tele_wanted(const struct instance *in, enum tele_type kind);

/* A platform.* Telemetry record (takes rec) to every subscriber, or to one. */
void tele_platform(struct instance *in, struct tele *only, const char *type, cJSON *rec);

/* "on-demand" or "provisioned-concurrency". */
const char *init_type(const struct instance *in);

/* An output pipe of in is readable. */
void on_output(h2o_socket_t *sock, const char *err);

/* Reads whatever the instance wrote so far, so its lines precede END. */
void drain_output(struct instance *in);

/* Stops watching o's pipe (the instance is going away). */
void output_close(struct outstream *o);

#endif
