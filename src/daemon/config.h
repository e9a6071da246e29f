/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_DAEMON_CONFIG_H
#define LAMBDAD_DAEMON_CONFIG_H

/*
 * The daemon's settings, from options.def: command-line flags, LAMBDAD_*
 * environment variables, defaults. Immutable once parsed.
 */

struct config {
#define STR                                               char *
#define INT                                               long
#define OPT(field, flag, env, type, dflt, min, max, help) type field;
#include "options.def"
#undef OPT
#undef STR
#undef INT
};

/* Parses argv and the environment into cfg. Returns 0, 1 for --help (usage
 * printed), or -EINVAL with a message on stderr. Whatever it returns, cfg
 * holds allocated strings afterwards: release them with config_fini. */
int config_parse(struct config *cfg, int argc, char **argv);

void config_fini(struct config *cfg);

#endif
