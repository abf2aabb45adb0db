/* sb_log: JSON-lines logging on stderr. */

/* The logger is process-global by design (with the run flag, the only
 * global state). */
#include "sb_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "sb_buf.h"

static char sb_log_worker[64] = "securitybot";
static sb_log_level_t sb_log_min = SB_LOG_INFO;

static const char *const sb_log_names[] = {"debug", "info", "warn", "error"};

int sb_log_level_parse(const char *s, sb_log_level_t *out) {
    if (!s || !*s) {
        *out = SB_LOG_INFO;
        return 0;
    }
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, sb_log_names[i]) == 0) {
            *out = (sb_log_level_t)i;
            return 0;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = SB_LOG_WARN;
        return 0;
    }
    return -1;
}

int sb_log_init(const char *worker, const char *level, char *errstr, size_t errstr_size) {
    if (worker) /* stored escaped: it goes into every line as is */
        sb_log_json_escape(sb_log_worker, sizeof(sb_log_worker), worker);
    if (sb_log_level_parse(level, &sb_log_min) == -1) {
        snprintf(errstr, errstr_size,
                 "SECURITYBOT_LOG_LEVEL: unknown level \"%.32s\" (use debug, info, warn or error)",
                 level);
        return -1;
    }
    return 0;
}

int sb_log_enabled(sb_log_level_t level) {
    return level >= sb_log_min;
}

/* Length of s cut to at most max bytes without splitting a UTF-8 character. */
static size_t utf8_cut(const char *s, size_t len, size_t max) {
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--; /* s[max] continues a character that would be split */
    return max;
}

size_t sb_log_json_escape(char *buf, size_t size, const char *s) {
    size_t n = 0;
    if (size == 0)
        return 0;
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        char tmp[8];
        const char *rep = sb_buf_json_escape(c, tmp);
        size_t len;
        if (rep) {
            len = strlen(rep);
            if (n + len >= size)
                break;
            memcpy(buf + n, rep, len);
            n += len;
        } else {
            if (n + 1 >= size)
                break;
            buf[n++] = (char)c;
        }
    }
    /* a cut may fall inside a multi-byte character: drop its start */
    if (n > 0 && ((unsigned char)buf[n - 1] & 0x80)) {
        size_t start = n - 1, need;
        while (start > 0 && ((unsigned char)buf[start] & 0xC0) == 0x80)
            start--;
        unsigned char lead = (unsigned char)buf[start];
        need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        if (n - start < need)
            n = start;
    }
    buf[n] = '\0';
    return n;
}

void sb_log_kv(sb_log_level_t level, const sb_log_kv_t *kv, size_t nkv, const char *fmt, ...) {
    char msg[2048], esc[4096], line[8192], ts[40];
    struct timeval tv;
    struct tm tm;
    va_list ap;
    size_t n;

    if (!sb_log_enabled(level))
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    msg[utf8_cut(msg, strlen(msg), sizeof(msg) - 1)] = '\0';

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof(ts) - n, ".%03ldZ", (long)(tv.tv_usec / 1000));

    sb_log_json_escape(esc, sizeof(esc), msg);
    n = (size_t)snprintf(line, sizeof(line),
                         "{\"ts\":\"%s\",\"level\":\"%s\",\"worker\":\"%s\",\"msg\":\"%s\"", ts,
                         sb_log_names[level], sb_log_worker, esc);
    for (size_t i = 0; i < nkv; i++) {
        char k[128];
        int w;
        if (!kv[i].value)
            continue;
        sb_log_json_escape(k, sizeof(k), kv[i].key);
        sb_log_json_escape(esc, sizeof(esc), kv[i].value);
        /* a field goes in whole or not at all, keeping room for "}\n" */
        w = snprintf(line + n, sizeof(line) - n - 2, ",\"%s\":\"%s\"", k, esc);
        if (w < 0 || (size_t)w >= sizeof(line) - n - 2) {
            line[n] = '\0';
            break;
        }
        n += (size_t)w;
    }
    line[n++] = '}';
    line[n++] = '\n';
    fwrite(line, 1, n, stderr);
}

void sb_seterr(char *errstr, size_t errstr_size, const char *fmt, ...) {
    va_list ap;
    if (!errstr || errstr_size == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(errstr, errstr_size, fmt, ap);
    va_end(ap);
}
