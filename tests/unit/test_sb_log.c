/* Unit tests for sb_log: level parsing, JSON escaping, and the JSON lines written to stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "sb_log.h"
#include "sb_test.h"
#include "sb_utf8.h"

#define OUT_MAX 65536

static void test_level_parse(void) {
    static const struct {
        const char *in;
        int rc;
        sb_log_level_t level;
    } cases[] = {
        {"debug", 0, SB_LOG_DEBUG},
        {"info", 0, SB_LOG_INFO},
        {"warn", 0, SB_LOG_WARN},
        {"warning", 0, SB_LOG_WARN},
        {"error", 0, SB_LOG_ERROR},
        {"ERROR", 0, SB_LOG_ERROR},
        {"Warning", 0, SB_LOG_WARN},
        {"", 0, SB_LOG_INFO},
        {NULL, 0, SB_LOG_INFO},
        {"verbose", -1, 0},
        {"errors", -1, 0},
        {"inf", -1, 0},
        {" info", -1, 0},
        {"fatal", -1, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sb_log_level_t out = (sb_log_level_t)99;
        int rc = sb_log_level_parse(cases[i].in, &out);
        SB_CHECK_MSG(rc == cases[i].rc, "case %zu (%s): rc %d", i,
                     cases[i].in ? cases[i].in : "NULL", rc);
        if (cases[i].rc == 0)
            SB_CHECK_MSG(out == cases[i].level, "case %zu: level %d", i, (int)out);
    }
}

static void test_init(void) {
    static const struct {
        const char *level;
        int enabled[4]; /* debug, info, warn, error */
    } cases[] = {
        {"debug", {1, 1, 1, 1}},   {"info", {0, 1, 1, 1}},  {"warn", {0, 0, 1, 1}},
        {"warning", {0, 0, 1, 1}}, {"error", {0, 0, 0, 1}}, {"", {0, 1, 1, 1}},
        {NULL, {0, 1, 1, 1}},
    };
    char err[256];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        SB_CHECK_MSG(sb_log_init("t", cases[i].level, err, sizeof(err)) == 0, "case %zu", i);
        for (int l = 0; l < 4; l++)
            SB_CHECK_MSG(sb_log_enabled((sb_log_level_t)l) == cases[i].enabled[l],
                         "case %zu level %d", i, l);
    }
    err[0] = '\0';
    SB_CHECK(sb_log_init("t", "loud", err, sizeof(err)) == -1);
    SB_CHECK_MSG(strstr(err, "SECURITYBOT_LOG_LEVEL") != NULL, "%s", err);
    SB_CHECK_MSG(strstr(err, "loud") != NULL, "%s", err);
    /* a tiny buffer is still NUL-terminated */
    memset(err, 'x', sizeof(err));
    SB_CHECK(sb_log_init("t", "loud", err, 8) == -1);
    SB_CHECK(memchr(err, '\0', 8) != NULL);
}

static void test_escape_table(void) {
    static const struct {
        const char *in;
        size_t size;
        const char *out;
    } cases[] = {
        {"plain", 64, "plain"},
        {"say \"hi\"", 64, "say \\\"hi\\\""},
        {"C:\\dir", 64, "C:\\\\dir"},
        {"a\nb\rc\td", 64, "a\\nb\\rc\\td"},
        {"\x01", 64, "\\u0001"},
        {"\x1f|\x7f", 64, "\\u001f|\\u007f"},
        {"\x1b[31m", 64, "\\u001b[31m"},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 64,
         "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
        {"", 64, ""},
        {NULL, 64, ""},
        /* truncation stops before an escape that does not fit */
        {"ab\"", 5, "ab\\\""},
        {"ab\"", 4, "ab"},
        {"ab\"", 3, "ab"},
        {"\x01", 7, "\\u0001"},
        {"\x01", 6, ""},
        {"x\x01y", 8, "x\\u0001"},
        {"x\x01y", 7, "x"},
        {"abcdef", 4, "abc"},
        {"abc", 1, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[80];
        size_t n;
        memset(buf, 'Z', sizeof(buf));
        n = sb_log_json_escape(buf, cases[i].size, cases[i].in);
        SB_CHECK_MSG(n == strlen(cases[i].out), "case %zu: n=%zu", i, n);
        SB_CHECK_MSG(memchr(buf, '\0', cases[i].size) != NULL, "case %zu: not terminated", i);
        SB_CHECK_MSG(strcmp(buf, cases[i].out) == 0, "case %zu: got \"%s\"", i, buf);
        SB_CHECK_MSG(buf[cases[i].size] == 'Z', "case %zu: wrote past size", i);
    }
    /* size 0: nothing written at all */
    {
        char buf[4] = "ZZZ";
        SB_CHECK(sb_log_json_escape(buf, 0, "abc") == 0);
        SB_CHECK(buf[0] == 'Z');
    }
}

/* For every buffer size, the output is the full escape of some prefix of
 * the input: no escape is ever cut in half, and it always fits. */
static void test_escape_truncation(void) {
    static const char *const inputs[] = {
        "a\"b\\c\nd\x01\x02\x65\tf", /* \x65 is "e": a bare e would extend \x02 */
        "\x1f\x1f\x1f\"\"\"",
        "\\\\\\\\",
        "mixed \x7f \xc3\xa9 \"q\"",
    };
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        const char *in = inputs[i];
        size_t inlen = strlen(in);
        char full[256], prefix[64], want[256], got[256];
        size_t fulllen = sb_log_json_escape(full, sizeof(full), in);
        for (size_t size = 1; size <= fulllen + 1; size++) {
            size_t n, k, ok = 0;
            memset(got, 'Z', sizeof(got));
            n = sb_log_json_escape(got, size, in);
            SB_CHECK_MSG(n < size && got[n] == '\0' && strlen(got) == n, "input %zu size %zu", i,
                         size);
            SB_CHECK_MSG(got[size] == 'Z', "input %zu size %zu: overflow", i, size);
            for (k = 0; k <= inlen && !ok; k++) {
                memcpy(prefix, in, k);
                prefix[k] = '\0';
                sb_log_json_escape(want, sizeof(want), prefix);
                ok = strcmp(want, got) == 0;
            }
            SB_CHECK_MSG(ok, "input %zu size %zu: \"%s\" splits an escape", i, size, got);
            if (size == fulllen + 1)
                SB_CHECK_MSG(strcmp(got, full) == 0, "input %zu: complete escape expected", i);
        }
    }
}

/* Runs one logging call with stderr redirected into out (NUL-terminated). */
#define CAPTURE(out, call)                                                                         \
    do {                                                                                           \
        FILE *f_ = tmpfile();                                                                      \
        int saved_ = dup(STDERR_FILENO);                                                           \
        size_t n_ = 0;                                                                             \
        fflush(stderr);                                                                            \
        if (f_ && saved_ != -1) {                                                                  \
            dup2(fileno(f_), STDERR_FILENO);                                                       \
            call;                                                                                  \
            fflush(stderr);                                                                        \
            dup2(saved_, STDERR_FILENO);                                                           \
            rewind(f_);                                                                            \
            n_ = fread((out), 1, OUT_MAX - 1, f_);                                                 \
        }                                                                                          \
        (out)[n_] = '\0';                                                                          \
        if (saved_ != -1)                                                                          \
            close(saved_);                                                                         \
        if (f_)                                                                                    \
            fclose(f_);                                                                            \
    } while (0)

/* Parses out as exactly one JSON object line; NULL (and a failed check) otherwise. */
static cJSON *parse_line(const char *out, const char *what) {
    size_t len = strlen(out);
    cJSON *root;
    SB_CHECK_MSG(len > 0 && out[len - 1] == '\n', "%s: not one terminated line", what);
    SB_CHECK_MSG(strchr(out, '\n') == out + len - 1, "%s: more than one line", what);
    SB_CHECK_MSG(sb_utf8_valid(out, len), "%s: line is not valid UTF-8", what);
    root = cJSON_Parse(out);
    SB_CHECK_MSG(root && cJSON_IsObject(root), "%s: not a JSON object: %.200s", what, out);
    if (root && !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        root = NULL;
    }
    return root;
}

static const char *get_str(const cJSON *root, const char *key) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, key);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* ts is RFC 3339 UTC with milliseconds ("2024-05-01T12:34:56.789Z") and now. */
static void check_ts(const char *ts) {
    static const char pattern[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    struct tm tm;
    int ok = ts && strlen(ts) == sizeof(pattern) - 1;
    time_t t, now = time(NULL);
    for (size_t i = 0; ok && pattern[i]; i++)
        ok = pattern[i] == 'd' ? (ts[i] >= '0' && ts[i] <= '9') : ts[i] == pattern[i];
    SB_CHECK_MSG(ok, "ts \"%s\"", ts ? ts : "(null)");
    if (!ok)
        return;
    memset(&tm, 0, sizeof(tm));
    SB_CHECK(sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    t = timegm(&tm);
    SB_CHECK_MSG(t >= now - 5 && t <= now + 1, "ts \"%s\" is not now", ts);
}

static void test_kv_line(void) {
    static char out[OUT_MAX];
    char err[128];
    const sb_log_kv_t kv[] = {
        {"alert_id", "a-123"},
        {"employee", NULL},
        {"topic", "sb.\"alerts\"\n"},
        {"partition", "7"},
    };
    cJSON *root;

    SB_CHECK(sb_log_init("test-worker", "info", err, sizeof(err)) == 0);
    CAPTURE(out, sb_log_kv(SB_LOG_WARN, kv, 4, "said \"%s\"\nthen\t%d\\", "hi", 42));
    root = parse_line(out, "kv line");
    if (root) {
        check_ts(get_str(root, "ts"));
        SB_CHECK_STR(get_str(root, "level"), "warn");
        SB_CHECK_STR(get_str(root, "worker"), "test-worker");
        SB_CHECK_STR(get_str(root, "msg"), "said \"hi\"\nthen\t42\\");
        SB_CHECK_STR(get_str(root, "alert_id"), "a-123");
        SB_CHECK_STR(get_str(root, "topic"), "sb.\"alerts\"\n");
        SB_CHECK_STR(get_str(root, "partition"), "7");
        SB_CHECK(cJSON_GetObjectItemCaseSensitive(root, "employee") == NULL);
        SB_CHECK(cJSON_GetArraySize(root) == 7);
        cJSON_Delete(root);
    }
    SB_CHECK(strstr(out, "employee") == NULL);
    /* the fixed fields come first, in order */
    SB_CHECK_MSG(strncmp(out, "{\"ts\":\"", 7) == 0, "%.60s", out);
}

static void test_levels(void) {
    static const struct {
        const char *min;
        sb_log_level_t level;
        const char *name; /* NULL: nothing written */
    } cases[] = {
        {"debug", SB_LOG_DEBUG, "debug"}, {"debug", SB_LOG_ERROR, "error"},
        {"info", SB_LOG_DEBUG, NULL},     {"info", SB_LOG_INFO, "info"},
        {"warn", SB_LOG_INFO, NULL},      {"warn", SB_LOG_WARN, "warn"},
        {"error", SB_LOG_WARN, NULL},     {"error", SB_LOG_ERROR, "error"},
    };
    static char out[OUT_MAX];
    char err[128];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *root;
        SB_CHECK(sb_log_init("lv", cases[i].min, err, sizeof(err)) == 0);
        CAPTURE(out, sb_log_kv(cases[i].level, NULL, 0, "case %zu", i));
        if (!cases[i].name) {
            SB_CHECK_MSG(out[0] == '\0', "case %zu: wrote %s", i, out);
            continue;
        }
        if (!(root = parse_line(out, "level")))
            continue;
        SB_CHECK_STR(get_str(root, "level"), cases[i].name);
        SB_CHECK_STR(get_str(root, "worker"), "lv");
        cJSON_Delete(root);
    }
    /* the convenience macros go through the same gate */
    SB_CHECK(sb_log_init("lv", "info", err, sizeof(err)) == 0);
    CAPTURE(out, sb_log_debug("hidden %d", 1));
    SB_CHECK(out[0] == '\0');
    CAPTURE(out, sb_log_error("shown %d", 2));
    SB_CHECK(strstr(out, "\"msg\":\"shown 2\"") != NULL);
}

/* Over-long input is cut, but the result is still one valid JSON line. */
static void test_long_lines(void) {
    static char out[OUT_MAX], big[10001], val[5001];
    static const char fill[] = {'"', '\x01', '\\', 'x', '\n'};
    sb_log_kv_t kv[3];
    char err[128];
    cJSON *root;

    SB_CHECK(sb_log_init("long", "debug", err, sizeof(err)) == 0);
    for (size_t f = 0; f < sizeof(fill); f++) {
        memset(big, fill[f], sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        CAPTURE(out, sb_log_info("%s", big));
        if ((root = parse_line(out, "long msg"))) {
            const char *msg = get_str(root, "msg");
            SB_CHECK_MSG(msg && *msg && strncmp(msg, big, strlen(msg)) == 0, "fill %zu", f);
            cJSON_Delete(root);
        }
    }

    /* multi-byte characters: the cut must not leave half a character */
    big[0] = '\0';
    for (size_t i = 0; i < 3000; i++)
        strcat(big, "\xe2\x82\xac");
    CAPTURE(out, sb_log_info("%s", big));
    if ((root = parse_line(out, "long UTF-8 msg")))
        cJSON_Delete(root);

    /* long field values: the line is cut, still valid JSON */
    memset(val, 'v', sizeof(val) - 1);
    val[sizeof(val) - 1] = '\0';
    kv[0] = (sb_log_kv_t){"k1", val};
    kv[1] = (sb_log_kv_t){"k2", val};
    kv[2] = (sb_log_kv_t){"k3", val};
    CAPTURE(out, sb_log_kv(SB_LOG_INFO, kv, 3, "three long fields"));
    if ((root = parse_line(out, "long kv values"))) {
        SB_CHECK_STR(get_str(root, "msg"), "three long fields");
        cJSON_Delete(root);
    }
}

int main(void) {
    test_level_parse();
    test_init();
    test_escape_table();
    test_escape_truncation();
    test_kv_line();
    test_levels();
    test_long_lines();
    return SB_TEST_DONE();
}
