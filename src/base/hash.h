/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_BASE_HASH_H
#define LAMBDAD_BASE_HASH_H

/*
 * The one string hash for lambdad's in-memory tables: 32-bit FNV-1a. Not
 * for anything an attacker could exploit beyond a slower bucket.
 */

#include <stddef.h>
#include <stdint.h>

/* FNV-1a of len bytes at p. */
static inline uint32_t hash_bytes(const void *p, size_t len)
{
    const unsigned char *b = p;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

/* FNV-1a of the NUL-terminated string s. */
static inline uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

#endif
