/* Unit tests for sb_signal: the run flag, SIGPIPE ignored, a second signal exits 130. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sb_signal.h"
#include "sb_test.h"

/* The first signal only clears the flag; the process keeps running. */
static void test_first_signal(void) {
    static const int sigs[] = {SIGTERM, SIGINT};
    struct sigaction sa;

    SB_CHECK(sb_running == 1);
    sb_signal_install();
    SB_CHECK(sb_running == 1);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        SB_CHECK(sigaction(sigs[i], NULL, &sa) == 0);
        SB_CHECK_MSG(sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN, "signal %d", sigs[i]);
        sb_running = 1;
        SB_CHECK(raise(sigs[i]) == 0);
        SB_CHECK_MSG(sb_running == 0, "signal %d left sb_running set", sigs[i]);
    }
    sb_running = 1; /* a further signal would now exit the test */
}

/* SIGPIPE is ignored: writing to a closed pipe fails with EPIPE instead. */
static void test_sigpipe(void) {
    struct sigaction sa;
    int fds[2];
    ssize_t n;

    SB_CHECK(sigaction(SIGPIPE, NULL, &sa) == 0);
    SB_CHECK(sa.sa_handler == SIG_IGN);
    SB_CHECK(raise(SIGPIPE) == 0);
    SB_CHECK(sb_running == 1);
    if (pipe(fds) == -1) {
        SB_CHECK_MSG(0, "pipe: %s", strerror(errno));
        return;
    }
    close(fds[0]);
    n = write(fds[1], "x", 1);
    SB_CHECK(n == -1 && errno == EPIPE);
    close(fds[1]);
}

/* In a child: install, raise the signals, then report sb_running as the
 * exit status (0 or 1) when still alive; 130 means the handler exited. */
static void test_second_signal(void) {
    static const struct {
        int sigs[3];
        int status;
    } cases[] = {
        {{0}, 1},
        {{SIGTERM}, 0},
        {{SIGINT}, 0},
        {{SIGTERM, SIGTERM}, 130},
        {{SIGINT, SIGTERM}, 130},
        {{SIGPIPE, SIGTERM}, 0},
        {{SIGTERM, SIGPIPE}, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int status = -1;
        pid_t pid;
        fflush(stderr);
        if ((pid = fork()) == -1) {
            SB_CHECK_MSG(0, "fork: %s", strerror(errno));
            return;
        }
        if (pid == 0) {
            sb_running = 1;
            sb_signal_install();
            for (size_t j = 0; j < 3 && cases[i].sigs[j]; j++)
                raise(cases[i].sigs[j]);
            _exit(sb_running ? 1 : 0);
        }
        SB_CHECK(waitpid(pid, &status, 0) == pid);
        SB_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == cases[i].status,
                     "case %zu: status 0x%x, want exit %d", i, (unsigned)status, cases[i].status);
    }
}

int main(void) {
    test_first_signal();
    test_sigpipe();
    test_second_signal();
    return SB_TEST_DONE();
}
