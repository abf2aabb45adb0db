/* sb_signal: the run flag. SIGTERM/SIGINT clear it; a second one exits at once. */
#ifndef SB_SIGNAL_H
#define SB_SIGNAL_H

#include <signal.h>

/* Non-zero while the process should keep running. The only global
 * besides the logger. */
extern volatile sig_atomic_t sb_running;

/* Installs the handlers for SIGTERM and SIGINT, ignores SIGPIPE. */
void sb_signal_install(void);

#endif
