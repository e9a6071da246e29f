/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for invoke/sched.c: the Runtime API state machine (aws-wire.md
 * section 4, docs/decisions.md "Instances and the Runtime API"), driven in
 * process. Each test gets a fresh mkdtemp data directory with a store, a blob
 * store, a worker pool, an HTTP server, a log writer and a scheduler running
 * plain processes (no sandbox). The function is a provided.al2 zip whose
 * bootstrap writes "<pid> <AWS_LAMBDA_RUNTIME_API>" to the file named by its
 * PORTFILE variable and then sleeps; the test itself plays the runtime,
 * speaking raw HTTP/1.1 on the instance's port. The daemon's loop runs on this
 * thread, so the test never blocks on a socket: every wait pumps the loop
 * (and reaps children, as SIGCHLD would) until a condition holds or its
 * deadline passes.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

/* cmocka.h needs these four first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <cjson/cJSON.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/util.h"
#include "base/worker.h"
#include "catalog/function.h"
#include "fixture.h"
#include "http/server.h"
#include "invoke/logs.h"
#include "invoke/sched.h"
#include "store/blob.h"
#include "store/store.h"

#define WAIT_MS    5000 /* the longest any single step may take */
#define MAX_CONNS  8
#define MAX_INVS   3
#define RESP_BYTES 65536

/* The runtime: report pid and endpoint atomically, then idle until killed. */
static const char bootstrap_sh[] = "#!/bin/sh\n"
                                   "echo \"$$ $AWS_LAMBDA_RUNTIME_API\" > \"$PORTFILE.tmp\"\n"
                                   "mv \"$PORTFILE.tmp\" \"$PORTFILE\"\n"
                                   "exec sleep 30\n";

/* What a done callback saw. */
struct outcome {
    int calls;
    int status;
    bool fn_error;
    char *result; /* NUL-terminated copy of inv->result */
    size_t result_len;
    char ctype[128];
    char *log; /* NUL-terminated copy of inv->log (want_tail) */
};

struct fx {
    char dir[64];
    char rtdir[96];
    char portfile[96];
    struct sched_config cfg;
    struct store *st;
    struct blob_store *bs;
    struct worker_pool *wp;
    struct http_server *srv;
    h2o_socket_t *wsock;
    struct logs *lg;
    struct sched *s;
    struct function *fn;
    int conns[MAX_CONNS];
    int nconns;
    struct invocation inv[MAX_INVS];
    struct outcome out[MAX_INVS];
};

/* One HTTP/1.1 response as the runtime received it. */
struct resp {
    int status;
    char raw[RESP_BYTES];
    size_t len;
    size_t head_len; /* through the blank line */
    const char *body;
    size_t body_len;
};

FIXTURE_LSAN_H2O

/* ---- the loop ---- */

static int64_t now_ms(void)
{
    return clock_mono_us() / 1000;
}

static void pump_once(struct fx *f)
{
    http_run_once(f->srv, 5);
    if (f->s != NULL)
        sched_reap(f->s);
}

static void pump_for(struct fx *f, int ms)
{
    int64_t until = now_ms() + ms;
    while (now_ms() < until)
        pump_once(f);
}

/* Pumps until cond holds or ms pass; the caller asserts cond afterwards. */
#define PUMP_UNTIL(f, cond, ms)                                                                    \
    for (int64_t until_ = now_ms() + (ms); !(cond) && now_ms() < until_;)                          \
    pump_once(f)

static int on_edge(h2o_req_t *req, void *arg)
{
    (void)arg;
    http_send(req, 404, "application/json", "{}", 2);
    return 0;
}

static int on_runtime(h2o_req_t *req, void *arg)
{
    struct fx *f = arg;
    if (f->s == NULL) {
        http_send(req, 500, "application/json", "{}", 2);
        return 0;
    }
    return sched_runtime_request(f->s, req);
}

static void on_worker(h2o_socket_t *sock, const char *err)
{
    struct fx *f = sock->data;
    (void)err;
    h2o_buffer_consume(&sock->input, sock->input->size);
    worker_pool_complete(f->wp);
}

static void on_done(struct invocation *inv, int status, void *arg)
{
    struct outcome *o = arg;
    o->calls++;
    o->status = status;
    o->fn_error = inv->function_error;
    free(o->result);
    o->result = malloc(inv->result_len + 1);
    if (o->result == NULL)
        abort();
    if (inv->result_len > 0)
        memcpy(o->result, inv->result, inv->result_len);
    o->result[inv->result_len] = '\0';
    o->result_len = inv->result_len;
    snprintf(o->ctype, sizeof(o->ctype), "%s", inv->result_ctype != NULL ? inv->result_ctype : "");
    free(o->log);
    o->log = NULL;
    if (inv->log != NULL) {
        o->log = malloc(inv->log_len + 1);
        if (o->log == NULL)
            abort();
        memcpy(o->log, inv->log, inv->log_len);
        o->log[inv->log_len] = '\0';
    }
    /* The completion owns these (invoke.c frees them the same way). */
    free(inv->log);
    inv->log = NULL;
    free(inv->owned);
    inv->owned = NULL;
}

/* ---- fixture ---- */

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    if (fixture_tmpdir(f->dir, sizeof(f->dir), "test_sched") != 0) {
        free(f);
        return -1;
    }
    *state = f; /* from here on, teardown cleans up whatever was made */
    snprintf(f->rtdir, sizeof(f->rtdir), "%s/runtimes", f->dir);
    snprintf(f->portfile, sizeof(f->portfile), "%s/port", f->dir);
    if (mkdir(f->rtdir, 0755) != 0)
        return -1;
    f->cfg = (struct sched_config){.region = "us-east-1",
                                   .account = "000000000000",
                                   .data_dir = f->dir,
                                   .runtimes_dir = f->rtdir,
                                   .python = "/usr/bin/python3",
                                   .node = "/usr/bin/node",
                                   .edge_url = "http://127.0.0.1:1",
                                   .account_concurrency = 10,
                                   .keepalive_ms = 60000,
                                   .sandbox_kind = SANDBOX_NONE};
    int err = 0;
    if ((f->st = store_open(NULL, f->dir, &err)) == NULL)
        return -1;
    if ((f->bs = blob_store_new(f->dir, &err)) == NULL)
        return -1;
    if ((f->wp = worker_pool_new(1)) == NULL)
        return -1;
    if ((f->srv = http_server_new(on_edge, on_runtime, f)) == NULL)
        return -1;
    int wfd = dup(worker_pool_fd(f->wp));
    if (wfd < 0)
        return -1;
    f->wsock = http_watch_fd(f->srv, wfd, on_worker, f);
    f->lg = logs_new(f->st, f->wp, http_timers(f->srv));
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    for (int i = 0; i < f->nconns; i++)
        close(f->conns[i]);
    if (f->s != NULL) {
        sched_free(f->s); /* kills and reaps every instance */
        f->s = NULL;
    }
    if (f->srv != NULL)
        pump_for(f, 30); /* lets H2O finish and close the runtime connections */
    function_unref(f->fn);
    worker_pool_free(f->wp);
    if (f->wsock != NULL)
        h2o_socket_close(f->wsock);
    if (f->lg != NULL)
        logs_free(f->lg);
    http_server_free(f->srv);
    blob_store_free(f->bs);
    if (f->st != NULL)
        store_close(f->st);
    for (int i = 0; i < MAX_INVS; i++) {
        free(f->out[i].result);
        free(f->out[i].log);
    }
    fixture_rmtree(f->dir); /* code directories are read-only: it opens them first */
    free(f);
    return 0;
}

/* Returns a new zip (free with free) holding bootstrap_sh as an executable
 * "bootstrap", built in memory. */
static void *make_zip(size_t *len)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    assert_non_null(src);
    zip_t *za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    assert_non_null(za);
    zip_source_keep(src); /* read the archive back after zip_close */
    zip_source_t *file = zip_source_buffer(za, bootstrap_sh, sizeof(bootstrap_sh) - 1, 0);
    assert_non_null(file);
    zip_int64_t idx = zip_file_add(za, "bootstrap", file, ZIP_FL_ENC_UTF_8);
    assert_true(idx >= 0);
    assert_int_equal(zip_file_set_external_attributes(za, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX,
                                                      (zip_uint32_t)0100755 << 16),
                     0);
    assert_int_equal(zip_close(za), 0);
    zip_stat_t st;
    assert_int_equal(zip_source_open(src), 0);
    assert_int_equal(zip_source_stat(src, &st), 0);
    assert_true((st.valid & ZIP_STAT_SIZE) != 0 && st.size > 0);
    char *buf = malloc(st.size);
    assert_non_null(buf);
    assert_int_equal(zip_source_read(src, buf, st.size), (zip_int64_t)st.size);
    zip_source_close(src);
    zip_source_free(src);
    *len = st.size;
    return buf;
}

/* Stores the function (Timeout timeout_s) and starts the scheduler. */
static void start(struct fx *f, int timeout_s, int concurrency)
{
    size_t zlen;
    void *zip = make_zip(&zlen);
    struct blob_digest d;
    assert_int_equal(blob_put(f->bs, zip, zlen, BLOB_UNZIPPED_MAX_BYTES, &d), 0);
    free(zip);
    char text[1024];
    snprintf(text, sizeof(text),
             "{\"FunctionName\":\"sched-test\",\"Runtime\":\"provided.al2\",\"Handler\":\"x\","
             "\"Role\":\"arn:aws:iam::123456789012:role/r\",\"Code\":{\"ZipFile\":\"x\"},"
             "\"Timeout\":%d,\"Environment\":{\"Variables\":{\"PORTFILE\":\"%s\"}}}",
             timeout_s, f->portfile);
    cJSON *body = cJSON_Parse(text);
    assert_non_null(body);
    struct function *bare = NULL;
    char msg[512] = "";
    int rc = function_from_create(body, f->cfg.region, f->cfg.account, &bare, msg, sizeof(msg));
    cJSON_Delete(body);
    if (rc != 0)
        fail_msg("function_from_create: %d %s", rc, msg);
    f->fn = function_with_code(bare, d.hex, d.b64, (int64_t)zlen);
    function_unref(bare);
    assert_non_null(f->fn);
    f->cfg.account_concurrency = concurrency;
    f->s = sched_new(f->srv, f->bs, f->lg, &f->cfg);
    assert_non_null(f->s);
}

/* Submits invocation i; returns sched_submit's answer. payload and ctx must
 * be static. */
static int submit(struct fx *f, int i, const char *payload, const char *ctx, bool tail)
{
    struct invocation *inv = &f->inv[i];
    memset(inv, 0, sizeof(*inv));
    rand_uuid(inv->request_id);
    inv->fn = function_ref(f->fn);
    inv->payload = payload;
    inv->payload_len = strlen(payload);
    inv->client_context = ctx;
    inv->invoked_arn = f->fn->arn;
    inv->want_tail = tail;
    inv->done = on_done;
    inv->done_arg = &f->out[i];
    int rc = sched_submit(f->s, inv);
    if (rc != 0)
        function_unref(inv->fn); /* refused: the reference stays the caller's */
    return rc;
}

/* Waits for the instance to report itself; returns its pid and port. */
static pid_t wait_instance(struct fx *f, uint16_t *port)
{
    PUMP_UNTIL(f, access(f->portfile, F_OK) == 0, WAIT_MS);
    FILE *fp = fopen(f->portfile, "r");
    if (fp == NULL)
        fail_msg("the bootstrap never wrote %s", f->portfile);
    char line[128] = "";
    char *got = fgets(line, sizeof(line), fp);
    fclose(fp);
    assert_non_null(got);
    char *end;
    long pid = strtol(line, &end, 10);
    assert_true(pid > 1 && *end == ' ');
    assert_true(strncmp(end + 1, "127.0.0.1:", 10) == 0);
    long p = strtol(end + 11, &end, 10);
    assert_true(p > 0 && p < 65536);
    *port = (uint16_t)p;
    return (pid_t)pid;
}

/* ---- the runtime's side of the wire ---- */

static int rt_connect(struct fx *f, uint16_t port)
{
    assert_true(f->nconns < MAX_CONNS);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    f->conns[f->nconns++] = fd;
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* A loopback connect completes in the kernel's backlog without accept(). */
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
        fail_msg("connect to %u: errno %d", (unsigned)port, errno);
    assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
    return fd;
}

static void rt_send(struct fx *f, int fd, const char *data, size_t len)
{
    int64_t until = now_ms() + WAIT_MS;
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            data += n;
            len -= (size_t)n;
            continue;
        }
        assert_true(n < 0 && errno == EAGAIN);
        assert_true(now_ms() < until);
        pump_once(f);
    }
}

static void rt_get_next(struct fx *f, int fd)
{
    static const char req[] = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n"
                              "Host: rt\r\n\r\n";
    rt_send(f, fd, req, sizeof(req) - 1);
}

/* GETs path with extra header lines ("Name: v\r\n") or "". */
static void rt_get(struct fx *f, int fd, const char *path, const char *extra)
{
    char head[1024];
    int n = snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: rt\r\n%s\r\n", path, extra);
    assert_true(n > 0 && (size_t)n < sizeof(head));
    rt_send(f, fd, head, (size_t)n);
}

/* POSTs body to path; extra is more header lines ("Name: v\r\n") or "". */
static void rt_post(struct fx *f, int fd, const char *path, const char *extra, const char *body,
                    size_t len)
{
    char head[1024];
    int n =
        snprintf(head, sizeof(head),
                 "POST %s HTTP/1.1\r\nHost: rt\r\n%sContent-Length: %zu\r\n\r\n", path, extra, len);
    assert_true(n > 0 && (size_t)n < sizeof(head));
    rt_send(f, fd, head, (size_t)n);
    rt_send(f, fd, body, len);
}

static void rt_post_result(struct fx *f, int fd, const char *id, const char *verb,
                           const char *extra, const char *body)
{
    char path[160];
    snprintf(path, sizeof(path), "/2018-06-01/runtime/invocation/%s/%s", id, verb);
    rt_post(f, fd, path, extra, body, strlen(body));
}

/* Value of header name in r (case-insensitive), copied into out; NULL if absent. */
static const char *rt_header(const struct resp *r, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    const char *p = memchr(r->raw, '\n', r->head_len);
    const char *end = r->raw + r->head_len;
    while (p != NULL && p + 1 < end) {
        const char *line = p + 1;
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (eol == NULL)
            break;
        if ((size_t)(eol - line) > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            size_t vl = (size_t)(eol - v);
            if (vl > 0 && v[vl - 1] == '\r')
                vl--;
            if (vl >= cap)
                vl = cap - 1;
            memcpy(out, v, vl);
            out[vl] = '\0';
            return out;
        }
        p = eol;
    }
    return NULL;
}

/* Pumps until a whole response has arrived on fd; false after ms without one. */
static bool rt_recv(struct fx *f, int fd, struct resp *r, int ms)
{
    memset(r, 0, offsetof(struct resp, raw));
    r->len = 0;
    r->raw[0] = '\0';
    int64_t until = now_ms() + ms;
    for (;;) {
        ssize_t n = recv(fd, r->raw + r->len, sizeof(r->raw) - 1 - r->len, MSG_DONTWAIT);
        if (n > 0) {
            r->len += (size_t)n;
            r->raw[r->len] = '\0';
        } else if (n == 0 || errno != EAGAIN) {
            return false; /* closed before a whole response */
        }
        const char *eoh = strstr(r->raw, "\r\n\r\n");
        if (eoh != NULL) {
            r->head_len = (size_t)(eoh + 4 - r->raw);
            char cl[32];
            assert_non_null(rt_header(r, "content-length", cl, sizeof(cl)));
            size_t want = (size_t)strtoul(cl, NULL, 10);
            if (r->len >= r->head_len + want) {
                assert_int_equal(r->len, r->head_len + want); /* nothing unasked for */
                assert_true(strncmp(r->raw, "HTTP/1.1 ", 9) == 0);
                r->status = (int)strtol(r->raw + 9, NULL, 10);
                r->body = r->raw + r->head_len;
                r->body_len = want;
                return true;
            }
        }
        assert_true(r->len < sizeof(r->raw) - 1);
        if (now_ms() >= until)
            return false;
        if (n <= 0)
            pump_once(f);
    }
}

static void rt_recv_ok(struct fx *f, int fd, struct resp *r)
{
    if (!rt_recv(f, fd, r, WAIT_MS))
        fail_msg("no response from the Runtime API (got %zu bytes: %s)", r->len, r->raw);
}

/* Asserts nothing arrives on fd while the loop runs for ms. */
static void rt_expect_silence(struct fx *f, int fd, int ms)
{
    pump_for(f, ms);
    char c[512];
    ssize_t n = recv(fd, c, sizeof(c) - 1, MSG_DONTWAIT | MSG_PEEK);
    if (n > 0)
        fail_msg("expected nothing, got: %.*s", (int)n, c);
    assert_int_equal(n, -1);
    assert_int_equal(errno, EAGAIN);
}

/* Asserts r is 202 {"status":"OK"}. */
static void assert_accepted(const struct resp *r)
{
    assert_int_equal(r->status, 202);
    assert_int_equal(r->body_len, 15);
    assert_memory_equal(r->body, "{\"status\":\"OK\"}", 15);
}

/* Asserts r is a Runtime API error: status and {"errorType": type, ...}. */
static void assert_rt_error(const struct resp *r, int status, const char *type)
{
    if (r->status != status)
        fail_msg("expected %d %s, got: %.*s", status, type, (int)r->len, r->raw);
    cJSON *o = cJSON_ParseWithLength(r->body, r->body_len);
    if (o == NULL)
        fail_msg("error body is not JSON: %.*s", (int)r->body_len, r->body);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "errorType");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "errorMessage");
    bool ok = cJSON_IsString(t) && strcmp(t->valuestring, type) == 0 && cJSON_IsString(m);
    cJSON_Delete(o);
    if (!ok)
        fail_msg("expected errorType %s, got %.*s", type, (int)r->body_len, r->body);
}

/* The usual start of a test: submit invocation 0, let the instance start,
 * connect as its runtime and take the event with GET /next. Returns the
 * connection; *pid is the runtime's pid. */
static int take_first_event(struct fx *f, struct resp *r, pid_t *pid)
{
    assert_int_equal(submit(f, 0, "{\"n\":1}", NULL, false), 0);
    uint16_t port;
    pid_t p = wait_instance(f, &port);
    if (pid != NULL)
        *pid = p;
    int fd = rt_connect(f, port);
    rt_get_next(f, fd);
    rt_recv_ok(f, fd, r);
    assert_int_equal(r->status, 200);
    char id[64];
    assert_non_null(rt_header(r, "lambda-runtime-aws-request-id", id, sizeof(id)));
    assert_string_equal(id, f->inv[0].request_id);
    assert_int_equal(f->out[0].calls, 0);
    return fd;
}

/* ---- tests ---- */

/* 1. /next parks while nothing waits, then answers with the event and its headers. */
static void test_next_parks_then_delivers(void **state)
{
    struct fx *f = *state;
    static struct resp r;
    start(f, 3, 10);
    int fd = take_first_event(f, &r, NULL);
    char v[512];
    /* No client context was given: the header is absent (RIE sets only non-empty ones). */
    assert_null(rt_header(&r, "lambda-runtime-client-context", v, sizeof(v)));
    assert_int_equal(r.body_len, strlen("{\"n\":1}"));
    assert_memory_equal(r.body, "{\"n\":1}", r.body_len);
    rt_post_result(f, fd, f->inv[0].request_id, "response", "", "1");
    rt_recv_ok(f, fd, &r);
    assert_accepted(&r);
    assert_int_equal(f->out[0].calls, 1);

    /* The warm instance asks again: nothing is waiting, so the request parks. */
    rt_get_next(f, fd);
    rt_expect_silence(f, fd, 100);
    assert_int_equal(sched_busy(f->s), 0);

    static const char payload[] = "{\"hello\":\"world\",\"n\":2}";
    static const char ctx[] = "{\"custom\":{\"k\":\"v\"}}";
    int64_t before = clock_ms();
    assert_int_equal(submit(f, 1, payload, ctx, false), 0);
    rt_recv_ok(f, fd, &r);
    int64_t after = clock_ms();
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, strlen(payload));
    assert_memory_equal(r.body, payload, r.body_len);

    assert_non_null(rt_header(&r, "lambda-runtime-aws-request-id", v, sizeof(v)));
    assert_string_equal(v, f->inv[1].request_id);
    assert_non_null(rt_header(&r, "lambda-runtime-deadline-ms", v, sizeof(v)));
    long long deadline = strtoll(v, NULL, 10);
    assert_true(deadline >= before + 3000);
    assert_true(deadline <= after + 3000);
    assert_non_null(rt_header(&r, "lambda-runtime-invoked-function-arn", v, sizeof(v)));
    assert_string_equal(v, "arn:aws:lambda:us-east-1:000000000000:function:sched-test");
    assert_non_null(rt_header(&r, "lambda-runtime-trace-id", v, sizeof(v)));
    assert_true(strncmp(v, "Root=1-", 7) == 0);
    assert_non_null(rt_header(&r, "lambda-runtime-client-context", v, sizeof(v)));
    assert_string_equal(v, ctx);

    /* The parked request was served by the same, warm instance. */
    assert_int_equal(sched_instances(f->s), 1);
    assert_int_equal(sched_busy(f->s), 1);
    assert_int_equal(f->out[1].calls, 0);
}

/* 2. POST /response completes the invocation with exactly the posted bytes. */
static void test_response_completes(void **state)
{
    struct fx *f = *state;
    static struct resp r;
    start(f, 3, 10);
    /* want_tail: the invocation's log is kept as well. */
    assert_int_equal(submit(f, 0, "{}", NULL, true), 0);
    uint16_t port;
    wait_instance(f, &port);
    int fd = rt_connect(f, port);
    rt_get_next(f, fd);
    rt_recv_ok(f, fd, &r);
    assert_int_equal(r.status, 200);
    static const char result[] = "{\"ok\":true,\"bytes\":\"\\u0000 x\"}";
    rt_post_result(f, fd, f->inv[0].request_id, "response", "Content-Type: text/plain\r\n", result);
    rt_recv_ok(f, fd, &r);
    assert_accepted(&r);
    const struct outcome *o = &f->out[0];
    assert_int_equal(o->calls, 1);
    assert_int_equal(o->status, 0);
    assert_false(o->fn_error);
    assert_int_equal(o->result_len, strlen(result));
    assert_memory_equal(o->result, result, o->result_len);
    assert_string_equal(o->ctype, "text/plain"); /* passed through to the caller */
    assert_non_null(o->log);
    char line[128];
    snprintf(line, sizeof(line), "START RequestId: %s", f->inv[0].request_id);
    assert_non_null(strstr(o->log, line));
    snprintf(line, sizeof(line), "END RequestId: %s", f->inv[0].request_id);
    assert_non_null(strstr(o->log, line));
    snprintf(line, sizeof(line), "REPORT RequestId: %s\tDuration: ", f->inv[0].request_id);
    assert_non_null(strstr(o->log, line));
    assert_int_equal(sched_busy(f->s), 0);
    pump_for(f, 50);
    assert_int_equal(o->calls, 1);              /* exactly once */
    assert_int_equal(sched_instances(f->s), 1); /* kept warm */
}

/* 3. A result for an id the instance was never given is 400 and changes nothing. */
static void test_unknown_id(void **state)
{
    struct fx *f = *state;
    static struct resp r;
    start(f, 3, 10);
    int fd = take_first_event(f, &r, NULL);
    char other[37];
    rand_uuid(other);
    rt_post_result(f, fd, other, "response", "", "\"wrong\"");
    rt_recv_ok(f, fd, &r);
    assert_rt_error(&r, 400, "InvalidRequestID");
    rt_post_result(f, fd, other, "error", "", "{}");
    rt_recv_ok(f, fd, &r);
    assert_rt_error(&r, 400, "InvalidRequestID");
    pump_for(f, 20);
    assert_int_equal(f->out[0].calls, 0);
    assert_int_equal(sched_busy(f->s), 1);

    /* The invocation is still pending and the right id still completes it. */
    rt_post_result(f, fd, f->inv[0].request_id, "response", "", "\"right\"");
    rt_recv_ok(f, fd, &r);
    assert_accepted(&r);
    assert_int_equal(f->out[0].calls, 1);
    assert_false(f->out[0].fn_error);
    assert_string_equal(f->out[0].result, "\"right\"");
}

/* 4. Answering the same id twice is 403; the first answer stands. */
static void test_second_answer_forbidden(void **state)
{
    struct fx *f = *state;
    static struct resp r;
    start(f, 3, 10);
    int fd = take_first_event(f, &r, NULL);
    const char *id = f->inv[0].request_id;
    rt_post_result(f, fd, id, "response", "", "\"first\"");
    rt_recv_ok(f, fd, &r);
    assert_accepted(&r);
    rt_post_result(f, fd, id, "response", "", "\"second\"");
    rt_recv_ok(f, fd, &r);
    assert_rt_error(&r, 403, "InvalidStateTransition");
    rt_post_result(f, fd, id, "error", "", "{}");
    rt_recv_ok(f, fd, &r);
    assert_rt_error(&r, 403, "InvalidStateTransition");
    pump_for(f, 20);
    assert_int_equal(f->out[0].calls, 1);
    assert_false(f->out[0].fn_error);
    assert_string_equal(f->out[0].result, "\"first\"");
}

/* 5. POST /error completes the invocation as a function error with the body. */
static void test_error_completes(void **state)
{
    struct fx *f = *state;
    static struct resp r;
    start(f, 3, 10);
    int fd = take_first_event(f, &r, NULL);
    static const char err[] =
        "{\"errorMessage\":\"boom\",\"errorType\":\"ValueError\",\"stackTrace\":[]}";
    rt_post_result(f, fd, f->inv[0].request_id, "error",
                   "Lambda-Runtime-Function-Error-Type: ValueError\r\n", err);
    rt_recv_ok(f, fd, &r);
    assert_accepted(&r);
    const struct outcome *o = &f->out[0];
    assert_int_equal(o->calls, 1);
    assert_int_equal(o->status, 0);
    assert_true(o->fn_error);
    assert_int_equal(o->result_len, strlen(err));
    assert_memory_equal(o->result, err, o->result_len);
    assert_int_equal(sched_busy(f->s), 0);
}

/* 6. /next while an event is outstanding, and init/error after init, are 403. */
static void test_next_while_busy(void **state)
{
    struct fx *f = *state;
    static struct resp r;
    start(f, 3, 10);
    int fd = take_first_event(f, &r, NULL);
    rt_get_next(f, fd);
    rt_recv_ok(f, fd, &r);
    assert_rt_error(&r, 403, "InvalidStateTransition");
    rt_post(f, fd, "/2018-06-01/runtime/init/error", "", "{}", 2);
    rt_recv_ok(f, fd, &r);
    assert_rt_error(&r, 403, "InvalidStateTransition");
    pump_for(f, 20);
    assert_int_equal(f->out[0].calls, 0);

    /* The outstanding event is unharmed. */
    rt_post_result(f, fd, f->inv[0].request_id, "response", "", "\"done\"");
    rt_recv_ok(f, fd, &r);
    assert_accepted(&r);
    assert_int_equal(f->out[0].calls, 1);
    assert_false(f->out[0].fn_error);
    assert_string_equal(f->out[0].result, "\"done\"");
}

/* 7. init/error before the first /next fails the waiting invocation with that body. */
static void test_init_error(void **state)
{
    struct fx *f = *state;
    static struct resp r;
    start(f, 3, 10);
    assert_int_equal(submit(f, 0, "{}", NULL, false), 0);
    uint16_t port;
    wait_instance(f, &port);
    int fd = rt_connect(f, port);
    static const char err[] = "{\"errorMessage\":\"cannot load\",\"errorType\":\"Runtime.Custom\"}";
    rt_post(f, fd, "/2018-06-01/runtime/init/error",
            "Lambda-Runtime-Function-Error-Type: Runtime.Custom\r\n", err, strlen(err));
    rt_recv_ok(f, fd, &r);
    assert_accepted(&r);
    PUMP_UNTIL(f, f->out[0].calls > 0, WAIT_MS);
    const struct outcome *o = &f->out[0];
    assert_int_equal(o->calls, 1);
    assert_int_equal(o->status, 0);
    assert_true(o->fn_error);
    assert_string_equal(o->result, err);
    PUMP_UNTIL(f, sched_instances(f->s) == 0, WAIT_MS);
    assert_int_equal(sched_instances(f->s), 0);
    assert_int_equal(sched_busy(f->s), 0);
    pump_for(f, 50);
    assert_int_equal(o->calls, 1);
}

/* 8. An event never answered times out after Timeout seconds and the instance goes. */
static void test_timeout(void **state)
{
    struct fx *f = *state;
    static struct resp r;
    start(f, 1, 10);
    int64_t t0 = now_ms();
    take_first_event(f, &r, NULL);
    PUMP_UNTIL(f, f->out[0].calls > 0, 3000);
    int64_t took = now_ms() - t0;
    const struct outcome *o = &f->out[0];
    assert_int_equal(o->calls, 1);
    assert_true(took >= 950);
    assert_true(took <= 1500 + 500); /* ~1 s plus the cold start */
    assert_int_equal(o->status, 0);
    assert_true(o->fn_error);
    assert_non_null(strstr(o->result, "Sandbox.Timedout"));
    assert_non_null(strstr(o->result, "Task timed out after 1.00 seconds"));
    assert_non_null(strstr(o->result, f->inv[0].request_id));
    char want[256];
    assert_true(sched_timeout_payload(want, sizeof(want), f->inv[0].request_id, 1) > 0);
    assert_string_equal(o->result, want);
    PUMP_UNTIL(f, sched_instances(f->s) == 0, WAIT_MS);
    assert_int_equal(sched_instances(f->s), 0);
    assert_int_equal(sched_busy(f->s), 0);
}

/* 9. The runtime dying mid-invocation fails it with Runtime.ExitError. */
static void test_runtime_exit(void **state)
{
    struct fx *f = *state;
    static struct resp r;
    start(f, 3, 10);
    pid_t pid;
    take_first_event(f, &r, &pid);
    assert_int_equal(kill(pid, SIGKILL), 0);
    PUMP_UNTIL(f, f->out[0].calls > 0, WAIT_MS);
    const struct outcome *o = &f->out[0];
    assert_int_equal(o->calls, 1);
    assert_int_equal(o->status, 0);
    assert_true(o->fn_error);
    assert_non_null(strstr(o->result, "Runtime.ExitError"));
    assert_non_null(strstr(o->result, "signal: killed"));
    PUMP_UNTIL(f, sched_instances(f->s) == 0, WAIT_MS);
    assert_int_equal(sched_instances(f->s), 0);
    assert_int_equal(sched_busy(f->s), 0);
}

/* 10. A response over 6291556 bytes is 413 and fails the invocation. */
static void test_response_too_large(void **state)
{
    struct fx *f = *state;
    static struct resp r;
    start(f, 3, 10);
    int fd = take_first_event(f, &r, NULL);
    size_t len = RUNTIME_RESPONSE_MAX_BYTES + 1;
    static_assert(RUNTIME_RESPONSE_MAX_BYTES == 6291556, "AWS's limit (aws-wire.md 4.1)");
    char *big = malloc(len);
    assert_non_null(big);
    memset(big, 'a', len);
    char path[160];
    snprintf(path, sizeof(path), "/2018-06-01/runtime/invocation/%s/response",
             f->inv[0].request_id);
    rt_post(f, fd, path, "", big, len);
    free(big);
    rt_recv_ok(f, fd, &r);
    assert_rt_error(&r, 413, "RequestEntityTooLarge");
    PUMP_UNTIL(f, f->out[0].calls > 0, WAIT_MS);
    const struct outcome *o = &f->out[0];
    assert_int_equal(o->calls, 1);
    assert_int_equal(o->status, 0);
    assert_true(o->fn_error);
    assert_non_null(strstr(o->result, "Function.ResponseSizeTooLarge"));
    assert_int_equal(sched_busy(f->s), 0);
}

/* 11. Over the account concurrency, submit refuses at once and never calls done. */
static void test_throttle(void **state)
{
    struct fx *f = *state;
    static struct resp r;
    start(f, 3, 1);
    assert_int_equal(submit(f, 0, "{}", NULL, false), 0); /* starting counts already */
    assert_int_equal(submit(f, 1, "{}", NULL, false), ERR_TOO_MANY_REQUESTS);
    uint16_t port;
    wait_instance(f, &port);
    int fd = rt_connect(f, port);
    rt_get_next(f, fd);
    rt_recv_ok(f, fd, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(submit(f, 1, "{}", NULL, false), ERR_TOO_MANY_REQUESTS); /* busy counts */
    rt_post_result(f, fd, f->inv[0].request_id, "response", "", "\"one\"");
    rt_recv_ok(f, fd, &r);
    assert_accepted(&r);
    assert_int_equal(f->out[0].calls, 1);
    pump_for(f, 50);
    assert_int_equal(f->out[1].calls, 0);

    /* Capacity is back once the runtime asks for its next event. */
    rt_get_next(f, fd);
    rt_expect_silence(f, fd, 50);
    assert_int_equal(submit(f, 2, "{\"third\":1}", NULL, false), 0);
    rt_recv_ok(f, fd, &r);
    assert_int_equal(r.status, 200);
    assert_memory_equal(r.body, "{\"third\":1}", r.body_len);
    assert_int_equal(f->out[1].calls, 0);
}

/* Starts the scheduler, submits invocation 0 (payload static) and returns
 * the port of the instance it starts. */
static uint16_t first_instance(struct fx *f, const char *payload)
{
    start(f, 3, 10);
    assert_int_equal(submit(f, 0, payload, NULL, false), 0);
    uint16_t port;
    wait_instance(f, &port);
    return port;
}

/* Registers extension name with body on fd; returns the status and, on 200,
 * its "Lambda-Extension-Identifier: <id>\r\n" header line in hdr. */
static int ext_register(struct fx *f, int fd, const char *name, const char *body, struct resp *r,
                        char hdr[128])
{
    char line[128], id[64];
    snprintf(line, sizeof(line), "Lambda-Extension-Name: %s\r\n", name);
    rt_post(f, fd, "/2020-01-01/extension/register", line, body, strlen(body));
    rt_recv_ok(f, fd, r);
    if (r->status == 200) {
        assert_non_null(rt_header(r, "lambda-extension-identifier", id, sizeof(id)));
        assert_int_equal(strlen(id), 36);
        snprintf(hdr, 128, "Lambda-Extension-Identifier: %s\r\n", id);
    }
    return r->status;
}

/* 12. An internal extension (registered from the runtime's side during init)
 * holds init until it asks for an event, gets INVOKE, and holds the end of
 * the invocation (not the caller's answer) until it asks again. */
static void test_internal_extension_gates_init_and_invoke(void **state)
{
    struct fx *f = *state;
    static struct resp r;
    uint16_t port = first_instance(f, "{\"n\":1}");
    int rt = rt_connect(f, port), ext = rt_connect(f, port);
    static const char events[] = "{\"events\":[\"INVOKE\"]}";
    char hdr[128];
    assert_int_equal(ext_register(f, ext, "inproc", events, &r, hdr), 200);
    cJSON *reg = cJSON_ParseWithLength(r.body, r.body_len);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(reg, "functionName")),
                        "sched-test");
    cJSON_Delete(reg);

    /* The runtime is ready, the extension is not: init is not complete. */
    rt_get_next(f, rt);
    rt_expect_silence(f, rt, 100);
    rt_get(f, ext, "/2020-01-01/extension/event/next", hdr);
    rt_recv_ok(f, rt, &r);
    assert_int_equal(r.status, 200);
    rt_recv_ok(f, ext, &r);
    assert_int_equal(r.status, 200);
    cJSON *ev = cJSON_ParseWithLength(r.body, r.body_len);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(ev, "eventType")), "INVOKE");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(ev, "requestId")),
                        f->inv[0].request_id);
    cJSON_Delete(ev);
    char evid[64];
    assert_non_null(rt_header(&r, "lambda-extension-event-identifier", evid, sizeof(evid)));
    assert_int_equal(strlen(evid), 36);

    /* The caller is answered when the runtime responds; the invocation stays
     * open (busy) while the extension works. */
    rt_post_result(f, rt, f->inv[0].request_id, "response", "", "\"done\"");
    rt_recv_ok(f, rt, &r);
    assert_accepted(&r);
    assert_int_equal(f->out[0].calls, 1);
    assert_string_equal(f->out[0].result, "\"done\"");
    rt_get_next(f, rt);
    rt_expect_silence(f, rt, 50);
    assert_int_equal(sched_busy(f->s), 1);
    rt_get(f, ext, "/2020-01-01/extension/event/next", hdr);
    PUMP_UNTIL(f, sched_busy(f->s) == 0, WAIT_MS);
    assert_int_equal(sched_busy(f->s), 0);

    /* Registration is closed now; the warm instance takes the next one. */
    int late = rt_connect(f, port);
    char unused[128];
    assert_int_equal(ext_register(f, late, "late", events, &r, unused), 403);
    assert_rt_error(&r, 403, "Extension.RegistrationClosed");
    assert_int_equal(submit(f, 1, "{\"n\":2}", NULL, false), 0);
    rt_recv_ok(f, rt, &r);
    assert_int_equal(r.status, 200);
    assert_memory_equal(r.body, "{\"n\":2}", r.body_len);
    rt_recv_ok(f, ext, &r);
    assert_non_null(strstr(r.raw, f->inv[1].request_id));
    assert_int_equal(sched_instances(f->s), 1);
}

/* 13. Extensions API errors: a missing or unknown identifier, a second next
 * while one is parked, a bad body. */
static void test_extension_api_errors(void **state)
{
    struct fx *f = *state;
    static struct resp r;
    uint16_t port = first_instance(f, "{}");
    int a = rt_connect(f, port), b = rt_connect(f, port);
    rt_get(f, a, "/2020-01-01/extension/event/next", "");
    rt_recv_ok(f, a, &r);
    assert_rt_error(&r, 403, "Extension.MissingExtensionIdentifier");
    rt_get(f, a, "/2020-01-01/extension/event/next",
           "Lambda-Extension-Identifier: 00000000-0000-4000-8000-000000000000\r\n");
    rt_recv_ok(f, a, &r);
    assert_rt_error(&r, 403, "Extension.UnknownExtensionIdentifier");
    char hdr[128], unused[128];
    ext_register(f, a, "x", "[1]", &r, unused);
    assert_rt_error(&r, 400, "InvalidRequestFormat");
    ext_register(f, a, "x", "{\"events\":[\"SHUTDOWN\"]}", &r, unused);
    assert_rt_error(&r, 403, "Extension.InvalidEventType");
    assert_int_equal(ext_register(f, a, "x", "{}", &r, hdr), 200);
    ext_register(f, a, "x", "{}", &r, unused);
    assert_rt_error(&r, 403, "Extension.AlreadyRegistered");
    rt_get(f, a, "/2020-01-01/extension/event/next", hdr);
    rt_expect_silence(f, a, 50);
    rt_get(f, b, "/2020-01-01/extension/event/next", hdr);
    rt_recv_ok(f, b, &r);
    assert_rt_error(&r, 403, "Extension.InvalidExtensionState");
    rt_post(f, b, "/2020-01-01/extension/exit/error", hdr, "{}", 2);
    rt_recv_ok(f, b, &r);
    assert_rt_error(&r, 403, "Extension.MissingHeader");
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_next_parks_then_delivers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_response_completes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_answer_forbidden, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_completes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_next_while_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runtime_exit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_response_too_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_throttle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_internal_extension_gates_init_and_invoke, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_extension_api_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
