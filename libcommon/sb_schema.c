/* sb_schema: validators for every message type in schemas/, as declarative field tables. */
#include "sb_schema.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_time.h"
#include "sb_utf8.h"

/* The rules below are the C twin of schemas/<name>.v1.json; both are
 * checked against the labelled files in schemas/examples/ by
 * tests/unit/test_sb_schema.c and tests/integration/0001-schemas.sh.
 * Change one, change the other. */

typedef enum { T_STRING, T_NUMBER, T_INTEGER, T_OBJECT } ftype_t;
typedef enum { FMT_NONE, FMT_HEX64, FMT_RFC3339, FMT_DIGITS, FMT_DETAILS } ffmt_t;

#define REQ 1 /* the key must be present */
#define NUL 2 /* null is allowed in place of the type */

typedef struct schema schema_t;
typedef struct {
    const char *name;
    ftype_t type;
    int flags; /* REQ | NUL */
    ffmt_t fmt;
    long min, max;            /* strings: code points (max 0 = none); integers: minimum */
    const char *const *enums; /* NULL-terminated; the value must be one of these */
    const schema_t *sub;      /* T_OBJECT: fields of the nested object, or NULL */
} field_t;

struct schema {
    const char *name;
    const field_t *fields;
    size_t count;
    size_t max_bytes; /* for sb_schema_parse() */
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define STR(n, fl, lo, hi)                                                                         \
    { n, T_STRING, fl, FMT_NONE, lo, hi, NULL, NULL }
#define FMT(n, fl, f)                                                                              \
    { n, T_STRING, fl, f, 0, 0, NULL, NULL }
#define ENUM(n, fl, e)                                                                             \
    { n, T_STRING, fl, FMT_NONE, 0, 0, e, NULL }
#define INT(n, fl, lo)                                                                             \
    { n, T_INTEGER, fl, FMT_NONE, lo, 0, NULL, NULL }
#define OBJ(n, fl, s)                                                                              \
    { n, T_OBJECT, fl, FMT_NONE, 0, 0, NULL, s }

/* Limits of alert `details` (schemas/README.md). */
#define DETAILS_MAX_KEYS        50
#define DETAILS_MAX_KEY_CHARS   64
#define DETAILS_MAX_VALUE_CHARS 1000

static const char *const e_severity[] = {"low", "medium", "high", "critical", NULL};
static const char *const e_reject[] = {
    "invalid_json",  "not_object",    "missing_field", "invalid_type", "field_too_long",
    "invalid_value", "duplicate_key", "invalid_utf8",  "too_large",    NULL};
static const char *const e_encoding[] = {"base64", NULL};
static const char *const e_platform[] = {"slack", "console", NULL};
static const char *const e_kind[] = {"confirm", "deny", "text", NULL};
static const char *const e_esc_reason[] = {"denied",
                                           "second_factor_failed",
                                           "unverified_confirmation",
                                           "no_response",
                                           "unknown_employee",
                                           "opted_out",
                                           "manual",
                                           NULL};
static const char *const e_priority[] = {"low", "normal", "high", NULL};
static const char *const e_second_factor[] = {"passed", "failed", "not_enrolled", "not_attempted",
                                              NULL};
static const char *const e_outcome[] = {
    "confirmed",  "confirmed_unverified", "denied",    "no_response", "second_factor_failed",
    "suppressed", "unknown_employee",     "opted_out", NULL};
static const char *const e_answer[] = {"confirm", "deny", "none", NULL};
static const char *const c_dlq[] = {"alert-dlq.v1", NULL};
static const char *const c_prompt[] = {"prompt.v1", NULL};
static const char *const c_response[] = {"response.v1", NULL};
static const char *const c_esc_req[] = {"escalation-request.v1", NULL};
static const char *const c_esc[] = {"escalation.v1", NULL};
static const char *const c_outcome[] = {"outcome.v1", NULL};

/* Alert fields, indexed so sb_alert_parse() can fill sb_alert_t. */
enum {
    A_SOURCE,
    A_RULE,
    A_TITLE,
    A_USER,
    A_OCCURRED_AT,
    A_ID,
    A_DESCRIPTION,
    A_SEVERITY,
    A_URL,
    A_DETAILS,
    A_COUNT
};
static const field_t alert_fields[A_COUNT] = {
    [A_SOURCE] = STR("source", REQ, 1, 128),
    [A_RULE] = STR("rule", REQ, 1, 256),
    [A_TITLE] = STR("title", REQ, 1, 200),
    [A_USER] = STR("user", REQ, 1, 320),
    [A_OCCURRED_AT] = FMT("occurred_at", REQ, FMT_RFC3339),
    [A_ID] = STR("id", 0, 1, 256),
    [A_DESCRIPTION] = STR("description", 0, 0, 4000),
    [A_SEVERITY] = ENUM("severity", 0, e_severity),
    [A_URL] = STR("url", 0, 1, 2048),
    [A_DETAILS] = {"details", T_OBJECT, 0, FMT_DETAILS, 0, 0, NULL, NULL},
};

static const field_t dlq_fields[] = {
    ENUM("schema", REQ, c_dlq),
    ENUM("reason", REQ, e_reject),
    STR("detail", REQ, 1, 1024),
    STR("original", REQ, 0, 0),
    ENUM("original_encoding", 0, e_encoding),
    STR("topic", REQ, 1, 249),
    INT("partition", REQ, 0),
    INT("offset", REQ, 0),
    FMT("rejected_at", REQ, FMT_RFC3339),
};

static const field_t prompt_fields[] = {
    ENUM("schema", REQ, c_prompt),
    FMT("message_id", REQ, FMT_HEX64),
    FMT("alert_id", REQ, FMT_HEX64),
    {"employee_id", T_STRING, REQ, FMT_DIGITS, 1, 64, NULL, NULL},
    ENUM("severity", REQ, e_severity),
    STR("rule", REQ, 1, 256),
    STR("title", REQ, 1, 200),
    FMT("occurred_at", REQ, FMT_RFC3339),
    FMT("requested_at", REQ, FMT_RFC3339),
};

static const field_t response_fields[] = {
    ENUM("schema", REQ, c_response),
    STR("event_id", REQ, 1, 256),
    ENUM("platform", REQ, e_platform),
    STR("chat_user_id", REQ, 1, 64),
    FMT("alert_id", REQ | NUL, FMT_HEX64),
    ENUM("kind", REQ, e_kind),
    STR("text", REQ, 0, 4000),
    FMT("received_at", REQ, FMT_RFC3339),
};

static const field_t esc_req_fields[] = {
    ENUM("schema", REQ, c_esc_req),        FMT("message_id", REQ, FMT_HEX64),
    FMT("alert_id", REQ, FMT_HEX64),       STR("employee_id", REQ | NUL, 1, 64),
    ENUM("reason", REQ, e_esc_reason),     ENUM("priority", REQ, e_priority),
    STR("comment", REQ | NUL, 0, 4000),    STR("requested_by", REQ, 1, 64),
    FMT("requested_at", REQ, FMT_RFC3339),
};

static const field_t employee_fields[] = {
    STR("id", REQ, 1, 64),
    STR("username", REQ, 1, 256),
    STR("email", REQ | NUL, 1, 320),
};
static const schema_t employee_schema = {"employee", employee_fields, COUNT(employee_fields), 0};

static const field_t esc_fields[] = {
    ENUM("schema", REQ, c_esc),
    FMT("message_id", REQ, FMT_HEX64),
    FMT("alert_id", REQ, FMT_HEX64),
    OBJ("alert", REQ, NULL),
    OBJ("employee", REQ | NUL, &employee_schema),
    ENUM("reason", REQ, e_esc_reason),
    STR("comment", REQ | NUL, 0, 4000),
    ENUM("second_factor", REQ, e_second_factor),
    ENUM("severity", REQ, e_severity),
    FMT("raised_at", REQ, FMT_RFC3339),
    FMT("prompted_at", REQ | NUL, FMT_RFC3339),
    FMT("answered_at", REQ | NUL, FMT_RFC3339),
};

static const field_t outcome_fields[] = {
    ENUM("schema", REQ, c_outcome),
    FMT("message_id", REQ, FMT_HEX64),
    FMT("alert_id", REQ, FMT_HEX64),
    ENUM("outcome", REQ, e_outcome),
    STR("employee_id", REQ | NUL, 1, 64),
    ENUM("answer", REQ, e_answer),
    STR("comment", REQ | NUL, 0, 4000),
    ENUM("second_factor", REQ, e_second_factor),
    STR("rule", REQ, 1, 256),
    ENUM("severity", REQ, e_severity),
    FMT("decided_at", REQ, FMT_RFC3339),
    FMT("prompted_at", 0, FMT_RFC3339),
    FMT("answered_at", 0, FMT_RFC3339),
};

/* A dead letter carries the rejected input (up to 64 KiB, base64 when it
 * was not UTF-8) plus the envelope, so it may exceed the 64 KiB limit. */
static const schema_t schemas[] = {
    {"alert", alert_fields, COUNT(alert_fields), SB_ALERT_MAX_BYTES},
    {"alert-dlq", dlq_fields, COUNT(dlq_fields), 4 * SB_ALERT_MAX_BYTES},
    {"prompt", prompt_fields, COUNT(prompt_fields), SB_ALERT_MAX_BYTES},
    {"response", response_fields, COUNT(response_fields), SB_ALERT_MAX_BYTES},
    {"escalation-request", esc_req_fields, COUNT(esc_req_fields), SB_ALERT_MAX_BYTES},
    {"escalation", esc_fields, COUNT(esc_fields), 2 * SB_ALERT_MAX_BYTES},
    {"outcome", outcome_fields, COUNT(outcome_fields), SB_ALERT_MAX_BYTES},
};

const char *sb_reject_code(sb_reject_t r) {
    if (r > SB_REJECT_NONE && r <= SB_REJECT_TOO_LARGE)
        return e_reject[r - 1];
    return "none";
}

/* Writes the detail and returns the reason, so callers can `return fail(...)`. */
static sb_reject_t fail(char *detail, size_t size, sb_reject_t r, const char *fmt, ...) {
    if (detail && size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, size, fmt, ap);
        va_end(ap);
    }
    return r;
}

/* User data in a detail is capped at 64 bytes, cut on a UTF-8 boundary so
 * the detail stays valid UTF-8 for the dead letter. */
#define QUOTE_MAX 64
typedef struct {
    char s[QUOTE_MAX + 4];
} quote_t;

static quote_t quote(const char *s) {
    quote_t q;
    size_t n = strlen(s);
    if (n <= QUOTE_MAX) {
        memcpy(q.s, s, n + 1);
        return q;
    }
    n = QUOTE_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    memcpy(q.s, s, n);
    memcpy(q.s + n, "...", 4);
    return q;
}

static const char *type_name(const cJSON *item) {
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

static int is_integer(const cJSON *item) {
    return isfinite(item->valuedouble) && item->valuedouble == floor(item->valuedouble);
}

static int all_chars(const char *s, const char *set) {
    return s[strspn(s, set)] == '\0';
}

/* The checks run in stages over all fields, so the reason reported for a
 * message with several faults is deterministic and follows the order in
 * sb_schema.h: missing fields, then types, then lengths, then values. */
enum { STAGE_MISSING, STAGE_TYPE, STAGE_LENGTH, STAGE_VALUE, STAGE_COUNT };

static sb_reject_t check_object(const schema_t *s, const cJSON *obj, const char *prefix,
                                const cJSON **found, char *detail, size_t size);

static sb_reject_t check_details(const char *name, const cJSON *obj, int stage, char *detail,
                                 size_t size) {
    int keys = 0;
    for (const cJSON *v = obj->child; v; v = v->next, keys++) {
        if (stage == STAGE_TYPE && !cJSON_IsString(v) && !cJSON_IsNumber(v))
            return fail(detail, size, SB_REJECT_INVALID_TYPE,
                        "field '%s.%s' must be a string or a number, not %s", name,
                        quote(v->string).s, type_name(v));
        if (stage == STAGE_LENGTH) {
            size_t kn = sb_utf8_length(v->string);
            if (kn > DETAILS_MAX_KEY_CHARS)
                return fail(detail, size, SB_REJECT_FIELD_TOO_LONG,
                            "field '%s' has a key of %zu characters ('%s'), the limit is %d", name,
                            kn, quote(v->string).s, DETAILS_MAX_KEY_CHARS);
            size_t vn = cJSON_IsString(v) ? sb_utf8_length(v->valuestring) : 0;
            if (vn > DETAILS_MAX_VALUE_CHARS)
                return fail(detail, size, SB_REJECT_FIELD_TOO_LONG,
                            "field '%s.%s' is %zu characters, the limit is %d", name,
                            quote(v->string).s, vn, DETAILS_MAX_VALUE_CHARS);
        }
        if (stage == STAGE_VALUE && cJSON_IsNumber(v) && !isfinite(v->valuedouble))
            return fail(detail, size, SB_REJECT_INVALID_VALUE,
                        "field '%s.%s' is a number out of range", name, quote(v->string).s);
    }
    if (stage == STAGE_LENGTH && keys > DETAILS_MAX_KEYS)
        return fail(detail, size, SB_REJECT_FIELD_TOO_LONG,
                    "field '%s' has %d keys, the limit is %d", name, keys, DETAILS_MAX_KEYS);
    return SB_REJECT_NONE;
}

static sb_reject_t check_string_value(const field_t *f, const char *name, const char *v,
                                      char *detail, size_t size) {
    char utc[32];
    if (f->enums) {
        for (const char *const *e = f->enums; *e; e++) {
            if (strcmp(v, *e) == 0)
                return SB_REJECT_NONE;
        }
        char list[160] = "";
        for (const char *const *e = f->enums; *e; e++)
            snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
                     e == f->enums ? "" : ", ", *e);
        return fail(detail, size, SB_REJECT_INVALID_VALUE,
                    "field '%s' is '%s', expected one of: %s", name, quote(v).s, list);
    }
    if (f->min > 0 && *v == '\0')
        return fail(detail, size, SB_REJECT_INVALID_VALUE, "field '%s' must not be empty", name);
    if ((f->fmt == FMT_RFC3339 && sb_time_normalize(v, utc, sizeof(utc)) == -1) ||
        (f->fmt == FMT_HEX64 && (strlen(v) != 64 || !all_chars(v, "0123456789abcdef"))) ||
        (f->fmt == FMT_DIGITS && !all_chars(v, "0123456789")))
        return fail(detail, size, SB_REJECT_INVALID_VALUE, "field '%s' is not %s: '%s'", name,
                    f->fmt == FMT_RFC3339 ? "an RFC 3339 date-time"
                    : f->fmt == FMT_HEX64 ? "64 lowercase hex characters"
                                          : "a string of digits",
                    quote(v).s);
    return SB_REJECT_NONE;
}

/* prefix + field into name, truncated to fit. Runs for every field at every
 * stage, so no printf (it was the validator's hottest function). */
static void join_name(char *name, size_t size, const char *prefix, const char *field) {
    size_t pl = strlen(prefix), fl = strlen(field);
    if (pl > size - 1)
        pl = size - 1;
    if (fl > size - 1 - pl)
        fl = size - 1 - pl;
    memcpy(name, prefix, pl);
    memcpy(name + pl, field, fl);
    name[pl + fl] = '\0';
}

/* One field, one stage. `item` is NULL when the key is absent. */
static sb_reject_t check_field(const field_t *f, const char *prefix, const cJSON *item, int stage,
                               char *detail, size_t size) {
    static const char *const want[] = {"a string", "a number", "an integer", "an object"};
    char name[160];
    join_name(name, sizeof(name), prefix, f->name);

    if (stage == STAGE_MISSING)
        return item || !(f->flags & REQ) ? SB_REJECT_NONE
                                         : fail(detail, size, SB_REJECT_MISSING_FIELD,
                                                "missing required field '%s'", name);
    if (!item || (cJSON_IsNull(item) && (f->flags & NUL)))
        return SB_REJECT_NONE;
    if (stage == STAGE_TYPE) {
        int ok = f->type == T_STRING   ? cJSON_IsString(item)
                 : f->type == T_OBJECT ? cJSON_IsObject(item)
                 : f->type == T_NUMBER ? cJSON_IsNumber(item)
                                       : cJSON_IsNumber(item) && is_integer(item);
        if (!ok)
            return fail(detail, size, SB_REJECT_INVALID_TYPE, "field '%s' must be %s, not %s", name,
                        want[f->type],
                        f->type == T_INTEGER && cJSON_IsNumber(item) ? "a fractional number"
                                                                     : type_name(item));
        if (f->type == T_OBJECT && f->sub) {
            char sub_prefix[sizeof(name) + 1];
            snprintf(sub_prefix, sizeof(sub_prefix), "%s.", name);
            return check_object(f->sub, item, sub_prefix, NULL, detail, size);
        }
    }
    if (f->fmt == FMT_DETAILS)
        return check_details(name, item, stage, detail, size);
    if (f->type == T_STRING && stage == STAGE_LENGTH && f->max > 0) {
        size_t n = sb_utf8_length(item->valuestring);
        if (n > (size_t)f->max)
            return fail(detail, size, SB_REJECT_FIELD_TOO_LONG,
                        "field '%s' is %zu characters, the limit is %ld", name, n, f->max);
    }
    if (f->type == T_STRING && stage == STAGE_VALUE)
        return check_string_value(f, name, item->valuestring, detail, size);
    if (f->type == T_INTEGER && stage == STAGE_VALUE && item->valuedouble < (double)f->min)
        return fail(detail, size, SB_REJECT_INVALID_VALUE, "field '%s' must be at least %ld", name,
                    f->min);
    return SB_REJECT_NONE;
}

/* found (may be NULL) receives each field's item, in table order. */
static sb_reject_t check_object(const schema_t *s, const cJSON *obj, const char *prefix,
                                const cJSON **found, char *detail, size_t size) {
    const cJSON *items[16];
    if (s->count > COUNT(items))
        return fail(detail, size, SB_REJECT_INVALID_JSON, "schema '%s' has too many fields",
                    s->name);
    for (size_t i = 0; i < s->count; i++)
        items[i] = cJSON_GetObjectItemCaseSensitive(obj, s->fields[i].name);
    for (int stage = 0; stage < STAGE_COUNT; stage++) {
        for (size_t i = 0; i < s->count; i++) {
            sb_reject_t r = check_field(&s->fields[i], prefix, items[i], stage, detail, size);
            if (r != SB_REJECT_NONE)
                return r;
        }
    }
    if (found)
        memcpy(found, items, s->count * sizeof(items[0]));
    return SB_REJECT_NONE;
}

static const schema_t *schema_find(const char *name) {
    for (size_t i = 0; name && i < COUNT(schemas); i++) {
        if (strcmp(schemas[i].name, name) == 0)
            return &schemas[i];
    }
    return NULL;
}

/* ---- raw input checks ------------------------------------------------- */

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
static sb_reject_t raw_parse(const void *buf, size_t len, size_t max, cJSON **out, char *detail,
                             size_t size) {
    const char *s = buf;
    size_t bad = 0, nul_at;
    const char *end = NULL;
    static const char oom[] = "";

    *out = NULL;
    if (len > max)
        return fail(detail, size, SB_REJECT_TOO_LARGE, "message is %zu bytes, the limit is %zu",
                    len, max);
    if (!sb_utf8_valid(s, len))
        return fail(detail, size, SB_REJECT_INVALID_UTF8, "message is not valid UTF-8");
    if (raw_scan(buf, len, &bad, &nul_at) == -1)
        return fail(detail, size, SB_REJECT_INVALID_JSON, "not valid JSON at byte %zu", bad);

    /* require_null_terminated needs a NUL inside `len`; Kafka payloads
     * have none, so the same check is done here: nothing but whitespace
     * may follow the value. */
    cJSON *root = cJSON_ParseWithLengthOpts(s, len, &end, 0);
    while (root && end && end < s + len &&
           (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
        end++;
    if (!root || !end || end != s + len) {
        size_t at = end && end >= s && end <= s + len ? (size_t)(end - s) : 0;
        cJSON_Delete(root);
        return fail(detail, size, SB_REJECT_INVALID_JSON, "not valid JSON at byte %zu", at);
    }
    if (!cJSON_IsObject(root)) {
        sb_reject_t r = fail(detail, size, SB_REJECT_NOT_OBJECT,
                             "message is a JSON %s, not an object", type_name(root));
        cJSON_Delete(root);
        return r;
    }
    const char *dup = find_dup(root, 0, oom);
    if (dup) {
        sb_reject_t r = dup == oom ? fail(detail, size, SB_REJECT_INVALID_JSON, "out of memory")
                                   : fail(detail, size, SB_REJECT_DUPLICATE_KEY,
                                          "duplicate key '%s'", quote(dup).s);
        cJSON_Delete(root);
        return r;
    }
    if (nul_at < len) {
        cJSON_Delete(root);
        return fail(detail, size, SB_REJECT_INVALID_VALUE,
                    "string contains U+0000 (\\u0000 at byte %zu)", nul_at);
    }
    *out = root;
    return SB_REJECT_NONE;
}

/* ---- public ----------------------------------------------------------- */

sb_reject_t sb_alert_parse(const void *buf, size_t len, sb_alert_t *alert, char *detail,
                           size_t detail_size) {
    const cJSON *f[A_COUNT];
    cJSON *root;

    memset(alert, 0, sizeof(*alert));
    if (detail && detail_size)
        detail[0] = '\0';
    sb_reject_t r = raw_parse(buf, len, SB_ALERT_MAX_BYTES, &root, detail, detail_size);
    if (r != SB_REJECT_NONE)
        return r;
    r = check_object(&schemas[0], root, "", f, detail, detail_size);
    if (r != SB_REJECT_NONE) {
        cJSON_Delete(root);
        return r;
    }
    alert->root = root; /* owned by the alert now */
#define S(i) (f[i] ? f[i]->valuestring : NULL)
    alert->source = S(A_SOURCE);
    alert->rule = S(A_RULE);
    alert->title = S(A_TITLE);
    alert->user = S(A_USER);
    alert->occurred_at = S(A_OCCURRED_AT);
    alert->id = S(A_ID);
    alert->description = S(A_DESCRIPTION);
    alert->severity = f[A_SEVERITY] ? S(A_SEVERITY) : "medium";
    alert->url = S(A_URL);
    alert->details = f[A_DETAILS];
#undef S
    /* Cannot fail: check_object() normalised the same string already. */
    sb_time_normalize(alert->occurred_at, alert->occurred_at_utc, sizeof(alert->occurred_at_utc));
    return SB_REJECT_NONE;
}

void sb_alert_clear(sb_alert_t *alert) {
    if (!alert)
        return;
    cJSON_Delete(alert->root);
    memset(alert, 0, sizeof(*alert));
}

int sb_schema_validate(const char *name, const cJSON *msg, char *errstr, size_t errstr_size) {
    const schema_t *s = schema_find(name);
    if (!s) {
        fail(errstr, errstr_size, SB_REJECT_INVALID_VALUE, "unknown schema '%s'",
             name ? name : "(null)");
        return -1;
    }
    if (!cJSON_IsObject(msg)) {
        fail(errstr, errstr_size, SB_REJECT_NOT_OBJECT, "%s: message is not a JSON object",
             s->name);
        return -1;
    }
    return check_object(s, msg, "", NULL, errstr, errstr_size) == SB_REJECT_NONE ? 0 : -1;
}

int sb_schema_parse(const char *name, const void *buf, size_t len, cJSON **out, char *errstr,
                    size_t errstr_size) {
    const schema_t *s = schema_find(name);
    cJSON *root;

    *out = NULL;
    if (!s) {
        fail(errstr, errstr_size, SB_REJECT_INVALID_VALUE, "unknown schema '%s'",
             name ? name : "(null)");
        return -1;
    }
    sb_reject_t r = raw_parse(buf, len, s->max_bytes, &root, errstr, errstr_size);
    if (r == SB_REJECT_NONE)
        r = check_object(s, root, "", NULL, errstr, errstr_size);
    if (r != SB_REJECT_NONE) {
        cJSON_Delete(root);
        return -1;
    }
    *out = root; /* the caller owns it */
    return 0;
}
