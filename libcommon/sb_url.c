/* sb_url: RFC 3986 percent-encoding, for URL paths, queries and forms. */
#include "sb_url.h"

#include <string.h>

static int kept(unsigned char c, const char *keep) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || (keep && c && strchr(keep, c));
}

size_t sb_url_encode(char *out, size_t size, const char *s, const char *keep) {
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    if (size == 0)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (kept(*p, keep)) {
            if (o + 1 >= size)
                break;
            out[o++] = (char)*p;
        } else {
            if (o + 3 >= size)
                break;
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o] = '\0';
    return o;
}
