/* Unit tests for sb-console's pure parts: asset names, cookies, API paths, roles, trusted proxies.
 */
#include <string.h>

#include "api.h"
#include "assets.h"
#include "auth.h"
#include "console.h"
#include "sb_test.h"

static void test_asset_names(void) {
    static const struct {
        const char *name;
        int ok;
    } cases[] = {
        {"app.js", 1}, {"img/logo.png", 1}, {"a-b_c.d.css", 1}, {"", 0},
        {"..", 0},     {"../main.c", 0},    {"img/../../x", 0}, {".hidden", 0},
        {"img/.x", 0}, {"/etc/passwd", 0},  {"a//b", 0},        {"a/", 0},
        {"a\\b", 0},   {"a%2e", 0},         {"a b", 0},         {"\xc3\xa9.js", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        SB_CHECK_MSG(assets_name_ok(cases[i].name) == cases[i].ok, "%s", cases[i].name);
    SB_CHECK_STR(assets_media_type("x.JS"), "text/javascript; charset=utf-8");
    SB_CHECK(assets_media_type("main.c") == NULL);
    SB_CHECK(assets_media_type("js") == NULL);
}

static void test_cookies(void) {
    static const struct {
        const char *header;
        int rc;
        const char *value;
    } cases[] = {
        {"sb_session=abc", 1, "abc"},
        {"a=1; sb_session=abc; b=2", 1, "abc"},
        {"xsb_session=abc", 0, NULL},
        {"sb_sessionx=abc", 0, NULL},
        {"", 0, NULL},
        {NULL, 0, NULL},
        {"sb_session=a; sb_session=b", -1, NULL},
        {"sb_session=0123456789012345678901234567890123456789", -1, NULL}, /* too long */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[16] = "";
        int rc = auth_cookie_value(cases[i].header, "sb_session", out, sizeof(out));
        SB_CHECK_MSG(rc == cases[i].rc, "%s: %d", cases[i].header ? cases[i].header : "NULL", rc);
        if (cases[i].value)
            SB_CHECK_STR(out, cases[i].value);
    }
}

static void test_paths(void) {
    char p[2][80];
    SB_CHECK(api_path_match("/api/v1/alerts", "/api/v1/alerts", p));
    SB_CHECK(!api_path_match("/api/v1/alerts", "/api/v1/alerts/", p));
    SB_CHECK(api_path_match("/api/v1/alerts/{}", "/api/v1/alerts/abc", p));
    SB_CHECK_STR(p[0], "abc");
    SB_CHECK(!api_path_match("/api/v1/alerts/{}", "/api/v1/alerts/", p));
    SB_CHECK(!api_path_match("/api/v1/alerts/{}", "/api/v1/alerts/a/b", p));
    SB_CHECK(api_path_match("/api/v1/escalations/{}/resolve", "/api/v1/escalations/x1/resolve", p));
    SB_CHECK_STR(p[0], "x1");
    SB_CHECK(!api_path_match("/api/v1/escalations/{}/resolve", "/api/v1/escalations/x1/ack", p));
    char longseg[120];
    memset(longseg, 'a', sizeof(longseg) - 1);
    longseg[sizeof(longseg) - 1] = '\0';
    char path[160] = "/api/v1/alerts/";
    strcat(path, longseg);
    SB_CHECK(!api_path_match("/api/v1/alerts/{}", path, p));
}

static void test_roles_and_proxies(void) {
    console_t c = {0};
    char err[256];
    SB_CHECK(console_role_parse("viewer") == CONSOLE_ROLE_VIEWER);
    SB_CHECK(console_role_parse("admin") == CONSOLE_ROLE_ADMIN);
    SB_CHECK(console_role_parse("Admin") == CONSOLE_ROLE_NONE);
    SB_CHECK(console_role_parse(NULL) == CONSOLE_ROLE_NONE);
    SB_CHECK(CONSOLE_ROLE_ADMIN > CONSOLE_ROLE_RESPONDER &&
             CONSOLE_ROLE_RESPONDER > CONSOLE_ROLE_VIEWER);
    SB_CHECK_STR(console_role_name(CONSOLE_ROLE_RESPONDER), "responder");
    SB_CHECK(console_trusted_parse(&c, "127.0.0.1, ::1,10.0.0.2", err, sizeof(err)) == 0);
    SB_CHECK_MSG(c.ntrusted == 3, "%zu %s", c.ntrusted, err);
    SB_CHECK(console_trusted_peer(&c, "::1"));
    SB_CHECK(console_trusted_peer(&c, "10.0.0.2"));
    SB_CHECK(!console_trusted_peer(&c, "10.0.0.20"));
    SB_CHECK(!console_trusted_peer(&c, NULL));
    SB_CHECK(console_trusted_parse(&c, NULL, err, sizeof(err)) == 0 && c.ntrusted == 0);
    SB_CHECK(console_trusted_parse(&c, "proxy.example.com", err, sizeof(err)) == -1);
    SB_CHECK(console_trusted_parse(&c, "10.0.0.1,,10.0.0.2", err, sizeof(err)) == -1);
    SB_CHECK(console_trusted_parse(&c, "10.0.0.0/8", err, sizeof(err)) == -1);
}

/* Count of needle in hay. */
static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* The alerts list's statement: only the terms of the filters present,
 * numbered in order, every value a parameter. */
static void test_alerts_statement(void) {
    const char *v[12] = {0}, *params[12];
    char sql[4096], tiny[64];
    v[11] = "50";
    SB_CHECK(api_alerts_statement(v, API_Q_SCAN, sql, sizeof(sql), params) == 1);
    SB_CHECK(strstr(sql, "WHERE true ORDER BY a.received_at DESC, a.id DESC LIMIT $1::int") !=
             NULL);
    SB_CHECK(params[0] == v[11]);

    v[1] = "ssh-login", v[9] = "1700000000000000", v[10] = "ab";
    SB_CHECK(api_alerts_statement(v, API_Q_SCAN, sql, sizeof(sql), params) == 4);
    SB_CHECK(strstr(sql, "WHERE true AND a.rule = $1::text AND a.received_at <= timestamptz ") !=
             NULL);
    SB_CHECK(count(sql, "$2::bigint") == 2 && strstr(sql, "OR a.id < $3::text)") &&
             strstr(sql, "LIMIT $4::int"));
    SB_CHECK(!strstr(sql, "a.source =") && !strstr(sql, "LIKE"));
    SB_CHECK(params[0] == v[1] && params[1] == v[9] && params[2] == v[10] && params[3] == v[11]);

    /* the employee's term uses its one parameter three times */
    const char *e[12] = {"bob", [11] = "5"};
    SB_CHECK(api_alerts_statement(e, API_Q_SCAN, sql, sizeof(sql), params) == 2);
    SB_CHECK(count(sql, "$1::text") == 3 && strstr(sql, "LIMIT $2::int"));

    /* the text search: a term with a trigram is first probed among the
     * newest alerts, then searched in the search table and its queue; one
     * without scans the newest alerts */
    const char *q[12] = {[1] = "vpn", [8] = "disk", [11] = "5"};
    SB_CHECK(api_alerts_q_mode("disk") == API_Q_PROBE);
    SB_CHECK(api_alerts_statement(q, API_Q_INDEXED, sql, sizeof(sql), params) == 3);
    SB_CHECK(count(sql, "$2::text") == 3 && strstr(sql, "FROM alert_titles WHERE") &&
             strstr(sql, "FROM alert_title_queue WHERE") && strstr(sql, "LIMIT $3::int"));
    SB_CHECK(api_alerts_statement(q, API_Q_PROBE, sql, sizeof(sql), params) == 3);
    SB_CHECK(strncmp(sql, "SELECT * FROM (SELECT a.id", 26) == 0 && !strstr(sql, "alert_titles"));
    SB_CHECK(
        strstr(sql, "AND a.rule = $1::text ORDER BY a.received_at DESC, a.id DESC LIMIT 2000) s"
                    " WHERE lower(s.title) LIKE ") &&
        count(sql, "$2::text") == 1 && strstr(sql, "ORDER BY s.us DESC, s.id DESC LIMIT $3::int"));
    SB_CHECK(params[0] == q[1] && params[1] == q[8] && params[2] == q[11]);
    const char *no_trigram[] = {"ab", "a b c", "%_%", "1%2", "c:\\ at"};
    for (size_t i = 0; i < sizeof(no_trigram) / sizeof(*no_trigram); i++)
        SB_CHECK(api_alerts_q_mode(no_trigram[i]) == API_Q_SCAN);
    const char *trigram[] = {"abc", "x 100%", "ümlaut", "a日本"};
    for (size_t i = 0; i < sizeof(trigram) / sizeof(*trigram); i++)
        SB_CHECK(api_alerts_q_mode(trigram[i]) == API_Q_PROBE);
    q[8] = "ab";
    SB_CHECK(api_alerts_statement(q, API_Q_SCAN, sql, sizeof(sql), params) == 3);
    SB_CHECK(count(sql, "$2::text") == 1 && !strstr(sql, "alert_titles") &&
             !strstr(sql, "LIMIT 2000"));

    /* every filter: twelve parameters; no value becomes SQL */
    const char *hostile = "x'); DROP TABLE alerts; --";
    for (int i = 0; i < 11; i++)
        v[i] = hostile;
    SB_CHECK(api_alerts_statement(v, API_Q_SCAN, sql, sizeof(sql), params) == 12);
    SB_CHECK(strstr(sql, "DROP") == NULL && strstr(sql, "$12::int") != NULL);
    SB_CHECK(api_alerts_statement(v, API_Q_SCAN, tiny, sizeof(tiny), params) == -1);
}

int main(void) {
    test_alerts_statement();
    test_asset_names();
    test_cookies();
    test_paths();
    test_roles_and_proxies();
    return SB_TEST_DONE();
}
