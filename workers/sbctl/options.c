/* options: what several sbctl subcommands share. */

/* Option parsing, --format, --since, --limit, finding an employee or an
 * alert, clean text output, publishing one message. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sb_buf.h"
#include "sb_kafka.h"
#include "sb_time.h"
#include "sbctl.h"

#define PUBLISH_WAIT_MS 15000 /* how long Kafka may take to acknowledge one message */

int sbctl_parse_opts(const char *cmd, int argc, char **argv, int first, const sbctl_opt_t *opts,
                     size_t n, const char **pos, int maxpos, int *npos) {
    *npos = 0;
    for (int i = first; i < argc; i++) {
        const sbctl_opt_t *o = NULL;
        if (strncmp(argv[i], "--", 2) != 0 || !argv[i][2]) {
            if (*npos == maxpos) {
                fprintf(stderr, "sbctl %s: unexpected argument \"%.80s\" (see --help)\n", cmd,
                        argv[i]);
                return -1;
            }
            pos[(*npos)++] = argv[i];
            continue;
        }
        for (size_t k = 0; k < n && !o; k++)
            if (!strcmp(argv[i], opts[k].name))
                o = &opts[k];
        if (!o) {
            fprintf(stderr, "sbctl %s: unknown option %.80s (see --help)\n", cmd, argv[i]);
            return -1;
        }
        if (o->flag) {
            *o->flag = 1;
        } else if (i + 1 < argc) {
            *o->value = argv[++i];
        } else {
            fprintf(stderr, "sbctl %s: %s needs a value\n", cmd, o->name);
            return -1;
        }
    }
    return 0;
}

int sbctl_parse_format(const char *cmd, const char *s, int csv_ok, sb_report_format_t *fmt) {
    if (!s) {
        *fmt = SB_REPORT_TEXT;
        return 0;
    }
    if (sb_report_format_parse(s, fmt) == 0 && (csv_ok || *fmt != SB_REPORT_CSV))
        return 0;
    fprintf(stderr, "sbctl %s: --format must be text%s or json\n", cmd, csv_ok ? ", csv" : "");
    return -1;
}

int sbctl_parse_time(const char *cmd, const char *opt, const char *s, int64_t now_us, int64_t *us,
                     char *buf, size_t size) {
    if (sb_report_parse_time(s, now_us, us) == -1) {
        fprintf(stderr,
                "sbctl %s: %s wants a duration (24h, 7d, 90m) or an RFC 3339 time, not "
                "\"%.80s\"\n",
                cmd, opt, s);
        return -1;
    }
    sb_time_format_us(*us, buf, size);
    return 0;
}

int sbctl_parse_limit(const char *cmd, const char *s, long max, long *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 1 || v > max) {
        fprintf(stderr, "sbctl %s: --limit must be 1 to %ld\n", cmd, max);
        return -1;
    }
    *out = v;
    return 0;
}

int sbctl_db_failed(sbctl_t *ctl, const char *cmd, const char *errstr) {
    fprintf(stderr, "sbctl %s: %s\n", cmd, errstr);
    return ctl->db && sb_db_last_class(ctl->db) == SB_DB_RETRYABLE ? SBCTL_UNAVAILABLE : SBCTL_FAIL;
}

static const char *const EMPLOYEE_SQL =
    "SELECT e.id, e.username FROM employee_identities ei"
    " JOIN employees e ON e.id = ei.employee_id WHERE ei.identity = lower($1)";

int sbctl_find_employee(sbctl_t *ctl, const char *cmd, const char *name, char *id, size_t id_size,
                        char *username, size_t username_size) {
    const char *params[] = {name};
    char errstr[512];
    sb_db_t *db = sbctl_db(ctl);
    PGresult *res;
    int rc = SBCTL_FAIL;
    if (!db)
        return SBCTL_UNAVAILABLE;
    if (!(res = sb_db_query(db, EMPLOYEE_SQL, 1, params, errstr, sizeof(errstr))))
        return sbctl_db_failed(ctl, cmd, errstr);
    if (PQntuples(res) == 1) {
        snprintf(id, id_size, "%s", PQgetvalue(res, 0, 0));
        if (username)
            snprintf(username, username_size, "%s", PQgetvalue(res, 0, 1));
        rc = SBCTL_OK;
    } else {
        fprintf(stderr, "sbctl %s: no employee is called \"%.80s\"\n", cmd, name);
    }
    PQclear(res);
    return rc;
}

/* Ids are lowercase hex, compared bytewise (COLLATE "C"): a prefix is a range. */
static const char *const ALERT_SQL =
    "SELECT id FROM alerts WHERE id >= $1 AND id < $1 || 'g' ORDER BY id LIMIT 2";

int sbctl_find_alert(sbctl_t *ctl, const char *cmd, const char *prefix, char id[65]) {
    char lower[65], errstr[512];
    const char *params[] = {lower};
    size_t len = strlen(prefix);
    sb_db_t *db;
    PGresult *res;
    int rc = SBCTL_FAIL;

    if (len < 8 || len > 64 || strspn(prefix, "0123456789abcdefABCDEF") != len) {
        fprintf(stderr, "sbctl %s: an alert id is 8 to 64 hex characters, not \"%.80s\"\n", cmd,
                prefix);
        return SBCTL_USAGE;
    }
    for (size_t i = 0; i <= len; i++)
        lower[i] = (char)(prefix[i] >= 'A' && prefix[i] <= 'F' ? prefix[i] + 32 : prefix[i]);
    if (!(db = sbctl_db(ctl)))
        return SBCTL_UNAVAILABLE;
    if (!(res = sb_db_query(db, ALERT_SQL, 1, params, errstr, sizeof(errstr))))
        return sbctl_db_failed(ctl, cmd, errstr);
    if (PQntuples(res) == 1) {
        snprintf(id, 65, "%s", PQgetvalue(res, 0, 0));
        rc = SBCTL_OK;
    } else {
        fprintf(stderr, "sbctl %s: alert %s %s\n", cmd, lower,
                PQntuples(res) ? "is ambiguous: give more characters" : "is unknown");
    }
    PQclear(res);
    return rc;
}

void sbctl_print_clean(const char *s, size_t max, int width) {
    sb_buf_t b = {0};
    sb_buf_add_text(&b, s ? s : "", max, SB_BUF_ONE_LINE);
    if (width > 0)
        printf("%-*s", width, sb_buf_str(&b));
    else
        fputs(sb_buf_str(&b), stdout);
    sb_buf_free(&b);
}

int sbctl_print_json(cJSON *root) {
    char *out = root ? cJSON_Print(root) : NULL;
    int rc = out ? SBCTL_OK : SBCTL_FAIL;
    if (out)
        printf("%s\n", out);
    else
        fprintf(stderr, "sbctl: out of memory\n");
    free(out);
    cJSON_Delete(root);
    return rc;
}

void sbctl_json_string(cJSON *o, const char *key, const char *s) {
    if (s)
        cJSON_AddStringToObject(o, key, s);
    else
        cJSON_AddNullToObject(o, key);
}

const char *sbctl_operator(void) {
    struct passwd *pw = getpwuid(geteuid());
    /* Not a setting (so not in the configuration table): sudo's record of
     * who ran it, which the audit trail names instead of root. */
    const char *login = getenv("SUDO_USER");
    if (login && *login)
        return login;
    return pw && pw->pw_name ? pw->pw_name : "unknown";
}

int sbctl_publish(const sbctl_t *ctl, const char *suffix, const char *key, const char *value,
                  size_t len, char *topic, const char *what) {
    char errstr[512];
    sb_producer_t *p = NULL;
    int rc = SBCTL_UNAVAILABLE;

    if (sb_kafka_topic(topic, SB_TOPIC_MAX, ctl->cfg.topic_prefix, suffix) == -1)
        snprintf(errstr, sizeof(errstr), "SECURITYBOT_TOPIC_PREFIX is too long");
    else if ((p = sb_producer_new(ctl->cfg.kafka_brokers, errstr, sizeof(errstr))) &&
             sb_producer_send(p, topic, key, key ? strlen(key) : 0, value, len, errstr,
                              sizeof(errstr)) == 0 &&
             sb_producer_flush(p, PUBLISH_WAIT_MS, errstr, sizeof(errstr)) == 0)
        rc = SBCTL_OK;
    if (rc != SBCTL_OK)
        fprintf(stderr, "sbctl %s: %s\n", what, errstr);
    sb_producer_destroy(p);
    return rc;
}
