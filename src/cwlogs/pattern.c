/* SPDX-License-Identifier: MIT */
/*
 * Filter patterns for FilterLogEvents (the subset pattern.h describes). A
 * pattern is parsed once per request into an array of terms, each a byte
 * string with a kind (required, any-of, excluded); matching a message is one
 * memmem per term, so a page of events costs O(events x terms).
 */
#include "pattern.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum term_kind { TERM_ALL, TERM_ANY, TERM_NOT };

struct term {
    enum term_kind kind;
    char *text; /* owned, without the quotes */
    size_t len;
};

struct pattern {
    struct term *terms;
    size_t n;
    bool has_any; /* at least one TERM_ANY */
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Adds a term; takes nothing (the bytes are copied). */
static int add_term(struct pattern *p, enum term_kind kind, const char *s, size_t len)
{
    struct term *t = realloc(p->terms, (p->n + 1) * sizeof(*t));
    if (t == NULL)
        return -ENOMEM;
    p->terms = t;
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return -ENOMEM;
    memcpy(copy, s, len);
    copy[len] = '\0';
    p->terms[p->n++] = (struct term){.kind = kind, .text = copy, .len = len};
    if (kind == TERM_ANY)
        p->has_any = true;
    return 0;
}

int pattern_parse(const char *text, size_t len, struct pattern **out)
{
    int rc = -ENOMEM;
    struct pattern *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return -ENOMEM;
    size_t i = 0;
    while (i < len && is_space(text[i]))
        i++;
    if (i < len && (text[i] == '{' || text[i] == '[')) {
        rc = -EINVAL;
        goto out;
    }
    while (i < len) {
        enum term_kind kind = TERM_ALL;
        if (text[i] == '?' || text[i] == '-') {
            kind = text[i] == '?' ? TERM_ANY : TERM_NOT;
            i++;
        }
        const char *start = text + i;
        size_t tlen = 0;
        if (i < len && text[i] == '"') {
            const char *end = memchr(text + i + 1, '"', len - i - 1);
            if (end == NULL) {
                rc = -EINVAL;
                goto out;
            }
            start = text + i + 1;
            tlen = (size_t)(end - start);
            i = (size_t)(end - text) + 1;
        } else {
            while (i < len && !is_space(text[i]) && text[i] != '"') {
                i++;
                tlen++;
            }
            if (i < len && text[i] == '"') {
                rc = -EINVAL; /* a quote inside a bare term */
                goto out;
            }
        }
        if (tlen == 0 && kind != TERM_ALL) {
            rc = -EINVAL; /* a lone ? or - */
            goto out;
        }
        if (tlen > 0 && (rc = add_term(p, kind, start, tlen)) != 0)
            goto out;
        while (i < len && is_space(text[i]))
            i++;
    }
    *out = p;
    return 0;
out:
    pattern_free(p);
    return rc;
}

bool pattern_match(const struct pattern *p, const char *msg, size_t len)
{
    bool any = false;
    for (size_t i = 0; i < p->n; i++) {
        const struct term *t = &p->terms[i];
        bool found = memmem(msg, len, t->text, t->len) != NULL;
        if (t->kind == TERM_ALL && !found)
            return false;
        if (t->kind == TERM_NOT && found)
            return false;
        if (t->kind == TERM_ANY && found)
            any = true;
    }
    return !p->has_any || any;
}

void pattern_free(struct pattern *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n; i++)
        free(p->terms[i].text);
    free(p->terms);
    free(p);
}
