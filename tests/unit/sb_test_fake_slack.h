/* sb_test_fake_slack: starts and stops tests/fakes/fake_slack.py (and the
 * other fakes) for the unit tests that talk to them over loopback. */
#ifndef SB_TEST_FAKE_SLACK_H
#define SB_TEST_FAKE_SLACK_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "sb_curl.h"
#include "sb_test.h"

/* Starts tests/fakes/<script> (fake_slack.py, fake_mattermost.py) with
 * `token` on an ephemeral port; writes "http://127.0.0.1:<port>" into
 * base. The script is found through $SB_SOURCE_DIR (set by ctest), else
 * next to caller_file (the test's __FILE__). Returns the child's pid, or
 * -1. */
static pid_t sb_fake_start(const char *script, const char *token, const char *caller_file,
                           char *base, size_t base_size) {
    char path[1024], line[64];
    int pfd[2], port = 0;
    const char *src = getenv("SB_SOURCE_DIR");
    pid_t pid;
    FILE *f;

    if (src && *src) {
        snprintf(path, sizeof(path), "%s/tests/fakes/%s", src, script);
    } else { /* run by hand: tests/unit/<test> -> ../fakes/fake_slack.py */
        const char *slash = strrchr(caller_file, '/');
        int dirlen = slash ? (int)(slash - caller_file) : 1;
        snprintf(path, sizeof(path), "%.*s/../fakes/%s", dirlen, slash ? caller_file : ".", script);
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
        fprintf(stderr, "%s did not start (%s)\n", script, path);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return -1;
    }
    snprintf(base, base_size, "http://127.0.0.1:%d", port);
    return pid;
}

__attribute__((unused)) static pid_t sb_fake_slack_start(const char *token, const char *caller_file,
                                                         char *base, size_t base_size) {
    return sb_fake_start("fake_slack.py", token, caller_file, base, base_size);
}

static void sb_fake_slack_stop(pid_t pid) {
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
}

/* POSTs JSON to the fake's control API (no auth), e.g. "config", "fail". */
static void sb_fake_slack_post(sb_curl_t *c, const char *base, const char *what, const char *json) {
    char url[256], err[512];
    sb_curl_resp_t resp;
    snprintf(url, sizeof(url), "%s/_fake/%s", base, what);
    sb_curl_req_t req = {"POST", url, NULL, "application/json", json, strlen(json), 3000,
                         1,      0,   NULL};
    int rc = sb_curl_request(c, &req, &resp, err, sizeof(err));
    SB_CHECK_MSG(rc == 0 && resp.status == 200, "control %s: %s", what, err);
    sb_curl_resp_clear(&resp);
}

/* GETs a control resource ("calls", "messages", "violations") as JSON,
 * owned by the caller, or NULL. */
static cJSON *sb_fake_slack_get(sb_curl_t *c, const char *base, const char *what) {
    char url[256], err[512];
    sb_curl_resp_t resp;
    snprintf(url, sizeof(url), "%s/_fake/%s", base, what);
    sb_curl_req_t req = {"GET", url, NULL, NULL, NULL, 0, 3000, 1, 0, NULL};
    cJSON *j = NULL;
    if (sb_curl_request(c, &req, &resp, err, sizeof(err)) == 0)
        j = cJSON_Parse(resp.body);
    SB_CHECK_MSG(j != NULL, "control %s: %s", what, err);
    sb_curl_resp_clear(&resp);
    return j;
}

/* How many requests the fake refused as the real Slack would; -1 on error. */
__attribute__((unused)) static int sb_fake_slack_violations(sb_curl_t *c, const char *base) {
    cJSON *j = sb_fake_slack_get(c, base, "violations");
    cJSON *n = j ? cJSON_GetObjectItem(j, "count") : NULL;
    int count = cJSON_IsNumber(n) ? n->valueint : -1;
    cJSON_Delete(j);
    return count;
}

#endif
