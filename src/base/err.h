/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_BASE_ERR_H
#define LAMBDAD_BASE_ERR_H

/*
 * Error codes. Fallible functions return 0 or a negative value: -errno for a
 * failed system call, or one of the ERR_* codes below (all <= -1000).
 */
enum err_code {
#define ERR(name, value, status, type, key, text) name = (value),
#include "err.def"
#undef ERR
};

/* Returns the symbolic name of code ("ERR_NOT_FOUND", "ENOENT"); never NULL. */
const char *err_name(int code);

/* Returns a static human-readable text for code (strerror for -errno); never NULL. */
const char *err_str(int code);

/* Returns the HTTP status an AWS client should see for code (500 for -errno). */
int err_http_status(int code);

/* Returns the AWS error type for code ("ServiceException" for -errno); never NULL. */
const char *err_aws_type(int code);

/* Returns the JSON key AWS puts the message under ("message" or "Message"). */
const char *err_msg_key(int code);

#endif
