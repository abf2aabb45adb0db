/* Unit tests for the intake body: splitting one object, arrays and NDJSON, limits, alert checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_alerts.h"
#include "intake_body.h"
#include "sb_id.h"
#include "sb_test.h"

#define ALERT(src, rule)                                                                           \
    "{\"source\":\"" src "\",\"rule\":\"" rule "\",\"title\":\"t\",\"user\":\"jdoe\","             \
    "\"occurred_at\":\"2026-11-29T12:00:00Z\"}"

/* Splits body and joins the items with '|'. */
static sb_intake_body_t split(const char *body, sb_intake_format_t f, size_t max, char *joined,
                              size_t size) {
    sb_intake_item_t items[8];
    char detail[128];
    size_t n = 0, off = 0;
    sb_intake_body_t rc =
        sb_intake_body_split(body, strlen(body), f, items, max, &n, detail, sizeof(detail));
    joined[0] = '\0';
    for (size_t i = 0; i < n && off < size; i++)
        off += (size_t)snprintf(joined + off, size - off, "%s%.*s", i ? "|" : "", (int)items[i].len,
                                items[i].p);
    if (rc != SB_INTAKE_BODY_OK)
        SB_CHECK(detail[0] != '\0');
    return rc;
}

static void test_split(void) {
    static const struct {
        const char *body;
        sb_intake_format_t f;
        sb_intake_body_t rc;
        const char *items;
    } cases[] = {
        /* one value: whole, trimmed; not judged here */
        {" {\"a\":1}\n", SB_INTAKE_JSON, SB_INTAKE_BODY_OK, "{\"a\":1}"},
        {"not json", SB_INTAKE_JSON, SB_INTAKE_BODY_OK, "not json"},
        {"{\"a\":[1,2]} x", SB_INTAKE_JSON, SB_INTAKE_BODY_OK, "{\"a\":[1,2]} x"},
        /* arrays */
        {"[{\"a\":1}, {\"b\":[2,{}]} ]", SB_INTAKE_JSON, SB_INTAKE_BODY_OK,
         "{\"a\":1}|{\"b\":[2,{}]}"},
        {"[{\"s\":\"],[}\\\"\"},3]", SB_INTAKE_JSON, SB_INTAKE_BODY_OK, "{\"s\":\"],[}\\\"\"}|3"},
        {"\n[ 1 ]\n", SB_INTAKE_JSON, SB_INTAKE_BODY_OK, "1"},
        {"[[1,2],[3]]", SB_INTAKE_JSON, SB_INTAKE_BODY_OK, "[1,2]|[3]"},
        {"[]", SB_INTAKE_JSON, SB_INTAKE_BODY_EMPTY, ""},
        {"  ", SB_INTAKE_JSON, SB_INTAKE_BODY_EMPTY, ""},
        {"", SB_INTAKE_JSON, SB_INTAKE_BODY_EMPTY, ""},
        {"[1,]", SB_INTAKE_JSON, SB_INTAKE_BODY_MALFORMED, "1"},
        {"[,1]", SB_INTAKE_JSON, SB_INTAKE_BODY_MALFORMED, ""},
        {"[1,,2]", SB_INTAKE_JSON, SB_INTAKE_BODY_MALFORMED, "1"},
        {"[1", SB_INTAKE_JSON, SB_INTAKE_BODY_MALFORMED, ""},
        {"[{\"a\":1}", SB_INTAKE_JSON, SB_INTAKE_BODY_MALFORMED, ""},
        {"[{\"a\":1}}]", SB_INTAKE_JSON, SB_INTAKE_BODY_MALFORMED, ""},
        {"[\"unterminated]", SB_INTAKE_JSON, SB_INTAKE_BODY_MALFORMED, ""},
        {"[\"\\", SB_INTAKE_JSON, SB_INTAKE_BODY_MALFORMED, ""},
        {"[1] [2]", SB_INTAKE_JSON, SB_INTAKE_BODY_MALFORMED, "1"},
        {"[1,2,3,4]", SB_INTAKE_JSON, SB_INTAKE_BODY_TOO_MANY, "1|2|3"},
        /* NDJSON: one a line, blank lines and CR skipped */
        {"{\"a\":1}\n{\"b\":2}\n", SB_INTAKE_NDJSON, SB_INTAKE_BODY_OK, "{\"a\":1}|{\"b\":2}"},
        {"\n1\r\n\n  \n2", SB_INTAKE_NDJSON, SB_INTAKE_BODY_OK, "1|2"},
        {"[1,2]\n", SB_INTAKE_NDJSON, SB_INTAKE_BODY_OK, "[1,2]"},
        {"\n\n", SB_INTAKE_NDJSON, SB_INTAKE_BODY_EMPTY, ""},
        {"1\n2\n3\n4\n", SB_INTAKE_NDJSON, SB_INTAKE_BODY_TOO_MANY, "1|2|3"},
    };
    char joined[512];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sb_intake_body_t rc = split(cases[i].body, cases[i].f, 3, joined, sizeof(joined));
        SB_CHECK_MSG(rc == cases[i].rc, "case %zu: %d", i, (int)rc);
        SB_CHECK_MSG(strcmp(joined, cases[i].items) == 0, "case %zu: %s", i, joined);
    }
}

/* 1,000 alerts pass, 1,001 do not; deep nesting is only counted. */
static void test_limits(void) {
    size_t cap = 2 * 1024 * 1024, n = 0, off = 0;
    char *body = malloc(cap), detail[128];
    sb_intake_item_t *items = calloc(SB_INTAKE_MAX_ALERTS, sizeof(*items));
    body[off++] = '[';
    for (int i = 0; i < SB_INTAKE_MAX_ALERTS; i++)
        off += (size_t)snprintf(body + off, cap - off, "%s%s", i ? "," : "", ALERT("okta", "r"));
    body[off++] = ']';
    SB_CHECK(sb_intake_body_split(body, off, SB_INTAKE_JSON, items, SB_INTAKE_MAX_ALERTS, &n,
                                  detail, sizeof(detail)) == SB_INTAKE_BODY_OK);
    SB_CHECK(n == SB_INTAKE_MAX_ALERTS);
    off--;
    off += (size_t)snprintf(body + off, cap - off, ",%s]", ALERT("okta", "r"));
    SB_CHECK(sb_intake_body_split(body, off, SB_INTAKE_JSON, items, SB_INTAKE_MAX_ALERTS, &n,
                                  detail, sizeof(detail)) == SB_INTAKE_BODY_TOO_MANY);
    /* 100,000 levels of brackets: no recursion, one element */
    off = 0;
    body[off++] = '[';
    for (int i = 0; i < 100000; i++)
        body[off++] = '[';
    for (int i = 0; i < 100000; i++)
        body[off++] = ']';
    body[off++] = ']';
    SB_CHECK(sb_intake_body_split(body, off, SB_INTAKE_JSON, items, SB_INTAKE_MAX_ALERTS, &n,
                                  detail, sizeof(detail)) == SB_INTAKE_BODY_OK &&
             n == 1);
    free(items);
    free(body);
}

static void test_check(void) {
    const char *texts[] = {
        ALERT("okta", "r1"),
        "{\"source\":\"okta\",\"rule\":\"r2\"}",
        ALERT("okta", "r3"),
        "[1]",
        "{\"source\":\"okta\",\"source\":\"okta\",\"rule\":\"r\",\"title\":\"t\",\"user\":\"u\","
        "\"occurred_at\":\"2026-11-29T12:00:00Z\"}",
    };
    sb_intake_item_t items[5];
    sb_intake_checked_t c;
    char want[65];
    for (size_t i = 0; i < 5; i++)
        items[i] = (sb_intake_item_t){texts[i], strlen(texts[i])};

    /* all valid, right source: the same ids as sb-ingest computes */
    SB_CHECK(sb_intake_alerts_check(items, 1, "okta", &c) == 0);
    SB_CHECK(c.errors == NULL && c.other_source == -1);
    sb_id_alert("okta", NULL, "r1", "jdoe", "2026-11-29T12:00:00.000000Z", "t", want);
    SB_CHECK_STR(c.ids[0], want);
    sb_intake_checked_clear(&c);

    /* invalid ones: their index, reason and detail, in input order */
    SB_CHECK(sb_intake_alerts_check(items, 5, "okta", &c) == 0);
    SB_CHECK(c.other_source == -1);
    SB_CHECK(cJSON_GetArraySize(c.errors) == 3);
    const char *reasons[] = {"missing_field", "not_object", "duplicate_key"};
    const int index[] = {1, 3, 4};
    for (int i = 0; i < 3; i++) {
        const cJSON *e = cJSON_GetArrayItem(c.errors, i);
        SB_CHECK(cJSON_GetObjectItem(e, "index")->valueint == index[i]);
        SB_CHECK_STR(cJSON_GetObjectItem(e, "reason")->valuestring, reasons[i]);
        SB_CHECK(strlen(cJSON_GetObjectItem(e, "detail")->valuestring) > 0);
    }
    sb_intake_checked_clear(&c);

    /* another token's source: the first such alert */
    SB_CHECK(sb_intake_alerts_check(items, 3, "siem", &c) == 0);
    SB_CHECK(c.other_source == 0);
    sb_intake_checked_clear(&c);
}

int main(void) {
    test_split();
    test_limits();
    test_check();
    return SB_TEST_DONE();
}
