/* SPDX-License-Identifier: MIT */
/*
 * CloudWatch Logs over JSON 1.1. The loop thread routes a request by its
 * X-Amz-Target and parses the body; everything else (validation, the store
 * calls and building the response object) runs in one worker job, whose
 * completion sends the answer on the loop. The response of a read is built
 * while the store scan runs, so no event is copied twice.
 *
 * Tokens are plain text: GetLogEvents uses "f/<ts>/<id>" and "b/<ts>/<id>",
 * positions in (timestamp, row id) order; FilterLogEvents uses "p/<ts>/<id>";
 * DescribeLogGroups the last group name of the page; DescribeLogStreams
 * "s/<offset>". An eventId is the event's row id as 20 decimal digits, so it
 * is stable for the life of the event. Events older than their group's
 * retention are never returned, whether or not the periodic job (every
 * CWLOGS_EXPIRE_INTERVAL_MS, and once at start-up) has deleted them yet.
 */
#include "api.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/awserr.h"
#include "aws/validate.h"
#include "base/alloc.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/timer.h"
#include "base/util.h"
#include "base/worker.h"
#include "cwlogs/pattern.h"
#include "http/router.h"
#include "store/store.h"

#define TARGET_PREFIX "Logs_20140328."
#define DAY_MS        86400000LL

#define E_NOT_FOUND "ResourceNotFoundException"
#define E_EXISTS    "ResourceAlreadyExistsException"
#define E_PARAM     "InvalidParameterException"
#define E_SERIAL    "SerializationException"
#define E_UNKNOWN   "UnknownOperationException"
#define E_SERVICE   "ServiceUnavailableException"

#define MSG_NO_GROUP  "The specified log group does not exist."
#define MSG_NO_STREAM "The specified log stream does not exist."

struct cwlogs {
    struct store *st;
    struct worker_pool *wp;
    struct timer_heap *th;
    struct timer expire; /* the retention job's schedule */
    bool expiring;       /* a retention job is queued or running */
    bool expire_again;   /* a retention policy changed while it ran */
    const char *region;  /* borrowed */
    const char *account; /* borrowed */
};

struct job;
typedef void op_fn(struct job *j);

struct job {
    struct cwlogs *cw;
    h2o_req_t *req;
    op_fn *run;
    cJSON *in;                       /* the parsed request (owned) */
    cJSON *out;                      /* the answer built by the worker (owned) */
    const char *etype;               /* error type (static), or NULL on success */
    int status;                      /* HTTP status of the error */
    bool retention_set;              /* PutRetentionPolicy succeeded: run the retention job */
    int64_t now_ms;                  /* epoch ms the request arrived */
    char group[CWLOGS_NAME_MAX + 1]; /* a group named by ARN, as a name */
    char msg[384];                   /* error message */
};

/* ---- errors and parameters (worker) ---- */

__attribute__((format(printf, 3, 4))) static void fail(struct job *j, const char *type,
                                                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->msg, sizeof(j->msg), fmt, ap);
    va_end(ap);
    j->etype = type;
    j->status = strcmp(type, E_SERVICE) == 0 ? 503 : 400;
}

/* Maps a store error: -ENOENT and -EEXIST to the given messages. */
static void fail_store(struct job *j, int rc, const char *not_found, const char *exists)
{
    if (rc == -ENOENT && not_found != NULL)
        fail(j, E_NOT_FOUND, "%s", not_found);
    else if (rc == -EEXIST && exists != NULL)
        fail(j, E_EXISTS, "%s", exists);
    else
        fail(j, E_SERVICE, "The log store could not be used: %s", err_str(rc));
}

/* Fails the job with what v recorded (InvalidParameterException for
 * constraint violations, SerializationException for a member of the wrong
 * type); true if v recorded nothing. */
static bool checked(struct job *j, const struct verr *v)
{
    char msg[sizeof(j->msg)];
    int rc = verr_finish(v, msg, sizeof(msg));
    if (rc != 0)
        fail(j, rc == ERR_VALIDATION ? E_PARAM : E_SERIAL, "%s", msg);
    return rc == 0;
}

static void verr_start(struct verr *v)
{
    verr_init(v, ERR_INVALID_CONTENT, "Unexpected value type in payload: ");
}

/* A string member: false (and the job failed) if it has the wrong type, is
 * required but absent, or is longer than max or empty. *out is NULL when
 * absent. */
static bool str_param(struct job *j, const char *name, bool required, size_t max, const char **out)
{
    struct verr v;
    verr_start(&v);
    *out = verr_string(j->in, name, &v);
    if (*out == NULL && verr_ok(&v) && required)
        verr_required(&v, name);
    else if (*out != NULL && (strlen(*out) == 0 || strlen(*out) > max))
        verr_add(&v,
                 "Value at '%s' failed to satisfy constraint: Member must have length between 1 "
                 "and %zu",
                 name, max);
    if (!checked(j, &v)) {
        *out = NULL;
        return false;
    }
    return true;
}

/* An integer member in [min, max]; *present tells whether it was given. */
static bool int_param(struct job *j, const char *name, int64_t min, int64_t max, int64_t *out,
                      bool *present)
{
    struct verr v;
    verr_start(&v);
    *present = false;
    const cJSON *m = verr_member(j->in, name);
    long long x = 0;
    if (m != NULL && cJSON_IsNumber(m) &&
        (!(m->valuedouble >= (double)min && m->valuedouble <= (double)max) ||
         (double)(int64_t)m->valuedouble != m->valuedouble))
        verr_add(&v,
                 "Value '%.0f' at '%s' failed to satisfy constraint: Member must have value "
                 "between %" PRId64 " and %" PRId64,
                 m->valuedouble, name, min, max);
    else if (m != NULL && verr_int(j->in, name, &x, &v)) {
        *out = (int64_t)x;
        *present = true;
    }
    return checked(j, &v);
}

static bool bool_param(struct job *j, const char *name, bool *out)
{
    struct verr v;
    verr_start(&v);
    *out = false;
    verr_bool(j->in, name, out, &v);
    return checked(j, &v);
}

/* AWS's log group name pattern: [\.\-_/#A-Za-z0-9]+. */
static bool group_name_ok(struct job *j, const char *name)
{
    for (const char *p = name; *p != '\0'; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_' || c == '/' || c == '#')) {
            fail(j, E_PARAM,
                 "1 validation error detected: Value '%.600s' at 'logGroupName' failed to "
                 "satisfy constraint: Member must satisfy regular expression pattern: "
                 "[\\.\\-_/#A-Za-z0-9]+",
                 name);
            return false;
        }
    }
    return true;
}

/* The group a request names: logGroupName, or logGroupIdentifier (a name or
 * an ARN, newer clients) where the operation allows it. */
static bool group_param(struct job *j, bool allow_identifier, const char **out)
{
    const char *name;
    if (!str_param(j, "logGroupName", !allow_identifier, CWLOGS_NAME_MAX, &name))
        return false;
    if (name == NULL && allow_identifier) {
        const char *id;
        if (!str_param(j, "logGroupIdentifier", false, 2048, &id))
            return false;
        if (id == NULL) {
            fail(j, E_PARAM, "Either logGroupName or logGroupIdentifier must be specified.");
            return false;
        }
        const char *lg = strstr(id, ":log-group:");
        if (strncmp(id, "arn:", 4) == 0 && lg != NULL) {
            const char *n = lg + strlen(":log-group:");
            size_t len = strlen(n);
            if (len >= 2 && strcmp(n + len - 2, ":*") == 0)
                len -= 2;
            if (len == 0 || len > CWLOGS_NAME_MAX) {
                fail(j, E_PARAM, "Invalid logGroupIdentifier: %.600s", id);
                return false;
            }
            memcpy(j->group, n, len);
            j->group[len] = '\0';
            id = j->group;
        }
        name = id;
    }
    if (!group_name_ok(j, name))
        return false;
    *out = name;
    return true;
}

/* Stream names may not contain ':' or '*'. */
static bool stream_param(struct job *j, const char *member, bool required, const char **out)
{
    if (!str_param(j, member, required, CWLOGS_NAME_MAX, out))
        return false;
    if (*out != NULL && strpbrk(*out, ":*") != NULL) {
        fail(j, E_PARAM,
             "1 validation error detected: Value '%.600s' at '%s' failed to satisfy constraint: "
             "Member must satisfy regular expression pattern: [^:*]*",
             *out, member);
        return false;
    }
    return true;
}

static void group_arn(const struct cwlogs *cw, const char *group, char *buf, size_t cap)
{
    snprintf(buf, cap, "arn:aws:logs:%s:%s:log-group:%s", cw->region, cw->account, group);
}

/* The oldest event time a group's retention still shows at now_ms. */
static int64_t retention_floor(int days, int64_t now_ms)
{
    return days > 0 ? now_ms - (int64_t)days * DAY_MS : INT64_MIN;
}

static void add_ms(cJSON *o, const char *name, int64_t ms)
{
    cJSON_AddNumberToObject(o, name, (double)ms);
}

/* ---- log groups ---- */

static void op_create_group(struct job *j)
{
    const char *name;
    if (!group_param(j, false, &name))
        return;
    int rc = store_cwl_group_create(j->cw->st, name, j->now_ms);
    if (rc != 0) {
        fail_store(j, rc, NULL, "The specified log group already exists");
        return;
    }
    j->out = cJSON_CreateObject();
}

static void op_delete_group(struct job *j)
{
    const char *name;
    if (!group_param(j, false, &name))
        return;
    int rc = store_cwl_group_delete(j->cw->st, name);
    if (rc != 0) {
        fail_store(j, rc, MSG_NO_GROUP, NULL);
        return;
    }
    j->out = cJSON_CreateObject();
}

struct group_page {
    struct job *j;
    cJSON *arr;
    int64_t limit;
    int n;
    char last[CWLOGS_NAME_MAX + 1]; /* the last name on the page */
};

static int collect_group(const struct store_cwl_group *g, void *arg)
{
    struct group_page *pg = arg;
    if (pg->n == pg->limit)
        return 1; /* one more exists: the page is full */
    char arn[CWLOGS_NAME_MAX + 128];
    group_arn(pg->j->cw, g->name, arn, sizeof(arn));
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "logGroupName", g->name);
    add_ms(o, "creationTime", g->created_ms);
    if (g->retention_days > 0)
        cJSON_AddNumberToObject(o, "retentionInDays", g->retention_days);
    cJSON_AddNumberToObject(o, "metricFilterCount", 0);
    cJSON_AddStringToObject(o, "logGroupArn", arn);
    size_t used = strlen(arn);
    snprintf(arn + used, sizeof(arn) - used, ":*");
    cJSON_AddStringToObject(o, "arn", arn);
    cJSON_AddNumberToObject(o, "storedBytes", (double)g->stored_bytes);
    cJSON_AddItemToArray(pg->arr, o);
    snprintf(pg->last, sizeof(pg->last), "%s", g->name);
    pg->n++;
    return 0;
}

static void op_describe_groups(struct job *j)
{
    const char *prefix, *token;
    int64_t limit = CWLOGS_DESCRIBE_MAX;
    bool has;
    if (!str_param(j, "logGroupNamePrefix", false, CWLOGS_NAME_MAX, &prefix) ||
        !str_param(j, "nextToken", false, CWLOGS_NAME_MAX, &token) ||
        !int_param(j, "limit", 1, CWLOGS_DESCRIBE_MAX, &limit, &has))
        return;
    struct group_page pg = {.j = j, .arr = cJSON_CreateArray(), .limit = limit};
    int rc = store_cwl_groups_scan(j->cw->st, prefix != NULL ? prefix : "",
                                   token != NULL ? token : "", collect_group, &pg);
    if (rc < 0) {
        cJSON_Delete(pg.arr);
        fail_store(j, rc, NULL, NULL);
        return;
    }
    j->out = cJSON_CreateObject();
    cJSON_AddItemToObject(j->out, "logGroups", pg.arr);
    if (rc == 1)
        cJSON_AddStringToObject(j->out, "nextToken", pg.last);
}

/* AWS's allowed retention periods, in days. */
static const int retention_days[] = {1,   3,   5,   7,   14,   30,   60,   90,   120,  150,  180,
                                     365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653};

static void op_put_retention(struct job *j)
{
    const char *name;
    int64_t days = 0;
    bool has;
    if (!group_param(j, false, &name) ||
        !int_param(j, "retentionInDays", INT32_MIN, INT32_MAX, &days, &has))
        return;
    bool ok = false;
    for (size_t i = 0; i < sizeof(retention_days) / sizeof(retention_days[0]); i++)
        ok = ok || retention_days[i] == days;
    if (!has || !ok) {
        fail(j, E_PARAM,
             "1 validation error detected: Value '%" PRId64 "' at 'retentionInDays' failed to "
             "satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, "
             "90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]",
             days);
        return;
    }
    int rc = store_cwl_group_retention(j->cw->st, name, (int)days);
    if (rc != 0) {
        fail_store(j, rc, MSG_NO_GROUP, NULL);
        return;
    }
    j->retention_set = true;
    j->out = cJSON_CreateObject();
}

static void op_delete_retention(struct job *j)
{
    const char *name;
    if (!group_param(j, false, &name))
        return;
    int rc = store_cwl_group_retention(j->cw->st, name, 0);
    if (rc != 0) {
        fail_store(j, rc, MSG_NO_GROUP, NULL);
        return;
    }
    j->out = cJSON_CreateObject();
}

/* ---- log streams ---- */

static void op_create_stream(struct job *j)
{
    const char *group, *stream;
    if (!group_param(j, false, &group) || !stream_param(j, "logStreamName", true, &stream))
        return;
    int rc = store_cwl_stream_create(j->cw->st, group, stream, j->now_ms);
    if (rc != 0) {
        fail_store(j, rc, MSG_NO_GROUP, "The specified log stream already exists");
        return;
    }
    j->out = cJSON_CreateObject();
}

struct stream_page {
    struct job *j;
    const char *group;
    cJSON *arr;
    int64_t skip, limit;
    int64_t seen;
};

static int collect_stream(const struct store_cwl_stream *s, void *arg)
{
    struct stream_page *pg = arg;
    if (pg->seen++ < pg->skip)
        return 0;
    if (pg->seen > pg->skip + pg->limit)
        return 1;
    char arn[2 * CWLOGS_NAME_MAX + 160];
    group_arn(pg->j->cw, pg->group, arn, sizeof(arn));
    size_t used = strlen(arn);
    snprintf(arn + used, sizeof(arn) - used, ":log-stream:%s", s->name);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "logStreamName", s->name);
    add_ms(o, "creationTime", s->created_ms);
    if (s->first_ts >= 0) {
        add_ms(o, "firstEventTimestamp", s->first_ts);
        add_ms(o, "lastEventTimestamp", s->last_ts);
        add_ms(o, "lastIngestionTime", s->last_ingest_ms);
    }
    cJSON_AddStringToObject(o, "arn", arn);
    cJSON_AddNumberToObject(o, "storedBytes", (double)s->stored_bytes);
    cJSON_AddItemToArray(pg->arr, o);
    return 0;
}

static void op_describe_streams(struct job *j)
{
    const char *group, *prefix, *order, *token;
    int64_t limit = CWLOGS_DESCRIBE_MAX;
    bool has, desc;
    if (!group_param(j, true, &group) || !stream_param(j, "logStreamNamePrefix", false, &prefix) ||
        !str_param(j, "orderBy", false, 32, &order) ||
        !str_param(j, "nextToken", false, 64, &token) || !bool_param(j, "descending", &desc) ||
        !int_param(j, "limit", 1, CWLOGS_DESCRIBE_MAX, &limit, &has))
        return;
    int flags = desc ? STORE_CWL_DESCENDING : 0;
    if (order != NULL && strcmp(order, "LastEventTime") == 0) {
        flags |= STORE_CWL_BY_LAST_EVENT;
    } else if (order != NULL && strcmp(order, "LogStreamName") != 0) {
        fail(j, E_PARAM,
             "1 validation error detected: Value '%.64s' at 'orderBy' failed to satisfy "
             "constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]",
             order);
        return;
    }
    if (prefix != NULL && (flags & STORE_CWL_BY_LAST_EVENT) != 0) {
        fail(j, E_PARAM, "Cannot order by LastEventTime with a logStreamNamePrefix.");
        return;
    }
    int64_t skip = 0;
    if (token != NULL) {
        char *end;
        errno = 0;
        skip = strncmp(token, "s/", 2) == 0 ? strtoll(token + 2, &end, 10) : -1;
        if (skip < 0 || errno != 0 || *end != '\0') {
            fail(j, E_PARAM, "The specified nextToken is invalid.");
            return;
        }
    }
    struct store_cwl_group g;
    int rc = store_cwl_group_get(j->cw->st, group, &g);
    if (rc != 0) {
        fail_store(j, rc, MSG_NO_GROUP, NULL);
        return;
    }
    struct stream_page pg = {
        .j = j, .group = group, .arr = cJSON_CreateArray(), .skip = skip, .limit = limit};
    rc = store_cwl_streams_scan(j->cw->st, group, prefix != NULL ? prefix : "", flags,
                                collect_stream, &pg);
    if (rc < 0) {
        cJSON_Delete(pg.arr);
        fail_store(j, rc, NULL, NULL);
        return;
    }
    j->out = cJSON_CreateObject();
    cJSON_AddItemToObject(j->out, "logStreams", pg.arr);
    if (rc == 1) {
        char next[32];
        snprintf(next, sizeof(next), "s/%" PRId64, skip + limit);
        cJSON_AddStringToObject(j->out, "nextToken", next);
    }
}

/* ---- PutLogEvents ---- */

/* Reads logEvents into a new array (free with free) of *n events whose
 * strings are borrowed from the request; false if the job failed. */
static bool read_events(struct job *j, struct store_log_event **out, size_t *n)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j->in, "logEvents");
    if (!cJSON_IsArray(arr)) {
        fail(j, arr == NULL ? E_PARAM : E_SERIAL, "logEvents must be a list of log events");
        return false;
    }
    int count = cJSON_GetArraySize(arr);
    if (count < 1 || count > CWLOGS_PUT_MAX_EVENTS) {
        fail(j, E_PARAM,
             "1 validation error detected: Value at 'logEvents' failed to satisfy constraint: "
             "Member must have length between 1 and %d",
             CWLOGS_PUT_MAX_EVENTS);
        return false;
    }
    struct store_log_event *ev = xcalloc((size_t)count, sizeof(*ev));
    size_t i = 0, bytes = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(e, "timestamp");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
        if (!cJSON_IsNumber(ts) || !cJSON_IsString(msg) || !(ts->valuedouble >= 0) ||
            ts->valuedouble > 9e15 || (double)(int64_t)ts->valuedouble != ts->valuedouble) {
            fail(j, E_SERIAL, "Each log event needs an integer timestamp and a string message");
            goto fail;
        }
        ev[i].ts_ms = (int64_t)ts->valuedouble;
        ev[i].msg = msg->valuestring;
        ev[i].msg_len = strlen(msg->valuestring);
        if (ev[i].msg_len == 0 || ev[i].msg_len > CWLOGS_EVENT_MAX_BYTES) {
            fail(j, E_PARAM,
                 "1 validation error detected: Value at 'logEvents.%zu.member.message' failed to "
                 "satisfy constraint: Member must have length between 1 and %d",
                 i + 1, CWLOGS_EVENT_MAX_BYTES);
            goto fail;
        }
        if (i > 0 && ev[i].ts_ms < ev[i - 1].ts_ms) {
            fail(j, E_PARAM,
                 "Log events in a single PutLogEvents request must be in "
                 "chronological order.");
            goto fail;
        }
        bytes += ev[i].msg_len + 26;
        i++;
    }
    if (bytes > CWLOGS_PUT_MAX_BYTES) {
        fail(j, E_PARAM, "Upload too large: %zu bytes exceeds limit of %d", bytes,
             CWLOGS_PUT_MAX_BYTES);
        goto fail;
    }
    *out = ev;
    *n = i;
    return true;
fail:
    free(ev);
    return false;
}

/* PutLogEvents after validation: ev (n > 0 events, sorted) is borrowed. */
static void put_events(struct job *j, const char *group, const char *stream,
                       const struct store_log_event *ev, size_t n)
{
    struct store_cwl_group g;
    int rc = store_cwl_group_get(j->cw->st, group, &g);
    if (rc != 0) {
        fail_store(j, rc, MSG_NO_GROUP, NULL);
        return;
    }
    /* Events are sorted: too old ones lead, too new ones trail; both are
     * reported and skipped, as AWS does. */
    int64_t too_old = j->now_ms - CWLOGS_PAST_MAX_MS,
            floor_ms = retention_floor(g.retention_days, j->now_ms);
    size_t first = 0, end = n, expired_end = 0;
    bool any_expired = false, any_old = false;
    while (first < n && (ev[first].ts_ms < too_old || ev[first].ts_ms < floor_ms)) {
        if (ev[first].ts_ms < floor_ms) {
            any_expired = true;
            expired_end = first;
        } else {
            any_old = true;
        }
        first++;
    }
    while (end > first && ev[end - 1].ts_ms > j->now_ms + CWLOGS_FUTURE_MAX_MS)
        end--;
    int64_t last_id = 0;
    rc = store_cwl_events_put(j->cw->st, group, stream, ev + first, end - first, j->now_ms,
                              &last_id);
    if (rc != 0) {
        fail_store(j, rc, MSG_NO_STREAM, NULL);
        return;
    }
    char token[64];
    snprintf(token, sizeof(token), "%056" PRId64, last_id);
    j->out = cJSON_CreateObject();
    cJSON_AddStringToObject(j->out, "nextSequenceToken", token);
    if (first > 0 || end < n) {
        cJSON *rej = cJSON_AddObjectToObject(j->out, "rejectedLogEventsInfo");
        if (any_old)
            cJSON_AddNumberToObject(rej, "tooOldLogEventEndIndex", (double)first - 1);
        if (any_expired)
            cJSON_AddNumberToObject(rej, "expiredLogEventEndIndex", (double)expired_end);
        if (end < n)
            cJSON_AddNumberToObject(rej, "tooNewLogEventStartIndex", (double)end);
    }
}

static void op_put_events(struct job *j)
{
    const char *group, *stream;
    struct store_log_event *ev = NULL;
    size_t n = 0;
    if (!group_param(j, false, &group) || !stream_param(j, "logStreamName", true, &stream) ||
        !read_events(j, &ev, &n))
        return;
    put_events(j, group, stream, ev, n);
    free(ev);
}

/* ---- GetLogEvents ---- */

struct get_page {
    cJSON *arr;
    int64_t limit;
    int n;
    size_t bytes;
    bool backward;
    int64_t first_ts, first_id; /* oldest event on the page */
    int64_t last_ts, last_id;   /* newest event on the page */
};

static cJSON *event_json(const struct store_cwl_event *ev)
{
    cJSON *o = cJSON_CreateObject();
    add_ms(o, "timestamp", ev->ts_ms);
    /* Messages are stored as sent; cJSON needs a NUL-terminated copy. */
    char *m = xmalloc(ev->msg_len + 1);
    memcpy(m, ev->msg, ev->msg_len);
    m[ev->msg_len] = '\0';
    cJSON_AddStringToObject(o, "message", m);
    free(m);
    add_ms(o, "ingestionTime", ev->ingest_ms);
    return o;
}

static int collect_get(const struct store_cwl_event *ev, void *arg)
{
    struct get_page *pg = arg;
    if (pg->n == pg->limit || pg->bytes + ev->msg_len > CWLOGS_RESPONSE_MAX_BYTES)
        return 1;
    cJSON *o = event_json(ev);
    if (pg->backward) {
        cJSON_InsertItemInArray(pg->arr, 0, o); /* the page is returned oldest first */
        if (pg->n == 0) {
            pg->last_ts = ev->ts_ms;
            pg->last_id = ev->id;
        }
        pg->first_ts = ev->ts_ms;
        pg->first_id = ev->id;
    } else {
        cJSON_AddItemToArray(pg->arr, o);
        if (pg->n == 0) {
            pg->first_ts = ev->ts_ms;
            pg->first_id = ev->id;
        }
        pg->last_ts = ev->ts_ms;
        pg->last_id = ev->id;
    }
    pg->bytes += ev->msg_len + 26;
    pg->n++;
    return 0;
}

/* Parses "<c>/<ts>/<id>" into a position. */
static bool parse_pos(const char *token, char c, int64_t *ts, int64_t *id)
{
    if (token[0] != c || token[1] != '/')
        return false;
    char *end;
    errno = 0;
    long long t = strtoll(token + 2, &end, 10);
    if (errno != 0 || *end != '/')
        return false;
    long long i = strtoll(end + 1, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *ts = t;
    *id = i;
    return true;
}

static void add_pos(cJSON *o, const char *name, char c, int64_t ts, int64_t id)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%c/%" PRId64 "/%" PRId64, c, ts, id);
    cJSON_AddStringToObject(o, name, buf);
}

static void op_get_events(struct job *j)
{
    const char *group, *stream, *token;
    int64_t start = 0, end = 0, limit = CWLOGS_EVENTS_MAX;
    bool has_start, has_end, has, head;
    if (!group_param(j, true, &group) || !stream_param(j, "logStreamName", true, &stream) ||
        !str_param(j, "nextToken", false, 128, &token) ||
        !int_param(j, "startTime", 0, INT64_C(9000000000000000), &start, &has_start) ||
        !int_param(j, "endTime", 0, INT64_C(9000000000000000), &end, &has_end) ||
        !int_param(j, "limit", 1, CWLOGS_EVENTS_MAX, &limit, &has) ||
        !bool_param(j, "startFromHead", &head))
        return;
    struct store_cwl_query q = {
        .group = group,
        .stream = stream,
        .from_ts = has_start ? start : INT64_MIN,
        .to_ts = has_end ? end - 1 : INT64_MAX, /* endTime is exclusive here */
        .descending = !head,
        .pos_ts = head ? INT64_MIN : INT64_MAX,
        .pos_id = head ? INT64_MIN : INT64_MAX,
    };
    if (token != NULL) {
        if (parse_pos(token, 'f', &q.pos_ts, &q.pos_id))
            q.descending = 0;
        else if (parse_pos(token, 'b', &q.pos_ts, &q.pos_id))
            q.descending = 1;
        else {
            fail(j, E_PARAM, "The specified nextToken is invalid.");
            return;
        }
    }
    struct store_cwl_group g;
    struct store_cwl_stream s;
    int rc = store_cwl_group_get(j->cw->st, group, &g);
    if (rc != 0) {
        fail_store(j, rc, MSG_NO_GROUP, NULL);
        return;
    }
    if ((rc = store_cwl_stream_get(j->cw->st, group, stream, &s)) != 0) {
        fail_store(j, rc, MSG_NO_STREAM, NULL);
        return;
    }
    int64_t floor_ms = retention_floor(g.retention_days, j->now_ms);
    if (q.from_ts < floor_ms)
        q.from_ts = floor_ms;
    struct get_page pg = {.arr = cJSON_CreateArray(), .limit = limit, .backward = q.descending};
    rc = store_cwl_events_scan(j->cw->st, &q, collect_get, &pg);
    if (rc < 0) {
        cJSON_Delete(pg.arr);
        fail_store(j, rc, NULL, NULL);
        return;
    }
    j->out = cJSON_CreateObject();
    cJSON_AddItemToObject(j->out, "events", pg.arr);
    if (pg.n > 0) {
        add_pos(j->out, "nextForwardToken", 'f', pg.last_ts, pg.last_id);
        add_pos(j->out, "nextBackwardToken", 'b', pg.first_ts, pg.first_id);
    } else if (q.descending && q.pos_ts == INT64_MAX && q.pos_id == INT64_MAX) {
        /* Nothing yet from the tail: reading forward later sees what arrives. */
        add_pos(j->out, "nextForwardToken", 'f', INT64_MIN, INT64_MIN);
        add_pos(j->out, "nextBackwardToken", 'b', q.pos_ts, q.pos_id);
    } else {
        /* Nothing more this way: the same token again, which ends paginators. */
        add_pos(j->out, "nextForwardToken", 'f', q.pos_ts, q.pos_id);
        add_pos(j->out, "nextBackwardToken", 'b', q.pos_ts, q.pos_id);
    }
}

/* ---- FilterLogEvents ---- */

struct filter_page {
    cJSON *arr;
    const struct pattern *pat;
    const cJSON *names; /* logStreamNames, or NULL */
    const char *prefix; /* logStreamNamePrefix, or NULL */
    size_t prefix_len;
    int64_t limit;
    int n;
    size_t bytes;
    int64_t scanned;
    int64_t pos_ts, pos_id; /* the last event examined */
};

static bool stream_selected(const struct filter_page *pg, const char *stream)
{
    if (pg->prefix != NULL)
        return strncmp(stream, pg->prefix, pg->prefix_len) == 0;
    if (pg->names == NULL)
        return true;
    const cJSON *s;
    cJSON_ArrayForEach(s, pg->names)
    {
        if (strcmp(s->valuestring, stream) == 0)
            return true;
    }
    return false;
}

static int collect_filter(const struct store_cwl_event *ev, void *arg)
{
    struct filter_page *pg = arg;
    if (pg->n == pg->limit || pg->scanned == CWLOGS_FILTER_SCAN_MAX ||
        pg->bytes + ev->msg_len > CWLOGS_RESPONSE_MAX_BYTES)
        return 1;
    pg->scanned++;
    pg->pos_ts = ev->ts_ms;
    pg->pos_id = ev->id;
    if (!stream_selected(pg, ev->stream) ||
        (pg->pat != NULL && !pattern_match(pg->pat, ev->msg, ev->msg_len)))
        return 0;
    cJSON *o = event_json(ev);
    char id[32];
    snprintf(id, sizeof(id), "%020" PRId64, ev->id);
    cJSON_AddStringToObject(o, "logStreamName", ev->stream);
    cJSON_AddStringToObject(o, "eventId", id);
    cJSON_AddItemToArray(pg->arr, o);
    pg->bytes += ev->msg_len + 26;
    pg->n++;
    return 0;
}

/* Reads logStreamNames (1..100 valid names) into *out; NULL when absent. */
static bool names_param(struct job *j, const cJSON **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j->in, "logStreamNames");
    *out = NULL;
    if (v == NULL || cJSON_IsNull(v))
        return true;
    int n = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : -1;
    if (n < 1 || n > CWLOGS_FILTER_STREAMS_MAX) {
        fail(j, n < 0 ? E_SERIAL : E_PARAM,
             "logStreamNames must be a list of 1 to %d log stream names",
             CWLOGS_FILTER_STREAMS_MAX);
        return false;
    }
    const cJSON *s;
    cJSON_ArrayForEach(s, v)
    {
        if (!cJSON_IsString(s) || s->valuestring[0] == '\0') {
            fail(j, E_SERIAL, "logStreamNames must be a list of log stream names");
            return false;
        }
    }
    *out = v;
    return true;
}

static void op_filter_events(struct job *j)
{
    const char *group, *prefix, *text, *token;
    const cJSON *names;
    int64_t start = 0, end = 0, limit = CWLOGS_EVENTS_MAX;
    bool has_start, has_end, has, interleaved;
    if (!group_param(j, true, &group) || !names_param(j, &names) ||
        !stream_param(j, "logStreamNamePrefix", false, &prefix) ||
        !str_param(j, "nextToken", false, 128, &token) ||
        !int_param(j, "startTime", 0, INT64_C(9000000000000000), &start, &has_start) ||
        !int_param(j, "endTime", 0, INT64_C(9000000000000000), &end, &has_end) ||
        !int_param(j, "limit", 1, CWLOGS_EVENTS_MAX, &limit, &has) ||
        !bool_param(j, "interleaved", &interleaved))
        return;
    const cJSON *fp = cJSON_GetObjectItemCaseSensitive(j->in, "filterPattern");
    text = cJSON_IsString(fp) ? fp->valuestring : "";
    if (fp != NULL && !cJSON_IsString(fp) && !cJSON_IsNull(fp)) {
        fail(j, E_SERIAL, "Unexpected value type in payload: filterPattern must be a string");
        return;
    }
    if (names != NULL && prefix != NULL) {
        fail(j, E_PARAM, "You cannot specify both logStreamNames and logStreamNamePrefix.");
        return;
    }
    struct store_cwl_query q = {
        .group = group,
        .from_ts = has_start ? start : INT64_MIN,
        .to_ts = has_end ? end : INT64_MAX,
        .pos_ts = INT64_MIN,
        .pos_id = INT64_MIN,
    };
    if (token != NULL && !parse_pos(token, 'p', &q.pos_ts, &q.pos_id)) {
        fail(j, E_PARAM, "The specified nextToken is invalid.");
        return;
    }
    if (names != NULL && cJSON_GetArraySize(names) == 1)
        q.stream = names->child->valuestring; /* one stream: let the store select it */
    struct store_cwl_group g;
    int rc = store_cwl_group_get(j->cw->st, group, &g);
    if (rc != 0) {
        fail_store(j, rc, MSG_NO_GROUP, NULL);
        return;
    }
    struct pattern *pat = NULL;
    size_t plen = strlen(text);
    rc = plen > CWLOGS_PATTERN_MAX ? -EINVAL : pattern_parse(text, plen, &pat);
    if (rc != 0) {
        fail(j, E_PARAM,
             "Invalid character(s) in term '%.200s': lambdad supports terms, "
             "\"quoted phrases\", ?optional and -excluded terms",
             text);
        return;
    }
    int64_t floor_ms = retention_floor(g.retention_days, j->now_ms);
    if (q.from_ts < floor_ms)
        q.from_ts = floor_ms;
    struct filter_page pg = {
        .arr = cJSON_CreateArray(),
        .pat = pat,
        .names = names,
        .prefix = prefix,
        .prefix_len = prefix != NULL ? strlen(prefix) : 0,
        .limit = limit,
    };
    rc = store_cwl_events_scan(j->cw->st, &q, collect_filter, &pg);
    pattern_free(pat);
    if (rc < 0) {
        cJSON_Delete(pg.arr);
        fail_store(j, rc, NULL, NULL);
        return;
    }
    j->out = cJSON_CreateObject();
    cJSON_AddItemToObject(j->out, "events", pg.arr);
    cJSON *searched = cJSON_AddArrayToObject(j->out, "searchedLogStreams");
    const cJSON *s;
    cJSON_ArrayForEach(s, names)
    {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "logStreamName", s->valuestring);
        cJSON_AddBoolToObject(o, "searchedCompletely", rc == 0);
        cJSON_AddItemToArray(searched, o);
    }
    if (rc == 1)
        add_pos(j->out, "nextToken", 'p', pg.pos_ts, pg.pos_id);
}

/* ---- requests ---- */

static const struct {
    const char *name;
    op_fn *run;
} operations[] = {
    {"CreateLogGroup", op_create_group},
    {"DeleteLogGroup", op_delete_group},
    {"DescribeLogGroups", op_describe_groups},
    {"PutRetentionPolicy", op_put_retention},
    {"DeleteRetentionPolicy", op_delete_retention},
    {"CreateLogStream", op_create_stream},
    {"DescribeLogStreams", op_describe_streams},
    {"PutLogEvents", op_put_events},
    {"GetLogEvents", op_get_events},
    {"FilterLogEvents", op_filter_events},
};

static void job_work(void *arg)
{
    struct job *j = arg;
    j->run(j);
}

static void job_done(void *arg)
{
    struct job *j = arg;
    if (j->etype != NULL) {
        aws_send_json_error(j->req, j->status, j->etype, "%s", j->msg);
    } else {
        char *text = cJSON_PrintUnformatted(j->out);
        if (text == NULL)
            abort();
        aws_request_id_header(j->req, NULL);
        http_send(j->req, 200, "application/x-amz-json-1.1", text, strlen(text));
        free(text);
    }
    if (j->retention_set)
        timer_arm(j->cw->th, &j->cw->expire, 0); /* enforce it now, from the loop */
    cJSON_Delete(j->in);
    cJSON_Delete(j->out);
    free(j);
}

bool cwlogs_handle(struct cwlogs *cw, h2o_req_t *req)
{
    const h2o_iovec_t *target = http_req_header(req, "x-amz-target");
    size_t plen = strlen(TARGET_PREFIX);
    if (target == NULL || target->len < plen || memcmp(target->base, TARGET_PREFIX, plen) != 0)
        return false;
    const char *op = target->base + plen;
    size_t oplen = target->len - plen;
    op_fn *run = NULL;
    for (size_t i = 0; i < sizeof(operations) / sizeof(operations[0]); i++) {
        if (strlen(operations[i].name) == oplen && memcmp(operations[i].name, op, oplen) == 0)
            run = operations[i].run;
    }
    if (run == NULL || !http_method_is(req, "POST")) {
        aws_send_json_error(req, 400, E_UNKNOWN, "Unknown operation %.*s", (int)target->len,
                            target->base);
        return true;
    }
    if (req->entity.len > CWLOGS_REQUEST_MAX_BYTES) {
        aws_send_json_error(req, 400, E_PARAM, "The request body exceeds %d bytes",
                            CWLOGS_REQUEST_MAX_BYTES);
        return true;
    }
    cJSON *in = req->entity.len == 0 ? cJSON_CreateObject()
                                     : cJSON_ParseWithLength(req->entity.base, req->entity.len);
    if (in == NULL || !cJSON_IsObject(in)) {
        cJSON_Delete(in);
        aws_send_json_error(req, 400, E_SERIAL, "The request body is not a JSON object");
        return true;
    }
    struct job *j = xcalloc(1, sizeof(*j));
    j->cw = cw;
    j->req = req;
    j->run = run;
    j->in = in;
    j->now_ms = clock_ms();
    worker_submit(cw->wp, job_work, job_done, j);
    return true;
}

/* ---- retention ---- */

struct expire_job {
    struct cwlogs *cw;
    int64_t deleted;
    int rc;
};

static void expire_work(void *arg)
{
    struct expire_job *e = arg;
    e->rc = store_cwl_expire(e->cw->st, clock_ms(), &e->deleted);
}

static void expire_done(void *arg)
{
    struct expire_job *e = arg;
    struct cwlogs *cw = e->cw;
    if (e->rc != 0)
        log_warn("cwlogs=expire_failed err=%s", err_str(e->rc));
    else if (e->deleted > 0)
        log_info("cwlogs=expired events=%" PRId64, e->deleted);
    free(e);
    cw->expiring = false;
    if (cw->expire_again) {
        cw->expire_again = false;
        timer_arm(cw->th, &cw->expire, 0);
    }
}

/* Queues a retention job, or asks for another run after the current one. */
static void expire_start(struct cwlogs *cw)
{
    if (cw->expiring) {
        cw->expire_again = true;
        return;
    }
    struct expire_job *e = xcalloc(1, sizeof(*e));
    e->cw = cw;
    cw->expiring = true;
    worker_submit(cw->wp, expire_work, expire_done, e);
}

static void on_expire_tick(struct timer *t, void *arg)
{
    struct cwlogs *cw = arg;
    expire_start(cw);
    timer_arm(cw->th, t, CWLOGS_EXPIRE_INTERVAL_MS);
}

struct cwlogs *cwlogs_new(struct store *st, struct worker_pool *wp, struct timer_heap *th,
                          const char *region, const char *account)
{
    struct cwlogs *cw = xcalloc(1, sizeof(*cw));
    cw->st = st;
    cw->wp = wp;
    cw->th = th;
    cw->region = region;
    cw->account = account;
    timer_init(&cw->expire, on_expire_tick, cw);
    timer_arm(th, &cw->expire, 0);
    return cw;
}

void cwlogs_free(struct cwlogs *cw)
{
    if (cw == NULL)
        return;
    timer_cancel(cw->th, &cw->expire);
    free(cw);
}

static bool on_request(void *arg, h2o_req_t *req)
{
    return cwlogs_handle(arg, req);
}

int cwlogs_routes(struct cwlogs *cw, struct router *r)
{
    return router_add(r, ROUTER_TARGET, TARGET_PREFIX, 0, on_request, cw);
}
