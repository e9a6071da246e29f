/* SPDX-License-Identifier: MIT */
/*
 * lambda_runtime: a Lambda Runtime API (2018-06-01) client for C handlers.
 *
 * The loop is GET /next, call the handler, POST /response or /error, over one
 * keep-alive TCP connection with TCP_NODELAY. Each request goes out in a
 * single sendmsg() (head and body together), so Nagle and delayed ACKs never
 * add latency. If a reused connection turns out to be closed before any byte
 * of the answer arrives, the request is sent once more on a new connection.
 *
 * Responses are parsed here (no libcurl): a small incremental HTTP/1.1
 * parser over one buffer that the client grows on demand up to a hard limit
 * (64 KiB of head, 6 MiB + 100 bytes of body) and keeps for the life of the
 * process, so a warm invocation allocates nothing. Chunked bodies are decoded
 * in place. The event and the header values handed to the handler point into
 * that buffer (values are NUL-terminated in place), which is why they are
 * valid only until the handler returns. The library uses libc only and no
 * resolver, so statically linked bootstraps start in about a millisecond.
 */
#include "lambda_runtime.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "lambda_runtime_http.h"

#define LIT(s) (s), (sizeof(s) - 1)

/* Response buffer: first allocation and hard maximum, in bytes. */
#define BUF_INITIAL_BYTES ((size_t)64 * 1024)
#define BUF_MAX_BYTES                                                                              \
    LAMBDA_RUNTIME_HTTP_BUF_MAX(LAMBDA_RUNTIME_HEAD_MAX_BYTES, LAMBDA_RUNTIME_BODY_MAX_BYTES)

/* Request heads are built in a fixed buffer; every variable part is bounded. */
#define REQ_HEAD_MAX_BYTES   4096
#define HEADER_VALUE_MAX     255 /* bytes of a handler-supplied header value we send */
#define API_MAX_BYTES        255 /* bytes of AWS_LAMBDA_RUNTIME_API */
#define TRACE_ENV_MAX_BYTES  1024
#define LOG_BODY_MAX_BYTES   200
#define USER_AGENT           "lambdad-c-runtime/1.0"
#define DEFAULT_CONTENT_TYPE "application/json"

_Static_assert(LAMBDA_RUNTIME_REQUEST_ID_MAX_BYTES * 3 + 2 * HEADER_VALUE_MAX + API_MAX_BYTES +
                       256 <
                   REQ_HEAD_MAX_BYTES,
               "request head buffer too small for its bounded parts");

/* ---------------------------------------------------------------------------
 * Characters and slices
 */

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* RFC 9110 tchar: the characters of a header name. */
static bool is_tchar(unsigned char c)
{
    return is_alnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* A byte allowed inside a header value or reason phrase: VCHAR, obs-text, SP, HTAB. */
static bool is_field_char(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int hex_value(unsigned char c)
{
    if (is_digit(c))
        return c - '0';
    c = (unsigned char)(c | 0x20);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static unsigned char to_lower(char ch)
{
    unsigned char c = (unsigned char)ch;

    return c >= 'A' && c <= 'Z' ? (unsigned char)(c | 0x20) : c;
}

/* Compares the slice s[0..n) with the NUL-terminated word, ignoring ASCII case. */
static bool ieq(const char *s, size_t n, const char *word)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (word[i] == '\0' || to_lower(s[i]) != to_lower(word[i]))
            return false;
    return word[n] == '\0';
}

/* ---------------------------------------------------------------------------
 * HTTP/1.1 response parser
 */

enum http_state {
    ST_HEAD,
    ST_BODY_LENGTH,
    ST_BODY_EOF,
    ST_CHUNK_SIZE,
    ST_CHUNK_DATA,
    ST_CHUNK_CRLF,
    ST_TRAILERS,
    ST_DONE,
};

/*
 * Finds the line that starts at buf[from] and ends with CRLF before buf[limit].
 * Returns 1 and sets *line_len (excl. CRLF), 0 when no LF is there yet, or
 * -EBADMSG for a LF without CR. A stray CR inside the line is left to the
 * callers' character checks.
 */
static int find_line(const char *buf, size_t from, size_t limit, size_t *line_len)
{
    const char *nl;
    size_t end;

    if (limit <= from)
        return 0;
    nl = memchr(buf + from, '\n', limit - from);
    if (nl == NULL)
        return 0;
    end = (size_t)(nl - buf);
    if (end == from || buf[end - 1] != '\r')
        return -EBADMSG;
    *line_len = end - 1 - from;
    return 1;
}

/* Parses "HTTP/1.x NNN[ reason]". */
static int parse_status(struct lambda_http_parser *p, const char *line, size_t n)
{
    const unsigned char *s = (const unsigned char *)line;
    size_t i;

    if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || !is_digit(s[7]) || s[8] != ' ')
        return -EBADMSG;
    if (!is_digit(s[9]) || !is_digit(s[10]) || !is_digit(s[11]))
        return -EBADMSG;
    if (n > 12 && s[12] != ' ')
        return -EBADMSG;
    for (i = 13; i < n; i++)
        if (!is_field_char(s[i]))
            return -EBADMSG;
    p->minor_version = s[7] - '0';
    p->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    return p->status < 100 ? -EBADMSG : 0;
}

/* Splits a header line into a name and a value trimmed of whitespace, validating both. */
static int split_header(const char *line, size_t n, struct lambda_str *name,
                        struct lambda_str *value)
{
    const unsigned char *s = (const unsigned char *)line;
    size_t i = 0, v, e, k;

    while (i < n && is_tchar(s[i]))
        i++;
    if (i == 0 || i == n || s[i] != ':')
        return -EBADMSG; /* also rejects obs-fold and space before the colon */
    v = i + 1;
    while (v < n && (s[v] == ' ' || s[v] == '\t'))
        v++;
    e = n;
    while (e > v && (s[e - 1] == ' ' || s[e - 1] == '\t'))
        e--;
    for (k = v; k < e; k++)
        if (!is_field_char(s[k]))
            return -EBADMSG;
    name->p = line;
    name->len = i;
    value->p = line + v;
    value->len = e - v;
    return 0;
}

/* Parses a decimal Content-Length, saturating at sat so that huge values stay comparable. */
static int parse_length(const struct lambda_str *v, size_t sat, size_t *out)
{
    size_t i, n = 0;

    if (v->len == 0)
        return -EBADMSG;
    for (i = 0; i < v->len; i++) {
        unsigned char c = (unsigned char)v->p[i];
        size_t d;
        if (!is_digit(c))
            return -EBADMSG;
        d = (size_t)(c - '0');
        n = n > (sat - d) / 10 ? sat : n * 10 + d;
    }
    *out = n;
    return 0;
}

/* Notes the "close" and "keep-alive" options of a Connection header. */
static void parse_connection(struct lambda_http_parser *p, const struct lambda_str *v)
{
    size_t i = 0;

    while (i < v->len) {
        size_t start, end;
        while (i < v->len && (v->p[i] == ',' || v->p[i] == ' ' || v->p[i] == '\t'))
            i++;
        start = i;
        while (i < v->len && v->p[i] != ',')
            i++;
        end = i;
        while (end > start && (v->p[end - 1] == ' ' || v->p[end - 1] == '\t'))
            end--;
        if (ieq(v->p + start, end - start, "close"))
            p->conn_close = true;
        else if (ieq(v->p + start, end - start, "keep-alive"))
            p->conn_keep_alive = true;
    }
}

static int head_header(struct lambda_http_parser *p, const char *line, size_t n)
{
    struct lambda_str name, value;
    size_t sat = p->body_max < SIZE_MAX ? p->body_max + 1 : SIZE_MAX;
    size_t cl;
    int rc = split_header(line, n, &name, &value);

    if (rc < 0)
        return rc;
    if (ieq(name.p, name.len, "content-length")) {
        rc = parse_length(&value, sat, &cl);
        if (rc < 0)
            return rc;
        if (p->has_length && cl != p->content_length)
            return -EBADMSG;
        p->has_length = true;
        p->content_length = cl;
    } else if (ieq(name.p, name.len, "transfer-encoding")) {
        /* We send no TE header, so "chunked" is the only coding a server may use. */
        if (p->chunked || !ieq(value.p, value.len, "chunked"))
            return -EBADMSG;
        p->chunked = true;
    } else if (ieq(name.p, name.len, "connection")) {
        parse_connection(p, &value);
    }
    return 0;
}

/* Decides how the body is delimited once the head is complete (RFC 9112 section 6.3). */
static int frame_body(struct lambda_http_parser *p)
{
    if (p->minor_version >= 1)
        p->keep_alive = !p->conn_close;
    else
        p->keep_alive = p->conn_keep_alive && !p->conn_close;
    p->body_off = p->head_len;
    p->body_len = 0;
    if (p->status == 204 || p->status == 304) {
        p->msg_len = p->head_len;
        p->state = ST_DONE;
    } else if (p->chunked) {
        if (p->has_length)
            return -EBADMSG; /* both framings at once: a smuggling attempt */
        p->state = ST_CHUNK_SIZE;
    } else if (p->has_length) {
        if (p->content_length > p->body_max)
            return -EMSGSIZE;
        p->want = p->head_len + p->content_length;
        p->state = ST_BODY_LENGTH;
    } else {
        p->keep_alive = false;
        p->state = ST_BODY_EOF;
    }
    return 1;
}

/* Parses complete head lines; returns 1 once the head is done, 0 for more, or an error. */
static int parse_head(struct lambda_http_parser *p, char *buf, size_t *len)
{
    for (;;) {
        size_t from = p->pos, n = 0;
        size_t limit = *len < p->head_max ? *len : p->head_max;
        int rc = find_line(buf, from, limit, &n);

        if (rc == 0)
            return *len >= p->head_max ? -EMSGSIZE : 0;
        if (rc < 0)
            return rc;
        p->pos = from + n + 2;
        if (!p->have_status) {
            rc = parse_status(p, buf + from, n);
            if (rc < 0)
                return rc;
            p->have_status = true;
            p->first_header = p->pos;
        } else if (n > 0) {
            rc = head_header(p, buf + from, n);
            if (rc < 0)
                return rc;
        } else {
            p->head_len = p->pos;
            if (p->status >= 200)
                return frame_body(p);
            if (p->status == 101)
                return -EPROTO;
            /* An interim 1xx response: drop it and parse the final one. */
            memmove(buf, buf + p->head_len, *len - p->head_len);
            *len -= p->head_len;
            lambda_runtime_http_init(p, p->head_max, p->body_max);
        }
    }
}

/* Parses a chunk-size line: hex digits, optional whitespace and chunk extensions. */
static int chunk_size(struct lambda_http_parser *p, const char *buf, size_t len)
{
    const unsigned char *s;
    size_t room = p->body_max - p->body_len;
    size_t limit = len - p->pos > LAMBDA_RUNTIME_CHUNK_LINE_MAX_BYTES
                       ? p->pos + LAMBDA_RUNTIME_CHUNK_LINE_MAX_BYTES
                       : len;
    size_t n = 0, i, size = 0;
    int rc = find_line(buf, p->pos, limit, &n);

    if (rc == 0)
        return len - p->pos >= LAMBDA_RUNTIME_CHUNK_LINE_MAX_BYTES ? -EMSGSIZE : 0;
    if (rc < 0)
        return rc;
    s = (const unsigned char *)buf + p->pos;
    for (i = 0; i < n; i++) {
        int d = hex_value(s[i]);
        if (d < 0)
            break;
        if (size > room / 16)
            return -EMSGSIZE;
        size = size * 16 + (size_t)d;
        if (size > room)
            return -EMSGSIZE;
    }
    if (i == 0)
        return -EBADMSG;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i < n && s[i] != ';')
        return -EBADMSG;
    for (; i < n; i++)
        if (!is_field_char(s[i]))
            return -EBADMSG;
    p->pos += n + 2;
    p->chunk_left = size;
    p->state = size == 0 ? ST_TRAILERS : ST_CHUNK_DATA;
    return 1;
}

/* Parses one trailer line (or the final empty line); trailers count against head_max. */
static int trailer_line(struct lambda_http_parser *p, const char *buf, size_t len)
{
    struct lambda_str name, value;
    size_t room = p->head_max - p->head_len - p->trailer_bytes;
    size_t limit = len - p->pos > room ? p->pos + room : len;
    size_t n = 0;
    int rc = find_line(buf, p->pos, limit, &n);

    if (rc == 0)
        return len - p->pos >= room ? -EMSGSIZE : 0;
    if (rc < 0)
        return rc;
    if (n > 0) {
        rc = split_header(buf + p->pos, n, &name, &value);
        if (rc < 0)
            return rc;
    } else {
        p->state = ST_DONE;
    }
    p->pos += n + 2;
    p->trailer_bytes += n + 2;
    return 1;
}

/*
 * Decodes chunked data in place: chunk payloads are moved down to follow the
 * body decoded so far, then the unparsed rest is moved after them, so the
 * buffer never holds more than the body plus one partial framing element.
 */
static int parse_chunked(struct lambda_http_parser *p, char *buf, size_t *len)
{
    size_t out;
    int rc;

    do {
        out = p->body_off + p->body_len;
        switch (p->state) {
        case ST_CHUNK_SIZE:
            rc = chunk_size(p, buf, *len);
            break;
        case ST_CHUNK_DATA: {
            size_t n = *len - p->pos < p->chunk_left ? *len - p->pos : p->chunk_left;
            memmove(buf + out, buf + p->pos, n);
            p->pos += n;
            p->body_len += n;
            p->chunk_left -= n;
            if (p->chunk_left == 0)
                p->state = ST_CHUNK_CRLF;
            rc = p->chunk_left == 0 ? 1 : 0;
            break;
        }
        case ST_CHUNK_CRLF:
            if ((*len - p->pos >= 1 && buf[p->pos] != '\r') ||
                (*len - p->pos >= 2 && buf[p->pos + 1] != '\n'))
                rc = -EBADMSG;
            else if (*len - p->pos < 2)
                rc = 0;
            else {
                p->pos += 2;
                p->state = ST_CHUNK_SIZE;
                rc = 1;
            }
            break;
        case ST_TRAILERS:
            rc = trailer_line(p, buf, *len);
            break;
        default:
            rc = -EINVAL;
            break;
        }
    } while (rc == 1 && p->state != ST_DONE);
    if (rc < 0)
        return rc;
    out = p->body_off + p->body_len;
    memmove(buf + out, buf + p->pos, *len - p->pos);
    *len = out + (*len - p->pos);
    p->pos = out;
    if (p->state != ST_DONE)
        return 0;
    p->msg_len = out;
    return 1;
}

void lambda_runtime_http_init(struct lambda_http_parser *p, size_t head_max, size_t body_max)
{
    *p = (struct lambda_http_parser){
        .head_max = head_max,
        .body_max = body_max,
        .state = ST_HEAD,
    };
}

int lambda_runtime_http_parse(struct lambda_http_parser *p, char *buf, size_t *len)
{
    int rc;

    if (p->state == ST_HEAD) {
        rc = parse_head(p, buf, len);
        if (rc <= 0)
            return rc;
    }
    switch (p->state) {
    case ST_DONE:
        return 1;
    case ST_BODY_LENGTH:
        if (*len - p->head_len < p->content_length)
            return 0;
        p->body_len = p->content_length;
        p->msg_len = p->head_len + p->content_length;
        p->state = ST_DONE;
        return 1;
    case ST_BODY_EOF:
        return *len - p->head_len > p->body_max ? -EMSGSIZE : 0;
    default:
        return parse_chunked(p, buf, len);
    }
}

int lambda_runtime_http_eof(struct lambda_http_parser *p, size_t len)
{
    if (p->state == ST_DONE)
        return 1;
    if (p->state != ST_BODY_EOF)
        return -ECONNRESET;
    if (len - p->head_len > p->body_max)
        return -EMSGSIZE;
    p->body_len = len - p->head_len;
    p->msg_len = len;
    p->state = ST_DONE;
    return 1;
}

bool lambda_runtime_http_header(const struct lambda_http_parser *p, const char *buf,
                                const char *name, struct lambda_str *value)
{
    size_t pos = p->first_header;
    size_t n = 0;

    if (!p->have_status || p->head_len == 0)
        return false;
    while (find_line(buf, pos, p->head_len, &n) == 1 && n > 0) {
        struct lambda_str nm, v;
        if (split_header(buf + pos, n, &nm, &v) == 0 && ieq(nm.p, nm.len, name)) {
            *value = v;
            return true;
        }
        pos += n + 2;
    }
    return false;
}

/* ---------------------------------------------------------------------------
 * Output buffers and the error document
 */

/*
 * A bounded writer: bytes past cap are counted but not stored, so one pass
 * both measures and writes, and len > cap means "did not fit".
 */
struct out {
    char *p;
    size_t cap; /* bytes */
    size_t len; /* bytes needed so far */
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->len < o->cap) {
        size_t k = o->cap - o->len < n ? o->cap - o->len : n;
        memcpy(o->p + o->len, s, k);
    }
    o->len += n;
}

static void put_str(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

/* Returns the length of the valid UTF-8 sequence at s[0..n), or 0 if it is invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t need, i;
    uint32_t cp, min;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        need = 2;
        cp = s[0] & 0x1fu;
        min = 0x80;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        need = 3;
        cp = s[0] & 0x0fu;
        min = 0x800;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        need = 4;
        cp = s[0] & 0x07u;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return need;
}

/* Writes str as the inside of a JSON string; invalid UTF-8 becomes U+FFFD. */
static void put_json(struct out *o, const char *str)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)(str != NULL ? str : "");
    size_t n = strlen((const char *)s);
    size_t i = 0;

    while (i < n) {
        unsigned char c = s[i];
        size_t k = 1;

        if (c == '"')
            put(o, LIT("\\\""));
        else if (c == '\\')
            put(o, LIT("\\\\"));
        else if (c == '\n')
            put(o, LIT("\\n"));
        else if (c == '\r')
            put(o, LIT("\\r"));
        else if (c == '\t')
            put(o, LIT("\\t"));
        else if (c == '\b')
            put(o, LIT("\\b"));
        else if (c == '\f')
            put(o, LIT("\\f"));
        else if (c < 0x20 || c == 0x7f) {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            put(o, u, sizeof(u));
        } else {
            k = utf8_len(s + i, n - i);
            if (k == 0) {
                put(o, LIT("\\ufffd"));
                k = 1;
            } else {
                put(o, (const char *)s + i, k);
            }
        }
        i += k;
    }
}

static void put_error_json(struct out *o, const char *error_type, const char *message)
{
    put(o, LIT("{\"errorMessage\":\""));
    put_json(o, message);
    put(o, LIT("\",\"errorType\":\""));
    put_json(o, error_type);
    put(o, LIT("\",\"stackTrace\":[]}"));
}

/* ---------------------------------------------------------------------------
 * Connection to the Runtime API
 */

struct client {
    int fd;                        /* -1 while not connected */
    bool reusable;                 /* the last response left the connection usable */
    struct sockaddr_storage addr;  /* the Runtime API */
    socklen_t addr_len;            /* bytes of addr */
    char host[API_MAX_BYTES + 1];  /* AWS_LAMBDA_RUNTIME_API, for the Host header */
    char *buf;                     /* response buffer; owned, kept across requests */
    size_t cap;                    /* bytes allocated for buf */
    size_t len;                    /* bytes held in buf */
    struct lambda_http_parser rsp; /* the last response, parsed in buf */
    char *doc;                     /* error documents; owned, kept across requests */
    size_t doc_cap;                /* bytes allocated for doc */
    char head[REQ_HEAD_MAX_BYTES]; /* head of the request being sent */
    size_t head_len;               /* bytes */
};

/*
 * "_X_AMZN_TRACE_ID=<id>" as handed to putenv(). It is static because the
 * environment keeps pointing at it; rewriting it in place (rather than calling
 * setenv) also avoids glibc's per-value setenv allocations, which are never
 * freed and would grow with every invocation's new trace id.
 */
static char trace_env[TRACE_ENV_MAX_BYTES];

static void log_errno(const char *what, int rc)
{
    const char *name = strerrorname_np(-rc);

    if (name != NULL)
        (void)fprintf(stderr, "lambda_runtime: %s: %s\n", what, name);
    else
        (void)fprintf(stderr, "lambda_runtime: %s: error %d\n", what, rc);
}

/* Parses host:port, where host is an IPv4 address, "localhost" or [IPv6]. */
static int client_init(struct client *c, const char *api)
{
    struct sockaddr_in *in4 = (struct sockaddr_in *)&c->addr;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&c->addr;
    const char *host, *host_end, *port;
    char name[INET6_ADDRSTRLEN];
    size_t n, i;
    unsigned long portnum = 0;
    bool bracketed;

    memset(c, 0, sizeof(*c));
    c->fd = -1;
    if (api == NULL)
        return -EINVAL;
    n = strlen(api);
    if (n == 0 || n > API_MAX_BYTES)
        return -EINVAL;
    bracketed = api[0] == '[';
    if (bracketed) {
        host = api + 1;
        host_end = strchr(host, ']');
        if (host_end == NULL || host_end[1] != ':')
            return -EINVAL;
        port = host_end + 2;
    } else {
        host = api;
        host_end = strrchr(api, ':');
        if (host_end == NULL)
            return -EINVAL;
        port = host_end + 1;
    }
    if (port[0] == '\0' || strlen(port) > 5)
        return -EINVAL;
    for (i = 0; port[i] != '\0'; i++) {
        if (!is_digit((unsigned char)port[i]))
            return -EINVAL;
        portnum = portnum * 10 + (unsigned long)(port[i] - '0');
    }
    if (portnum == 0 || portnum > 65535)
        return -EINVAL;
    if ((size_t)(host_end - host) >= sizeof(name))
        return -EINVAL;
    memcpy(name, host, (size_t)(host_end - host));
    name[host_end - host] = '\0';

    if (!bracketed && ieq(name, strlen(name), "localhost")) {
        in4->sin_family = AF_INET;
        in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        in4->sin_port = htons((uint16_t)portnum);
        c->addr_len = sizeof(*in4);
    } else if (!bracketed && inet_pton(AF_INET, name, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)portnum);
        c->addr_len = sizeof(*in4);
    } else if (bracketed && inet_pton(AF_INET6, name, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)portnum);
        c->addr_len = sizeof(*in6);
    } else {
        return -EINVAL; /* host names would need a resolver; the API is always an address */
    }
    memcpy(c->host, api, n + 1);
    return 0;
}

static void conn_close(struct client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static void client_fini(struct client *c)
{
    conn_close(c);
    free(c->buf);
    free(c->doc);
    c->buf = NULL;
    c->doc = NULL;
}

/* Waits for a connect() that a signal interrupted and returns its outcome. */
static int finish_connect(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    int err = 0;
    socklen_t elen = sizeof(err);

    while (poll(&pfd, 1, -1) < 0)
        if (errno != EINTR)
            return -errno;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
        return -errno;
    return -err;
}

static int conn_open(struct client *c)
{
    int one = 1;
    int rc = 0;
    int fd = socket(c->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -errno;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
        rc = -errno;
    else if (connect(fd, (const struct sockaddr *)&c->addr, c->addr_len) < 0)
        rc = errno == EINTR ? finish_connect(fd) : -errno;
    if (rc < 0) {
        close(fd);
        return rc;
    }
    c->fd = fd;
    return 0;
}

/* Sends all of iov[0..cnt) with as few sendmsg() calls as the kernel allows. */
static int send_all(int fd, struct iovec *iov, size_t cnt)
{
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = cnt};

    while (msg.msg_iovlen > 0) {
        ssize_t sent = sendmsg(fd, &msg, MSG_NOSIGNAL);
        size_t left;

        if (sent < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        left = (size_t)sent;
        while (msg.msg_iovlen > 0 && left >= msg.msg_iov[0].iov_len) {
            left -= msg.msg_iov[0].iov_len;
            msg.msg_iov++;
            msg.msg_iovlen--;
        }
        if (msg.msg_iovlen > 0) {
            msg.msg_iov[0].iov_base = (char *)msg.msg_iov[0].iov_base + left;
            msg.msg_iov[0].iov_len -= left;
        }
    }
    return 0;
}

/* Makes buf hold at least need bytes, growing geometrically up to BUF_MAX_BYTES. */
static int reserve(struct client *c, size_t need)
{
    size_t cap = c->cap != 0 ? c->cap : BUF_INITIAL_BYTES;
    char *p;

    if (need <= c->cap)
        return 0;
    if (need > BUF_MAX_BYTES)
        return -EMSGSIZE;
    while (cap < need)
        cap *= 2;
    if (cap > BUF_MAX_BYTES)
        cap = BUF_MAX_BYTES;
    p = realloc(c->buf, cap);
    if (p == NULL)
        return -ENOMEM;
    c->buf = p;
    c->cap = cap;
    return 0;
}

/*
 * Reads one response into buf and NUL-terminates its body. *got counts the
 * bytes received, so the caller can tell a stale connection (nothing came
 * back) from a failure in mid-response. The buffer is not touched before the
 * first byte arrives, which keeps a request body that points into it intact
 * for a resend.
 */
static int recv_response(struct client *c, size_t *got)
{
    struct lambda_http_parser *p = &c->rsp;
    bool eof = false;
    size_t end;
    int rc;

    c->len = 0;
    lambda_runtime_http_init(p, LAMBDA_RUNTIME_HEAD_MAX_BYTES, LAMBDA_RUNTIME_BODY_MAX_BYTES);
    for (;;) {
        size_t need = c->len + 1;
        ssize_t n;

        rc = lambda_runtime_http_parse(p, c->buf, &c->len);
        if (rc != 0)
            break;
        if (p->want + 1 > need)
            need = p->want + 1;
        rc = reserve(c, need);
        if (rc < 0)
            break;
        n = read(c->fd, c->buf + c->len, c->cap - c->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            break;
        }
        if (n == 0) {
            eof = true;
            rc = lambda_runtime_http_eof(p, c->len);
            break;
        }
        c->len += (size_t)n;
        *got += (size_t)n;
    }
    if (rc < 0)
        return rc;
    /* Surplus bytes after the response mean the stream is out of step: drop it. */
    c->reusable = !eof && p->keep_alive && p->msg_len == c->len;
    end = p->body_off + p->body_len;
    rc = reserve(c, end + 1);
    if (rc < 0)
        return rc;
    c->buf[end] = '\0';
    return 0;
}

/*
 * Sends the request in c->head plus body and reads the response into c->rsp.
 * Borrows body. A reused connection that the server had already closed is
 * detected by a failure before any response byte; the request is then sent
 * once more on a fresh connection.
 */
static int roundtrip(struct client *c, const char *body, size_t body_len)
{
    int attempt;

    for (attempt = 0;; attempt++) {
        struct iovec iov[2] = {
            {.iov_base = c->head, .iov_len = c->head_len},
            {.iov_base = (void *)(uintptr_t)body, .iov_len = body_len},
        };
        bool reused = c->fd >= 0;
        size_t got = 0;
        int rc = reused ? 0 : conn_open(c);

        if (rc == 0)
            rc = send_all(c->fd, iov, body_len > 0 ? 2 : 1);
        if (rc == 0)
            rc = recv_response(c, &got);
        if (rc == 0) {
            if (!c->reusable)
                conn_close(c);
            return 0;
        }
        conn_close(c);
        if (!reused || attempt > 0 || got > 0 || (rc != -ECONNRESET && rc != -EPIPE))
            return rc;
    }
}

/* Writes a header value from the handler, replacing bytes that could break the head. */
static void put_header_value(struct out *o, const char *s)
{
    size_t i;

    for (i = 0; i < HEADER_VALUE_MAX && s[i] != '\0'; i++) {
        unsigned char ch = (unsigned char)s[i];
        char safe = s[i];

        if (ch < 0x20 || ch >= 0x7f)
            safe = '?';
        put(o, &safe, 1);
    }
}

/* Writes a request id as one percent-encoded path segment. */
static void put_path_segment(struct out *o, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (is_alnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            put(o, s, 1);
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            put(o, e, sizeof(e));
        }
    }
}

static void build_get_next(struct client *c)
{
    struct out o = {.p = c->head, .cap = sizeof(c->head)};

    put(&o, LIT("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: "));
    put_str(&o, c->host);
    put(&o, LIT("\r\nUser-Agent: " USER_AGENT "\r\n\r\n"));
    c->head_len = o.len; /* fits: see the static assertion on REQ_HEAD_MAX_BYTES */
}

/*
 * Builds POST /2018-06-01/runtime/<what> (or .../invocation/<id>/<what> when
 * request_id is set). error_type, when set, becomes the
 * Lambda-Runtime-Function-Error-Type header.
 */
static int build_post(struct client *c, const char *request_id, const char *what,
                      const char *content_type, const char *error_type, size_t body_len)
{
    struct out o = {.p = c->head, .cap = sizeof(c->head)};
    char num[24];
    int n = snprintf(num, sizeof(num), "%zu", body_len);

    put(&o, LIT("POST /2018-06-01/runtime/"));
    if (request_id != NULL) {
        put(&o, LIT("invocation/"));
        put_path_segment(&o, request_id);
        put(&o, LIT("/"));
    }
    put_str(&o, what);
    put(&o, LIT(" HTTP/1.1\r\nHost: "));
    put_str(&o, c->host);
    put(&o, LIT("\r\nUser-Agent: " USER_AGENT "\r\nContent-Type: "));
    put_header_value(&o, content_type != NULL && content_type[0] != '\0' ? content_type
                                                                         : DEFAULT_CONTENT_TYPE);
    if (error_type != NULL) {
        put(&o, LIT("\r\nLambda-Runtime-Function-Error-Type: "));
        put_header_value(&o, error_type);
    }
    put(&o, LIT("\r\nContent-Length: "));
    put(&o, num, n > 0 ? (size_t)n : 0);
    put(&o, LIT("\r\n\r\n"));
    if (o.len > o.cap)
        return -EMSGSIZE;
    c->head_len = o.len;
    return 0;
}

/* Builds an error document in c->doc; falls back to a short message if it would be too big. */
static int build_error_doc(struct client *c, const char *error_type, const char *message,
                           size_t *len)
{
    size_t need = lambda_runtime_error_json_len(error_type, message) + 1;
    char *p;

    if (need > LAMBDA_RUNTIME_BODY_MAX_BYTES) {
        message = "error message too large";
        need = lambda_runtime_error_json_len(error_type, message) + 1;
    }
    if (need > c->doc_cap) {
        p = realloc(c->doc, need);
        if (p == NULL)
            return -ENOMEM;
        c->doc = p;
        c->doc_cap = need;
    }
    return lambda_runtime_error_json(c->doc, c->doc_cap, error_type, message, len);
}

/* Checks the status of a POST: 2xx is fine, 4xx is logged and survived, anything else is fatal. */
static int check_post_status(const struct client *c, const char *what)
{
    const struct lambda_http_parser *p = &c->rsp;
    int len = (int)(p->body_len < LOG_BODY_MAX_BYTES ? p->body_len : LOG_BODY_MAX_BYTES);

    if (p->status >= 200 && p->status < 300)
        return 0;
    (void)fprintf(stderr, "lambda_runtime: POST %s answered %d: %.*s\n", what, p->status, len,
                  c->buf + p->body_off);
    return p->status >= 400 && p->status < 500 ? 0 : -EPROTO;
}

/* NUL-terminates the header value s in place (it ends at whitespace or CR) and returns it. */
static const char *terminate(char *buf, const struct lambda_str *s)
{
    size_t off = (size_t)(s->p - buf);

    buf[off + s->len] = '\0';
    return buf + off;
}

/* Looks up header name in the last response; absent and empty values both count as missing. */
static bool find_value(const struct client *c, const char *name, struct lambda_str *v)
{
    return lambda_runtime_http_header(&c->rsp, c->buf, name, v) && v->len > 0;
}

static long long parse_ms(const struct lambda_str *v)
{
    long long ms = 0;
    size_t i;

    if (v->len > 18)
        return 0;
    for (i = 0; i < v->len; i++) {
        if (!is_digit((unsigned char)v->p[i]))
            return 0;
        ms = ms * 10 + (v->p[i] - '0');
    }
    return ms;
}

static void set_trace_env(const struct lambda_str *trace)
{
    static const char name[] = "_X_AMZN_TRACE_ID=";

    /* The environment is process-wide; the library is single-threaded by contract. */
    if (trace == NULL || sizeof(name) + trace->len > sizeof(trace_env)) {
        (void)unsetenv("_X_AMZN_TRACE_ID"); /* NOLINT(concurrency-mt-unsafe): see above */
        return;
    }
    memcpy(trace_env, name, sizeof(name) - 1);
    memcpy(trace_env + sizeof(name) - 1, trace->p, trace->len);
    trace_env[sizeof(name) - 1 + trace->len] = '\0';
    (void)putenv(trace_env); /* NOLINT(concurrency-mt-unsafe): see above */
}

/* Fetches the next invocation; inv points into c->buf afterwards. */
static int next_invocation(struct client *c, struct lambda_invocation *inv)
{
    struct lambda_str id, deadline, arn, trace, ctx, cognito, ctype;
    bool has_deadline, has_arn, has_trace, has_ctx, has_cognito, has_ctype;
    int rc;

    build_get_next(c);
    rc = roundtrip(c, NULL, 0);
    if (rc < 0)
        return rc;
    if (c->rsp.status != 200) {
        (void)fprintf(stderr, "lambda_runtime: GET next answered %d\n", c->rsp.status);
        return -EPROTO;
    }
    if (!find_value(c, "lambda-runtime-aws-request-id", &id) ||
        id.len > LAMBDA_RUNTIME_REQUEST_ID_MAX_BYTES) {
        (void)fprintf(stderr, "lambda_runtime: GET next: missing or bad request id\n");
        return -EPROTO;
    }
    /* Look everything up before NUL-terminating values, which ends the head's lines. */
    has_deadline = find_value(c, "lambda-runtime-deadline-ms", &deadline);
    has_arn = find_value(c, "lambda-runtime-invoked-function-arn", &arn);
    has_trace = find_value(c, "lambda-runtime-trace-id", &trace);
    has_ctx = find_value(c, "lambda-runtime-client-context", &ctx);
    has_cognito = find_value(c, "lambda-runtime-cognito-identity", &cognito);
    has_ctype = find_value(c, "content-type", &ctype);
    set_trace_env(has_trace ? &trace : NULL);

    memset(inv, 0, sizeof(*inv));
    inv->request_id = terminate(c->buf, &id);
    inv->deadline_ms = has_deadline ? parse_ms(&deadline) : 0;
    inv->function_arn = has_arn ? terminate(c->buf, &arn) : NULL;
    inv->trace_id = has_trace ? terminate(c->buf, &trace) : NULL;
    inv->client_context = has_ctx ? terminate(c->buf, &ctx) : NULL;
    inv->cognito_identity = has_cognito ? terminate(c->buf, &cognito) : NULL;
    inv->content_type = has_ctype ? terminate(c->buf, &ctype) : NULL;
    inv->event = c->buf + c->rsp.body_off;
    inv->event_len = c->rsp.body_len;
    return 0;
}

/* Posts what the handler produced (hrc is its return value). */
static int post_result(struct client *c, const struct lambda_invocation *inv, int hrc,
                       const struct lambda_result *res)
{
    const char *body = res->body;
    size_t body_len = res->body != NULL ? res->body_len : 0;
    const char *error_type = NULL;
    const char *message = NULL;
    char msgbuf[64];
    int rc;

    if (hrc < 0) {
        (void)snprintf(msgbuf, sizeof(msgbuf), "handler failed with error %d", hrc);
        error_type = "Runtime.HandlerFailed";
        message = msgbuf;
        body = NULL;
    } else if (res->is_error) {
        error_type = res->error_type != NULL ? res->error_type : "Unhandled";
        message = res->error_message;
    } else if (body_len > LAMBDA_RUNTIME_BODY_MAX_BYTES) {
        error_type = "Function.ResponseSizeTooLarge";
        message = "Response payload size exceeded maximum allowed payload size (6291556 bytes).";
        body = NULL;
    }
    if (error_type == NULL) {
        rc = build_post(c, inv->request_id, "response", res->content_type, NULL, body_len);
    } else {
        if (body == NULL) {
            rc = build_error_doc(c, error_type, message, &body_len);
            if (rc < 0)
                return rc;
            body = c->doc;
        }
        rc = build_post(c, inv->request_id, "error", DEFAULT_CONTENT_TYPE, error_type, body_len);
    }
    if (rc == 0)
        rc = roundtrip(c, body, body_len);
    if (rc < 0)
        return rc;
    return check_post_status(c, error_type == NULL ? "response" : "error");
}

/* ---------------------------------------------------------------------------
 * Public API
 */

int lambda_runtime_run(lambda_handler_fn *fn, void *arg)
{
    struct client c;
    struct lambda_invocation inv;
    struct lambda_result res;
    int rc, hrc;

    if (fn == NULL)
        return -EINVAL;
    /* Reading the environment is this library's configuration; single-threaded by contract. */
    rc = client_init(&c, getenv("AWS_LAMBDA_RUNTIME_API")); /* NOLINT(concurrency-mt-unsafe) */
    if (rc < 0) {
        (void)fprintf(stderr,
                      "lambda_runtime: AWS_LAMBDA_RUNTIME_API is missing or not host:port\n");
        return rc;
    }
    for (;;) {
        rc = next_invocation(&c, &inv);
        if (rc < 0)
            break;
        memset(&res, 0, sizeof(res));
        hrc = fn(&inv, &res, arg);
        /* Flush the handler's output so its log lines land before the invocation ends. */
        (void)fflush(stdout);
        rc = post_result(&c, &inv, hrc, &res);
        if (rc < 0)
            break;
    }
    log_errno("fatal", rc);
    client_fini(&c);
    return rc;
}

int lambda_runtime_init_error(const char *error_type, const char *message)
{
    struct client c;
    size_t len = 0;
    int rc;

    if (error_type == NULL)
        error_type = "Runtime.InitError";
    rc = client_init(&c, getenv("AWS_LAMBDA_RUNTIME_API")); /* NOLINT(concurrency-mt-unsafe) */
    if (rc == 0)
        rc = build_error_doc(&c, error_type, message, &len);
    if (rc == 0)
        rc = build_post(&c, NULL, "init/error", DEFAULT_CONTENT_TYPE, error_type, len);
    if (rc == 0)
        rc = roundtrip(&c, c.doc, len);
    if (rc == 0 && (c.rsp.status < 200 || c.rsp.status >= 300)) {
        (void)check_post_status(&c, "init/error");
        rc = -EPROTO;
    }
    if (rc < 0)
        log_errno("init/error", rc);
    client_fini(&c);
    return rc;
}

long long lambda_runtime_remaining_ms(const struct lambda_invocation *inv)
{
    struct timespec ts;
    long long now;

    if (inv == NULL || inv->deadline_ms <= 0)
        return LLONG_MAX;
    clock_gettime(CLOCK_REALTIME, &ts);
    now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    return inv->deadline_ms > now ? inv->deadline_ms - now : 0;
}

size_t lambda_runtime_error_json_len(const char *error_type, const char *message)
{
    struct out o = {.p = NULL, .cap = 0};

    put_error_json(&o, error_type, message);
    return o.len;
}

int lambda_runtime_error_json(char *dst, size_t cap, const char *error_type, const char *message,
                              size_t *len)
{
    struct out o = {.p = dst, .cap = cap};

    put_error_json(&o, error_type, message);
    if (o.len >= cap)
        return -ENOSPC;
    dst[o.len] = '\0';
    *len = o.len;
    return 0;
}
