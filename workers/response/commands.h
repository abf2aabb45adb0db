/* commands: what an employee can type besides an answer (see commands.c). */
#ifndef SB_RESPONSE_COMMANDS_H
#define SB_RESPONSE_COMMANDS_H

#include "turn.h"

/* Help, status, ignore, test, free text. 0 or -1. */
int sb_commands_run(sb_turn_t *t, const sb_command_t *cmd, const char *text, char *errstr,
                    size_t errstr_size);

#endif
