/* SPDX-License-Identifier: MIT */
/*
 * echo: an example `bootstrap` that returns its event unchanged, with three
 * switches for tests, looked up as top-level-looking keys of the event:
 *   "sleep_ms": N   sleep N milliseconds first (capped at 15 minutes);
 *   "fail": <v>     unless v is false, fail with errorType "EchoError";
 *   "whoami": <v>   return {"pid": <pid>, "instance": "<random id of this process>"}.
 * The key detection is deliberately minimal: it searches the raw bytes for
 * "key" followed by optional whitespace and a colon, without parsing JSON, so
 * a key nested in an object or inside a string value also matches. That is
 * enough for an example and a test fixture; real handlers should use a parser.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "lambda_runtime.h"

#define SLEEP_MAX_MS (15LL * 60 * 1000)

struct echo {
    char instance[17]; /* 16 hex digits chosen at start, NUL-terminated */
    char whoami[96];   /* the whoami document */
};

/* Returns the byte after "key"<ws>: in ev[0..len), or NULL when the key is absent. */
static const char *find_key(const char *ev, size_t len, const char *key)
{
    char quoted[32];
    size_t klen = strlen(key);
    const char *end = ev + len;
    const char *p = ev;

    if (klen + 3 > sizeof(quoted))
        return NULL;
    quoted[0] = '"';
    memcpy(quoted + 1, key, klen);
    quoted[klen + 1] = '"';
    quoted[klen + 2] = '\0';
    while (p < end) {
        const char *hit = memmem(p, (size_t)(end - p), quoted, klen + 2);
        const char *q;

        if (hit == NULL)
            return NULL;
        q = hit + klen + 2;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
            q++;
        if (q < end && *q == ':')
            return q + 1;
        p = hit + 1;
    }
    return NULL;
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static void sleep_ms(long long ms)
{
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Reads the non-negative integer after "sleep_ms": (a quoted number is accepted too). */
static long long sleep_arg(const char *v, const char *end)
{
    long long ms = 0;

    v = skip_ws(v, end);
    if (v < end && *v == '"')
        v++;
    while (v < end && *v >= '0' && *v <= '9') {
        ms = ms * 10 + (*v - '0');
        if (ms > SLEEP_MAX_MS)
            return SLEEP_MAX_MS;
        v++;
    }
    return ms;
}

static int handle(const struct lambda_invocation *inv, struct lambda_result *res, void *arg)
{
    struct echo *echo = arg;
    const char *end = inv->event + inv->event_len;
    const char *v;
    int n;

    v = find_key(inv->event, inv->event_len, "sleep_ms");
    if (v != NULL)
        sleep_ms(sleep_arg(v, end));

    v = find_key(inv->event, inv->event_len, "fail");
    if (v != NULL) {
        v = skip_ws(v, end);
        if ((size_t)(end - v) < 5 || memcmp(v, "false", 5) != 0) {
            res->is_error = 1;
            res->error_type = "EchoError";
            res->error_message = "echo was asked to fail";
            return 0;
        }
    }

    if (find_key(inv->event, inv->event_len, "whoami") != NULL) {
        n = snprintf(echo->whoami, sizeof(echo->whoami), "{\"pid\": %ld, \"instance\": \"%s\"}",
                     (long)getpid(), echo->instance);
        if (n < 0 || (size_t)n >= sizeof(echo->whoami))
            return -EOVERFLOW;
        res->body = echo->whoami;
        res->body_len = (size_t)n;
        return 0;
    }

    res->body = inv->event;
    res->body_len = inv->event_len;
    res->content_type = inv->content_type;
    return 0;
}

/* Picks the per-process instance id; falls back to pid and clock if getrandom fails. */
static void pick_instance(struct echo *echo)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char r[8];
    size_t i;

    if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
        struct timespec ts;
        unsigned long long x;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        x = (unsigned long long)ts.tv_nsec ^ ((unsigned long long)getpid() << 32) ^
            (unsigned long long)ts.tv_sec;
        for (i = 0; i < sizeof(r); i++)
            r[i] = (unsigned char)(x >> (8 * i));
    }
    for (i = 0; i < sizeof(r); i++) {
        echo->instance[2 * i] = hex[r[i] >> 4];
        echo->instance[2 * i + 1] = hex[r[i] & 15];
    }
    echo->instance[2 * sizeof(r)] = '\0';
}

int main(void)
{
    static struct echo echo;

    pick_instance(&echo);
    return lambda_runtime_run(handle, &echo) < 0 ? 1 : 0;
}
