/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_RUNTIMES_C_LAMBDA_RUNTIME_H
#define LAMBDAD_RUNTIMES_C_LAMBDA_RUNTIME_H

/*
 * A Lambda Runtime API (2018-06-01) client for handlers written in C. Link a
 * program against it, call lambda_runtime_run() from main() and ship the
 * result as the `bootstrap` of a `provided`, `provided.al2` or
 * `provided.al2023` function:
 *
 *     static int handle(const struct lambda_invocation *inv, struct lambda_result *res,
 *                       void *arg)
 *     {
 *         res->body = inv->event;
 *         res->body_len = inv->event_len;
 *         return 0;
 *     }
 *
 *     int main(void)
 *     {
 *         return lambda_runtime_run(handle, NULL) < 0 ? 1 : 0;
 *     }
 *
 * The library needs only libc. It is single-threaded: call it from one thread.
 * Errors are 0 or a negative errno value.
 */

#include <stddef.h>

/* Most bytes accepted for a response's status line and headers (plus chunked trailers). */
#define LAMBDA_RUNTIME_HEAD_MAX_BYTES       ((size_t)64 * 1024)
/* Most bytes accepted for a response body: AWS's 6 MiB payload limit plus 100 bytes. */
#define LAMBDA_RUNTIME_BODY_MAX_BYTES       ((size_t)6 * 1024 * 1024 + 100)
/* Longest request id the runtime accepts from /next, in bytes. */
#define LAMBDA_RUNTIME_REQUEST_ID_MAX_BYTES 256

/*
 * One invocation, as delivered by GET /2018-06-01/runtime/invocation/next.
 * Every pointer is owned by the runtime and stays valid until the handler
 * returns. Strings are NUL-terminated; fields whose header was absent are NULL.
 */
struct lambda_invocation {
    const char *request_id;       /* Lambda-Runtime-Aws-Request-Id; never NULL */
    long long deadline_ms;        /* Lambda-Runtime-Deadline-Ms: Unix ms, or 0 if absent */
    const char *function_arn;     /* Lambda-Runtime-Invoked-Function-Arn */
    const char *trace_id;         /* Lambda-Runtime-Trace-Id (also in env _X_AMZN_TRACE_ID) */
    const char *client_context;   /* Lambda-Runtime-Client-Context (JSON) */
    const char *cognito_identity; /* Lambda-Runtime-Cognito-Identity (JSON) */
    const char *content_type;     /* Content-Type of the event */
    const char *event;            /* event bytes; a NUL follows event[event_len] */
    size_t event_len;             /* bytes, excl. the NUL */
};

/*
 * What a handler returns. The runtime zeroes it before calling the handler.
 * The handler keeps ownership of every pointer; each must stay valid until the
 * handler returns to the runtime (pointing into *inv is fine).
 *
 * Success: leave is_error 0 and set body/body_len (NULL/0 sends an empty body).
 * Function error: set is_error, error_type and error_message; the runtime
 * builds {"errorMessage":...,"errorType":...,"stackTrace":[]}. To send a
 * ready-made error document instead, set body/body_len as well.
 */
struct lambda_result {
    const char *body;          /* response or error document; borrowed */
    size_t body_len;           /* bytes */
    const char *content_type;  /* NUL-terminated; NULL means "application/json" */
    int is_error;              /* nonzero: POST .../error instead of .../response */
    const char *error_type;    /* NUL-terminated; NULL means "Unhandled" */
    const char *error_message; /* NUL-terminated UTF-8; NULL means "" */
};

/*
 * A handler. Borrows inv for the duration of the call and fills res. Returns
 * 0 (after filling res with a success or a function error), or a negative
 * errno value: the runtime then reports errorType "Runtime.HandlerFailed" for
 * this invocation and goes on with the next one. Runs on the thread that
 * called lambda_runtime_run().
 */
typedef int lambda_handler_fn(const struct lambda_invocation *inv, struct lambda_result *res,
                              void *arg);

/*
 * Runs the Runtime API loop: connect to $AWS_LAMBDA_RUNTIME_API (host:port,
 * where host is an IPv4 address, [IPv6] or "localhost"), then forever fetch
 * the next invocation, call fn(inv, res, arg) and post its result. Keeps one
 * keep-alive connection and reconnects when the server closes it. Rejections
 * of a result (4xx) are logged to stderr and the loop goes on.
 *
 * Returns only on a fatal error, as a negative errno: -EINVAL for a missing or
 * bad AWS_LAMBDA_RUNTIME_API, -ECONNREFUSED and friends when the API cannot be
 * reached, -EPROTO when the API answers 5xx or /next does not answer 200,
 * -EBADMSG or -EMSGSIZE for a malformed or oversized response, -ENOMEM.
 * The process should then exit with a nonzero status.
 */
int lambda_runtime_run(lambda_handler_fn *fn, void *arg);

/*
 * Reports an initialization failure with POST /2018-06-01/runtime/init/error
 * on a connection of its own. Borrows both strings (NULL error_type means
 * "Runtime.InitError", NULL message means ""). Returns 0 when the API accepted
 * it (2xx), -EPROTO for another status, or the errors of lambda_runtime_run().
 * The process should exit afterwards.
 */
int lambda_runtime_init_error(const char *error_type, const char *message);

/*
 * Returns the milliseconds left before inv's deadline (0 once it has passed),
 * or LLONG_MAX when the invocation carries no deadline. Borrows inv.
 */
long long lambda_runtime_remaining_ms(const struct lambda_invocation *inv);

/*
 * Returns the length in bytes (excl. the NUL) of the error document that
 * lambda_runtime_error_json() builds for these arguments. Borrows both
 * strings; NULL is treated as "".
 */
size_t lambda_runtime_error_json_len(const char *error_type, const char *message);

/*
 * Writes {"errorMessage":"<message>","errorType":"<error_type>","stackTrace":[]}
 * and a NUL into dst (cap bytes), JSON-escaping both strings: quotes,
 * backslashes and control characters are escaped and invalid UTF-8 becomes
 * U+FFFD. Borrows the strings (NULL is treated as ""). On success sets *len
 * to the bytes written (excl. the NUL) and returns 0; returns -ENOSPC, with
 * *len untouched and dst unspecified, when cap is smaller than
 * lambda_runtime_error_json_len() + 1.
 */
int lambda_runtime_error_json(char *dst, size_t cap, const char *error_type, const char *message,
                              size_t *len);

#endif
