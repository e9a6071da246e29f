/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_HTTP_SERVER_H
#define LAMBDAD_HTTP_SERVER_H

/*
 * The thin layer over H2O 2.2 (libh2o-evloop): one event loop, one h2o
 * context, and listeners of two kinds. The edge listener serves the AWS APIs;
 * each function instance gets its own Runtime API listener. Requests on an
 * instance's listener can be traced back to that listener's owner, so an
 * instance can only ever act on its own invocations.
 */

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_server;
struct http_listener;
struct timer_heap;

enum http_kind { HTTP_EDGE = 0, HTTP_RUNTIME = 1 };

/* A request handler: answers (now or later) and returns 0. */
typedef int http_handler_fn(h2o_req_t *req, void *arg);

/* A file-descriptor watcher callback: called when fd has data (in sock->input)
 * or with err != NULL at EOF/error. */
typedef void http_fd_fn(h2o_socket_t *sock, const char *err);

/* Returns a new server whose edge requests go to edge(req, arg) and runtime
 * requests to runtime(req, arg). Free with http_server_free. NULL on error. */
struct http_server *http_server_new(http_handler_fn *edge, http_handler_fn *runtime, void *arg);
void http_server_free(struct http_server *srv);

/* The loop (for watchers) and the timer heap the loop runs. */
h2o_loop_t *http_loop(struct http_server *srv);
struct timer_heap *http_timers(struct http_server *srv);

/* The server's h2o context (for the HTTP client, src/http/client.h). */
h2o_context_t *http_context(struct http_server *srv);

/* Opens a listener on host:port (port 0 picks one). owner is returned by
 * http_listener_owner() for requests that arrive on it. Writes the listener
 * and its bound port on success; returns 0 or -errno. */
int http_listen(struct http_server *srv, enum http_kind kind, const char *host, uint16_t port,
                void *owner, struct http_listener **out, uint16_t *bound_port);

/* Serves the listening socket fd (taken, non-blocking) like http_listen; used
 * for sockets made inside an instance's network namespace. Returns 0 or
 * -ENOMEM (fd is closed). */
int http_listen_fd(struct http_server *srv, enum http_kind kind, int fd, void *owner,
                   struct http_listener **out);

/* Closes the listening socket. Connections already accepted stay open but
 * http_listener_owner() answers NULL for them from now on. */
void http_listener_close(struct http_listener *l);

/* The owner of the listener the request arrived on (NULL after close). */
void *http_listener_owner(const h2o_req_t *req);

/* Watches fd (made non-blocking) with cb; sock->data = data. Returns the
 * socket (closing it closes fd). */
h2o_socket_t *http_watch_fd(struct http_server *srv, int fd, http_fd_fn *cb, void *data);

/* Runs the loop until *stop becomes true, including timers. */
void http_run_once(struct http_server *srv, int32_t max_wait_ms);

/* Adds a response header; name must be a static string, the value is copied. */
void http_header(h2o_req_t *req, const char *name, const char *value, size_t len);

/* Sends a complete response with Content-Length; the body is copied. */
void http_send(h2o_req_t *req, int status, const char *ctype, const char *body, size_t len);

/* Finds a request header (case-insensitive name). Returns NULL if absent. */
const h2o_iovec_t *http_req_header(const h2o_req_t *req, const char *name);

/* Copies query parameter name (percent-decoded) into buf. Returns its length,
 * -ENOENT if absent, -ENAMETOOLONG if it does not fit, -EINVAL if malformed. */
int http_query(const h2o_req_t *req, const char *name, char *buf, size_t cap);

/* Like http_query, for the nth (0-based) occurrence of a repeated parameter. */
int http_query_nth(const h2o_req_t *req, const char *name, int nth, char *buf, size_t cap);

#define HTTP_SEGMENT_MAX   10 /* path segments http_split_path keeps */
#define HTTP_SEGMENT_BYTES 1024

struct http_path {
    int n;                                          /* segments found */
    char seg[HTTP_SEGMENT_MAX][HTTP_SEGMENT_BYTES]; /* percent-decoded, NUL-terminated */
};

/* Splits the request path (before '?') into percent-decoded segments; a
 * trailing '/' is ignored. Returns 0, or -EINVAL for a path with too many or
 * too long segments or a bad escape. */
int http_split_path(const h2o_req_t *req, struct http_path *out);

/* The client's address as text (at most INET6_ADDRSTRLEN bytes with the
 * NUL, so cap >= 46), or "127.0.0.1" when the connection cannot tell. */
void http_peer_ip(h2o_req_t *req, char *out, size_t cap);

/* True if the request method is m ("GET", "POST", ...). */
bool http_method_is(const h2o_req_t *req, const char *m);
#endif
