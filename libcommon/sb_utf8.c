/* sb_utf8: strict UTF-8 validation (RFC 3629), code point counting and cuts on character
 * boundaries. */
#include "sb_utf8.h"

#include <stdint.h>
#include <string.h>

#define HIGH_BITS 0x8080808080808080ULL

/* Validation is on the ingest hot path: ASCII runs are skipped eight bytes
 * at a time, multi-byte sequences are checked against the table in
 * RFC 3629 section 4 (which excludes overlong forms, surrogates and
 * anything above U+10FFFF). */
int sb_utf8_valid(const char *buf, size_t len) {
    const unsigned char *s = (const unsigned char *)buf;
    size_t i = 0;

    while (i < len) {
        if (len - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, sizeof(w));
            if ((w & HIGH_BITS) == 0) {
                i += 8;
                continue;
            }
        }
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the 2nd byte */
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0; /* overlong */
            else if (c == 0xED)
                hi = 0x9F; /* surrogates U+D800..U+DFFF */
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0)
                lo = 0x90; /* overlong */
            else if (c == 0xF4)
                hi = 0x8F; /* above U+10FFFF */
        } else {
            return 0; /* continuation byte, C0/C1 or F5..FF */
        }
        if (len - i <= need)
            return 0;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (size_t k = 2; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
        }
        i += need + 1;
    }
    return 1;
}

/* Every code point has exactly one byte that is not a continuation byte. */
size_t sb_utf8_length(const char *s) {
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

/* Back from the cut to the lead byte of the character it falls in; keep
 * that character only if all of its bytes are inside the cut. */
size_t sb_utf8_cut(const char *s, size_t max) {
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strnlen(s, max), lead = n, want;
    if (n == 0)
        return 0;
    while (lead > 0 && n - lead < 4 && (p[lead - 1] & 0xC0) == 0x80)
        lead--;
    if (lead == 0 || (p[lead - 1] & 0xC0) != 0xC0)
        return n; /* ends on ASCII, or not UTF-8 at all: the bytes as they are */
    lead--;
    want = p[lead] >= 0xF0 ? 4 : p[lead] >= 0xE0 ? 3 : 2;
    return n - lead >= want ? n : lead;
}
