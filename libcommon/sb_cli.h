/* sb_cli: the command line every worker shares (--help, --version, nothing else). */
#ifndef SB_CLI_H
#define SB_CLI_H

#include <stddef.h>

#include "sb_config.h"

/* Handles argv for a binary configured only through the environment.
 * --help/-h prints usage, `summary` and the Environment section of `cfg`
 * to stdout; --version prints "NAME SB_VERSION". Arguments are taken left
 * to right and the first one decides.
 * Returns 1 when something was printed (the caller exits 0), -1 after an
 * error on stderr for an unknown argument (the caller exits 2), or 0 when
 * there are no arguments and the binary should run. */
int sb_cli_standard(int argc, char **argv, const char *name, const char *summary,
                    const sb_cfg_entry_t *cfg, size_t ncfg);

#endif
