/* sb_log: JSON-lines logging on stderr (ts, level, worker, msg, extra fields). */
#ifndef SB_LOG_H
#define SB_LOG_H

#include <stddef.h>

typedef enum {
    SB_LOG_DEBUG = 0,
    SB_LOG_INFO = 1,
    SB_LOG_WARN = 2,
    SB_LOG_ERROR = 3,
} sb_log_level_t;

/* One extra field of a log line; value NULL omits the field. */
typedef struct {
    const char *key;
    const char *value;
} sb_log_kv_t;

/* Sets the worker name (copied) and the minimum level ("debug", "info",
 * "warn", "error"; NULL or "" means info). Returns -1 on an unknown level. */
int sb_log_init(const char *worker, const char *level, char *errstr, size_t errstr_size);
int sb_log_level_parse(const char *s, sb_log_level_t *out);
int sb_log_enabled(sb_log_level_t level);

/* Writes one JSON line. Never pass a secret in fmt or kv. */
void sb_log_kv(sb_log_level_t level, const sb_log_kv_t *kv, size_t nkv, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define sb_log_debug(...) sb_log_kv(SB_LOG_DEBUG, NULL, 0, __VA_ARGS__)
#define sb_log_info(...)  sb_log_kv(SB_LOG_INFO, NULL, 0, __VA_ARGS__)
#define sb_log_warn(...)  sb_log_kv(SB_LOG_WARN, NULL, 0, __VA_ARGS__)
#define sb_log_error(...) sb_log_kv(SB_LOG_ERROR, NULL, 0, __VA_ARGS__)

/* Formats an error message into errstr (NULL or size 0: nothing), the
 * errstr/errstr_size convention of every module. */
void sb_seterr(char *errstr, size_t errstr_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes `s` as a JSON string body (no quotes) into buf; always
 * NUL-terminates; returns the length written. Shared with other modules
 * that need a cheap escape without cJSON. */
size_t sb_log_json_escape(char *buf, size_t size, const char *s);

#endif
