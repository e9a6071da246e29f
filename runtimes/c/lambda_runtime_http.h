/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_RUNTIMES_C_LAMBDA_RUNTIME_HTTP_H
#define LAMBDAD_RUNTIMES_C_LAMBDA_RUNTIME_HTTP_H

/*
 * The HTTP/1.1 response parser inside lambda_runtime.c, exposed for unit
 * tests. Not part of the public API: handlers include lambda_runtime.h only.
 *
 * The parser works on a buffer the caller owns and appends to. A response is
 * parsed incrementally: call lambda_runtime_http_parse() after each read. A
 * chunked body is decoded in place, so the parser may move bytes down and
 * shrink the buffer's length; the caller must append new bytes at buf + *len.
 */

#include <stdbool.h>
#include <stddef.h>

/* Longest chunk-size line (with chunk extensions and CRLF) accepted, in bytes. */
#define LAMBDA_RUNTIME_CHUNK_LINE_MAX_BYTES 4096

/*
 * While a response is incomplete the buffer never holds more than
 * head_max + body_max + LAMBDA_RUNTIME_CHUNK_LINE_MAX_BYTES bytes, so a buffer
 * of this size (the +1 leaves room to NUL-terminate the body) always has
 * space for the next read.
 */
#define LAMBDA_RUNTIME_HTTP_BUF_MAX(head_max, body_max)                                            \
    ((head_max) + (body_max) + LAMBDA_RUNTIME_CHUNK_LINE_MAX_BYTES + 1)

/* A slice of a buffer; not NUL-terminated. */
struct lambda_str {
    const char *p;
    size_t len; /* bytes */
};

/*
 * Parser state and, once lambda_runtime_http_parse() returned 1, the result.
 * Offsets index the caller's buffer. Fields after `result` are valid only
 * after completion; the rest is private.
 */
struct lambda_http_parser {
    size_t head_max;       /* limit: status line + headers + blank line + trailers */
    size_t body_max;       /* limit: decoded body bytes */
    int state;             /* private */
    bool have_status;      /* private: the status line was parsed */
    bool has_length;       /* private: a Content-Length header was seen */
    bool chunked;          /* private: Transfer-Encoding: chunked */
    bool conn_close;       /* private: Connection: close */
    bool conn_keep_alive;  /* private: Connection: keep-alive */
    size_t pos;            /* private: next unparsed byte */
    size_t chunk_left;     /* private: bytes left in the current chunk */
    size_t trailer_bytes;  /* private: trailer bytes seen so far */
    size_t content_length; /* private: saturates at body_max + 1 */
    size_t want;           /* buffer length known to be needed (0 if unknown) */
    /* result */
    int status;          /* 100..999 */
    int minor_version;   /* HTTP/1.<minor_version> */
    bool keep_alive;     /* the connection may carry another request */
    size_t first_header; /* offset of the first header line */
    size_t head_len;     /* bytes of status line, headers and blank line */
    size_t body_off;     /* offset of the (decoded) body */
    size_t body_len;     /* bytes */
    size_t msg_len;      /* bytes of buffer used by the response; the rest is surplus */
};

/* Initializes p for a new response with the given limits (bytes). Cannot fail. */
void lambda_runtime_http_init(struct lambda_http_parser *p, size_t head_max, size_t body_max);

/*
 * Parses what buf[0..*len) holds. Borrows buf and may rewrite it in place
 * (chunked decoding, skipping 1xx responses), updating *len. Returns 1 when
 * the response is complete (results in p), 0 when more bytes are needed,
 * -EBADMSG for malformed input, -EMSGSIZE when a limit is exceeded, -EPROTO
 * for a 101 (Switching Protocols) response. Never reads past buf + *len.
 */
int lambda_runtime_http_parse(struct lambda_http_parser *p, char *buf, size_t *len);

/*
 * Tells the parser the peer closed the connection after len bytes of buffer.
 * Returns 1 when that completes a response whose body runs until close (or
 * the response was already complete), -EMSGSIZE when such a body is too
 * large, or -ECONNRESET when the response is truncated.
 */
int lambda_runtime_http_eof(struct lambda_http_parser *p, size_t len);

/*
 * Looks up the first header named name (ASCII case-insensitive) in a
 * response p completed in buf. Borrows everything; on success points *value
 * into buf (trimmed of surrounding whitespace) and returns true.
 */
bool lambda_runtime_http_header(const struct lambda_http_parser *p, const char *buf,
                                const char *name, struct lambda_str *value);

#endif
