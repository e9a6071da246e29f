/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_CWLOGS_PATTERN_H
#define LAMBDAD_CWLOGS_PATTERN_H

/*
 * The subset of CloudWatch Logs filter patterns lambdad understands: terms
 * separated by spaces, each a bare word or a "quoted phrase". A plain term
 * must appear in the message; a term written ?term makes the pattern match
 * when any ?term appears; a term written -term must not appear. Matching is
 * case-sensitive and by substring. An empty pattern matches every message.
 * JSON ({ ... }) and space-delimited ([ ... ]) patterns are refused.
 */

#include <stdbool.h>
#include <stddef.h>

struct pattern;

/* Parses text (len bytes, need not be NUL-terminated). Returns 0 and a new
 * pattern in *out (free with pattern_free), or -EINVAL for a pattern outside
 * the subset (unbalanced quotes, JSON or space-delimited patterns), or
 * -ENOMEM. Any thread. */
int pattern_parse(const char *text, size_t len, struct pattern **out);

/* True if msg (len bytes) matches p. Any thread; p is not modified. */
bool pattern_match(const struct pattern *p, const char *msg, size_t len);

void pattern_free(struct pattern *p);

#endif
