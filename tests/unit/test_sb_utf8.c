/* test_sb_utf8: strict UTF-8 validation, code point counting and cuts on character boundaries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_test.h"
#include "sb_utf8.h"

static const struct {
    const char *name;
    const char *bytes;
    size_t len; /* 0: strlen(bytes) */
    int valid;
} validity[] = {
    {"empty", "", 0, 1},
    {"ascii", "hello, world", 0, 1},
    {"long ascii run", "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz", 0, 1},
    {"nul byte is valid utf-8", "a\0b", 3, 1},
    {"two-byte", "caf\xc3\xa9", 0, 1},
    {"three-byte", "\xe6\x97\xa5\xe6\x9c\xac", 0, 1},
    {"four-byte", "\xf0\x9f\x94\x92", 0, 1},
    {"max code point U+10FFFF", "\xf4\x8f\xbf\xbf", 0, 1},
    {"U+FFFF", "\xef\xbf\xbf", 0, 1},
    {"U+D7FF before surrogates", "\xed\x9f\xbf", 0, 1},
    {"U+E000 after surrogates", "\xee\x80\x80", 0, 1},
    {"multibyte after 8 ascii", "12345678\xc3\xa9", 0, 1},
    {"lone continuation", "\x80", 0, 0},
    {"continuation after ascii run", "abcdefgh\xbf", 0, 0},
    {"overlong 2-byte C0", "\xc0\xaf", 0, 0},
    {"overlong 2-byte C1", "\xc1\xbf", 0, 0},
    {"overlong 3-byte", "\xe0\x80\xaf", 0, 0},
    {"overlong 4-byte", "\xf0\x80\x80\xaf", 0, 0},
    {"surrogate D800", "\xed\xa0\x80", 0, 0},
    {"surrogate DFFF", "\xed\xbf\xbf", 0, 0},
    {"above U+10FFFF", "\xf4\x90\x80\x80", 0, 0},
    {"F5 lead", "\xf5\x80\x80\x80", 0, 0},
    {"FF byte", "\xff", 0, 0},
    {"truncated 2-byte", "caf\xc3", 0, 0},
    {"truncated 3-byte", "\xe6\x97", 0, 0},
    {"truncated 4-byte", "\xf0\x9f\x94", 0, 0},
    {"bad second continuation", "\xe6\x97\x41", 0, 0},
    {"ascii instead of continuation", "\xc3\x41", 0, 0},
};

static const struct {
    const char *s;
    size_t chars;
} lengths[] = {
    {"", 0},
    {"abc", 3},
    {"caf\xc3\xa9", 4},
    {"\xe6\x97\xa5\xe6\x9c\xac", 2},
    {"\xf0\x9f\x94\x92x", 2},
};

/* {string, max bytes, bytes kept} */
static const struct {
    const char *s;
    size_t max, kept;
} cuts[] = {
    {"", 10, 0},
    {"abc", 10, 3},
    {"abc", 2, 2},
    {"abc", 0, 0},
    {"caf\xc3\xa9", 5, 5},   /* the last character whole */
    {"caf\xc3\xa9", 4, 3},   /* inside the 2-byte e-acute */
    {"\xe6\x97\xa5x", 1, 0}, /* inside a 3-byte character */
    {"\xe6\x97\xa5x", 2, 0},
    {"\xe6\x97\xa5x", 3, 3},
    {"a\xf0\x9f\x94\x92", 4, 1}, /* inside a 4-byte character */
    {"a\xf0\x9f\x94\x92", 5, 5},
    {"ab\x80\x80\x80\x80\x80", 6, 6}, /* not UTF-8: bytes as they are */
};

/* Every cut of a run of 2-, 3- and 4-byte characters stays valid UTF-8. */
static void test_cut_every_length(void) {
    const char *s = "x\xc3\xa9\xe6\x97\xa5\xf0\x9f\x94\x92\xc3\xa9";
    for (size_t max = 0; max <= strlen(s) + 1; max++) {
        size_t n = sb_utf8_cut(s, max);
        SB_CHECK_MSG(n <= max && max - n < 4 && sb_utf8_valid(s, n), "cut at %zu kept %zu", max, n);
    }
    char out[8];
    snprintf(out, sizeof(out), "%.*s", SB_UTF8_CUT("caf\xc3\xa9!", 4));
    SB_CHECK_STR(out, "caf");
}

int main(void) {
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
        SB_CHECK_MSG(sb_utf8_cut(cuts[i].s, cuts[i].max) == cuts[i].kept, "cut %zu of case %zu",
                     cuts[i].max, i);
    test_cut_every_length();
    for (size_t i = 0; i < sizeof(validity) / sizeof(validity[0]); i++) {
        size_t len = validity[i].len ? validity[i].len : strlen(validity[i].bytes);
        SB_CHECK_MSG(sb_utf8_valid(validity[i].bytes, len) == validity[i].valid, "%s",
                     validity[i].name);
    }
    for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++)
        SB_CHECK_MSG(sb_utf8_length(lengths[i].s) == lengths[i].chars, "length of '%s'",
                     lengths[i].s);

    /* Every position of an invalid byte inside a long ASCII buffer, so the
     * eight-byte fast path cannot skip over it. */
    char buf[40];
    for (size_t pos = 0; pos < sizeof(buf); pos++) {
        memset(buf, 'a', sizeof(buf));
        buf[pos] = (char)0x80;
        SB_CHECK_MSG(!sb_utf8_valid(buf, sizeof(buf)), "0x80 at %zu", pos);
        buf[pos] = 'b';
        SB_CHECK(sb_utf8_valid(buf, sizeof(buf)));
    }
    return SB_TEST_DONE();
}
