/* tokens: the intake's sender table (SOURCE and the SHA-256 of its bearer token), read from a file.
 */
#ifndef SB_GATEWAY_TOKENS_H
#define SB_GATEWAY_TOKENS_H

#include <stddef.h>

/* The longest source name (the alert schema's bound, in bytes here) and
 * the longest bearer token looked at; a longer one is simply unknown. */
#define SB_TOKENS_SOURCE_MAX 128
#define SB_TOKENS_TOKEN_MAX  512
/* Bounds of the file: a table is small, a huge file is a mistake. */
#define SB_TOKENS_FILE_MAX    (1024 * 1024)
#define SB_TOKENS_ENTRIES_MAX 10000

/* An immutable table: one entry per line "SOURCE SHA256HEX" (blank lines
 * and lines starting with '#' ignored). A source may have several tokens
 * (rotation); one hash may not name two sources. Never holds a token in
 * clear; never logs a hash. Read-only once built, so any number of threads
 * may look up concurrently. */
typedef struct sb_tokens_s sb_tokens_t;

/* Builds a table from text (len bytes). NULL with errstr naming the line
 * (what is wrong, never the hash) on the first bad line, or out of memory. */
sb_tokens_t *sb_tokens_parse(const char *text, size_t len, char *errstr, size_t errstr_size);

/* Reads and parses path, refused like the second-factor key file when it is
 * not a regular file or is readable or writable by group or others. */
sb_tokens_t *sb_tokens_load(const char *path, char *errstr, size_t errstr_size);

size_t sb_tokens_count(const sb_tokens_t *t);

/* The index of the entry whose hash is the SHA-256 of the presented token
 * (len bytes), or -1. The hash is compared with every entry in constant
 * time, without stopping at a match, so the time depends only on the
 * table's size. */
long sb_tokens_lookup(const sb_tokens_t *t, const char *token, size_t len);

/* Entry i's source; its hash (64 lowercase hex), for carrying a rate
 * bucket over a reload; never log it. */
const char *sb_tokens_source(const sb_tokens_t *t, size_t i);
const char *sb_tokens_hash(const sb_tokens_t *t, size_t i);

/* NULL is a no-op. */
void sb_tokens_destroy(sb_tokens_t *t);

#endif
