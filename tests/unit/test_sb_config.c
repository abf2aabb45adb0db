/* Unit tests for sb_config: defaults, parsing, required, secret files, redaction, dump, help. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sb_config.h"
#include "sb_test.h"

/* Every secret in these tests has this value, so one strstr proves that no
 * error message and no dump ever quotes it. */
#define SECRET "hunter2-s3cr3t"

typedef struct {
    sb_common_config_t common;
    long workers;
    int dry_run;
    int64_t timeout_ms;
    char *token;
    long pin;
} test_config_t;

static test_config_t cfg;

static const sb_cfg_entry_t table[] = {
    SB_COMMON_CONFIG_ENTRIES(&cfg.common),
    SB_CFG_INT("SB_TEST_WORKERS", &cfg.workers, "4", 1, 64, "worker count"),
    SB_CFG_BOOL("SB_TEST_DRY_RUN", &cfg.dry_run, "false", "log, do not act"),
    SB_CFG_DURATION("SB_TEST_TIMEOUT", &cfg.timeout_ms, "30s", "request timeout"),
    SB_CFG_SECRET("SB_TEST_TOKEN", &cfg.token, "API token"),
    /* a secret number has no macro of its own: spelled out */
    {.name = "SB_TEST_PIN",
     .type = SB_CFG_TYPE_INT,
     .target = &cfg.pin,
     .secret = 1,
     .max = 9999,
     .help = "a numeric secret"},
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

/* Unsets every variable of the table (and its _FILE twin), then applies
 * "NAME=value" settings; a bare "NAME" unsets. DATABASE_URL is set unless
 * a setting overrides it. */
static void env_reset(const char *const *settings) {
    char buf[256];
    for (size_t i = 0; i < NTABLE; i++) {
        unsetenv(table[i].name);
        snprintf(buf, sizeof(buf), "%s_FILE", table[i].name);
        unsetenv(buf);
    }
    setenv("SECURITYBOT_DATABASE_URL", "postgres://sb:" SECRET "@db/sb", 1);
    for (; settings && *settings; settings++) {
        const char *eq = strchr(*settings, '=');
        if (!eq) {
            unsetenv(*settings);
            continue;
        }
        snprintf(buf, sizeof(buf), "%.*s", (int)(eq - *settings), *settings);
        setenv(buf, eq + 1, 1);
    }
}

static void test_defaults(void) {
    char err[256];
    env_reset(NULL);
    SB_CHECK(sb_config_load(table, NTABLE, err, sizeof(err)) == 0);
    SB_CHECK_STR(cfg.common.kafka_brokers, "127.0.0.1:9092");
    SB_CHECK_STR(cfg.common.database_url, "postgres://sb:" SECRET "@db/sb");
    SB_CHECK_STR(cfg.common.topic_prefix, "securitybot.");
    SB_CHECK_STR(cfg.common.log_level, "info");
    SB_CHECK(cfg.workers == 4);
    SB_CHECK(cfg.dry_run == 0);
    SB_CHECK(cfg.timeout_ms == 30000);
    SB_CHECK(cfg.token == NULL);
    SB_CHECK(cfg.pin == 0);
    /* defaults are copies: freeing them must not touch the table */
    SB_CHECK(cfg.common.kafka_brokers != table[0].defval);
    sb_config_free(table, NTABLE);
    SB_CHECK(cfg.common.kafka_brokers == NULL && cfg.common.database_url == NULL);
    sb_config_free(table, NTABLE); /* safe twice */
}

static void test_values(void) {
    static const struct {
        const char *set[3];
        long workers;
        int dry_run;
        int64_t timeout_ms;
        const char *brokers;
    } cases[] = {
        {{"SB_TEST_WORKERS=1"}, 1, 0, 30000, "127.0.0.1:9092"},
        {{"SB_TEST_WORKERS=64"}, 64, 0, 30000, "127.0.0.1:9092"},
        {{"SB_TEST_WORKERS=+7"}, 7, 0, 30000, "127.0.0.1:9092"},
        {{"SB_TEST_WORKERS="}, 4, 0, 30000, "127.0.0.1:9092"}, /* empty counts as unset */
        {{"SB_TEST_DRY_RUN=true"}, 4, 1, 30000, "127.0.0.1:9092"},
        {{"SB_TEST_DRY_RUN=YES"}, 4, 1, 30000, "127.0.0.1:9092"},
        {{"SB_TEST_DRY_RUN=on"}, 4, 1, 30000, "127.0.0.1:9092"},
        {{"SB_TEST_DRY_RUN=1"}, 4, 1, 30000, "127.0.0.1:9092"},
        {{"SB_TEST_DRY_RUN=Off"}, 4, 0, 30000, "127.0.0.1:9092"},
        {{"SB_TEST_DRY_RUN=no"}, 4, 0, 30000, "127.0.0.1:9092"},
        {{"SB_TEST_TIMEOUT=2h"}, 4, 0, 7200000, "127.0.0.1:9092"},
        {{"SB_TEST_TIMEOUT=500ms"}, 4, 0, 500, "127.0.0.1:9092"},
        {{"SECURITYBOT_KAFKA_BROKERS=k1:9092,k2:9092"}, 4, 0, 30000, "k1:9092,k2:9092"},
        {{"SECURITYBOT_KAFKA_BROKERS="}, 4, 0, 30000, "127.0.0.1:9092"},
    };
    char err[256];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        env_reset(cases[i].set);
        SB_CHECK_MSG(sb_config_load(table, NTABLE, err, sizeof(err)) == 0, "case %zu: %s", i, err);
        SB_CHECK_MSG(cfg.workers == cases[i].workers, "case %zu", i);
        SB_CHECK_MSG(cfg.dry_run == cases[i].dry_run, "case %zu", i);
        SB_CHECK_MSG(cfg.timeout_ms == cases[i].timeout_ms, "case %zu", i);
        SB_CHECK_STR(cfg.common.kafka_brokers, cases[i].brokers);
        sb_config_free(table, NTABLE);
    }
}

static void test_errors(void) {
    static const struct {
        const char *set[3];
        const char *err;
    } cases[] = {
        {{"SECURITYBOT_DATABASE_URL"}, "SECURITYBOT_DATABASE_URL is required (see --help)"},
        {{"SECURITYBOT_DATABASE_URL="}, "SECURITYBOT_DATABASE_URL is required (see --help)"},
        {{"SB_TEST_WORKERS=0"}, "SB_TEST_WORKERS must be an integer between 1 and 64"},
        {{"SB_TEST_WORKERS=65"}, "SB_TEST_WORKERS must be an integer between 1 and 64"},
        {{"SB_TEST_WORKERS=4x"}, "SB_TEST_WORKERS must be an integer between 1 and 64"},
        {{"SB_TEST_WORKERS= 4"}, "SB_TEST_WORKERS must be an integer between 1 and 64"},
        {{"SB_TEST_WORKERS=99999999999999999999999"},
         "SB_TEST_WORKERS must be an integer between 1 and 64"},
        {{"SB_TEST_DRY_RUN=maybe"},
         "SB_TEST_DRY_RUN must be a boolean (true/false, yes/no, on/off, 1/0)"},
        {{"SB_TEST_TIMEOUT=soon"},
         "SB_TEST_TIMEOUT must be a duration such as 500ms, 30s, 5m, "
         "2h or 1d"},
        {{"SB_TEST_TIMEOUT=-5s"},
         "SB_TEST_TIMEOUT must be a duration such as 500ms, 30s, 5m, "
         "2h or 1d"},
        /* a secret that fails to parse is not quoted */
        {{"SB_TEST_PIN=" SECRET}, "SB_TEST_PIN must be an integer between 0 and 9999"},
        /* a secret given both ways */
        {{"SB_TEST_TOKEN=" SECRET, "SB_TEST_TOKEN_FILE=/nonexistent"},
         "SB_TEST_TOKEN and SB_TEST_TOKEN_FILE are both set; set only one"},
        {{"SB_TEST_TOKEN_FILE=/nonexistent/token"}, NULL},
    };
    char err[256];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        env_reset(cases[i].set);
        memset(err, 0, sizeof(err));
        SB_CHECK_MSG(sb_config_load(table, NTABLE, err, sizeof(err)) == -1, "case %zu", i);
        if (cases[i].err)
            SB_CHECK_STR(err, cases[i].err);
        else
            SB_CHECK_MSG(strncmp(err, "SB_TEST_TOKEN_FILE: cannot open /nonexistent/token: ", 52) ==
                             0,
                         "case %zu: %s", i, err);
        SB_CHECK_MSG(!strstr(err, SECRET), "case %zu leaks: %s", i, err);
        /* a failed load leaves nothing allocated behind */
        SB_CHECK_MSG(cfg.common.kafka_brokers == NULL, "case %zu", i);
    }
}

/* Writes content to a fresh temporary file; returns its path in path[]. */
static int write_temp(char path[64], const char *content, size_t len) {
    int fd;
    const char *dir = getenv("TMPDIR");
    snprintf(path, 64, "%.40s/sbcfgXXXXXX", dir && *dir ? dir : "/tmp");
    fd = mkstemp(path);
    if (fd == -1)
        return -1;
    if (len && write(fd, content, len) != (ssize_t)len) {
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

static void test_secret_files(void) {
    static const struct {
        const char *content;
        size_t len;
        int rc;
        const char *value; /* rc 0: expected token; rc -1: expected error suffix */
    } cases[] = {
        {SECRET, sizeof(SECRET) - 1, 0, SECRET},
        {SECRET "\n", sizeof(SECRET), 0, SECRET},
        {SECRET "\r\n", sizeof(SECRET) + 1, 0, SECRET},
        {SECRET "\n\n", sizeof(SECRET) + 1, 0, SECRET "\n"}, /* only one newline */
        {" " SECRET " ", sizeof(SECRET) + 1, 0, " " SECRET " "},
        {"", 0, 0, NULL},   /* empty file: unset, like an empty variable */
        {"\n", 1, 0, NULL}, /* empty once the newline goes */
        {SECRET "\0x", sizeof(SECRET) + 1, -1, "contains a NUL byte"},
    };
    char path[64], err[512];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char setting[128];
        const char *set[] = {setting, NULL};
        if (write_temp(path, cases[i].content, cases[i].len) == -1) {
            SB_CHECK_MSG(0, "cannot write a temporary file");
            return;
        }
        snprintf(setting, sizeof(setting), "SB_TEST_TOKEN_FILE=%s", path);
        env_reset(set);
        memset(err, 0, sizeof(err));
        SB_CHECK_MSG(sb_config_load(table, NTABLE, err, sizeof(err)) == cases[i].rc, "case %zu: %s",
                     i, err);
        if (cases[i].rc == 0) {
            if (cases[i].value)
                SB_CHECK_STR(cfg.token, cases[i].value);
            else
                SB_CHECK_MSG(cfg.token == NULL, "case %zu", i);
        } else {
            /* names the variable and the path, never the content */
            SB_CHECK_MSG(strstr(err, "SB_TEST_TOKEN_FILE") && strstr(err, path) &&
                             strstr(err, cases[i].value),
                         "case %zu: %s", i, err);
            SB_CHECK_MSG(!strstr(err, SECRET), "case %zu leaks: %s", i, err);
        }
        sb_config_free(table, NTABLE);
        unlink(path);
    }
}

static void test_secret_file_limits(void) {
    size_t big = 64 * 1024 + 1;
    char *content = malloc(big);
    char path[64], setting[128], err[512];
    const char *set[] = {setting, NULL};

    if (!content)
        return;
    memset(content, 'k', big);

    /* exactly 64 KiB is accepted, one byte more is not */
    SB_CHECK(write_temp(path, content, big - 1) == 0);
    snprintf(setting, sizeof(setting), "SB_TEST_TOKEN_FILE=%s", path);
    env_reset(set);
    SB_CHECK(sb_config_load(table, NTABLE, err, sizeof(err)) == 0);
    SB_CHECK(cfg.token && strlen(cfg.token) == big - 1);
    sb_config_free(table, NTABLE);
    unlink(path);

    SB_CHECK(write_temp(path, content, big) == 0);
    snprintf(setting, sizeof(setting), "SB_TEST_TOKEN_FILE=%s", path);
    env_reset(set);
    SB_CHECK(sb_config_load(table, NTABLE, err, sizeof(err)) == -1);
    SB_CHECK_MSG(strstr(err, "SB_TEST_TOKEN_FILE") && strstr(err, path) &&
                     strstr(err, "larger than 65536 bytes") && !strstr(err, "kkkk"),
                 "%s", err);
    unlink(path);

    /* the required DATABASE_URL from a file, and an empty one */
    SB_CHECK(write_temp(path, "postgres://db\n", 14) == 0);
    snprintf(setting, sizeof(setting), "SECURITYBOT_DATABASE_URL_FILE=%s", path);
    const char *set2[] = {"SECURITYBOT_DATABASE_URL", setting, NULL};
    env_reset(set2);
    SB_CHECK(sb_config_load(table, NTABLE, err, sizeof(err)) == 0);
    SB_CHECK_STR(cfg.common.database_url, "postgres://db");
    sb_config_free(table, NTABLE);
    unlink(path);

    SB_CHECK(write_temp(path, "", 0) == 0);
    snprintf(setting, sizeof(setting), "SECURITYBOT_DATABASE_URL_FILE=%s", path);
    env_reset(set2);
    SB_CHECK(sb_config_load(table, NTABLE, err, sizeof(err)) == -1);
    SB_CHECK_MSG(strncmp(err, "SECURITYBOT_DATABASE_URL is required", 36) == 0 && strstr(err, path),
                 "%s", err);
    unlink(path);

    /* a directory is not a readable secret */
    snprintf(setting, sizeof(setting), "SB_TEST_TOKEN_FILE=/");
    env_reset(set);
    SB_CHECK(sb_config_load(table, NTABLE, err, sizeof(err)) == -1);
    SB_CHECK_MSG(strncmp(err, "SB_TEST_TOKEN_FILE: cannot", 26) == 0, "%s", err);
    free(content);
}

static void test_dump(void) {
    static const char *const set[] = {"SECURITYBOT_TOPIC_PREFIX=a\"b\\c\n", "SB_TEST_DRY_RUN=on",
                                      "SB_TEST_TOKEN=" SECRET, NULL};
    static const char expect[] =
        "{\"SECURITYBOT_KAFKA_BROKERS\":\"127.0.0.1:9092\","
        "\"SECURITYBOT_DATABASE_URL\":\"(set)\","
        "\"SECURITYBOT_TOPIC_PREFIX\":\"a\\\"b\\\\c\\n\","
        "\"SECURITYBOT_LOG_LEVEL\":\"info\","
        "\"SB_TEST_WORKERS\":4,\"SB_TEST_DRY_RUN\":true,\"SB_TEST_TIMEOUT\":30000,"
        "\"SB_TEST_TOKEN\":\"(set)\",\"SB_TEST_PIN\":\"(unset)\"}";
    char err[256], buf[1024], small[64];

    env_reset(set);
    SB_CHECK(sb_config_load(table, NTABLE, err, sizeof(err)) == 0);
    sb_config_dump(table, NTABLE, buf, sizeof(buf));
    SB_CHECK_STR(buf, expect);
    SB_CHECK(!strstr(buf, SECRET));

    /* too small: whole entries are dropped and the text stays an object */
    sb_config_dump(table, NTABLE, small, sizeof(small));
    SB_CHECK_STR(small, "{\"SECURITYBOT_KAFKA_BROKERS\":\"127.0.0.1:9092\"}");
    sb_config_dump(table, NTABLE, small, 3);
    SB_CHECK_STR(small, "{}");
    sb_config_free(table, NTABLE);

    /* an unset secret */
    const char *set2[] = {"SECURITYBOT_DATABASE_URL", NULL};
    const sb_cfg_entry_t one[] = {table[1]};
    env_reset(set2);
    cfg.common.database_url = NULL;
    sb_config_dump(one, 1, buf, sizeof(buf));
    SB_CHECK_STR(buf, "{\"SECURITYBOT_DATABASE_URL\":\"(unset)\"}");
}

/* SB_CFG_DURATION_OR_OFF: unset takes the default, set but empty is 0. */
static void test_empty_is_off(void) {
    int64_t every = -1;
    const sb_cfg_entry_t t[] = {
        SB_CFG_DURATION_OR_OFF("SB_TEST_EVERY", &every, "24h", "period; empty: off"),
        SB_CFG_DURATION("SB_TEST_TIMEOUT", &cfg.timeout_ms, "30s", "request timeout"),
    };
    char err[256];

    unsetenv("SB_TEST_EVERY");
    SB_CHECK(sb_config_load(t, SB_CFG_COUNT(t), err, sizeof(err)) == 0);
    SB_CHECK(every == 24 * 3600 * 1000);
    setenv("SB_TEST_EVERY", "", 1);
    setenv("SB_TEST_TIMEOUT", "", 1); /* an ordinary entry: empty is unset */
    SB_CHECK(sb_config_load(t, SB_CFG_COUNT(t), err, sizeof(err)) == 0);
    SB_CHECK(every == 0);
    SB_CHECK(cfg.timeout_ms == 30000);
    setenv("SB_TEST_EVERY", "5m", 1);
    SB_CHECK(sb_config_load(t, SB_CFG_COUNT(t), err, sizeof(err)) == 0);
    SB_CHECK(every == 300000);
    unsetenv("SB_TEST_EVERY");
    unsetenv("SB_TEST_TIMEOUT");
}

static void test_help(void) {
    FILE *f = tmpfile();
    char text[4096];
    size_t n;

    if (!f) {
        SB_CHECK_MSG(0, "tmpfile failed");
        return;
    }
    sb_config_help(f, table, NTABLE);
    rewind(f);
    n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    SB_CHECK(strncmp(text, "Environment:\n", 13) == 0);
    SB_CHECK(strstr(text, "  SECURITYBOT_KAFKA_BROKERS  Kafka bootstrap servers (default: "
                          "127.0.0.1:9092)\n") != NULL);
    SB_CHECK(strstr(text, "required; secret, or a file named by SECURITYBOT_DATABASE_URL_FILE)") !=
             NULL);
    SB_CHECK(strstr(text, "worker count (integer; 1 to 64; default: 4)") != NULL);
    SB_CHECK(strstr(text, "request timeout (duration; default: 30s)") != NULL);
}

int main(void) {
    test_defaults();
    test_values();
    test_errors();
    test_secret_files();
    test_secret_file_limits();
    test_dump();
    test_empty_is_off();
    test_help();
    return SB_TEST_DONE();
}
