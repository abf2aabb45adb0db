/* sb_kafka: topic names and the librdkafka configuration every client starts from. */
#include "sb_kafka.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sb_log.h"

extern char **environ;

const char *const sb_kafka_topic_suffixes[] = {
    SB_TOPIC_ALERTS,    SB_TOPIC_ALERTS_DLQ,          SB_TOPIC_PROMPTS,
    SB_TOPIC_RESPONSES, SB_TOPIC_ESCALATION_REQUESTS, SB_TOPIC_ESCALATIONS,
    SB_TOPIC_OUTCOMES,  SB_TOPIC_RESOLUTIONS,         NULL,
};

#define ENV_PREFIX         "SECURITYBOT_KAFKA_"
#define SB_KAFKA_VALUE_MAX 65536

void sb_kafka_broker_error_note(sb_kafka_broker_error_t *be, int err, const char *reason) {
    int tls_or_auth = err == RD_KAFKA_RESP_ERR__SSL || err == RD_KAFKA_RESP_ERR__AUTHENTICATION;
    if (!tls_or_auth && err != RD_KAFKA_RESP_ERR__TRANSPORT && err != RD_KAFKA_RESP_ERR__RESOLVE)
        return;
    if (be->tls_or_auth && !tls_or_auth)
        return;
    snprintf(be->text, sizeof(be->text), "%s", reason ? reason : rd_kafka_err2str(err));
    be->tls_or_auth = tls_or_auth;
}

/* "; last broker error: ..." or "", to append to an error message. */
const char *sb_kafka_broker_error_suffix(const sb_kafka_broker_error_t *be, char *buf,
                                         size_t size) {
    if (!be->text[0])
        return "";
    snprintf(buf, size, "; last broker error: %s", be->text);
    return buf;
}

int sb_kafka_topic(char *buf, size_t size, const char *prefix, const char *suffix) {
    int n = snprintf(buf, size, "%s%s", prefix ? prefix : "", suffix);
    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    sb_log_level_t l = level <= 3   ? SB_LOG_ERROR
                       : level <= 4 ? SB_LOG_WARN
                       : level <= 6 ? SB_LOG_INFO
                                    : SB_LOG_DEBUG;
    sb_log_kv_t kv[] = {{"component", "librdkafka"}, {"facility", fac}};
    (void)rk;
    sb_log_kv(l, kv, 2, "%s", buf);
}

static int read_file(const char *path, char *buf, size_t size) {
    FILE *f = fopen(path, "rb");
    size_t n;
    if (!f)
        return -1;
    n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (n && buf[n - 1] == '\n')
        buf[--n] = '\0';
    if (n && buf[n - 1] == '\r')
        buf[--n] = '\0';
    return 0;
}

/* Applies one SECURITYBOT_KAFKA_* variable. The error names the property,
 * never the value (it may be a password). */
static int apply_env(rd_kafka_conf_t *conf, const char *entry, char *errstr, size_t errstr_size) {
    char name[128], prop[128], rderr[256], *value = NULL;
    const char *eq = strchr(entry, '='), *suffix = entry + strlen(ENV_PREFIX);
    size_t len;
    int from_file = 0, rc = -1;

    if (!eq || (size_t)(eq - suffix) >= sizeof(name))
        return 0;
    len = (size_t)(eq - suffix);
    memcpy(name, suffix, len);
    name[len] = '\0';
    if (strcmp(name, "BROKERS") == 0 || len == 0)
        return 0;
    if (len > 5 && strcmp(name + len - 5, "_FILE") == 0) {
        name[len - 5] = '\0';
        from_file = 1;
    }
    for (len = 0; name[len]; len++)
        prop[len] = name[len] == '_' ? '.' : (char)tolower((unsigned char)name[len]);
    prop[len] = '\0';

    if (!(value = calloc(1, SB_KAFKA_VALUE_MAX))) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    if (from_file) {
        if (read_file(eq + 1, value, SB_KAFKA_VALUE_MAX) == -1) {
            snprintf(errstr, errstr_size, "%s%s_FILE: cannot read %s: %s", ENV_PREFIX, name, eq + 1,
                     strerror(errno));
            goto out;
        }
    } else {
        snprintf(value, SB_KAFKA_VALUE_MAX, "%s", eq + 1);
    }
    if (rd_kafka_conf_set(conf, prop, value, rderr, sizeof(rderr)) != RD_KAFKA_CONF_OK) {
        snprintf(errstr, errstr_size, "%s%s: librdkafka refused property \"%s\"", ENV_PREFIX, name,
                 prop);
        goto out;
    }
    /* A file librdkafka reads only when it creates the client (CA,
     * certificate, key): checked now, so that a wrong path is a
     * configuration error (exit 2) and not a failure at start-up. The
     * path is not secret; "probe" asks librdkafka to search itself. */
    len = strlen(prop);
    if (len > 9 && strcmp(prop + len - 9, ".location") == 0 && strcmp(value, "probe") != 0 &&
        access(value, R_OK) != 0) {
        snprintf(errstr, errstr_size, "%s%s: cannot read %.200s: %s", ENV_PREFIX, name, value,
                 strerror(errno));
        goto out;
    }
    rc = 0;
out:
    /* the value may be a password: do not leave it in freed memory */
    memset(value, 0, SB_KAFKA_VALUE_MAX);
    free(value);
    return rc;
}

rd_kafka_conf_t *sb_kafka_conf_new(const char *brokers, const char *const *defaults, char *errstr,
                                   size_t errstr_size) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, errstr_size) !=
        RD_KAFKA_CONF_OK)
        goto fail;
    rd_kafka_conf_set_log_cb(conf, log_cb);
    for (; defaults && defaults[0] && defaults[1]; defaults += 2)
        if (rd_kafka_conf_set(conf, defaults[0], defaults[1], errstr, errstr_size) !=
            RD_KAFKA_CONF_OK)
            goto fail;
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, ENV_PREFIX, strlen(ENV_PREFIX)) == 0 &&
            apply_env(conf, *e, errstr, errstr_size) == -1)
            goto fail;
    }
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

int sb_kafka_conf_check(const char *brokers, char *errstr, size_t errstr_size) {
    rd_kafka_conf_t *conf = sb_kafka_conf_new(brokers, NULL, errstr, errstr_size);
    if (!conf)
        return -1;
    rd_kafka_conf_destroy(conf);
    return 0;
}
