/* sb-response: the conversation state machine (answers, second factor). A placeholder until issue
 * #3 builds it. */
#include "sb_cli.h"

int main(int argc, char **argv) {
    return sb_cli_not_built(argc, argv, "sb-response",
                            "the conversation state machine (answers, second factor)", 3);
}
