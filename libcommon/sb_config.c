/* sb_config: configuration from the environment, one declarative table per binary. */

/* An empty variable counts as unset, so its default applies. A secret may
 * instead be given as NAME_FILE, a path whose content is the value; setting
 * both is an error. Error messages name the variable (and, for files, the
 * path) but never quote a value, so a secret cannot leak through them. */
#include "sb_config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sb_log.h"
#include "sb_time.h"

#define SB_CFG_FILE_MAX (64 * 1024) /* largest accepted NAME_FILE, in bytes */
#define SB_CFG_NAME_MAX 128         /* longest variable name, without "_FILE" */

/* The variable's value, or NULL when it is unset or empty. */
static const char *env_value(const char *name) {
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static void secret_free(char *s, size_t size) {
    if (!s)
        return;
    explicit_bzero(s, size);
    free(s);
}

/* Reads the secret file named by variable `var` into a malloc'd string
 * (*out, SB_CFG_FILE_MAX + 2 bytes, to be released with secret_free),
 * with one trailing "\n" or "\r\n" removed. */
static int read_secret_file(const char *var, const char *path, char **out, char *errstr,
                            size_t errstr_size) {
    FILE *f = NULL;
    char *buf = NULL;
    size_t n;
    int rc = -1;

    *out = NULL;
    f = fopen(path, "rb");
    if (!f) {
        sb_seterr(errstr, errstr_size, "%s: cannot open %s: %s", var, path, strerror(errno));
        goto out;
    }
    buf = malloc(SB_CFG_FILE_MAX + 2);
    if (!buf) {
        sb_seterr(errstr, errstr_size, "%s: out of memory reading %s", var, path);
        goto out;
    }
    n = fread(buf, 1, SB_CFG_FILE_MAX + 1, f);
    if (ferror(f)) {
        sb_seterr(errstr, errstr_size, "%s: cannot read %s: %s", var, path, strerror(errno));
        goto out;
    }
    if (n > SB_CFG_FILE_MAX) {
        sb_seterr(errstr, errstr_size, "%s: %s is larger than %d bytes", var, path,
                  SB_CFG_FILE_MAX);
        goto out;
    }
    if (memchr(buf, '\0', n)) {
        sb_seterr(errstr, errstr_size, "%s: %s contains a NUL byte", var, path);
        goto out;
    }
    if (n > 0 && buf[n - 1] == '\n') {
        n--;
        if (n > 0 && buf[n - 1] == '\r')
            n--;
    }
    buf[n] = '\0';
    *out = buf; /* ownership moves to the caller */
    buf = NULL;
    rc = 0;
out:
    secret_free(buf, SB_CFG_FILE_MAX + 2);
    if (f)
        fclose(f);
    return rc;
}

static int parse_int(const char *s, long *out) {
    char *end;
    long v;
    /* strtol would skip leading blanks; a config value has none. */
    if (!isdigit((unsigned char)s[0]) && s[0] != '-' && s[0] != '+')
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

static int parse_bool(const char *s, int *out) {
    static const char *const yes[] = {"true", "1", "yes", "on"};
    static const char *const no[] = {"false", "0", "no", "off"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

/* min == max == 0 means an SB_CFG_TYPE_INT takes any long. */
static int bounded(const sb_cfg_entry_t *e) {
    return !(e->min == 0 && e->max == 0);
}

/* Parses v into e->target. The messages never include v. */
static int store_value(const sb_cfg_entry_t *e, const char *v, char *errstr, size_t errstr_size) {
    long l;
    int b;
    int64_t ms;
    char *s;

    switch (e->type) {
    case SB_CFG_TYPE_STRING:
        s = strdup(v);
        if (!s) {
            sb_seterr(errstr, errstr_size, "%s: out of memory", e->name);
            return -1;
        }
        *(char **)e->target = s;
        return 0;
    case SB_CFG_TYPE_INT:
        if (parse_int(v, &l) == -1 || (bounded(e) && (l < e->min || l > e->max))) {
            if (!bounded(e))
                sb_seterr(errstr, errstr_size, "%s must be an integer", e->name);
            else
                sb_seterr(errstr, errstr_size, "%s must be an integer between %ld and %ld", e->name,
                          e->min, e->max);
            return -1;
        }
        *(long *)e->target = l;
        return 0;
    case SB_CFG_TYPE_BOOL:
        if (parse_bool(v, &b) == -1) {
            sb_seterr(errstr, errstr_size, "%s must be a boolean (true/false, yes/no, on/off, 1/0)",
                      e->name);
            return -1;
        }
        *(int *)e->target = b;
        return 0;
    case SB_CFG_TYPE_DURATION:
        if (sb_time_parse_duration_ms(v, &ms) == -1) {
            sb_seterr(errstr, errstr_size, "%s must be a duration such as 500ms, 30s, 5m, 2h or 1d",
                      e->name);
            return -1;
        }
        *(int64_t *)e->target = ms;
        return 0;
    }
    sb_seterr(errstr, errstr_size, "%s: unknown configuration type %d", e->name, (int)e->type);
    return -1;
}

/* Sets the target of an unset, optional entry without default. */
static void store_unset(const sb_cfg_entry_t *e) {
    switch (e->type) {
    case SB_CFG_TYPE_STRING: *(char **)e->target = NULL; break;
    case SB_CFG_TYPE_INT: *(long *)e->target = 0; break;
    case SB_CFG_TYPE_BOOL: *(int *)e->target = 0; break;
    case SB_CFG_TYPE_DURATION: *(int64_t *)e->target = 0; break;
    }
}

static int load_entry(const sb_cfg_entry_t *e, char *errstr, size_t errstr_size) {
    char fvar[SB_CFG_NAME_MAX + sizeof("_FILE")];
    const char *v = env_value(e->name);
    const char *raw = getenv(e->name);
    const char *path = NULL;
    char *fbuf = NULL;
    int rc = -1;

    if (strlen(e->name) > SB_CFG_NAME_MAX) {
        sb_seterr(errstr, errstr_size, "%.64s...: variable name too long", e->name);
        return -1;
    }
    if (e->empty_is_zero && raw && !*raw) {
        store_unset(e); /* every type's zero: off */
        return 0;
    }
    if (e->secret) {
        snprintf(fvar, sizeof(fvar), "%s_FILE", e->name);
        path = env_value(fvar);
        if (v && path) {
            sb_seterr(errstr, errstr_size, "%s and %s are both set; set only one", e->name, fvar);
            goto out;
        }
        if (path) {
            if (read_secret_file(fvar, path, &fbuf, errstr, errstr_size) == -1)
                goto out;
            v = *fbuf ? fbuf : NULL; /* an empty file counts as unset, like an empty variable */
        }
    }
    if (!v)
        v = e->defval;
    if (!v) {
        if (e->required) {
            if (path)
                sb_seterr(errstr, errstr_size, "%s is required (%s names an empty file: %s)",
                          e->name, fvar, path);
            else
                sb_seterr(errstr, errstr_size, "%s is required (see --help)", e->name);
            goto out;
        }
        store_unset(e);
        rc = 0;
        goto out;
    }
    rc = store_value(e, v, errstr, errstr_size);
out:
    secret_free(fbuf, SB_CFG_FILE_MAX + 2);
    return rc;
}

int sb_config_load(const sb_cfg_entry_t *table, size_t n, char *errstr, size_t errstr_size) {
    if (errstr && errstr_size)
        errstr[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (load_entry(&table[i], errstr, errstr_size) == -1) {
            sb_config_free(table, i); /* nothing half-loaded is left behind */
            return -1;
        }
    }
    return 0;
}

/* The JSON text of one entry's value, malloc'd; NULL when out of memory. */
static char *dump_value(const sb_cfg_entry_t *e) {
    char num[32];
    const char *s;
    char *out;
    size_t len;

    if (e->secret) {
        int set;
        if (e->type == SB_CFG_TYPE_STRING) {
            set = *(char **)e->target != NULL;
        } else {
            char fvar[SB_CFG_NAME_MAX + sizeof("_FILE")];
            snprintf(fvar, sizeof(fvar), "%s_FILE", e->name);
            set = env_value(e->name) || env_value(fvar);
        }
        return strdup(set ? "\"(set)\"" : "\"(unset)\"");
    }
    switch (e->type) {
    case SB_CFG_TYPE_STRING:
        s = *(char **)e->target;
        if (!s)
            return strdup("null");
        len = strlen(s) * 6 + 3; /* worst case: every byte becomes \u00XX */
        out = malloc(len);
        if (!out)
            return NULL;
        out[0] = '"';
        len = 1 + sb_log_json_escape(out + 1, len - 2, s);
        out[len++] = '"';
        out[len] = '\0';
        return out;
    case SB_CFG_TYPE_INT: snprintf(num, sizeof(num), "%ld", *(long *)e->target); break;
    case SB_CFG_TYPE_BOOL:
        snprintf(num, sizeof(num), "%s", *(int *)e->target ? "true" : "false");
        break;
    case SB_CFG_TYPE_DURATION: snprintf(num, sizeof(num), "%" PRId64, *(int64_t *)e->target); break;
    default: snprintf(num, sizeof(num), "null"); break;
    }
    return strdup(num);
}

/* Entries that do not fit are left out whole, so buf is always valid JSON
 * (given size >= 3). Durations are written in milliseconds. */
void sb_config_dump(const sb_cfg_entry_t *table, size_t n, char *buf, size_t size) {
    size_t len = 0;
    int first = 1;

    if (size < 3) {
        if (size > 0)
            buf[0] = '\0';
        return;
    }
    buf[len++] = '{';
    for (size_t i = 0; i < n; i++) {
        char key[SB_CFG_NAME_MAX * 6 + 1];
        char *val = dump_value(&table[i]);
        size_t klen, vlen, need;

        if (!val)
            break;
        klen = sb_log_json_escape(key, sizeof(key), table[i].name);
        vlen = strlen(val);
        need = (first ? 0 : 1) + klen + 3 + vlen; /* [,]"key":value */
        if (len + need + 2 > size) {              /* room for '}' and NUL */
            free(val);
            break;
        }
        len += (size_t)snprintf(buf + len, size - len, "%s\"%s\":%s", first ? "" : ",", key, val);
        first = 0;
        free(val);
    }
    buf[len++] = '}';
    buf[len] = '\0';
}

static const char *type_name(sb_cfg_type_t t) {
    switch (t) {
    case SB_CFG_TYPE_INT: return "integer";
    case SB_CFG_TYPE_BOOL: return "boolean";
    case SB_CFG_TYPE_DURATION: return "duration";
    default: return NULL;
    }
}

void sb_config_help(FILE *out, const sb_cfg_entry_t *table, size_t n) {
    int width = 0;

    for (size_t i = 0; i < n; i++) {
        int l = (int)strlen(table[i].name);
        if (l > width)
            width = l;
    }
    fprintf(out, "Environment:\n");
    for (size_t i = 0; i < n; i++) {
        const sb_cfg_entry_t *e = &table[i];
        const char *sep = " (";
        const char *tn = type_name(e->type);

        fprintf(out, "  %-*s  %s", width, e->name, e->help ? e->help : "");
        if (tn) {
            fprintf(out, "%s%s", sep, tn);
            sep = "; ";
        }
        if (e->type == SB_CFG_TYPE_INT && bounded(e)) {
            fprintf(out, "%s%ld to %ld", sep, e->min, e->max);
            sep = "; ";
        }
        if (e->defval) {
            fprintf(out, "%sdefault: %s", sep, e->defval);
            sep = "; ";
        } else if (e->required) {
            fprintf(out, "%srequired", sep);
            sep = "; ";
        }
        if (e->secret) {
            fprintf(out, "%ssecret, or a file named by %s_FILE", sep, e->name);
            sep = "; ";
        }
        fprintf(out, "%s\n", sep[0] == ';' ? ")" : "");
    }
}

void sb_config_free(const sb_cfg_entry_t *table, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char **p;
        if (table[i].type != SB_CFG_TYPE_STRING)
            continue;
        p = table[i].target;
        if (!*p)
            continue;
        if (table[i].secret)
            explicit_bzero(*p, strlen(*p));
        free(*p);
        *p = NULL;
    }
}
