/* sb_json_strict: JSON as the contract reads it. */

/* JSON as the contract reads it: size, UTF-8, RFC 8259
 * grammar, one object, no duplicate keys at any depth, no U+0000. Plus the
 * helpers sb_schema's rejection details are written with. */
#ifndef SB_JSON_STRICT_H
#define SB_JSON_STRICT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "sb_schema.h"

/* Parses buf (len bytes, at most max) into *out (owned by the caller) when
 * it passes every check about the bytes rather than the fields; else
 * returns the reason with a detail (*out NULL). */
sb_reject_t sb_json_strict_parse(const void *buf, size_t len, size_t max, cJSON **out, char *detail,
                                 size_t size);

/* Writes the detail (printf) and returns r, so callers can `return sb_json_reject(...)`. */
sb_reject_t sb_json_reject(char *detail, size_t size, sb_reject_t r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* User data in a detail is capped at 64 bytes, cut on a UTF-8 boundary so
 * the detail stays valid UTF-8 for the dead letter. */
#define SB_JSON_QUOTE_MAX 64
typedef struct {
    char s[SB_JSON_QUOTE_MAX + 4];
} sb_json_quote_t;
sb_json_quote_t sb_json_quote(const char *s);

/* "string", "number", "object", "array", "boolean" or "null". */
const char *sb_json_type_name(const cJSON *item);

#endif
