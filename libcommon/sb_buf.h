/* sb_buf: one growable byte buffer, NUL-terminated, with a sticky error flag. */
#ifndef SB_BUF_H
#define SB_BUF_H

#include <stddef.h>
#include <stdint.h>

/* The largest capacity: lengths stay within an int (printf's results,
 * libpq's lengths, PostgreSQL's int32 array sizes). */
#define SB_BUF_MAX ((size_t)INT32_MAX)

/* Zero-initialise (sb_buf_t b = {0};). s is NULL until something is added,
 * then always NUL-terminated (bytes may hold NULs: len counts them all);
 * owned by the buffer until sb_buf_take. err is set when an allocation
 * failed or SB_BUF_MAX would be passed; from then on appends do nothing,
 * so a builder checks it once at the end. */
typedef struct {
    char *s;
    size_t len, cap;
    int err;
} sb_buf_t;

void sb_buf_add(sb_buf_t *b, const void *data, size_t n);
void sb_buf_add_str(sb_buf_t *b, const char *s); /* s NULL: nothing */
void sb_buf_addf(sb_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* s (NULL: nothing) as the inside of a JSON string: " \ and newline, CR,
 * tab as two-character escapes, the other C0 controls and DEL as \u00XX,
 * everything else (UTF-8 included) as it is. */
void sb_buf_add_json(sb_buf_t *b, const char *s);

/* The escape of byte c in a JSON string, or NULL when c goes as it is;
 * tmp holds a \u00XX. The one table, also for sb_log's fixed-size escape. */
const char *sb_buf_json_escape(unsigned char c, char tmp[8]);

#define SB_BUF_ENTITIES 1 /* & < > as &amp; &lt; &gt; (Slack mrkdwn) */
#define SB_BUF_ONE_LINE 2 /* newlines and tabs become spaces */

/* Appends at most max characters of s (NULL: nothing), cut at a character
 * with a trailing "…" when longer; C0 control characters other than
 * newline and tab become spaces. Characters are counted as Slack does:
 * UTF-16 units (outside the BMP: two), an entity as its length. Returns
 * the characters appended. */
size_t sb_buf_add_text(sb_buf_t *b, const char *s, size_t max, int flags);

/* The text so far: "" when nothing was added. Owned by b. */
const char *sb_buf_str(const sb_buf_t *b);

/* Empties b and clears err; keeps the memory for reuse. */
void sb_buf_reset(sb_buf_t *b);

/* The string, now the caller's (free), and b emptied: an allocated "" when
 * nothing was added, NULL (b's memory freed) when err is set. */
char *sb_buf_take(sb_buf_t *b);

void sb_buf_free(sb_buf_t *b); /* frees and zeroes; a zeroed b is fine */

#endif
