/* test_sb_schema: C validators against the labelled examples shared with ajv,
 * plus the byte-level alert cases JSON.parse cannot express. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sb_schema.h"
#include "sb_test.h"
#include "sb_time.h"

/* ---- shared examples: schemas/examples/<name>/{valid,invalid}/ ---------- */

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = '\0';
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

/* Checks one example with every C entry point; returns 1 when it was read. */
static int check_example(const char *name, const char *path, int want_valid) {
    char err[512] = "";
    size_t len = 0;
    char *raw = read_file(path, &len);
    SB_CHECK_MSG(raw != NULL, "cannot read %s", path);
    if (!raw)
        return 0;

    cJSON *msg = cJSON_ParseWithLength(raw, len);
    SB_CHECK_MSG(msg != NULL, "%s: examples must be JSON that cJSON parses", path);
    int ok = sb_schema_validate(name, msg, err, sizeof(err)) == 0;
    SB_CHECK_MSG(ok == want_valid, "sb_schema_validate(%s): %s is labelled %s (%s)", name, path,
                 want_valid ? "valid" : "invalid", err);
    cJSON_Delete(msg);

    cJSON *parsed = NULL;
    ok = sb_schema_parse(name, raw, len, &parsed, err, sizeof(err)) == 0;
    SB_CHECK_MSG(ok == want_valid, "sb_schema_parse(%s): %s is labelled %s (%s)", name, path,
                 want_valid ? "valid" : "invalid", err);
    SB_CHECK(ok == (parsed != NULL));
    cJSON_Delete(parsed);

    if (strcmp(name, "alert") == 0) {
        sb_alert_t alert;
        sb_reject_t r = sb_alert_parse(raw, len, &alert, err, sizeof(err));
        SB_CHECK_MSG((r == SB_REJECT_NONE) == want_valid,
                     "sb_alert_parse: %s is labelled %s (%s: %s)", path,
                     want_valid ? "valid" : "invalid", sb_reject_code(r), err);
        SB_CHECK(r == SB_REJECT_NONE || (alert.root == NULL && err[0] != '\0'));
        sb_alert_clear(&alert);
    }
    free(raw);
    return 1;
}

/* Returns the number of examples checked under dir/<name>/<label>. */
static int check_label(const char *dir, const char *name, const char *label) {
    char path[1024];
    int n = 0;
    snprintf(path, sizeof(path), "%s/%s/%s", dir, name, label);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0)
            continue;
        char file[1400];
        snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
        n += check_example(name, file, strcmp(label, "valid") == 0);
    }
    closedir(d);
    return n;
}

static void check_examples(void) {
    static const struct {
        const char *name;
        int min_valid, min_invalid;
    } schemas[] = {
        {"alert", 6, 15},   {"alert-dlq", 3, 5},          {"prompt", 3, 5},
        {"response", 3, 5}, {"escalation-request", 3, 5}, {"escalation", 3, 5},
        {"outcome", 3, 5},  {"resolution", 3, 5},
    };
    char dir[1024];
    const char *src = getenv("SB_SOURCE_DIR");
    if (src && *src) {
        snprintf(dir, sizeof(dir), "%s/schemas/examples", src);
    } else { /* run by hand: tests/unit/<this file> -> ../../schemas/examples */
        const char *slash = strrchr(__FILE__, '/');
        int dirlen = slash ? (int)(slash - __FILE__) : 1;
        snprintf(dir, sizeof(dir), "%.*s/../../schemas/examples", dirlen, slash ? __FILE__ : ".");
    }
    int total = 0;
    for (size_t i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++) {
        int v = check_label(dir, schemas[i].name, "valid");
        int inv = check_label(dir, schemas[i].name, "invalid");
        SB_CHECK_MSG(v >= schemas[i].min_valid && inv >= schemas[i].min_invalid,
                     "%s/%s: %d valid, %d invalid examples", dir, schemas[i].name, v, inv);
        total += v + inv;
    }
    fprintf(stderr, "examples: %d files checked in %s\n", total, dir);
}

/* ---- raw alert bytes -------------------------------------------------- */

#define HEAD                                                                                       \
    "{\"source\":\"okta\",\"rule\":\"r1\",\"user\":\"jdoe\",\"occurred_at\":\"2026-11-29T12:00:"   \
    "00Z\","
#define ALERT(tail) HEAD "\"title\":\"t\"" tail "}"

static const struct {
    const char *name;
    const char *bytes;
    size_t len; /* 0: strlen(bytes) */
    sb_reject_t want;
    const char *detail; /* substring of the detail, or NULL */
} raw_cases[] = {
    {"valid minimal", ALERT(""), 0, SB_REJECT_NONE, NULL},
    {"surrounding whitespace", " \r\n\t" ALERT("") " \n", 0, SB_REJECT_NONE, NULL},
    {"escaped backslash before u0000", ALERT(",\"description\":\"\\\\u0000\""), 0, SB_REJECT_NONE,
     NULL},
    {"unknown field null and nested", ALERT(",\"x\":null,\"y\":{\"z\":[1,{\"w\":2}]}"), 0,
     SB_REJECT_NONE, NULL},
    {"invalid utf-8 byte", ALERT(",\"description\":\"\xff\""), 0, SB_REJECT_INVALID_UTF8, "UTF-8"},
    {"overlong utf-8", ALERT(",\"description\":\"\xc0\xaf\""), 0, SB_REJECT_INVALID_UTF8, NULL},
    {"utf-8 surrogate", ALERT(",\"description\":\"\xed\xa0\x80\""), 0, SB_REJECT_INVALID_UTF8,
     NULL},
    {"invalid utf-8 beats invalid json", "{\xff", 0, SB_REJECT_INVALID_UTF8, NULL},
    {"empty input", "", 0, SB_REJECT_INVALID_JSON, NULL},
    {"truncated", "{\"source\":", 0, SB_REJECT_INVALID_JSON, NULL},
    {"trailing garbage", ALERT("") "x", 0, SB_REJECT_INVALID_JSON, NULL},
    {"two objects", ALERT("") ALERT(""), 0, SB_REJECT_INVALID_JSON, NULL},
    {"trailing nul byte", ALERT("") "\0", sizeof(ALERT("")), SB_REJECT_INVALID_JSON, NULL},
    {"nul byte between tokens",
     "{\"a\":\0"
     "1}",
     7, SB_REJECT_INVALID_JSON, NULL},
    {"control char outside strings", "\x01" ALERT(""), 0, SB_REJECT_INVALID_JSON, NULL},
    {"raw control char in string", ALERT(",\"description\":\"a\x01z\""), 0, SB_REJECT_INVALID_JSON,
     NULL},
    {"raw newline in string", ALERT(",\"description\":\"a\nz\""), 0, SB_REJECT_INVALID_JSON, NULL},
    {"leading zero", ALERT(",\"details\":{\"n\":01}"), 0, SB_REJECT_INVALID_JSON, NULL},
    {"bare fraction point", ALERT(",\"details\":{\"n\":1.}"), 0, SB_REJECT_INVALID_JSON, NULL},
    {"missing integer part", ALERT(",\"details\":{\"n\":-.5}"), 0, SB_REJECT_INVALID_JSON, NULL},
    {"empty exponent", ALERT(",\"details\":{\"n\":1e}"), 0, SB_REJECT_INVALID_JSON, NULL},
    {"trailing comma", ALERT(","), 0, SB_REJECT_INVALID_JSON, NULL},
    {"single quotes", "{'source':'okta'}", 0, SB_REJECT_INVALID_JSON, NULL},
    {"lone surrogate escape", ALERT(",\"description\":\"\\ud800\""), 0, SB_REJECT_INVALID_JSON,
     NULL},
    {"byte order mark", "\xef\xbb\xbf" ALERT(""), 0, SB_REJECT_INVALID_JSON, NULL},
    {"array", "[]", 0, SB_REJECT_NOT_OBJECT, "array"},
    {"string", "\"alert\"", 0, SB_REJECT_NOT_OBJECT, NULL},
    {"null", "null", 0, SB_REJECT_NOT_OBJECT, NULL},
    {"number", "42", 0, SB_REJECT_NOT_OBJECT, NULL},
    {"duplicate title", ALERT(",\"title\":\"u\""), 0, SB_REJECT_DUPLICATE_KEY, "'title'"},
    {"duplicate via escape", ALERT(",\"\\u0074itle\":\"u\""), 0, SB_REJECT_DUPLICATE_KEY,
     "'title'"},
    {"duplicate unknown field", ALERT(",\"x\":1,\"x\":2"), 0, SB_REJECT_DUPLICATE_KEY, "'x'"},
    {"duplicate in details", ALERT(",\"details\":{\"ip\":\"a\",\"ip\":\"b\"}"), 0,
     SB_REJECT_DUPLICATE_KEY, "'ip'"},
    {"duplicate nested deeper", ALERT(",\"x\":[{\"k\":1,\"k\":1}]"), 0, SB_REJECT_DUPLICATE_KEY,
     NULL},
    {"duplicate among many keys",
     ALERT(",\"a\":0,\"b\":0,\"c\":0,\"d\":0,\"e\":0,\"f\":0,\"g\":0,\"h\":0,\"i\":0,\"j\":0,"
           "\"k\":0,\"l\":0,\"m\":0,\"n\":0,\"o\":0,\"p\":0,\"q\":0,\"r\":0,\"s\":0,\"c\":1"),
     0, SB_REJECT_DUPLICATE_KEY, "'c'"},
    {"duplicate beats missing", "{\"a\":1,\"a\":2}", 0, SB_REJECT_DUPLICATE_KEY, NULL},
    {"u0000 in title", HEAD "\"title\":\"a\\u0000b\"}", 0, SB_REJECT_INVALID_VALUE, "U+0000"},
    {"u0000 after escaped backslash", ALERT(",\"description\":\"\\\\\\u0000\""), 0,
     SB_REJECT_INVALID_VALUE, "U+0000"},
    {"u0000 in unknown field", ALERT(",\"x\":\"\\u0000\""), 0, SB_REJECT_INVALID_VALUE, NULL},
    {"u0000 in a key", ALERT(",\"\\u0000\":1"), 0, SB_REJECT_INVALID_VALUE, NULL},
    {"missing names the field",
     "{\"source\":\"s\",\"rule\":\"r\",\"title\":\"t\",\"occurred_at\":\"2026-11-29T12:00:00Z\"}",
     0, SB_REJECT_MISSING_FIELD, "missing required field 'user'"},
    {"missing before type", "{\"source\":1}", 0, SB_REJECT_MISSING_FIELD, NULL},
    {"type names the field", ALERT(",\"url\":5"), 0, SB_REJECT_INVALID_TYPE,
     "field 'url' must be a string, not number"},
    {"details value type", ALERT(",\"details\":{\"geo\":{}}"), 0, SB_REJECT_INVALID_TYPE,
     "'details.geo'"},
    {"details boolean", ALERT(",\"details\":{\"mfa\":true}"), 0, SB_REJECT_INVALID_TYPE, NULL},
    {"details out of range", ALERT(",\"details\":{\"n\":-1e999}"), 0, SB_REJECT_INVALID_VALUE,
     "'details.n'"},
    {"bad severity", ALERT(",\"severity\":\"urgent\""), 0, SB_REJECT_INVALID_VALUE,
     "'severity' is 'urgent'"},
    {"bad timestamp",
     "{\"source\":\"s\",\"rule\":\"r\",\"title\":\"t\",\"user\":\"u\","
     "\"occurred_at\":\"2026-11-29 12:00:00Z\"}",
     0, SB_REJECT_INVALID_VALUE, "'occurred_at'"},
    {"year 10000 in UTC",
     "{\"source\":\"s\",\"rule\":\"r\",\"title\":\"t\",\"user\":\"u\","
     "\"occurred_at\":\"9999-12-31T23:59:59-01:00\"}",
     0, SB_REJECT_INVALID_VALUE, "'occurred_at'"},
    {"empty title", HEAD "\"title\":\"\"}", 0, SB_REJECT_INVALID_VALUE,
     "'title' must not be empty"},
};

static void check_raw_cases(void) {
    for (size_t i = 0; i < sizeof(raw_cases) / sizeof(raw_cases[0]); i++) {
        char detail[256] = "";
        sb_alert_t alert;
        size_t len = raw_cases[i].len ? raw_cases[i].len : strlen(raw_cases[i].bytes);
        sb_reject_t r = sb_alert_parse(raw_cases[i].bytes, len, &alert, detail, sizeof(detail));
        SB_CHECK_MSG(r == raw_cases[i].want, "%s: got %s (%s), want %s", raw_cases[i].name,
                     sb_reject_code(r), detail, sb_reject_code(raw_cases[i].want));
        if (raw_cases[i].detail)
            SB_CHECK_MSG(strstr(detail, raw_cases[i].detail) != NULL, "%s: detail '%s'",
                         raw_cases[i].name, detail);
        sb_alert_clear(&alert);
    }
}

/* Builds `{"title":"...",...}` of exactly `size` bytes by padding an unknown field. */
static char *alert_of_size(size_t size) {
    static const char head[] = ALERT(",\"pad\":\"");
    char *buf = malloc(size + 1);
    size_t h = sizeof(head) - 1;
    memcpy(buf, head, h);
    memset(buf + h, 'p', size - h - 2);
    memcpy(buf + size - 2, "\"}", 3);
    return buf;
}

static char *nested(size_t depth, char open, char close) {
    char *buf = malloc(2 * depth + 1);
    memset(buf, open, depth);
    memset(buf + depth, close, depth);
    buf[2 * depth] = '\0';
    return buf;
}

static void check_sizes_and_depth(void) {
    char detail[256];
    sb_alert_t alert;
    char *buf = alert_of_size(SB_ALERT_MAX_BYTES);
    SB_CHECK(sb_alert_parse(buf, SB_ALERT_MAX_BYTES, &alert, detail, sizeof(detail)) ==
             SB_REJECT_NONE);
    sb_alert_clear(&alert);
    free(buf);
    buf = alert_of_size(SB_ALERT_MAX_BYTES + 1);
    SB_CHECK(sb_alert_parse(buf, SB_ALERT_MAX_BYTES + 1, &alert, detail, sizeof(detail)) ==
             SB_REJECT_TOO_LARGE);
    SB_CHECK(strstr(detail, "65537") != NULL);
    free(buf);

    /* 10,000 levels: cJSON stops at CJSON_NESTING_LIMIT, nothing recurses deeper. */
    buf = nested(10000, '[', ']');
    SB_CHECK(sb_alert_parse(buf, strlen(buf), &alert, detail, sizeof(detail)) ==
             SB_REJECT_INVALID_JSON);
    free(buf);
    size_t depth = 10000;
    buf = malloc(6 * depth + 2);
    for (size_t i = 0; i < depth; i++)
        memcpy(buf + 5 * i, "{\"a\":", 5);
    memcpy(buf + 5 * depth, "1", 1);
    memset(buf + 5 * depth + 1, '}', depth);
    buf[6 * depth + 1] = '\0';
    SB_CHECK(sb_alert_parse(buf, strlen(buf), &alert, detail, sizeof(detail)) ==
             SB_REJECT_INVALID_JSON);
    free(buf);
    /* Within the limit, the duplicate-key walk reaches the bottom. */
    buf = nested(900, '[', ']');
    char *deep = malloc(strlen(buf) + 64);
    sprintf(deep, "{\"x\":%.*s{\"k\":1,\"k\":2}%s}", 900, buf, buf + 900);
    SB_CHECK(sb_alert_parse(deep, strlen(deep), &alert, detail, sizeof(detail)) ==
             SB_REJECT_DUPLICATE_KEY);
    free(deep);
    free(buf);
}

/* What a worker reads from a valid alert; defaults; detail never echoes much. */
static void check_fields(void) {
    char detail[512];
    sb_alert_t alert;
    const char *in = "{\"source\":\"okta\",\"rule\":\"r1\",\"title\":\"caf\\u00e9\","
                     "\"user\":\"jdoe\","
                     "\"occurred_at\":\"2026-11-29T13:00:00.25+01:00\",\"details\":{\"n\":2}}";
    SB_CHECK(sb_alert_parse(in, strlen(in), &alert, detail, sizeof(detail)) == SB_REJECT_NONE);
    SB_CHECK_STR(alert.title, "caf\xc3\xa9");
    SB_CHECK_STR(alert.severity, "medium");
    SB_CHECK_STR(alert.occurred_at, "2026-11-29T13:00:00.25+01:00");
    SB_CHECK_STR(alert.occurred_at_utc, "2026-11-29T12:00:00.250000Z");
    SB_CHECK(alert.id == NULL && alert.description == NULL && alert.url == NULL);
    SB_CHECK(cJSON_IsObject(alert.details) && alert.root != NULL);
    sb_alert_clear(&alert);
    SB_CHECK(alert.root == NULL);
    sb_alert_clear(&alert); /* twice is fine */
    sb_alert_clear(NULL);

    char big[2200];
    snprintf(big, sizeof(big), ALERT(",\"severity\":\"%0*d\""), 2000, 0);
    SB_CHECK(sb_alert_parse(big, strlen(big), &alert, detail, sizeof(detail)) ==
             SB_REJECT_INVALID_VALUE);
    SB_CHECK_MSG(strlen(detail) < 200, "detail is %zu bytes", strlen(detail));
    /* A multi-byte value is cut on a character boundary. */
    char title[1000] = "";
    for (int i = 0; i < 250; i++)
        strcat(title, "\xe6\x97\xa5");
    snprintf(big, sizeof(big), HEAD "\"title\":\"%s\"}", title);
    SB_CHECK(sb_alert_parse(big, strlen(big), &alert, detail, sizeof(detail)) ==
             SB_REJECT_FIELD_TOO_LONG);
    SB_CHECK_STR(detail, "field 'title' is 250 characters, the limit is 200");
    snprintf(big, sizeof(big), ALERT(",\"severity\":\"%s\""), title);
    SB_CHECK(sb_alert_parse(big, strlen(big), &alert, detail, sizeof(detail)) ==
             SB_REJECT_INVALID_VALUE);
    SB_CHECK(strstr(detail, "\xe6\x97\xa5...'") != NULL);
    SB_CHECK(sb_alert_parse(big, strlen(big), &alert, NULL, 0) == SB_REJECT_INVALID_VALUE);
}

static void check_api(void) {
    static const struct {
        sb_reject_t r;
        const char *code;
    } codes[] = {
        {SB_REJECT_NONE, "none"},
        {SB_REJECT_INVALID_JSON, "invalid_json"},
        {SB_REJECT_NOT_OBJECT, "not_object"},
        {SB_REJECT_MISSING_FIELD, "missing_field"},
        {SB_REJECT_INVALID_TYPE, "invalid_type"},
        {SB_REJECT_FIELD_TOO_LONG, "field_too_long"},
        {SB_REJECT_INVALID_VALUE, "invalid_value"},
        {SB_REJECT_DUPLICATE_KEY, "duplicate_key"},
        {SB_REJECT_INVALID_UTF8, "invalid_utf8"},
        {SB_REJECT_TOO_LARGE, "too_large"},
    };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        SB_CHECK_STR(sb_reject_code(codes[i].r), codes[i].code);

    char err[256];
    cJSON *arr = cJSON_CreateArray();
    SB_CHECK(sb_schema_validate("nope", arr, err, sizeof(err)) == -1 && strstr(err, "nope"));
    SB_CHECK(sb_schema_validate("prompt", arr, err, sizeof(err)) == -1);
    SB_CHECK(sb_schema_validate("prompt", NULL, err, sizeof(err)) == -1);
    cJSON_Delete(arr);
    cJSON *out = (cJSON *)1;
    SB_CHECK(sb_schema_parse("prompt", "{}", 2, &out, err, sizeof(err)) == -1 && out == NULL);
    SB_CHECK(strstr(err, "missing required field 'schema'") != NULL);
    const char dup[] = "{\"schema\":\"outcome.v1\",\"schema\":\"outcome.v1\"}";
    SB_CHECK(sb_schema_parse("outcome", dup, sizeof(dup) - 1, &out, err, sizeof(err)) == -1);
    SB_CHECK(strstr(err, "duplicate key") != NULL);
}

/* Not a benchmark: prints the rate so a regression to quadratic work shows. */
static void report_rate(void) {
    const char *in = ALERT(",\"severity\":\"high\",\"description\":\"Sign-in from two countries\","
                           "\"details\":{\"ip\":\"203.0.113.7\",\"country\":\"BR\",\"risk\":87}");
    size_t len = strlen(in);
    int n = 20000;
    int64_t t0 = sb_time_monotonic_us();
    for (int i = 0; i < n; i++) {
        sb_alert_t alert;
        char detail[256];
        if (sb_alert_parse(in, len, &alert, detail, sizeof(detail)) != SB_REJECT_NONE)
            SB_CHECK(0);
        sb_alert_clear(&alert);
    }
    int64_t dt = sb_time_monotonic_us() - t0;
    fprintf(stderr, "sb_alert_parse: %d alerts in %lld us (%.0f/s)\n", n, (long long)dt,
            dt > 0 ? n * 1e6 / (double)dt : 0.0);
}

int main(void) {
    check_examples();
    check_raw_cases();
    check_sizes_and_depth();
    check_fields();
    check_api();
    report_rate();
    return SB_TEST_DONE();
}
