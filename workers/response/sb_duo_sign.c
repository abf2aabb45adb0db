/* sb_duo_sign: Duo Auth API v2 request signatures (see the header). */
#include "sb_duo_sign.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_crypto.h"
#include "sb_url.h"

/* HMAC-SHA512 in hex is 128 characters. */
#define HEX_SIZE 129

int sb_duo_date(time_t t, char out[SB_DUO_DATE_SIZE]) {
    static const char *days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    int n;

    /* Names written by hand: strftime's %a and %b follow the locale. */
    if (!gmtime_r(&t, &tm))
        return -1;
    n = snprintf(out, SB_DUO_DATE_SIZE, "%s, %02d %s %04d %02d:%02d:%02d -0000", days[tm.tm_wday],
                 tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                 tm.tm_sec);
    return n > 0 && n < SB_DUO_DATE_SIZE ? 0 : -1;
}

/* RFC 3986 percent-encoding (sb_url_encode: unreserved characters kept,
 * every other byte as %XX in upper case). Returns a malloc'd string. */
static char *encode(const char *s) {
    size_t len = strlen(s);
    char *out;
    if (len > SB_DUO_MAX_VALUE || !(out = malloc(3 * len + 1)))
        return NULL;
    sb_url_encode(out, 3 * len + 1, s, NULL);
    return out;
}

typedef struct {
    char *key;
    char *value;
} pair_t;

/* Duo sorts by the encoded key, then by the encoded value (byte order). */
static int pair_cmp(const void *a, const void *b) {
    const pair_t *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

static char *join(pair_t *pairs, size_t n) {
    size_t len = 1, o = 0;
    char *out;

    for (size_t i = 0; i < n; i++)
        len += strlen(pairs[i].key) + strlen(pairs[i].value) + 2;
    out = malloc(len);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++)
        o += (size_t)sprintf(out + o, "%s%s=%s", i ? "&" : "", pairs[i].key, pairs[i].value);
    out[o] = '\0';
    return out;
}

char *sb_duo_params_canon(const sb_duo_param_t *params, size_t n) {
    pair_t pairs[SB_DUO_MAX_PARAMS] = {{0}};
    char *out = NULL;
    size_t i;

    if (n > SB_DUO_MAX_PARAMS)
        return NULL;
    for (i = 0; i < n; i++) {
        if (!params[i].key || !params[i].value)
            goto out;
        pairs[i].key = encode(params[i].key);
        pairs[i].value = encode(params[i].value);
        if (!pairs[i].key || !pairs[i].value)
            goto out;
    }
    qsort(pairs, n, sizeof(pairs[0]), pair_cmp);
    out = join(pairs, n);
out:
    for (i = 0; i < n; i++) {
        free(pairs[i].key);
        free(pairs[i].value);
    }
    return out;
}

char *sb_duo_canonical(const char *date, const char *method, const char *host, const char *path,
                       const char *canon_params) {
    size_t len, o;
    char *out;

    if (!date || !method || !host || !path || !canon_params)
        return NULL;
    len = strlen(date) + strlen(method) + strlen(host) + strlen(path) + strlen(canon_params) + 5;
    out = malloc(len);
    if (!out)
        return NULL;
    o = (size_t)sprintf(out, "%s\n", date);
    for (const char *p = method; *p; p++)
        out[o++] = (char)toupper((unsigned char)*p);
    out[o++] = '\n';
    for (const char *p = host; *p; p++)
        out[o++] = (char)tolower((unsigned char)*p);
    sprintf(out + o, "\n%s\n%s", path, canon_params);
    return out;
}

char *sb_duo_authorization(const char *ikey, const char *skey, sb_duo_hmac_t hmac,
                           const char *canonical) {
    char hex[HEX_SIZE];
    char *plain = NULL, *b64 = NULL, *out = NULL;
    size_t len;

    if (!ikey || !skey || !canonical)
        return NULL;
    if (sb_hmac_hex(hmac == SB_DUO_HMAC_SHA1 ? "SHA1" : "SHA512", skey, strlen(skey), canonical,
                    strlen(canonical), hex, sizeof(hex)) == -1)
        goto out;
    len = strlen(ikey) + 1 + strlen(hex) + 1;
    plain = malloc(len);
    if (!plain)
        goto out;
    snprintf(plain, len, "%s:%s", ikey, hex);
    b64 = sb_base64_encode(plain, strlen(plain));
    if (!b64)
        goto out;
    len = strlen(b64) + sizeof("Basic ");
    out = malloc(len);
    if (out)
        snprintf(out, len, "Basic %s", b64);
out:
    if (plain)
        sb_crypto_wipe(plain, strlen(plain));
    free(plain);
    free(b64);
    sb_crypto_wipe(hex, sizeof(hex));
    return out;
}
