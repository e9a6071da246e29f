/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_CATALOG_RUNTIMES_H
#define LAMBDAD_CATALOG_RUNTIMES_H

#include <stdbool.h>

/*
 * AWS runtime identifiers and how lambdad runs them on this host: managed
 * runtimes through a bootstrap in runtimes/<family>/ on the host's
 * interpreter, provided* through the package's own bootstrap.
 */

enum runtime_family { RT_PROVIDED, RT_PYTHON, RT_NODEJS };

struct runtime_info {
    const char *id; /* "python3.12" */
    enum runtime_family family;
};

/* The runtime lambdad supports under id, or NULL. */
const struct runtime_info *runtime_find(const char *id);

/* True if id is in AWS's Runtime enum (supported here or not). */
bool runtime_known(const char *id);

/* A comma-separated list of the supported identifiers, for error texts. */
const char *runtime_supported_list(void);

/* AWS's whole Runtime enum as "[a, b, ...]", for ValidationException texts. */
const char *runtime_enum_list(void);

#endif
