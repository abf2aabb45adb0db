/* Unit tests for sb_kafka (offline): topic names, environment pass-through to librdkafka. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sb_kafka.h"
#include "sb_test.h"

extern char **environ;

/* A distinctive value: one strstr proves no error message quotes it. */
#define SECRET "Zq9-n0t-4-pr0perty-v4lue"

static void test_topic(void) {
    static const struct {
        const char *prefix, *suffix;
        size_t size;
        int rc;
        const char *out;
    } cases[] = {
        {"securitybot.", "alerts", 64, 0, "securitybot.alerts"},
        {"t1.", "alerts.dlq", 64, 0, "t1.alerts.dlq"},
        {"", "outcomes", 64, 0, "outcomes"},
        {NULL, "prompts", 64, 0, "prompts"},
        {"ab.", "cd", 6, 0, "ab.cd"}, /* exactly fits with its NUL */
        {"ab.", "cd", 5, -1, NULL},
        {"ab.", "cd", 1, -1, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[SB_TOPIC_MAX];
        int rc = sb_kafka_topic(buf, cases[i].size, cases[i].prefix, cases[i].suffix);
        SB_CHECK_MSG(rc == cases[i].rc, "case %zu: rc %d", i, rc);
        if (cases[i].out)
            SB_CHECK_STR(buf, cases[i].out);
    }
    {
        char prefix[SB_TOPIC_MAX + 8], buf[SB_TOPIC_MAX];
        memset(prefix, 'p', sizeof(prefix) - 1);
        prefix[sizeof(prefix) - 1] = '\0';
        SB_CHECK(sb_kafka_topic(buf, sizeof(buf), prefix, "alerts") == -1);
        prefix[SB_TOPIC_MAX - 1 - 6] = '\0'; /* 249 + "alerts" = 255 chars */
        SB_CHECK(sb_kafka_topic(buf, sizeof(buf), prefix, "alerts") == 0);
        SB_CHECK(strlen(buf) == SB_TOPIC_MAX - 1);
    }
}

static void test_suffixes(void) {
    static const char *const want[] = {"alerts",    "alerts.dlq",          "prompts",
                                       "responses", "escalation-requests", "escalations",
                                       "outcomes",  "resolutions"};
    size_t n = 0;
    while (sb_kafka_topic_suffixes[n] && n < 16)
        n++;
    SB_CHECK_MSG(n == 8, "%zu suffixes", n);
    for (size_t i = 0; i < 8 && i < n; i++)
        SB_CHECK_STR(sb_kafka_topic_suffixes[i], want[i]);
}

/* Unsets every SECURITYBOT_KAFKA_* variable (environ is what sb_kafka scans). */
static void env_clear(void) {
    for (;;) {
        char name[256] = "";
        for (char **e = environ; e && *e; e++) {
            const char *eq = strchr(*e, '=');
            if (strncmp(*e, "SECURITYBOT_KAFKA_", 18) == 0 && eq &&
                (size_t)(eq - *e) < sizeof(name)) {
                snprintf(name, sizeof(name), "%.*s", (int)(eq - *e), *e);
                break;
            }
        }
        if (!name[0])
            return;
        unsetenv(name);
    }
}

/* Writes content to a fresh temporary file; its path into path[]. */
static int write_temp(char path[64], const char *content) {
    const char *dir = getenv("TMPDIR");
    size_t len = strlen(content);
    int fd;
    snprintf(path, 64, "%.40s/sbkafkaXXXXXX", dir && *dir ? dir : "/tmp");
    if ((fd = mkstemp(path)) == -1)
        return -1;
    if (write(fd, content, len) != (ssize_t)len) {
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

/* The value of prop in conf, "" when unset, or "(error)". */
static const char *conf_value(rd_kafka_conf_t *conf, const char *prop, char *buf, size_t size) {
    size_t n = size;
    if (rd_kafka_conf_get(conf, prop, buf, &n) != RD_KAFKA_CONF_OK)
        snprintf(buf, size, "(error)");
    return buf;
}

static void test_conf(void) {
    static char pw_file[64], crlf_file[64], bad_num_file[64];
    const struct {
        const char *env[4]; /* "NAME=value" */
        const char *brokers;
        const char *props[3][2]; /* rc 0: property, expected value */
        const char *err_has;     /* NULL: success expected */
    } cases[] = {
        {{NULL}, "k1:9092", {{"bootstrap.servers", "k1:9092"}}, NULL},
        {{"SECURITYBOT_KAFKA_CLIENT_ID=abc"}, "k1:9092", {{"client.id", "abc"}}, NULL},
        {{"SECURITYBOT_KAFKA_SOCKET_TIMEOUT_MS=12345"},
         "k1:9092",
         {{"socket.timeout.ms", "12345"}},
         NULL},
        {{"SECURITYBOT_KAFKA_STATISTICS_INTERVAL_MS=5000", "SECURITYBOT_KAFKA_CLIENT_ID=two"},
         "k2:9092,k3:9092",
         {{"statistics.interval.ms", "5000"},
          {"client.id", "two"},
          {"bootstrap.servers", "k2:9092,k3:9092"}},
         NULL},
        /* BROKERS is the argument's business, not a property */
        {{"SECURITYBOT_KAFKA_BROKERS=elsewhere:1"},
         "k1:9092",
         {{"bootstrap.servers", "k1:9092"}},
         NULL},
        /* secrets from files: the trailing newline (and CR) is dropped */
        {{"SECURITYBOT_KAFKA_SASL_PASSWORD_FILE=@pw"},
         "k1:9092",
         {{"sasl.password", "s3cret"}},
         NULL},
        {{"SECURITYBOT_KAFKA_SASL_USERNAME_FILE=@crlf"},
         "k1:9092",
         {{"sasl.username", "user1"}},
         NULL},
        /* only the exact prefix counts */
        {{"XSECURITYBOT_KAFKA_CLIENT_ID=nope", "SECURITYBOT_KAFKAX_CLIENT_ID=nope",
          "SECURITYBOT_KAFKA_=nope"},
         "k1:9092",
         {{"client.id", "rdkafka"}},
         NULL},
        /* errors name the variable, never the value */
        {{"SECURITYBOT_KAFKA_NO_SUCH_THING=" SECRET},
         "k1:9092",
         {{NULL}},
         "SECURITYBOT_KAFKA_NO_SUCH_THING"},
        {{"SECURITYBOT_KAFKA_SOCKET_TIMEOUT_MS=" SECRET},
         "k1:9092",
         {{NULL}},
         "SECURITYBOT_KAFKA_SOCKET_TIMEOUT_MS"},
        {{"SECURITYBOT_KAFKA_SOCKET_TIMEOUT_MS_FILE=@badnum"},
         "k1:9092",
         {{NULL}},
         "SECURITYBOT_KAFKA_SOCKET_TIMEOUT_MS"},
        {{"SECURITYBOT_KAFKA_SASL_PASSWORD_FILE=/nonexistent-sb-dir/pw"},
         "k1:9092",
         {{NULL}},
         "SECURITYBOT_KAFKA_SASL_PASSWORD_FILE"},
    };

    if (write_temp(pw_file, "s3cret\n") == -1 || write_temp(crlf_file, "user1\r\n") == -1 ||
        write_temp(bad_num_file, SECRET "\n") == -1) {
        SB_CHECK_MSG(0, "cannot write temporary files");
        return;
    }
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[512], val[256];
        rd_kafka_conf_t *conf;
        int rc;

        env_clear();
        for (size_t j = 0; j < 4 && cases[i].env[j]; j++) {
            const char *eq = strchr(cases[i].env[j], '='), *v = eq + 1;
            char name[128];
            snprintf(name, sizeof(name), "%.*s", (int)(eq - cases[i].env[j]), cases[i].env[j]);
            if (!strcmp(v, "@pw"))
                v = pw_file;
            else if (!strcmp(v, "@crlf"))
                v = crlf_file;
            else if (!strcmp(v, "@badnum"))
                v = bad_num_file;
            setenv(name, v, 1);
        }

        err[0] = '\0';
        conf = sb_kafka_conf_new(cases[i].brokers, NULL, err, sizeof(err));
        if (!cases[i].err_has) {
            SB_CHECK_MSG(conf != NULL, "case %zu: %s", i, err);
            for (size_t p = 0; conf && p < 3 && cases[i].props[p][0]; p++)
                SB_CHECK_MSG(!strcmp(conf_value(conf, cases[i].props[p][0], val, sizeof(val)),
                                     cases[i].props[p][1]),
                             "case %zu: %s = \"%s\", want \"%s\"", i, cases[i].props[p][0], val,
                             cases[i].props[p][1]);
        } else {
            SB_CHECK_MSG(conf == NULL, "case %zu: accepted", i);
            SB_CHECK_MSG(strstr(err, cases[i].err_has) != NULL, "case %zu: \"%s\"", i, err);
            SB_CHECK_MSG(strstr(err, SECRET) == NULL, "case %zu leaks: %s", i, err);
            SB_CHECK_MSG(strstr(err, "s3cret") == NULL, "case %zu leaks: %s", i, err);
        }
        if (conf)
            rd_kafka_conf_destroy(conf);

        /* conf_check agrees with conf_new and says the same thing */
        {
            char err2[512] = "";
            rc = sb_kafka_conf_check(cases[i].brokers, err2, sizeof(err2));
            SB_CHECK_MSG(rc == (cases[i].err_has ? -1 : 0), "case %zu: check rc %d", i, rc);
            if (cases[i].err_has)
                SB_CHECK_MSG(strcmp(err, err2) == 0, "case %zu: \"%s\" vs \"%s\"", i, err, err2);
        }
    }
    env_clear();
    unlink(pw_file);
    unlink(crlf_file);
    unlink(bad_num_file);
}

/* A caller's defaults apply, and the environment wins over them. */
static void test_conf_defaults(void) {
    static const char *const defaults[] = {"linger.ms", "0", "compression.type", "lz4", NULL};
    char err[256], val[64];
    rd_kafka_conf_t *conf;

    env_clear();
    conf = sb_kafka_conf_new("127.0.0.1:9092", defaults, err, sizeof(err));
    SB_CHECK_MSG(conf != NULL, "%s", err);
    if (conf) {
        SB_CHECK_STR(conf_value(conf, "linger.ms", val, sizeof(val)), "0");
        SB_CHECK_STR(conf_value(conf, "compression.type", val, sizeof(val)), "lz4");
        rd_kafka_conf_destroy(conf);
    }
    setenv("SECURITYBOT_KAFKA_LINGER_MS", "7", 1);
    conf = sb_kafka_conf_new("127.0.0.1:9092", defaults, err, sizeof(err));
    SB_CHECK_MSG(conf != NULL, "%s", err);
    if (conf) {
        SB_CHECK_STR(conf_value(conf, "linger.ms", val, sizeof(val)), "7");
        rd_kafka_conf_destroy(conf);
    }
    env_clear();
    /* a default librdkafka refuses is an error, not ignored */
    static const char *const bad[] = {"no.such.property", "1", NULL};
    conf = sb_kafka_conf_new("127.0.0.1:9092", bad, err, sizeof(err));
    SB_CHECK(conf == NULL);
    if (conf)
        rd_kafka_conf_destroy(conf);
}

int main(void) {
    test_topic();
    test_suffixes();
    test_conf();
    test_conf_defaults();
    return SB_TEST_DONE();
}
