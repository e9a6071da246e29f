/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_TESTS_UNIT_FIXTURE_H
#define LAMBDAD_TESTS_UNIT_FIXTURE_H

/*
 * What unit tests share instead of copying it: a scratch directory made and
 * removed with everything in it, and the LeakSanitizer suppression for
 * H2O's own leak (tests that run an h2o context put FIXTURE_LSAN_H2O once at
 * file scope).
 */

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* H2O 2.2's h2o_context_dispose never frees the context's multithread queue
 * (one object per context): not a lambdad leak. */
#define FIXTURE_LSAN_H2O                                                                           \
    const char *__lsan_default_suppressions(void);                                                 \
    const char *__lsan_default_suppressions(void)                                                  \
    {                                                                                              \
        return "leak:h2o_multithread_create_queue\n";                                              \
    }

/* Makes a fresh directory /tmp/<prefix>.XXXXXX into dir (cap >= 64).
 * Returns 0 or -1. */
static inline int fixture_tmpdir(char *dir, size_t cap, const char *prefix)
{
    if (snprintf(dir, cap, "/tmp/%s.XXXXXX", prefix) >= (int)cap)
        return -1;
    return mkdtemp(dir) != NULL ? 0 : -1;
}

static inline int fixture_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_D || flag == FTW_DNR) /* make it removable */
        chmod(path, 0700);
    return remove(path);
}

static inline int fixture_make_writable(const char *path, const struct stat *st, int flag,
                                        struct FTW *ftw)
{
    (void)ftw;
    if (flag == FTW_D)
        chmod(path, (st->st_mode & 07777) | 0700);
    return 0;
}

/* Removes dir and everything below it, read-only directories included. */
static inline void fixture_rmtree(const char *dir)
{
    nftw(dir, fixture_make_writable, 16, FTW_PHYS);
    nftw(dir, fixture_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
