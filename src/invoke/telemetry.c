/* SPDX-License-Identifier: MIT */
/*
 * Telemetry API subscriptions and delivery (see telemetry.h). The limits
 * and defaults are AWS's: maxItems 1000-10000 (10000), maxBytes
 * 262144-1048576 (262144), timeoutMs 25-30000 (1000). The listener is
 * reached at 127.0.0.1 inside the instance's network namespace, which is
 * what sandbox.localdomain names there.
 */
#include "telemetry.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/limits.h"
#include "base/timer.h"
#include "base/util.h"
#include "invoke/rterr.h"
#include "sandbox/sandbox.h"

struct tele {
    struct tele_env env;
    struct tele_config c;
    char **recs; /* queued records */
    size_t *lens;
    int n;
    size_t bytes;
    unsigned dropped; /* records dropped since the last logsDropped */
    struct timer flush;
    h2o_socket_t *sock; /* the delivery in flight */
    char *body;         /* its request */
    size_t body_len;
};

/* An integer member in [lo, hi], or dflt when absent. Returns false if it is
 * there but not such a number. */
static bool int_member(const cJSON *obj, const char *name, int lo, int hi, int dflt, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    *out = dflt;
    if (v == NULL)
        return true;
    if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi ||
        v->valuedouble != (double)(int)v->valuedouble)
        return false;
    *out = (int)v->valuedouble;
    return true;
}

static const char *parse_types(const cJSON *types, unsigned *out)
{
    *out = 0;
    if (!cJSON_IsArray(types) || cJSON_GetArraySize(types) == 0)
        return "types must be a non-empty array of platform, function, extension";
    const cJSON *t;
    cJSON_ArrayForEach(t, types)
    {
        const char *s = cJSON_GetStringValue(t);
        if (s != NULL && strcmp(s, "platform") == 0)
            *out |= TELE_PLATFORM;
        else if (s != NULL && strcmp(s, "function") == 0)
            *out |= TELE_FUNCTION;
        else if (s != NULL && strcmp(s, "extension") == 0)
            *out |= TELE_EXTENSION;
        else
            return "types must be a non-empty array of platform, function, extension";
    }
    return NULL;
}

/* destination {"protocol":"HTTP","URI":"http://sandbox.localdomain:PORT/PATH"}
 * or {"protocol":"TCP","port":PORT}. */
static const char *parse_destination(const cJSON *d, struct tele_config *t)
{
    const char *proto = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "protocol"));
    if (proto != NULL && strcmp(proto, "TCP") == 0) {
        int port;
        if (!int_member(d, "port", 1, 65535, 0, &port) || port == 0)
            return "destination.port must be a port number for the TCP protocol";
        t->tcp = true;
        t->port = (uint16_t)port;
        return NULL;
    }
    if (proto == NULL || strcmp(proto, "HTTP") != 0)
        return "destination.protocol must be HTTP or TCP";
    const char *uri = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "URI"));
    h2o_url_t url;
    if (uri == NULL || h2o_url_parse(uri, strlen(uri), &url) != 0 ||
        url.scheme != &H2O_URL_SCHEME_HTTP)
        return "destination.URI must be an http:// URI";
    static const char *const hosts[] = {"sandbox.localdomain", "sandbox", "localhost", "127.0.0.1"};
    bool ok = false;
    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
        ok = ok || h2o_memis(url.host.base, url.host.len, hosts[i], strlen(hosts[i]));
    if (!ok)
        return "destination.URI must name sandbox.localdomain";
    if (url.path.len >= sizeof(t->path))
        return "destination.URI is too long";
    t->port = h2o_url_get_port(&url);
    if (t->port == 0)
        return "destination.URI must name a port between 1 and 65535";
    memcpy(t->path, url.path.base, url.path.len);
    t->path[url.path.len] = '\0';
    return NULL;
}

static void on_flush_timer(struct timer *tm, void *arg);

const char *tele_parse(const char *body, size_t len, struct tele_config *t)
{
    memset(t, 0, sizeof(*t));
    if (len > EXT_REQUEST_MAX_BYTES)
        return "The request body is too large";
    cJSON *doc = cJSON_ParseWithLength(body != NULL ? body : "", len);
    const char *err = NULL;
    const cJSON *buf = cJSON_GetObjectItemCaseSensitive(doc, "buffering");
    const cJSON *dest = cJSON_GetObjectItemCaseSensitive(doc, "destination");
    int max_bytes = 0;
    if (!cJSON_IsObject(doc))
        err = "The request body must be a JSON object";
    else if ((err = parse_types(cJSON_GetObjectItemCaseSensitive(doc, "types"), &t->types)) != NULL)
        ;
    else if (buf != NULL && !cJSON_IsObject(buf))
        err = "buffering must be an object";
    else if (!int_member(buf, "maxItems", 1000, 10000, 10000, &t->max_items))
        err = "buffering.maxItems must be between 1000 and 10000";
    else if (!int_member(buf, "maxBytes", 262144, 1048576, 262144, &max_bytes))
        err = "buffering.maxBytes must be between 262144 and 1048576";
    else if (!int_member(buf, "timeoutMs", 25, 30000, 1000, &t->timeout_ms))
        err = "buffering.timeoutMs must be between 25 and 30000";
    else if (!cJSON_IsObject(dest))
        err = "destination is required";
    else
        err = parse_destination(dest, t);
    cJSON_Delete(doc);
    t->max_bytes = (size_t)max_bytes;
    return err;
}

bool tele_subscribe(h2o_req_t *req, const struct tele_env *env, struct tele **sub)
{
    struct tele *t = xcalloc(1, sizeof(*t));
    const char *err = tele_parse(req->entity.base, req->entity.len, &t->c);
    if (err != NULL) {
        free(t);
        rterr_send(req, 400, "ValidationError", err);
        return false;
    }
    t->env = *env;
    if ((t->recs = calloc((size_t)t->c.max_items, sizeof(*t->recs))) == NULL ||
        (t->lens = calloc((size_t)t->c.max_items, sizeof(*t->lens))) == NULL)
        abort();
    timer_init(&t->flush, on_flush_timer, t);
    tele_free(*sub);
    *sub = t;
    http_send(req, 200, "text/plain", "OK", 2);
    return true;
}

unsigned tele_types(const struct tele *sub)
{
    return sub != NULL ? sub->c.types : 0;
}

/* ---- delivery ---- */

static void send_batch(struct tele *t);

static void end_delivery(struct tele *t)
{
    if (t->sock != NULL) {
        h2o_socket_close(t->sock);
        t->sock = NULL;
    }
    free(t->body);
    t->body = NULL;
    if (t->n >= t->c.max_items || t->bytes >= t->c.max_bytes)
        send_batch(t);
    else if (t->n > 0)
        timer_arm(t->env.th, &t->flush, t->c.timeout_ms);
}

static void on_read(h2o_socket_t *sock, const char *err)
{
    struct tele *t = sock->data;
    /* The answer is not looked at: lambdad sends with Connection: close and
     * waits for the listener to close (or fail). */
    h2o_buffer_consume(&sock->input, sock->input->size);
    if (err != NULL)
        end_delivery(t);
}

static void on_written(h2o_socket_t *sock, const char *err)
{
    struct tele *t = sock->data;
    if (err != NULL || t->c.tcp) {
        end_delivery(t);
        return;
    }
    h2o_socket_read_start(sock, on_read);
}

static void on_connected(h2o_socket_t *sock, const char *err)
{
    struct tele *t = sock->data;
    if (err != NULL) {
        end_delivery(t);
        return;
    }
    h2o_iovec_t buf = h2o_iovec_init(t->body, t->body_len);
    h2o_socket_write(sock, &buf, 1, on_written);
}

/* Appends len bytes to a growing buffer (aborts on OOM: sizes are bounded
 * by maxBytes). */
static void append(char **b, size_t *len, size_t *cap, const char *p, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t nc = (*len + n + 1) * 2;
        char *nb = xrealloc(*b, nc);
        *b = nb;
        *cap = nc;
    }
    memcpy(*b + *len, p, n);
    *len += n;
}

static void send_batch(struct tele *t)
{
    timer_cancel(t->env.th, &t->flush);
    if (t->sock != NULL || t->n == 0)
        return;
    char *payload = NULL;
    size_t plen = 0, pcap = 0;
    append(&payload, &plen, &pcap, t->c.tcp ? "" : "[", t->c.tcp ? 0 : 1);
    for (int i = 0; i < t->n; i++) {
        if (!t->c.tcp && i > 0)
            append(&payload, &plen, &pcap, ",", 1);
        append(&payload, &plen, &pcap, t->recs[i], t->lens[i]);
        if (t->c.tcp)
            append(&payload, &plen, &pcap, "\n", 1);
        free(t->recs[i]);
    }
    append(&payload, &plen, &pcap, "]", t->c.tcp ? 0 : 1);
    t->n = 0;
    t->bytes = 0;
    size_t cap = 0;
    t->body_len = 0;
    if (t->c.tcp) {
        t->body = payload;
        t->body_len = plen;
    } else {
        char head[512];
        int hn = snprintf(head, sizeof(head),
                          "POST %s HTTP/1.1\r\nHost: sandbox.localdomain:%u\r\nContent-Type: "
                          "application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                          t->c.path[0] != '\0' ? t->c.path : "/", (unsigned)t->c.port, plen);
        t->body = NULL;
        append(&t->body, &t->body_len, &cap, head, (size_t)hn);
        append(&t->body, &t->body_len, &cap, payload, plen);
        free(payload);
    }
    int fd = sandbox_socket(t->env.proc);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(t->c.port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0) {
        end_delivery(t);
        return;
    }
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 && errno != EINPROGRESS) {
        close(fd);
        end_delivery(t);
        return;
    }
    t->sock = h2o_evloop_socket_create(t->env.loop, fd, H2O_SOCKET_FLAG_IS_CONNECTING);
    t->sock->data = t;
    h2o_socket_notify_write(t->sock, on_connected);
}

static void on_flush_timer(struct timer *tm, void *arg)
{
    (void)tm;
    send_batch(arg);
}

static void queue(struct tele *t, char *text, size_t len)
{
    if (t->n >= t->c.max_items) {
        free(text);
        t->dropped++;
        return;
    }
    t->recs[t->n] = text;
    t->lens[t->n] = len;
    t->n++;
    t->bytes += len;
    if (t->sock != NULL)
        return; /* sent when the delivery in flight ends */
    if (t->n >= t->c.max_items || t->bytes >= t->c.max_bytes)
        send_batch(t);
    else if (!timer_armed(&t->flush))
        timer_arm(t->env.th, &t->flush, t->c.timeout_ms);
}

static char *format(const char *type, const char *record, size_t record_len, size_t *len)
{
    char ts[32];
    time_fmt_iso(clock_ms(), ts);
    size_t cap = record_len + strlen(type) + 80;
    char *text = xmalloc(cap);
    int n = snprintf(text, cap, "{\"time\":\"%s\",\"type\":\"%s\",\"record\":%.*s}", ts, type,
                     (int)record_len, record);
    *len = (size_t)n;
    return text;
}

void tele_push(struct tele *sub, enum tele_type kind, const char *type, const char *record,
               size_t record_len)
{
    if (sub == NULL || !(sub->c.types & kind))
        return;
    if (sub->dropped > 0 && sub->n < sub->c.max_items && (sub->c.types & TELE_PLATFORM)) {
        char rec[160];
        int rn = snprintf(rec, sizeof(rec),
                          "{\"reason\":\"Some logs were dropped because the downstream consumer "
                          "is slower than the logs production rate\",\"droppedRecords\":%u,"
                          "\"droppedBytes\":0}",
                          sub->dropped);
        sub->dropped = 0;
        size_t len;
        char *text = format("platform.logsDropped", rec, (size_t)rn, &len);
        queue(sub, text, len);
    }
    size_t len;
    char *text = format(type, record, record_len, &len);
    if (len > sub->c.max_bytes) {
        free(text);
        sub->dropped++;
        return;
    }
    queue(sub, text, len);
}

void tele_free(struct tele *sub)
{
    if (sub == NULL)
        return;
    timer_cancel(sub->env.th, &sub->flush);
    if (sub->sock != NULL)
        h2o_socket_close(sub->sock);
    for (int i = 0; i < sub->n; i++)
        free(sub->recs[i]);
    free(sub->recs);
    free(sub->lens);
    free(sub->body);
    free(sub);
}
