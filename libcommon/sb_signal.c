/* sb_signal: the run and reload flags; handlers only set flags (a second stop signal exits). */
#include "sb_signal.h"

#include <string.h>
#include <unistd.h>

volatile sig_atomic_t sb_running = 1;
volatile sig_atomic_t sb_reload = 0;

static void sb_signal_handler(int sig) {
    (void)sig;
    if (!sb_running)
        _exit(130); /* second signal: the operator wants out now */
    sb_running = 0;
}

static void sb_reload_handler(int sig) {
    (void)sig;
    sb_reload = 1;
}

void sb_signal_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = sb_signal_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

void sb_signal_install_reload(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = sb_reload_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, NULL);
}
