/* SPDX-License-Identifier: MIT */
/*
 * Configuration from the options table: each option is read from its flag
 * (--name VALUE or --name=VALUE), else its environment variable, else its
 * default; integers are range-checked. This is the only module that reads
 * the environment.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum opt_type { OT_STR, OT_INT };

struct opt {
    const char *flag;
    const char *env;
    enum opt_type type;
    const char *dflt;
    long min, max;
    const char *help;
    size_t offset;
};

static const struct opt opts[] = {
#define OPT(field, flag, env, type, dflt, min, max, help)                                          \
    {flag, env, OT_##type, dflt, min, max, help, offsetof(struct config, field)},
#include "options.def"
#undef OPT
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static void usage(void)
{
    fprintf(stderr, "usage: lambdad [options]\n\n");
    for (size_t i = 0; i < NOPTS; i++)
        fprintf(stderr, "  %-16s %-22s %s (default: %s)\n", opts[i].flag, opts[i].env, opts[i].help,
                opts[i].dflt[0] ? opts[i].dflt : "-");
}

static int set(struct config *cfg, const struct opt *o, const char *v)
{
    char *base = (char *)cfg + o->offset;
    if (o->type == OT_STR) {
        char **slot = (char **)(void *)base;
        free(*slot);
        *slot = strdup(v);
        if (*slot == NULL)
            return -ENOMEM;
        return 0;
    }
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || x < o->min || x > o->max) {
        fprintf(stderr, "lambdad: %s must be an integer from %ld to %ld (got '%s')\n", o->flag,
                o->min, o->max, v);
        return -EINVAL;
    }
    *(long *)(void *)base = x;
    return 0;
}

int config_parse(struct config *cfg, int argc, char **argv)
{
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < NOPTS; i++) {
        const char *env = getenv(opts[i].env);
        int rc = set(cfg, &opts[i], env != NULL ? env : opts[i].dflt);
        if (rc != 0)
            return rc;
    }
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
            usage();
            return 1;
        }
        const struct opt *o = NULL;
        const char *val = NULL;
        for (size_t i = 0; i < NOPTS && o == NULL; i++) {
            size_t fl = strlen(opts[i].flag);
            if (strncmp(argv[a], opts[i].flag, fl) == 0) {
                if (argv[a][fl] == '=') {
                    o = &opts[i];
                    val = argv[a] + fl + 1;
                } else if (argv[a][fl] == '\0' && a + 1 < argc) {
                    o = &opts[i];
                    val = argv[++a];
                }
            }
        }
        if (o == NULL) {
            fprintf(stderr, "lambdad: unknown or incomplete option '%s'\n\n", argv[a]);
            usage();
            return -EINVAL;
        }
        int rc = set(cfg, o, val);
        if (rc != 0)
            return rc;
    }
    return 0;
}

void config_fini(struct config *cfg)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (opts[i].type == OT_STR)
            free(*(char **)(void *)((char *)cfg + opts[i].offset));
}
