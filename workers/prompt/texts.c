/* texts: loads and expands the prompt templates (defaults built in). */
#include "texts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sb_utf8.h"

#define FILE_MAX 65536

static const char *const DEFAULT_INTRO =
    "Hi {name}, this is securitybot for the security team. Our monitoring noticed the activity "
    "below on your account, and only you can tell us whether it was you. Could you confirm?";
static const char *const DEFAULT_NEXT =
    "One more thing, {name}: we also noticed the activity below. Was this you?";

static const char *const PLACEHOLDERS[] = {"name", "rule", "severity", "title"};

/* The value of placeholder name[0..len), or NULL with *known = 0. */
static const char *lookup(const char *name, size_t len, const sb_texts_vars_t *v, int *known) {
    const char *values[] = {v ? v->name : NULL, v ? v->rule : NULL, v ? v->severity : NULL,
                            v ? v->title : NULL};
    for (size_t i = 0; i < sizeof(PLACEHOLDERS) / sizeof(PLACEHOLDERS[0]); i++)
        if (strlen(PLACEHOLDERS[i]) == len && !strncmp(PLACEHOLDERS[i], name, len)) {
            *known = 1;
            return values[i];
        }
    *known = 0;
    return NULL;
}

/* Walks tmpl; with out NULL only checks it. Returns the expanded length,
 * or -1 at the first problem (described in errstr when given). */
static long walk(const char *tmpl, const sb_texts_vars_t *v, char *out, char *errstr,
                 size_t errstr_size) {
    long n = 0;
    for (const char *s = tmpl; *s;) {
        const char *piece = s, *close;
        size_t len = 1;
        int known = 1;
        if ((s[0] == '{' && s[1] == '{') || (s[0] == '}' && s[1] == '}')) {
            s += 2; /* a literal brace */
        } else if (s[0] == '{' && (close = strchr(s, '}'))) {
            const char *value = lookup(s + 1, (size_t)(close - s - 1), v, &known);
            if (!known) {
                if (errstr)
                    snprintf(errstr, errstr_size, "unknown placeholder {%.*s}",
                             (int)(close - s - 1 > 40 ? 40 : close - s - 1), s + 1);
                return -1;
            }
            piece = value ? value : "";
            len = strlen(piece);
            s = close + 1;
        } else if (s[0] == '{' || s[0] == '}') {
            if (errstr)
                snprintf(errstr, errstr_size, "unmatched '%c' (write it twice for a literal)",
                         s[0]);
            return -1;
        } else {
            s++;
        }
        if (out)
            memcpy(out + n, piece, len);
        n += (long)len;
    }
    if (out)
        out[n] = '\0';
    return n;
}

char *sb_texts_expand(const char *tmpl, const sb_texts_vars_t *v) {
    long n = walk(tmpl, v, NULL, NULL, 0);
    char *out;
    if (n < 0 || !(out = malloc((size_t)n + 1)))
        return NULL;
    walk(tmpl, v, out, NULL, 0);
    return out;
}

/* Takes key from the file's object into *dst (replacing the default). */
static int take(const cJSON *root, const char *key, char **dst, const char *path, char *errstr,
                size_t errstr_size) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, key);
    char why[128];
    if (!item)
        return 0;
    if (!cJSON_IsString(item) || !item->valuestring[0]) {
        snprintf(errstr, errstr_size, "%s: \"%s\" must be a non-empty string", path, key);
        return -1;
    }
    if (sb_utf8_length(item->valuestring) > SB_TEXTS_MAX) {
        snprintf(errstr, errstr_size, "%s: \"%s\" is over %d characters", path, key, SB_TEXTS_MAX);
        return -1;
    }
    if (walk(item->valuestring, NULL, NULL, why, sizeof(why)) < 0) {
        snprintf(errstr, errstr_size, "%s: \"%s\": %s", path, key, why);
        return -1;
    }
    free(*dst);
    if (!(*dst = strdup(item->valuestring))) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    return 0;
}

/* The whole file (at most FILE_MAX bytes) as a string, or NULL. */
static char *read_file(const char *path, char *errstr, size_t errstr_size) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n;
    if (!f) {
        snprintf(errstr, errstr_size, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    if (!(buf = malloc(FILE_MAX + 1))) {
        snprintf(errstr, errstr_size, "out of memory");
        goto out;
    }
    n = fread(buf, 1, FILE_MAX + 1, f);
    if (ferror(f) || n > FILE_MAX) {
        snprintf(errstr, errstr_size, "%s: %s", path,
                 ferror(f) ? "read error" : "larger than 64 KiB");
        free(buf);
        buf = NULL;
        goto out;
    }
    buf[n] = '\0';
out:
    fclose(f);
    return buf;
}

int sb_texts_load(sb_texts_t *t, const char *path, char *errstr, size_t errstr_size) {
    cJSON *root = NULL;
    char *text = NULL;
    int rc = -1;

    memset(t, 0, sizeof(*t));
    if (!(t->intro = strdup(DEFAULT_INTRO)) || !(t->next = strdup(DEFAULT_NEXT))) {
        snprintf(errstr, errstr_size, "out of memory");
        goto out;
    }
    if (!path || !*path)
        return 0;
    if (!(text = read_file(path, errstr, errstr_size)))
        goto out;
    if (!sb_utf8_valid(text, strlen(text)) || !(root = cJSON_Parse(text)) ||
        !cJSON_IsObject(root)) {
        snprintf(errstr, errstr_size, "%s: not a JSON object in UTF-8", path);
        goto out;
    }
    if (take(root, "intro", &t->intro, path, errstr, errstr_size) == -1 ||
        take(root, "next", &t->next, path, errstr, errstr_size) == -1)
        goto out;
    rc = 0;
out:
    if (rc == -1)
        sb_texts_free(t);
    cJSON_Delete(root);
    free(text);
    return rc;
}

void sb_texts_free(sb_texts_t *t) {
    free(t->intro);
    free(t->next);
    t->intro = t->next = NULL;
}
