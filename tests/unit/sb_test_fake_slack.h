/* sb_test_fake_slack: starts and stops tests/fakes/fake_slack.py for the
 * unit tests that talk to the fake Slack Web API over loopback. */
#ifndef SB_TEST_FAKE_SLACK_H
#define SB_TEST_FAKE_SLACK_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Starts the fake with `token` on an ephemeral port; writes
 * "http://127.0.0.1:<port>" into base. The script is found through
 * $SB_SOURCE_DIR (set by ctest), else next to caller_file (the test's
 * __FILE__). Returns the child's pid, or -1. */
static pid_t sb_fake_slack_start(const char *token, const char *caller_file, char *base,
                                 size_t base_size) {
    char path[1024], line[64];
    int pfd[2], port = 0;
    const char *src = getenv("SB_SOURCE_DIR");
    pid_t pid;
    FILE *f;

    if (src && *src) {
        snprintf(path, sizeof(path), "%s/tests/fakes/fake_slack.py", src);
    } else { /* run by hand: tests/unit/<test> -> ../fakes/fake_slack.py */
        const char *slash = strrchr(caller_file, '/');
        int dirlen = slash ? (int)(slash - caller_file) : 1;
        snprintf(path, sizeof(path), "%.*s/../fakes/fake_slack.py", dirlen,
                 slash ? caller_file : ".");
    }
    if (pipe(pfd) == -1)
        return -1;
    if ((pid = fork()) == -1)
        return -1;
    if (pid == 0) {
        dup2(pfd[1], STDOUT_FILENO);
        close(pfd[0]);
        close(pfd[1]);
        execlp("python3", "python3", path, "--port", "0", "--token", token, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    /* the fake's first line is "PORT <n>" */
    if ((f = fdopen(pfd[0], "r"))) {
        if (fgets(line, sizeof(line), f))
            sscanf(line, "PORT %d", &port);
        fclose(f);
    } else {
        close(pfd[0]);
    }
    if (port <= 0) {
        fprintf(stderr, "fake_slack did not start (%s)\n", path);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return -1;
    }
    snprintf(base, base_size, "http://127.0.0.1:%d", port);
    return pid;
}

static void sb_fake_slack_stop(pid_t pid) {
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
}

#endif
