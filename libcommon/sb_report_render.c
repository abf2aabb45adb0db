/* sb_report_render: a fetched report as text, JSON or CSV. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sb_buf.h"
#include "sb_report.h"
#include "sb_time.h"

#define TITLE_MAX   120 /* characters of a title in text */
#define COMMENT_MAX 600 /* characters of a comment in text */

/* ---- text ---- */

/* s on one line, control characters as spaces, at most max characters. */
static void add_clean(sb_buf_t *b, const char *s, size_t max) {
    sb_buf_add_text(b, s ? s : "", max, SB_BUF_ONE_LINE);
}

/* Left-aligned in width bytes (at least one space after). */
static void add_column(sb_buf_t *b, const char *s, size_t width) {
    size_t start = b->len, used;
    add_clean(b, s, width - 1);
    used = b->err ? 0 : b->len - start;
    for (; used < width; used++)
        sb_buf_add(b, " ", 1);
}

void sb_report_format_duration(double s, char *buf, size_t size) {
    long long t = (long long)llround(s);
    if (s < 0 || isnan(s))
        snprintf(buf, size, "-");
    else if (s < 1)
        snprintf(buf, size, "%lldms", (long long)llround(s * 1000));
    else if (s < 10)
        snprintf(buf, size, "%.1fs", s);
    else if (t < 60)
        snprintf(buf, size, "%llds", t);
    else if (t < 3600)
        snprintf(buf, size, "%lldm%02llds", t / 60, t % 60);
    else if (t < 86400)
        snprintf(buf, size, "%lldh%02lldm", t / 3600, t % 3600 / 60);
    else
        snprintf(buf, size, "%lldd%02lldh", t / 86400, t % 86400 / 3600);
}

static void rate_text(const sb_report_group_t *g, char *buf, size_t size) {
    if (g->prompted == 0)
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.1f%%", 100.0 * (double)g->answered / (double)g->prompted);
}

static void text_group(sb_buf_t *b, const sb_report_group_t *g, int breakdown) {
    char rate[16], median[16];
    rate_text(g, rate, sizeof(rate));
    sb_report_format_duration(g->median_answer_s, median, sizeof(median));
    sb_buf_add(b, "  ", 2);
    add_column(b, g->name, 28);
    sb_buf_addf(b, "%7ld %8ld %8ld %7s %8s", g->alerts, g->prompted, g->answered, rate, median);
    for (size_t i = 0; breakdown && i < g->noutcomes; i++) {
        sb_buf_add(b, i ? ", " : "  ", 2);
        add_clean(b, g->outcomes[i].outcome, 40);
        sb_buf_addf(b, " %ld", g->outcomes[i].alerts);
    }
    sb_buf_add(b, "\n", 1);
}

/* "    resolved: true_positive by console:bob at T: note", or who took it;
 * nothing while nobody did. */
static void text_resolution(sb_buf_t *b, const sb_report_alert_t *a) {
    if (a->verdict) {
        sb_buf_add_str(b, "    resolved: ");
        add_clean(b, a->verdict, 40);
        sb_buf_add_str(b, " by ");
        add_clean(b, a->resolved_by, 80);
        sb_buf_add_str(b, " at ");
        add_clean(b, a->resolved_at, 40);
        if (a->resolution_note) {
            sb_buf_add_str(b, ": \"");
            add_clean(b, a->resolution_note, COMMENT_MAX);
            sb_buf_add_str(b, "\"");
        }
        sb_buf_add_str(b, "\n");
    } else if (a->acknowledged_by) {
        sb_buf_add_str(b, "    acknowledged by ");
        add_clean(b, a->acknowledged_by, 80);
        sb_buf_add_str(b, ", not resolved yet\n");
    }
}

/* "Escalations of these alerts: 3 (open 1, acknowledged 1, true_positive 1)" */
static void text_escalations(sb_buf_t *b, const sb_report_t *r) {
    long raised = 0;
    for (size_t i = 0; i < r->nescalations; i++)
        raised += r->escalations[i].alerts;
    sb_buf_addf(b, "\nEscalations of these alerts: %ld", raised);
    for (size_t i = 0; i < r->nescalations; i++) {
        sb_buf_add_str(b, i ? ", " : " (");
        add_clean(b, r->escalations[i].outcome, 40);
        sb_buf_addf(b, " %ld", r->escalations[i].alerts);
    }
    sb_buf_add_str(b, raised ? ")\n" : "\n");
}

/* "  by rule: vpn-login 3, ssh-login 1" */
static void text_counts(sb_buf_t *b, const char *what, const sb_report_count_t *c, size_t n) {
    sb_buf_addf(b, "  by %s:", what);
    for (size_t i = 0; i < n; i++) {
        sb_buf_add_str(b, i ? ", " : " ");
        add_clean(b, c[i].outcome, 80);
        sb_buf_addf(b, " %ld", c[i].alerts);
    }
    sb_buf_add_str(b, "\n");
}

/* The "not me" answers, when there are any: what to fix in the directory
 * or in a detector's identity mapping. */
static void text_wrong(sb_buf_t *b, const sb_report_t *r) {
    if (r->wrong_employee == 0)
        return;
    sb_buf_addf(b, "\nWrong person (\"not me\", outcome wrong_employee): %ld\n", r->wrong_employee);
    text_counts(b, "rule", r->wrong_rules, r->nwrong_rules);
    text_counts(b, "source", r->wrong_sources, r->nwrong_sources);
}

static void text_flagged(sb_buf_t *b, const sb_report_alert_t *a, const char *console_url) {
    char link[1024];
    sb_buf_addf(b, "- %s  ", a->received_at);
    add_clean(b, a->outcome, 40);
    sb_buf_add(b, "  ", 2);
    add_clean(b, a->employee ? a->employee : a->user, 80);
    if (!a->employee)
        sb_buf_add(b, " (unknown)", 10);
    sb_buf_add(b, "  ", 2);
    add_clean(b, a->rule, 80);
    sb_buf_addf(b, " [%s]: ", a->severity);
    add_clean(b, a->title, TITLE_MAX);
    sb_buf_addf(b, "\n    alert %s", a->id);
    if (a->second_factor)
        sb_buf_addf(b, ", second factor %s", a->second_factor);
    sb_buf_add(b, "\n    comment: ", 14);
    if (a->comment) {
        sb_buf_add(b, "\"", 1);
        add_clean(b, a->comment, COMMENT_MAX);
        sb_buf_add(b, "\"\n", 2);
    } else {
        sb_buf_add(b, "(none)\n", 7);
    }
    text_resolution(b, a);
    if (console_url && sb_report_console_link(console_url, a->id, link, sizeof(link)) == 0)
        sb_buf_addf(b, "    console: %s\n", link);
}

static void render_text(sb_buf_t *b, const sb_report_t *r) {
    static const char header[] = "  %-28s%7s %8s %8s %7s %8s%s\n";
    char since[32], until[32], rate[16], median[16];
    sb_time_format_us(r->since_us, since, sizeof(since));
    sb_time_format_us(r->until_us, until, sizeof(until));
    rate_text(&r->total, rate, sizeof(rate));
    sb_report_format_duration(r->total.median_answer_s, median, sizeof(median));
    sb_buf_addf(b, "securitybot report: alerts received from %s to %s\n", since, until);
    sb_buf_addf(
        b, "%ld alert(s), %ld prompted, %ld answered; response rate %s; median time to answer %s\n",
        r->total.alerts, r->total.prompted, r->total.answered, rate, median);
    if (r->total.alerts == 0)
        return;
    sb_buf_addf(b, "\nBy rule\n");
    sb_buf_addf(b, header, "RULE", "ALERTS", "PROMPTED", "ANSWERED", "RATE", "MEDIAN",
                "  OUTCOMES");
    for (size_t i = 0; i < r->nrules; i++)
        text_group(b, &r->rules[i], 1);
    sb_buf_addf(b, "\nBy outcome (open: not decided yet)\n");
    sb_buf_addf(b, header, "OUTCOME", "ALERTS", "PROMPTED", "ANSWERED", "RATE", "MEDIAN", "");
    for (size_t i = 0; i < r->noutcomes; i++)
        text_group(b, &r->outcomes[i], 0);
    text_escalations(b, r);
    text_wrong(b, r);
    sb_buf_addf(b, "\nDenied, unanswered or failed second factor: %zu\n", r->nflagged);
    for (size_t i = 0; i < r->nflagged; i++)
        text_flagged(b, &r->flagged[i], r->console_url);
}

/* ---- JSON ---- */

static void json_string(cJSON *o, const char *name, const char *s) {
    if (s)
        cJSON_AddStringToObject(o, name, s);
    else
        cJSON_AddNullToObject(o, name);
}

static cJSON *json_group(const sb_report_group_t *g, const char *key) {
    cJSON *o = cJSON_CreateObject();
    if (key)
        json_string(o, key, g->name);
    cJSON_AddNumberToObject(o, "alerts", (double)g->alerts);
    cJSON_AddNumberToObject(o, "prompted", (double)g->prompted);
    cJSON_AddNumberToObject(o, "answered", (double)g->answered);
    if (g->prompted)
        cJSON_AddNumberToObject(o, "response_rate",
                                round(10000.0 * (double)g->answered / (double)g->prompted) /
                                    10000.0);
    else
        cJSON_AddNullToObject(o, "response_rate");
    if (g->median_answer_s >= 0)
        cJSON_AddNumberToObject(o, "median_answer_seconds",
                                round(g->median_answer_s * 1000.0) / 1000.0);
    else
        cJSON_AddNullToObject(o, "median_answer_seconds");
    if (key && !strcmp(key, "rule")) {
        cJSON *counts = cJSON_AddObjectToObject(o, "outcomes");
        for (size_t i = 0; i < g->noutcomes; i++)
            cJSON_AddNumberToObject(counts, g->outcomes[i].outcome, (double)g->outcomes[i].alerts);
    }
    return o;
}

static cJSON *json_alert(const sb_report_alert_t *a, const char *console_url) {
    cJSON *o = cJSON_CreateObject();
    char link[1024];
    const char *names[] = {"id",      "received_at",   "rule",        "severity",
                           "title",   "user",          "employee",    "outcome",
                           "comment", "second_factor", "answered_at", "acknowledged_by",
                           "verdict", "resolved_by",   "resolved_at", "resolution_note"};
    const char *values[] = {a->id,      a->received_at,   a->rule,        a->severity,
                            a->title,   a->user,          a->employee,    a->outcome,
                            a->comment, a->second_factor, a->answered_at, a->acknowledged_by,
                            a->verdict, a->resolved_by,   a->resolved_at, a->resolution_note};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        json_string(o, names[i], values[i]);
    if (console_url && sb_report_console_link(console_url, a->id, link, sizeof(link)) == 0)
        cJSON_AddStringToObject(o, "console_url", link);
    return o;
}

/* {"raised": N, "open": N, "acknowledged": N, "resolved": N, "verdicts": {...}} */
static cJSON *json_escalations(const sb_report_t *r) {
    cJSON *o = cJSON_CreateObject(), *verdicts;
    long raised = 0, open = 0, acknowledged = 0;
    for (size_t i = 0; i < r->nescalations; i++) {
        raised += r->escalations[i].alerts;
        if (!strcmp(r->escalations[i].outcome, "open"))
            open = r->escalations[i].alerts;
        else if (!strcmp(r->escalations[i].outcome, "acknowledged"))
            acknowledged = r->escalations[i].alerts;
    }
    cJSON_AddNumberToObject(o, "raised", (double)raised);
    cJSON_AddNumberToObject(o, "open", (double)open);
    cJSON_AddNumberToObject(o, "acknowledged", (double)acknowledged);
    cJSON_AddNumberToObject(o, "resolved", (double)(raised - open - acknowledged));
    verdicts = cJSON_AddObjectToObject(o, "verdicts");
    for (size_t i = 0; i < r->nescalations; i++)
        if (strcmp(r->escalations[i].outcome, "open") &&
            strcmp(r->escalations[i].outcome, "acknowledged"))
            cJSON_AddNumberToObject(verdicts, r->escalations[i].outcome,
                                    (double)r->escalations[i].alerts);
    return o;
}

/* {"alerts": N, "by_rule": {rule: n}, "by_source": {source: n}} */
static cJSON *json_wrong(const sb_report_t *r) {
    cJSON *o = cJSON_CreateObject(), *rules, *sources;
    cJSON_AddNumberToObject(o, "alerts", (double)r->wrong_employee);
    rules = cJSON_AddObjectToObject(o, "by_rule");
    for (size_t i = 0; i < r->nwrong_rules; i++)
        cJSON_AddNumberToObject(rules, r->wrong_rules[i].outcome, (double)r->wrong_rules[i].alerts);
    sources = cJSON_AddObjectToObject(o, "by_source");
    for (size_t i = 0; i < r->nwrong_sources; i++)
        cJSON_AddNumberToObject(sources, r->wrong_sources[i].outcome,
                                (double)r->wrong_sources[i].alerts);
    return o;
}

static char *render_json(const sb_report_t *r) {
    cJSON *o = cJSON_CreateObject(), *arr;
    char since[32], until[32], *out;
    sb_time_format_us(r->since_us, since, sizeof(since));
    sb_time_format_us(r->until_us, until, sizeof(until));
    cJSON_AddStringToObject(o, "since", since);
    cJSON_AddStringToObject(o, "until", until);
    cJSON_AddItemToObject(o, "total", json_group(&r->total, NULL));
    arr = cJSON_AddArrayToObject(o, "by_rule");
    for (size_t i = 0; i < r->nrules; i++)
        cJSON_AddItemToArray(arr, json_group(&r->rules[i], "rule"));
    arr = cJSON_AddArrayToObject(o, "by_outcome");
    for (size_t i = 0; i < r->noutcomes; i++)
        cJSON_AddItemToArray(arr, json_group(&r->outcomes[i], "outcome"));
    cJSON_AddItemToObject(o, "escalations", json_escalations(r));
    cJSON_AddItemToObject(o, "wrong_employee", json_wrong(r));
    arr = cJSON_AddArrayToObject(o, "flagged");
    for (size_t i = 0; i < r->nflagged; i++)
        cJSON_AddItemToArray(arr, json_alert(&r->flagged[i], r->console_url));
    out = cJSON_Print(o);
    cJSON_Delete(o);
    return out;
}

/* ---- CSV ---- */

static const char CSV_HEADER[] =
    "section,rule,outcome,alerts,prompted,answered,response_rate,median_answer_seconds,"
    "alert_id,received_at,severity,user,employee,second_factor,title,comment,"
    "verdict,resolved_by,resolved_at,resolution_note,source\r\n";

/* One text field, quoted when it must be (RFC 4180). A value a spreadsheet
 * would run as a formula (= + - @ first) gets a leading apostrophe: titles
 * and comments come from outside. */
static void csv_text(sb_buf_t *b, const char *s) {
    if (!s || !*s)
        return;
    int quote = strpbrk(s, ",\"\r\n") != NULL || s[0] == ' ';
    if (quote)
        sb_buf_add(b, "\"", 1);
    if (strchr("=+-@", s[0]) || s[0] == '\t')
        sb_buf_add(b, "'", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            sb_buf_add(b, "\"", 1);
        sb_buf_add(b, p, 1);
    }
    if (quote)
        sb_buf_add(b, "\"", 1);
}

static void csv_group(sb_buf_t *b, const char *section, const char *rule, const char *outcome,
                      const sb_report_group_t *g) {
    sb_buf_addf(b, "%s,", section);
    csv_text(b, rule);
    sb_buf_add(b, ",", 1);
    csv_text(b, outcome);
    sb_buf_addf(b, ",%ld,%ld,%ld,", g->alerts, g->prompted, g->answered);
    if (g->prompted)
        sb_buf_addf(b, "%.4f", (double)g->answered / (double)g->prompted);
    sb_buf_add(b, ",", 1);
    if (g->median_answer_s >= 0)
        sb_buf_addf(b, "%.3f", g->median_answer_s);
    sb_buf_add_str(b, ",,,,,,,,,,,,,\r\n");
}

static void csv_alert(sb_buf_t *b, const sb_report_alert_t *a) {
    const char *tail[] = {a->id,       a->received_at,   a->severity,    a->user,
                          a->employee, a->second_factor, a->title,       a->comment,
                          a->verdict,  a->resolved_by,   a->resolved_at, a->resolution_note};
    sb_buf_add(b, "flagged,", 8);
    csv_text(b, a->rule);
    sb_buf_add(b, ",", 1);
    csv_text(b, a->outcome);
    sb_buf_add(b, ",,,,,", 5);
    for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++) {
        sb_buf_add(b, ",", 1);
        csv_text(b, tail[i]);
    }
    sb_buf_add(b, ",\r\n", 3); /* no source */
}

static void render_csv(sb_buf_t *b, const sb_report_t *r) {
    sb_buf_add_str(b, CSV_HEADER);
    csv_group(b, "total", NULL, NULL, &r->total);
    for (size_t i = 0; i < r->nrules; i++) {
        const sb_report_group_t *g = &r->rules[i];
        csv_group(b, "rule", g->name, NULL, g);
        for (size_t k = 0; k < g->noutcomes; k++) {
            sb_buf_addf(b, "rule_outcome,");
            csv_text(b, g->name);
            sb_buf_add(b, ",", 1);
            csv_text(b, g->outcomes[k].outcome);
            sb_buf_addf(b, ",%ld,,,,,,,,,,,,,,,,,\r\n", g->outcomes[k].alerts);
        }
    }
    for (size_t i = 0; i < r->noutcomes; i++)
        csv_group(b, "outcome", NULL, r->outcomes[i].name, &r->outcomes[i]);
    for (size_t i = 0; i < r->nescalations; i++) /* "open", "acknowledged" or a verdict */
        sb_buf_addf(b, "escalation,,%s,%ld,,,,,,,,,,,,,,,,,\r\n", r->escalations[i].outcome,
                    r->escalations[i].alerts);
    /* "not me" per rule (in the rule column) and per source (in the source column) */
    for (size_t i = 0; i < r->nwrong_rules; i++) {
        sb_buf_add_str(b, "wrong_employee_rule,");
        csv_text(b, r->wrong_rules[i].outcome);
        sb_buf_addf(b, ",wrong_employee,%ld,,,,,,,,,,,,,,,,,\r\n", r->wrong_rules[i].alerts);
    }
    for (size_t i = 0; i < r->nwrong_sources; i++) {
        sb_buf_addf(b, "wrong_employee_source,,wrong_employee,%ld,,,,,,,,,,,,,,,,,",
                    r->wrong_sources[i].alerts);
        csv_text(b, r->wrong_sources[i].outcome);
        sb_buf_add_str(b, "\r\n");
    }
    for (size_t i = 0; i < r->nflagged; i++)
        csv_alert(b, &r->flagged[i]);
}

char *sb_report_render(const sb_report_t *r, sb_report_format_t fmt) {
    sb_buf_t b = {0};
    if (fmt == SB_REPORT_JSON)
        return render_json(r);
    if (fmt == SB_REPORT_CSV)
        render_csv(&b, r);
    else
        render_text(&b, r);
    return sb_buf_take(&b); /* NULL when out of memory */
}
