/* test_sb_metrics: the Prometheus text a scrape returns, label bounds, the
 * histogram, NULL-safety, and /metrics and /healthz over real HTTP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "sb_metrics.h"
#include "sb_test.h"

static int64_t fixed_lag(void *ctx) {
    return *(int64_t *)ctx;
}

static size_t collect(char *data, size_t size, size_t n, void *userp) {
    char *buf = userp;
    size_t used = strlen(buf), len = size * n;
    if (used + len >= 65536)
        len = 65535 - used;
    memcpy(buf + used, data, len);
    buf[used + len] = '\0';
    return size * n;
}

/* GET http://127.0.0.1:port/path: the status, body into buf (64 KiB). */
static long get(int port, const char *path, char *buf) {
    char url[128];
    long status = 0;
    CURL *c = curl_easy_init();
    buf[0] = '\0';
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, buf);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    return status;
}

static void test_render(void) {
    sb_metrics_t *m = sb_metrics_new("sb-test");
    int64_t lag = 42;
    char *text;
    SB_CHECK(m != NULL);
    sb_metrics_count(m, SB_M_CONSUMED, "t.alerts", 3);
    sb_metrics_count(m, SB_M_CONSUMED, "t.alerts", 2);
    sb_metrics_count(m, SB_M_CHAT_ERRORS, "rate\"limited\\", 1);
    sb_metrics_count(m, "no_such_family", "x", 1); /* ignored */
    sb_metrics_observe(m, 0.003);
    sb_metrics_observe(m, 0.2);
    sb_metrics_observe(m, 60);
    sb_metrics_lag_source(m, fixed_lag, &lag);
    text = sb_metrics_render(m);
    SB_CHECK(text != NULL);
    SB_CHECK(strstr(
        text, "securitybot_messages_consumed_total{worker=\"sb-test\",topic=\"t.alerts\"} 5\n"));
    SB_CHECK(strstr(
        text,
        "securitybot_chat_errors_total{worker=\"sb-test\",code=\"rate\\\"limited\\\\\"} 1\n"));
    SB_CHECK(strstr(text, "# TYPE securitybot_batch_seconds histogram\n"));
    SB_CHECK(strstr(text, "securitybot_batch_seconds_bucket{worker=\"sb-test\",le=\"0.001\"} 0\n"));
    SB_CHECK(strstr(text, "securitybot_batch_seconds_bucket{worker=\"sb-test\",le=\"0.005\"} 1\n"));
    SB_CHECK(strstr(text, "securitybot_batch_seconds_bucket{worker=\"sb-test\",le=\"0.25\"} 2\n"));
    SB_CHECK(strstr(text, "securitybot_batch_seconds_bucket{worker=\"sb-test\",le=\"10\"} 2\n"));
    SB_CHECK(strstr(text, "securitybot_batch_seconds_bucket{worker=\"sb-test\",le=\"+Inf\"} 3\n"));
    SB_CHECK(strstr(text, "securitybot_batch_seconds_count{worker=\"sb-test\"} 3\n"));
    SB_CHECK(strstr(text, "securitybot_consumer_lag{worker=\"sb-test\"} 42\n"));
    SB_CHECK(!strstr(text, "no_such_family"));
    free(text);
    lag = -1; /* unknown: no gauge line */
    text = sb_metrics_render(m);
    SB_CHECK(text && !strstr(text, "securitybot_consumer_lag{"));
    free(text);
    sb_metrics_destroy(m);
}

static void test_label_bound(void) {
    sb_metrics_t *m = sb_metrics_new("w");
    char code[32], *text;
    for (int i = 0; i < 500; i++) {
        snprintf(code, sizeof(code), "code_%d", i);
        sb_metrics_count(m, SB_M_CHAT_ERRORS, code, 1);
    }
    text = sb_metrics_render(m);
    int lines = 0;
    for (const char *p = text; (p = strstr(p, "securitybot_chat_errors_total{")); p++)
        lines++;
    SB_CHECK((lines) == (64));
    SB_CHECK(strstr(text, "code=\"other\"} 437\n"));
    SB_CHECK(strstr(text, "code=\"code_62\"} 1\n"));
    free(text);
    sb_metrics_destroy(m);
}

static void test_null(void) {
    int failed = 7;
    char errstr[128];
    sb_metrics_count(NULL, SB_M_FAILED, "x", 1);
    sb_metrics_observe(NULL, 1);
    sb_metrics_beat(NULL);
    sb_metrics_lag_source(NULL, fixed_lag, NULL);
    SB_CHECK(sb_metrics_render(NULL) == NULL);
    SB_CHECK(sb_metrics_setup("w", NULL, &failed, errstr, sizeof(errstr)) == NULL);
    SB_CHECK((failed) == (0));
    SB_CHECK(sb_metrics_setup("w", "", &failed, errstr, sizeof(errstr)) == NULL);
    SB_CHECK(sb_metrics_setup("w", "not-an-address", &failed, errstr, sizeof(errstr)) == NULL);
    SB_CHECK((failed) == (1));
    SB_CHECK(strstr(errstr, "SECURITYBOT_METRICS_LISTEN") != NULL);
    sb_metrics_destroy(NULL);
}

static void test_http(void) {
    int failed = 0;
    char errstr[256], *body = malloc(65536);
    sb_metrics_t *m = sb_metrics_setup("sb-http", "127.0.0.1:0", &failed, errstr, sizeof(errstr));
    SB_CHECK(m != NULL && body != NULL);
    int port = sb_metrics_port(m);
    SB_CHECK(port > 0);
    sb_metrics_count(m, SB_M_PRODUCED, "t.outcomes", 7);
    SB_CHECK((get(port, "/metrics", body)) == (200));
    SB_CHECK(
        strstr(body,
               "securitybot_messages_produced_total{worker=\"sb-http\",topic=\"t.outcomes\"} 7") !=
        NULL);
    SB_CHECK((get(port, "/healthz", body)) == (200));
    SB_CHECK_STR(body, "ok\n");
    SB_CHECK((get(port, "/nope", body)) == (404));
    sb_metrics_destroy(m);
    free(body);
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    test_render();
    test_label_bound();
    test_null();
    test_http();
    curl_global_cleanup();
    return SB_TEST_DONE();
}
