/* Unit tests for sb_curl against tests/fakes/fake_slack.py: auth, retry, 429, caps, errors. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sb_curl.h"
#include "sb_signal.h"
#include "sb_test.h"
#include "sb_test_fake_slack.h"
#include "sb_time.h"

/* The fake's token; one strstr proves that no error message quotes it. */
#define TOKEN "xoxb-s3cr3t-t0ken-4242"
#define JSON  "application/json; charset=utf-8"

static pid_t fake_pid = -1;
static char base[64];  /* http://127.0.0.1:<port> */
static sb_curl_t *ctl; /* a second client for the control API */

/* ---- the fake ------------------------------------------------------------ */

static int fake_start(void) {
    fake_pid = sb_fake_slack_start(TOKEN, __FILE__, base, sizeof(base));
    if (fake_pid <= 0)
        return -1;
    return 0;
}

static void fake_stop(void) {
    sb_fake_slack_stop(fake_pid);
}

/* ---- helpers ------------------------------------------------------------- */

typedef struct {
    const char *method, *path, *token, *ctype, *body;
    int max_attempts;
    long max_backoff_ms;
} call_t;

static void control(const char *what, const char *json) {
    sb_fake_slack_post(ctl, base, what, json);
}

static cJSON *control_get(const char *what) {
    return sb_fake_slack_get(ctl, base, what);
}

static int violations(void) {
    return sb_fake_slack_violations(ctl, base);
}

/* The n-th received call (negative: from the end), or NULL. */
static const cJSON *nth_call(cJSON *calls, int n) {
    cJSON *arr = cJSON_GetObjectItem(calls, "calls");
    int size = cJSON_GetArraySize(arr);
    return cJSON_GetArrayItem(arr, n < 0 ? size + n : n);
}

static const char *str_at(const cJSON *obj, const char *k1, const char *k2) {
    const cJSON *v = cJSON_GetObjectItem(obj, k1);
    if (v && k2)
        v = cJSON_GetObjectItem(v, k2);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Slack's answer: 1 for ok:true, 0 for ok:false (error copied), -1 unparsable. */
static int slack_ok(const sb_curl_resp_t *resp, char *error, size_t size) {
    cJSON *j = resp->body ? cJSON_Parse(resp->body) : NULL;
    int ok = -1;
    error[0] = '\0';
    if (j) {
        ok = cJSON_IsTrue(cJSON_GetObjectItem(j, "ok"));
        snprintf(error, size, "%s", str_at(j, "error", NULL) ? str_at(j, "error", NULL) : "");
    }
    cJSON_Delete(j);
    return ok;
}

static long elapsed_ms(int64_t start_us) {
    return (long)((sb_time_monotonic_us() - start_us) / 1000);
}

/* A local port with nothing listening on it. */
static int closed_port(void) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* ---- tests --------------------------------------------------------------- */

static sb_curl_t *cli;

/* Sends through the client under test. */
static int send_req(const call_t *in, sb_curl_resp_t *resp, char *err, size_t errsize) {
    char url[512];
    snprintf(url, sizeof(url), "%s%s", in->path[0] == '/' ? base : "", in->path);
    sb_curl_req_t req = {
        .method = in->method ? in->method : "POST",
        .url = url,
        .bearer_token = in->token,
        .content_type = in->ctype,
        .body = in->body,
        .body_len = in->body ? strlen(in->body) : 0,
        .timeout_ms = 3000,
        .max_attempts = in->max_attempts,
        .max_backoff_ms = in->max_backoff_ms ? in->max_backoff_ms : 100,
    };
    err[0] = '\0';
    return sb_curl_request(cli, &req, resp, err, errsize);
}

static void test_post_ok(void) {
    char err[512], error[64];
    sb_curl_resp_t resp;
    control("reset", "{}");
    control("config", "{\"users\":{\"jdoe@example.com\":\"U100\"}}");

    call_t open = {"POST", "/api/conversations.open", TOKEN, JSON, "{\"users\":\"U100\"}", 3, 0};
    SB_CHECK_MSG(send_req(&open, &resp, err, sizeof(err)) == 0, "%s", err);
    SB_CHECK(resp.status == 200 && resp.attempts == 1);
    SB_CHECK_MSG(slack_ok(&resp, error, sizeof(error)) == 1, "%s", error);
    SB_CHECK(resp.body && strstr(resp.body, "\"D") != NULL);
    sb_curl_resp_clear(&resp);

    call_t post = {"POST",
                   "/api/chat.postMessage",
                   TOKEN,
                   JSON,
                   "{\"channel\":\"U100\",\"text\":\"Did you log in from Lisbon?\"}",
                   3,
                   0};
    SB_CHECK_MSG(send_req(&post, &resp, err, sizeof(err)) == 0, "%s", err);
    SB_CHECK(resp.status == 200 && resp.attempts == 1 && resp.retry_after_s == 0);
    SB_CHECK_MSG(slack_ok(&resp, error, sizeof(error)) == 1, "%s", error);
    SB_CHECK(resp.body && resp.body_len == strlen(resp.body));
    sb_curl_resp_clear(&resp);

    /* users.lookupByEmail takes its argument as a query string or a form */
    call_t get = {"GET", "/api/users.lookupByEmail?email=jdoe%40example.com", TOKEN, NULL, NULL, 1,
                  0};
    SB_CHECK(send_req(&get, &resp, err, sizeof(err)) == 0);
    SB_CHECK(slack_ok(&resp, error, sizeof(error)) == 1 && strstr(resp.body, "U100"));
    sb_curl_resp_clear(&resp);
    call_t form = {"POST",
                   "/api/users.lookupByEmail",
                   TOKEN,
                   "application/x-www-form-urlencoded",
                   "email=nobody%40example.com",
                   1,
                   0};
    SB_CHECK(send_req(&form, &resp, err, sizeof(err)) == 0);
    SB_CHECK(slack_ok(&resp, error, sizeof(error)) == 0);
    SB_CHECK_STR(error, "users_not_found");
    sb_curl_resp_clear(&resp);

    /* what the fake received: the bearer token and the JSON content type,
     * all on one kept-alive connection */
    cJSON *calls = control_get("calls");
    const cJSON *c0 = nth_call(calls, 0), *c1 = nth_call(calls, 1), *c3 = nth_call(calls, 3);
    SB_CHECK_STR(str_at(c1, "method", NULL), "chat.postMessage");
    SB_CHECK_STR(str_at(c1, "headers", "authorization"), "Bearer " TOKEN);
    SB_CHECK_STR(str_at(c1, "headers", "content_type"), JSON);
    SB_CHECK_STR(str_at(c1, "args", "channel"), "U100");
    SB_CHECK_STR(str_at(c3, "headers", "content_type"), "application/x-www-form-urlencoded");
    SB_CHECK(c0 && c3 &&
             cJSON_GetObjectItem(c0, "client_port")->valueint ==
                 cJSON_GetObjectItem(c3, "client_port")->valueint);
    SB_CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(calls, "calls")) == 4);
    cJSON_Delete(calls);
    SB_CHECK(violations() == 0);
}

/* Slack answers auth failures with HTTP 200 and ok:false: final, never retried. */
static void test_auth_errors(void) {
    static const struct {
        const char *token, *error;
    } cases[] = {{"xoxb-wrong", "invalid_auth"}, {NULL, "not_authed"}};
    char err[512], error[64];
    sb_curl_resp_t resp;
    control("reset", "{}");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        call_t post = {"POST",
                       "/api/chat.postMessage",
                       cases[i].token,
                       JSON,
                       "{\"channel\":\"C1\",\"text\":\"x\"}",
                       5,
                       0};
        SB_CHECK_MSG(send_req(&post, &resp, err, sizeof(err)) == 0, "case %zu: %s", i, err);
        SB_CHECK_MSG(resp.status == 200 && resp.attempts == 1, "case %zu", i);
        SB_CHECK(slack_ok(&resp, error, sizeof(error)) == 0);
        SB_CHECK_STR(error, cases[i].error);
        sb_curl_resp_clear(&resp);
    }
    SB_CHECK(violations() == 2); /* the fake refused both, as Slack would */
}

/* Injected failures: {fail JSON, attempts allowed, rc, attempts made, final
 * status, min and max elapsed ms, substring of errstr}. */
static void test_retries(void) {
    static const struct {
        const char *fail;
        int max_attempts, rc, attempts;
        long status, min_ms, max_ms;
        const char *err;
    } cases[] = {
        /* 429 + Retry-After: 1, twice: two waits of 1 s, then success */
        {"{\"method\":\"chat.postMessage\",\"count\":2,\"status\":429,\"retry_after\":1}", 5, 0, 3,
         200, 1900, 4000, NULL},
        /* Retry-After above max_backoff_ms (1500) waits the cap */
        {"{\"count\":1,\"status\":429,\"retry_after\":30}", 5, 0, 2, 200, 1400, 2500, NULL},
        /* 429 without Retry-After: the backoff; exhausted -> -1 */
        {"{\"count\":9,\"status\":429}", 2, -1, 2, 429, 0, 1000, "HTTP 429"},
        {"{\"count\":2,\"status\":500}", 5, 0, 3, 200, 0, 1500, NULL},
        {"{\"count\":2,\"status\":503}", 5, 0, 3, 200, 0, 1500, NULL},
        {"{\"count\":99,\"status\":500}", 3, -1, 3, 500, 0, 1500, "gave up after 3 attempts"},
        /* other 4xx and ok:false errors are final */
        {"{\"count\":3,\"status\":400}", 5, 0, 1, 400, 0, 500, NULL},
        {"{\"count\":3,\"status\":404}", 5, 0, 1, 404, 0, 500, NULL},
        {"{\"count\":3,\"error\":\"channel_not_found\"}", 5, 0, 1, 200, 0, 500, NULL},
    };
    char err[512];
    sb_curl_resp_t resp;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        control("reset", "{}");
        control("config", "{\"channels\":[\"C1\"]}");
        control("fail", cases[i].fail);
        call_t post = {"POST",
                       "/api/chat.postMessage",
                       TOKEN,
                       JSON,
                       "{\"channel\":\"C1\",\"text\":\"x\"}",
                       cases[i].max_attempts,
                       1500};
        int64_t t0 = sb_time_monotonic_us();
        int rc = send_req(&post, &resp, err, sizeof(err));
        long ms = elapsed_ms(t0);
        SB_CHECK_MSG(rc == cases[i].rc, "case %zu: rc %d: %s", i, rc, err);
        SB_CHECK_MSG(resp.attempts == cases[i].attempts, "case %zu: %d attempts", i, resp.attempts);
        SB_CHECK_MSG(resp.status == cases[i].status, "case %zu: status %ld", i, resp.status);
        SB_CHECK_MSG(ms >= cases[i].min_ms && ms <= cases[i].max_ms, "case %zu: %ld ms", i, ms);
        if (cases[i].err)
            SB_CHECK_MSG(strstr(err, cases[i].err) && strstr(err, "127.0.0.1"), "case %zu: %s", i,
                         err);
        SB_CHECK(!strstr(err, TOKEN));
        cJSON *calls = control_get("calls");
        SB_CHECK_MSG(cJSON_GetArraySize(cJSON_GetObjectItem(calls, "calls")) == resp.attempts,
                     "case %zu: the fake saw every attempt", i);
        cJSON_Delete(calls);
        sb_curl_resp_clear(&resp);
        SB_CHECK(violations() == 0);
    }
}

static void test_body_cap(void) {
    static const struct {
        long bytes;
        int rc;
    } cases[] = {{0, 0}, {SB_CURL_MAX_BODY, 0}, {SB_CURL_MAX_BODY + 1, -1}, {3 << 20, -1}};
    char err[512], path[64];
    sb_curl_resp_t resp;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(path, sizeof(path), "/_fake/big?bytes=%ld", cases[i].bytes);
        call_t get = {"GET", path, TOKEN, NULL, NULL, 3, 0};
        int rc = send_req(&get, &resp, err, sizeof(err));
        SB_CHECK_MSG(rc == cases[i].rc, "case %zu: %s", i, err);
        SB_CHECK_MSG(resp.attempts == 1, "case %zu: an oversize body is not retried", i);
        if (rc == 0)
            SB_CHECK(resp.body_len == (size_t)cases[i].bytes &&
                     (cases[i].bytes == 0 || strlen(resp.body) == (size_t)cases[i].bytes));
        else
            SB_CHECK_MSG(strstr(err, "exceeds 1 MiB") && strstr(err, "127.0.0.1"), "%s", err);
        sb_curl_resp_clear(&resp);
    }
}

/* Transport failures: the error names the host, never the token (even one
 * put in the URL), and only network errors are retried. */
static void test_transport_errors(void) {
    char err[512], url[256];
    sb_curl_resp_t resp;
    int port = closed_port();
    SB_CHECK(port > 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/chat.postMessage?token=%s", port, TOKEN);
    call_t refused = {"POST", url, TOKEN, JSON, "{}", 3, 50};
    SB_CHECK(send_req(&refused, &resp, err, sizeof(err)) == -1);
    SB_CHECK(resp.attempts == 3 && resp.status == 0 && resp.body == NULL);
    char hostport[64];
    snprintf(hostport, sizeof(hostport), "127.0.0.1:%d", port);
    SB_CHECK_MSG(strncmp(err, hostport, strlen(hostport)) == 0, "%s", err);
    SB_CHECK_MSG(strstr(err, "gave up after 3 attempts") != NULL, "%s", err);
    SB_CHECK_MSG(!strstr(err, TOKEN) && !strstr(err, "s3cr3t"), "%s", err);
    sb_curl_resp_clear(&resp);

    static const struct {
        const char *url, *err;
    } permanent[] = {
        {"ftp://127.0.0.1/" TOKEN, "127.0.0.1: "},
        {"file:///etc/passwd", ": "},
        {"http://[::1/" TOKEN, "(malformed URL): "},
    };
    for (size_t i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++) {
        call_t bad = {"GET", permanent[i].url, TOKEN, NULL, NULL, 3, 50};
        SB_CHECK_MSG(send_req(&bad, &resp, err, sizeof(err)) == -1, "case %zu", i);
        SB_CHECK_MSG(resp.attempts == 1, "case %zu: %d attempts", i, resp.attempts);
        SB_CHECK_MSG(strstr(err, permanent[i].err) && !strstr(err, TOKEN), "case %zu: %s", i, err);
        sb_curl_resp_clear(&resp);
    }

    sb_curl_req_t none = {0};
    SB_CHECK(sb_curl_request(cli, &none, &resp, err, sizeof(err)) == -1);
    sb_curl_req_t put = {.method = "PUT", .url = "http://127.0.0.1/"};
    SB_CHECK(sb_curl_request(cli, &put, &resp, err, sizeof(err)) == -1);
    SB_CHECK(sb_curl_request(NULL, &put, &resp, err, sizeof(err)) == -1);
}

static void on_alarm(int sig) {
    (void)sig;
    sb_running = 0;
}

/* A shutdown during a backoff ends the request at once. */
static void test_interrupted(void) {
    char err[512];
    sb_curl_resp_t resp;
    struct sigaction sa = {0}, old;
    struct itimerval it = {{0, 0}, {0, 300000}};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, &old);
    control("reset", "{}");
    control("config", "{\"channels\":[\"C1\"]}");
    control("fail", "{\"count\":1,\"status\":429,\"retry_after\":5}");
    call_t post = {
        "POST", "/api/chat.postMessage", TOKEN, JSON, "{\"channel\":\"C1\",\"text\":\"x\"}", 5,
        10000};
    int64_t t0 = sb_time_monotonic_us();
    setitimer(ITIMER_REAL, &it, NULL);
    int rc = send_req(&post, &resp, err, sizeof(err));
    long ms = elapsed_ms(t0);
    SB_CHECK(rc == -1 && resp.attempts == 1 && resp.status == 429 && resp.retry_after_s == 5);
    SB_CHECK_MSG(strstr(err, "interrupted") != NULL, "%s", err);
    SB_CHECK_MSG(ms < 1500, "%ld ms", ms);
    sb_curl_resp_clear(&resp);
    sigaction(SIGALRM, &old, NULL);
    sb_running = 1;
}

/* Only https://, or http:// to a loopback host, may carry a secret. */
static void test_secret_url(void) {
    static const struct {
        const char *url;
        int ok;
    } cases[] = {
        {"https://slack.com/api", 1},
        {"HTTPS://events.pagerduty.com/v2/enqueue", 1},
        {"http://127.0.0.1:4010/api", 1},
        {"http://127.1.2.3/api", 1},
        {"http://localhost:8080/api", 1},
        {"http://LOCALHOST/api", 1},
        {"http://[::1]:9000/api", 1},
        {"http://slack.com/api", 0},
        {"http://127.evil.example/api", 0},
        {"http://localhost.evil.example/api", 0},
        {"http://127.0.0.1@evil.example/api", 0},
        {"http://[::2]/api", 0},
        {"ftp://127.0.0.1/api", 0},
        {"https://", 0},
        {"slack.com/api", 0},
        {"", 0},
        {NULL, 0},
    };
    char err[512];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        int rc = sb_curl_check_secret_url("SLACK_API_URL", cases[i].url, err, sizeof(err));
        SB_CHECK_MSG((rc == 0) == cases[i].ok, "%s -> %d", cases[i].url ? cases[i].url : "(null)",
                     rc);
        if (!cases[i].ok)
            SB_CHECK(strstr(err, "SLACK_API_URL must be an https:// URL") != NULL);
    }
}

int main(void) {
    char err[512];
    int64_t t0 = sb_time_monotonic_us();
    signal(SIGPIPE, SIG_IGN);
    test_secret_url();
    cli = sb_curl_new(err, sizeof(err));
    ctl = sb_curl_new(err, sizeof(err));
    SB_CHECK_MSG(cli && ctl, "%s", err);
    if (!cli || !ctl || fake_start() == -1) {
        SB_CHECK_MSG(0, "cannot start the fake Slack: %s", strerror(errno));
        fake_stop();
        sb_curl_destroy(cli);
        sb_curl_destroy(ctl);
        return SB_TEST_DONE();
    }
    test_post_ok();
    test_auth_errors();
    test_retries();
    test_body_cap();
    test_transport_errors();
    test_interrupted();
    fake_stop();
    sb_curl_destroy(cli);
    sb_curl_destroy(ctl);
    sb_curl_destroy(NULL);
    sb_curl_resp_clear(NULL);
    fprintf(stderr, "test_sb_curl: %ld ms\n", elapsed_ms(t0));
    return SB_TEST_DONE();
}
