/* Unit tests for sb_message: shared message builders match the contract. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sb_id.h"
#include "sb_message.h"
#include "sb_schema.h"
#include "sb_test.h"

static const char ALERT[] = "5e43d3fecfb1e24a8e3fd5d1eec3fa26f4dca95020aa1149aed95319383580e7";

static void test_priority(void) {
    static const char *const table[][2] = {
        {"low", "low"}, {"medium", "normal"}, {"high", "high"}, {"critical", "high"}};
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        SB_CHECK_STR(sb_message_priority(table[i][0]), table[i][1]);
}

static void test_escalation_request(void) {
    char err[256], mid[SB_SHA256_HEX_LEN + 1];
    char *a = sb_message_escalation_request(ALERT, NULL, "unknown_employee", "critical", NULL,
                                            "sb-ingest", "2026-11-29T12:00:00.000000Z");
    char *b = sb_message_escalation_request(ALERT, "7", "denied", "low", "it was not me",
                                            "sb-response", "2026-11-29T12:00:01Z");
    cJSON *ja = a ? cJSON_Parse(a) : NULL, *jb = b ? cJSON_Parse(b) : NULL;
    SB_CHECK(ja && jb);
    if (ja && jb) {
        SB_CHECK_MSG(sb_schema_validate("escalation-request", ja, err, sizeof(err)) == 0, "%s",
                     err);
        SB_CHECK_MSG(sb_schema_validate("escalation-request", jb, err, sizeof(err)) == 0, "%s",
                     err);
        sb_id_message("escalation-request", ALERT, "unknown_employee", mid);
        SB_CHECK_STR(cJSON_GetObjectItem(ja, "message_id")->valuestring, mid);
        SB_CHECK(cJSON_IsNull(cJSON_GetObjectItem(ja, "employee_id")));
        SB_CHECK_STR(cJSON_GetObjectItem(ja, "priority")->valuestring, "high");
        SB_CHECK_STR(cJSON_GetObjectItem(jb, "comment")->valuestring, "it was not me");
        /* another reason is another request */
        SB_CHECK(strcmp(cJSON_GetObjectItem(jb, "message_id")->valuestring, mid) != 0);
    }
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    free(a);
    free(b);
}

int main(void) {
    test_priority();
    test_escalation_request();
    return SB_TEST_DONE();
}
