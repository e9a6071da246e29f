/* SPDX-License-Identifier: MIT */
/*
 * application/x-www-form-urlencoded, as the AWS query protocol sends it: a
 * linear scan for the first "name=" between '&'s; no allocation.
 */
#include "form.h"

#include <string.h>

#include "base/util.h"

/* Decodes a form value ('+' is a space) into buf; -1 if invalid or too long. */
static int form_decode(const char *p, size_t len, char *buf, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (len - i < 3)
                return -1;
            int hi = hex_digit(p[i + 1]), lo = hex_digit(p[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (o + 1 >= cap || c == '\0')
            return -1;
        buf[o++] = c;
    }
    if (cap == 0)
        return -1;
    buf[o] = '\0';
    return (int)o;
}

int http_form_param(const char *p, size_t len, const char *name, char *buf, size_t cap)
{
    size_t nlen = strlen(name);
    size_t i = 0;
    while (i < len) {
        const char *amp = memchr(p + i, '&', len - i);
        size_t end = amp != NULL ? (size_t)(amp - p) : len;
        const char *eq = memchr(p + i, '=', end - i);
        size_t klen = eq != NULL ? (size_t)(eq - (p + i)) : end - i;
        if (klen == nlen && memcmp(p + i, name, nlen) == 0) {
            if (eq == NULL)
                return form_decode("", 0, buf, cap);
            return form_decode(eq + 1, end - (size_t)(eq + 1 - p), buf, cap);
        }
        i = end + 1;
    }
    return -1;
}
