/* sb_command: the employee's words, read into one of a few commands. */
#include "sb_command.h"

#include <string.h>

static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
static int is_digit(char c) {
    return c >= '0' && c <= '9';
}
static int is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
/* A letter, or the lead byte of an accented Latin letter (U+00C0-U+024F):
 * such a byte after "no" continues the word ("Noël" is not "no"). */
static int continues_word(char c) {
    return is_alpha(c) || ((unsigned char)c >= 0xC3 && (unsigned char)c <= 0xC9);
}
static int is_separator(char c) {
    return c != '\0' && strchr(",.;:!-", c) != NULL; /* strchr finds the NUL too */
}
static char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* 1 when s[0..n) equals the lower-case word w, ignoring case. */
static int word_is(const char *s, size_t n, const char *w) {
    if (strlen(w) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower(s[i]) != w[i])
            return 0;
    return 1;
}

static int any_word(const char *s, size_t n, const char *const *words) {
    for (; *words; words++)
        if (word_is(s, n, *words))
            return 1;
    return 0;
}

/* Digits, spaces and dashes only: a code, or a mistyped one. */
static int read_code(const char *s, size_t n, sb_command_t *out) {
    size_t digits = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_digit(s[i])) {
            if (digits < 6)
                out->code[digits] = s[i];
            digits++;
        } else if (s[i] != ' ' && s[i] != '-') {
            memset(out->code, 0, sizeof(out->code)); /* no digits left behind */
            return 0;
        }
    }
    if (digits == 0)
        return 0;
    if (digits == 6) {
        out->code[6] = '\0';
        out->kind = SB_CMD_CODE;
    } else {
        memset(out->code, 0, sizeof(out->code));
        out->kind = SB_CMD_BAD_CODE;
    }
    return 1;
}

/* "2h", "2 h", "90m", "1 hour", "30 minutes". */
static void read_ignore(const char *s, size_t n, sb_command_t *out) {
    static const char *const hours[] = {"h", "hr", "hrs", "hour", "hours", NULL};
    static const char *const minutes[] = {"m", "min", "mins", "minute", "minutes", NULL};
    size_t i = 0, unit;
    int64_t value = 0;

    out->kind = SB_CMD_IGNORE_BAD;
    out->error = "Tell me for how long, for example `ignore 2h` or `ignore 30m` (at most 4 hours).";
    while (i < n && is_digit(s[i])) {
        if (value > 1000000) /* absurd: stop before it can overflow */
            value = 1000001;
        else
            value = value * 10 + (s[i] - '0');
        i++;
    }
    if (i == 0)
        return;
    while (i < n && is_space(s[i]))
        i++;
    unit = i;
    while (i < n && is_alpha(s[i]))
        i++;
    if (i != n) /* trailing words or symbols */
        return;
    if (any_word(s + unit, n - unit, hours))
        out->ignore_ms = value * 3600 * 1000;
    else if (any_word(s + unit, n - unit, minutes))
        out->ignore_ms = value * 60 * 1000;
    else
        return;
    if (out->ignore_ms > SB_COMMAND_IGNORE_MAX_MS) {
        out->error = "I can snooze a rule for at most 4 hours.";
        return;
    }
    if (out->ignore_ms < SB_COMMAND_IGNORE_MIN_MS) {
        out->error = "I can snooze a rule for at least a minute.";
        return;
    }
    out->kind = SB_CMD_IGNORE;
    out->error = NULL;
}

/* One word of letters, digits and dashes with at least 4 digits. */
static int code_like(const char *s, size_t n) {
    size_t digits = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_digit(s[i]))
            digits++;
        else if (!is_alpha(s[i]) && s[i] != '-')
            return 0;
    }
    return digits >= 4;
}

/* "not me" (any case, spaces between), alone or followed by separators
 * and words: "not me - I don't work in sales". w is the first word's
 * length. 1 with *out filled, else 0. */
static int not_me(const char *s, size_t n, size_t w, sb_command_t *out) {
    size_t i = w, rest;
    if (!word_is(s, w, "not") || i == n || !is_space(s[i]))
        return 0;
    while (i < n && is_space(s[i]))
        i++;
    if (n - i < 2 || lower(s[i]) != 'm' || lower(s[i + 1]) != 'e' ||
        (i + 2 < n && (continues_word(s[i + 2]) || is_digit(s[i + 2]))))
        return 0; /* "not meant for me" is no answer */
    for (rest = i + 2; rest < n && (is_space(s[rest]) || is_separator(s[rest])); rest++)
        ;
    out->kind = SB_CMD_NOT_ME;
    out->comment = s + rest;
    out->comment_len = n - rest;
    return 1;
}

void sb_command_parse(const char *text, size_t len, sb_command_t *out) {
    static const char *const yes[] = {"yes", "yep", "yeah", NULL};
    static const char *const no[] = {"no", "nope", NULL};
    const char *s = text ? text : "";
    size_t n = text ? len : 0, w = 0;

    memset(out, 0, sizeof(*out));
    if (n > SB_COMMAND_TEXT_MAX) {
        n = SB_COMMAND_TEXT_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) /* never cut a character */
            n--;
    }
    while (n > 0 && is_space(s[0]))
        s++, n--;
    while (n > 0 && is_space(s[n - 1]))
        n--;
    out->kind = SB_CMD_OTHER;
    if (n == 0) {
        out->kind = SB_CMD_EMPTY;
        return;
    }
    if (read_code(s, n, out))
        return;
    while (w < n && is_alpha(s[w]))
        w++;
    /* the first word, then the rest after separators such as ", - : ." */
    size_t rest = w;
    while (rest < n && (is_space(s[rest]) || is_separator(s[rest])))
        rest++;
    if (w > 0 && (w == n || !continues_word(s[w]))) {
        if (any_word(s, w, yes) || any_word(s, w, no)) {
            out->kind = any_word(s, w, yes) ? SB_CMD_YES : SB_CMD_NO;
            out->comment = s + rest;
            out->comment_len = n - rest;
            return;
        }
        if (not_me(s, n, w, out))
            return;
        if (w == n && word_is(s, w, "help"))
            out->kind = SB_CMD_HELP;
        else if (w == n && word_is(s, w, "status"))
            out->kind = SB_CMD_STATUS;
        else if (w == n && word_is(s, w, "test"))
            out->kind = SB_CMD_TEST;
        else if (w == n && word_is(s, w, "push"))
            out->kind = SB_CMD_PUSH;
        else if (w == n && word_is(s, w, "stop"))
            out->kind = SB_CMD_STOP;
        else if (w == n && word_is(s, w, "start"))
            out->kind = SB_CMD_START;
        else if (word_is(s, w, "ignore") && (w == n || is_space(s[w]))) {
            /* only spaces before the duration: "ignore -5h" is not 5 hours */
            for (rest = w; rest < n && is_space(s[rest]); rest++)
                ;
            read_ignore(s + rest, n - rest, out);
        }
    } else if (n == 1 && s[0] == '?') {
        out->kind = SB_CMD_HELP;
    }
    if (out->kind == SB_CMD_OTHER)
        out->code_like = code_like(s, n);
}

size_t sb_command_withhold_digits(char *s, size_t len) {
    size_t runs = 0, i = 0, j;
    while (i < len) {
        for (j = i; j < len && is_digit(s[j]); j++)
            ;
        if (j - i >= 6 && j - i <= 8) {
            memset(s + i, '*', j - i);
            runs++;
        }
        i = j > i ? j : i + 1;
    }
    return runs;
}

const char *sb_command_name(sb_command_kind_t kind) {
    static const char *const names[] = {"empty", "code",   "bad_code", "yes",    "no",
                                        "help",  "status", "test",     "ignore", "ignore",
                                        "other", "push",   "stop",     "start",  "not_me"};
    return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "other";
}
