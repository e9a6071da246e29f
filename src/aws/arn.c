/* SPDX-License-Identifier: MIT */
/*
 * A hand-written matcher for Lambda's FunctionName pattern
 *   (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?
 *   (function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?
 * It splits on ':' and consumes the optional prefixes in order, then the
 * name and the optional qualifier. No regex engine, no allocation.
 */
#include "arn.h"

#include <string.h>

#include "base/err.h"

const char arn_function_pattern[] =
    "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?"
    "([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?";

struct part {
    const char *p;
    size_t len;
};

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

bool arn_valid_name(const char *s, size_t len)
{
    if (len == 0 || len > FN_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_name_char(s[i]))
            return false;
    return true;
}

bool arn_valid_qualifier(const char *s, size_t len)
{
    if (len == 7 && memcmp(s, "$LATEST", 7) == 0)
        return true;
    if (len == 0 || len > FN_QUALIFIER_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_name_char(s[i]))
            return false;
    return true;
}

static bool part_is(const struct part *p, const char *s)
{
    return p->len == strlen(s) && memcmp(p->p, s, p->len) == 0;
}

static bool is_partition(const struct part *p)
{
    if (p->len < 3 || memcmp(p->p, "aws", 3) != 0)
        return false;
    for (size_t i = 3; i < p->len; i++) {
        char c = p->p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'))
            return false;
    }
    return true;
}

/* [a-z]{2}(-gov)?-[a-z]+-\d */
static bool is_region(const struct part *p)
{
    const char *s = p->p, *e = p->p + p->len;
    if (e - s < 2 || !(s[0] >= 'a' && s[0] <= 'z') || !(s[1] >= 'a' && s[1] <= 'z'))
        return false;
    s += 2;
    if (e - s >= 4 && memcmp(s, "-gov", 4) == 0 && e - s >= 5 && s[4] == '-')
        s += 4;
    if (s >= e || *s != '-')
        return false;
    s++;
    const char *w = s;
    while (s < e && *s >= 'a' && *s <= 'z')
        s++;
    if (s == w || s >= e || *s != '-')
        return false;
    s++;
    return e - s == 1 && *s >= '0' && *s <= '9';
}

static bool is_account(const struct part *p)
{
    if (p->len != 12)
        return false;
    for (size_t i = 0; i < 12; i++)
        if (p->p[i] < '0' || p->p[i] > '9')
            return false;
    return true;
}

int arn_parse_function(const char *s, size_t len, struct fn_ref *out)
{
    struct part parts[9];
    size_t n = 0;
    const char *p = s, *end = s + len;
    if (len == 0 || len > FN_NAME_ARN_MAX)
        return ERR_VALIDATION;
    for (;;) {
        const char *c = memchr(p, ':', (size_t)(end - p));
        if (n == sizeof(parts) / sizeof(parts[0]))
            return ERR_VALIDATION;
        parts[n].p = p;
        parts[n].len = (size_t)((c != NULL ? c : end) - p);
        n++;
        if (c == NULL)
            break;
        p = c + 1;
    }
    size_t i = 0;
    struct fn_ref r;
    memset(&r, 0, sizeof(r));
    if (n >= 3 && part_is(&parts[0], "arn")) {
        if (!(parts[1].len == 0 || is_partition(&parts[1])) || !part_is(&parts[2], "lambda"))
            return ERR_VALIDATION;
        i = 3;
    }
    if (i < n && n - i >= 2 && is_region(&parts[i])) {
        memcpy(r.region, parts[i].p, parts[i].len < 31 ? parts[i].len : 31);
        i++;
    }
    if (i < n && n - i >= 2 && is_account(&parts[i])) {
        memcpy(r.account, parts[i].p, 12);
        i++;
    }
    if (i < n && n - i >= 2 && part_is(&parts[i], "function"))
        i++;
    if (i >= n || !arn_valid_name(parts[i].p, parts[i].len))
        return ERR_VALIDATION;
    memcpy(r.name, parts[i].p, parts[i].len);
    i++;
    if (i < n) {
        if (!arn_valid_qualifier(parts[i].p, parts[i].len))
            return ERR_VALIDATION;
        memcpy(r.qualifier, parts[i].p, parts[i].len);
        i++;
    }
    if (i != n)
        return ERR_VALIDATION;
    *out = r;
    return 0;
}
