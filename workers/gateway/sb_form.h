/* sb_form: strict application/x-www-form-urlencoded field lookup. */
#ifndef SB_FORM_H
#define SB_FORM_H

#include <stddef.h>

/* Looks up field name (compared after decoding) in body[0..len).
 * Returns 1 with *value a malloc'd, decoded, NUL-terminated copy owned by
 * the caller; 0 when absent; -1 when the body is malformed or ambiguous:
 * a bad escape ("%G1", "%4") or a raw NUL anywhere, an escape that decodes
 * to NUL ("%00"), or name occurring more than once. '+' decodes to a space;
 * a field without '=' has the empty value; empty fields ("a=1&&b=2") are
 * skipped. Allocation failure also returns -1. *value is NULL unless 1 is
 * returned. */
int sb_form_get(const char *body, size_t len, const char *name, char **value);

#endif
