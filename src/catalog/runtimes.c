/* SPDX-License-Identifier: MIT */
/*
 * The runtime tables. Python runtimes run on the host's python3 and Node.js
 * runtimes on the host's node whatever minor version they name; the
 * identifier still reaches the function as AWS_EXECUTION_ENV. The lists for
 * error texts are built once, on the loop thread.
 */
#include "runtimes.h"

#include <stdio.h>
#include <string.h>

static const struct runtime_info supported[] = {
    {"provided", RT_PROVIDED}, {"provided.al2", RT_PROVIDED}, {"provided.al2023", RT_PROVIDED},
    {"python3.8", RT_PYTHON},  {"python3.9", RT_PYTHON},      {"python3.10", RT_PYTHON},
    {"python3.11", RT_PYTHON}, {"python3.12", RT_PYTHON},     {"python3.13", RT_PYTHON},
    {"nodejs12.x", RT_NODEJS}, {"nodejs14.x", RT_NODEJS},     {"nodejs16.x", RT_NODEJS},
    {"nodejs18.x", RT_NODEJS}, {"nodejs20.x", RT_NODEJS},     {"nodejs22.x", RT_NODEJS},
};

/* AWS's Runtime enum (botocore 1.29 plus the later additions). */
static const char *const known[] = {
    "nodejs",         "nodejs4.3",     "nodejs6.10", "nodejs8.10",    "nodejs10.x",
    "nodejs12.x",     "nodejs14.x",    "nodejs16.x", "nodejs18.x",    "nodejs20.x",
    "nodejs22.x",     "nodejs24.x",    "java8",      "java8.al2",     "java11",
    "java17",         "java21",        "java25",     "python2.7",     "python3.6",
    "python3.7",      "python3.8",     "python3.9",  "python3.10",    "python3.11",
    "python3.12",     "python3.13",    "python3.14", "dotnetcore1.0", "dotnetcore2.0",
    "dotnetcore2.1",  "dotnetcore3.1", "dotnet6",    "dotnet8",       "dotnet10",
    "nodejs4.3-edge", "go1.x",         "ruby2.5",    "ruby2.7",       "ruby3.2",
    "ruby3.3",        "ruby3.4",       "provided",   "provided.al2",  "provided.al2023",
};

const struct runtime_info *runtime_find(const char *id)
{
    for (size_t i = 0; i < sizeof(supported) / sizeof(supported[0]); i++)
        if (strcmp(supported[i].id, id) == 0)
            return &supported[i];
    return NULL;
}

bool runtime_known(const char *id)
{
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcmp(known[i], id) == 0)
            return true;
    return false;
}

static void join(char *buf, size_t cap, const char *open, const char *close, size_t n,
                 const char *(*at)(size_t))
{
    size_t o = (size_t)snprintf(buf, cap, "%s", open);
    for (size_t i = 0; i < n && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", at(i));
    if (o < cap)
        snprintf(buf + o, cap - o, "%s", close);
}

static const char *supported_at(size_t i)
{
    return supported[i].id;
}

static const char *known_at(size_t i)
{
    return known[i];
}

const char *runtime_supported_list(void)
{
    static char buf[512];
    if (buf[0] == '\0')
        join(buf, sizeof(buf), "", "", sizeof(supported) / sizeof(supported[0]), supported_at);
    return buf;
}

const char *runtime_enum_list(void)
{
    static char buf[1024];
    if (buf[0] == '\0')
        join(buf, sizeof(buf), "[", "]", sizeof(known) / sizeof(known[0]), known_at);
    return buf;
}
