/* sb_cli: the command line every worker shares (--help, --version, nothing else). */
#include "sb_cli.h"

#include <stdio.h>
#include <string.h>

#ifndef SB_VERSION
#define SB_VERSION "unknown"
#endif

static void usage(FILE *out, const char *name, const char *summary, const sb_cfg_entry_t *cfg,
                  size_t ncfg) {
    fprintf(out, "Usage: %s [--help] [--version]\n", name);
    if (summary && *summary)
        fprintf(out, "\n%s\n", summary);
    if (ncfg > 0) {
        fputc('\n', out);
        sb_config_help(out, cfg, ncfg);
    }
    fflush(out);
}

int sb_cli_standard(int argc, char **argv, const char *name, const char *summary,
                    const sb_cfg_entry_t *cfg, size_t ncfg) {
    for (int i = 1; i < argc && argv[i]; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout, name, summary, cfg, ncfg);
            return 1;
        }
        if (strcmp(a, "--version") == 0) {
            printf("%s %s\n", name, SB_VERSION);
            fflush(stdout);
            return 1;
        }
        fprintf(stderr,
                "%s: unknown argument '%s' (configuration comes from the environment)\n"
                "Try '%s --help' for more information.\n",
                name, a, name);
        return -1;
    }
    return 0;
}
