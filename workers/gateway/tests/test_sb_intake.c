/* Unit tests for the intake: token file, lookup, rate bucket, body splitting, alert checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bucket.h"
#include "intake_alerts.h"
#include "intake_body.h"
#include "sb_crypto.h"
#include "sb_id.h"
#include "sb_test.h"
#include "tokens.h"

#define A_OKTA                                                                                     \
    "{\"source\":\"okta\",\"rule\":\"r1\",\"title\":\"t\",\"user\":\"jdoe\","                      \
    "\"occurred_at\":\"2026-11-29T12:00:00Z\"}"

static void hash_of(const char *token, char hex[65]) {
    sb_sha256_hex(token, strlen(token), hex);
}

static void test_tokens_parse(void) {
    char h1[65], h2[65], h3[65], text[1024], err[256];
    sb_tokens_t *t;

    hash_of("sbi_one", h1);
    hash_of("sbi_two", h2);
    hash_of("sbi_three", h3);
    /* comments, blank lines, CRLF, blanks around, upper-case hex, one source twice */
    for (char *p = h3; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    snprintf(text, sizeof(text),
             "# senders\n\n   \nokta %s\r\n  \t# indented comment\n\tsiem  %s  \nokta %s", h1, h2,
             h3);
    t = sb_tokens_parse(text, strlen(text), err, sizeof(err));
    SB_CHECK_MSG(t != NULL, "%s", err);
    SB_CHECK(sb_tokens_count(t) == 3);
    SB_CHECK(sb_tokens_lookup(t, "sbi_one", 7) == 0);
    SB_CHECK(sb_tokens_lookup(t, "sbi_two", 7) == 1);
    SB_CHECK(sb_tokens_lookup(t, "sbi_three", 9) == 2); /* upper-case hex in the file */
    SB_CHECK_STR(sb_tokens_source(t, 0), "okta");
    SB_CHECK_STR(sb_tokens_source(t, 1), "siem");
    SB_CHECK_STR(sb_tokens_source(t, 2), "okta");
    hash_of("sbi_three", h3);
    SB_CHECK_STR(sb_tokens_hash(t, 2), h3); /* stored lower-case */
    /* unknown, a prefix, empty, too long */
    SB_CHECK(sb_tokens_lookup(t, "sbi_on", 6) == -1);
    SB_CHECK(sb_tokens_lookup(t, "sbi_one ", 8) == -1);
    SB_CHECK(sb_tokens_lookup(t, "", 0) == -1);
    SB_CHECK(sb_tokens_lookup(t, h1, 64) == -1); /* the hash itself is not the token */
    sb_tokens_destroy(t);

    /* an empty file is an empty table: every token unknown */
    t = sb_tokens_parse("# nobody yet\n", 13, err, sizeof(err));
    SB_CHECK(t != NULL && sb_tokens_count(t) == 0 && sb_tokens_lookup(t, "x", 1) == -1);
    sb_tokens_destroy(t);
}

static void test_tokens_bad_lines(void) {
    char h1[65], text[512], err[256];
    const struct {
        const char *fmt; /* %s: a good hash */
        const char *want;
    } cases[] = {
        {"okta\n", "line 1: expected"},
        {"%s\n", "line 1: expected"},
        {"# c\nokta %s extra\n", "line 2: expected"},
        {"okta 1234\n", "line 1: the hash is not 64 hex"},
        {"okta %.63sg\n", "line 1: the hash is not 64 hex"},
        {"okta %s0\n", "line 1: the hash is not 64 hex"},
        {"okta %s\nsiem %s\n", "line 2: the same token hash"},
        {"ok\x01ta %s\n", "line 1: the source holds a control"},
        {"\xff\xfe %s\n", "line 1: the source is not"},
    };
    hash_of("sbi_one", h1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sb_tokens_t *t;
        snprintf(text, sizeof(text), cases[i].fmt, h1, h1);
        err[0] = '\0';
        t = sb_tokens_parse(text, strlen(text), err, sizeof(err));
        SB_CHECK_MSG(t == NULL, "case %zu parsed", i);
        SB_CHECK_MSG(strncmp(err, cases[i].want, strlen(cases[i].want)) == 0, "case %zu: %s", i,
                     err);
        SB_CHECK_MSG(strstr(err, h1) == NULL, "case %zu: the error shows the hash", i);
        sb_tokens_destroy(t);
    }
    /* a NUL byte inside a line */
    snprintf(text, sizeof(text), "okta %s\n", h1);
    text[2] = '\0';
    SB_CHECK(sb_tokens_parse(text, 5 + 64 + 1, err, sizeof(err)) == NULL);
}

/* Every entry is compared (the loop has no early exit): a table where
 * the match is first, last, or absent gives the right answer each time,
 * and a table of many entries still finds the last one. */
static void test_tokens_lookup_every_entry(void) {
    char text[200 * 80], h[65], name[32], err[256];
    size_t off = 0;
    sb_tokens_t *t;
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof(name), "tok%d", i);
        hash_of(name, h);
        off += (size_t)snprintf(text + off, sizeof(text) - off, "src%d %s\n", i, h);
    }
    t = sb_tokens_parse(text, off, err, sizeof(err));
    SB_CHECK(t && sb_tokens_count(t) == 200);
    SB_CHECK(sb_tokens_lookup(t, "tok0", 4) == 0);
    SB_CHECK(sb_tokens_lookup(t, "tok199", 6) == 199);
    SB_CHECK(sb_tokens_lookup(t, "tok200", 6) == -1);
    sb_tokens_destroy(t);
}

static void test_tokens_file(void) {
    char path[] = "/tmp/sb-intake-tokens-XXXXXX", h[65], line[128], err[512];
    int fd = mkstemp(path);
    sb_tokens_t *t;
    hash_of("sbi_file", h);
    snprintf(line, sizeof(line), "okta %s\n", h);
    SB_CHECK(fd >= 0 && write(fd, line, strlen(line)) == (ssize_t)strlen(line));
    close(fd);
    chmod(path, 0600);
    t = sb_tokens_load(path, err, sizeof(err));
    SB_CHECK_MSG(t && sb_tokens_lookup(t, "sbi_file", 8) == 0, "%s", err);
    sb_tokens_destroy(t);
    const mode_t refused[] = {0640, 0604, 0620, 0602, 0644};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        chmod(path, refused[i]);
        t = sb_tokens_load(path, err, sizeof(err));
        SB_CHECK_MSG(t == NULL && strstr(err, "accessible by group or others"), "mode %o: %s",
                     (unsigned)refused[i], err);
        sb_tokens_destroy(t);
    }
    unlink(path);
    SB_CHECK(sb_tokens_load(path, err, sizeof(err)) == NULL && strstr(err, "cannot open"));
    SB_CHECK(sb_tokens_load("/tmp", err, sizeof(err)) == NULL);
}

static void test_bucket(void) {
    sb_bucket_t b;
    const int64_t s = 1000000;
    sb_bucket_init(&b, 10, 10, 0);
    SB_CHECK(sb_bucket_take(&b, 4, 0) == 0);
    SB_CHECK(sb_bucket_take(&b, 6, 0) == 0);
    SB_CHECK(sb_bucket_take(&b, 1, 0) == 1);      /* empty: 0.1 s, rounded up to 1 */
    SB_CHECK(sb_bucket_take(&b, 1, s / 10) == 0); /* refilled by one */
    SB_CHECK(sb_bucket_take(&b, 10, s / 10) == 1);
    SB_CHECK(sb_bucket_take(&b, 10, s / 10 + s) == 0); /* refilled, never above the burst */
    SB_CHECK(sb_bucket_take(&b, 5, 100 * s) == 0);
    SB_CHECK(sb_bucket_take(&b, 6, 100 * s) == 1);
    /* a clock going back refills nothing */
    SB_CHECK(sb_bucket_take(&b, 6, 50 * s) == 1);
    /* more than the burst: allowed from a full bucket, then in debt */
    sb_bucket_init(&b, 10, 10, 0);
    SB_CHECK(sb_bucket_take(&b, 35, 0) == 0);
    /* a second later the level is -25 + 10 = -15: one alert needs 16, 1.6 s */
    SB_CHECK(sb_bucket_take(&b, 1, s) == 2);
    SB_CHECK(sb_bucket_take(&b, 1, 3 * s) == 0);
}

int main(void) {
    test_tokens_parse();
    test_tokens_bad_lines();
    test_tokens_lookup_every_entry();
    test_tokens_file();
    test_bucket();
    return SB_TEST_DONE();
}
