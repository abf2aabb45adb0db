/* sb_utf8: strict UTF-8 validation, code point counting and cuts on character boundaries. */
#ifndef SB_UTF8_H
#define SB_UTF8_H

#include <stddef.h>

/* 1 when buf[0..len) is well-formed UTF-8 (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF), else 0. NUL bytes are valid
 * UTF-8 here; JSON-level checks reject them. */
int sb_utf8_valid(const char *buf, size_t len);

/* Number of code points in a valid UTF-8 NUL-terminated string. */
size_t sb_utf8_length(const char *s);

/* The length of the longest prefix of s, at most max bytes, that does not
 * end inside a character: a byte cut ("%.200s") can split one, and the
 * chat platform then refuses the whole message. */
size_t sb_utf8_cut(const char *s, size_t max);

/* "%.*s" arguments for s cut to at most max bytes on a character
 * boundary: printf("\"%.*s\"", SB_UTF8_CUT(title, 200)). */
#define SB_UTF8_CUT(s, max) (int)sb_utf8_cut((s), (max)), (s)

#endif
