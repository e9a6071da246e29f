/* SPDX-License-Identifier: MIT */
/*
 * Byte-comparable key components (store_keys.h).
 *
 * Strings and binary: the tag, the bytes with every 0x00 written as 0x00
 * 0xFF, then the terminator 0x00 0x01. A terminator sorts before any byte a
 * longer string has at that place, so a prefix sorts first.
 *
 * Numbers: the tag, a class byte (0x01 negative, 0x02 zero, 0x03 positive),
 * and for non-zero values the decimal exponent E of 0.d1d2...dk x 10^E
 * (d1 != 0, no trailing zeros) biased by 0x8000 as two big-endian bytes,
 * then the digits as bytes d + 1, then the terminator 0x00. A negative
 * number writes the complement of all of that (exponent 0xFFFF - biased,
 * digits 10 - d, terminator 0xFF), so that larger magnitudes sort first.
 * Equal values have one encoding, and the decoder prints one canonical text.
 */
#include "store_keys.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

enum { NEG = 0x01, ZERO = 0x02, POS = 0x03 };

static int put_bytes(uint8_t *out, size_t cap, size_t *len, int tag, const void *p, size_t n,
                     bool terminate)
{
    const uint8_t *b = p;
    size_t need = 1 + (terminate ? 2 : 0);
    for (size_t i = 0; i < n; i++)
        need += b[i] == 0 ? 2 : 1;
    if (*len > cap || cap - *len < need)
        return -ENOBUFS;
    uint8_t *o = out + *len;
    *o++ = (uint8_t)tag;
    for (size_t i = 0; i < n; i++) {
        *o++ = b[i];
        if (b[i] == 0)
            *o++ = 0xff;
    }
    if (terminate) {
        *o++ = 0x00;
        *o++ = 0x01;
    }
    *len += need;
    return 0;
}

int store_keys_put_string(uint8_t *out, size_t cap, size_t *len, const void *s, size_t n)
{
    return put_bytes(out, cap, len, STORE_KEYS_STRING, s, n, true);
}

int store_keys_put_binary(uint8_t *out, size_t cap, size_t *len, const void *b, size_t n)
{
    return put_bytes(out, cap, len, STORE_KEYS_BINARY, b, n, true);
}

int store_keys_put_string_prefix(uint8_t *out, size_t cap, size_t *len, const void *s, size_t n)
{
    return put_bytes(out, cap, len, STORE_KEYS_STRING, s, n, false);
}

/* A parsed number: its sign, significant digits (0-9 values) and exponent. */
struct num {
    bool neg;
    int k; /* digits; 0 for zero */
    uint8_t d[STORE_KEYS_DIGITS_MAX];
    long exp; /* value = 0.d[0]d[1]... x 10^exp */
};

/* Parses the optional exponent part at s[i..n): [eE][+-]digits. */
static int parse_exp(const char *s, size_t i, size_t n, long *exp)
{
    if (i == n)
        return 0;
    if (s[i] != 'e' && s[i] != 'E')
        return -EINVAL;
    i++;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i == n)
        return -EINVAL;
    long v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        if (v < 1000000)
            v = v * 10 + (s[i] - '0');
    }
    *exp += neg ? -v : v;
    return 0;
}

static int parse_num(const char *s, size_t n, struct num *v)
{
    size_t i = 0;
    memset(v, 0, sizeof(*v));
    if (i < n && (s[i] == '+' || s[i] == '-'))
        v->neg = s[i++] == '-';
    bool point = false, any = false;
    long intlen = 0; /* digits before the point, after leading zeros */
    int zeros = 0;   /* zeros seen after the last non-zero significant digit */
    for (; i < n && s[i] != 'e' && s[i] != 'E'; i++) {
        if (s[i] == '.' && !point) {
            point = true;
            continue;
        }
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        any = true;
        int d = s[i] - '0';
        if (v->k == 0 && zeros == 0 && d == 0) { /* a leading zero */
            if (point)
                intlen--;
            continue;
        }
        if (!point)
            intlen++;
        if (d == 0) {
            zeros++;
            continue;
        }
        if (v->k + zeros + 1 > STORE_KEYS_DIGITS_MAX)
            return -ERANGE;
        for (; zeros > 0; zeros--)
            v->d[v->k++] = 0;
        v->d[v->k++] = (uint8_t)d;
    }
    if (!any)
        return -EINVAL;
    v->exp = intlen;
    int rc = parse_exp(s, i, n, &v->exp);
    if (rc != 0)
        return rc;
    if (v->k == 0) {
        v->neg = false;
        v->exp = 0;
        return 0;
    }
    if (v->exp > STORE_KEYS_EXP_MAX || v->exp < -STORE_KEYS_EXP_MAX)
        return -ERANGE;
    return 0;
}

int store_keys_put_number(uint8_t *out, size_t cap, size_t *len, const char *num, size_t n)
{
    struct num v;
    int rc = parse_num(num, n, &v);
    if (rc != 0)
        return rc;
    size_t need = v.k == 0 ? 2 : 2 + 2 + (size_t)v.k + 1;
    if (*len > cap || cap - *len < need)
        return -ENOBUFS;
    uint8_t *o = out + *len;
    *o++ = STORE_KEYS_NUMBER;
    if (v.k == 0) {
        *o = ZERO;
    } else {
        unsigned e = (unsigned)(v.exp + 0x8000);
        if (v.neg)
            e = 0xffffu - e;
        *o++ = v.neg ? NEG : POS;
        *o++ = (uint8_t)(e >> 8);
        *o++ = (uint8_t)(e & 0xff);
        for (int i = 0; i < v.k; i++)
            *o++ = (uint8_t)(v.neg ? 10 - v.d[i] : v.d[i] + 1);
        *o = v.neg ? 0xff : 0x00;
    }
    *len += need;
    return 0;
}

/* Prints v as canonical decimal text into out (cap >= STORE_KEYS_NUMBER_TEXT_MAX). */
static size_t print_num(const struct num *v, char *out)
{
    size_t o = 0;
    if (v->k == 0) {
        out[o++] = '0';
    } else {
        if (v->neg)
            out[o++] = '-';
        if (v->exp > 0 && v->exp <= 40) { /* positional, integer part first */
            for (long i = 0; i < v->exp; i++)
                out[o++] = (char)('0' + (i < v->k ? v->d[i] : 0));
            if (v->k > v->exp)
                out[o++] = '.';
            for (long i = v->exp; i < v->k; i++)
                out[o++] = (char)('0' + v->d[i]);
        } else if (v->exp <= 0 && v->exp > -6) { /* 0.000ddd */
            out[o++] = '0';
            out[o++] = '.';
            for (long i = v->exp; i < 0; i++)
                out[o++] = '0';
            for (int i = 0; i < v->k; i++)
                out[o++] = (char)('0' + v->d[i]);
        } else { /* d.dddE+-x */
            out[o++] = (char)('0' + v->d[0]);
            if (v->k > 1)
                out[o++] = '.';
            for (int i = 1; i < v->k; i++)
                out[o++] = (char)('0' + v->d[i]);
            long e = v->exp - 1;
            out[o++] = 'E';
            out[o++] = e < 0 ? '-' : '+';
            char t[8];
            int nt = 0;
            for (unsigned long a = (unsigned long)(e < 0 ? -e : e); a > 0 || nt == 0; a /= 10)
                t[nt++] = (char)('0' + a % 10);
            while (nt > 0)
                out[o++] = t[--nt];
        }
    }
    out[o] = '\0';
    return o;
}

static int next_number(const uint8_t *key, size_t len, size_t *pos, struct num *v)
{
    size_t p = *pos;
    memset(v, 0, sizeof(*v));
    if (p >= len)
        return -EINVAL;
    int cls = key[p++];
    if (cls == ZERO) {
        *pos = p;
        return 0;
    }
    if ((cls != NEG && cls != POS) || len - p < 3)
        return -EINVAL;
    v->neg = cls == NEG;
    unsigned e = (unsigned)key[p] << 8 | key[p + 1];
    p += 2;
    if (v->neg)
        e = 0xffffu - e;
    v->exp = (long)e - 0x8000;
    uint8_t end = v->neg ? 0xff : 0x00;
    for (; p < len && key[p] != end; p++) {
        int d = v->neg ? 10 - key[p] : key[p] - 1;
        if (d < 0 || d > 9 || v->k == STORE_KEYS_DIGITS_MAX)
            return -EINVAL;
        v->d[v->k++] = (uint8_t)d;
    }
    if (p == len || v->k == 0 || v->d[0] == 0 || v->d[v->k - 1] == 0 ||
        v->exp > STORE_KEYS_EXP_MAX || v->exp < -STORE_KEYS_EXP_MAX)
        return -EINVAL; /* no terminator, or not the canonical form */
    *pos = p + 1;
    return 0;
}

static int next_bytes(const uint8_t *key, size_t len, size_t *pos, char *out, size_t cap,
                      size_t *out_len)
{
    size_t p = *pos, o = 0;
    for (;;) {
        if (p >= len)
            return -EINVAL;
        uint8_t b = key[p++];
        if (b == 0) {
            if (p >= len)
                return -EINVAL;
            uint8_t c = key[p++];
            if (c == 0x01)
                break;
            if (c != 0xff)
                return -EINVAL;
        }
        if (o + 1 >= cap)
            return -ENOBUFS;
        out[o++] = (char)b;
    }
    if (cap == 0)
        return -ENOBUFS;
    out[o] = '\0';
    *out_len = o;
    *pos = p;
    return 0;
}

int store_keys_next(const uint8_t *key, size_t len, size_t *pos, int *type, char *out, size_t cap,
                    size_t *out_len)
{
    size_t p = *pos;
    if (p >= len)
        return -EINVAL;
    int tag = key[p++];
    int rc;
    if (tag == STORE_KEYS_NUMBER) {
        struct num v;
        char text[STORE_KEYS_NUMBER_TEXT_MAX];
        if ((rc = next_number(key, len, &p, &v)) != 0)
            return rc;
        size_t n = print_num(&v, text);
        if (n + 1 > cap)
            return -ENOBUFS;
        memcpy(out, text, n + 1);
        *out_len = n;
    } else if (tag == STORE_KEYS_STRING || tag == STORE_KEYS_BINARY) {
        if ((rc = next_bytes(key, len, &p, out, cap, out_len)) != 0)
            return rc;
    } else {
        return -EINVAL;
    }
    *type = tag;
    *pos = p;
    return 0;
}

int store_keys_prefix_end(const uint8_t *p, size_t n, uint8_t *out, size_t *out_len)
{
    while (n > 0 && p[n - 1] == 0xff)
        n--;
    if (n == 0)
        return -ERANGE;
    memmove(out, p, n);
    out[n - 1]++;
    *out_len = n;
    return 0;
}
