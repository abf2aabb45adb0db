/* sb_command: reads what an employee typed in the direct conversation. */

/* Reads what an employee typed in the direct conversation:
 * a one-time code, "yes"/"no"/"not me" with an optional comment, or a command
 * (help, status, ignore <duration>, test, push, stop, start). Pure: no I/O, no allocation. */
#ifndef SB_COMMAND_H
#define SB_COMMAND_H

#include <stddef.h>
#include <stdint.h>

#define SB_COMMAND_IGNORE_MAX_MS (4LL * 3600 * 1000) /* "at most 4 h" */
#define SB_COMMAND_IGNORE_MIN_MS (60LL * 1000)
#define SB_COMMAND_TEXT_MAX      4000 /* bytes looked at; a response.v1 text is at most 4000 chars */

typedef enum {
    SB_CMD_EMPTY,      /* nothing but white space */
    SB_CMD_CODE,       /* six digits (spaces and dashes between them allowed): code[] */
    SB_CMD_BAD_CODE,   /* digits, spaces and dashes only, but not six digits */
    SB_CMD_YES,        /* "yes", "yep", "yeah" + optional comment */
    SB_CMD_NO,         /* "no", "nope" + optional comment */
    SB_CMD_HELP,       /* "help" or "?" */
    SB_CMD_STATUS,     /* "status" */
    SB_CMD_TEST,       /* "test" */
    SB_CMD_IGNORE,     /* "ignore <n><unit>": ignore_ms */
    SB_CMD_IGNORE_BAD, /* "ignore ..." that is not a duration in range: error */
    SB_CMD_OTHER,      /* anything else (free text, e.g. a comment after a "no") */
    SB_CMD_PUSH,       /* "push": another Duo push after one timed out */
    SB_CMD_STOP,       /* "stop": opt out of being asked (after a second factor) */
    SB_CMD_START,      /* "start": opt back in (after a second factor) */
    SB_CMD_NOT_ME,     /* "not me" + optional comment: the alert is about someone else */
} sb_command_kind_t;

#define SB_CMD_LAST SB_CMD_NOT_ME

typedef struct {
    sb_command_kind_t kind;
    char code[7];        /* CODE: the six digits */
    const char *comment; /* YES/NO/NOT_ME: the rest of the text, trimmed (points into the input; */
    size_t comment_len;  /*   length 0 when there is none) */
    int64_t ignore_ms;   /* IGNORE */
    const char *error;   /* IGNORE_BAD: a sentence for the employee (static) */
    int code_like;       /* OTHER: one word of letters and digits (dashes allowed) with at
                          * least 4 digits, such as 12a456 or O12345: a mistyped code */
} sb_command_t;

/* Reads text[0..len) (UTF-8; at most SB_COMMAND_TEXT_MAX bytes are looked
 * at). Words are matched case-insensitively; "no" must be a word of its
 * own ("nothing" is OTHER). Always fills *out. */
void sb_command_parse(const char *text, size_t len, sb_command_t *out);

/* Replaces every digit of each run of 6 to 8 ASCII digits in s[0..len)
 * with '*' (what may be a code is never kept while one is due). Returns
 * the number of runs withheld. */
size_t sb_command_withhold_digits(char *s, size_t len);

/* A name for the kind ("code", "yes", ...), for logs and the audit. */
const char *sb_command_name(sb_command_kind_t kind);

#endif
