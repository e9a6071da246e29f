/* SPDX-License-Identifier: MIT */
/*
 * Small helpers every module needs: clocks, AWS timestamp formats, random
 * identifiers (getrandom), base64 and percent-decoding. Pure functions over
 * caller buffers; safe from any thread.
 */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

int64_t clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void fmt_time(int64_t ms, char out[32], const char *zone)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char tmp[96];
    snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03d%s", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000), zone);
    snprintf(out, 32, "%.31s", tmp);
}

void time_fmt_lastmod(int64_t ms, char out[32])
{
    fmt_time(ms, out, "+0000");
}

void time_fmt_iso(int64_t ms, char out[32])
{
    fmt_time(ms, out, "Z");
}

static void fill_random(unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            abort(); /* the kernel's CSPRNG failing is an invariant break */
        }
        p += got;
        n -= (size_t)got;
    }
}

static const char hexdig[] = "0123456789abcdef";

void rand_uuid(char out[37])
{
    unsigned char b[16];
    fill_random(b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hexdig[b[i] >> 4];
        out[o++] = hexdig[b[i] & 15];
    }
    out[o] = '\0';
}

void rand_hex(char *out, size_t nbytes)
{
    unsigned char b[64];
    size_t o = 0;
    while (nbytes > 0) {
        size_t n = nbytes < sizeof(b) ? nbytes : sizeof(b);
        fill_random(b, n);
        for (size_t i = 0; i < n; i++) {
            out[o++] = hexdig[b[i] >> 4];
            out[o++] = hexdig[b[i] & 15];
        }
        nbytes -= n;
    }
    out[o] = '\0';
}

static const char b64dig[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t b64_encode(const void *in, size_t len, char *out)
{
    const unsigned char *p = in;
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = b64dig[v >> 18];
        out[o++] = b64dig[(v >> 12) & 63];
        out[o++] = b64dig[(v >> 6) & 63];
        out[o++] = b64dig[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)p[i + 1] << 8;
        out[o++] = b64dig[v >> 18];
        out[o++] = b64dig[(v >> 12) & 63];
        out[o++] = i + 1 < len ? b64dig[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int b64_decode(const char *in, size_t len, unsigned char **out, size_t *outlen)
{
    if (len % 4 != 0)
        return -EINVAL;
    size_t pad = 0;
    if (len > 0 && in[len - 1] == '=')
        pad++;
    if (len > 1 && in[len - 2] == '=')
        pad++;
    unsigned char *buf = malloc(len / 4 * 3 + 1);
    if (buf == NULL)
        return -ENOMEM;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t v = 0;
        for (size_t j = 0; j < 4; j++) {
            unsigned char c = (unsigned char)in[i + j];
            int d;
            if (c == '=' && i + 4 == len && j >= 4 - pad)
                d = 0;
            else if ((d = b64val(c)) < 0) {
                free(buf);
                return -EINVAL;
            }
            v = v << 6 | (uint32_t)d;
        }
        buf[o++] = (unsigned char)(v >> 16);
        buf[o++] = (unsigned char)(v >> 8);
        buf[o++] = (unsigned char)v;
    }
    *out = buf;
    *outlen = o - pad;
    return 0;
}

int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int pct_decode(const char *in, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c == '%') {
            if (i + 2 >= len)
                return -EINVAL;
            int hi = hex_digit(in[i + 1]), lo = hex_digit(in[i + 2]);
            if (hi < 0 || lo < 0)
                return -EINVAL;
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        if (c == '\0')
            return -EINVAL;
        out[o++] = c;
    }
    out[o] = '\0';
    return (int)o;
}
