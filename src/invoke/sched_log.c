/* SPDX-License-Identifier: MIT */
/*
 * Scheduler: the function log. Lines of an instance's stdout/stderr (and
 * its extensions') and the platform's lines go to its log stream, into the
 * running invocation's tail (X-Amz-Log-Result) and to the extensions that
 * subscribed to Telemetry.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/limits.h"
#include "base/util.h"
#include "invoke/ext.h"
#include "invoke/logs.h"
#include "invoke/sched_int.h"

/* ---- function log ---- */

static void tail_append(struct invocation *inv, const char *line, size_t len)
{
    if (!inv->want_tail)
        return;
    size_t need = inv->log_len + len + 1;
    if (need > INVOKE_LOG_KEEP_BYTES) {
        size_t drop = need - INVOKE_LOG_KEEP_BYTES / 2;
        if (drop > inv->log_len)
            drop = inv->log_len;
        memmove(inv->log, inv->log + drop, inv->log_len - drop);
        inv->log_len -= drop;
        if (len + 1 > INVOKE_LOG_KEEP_BYTES / 2) {
            line += len - INVOKE_LOG_KEEP_BYTES / 2 + 1;
            len = INVOKE_LOG_KEEP_BYTES / 2 - 1;
        }
    }
    if (inv->log == NULL && (inv->log = malloc(INVOKE_LOG_KEEP_BYTES)) == NULL)
        abort();
    memcpy(inv->log + inv->log_len, line, len);
    inv->log_len += len;
    inv->log[inv->log_len++] = '\n';
}

/* One line of the instance's log stream (and the running invocation's tail). */
void log_line(struct instance *in, struct invocation *inv, const char *line, size_t len)
{
    logs_emit(in->s->logs, in->group, in->stream, clock_ms(), line, len);
    if (inv != NULL)
        tail_append(inv, line, len);
}

void log_linef(struct instance *in, struct invocation *inv, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0)
        log_line(in, inv, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* Telemetry: record (JSON text) to every extension subscribed to kind. */
static void tele_emit(struct instance *in, enum tele_type kind, const char *type,
                      const char *record, size_t len)
{
    for (int i = 0; in->ext != NULL && i < in->ext->n; i++)
        tele_push(in->ext->e[i].tele, kind, type, record, len);
}

bool tele_wanted(const struct instance *in, enum tele_type kind)
{
    for (int i = 0; in->ext != NULL && i < in->ext->n; i++)
        if (tele_types(in->ext->e[i].tele) & kind)
            return true;
    return false;
}

/* A platform.* Telemetry record (takes rec) to every subscriber, or to one. */
void tele_platform(struct instance *in, struct tele *only, const char *type, cJSON *rec)
{
    if (only != NULL ? (tele_types(only) & TELE_PLATFORM) : tele_wanted(in, TELE_PLATFORM)) {
        char *text = cJSON_PrintUnformatted(rec);
        if (text == NULL)
            abort();
        if (only != NULL)
            tele_push(only, TELE_PLATFORM, type, text, strlen(text));
        else
            tele_emit(in, TELE_PLATFORM, type, text, strlen(text));
        free(text);
    }
    cJSON_Delete(rec);
}

const char *init_type(const struct instance *in)
{
    return in->provisioned ? "provisioned-concurrency" : "on-demand";
}

/* One line of output: the log stream, and a "function" or "extension"
 * Telemetry record. */
static void output_line(struct outstream *o, const char *line, size_t len)
{
    struct instance *in = o->in;
    log_line(in, in->inv, line, len);
    enum tele_type kind = o->ext ? TELE_EXTENSION : TELE_FUNCTION;
    if (!tele_wanted(in, kind))
        return;
    cJSON *str = cJSON_CreateString("");
    char *copy = malloc(len + 1);
    if (str == NULL || copy == NULL)
        abort();
    memcpy(copy, line, len);
    copy[len] = '\0';
    cJSON_SetValuestring(str, copy);
    free(copy);
    char *text = cJSON_PrintUnformatted(str);
    cJSON_Delete(str);
    if (text == NULL)
        abort();
    tele_emit(in, kind, o->ext ? "extension" : "function", text, strlen(text));
    free(text);
}

static void output_bytes(struct outstream *o, const char *p, size_t n)
{
    while (n > 0) {
        const char *nl = memchr(p, '\n', n);
        size_t take = nl != NULL ? (size_t)(nl - p) : n;
        if (o->partial_len + take > LOG_LINE_MAX_BYTES)
            take = LOG_LINE_MAX_BYTES - o->partial_len;
        char *buf = xrealloc(o->partial, o->partial_len + take + 1);
        o->partial = buf;
        memcpy(o->partial + o->partial_len, p, take);
        o->partial_len += take;
        p += take;
        n -= take;
        bool end = n > 0 && *p == '\n';
        if (end || o->partial_len == LOG_LINE_MAX_BYTES) {
            output_line(o, o->partial, o->partial_len);
            o->partial_len = 0;
        }
        if (end) {
            p++;
            n--;
        }
    }
}

static void flush_partial(struct outstream *o)
{
    if (o->partial_len > 0) {
        output_line(o, o->partial, o->partial_len);
        o->partial_len = 0;
    }
}

/* The log backlog has room again: read o's pipe again. */
static void on_room(struct logs_waiter *w, void *arg)
{
    struct outstream *o = arg;
    (void)w;
    if (o->sock != NULL)
        h2o_socket_read_start(o->sock, on_output);
}

void on_output(h2o_socket_t *sock, const char *err)
{
    struct outstream *o = sock->data;
    struct logs *lg = o->in->s->logs;
    output_bytes(o, sock->input->bytes, sock->input->size);
    h2o_buffer_consume(&sock->input, sock->input->size);
    if (err != NULL) {
        flush_partial(o);
        output_close(o);
    } else if (!logs_has_room(lg)) {
        /* Backpressure: the pipe fills and the function blocks on its
         * writes, as it would on AWS, until the store catches up. */
        h2o_socket_read_stop(sock);
        logs_wait_room(lg, &o->wait, on_room, o);
    }
}

void output_close(struct outstream *o)
{
    logs_wait_cancel(o->in->s->logs, &o->wait);
    if (o->sock != NULL)
        h2o_socket_close(o->sock);
    o->sock = NULL;
}

/* Reads whatever the instance wrote so far, so its lines precede END. */
void drain_output(struct instance *in)
{
    for (int k = 0; k < 2; k++) {
        struct outstream *o = &in->outs[k];
        if (o->sock == NULL)
            continue;
        int fd = h2o_socket_get_fd(o->sock);
        char buf[65536];
        /* Past the backlog bound, about what the pipe held: the function
         * could otherwise go on writing while this reads. */
        size_t left = logs_has_room(in->s->logs) ? SIZE_MAX : LOG_DRAIN_CONGESTED_BYTES;
        for (int rounds = 0; rounds < 256 && left > 0; rounds++) {
            ssize_t n = read(fd, buf, left < sizeof(buf) ? left : sizeof(buf));
            if (n <= 0)
                break;
            output_bytes(o, buf, (size_t)n);
            left -= (size_t)n;
        }
        flush_partial(o);
    }
}
