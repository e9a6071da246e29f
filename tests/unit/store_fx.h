/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_TESTS_UNIT_STORE_FX_H
#define LAMBDAD_TESTS_UNIT_STORE_FX_H

/*
 * The shared fixture of the store's unit tests: a scratch directory whose
 * lambdad.db each test opens (include after cmocka.h). STORE_FX_PREFIX names
 * the directory ("/tmp/<prefix>.XXXXXX").
 */

#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"
#include "store/store.h"

struct fx {
    char dir[64];  /* mkdtemp directory */
    char db[128];  /* dir/lambdad.db */
    char url[160]; /* "sqlite:" db */
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    if (fixture_tmpdir(f->dir, sizeof(f->dir), STORE_FX_PREFIX) != 0) {
        free(f);
        return -1;
    }
    snprintf(f->db, sizeof(f->db), "%s/lambdad.db", f->dir);
    snprintf(f->url, sizeof(f->url), "sqlite:%s", f->db);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    fixture_rmtree(f->dir);
    free(f);
    return 0;
}

/* Opens the fixture's store; fails the test if it cannot. */
static struct store *open_ok(const struct fx *f)
{
    int err = 0;
    struct store *st = store_open(f->url, NULL, &err);
    if (st == NULL)
        fail_msg("store_open(%s) failed: %d", f->url, err);
    assert_string_equal(store_backend(st), "sqlite");
    return st;
}

#endif
