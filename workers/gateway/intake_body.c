/* intake_body: find where each alert of a JSON array or an NDJSON body starts and ends. */
#include "intake_body.h"

#include <stdio.h>

static int space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Adds [p, p+len) trimmed of blanks, unless it is empty. 0, or -1 when max
 * items are there already. */
static int add(const char *p, size_t len, sb_intake_item_t *items, size_t max, size_t *n) {
    while (len > 0 && space(*p))
        p++, len--;
    while (len > 0 && space(p[len - 1]))
        len--;
    if (len == 0)
        return 0;
    if (*n == max)
        return -1;
    items[*n].p = p;
    items[(*n)++].len = len;
    return 0;
}

/* From body[*pos], the end of one array element: the ',' or ']' at depth
 * 0 after it. Returns that character, or 0 at the end of the body. */
static char element_end(const char *body, size_t len, size_t *pos) {
    size_t depth = 0;
    int in_string = 0;

    for (; *pos < len; (*pos)++) {
        char c = body[*pos];
        if (in_string) {
            if (c == '\\')
                (*pos)++; /* the escaped character, whatever it is */
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return c;
            depth--;
        } else if (c == ',' && depth == 0) {
            return c;
        }
    }
    return 0;
}

static sb_intake_body_t split_array(const char *body, size_t len, size_t pos,
                                    sb_intake_item_t *items, size_t max, size_t *n, char *detail,
                                    size_t detail_size) {
    for (pos++;;) {
        size_t start = pos, before = *n;
        char end = element_end(body, len, &pos);
        if (end == 0 || end == '}') {
            snprintf(detail, detail_size, "the array is not closed (or its brackets do not match)");
            return SB_INTAKE_BODY_MALFORMED;
        }
        if (add(body + start, pos - start, items, max, n) != 0) {
            snprintf(detail, detail_size, "more than %zu alerts", max);
            return SB_INTAKE_BODY_TOO_MANY;
        }
        /* only "[]" may have nothing before its bracket */
        if (*n == before && !(end == ']' && before == 0)) {
            snprintf(detail, detail_size, "an empty element in the array");
            return SB_INTAKE_BODY_MALFORMED;
        }
        pos++;
        if (end == ']')
            break;
    }
    while (pos < len && space(body[pos]))
        pos++;
    if (pos != len) {
        snprintf(detail, detail_size, "data after the array");
        return SB_INTAKE_BODY_MALFORMED;
    }
    return SB_INTAKE_BODY_OK;
}

static sb_intake_body_t split_lines(const char *body, size_t len, sb_intake_item_t *items,
                                    size_t max, size_t *n, char *detail, size_t detail_size) {
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && body[i] != '\n')
            continue;
        if (add(body + start, i - start, items, max, n) != 0) {
            snprintf(detail, detail_size, "more than %zu alerts", max);
            return SB_INTAKE_BODY_TOO_MANY;
        }
        start = i + 1;
    }
    return SB_INTAKE_BODY_OK;
}

sb_intake_body_t sb_intake_body_split(const char *body, size_t len, sb_intake_format_t format,
                                      sb_intake_item_t *items, size_t max, size_t *n, char *detail,
                                      size_t detail_size) {
    sb_intake_body_t rc;
    size_t pos = 0;

    *n = 0;
    detail[0] = '\0';
    while (pos < len && space(body[pos]))
        pos++;
    if (format == SB_INTAKE_NDJSON)
        rc = split_lines(body, len, items, max, n, detail, detail_size);
    else if (pos < len && body[pos] == '[')
        rc = split_array(body, len, pos, items, max, n, detail, detail_size);
    else /* one value: the validator judges it whole */
        rc = add(body, len, items, max, n) == 0 ? SB_INTAKE_BODY_OK : SB_INTAKE_BODY_TOO_MANY;
    if (rc == SB_INTAKE_BODY_OK && *n == 0) {
        snprintf(detail, detail_size, "the body holds no alert");
        rc = SB_INTAKE_BODY_EMPTY;
    }
    return rc;
}
