/* sb_schema: the checking engine that validates messages against sb_contract's field tables. */
#include "sb_schema.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sb_contract.h"
#include "sb_json_strict.h"
#include "sb_severity.h"
#include "sb_time.h"
#include "sb_utf8.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *sb_reject_code(sb_reject_t r) {
    if (r > SB_REJECT_NONE && r <= SB_REJECT_TOO_LARGE)
        return sb_contract_reject_codes[r - 1];
    return "none";
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

static sb_reject_t check_object(const sb_contract_t *s, const cJSON *obj, const char *prefix,
                                const cJSON **found, char *detail, size_t size);

static sb_reject_t check_details(const char *name, const cJSON *obj, int stage, char *detail,
                                 size_t size) {
    int keys = 0;
    for (const cJSON *v = obj->child; v; v = v->next, keys++) {
        if (stage == STAGE_TYPE && !cJSON_IsString(v) && !cJSON_IsNumber(v))
            return sb_json_reject(detail, size, SB_REJECT_INVALID_TYPE,
                                  "field '%s.%s' must be a string or a number, not %s", name,
                                  sb_json_quote(v->string).s, sb_json_type_name(v));
        if (stage == STAGE_LENGTH) {
            size_t kn = sb_utf8_length(v->string);
            if (kn > SB_DETAILS_MAX_KEY_CHARS)
                return sb_json_reject(
                    detail, size, SB_REJECT_FIELD_TOO_LONG,
                    "field '%s' has a key of %zu characters ('%s'), the limit is %d", name, kn,
                    sb_json_quote(v->string).s, SB_DETAILS_MAX_KEY_CHARS);
            size_t vn = cJSON_IsString(v) ? sb_utf8_length(v->valuestring) : 0;
            if (vn > SB_DETAILS_MAX_VALUE_CHARS)
                return sb_json_reject(detail, size, SB_REJECT_FIELD_TOO_LONG,
                                      "field '%s.%s' is %zu characters, the limit is %d", name,
                                      sb_json_quote(v->string).s, vn, SB_DETAILS_MAX_VALUE_CHARS);
        }
        if (stage == STAGE_VALUE && cJSON_IsNumber(v) && !isfinite(v->valuedouble))
            return sb_json_reject(detail, size, SB_REJECT_INVALID_VALUE,
                                  "field '%s.%s' is a number out of range", name,
                                  sb_json_quote(v->string).s);
    }
    if (stage == STAGE_LENGTH && keys > SB_DETAILS_MAX_KEYS)
        return sb_json_reject(detail, size, SB_REJECT_FIELD_TOO_LONG,
                              "field '%s' has %d keys, the limit is %d", name, keys,
                              SB_DETAILS_MAX_KEYS);
    return SB_REJECT_NONE;
}

static sb_reject_t check_string_value(const sb_field_t *f, const char *name, const char *v,
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
        return sb_json_reject(detail, size, SB_REJECT_INVALID_VALUE,
                              "field '%s' is '%s', expected one of: %s", name, sb_json_quote(v).s,
                              list);
    }
    if (f->min > 0 && *v == '\0')
        return sb_json_reject(detail, size, SB_REJECT_INVALID_VALUE, "field '%s' must not be empty",
                              name);
    if ((f->fmt == SB_FMT_RFC3339 && sb_time_normalize(v, utc, sizeof(utc)) == -1) ||
        (f->fmt == SB_FMT_HEX64 && (strlen(v) != 64 || !all_chars(v, "0123456789abcdef"))) ||
        (f->fmt == SB_FMT_DIGITS && !all_chars(v, "0123456789")))
        return sb_json_reject(detail, size, SB_REJECT_INVALID_VALUE, "field '%s' is not %s: '%s'",
                              name,
                              f->fmt == SB_FMT_RFC3339 ? "an RFC 3339 date-time"
                              : f->fmt == SB_FMT_HEX64 ? "64 lowercase hex characters"
                                                       : "a string of digits",
                              sb_json_quote(v).s);
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
static sb_reject_t check_field(const sb_field_t *f, const char *prefix, const cJSON *item,
                               int stage, char *detail, size_t size) {
    static const char *const want[] = {"a string", "a number", "an integer", "an object"};
    char name[160];
    join_name(name, sizeof(name), prefix, f->name);

    if (stage == STAGE_MISSING)
        return item || !(f->flags & SB_F_REQ)
                   ? SB_REJECT_NONE
                   : sb_json_reject(detail, size, SB_REJECT_MISSING_FIELD,
                                    "missing required field '%s'", name);
    if (!item || (cJSON_IsNull(item) && (f->flags & SB_F_NUL)))
        return SB_REJECT_NONE;
    if (stage == STAGE_TYPE) {
        int ok = f->type == SB_T_STRING   ? cJSON_IsString(item)
                 : f->type == SB_T_OBJECT ? cJSON_IsObject(item)
                 : f->type == SB_T_NUMBER ? cJSON_IsNumber(item)
                                          : cJSON_IsNumber(item) && is_integer(item);
        if (!ok)
            return sb_json_reject(detail, size, SB_REJECT_INVALID_TYPE,
                                  "field '%s' must be %s, not %s", name, want[f->type],
                                  f->type == SB_T_INTEGER && cJSON_IsNumber(item)
                                      ? "a fractional number"
                                      : sb_json_type_name(item));
        if (f->type == SB_T_OBJECT && f->sub) {
            char sub_prefix[sizeof(name) + 1];
            snprintf(sub_prefix, sizeof(sub_prefix), "%s.", name);
            return check_object(f->sub, item, sub_prefix, NULL, detail, size);
        }
    }
    if (f->fmt == SB_FMT_DETAILS)
        return check_details(name, item, stage, detail, size);
    if (f->type == SB_T_STRING && stage == STAGE_LENGTH && f->max > 0) {
        size_t n = sb_utf8_length(item->valuestring);
        if (n > (size_t)f->max)
            return sb_json_reject(detail, size, SB_REJECT_FIELD_TOO_LONG,
                                  "field '%s' is %zu characters, the limit is %ld", name, n,
                                  f->max);
    }
    if (f->type == SB_T_STRING && stage == STAGE_VALUE)
        return check_string_value(f, name, item->valuestring, detail, size);
    if (f->type == SB_T_INTEGER && stage == STAGE_VALUE && item->valuedouble < (double)f->min)
        return sb_json_reject(detail, size, SB_REJECT_INVALID_VALUE,
                              "field '%s' must be at least %ld", name, f->min);
    return SB_REJECT_NONE;
}

/* found (may be NULL) receives each field's item, in table order. */
static sb_reject_t check_object(const sb_contract_t *s, const cJSON *obj, const char *prefix,
                                const cJSON **found, char *detail, size_t size) {
    const cJSON *items[16];
    if (s->count > COUNT(items))
        return sb_json_reject(detail, size, SB_REJECT_INVALID_JSON,
                              "schema '%s' has too many fields", s->name);
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

sb_reject_t sb_alert_parse(const void *buf, size_t len, sb_alert_t *alert, char *detail,
                           size_t detail_size) {
    const cJSON *f[SB_A_COUNT];
    cJSON *root;

    memset(alert, 0, sizeof(*alert));
    if (detail && detail_size)
        detail[0] = '\0';
    sb_reject_t r = sb_json_strict_parse(buf, len, SB_ALERT_MAX_BYTES, &root, detail, detail_size);
    if (r != SB_REJECT_NONE)
        return r;
    r = check_object(sb_contract_find("alert"), root, "", f, detail, detail_size);
    if (r != SB_REJECT_NONE) {
        cJSON_Delete(root);
        return r;
    }
    alert->root = root; /* owned by the alert now */
#define S(i) (f[i] ? f[i]->valuestring : NULL)
    alert->source = S(SB_A_SOURCE);
    alert->rule = S(SB_A_RULE);
    alert->title = S(SB_A_TITLE);
    alert->user = S(SB_A_USER);
    alert->occurred_at = S(SB_A_OCCURRED_AT);
    alert->id = S(SB_A_ID);
    alert->description = S(SB_A_DESCRIPTION);
    alert->severity = f[SB_A_SEVERITY] ? S(SB_A_SEVERITY) : sb_severity_name(SB_SEVERITY_MEDIUM);
    alert->url = S(SB_A_URL);
    alert->details = f[SB_A_DETAILS];
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
    const sb_contract_t *s = sb_contract_find(name);
    if (!s) {
        sb_json_reject(errstr, errstr_size, SB_REJECT_INVALID_VALUE, "unknown schema '%s'",
                       name ? name : "(null)");
        return -1;
    }
    if (!cJSON_IsObject(msg)) {
        sb_json_reject(errstr, errstr_size, SB_REJECT_NOT_OBJECT,
                       "%s: message is not a JSON object", s->name);
        return -1;
    }
    return check_object(s, msg, "", NULL, errstr, errstr_size) == SB_REJECT_NONE ? 0 : -1;
}

int sb_schema_parse(const char *name, const void *buf, size_t len, cJSON **out, char *errstr,
                    size_t errstr_size) {
    const sb_contract_t *s = sb_contract_find(name);
    cJSON *root;

    *out = NULL;
    if (!s) {
        sb_json_reject(errstr, errstr_size, SB_REJECT_INVALID_VALUE, "unknown schema '%s'",
                       name ? name : "(null)");
        return -1;
    }
    sb_reject_t r = sb_json_strict_parse(buf, len, s->max_bytes, &root, errstr, errstr_size);
    if (r == SB_REJECT_NONE)
        r = check_object(s, root, "", NULL, errstr, errstr_size);
    if (r != SB_REJECT_NONE) {
        cJSON_Delete(root);
        return -1;
    }
    *out = root; /* the caller owns it */
    return 0;
}
