/* test_sb_buf: the growable buffer: appends, printf, JSON escaping, chat text, errors, take. */
#include <stdint.h>
#include <stdlib.h>

#include "sb_buf.h"
#include "sb_test.h"

/* Byte appends: each row adds its pieces to an empty buffer. */
static const struct {
    const char *name;
    const char *pieces[4]; /* NULL ends */
    const char *want;
} appends[] = {
    {"nothing", {NULL}, ""},
    {"one", {"abc", NULL}, "abc"},
    {"several", {"a", "bc", "", "def"}, "abcdef"},
    {"empty pieces", {"", "", NULL}, ""},
    {"utf-8", {"caf\xc3\xa9", " \xf0\x9f\x94\x92", NULL}, "caf\xc3\xa9 \xf0\x9f\x94\x92"},
};

static const struct {
    const char *name;
    const char *in;
    const char *want;
} json[] = {
    {"plain", "hello", "hello"},
    {"empty", "", ""},
    {"quotes", "say \"hi\"", "say \\\"hi\\\""},
    {"backslash", "a\\b", "a\\\\b"},
    {"newline, CR, tab", "a\nb\rc\td", "a\\nb\\rc\\td"},
    {"other controls", "\x01\x1f", "\\u0001\\u001f"},
    {"DEL", "a\x7f", "a\\u007f"},
    {"utf-8 as it is", "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x94\x92",
     "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x94\x92"},
    {"slash untouched", "a/b", "a/b"},
    {"everything", "\"\\\n\x02x", "\\\"\\\\\\n\\u0002x"},
};

/* Chat text: max, flags, what is written and what sb_buf_add_text returns. */
static const struct {
    const char *name;
    const char *in;
    size_t max;
    int flags;
    const char *want;
    size_t used;
} texts[] = {
    {"fits", "hello", 10, 0, "hello", 5},
    {"cut with an ellipsis", "hello world", 5, 0, "hell\xe2\x80\xa6", 5},
    {"entities", "a<b>&c", 100, SB_BUF_ENTITIES, "a&lt;b&gt;&amp;c", 16},
    {"no entities without the flag", "a<b", 100, 0, "a<b", 3},
    {"one line", "a\nb\tc", 100, SB_BUF_ONE_LINE, "a b c", 5},
    {"newlines kept", "a\nb\tc", 100, 0, "a\nb\tc", 5},
    {"controls become spaces",
     "a\x01"
     "b",
     100, 0, "a b", 3},
    {"outside the BMP counts two", "\xf0\x9f\x94\x92x", 3, 0, "\xf0\x9f\x94\x92x", 3},
    {"cut before a wide character", "ab\xf0\x9f\x94\x92", 3, 0, "ab\xe2\x80\xa6", 3},
    {"max 0", "abc", 0, 0, "", 0},
};

static void test_appends(void) {
    for (size_t i = 0; i < sizeof(appends) / sizeof(appends[0]); i++) {
        sb_buf_t b = {0};
        size_t n = 0;
        for (size_t k = 0; k < 4 && appends[i].pieces[k]; k++)
            sb_buf_add_str(&b, appends[i].pieces[k]);
        for (size_t k = 0; k < 4 && appends[i].pieces[k]; k++)
            n += strlen(appends[i].pieces[k]);
        SB_CHECK_MSG(!strcmp(sb_buf_str(&b), appends[i].want), "%s: \"%s\"", appends[i].name,
                     sb_buf_str(&b));
        SB_CHECK_MSG(b.len == n && !b.err, "%s: len %zu", appends[i].name, b.len);
        sb_buf_free(&b);
        SB_CHECK(b.s == NULL && b.len == 0 && b.cap == 0);
    }

    /* bytes with NULs: len counts them, a NUL still follows */
    sb_buf_t b = {0};
    sb_buf_add(&b, "a\0b", 3);
    sb_buf_add(&b, NULL, 0);
    SB_CHECK(b.len == 3 && b.s && !memcmp(b.s, "a\0b", 4));
    sb_buf_add_str(&b, NULL); /* nothing */
    SB_CHECK(b.len == 3);
    sb_buf_free(&b);
}

static void test_printf(void) {
    sb_buf_t b = {0};
    char want[4096 + 64];
    sb_buf_addf(&b, "%d-%s", 42, "x");
    SB_CHECK_STR(sb_buf_str(&b), "42-x");
    /* past the first allocation and several doublings, in one call */
    memset(want, 'y', 4096);
    want[4096] = '\0';
    sb_buf_addf(&b, "[%s]", want);
    SB_CHECK(b.len == 4 + 4096 + 2 && !b.err);
    SB_CHECK(b.s[4] == '[' && b.s[4 + 4096] == 'y' && !strcmp(b.s + 4 + 4097, "]"));
    SB_CHECK(b.cap > b.len);
    /* many small ones */
    sb_buf_reset(&b);
    for (int i = 0; i < 1000; i++)
        sb_buf_addf(&b, "%03d,", i);
    SB_CHECK(b.len == 4000 && !strncmp(b.s, "000,001,", 8) && !strcmp(b.s + 3992, "998,999,"));
    sb_buf_addf(&b, "%s", "");
    SB_CHECK(b.len == 4000);
    sb_buf_free(&b);
}

static void test_json(void) {
    for (size_t i = 0; i < sizeof(json) / sizeof(json[0]); i++) {
        sb_buf_t b = {0};
        sb_buf_add_str(&b, "<");
        sb_buf_add_json(&b, json[i].in);
        sb_buf_add_str(&b, ">");
        SB_CHECK_MSG(b.len == strlen(json[i].want) + 2 &&
                         !strncmp(b.s + 1, json[i].want, strlen(json[i].want)),
                     "%s: \"%s\"", json[i].name, sb_buf_str(&b));
        sb_buf_free(&b);
    }
    sb_buf_t b = {0};
    sb_buf_add_json(&b, NULL);
    SB_CHECK(b.len == 0);
    sb_buf_free(&b);
}

static void test_text(void) {
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        sb_buf_t b = {0};
        size_t used = sb_buf_add_text(&b, texts[i].in, texts[i].max, texts[i].flags);
        SB_CHECK_MSG(!strcmp(sb_buf_str(&b), texts[i].want), "%s: \"%s\"", texts[i].name,
                     sb_buf_str(&b));
        SB_CHECK_MSG(used == texts[i].used, "%s: used %zu, want %zu", texts[i].name, used,
                     texts[i].used);
        sb_buf_free(&b);
    }
}

static void test_errors(void) {
    sb_buf_t b = {0};
    sb_buf_add_str(&b, "kept");
    /* over SB_BUF_MAX: refused before any allocation or read */
    sb_buf_add(&b, "x", (size_t)1 << 40);
    SB_CHECK(b.err == 1 && b.len == 4);
    sb_buf_add(&b, "more", 4); /* sticky: nothing more goes in */
    sb_buf_addf(&b, "%d", 1);
    sb_buf_add_json(&b, "j");
    sb_buf_add_text(&b, "t", 10, 0);
    SB_CHECK(b.len == 4 && !strcmp(b.s, "kept"));
    SB_CHECK(sb_buf_take(&b) == NULL); /* frees */
    SB_CHECK(b.s == NULL && b.len == 0 && b.err == 0);

    sb_buf_add(&b, "x", SB_BUF_MAX); /* the NUL would not fit either */
    SB_CHECK(b.err == 1 && b.s == NULL);
    sb_buf_reset(&b); /* clears the error */
    sb_buf_add_str(&b, "ok");
    SB_CHECK(!b.err && !strcmp(sb_buf_str(&b), "ok"));
    sb_buf_free(&b);
}

static void test_take(void) {
    sb_buf_t b = {0};
    char *s = sb_buf_take(&b); /* nothing added: an allocated "" */
    SB_CHECK(s != NULL && *s == '\0');
    free(s);
    sb_buf_add_str(&b, "abc");
    sb_buf_reset(&b);
    SB_CHECK(b.len == 0 && b.s && *b.s == '\0' && b.cap > 0);
    sb_buf_add_str(&b, "def");
    s = sb_buf_take(&b);
    SB_CHECK_STR(s, "def");
    SB_CHECK(b.s == NULL && b.len == 0 && b.cap == 0);
    free(s);
    sb_buf_add_str(&b, "again"); /* b is reusable after take */
    SB_CHECK_STR(sb_buf_str(&b), "again");
    sb_buf_free(&b);
    sb_buf_free(&b); /* a zeroed buffer is fine */
}

int main(void) {
    test_appends();
    test_printf();
    test_json();
    test_text();
    test_errors();
    test_take();
    return SB_TEST_DONE();
}
