/* sb-escalation: escalates denied and unanswered alerts to the security team. Not built yet: this
 * binary is a placeholder that says so (issue #4 builds it). */
#include <stdio.h>

#include "sb_cli.h"

#define WORKER "sb-escalation"

int main(int argc, char **argv) {
    int cli = sb_cli_standard(argc, argv, WORKER,
                              "sb-escalation: escalates denied and unanswered alerts to the "
                              "security team. NOT IMPLEMENTED YET: "
                              "this stage arrives with issue #4.",
                              NULL, 0);
    if (cli != 0)
        return cli > 0 ? 0 : 2;
    fprintf(stderr, "%s: not implemented yet (issue #4); nothing to run\n", WORKER);
    return 3;
}
