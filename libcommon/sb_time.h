/* sb_time: RFC 3339 parsing/formatting and clocks, in microseconds since the epoch (UTC). */
#ifndef SB_TIME_H
#define SB_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Parses an RFC 3339 date-time ("2026-11-29T12:00:00Z", optional fraction
 * up to 9 digits, 'Z'/'z' or +hh:mm/-hh:mm, 'T'/'t'/' ' separator is NOT
 * accepted except T/t). Validates ranges (month, day of month incl. leap
 * years, hour, minute, second 0-60). Returns 0 and *us, or -1. */
int sb_time_parse_rfc3339(const char *s, int64_t *us);

/* Formats as "YYYY-MM-DDTHH:MM:SS.ffffffZ" (27 chars + NUL; buf >= 32). */
void sb_time_format_us(int64_t us, char *buf, size_t size);

/* Parses s and rewrites it in the normalised UTC form above; 0 or -1. */
int sb_time_normalize(const char *s, char *buf, size_t size);

int64_t sb_time_now_us(void);       /* wall clock */
int64_t sb_time_monotonic_us(void); /* for intervals and timeouts */

/* Sleeps ms milliseconds (a signal may cut it short: callers look at the
 * shutdown flag afterwards). */
void sb_time_sleep_ms(long ms);

/* Durations like "500ms", "30s", "30m", "2h", "1d", or a plain number of
 * seconds. Returns 0 and *ms, or -1. Rejects negatives and overflow. */
int sb_time_parse_duration_ms(const char *s, int64_t *ms);

#endif
