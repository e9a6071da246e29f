/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_BASE_ALLOC_H
#define LAMBDAD_BASE_ALLOC_H

/*
 * Allocation for small internal objects: these abort on OOM (STYLE.md rule
 * 19), so callers never carry an untested out-of-memory path. A size that
 * input chooses is checked against a limit first and allocated with plain
 * malloc, whose failure becomes an error answer. Any thread.
 */

#include <stddef.h>

/* Each returns new memory (free with free); none returns NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Aborts with file:line when cond is false; always on, for cheap invariants. */
#define ASSERT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond))                                                                               \
            assert_fail(#cond, __FILE__, __LINE__);                                                \
    } while (0)

_Noreturn void assert_fail(const char *cond, const char *file, int line);

#endif
