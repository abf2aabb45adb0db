/* employees_csv: reading and checking the employee directory's CSV file (RFC 4180 fields). */
#include "employees_csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sb_hours.h"
#include "sb_utf8.h"

#define CSV_LINE_MAX   8192
#define NAME_MAX_CHARS 320
#define CHAT_ID_MAX    64
#define ALIASES_MAX    32

void employees_rows_free(employee_row_t *rows, size_t n) {
    for (size_t i = 0; i < n; i++)
        for (int f = 0; f < EMPLOYEES_CSV_FIELDS; f++)
            free(rows[i].field[f]);
    free(rows);
}

/* Splits one CSV record (no embedded newlines) into fields. Returns the
 * field count, or -1 with errstr set. Fields are malloc'd. */
static int csv_split(const char *line, char **fields, int max, char *errstr, size_t errstr_size) {
    int nf = 0;
    const char *p = line;
    for (;;) {
        char *buf = malloc(strlen(line) + 1);
        size_t len = 0;
        if (!buf) {
            snprintf(errstr, errstr_size, "out of memory");
            goto fail;
        }
        if (nf == max) {
            free(buf);
            snprintf(errstr, errstr_size, "more than %d fields", max);
            goto fail;
        }
        fields[nf++] = buf;
        if (*p == '"') {
            for (p++;; p++) {
                if (*p == '\0') {
                    snprintf(errstr, errstr_size, "unterminated quoted field");
                    goto fail;
                }
                if (*p == '"') {
                    if (p[1] != '"')
                        break;
                    p++;
                }
                buf[len++] = *p;
            }
            p++;
            if (*p != ',' && *p != '\0') {
                snprintf(errstr, errstr_size, "text after a closing quote");
                goto fail;
            }
        } else {
            while (*p && *p != ',') {
                if (*p == '"') {
                    snprintf(errstr, errstr_size, "quote inside an unquoted field");
                    goto fail;
                }
                buf[len++] = *p++;
            }
        }
        buf[len] = '\0';
        if (*p == '\0')
            return nf;
        p++; /* the comma */
    }
fail:
    for (int i = 0; i < nf; i++)
        free(fields[i]);
    return -1;
}

static void trim(char *s) {
    size_t n = strlen(s), start = 0;
    while (start < n && (s[start] == ' ' || s[start] == '\t'))
        start++;
    while (n > start && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    memmove(s, s + start, n - start);
    s[n - start] = '\0';
}

static int has_control(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

/* Checks one row's values; errors name the field. */
static int check_row(employee_row_t *r, char *errstr, size_t errstr_size) {
    static const char *const names[] = {"username", "email",    "chat_user_id",
                                        "aliases",  "timezone", "working_hours"};
    const char *zone = r->field[EMPLOYEES_CSV_TZ], *hours = r->field[EMPLOYEES_CSV_HOURS];
    char why[200];
    sb_hours_t h;
    const char *user = r->field[0], *email = r->field[1], *chat = r->field[2];
    for (int f = 0; f < EMPLOYEES_CSV_FIELDS; f++) {
        trim(r->field[f]);
        if (!sb_utf8_valid(r->field[f], strlen(r->field[f])) || has_control(r->field[f])) {
            snprintf(errstr, errstr_size, "%s is not clean UTF-8 text", names[f]);
            return -1;
        }
    }
    if (!*user || sb_utf8_length(user) > NAME_MAX_CHARS || strchr(user, ';')) {
        snprintf(errstr, errstr_size, "username must be 1-%d characters without ';'",
                 NAME_MAX_CHARS);
        return -1;
    }
    if (*email && (sb_utf8_length(email) > NAME_MAX_CHARS || !strchr(email, '@') ||
                   strchr(email, ' ') || strchr(email, ';'))) {
        snprintf(errstr, errstr_size, "email is not an e-mail address");
        return -1;
    }
    if (strlen(chat) > CHAT_ID_MAX || strchr(chat, ' ')) {
        snprintf(errstr, errstr_size, "chat_user_id must be at most %d characters, no spaces",
                 CHAT_ID_MAX);
        return -1;
    }
    if (*zone && sb_hours_check_zone(zone, why, sizeof(why)) == -1) {
        snprintf(errstr, errstr_size, "timezone: %s", why);
        return -1;
    }
    if (*hours && sb_hours_parse(hours, &h, why, sizeof(why)) == -1) {
        snprintf(errstr, errstr_size, "working_hours: %s", why);
        return -1;
    }
    return 0;
}

/* The header: the four columns, then timezone and working_hours in any
 * order, each at most once. Fills col (file column -> field) and has;
 * the number of columns, or -1. */
static int header(const char *line, int col[EMPLOYEES_CSV_FIELDS], int has[EMPLOYEES_CSV_FIELDS]) {
    static const char *const optional[] = {"timezone", "working_hours"};
    const char *rest;
    int n = 4;
    if (!strncmp(line, "\xEF\xBB\xBF", 3))
        line += 3; /* a spreadsheet's byte-order mark */
    if (strncmp(line, "username,email,chat_user_id,aliases", 35) != 0)
        return -1;
    for (int i = 0; i < EMPLOYEES_CSV_FIELDS; i++)
        col[i] = i, has[i] = i < 4;
    for (rest = line + 35; *rest; n++) {
        int f = -1;
        if (*rest++ != ',')
            return -1;
        for (int o = 0; o < 2; o++) {
            size_t len = strlen(optional[o]);
            if (!strncmp(rest, optional[o], len) && (rest[len] == ',' || !rest[len]))
                f = EMPLOYEES_CSV_TZ + o, rest += len;
        }
        if (f == -1 || has[f])
            return -1;
        has[f] = 1, col[n] = f;
    }
    return n;
}

employee_row_t *employees_csv_read(FILE *f, const char *path, size_t *nrows, int *bad,
                                   int has[EMPLOYEES_CSV_FIELDS]) {
    char line[CSV_LINE_MAX + 2], errstr[256];
    employee_row_t *rows = NULL;
    size_t n = 0, cap = 0;
    int lineno = 0, ncols = 4, col[EMPLOYEES_CSV_FIELDS];

    for (int i = 0; i < EMPLOYEES_CSV_FIELDS; i++)
        has[i] = i < 4;

    *bad = 0;
    while (fgets(line, sizeof(line), f)) {
        size_t len = strlen(line);
        char *fields[EMPLOYEES_CSV_FIELDS];
        int nf;
        lineno++;
        if (len > CSV_LINE_MAX || (len == sizeof(line) - 1 && line[len - 1] != '\n')) {
            fprintf(stderr, "%s:%d: line longer than %d bytes\n", path, lineno, CSV_LINE_MAX);
            (*bad)++;
            while (len && line[len - 1] != '\n' && fgets(line, sizeof(line), f))
                len = strlen(line);
            continue;
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (lineno == 1) {
            if ((ncols = header(line, col, has)) == -1) {
                fprintf(stderr,
                        "%s:1: header must be exactly username,email,chat_user_id,aliases, "
                        "optionally followed by timezone and working_hours\n",
                        path);
                (*bad)++;
                break;
            }
            continue;
        }
        if (len == 0)
            continue;
        char *read[EMPLOYEES_CSV_FIELDS];
        nf = csv_split(line, read, ncols, errstr, sizeof(errstr));
        if (nf != -1 && nf != ncols) {
            for (int i = 0; i < nf; i++)
                free(read[i]);
            snprintf(errstr, sizeof(errstr), "expected %d fields, found %d", ncols, nf);
            nf = -1;
        }
        if (nf != -1) { /* in field order; a column the file lacks is empty */
            for (int i = 0; i < EMPLOYEES_CSV_FIELDS; i++)
                fields[i] = NULL;
            for (int i = 0; i < ncols; i++)
                fields[col[i]] = read[i];
            for (int k = 0; k < EMPLOYEES_CSV_FIELDS; k++)
                if (!fields[k] && !(fields[k] = strdup(""))) {
                    snprintf(errstr, sizeof(errstr), "out of memory");
                    nf = -1;
                }
            for (int i = 0; nf == -1 && i < EMPLOYEES_CSV_FIELDS; i++)
                free(fields[i]);
        }
        if (nf == -1) {
            fprintf(stderr, "%s:%d: %s\n", path, lineno, errstr);
            (*bad)++;
            continue;
        }
        if (n == cap) {
            employee_row_t *grown = realloc(rows, (cap ? cap * 2 : 64) * sizeof(*rows));
            if (!grown) {
                for (int i = 0; i < EMPLOYEES_CSV_FIELDS; i++)
                    free(fields[i]);
                fprintf(stderr, "%s: out of memory\n", path);
                (*bad)++;
                break;
            }
            rows = grown;
            cap = cap ? cap * 2 : 64;
        }
        rows[n].line = lineno;
        memcpy(rows[n].field, fields, sizeof(fields));
        n++;
        if (check_row(&rows[n - 1], errstr, sizeof(errstr)) == -1) {
            fprintf(stderr, "%s:%d: %s\n", path, lineno, errstr);
            (*bad)++;
        }
    }
    if (ferror(f)) {
        fprintf(stderr, "%s: read error: %s\n", path, strerror(errno));
        (*bad)++;
    }
    if (lineno == 0) {
        fprintf(stderr, "%s: empty file (a header row is required)\n", path);
        (*bad)++;
    }
    *nrows = n;
    return rows;
}
