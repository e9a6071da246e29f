/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_BASE_LOG_H
#define LAMBDAD_BASE_LOG_H

/*
 * The daemon's own log: one key=value line per event on stderr. The macros
 * check the level before evaluating their arguments. Never log payloads or
 * secrets; function output goes to the function's log stream instead.
 */

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

extern enum log_level log_current_level;

/* Parses "error", "warn", "info" or "debug". Returns 0, or -EINVAL. */
int log_parse_level(const char *s, enum log_level *out);

/* Writes one line; use the macros below instead. Any thread. */
void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_at(lvl, ...)                                                                           \
    do {                                                                                           \
        if ((lvl) <= log_current_level)                                                            \
            log_write((lvl), __VA_ARGS__);                                                         \
    } while (0)
#define log_error(...) log_at(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_at(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_at(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_at(LOG_DEBUG, __VA_ARGS__)

#endif
