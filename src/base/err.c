/* SPDX-License-Identifier: MIT */
/*
 * Lookups in the error table of err.def. One table drives logging (err_name,
 * err_str) and the AWS-shaped error responses (status, type, message key), so
 * an error code means the same thing everywhere.
 */
#include "err.h"

#include <errno.h>
#include <string.h>

struct err_row {
    int code;
    int status;
    const char *name;
    const char *type;
    const char *key;
    const char *text;
};

static const struct err_row rows[] = {
#define ERR(name, value, status, type, key, text) {value, status, #name, type, key, text},
#include "err.def"
#undef ERR
};

static const struct err_row *find(int code)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (rows[i].code == code)
            return &rows[i];
    return NULL;
}

const char *err_name(int code)
{
    const struct err_row *r = find(code);
    if (r != NULL)
        return r->name;
    if (code < 0 && code > -4096) {
        const char *n = strerrorname_np(-code);
        if (n != NULL)
            return n;
    }
    return "EUNKNOWN";
}

const char *err_str(int code)
{
    const struct err_row *r = find(code);
    if (r != NULL)
        return r->text;
    if (code < 0 && code > -4096) {
        const char *d = strerrordesc_np(-code);
        if (d != NULL)
            return d;
    }
    return "unknown error";
}

int err_http_status(int code)
{
    const struct err_row *r = find(code);
    return r != NULL ? r->status : 500;
}

const char *err_aws_type(int code)
{
    const struct err_row *r = find(code);
    return r != NULL ? r->type : "ServiceException";
}

const char *err_msg_key(int code)
{
    const struct err_row *r = find(code);
    return r != NULL ? r->key : "Message";
}
