/* SPDX-License-Identifier: MIT */
/*
 * Route keys and route selection (see route.h). Selection scores every
 * candidate that matches the request and keeps the best: the path is
 * compared segment by segment (literal > {param} > {greedy+}, a longer
 * literal run wins), then the method (a specific one beats ANY). Matching
 * never copies the request path: parameter values are slices of it.
 */
#include "route.h"

#include <errno.h>
#include <string.h>

static const char *const methods[] = {"ANY",    "GET",   "POST", "PUT",
                                      "DELETE", "PATCH", "HEAD", "OPTIONS"};

static bool valid_method(const char *s, size_t len)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (strlen(methods[i]) == len && memcmp(methods[i], s, len) == 0)
            return true;
    return false;
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

static bool literal_char(char c)
{
    return c > ' ' && c < 0x7f && c != '{' && c != '}' && c != '/' && c != '?' && c != '#';
}

/* Parses one segment [p, e) of the key text at offset off into *seg. */
static int parse_segment(const char *text, size_t off, size_t e, struct gw_seg *seg)
{
    const char *p = text + off;
    size_t len = e - off;
    if (len == 0)
        return -EINVAL;
    if (p[0] == '{') {
        if (len < 3 || p[len - 1] != '}')
            return -EINVAL;
        bool greedy = p[len - 2] == '+';
        size_t nlen = len - 2 - (greedy ? 1 : 0);
        if (nlen == 0)
            return -EINVAL;
        for (size_t i = 0; i < nlen; i++)
            if (!name_char(p[1 + i]))
                return -EINVAL;
        *seg = (struct gw_seg){.kind = greedy ? GW_SEG_GREEDY : GW_SEG_PARAM,
                               .off = (uint16_t)(off + 1),
                               .len = (uint16_t)nlen};
        return 0;
    }
    for (size_t i = 0; i < len; i++)
        if (!literal_char(p[i]))
            return -EINVAL;
    *seg = (struct gw_seg){.kind = GW_SEG_LITERAL, .off = (uint16_t)off, .len = (uint16_t)len};
    return 0;
}

static bool duplicate_param(const struct gw_route_key *k, const struct gw_seg *s)
{
    for (uint16_t i = 0; i < k->nseg; i++)
        if (k->seg[i].kind != GW_SEG_LITERAL && k->seg[i].len == s->len &&
            memcmp(k->text + k->seg[i].off, k->text + s->off, s->len) == 0)
            return true;
    return false;
}

int gw_route_key_parse(const char *s, size_t len, struct gw_route_key *out)
{
    memset(out, 0, sizeof(*out));
    if (len == 0 || len > GW_ROUTE_KEY_MAX)
        return -EINVAL;
    memcpy(out->text, s, len);
    out->text[len] = '\0';
    if (len == 8 && memcmp(s, "$default", 8) == 0) {
        out->is_default = true;
        return 0;
    }
    const char *sp = memchr(s, ' ', len);
    if (sp == NULL || !valid_method(s, (size_t)(sp - s)))
        return -EINVAL;
    memcpy(out->method, s, (size_t)(sp - s));
    size_t off = (size_t)(sp - s) + 1;
    if (off >= len || s[off] != '/')
        return -EINVAL;
    out->path_off = (uint16_t)off;
    if (off + 1 == len)
        return 0; /* "/" */
    size_t p = off + 1;
    while (p <= len) {
        const char *slash = memchr(out->text + p, '/', len - p);
        size_t e = slash != NULL ? (size_t)(slash - out->text) : len;
        struct gw_seg seg;
        if (out->nseg == GW_ROUTE_SEGMENTS_MAX || parse_segment(out->text, p, e, &seg) != 0)
            return -EINVAL;
        if (seg.kind != GW_SEG_LITERAL && duplicate_param(out, &seg))
            return -EINVAL;
        if (out->nseg > 0 && out->seg[out->nseg - 1].kind == GW_SEG_GREEDY)
            return -EINVAL; /* a greedy parameter must be last */
        out->seg[out->nseg++] = seg;
        if (slash == NULL)
            break;
        p = e + 1;
    }
    return 0;
}

/* Matches key k against the raw path [path, path+len) that starts with '/'.
 * Fills m and score (the kind of each segment) on success. */
static bool match_path(const struct gw_route_key *k, const char *path, size_t len,
                       struct gw_match *m, uint8_t score[GW_ROUTE_SEGMENTS_MAX])
{
    m->nparams = 0;
    size_t p = 1; /* after the leading '/' */
    if (k->nseg == 0)
        return len == 1;
    if (len <= 1)
        return false;
    for (uint16_t i = 0; i < k->nseg; i++) {
        const struct gw_seg *s = &k->seg[i];
        if (p > len)
            return false;
        const char *slash = memchr(path + p, '/', len - p);
        size_t e = slash != NULL ? (size_t)(slash - path) : len;
        score[i] = (uint8_t)s->kind;
        if (s->kind == GW_SEG_GREEDY) {
            if (p >= len)
                return false; /* a greedy parameter takes at least one character */
            m->params[m->nparams++] =
                (struct gw_param){k->text + s->off, s->len, path + p, len - p};
            return true;
        }
        if (e == p)
            return false; /* an empty segment matches nothing */
        if (s->kind == GW_SEG_LITERAL) {
            if (e - p != s->len || memcmp(path + p, k->text + s->off, s->len) != 0)
                return false;
        } else {
            m->params[m->nparams++] = (struct gw_param){k->text + s->off, s->len, path + p, e - p};
        }
        p = e + 1;
    }
    return p == len + 1; /* every request segment was consumed */
}

/* > 0 if candidate (score a, any a_any) is more specific than b. */
static int compare(const uint8_t *a, uint16_t na, bool a_any, const uint8_t *b, uint16_t nb,
                   bool b_any)
{
    uint16_t n = na < nb ? na : nb;
    for (uint16_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return a[i] > b[i] ? 1 : -1;
    if (na != nb)
        return na > nb ? 1 : -1;
    if (a_any != b_any)
        return a_any ? -1 : 1;
    return 0;
}

int gw_route_select(const struct gw_route_key *const *keys, size_t n, const char *method,
                    size_t method_len, const char *path, size_t path_len, struct gw_match *m)
{
    int best = -1, dflt = -1;
    uint8_t best_score[GW_ROUTE_SEGMENTS_MAX], score[GW_ROUTE_SEGMENTS_MAX];
    struct gw_match cand;
    if (path_len == 0 || path[0] != '/')
        return -1;
    for (size_t i = 0; i < n; i++) {
        const struct gw_route_key *k = keys[i];
        if (k->is_default) {
            dflt = (int)i;
            continue;
        }
        bool any = strcmp(k->method, "ANY") == 0;
        if (!any && (strlen(k->method) != method_len || memcmp(k->method, method, method_len) != 0))
            continue;
        if (!match_path(k, path, path_len, &cand, score))
            continue;
        if (best >= 0) {
            const struct gw_route_key *b = keys[best];
            if (compare(score, k->nseg, any, best_score, b->nseg, strcmp(b->method, "ANY") == 0) <=
                0)
                continue;
        }
        best = (int)i;
        memcpy(best_score, score, k->nseg);
        *m = cand;
    }
    if (best < 0 && dflt >= 0) {
        m->nparams = 0;
        return dflt;
    }
    return best;
}
