/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_HTTP_FORM_H
#define LAMBDAD_HTTP_FORM_H

#include <stddef.h>

/* The value of the first parameter called name in the urlencoded text p (len
 * bytes, not NUL-terminated), percent-decoded ('+' is a space) into buf;
 * returns its length, or -1 if absent, badly escaped, holding a NUL byte or
 * longer than cap - 1. A parameter without '=' has the empty value. */
int http_form_param(const char *p, size_t len, const char *name, char *buf, size_t cap);

#endif
