/* sb_url: RFC 3986 percent-encoding, for URL paths, queries and forms. */
#ifndef SB_URL_H
#define SB_URL_H

#include <stddef.h>

/* Writes s into out (size bytes, NUL-terminated) with the unreserved
 * characters (ALPHA DIGIT - . _ ~) and those in keep (may be NULL) as they
 * are and every other byte as %XX (upper case). A character that does not
 * fit whole is left out, with the rest of s. Returns the bytes written
 * (without the NUL); 3 * strlen(s) + 1 bytes always suffice. */
size_t sb_url_encode(char *out, size_t size, const char *s, const char *keep);

#endif
