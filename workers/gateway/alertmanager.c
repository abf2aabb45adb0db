/* alertmanager: maps Alertmanager's webhook body to validated securitybot alerts and dead letters.
 */
#include "alertmanager.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sb_contract.h"
#include "sb_id.h"
#include "sb_json_strict.h"
#include "sb_severity.h"
#include "sb_time.h"

/* What mapping one item came to. */
typedef enum { ITEM_ACCEPTED, ITEM_DEAD, ITEM_RESOLVED, ITEM_OOM } item_verdict_t;

/* The fields of one Alertmanager alert the mapping reads; strings point
 * into the parsed body. */
typedef struct {
    const cJSON *labels;
    const char *alertname, *user, *severity;
    const char *summary, *description;
    const char *starts_at, *fingerprint, *generator_url;
    char occurred_at[32];
} am_fields_t;

static sb_reject_t reject(char *detail, size_t size, sb_reject_t r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static sb_reject_t reject(char *detail, size_t size, sb_reject_t r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, size, fmt, ap);
    va_end(ap);
    return r;
}

/* Alertmanager's severity label to securitybot's name (docs/alertmanager.md). */
static const char *map_severity(const char *label) {
    static const struct {
        const char *label;
        int rank;
    } map[] = {
        {"critical", SB_SEVERITY_CRITICAL}, {"high", SB_SEVERITY_HIGH}, {"error", SB_SEVERITY_HIGH},
        {"warning", SB_SEVERITY_MEDIUM},    {"info", SB_SEVERITY_LOW},  {"none", SB_SEVERITY_LOW},
    };
    for (size_t i = 0; label && i < sizeof(map) / sizeof(map[0]); i++)
        if (!strcmp(label, map[i].label))
            return sb_severity_name(map[i].rank);
    return sb_severity_name(SB_SEVERITY_MEDIUM);
}

/* An optional string member: *out is NULL when absent (or JSON null, as Go
 * may write for an empty value); any other type is refused. */
static sb_reject_t opt_string(const cJSON *obj, const char *where, const char *name,
                              const char **out, char *detail, size_t size) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return SB_REJECT_NONE;
    if (!cJSON_IsString(v))
        return reject(detail, size, SB_REJECT_INVALID_TYPE, "%s'%s' must be a string, not %s",
                      where, sb_json_quote(name).s, sb_json_type_name(v));
    *out = v->valuestring;
    return SB_REJECT_NONE;
}

/* A required string member. */
static sb_reject_t req_string(const cJSON *obj, const char *where, const char *name,
                              const char **out, char *detail, size_t size) {
    sb_reject_t r = opt_string(obj, where, name, out, detail, size);
    if (r == SB_REJECT_NONE && !*out)
        r = reject(detail, size, SB_REJECT_MISSING_FIELD, "%s'%s' is missing", where,
                   sb_json_quote(name).s);
    return r;
}

/* labels: an object of strings (Prometheus labels are strings; anything
 * else is not an alert Alertmanager sent), alertname, the user label, and
 * at most SB_DETAILS_MAX_KEYS others (checked here, before the details
 * object is built, so a label set of thousands costs one count). */
static sb_reject_t read_labels(const cJSON *item, const char *user_label, am_fields_t *f,
                               char *detail, size_t size) {
    int others = 0;
    f->labels = cJSON_GetObjectItemCaseSensitive(item, "labels");
    if (!f->labels)
        return reject(detail, size, SB_REJECT_MISSING_FIELD, "'labels' is missing");
    if (!cJSON_IsObject(f->labels))
        return reject(detail, size, SB_REJECT_INVALID_TYPE, "'labels' must be an object, not %s",
                      sb_json_type_name(f->labels));
    for (const cJSON *l = f->labels->child; l; l = l->next) {
        if (!cJSON_IsString(l))
            return reject(detail, size, SB_REJECT_INVALID_TYPE,
                          "label '%s' must be a string, not %s", sb_json_quote(l->string).s,
                          sb_json_type_name(l));
        others += strcmp(l->string, "alertname") && strcmp(l->string, user_label);
    }
    sb_reject_t r = req_string(f->labels, "label ", "alertname", &f->alertname, detail, size);
    if (r == SB_REJECT_NONE)
        r = req_string(f->labels, "label ", user_label, &f->user, detail, size);
    if (r == SB_REJECT_NONE)
        r = opt_string(f->labels, "label ", "severity", &f->severity, detail, size);
    if (r == SB_REJECT_NONE && others > SB_DETAILS_MAX_KEYS)
        r = reject(detail, size, SB_REJECT_FIELD_TOO_LONG,
                   "%d labels would go to 'details', the limit is %d", others, SB_DETAILS_MAX_KEYS);
    return r;
}

/* Everything but the labels: annotations, startsAt, fingerprint, generatorURL. */
static sb_reject_t read_rest(const cJSON *item, am_fields_t *f, char *detail, size_t size) {
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(item, "annotations");
    sb_reject_t r = SB_REJECT_NONE;

    if (ann && !cJSON_IsNull(ann) && !cJSON_IsObject(ann))
        return reject(detail, size, SB_REJECT_INVALID_TYPE,
                      "'annotations' must be an object, not %s", sb_json_type_name(ann));
    if (cJSON_IsObject(ann)) {
        r = opt_string(ann, "annotation ", "summary", &f->summary, detail, size);
        if (r == SB_REJECT_NONE)
            r = opt_string(ann, "annotation ", "description", &f->description, detail, size);
    }
    if (r == SB_REJECT_NONE)
        r = req_string(item, "", "startsAt", &f->starts_at, detail, size);
    if (r == SB_REJECT_NONE)
        r = req_string(item, "", "fingerprint", &f->fingerprint, detail, size);
    if (r == SB_REJECT_NONE)
        r = opt_string(item, "", "generatorURL", &f->generator_url, detail, size);
    if (r != SB_REJECT_NONE)
        return r;
    if (sb_time_normalize(f->starts_at, f->occurred_at, sizeof(f->occurred_at)) == -1)
        return reject(detail, size, SB_REJECT_INVALID_VALUE,
                      "'startsAt' is not an RFC 3339 date-time: '%s'",
                      sb_json_quote(f->starts_at).s);
    if (!*f->fingerprint)
        return reject(detail, size, SB_REJECT_INVALID_VALUE, "'fingerprint' is empty");
    return SB_REJECT_NONE;
}

/* The securitybot alert for f, as a cJSON object (owned), or NULL when
 * memory ran out. The validator judges it afterwards. */
static cJSON *build_alert(const am_fields_t *f, const char *source, const char *user_label) {
    cJSON *o = cJSON_CreateObject(), *details = cJSON_CreateObject();
    size_t id_len = strlen(f->fingerprint) + 1 + strlen(f->occurred_at) + 1;
    char *id = malloc(id_len);
    int ok = o && details && id;

    if (ok) {
        snprintf(id, id_len, "%s@%s", f->fingerprint, f->occurred_at);
        ok = cJSON_AddStringToObject(o, "source", source) &&
             cJSON_AddStringToObject(o, "rule", f->alertname) &&
             cJSON_AddStringToObject(o, "title",
                                     f->summary && *f->summary ? f->summary : f->alertname) &&
             cJSON_AddStringToObject(o, "user", f->user) &&
             cJSON_AddStringToObject(o, "occurred_at", f->occurred_at) &&
             cJSON_AddStringToObject(o, "id", id) &&
             (!f->description || !*f->description ||
              cJSON_AddStringToObject(o, "description", f->description)) &&
             cJSON_AddStringToObject(o, "severity", map_severity(f->severity)) &&
             (!f->generator_url || !*f->generator_url ||
              cJSON_AddStringToObject(o, "url", f->generator_url));
    }
    for (const cJSON *l = f->labels->child; ok && l; l = l->next)
        if (strcmp(l->string, "alertname") && strcmp(l->string, user_label))
            ok = cJSON_AddStringToObject(details, l->string, l->valuestring) != NULL;
    if (ok && details->child) {
        ok = cJSON_AddItemToObject(o, "details", details);
        details = NULL; /* o owns it now (cJSON_AddItemToObject cannot fail here) */
    }
    cJSON_Delete(details);
    free(id);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Serialises the mapped alert and runs sb-ingest's validator over the
 * bytes, then computes the id sb-ingest will. */
static item_verdict_t validate_mapped(cJSON *mapped, sb_am_alert_t *a, sb_reject_t *r, char *detail,
                                      size_t size) {
    char why[200]; /* leaves room for the prefix in sb_am_dead_t.detail */
    a->json = cJSON_PrintUnformatted(mapped);
    if (!a->json)
        return ITEM_OOM;
    a->json_len = strlen(a->json);
    *r = sb_alert_parse(a->json, a->json_len, &a->alert, why, sizeof(why));
    if (*r != SB_REJECT_NONE) {
        /* the validator names securitybot's fields: say so */
        snprintf(detail, size, "the mapped alert: %s", why);
        free(a->json);
        a->json = NULL;
        return ITEM_DEAD;
    }
    if (sb_id_alert(a->alert.source, a->alert.id, a->alert.rule, a->alert.user,
                    a->alert.occurred_at_utc, a->alert.title, a->alert_id) == -1) {
        sb_alert_clear(&a->alert);
        free(a->json);
        a->json = NULL;
        return ITEM_OOM; /* only libcrypto failing, which is out of memory */
    }
    return ITEM_ACCEPTED;
}

/* One item of alerts[]: accepted into *a, dead (reason in *r and detail),
 * or resolved. */
static item_verdict_t map_item(const cJSON *item, const char *source, const char *user_label,
                               sb_am_alert_t *a, sb_reject_t *r, char *detail, size_t size) {
    am_fields_t f;
    const char *status;

    memset(&f, 0, sizeof(f));
    if (!cJSON_IsObject(item)) {
        *r = reject(detail, size, SB_REJECT_NOT_OBJECT, "the alert is %s, not an object",
                    sb_json_type_name(item));
        return ITEM_DEAD;
    }
    *r = req_string(item, "", "status", &status, detail, size);
    if (*r != SB_REJECT_NONE)
        return ITEM_DEAD;
    if (!strcmp(status, "resolved"))
        return ITEM_RESOLVED;
    if (strcmp(status, "firing")) {
        *r = reject(detail, size, SB_REJECT_INVALID_VALUE,
                    "'status' is '%s', expected firing or resolved", sb_json_quote(status).s);
        return ITEM_DEAD;
    }
    *r = read_labels(item, user_label, &f, detail, size);
    if (*r == SB_REJECT_NONE)
        *r = read_rest(item, &f, detail, size);
    if (*r != SB_REJECT_NONE)
        return ITEM_DEAD;
    cJSON *mapped = build_alert(&f, source, user_label);
    if (!mapped)
        return ITEM_OOM;
    item_verdict_t v = validate_mapped(mapped, a, r, detail, size);
    cJSON_Delete(mapped);
    return v;
}

/* The body's envelope: an object whose `alerts` is an array of at most
 * SB_AM_MAX_ALERTS. `version`, `receiver` and `status` are not required:
 * Grafana posts the same alerts under version "1". */
static const cJSON *read_envelope(const cJSON *root, sb_am_result_t *out, char *errstr,
                                  size_t errstr_size) {
    const cJSON *alerts = cJSON_GetObjectItemCaseSensitive(root, "alerts");
    int n;

    if (!alerts) {
        out->reject = reject(errstr, errstr_size, SB_REJECT_MISSING_FIELD,
                             "not an Alertmanager webhook: 'alerts' is missing");
        return NULL;
    }
    if (!cJSON_IsArray(alerts)) {
        out->reject = reject(errstr, errstr_size, SB_REJECT_INVALID_TYPE,
                             "not an Alertmanager webhook: 'alerts' is %s, not an array",
                             sb_json_type_name(alerts));
        return NULL;
    }
    /* Alertmanager's own cut (max_alerts): reported, the caller logs it */
    const cJSON *cut = cJSON_GetObjectItemCaseSensitive(root, "truncatedAlerts");
    if (cJSON_IsNumber(cut) && cut->valuedouble >= 1 && cut->valuedouble <= 1e15)
        out->truncated_alerts = (size_t)cut->valuedouble;
    n = cJSON_GetArraySize(alerts);
    if (n > SB_AM_MAX_ALERTS) {
        /* Refused whole rather than cut or dead-lettered by the
         * thousand: the sender is misconfigured, its receiver's
         * max_alerts is the fix, and Alertmanager re-sends the group
         * every group_interval until then (0.25 does; nothing is lost). */
        out->reject =
            reject(errstr, errstr_size, SB_REJECT_TOO_LARGE,
                   "%d alerts in one body, the limit is %d (set max_alerts)", n, SB_AM_MAX_ALERTS);
        return NULL;
    }
    return alerts;
}

/* Files the outcome of one item; -1 when memory ran out. */
static int file_item(const cJSON *item, size_t index, const char *source, const char *user_label,
                     sb_am_result_t *out) {
    sb_am_alert_t *a = &out->alerts[out->accepted];
    sb_am_dead_t *d = &out->dead[out->dead_lettered];
    sb_reject_t r = SB_REJECT_NONE;

    memset(a, 0, sizeof(*a));
    memset(d, 0, sizeof(*d));
    switch (map_item(item, source, user_label, a, &r, d->detail, sizeof(d->detail))) {
    case ITEM_ACCEPTED:
        a->index = index;
        out->accepted++;
        return 0;
    case ITEM_RESOLVED: out->resolved_ignored++; return 0;
    case ITEM_DEAD:
        d->index = index;
        d->reason = r;
        if (!(d->original = cJSON_PrintUnformatted(item)))
            return -1;
        d->original_len = strlen(d->original);
        out->dead_lettered++;
        return 0;
    case ITEM_OOM: break;
    }
    return -1;
}

int sb_am_map(const void *body, size_t len, const char *source, const char *user_label,
              sb_am_result_t *out, char *errstr, size_t errstr_size) {
    cJSON *root = NULL;
    const cJSON *alerts;
    size_t n, index = 0;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (!user_label || !*user_label)
        user_label = SB_AM_DEFAULT_USER_LABEL;
    out->reject = sb_json_strict_parse(body, len, SB_AM_MAX_BODY_BYTES, &root, errstr, errstr_size);
    if (out->reject != SB_REJECT_NONE)
        goto out;
    if (!(alerts = read_envelope(root, out, errstr, errstr_size)))
        goto out;
    n = (size_t)cJSON_GetArraySize(alerts);
    out->alerts = calloc(n ? n : 1, sizeof(*out->alerts));
    out->dead = calloc(n ? n : 1, sizeof(*out->dead));
    if (!out->alerts || !out->dead)
        goto oom;
    for (const cJSON *item = alerts->child; item; item = item->next, index++)
        if (file_item(item, index, source, user_label, out) == -1)
            goto oom;
    rc = 0;
    goto out;
oom:
    sb_am_result_clear(out);
    snprintf(errstr, errstr_size, "out of memory");
out:
    cJSON_Delete(root);
    return rc;
}

void sb_am_result_clear(sb_am_result_t *r) {
    if (!r)
        return;
    for (size_t i = 0; r->alerts && i < r->accepted; i++) {
        sb_alert_clear(&r->alerts[i].alert);
        free(r->alerts[i].json);
    }
    for (size_t i = 0; r->dead && i < r->dead_lettered; i++)
        free(r->dead[i].original);
    free(r->alerts);
    free(r->dead);
    memset(r, 0, sizeof(*r));
}
