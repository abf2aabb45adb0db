/* sb_form: strict application/x-www-form-urlencoded field lookup. */
#include "sb_form.h"

#include "sb_crypto.h"

#include <stdlib.h>
#include <string.h>

/* Decodes s[0..n) into a malloc'd string in *out. Returns 0, or -1 on a
 * malformed input (bad escape, NUL) or allocation failure. */
static int decode(const char *s, size_t n, char **out) {
    char *d = malloc(n + 1);
    size_t j = 0;

    *out = NULL;
    if (!d)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '+') {
            d[j++] = ' ';
        } else if (s[i] == '%') {
            if (n - i < 3)
                goto bad;
            hi = sb_hex_value(s[i + 1]);
            lo = sb_hex_value(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                goto bad;
            d[j++] = (char)(hi << 4 | lo);
            i += 2;
        } else if (s[i] == '\0') {
            goto bad;
        } else {
            d[j++] = s[i];
        }
    }
    d[j] = '\0';
    *out = d;
    return 0;
bad:
    free(d);
    return -1;
}

int sb_form_get(const char *body, size_t len, const char *name, char **value) {
    const char *p = body, *end = body + len;
    char *found = NULL;
    int rc = 0;

    *value = NULL;
    if (!name || (!body && len))
        return -1;
    /* every field is decoded, even after a match: a malformed body or a
     * second occurrence of name anywhere makes the whole lookup fail */
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *fend = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(fend - p));
        char *k = NULL, *v = NULL;
        int r;

        if (fend > p) {
            r = decode(p, (size_t)((eq ? eq : fend) - p), &k);
            if (r == 0)
                r = eq ? decode(eq + 1, (size_t)(fend - eq - 1), &v) : decode("", 0, &v);
            if (r == 0 && strcmp(k, name) == 0) {
                if (found)
                    r = -1; /* duplicate: ambiguous */
                else
                    found = v, v = NULL;
            }
            free(k);
            free(v);
            if (r != 0) {
                rc = -1;
                goto out;
            }
        }
        if (!amp)
            break;
        p = amp + 1;
    }
    if (found) {
        *value = found;
        found = NULL;
        rc = 1;
    }
out:
    free(found);
    return rc;
}
