/* sb_signal: the run flag and the reload flag. SIGTERM/SIGINT clear the first; a second one exits.
 */
#ifndef SB_SIGNAL_H
#define SB_SIGNAL_H

#include <signal.h>

/* Non-zero while the process should keep running. Global because a signal
 * handler can reach nothing else; with sb_reload and the logger, the only
 * global state. */
extern volatile sig_atomic_t sb_running;

/* Set by SIGHUP once sb_signal_install_reload ran; the worker's own loop
 * clears it and re-reads what it reloads (sb-gateway: the intake tokens
 * file). Global for the same reason as sb_running: the handler may only set
 * a sig_atomic_t, and the loop polls it. */
extern volatile sig_atomic_t sb_reload;

/* Installs the handlers for SIGTERM and SIGINT, ignores SIGPIPE. */
void sb_signal_install(void);

/* SIGHUP sets sb_reload instead of ending the process. Only a worker that
 * reloads something calls it: elsewhere SIGHUP keeps its default action. */
void sb_signal_install_reload(void);

#endif
