/* sb-escalation: escalates denied and unanswered alerts to the security team. A placeholder until
 * issue #4 builds it. */
#include "sb_cli.h"

int main(int argc, char **argv) {
    return sb_cli_not_built(argc, argv, "sb-escalation",
                            "escalates denied and unanswered alerts to the security team", 4);
}
