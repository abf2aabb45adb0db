/* sb-prompt: sends chat prompts to employees. Not built yet: this binary is a placeholder that says
 * so (issue #3 builds it). */
#include <stdio.h>

#include "sb_cli.h"

#define WORKER "sb-prompt"

int main(int argc, char **argv) {
    int cli = sb_cli_standard(argc, argv, WORKER,
                              "sb-prompt: sends chat prompts to employees. NOT IMPLEMENTED YET: "
                              "this stage arrives with issue #3.",
                              NULL, 0);
    if (cli != 0)
        return cli > 0 ? 0 : 2;
    fprintf(stderr, "%s: not implemented yet (issue #3); nothing to run\n", WORKER);
    return 3;
}
