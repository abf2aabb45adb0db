/* Unit tests for sb_duo: Duo's answers read, and signed calls to tests/fakes/fake_duo.py. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sb_duo.h"
#include "sb_test.h"

#define IKEY "DIFAKEFAKEFAKEFAKE01"
#define SKEY "fakefakefakefakefakefakefakefakefakefake"
#define HOST "api-fake.duosecurity.com"

/* ---- the readers, on Duo's documented answers ---------------------------- */

typedef struct {
    long status;
    const char *body;
    sb_duo_result_t want;
    const char *err; /* part of errstr, or NULL */
} read_case_t;

static const read_case_t read_cases[] = {
    {200, "{\"stat\":\"OK\",\"response\":{\"txid\":\"x\"}}", SB_DUO_ANSWERED, NULL},
    {401,
     "{\"stat\":\"FAIL\",\"code\":40103,\"message\":\"Invalid signature in request credentials\"}",
     SB_DUO_REFUSED, "code 40103"},
    {400,
     "{\"stat\":\"FAIL\",\"code\":40002,\"message\":\"Invalid request parameters\","
     "\"message_detail\":\"username\"}",
     SB_DUO_REFUSED, "Invalid request parameters: username"},
    {429, "{\"stat\":\"FAIL\",\"code\":42901,\"message\":\"Too Many Requests\"}",
     SB_DUO_UNAVAILABLE, "429"},
    {500, "", SB_DUO_UNAVAILABLE, "500"},
    {503, "<html>busy</html>", SB_DUO_UNAVAILABLE, "503"},
    {200, "{\"stat\":\"OK\"}", SB_DUO_UNAVAILABLE, "not an envelope"},
    {200, "{\"stat\":\"OK\",\"response\":[]}", SB_DUO_UNAVAILABLE, NULL},
    {200, "not json", SB_DUO_UNAVAILABLE, NULL},
    {200, "{\"stat\":\"FAIL\",\"code\":50000,\"message\":\"x\"}", SB_DUO_UNAVAILABLE, NULL},
    {302, "", SB_DUO_UNAVAILABLE, NULL},
};

static void test_read(void) {
    for (size_t i = 0; i < sizeof(read_cases) / sizeof(read_cases[0]); i++) {
        const read_case_t *c = &read_cases[i];
        char err[256] = "";
        cJSON *resp = (cJSON *)1;
        sb_duo_result_t got =
            sb_duo_read(c->status, c->body, strlen(c->body), &resp, err, sizeof(err));
        SB_CHECK_MSG(got == c->want, "case %zu: %d", i, (int)got);
        SB_CHECK_MSG((got == SB_DUO_ANSWERED) == (resp != NULL), "case %zu: response", i);
        SB_CHECK_MSG(!c->err || strstr(err, c->err), "case %zu: %s", i, err);
        cJSON_Delete(resp);
    }
}

typedef struct {
    const char *json;
    int ok;
    int want;
} parse_case_t;

static const parse_case_t preauth_cases[] = {
    {"{\"result\":\"auth\",\"status_msg\":\"Account is active\",\"devices\":[{\"device\":\"D1\","
     "\"capabilities\":[\"auto\",\"push\",\"sms\"]}]}",
     0, SB_DUO_PREAUTH_PUSH},
    {"{\"result\":\"auth\",\"devices\":[{\"device\":\"D1\",\"capabilities\":[\"sms\",\"phone\"]},"
     "{\"device\":\"D2\",\"capabilities\":[\"push\"]}]}",
     0, SB_DUO_PREAUTH_PUSH},
    {"{\"result\":\"auth\",\"devices\":[{\"device\":\"D1\",\"capabilities\":[\"mobile_otp\"]}]}", 0,
     SB_DUO_PREAUTH_NO_PUSH},
    {"{\"result\":\"auth\"}", 0, SB_DUO_PREAUTH_NO_PUSH},
    {"{\"result\":\"auth\",\"devices\":{\"capabilities\":[\"push\"]}}", 0, SB_DUO_PREAUTH_NO_PUSH},
    {"{\"result\":\"allow\",\"status_msg\":\"Account is in bypass mode\"}", 0,
     SB_DUO_PREAUTH_ALLOW},
    {"{\"result\":\"deny\",\"status_msg\":\"Account is disabled\"}", 0, SB_DUO_PREAUTH_DENY},
    {"{\"result\":\"enroll\",\"enroll_portal_url\":\"https://x\"}", 0, SB_DUO_PREAUTH_ENROLL},
    {"{\"result\":\"maybe\"}", -1, 0},
    {"{\"result\":1}", -1, 0},
    {"{}", -1, 0},
};

static const parse_case_t status_cases[] = {
    {"{\"result\":\"waiting\",\"status\":\"pushed\",\"status_msg\":\"Pushed a login request.\"}", 0,
     SB_DUO_WAITING},
    {"{\"result\":\"allow\",\"status\":\"allow\"}", 0, SB_DUO_ALLOW},
    {"{\"result\":\"allow\",\"status\":\"bypass\"}", 0, SB_DUO_ALLOW},
    {"{\"result\":\"deny\",\"status\":\"deny\"}", 0, SB_DUO_DENY},
    {"{\"result\":\"deny\",\"status\":\"fraud\"}", 0, SB_DUO_FRAUD},
    {"{\"result\":\"deny\",\"status\":\"timeout\"}", 0, SB_DUO_TIMEOUT},
    {"{\"result\":\"deny\",\"status\":\"locked_out\"}", 0, SB_DUO_DENY},
    {"{\"result\":\"deny\"}", 0, SB_DUO_DENY},
    {"{\"result\":\"fraud\"}", -1, 0},
    {"{\"status\":\"allow\"}", -1, 0},
};

static void test_parsers(void) {
    char msg[SB_DUO_MSG_SIZE], txid[SB_DUO_TXID_SIZE];
    for (size_t i = 0; i < sizeof(preauth_cases) / sizeof(preauth_cases[0]); i++) {
        cJSON *j = cJSON_Parse(preauth_cases[i].json);
        sb_duo_preauth_t got = (sb_duo_preauth_t)99;
        int rc = sb_duo_read_preauth(j, &got, msg);
        SB_CHECK_MSG(rc == preauth_cases[i].ok, "preauth %zu: rc %d", i, rc);
        SB_CHECK_MSG(rc || (int)got == preauth_cases[i].want, "preauth %zu: %d", i, (int)got);
        cJSON_Delete(j);
    }
    for (size_t i = 0; i < sizeof(status_cases) / sizeof(status_cases[0]); i++) {
        cJSON *j = cJSON_Parse(status_cases[i].json);
        sb_duo_status_t got = (sb_duo_status_t)99;
        int rc = sb_duo_read_status(j, &got, msg);
        SB_CHECK_MSG(rc == status_cases[i].ok, "status %zu: rc %d", i, rc);
        SB_CHECK_MSG(rc || (int)got == status_cases[i].want, "status %zu: %d", i, (int)got);
        cJSON_Delete(j);
    }
    {
        cJSON *j = cJSON_Parse("{\"result\":\"waiting\",\"status_msg\":\"Pushed.\"}");
        sb_duo_status_t got;
        SB_CHECK(sb_duo_read_status(j, &got, msg) == 0);
        SB_CHECK_STR(msg, "Pushed.");
        cJSON_Delete(j);
    }
    const char *txids[][2] = {{"{\"txid\":\"45f7c92b-f45f-4862-8545-e0f58e78075a\"}", "ok"},
                              {"{\"txid\":\"\"}", NULL},
                              {"{\"txid\":\"a b\"}", NULL},
                              {"{\"txid\":7}", NULL},
                              {"{}", NULL}};
    for (size_t i = 0; i < sizeof(txids) / sizeof(txids[0]); i++) {
        cJSON *j = cJSON_Parse(txids[i][0]);
        SB_CHECK_MSG((sb_duo_read_txid(j, txid) == 0) == (txids[i][1] != NULL), "txid %zu", i);
        cJSON_Delete(j);
    }
}

/* ---- signed calls against the fake -------------------------------------- */

static pid_t fake_start(char *base, size_t base_size) {
    char path[1024], line[64];
    const char *src = getenv("SB_SOURCE_DIR");
    int pfd[2], port = 0;
    pid_t pid;
    FILE *f;

    if (src && *src)
        snprintf(path, sizeof(path), "%s/tests/fakes/fake_duo.py", src);
    else
        snprintf(path, sizeof(path), "%s", "tests/fakes/fake_duo.py");
    if (pipe(pfd) == -1 || (pid = fork()) == -1)
        return -1;
    if (pid == 0) {
        dup2(pfd[1], STDOUT_FILENO);
        close(pfd[0]);
        close(pfd[1]);
        execlp("python3", "python3", path, "--port", "0", "--host", HOST, "--ikey", IKEY, "--skey",
               SKEY, "--longpoll", "0.2", (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    if ((f = fdopen(pfd[0], "r"))) {
        if (fgets(line, sizeof(line), f))
            sscanf(line, "PORT %d", &port);
        fclose(f);
    }
    if (port <= 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return -1;
    }
    snprintf(base, base_size, "http://127.0.0.1:%d", port);
    return pid;
}

/* A control call to the fake: POST json to /_fake/what (or GET when NULL). */
static cJSON *control(sb_curl_t *c, const char *base, const char *what, const char *json) {
    char url[256], err[256];
    sb_curl_resp_t resp;
    snprintf(url, sizeof(url), "%s/_fake/%s", base, what);
    sb_curl_req_t req = {.method = json ? "POST" : "GET",
                         .url = url,
                         .content_type = "application/json",
                         .body = json,
                         .body_len = json ? strlen(json) : 0};
    cJSON *j = NULL;
    if (sb_curl_request(c, &req, &resp, err, sizeof(err)) == 0)
        j = cJSON_Parse(resp.body);
    sb_curl_resp_clear(&resp);
    return j;
}

static sb_duo_result_t call(sb_curl_t *c, const sb_duo_config_t *cfg, const char *method,
                            const char *path, const sb_duo_param_t *p, size_t n, cJSON **resp,
                            char *err) {
    return sb_duo_call(c, cfg, method, path, p, n, time(NULL), resp, err, 256);
}

static void test_against_fake(void) {
    char base[64], err[256], msg[SB_DUO_MSG_SIZE], txid[SB_DUO_TXID_SIZE];
    pid_t pid = fake_start(base, sizeof(base));
    sb_curl_t *c = sb_curl_new(err, sizeof(err));
    sb_duo_config_t cfg = {HOST, base, IKEY, SKEY, 5000};
    sb_duo_config_t wrong = {HOST, base, IKEY, "not-the-secret-key", 5000};
    sb_duo_config_t other_host = {"api-other.duosecurity.com", base, IKEY, SKEY, 5000};
    cJSON *resp = NULL, *j;
    sb_duo_preauth_t pre;
    sb_duo_status_t st;

    SB_CHECK_MSG(pid > 0 && c, "fake_duo.py did not start");
    if (pid <= 0 || !c)
        goto out;
    const sb_duo_param_t user[] = {{"username", "alice smith+1"}};
    SB_CHECK(call(c, &cfg, "POST", "/auth/v2/preauth", user, 1, &resp, err) == SB_DUO_ANSWERED);
    SB_CHECK(sb_duo_read_preauth(resp, &pre, msg) == 0 && pre == SB_DUO_PREAUTH_PUSH);
    cJSON_Delete(resp);

    /* a push with pushinfo (itself form-encoded, then encoded again) */
    const sb_duo_param_t push[] = {{"username", "alice smith+1"},
                                   {"factor", "push"},
                                   {"device", "auto"},
                                   {"async", "1"},
                                   {"type", "securitybot"},
                                   {"pushinfo", "title=Login%20x"}};
    SB_CHECK(call(c, &cfg, "POST", "/auth/v2/auth", push, 6, &resp, err) == SB_DUO_ANSWERED);
    SB_CHECK(sb_duo_read_txid(resp, txid) == 0);
    cJSON_Delete(resp);
    const sb_duo_param_t tx[] = {{"txid", txid}};
    SB_CHECK(call(c, &cfg, "GET", "/auth/v2/auth_status", tx, 1, &resp, err) == SB_DUO_ANSWERED);
    SB_CHECK(sb_duo_read_status(resp, &st, msg) == 0 && st == SB_DUO_ALLOW);
    cJSON_Delete(resp);

    /* what Duo refuses: a wrong key, a signature over another host */
    SB_CHECK(call(c, &wrong, "POST", "/auth/v2/preauth", user, 1, &resp, err) == SB_DUO_REFUSED);
    SB_CHECK_MSG(strstr(err, "40103") && !strstr(err, "not-the-secret"), "%s", err);
    SB_CHECK(call(c, &other_host, "POST", "/auth/v2/preauth", user, 1, &resp, err) ==
             SB_DUO_REFUSED);
    /* injected failures are unavailability, not refusals */
    cJSON_Delete(control(c, base, "fail", "{\"count\": 2, \"status\": 429}"));
    SB_CHECK(call(c, &cfg, "POST", "/auth/v2/preauth", user, 1, &resp, err) == SB_DUO_UNAVAILABLE);
    SB_CHECK(call(c, &cfg, "POST", "/auth/v2/preauth", user, 1, &resp, err) == SB_DUO_UNAVAILABLE);
    SB_CHECK(call(c, &cfg, "POST", "/auth/v2/preauth", user, 1, &resp, err) == SB_DUO_ANSWERED);
    cJSON_Delete(resp);
    j = control(c, base, "violations", NULL);
    SB_CHECK_MSG(cJSON_GetObjectItem(j, "count") && cJSON_GetObjectItem(j, "count")->valueint == 2,
                 "only the two wrong signatures are violations");
    cJSON_Delete(j);
out:
    sb_curl_destroy(c);
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
}

int main(void) {
    test_read();
    test_parsers();
    test_against_fake();
    return SB_TEST_DONE();
}
