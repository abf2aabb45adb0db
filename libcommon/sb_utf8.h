/* sb_utf8: strict UTF-8 validation and code point counting. */
#ifndef SB_UTF8_H
#define SB_UTF8_H

#include <stddef.h>

/* 1 when buf[0..len) is well-formed UTF-8 (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF), else 0. NUL bytes are valid
 * UTF-8 here; JSON-level checks reject them. */
int sb_utf8_valid(const char *buf, size_t len);

/* Number of code points in a valid UTF-8 NUL-terminated string. */
size_t sb_utf8_length(const char *s);

#endif
