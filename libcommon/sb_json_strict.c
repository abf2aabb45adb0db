/* sb_json_strict: the strict JSON reader (grammar, UTF-8, duplicate keys, U+0000). */
#include "sb_json_strict.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_utf8.h"

sb_reject_t sb_json_reject(char *detail, size_t size, sb_reject_t r, const char *fmt, ...) {
    if (detail && size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, size, fmt, ap);
        va_end(ap);
    }
    return r;
}

sb_json_quote_t sb_json_quote(const char *s) {
    sb_json_quote_t q;
    size_t n = strlen(s);
    if (n <= SB_JSON_QUOTE_MAX) {
        memcpy(q.s, s, n + 1);
        return q;
    }
    n = SB_JSON_QUOTE_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    memcpy(q.s, s, n);
    memcpy(q.s + n, "...", 4);
    return q;
}

const char *sb_json_type_name(const cJSON *item) {
    if (cJSON_IsString(item))
        return "string";
    if (cJSON_IsNumber(item))
        return "number";
    if (cJSON_IsObject(item))
        return "object";
    if (cJSON_IsArray(item))
        return "array";
    if (cJSON_IsBool(item))
        return "boolean";
    return "null";
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Duplicate names among one object's members: pairwise for small objects,
 * sorted otherwise, so a 64 KiB object with thousands of keys stays
 * O(n log n). Returns the duplicated name, NULL, or `oom` on ENOMEM. */
static const char *object_dup(const cJSON *obj, const char *oom) {
    size_t n = 0;
    for (const cJSON *c = obj->child; c; c = c->next)
        n++;
    if (n <= 16) {
        for (const cJSON *a = obj->child; a; a = a->next)
            for (const cJSON *b = a->next; b; b = b->next)
                if (strcmp(a->string, b->string) == 0)
                    return a->string;
        return NULL;
    }
    const char **names = malloc(n * sizeof(*names));
    if (!names)
        return oom;
    size_t i = 0;
    for (const cJSON *c = obj->child; c; c = c->next)
        names[i++] = c->string;
    qsort(names, n, sizeof(*names), cmp_names);
    const char *dup = NULL;
    for (i = 1; i < n && !dup; i++)
        if (strcmp(names[i - 1], names[i]) == 0)
            dup = names[i];
    free(names);
    return dup;
}

/* Walks every object at every depth. The recursion is bounded by cJSON's
 * CJSON_NESTING_LIMIT (1000): deeper input never parses. */
static const char *find_dup(const cJSON *node, int depth, const char *oom) {
    if (depth > CJSON_NESTING_LIMIT)
        return oom;
    if (cJSON_IsObject(node)) {
        const char *dup = object_dup(node, oom);
        if (dup)
            return dup;
    }
    for (const cJSON *c = node->child; c; c = c->next) {
        if (cJSON_IsObject(c) || cJSON_IsArray(c)) {
            const char *dup = find_dup(c, depth + 1, oom);
            if (dup)
                return dup;
        }
    }
    return NULL;
}

/* Skips a JSON number (RFC 8259 grammar) at s[i]; returns the end or 0.
 * cJSON hands numbers to strtod, which also takes "01", "1." and "-.5". */
static size_t skip_number(const unsigned char *s, size_t i, size_t len) {
    if (i < len && s[i] == '-')
        i++;
    if (i >= len || s[i] < '0' || s[i] > '9')
        return 0;
    if (s[i] == '0' && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9')
        return 0;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i < len && s[i] == '.') {
        if (++i >= len || s[i] < '0' || s[i] > '9')
            return 0;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        if (++i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= len || s[i] < '0' || s[i] > '9')
            return 0;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    return i;
}

/* One linear pass for what cJSON lets through: a byte order mark, control
 * characters (cJSON treats every byte <= 0x20 as whitespace and takes them
 * raw inside strings), non-JSON numbers, and \u0000 escapes (cJSON would
 * silently truncate the string there). Returns -1 for invalid JSON; sets *nul_at to
 * the offset of the first \u0000 escape, or len. */
static int raw_scan(const unsigned char *s, size_t len, size_t *bad, size_t *nul_at) {
    *nul_at = len;
    /* cJSON skips a UTF-8 byte order mark; JSON.parse and PostgreSQL's
     * json type do not, so neither do we (RFC 8259 section 8.1 allows both). */
    if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
        *bad = 0;
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (c == '"') {
            for (i++; i < len && s[i] != '"'; i++) {
                if (s[i] < 0x20)
                    goto bad;
                if (s[i] == '\\' && ++i < len && s[i] == 'u' && len - i > 4 &&
                    memcmp(s + i + 1, "0000", 4) == 0 && *nul_at == len)
                    *nul_at = i - 1;
            }
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t end = skip_number(s, i, len);
            if (end == 0)
                goto bad;
            i = end - 1;
        } else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            goto bad;
        }
        continue;
    bad:
        *bad = i;
        return -1;
    }
    return 0;
}

/* Size, UTF-8, JSON, object, duplicate keys, U+0000: everything that is
 * about the bytes rather than the fields. */
sb_reject_t sb_json_strict_parse(const void *buf, size_t len, size_t max, cJSON **out, char *detail,
                                 size_t size) {
    const char *s = buf;
    size_t bad = 0, nul_at;
    const char *end = NULL;
    static const char oom[] = "";

    *out = NULL;
    if (len > max)
        return sb_json_reject(detail, size, SB_REJECT_TOO_LARGE,
                              "message is %zu bytes, the limit is %zu", len, max);
    if (!sb_utf8_valid(s, len))
        return sb_json_reject(detail, size, SB_REJECT_INVALID_UTF8, "message is not valid UTF-8");
    if (raw_scan(buf, len, &bad, &nul_at) == -1)
        return sb_json_reject(detail, size, SB_REJECT_INVALID_JSON, "not valid JSON at byte %zu",
                              bad);

    /* require_null_terminated needs a SB_F_NUL inside `len`; Kafka payloads
     * have none, so the same check is done here: nothing but whitespace
     * may follow the value. */
    cJSON *root = cJSON_ParseWithLengthOpts(s, len, &end, 0);
    while (root && end && end < s + len &&
           (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
        end++;
    if (!root || !end || end != s + len) {
        size_t at = end && end >= s && end <= s + len ? (size_t)(end - s) : 0;
        cJSON_Delete(root);
        return sb_json_reject(detail, size, SB_REJECT_INVALID_JSON, "not valid JSON at byte %zu",
                              at);
    }
    if (!cJSON_IsObject(root)) {
        sb_reject_t r =
            sb_json_reject(detail, size, SB_REJECT_NOT_OBJECT,
                           "message is a JSON %s, not an object", sb_json_type_name(root));
        cJSON_Delete(root);
        return r;
    }
    const char *dup = find_dup(root, 0, oom);
    if (dup) {
        sb_reject_t r = dup == oom
                            ? sb_json_reject(detail, size, SB_REJECT_INVALID_JSON, "out of memory")
                            : sb_json_reject(detail, size, SB_REJECT_DUPLICATE_KEY,
                                             "duplicate key '%s'", sb_json_quote(dup).s);
        cJSON_Delete(root);
        return r;
    }
    if (nul_at < len) {
        cJSON_Delete(root);
        return sb_json_reject(detail, size, SB_REJECT_INVALID_VALUE,
                              "string contains U+0000 (\\u0000 at byte %zu)", nul_at);
    }
    *out = root;
    return SB_REJECT_NONE;
}
