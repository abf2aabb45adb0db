/* Unit tests for alertmanager: Alertmanager webhook bodies mapped to alerts and dead letters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alertmanager.h"
#include "sb_buf.h"
#include "sb_id.h"
#include "sb_message.h"
#include "sb_schema.h"
#include "sb_test.h"

static const char SOURCE[] = "prometheus-prod";

/* A realistic version 4 body, as Alertmanager 0.25 writes one (field order, \u0026):
 * valid firing, resolved, no user label, a number label, non-ASCII text. */
static const char BODY[] =
    "{\"receiver\":\"securitybot\",\"status\":\"firing\",\"alerts\":["
    "{\"status\":\"firing\",\"labels\":{\"alertname\":\"SSHLoginFromNewCountry\","
    "\"country\":\"NZ\",\"instance\":\"bastion-1:9100\",\"job\":\"auth\",\"severity\":\"critical\","
    "\"user\":\"alice\"},\"annotations\":{\"description\":\"alice logged in from NZ\","
    "\"summary\":\"SSH login from a new country\"},"
    "\"startsAt\":\"2026-11-29T13:00:00.123456789+01:00\",\"endsAt\":\"0001-01-01T00:00:00Z\","
    "\"generatorURL\":\"http://prom:9090/graph?g0.expr=up\\u0026g0.tab=1\","
    "\"fingerprint\":\"1a30ba71cca2921f\"},"
    "{\"status\":\"resolved\",\"labels\":{\"alertname\":\"SSHLoginFromNewCountry\","
    "\"user\":\"bob\"},\"annotations\":{},\"startsAt\":\"2026-11-29T10:00:00Z\","
    "\"endsAt\":\"2026-11-29T11:00:00Z\",\"generatorURL\":\"\",\"fingerprint\":\"2b\"},"
    "{\"status\":\"firing\",\"labels\":{\"alertname\":\"DiskFull\",\"instance\":\"db-1\"},"
    "\"annotations\":{},\"startsAt\":\"2026-11-29T12:00:00Z\",\"endsAt\":\"0001-01-01T00:00:00Z\","
    "\"generatorURL\":\"\",\"fingerprint\":\"3c\"},"
    "{\"status\":\"firing\",\"labels\":{\"alertname\":\"X\",\"user\":\"carol\",\"port\":22},"
    "\"annotations\":{},\"startsAt\":\"2026-11-29T12:00:00Z\",\"fingerprint\":\"4d\"},"
    "{\"status\":\"firing\",\"labels\":{\"alertname\":\"Anmeldung\",\"user\":\"zoë@example.com\","
    "\"city\":\"東京\"},\"annotations\":{\"summary\":\"Überwachung 🚨 ausgelöst\"},"
    "\"startsAt\":\"2026-11-29T12:00:00Z\",\"endsAt\":\"0001-01-01T00:00:00Z\","
    "\"generatorURL\":\"http://prom:9090/\",\"fingerprint\":\"5e\"}"
    "],\"groupLabels\":{\"alertname\":\"SSHLoginFromNewCountry\"},\"commonLabels\":{},"
    "\"commonAnnotations\":{},\"externalURL\":\"http://am:9093\",\"version\":\"4\","
    "\"groupKey\":\"{}:{alertname=\\\"SSHLoginFromNewCountry\\\"}\",\"truncatedAlerts\":0}";

static const char *str_field(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* An accepted alert: its JSON passes the validator again, and its id is
 * the one sb-ingest computes. */
static void check_valid(const sb_am_alert_t *a) {
    sb_alert_t again;
    char detail[256], id[SB_SHA256_HEX_LEN + 1];
    SB_CHECK_MSG(sb_alert_parse(a->json, a->json_len, &again, detail, sizeof(detail)) ==
                     SB_REJECT_NONE,
                 "%s: %s", a->json, detail);
    SB_CHECK(sb_id_alert(again.source, again.id, again.rule, again.user, again.occurred_at_utc,
                         again.title, id) == 0);
    SB_CHECK_STR(a->alert_id, id);
    SB_CHECK_MSG(sb_schema_validate("alert", a->alert.root, detail, sizeof(detail)) == 0, "%s",
                 detail);
    sb_alert_clear(&again);
}

static void check_dead(const sb_am_result_t *r, size_t i, size_t index, sb_reject_t reason,
                       const char *detail) {
    SB_CHECK_MSG(i < r->dead_lettered, "dead letter %zu of %zu", i, r->dead_lettered);
    if (i >= r->dead_lettered)
        return;
    const sb_am_dead_t *d = &r->dead[i];
    SB_CHECK_MSG(d->index == index, "index %zu, want %zu", d->index, index);
    SB_CHECK_MSG(d->reason == reason, "reason %s, want %s (%s)", sb_reject_code(d->reason),
                 sb_reject_code(reason), d->detail);
    SB_CHECK_MSG(strstr(d->detail, detail) != NULL, "detail \"%s\" lacks \"%s\"", d->detail,
                 detail);
    cJSON *orig = cJSON_Parse(d->original);
    SB_CHECK_MSG(orig != NULL, "original is not JSON: %s", d->original);
    cJSON_Delete(orig);
}

static int map(const char *body, size_t len, const char *label, sb_am_result_t *r) {
    char err[256] = "";
    int rc = sb_am_map(body, len, SOURCE, label, r, err, sizeof(err));
    if (rc)
        fprintf(stderr, "  (sb_am_map: %s)\n", err);
    return rc;
}

static void test_realistic(void) {
    sb_am_result_t r;
    SB_CHECK(map(BODY, sizeof(BODY) - 1, NULL, &r) == 0);
    SB_CHECK(r.accepted == 2 && r.dead_lettered == 2 && r.resolved_ignored == 1);
    SB_CHECK(r.truncated_alerts == 0);
    if (r.accepted != 2) {
        sb_am_result_clear(&r);
        return;
    }
    const sb_am_alert_t *a = &r.alerts[0];
    SB_CHECK(a->index == 0);
    SB_CHECK_STR(a->json,
                 "{\"source\":\"prometheus-prod\",\"rule\":\"SSHLoginFromNewCountry\","
                 "\"title\":\"SSH login from a new country\",\"user\":\"alice\","
                 "\"occurred_at\":\"2026-11-29T12:00:00.123456Z\","
                 "\"id\":\"1a30ba71cca2921f@2026-11-29T12:00:00.123456Z\","
                 "\"description\":\"alice logged in from NZ\",\"severity\":\"critical\","
                 "\"url\":\"http://prom:9090/graph?g0.expr=up&g0.tab=1\","
                 "\"details\":{\"country\":\"NZ\",\"instance\":\"bastion-1:9100\",\"job\":\"auth\","
                 "\"severity\":\"critical\"}}");
    SB_CHECK_STR(a->alert.user, "alice");
    check_valid(a);

    a = &r.alerts[1];
    SB_CHECK(a->index == 4);
    SB_CHECK_STR(a->json, "{\"source\":\"prometheus-prod\",\"rule\":\"Anmeldung\","
                          "\"title\":\"Überwachung 🚨 ausgelöst\",\"user\":\"zoë@example.com\","
                          "\"occurred_at\":\"2026-11-29T12:00:00.000000Z\","
                          "\"id\":\"5e@2026-11-29T12:00:00.000000Z\",\"severity\":\"medium\","
                          "\"url\":\"http://prom:9090/\",\"details\":{\"city\":\"東京\"}}");
    check_valid(a);

    check_dead(&r, 0, 2, SB_REJECT_MISSING_FIELD, "label 'user' is missing");
    SB_CHECK(strstr(r.dead[0].original, "\"fingerprint\":\"3c\"") != NULL);
    check_dead(&r, 1, 3, SB_REJECT_INVALID_TYPE, "label 'port' must be a string, not number");
    sb_am_result_clear(&r);
    SB_CHECK(r.alerts == NULL && r.accepted == 0);
}

/* One firing alert with these labels and annotations (JSON members). */
static int map_one(const char *labels, const char *annotations, const char *extra,
                   const char *user_label, sb_am_result_t *r) {
    sb_buf_t b = {0};
    sb_buf_addf(&b,
                "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\","
                "\"labels\":{%s},\"annotations\":{%s},%s\"fingerprint\":\"f00\"}]}",
                labels, annotations, extra ? extra : "\"startsAt\":\"2026-11-29T12:00:00Z\",");
    int rc = b.err ? -1 : map(b.s, b.len, user_label, r);
    sb_buf_free(&b);
    return rc;
}

static void test_severities(void) {
    static const struct {
        const char *label, *want;
    } cases[] = {
        {"critical", "critical"}, {"high", "high"}, {"error", "high"},  {"warning", "medium"},
        {"info", "low"},          {"none", "low"},  {"page", "medium"}, {"CRITICAL", "medium"},
        {"", "medium"},           {NULL, "medium"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char labels[160];
        sb_am_result_t r;
        snprintf(labels, sizeof(labels), "\"alertname\":\"A\",\"user\":\"u\"%s%s%s",
                 cases[i].label ? ",\"severity\":\"" : "", cases[i].label ? cases[i].label : "",
                 cases[i].label ? "\"" : "");
        SB_CHECK(map_one(labels, "", NULL, NULL, &r) == 0);
        SB_CHECK_MSG(r.accepted == 1, "severity %s: not accepted", cases[i].label);
        if (r.accepted == 1) {
            SB_CHECK_STR(r.alerts[0].alert.severity, cases[i].want);
            SB_CHECK_STR(str_field(r.alerts[0].alert.root, "severity"), cases[i].want);
            /* the label itself is kept, since the mapping loses it */
            const cJSON *det = r.alerts[0].alert.details;
            if (cases[i].label)
                SB_CHECK_STR(str_field(det, "severity"), cases[i].label);
            else
                SB_CHECK(det == NULL);
        }
        sb_am_result_clear(&r);
    }
}

/* Title, description, url fall-backs; a user label of one's own. */
static void test_fields(void) {
    sb_am_result_t r;
    SB_CHECK(map_one("\"alertname\":\"Brute\",\"owner\":\"dave\",\"user\":\"svc\"",
                     "\"summary\":\"\",\"description\":\"\",\"runbook_url\":\"http://rb\"", NULL,
                     "owner", &r) == 0);
    SB_CHECK(r.accepted == 1);
    if (r.accepted == 1) {
        SB_CHECK_STR(r.alerts[0].json,
                     "{\"source\":\"prometheus-prod\",\"rule\":\"Brute\",\"title\":\"Brute\","
                     "\"user\":\"dave\",\"occurred_at\":\"2026-11-29T12:00:00.000000Z\","
                     "\"id\":\"f00@2026-11-29T12:00:00.000000Z\",\"severity\":\"medium\","
                     "\"details\":{\"user\":\"svc\"}}");
        check_valid(&r.alerts[0]);
    }
    sb_am_result_clear(&r);

    /* the same instant written with another offset is the same alert */
    sb_am_result_t r2;
    SB_CHECK(map_one("\"alertname\":\"A\",\"user\":\"u\"", "",
                     "\"startsAt\":\"2026-11-29T12:00:00Z\",", NULL, &r) == 0);
    SB_CHECK(map_one("\"alertname\":\"A\",\"user\":\"u\"", "",
                     "\"startsAt\":\"2026-11-29T07:00:00-05:00\",", NULL, &r2) == 0);
    SB_CHECK(r.accepted == 1 && r2.accepted == 1);
    if (r.accepted == 1 && r2.accepted == 1)
        SB_CHECK_STR(r.alerts[0].alert_id, r2.alerts[0].alert_id);
    sb_am_result_clear(&r);
    sb_am_result_clear(&r2);
}

/* Items that cannot become alerts: each one dead, with its reason. */
static void test_dead_items(void) {
    static const struct {
        const char *labels, *annotations, *extra;
        sb_reject_t reason;
        const char *detail;
    } cases[] = {
        {"\"user\":\"u\"", "", NULL, SB_REJECT_MISSING_FIELD, "label 'alertname' is missing"},
        {"\"alertname\":\"A\",\"user\":\"u\"", "", "\"startsAt\":\"yesterday\",",
         SB_REJECT_INVALID_VALUE, "'startsAt' is not an RFC 3339 date-time: 'yesterday'"},
        {"\"alertname\":\"A\",\"user\":\"u\"", "", "\"startsAt\":\"2026-02-30T00:00:00Z\",",
         SB_REJECT_INVALID_VALUE, "'startsAt'"},
        {"\"alertname\":\"A\",\"user\":\"u\"", "", "", SB_REJECT_MISSING_FIELD,
         "'startsAt' is missing"},
        {"\"alertname\":\"A\",\"user\":\"u\"", "\"summary\":7", NULL, SB_REJECT_INVALID_TYPE,
         "annotation 'summary' must be a string, not number"},
        {"\"alertname\":\"A\",\"user\":\"\"", "", NULL, SB_REJECT_INVALID_VALUE,
         "field 'user' must not be empty"},
        {"\"alertname\":\"A\",\"user\":{\"x\":1}", "", NULL, SB_REJECT_INVALID_TYPE,
         "label 'user' must be a string, not object"},
    };
    sb_am_result_t r;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        SB_CHECK(map_one(cases[i].labels, cases[i].annotations, cases[i].extra, NULL, &r) == 0);
        SB_CHECK_MSG(r.accepted == 0, "case %zu accepted", i);
        check_dead(&r, 0, 0, cases[i].reason, cases[i].detail);
        sb_am_result_clear(&r);
    }

    /* title: 200 code points pass, 201 do not (the validator's limit) */
    for (int n = 200; n <= 201; n++) {
        char title[1100] = "\"summary\":\"";
        for (int k = 0; k < n; k++)
            strcat(title, "é");
        strcat(title, "\"");
        SB_CHECK(map_one("\"alertname\":\"A\",\"user\":\"u\"", title, NULL, NULL, &r) == 0);
        SB_CHECK_MSG(r.accepted == (n == 200), "title of %d accepted: %zu", n, r.accepted);
        if (n == 201)
            check_dead(&r, 0, 0, SB_REJECT_FIELD_TOO_LONG, "field 'title' is 201 characters");
        sb_am_result_clear(&r);
    }

    /* a huge label set: 50 other labels go to details, 51 or 5000 do not */
    static const int counts[] = {50, 51, 5000};
    for (size_t c = 0; c < 3; c++) {
        sb_buf_t labels = {0};
        sb_buf_add_str(&labels, "\"alertname\":\"A\",\"user\":\"u\"");
        for (int k = 0; k < counts[c]; k++)
            sb_buf_addf(&labels, ",\"label_%04d\":\"value\"", k);
        SB_CHECK(!labels.err && map_one(labels.s, "", NULL, NULL, &r) == 0);
        SB_CHECK_MSG(r.accepted == (c == 0), "%d labels accepted: %zu", counts[c], r.accepted);
        if (c == 0 && r.accepted == 1)
            SB_CHECK(cJSON_GetArraySize(r.alerts[0].alert.details) == 50);
        if (c > 0)
            check_dead(&r, 0, 0, SB_REJECT_FIELD_TOO_LONG, "labels would go to 'details'");
        sb_am_result_clear(&r);
        sb_buf_free(&labels);
    }
}

/* Items that are not alerts at all, and statuses other than firing. */
static void test_odd_items(void) {
    static const char body[] =
        "{\"alerts\":[1,null,{\"status\":\"pending\"},{\"labels\":{}},"
        "{\"status\":\"firing\",\"labels\":[]},{\"status\":\"firing\",\"labels\":{\"alertname\":"
        "\"A\",\"user\":\"u\"},\"startsAt\":\"2026-11-29T12:00:00Z\"},"
        "{\"status\":\"firing\",\"labels\":{\"alertname\":\"A\",\"user\":\"u\"},"
        "\"startsAt\":\"2026-11-29T12:00:00Z\",\"fingerprint\":\"\"},{\"status\":\"resolved\"}]}";
    sb_am_result_t r;
    SB_CHECK(map(body, sizeof(body) - 1, NULL, &r) == 0);
    SB_CHECK(r.accepted == 0 && r.dead_lettered == 7 && r.resolved_ignored == 1);
    check_dead(&r, 0, 0, SB_REJECT_NOT_OBJECT, "the alert is number, not an object");
    check_dead(&r, 1, 1, SB_REJECT_NOT_OBJECT, "the alert is null");
    check_dead(&r, 2, 2, SB_REJECT_INVALID_VALUE, "'status' is 'pending'");
    check_dead(&r, 3, 3, SB_REJECT_MISSING_FIELD, "'status' is missing");
    check_dead(&r, 4, 4, SB_REJECT_INVALID_TYPE, "'labels' must be an object, not array");
    check_dead(&r, 5, 5, SB_REJECT_MISSING_FIELD, "'fingerprint' is missing");
    check_dead(&r, 6, 6, SB_REJECT_INVALID_VALUE, "'fingerprint' is empty");
    SB_CHECK_STR(r.dead[1].original, "null");
    sb_am_result_clear(&r);
}

/* Bodies that are not Alertmanager webhooks: refused whole, with a reason. */
static void test_not_alertmanager(void) {
    static const struct {
        const char *body;
        sb_reject_t reason;
    } cases[] = {
        {"", SB_REJECT_INVALID_JSON},
        {"not json", SB_REJECT_INVALID_JSON},
        {"[{\"status\":\"firing\"}]", SB_REJECT_NOT_OBJECT},
        {"{}", SB_REJECT_MISSING_FIELD},
        {"{\"alerts\":{}}", SB_REJECT_INVALID_TYPE},
        {"{\"alerts\":null}", SB_REJECT_INVALID_TYPE},
        {"{\"alerts\":[],\"alerts\":[]}", SB_REJECT_DUPLICATE_KEY},
        {"{\"alerts\":[\"\xff\"]}", SB_REJECT_INVALID_UTF8},
        {"{\"alerts\":[\"a\\u0000b\"]}", SB_REJECT_INVALID_VALUE},
        {"{\"alerts\":[]} x", SB_REJECT_INVALID_JSON},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sb_am_result_t r;
        char err[256] = "";
        int rc =
            sb_am_map(cases[i].body, strlen(cases[i].body), SOURCE, NULL, &r, err, sizeof(err));
        SB_CHECK_MSG(rc == -1, "case %zu accepted", i);
        SB_CHECK_MSG(r.reject == cases[i].reason, "case %zu: %s, want %s (%s)", i,
                     sb_reject_code(r.reject), sb_reject_code(cases[i].reason), err);
        SB_CHECK(*err != '\0' && r.alerts == NULL && r.dead == NULL && r.accepted == 0);
    }
    /* an empty alerts array is a webhook with nothing in it; Alertmanager's cut is told */
    static const char empty[] = "{\"alerts\":[],\"truncatedAlerts\":7}";
    sb_am_result_t r;
    SB_CHECK(map(empty, sizeof(empty) - 1, NULL, &r) == 0);
    SB_CHECK(r.accepted + r.dead_lettered + r.resolved_ignored == 0 && r.truncated_alerts == 7);
    sb_am_result_clear(&r);
}

/* At most SB_AM_MAX_ALERTS alerts and SB_AM_MAX_BODY_BYTES bytes. */
static void test_limits(void) {
    static const char item[] = "{\"status\":\"firing\",\"labels\":{\"alertname\":\"A\","
                               "\"user\":\"u\"},\"startsAt\":\"2026-11-29T12:00:00Z\","
                               "\"fingerprint\":\"%05d\"}";
    for (int n = SB_AM_MAX_ALERTS; n <= SB_AM_MAX_ALERTS + 1; n++) {
        sb_buf_t b = {0};
        sb_am_result_t r;
        char err[256] = "";
        sb_buf_add_str(&b, "{\"version\":\"4\",\"alerts\":[");
        for (int k = 0; k < n; k++) {
            sb_buf_add_str(&b, k ? "," : "");
            sb_buf_addf(&b, item, k);
        }
        sb_buf_add_str(&b, "]}");
        SB_CHECK(!b.err);
        int rc = sb_am_map(b.s, b.len, SOURCE, NULL, &r, err, sizeof(err));
        if (n == SB_AM_MAX_ALERTS) {
            SB_CHECK_MSG(rc == 0 && r.accepted == (size_t)n, "%d alerts: %s", n, err);
            /* every id different: the fingerprint is in it */
            SB_CHECK(rc == 0 && strcmp(r.alerts[0].alert_id, r.alerts[n - 1].alert_id) != 0);
            SB_CHECK(rc == 0 && r.alerts[n - 1].index == (size_t)n - 1);
        } else {
            SB_CHECK(rc == -1 && r.reject == SB_REJECT_TOO_LARGE);
            SB_CHECK_MSG(strstr(err, "10001 alerts in one body, the limit is 10000") != NULL, "%s",
                         err);
        }
        sb_am_result_clear(&r);
        sb_buf_free(&b);
    }

    /* one byte over the body limit is refused before it is parsed */
    size_t len = SB_AM_MAX_BODY_BYTES + 1;
    char *big = malloc(len), err[256];
    sb_am_result_t r;
    if (!big)
        return;
    memset(big, ' ', len);
    SB_CHECK(sb_am_map(big, len, SOURCE, NULL, &r, err, sizeof(err)) == -1);
    SB_CHECK(r.reject == SB_REJECT_TOO_LARGE);
    free(big);
}

/* d as the intake publishes it (intake.h: topic "http:<path>", offset the index). */
static cJSON *dead_letter(const sb_am_dead_t *d) {
    SB_CHECK(d->original_len == strlen(d->original));
    return sb_message_dead_letter("http:/v1/alerts/alertmanager", 0, (int64_t)d->index, d->original,
                                  d->original_len, sb_reject_code(d->reason), d->detail,
                                  "2026-11-29T12:00:01Z");
}

/* Our dead letters through libcommon's builder: alert-dlq.v1, an original over 64 KiB cut. */
static void test_dead_letter_json(void) {
    sb_am_result_t r;
    char err[256];
    SB_CHECK(map(BODY, sizeof(BODY) - 1, NULL, &r) == 0);
    if (r.dead_lettered == 2) {
        cJSON *o = dead_letter(&r.dead[0]);
        SB_CHECK_MSG(sb_schema_validate("alert-dlq", o, err, sizeof(err)) == 0, "%s", err);
        SB_CHECK_STR(str_field(o, "reason"), "missing_field");
        SB_CHECK_STR(str_field(o, "original"), r.dead[0].original);
        SB_CHECK(!cJSON_GetObjectItemCaseSensitive(o, "original_truncated"));
        cJSON_Delete(o);
    }
    sb_am_result_clear(&r);

    /* a 70,000-byte label value: the mapped alert is too large, the original cut */
    sb_buf_t labels = {0};
    sb_buf_add_str(&labels, "\"alertname\":\"A\",\"user\":\"u\",\"big\":\"");
    for (int k = 0; k < 35000; k++)
        sb_buf_add_str(&labels, "é");
    sb_buf_add_str(&labels, "\"");
    SB_CHECK(!labels.err && map_one(labels.s, "", NULL, NULL, &r) == 0);
    check_dead(&r, 0, 0, SB_REJECT_TOO_LARGE, "the mapped alert: message is");
    if (r.dead_lettered == 1) {
        cJSON *o = dead_letter(&r.dead[0]);
        SB_CHECK_MSG(sb_schema_validate("alert-dlq", o, err, sizeof(err)) == 0, "%s", err);
        SB_CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "original_truncated")));
        const cJSON *bytes = cJSON_GetObjectItemCaseSensitive(o, "original_bytes");
        SB_CHECK(cJSON_IsNumber(bytes) && bytes->valuedouble == (double)strlen(r.dead[0].original));
        const char *orig = str_field(o, "original");
        SB_CHECK(orig && strlen(orig) <= SB_ALERT_MAX_BYTES && strlen(orig) > 65000);
        SB_CHECK(orig && !strncmp(orig, r.dead[0].original, strlen(orig)));
        cJSON_Delete(o);
    }
    sb_am_result_clear(&r);
    sb_buf_free(&labels);
}

/* The bytes of the file at path into b; 0 or -1. */
static int read_file(const char *path, sb_buf_t *b) {
    char chunk[4096];
    size_t n;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        sb_buf_add(b, chunk, n);
    fclose(f);
    return b->err ? -1 : 0;
}

/* A body Alertmanager 0.25 really sent (tests/integration/0018 captured it). */
static void test_captured(void) {
    const char *dir = getenv("SB_SOURCE_DIR");
    char path[1024], err[256];
    sb_buf_t b = {0};
    sb_am_result_t r;
    snprintf(path, sizeof(path), "%s/workers/gateway/tests/corpus/alertmanager/captured-0.25.json",
             dir ? dir : "../..");
    SB_CHECK_MSG(read_file(path, &b) == 0, "cannot read %s", path);
    SB_CHECK(sb_am_map(b.s ? b.s : "", b.len, SOURCE, NULL, &r, err, sizeof(err)) == 0);
    /* the capture: two firing alerts with a user, one without, one resolved */
    SB_CHECK_MSG(r.accepted == 2 && r.dead_lettered == 1 && r.resolved_ignored == 1,
                 "%zu accepted, %zu dead, %zu resolved", r.accepted, r.dead_lettered,
                 r.resolved_ignored);
    for (size_t i = 0; i < r.accepted; i++)
        check_valid(&r.alerts[i]);
    if (r.accepted == 2)
        SB_CHECK_STR(r.alerts[0].json,
                     "{\"source\":\"prometheus-prod\",\"rule\":\"SecurityTest\","
                     "\"title\":\"SSH login from a new country\",\"user\":\"alice\","
                     "\"occurred_at\":\"2026-12-06T01:14:26.123456Z\","
                     "\"id\":\"b30f9ff260427758@2026-12-06T01:14:26.123456Z\","
                     "\"description\":\"alice from NZ\",\"severity\":\"critical\","
                     "\"url\":\"http://prometheus.example:9090/graph?g0.expr=up&g0.tab=1\","
                     "\"details\":{\"instance\":\"bastion-1\",\"severity\":\"critical\"}}");
    if (r.dead_lettered == 1)
        check_dead(&r, 0, r.dead[0].index, SB_REJECT_MISSING_FIELD, "label 'user' is missing");
    sb_am_result_clear(&r);
    sb_buf_free(&b);
}

/* test_sb_alertmanager FILE [USER_LABEL]: maps the body in FILE (source "test"), prints
 * one JSON line: counts, alerts, dead letters (for tests/integration/0018). */
static int map_file(const char *path, const char *user_label) {
    sb_buf_t b = {0};
    sb_am_result_t r;
    char err[256];
    cJSON *o = cJSON_CreateObject(), *alerts = cJSON_AddArrayToObject(o, "alerts"),
          *dead = cJSON_AddArrayToObject(o, "dead");
    int rc = 1;
    if (read_file(path, &b) == -1 || !alerts || !dead)
        goto out;
    if (sb_am_map(b.s ? b.s : "", b.len, "test", user_label, &r, err, sizeof(err)) == -1) {
        cJSON_AddStringToObject(o, "error", err);
        cJSON_AddStringToObject(o, "reason", sb_reject_code(r.reject));
    }
    cJSON_AddNumberToObject(o, "accepted", (double)r.accepted);
    cJSON_AddNumberToObject(o, "dead_lettered", (double)r.dead_lettered);
    cJSON_AddNumberToObject(o, "resolved_ignored", (double)r.resolved_ignored);
    for (size_t i = 0; i < r.accepted; i++)
        cJSON_AddItemToArray(alerts, cJSON_Parse(r.alerts[i].json));
    for (size_t i = 0; i < r.dead_lettered; i++) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "reason", sb_reject_code(r.dead[i].reason));
        cJSON_AddStringToObject(d, "detail", r.dead[i].detail);
        cJSON_AddItemToArray(dead, d);
    }
    char *s = cJSON_PrintUnformatted(o);
    rc = s && printf("%s\n", s) > 0 ? 0 : 1;
    free(s);
    sb_am_result_clear(&r);
out:
    cJSON_Delete(o);
    sb_buf_free(&b);
    return rc;
}

int main(int argc, char **argv) {
    if (argc > 1)
        return map_file(argv[1], argc > 2 ? argv[2] : NULL);
    test_realistic();
    test_severities();
    test_fields();
    test_dead_items();
    test_odd_items();
    test_not_alertmanager();
    test_limits();
    test_dead_letter_json();
    test_captured();
    return SB_TEST_DONE();
}
