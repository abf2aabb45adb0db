/* Unit tests for sb_command: what an employee's words are read as. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sb_command.h"
#include "sb_test.h"
#include "sb_utf8.h"

#define H (3600LL * 1000)
#define M (60LL * 1000)

typedef struct {
    const char *text;
    sb_command_kind_t kind;
    const char *want; /* CODE: the code; YES/NO: the comment; IGNORE_BAD: part of the error */
    int64_t ignore_ms;
} case_t;

static const case_t cases[] = {
    /* empty */
    {"", SB_CMD_EMPTY, NULL, 0},
    {" ", SB_CMD_EMPTY, NULL, 0},
    {" \t\r\n  \n", SB_CMD_EMPTY, NULL, 0},
    /* codes */
    {"123456", SB_CMD_CODE, "123456", 0},
    {"123 456", SB_CMD_CODE, "123456", 0},
    {"123-456", SB_CMD_CODE, "123456", 0},
    {" 123456 \n", SB_CMD_CODE, "123456", 0},
    {"\t000000\r\n", SB_CMD_CODE, "000000", 0},
    {"12 34 56", SB_CMD_CODE, "123456", 0},
    {"1-2-3 4-5-6", SB_CMD_CODE, "123456", 0},
    {"--987654--", SB_CMD_CODE, "987654", 0},
    /* mistyped codes */
    {"12345", SB_CMD_BAD_CODE, NULL, 0},
    {"1234567", SB_CMD_BAD_CODE, NULL, 0},
    {"12 34", SB_CMD_BAD_CODE, NULL, 0},
    {"1", SB_CMD_BAD_CODE, NULL, 0},
    {"123 4567", SB_CMD_BAD_CODE, NULL, 0},
    {"000-000-0", SB_CMD_BAD_CODE, NULL, 0},
    /* not digits, spaces and dashes only: free text */
    {"12a456", SB_CMD_OTHER, NULL, 0}, /* code_like: see test_code_like */
    {"123456a", SB_CMD_OTHER, NULL, 0},
    {"a123456", SB_CMD_OTHER, NULL, 0},
    {"123.456", SB_CMD_OTHER, NULL, 0},
    {"+123456", SB_CMD_OTHER, NULL, 0},
    {"-", SB_CMD_OTHER, NULL, 0},
    {"- -", SB_CMD_OTHER, NULL, 0},
    /* yes */
    {"yes", SB_CMD_YES, "", 0},
    {"yep", SB_CMD_YES, "", 0},
    {"yeah", SB_CMD_YES, "", 0},
    {"YES", SB_CMD_YES, "", 0},
    {"Yeah", SB_CMD_YES, "", 0},
    {"  yes  \n", SB_CMD_YES, "", 0},
    {"yes!", SB_CMD_YES, "", 0},
    {"yes.", SB_CMD_YES, "", 0},
    {"yes, I was travelling", SB_CMD_YES, "I was travelling", 0},
    {"Yep - on my laptop ", SB_CMD_YES, "on my laptop", 0},
    {"yeah: me", SB_CMD_YES, "me", 0},
    {"yes   it was me  \n", SB_CMD_YES, "it was me", 0},
    {"YES,it's me", SB_CMD_YES, "it's me", 0},
    {"yes 123456", SB_CMD_YES, "123456", 0},
    /* no */
    {"no", SB_CMD_NO, "", 0},
    {"nope", SB_CMD_NO, "", 0},
    {"No", SB_CMD_NO, "", 0},
    {"NOPE", SB_CMD_NO, "", 0},
    {"no - not me", SB_CMD_NO, "not me", 0},
    {"No, never seen that", SB_CMD_NO, "never seen that", 0},
    {"no!!! not me", SB_CMD_NO, "not me", 0},
    {"nope.\nsomeone else", SB_CMD_NO, "someone else", 0},
    /* "not me": the wrong person, with optional words */
    {"not me", SB_CMD_NOT_ME, "", 0},
    {"Not Me", SB_CMD_NOT_ME, "", 0},
    {"NOT ME", SB_CMD_NOT_ME, "", 0},
    {"  not   me. ", SB_CMD_NOT_ME, "", 0},
    {"not me - I don't work in sales", SB_CMD_NOT_ME, "I don't work in sales", 0},
    {"not me, try alice.smith", SB_CMD_NOT_ME, "try alice.smith", 0},
    {"not me!\nwrong jdoe", SB_CMD_NOT_ME, "wrong jdoe", 0},
    {"no, not me", SB_CMD_NO, "not me", 0}, /* a "no" first: a denial */
    {"not meant for me", SB_CMD_OTHER, NULL, 0},
    {"not mean", SB_CMD_OTHER, NULL, 0},
    {"not me2", SB_CMD_OTHER, NULL, 0},
    {"not\xc3\xa9 me", SB_CMD_OTHER, NULL, 0},
    {"notme", SB_CMD_OTHER, NULL, 0},
    {"not", SB_CMD_OTHER, NULL, 0},
    {"not m", SB_CMD_OTHER, NULL, 0},
    {"not sure", SB_CMD_OTHER, NULL, 0},
    /* words that start like yes or no */
    {"nothing", SB_CMD_OTHER, NULL, 0},
    {"note", SB_CMD_OTHER, NULL, 0},
    {"notyes", SB_CMD_OTHER, NULL, 0},
    {"yesterday", SB_CMD_OTHER, NULL, 0},
    {"yess", SB_CMD_OTHER, NULL, 0},
    {"nop", SB_CMD_OTHER, NULL, 0},
    {"n", SB_CMD_OTHER, NULL, 0},
    {"y", SB_CMD_OTHER, NULL, 0},
    {"maybe yes", SB_CMD_OTHER, NULL, 0},
    /* non-ASCII text */
    {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", SB_CMD_OTHER, NULL, 0}, /* 日本語 */
    {"\xc3\xa7"
     "a va",
     SB_CMD_OTHER, NULL, 0},                                     /* ça va */
    {"n\xc3\xb6", SB_CMD_OTHER, NULL, 0},                        /* nö */
    {"No\xc3\xabl is coming", SB_CMD_OTHER, NULL, 0},            /* Noël */
    {"no\xc3\xa9", SB_CMD_OTHER, NULL, 0},                       /* noé */
    {"yes\xc4\x9f", SB_CMD_OTHER, NULL, 0},                      /* yesğ */
    {"\xc2\xbfyes?", SB_CMD_OTHER, NULL, 0},                     /* ¿yes? */
    {"\xf0\x9f\x91\x8d", SB_CMD_OTHER, NULL, 0},                 /* thumbs up */
    {"yes \xf0\x9f\x91\x8d", SB_CMD_YES, "\xf0\x9f\x91\x8d", 0}, /* a comment may be anything */
    /* commands */
    {"help", SB_CMD_HELP, NULL, 0},
    {"Help", SB_CMD_HELP, NULL, 0},
    {"HELP", SB_CMD_HELP, NULL, 0},
    {" help\n", SB_CMD_HELP, NULL, 0},
    {"?", SB_CMD_HELP, NULL, 0},
    {"  ?  ", SB_CMD_HELP, NULL, 0},
    {"help me", SB_CMD_OTHER, NULL, 0},
    {"help?", SB_CMD_OTHER, NULL, 0},
    {"helpme", SB_CMD_OTHER, NULL, 0},
    {"??", SB_CMD_OTHER, NULL, 0},
    {"status", SB_CMD_STATUS, NULL, 0},
    {"Status", SB_CMD_STATUS, NULL, 0},
    {"status please", SB_CMD_OTHER, NULL, 0},
    {"statuses", SB_CMD_OTHER, NULL, 0},
    {"test", SB_CMD_TEST, NULL, 0},
    {"push", SB_CMD_PUSH, NULL, 0},
    {" Push \n", SB_CMD_PUSH, NULL, 0},
    {"push it", SB_CMD_OTHER, NULL, 0},
    {"stop", SB_CMD_STOP, NULL, 0},
    {" STOP\n", SB_CMD_STOP, NULL, 0},
    {"stop it", SB_CMD_OTHER, NULL, 0},
    {"start", SB_CMD_START, NULL, 0},
    {"Start", SB_CMD_START, NULL, 0},
    {"start again", SB_CMD_OTHER, NULL, 0},
    {"TEST", SB_CMD_TEST, NULL, 0},
    {"testing", SB_CMD_OTHER, NULL, 0},
    {"test 1", SB_CMD_OTHER, NULL, 0},
    /* ignore */
    {"ignore 2h", SB_CMD_IGNORE, NULL, 2 * H},
    {"ignore 2 h", SB_CMD_IGNORE, NULL, 2 * H},
    {"ignore 90m", SB_CMD_IGNORE, NULL, 90 * M},
    {"ignore 30 minutes", SB_CMD_IGNORE, NULL, 30 * M},
    {"ignore 1 hour", SB_CMD_IGNORE, NULL, 1 * H},
    {"ignore 4h", SB_CMD_IGNORE, NULL, 4 * H},
    {"ignore 240m", SB_CMD_IGNORE, NULL, 4 * H},
    {"ignore 1m", SB_CMD_IGNORE, NULL, 1 * M},
    {"ignore 1 min", SB_CMD_IGNORE, NULL, 1 * M},
    {"ignore 15 mins", SB_CMD_IGNORE, NULL, 15 * M},
    {"ignore 1 minute", SB_CMD_IGNORE, NULL, 1 * M},
    {"ignore 3 hours", SB_CMD_IGNORE, NULL, 3 * H},
    {"ignore 2hr", SB_CMD_IGNORE, NULL, 2 * H},
    {"ignore 2hrs", SB_CMD_IGNORE, NULL, 2 * H},
    {"IGNORE 2H", SB_CMD_IGNORE, NULL, 2 * H},
    {"  ignore\t 2h \n", SB_CMD_IGNORE, NULL, 2 * H},
    {"ignore 0002h", SB_CMD_IGNORE, NULL, 2 * H},
    {"ignore 5h", SB_CMD_IGNORE_BAD, "at most 4 hours", 0},
    {"ignore 241m", SB_CMD_IGNORE_BAD, "at most 4 hours", 0},
    {"ignore 99999h", SB_CMD_IGNORE_BAD, "at most 4 hours", 0},
    {"ignore 99999999999999999999h", SB_CMD_IGNORE_BAD, "at most 4 hours", 0},
    {"ignore 99999999999999999999m", SB_CMD_IGNORE_BAD, "at most 4 hours", 0},
    {"ignore 0m", SB_CMD_IGNORE_BAD, "at least a minute", 0},
    {"ignore 0h", SB_CMD_IGNORE_BAD, "at least a minute", 0},
    {"ignore", SB_CMD_IGNORE_BAD, "at most 4 hours", 0},
    {"ignore  \n", SB_CMD_IGNORE_BAD, "at most 4 hours", 0},
    {"ignore 2x", SB_CMD_IGNORE_BAD, "at most 4 hours", 0},
    {"ignore 2", SB_CMD_IGNORE_BAD, "at most 4 hours", 0},
    {"ignore h", SB_CMD_IGNORE_BAD, "at most 4 hours", 0},
    {"ignore 2h please", SB_CMD_IGNORE_BAD, "at most 4 hours", 0},
    {"ignore 2h.", SB_CMD_IGNORE_BAD, "at most 4 hours", 0},
    {"ignore 1.5h", SB_CMD_IGNORE_BAD, "at most 4 hours", 0},
    {"ignore two hours", SB_CMD_IGNORE_BAD, "at most 4 hours", 0},
    {"ignore -5h", SB_CMD_IGNORE_BAD, "at most 4 hours", 0},
    {"ignore -2h", SB_CMD_IGNORE_BAD, "at most 4 hours", 0},
    {"ignore - 2h", SB_CMD_IGNORE_BAD, "at most 4 hours", 0},
    {"ignore, 2h", SB_CMD_OTHER, NULL, 0},
    {"ignored 2h", SB_CMD_OTHER, NULL, 0},
    {"please ignore 2h", SB_CMD_OTHER, NULL, 0},
};

/* Checks one parse of text[0..len) against a case's expectations. */
static void check(const char *text, size_t len, const case_t *c, const char *what) {
    sb_command_t cmd;
    memset(&cmd, 0x5a, sizeof(cmd)); /* the parser must overwrite everything */
    sb_command_parse(text, len, &cmd);

    SB_CHECK_MSG(cmd.kind == c->kind, "%s: kind %s (%d), want %s", what, sb_command_name(cmd.kind),
                 (int)cmd.kind, sb_command_name(c->kind));
    if (c->kind == SB_CMD_CODE) {
        SB_CHECK_MSG(memcmp(cmd.code, c->want, 7) == 0, "%s: code \"%.6s\", want %s", what,
                     cmd.code, c->want);
    } else {
        static const char zero[7];
        SB_CHECK_MSG(memcmp(cmd.code, zero, 7) == 0, "%s: code not cleared", what);
    }
    if (c->kind == SB_CMD_YES || c->kind == SB_CMD_NO || c->kind == SB_CMD_NOT_ME) {
        size_t want = strlen(c->want);
        SB_CHECK_MSG(cmd.comment && cmd.comment >= text &&
                         cmd.comment + cmd.comment_len <= text + len,
                     "%s: comment outside the input", what);
        SB_CHECK_MSG(cmd.comment_len == want && (!want || memcmp(cmd.comment, c->want, want) == 0),
                     "%s: comment \"%.*s\", want \"%s\"", what, (int)cmd.comment_len,
                     cmd.comment ? cmd.comment : "", c->want);
    } else {
        SB_CHECK_MSG(cmd.comment == NULL && cmd.comment_len == 0, "%s: a comment", what);
    }
    if (c->kind == SB_CMD_IGNORE)
        SB_CHECK_MSG(cmd.ignore_ms == c->ignore_ms, "%s: ignore_ms %lld, want %lld", what,
                     (long long)cmd.ignore_ms, (long long)c->ignore_ms);
    else if (c->kind != SB_CMD_IGNORE_BAD)
        SB_CHECK_MSG(cmd.ignore_ms == 0, "%s: ignore_ms %lld", what, (long long)cmd.ignore_ms);
    if (c->kind == SB_CMD_IGNORE_BAD)
        SB_CHECK_MSG(cmd.error && strstr(cmd.error, c->want), "%s: error \"%s\", want \"%s\"", what,
                     cmd.error ? cmd.error : "(null)", c->want);
    else
        SB_CHECK_MSG(cmd.error == NULL, "%s: error \"%s\"", what, cmd.error);
}

static void test_table(void) {
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        /* a copy on the heap, so reading past len is a sanitizer error */
        size_t len = strlen(cases[i].text);
        char *copy = malloc(len ? len : 1);
        memcpy(copy, cases[i].text, len);
        check(copy, len, &cases[i], cases[i].text);
        free(copy);
    }
}

/* The length bounds the text, not a terminator; NUL is not white space. */
static void test_lengths(void) {
    const case_t yes = {NULL, SB_CMD_YES, "", 0}, no = {NULL, SB_CMD_NO, "", 0};
    const case_t code = {NULL, SB_CMD_CODE, "123456", 0}, help = {NULL, SB_CMD_HELP, NULL, 0};
    const case_t other = {NULL, SB_CMD_OTHER, NULL, 0}, empty = {NULL, SB_CMD_EMPTY, NULL, 0};
    const case_t ignore = {NULL, SB_CMD_IGNORE, NULL, 2 * H};

    check("yesterday", 3, &yes, "\"yesterday\" cut to 3");
    check("no thanks", 2, &no, "\"no thanks\" cut to 2");
    check("123456789", 6, &code, "\"123456789\" cut to 6");
    check("help me", 4, &help, "\"help me\" cut to 4");
    check("ignore 2h please", 9, &ignore, "\"ignore 2h please\" cut to 9");
    check("help", 0, &empty, "\"help\" cut to 0");
    check(NULL, 0, &empty, "NULL, 0");
    check(NULL, 10, &empty, "NULL, 10");
    check("123\0"
          "456",
          7, &other, "123 NUL 456");
    check("help\0", 5, &other, "help NUL");
    check("\0", 1, &other, "NUL");
    check("  \0  ", 5, &other, "spaces NUL spaces");
    check("ignore\0"
          "2h",
          8, &other, "ignore NUL 2h");
    check("ignore \0"
          "2h",
          9, &(case_t){NULL, SB_CMD_IGNORE_BAD, "at most 4 hours", 0}, "ignore space NUL 2h");
    /* NUL is not one of the separators skipped before a comment */
    sb_command_t cmd;
    const char yes_abc[] = "yes\0abc";
    sb_command_parse(yes_abc, 7, &cmd);
    SB_CHECK(cmd.kind == SB_CMD_YES && cmd.comment == yes_abc + 3 && cmd.comment_len == 4);
    SB_CHECK(cmd.comment && memcmp(cmd.comment, "\0abc", 4) == 0);
}

/* At most SB_COMMAND_TEXT_MAX bytes are looked at, and never half a character. */
static void test_long_texts(void) {
    const size_t big = SB_COMMAND_TEXT_MAX + 1000;
    char *t = malloc(big);
    sb_command_t cmd;

    /* the "yes" comes after the bytes looked at */
    memset(t, ' ', big);
    memcpy(t + SB_COMMAND_TEXT_MAX, "yes", 3);
    sb_command_parse(t, SB_COMMAND_TEXT_MAX + 3, &cmd);
    SB_CHECK(cmd.kind == SB_CMD_EMPTY);

    /* a code at the very end of the window, then spaces */
    memset(t, ' ', big);
    memcpy(t + SB_COMMAND_TEXT_MAX - 6, "123456", 6);
    sb_command_parse(t, big, &cmd);
    SB_CHECK(cmd.kind == SB_CMD_CODE && strcmp(cmd.code, "123456") == 0);

    /* a code cut by the window: only "12" is seen */
    memset(t, ' ', big);
    memcpy(t + SB_COMMAND_TEXT_MAX - 2, "123456", 6);
    sb_command_parse(t, big, &cmd);
    SB_CHECK(cmd.kind == SB_CMD_BAD_CODE);

    /* a long comment ends at the window */
    memset(t, 'a', big);
    memcpy(t, "yes ", 4);
    sb_command_parse(t, big, &cmd);
    SB_CHECK(cmd.kind == SB_CMD_YES && cmd.comment == t + 4);
    SB_CHECK(cmd.comment_len == SB_COMMAND_TEXT_MAX - 4);

    /* exactly SB_COMMAND_TEXT_MAX bytes: all of it */
    memset(t, 'a', big);
    memcpy(t, "no ", 3);
    sb_command_parse(t, SB_COMMAND_TEXT_MAX, &cmd);
    SB_CHECK(cmd.kind == SB_CMD_NO && cmd.comment == t + 3);
    SB_CHECK(cmd.comment_len == SB_COMMAND_TEXT_MAX - 3);

    /* "yes, " then two-byte characters: byte 4000 is inside one, the comment
     * stops before it and stays UTF-8 */
    memcpy(t, "yes, ", 5);
    for (size_t i = 5; i + 1 < big; i += 2)
        memcpy(t + i, "\xc3\xa9", 2); /* é */
    sb_command_parse(t, 5 + 2 * ((big - 5) / 2), &cmd);
    SB_CHECK(cmd.kind == SB_CMD_YES && cmd.comment == t + 5);
    SB_CHECK_MSG(cmd.comment_len == SB_COMMAND_TEXT_MAX - 6, "comment_len %zu", cmd.comment_len);
    SB_CHECK(sb_utf8_valid(cmd.comment, cmd.comment_len));

    /* four-byte characters: the cut goes back to the start of one */
    memcpy(t, "no ", 3);
    for (size_t i = 3; i + 3 < big; i += 4)
        memcpy(t + i, "\xf0\x9f\x91\x8d", 4);
    sb_command_parse(t, 3 + 4 * ((big - 3) / 4), &cmd);
    SB_CHECK(cmd.kind == SB_CMD_NO && cmd.comment == t + 3);
    SB_CHECK(cmd.comment_len % 4 == 0 && cmd.comment_len <= SB_COMMAND_TEXT_MAX - 3);
    SB_CHECK(cmd.comment_len > SB_COMMAND_TEXT_MAX - 3 - 4);
    SB_CHECK(sb_utf8_valid(cmd.comment, cmd.comment_len));
    free(t);
}

/* A word of letters and digits with at least 4 digits is free text that
 * looks like a mistyped code (a hint, and never stored); the rest is not. */
static void test_code_like(void) {
    static const struct {
        const char *text;
        int code_like;
    } words[] = {
        {"12a456", 1},  {"O12345", 1},  {"123456a", 1},    {" a123456 ", 1}, {"12-ab-34", 1},
        {"2fa", 0},     {"mp3", 0},     {"abc123", 0},     {"12 a456", 0},   {"123.456", 0},
        {"+123456", 0}, {"nothing", 0}, {"yes 12a456", 0}, {"no 12a456", 0},
    };
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        sb_command_t cmd;
        sb_command_parse(words[i].text, strlen(words[i].text), &cmd);
        SB_CHECK_MSG(cmd.code_like == words[i].code_like, "\"%s\": code_like %d", words[i].text,
                     cmd.code_like);
    }
}

static void test_names(void) {
    static const struct {
        sb_command_kind_t kind;
        const char *name;
    } names[] = {
        {SB_CMD_EMPTY, "empty"},       {SB_CMD_CODE, "code"},   {SB_CMD_BAD_CODE, "bad_code"},
        {SB_CMD_YES, "yes"},           {SB_CMD_NO, "no"},       {SB_CMD_HELP, "help"},
        {SB_CMD_STATUS, "status"},     {SB_CMD_TEST, "test"},   {SB_CMD_IGNORE, "ignore"},
        {SB_CMD_IGNORE_BAD, "ignore"}, {SB_CMD_OTHER, "other"}, {SB_CMD_PUSH, "push"},
        {SB_CMD_STOP, "stop"},         {SB_CMD_START, "start"}, {SB_CMD_NOT_ME, "not_me"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        SB_CHECK_STR(sb_command_name(names[i].kind), names[i].name);
    SB_CHECK_STR(sb_command_name((sb_command_kind_t)(SB_CMD_LAST + 1)), "other");
    SB_CHECK_STR(sb_command_name((sb_command_kind_t)-1), "other");
}

/* Runs of 6 to 8 digits withheld; shorter and longer runs kept. */
static void test_withhold(void) {
    static const struct {
        const char *in, *out;
        size_t runs;
    } withheld[] = {
        {"my badge is 1234567, call me", "my badge is *******, call me", 1},
        {"123456", "******", 1},
        {"12345678x123456789", "********x123456789", 1},
        {"12345 and 123", "12345 and 123", 0},
        {"a123456b 654321", "a******b ******", 2},
        {"123 456", "123 456", 0},
        {"", "", 0},
    };
    for (size_t i = 0; i < sizeof(withheld) / sizeof(withheld[0]); i++) {
        char buf[64];
        snprintf(buf, sizeof(buf), "%s", withheld[i].in);
        SB_CHECK(sb_command_withhold_digits(buf, strlen(buf)) == withheld[i].runs);
        SB_CHECK_STR(buf, withheld[i].out);
    }
}

int main(void) {
    test_withhold();
    test_table();
    test_lengths();
    test_long_texts();
    test_code_like();
    test_names();
    return SB_TEST_DONE();
}
