/* sb_buf: the growable buffer every builder shares: appends, printf, JSON and chat text. */
#include "sb_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_CAP 256
#define ELLIPSIS  "\xe2\x80\xa6" /* U+2026, one character */

/* Room for n more bytes and the NUL; 0, or -1 with err set. */
static int reserve(sb_buf_t *b, size_t n) {
    size_t cap;
    char *p;
    if (b->err)
        return -1;
    if (n >= SB_BUF_MAX - b->len) {
        b->err = 1;
        return -1;
    }
    if (b->len + n + 1 <= b->cap)
        return 0;
    cap = b->cap ? b->cap : FIRST_CAP;
    while (cap < b->len + n + 1)
        cap = cap > SB_BUF_MAX / 2 ? SB_BUF_MAX : cap * 2;
    if (!(p = realloc(b->s, cap))) {
        b->err = 1;
        return -1;
    }
    b->s = p;
    b->cap = cap;
    return 0;
}

void sb_buf_add(sb_buf_t *b, const void *data, size_t n) {
    if (reserve(b, n) == -1)
        return;
    if (n)
        memcpy(b->s + b->len, data, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void sb_buf_add_str(sb_buf_t *b, const char *s) {
    if (s)
        sb_buf_add(b, s, strlen(s));
}

void sb_buf_addf(sb_buf_t *b, const char *fmt, ...) {
    va_list ap;
    int n;
    if (reserve(b, 0) == -1)
        return;
    /* straight into the free room; once more after growing when short */
    va_start(ap, fmt);
    n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->s[b->len] = '\0';
        b->err = 1;
        return;
    }
    if ((size_t)n >= b->cap - b->len) {
        if (reserve(b, (size_t)n) == -1) {
            b->s[b->len] = '\0';
            return;
        }
        va_start(ap, fmt);
        vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

const char *sb_buf_json_escape(unsigned char c, char tmp[8]) {
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default:
        if (c < 0x20 || c == 0x7f) {
            snprintf(tmp, 8, "\\u%04x", c);
            return tmp;
        }
        return NULL;
    }
}

void sb_buf_add_json(sb_buf_t *b, const char *s) {
    const char *run = s, *rep;
    char tmp[8];
    if (!s)
        return;
    /* plain runs go in one copy */
    for (; *s; s++) {
        if (!(rep = sb_buf_json_escape((unsigned char)*s, tmp)))
            continue;
        sb_buf_add(b, run, (size_t)(s - run));
        sb_buf_add_str(b, rep);
        run = s + 1;
    }
    sb_buf_add(b, run, (size_t)(s - run));
}

/* The next character of s: its bytes (*in_len), what to write (*out,
 * *out_len), and what Slack counts, returned: UTF-16 units, so a character
 * outside the BMP is two, which is safe whichever way Slack counts. */
static size_t next_char(const char *s, int flags, size_t *in_len, const char **out,
                        size_t *out_len) {
    unsigned char c = (unsigned char)s[0];
    size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    for (size_t i = 1; i < n; i++)
        if (s[i] == '\0') /* truncated sequence: one byte at a time */
            n = 1;
    *in_len = *out_len = n;
    *out = s;
    if (c < 0x20 && !((c == '\n' || c == '\t') && !(flags & SB_BUF_ONE_LINE))) {
        *out = " ";
        return 1;
    }
    if (flags & SB_BUF_ENTITIES) {
        const char *e = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : NULL;
        if (e) {
            *out = e;
            *out_len = strlen(e);
            return *out_len;
        }
    }
    return n == 4 ? 2 : 1;
}

size_t sb_buf_add_text(sb_buf_t *b, const char *s, size_t max, int flags) {
    const char *out, *p;
    size_t in_len, out_len, total = 0, used = 0, cost;

    if (!s || max == 0)
        return 0;
    for (p = s; *p; p += in_len)
        total += next_char(p, flags, &in_len, &out, &out_len);
    for (p = s; *p; p += in_len) {
        cost = next_char(p, flags, &in_len, &out, &out_len);
        if (total > max && used + cost > max - 1) {
            sb_buf_add_str(b, ELLIPSIS);
            return used + 1;
        }
        sb_buf_add(b, out, out_len);
        used += cost;
    }
    return used;
}

const char *sb_buf_str(const sb_buf_t *b) {
    return b->s ? b->s : "";
}

void sb_buf_reset(sb_buf_t *b) {
    b->len = 0;
    b->err = 0;
    if (b->s)
        b->s[0] = '\0';
}

char *sb_buf_take(sb_buf_t *b) {
    char *s;
    if (!b->err && !b->s)
        sb_buf_add(b, "", 0);
    s = b->err ? NULL : b->s;
    if (!s)
        free(b->s);
    memset(b, 0, sizeof(*b));
    return s;
}

void sb_buf_free(sb_buf_t *b) {
    free(b->s);
    memset(b, 0, sizeof(*b));
}
