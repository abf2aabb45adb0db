/* Unit tests for sb_report's pure parts: --since/--until values, formats,
 * durations, and rendering a hand-made report as text, JSON and CSV. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sb_report.h"
#include "sb_test.h"

#define NOW  INT64_C(1795953600000000) /* 2026-11-29T12:00:00Z */
#define HOUR INT64_C(3600000000)

static const struct {
    const char *in;
    int64_t us; /* when ok */
    int ok;
} times[] = {
    {"24h", NOW - 24 * HOUR, 1},
    {"7d", NOW - 7 * 24 * HOUR, 1},
    {"90m", NOW - 90 * 60 * INT64_C(1000000), 1},
    {"30", NOW - 30 * INT64_C(1000000), 1},
    {"0", NOW, 1},
    {"now", NOW, 1},
    {"2026-11-29T10:00:00Z", NOW - 2 * HOUR, 1},
    {"2026-11-29T11:00:00+00:30", NOW - HOUR - HOUR / 2, 1},
    {"36500d", NOW - INT64_C(36500) * 24 * HOUR, 1},
    {"40000d", 0, 0}, /* over 100 years: a typo */
    {"", 0, 0},
    {"-1h", 0, 0},
    {"24x", 0, 0},
    {"h", 0, 0},
    {"yesterday", 0, 0},
    {"2026-11-29", 0, 0},
    {"0000-06-01T00:00:00Z", 0, 0}, /* PostgreSQL has no year 0 */
    {"99999999999999999999d", 0, 0},
};

static const struct {
    double seconds;
    const char *want;
} durations[] = {
    {-1, "-"},         {0, "0ms"},        {0.85, "850ms"},        {4.24, "4.2s"},
    {42.4, "42s"},     {59.6, "1m00s"},   {192, "3m12s"},         {7500, "2h05m"},
    {86399, "23h59m"}, {273600, "3d04h"}, {86400 * 40, "40d00h"},
};

/* A report with hostile text where text comes from outside. */
static sb_report_count_t ssh_outcomes[] = {{"denied", 2}, {"confirmed", 1}};
static sb_report_count_t dl_outcomes[] = {{"open", 1}};
static sb_report_group_t rules[] = {
    {"ssh-login", 3, 3, 2, 42.5, ssh_outcomes, 2},
    {"=big,download", 1, 0, 0, -1, dl_outcomes, 1},
};
static sb_report_group_t outcomes[] = {
    {"denied", 2, 2, 1, 10, NULL, 0},
    {"confirmed", 1, 1, 1, 75, NULL, 0},
    {"open", 1, 0, 0, -1, NULL, 0},
};
static sb_report_alert_t flagged[] = {
    {"aaaa", "2026-11-29T10:00:00.000000Z", "ssh-login", "high", "Login \x1b[31mred", "alice",
     "alice", "denied", "I was \"at\"\nlunch, really", "not_attempted",
     "2026-11-29T10:00:10.000000Z", "console:carol", "true_positive", "console:carol",
     "2026-11-29T11:00:00.000000Z", "keys rotated,\nhost rebuilt"},
    {"bbbb", "2026-11-29T10:05:00.000000Z", "ssh-login", "low", "quiet", "ghost", NULL,
     "no_response", NULL, NULL, NULL, "console-token:ci", NULL, NULL, NULL, NULL},
    {"cccc", "2026-11-29T10:06:00.000000Z", "ssh-login", "medium", "t", "bob", "bob", "denied",
     "=HYPERLINK(\"x\")", "failed", NULL, NULL, NULL, NULL, NULL, NULL},
};
static sb_report_count_t escalations[] = {{"open", 1}, {"acknowledged", 1}, {"true_positive", 1}};
/* "not me" answers: per rule and per source (a hostile source name) */
static sb_report_count_t wrong_rules[] = {{"vpn-login", 3}, {"ssh-login", 1}};
static sb_report_count_t wrong_sources[] = {{"okta", 2}, {"=cmd|x,y", 1}, {"osquery", 1}};

/* Console links: the base with or without its '/', nothing else. */
static const struct {
    const char *base, *want; /* want NULL: refused */
} links[] = {
    {"https://console.example.com", "https://console.example.com/#/alert/aaaa"},
    {"https://console.example.com/", "https://console.example.com/#/alert/aaaa"},
    {"http://127.0.0.1:8090/sb", "http://127.0.0.1:8090/sb/#/alert/aaaa"},
    {"javascript:alert(1)", NULL},
    {"ftp://x", NULL},
    {"https://x/a b", NULL},
    {"https://x/<y>", NULL},
    {"https://x/|y", NULL},
    {"https://x/\ny", NULL},
    {NULL, NULL},
};

static sb_report_t sample(void) {
    sb_report_t r = {.since_us = NOW - 24 * HOUR, .until_us = NOW};
    r.total = (sb_report_group_t){NULL, 4, 3, 2, 42.5, NULL, 0};
    r.rules = rules;
    r.nrules = 2;
    r.outcomes = outcomes;
    r.noutcomes = 3;
    r.flagged = flagged;
    r.nflagged = 3;
    r.escalations = escalations;
    r.nescalations = 3;
    r.wrong_employee = 4;
    r.wrong_rules = wrong_rules;
    r.nwrong_rules = 2;
    r.wrong_sources = wrong_sources;
    r.nwrong_sources = 3;
    return r;
}

static double num(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : -999;
}

static void test_json(const sb_report_t *r) {
    char *out = sb_report_render(r, SB_REPORT_JSON);
    cJSON *j = out ? cJSON_Parse(out) : NULL;
    SB_CHECK_MSG(j != NULL, "JSON parses");
    if (!j) {
        free(out);
        return;
    }
    const cJSON *total = cJSON_GetObjectItem(j, "total");
    SB_CHECK(num(total, "alerts") == 4 && num(total, "prompted") == 3);
    SB_CHECK(num(total, "response_rate") == 0.6667); /* 2/3, four decimals */
    SB_CHECK(num(total, "median_answer_seconds") == 42.5);
    SB_CHECK_STR(cJSON_GetObjectItem(j, "since")->valuestring, "2026-11-28T12:00:00.000000Z");
    const cJSON *r1 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "by_rule"), 1);
    SB_CHECK_STR(cJSON_GetObjectItem(r1, "rule")->valuestring, "=big,download");
    SB_CHECK(cJSON_IsNull(cJSON_GetObjectItem(r1, "response_rate")));
    SB_CHECK(cJSON_IsNull(cJSON_GetObjectItem(r1, "median_answer_seconds")));
    const cJSON *r0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "by_rule"), 0);
    SB_CHECK(num(cJSON_GetObjectItem(r0, "outcomes"), "denied") == 2);
    SB_CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "by_outcome")) == 3);
    const cJSON *f = cJSON_GetObjectItem(j, "flagged");
    SB_CHECK(cJSON_GetArraySize(f) == 3);
    SB_CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(f, 0), "comment")->valuestring,
                 "I was \"at\"\nlunch, really"); /* JSON keeps the words as they are */
    SB_CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(f, 1), "employee")));
    /* the security team's work on each escalation */
    SB_CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(f, 0), "verdict")->valuestring,
                 "true_positive");
    SB_CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(f, 0), "resolution_note")->valuestring,
                 "keys rotated,\nhost rebuilt");
    SB_CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(f, 1), "acknowledged_by")->valuestring,
                 "console-token:ci");
    SB_CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(f, 1), "verdict")));
    SB_CHECK(cJSON_GetObjectItem(cJSON_GetArrayItem(f, 0), "console_url") == NULL);
    const cJSON *esc = cJSON_GetObjectItem(j, "escalations");
    SB_CHECK(num(esc, "raised") == 3 && num(esc, "open") == 1 && num(esc, "acknowledged") == 1 &&
             num(esc, "resolved") == 1);
    SB_CHECK(num(cJSON_GetObjectItem(esc, "verdicts"), "true_positive") == 1);
    const cJSON *wrong = cJSON_GetObjectItem(j, "wrong_employee");
    SB_CHECK(num(wrong, "alerts") == 4);
    SB_CHECK(num(cJSON_GetObjectItem(wrong, "by_rule"), "vpn-login") == 3 &&
             num(cJSON_GetObjectItem(wrong, "by_rule"), "ssh-login") == 1);
    SB_CHECK(num(cJSON_GetObjectItem(wrong, "by_source"), "okta") == 2 &&
             num(cJSON_GetObjectItem(wrong, "by_source"), "=cmd|x,y") == 1 &&
             num(cJSON_GetObjectItem(wrong, "by_source"), "osquery") == 1);
    cJSON_Delete(j);
    free(out);
}

/* Splits RFC 4180 records; returns how many, with each record's field count. */
static int csv_records(const char *s, int *fields, int max) {
    int n = 0, nf = 1, quoted = 0;
    for (const char *p = s; *p; p++) {
        if (quoted) {
            if (*p == '"' && p[1] == '"')
                p++;
            else if (*p == '"')
                quoted = 0;
        } else if (*p == '"') {
            quoted = 1;
        } else if (*p == ',') {
            nf++;
        } else if (*p == '\r' && p[1] == '\n') {
            if (n < max)
                fields[n] = nf;
            n++;
            nf = 1;
            p++;
        }
    }
    return n;
}

static void test_csv(const sb_report_t *r) {
    char *out = sb_report_render(r, SB_REPORT_CSV);
    int fields[32], n;
    SB_CHECK(out != NULL);
    if (!out)
        return;
    static const char head[] = "section,rule,outcome,alerts,prompted,answered,response_rate,";
    SB_CHECK(!strncmp(out, head, strlen(head)));
    /* header, total, 2 rules + 3 breakdowns, 3 outcomes, 3 escalation states,
     * 2 + 3 "not me" counts, 3 flagged */
    n = csv_records(out, fields, 32);
    SB_CHECK_MSG(n == 21, "%d records", n);
    for (int i = 0; i < n && i < 32; i++)
        SB_CHECK_MSG(fields[i] == 21, "record %d has %d fields", i, fields[i]);
    SB_CHECK(strstr(out, ",verdict,resolved_by,resolved_at,resolution_note,source\r\n") != NULL);
    SB_CHECK(strstr(out, "\r\nwrong_employee_rule,vpn-login,wrong_employee,3,") != NULL);
    SB_CHECK(strstr(out, "\r\nwrong_employee_source,,wrong_employee,2,,,,,,,,,,,,,,,,,okta\r\n") !=
             NULL);
    SB_CHECK(strstr(out, ",\"'=cmd|x,y\"\r\n") != NULL); /* quoted, never a formula */
    SB_CHECK(strstr(out, "\r\nescalation,,true_positive,1,") != NULL);
    SB_CHECK(strstr(out, ",true_positive,console:carol,2026-11-29T11:00:00.000000Z,\"keys "
                         "rotated,\nhost rebuilt\",\r\n") != NULL);
    SB_CHECK(strstr(out, "\r\ntotal,,,4,3,2,0.6667,42.500,") != NULL);
    SB_CHECK(strstr(out, "\r\nrule,\"'=big,download\",,1,0,0,,,") != NULL);
    SB_CHECK(strstr(out, "\r\nrule_outcome,ssh-login,denied,2,") != NULL);
    SB_CHECK(strstr(out, ",\"I was \"\"at\"\"\nlunch, really\",true_positive,") != NULL);
    SB_CHECK(strstr(out, ",\"'=HYPERLINK(\"\"x\"\")\",,,,,\r\n") != NULL); /* never a formula */
    SB_CHECK(strstr(out, "flagged,ssh-login,no_response,,,,,,bbbb,") != NULL);
    free(out);
}

static void test_text(const sb_report_t *r) {
    char *out = sb_report_render(r, SB_REPORT_TEXT);
    SB_CHECK(out != NULL);
    if (!out)
        return;
    SB_CHECK(strstr(out, "4 alert(s), 3 prompted, 2 answered; response rate 66.7%; median time "
                         "to answer 43s\n") != NULL);
    SB_CHECK(strstr(out, "  denied 2, confirmed 1\n") != NULL);
    SB_CHECK(strchr(out, '\x1b') == NULL); /* no terminal escapes from a title */
    SB_CHECK(strstr(out, "comment: \"I was \"at\" lunch, really\"\n") != NULL);
    SB_CHECK(strstr(out, "ghost (unknown)") != NULL);
    SB_CHECK(strstr(out, "failed second factor: 3\n") != NULL);
    SB_CHECK(strstr(out, "Escalations of these alerts: 3 (open 1, acknowledged 1, true_positive "
                         "1)\n") != NULL);
    SB_CHECK(strstr(out, "    resolved: true_positive by console:carol at "
                         "2026-11-29T11:00:00.000000Z: \"keys rotated, host rebuilt\"\n") != NULL);
    SB_CHECK(strstr(out, "    acknowledged by console-token:ci, not resolved yet\n") != NULL);
    SB_CHECK(strstr(out, "\nWrong person (\"not me\", outcome wrong_employee): 4\n"
                         "  by rule: vpn-login 3, ssh-login 1\n"
                         "  by source: okta 2, =cmd|x,y 1, osquery 1\n") != NULL);
    SB_CHECK(strstr(out, "console: ") == NULL); /* no console URL: no links */
    free(out);

    sb_report_t linked = *r;
    linked.console_url = "https://console.example.com/";
    out = sb_report_render(&linked, SB_REPORT_TEXT);
    SB_CHECK(out && strstr(out, "    console: https://console.example.com/#/alert/bbbb\n"));
    free(out);
    out = sb_report_render(&linked, SB_REPORT_JSON);
    SB_CHECK(out && strstr(out, "\"console_url\":\t\"https://console.example.com/#/alert/cccc\""));
    free(out);

    sb_report_t empty = {.since_us = NOW - HOUR, .until_us = NOW};
    empty.total.median_answer_s = -1;
    out = sb_report_render(&empty, SB_REPORT_TEXT);
    SB_CHECK(out && strstr(out, "0 alert(s), 0 prompted, 0 answered; response rate -;"));
    SB_CHECK(out && !strstr(out, "By rule"));
    SB_CHECK(out && !strstr(out, "Wrong person"));
    free(out);
    out = sb_report_render(&empty, SB_REPORT_JSON);
    cJSON *j = out ? cJSON_Parse(out) : NULL;
    SB_CHECK(j &&
             cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "total"), "response_rate")));
    SB_CHECK(j && cJSON_GetArraySize(cJSON_GetObjectItem(j, "flagged")) == 0);
    SB_CHECK(j && num(cJSON_GetObjectItem(j, "wrong_employee"), "alerts") == 0);
    cJSON_Delete(j);
    free(out);
}

int main(void) {
    sb_report_format_t fmt = SB_REPORT_TEXT;
    char buf[32];

    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        int64_t us = 7;
        int rc = sb_report_parse_time(times[i].in, NOW, &us);
        if (times[i].ok)
            SB_CHECK_MSG(rc == 0 && us == times[i].us, "'%s' -> %lld", times[i].in, (long long)us);
        else
            SB_CHECK_MSG(rc == -1, "'%s' should be rejected", times[i].in);
    }
    SB_CHECK(sb_report_parse_time(NULL, NOW, &(int64_t){0}) == -1);
    for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
        sb_report_format_duration(durations[i].seconds, buf, sizeof(buf));
        SB_CHECK_STR(buf, durations[i].want);
    }
    SB_CHECK(sb_report_format_parse("json", &fmt) == 0 && fmt == SB_REPORT_JSON);
    SB_CHECK(sb_report_format_parse("csv", &fmt) == 0 && fmt == SB_REPORT_CSV);
    SB_CHECK(sb_report_format_parse("text", &fmt) == 0 && fmt == SB_REPORT_TEXT);
    SB_CHECK(sb_report_format_parse("JSON", &fmt) == -1);
    SB_CHECK(sb_report_format_parse("xml", &fmt) == -1);
    SB_CHECK(sb_report_format_parse(NULL, &fmt) == -1);

    char link[128];
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        int rc = sb_report_console_link(links[i].base, "aaaa", link, sizeof(link));
        if (links[i].want)
            SB_CHECK_MSG(rc == 0 && !strcmp(link, links[i].want), "%s -> %s", links[i].base, link);
        else
            SB_CHECK_MSG(rc == -1, "%s should be refused", links[i].base ? links[i].base : "NULL");
    }
    SB_CHECK(sb_report_console_link("https://x", "aaaa", link, 12) == -1); /* does not fit */

    sb_report_t r = sample();
    test_json(&r);
    test_csv(&r);
    test_text(&r);
    sb_report_clear(NULL);
    return SB_TEST_DONE();
}
