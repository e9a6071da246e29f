/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_STORE_STORE_KEYS_H
#define LAMBDAD_STORE_STORE_KEYS_H

/*
 * A byte-comparable encoding of typed key components, for the sorted-items
 * primitive (store.h): encode a composite key as the concatenation of its
 * components, and memcmp orders the results as the typed values order
 * (component by component, a key before its extensions):
 *   numbers   numerically, as DynamoDB orders its N type: any decimal of up
 *             to 38 significant digits with an optional sign, fraction and
 *             exponent ("-10" < "-2.5" < "0" < "1e3"); equal values encode
 *             equally ("1.50" = "15e-1");
 *   strings   by their bytes (UTF-8 order), a prefix first ("a" < "ab" < "b");
 *   binary    by unsigned bytes, a prefix first.
 * Each component starts with its type's tag, so a key decodes back into its
 * components. Pure functions; any thread.
 */

#include <stddef.h>
#include <stdint.h>

#define STORE_KEYS_NUMBER 0x20 /* tag of a number component */
#define STORE_KEYS_STRING 0x30 /* tag of a string component */
#define STORE_KEYS_BINARY 0x40 /* tag of a binary component */

#define STORE_KEYS_DIGITS_MAX      38    /* significant digits of a number (DynamoDB's) */
#define STORE_KEYS_EXP_MAX         16000 /* |decimal exponent| of a number */
/* Most bytes one component takes: a number, or n bytes of string/binary. */
#define STORE_KEYS_NUMBER_MAX      (4 + STORE_KEYS_DIGITS_MAX + 1)
#define STORE_KEYS_BYTES_MAX(n)    (1 + 2 * (size_t)(n) + 2)
/* Most bytes store_keys_next writes for a number's text. */
#define STORE_KEYS_NUMBER_TEXT_MAX 64

/* Appends the string (or binary) s of n bytes to out[*len..cap) and advances
 * *len. -ENOBUFS when it does not fit (out and *len unchanged in meaning). */
int store_keys_put_string(uint8_t *out, size_t cap, size_t *len, const void *s, size_t n);
int store_keys_put_binary(uint8_t *out, size_t cap, size_t *len, const void *b, size_t n);

/* Appends the encoding of a string without its terminator: every string
 * starting with s encodes to bytes starting with this (begins_with ranges,
 * with store_keys_prefix_end). -ENOBUFS. */
int store_keys_put_string_prefix(uint8_t *out, size_t cap, size_t *len, const void *s, size_t n);

/* Appends the number given as decimal text (num, n bytes: [+-]digits[.digits]
 * [e[+-]digits], at least one digit). -EINVAL when it is not a number,
 * -ERANGE with more than STORE_KEYS_DIGITS_MAX significant digits or an
 * exponent beyond STORE_KEYS_EXP_MAX, -ENOBUFS. */
int store_keys_put_number(uint8_t *out, size_t cap, size_t *len, const char *num, size_t n);

/* Decodes the component of key[0..len) at *pos: writes its tag to *type and
 * its value to out[0..cap) (the bytes of a string or binary; a number as
 * canonical decimal text, e.g. "-2.5", "1000", "1.5E-20"), NUL-terminated,
 * its length (without the NUL) to *out_len, and advances *pos. -EINVAL for
 * a malformed key, -ENOBUFS when out is too small. */
int store_keys_next(const uint8_t *key, size_t len, size_t *pos, int *type, char *out, size_t cap,
                    size_t *out_len);

/* Writes to out (cap >= n) the smallest byte string greater than every
 * string that starts with p[0..n), and its length to *out_len: the exclusive
 * end of a prefix range. -ERANGE when there is none (p is empty or all
 * 0xFF: the range is unbounded). */
int store_keys_prefix_end(const uint8_t *p, size_t n, uint8_t *out, size_t *out_len);

#endif
