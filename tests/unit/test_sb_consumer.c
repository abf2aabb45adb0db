/* Unit tests for sb_consumer (offline): the static member's name, and that a consumer is made with
 * it. */
#include <stdio.h>
#include <string.h>

#include "sb_consumer.h"
#include "sb_test.h"

static void test_instance_id(void) {
    static const struct {
        const char *id;
        int ok;
    } cases[] = {
        {"sb-ingest-0", 1},
        {"securitybot-response-2", 1},
        {"pod.name_1", 1},
        {"A", 1},
        {"", 0},
        {"has space", 0},
        {"slash/inside", 0},
        {"colon:inside", 0},
        {"ünïcode", 0},
        {"new\nline", 0},
    };
    char err[256], long_id[300];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        int rc = sb_consumer_check_instance_id(cases[i].id, err, sizeof(err));
        SB_CHECK_MSG((rc == 0) == cases[i].ok, "'%s' -> %d", cases[i].id, rc);
        if (!cases[i].ok)
            SB_CHECK(strstr(err, "SECURITYBOT_INSTANCE_ID") != NULL);
    }
    memset(long_id, 'a', sizeof(long_id));
    long_id[249] = '\0';
    SB_CHECK(sb_consumer_check_instance_id(long_id, err, sizeof(err)) == 0);
    long_id[249] = 'a';
    long_id[250] = '\0';
    SB_CHECK(sb_consumer_check_instance_id(long_id, err, sizeof(err)) == -1);
}

/* librdkafka takes the group and the static name without a broker (it
 * connects in the background); the consumer closes at once. */
static void test_new(void) {
    const char *topics[] = {"sbtest.unit"};
    const char *ids[] = {NULL, "", "sb-ingest-0"};
    char err[512];
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        sb_consumer_t *c =
            sb_consumer_new("127.0.0.1:1", "sbtest-unit", ids[i], topics, 1, err, sizeof(err));
        SB_CHECK_MSG(c != NULL, "%s", err);
        SB_CHECK(c == NULL || sb_consumer_fatal(c) == 0);
        sb_consumer_destroy(c);
    }
}

int main(void) {
    test_instance_id();
    test_new();
    return SB_TEST_DONE();
}
