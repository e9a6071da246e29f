/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_AWS_VALIDATE_H
#define LAMBDAD_AWS_VALIDATE_H

/*
 * The one validator of JSON request members, for every AWS JSON protocol
 * lambdad serves. Constraint violations are gathered the way AWS reports
 * them ("2 validation errors detected: Value '0' at 'timeout' failed to
 * satisfy constraint: ...; Value ... "), while the first error of another
 * kind (a member of the wrong JSON type, a semantic error) wins over them
 * when it is a type error, or comes after them otherwise. Pure: any thread.
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

struct verr {
    int count; /* constraint violations gathered */
    size_t len;
    char text[1536];
    int semantic; /* first non-validation error code, or 0 */
    char sem_msg[1024];
    int type_code;           /* the code of a wrong-type member (the protocol's) */
    const char *type_prefix; /* the text before "<member> must be a string" */
};

/* Starts an empty record. A member of the wrong JSON type is reported as
 * error type_code with type_prefix + "<key> must be a <type>" (REST-JSON
 * Lambda: ERR_INVALID_CONTENT, "Could not parse request body into json: ";
 * JSON 1.1 services: their SerializationException text). */
void verr_init(struct verr *v, int type_code, const char *type_prefix);

/* Adds a constraint violation ("Value 'x' at 'field' failed to satisfy
 * constraint: Member must ..."). */
void verr_add(struct verr *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records an error of another kind with its code; only the first is kept. */
void verr_fail(struct verr *v, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* True if nothing was recorded. */
bool verr_ok(const struct verr *v);

/* The outcome: 0, a wrong-type member's code, ERR_VALIDATION with the
 * gathered text, or the other error's code; its message into msg. */
int verr_finish(const struct verr *v, char *msg, size_t cap);

/* body[key], or NULL when absent or JSON null (borrowed). */
const cJSON *verr_member(const cJSON *body, const char *key);

/* body[key] as a string (borrowed), NULL when absent or of another type
 * (recorded). */
const char *verr_string(const cJSON *body, const char *key, struct verr *v);

/* body[key] as an integer into *out; false when absent or not an integer
 * (recorded). */
bool verr_int(const cJSON *body, const char *key, long long *out, struct verr *v);

/* body[key] as a boolean into *out; false when absent or not a boolean (recorded). */
bool verr_bool(const cJSON *body, const char *key, bool *out, struct verr *v);

/* body[key] if it is an object, NULL when absent or of another type (recorded). */
const cJSON *verr_object(const cJSON *body, const char *key, struct verr *v);

/* body[key] if it is an array, NULL when absent or of another type (recorded). */
const cJSON *verr_array(const cJSON *body, const char *key, struct verr *v);

/* Adds "Member must have value greater/less than or equal to" for x
 * outside [lo, hi], named field. */
void verr_range(struct verr *v, const char *field, long long x, long long lo, long long hi);

/* Adds "Value null at 'field' failed to satisfy constraint: Member must not
 * be null". */
void verr_required(struct verr *v, const char *field);

#endif
