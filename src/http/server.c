/* SPDX-License-Identifier: MIT */
/*
 * H2O glue. Two host configurations exist: "edge" (AWS APIs) and "runtime"
 * (the Runtime API). Every listener carries its own NULL-terminated hosts
 * array, which H2O copies by pointer into each connection (conn->hosts); the
 * array is embedded in the listener, so container_of(conn->hosts) finds the
 * listener and its owner. Listener structs are recycled but never freed while
 * the server lives, so a connection that outlives its listener still points
 * at valid memory whose owner is NULL. A closed listener is reused only after
 * HTTP_LISTENER_QUARANTINE_MS: a request a dead instance had already sent on
 * a kept-alive connection must find no owner, never the next instance.
 */
#include "server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/limits.h"
#include "base/timer.h"
#include "base/util.h"

struct http_listener {
    h2o_hostconf_t *hosts[2]; /* first member: conn->hosts points here */
    h2o_accept_ctx_t actx;
    h2o_socket_t *sock;
    void *owner;
    int64_t closed_ms; /* when it was closed (monotonic), for quarantine */
    struct http_listener *next_free;
    struct http_listener *next_all;
};

struct http_server {
    h2o_globalconf_t config;
    h2o_context_t ctx;
    h2o_hostconf_t *host[2]; /* by enum http_kind */
    struct timer_heap timers;
    http_handler_fn *handlers[2];
    void *arg;
    struct http_listener *free_head; /* closed listeners, oldest first */
    struct http_listener *free_tail;
    struct http_listener *all;
};

struct kind_handler {
    h2o_handler_t super;
    struct http_server *srv;
    enum http_kind kind;
};

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct kind_handler *h = (struct kind_handler *)self;
    return h->srv->handlers[h->kind](req, h->srv->arg);
}

static h2o_hostconf_t *make_host(struct http_server *srv, const char *name, enum http_kind kind)
{
    h2o_hostconf_t *host =
        h2o_config_register_host(&srv->config, h2o_iovec_init(name, strlen(name)), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    struct kind_handler *h = (struct kind_handler *)h2o_create_handler(path, sizeof(*h));
    h->super.on_req = on_req;
    h->srv = srv;
    h->kind = kind;
    return host;
}

struct http_server *http_server_new(http_handler_fn *edge, http_handler_fn *runtime, void *arg)
{
    struct http_server *srv = calloc(1, sizeof(*srv));
    if (srv == NULL)
        return NULL;
    h2o_config_init(&srv->config);
    srv->config.max_request_entity_size = HTTP_ENTITY_MAX_BYTES;
    srv->config.server_name = h2o_iovec_init(H2O_STRLIT("lambdad"));
    srv->host[HTTP_EDGE] = make_host(srv, "edge", HTTP_EDGE);
    srv->host[HTTP_RUNTIME] = make_host(srv, "runtime", HTTP_RUNTIME);
    srv->handlers[HTTP_EDGE] = edge;
    srv->handlers[HTTP_RUNTIME] = runtime;
    srv->arg = arg;
    h2o_context_init(&srv->ctx, h2o_evloop_create(), &srv->config);
    return srv;
}

h2o_loop_t *http_loop(struct http_server *srv)
{
    return srv->ctx.loop;
}

h2o_context_t *http_context(struct http_server *srv)
{
    return &srv->ctx;
}

struct timer_heap *http_timers(struct http_server *srv)
{
    return &srv->timers;
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    struct http_listener *l = listener->data;
    if (err != NULL)
        return;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock == NULL)
        return;
    int fd = h2o_socket_get_fd(sock);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    h2o_accept(&l->actx, sock);
}

int http_listen(struct http_server *srv, enum http_kind kind, const char *host, uint16_t port,
                void *owner, struct http_listener **out, uint16_t *bound_port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
        return -EINVAL;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    socklen_t slen = sizeof(sin);
    if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(fd, SOMAXCONN) != 0 ||
        getsockname(fd, (struct sockaddr *)&sin, &slen) != 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    int rc = http_listen_fd(srv, kind, fd, owner, out);
    if (rc == 0 && bound_port != NULL)
        *bound_port = ntohs(sin.sin_port);
    return rc;
}

int http_listen_fd(struct http_server *srv, enum http_kind kind, int fd, void *owner,
                   struct http_listener **out)
{
    struct http_listener *l = srv->free_head;
    if (l != NULL && timer_now_ms() - l->closed_ms >= HTTP_LISTENER_QUARANTINE_MS) {
        srv->free_head = l->next_free;
        if (srv->free_head == NULL)
            srv->free_tail = NULL;
    } else {
        l = calloc(1, sizeof(*l));
        if (l == NULL) {
            close(fd);
            return -ENOMEM;
        }
        l->next_all = srv->all;
        srv->all = l;
    }
    l->hosts[0] = srv->host[kind];
    l->hosts[1] = NULL;
    memset(&l->actx, 0, sizeof(l->actx));
    l->actx.ctx = &srv->ctx;
    l->actx.hosts = l->hosts;
    l->owner = owner;
    l->next_free = NULL;
    l->sock = h2o_evloop_socket_create(srv->ctx.loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    l->sock->data = l;
    h2o_socket_read_start(l->sock, on_accept);
    *out = l;
    return 0;
}

static struct http_server *server_of(struct http_listener *l)
{
    return (struct http_server *)((char *)l->actx.ctx - offsetof(struct http_server, ctx));
}

void http_listener_close(struct http_listener *l)
{
    if (l == NULL)
        return;
    struct http_server *srv = server_of(l);
    if (l->sock != NULL) {
        h2o_socket_read_stop(l->sock);
        h2o_socket_close(l->sock);
        l->sock = NULL;
    }
    l->owner = NULL;
    l->closed_ms = timer_now_ms();
    l->next_free = NULL;
    if (srv->free_tail != NULL)
        srv->free_tail->next_free = l;
    else
        srv->free_head = l;
    srv->free_tail = l;
}

void *http_listener_owner(const h2o_req_t *req)
{
    struct http_listener *l = (struct http_listener *)(void *)req->conn->hosts;
    return l->owner;
}

h2o_socket_t *http_watch_fd(struct http_server *srv, int fd, http_fd_fn *cb, void *data)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    h2o_socket_t *sock = h2o_evloop_socket_create(srv->ctx.loop, fd, 0);
    sock->data = data;
    h2o_socket_read_start(sock, cb);
    return sock;
}

void http_run_once(struct http_server *srv, int32_t max_wait_ms)
{
    h2o_evloop_run(srv->ctx.loop, timer_wait_ms(&srv->timers, max_wait_ms));
    timer_run(&srv->timers);
}

static bool has_conns(struct http_server *srv)
{
    return !h2o_linklist_is_empty(&srv->ctx.http1._conns) ||
           !h2o_linklist_is_empty(&srv->ctx.http2._conns);
}

/* Shuts down every connected TCP socket of this process, so that H2O sees
 * EOF on idle keep-alive connections and closes them. Only used when the
 * whole server goes away: listeners are closed and instances are gone. */
static void shutdown_sockets(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end != '\0' || fd < 0 || fd == dirfd(d))
            continue;
        int type;
        socklen_t tl = sizeof(type);
        struct sockaddr_storage peer;
        socklen_t pl = sizeof(peer);
        if (getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_STREAM &&
            getpeername((int)fd, (struct sockaddr *)&peer, &pl) == 0)
            shutdown((int)fd, SHUT_RDWR);
    }
    closedir(d);
}

void http_server_free(struct http_server *srv)
{
    if (srv == NULL)
        return;
    for (struct http_listener *l = srv->all; l != NULL; l = l->next_all) {
        if (l->sock != NULL) {
            h2o_socket_close(l->sock);
            l->sock = NULL;
        }
        l->owner = NULL;
    }
    /* Close client connections (idle keep-alive ones included) and let the
     * loop finish them; H2O cannot dispose a context that still has any.
     * Listener structs stay valid meanwhile: connections point into them. */
    shutdown_sockets();
    int64_t until = timer_now_ms() + 1000;
    do
        h2o_evloop_run(srv->ctx.loop, 10);
    while (has_conns(srv) && timer_now_ms() < until);
    if (!has_conns(srv)) {
        for (int i = 0; i < 3; i++) /* deferred socket closes and zero timeouts */
            h2o_evloop_run(srv->ctx.loop, 0);
        h2o_evloop_t *loop = srv->ctx.loop;
        h2o_context_dispose(&srv->ctx);
        h2o_evloop_destroy(loop);
        h2o_config_dispose(&srv->config);
        while (srv->all != NULL) {
            struct http_listener *l = srv->all;
            srv->all = l->next_all;
            free(l);
        }
    }
    timer_heap_fini(&srv->timers);
    free(srv);
}

void http_header(h2o_req_t *req, const char *name, const char *value, size_t len)
{
    h2o_iovec_t v = h2o_strdup(&req->pool, value, len);
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, v.base,
                          v.len);
}

static const char *reason_of(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 409:
        return "Conflict";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Request Entity Too Large";
    case 429:
        return "Too Many Requests";
    case 502:
        return "Bad Gateway";
    default:
        return status >= 500 ? "Internal Server Error" : "Error";
    }
}

void http_send(h2o_req_t *req, int status, const char *ctype, const char *body, size_t len)
{
    req->res.status = status;
    req->res.reason = reason_of(status);
    req->res.content_length = len;
    if (ctype != NULL)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ctype,
                       strlen(ctype));
    h2o_send_inline(req, body, len);
}

const h2o_iovec_t *http_req_header(const h2o_req_t *req, const char *name)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, name, strlen(name), -1);
    return i < 0 ? NULL : &req->headers.entries[i].value;
}

int http_query(const h2o_req_t *req, const char *name, char *buf, size_t cap)
{
    return http_query_nth(req, name, 0, buf, cap);
}

int http_query_nth(const h2o_req_t *req, const char *name, int nth, char *buf, size_t cap)
{
    if (req->query_at == SIZE_MAX)
        return -ENOENT;
    const char *p = req->path.base + req->query_at + 1;
    const char *end = req->path.base + req->path.len;
    size_t nlen = strlen(name);
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pe = amp != NULL ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pe - p));
        const char *ke = eq != NULL ? eq : pe;
        if ((size_t)(ke - p) == nlen && memcmp(p, name, nlen) == 0 && nth-- == 0) {
            const char *v = eq != NULL ? eq + 1 : pe;
            size_t vlen = (size_t)(pe - v);
            if (vlen + 1 > cap)
                return -ENAMETOOLONG;
            return pct_decode(v, vlen, buf);
        }
        p = pe + 1;
    }
    return -ENOENT;
}

int http_split_path(const h2o_req_t *req, struct http_path *out)
{
    size_t len = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    const char *p = req->path.base, *end = p + len;
    out->n = 0;
    if (p < end && *p == '/')
        p++;
    while (p < end) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *se = slash != NULL ? slash : end;
        if (out->n == HTTP_SEGMENT_MAX || (size_t)(se - p) >= HTTP_SEGMENT_BYTES)
            return -EINVAL;
        if (pct_decode(p, (size_t)(se - p), out->seg[out->n]) < 0)
            return -EINVAL;
        out->n++;
        if (slash == NULL)
            break;
        p = slash + 1;
    }
    return 0;
}

bool http_method_is(const h2o_req_t *req, const char *m)
{
    return req->method.len == strlen(m) && memcmp(req->method.base, m, req->method.len) == 0;
}

void http_peer_ip(h2o_req_t *req, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t sl = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    snprintf(out, cap, "127.0.0.1");
    if (sl != 0 && ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)cap);
    else if (sl != 0 && ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, out, (socklen_t)cap);
}
