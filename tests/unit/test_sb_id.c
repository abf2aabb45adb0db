/* Unit tests for sb_id: pinned serialisation vectors and the properties ids rely on. */
#include <string.h>

#include "sb_id.h"
#include "sb_test.h"

/* Expected ids were computed outside this code, e.g.
 *   printf '%s' 'sb-alert-v1|by-id|9:guardduty|7:abc-123|' | sha256sum
 * so any change to the serialisation fails here. */
#define ID_BY_ID "751973018327f5507118e462e1397a3eea6343a35e151453a04159cf2cd6932d"

static const struct {
    const char *source, *id, *rule, *user, *occurred, *title;
    const char *expect;
} alert_vectors[] = {
    {"guardduty", "abc-123", NULL, NULL, NULL, NULL, ID_BY_ID},
    /* id wins: the other fields are ignored when id is present */
    {"guardduty", "abc-123", "R1", "bob", "2026-11-29T12:00:00.000000Z", "t", ID_BY_ID},
    /* byte lengths, not code points: "josé@example.com" is 17 bytes */
    {"siem", NULL, "R1", "jos\xc3\xa9@example.com", "2026-11-29T12:00:00.000000Z",
     "Login from new country", "f35ee60ae5a6e5282a249210b5e343c48a7bfccaf8436a03b108e706d2f759df"},
    /* 'sb-alert-v1|by-id|0:|0:|' */
    {"", "", NULL, NULL, NULL, NULL,
     "cfb77b9833456ea99a5a7b8b1828283814095b41d884ab0423511555ebb9fd91"},
};

static const struct {
    const char *kind, *alert_id, *extra, *expect;
} message_vectors[] = {
    /* 'sb-prompt-v1|64:<id>|' */
    {"prompt", ID_BY_ID, NULL, "0ff9f9737efb59ed8ebb3c301fc183c9c7cbcba0d8a57a3a06387fddc2b18cef"},
    /* 'sb-escalation-request-v1|64:<id>|6:denied|' */
    {"escalation-request", ID_BY_ID, "denied",
     "782780d6797ad3908e90cb41cfa50819dd06157c5fa48d4656ae7647513330f2"},
    /* an empty extra is present, not absent: 'sb-outcome-v1|64:<id>|0:|' */
    {"outcome", ID_BY_ID, "", "fd1dbdff1c2b23cd7f01b4b984d0fe795e89fa93058f5255d92625f9b9e8f32d"},
};

static void test_vectors(void) {
    char out[SB_SHA256_HEX_LEN + 1];
    for (size_t i = 0; i < sizeof(alert_vectors) / sizeof(alert_vectors[0]); i++) {
        SB_CHECK(sb_id_alert(alert_vectors[i].source, alert_vectors[i].id, alert_vectors[i].rule,
                             alert_vectors[i].user, alert_vectors[i].occurred,
                             alert_vectors[i].title, out) == 0);
        SB_CHECK_STR(out, alert_vectors[i].expect);
    }
    for (size_t i = 0; i < sizeof(message_vectors) / sizeof(message_vectors[0]); i++) {
        SB_CHECK(sb_id_message(message_vectors[i].kind, message_vectors[i].alert_id,
                               message_vectors[i].extra, out) == 0);
        SB_CHECK_STR(out, message_vectors[i].expect);
    }
}

static void test_properties(void) {
    char a[SB_SHA256_HEX_LEN + 1], b[SB_SHA256_HEX_LEN + 1];
    const char *ts = "2026-11-29T12:00:00.000000Z";

    /* same input, same id */
    SB_CHECK(sb_id_alert("s", NULL, "r", "u", ts, "t", a) == 0);
    SB_CHECK(sb_id_alert("s", NULL, "r", "u", ts, "t", b) == 0);
    SB_CHECK_STR(a, b);
    SB_CHECK(strlen(a) == SB_SHA256_HEX_LEN && strspn(a, "0123456789abcdef") == strlen(a));

    /* moving bytes across a field boundary changes the id */
    SB_CHECK(sb_id_alert("ab", "c", NULL, NULL, NULL, NULL, a) == 0);
    SB_CHECK(sb_id_alert("a", "bc", NULL, NULL, NULL, NULL, b) == 0);
    SB_CHECK(strcmp(a, b) != 0);
    SB_CHECK(sb_id_alert("s", NULL, "ab", "c", ts, "t", a) == 0);
    SB_CHECK(sb_id_alert("s", NULL, "a", "bc", ts, "t", b) == 0);
    SB_CHECK(strcmp(a, b) != 0);
    /* a separator inside a field cannot forge a boundary */
    SB_CHECK(sb_id_alert("a|1:b", "c", NULL, NULL, NULL, NULL, a) == 0);
    SB_CHECK(sb_id_alert("a", "b|1:c", NULL, NULL, NULL, NULL, b) == 0);
    SB_CHECK(strcmp(a, b) != 0);

    /* by-id and by-fields never coincide, even over the same strings */
    SB_CHECK(sb_id_alert("s", "r", NULL, NULL, NULL, NULL, a) == 0);
    SB_CHECK(sb_id_alert("s", NULL, "r", "u", ts, "t", b) == 0);
    SB_CHECK(strcmp(a, b) != 0);

    /* message kinds and extras separate */
    SB_CHECK(sb_id_message("prompt", ID_BY_ID, NULL, a) == 0);
    SB_CHECK(sb_id_message("outcome", ID_BY_ID, NULL, b) == 0);
    SB_CHECK(strcmp(a, b) != 0);
    SB_CHECK(sb_id_message("escalation-request", ID_BY_ID, "denied", a) == 0);
    SB_CHECK(sb_id_message("escalation-request", ID_BY_ID, "manual", b) == 0);
    SB_CHECK(strcmp(a, b) != 0);
}

static void test_rejects(void) {
    char out[SB_SHA256_HEX_LEN + 1];
    const char *ts = "2026-11-29T12:00:00.000000Z";
    static const struct {
        const char *source, *id, *rule, *user, *occurred, *title;
    } bad[] = {
        {NULL, "x", NULL, NULL, NULL, NULL}, {NULL, NULL, "r", "u", "t", "t"},
        {"s", NULL, NULL, "u", "t", "t"},    {"s", NULL, "r", NULL, "t", "t"},
        {"s", NULL, "r", "u", NULL, "t"},    {"s", NULL, "r", "u", "t", NULL},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        strcpy(out, "unchanged");
        SB_CHECK_MSG(sb_id_alert(bad[i].source, bad[i].id, bad[i].rule, bad[i].user,
                                 bad[i].occurred, bad[i].title, out) == -1,
                     "case %zu", i);
        SB_CHECK_MSG(out[0] == '\0', "case %zu leaves a stale id", i);
    }
    SB_CHECK(sb_id_alert("s", "x", NULL, NULL, NULL, NULL, NULL) == -1);
    SB_CHECK(sb_id_alert("s", NULL, "r", "u", ts, "t", NULL) == -1);
    SB_CHECK(sb_id_message(NULL, ID_BY_ID, NULL, out) == -1);
    SB_CHECK(sb_id_message("prompt", NULL, NULL, out) == -1);
    SB_CHECK(sb_id_message("", ID_BY_ID, NULL, out) == -1);
    SB_CHECK(sb_id_message("a|b", ID_BY_ID, NULL, out) == -1);
    SB_CHECK(sb_id_message("prompt", ID_BY_ID, NULL, NULL) == -1);
}

int main(void) {
    test_vectors();
    test_properties();
    test_rejects();
    return SB_TEST_DONE();
}
