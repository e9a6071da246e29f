/* SPDX-License-Identifier: MIT */
/*
 * Both forms carry the same credential "AKID/DATE/REGION/SERVICE/aws4_request";
 * the header form separates its three parts with commas (and optional
 * spaces), the query form puts each in its own percent-encoded parameter.
 */
#include "sigv4.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/form.h"

#define ALGORITHM "AWS4-HMAC-SHA256"

/* Copies len bytes into a cap-byte buffer; false if they do not fit, are
 * empty or hold a NUL byte. */
static bool take(char *dst, size_t cap, const char *p, size_t len)
{
    if (len == 0 || len >= cap || memchr(p, '\0', len) != NULL)
        return false;
    memcpy(dst, p, len);
    dst[len] = '\0';
    return true;
}

static bool all_of(const char *s, const char *set)
{
    return s[strspn(s, set)] == '\0';
}

/* Splits "AKID/YYYYMMDD/region/service/aws4_request" into out. */
static int parse_credential(const char *p, size_t len, struct sigv4 *out)
{
    const char *part[5];
    size_t plen[5];
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || p[i] == '/') {
            if (n == 5)
                return -EINVAL;
            part[n] = p + start;
            plen[n++] = i - start;
            start = i + 1;
        }
    }
    if (n != 5 || plen[4] != 12 || memcmp(part[4], "aws4_request", 12) != 0)
        return -EINVAL;
    if (!take(out->access_key, sizeof(out->access_key), part[0], plen[0]) ||
        !take(out->date, sizeof(out->date), part[1], plen[1]) || plen[1] != 8 ||
        !take(out->region, sizeof(out->region), part[2], plen[2]) ||
        !take(out->service, sizeof(out->service), part[3], plen[3]))
        return -EINVAL;
    if (!all_of(out->date, "0123456789") ||
        !all_of(out->service, "abcdefghijklmnopqrstuvwxyz0123456789-.") ||
        !all_of(out->region, "abcdefghijklmnopqrstuvwxyz0123456789-"))
        return -EINVAL;
    return 0;
}

static int check_tail(struct sigv4 *out)
{
    if (strlen(out->signature) != 64 || !all_of(out->signature, "0123456789abcdef"))
        return -EINVAL;
    if (!all_of(out->signed_headers, "abcdefghijklmnopqrstuvwxyz0123456789-;_."))
        return -EINVAL;
    return 0;
}

int sigv4_parse_header(const char *p, size_t len, struct sigv4 *out)
{
    memset(out, 0, sizeof(*out));
    size_t alen = sizeof(ALGORITHM) - 1;
    if (len <= alen || memcmp(p, ALGORITHM, alen) != 0 || p[alen] != ' ')
        return -EINVAL;
    bool cred = false, hdrs = false, sig = false;
    size_t i = alen + 1;
    while (i < len) {
        while (i < len && (p[i] == ' ' || p[i] == ','))
            i++;
        size_t end = i;
        while (end < len && p[end] != ',')
            end++;
        size_t vlen = end - i;
        while (vlen > 0 && p[i + vlen - 1] == ' ')
            vlen--;
        if (vlen > 11 && memcmp(p + i, "Credential=", 11) == 0) {
            if (cred || parse_credential(p + i + 11, vlen - 11, out) != 0)
                return -EINVAL;
            cred = true;
        } else if (vlen > 14 && memcmp(p + i, "SignedHeaders=", 14) == 0) {
            if (hdrs ||
                !take(out->signed_headers, sizeof(out->signed_headers), p + i + 14, vlen - 14))
                return -EINVAL;
            hdrs = true;
        } else if (vlen > 10 && memcmp(p + i, "Signature=", 10) == 0) {
            if (sig || !take(out->signature, sizeof(out->signature), p + i + 10, vlen - 10))
                return -EINVAL;
            sig = true;
        } else if (vlen > 0) {
            return -EINVAL;
        }
        i = end;
    }
    if (!cred || !hdrs || !sig)
        return -EINVAL;
    return check_tail(out);
}

int sigv4_parse_query(const char *p, size_t len, struct sigv4 *out)
{
    memset(out, 0, sizeof(*out));
    char buf[SIGV4_SIGNED_HEADERS_MAX + 1];
    int n = http_form_param(p, len, "X-Amz-Algorithm", buf, sizeof(buf));
    if (n < 0)
        return -ENOENT;
    if (strcmp(buf, ALGORITHM) != 0)
        return -EINVAL;
    out->presigned = true;
    n = http_form_param(p, len, "X-Amz-Credential", buf, sizeof(buf));
    if (n < 0 || parse_credential(buf, (size_t)n, out) != 0)
        return -EINVAL;
    if (http_form_param(p, len, "X-Amz-SignedHeaders", out->signed_headers,
                        sizeof(out->signed_headers)) <= 0 ||
        http_form_param(p, len, "X-Amz-Signature", out->signature, sizeof(out->signature)) <= 0 ||
        http_form_param(p, len, "X-Amz-Date", out->amz_date, sizeof(out->amz_date)) != 16)
        return -EINVAL;
    n = http_form_param(p, len, "X-Amz-Expires", buf, sizeof(buf));
    if (n > 0) {
        char *end;
        long e = strtol(buf, &end, 10);
        if (*end != '\0' || e < 1 || e > 604800) /* AWS: at most 7 days */
            return -EINVAL;
        out->expires_s = e;
    }
    return check_tail(out);
}

int sigv4_of_request(const h2o_req_t *req, struct sigv4 *out)
{
    const h2o_iovec_t *auth = http_req_header(req, "authorization");
    if (auth != NULL)
        return sigv4_parse_header(auth->base, auth->len, out);
    if (req->query_at == SIZE_MAX)
        return -ENOENT;
    return sigv4_parse_query(req->path.base + req->query_at + 1, req->path.len - req->query_at - 1,
                             out);
}

int sigv4_service(const h2o_req_t *req, char *buf, size_t cap)
{
    struct sigv4 s;
    if (sigv4_of_request(req, &s) != 0)
        return -1;
    int n = snprintf(buf, cap, "%s", s.service);
    return n >= 0 && (size_t)n < cap ? n : -1;
}
