/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_BASE_UTIL_H
#define LAMBDAD_BASE_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Wall-clock time in milliseconds since the epoch. Any thread. */
int64_t clock_ms(void);

/* Monotonic time in microseconds. Any thread. */
int64_t clock_mono_us(void);

/* Formats ms as AWS's LastModified: "2020-04-10T19:06:32.563+0000" (needs 29 bytes). */
void time_fmt_lastmod(int64_t ms, char out[32]);

/* Formats ms as "2020-04-10T19:06:32.563Z" (needs 25 bytes). */
void time_fmt_iso(int64_t ms, char out[32]);

/* Writes a random RFC 4122 version 4 UUID, NUL-terminated. Any thread. */
void rand_uuid(char out[37]);

/* Writes 2*nbytes random lowercase hex digits plus NUL into out. */
void rand_hex(char *out, size_t nbytes);

/* Base64 (standard alphabet, padded) of len bytes into out, which must hold
 * b64_encoded_len(len) bytes; returns the length written (excl. NUL). */
size_t b64_encode(const void *in, size_t len, char *out);
#define b64_encoded_len(n) ((((n) + 2) / 3) * 4 + 1)

/* Decodes base64 (whitespace not allowed). Returns new (free with free) in *out
 * and its length in *outlen; -EINVAL for malformed input, -ENOMEM. */
int b64_decode(const char *in, size_t len, unsigned char **out, size_t *outlen);

/* The value of hex digit c (either case), or -1. */
int hex_digit(char c);

/* Percent-decodes len bytes of in into out (which holds at least len+1 bytes).
 * Returns the decoded length, or -EINVAL for a bad escape or a NUL byte. */
int pct_decode(const char *in, size_t len, char *out);

#endif
